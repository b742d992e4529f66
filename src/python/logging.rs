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

/// Emits a record whose source is the Rust core: `logger.log()` would stamp it with whatever
/// Python frame happens to be running (asyncio's, usually), which misleads a reader.
pub fn log(py: Python<'_>, target: &str, level: LogLevel, message: &str) {
    let _ = (|| -> PyResult<()> {
        let logger = py.import("logging")?.call_method1("getLogger", (target,))?;
        let level = level_number(level);
        if !logger.call_method1("isEnabledFor", (level,))?.is_truthy()? {
            return Ok(());
        }
        let record = logger.call_method1(
            "makeRecord",
            (target, level, "nwp500/_core (Rust)", 0, "%s", (message,), py.None(), "core"),
        )?;
        logger.call_method1("handle", (record,))?;
        Ok(())
    })();
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
