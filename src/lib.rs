//! nwp500's Rust core. Layers, arrows pointing down (TARGET §2):
//!
//! ```text
//! python      bindings: pyo3 classes, the loop bridge       (only layer that knows Python)
//! session     the one reconnect authority, offline queue, in-flight tracking
//! transport   endpoints, TLS trust, SigV4 websocket URLs
//! config, backoff, queue, drop_cause, sigv4, topic, ...     pure logic, unit-tested
//! ```

pub mod backoff;
pub mod cloud;
pub mod config;
pub mod contain;
pub mod diagnostics;
pub mod drop_cause;
pub mod protocol;
pub mod queue;
pub mod redact;
pub mod session;
pub mod sigv4;
pub mod timefmt;
pub mod topic;
pub mod transport;

mod python;

use pyo3::prelude::*;

#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    python::register(m)
}
