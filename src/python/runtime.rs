//! The tokio runtime every client shares: two worker threads are plenty for a handful of
//! connections, and keep the footprint small inside Home Assistant.

pub fn handle() -> &'static tokio::runtime::Handle {
    static INIT: std::sync::Once = std::sync::Once::new();
    INIT.call_once(|| {
        let mut builder = tokio::runtime::Builder::new_multi_thread();
        builder.worker_threads(2).thread_name("nwp500-io").enable_all();
        pyo3_async_runtimes::tokio::init(builder);
    });
    pyo3_async_runtimes::tokio::get_runtime().handle()
}
