//! The tokio runtime every client shares: one thread, `nwp500-io`, drives every session, every
//! link's event loop, every REST call and the host monitor.
//!
//! One thread, not a pool, because the work is a chain of hand-offs: a publish goes from the
//! session task to the link's event loop task to the socket, and its PUBACK back the same way.
//! On one thread each hand-off is a push onto the local run queue; across a pool each can be
//! the wake-up of a parked worker (a futex and a context switch). Measured on this project's
//! 2-core machine, 20 000 publishes awaited one at a time: 9.1 k/s against 7.4 k/s for two
//! workers, half the context switches (60 k against 115 k) and a quarter less CPU; 1000 in
//! flight level. The protocol work is small, so one thread keeps up with many connections,
//! and it keeps the footprint small inside Home Assistant. Blocking calls (DNS lookups) go to
//! tokio's blocking pool as before; nothing here may block the thread.

use std::sync::{Mutex, OnceLock};

use pyo3::prelude::*;

/// The shared runtime, started on first use. A start that fails (no descriptor left for its
/// epoll instance, no thread allowed) is an `Nwp500Error` naming why, and the next call
/// tries again: nothing half-started is kept.
pub fn handle(py: Python<'_>) -> PyResult<&'static tokio::runtime::Handle> {
    static HANDLE: OnceLock<tokio::runtime::Handle> = OnceLock::new();
    static STARTING: Mutex<()> = Mutex::new(());
    if let Some(handle) = HANDLE.get() {
        return Ok(handle);
    }
    let started = {
        // Held only around Rust code that never lets go of the interpreter: a thread waiting
        // here while holding it must not wait for one that needs it back. So no detaching
        // (starting takes well under a millisecond), and the Python error is built after.
        let _one_at_a_time = STARTING.lock().unwrap_or_else(|p| p.into_inner());
        match HANDLE.get() {
            Some(handle) => Ok(handle),
            None => start().map(|started| HANDLE.get_or_init(|| started)),
        }
    };
    started.map_err(|why| super::errors::nwp_error(py, "Nwp500Error", &format!("cannot start nwp500's I/O thread: {why}"), None))
}

fn start() -> Result<tokio::runtime::Handle, String> {
    // tokio's signal driver panics (rather than failing) when it cannot make its socket pair.
    let built = crate::contain::contain(|| {
        tokio::runtime::Builder::new_current_thread().thread_name("nwp500-io").enable_all().build()
    });
    let runtime = built?.map_err(|e| e.to_string())?;
    let handle = runtime.handle().clone();
    let (parked, park) = std::sync::mpsc::channel::<&'static tokio::runtime::Runtime>();
    // The runtime lives as long as the process and its thread never ends, so nothing is torn
    // down while the interpreter finalises (the exit crash in the field notes). It is leaked
    // only once the thread exists: a failed spawn drops it here instead.
    std::thread::Builder::new().name("nwp500-io".into()).spawn(move || {
        if let Ok(runtime) = park.recv() {
            runtime.block_on(std::future::pending::<()>())
        }
    })
    .map_err(|e| e.to_string())?;
    let runtime: &'static tokio::runtime::Runtime = Box::leak(Box::new(runtime));
    let _ = parked.send(runtime);
    // Anything that asks pyo3-async-runtimes for a runtime gets this one.
    let _ = pyo3_async_runtimes::tokio::init_with_runtime(runtime);
    Ok(handle)
}
