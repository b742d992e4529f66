//! The Python callables the bindings call (per message, per operation, per record), looked
//! up once.
//!
//! `py.import("json")` on every inbound message costs an import-lock round trip and two
//! dictionary lookups; caching the bound function keeps the loop thread's share per message
//! down. The cells live for the process: the objects are never dropped, so nothing runs at
//! interpreter exit.

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;

macro_rules! cached {
    ($(#[$doc:meta])* $name:ident = $module:literal . $attr:literal) => {
        $(#[$doc])*
        pub(crate) fn $name(py: Python<'_>) -> PyResult<&Bound<'_, PyAny>> {
            static CELL: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
            CELL.import(py, $module, $attr)
        }
    };
}

cached!(/// `json.loads`
    json_loads = "json"."loads");
cached!(/// `json.dumps`
    json_dumps = "json"."dumps");
cached!(/// `inspect.isawaitable`
    is_awaitable = "inspect"."isawaitable");
cached!(/// `asyncio.ensure_future`
    ensure_future = "asyncio"."ensure_future");
cached!(/// `asyncio.get_running_loop`
    get_running_loop = "asyncio"."get_running_loop");
