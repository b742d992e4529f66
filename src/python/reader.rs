//! The loop-side half of the bridge: the callable the asyncio loop runs when the bridge socket
//! becomes readable. It holds the client only weakly, so a client nobody references can be
//! collected (and its session ended) even while the loop still watches the socket.

use std::sync::{Arc, Mutex};

use pyo3::prelude::*;
use pyo3::types::PyWeakrefReference;

use super::bridge::{Bridge, Delivery};
use super::client::MqttClientCore;
use crate::session::{CredentialError, SessionEvent};

#[pyclass(module = "nwp500._core")]
pub struct BridgeReader {
    bridge: Arc<Bridge>,
    state: Mutex<ReaderState>,
}

#[derive(Default)]
struct ReaderState {
    event_loop: Option<Py<PyAny>>,
    client: Option<Py<PyAny>>,
}

impl BridgeReader {
    pub(crate) fn new(bridge: Arc<Bridge>) -> Self {
        Self { bridge, state: Mutex::new(ReaderState::default()) }
    }

    /// Watches the bridge socket from `event_loop` (moving off a previous loop if needed).
    pub fn attach(slf: &Bound<'_, Self>, event_loop: &Bound<'_, PyAny>, client: &Bound<'_, PyAny>) -> PyResult<()> {
        let this = slf.borrow();
        let mut state = this.state.lock().unwrap_or_else(|p| p.into_inner());
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
        state.client = Some(PyWeakrefReference::new(client)?.into_any().unbind());
        Ok(())
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
        let deliveries = self.bridge.take();
        if deliveries.is_empty() {
            return;
        }
        let closed = deliveries.iter().any(|d| matches!(d, Delivery::Session(SessionEvent::Closed)));
        let client = {
            let state = self.state.lock().unwrap_or_else(|p| p.into_inner());
            state.client.as_ref().and_then(|w| w.bind(py).call0().ok()).filter(|c| !c.is_none())
        };
        match client.as_ref().and_then(|c| c.cast::<MqttClientCore>().ok()) {
            Some(client) => MqttClientCore::dispatch(client, deliveries),
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
