//! The loop-side half of the bridge: the callable the asyncio loop runs when the bridge socket
//! becomes readable. It holds the client only weakly, so a client nobody references can be
//! collected (and its session ended) even while the loop still watches the socket.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use pyo3::prelude::*;
use pyo3::types::PyWeakrefReference;

use super::bridge::{Bridge, Delivery, Resolver};
use super::callables;
use super::client::MqttClientCore;
use crate::session::{CredentialError, SessionEvent};

#[pyclass(module = "nwp500._core")]
pub struct BridgeReader {
    bridge: Arc<Bridge>,
    state: Mutex<ReaderState>,
    next_id: AtomicU64,
    /// Futures waiting for a `Delivery::Resolve`; only touched on the loop thread.
    futures: Mutex<HashMap<u64, Py<PyAny>>>,
}

#[derive(Default)]
struct ReaderState {
    event_loop: Option<Py<PyAny>>,
    client: Option<Py<PyAny>>,
}

impl BridgeReader {
    pub(crate) fn new(bridge: Arc<Bridge>) -> Self {
        Self {
            bridge,
            state: Mutex::new(ReaderState::default()),
            next_id: AtomicU64::new(1),
            futures: Mutex::new(HashMap::new()),
        }
    }

    /// A future on the running loop that `resolve` will settle; attaches to that loop.
    pub(crate) fn new_future<'py>(slf: &Bound<'py, Self>) -> PyResult<(u64, Bound<'py, PyAny>)> {
        let py = slf.py();
        let event_loop = callables::get_running_loop(py)?.call0()?;
        Self::attach(slf, &event_loop, None)?;
        let future = event_loop.call_method0("create_future")?;
        let this = slf.borrow();
        let id = this.next_id.fetch_add(1, Ordering::Relaxed);
        this.futures.lock().unwrap_or_else(|p| p.into_inner()).insert(id, future.clone().unbind());
        Ok((id, future))
    }

    /// Runtime side: settles future `id` with whatever `outcome` resolves to.
    /// (The caller gets `runtime` before it makes the future, so a runtime that cannot start
    /// leaves no future behind.)
    pub(crate) fn settle_later(
        runtime: &tokio::runtime::Handle,
        bridge: &Arc<Bridge>,
        id: u64,
        outcome: impl std::future::Future<Output = Resolver> + Send + 'static,
    ) {
        let bridge = bridge.clone();
        runtime.spawn(async move {
            let resolver = crate::contain::Contained::new(outcome).await.unwrap_or_else(|why| -> Resolver {
                Box::new(move |py| Err(super::errors::internal_error(py, &why)))
            });
            bridge.push(Delivery::Resolve { id, resolver });
        });
    }

    fn resolve(&self, py: Python<'_>, id: u64, resolver: Resolver) {
        let Some(future) = self.futures.lock().unwrap_or_else(|p| p.into_inner()).remove(&id) else { return };
        let future = future.bind(py);
        let outcome = crate::contain::contain(|| resolver(py))
            .unwrap_or_else(|why| Err(super::errors::internal_error(py, &why)));
        if future.call_method0("done").and_then(|d| d.is_truthy()).unwrap_or(true) {
            return; // the awaiting side gave up
        }
        let _ = match outcome {
            Ok(value) => future.call_method1("set_result", (value,)),
            Err(err) => future.call_method1("set_exception", (err.value(py),)),
        };
    }

    /// Watches the bridge socket from `event_loop` (moving off a previous loop if needed).
    /// `client`, when given, receives the session's deliveries.
    pub fn attach(slf: &Bound<'_, Self>, event_loop: &Bound<'_, PyAny>, client: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
        let this = slf.borrow();
        let mut state = this.state.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(client) = client {
            if state.client.is_none() {
                state.client = Some(PyWeakrefReference::new(client)?.into_any().unbind());
            }
        }
        if state.event_loop.as_ref().is_some_and(|l| l.bind(slf.py()).is(event_loop)) {
            return Ok(());
        }
        if let Some(old) = state.event_loop.take() {
            let old = old.bind(slf.py());
            if !old.call_method0("is_closed")?.is_truthy()? {
                old.call_method1("remove_reader", (this.bridge.fd(),))?;
            }
        }
        event_loop.call_method1("add_reader", (this.bridge.fd(), slf))?;
        state.event_loop = Some(event_loop.clone().unbind());
        Ok(())
    }

    /// A reader that only settles its own futures (a cloud client's) leaves the loop once none
    /// is pending: the loop then holds no reference to it, and the bridge's descriptors close
    /// with their owner instead of living as long as the loop.
    fn detach_if_idle(&self, py: Python<'_>) {
        let serves_client = self.state.lock().unwrap_or_else(|p| p.into_inner()).client.is_some();
        if !serves_client && self.futures.lock().unwrap_or_else(|p| p.into_inner()).is_empty() {
            self.detach(py);
        }
    }

    fn detach(&self, py: Python<'_>) {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(event_loop) = state.event_loop.take() {
            let event_loop = event_loop.bind(py);
            if !event_loop.call_method0("is_closed").and_then(|c| c.is_truthy()).unwrap_or(true) {
                let _ = event_loop.call_method1("remove_reader", (self.bridge.fd(),));
            }
        }
        state.client = None;
    }
}

#[pymethods]
impl BridgeReader {
    fn __call__(&self, py: Python<'_>) {
        let (mut deliveries, shed) = self.bridge.take();
        if shed > 0 {
            let message = format!("{shed} inbound message(s) and log line(s) were dropped while no event loop drained the client");
            super::logging::log(py, "nwp500.mqtt.client", crate::session::LogLevel::Warning, &message);
        }
        if deliveries.is_empty() {
            self.detach_if_idle(py);
            return;
        }
        // Own futures first-come as delivered; the rest belongs to the client, in order.
        let mut rest = std::collections::VecDeque::with_capacity(deliveries.len());
        for delivery in deliveries.drain(..) {
            match delivery {
                Delivery::Resolve { id, resolver } => self.resolve(py, id, resolver),
                other => rest.push_back(other),
            }
        }
        let deliveries = rest;
        if deliveries.is_empty() {
            self.detach_if_idle(py);
            return;
        }
        let closed = deliveries.iter().any(|d| matches!(d, Delivery::Session(SessionEvent::Closed)));
        let client = {
            let state = self.state.lock().unwrap_or_else(|p| p.into_inner());
            state.client.as_ref().and_then(|w| w.bind(py).call0().ok()).filter(|c| !c.is_none())
        };
        match client.as_ref().and_then(|c| c.cast::<MqttClientCore>().ok()) {
            Some(client) => {
                if let Err(why) = crate::contain::contain(|| MqttClientCore::dispatch(client, deliveries)) {
                    super::logging::log(py, "nwp500.mqtt.client", crate::session::LogLevel::Error, &format!("Internal error while delivering client events: {why}"));
                }
            }
            None => {
                // The client is gone; answer the session so it is not left waiting.
                for delivery in deliveries {
                    if let Delivery::Credentials { reply, .. } = delivery {
                        let _ = reply.send(Err(CredentialError::Failed("the client was closed".into())));
                    }
                }
            }
        }
        if closed {
            self.detach(py);
        }
    }
}
