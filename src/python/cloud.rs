//! `CloudCore`: the Navien REST session behind `NavienAuthClient` and `NavienAPIClient`.
//! Every request runs on the runtime; its result reaches asyncio through the loop bridge.

use std::sync::Arc;
use std::time::Duration;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use reqwest::Method;
use serde_json::{json, Value};

use super::bridge::{Bridge, Resolver};
use super::callables;
use super::errors::{guarded, nwp_error};
use super::reader::BridgeReader;
use crate::cloud::openei::OpenEi;
use crate::cloud::{CloudError, ErrorKind, NavienCloud, Session, Tokens};

#[pyclass(module = "nwp500._core", name = "CloudCore")]
pub struct CloudCore {
    cloud: Arc<NavienCloud>,
    bridge: Arc<Bridge>,
    reader: Py<BridgeReader>,
}

fn to_py(py: Python<'_>, value: &Value) -> PyResult<Py<PyAny>> {
    Ok(callables::json_loads(py)?.call1((value.to_string(),))?.unbind())
}

fn cloud_error(py: Python<'_>, e: &CloudError) -> PyErr {
    let class = match e.kind {
        ErrorKind::InvalidCredentials => "InvalidCredentialsError",
        ErrorKind::Authentication => "AuthenticationError",
        ErrorKind::TokenRefresh => "TokenRefreshError",
        ErrorKind::Api => "APIError",
        ErrorKind::Usage => return PyValueError::new_err(e.message.clone()),
    };
    let kwargs = PyDict::new(py);
    let build = || -> PyResult<()> {
        let key = if e.kind == ErrorKind::Api { "code" } else { "status_code" };
        kwargs.set_item(key, e.status_code)?;
        kwargs.set_item("response", e.response.as_ref().map(|r| to_py(py, r)).transpose()?)?;
        kwargs.set_item("retriable", e.retriable)?;
        Ok(())
    };
    if let Err(err) = build() {
        return err;
    }
    nwp_error(py, class, &e.message, Some(&kwargs))
}

fn session_value(s: &Session) -> Value {
    json!({
        "user_info": s.user_info,
        "tokens": s.tokens.to_json(),
        "legal": s.legal,
        "code": s.code,
        "message": s.message,
    })
}

/// Settles with the JSON value `outcome` produces, or the matching exception.
fn settle_json(result: Result<Value, CloudError>) -> Resolver {
    Box::new(move |py| match result {
        Ok(value) => to_py(py, &value),
        Err(e) => Err(cloud_error(py, &e)),
    })
}

/// A future on the running loop that settles with what `work` returns.
fn run<'py>(
    py: Python<'py>,
    bridge: &Arc<Bridge>,
    reader: &Py<BridgeReader>,
    work: impl std::future::Future<Output = Result<Value, CloudError>> + Send + 'static,
) -> PyResult<Bound<'py, PyAny>> {
    let runtime = super::runtime::handle(py)?;
    let (id, future) = BridgeReader::new_future(reader.bind(py))?;
    BridgeReader::settle_later(runtime, bridge, id, async move { settle_json(work.await) });
    Ok(future)
}

/// A request timeout from Python: positive and bounded, so "now + timeout" never overflows.
fn timeout_from(timeout: f64) -> PyResult<Duration> {
    Duration::try_from_secs_f64(timeout)
        .ok()
        .filter(|d| !d.is_zero() && d.as_secs() <= 86_400 * 365)
        .ok_or_else(|| PyValueError::new_err(format!("timeout must be > 0 seconds and at most a year, got {timeout}")))
}

fn loop_bridge(py: Python<'_>) -> PyResult<(Arc<Bridge>, Py<BridgeReader>)> {
    let bridge = Bridge::new().map_err(|e| pyo3::exceptions::PyOSError::new_err(e.to_string()))?;
    let reader = Py::new(py, BridgeReader::new(bridge.clone()))?;
    Ok((bridge, reader))
}

impl CloudCore {
    fn run<'py>(
        &self,
        py: Python<'py>,
        work: impl std::future::Future<Output = Result<Value, CloudError>> + Send + 'static,
    ) -> PyResult<Bound<'py, PyAny>> {
        run(py, &self.bridge, &self.reader, work)
    }
}

#[pymethods]
impl CloudCore {
    #[new]
    #[pyo3(signature = (base_url, user_id, password, timeout, stored_tokens=None))]
    fn new(py: Python<'_>, base_url: &str, user_id: &str, password: &str, timeout: f64, stored_tokens: Option<&str>) -> PyResult<Self> {
        let timeout = timeout_from(timeout)?;
        let stored = stored_tokens
            .map(|text| {
                let value: Value = serde_json::from_str(text).map_err(|e| PyValueError::new_err(format!("stored_tokens: {e}")))?;
                Tokens::from_json(&value, crate::cloud::now()).map_err(|e| PyValueError::new_err(format!("stored_tokens: {e}")))
            })
            .transpose()?;
        let cloud = NavienCloud::new(base_url, user_id, password, timeout, stored)
            .map_err(|e| cloud_error(py, &e))?;
        let (bridge, reader) = loop_bridge(py)?;
        Ok(Self { cloud: Arc::new(cloud), bridge, reader })
    }

    #[getter]
    fn base_url(&self) -> String {
        self.cloud.base_url.clone()
    }

    #[getter]
    fn user_email(&self) -> Option<String> {
        self.cloud.user_email()
    }

    #[getter]
    fn has_stored_credentials(&self) -> bool {
        self.cloud.has_stored_credentials()
    }

    #[getter]
    fn is_authenticated(&self) -> bool {
        self.cloud.session().is_some()
    }

    /// The session (user info, tokens in storage form) or `None` before sign-in.
    fn session(&self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        self.cloud.session().map(|s| to_py(py, &session_value(&s))).transpose()
    }

    fn sign_in<'py>(&self, py: Python<'py>, user_id: Option<String>, password: Option<String>) -> PyResult<Bound<'py, PyAny>> {
        guarded(py, || {
            let cloud = self.cloud.clone();
            self.run(py, async move { cloud.sign_in(user_id.as_deref(), password.as_deref()).await.map(|s| session_value(&s)) })
        })
    }

    fn refresh<'py>(&self, py: Python<'py>, refresh_token: Option<String>) -> PyResult<Bound<'py, PyAny>> {
        guarded(py, || {
            let cloud = self.cloud.clone();
            self.run(py, async move { cloud.refresh(refresh_token.as_deref()).await.map(|t| t.to_json()) })
        })
    }

    fn ensure_valid<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        guarded(py, || {
            let cloud = self.cloud.clone();
            self.run(py, async move { cloud.ensure_valid().await.map(|t| t.map_or(Value::Null, |t| t.to_json())) })
        })
    }

    fn enter<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        guarded(py, || {
            let cloud = self.cloud.clone();
            self.run(py, async move { cloud.enter().await.map(|()| Value::Null) })
        })
    }

    fn re_authenticate<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        guarded(py, || {
            let cloud = self.cloud.clone();
            self.run(py, async move { cloud.re_authenticate().await.map(|s| session_value(&s)) })
        })
    }

    /// One REST call; `body` is JSON text, `query` name/value pairs. Resolves to the body.
    #[pyo3(signature = (method, path, body=None, query=None))]
    fn request<'py>(
        &self,
        py: Python<'py>,
        method: &str,
        path: String,
        body: Option<&str>,
        query: Option<Vec<(String, String)>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        guarded(py, || {
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).map_err(|e| PyValueError::new_err(format!("method: {e}")))?;
            let body = body
                .map(|text| serde_json::from_str::<Value>(text).map_err(|e| PyValueError::new_err(format!("body: {e}"))))
                .transpose()?;
            let cloud = self.cloud.clone();
            self.run(py, async move { cloud.api(method, &path, body, query.unwrap_or_default()).await })
        })
    }
}

/// `OpenEiCore`: the OpenEI utility-rate client behind `nwp500.openei.OpenEIClient`.
#[pyclass(module = "nwp500._core", name = "OpenEiCore")]
pub struct OpenEiCore {
    client: Arc<OpenEi>,
    bridge: Arc<Bridge>,
    reader: Py<BridgeReader>,
}

#[pymethods]
impl OpenEiCore {
    #[new]
    fn new(py: Python<'_>, url: &str, api_key: &str, timeout: f64) -> PyResult<Self> {
        let client = OpenEi::new(url, api_key, timeout_from(timeout)?).map_err(|e| cloud_error(py, &e))?;
        let (bridge, reader) = loop_bridge(py)?;
        Ok(Self { client: Arc::new(client), bridge, reader })
    }

    /// Resolves to the list of rate plans (JSON objects) OpenEI has for `zip_code`.
    fn rates<'py>(&self, py: Python<'py>, zip_code: String, limit: u32) -> PyResult<Bound<'py, PyAny>> {
        guarded(py, || {
            let client = self.client.clone();
            run(py, &self.bridge, &self.reader, async move { client.rates(&zip_code, limit).await.map(Value::Array) })
        })
    }
}
