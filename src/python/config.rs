//! `MqttConnectionConfig`: the mutable, keyword-constructible config record of nwp500 9.3.0,
//! plus `ping_timeout` and `reconnect_jitter`. Values are checked when it is built and again
//! when a client uses it (it is mutable), so a bad value is a `ValueError` naming the field.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use crate::config::{
    generate_client_id, ConnectionSettings, RawConfig, DEFAULT_AWS_IOT_ENDPOINT, DEFAULT_PING_TIMEOUT, DEFAULT_REGION,
    DEFAULT_SESSION_EXPIRY_SECS, ENDPOINT_ENV,
};

#[pyclass(module = "nwp500._core", name = "MqttConnectionConfig", eq)]
#[derive(Clone, PartialEq)]
pub struct PyConfig {
    #[pyo3(get)]
    pub endpoint: String,
    #[pyo3(get)]
    pub region: String,
    #[pyo3(get)]
    pub client_id: String,
    #[pyo3(get)]
    pub clean_session: bool,
    #[pyo3(get)]
    pub keep_alive_secs: i64,
    #[pyo3(get)]
    pub auto_reconnect: bool,
    #[pyo3(get)]
    pub max_reconnect_attempts: i64,
    #[pyo3(get)]
    pub initial_reconnect_delay: f64,
    #[pyo3(get)]
    pub max_reconnect_delay: f64,
    #[pyo3(get)]
    pub reconnect_backoff_multiplier: f64,
    #[pyo3(get)]
    pub deep_reconnect_threshold: i64,
    #[pyo3(get)]
    pub operation_timeout: f64,
    #[pyo3(get)]
    pub enable_command_queue: bool,
    #[pyo3(get)]
    pub max_queued_commands: i64,
    #[pyo3(get)]
    pub max_queued_command_age: Option<f64>,
    #[pyo3(get)]
    pub ping_timeout: f64,
    #[pyo3(get)]
    pub reconnect_jitter: bool,
    #[pyo3(get)]
    pub mqtt5: bool,
    #[pyo3(get)]
    pub session_expiry_interval: i64,
}

fn default_endpoint() -> String {
    std::env::var(ENDPOINT_ENV).ok().map(|v| v.trim().to_string()).filter(|v| !v.is_empty()).unwrap_or_else(|| DEFAULT_AWS_IOT_ENDPOINT.to_string())
}

#[pymethods]
impl PyConfig {
    #[new]
    #[pyo3(signature = (
        endpoint=None, region=None, client_id=None, clean_session=true, keep_alive_secs=1200,
        auto_reconnect=true, max_reconnect_attempts=-1, initial_reconnect_delay=1.0,
        max_reconnect_delay=120.0, reconnect_backoff_multiplier=2.0, deep_reconnect_threshold=10,
        operation_timeout=30.0, enable_command_queue=true, max_queued_commands=100,
        max_queued_command_age=Some(300.0), ping_timeout=DEFAULT_PING_TIMEOUT, reconnect_jitter=true,
        mqtt5=false, session_expiry_interval=DEFAULT_SESSION_EXPIRY_SECS
    ))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        endpoint: Option<String>,
        region: Option<String>,
        client_id: Option<String>,
        clean_session: bool,
        keep_alive_secs: i64,
        auto_reconnect: bool,
        max_reconnect_attempts: i64,
        initial_reconnect_delay: f64,
        max_reconnect_delay: f64,
        reconnect_backoff_multiplier: f64,
        deep_reconnect_threshold: i64,
        operation_timeout: f64,
        enable_command_queue: bool,
        max_queued_commands: i64,
        max_queued_command_age: Option<f64>,
        ping_timeout: f64,
        reconnect_jitter: bool,
        mqtt5: bool,
        session_expiry_interval: i64,
    ) -> PyResult<Self> {
        let config = Self {
            endpoint: endpoint.filter(|e| !e.trim().is_empty()).unwrap_or_else(default_endpoint),
            region: region.unwrap_or_else(|| DEFAULT_REGION.to_string()),
            client_id: client_id.filter(|c| !c.is_empty()).unwrap_or_else(generate_client_id),
            clean_session,
            keep_alive_secs,
            auto_reconnect,
            max_reconnect_attempts,
            initial_reconnect_delay,
            max_reconnect_delay,
            reconnect_backoff_multiplier,
            // 9.3.0 clamps a threshold below one.
            deep_reconnect_threshold: deep_reconnect_threshold.max(1),
            operation_timeout,
            enable_command_queue,
            max_queued_commands,
            max_queued_command_age,
            ping_timeout,
            reconnect_jitter,
            mqtt5,
            session_expiry_interval,
        };
        config.settings()?;
        Ok(config)
    }

    fn __repr__(&self) -> String {
        let age = self.max_queued_command_age.map_or("None".to_string(), |a| format!("{a:?}"));
        format!(
            "MqttConnectionConfig(endpoint={:?}, region={:?}, client_id={:?}, clean_session={}, keep_alive_secs={}, \
             auto_reconnect={}, max_reconnect_attempts={}, initial_reconnect_delay={:?}, max_reconnect_delay={:?}, \
             reconnect_backoff_multiplier={:?}, deep_reconnect_threshold={}, operation_timeout={:?}, \
             enable_command_queue={}, max_queued_commands={}, max_queued_command_age={}, ping_timeout={:?}, \
             reconnect_jitter={}, mqtt5={}, session_expiry_interval={})",
            self.endpoint, self.region, self.client_id, py_bool(self.clean_session), self.keep_alive_secs,
            py_bool(self.auto_reconnect), self.max_reconnect_attempts, self.initial_reconnect_delay,
            self.max_reconnect_delay, self.reconnect_backoff_multiplier, self.deep_reconnect_threshold,
            self.operation_timeout, py_bool(self.enable_command_queue), self.max_queued_commands, age,
            self.ping_timeout, py_bool(self.reconnect_jitter), py_bool(self.mqtt5), self.session_expiry_interval
        )
    }

    /// Checks every value again (the record is mutable); raises `ValueError` naming the field.
    fn validate(&self) -> PyResult<()> {
        self.settings().map(|_| ())
    }

    // Every assignment is checked: a bad value is a `ValueError` naming the field, and the
    // record keeps its old value (a bad deadline must never reach a running client).
    #[setter]
    fn set_endpoint(&mut self, value: String) -> PyResult<()> {
        self.assign("endpoint", |c| c.endpoint = value)
    }

    #[setter]
    fn set_region(&mut self, value: String) -> PyResult<()> {
        self.assign("region", |c| c.region = value)
    }

    #[setter]
    fn set_client_id(&mut self, value: String) -> PyResult<()> {
        self.assign("client_id", |c| c.client_id = value)
    }

    #[setter]
    fn set_clean_session(&mut self, value: bool) -> PyResult<()> {
        self.assign("clean_session", |c| c.clean_session = value)
    }

    #[setter]
    fn set_keep_alive_secs(&mut self, value: i64) -> PyResult<()> {
        self.assign("keep_alive_secs", |c| c.keep_alive_secs = value)
    }

    #[setter]
    fn set_auto_reconnect(&mut self, value: bool) -> PyResult<()> {
        self.assign("auto_reconnect", |c| c.auto_reconnect = value)
    }

    #[setter]
    fn set_max_reconnect_attempts(&mut self, value: i64) -> PyResult<()> {
        self.assign("max_reconnect_attempts", |c| c.max_reconnect_attempts = value)
    }

    #[setter]
    fn set_initial_reconnect_delay(&mut self, value: f64) -> PyResult<()> {
        self.assign("initial_reconnect_delay", |c| c.initial_reconnect_delay = value)
    }

    #[setter]
    fn set_max_reconnect_delay(&mut self, value: f64) -> PyResult<()> {
        self.assign("max_reconnect_delay", |c| c.max_reconnect_delay = value)
    }

    #[setter]
    fn set_reconnect_backoff_multiplier(&mut self, value: f64) -> PyResult<()> {
        self.assign("reconnect_backoff_multiplier", |c| c.reconnect_backoff_multiplier = value)
    }

    #[setter]
    fn set_deep_reconnect_threshold(&mut self, value: i64) -> PyResult<()> {
        // 9.3.0 clamps a threshold below one.
        self.assign("deep_reconnect_threshold", |c| c.deep_reconnect_threshold = value.max(1))
    }

    #[setter]
    fn set_operation_timeout(&mut self, value: f64) -> PyResult<()> {
        self.assign("operation_timeout", |c| c.operation_timeout = value)
    }

    #[setter]
    fn set_enable_command_queue(&mut self, value: bool) -> PyResult<()> {
        self.assign("enable_command_queue", |c| c.enable_command_queue = value)
    }

    #[setter]
    fn set_max_queued_commands(&mut self, value: i64) -> PyResult<()> {
        self.assign("max_queued_commands", |c| c.max_queued_commands = value)
    }

    #[setter]
    fn set_max_queued_command_age(&mut self, value: Option<f64>) -> PyResult<()> {
        self.assign("max_queued_command_age", |c| c.max_queued_command_age = value)
    }

    #[setter]
    fn set_ping_timeout(&mut self, value: f64) -> PyResult<()> {
        self.assign("ping_timeout", |c| c.ping_timeout = value)
    }

    #[setter]
    fn set_reconnect_jitter(&mut self, value: bool) -> PyResult<()> {
        self.assign("reconnect_jitter", |c| c.reconnect_jitter = value)
    }

    #[setter]
    fn set_mqtt5(&mut self, value: bool) -> PyResult<()> {
        self.assign("mqtt5", |c| c.mqtt5 = value)
    }

    #[setter]
    fn set_session_expiry_interval(&mut self, value: i64) -> PyResult<()> {
        self.assign("session_expiry_interval", |c| c.session_expiry_interval = value)
    }
}

fn py_bool(b: bool) -> &'static str {
    if b {
        "True"
    } else {
        "False"
    }
}

impl PyConfig {
    /// `MqttConnectionConfig()` with every default, for a client given no config.
    pub fn py_new_default() -> PyResult<Self> {
        Self::new(None, None, None, true, 1200, true, -1, 1.0, 120.0, 2.0, 10, 30.0, true, 100, Some(300.0), DEFAULT_PING_TIMEOUT, true, false, DEFAULT_SESSION_EXPIRY_SECS)
    }

    fn assign(&mut self, field: &str, set: impl FnOnce(&mut Self)) -> PyResult<()> {
        let mut next = self.clone();
        set(&mut next);
        next.raw().check_field(field).map_err(|e| PyValueError::new_err(e.to_string()))?;
        *self = next;
        Ok(())
    }

    pub fn settings(&self) -> PyResult<ConnectionSettings> {
        self.raw().validate().map_err(|e| PyValueError::new_err(e.to_string()))
    }

    fn raw(&self) -> RawConfig {
        RawConfig {
            endpoint: self.endpoint.clone(),
            region: self.region.clone(),
            client_id: self.client_id.clone(),
            clean_session: self.clean_session,
            keep_alive_secs: self.keep_alive_secs,
            auto_reconnect: self.auto_reconnect,
            max_reconnect_attempts: self.max_reconnect_attempts,
            initial_reconnect_delay: self.initial_reconnect_delay,
            max_reconnect_delay: self.max_reconnect_delay,
            reconnect_backoff_multiplier: self.reconnect_backoff_multiplier,
            deep_reconnect_threshold: self.deep_reconnect_threshold,
            operation_timeout: self.operation_timeout,
            enable_command_queue: self.enable_command_queue,
            max_queued_commands: self.max_queued_commands,
            max_queued_command_age: self.max_queued_command_age,
            ping_timeout: self.ping_timeout,
            reconnect_jitter: self.reconnect_jitter,
            mqtt5: self.mqtt5,
            session_expiry_interval: self.session_expiry_interval,
        }
    }
}
