//! `MqttClientCore`: the Rust half of `NavienMqttClient`. The Python subclass adds the event
//! emitter and the `async def` face; everything that touches the connection is here.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyString};
use rumqttc::QoS;

use super::bridge::{Bridge, Completion};
use super::callables;
use super::config::PyConfig;
use super::credentials::{self, LastAuthError, LoopCredentials};
use super::diagnostics::{new_collector, DiagnosticsCore};
use super::errors::{guarded, nwp_error, op_error, Op};
use super::logging::log;
use super::reader::BridgeReader;
use super::runtime;
use crate::session::{LogLevel, OpError, Outbound, Reply, SessionHandle};

mod delivery;

const LOGGER: &str = "nwp500.mqtt.client";

enum PendingKind {
    Connect,
    Disconnect,
    Publish,
    /// `added`: this call put `callback` on the topic (so a failure takes it off again).
    Subscribe { topic: String, callback: Py<PyAny>, added: bool },
    Unsubscribe,
}

struct Pending {
    future: Py<PyAny>,
    kind: PendingKind,
}

/// Who hears a topic filter. Only the Python objects live here: whether the client is
/// subscribed, and how far each SUBSCRIBE got, is the session's alone.
struct Handlers {
    topic: String,
    callbacks: Vec<Py<PyAny>>,
}

#[pyclass(module = "nwp500._core", name = "MqttClientCore", subclass, weakref)]
pub struct MqttClientCore {
    auth: Py<PyAny>,
    config: Py<PyConfig>,
    unit_system: Py<PyAny>,
    session_id: String,
    session: SessionHandle,
    runtime: &'static tokio::runtime::Handle,
    bridge: Arc<Bridge>,
    reader: Py<BridgeReader>,
    next_id: AtomicU64,
    pending: Mutex<HashMap<u64, Pending>>,
    handlers: Mutex<Vec<Handlers>>,
    last_auth_error: LastAuthError,
    diagnostics: Py<DiagnosticsCore>,
}

fn check_auth(py: Python<'_>, auth: &Bound<'_, PyAny>) -> PyResult<()> {
    let fail = |m: &str| Err(nwp_error(py, "MqttCredentialsError", m, None));
    if !auth.getattr("is_authenticated")?.is_truthy()? {
        return fail("Authentication client must be authenticated before creating MQTT client. Call auth_client.sign_in() first.");
    }
    if !auth.getattr("current_tokens")?.is_truthy()? {
        return fail("No tokens available from auth client");
    }
    if credentials::current_credentials(auth)?.is_none() {
        return fail("AWS credentials not available in auth tokens. Ensure authentication provides AWS IoT credentials.");
    }
    Ok(())
}

fn qos_from(level: u8) -> PyResult<QoS> {
    match level {
        0 => Ok(QoS::AtMostOnce),
        1 => Ok(QoS::AtLeastOnce),
        2 => Ok(QoS::ExactlyOnce),
        other => Err(pyo3::exceptions::PyValueError::new_err(format!("qos must be 0, 1 or 2, got {other}"))),
    }
}

fn encode_payload(py: Python<'_>, payload: &Bound<'_, PyAny>) -> PyResult<Vec<u8>> {
    if let Ok(bytes) = payload.cast::<PyBytes>() {
        return Ok(bytes.as_bytes().to_vec());
    }
    if let Ok(text) = payload.cast::<PyString>() {
        return Ok(text.to_str()?.as_bytes().to_vec());
    }
    if payload.is_instance_of::<PyDict>() || payload.is_instance_of::<pyo3::types::PyList>() {
        // json.dumps with its default separators: what the reference puts on the wire.
        let text: String = callables::json_dumps(py)?.call1((payload,))?.extract()?;
        return Ok(text.into_bytes());
    }
    Err(PyTypeError::new_err(format!("payload must be a dict, str or bytes, not {}", payload.get_type().name()?)))
}

#[pymethods]
impl MqttClientCore {
    #[new]
    #[pyo3(signature = (auth_client, config=None, unit_system=None, *_args, **_kwargs))]
    fn new(
        py: Python<'_>,
        auth_client: Bound<'_, PyAny>,
        config: Option<Bound<'_, PyConfig>>,
        unit_system: Option<Bound<'_, PyAny>>,
        _args: Bound<'_, pyo3::types::PyTuple>,
        _kwargs: Option<Bound<'_, PyDict>>,
    ) -> PyResult<Self> {
        check_auth(py, &auth_client)?;
        let config = match config {
            Some(c) => c.unbind(),
            None => Py::new(
                py,
                PyConfig::py_new_default()?,
            )?,
        };
        let settings = config.borrow(py).settings()?;
        let client_id = settings.client_id.clone();
        let runtime = runtime::handle(py)?;
        let bridge = Bridge::new().map_err(|e| pyo3::exceptions::PyOSError::new_err(e.to_string()))?;
        let collector = new_collector(1000);
        let session = SessionHandle::spawn(
            runtime,
            settings,
            Arc::new(LoopCredentials { bridge: bridge.clone() }),
            bridge.clone(),
            collector.clone(),
        );
        let reader = Py::new(py, BridgeReader::new(bridge.clone()))?;
        log(py, LOGGER, LogLevel::Info, &format!("Initialized MQTT client with ID: {client_id}"));
        Ok(Self {
            auth: auth_client.unbind(),
            config,
            unit_system: unit_system.map_or_else(|| py.None(), |u| u.unbind()),
            session_id: uuid_hex(),
            session,
            runtime,
            bridge,
            reader,
            next_id: AtomicU64::new(1),
            pending: Mutex::new(HashMap::new()),
            handlers: Mutex::new(Vec::new()),
            last_auth_error: Arc::new(Mutex::new(None)),
            diagnostics: Py::new(py, DiagnosticsCore::wrap(collector))?,
        })
    }

    #[getter]
    fn config(&self, py: Python<'_>) -> Py<PyConfig> {
        self.config.clone_ref(py)
    }

    #[getter]
    fn auth_client(&self, py: Python<'_>) -> Py<PyAny> {
        self.auth.clone_ref(py)
    }

    #[getter]
    fn unit_system(&self, py: Python<'_>) -> Py<PyAny> {
        self.unit_system.clone_ref(py)
    }

    /// The collector this client feeds itself (drops with causes, recoveries, publishes).
    #[getter]
    fn _diagnostics_core(&self, py: Python<'_>) -> Py<DiagnosticsCore> {
        self.diagnostics.clone_ref(py)
    }

    #[getter]
    fn session_id(&self) -> String {
        self.session_id.clone()
    }

    #[getter]
    fn client_id(&self, py: Python<'_>) -> String {
        self.config.borrow(py).client_id.clone()
    }

    #[getter]
    fn is_connected(&self) -> bool {
        self.session.shared().is_connected()
    }

    #[getter]
    fn is_reconnecting(&self) -> bool {
        self.session.shared().is_reconnecting()
    }

    #[getter]
    fn reconnect_attempts(&self) -> u32 {
        self.session.shared().attempts()
    }

    /// Seconds until the next reconnect attempt starts, while one waits out its backoff.
    #[getter]
    fn next_reconnect_in(&self) -> Option<f64> {
        self.session.shared().next_attempt_in()
    }

    #[getter]
    fn queued_commands_count(&self) -> usize {
        self.session.shared().queued()
    }

    /// Commands dropped from a full offline queue since the client was made.
    #[getter]
    fn dropped_commands_count(&self) -> u64 {
        self.session.shared().queue_dropped()
    }

    /// Empties the offline queue; returns how many commands were removed.
    fn clear_command_queue(&self, py: Python<'_>) -> usize {
        let n = self.session.shared().clear_queue();
        if n > 0 {
            log(py, "nwp500.mqtt.command_queue", LogLevel::Info, &format!("Cleared {n} queued command(s)"));
        }
        n
    }

    // The client holds Python objects (auth client, callbacks, futures) that commonly refer back
    // to it; taking part in the cycle collector lets such a client be collected, which ends its
    // session and closes its connection.
    fn __traverse__(&self, visit: pyo3::PyVisit<'_>) -> Result<(), pyo3::PyTraverseError> {
        visit.call(&self.auth)?;
        visit.call(&self.config)?;
        visit.call(&self.unit_system)?;
        if let Ok(subs) = self.handlers.try_lock() {
            for callback in subs.iter().flat_map(|s| s.callbacks.iter()) {
                visit.call(callback)?;
            }
        }
        if let Ok(pending) = self.pending.try_lock() {
            for p in pending.values() {
                visit.call(&p.future)?;
                if let PendingKind::Subscribe { callback, .. } = &p.kind {
                    visit.call(callback)?;
                }
            }
        }
        Ok(())
    }

    fn __clear__(&self) {
        self.handlers.lock().unwrap_or_else(|p| p.into_inner()).clear();
        self.pending.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }

    /// Withdraws one callback (compared with `==`) from `topic`; returns how many callbacks the
    /// topic still has, so the caller can unsubscribe when none are left.
    fn _remove_callback(&self, py: Python<'_>, topic: &str, callback: Bound<'_, PyAny>) -> usize {
        let mut subs = self.handlers.lock().unwrap_or_else(|p| p.into_inner());
        let Some(index) = subs.iter().position(|s| s.topic == topic) else { return 0 };
        subs[index].callbacks.retain(|c| !c.bind(py).eq(&callback).unwrap_or(false));
        let left = subs[index].callbacks.len();
        if left == 0 {
            subs.remove(index);
        }
        left
    }

    fn _reset_reconnect(&self) {
        self.session.reset_reconnect();
    }

    /// `{topic: qos}` of the subscriptions the session keeps (granted, or to be restored on the
    /// next link), read from the session itself.
    fn _subscriptions<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let out = PyDict::new(py);
        for (topic, qos) in self.session.shared().subscriptions() {
            out.set_item(topic, qos)?;
        }
        Ok(out)
    }

    /// Queued commands given up because the connection kept dropping while they were in flight.
    #[getter]
    fn failed_commands_count(&self) -> u64 {
        self.session.shared().poisoned()
    }

    fn _connect<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        guarded(slf.py(), || {
            let py = slf.py();
            let this = slf.borrow();
            let settings = this.config.borrow(py).settings()?;
            let (id, future) = this.new_future(slf, PendingKind::Connect)?;
            this.session.connect(settings, this.reply(id, Completion::Connect));
            Ok(future)
        })
    }

    fn _disconnect<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        guarded(slf.py(), || {
            let this = slf.borrow();
            let (id, future) = this.new_future(slf, PendingKind::Disconnect)?;
            let rx = this.session.disconnect();
            this.forward(id, async move { rx.await.map_or(Completion::Abandoned, |()| Completion::Done) });
            Ok(future)
        })
    }

    #[pyo3(signature = (topic, payload, qos=1))]
    fn _publish<'py>(slf: &Bound<'py, Self>, topic: String, payload: Bound<'py, PyAny>, qos: u8) -> PyResult<Bound<'py, PyAny>> {
        guarded(slf.py(), || {
            let py = slf.py();
            let this = slf.borrow();
            let message = Outbound::new(topic, encode_payload(py, &payload)?, qos_from(qos)?);
            let timeout = this.operation_timeout(py)?;
            let (id, future) = this.new_future(slf, PendingKind::Publish)?;
            this.session.publish(message, timeout, this.reply(id, Completion::Publish));
            Ok(future)
        })
    }

    #[pyo3(signature = (topic, callback, qos=1))]
    fn _subscribe<'py>(slf: &Bound<'py, Self>, topic: String, callback: Bound<'py, PyAny>, qos: u8) -> PyResult<Bound<'py, PyAny>> {
        guarded(slf.py(), || {
            let py = slf.py();
            let this = slf.borrow();
            let level = qos_from(qos)?;
            if !callback.is_callable() {
                return Err(PyTypeError::new_err("callback must be callable"));
            }
            if !this.session.shared().is_connected() {
                return Err(op_error(py, Op::Subscribe, &OpError::NotConnected));
            }
            let timeout = this.operation_timeout(py)?;
            let added = {
                let mut subs = this.handlers.lock().unwrap_or_else(|p| p.into_inner());
                match subs.iter_mut().find(|s| s.topic == topic) {
                    // 9.3.0: the same callable twice is registered once.
                    Some(s) if s.callbacks.iter().any(|c| c.bind(py).eq(&callback).unwrap_or(false)) => false,
                    Some(s) => {
                        s.callbacks.push(callback.clone().unbind());
                        true
                    }
                    None => {
                        subs.push(Handlers { topic: topic.clone(), callbacks: vec![callback.clone().unbind()] });
                        true
                    }
                }
            };
            let kind = PendingKind::Subscribe { topic: topic.clone(), callback: callback.unbind(), added };
            let (id, future) = this.new_future(slf, kind)?;
            this.session.subscribe(topic, level, timeout, this.reply(id, Completion::PacketId));
            Ok(future)
        })
    }

    fn _unsubscribe<'py>(slf: &Bound<'py, Self>, topic: String) -> PyResult<Bound<'py, PyAny>> {
        guarded(slf.py(), || {
            let py = slf.py();
            let this = slf.borrow();
            if !this.session.shared().is_connected() {
                return Err(op_error(py, Op::Unsubscribe, &OpError::NotConnected));
            }
            let timeout = this.operation_timeout(py)?;
            this.handlers.lock().unwrap_or_else(|p| p.into_inner()).retain(|s| s.topic != topic);
            let (id, future) = this.new_future(slf, PendingKind::Unsubscribe)?;
            this.session.unsubscribe(topic, timeout, this.reply(id, Completion::PacketId));
            Ok(future)
        })
    }
}

fn uuid_hex() -> String {
    format!("{:032x}", rand::random::<u128>())
}

impl MqttClientCore {
    /// The caller's deadline for one operation, read from the config now (it is mutable, and
    /// checked on every assignment); the session enforces it.
    fn operation_timeout(&self, py: Python<'_>) -> PyResult<std::time::Duration> {
        let secs = self.config.borrow(py).operation_timeout;
        std::time::Duration::try_from_secs_f64(secs)
            .ok()
            .filter(|d| !d.is_zero())
            .ok_or_else(|| pyo3::exceptions::PyValueError::new_err(format!("operation_timeout must be > 0 seconds, got {secs}")))
    }

    /// A future on the running loop, registered under a fresh id. Attaches the bridge to that
    /// loop, so this must run on the loop thread (it does: callers are coroutines).
    fn new_future<'py>(&self, slf: &Bound<'py, Self>, kind: PendingKind) -> PyResult<(u64, Bound<'py, PyAny>)> {
        let py = slf.py();
        let event_loop = callables::get_running_loop(py)?.call0()?;
        BridgeReader::attach(self.reader.bind(py), &event_loop, Some(slf.as_any()))?;
        let future = event_loop.call_method0("create_future")?;
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        self.pending.lock().unwrap_or_else(|p| p.into_inner()).insert(id, Pending { future: future.clone().unbind(), kind });
        Ok((id, future))
    }

    /// Where the session sends the answer to request `id`: straight onto the loop bridge, from
    /// the session's thread (the session answers every request, by its deadline at the latest;
    /// a reply it drops unanswered arrives as abandoned).
    fn reply<T: Send + 'static>(&self, id: u64, wrap: fn(Result<T, OpError>) -> Completion) -> Reply<T> {
        let bridge = self.bridge.clone();
        Reply::call(move |answer| {
            let completion = match answer {
                Some(result) => wrap(result),
                // Dropped while the session task unwinds from a panic: a bug, and the caller
                // must hear it as one, even before the session's crash note is written.
                None if std::thread::panicking() => Completion::Internal("the session task failed (a panic)".into()),
                None => Completion::Abandoned,
            };
            bridge.complete(id, completion)
        })
    }

    /// Waits on the runtime for `outcome` and hands the result to the loop thread.
    fn forward(&self, id: u64, outcome: impl std::future::Future<Output = Completion> + Send + 'static) {
        let bridge = self.bridge.clone();
        self.runtime.spawn(async move {
            let completion = crate::contain::Contained::new(outcome).await.unwrap_or_else(Completion::Internal);
            bridge.complete(id, completion);
        });
    }
}
