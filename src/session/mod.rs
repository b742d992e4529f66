//! The session: the one reconnect authority of a client (TARGET §4.1).
//!
//! A session is a single tokio task that owns every connection its client ever makes. Callers
//! talk to it through [`SessionHandle`] (commands in, one-shot replies out) and hear from it
//! through an [`EventSink`]. Because only this task opens connections, and it tears the old link
//! down (and waits for that) before it opens the next, one client id never has two live
//! connections. When the handle is dropped the task closes its link and ends.

mod authority;
mod inflight;
mod link;
mod reply;
mod subscriptions;
mod wire;

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::time::Duration;
use std::sync::{Arc, Mutex, MutexGuard};

use rumqttc::QoS;
use tokio::sync::{mpsc, oneshot};

use crate::config::ConnectionSettings;
use crate::diagnostics::Collector;
use crate::drop_cause::DropError;
use crate::queue::OfflineQueue;
use crate::sigv4::AwsCredentials;

pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// Which credential operation the session needs from the auth client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialStep {
    /// Make sure the tokens are valid (refreshing them if they are near expiry).
    EnsureValid,
    /// Force a token refresh (deep reconnect).
    Refresh,
    /// Sign in again with the stored password (deep reconnect, when the refresh failed).
    ReAuthenticate,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CredentialError {
    /// The account refused the stored credentials; retrying cannot help.
    Invalid(String),
    /// Anything else (network, server, missing refresh token); worth retrying later.
    Failed(String),
}

impl std::fmt::Display for CredentialError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CredentialError::Invalid(m) => write!(f, "invalid credentials: {m}"),
            CredentialError::Failed(m) => write!(f, "credentials unavailable: {m}"),
        }
    }
}

/// Where the session gets AWS credentials; `None` means the transport needs none.
pub trait CredentialSource: Send + Sync + 'static {
    fn fetch(&self, step: CredentialStep) -> BoxFuture<Result<Option<AwsCredentials>, CredentialError>>;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogLevel {
    Debug,
    Info,
    Warning,
    Error,
}

/// What the session reports. Delivered in order.
#[derive(Debug)]
pub enum SessionEvent {
    /// A live connection dropped.
    Interrupted { error: DropError, attempt: u32, active_subscriptions: usize, queued_commands: usize },
    /// A reconnect succeeded; subscriptions are restored and the queue was flushed.
    Resumed { return_code: u8, session_present: bool, deep: bool, attempt: u32 },
    /// One reconnect attempt failed.
    AttemptFailed { attempt: u32, deep: bool, reason: String },
    /// No more attempts will be made (limit reached, or the account refused the credentials).
    ReconnectionFailed { attempts: u32 },
    Message { topic: String, payload: Vec<u8> },
    /// The broker refused to restore a subscription after a reconnect: it no longer delivers.
    SubscriptionLost { topic: String, reason: String },
    Log { level: LogLevel, target: &'static str, message: String },
    /// The session task has ended; nothing more will come.
    Closed,
}

pub trait EventSink: Send + Sync + 'static {
    fn deliver(&self, event: SessionEvent);
}

/// Why an operation did not complete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpError {
    NotConnected,
    /// The link dropped before the broker acknowledged, and the queue is disabled.
    Dropped(DropError),
    /// A connect attempt failed.
    Connect(DropError),
    Credentials(CredentialError),
    /// The broker refused a subscription, or the request itself was invalid.
    Rejected(String),
    /// `disconnect()` or the end of the client overtook the operation.
    Cancelled,
    /// The request itself is invalid (a bad topic, an oversized payload); nothing was sent.
    Invalid(String),
    /// No answer within the caller's deadline; the request was withdrawn.
    TimedOut { what: &'static str, after: Duration },
    /// A message the session gave up: the link dropped on it while it was in flight on several
    /// links in a row (the server closes the connection on it, so it is not replayed forever),
    /// or a drop returned it to a command queue with no room left.
    GivenUp(String),
}

impl std::fmt::Display for OpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OpError::NotConnected => write!(f, "Not connected to MQTT broker"),
            OpError::Dropped(e) | OpError::Connect(e) => write!(f, "{e}"),
            OpError::Credentials(e) => write!(f, "{e}"),
            OpError::Rejected(m) | OpError::Invalid(m) | OpError::GivenUp(m) => write!(f, "{m}"),
            OpError::Cancelled => write!(f, "operation cancelled by disconnect"),
            OpError::TimedOut { what, after } => write!(f, "{what} not acknowledged within {:.1} s", after.as_secs_f64()),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectInfo {
    pub session_present: bool,
}

/// How a publish ended: sent with this packet id (0 for QoS 0), or kept in the offline queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PublishOutcome {
    Sent(u16),
    Queued,
}

pub use reply::{Answer, Reply};

/// A message to send, as the offline queue keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outbound {
    pub topic: String,
    pub payload: Vec<u8>,
    pub qos: QoS,
    /// Links that dropped while this message was in flight on them, one after the other.
    pub drops_in_flight: u8,
}

impl Outbound {
    pub fn new(topic: String, payload: Vec<u8>, qos: QoS) -> Self {
        Self { topic, payload, qos, drops_in_flight: 0 }
    }
}

pub(crate) enum Command {
    Connect { settings: Box<ConnectionSettings>, reply: Reply<ConnectInfo> },
    Disconnect { reply: oneshot::Sender<()> },
    Publish { message: Outbound, reply: Reply<PublishOutcome>, timeout: Duration },
    Subscribe { topic: String, qos: QoS, reply: Reply<u16>, timeout: Duration },
    Unsubscribe { topic: String, reply: Reply<u16>, timeout: Duration },
    ResetReconnect,
}

/// State readable without a round trip to the session task.
#[derive(Debug)]
pub struct Shared {
    connected: AtomicBool,
    reconnecting: AtomicBool,
    attempts: AtomicU32,
    /// When the next reconnect attempt is due, while one waits out its backoff delay.
    next_attempt_at: Mutex<Option<tokio::time::Instant>>,
    /// Shared rather than owned by the task so `clear_command_queue()` and the queue length stay
    /// synchronous for Python without a round trip; every critical section is a few operations.
    queue: Mutex<OfflineQueue<Outbound>>,
    /// What the session task last published of its subscription table (topic, QoS), for
    /// readers; only the task writes it.
    tracked: Mutex<Vec<(String, u8)>>,
    /// Queued messages given up because the link kept dropping on them.
    poisoned: AtomicU64,
    /// Set if the session task panicked: why every later operation fails.
    crashed: Mutex<Option<String>>,
}

impl Shared {
    pub fn is_connected(&self) -> bool {
        self.connected.load(Ordering::Acquire)
    }
    pub fn is_reconnecting(&self) -> bool {
        self.reconnecting.load(Ordering::Acquire)
    }
    pub fn attempts(&self) -> u32 {
        self.attempts.load(Ordering::Acquire)
    }
    /// Seconds until the next reconnect attempt starts; `None` unless one is waiting.
    pub fn next_attempt_in(&self) -> Option<f64> {
        let due = *self.next_attempt_at.lock().unwrap_or_else(|p| p.into_inner());
        due.map(|at| at.saturating_duration_since(tokio::time::Instant::now()).as_secs_f64())
    }
    pub(crate) fn set_next_attempt(&self, at: Option<tokio::time::Instant>) {
        *self.next_attempt_at.lock().unwrap_or_else(|p| p.into_inner()) = at;
    }
    pub fn queued(&self) -> usize {
        self.queue().len()
    }
    pub fn queue_dropped(&self) -> u64 {
        self.queue().dropped_total()
    }
    pub fn clear_queue(&self) -> usize {
        self.queue().clear()
    }
    pub(crate) fn queue(&self) -> MutexGuard<'_, OfflineQueue<Outbound>> {
        self.queue.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
    /// The tracked subscriptions: granted, or to be restored on the next link.
    pub fn subscriptions(&self) -> Vec<(String, u8)> {
        lock(&self.tracked).clone()
    }
    pub fn poisoned(&self) -> u64 {
        self.poisoned.load(Ordering::Acquire)
    }
    /// Why the session task died, if it did (a bug: reported as an internal error).
    pub fn crashed(&self) -> Option<String> {
        lock(&self.crashed).clone()
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The caller's side of a session. Dropping it ends the session.
pub struct SessionHandle {
    tx: mpsc::UnboundedSender<Command>,
    shared: Arc<Shared>,
}

impl SessionHandle {
    pub fn spawn(
        runtime: &tokio::runtime::Handle,
        settings: ConnectionSettings,
        credentials: Arc<dyn CredentialSource>,
        sink: Arc<dyn EventSink>,
        diagnostics: Arc<Mutex<Collector>>,
    ) -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            connected: AtomicBool::new(false),
            reconnecting: AtomicBool::new(false),
            attempts: AtomicU32::new(0),
            next_attempt_at: Mutex::new(None),
            queue: Mutex::new(OfflineQueue::new(settings.max_queued_commands, settings.max_queued_command_age)),
            tracked: Mutex::new(Vec::new()),
            poisoned: AtomicU64::new(0),
            crashed: Mutex::new(None),
        });
        let authority = authority::Authority::new(settings, rx, shared.clone(), credentials, sink.clone(), diagnostics);
        let watch = shared.clone();
        runtime.spawn(async move {
            // A panic in the session is a bug; it must still end as an error every caller sees,
            // never as an await that hangs.
            if let Err(why) = crate::contain::Contained::new(authority.run()).await {
                *lock(&watch.crashed) = Some(why.clone());
                watch.connected.store(false, Ordering::Release);
                watch.reconnecting.store(false, Ordering::Release);
                sink.deliver(SessionEvent::Log {
                    level: LogLevel::Error,
                    target: "nwp500.mqtt.client",
                    message: format!("Internal error: the session task failed ({why}); the client is closed"),
                });
                sink.deliver(SessionEvent::Closed);
            }
        });
        Self { tx, shared }
    }

    pub fn shared(&self) -> &Shared {
        &self.shared
    }

    fn send(&self, command: Command) {
        // If the task is gone the reply is dropped with the command, which answers it as
        // abandoned; callers map that to "cancelled".
        let _ = self.tx.send(command);
    }

    pub fn connect(&self, settings: ConnectionSettings, reply: Reply<ConnectInfo>) {
        self.send(Command::Connect { settings: Box::new(settings), reply });
    }

    pub fn disconnect(&self) -> oneshot::Receiver<()> {
        let (reply, rx) = oneshot::channel();
        self.send(Command::Disconnect { reply });
        rx
    }

    /// Requests are checked here, before they reach the session: an invalid one is answered
    /// at once and never sent or queued.
    pub fn publish(&self, message: Outbound, timeout: Duration, reply: Reply<PublishOutcome>) {
        match crate::topic::check_name(&message.topic).and_then(|()| crate::topic::check_payload(message.payload.len())) {
            Err(m) => reply.send(Err(OpError::Invalid(m))),
            Ok(()) => self.send(Command::Publish { message, reply, timeout }),
        }
    }

    pub fn subscribe(&self, topic: String, qos: QoS, timeout: Duration, reply: Reply<u16>) {
        match crate::topic::check_filter(&topic) {
            Err(m) => reply.send(Err(OpError::Invalid(m))),
            Ok(()) => self.send(Command::Subscribe { topic, qos, reply, timeout }),
        }
    }

    pub fn unsubscribe(&self, topic: String, timeout: Duration, reply: Reply<u16>) {
        match crate::topic::check_filter(&topic) {
            Err(m) => reply.send(Err(OpError::Invalid(m))),
            Ok(()) => self.send(Command::Unsubscribe { topic, reply, timeout }),
        }
    }

    pub fn reset_reconnect(&self) {
        let _ = self.tx.send(Command::ResetReconnect);
    }
}
