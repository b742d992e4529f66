//! The state machine of a session: idle → live → reconnecting → live …, driven by commands,
//! link events and timers, all in one task. This file holds the offline half (idle, backoff,
//! attempts); `live.rs` the connected half.

mod live;

use std::future::Future;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};
use tokio::time::sleep_until;

use super::inflight::Inflight;
use super::link::{open, AttemptError, Link, Renewal};
use super::subscriptions::Subscriptions;
use super::*;
use crate::backoff::MIN_CONNECT_SPACING;
use crate::diagnostics::Collector;
use crate::drop_cause::{DropCause, DropError};
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
    Closed,
}

pub(crate) struct Authority {
    settings: ConnectionSettings,
    rx: mpsc::UnboundedReceiver<Command>,
    shared: Arc<Shared>,
    credentials: Arc<dyn CredentialSource>,
    sink: Arc<dyn EventSink>,
    /// The only record of what the client is subscribed to; restored after every reconnect.
    subscriptions: Subscriptions,
    inflight: Inflight,
    attempts: u32,
    last_connect_at: Option<tokio::time::Instant>,
    force_deep: bool,
    /// A deep attempt's refresh still got its signature refused: the next one signs in anew
    /// (a refresh may hand back the same AWS keys the server has already expired).
    force_sign_in: bool,
    /// `connect()` calls waiting for the outcome of the next attempt (which they never hasten:
    /// the backoff protects the cloud from callers as much as from the client itself).
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
            subscriptions: Subscriptions::default(),
            inflight: Inflight::default(),
            attempts: 0,
            last_connect_at: None,
            force_deep: false,
            force_sign_in: false,
            waiting_connects: Vec::new(),
        }
    }

    fn diag(&self) -> std::sync::MutexGuard<'_, Collector> {
        self.diagnostics.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn log(&self, level: LogLevel, target: &'static str, message: String) {
        self.sink.deliver(SessionEvent::Log { level, target, message });
    }

    /// Tells readers what the subscription table holds now; called after every change to it.
    fn publish_tracked(&self) {
        *lock(&self.shared.tracked) = self.subscriptions.tracked();
    }

    fn set_attempts(&mut self, n: u32) {
        self.attempts = n;
        self.shared.attempts.store(n, Ordering::Release);
    }

    pub async fn run(mut self) {
        let mut phase = Phase::Idle;
        loop {
            phase = match phase {
                // Each phase's future is boxed while it runs: the session task itself stays
                // small (a client that never connects holds a few hundred bytes, not the 26 KiB
                // that opening a link and serving it need at their deepest).
                Phase::Idle => Box::pin(self.idle()).await,
                Phase::Live(link) => Box::pin(self.live(link)).await,
                Phase::Reconnecting => Box::pin(self.reconnect()).await,
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
            Command::Publish { message, reply, .. } => {
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
    /// A `connect()` arriving meanwhile waits for the outcome of the next attempt.
    async fn offline_until<T>(&mut self, fut: impl Future<Output = T>) -> Interrupt<T> {
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

    fn attempt(&mut self, renewal: Renewal) -> impl Future<Output = Result<Link, AttemptError>> {
        let not_before = self.last_connect_at.map(|t| t + MIN_CONNECT_SPACING);
        self.last_connect_at = Some(not_before.map_or(tokio::time::Instant::now(), |t| t.max(tokio::time::Instant::now())));
        open(self.settings.clone(), self.credentials.clone(), renewal, not_before)
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
                    // A manual connect starts a fresh attempt budget (after a give-up too).
                    self.set_attempts(0);
                    let endpoint = self.settings.endpoint.display();
                    self.log(LogLevel::Info, TARGET_CLIENT, format!("Connecting to {endpoint} as {}", self.settings.client_id));
                    let attempt = Box::pin(self.attempt(Renewal::IfNeeded));
                    let error = match self.offline_until(attempt).await {
                        Interrupt::Closed => return Phase::Closed,
                        Interrupt::Disconnect(reply) => {
                            self.fail_waiting_connects(OpError::Cancelled);
                            let _ = reply.send(());
                            continue;
                        }
                        Interrupt::Done(Err(e)) => e,
                        Interrupt::Done(Ok(link)) => match Box::pin(self.came_up(link, None)).await {
                            Ok(phase) => return phase,
                            Err(drop) => AttemptError::Transport(drop),
                        },
                    };
                    self.log(LogLevel::Error, TARGET_CLIENT, format!("Failed to connect: {}", error.describe()));
                    self.fail_waiting_connects(error.into_op_error());
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
        loop {
            let policy = self.settings.policy.clone();
            if policy.exhausted(self.attempts) {
                let message = format!("Failed to reconnect after {} attempts. Manual reconnection required.", self.attempts);
                return self.give_up(message, OpError::NotConnected);
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
            // Every attempt waits out its delay, whoever is waiting for it: callers of connect()
            // during an outage get this attempt's outcome, they do not bring it forward.
            let due = tokio::time::Instant::now() + delay;
            self.shared.set_next_attempt(Some(due));
            let waited = self.offline_until(sleep_until(due)).await;
            self.shared.set_next_attempt(None);
            match waited {
                Interrupt::Closed => return Phase::Closed,
                Interrupt::Disconnect(reply) => return self.stop_reconnecting(reply),
                Interrupt::Done(()) => {}
            }
            if deep {
                self.log(LogLevel::Warning, TARGET_RECONNECT, "Performing deep reconnection (full rebuild)...".into());
            }
            self.diag().record_reconnect_attempt();
            let renewal = match (deep, self.force_sign_in) {
                (_, true) => Renewal::SignIn,
                (true, false) => Renewal::Refresh,
                (false, false) => Renewal::IfNeeded,
            };
            let attempt_fut = Box::pin(self.attempt(renewal));
            let error = match self.offline_until(attempt_fut).await {
                Interrupt::Closed => return Phase::Closed,
                Interrupt::Disconnect(reply) => return self.stop_reconnecting(reply),
                Interrupt::Done(Ok(link)) => match Box::pin(self.came_up(link, Some(deep))).await {
                    Ok(phase) => {
                        self.force_deep = false;
                        self.force_sign_in = false;
                        return phase;
                    }
                    // The link died while the session was being restored: a failed attempt, and
                    // every subscription is still tracked for the next one.
                    Err(drop) => AttemptError::Transport(drop),
                },
                Interrupt::Done(Err(AttemptError::Credentials(CredentialError::Invalid(m)))) => {
                    let message = format!("Reconnection stopped: the account refused the credentials ({m})");
                    return self.give_up(message, OpError::Credentials(CredentialError::Invalid(m)));
                }
                Interrupt::Done(Err(e)) => e,
            };
            if let AttemptError::Transport(d) = &error {
                // A refused signature means the credentials went stale: refresh next time.
                let refused = d.cause == DropCause::CredentialsExpired;
                self.force_sign_in |= refused && renewal != Renewal::IfNeeded;
                self.force_deep |= refused;
            }
            let reason = error.describe();
            self.log(LogLevel::Warning, TARGET_RECONNECT, format!("Reconnection attempt {attempt} ({kind}) failed: {reason}"));
            self.fail_waiting_connects(error.into_op_error());
            self.sink.deliver(SessionEvent::AttemptFailed { attempt, deep, reason });
        }
    }

    /// Leaving the reconnecting phase: the flags say so before anyone waiting is answered.
    fn not_reconnecting(&mut self) {
        self.shared.reconnecting.store(false, Ordering::Release);
        self.shared.set_next_attempt(None);
    }

    fn stop_reconnecting(&mut self, reply: oneshot::Sender<()>) -> Phase {
        self.not_reconnecting();
        self.fail_waiting_connects(OpError::Cancelled);
        let _ = reply.send(());
        Phase::Idle
    }

    /// `waiting` is what the callers of `connect()` still waiting are told.
    fn give_up(&mut self, message: String, waiting: OpError) -> Phase {
        self.log(LogLevel::Error, TARGET_RECONNECT, message);
        self.not_reconnecting();
        self.sink.deliver(SessionEvent::ReconnectionFailed { attempts: self.attempts });
        self.fail_waiting_connects(waiting);
        Phase::Idle
    }
}

fn link_gone() -> DropError {
    DropError::new(crate::drop_cause::crt::AWS_ERROR_MQTT_UNEXPECTED_HANGUP, DropCause::TcpClosed, "connection task ended")
}
