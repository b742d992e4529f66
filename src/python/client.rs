//! `MqttClientCore`: the Rust half of `NavienMqttClient`. The Python subclass adds the event
//! emitter and the `async def` face; everything that touches the connection is here.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyString};
use rumqttc::QoS;

use super::bridge::{Bridge, Completion, Delivery};
use super::config::PyConfig;
use super::credentials::{self, LastAuthError, LoopCredentials};
use super::diagnostics::{new_collector, DiagnosticsCore};
use super::errors::{drop_error_object, nwp_error, op_error, timeout_error, Op};
use super::logging::{log, log_exception};
use super::reader::BridgeReader;
use super::runtime;
use crate::session::{LogLevel, OpError, Outbound, PublishOutcome, SessionEvent, SessionHandle};

const LOGGER: &str = "nwp500.mqtt.client";

enum PendingKind {
    Connect,
    Disconnect,
    Publish,
    Subscribe { topic: String, callback: Py<PyAny> },
    Unsubscribe,
}

struct Pending {
    future: Py<PyAny>,
    kind: PendingKind,
}

struct Subscription {
    topic: String,
    qos: u8,
    /// The broker acknowledged it; until then a second subscribe to the topic waits its turn.
    confirmed: bool,
    callbacks: Vec<Py<PyAny>>,
}

#[pyclass(module = "nwp500._core", name = "MqttClientCore", subclass, weakref)]
pub struct MqttClientCore {
    auth: Py<PyAny>,
    config: Py<PyConfig>,
    unit_system: Py<PyAny>,
    session_id: String,
    session: SessionHandle,
    bridge: Arc<Bridge>,
    reader: Py<BridgeReader>,
    next_id: AtomicU64,
    pending: Mutex<HashMap<u64, Pending>>,
    subscriptions: Mutex<Vec<Subscription>>,
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
        let text: String = py.import("json")?.call_method1("dumps", (payload,))?.extract()?;
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
        let bridge = Bridge::new().map_err(|e| pyo3::exceptions::PyOSError::new_err(e.to_string()))?;
        let collector = new_collector(1000);
        let session = SessionHandle::spawn(
            runtime::handle(),
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
            bridge,
            reader,
            next_id: AtomicU64::new(1),
            pending: Mutex::new(HashMap::new()),
            subscriptions: Mutex::new(Vec::new()),
            last_auth_error: Arc::new(Mutex::new(None)),
            diagnostics: Py::new(py, DiagnosticsCore { inner: collector })?,
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
        if let Ok(subs) = self.subscriptions.try_lock() {
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
        self.subscriptions.lock().unwrap_or_else(|p| p.into_inner()).clear();
        self.pending.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }

    /// Withdraws one callback (compared with `==`) from `topic`; returns how many callbacks the
    /// topic still has, so the caller can unsubscribe when none are left.
    fn _remove_callback(&self, py: Python<'_>, topic: &str, callback: Bound<'_, PyAny>) -> usize {
        let mut subs = self.subscriptions.lock().unwrap_or_else(|p| p.into_inner());
        let Some(s) = subs.iter_mut().find(|s| s.topic == topic) else { return 0 };
        s.callbacks.retain(|c| !c.bind(py).eq(&callback).unwrap_or(false));
        s.callbacks.len()
    }

    fn _reset_reconnect(&self) {
        self.session.reset_reconnect();
    }

    /// `{topic: qos}` of the subscriptions the broker confirmed.
    fn _subscriptions<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let out = PyDict::new(py);
        for s in self.subscriptions.lock().unwrap_or_else(|p| p.into_inner()).iter().filter(|s| s.confirmed) {
            out.set_item(&s.topic, s.qos)?;
        }
        Ok(out)
    }

    fn _connect<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        let py = slf.py();
        let this = slf.borrow();
        let settings = this.config.borrow(py).settings()?;
        let (id, future) = this.new_future(slf, PendingKind::Connect)?;
        let rx = this.session.connect(settings);
        this.forward(id, None, async move { rx.await.map_or(Completion::Abandoned, Completion::Connect) });
        Ok(future)
    }

    fn _disconnect<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        let this = slf.borrow();
        let (id, future) = this.new_future(slf, PendingKind::Disconnect)?;
        let rx = this.session.disconnect();
        this.forward(id, None, async move { rx.await.map_or(Completion::Abandoned, |()| Completion::Done) });
        Ok(future)
    }

    #[pyo3(signature = (topic, payload, qos=1))]
    fn _publish<'py>(slf: &Bound<'py, Self>, topic: String, payload: Bound<'py, PyAny>, qos: u8) -> PyResult<Bound<'py, PyAny>> {
        let py = slf.py();
        let this = slf.borrow();
        let message = Outbound { topic, payload: encode_payload(py, &payload)?, qos: qos_from(qos)? };
        let (id, future) = this.new_future(slf, PendingKind::Publish)?;
        let rx = this.session.publish(message);
        this.forward(id, Some(("publish", this.operation_timeout(py))), async move {
            rx.await.map_or(Completion::Abandoned, Completion::Publish)
        });
        Ok(future)
    }

    #[pyo3(signature = (topic, callback, qos=1))]
    fn _subscribe<'py>(slf: &Bound<'py, Self>, topic: String, callback: Bound<'py, PyAny>, qos: u8) -> PyResult<Bound<'py, PyAny>> {
        let py = slf.py();
        let this = slf.borrow();
        let level = qos_from(qos)?;
        if !callback.is_callable() {
            return Err(PyTypeError::new_err("callback must be callable"));
        }
        if !this.session.shared().is_connected() {
            return Err(op_error(py, Op::Subscribe, &OpError::NotConnected));
        }
        let already = {
            let mut subs = this.subscriptions.lock().unwrap_or_else(|p| p.into_inner());
            match subs.iter_mut().find(|s| s.topic == topic) {
                Some(s) => {
                    // 9.3.0: the same callable twice is registered once; one SUBSCRIBE per topic.
                    if !s.callbacks.iter().any(|c| c.bind(py).eq(&callback).unwrap_or(false)) {
                        s.callbacks.push(callback.clone().unbind());
                    }
                    s.confirmed
                }
                None => {
                    subs.push(Subscription { topic: topic.clone(), qos, confirmed: false, callbacks: vec![callback.clone().unbind()] });
                    false
                }
            }
        };
        let (id, future) = this.new_future(slf, PendingKind::Subscribe { topic: topic.clone(), callback: callback.unbind() })?;
        if already {
            this.bridge.complete(id, Completion::PacketId(Ok(0)));
            return Ok(future);
        }
        let rx = this.session.subscribe(topic, level);
        this.forward(id, Some(("subscribe", this.operation_timeout(py))), async move {
            rx.await.map_or(Completion::Abandoned, Completion::PacketId)
        });
        Ok(future)
    }

    fn _unsubscribe<'py>(slf: &Bound<'py, Self>, topic: String) -> PyResult<Bound<'py, PyAny>> {
        let py = slf.py();
        let this = slf.borrow();
        if !this.session.shared().is_connected() {
            return Err(op_error(py, Op::Unsubscribe, &OpError::NotConnected));
        }
        this.subscriptions.lock().unwrap_or_else(|p| p.into_inner()).retain(|s| s.topic != topic);
        let (id, future) = this.new_future(slf, PendingKind::Unsubscribe)?;
        let rx = this.session.unsubscribe(topic);
        this.forward(id, Some(("unsubscribe", this.operation_timeout(py))), async move {
            rx.await.map_or(Completion::Abandoned, Completion::PacketId)
        });
        Ok(future)
    }
}

fn uuid_hex() -> String {
    format!("{:032x}", rand::random::<u128>())
}

impl MqttClientCore {
    fn operation_timeout(&self, py: Python<'_>) -> f64 {
        self.config.borrow(py).operation_timeout
    }

    /// A future on the running loop, registered under a fresh id. Attaches the bridge to that
    /// loop, so this must run on the loop thread (it does: callers are coroutines).
    fn new_future<'py>(&self, slf: &Bound<'py, Self>, kind: PendingKind) -> PyResult<(u64, Bound<'py, PyAny>)> {
        let py = slf.py();
        let event_loop = py.import("asyncio")?.call_method0("get_running_loop")?;
        BridgeReader::attach(self.reader.bind(py), &event_loop, Some(slf.as_any()))?;
        let future = event_loop.call_method0("create_future")?;
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        self.pending.lock().unwrap_or_else(|p| p.into_inner()).insert(id, Pending { future: future.clone().unbind(), kind });
        Ok((id, future))
    }

    /// Waits on the runtime for `outcome` (bounded by `timeout` when given) and hands the result
    /// to the loop thread.
    fn forward(&self, id: u64, timeout: Option<(&'static str, f64)>, outcome: impl std::future::Future<Output = Completion> + Send + 'static) {
        let bridge = self.bridge.clone();
        runtime::handle().spawn(async move {
            let completion = match timeout {
                Some((what, secs)) => tokio::time::timeout(std::time::Duration::from_secs_f64(secs), outcome)
                    .await
                    .unwrap_or(Completion::TimedOut(what)),
                None => outcome.await,
            };
            bridge.complete(id, completion);
        });
    }

    /// Loop thread: everything the bridge delivered.
    pub(crate) fn dispatch(slf: &Bound<'_, Self>, deliveries: std::collections::VecDeque<Delivery>) {
        let py = slf.py();
        let this = slf.borrow();
        for delivery in deliveries {
            match delivery {
                Delivery::Complete { id, completion } => this.resolve(py, id, completion),
                Delivery::Credentials { step, reply } => {
                    credentials::serve(py, this.auth.bind(py), step, reply, this.last_auth_error.clone())
                }
                Delivery::Session(event) => this.on_session_event(slf, event),
                Delivery::Resolve { .. } => {} // the reader settles those itself
            }
        }
    }

    fn on_session_event(&self, slf: &Bound<'_, Self>, event: SessionEvent) {
        let py = slf.py();
        let emitted = match event {
            SessionEvent::Message { topic, payload } => {
                self.deliver_message(py, &topic, &payload);
                Ok(())
            }
            SessionEvent::Log { level, target, message } => {
                log(py, target, level, &message);
                Ok(())
            }
            SessionEvent::Interrupted { error, .. } => drop_error_object(py, &error).and_then(|err| {
                let event = py.import("nwp500.mqtt_events")?.getattr("ConnectionInterruptedEvent")?.call1((err,))?;
                slf.call_method1("_deliver_event", ("connection_interrupted", event)).map(|_| ())
            }),
            SessionEvent::Resumed { return_code, session_present, .. } => (|| {
                let event =
                    py.import("nwp500.mqtt_events")?.getattr("ConnectionResumedEvent")?.call1((return_code, session_present))?;
                slf.call_method1("_deliver_event", ("connection_resumed", event)).map(|_| ())
            })(),
            SessionEvent::ReconnectionFailed { attempts } => {
                slf.call_method1("_deliver_event", ("reconnection_failed", attempts)).map(|_| ())
            }
            SessionEvent::AttemptFailed { .. } => Ok(()),
            SessionEvent::Closed => {
                self.fail_all(py);
                Ok(())
            }
        };
        if let Err(err) = emitted {
            log_exception(py, LOGGER, "Failed to deliver a client event", &err);
        }
    }

    fn deliver_message(&self, py: Python<'_>, topic: &str, payload: &[u8]) {
        let callbacks: Vec<Py<PyAny>> = self
            .subscriptions
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .filter(|s| crate::topic::matches(topic, &s.topic))
            .flat_map(|s| s.callbacks.iter().map(|c| c.clone_ref(py)))
            .collect();
        if callbacks.is_empty() {
            return;
        }
        let message = match py.import("json").and_then(|json| json.call_method1("loads", (PyBytes::new(py, payload),))) {
            Ok(m) => m,
            Err(err) => {
                let redacted = crate::redact::topic(topic);
                log(py, "nwp500.mqtt.subscriptions", LogLevel::Warning, &format!("Skipping malformed message on '{redacted}': {err}"));
                return;
            }
        };
        for callback in callbacks {
            let result = callback.call1(py, (topic, &message)).and_then(|r| {
                let r = r.into_bound(py);
                if py.import("inspect")?.call_method1("isawaitable", (&r,))?.is_truthy()? {
                    py.import("asyncio")?.call_method1("ensure_future", (r,))?;
                }
                Ok(())
            });
            if let Err(err) = result {
                log_exception(py, "nwp500.mqtt.subscriptions", "Error in message handler", &err);
            }
        }
    }

    fn resolve(&self, py: Python<'_>, id: u64, completion: Completion) {
        let Some(Pending { future, kind }) = self.pending.lock().unwrap_or_else(|p| p.into_inner()).remove(&id) else {
            return;
        };
        let outcome: PyResult<Py<PyAny>> = match (kind, completion) {
            (PendingKind::Connect, Completion::Connect(Ok(_))) => Ok(true.into_pyobject(py).map(|b| b.to_owned().into_any().unbind()).unwrap()),
            (PendingKind::Connect, Completion::Connect(Err(e))) => {
                let stored = self.last_auth_error.lock().unwrap_or_else(|p| p.into_inner()).take();
                Err(match (&e, stored) {
                    (OpError::Credentials(_), Some(original)) => original,
                    _ => op_error(py, Op::Connect, &e),
                })
            }
            (PendingKind::Publish, Completion::Publish(r)) => match r {
                Ok(PublishOutcome::Sent(pkid)) => Ok(pkid.into_pyobject(py).unwrap().into_any().unbind()),
                Ok(PublishOutcome::Queued) => Ok(0u16.into_pyobject(py).unwrap().into_any().unbind()),
                Err(e) => Err(op_error(py, Op::Publish, &e)),
            },
            (PendingKind::Subscribe { topic, callback }, Completion::PacketId(r)) => {
                self.settle_subscription(py, &topic, &callback, r.is_ok());
                r.map(|pkid| pkid.into_pyobject(py).unwrap().into_any().unbind()).map_err(|e| op_error(py, Op::Subscribe, &e))
            }
            (PendingKind::Unsubscribe, Completion::PacketId(r)) => {
                r.map(|pkid| pkid.into_pyobject(py).unwrap().into_any().unbind()).map_err(|e| op_error(py, Op::Unsubscribe, &e))
            }
            (PendingKind::Disconnect, Completion::Done) => Ok(py.None()),
            (kind, Completion::TimedOut(what)) => {
                if let PendingKind::Subscribe { topic, callback } = kind {
                    self.settle_subscription(py, &topic, &callback, false);
                }
                Err(timeout_error(what, self.operation_timeout(py)))
            }
            (_, _) => Err(op_error(py, Op::Connect, &OpError::Cancelled)),
        };
        let future = future.bind(py);
        if future.call_method0("done").and_then(|d| d.is_truthy()).unwrap_or(true) {
            return; // the caller gave up (cancelled or timed out on its side)
        }
        let set = match outcome {
            Ok(value) => future.call_method1("set_result", (value,)),
            Err(err) => future.call_method1("set_exception", (err.value(py),)),
        };
        if let Err(err) = set {
            log_exception(py, LOGGER, "Failed to resolve a client future", &err);
        }
    }

    /// A SUBSCRIBE ended: on success the topic is live; on failure the callback that asked for
    /// it is withdrawn (and the topic, if nothing else waits on it).
    fn settle_subscription(&self, py: Python<'_>, topic: &str, callback: &Py<PyAny>, ok: bool) {
        let mut subs = self.subscriptions.lock().unwrap_or_else(|p| p.into_inner());
        let Some(index) = subs.iter().position(|s| s.topic == topic) else { return };
        if ok {
            subs[index].confirmed = true;
            return;
        }
        if subs[index].confirmed {
            return;
        }
        subs[index].callbacks.retain(|c| !c.bind(py).is(callback.bind(py)));
        if subs[index].callbacks.is_empty() {
            subs.remove(index);
        }
    }

    fn fail_all(&self, py: Python<'_>) {
        let ids: Vec<u64> = self.pending.lock().unwrap_or_else(|p| p.into_inner()).keys().copied().collect();
        for id in ids {
            self.resolve(py, id, Completion::Abandoned);
        }
    }
}
