//! Log records go through Python's `logging`, under `nwp500.*` logger names, on the loop thread.

use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::session::LogLevel;

fn level_number(level: LogLevel) -> u8 {
    match level {
        LogLevel::Debug => 10,
        LogLevel::Info => 20,
        LogLevel::Warning => 30,
        LogLevel::Error => 40,
    }
}

pub fn log(py: Python<'_>, target: &str, level: LogLevel, message: &str) {
    let _ = py
        .import("logging")
        .and_then(|logging| logging.call_method1("getLogger", (target,)))
        .and_then(|logger| logger.call_method1("log", (level_number(level), "%s", message)));
}

/// Logs an error with its traceback, as `logger.exception` would.
pub fn log_exception(py: Python<'_>, target: &str, context: &str, err: &PyErr) {
    let _ = (|| -> PyResult<()> {
        let logger = py.import("logging")?.call_method1("getLogger", (target,))?;
        let kwargs = PyDict::new(py);
        kwargs.set_item("exc_info", err.value(py))?;
        logger.call_method("error", ("%s: %s", context, err.value(py)), Some(&kwargs))?;
        Ok(())
    })();
}
