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

use std::sync::OnceLock;

pub fn handle() -> &'static tokio::runtime::Handle {
    static HANDLE: OnceLock<tokio::runtime::Handle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .thread_name("nwp500-io")
            .enable_all()
            .build()
            .expect("nwp500: cannot start the tokio runtime");
        // The runtime lives as long as the process and its thread never ends, so nothing is
        // torn down while the interpreter finalises (the exit crash in the field notes).
        let runtime: &'static tokio::runtime::Runtime = Box::leak(Box::new(runtime));
        std::thread::Builder::new()
            .name("nwp500-io".into())
            .spawn(move || runtime.block_on(std::future::pending::<()>()))
            .expect("nwp500: cannot start the runtime thread");
        // Anything that asks pyo3-async-runtimes for a runtime gets this one.
        let _ = pyo3_async_runtimes::tokio::init_with_runtime(runtime);
        runtime.handle().clone()
    })
}
