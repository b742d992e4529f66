//! The Python face of the core: `nwp500._core`. Nothing below `crate::session` knows about
//! Python; everything Python-specific lives here.

mod bridge;
mod callables;
mod client;
mod cloud;
mod config;
mod credentials;
mod diagnostics;
mod errors;
mod logging;
mod protocol;
mod reader;
mod runtime;

use pyo3::prelude::*;

use crate::sigv4::{presign_query, AwsCredentials, PresignRequest, IOT_SERVICE};
use crate::timefmt::UtcTime;

/// `topic_matches_pattern(topic, pattern)`: MQTT filter matching with nwp500's rules.
#[pyfunction]
fn topic_matches_pattern(topic: &str, pattern: &str) -> bool {
    crate::topic::matches(topic, pattern)
}

/// The presigned websocket query string for fixed inputs; exposed so tests can check the
/// signer against an independent SigV4 implementation.
#[pyfunction]
#[pyo3(signature = (host, path, region, access_key_id, secret_key, session_token, unix_time, expires=None, service=IOT_SERVICE))]
#[allow(clippy::too_many_arguments)]
fn presign_websocket_query(
    host: &str,
    path: &str,
    region: &str,
    access_key_id: String,
    secret_key: String,
    session_token: Option<String>,
    unix_time: i64,
    expires: Option<u32>,
    service: &str,
) -> String {
    let creds = AwsCredentials { access_key_id, secret_key, session_token };
    let request = PresignRequest { host, path, region, service, time: UtcTime::from_unix(unix_time, 0), expires };
    presign_query(&request, &creds)
}

/// `drop_cause_for_error_name(name)`: the cause taxonomy entry an AWS CRT error name implies.
#[pyfunction]
fn drop_cause_for_error_name(name: &str) -> Option<&'static str> {
    crate::drop_cause::cause_for_crt_name(name).map(|c| c.as_str())
}

/// Test probe of the panic containment: panics inside a binding entry point (`"call"`) or
/// inside a future on the runtime (`"future"`, returns an awaitable). Either way Python must
/// see an `Nwp500Error` saying it was an internal error, never a hang or a `BaseException`.
#[pyfunction]
fn _internal_error_probe<'py>(py: Python<'py>, place: &str) -> PyResult<Bound<'py, PyAny>> {
    errors::guarded(py, || {
        if place == "call" {
            panic!("probe: a bug inside a call");
        }
        let bridge = bridge::Bridge::new().map_err(|e| pyo3::exceptions::PyOSError::new_err(e.to_string()))?;
        let reader = Bound::new(py, reader::BridgeReader::new(bridge.clone()))?;
        let runtime = runtime::handle(py)?;
        let (id, future) = reader::BridgeReader::new_future(&reader)?;
        reader::BridgeReader::settle_later(runtime, &bridge, id, async move {
            panic!("probe: a bug inside a future");
            #[allow(unreachable_code)]
            {
                let resolver: bridge::Resolver = Box::new(|py| Ok(py.None()));
                resolver
            }
        });
        Ok(future)
    })
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(_internal_error_probe, m)?)?;
    m.add_class::<config::PyConfig>()?;
    m.add_class::<client::MqttClientCore>()?;
    m.add_class::<diagnostics::DiagnosticsCore>()?;
    m.add_class::<cloud::CloudCore>()?;
    m.add_class::<cloud::OpenEiCore>()?;
    m.add("OPENEI_API_URL", crate::cloud::openei::OPENEI_API_URL)?;
    m.add("OPENEI_API_VERSION", crate::cloud::openei::OPENEI_API_VERSION)?;
    m.add_function(wrap_pyfunction!(topic_matches_pattern, m)?)?;
    m.add_function(wrap_pyfunction!(protocol::build_command, m)?)?;
    m.add_function(wrap_pyfunction!(protocol::fahrenheit_to_half_celsius, m)?)?;
    m.add_function(wrap_pyfunction!(drop_cause_for_error_name, m)?)?;
    m.add_function(wrap_pyfunction!(presign_websocket_query, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
