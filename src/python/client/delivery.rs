//! The loop-thread half of `MqttClientCore`: what the bridge delivers (operation results,
//! session events, inbound messages, credential requests) is turned into settled futures,
//! emitted events and callback calls here, always with the GIL on the loop thread.

use pyo3::prelude::*;
use pyo3::types::PyBytes;

use super::{MqttClientCore, Pending, PendingKind, LOGGER};
use crate::python::bridge::{Completion, Delivery};
use crate::python::{callables, credentials};
use crate::python::errors::{drop_error_object, internal_error, nwp_error, op_error, Op};
use crate::python::logging::{log, log_exception};
use crate::session::{LogLevel, OpError, PublishOutcome, SessionEvent};

impl MqttClientCore {
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
            SessionEvent::SubscriptionLost { topic, reason } => {
                // The broker no longer delivers it: its callbacks go, and listeners are told.
                self.handlers.lock().unwrap_or_else(|p| p.into_inner()).retain(|s| s.topic != topic);
                let error = nwp_error(py, "MqttSubscriptionError", &reason, None);
                slf.call_method1("_deliver_event", ("subscription_lost", topic, error.value(py))).map(|_| ())
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
            .handlers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .filter(|s| crate::topic::matches(topic, &s.topic))
            .flat_map(|s| s.callbacks.iter().map(|c| c.clone_ref(py)))
            .collect();
        if callbacks.is_empty() {
            return;
        }
        let message = match callables::json_loads(py).and_then(|loads| loads.call1((PyBytes::new(py, payload),))) {
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
                if callables::is_awaitable(py)?.call1((&r,))?.is_truthy()? {
                    callables::ensure_future(py)?.call1((r,))?;
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
            (PendingKind::Subscribe { topic, callback, added }, Completion::PacketId(r)) => {
                if r.is_err() && added {
                    self.withdraw_callback(py, &topic, &callback);
                }
                r.map(|pkid| pkid.into_pyobject(py).unwrap().into_any().unbind()).map_err(|e| op_error(py, Op::Subscribe, &e))
            }
            (PendingKind::Unsubscribe, Completion::PacketId(r)) => {
                r.map(|pkid| pkid.into_pyobject(py).unwrap().into_any().unbind()).map_err(|e| op_error(py, Op::Unsubscribe, &e))
            }
            (PendingKind::Disconnect, Completion::Done) => Ok(py.None()),
            (kind, completion) => {
                if let PendingKind::Subscribe { topic, callback, added: true } = kind {
                    self.withdraw_callback(py, &topic, &callback);
                }
                let crashed = self.session.shared().crashed();
                Err(match (completion, crashed) {
                    (Completion::Internal(why), _) | (_, Some(why)) => internal_error(py, &why),
                    _ => op_error(py, Op::Connect, &OpError::Cancelled),
                })
            }
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

    /// A SUBSCRIBE that put `callback` on `topic` failed: the callback comes off again (the
    /// session has already forgotten the request).
    fn withdraw_callback(&self, py: Python<'_>, topic: &str, callback: &Py<PyAny>) {
        let mut subs = self.handlers.lock().unwrap_or_else(|p| p.into_inner());
        let Some(index) = subs.iter().position(|s| s.topic == topic) else { return };
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
