//! Turning core outcomes into the exceptions of `nwp500.exceptions`.

use pyo3::exceptions::{PyTimeoutError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::drop_cause::DropError;
use crate::session::{CredentialError, OpError};

/// Builds `nwp500.exceptions.<class_name>(message, **kwargs)`.
pub fn nwp_error(py: Python<'_>, class_name: &str, message: &str, kwargs: Option<&Bound<'_, PyDict>>) -> PyErr {
    let built = py
        .import("nwp500.exceptions")
        .and_then(|m| m.getattr(class_name))
        .and_then(|cls| cls.call((message,), kwargs));
    match built {
        Ok(exc) => PyErr::from_value(exc),
        Err(e) => e,
    }
}

/// `ConnectionDropError(name, code, message, cause, reason_code, reason_string)`: the `.error`
/// of a drop (the last two only over MQTT 5).
pub fn drop_error_object<'py>(py: Python<'py>, error: &DropError) -> PyResult<Bound<'py, PyAny>> {
    py.import("nwp500.exceptions")?.getattr("ConnectionDropError")?.call1((
        error.name(),
        error.code(),
        error.message.as_str(),
        error.cause.as_str(),
        error.reason_code,
        error.reason_string.as_deref(),
    ))
}

/// Which operation failed, so a rejection becomes the matching error class.
#[derive(Clone, Copy)]
pub enum Op {
    Connect,
    Publish,
    Subscribe,
    Unsubscribe,
}

pub fn op_error(py: Python<'_>, op: Op, error: &OpError) -> PyErr {
    match error {
        OpError::NotConnected => nwp_error(py, "MqttNotConnectedError", "Not connected to MQTT broker", None),
        OpError::Connect(d) | OpError::Dropped(d) => {
            let drop = match drop_error_object(py, d) {
                Ok(obj) => PyErr::from_value(obj),
                Err(e) => return e,
            };
            if let Op::Publish = op {
                let kwargs = PyDict::new(py);
                let _ = kwargs.set_item("retriable", true);
                let err = nwp_error(py, "MqttPublishError", "Publish failed: connection lost and the command queue is disabled", Some(&kwargs));
                err.set_cause(py, Some(drop));
                err
            } else {
                drop
            }
        }
        OpError::Credentials(CredentialError::Invalid(m)) => nwp_error(py, "InvalidCredentialsError", m, None),
        OpError::Credentials(CredentialError::Failed(m)) => nwp_error(py, "AuthenticationError", m, None),
        OpError::Rejected(m) => match op {
            Op::Publish => nwp_error(py, "MqttPublishError", m, None),
            Op::Subscribe | Op::Unsubscribe => nwp_error(py, "MqttSubscriptionError", m, None),
            Op::Connect => nwp_error(py, "MqttConnectionError", m, None),
        },
        OpError::Cancelled => nwp_error(py, "MqttConnectionError", "Operation cancelled: the client was disconnected", None),
        OpError::Invalid(m) => PyValueError::new_err(m.clone()),
        OpError::TimedOut { .. } => PyTimeoutError::new_err(error.to_string()),
        OpError::GivenUp(m) => nwp_error(py, "MqttPublishError", m, None),
    }
}

/// A bug inside nwp500 (a contained panic), as an `Nwp500Error` that says so.
pub fn internal_error(py: Python<'_>, why: &str) -> PyErr {
    nwp_error(py, "Nwp500Error", &format!("internal error in nwp500 (please report it): {why}"), None)
}

/// Runs a binding entry point so that a panic inside it reaches Python as an `Nwp500Error`
/// (pyo3 would raise `PanicException`, a `BaseException` that escapes `except Exception`).
pub fn guarded<T>(py: Python<'_>, f: impl FnOnce() -> PyResult<T>) -> PyResult<T> {
    crate::contain::contain(f).unwrap_or_else(|why| Err(internal_error(py, &why)))
}
