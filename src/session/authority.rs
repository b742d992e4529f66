//! The state machine of a session: idle → live → reconnecting → live …, driven by commands,
//! link events and timers, all in one task.

use std::future::Future;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;

use rumqttc::{Event, Outgoing, Packet, QoS, SubscribeReasonCode};
use tokio::sync::{mpsc, oneshot};
use tokio::time::sleep_until;

use super::inflight::{complete, Inflight};
use super::link::{open, AttemptError, Link};
use super::*;
use crate::backoff::{MIN_CONNECT_SPACING, STABLE_CONNECTION};
use crate::diagnostics::{Collector, DropInput};
use crate::drop_cause::{classify, DropCause, DropError};
use crate::queue::Pushed;

const TARGET_CLIENT: &str = "nwp500.mqtt.client";
const TARGET_RECONNECT: &str = "nwp500.mqtt.reconnection";
const TARGET_QUEUE: &str = "nwp500.mqtt.command_queue";

enum Phase {
    Idle,
    Live(Link),
    Reconnecting,
    Closed,
}

/// What interrupted an offline wait.
enum Interrupt<T> {
    Done(T),
    Disconnect(oneshot::Sender<()>),
    /// A `connect()` arrived during a wait that it should cut short.
    ConnectNow,
    Closed,
}

pub(crate) struct Authority {
    settings: ConnectionSettings,
    rx: mpsc::UnboundedReceiver<Command>,
    shared: Arc<Shared>,
    credentials: Arc<dyn CredentialSource>,
    sink: Arc<dyn EventSink>,
    /// Tracked subscriptions in the order they were made; restored after every reconnect.
    subscriptions: Vec<(String, QoS)>,
    inflight: Inflight,
    attempts: u32,
    last_connect_at: Option<tokio::time::Instant>,
    force_deep: bool,
    /// `connect()` calls made while reconnecting; answered by the next successful attempt.
    waiting_connects: Vec<Reply<ConnectInfo>>,
    /// The client's own collector: every drop, recovery, attempt and publish goes in here.
    diagnostics: Arc<std::sync::Mutex<Collector>>,
}

impl Authority {
    pub fn new(
        settings: ConnectionSettings,
        rx: mpsc::UnboundedReceiver<Command>,
        shared: Arc<Shared>,
        credentials: Arc<dyn CredentialSource>,
        sink: Arc<dyn EventSink>,
        diagnostics: Arc<std::sync::Mutex<Collector>>,
    ) -> Self {
        Self {
            diagnostics,
            settings,
            rx,
            shared,
            credentials,
            sink,
            subscriptions: Vec::new(),
            inflight: Inflight::default(),
            attempts: 0,
            last_connect_at: None,
            force_deep: false,
            waiting_connects: Vec::new(),
        }
    }

    fn diag(&self) -> std::sync::MutexGuard<'_, Collector> {
        self.diagnostics.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn log(&self, level: LogLevel, target: &'static str, message: String) {
        self.sink.deliver(SessionEvent::Log { level, target, message });
    }

    fn set_attempts(&mut self, n: u32) {
        self.attempts = n;
        self.shared.attempts.store(n, Ordering::Release);
    }

    pub async fn run(mut self) {
        let mut phase = Phase::Idle;
        loop {
            phase = match phase {
                Phase::Idle => self.idle().await,
                Phase::Live(link) => self.live(link).await,
                Phase::Reconnecting => self.reconnect().await,
                Phase::Closed => break,
            };
        }
        self.shared.connected.store(false, Ordering::Release);
        self.shared.reconnecting.store(false, Ordering::Release);
        for reply in self.waiting_connects.drain(..) {
            let _ = reply.send(Err(OpError::Cancelled));
        }
        self.sink.deliver(SessionEvent::Closed);
    }

    // ---- offline (idle or reconnecting) -------------------------------------------------------

    /// Handles a command that arrives while there is no link. Returns the ones that change the
    /// phase.
    fn offline_command(&mut self, cmd: Command) -> Option<Command> {
        match cmd {
            Command::Publish { message, reply } => {
                let result = self.enqueue(message);
                if result.is_ok() {
                    self.diag().record_publish(true);
                }
                let _ = reply.send(result);
                None
            }
            Command::Subscribe { reply, .. } | Command::Unsubscribe { reply, .. } => {
                let _ = reply.send(Err(OpError::NotConnected));
                None
            }
            Command::ResetReconnect => {
                self.set_attempts(0);
                None
            }
            other => Some(other),
        }
    }

    fn enqueue(&mut self, message: Outbound) -> Result<PublishOutcome, OpError> {
        if !self.settings.enable_command_queue {
            return Err(OpError::NotConnected);
        }
        let topic = message.topic.clone();
        let (pushed, len) = {
            let mut queue = self.shared.queue();
            let pushed = queue.push(message);
            (pushed, queue.len())
        };
        if let Pushed::DroppedOldest(old) = pushed {
            self.log(
                LogLevel::Warning,
                TARGET_QUEUE,
                format!("Command queue full ({}), dropped oldest command to '{}'", self.settings.max_queued_commands, crate::redact::topic(&old.topic)),
            );
        }
        self.log(LogLevel::Debug, TARGET_QUEUE, format!("Queued command to '{}' (queue size: {len})", crate::redact::topic(&topic)));
        Ok(PublishOutcome::Queued)
    }

    /// Runs `fut` while serving commands, until it finishes or a disconnect/close overtakes it.
    /// A `connect()` arriving meanwhile waits for the outcome of the current effort, and ends
    /// the wait at once when `connect_cuts` is set (a backoff sleep).
    async fn offline_until<T>(&mut self, fut: impl Future<Output = T>, connect_cuts: bool) -> Interrupt<T> {
        tokio::pin!(fut);
        loop {
            tokio::select! {
                out = &mut fut => return Interrupt::Done(out),
                cmd = self.rx.recv() => match cmd.map(|c| self.offline_command(c)) {
                    None => return Interrupt::Closed,
                    Some(None) => {}
                    Some(Some(Command::Disconnect { reply })) => return Interrupt::Disconnect(reply),
                    Some(Some(Command::Connect { settings, reply })) => {
                        self.apply_settings(*settings);
                        self.waiting_connects.push(reply);
                        if connect_cuts {
                            return Interrupt::ConnectNow;
                        }
                    }
                    Some(Some(_)) => unreachable!("offline_command handles every other command"),
                },
            }
        }
    }

    fn apply_settings(&mut self, settings: ConnectionSettings) {
        let dropped = self.shared.queue().reconfigure(settings.max_queued_commands, settings.max_queued_command_age);
        if dropped > 0 {
            self.log(LogLevel::Warning, TARGET_QUEUE, format!("Command queue shrunk; dropped {dropped} oldest command(s)"));
        }
        self.settings = settings;
    }

    fn attempt(&mut self, deep: bool) -> impl Future<Output = Result<Link, AttemptError>> {
        let not_before = self.last_connect_at.map(|t| t + MIN_CONNECT_SPACING);
        self.last_connect_at = Some(not_before.map_or(tokio::time::Instant::now(), |t| t.max(tokio::time::Instant::now())));
        open(self.settings.clone(), self.credentials.clone(), deep, not_before)
    }

    async fn idle(&mut self) -> Phase {
        self.shared.reconnecting.store(false, Ordering::Release);
        loop {
            let Some(cmd) = self.rx.recv().await else { return Phase::Closed };
            match self.offline_command(cmd) {
                None => {}
                Some(Command::Disconnect { reply }) => {
                    let _ = reply.send(());
                }
                Some(Command::Connect { settings, reply }) => {
                    self.apply_settings(*settings);
                    self.waiting_connects.push(reply);
                    let endpoint = self.settings.endpoint.display();
                    self.log(LogLevel::Info, TARGET_CLIENT, format!("Connecting to {endpoint} as {}", self.settings.client_id));
                    let attempt = self.attempt(false);
                    match self.offline_until(attempt, false).await {
                        Interrupt::Closed => return Phase::Closed,
                        Interrupt::ConnectNow => unreachable!("not cut by connect"),
                        Interrupt::Disconnect(reply) => {
                            self.fail_waiting_connects(OpError::Cancelled);
                            let _ = reply.send(());
                        }
                        Interrupt::Done(Err(e)) => {
                            self.log(LogLevel::Error, TARGET_CLIENT, format!("Failed to connect: {}", e.describe()));
                            let error = match e {
                                AttemptError::Transport(d) => OpError::Connect(d),
                                AttemptError::Credentials(c) => OpError::Credentials(c),
                            };
                            self.fail_waiting_connects(error);
                        }
                        Interrupt::Done(Ok(link)) => return self.came_up(link, None).await,
                    }
                }
                Some(_) => unreachable!(),
            }
        }
    }

    fn fail_waiting_connects(&mut self, error: OpError) {
        for reply in self.waiting_connects.drain(..) {
            let _ = reply.send(Err(error.clone()));
        }
    }

    async fn reconnect(&mut self) -> Phase {
        self.shared.reconnecting.store(true, Ordering::Release);
        let policy = self.settings.policy.clone();
        loop {
            if policy.exhausted(self.attempts) {
                return self.give_up(format!(
                    "Failed to reconnect after {} attempts. Manual reconnection required.",
                    self.attempts
                ));
            }
            let attempt = self.attempts + 1;
            self.set_attempts(attempt);
            let deep = self.force_deep || policy.is_deep(attempt);
            let delay = policy.delay(attempt, rand::random::<f64>());
            let kind = if deep { "deep" } else { "quick" };
            let limit = if policy.unlimited() { String::new() } else { format!("/{}", policy.max_attempts) };
            self.log(
                LogLevel::Info,
                TARGET_RECONNECT,
                format!("Reconnection attempt {attempt}{limit} ({kind}) in {:.1} seconds...", delay.as_secs_f64()),
            );
            // A connect() call cuts the wait short: the caller wants to know now.
            let wake = tokio::time::Instant::now() + delay;
            if self.waiting_connects.is_empty() {
                match self.offline_until(sleep_until(wake), true).await {
                    Interrupt::Closed => return Phase::Closed,
                    Interrupt::Disconnect(reply) => return self.stop_reconnecting(reply),
                    Interrupt::Done(()) | Interrupt::ConnectNow => {}
                }
            }
            if deep {
                self.log(LogLevel::Warning, TARGET_RECONNECT, "Performing deep reconnection (full rebuild)...".into());
            }
            self.diag().record_reconnect_attempt();
            let attempt_fut = self.attempt(deep);
            match self.offline_until(attempt_fut, false).await {
                Interrupt::Closed => return Phase::Closed,
                Interrupt::ConnectNow => unreachable!("not cut by connect"),
                Interrupt::Disconnect(reply) => return self.stop_reconnecting(reply),
                Interrupt::Done(Ok(link)) => {
                    self.force_deep = false;
                    return self.came_up(link, Some(deep)).await;
                }
                Interrupt::Done(Err(AttemptError::Credentials(CredentialError::Invalid(m)))) => {
                    return self.give_up(format!("Reconnection stopped: the account refused the credentials ({m})"));
                }
                Interrupt::Done(Err(e)) => {
                    if let AttemptError::Transport(d) = &e {
                        // A refused signature means the credentials went stale: refresh next time.
                        self.force_deep |= d.cause == DropCause::CredentialsExpired;
                    }
                    let reason = e.describe();
                    self.log(LogLevel::Warning, TARGET_RECONNECT, format!("Reconnection attempt {attempt} ({kind}) failed: {reason}"));
                    self.sink.deliver(SessionEvent::AttemptFailed { attempt, deep, reason });
                }
            }
        }
    }

    fn stop_reconnecting(&mut self, reply: oneshot::Sender<()>) -> Phase {
        self.fail_waiting_connects(OpError::Cancelled);
        let _ = reply.send(());
        Phase::Idle
    }

    fn give_up(&mut self, message: String) -> Phase {
        self.log(LogLevel::Error, TARGET_RECONNECT, message);
        self.fail_waiting_connects(OpError::NotConnected);
        self.sink.deliver(SessionEvent::ReconnectionFailed { attempts: self.attempts });
        Phase::Idle
    }

    // ---- live ---------------------------------------------------------------------------------

    /// A link just came up: restore subscriptions, flush the queue, then tell everyone.
    /// `recovered` is `None` for a `connect()`, `Some(deep)` for a reconnect.
    async fn came_up(&mut self, mut link: Link, recovered: Option<bool>) -> Phase {
        let session_present = link.session_present;
        if let Err(error) = self.restore(&mut link).await {
            self.log(LogLevel::Warning, TARGET_CLIENT, format!("Connection lost while restoring the session: {error}"));
            return self.dropped(link, error).await;
        }
        self.shared.connected.store(true, Ordering::Release);
        self.shared.reconnecting.store(false, Ordering::Release);
        let info = ConnectInfo { session_present };
        for reply in self.waiting_connects.drain(..) {
            let _ = reply.send(Ok(info));
        }
        let event_type = match recovered {
            None => "connected",
            Some(true) => "deep_reconnected",
            Some(false) => "resumed",
        };
        let attempt = if recovered.is_some() { i64::from(self.attempts) } else { 0 };
        self.diag().record_connection(event_type, session_present, Some(0), attempt);
        match recovered {
            None => self.log(LogLevel::Info, TARGET_CLIENT, format!("Connected (session_present={session_present})")),
            Some(deep) => {
                let kind = if deep { "Deep" } else { "Quick" };
                self.log(LogLevel::Info, TARGET_RECONNECT, format!("{kind} reconnection successful after {} attempt(s)", self.attempts));
                self.sink.deliver(SessionEvent::Resumed { return_code: 0, session_present, deep, attempt: self.attempts });
            }
        }
        Phase::Live(link)
    }

    /// Resubscribes every tracked topic and waits for the SUBACKs, then hands the whole offline
    /// queue to the link, oldest first.
    async fn restore(&mut self, link: &mut Link) -> Result<(), DropError> {
        for (topic, qos) in self.subscriptions.clone() {
            self.inflight.submitted_subscribe(topic.clone(), None);
            if link.client.subscribe(topic, qos).await.is_err() {
                return Err(link_gone());
            }
        }
        let deadline = tokio::time::Instant::now() + self.settings.operation_timeout;
        let mut ping_deadline = None;
        while self.inflight.pending_subscribes() > 0 {
            tokio::select! {
                event = link.events.recv() => self.on_link_event(event, &mut ping_deadline)?,
                _ = sleep_until(deadline) => return Err(DropError::connect_timeout(self.settings.operation_timeout)),
            }
        }
        let now = Instant::now();
        loop {
            let next = {
                let mut expired = Vec::new();
                let next = self.shared.queue().pop_fresh(now, |m, age| expired.push((m.topic, age)));
                for (topic, age) in expired {
                    self.log(
                        LogLevel::Warning,
                        TARGET_QUEUE,
                        format!("Discarding expired queued command to '{}' (age {:.0}s)", crate::redact::topic(&topic), age.as_secs_f64()),
                    );
                }
                next
            };
            let Some((queued_at, message)) = next else { break };
            self.submit_publish(link, queued_at, message, None).await?;
        }
        Ok(())
    }

    async fn submit_publish(
        &mut self,
        link: &Link,
        queued_at: Instant,
        message: Outbound,
        reply: Option<Reply<PublishOutcome>>,
    ) -> Result<(), DropError> {
        let Outbound { topic, payload, qos } = message.clone();
        self.inflight.submitted_publish(queued_at, message, reply);
        link.client.publish(topic, qos, false, payload).await.map_err(|_| link_gone())
    }

    async fn live(&mut self, mut link: Link) -> Phase {
        let stable_at = tokio::time::Instant::from_std(link.connected_at) + STABLE_CONNECTION;
        let mut stable = self.attempts == 0;
        let mut ping_deadline: Option<tokio::time::Instant> = None;
        loop {
            let far = tokio::time::Instant::now() + std::time::Duration::from_secs(86_400);
            let result = tokio::select! {
                event = link.events.recv() => self.on_link_event(event, &mut ping_deadline),
                cmd = self.rx.recv() => match cmd {
                    None => {
                        link.close(true).await;
                        return Phase::Closed;
                    }
                    Some(Command::Disconnect { reply }) => {
                        link.close(true).await;
                        self.after_link_closed(OpError::Cancelled);
                        self.diag().record_disconnect();
                        self.log(LogLevel::Info, TARGET_CLIENT, "Disconnected successfully".into());
                        let _ = reply.send(());
                        return Phase::Idle;
                    }
                    Some(cmd) => self.live_command(&link, cmd).await,
                },
                _ = sleep_until(ping_deadline.unwrap_or(far)), if ping_deadline.is_some() => {
                    Err(DropError::ping_deadline(self.settings.ping_timeout))
                }
                _ = sleep_until(stable_at), if !stable => {
                    stable = true;
                    self.set_attempts(0);
                    Ok(())
                }
            };
            if let Err(error) = result {
                return self.dropped(link, error).await;
            }
        }
    }

    async fn live_command(&mut self, link: &Link, cmd: Command) -> Result<(), DropError> {
        match cmd {
            Command::Publish { message, reply } => {
                self.diag().record_publish(false);
                self.submit_publish(link, Instant::now(), message, Some(reply)).await
            }
            Command::Subscribe { topic, qos, reply } => {
                match self.subscriptions.iter_mut().find(|(t, _)| *t == topic) {
                    Some(entry) => entry.1 = qos,
                    None => self.subscriptions.push((topic.clone(), qos)),
                }
                self.inflight.submitted_subscribe(topic.clone(), Some(reply));
                link.client.subscribe(topic, qos).await.map_err(|_| link_gone())
            }
            Command::Unsubscribe { topic, reply } => {
                self.subscriptions.retain(|(t, _)| *t != topic);
                self.inflight.submitted_unsubscribe(topic.clone(), Some(reply));
                link.client.unsubscribe(topic).await.map_err(|_| link_gone())
            }
            Command::Connect { settings, reply } => {
                // Already connected: 9.3.0 returns True. New settings apply to the next link.
                self.apply_settings(*settings);
                let _ = reply.send(Ok(ConnectInfo { session_present: link.session_present }));
                Ok(())
            }
            Command::ResetReconnect => {
                self.set_attempts(0);
                Ok(())
            }
            Command::Disconnect { .. } => unreachable!("handled by live()"),
        }
    }

    fn on_link_event(
        &mut self,
        event: Option<Result<Event, rumqttc::ConnectionError>>,
        ping_deadline: &mut Option<tokio::time::Instant>,
    ) -> Result<(), DropError> {
        let event = match event {
            None => return Err(link_gone()),
            Some(Err(e)) => return Err(classify(&e)),
            Some(Ok(event)) => event,
        };
        match event {
            Event::Incoming(Packet::Publish(p)) => {
                let topic = p.topic.clone();
                self.sink.deliver(SessionEvent::Message { topic, payload: p.payload.to_vec() });
            }
            Event::Incoming(Packet::PubAck(ack)) => self.inflight.publish_acked(ack.pkid),
            Event::Incoming(Packet::PubComp(ack)) => self.inflight.publish_acked(ack.pkid),
            Event::Incoming(Packet::SubAck(ack)) => {
                let granted = ack.return_codes.iter().all(|c| !matches!(c, SubscribeReasonCode::Failure));
                if let Some((topic, false)) = self.inflight.subscribe_acked(ack.pkid, granted) {
                    self.subscriptions.retain(|(t, _)| *t != topic);
                    self.log(LogLevel::Warning, TARGET_CLIENT, format!("Broker refused subscription to '{}'", crate::redact::topic(&topic)));
                }
            }
            Event::Incoming(Packet::UnsubAck(ack)) => self.inflight.unsubscribe_acked(ack.pkid),
            Event::Incoming(Packet::PingResp) => *ping_deadline = None,
            Event::Outgoing(Outgoing::PingReq) => {
                if ping_deadline.is_none() {
                    *ping_deadline = Some(tokio::time::Instant::now() + self.settings.ping_timeout);
                }
            }
            Event::Outgoing(Outgoing::Publish(pkid)) => self.inflight.publish_sent(pkid),
            Event::Outgoing(Outgoing::Subscribe(pkid)) => self.inflight.subscribe_sent(pkid),
            Event::Outgoing(Outgoing::Unsubscribe(pkid)) => self.inflight.unsubscribe_sent(pkid),
            _ => {}
        }
        Ok(())
    }

    /// Returns unacknowledged publishes to the front of the queue (their callers get 0, as for
    /// any queued publish) or, with the queue disabled, fails them.
    fn after_link_closed(&mut self, error: OpError) {
        self.shared.connected.store(false, Ordering::Release);
        let (publishes, unconfirmed_topics) = self.inflight.abandon(&error);
        // A SUBSCRIBE cut off before its SUBACK is not tracked: its caller was told it failed.
        self.subscriptions.retain(|(t, _)| !unconfirmed_topics.contains(t));
        if publishes.is_empty() {
            return;
        }
        if !self.settings.enable_command_queue {
            for p in publishes {
                complete(p.reply, Err(error.clone()));
            }
            return;
        }
        let mut entries = Vec::with_capacity(publishes.len());
        for p in publishes {
            complete(p.reply, Ok(PublishOutcome::Queued));
            entries.push((p.queued_at, p.message));
        }
        let overflow = self.shared.queue().restore_front(entries);
        if !overflow.is_empty() {
            self.log(LogLevel::Warning, TARGET_QUEUE, format!("Command queue full, dropped {} newest command(s)", overflow.len()));
        }
    }

    async fn dropped(&mut self, link: Link, error: DropError) -> Phase {
        link.close(false).await;
        self.after_link_closed(OpError::Dropped(error.clone()));
        self.log(LogLevel::Warning, TARGET_CLIENT, format!("Connection interrupted: {error}"));
        self.force_deep |= error.cause == DropCause::CredentialsExpired;
        self.diag().record_drop(DropInput {
            error_name: Some(error.name().to_string()),
            error_message: Some(error.to_string()),
            error_code: Some(i64::from(error.code())),
            cause: Some(error.cause.as_str().to_string()),
            reconnect_attempt: i64::from(self.attempts),
            active_subscriptions: self.subscriptions.len() as i64,
            queued_commands: self.shared.queued() as i64,
        });
        self.sink.deliver(SessionEvent::Interrupted {
            error,
            attempt: self.attempts,
            active_subscriptions: self.subscriptions.len(),
            queued_commands: self.shared.queued(),
        });
        if self.settings.auto_reconnect {
            Phase::Reconnecting
        } else {
            self.fail_waiting_connects(OpError::NotConnected);
            Phase::Idle
        }
    }
}

fn link_gone() -> DropError {
    DropError::new(crate::drop_cause::crt::AWS_ERROR_MQTT_UNEXPECTED_HANGUP, DropCause::TcpClosed, "connection task ended")
}
