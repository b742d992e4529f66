//! The auth client as a credential source. The session asks through the bridge; the loop thread
//! calls the auth client's documented members (`ensure_valid_token()`, `refresh_token()`,
//! `re_authenticate()`, `current_tokens`, `has_stored_credentials`) so a duck-typed object works.

use std::sync::{Arc, Mutex};

use pyo3::prelude::*;
use pyo3::types::{PyCFunction, PyTuple};
use tokio::sync::oneshot;

use super::bridge::{Bridge, CredentialReply, Delivery};
use super::callables;
use crate::session::{BoxFuture, CredentialError, CredentialSource, CredentialStep};
use crate::sigv4::AwsCredentials;

/// The runtime side: forwards each request to the loop thread.
pub(crate) struct LoopCredentials {
    pub bridge: Arc<Bridge>,
}

impl CredentialSource for LoopCredentials {
    fn fetch(&self, step: CredentialStep) -> BoxFuture<Result<Option<AwsCredentials>, CredentialError>> {
        let (reply, answer) = oneshot::channel();
        self.bridge.push(Delivery::Credentials { step, reply });
        Box::pin(async move {
            answer.await.unwrap_or_else(|_| Err(CredentialError::Failed("the client was closed".into())))
        })
    }
}

/// The last exception the auth client raised, kept so `connect()` can re-raise it unchanged.
pub(crate) type LastAuthError = Arc<Mutex<Option<PyErr>>>;

fn optional_str(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<Option<String>> {
    let value = obj.getattr(name)?;
    if value.is_none() {
        return Ok(None);
    }
    let s: String = value.str()?.extract()?;
    Ok(Some(s).filter(|s| !s.is_empty()))
}

/// Reads the AWS keys the auth client holds now.
pub(crate) fn current_credentials(auth: &Bound<'_, PyAny>) -> PyResult<Option<AwsCredentials>> {
    let tokens = auth.getattr("current_tokens")?;
    if tokens.is_none() {
        return Ok(None);
    }
    let (Some(access_key_id), Some(secret_key)) = (optional_str(&tokens, "access_key_id")?, optional_str(&tokens, "secret_key")?) else {
        return Ok(None);
    };
    Ok(Some(AwsCredentials { access_key_id, secret_key, session_token: optional_str(&tokens, "session_token")? }))
}

fn classify(py: Python<'_>, err: &PyErr) -> CredentialError {
    let invalid = py
        .import("nwp500.exceptions")
        .and_then(|m| m.getattr("InvalidCredentialsError"))
        .map(|cls| err.is_instance(py, &cls))
        .unwrap_or(false);
    let text = err.value(py).str().map(|s| s.to_string()).unwrap_or_default();
    let text = format!("{}: {text}", err.get_type(py).name().map(|n| n.to_string()).unwrap_or_default());
    if invalid {
        CredentialError::Invalid(text)
    } else {
        CredentialError::Failed(text)
    }
}

/// Loop thread: starts the auth client's coroutine for `step` and answers `reply` when it ends.
pub(crate) fn serve(py: Python<'_>, auth: &Bound<'_, PyAny>, step: CredentialStep, reply: CredentialReply, last_error: LastAuthError) {
    if reply.is_closed() {
        // Whoever asked has given up (its deadline passed while the loop was not draining):
        // running a sign-in for nobody would only load the cloud.
        return;
    }
    let reply = Arc::new(Mutex::new(Some(reply)));
    let answer = {
        let reply = reply.clone();
        move |result: Result<Option<AwsCredentials>, CredentialError>| {
            if let Some(tx) = reply.lock().unwrap_or_else(|p| p.into_inner()).take() {
                let _ = tx.send(result);
            }
        }
    };
    let started = start(py, auth, step);
    let awaitable = match started {
        Ok(a) => a,
        Err(err) => {
            let result = Err(classify(py, &err));
            *last_error.lock().unwrap_or_else(|p| p.into_inner()) = Some(err);
            return answer(result);
        }
    };
    let Some(awaitable) = awaitable else {
        return answer(current_credentials(auth).map_err(|e| classify(py, &e)));
    };
    let auth_ref = auth.clone().unbind();
    let done = move |args: &Bound<'_, PyTuple>, _kwargs: Option<&Bound<'_, pyo3::types::PyDict>>| -> PyResult<()> {
        let py = args.py();
        let task = args.get_item(0)?;
        let outcome = match task.call_method0("result") {
            Ok(_) => current_credentials(auth_ref.bind(py)).map_err(|e| classify(py, &e)),
            Err(err) => {
                let c = classify(py, &err);
                *last_error.lock().unwrap_or_else(|p| p.into_inner()) = Some(err);
                Err(c)
            }
        };
        answer(outcome);
        Ok(())
    };
    let scheduled = py
        .import("asyncio")
        .and_then(|asyncio| asyncio.call_method1("ensure_future", (awaitable,)))
        .and_then(|task| {
            let callback = PyCFunction::new_closure(py, None, None, done)?;
            task.call_method1("add_done_callback", (callback,))
        });
    if let Err(err) = scheduled {
        if let Some(tx) = reply.lock().unwrap_or_else(|p| p.into_inner()).take() {
            let _ = tx.send(Err(classify(py, &err)));
        }
    }
}

/// Calls the member for `step`; `None` when it returned something that is not awaitable.
fn start<'py>(py: Python<'py>, auth: &Bound<'py, PyAny>, step: CredentialStep) -> PyResult<Option<Bound<'py, PyAny>>> {
    let result = match step {
        CredentialStep::EnsureValid => auth.call_method0("ensure_valid_token")?,
        CredentialStep::Refresh => {
            let tokens = auth.getattr("current_tokens")?;
            let refresh = if tokens.is_none() { None } else { optional_str(&tokens, "refresh_token")? };
            let Some(refresh) = refresh else {
                return Err(super::errors::nwp_error(py, "MqttCredentialsError", "No refresh token available for refresh", None));
            };
            auth.call_method1("refresh_token", (refresh,))?
        }
        CredentialStep::ReAuthenticate => {
            if !auth.getattr("has_stored_credentials").and_then(|v| v.is_truthy()).unwrap_or(false) {
                return Err(super::errors::nwp_error(
                    py,
                    "MqttCredentialsError",
                    "Token refresh failed and no stored credentials are available to sign in again",
                    None,
                ));
            }
            auth.call_method0("re_authenticate")?
        }
    };
    let awaitable = callables::is_awaitable(py)?.call1((&result,))?.is_truthy()?;
    Ok(awaitable.then_some(result))
}
