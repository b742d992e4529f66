//! nwp500's Rust core. Layers, arrows pointing down (TARGET §2):
//!
//! ```text
//! python      bindings: pyo3 classes, the loop bridge       (only layer that knows Python)
//! session     the one reconnect authority, offline queue, in-flight tracking
//! transport   endpoints, SigV4 websocket URLs; tls: the one TLS stack (rustls + ring)
//! host        the host monitor: /proc, /sys, DNS and TCP probes, the journal -> diagnostics
//! config, backoff, queue, drop_cause, reason_code, sigv4, topic, ...   pure logic, unit-tested
//! ```
//!
//! One owner per fact. Every piece of connection state has exactly one home, in the session
//! task; everything else reads it and never keeps a copy that could disagree after a drop:
//!
//! | fact | owner | readers |
//! |---|---|---|
//! | which topics are subscribed, and how far (requested, active, restoring) | `session::subscriptions::Subscriptions` | `Shared::subscriptions()` (a snapshot the task publishes after each change) |
//! | requests in flight, their callers and deadlines | `session::inflight::Inflight` | nobody: callers get one answer, at their deadline at the latest |
//! | queued commands | `queue::OfflineQueue` inside `session::Shared` | `queued_commands_count`, `clear_command_queue()` |
//! | connected / reconnecting / attempt budget | `session::authority::Authority` | atomics in `Shared` |
//! | `connect()` calls waiting for an attempt | `Authority::waiting_connects` | answered by the next attempt, never by a copy |
//!
//! The bindings keep only Python objects: the callbacks per topic filter (`Handlers` in
//! `python::client`) and the futures awaiting a completion. A callback comes off when its
//! SUBSCRIBE fails or the session reports the subscription lost.
//!
//! Answers follow the state they report: the session updates its own view (subscriptions,
//! queue) before it answers the request (`session::Reply`), because the bindings' reply pushes
//! the answer onto the loop bridge at once and the woken caller may read that view next. One
//! runtime thread (`python::runtime`) drives every session and link.

pub mod backoff;
pub mod cloud;
pub mod config;
pub mod contain;
pub mod diagnostics;
pub mod drop_cause;
pub mod host;
pub mod protocol;
pub mod queue;
pub mod reason_code;
pub mod redact;
pub mod session;
pub mod sigv4;
pub mod timefmt;
pub mod tls;
pub mod topic;
pub mod transport;

mod python;

use pyo3::prelude::*;

#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    python::register(m)
}
