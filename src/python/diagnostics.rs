//! `DiagnosticsCore`: the collector behind `MqttDiagnosticsCollector`. Records cross into
//! Python as plain dicts; `nwp500.mqtt.diagnostics` turns them into the 9.3.0 record types.

use std::sync::{Arc, Mutex, MutexGuard};

use pyo3::prelude::*;
use pyo3::types::PyDict;

use super::callables;
use crate::diagnostics::{Collector, DropInput, SystemClock};
use crate::host::{HostMonitor, HostMonitorConfig};
use crate::transport::Endpoint;

pub type SharedCollector = Arc<Mutex<Collector>>;

pub fn new_collector(max_events_retained: usize) -> SharedCollector {
    Arc::new(Mutex::new(Collector::new(max_events_retained, Box::new(SystemClock::default()))))
}

#[pyclass(module = "nwp500._core", name = "DiagnosticsCore")]
pub struct DiagnosticsCore {
    pub(crate) inner: SharedCollector,
    /// The host-signal sampler feeding `inner`, while one runs.
    host_monitor: Mutex<Option<HostMonitor>>,
}

fn json_to_py<'py>(py: Python<'py>, text: &str) -> PyResult<Bound<'py, PyAny>> {
    callables::json_loads(py)?.call1((text,))
}

impl DiagnosticsCore {
    pub(crate) fn wrap(inner: SharedCollector) -> Self {
        Self { inner, host_monitor: Mutex::new(None) }
    }

    fn lock(&self) -> MutexGuard<'_, Collector> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[pymethods]
impl DiagnosticsCore {
    #[new]
    #[pyo3(signature = (max_events_retained=1000))]
    fn new(max_events_retained: i64) -> PyResult<Self> {
        if max_events_retained < 1 {
            return Err(pyo3::exceptions::PyValueError::new_err(format!(
                "max_events_retained must be >= 1, got {max_events_retained}"
            )));
        }
        Ok(Self::wrap(new_collector(max_events_retained as usize)))
    }

    #[getter]
    fn max_events_retained(&self) -> usize {
        self.lock().max_events_retained
    }

    /// Records a drop; returns the record as a dict only when `want_record` (a listener or
    /// verbose logging needs it), because building it costs more than recording.
    #[pyo3(signature = (error_name, error_message, error_code, cause, reconnect_attempt, active_subscriptions, queued_commands, want_record=true, reason_code=None, reason_string=None))]
    #[allow(clippy::too_many_arguments)]
    fn record_drop<'py>(
        &self,
        py: Python<'py>,
        error_name: Option<String>,
        error_message: Option<String>,
        error_code: Option<i64>,
        cause: Option<String>,
        reconnect_attempt: i64,
        active_subscriptions: i64,
        queued_commands: i64,
        want_record: bool,
        reason_code: Option<i64>,
        reason_string: Option<String>,
    ) -> PyResult<Option<Bound<'py, PyAny>>> {
        let record = self.lock().record_drop(DropInput {
            reason_code,
            reason_string,
            error_name,
            error_message,
            error_code,
            cause,
            reconnect_attempt,
            active_subscriptions,
            queued_commands,
        });
        if !want_record {
            return Ok(None);
        }
        json_to_py(py, &crate::diagnostics::export_drop(&record)).map(Some)
    }

    #[pyo3(signature = (event_type, session_present, return_code, attempt_number, want_record=true))]
    fn record_connection<'py>(
        &self,
        py: Python<'py>,
        event_type: &str,
        session_present: bool,
        return_code: Option<i64>,
        attempt_number: i64,
        want_record: bool,
    ) -> PyResult<Option<Bound<'py, PyAny>>> {
        let record = self.lock().record_connection(event_type, session_present, return_code, attempt_number);
        if !want_record {
            return Ok(None);
        }
        json_to_py(py, &crate::diagnostics::export_connection(&record)).map(Some)
    }

    fn record_publish(&self, queued: bool) {
        self.lock().record_publish(queued);
    }

    fn record_disconnect(&self) {
        self.lock().record_disconnect();
    }

    fn record_reconnect_attempt(&self) {
        self.lock().record_reconnect_attempt();
    }

    fn record_system_event(&self, kind: &str, detail: &str) {
        self.lock().record_system_event(kind, detail);
    }

    /// The metrics as a dict; `shortest_session_seconds` is `inf` until a session ended.
    fn metrics<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let metrics = self.lock().metrics();
        let out = json_to_py(py, &crate::diagnostics::export_metrics(&metrics))?;
        if !metrics.shortest_session_seconds.is_finite() {
            out.set_item("shortest_session_seconds", f64::INFINITY)?;
        }
        Ok(out)
    }

    fn recent_drops<'py>(&self, py: Python<'py>, limit: usize) -> PyResult<Vec<Bound<'py, PyAny>>> {
        let drops = self.lock().recent_drops(limit);
        drops.iter().map(|d| json_to_py(py, &crate::diagnostics::export_drop(d))).collect()
    }

    fn recent_connections<'py>(&self, py: Python<'py>, limit: usize) -> PyResult<Vec<Bound<'py, PyAny>>> {
        let records = self.lock().recent_connections(limit);
        records.iter().map(|c| json_to_py(py, &crate::diagnostics::export_connection(c))).collect()
    }

    fn system_events<'py>(&self, py: Python<'py>) -> PyResult<Vec<Bound<'py, PyDict>>> {
        let events = self.lock().system_events();
        events
            .into_iter()
            .map(|e| {
                let d = PyDict::new(py);
                d.set_item("timestamp", e.timestamp)?;
                d.set_item("kind", e.kind)?;
                d.set_item("detail", e.detail)?;
                Ok(d)
            })
            .collect()
    }

    /// The newest `limit` system events (0: all retained), oldest first.
    fn recent_system_events<'py>(&self, py: Python<'py>, limit: usize) -> PyResult<Vec<Bound<'py, PyAny>>> {
        let events = self.lock().recent_system_events(limit);
        events.iter().map(|e| json_to_py(py, &crate::diagnostics::export_system_event(e))).collect()
    }

    /// Starts (or restarts with new settings) the host-signal sampler for `endpoint`; returns
    /// the signals this host cannot give, each with its reason.
    #[pyo3(signature = (interval, endpoint, journal=true))]
    fn start_host_monitor(&self, py: Python<'_>, interval: f64, endpoint: &str, journal: bool) -> PyResult<Vec<String>> {
        if !(interval.is_finite() && (0.5..=86_400.0).contains(&interval)) {
            return Err(pyo3::exceptions::PyValueError::new_err(format!(
                "interval must be between 0.5 and 86400 seconds, got {interval}"
            )));
        }
        let parsed = Endpoint::parse(endpoint).map_err(|e| pyo3::exceptions::PyValueError::new_err(format!("endpoint: {e}")))?;
        let config =
            HostMonitorConfig { interval: std::time::Duration::from_secs_f64(interval), host: parsed.host, port: parsed.port, journal };
        let monitor = HostMonitor::start(super::runtime::handle(py)?, config, self.inner.clone());
        let unavailable = monitor.unavailable.clone();
        // Replacing the old one drops it, which stops it.
        *self.host_monitor.lock().unwrap_or_else(|p| p.into_inner()) = Some(monitor);
        Ok(unavailable)
    }

    fn stop_host_monitor(&self) {
        self.host_monitor.lock().unwrap_or_else(|p| p.into_inner()).take();
    }

    #[getter]
    fn host_monitor_running(&self) -> bool {
        self.host_monitor.lock().unwrap_or_else(|p| p.into_inner()).as_ref().is_some_and(|m| m.is_running())
    }

    fn analyze<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let analysis = self.lock().analyze();
        json_to_py(py, &crate::diagnostics::export_analysis(&analysis))
    }

    fn export_json(&self) -> String {
        self.lock().export_json()
    }

    fn summary_lines(&self) -> Vec<String> {
        self.lock().summary_lines()
    }
}
