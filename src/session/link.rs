//! One live broker connection: opening it (credentials, signing, CONNECT) and running its
//! rumqttc event loop in a task of its own, so the session never cancels a half-done poll.

use std::sync::Arc;
use std::time::{Instant, SystemTime};

use rumqttc::{AsyncClient, Event, Packet};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::wire::{self, LinkClient, LinkEvent};
use super::{CredentialError, CredentialSource, CredentialStep};
use crate::config::ConnectionSettings;
use crate::drop_cause::{classify, crt, DropCause, DropError};
use crate::transport::{attempt_options, attempt_options_v5};

/// Requests rumqttc may hold before `publish().await` has to wait for its event loop.
const REQUEST_CAPACITY: usize = 1024;

pub(crate) struct Link {
    pub client: LinkClient,
    /// The link's events, either MQTT version's, and at the end the classified error.
    pub events: mpsc::UnboundedReceiver<Result<LinkEvent, DropError>>,
    pub session_present: bool,
    /// The largest packet the server accepts, when its CONNACK says (MQTT 5 only).
    pub max_packet_size: Option<usize>,
    pub connected_at: Instant,
    task: JoinHandle<()>,
}

/// Why an attempt did not produce a link.
#[derive(Debug)]
pub(crate) enum AttemptError {
    Transport(DropError),
    Credentials(CredentialError),
}

impl AttemptError {
    /// What a `connect()` waiting on this attempt is told.
    pub fn into_op_error(self) -> super::OpError {
        match self {
            AttemptError::Transport(d) => super::OpError::Connect(d),
            AttemptError::Credentials(c) => super::OpError::Credentials(c),
        }
    }

    pub fn describe(&self) -> String {
        match self {
            AttemptError::Transport(e) => e.to_string(),
            AttemptError::Credentials(e) => e.to_string(),
        }
    }
}

impl Link {
    /// Closes the connection and waits until its task (and so its socket) is gone.
    pub async fn close(self, graceful: bool) {
        let Link { client, mut task, .. } = self;
        // The DISCONNECT goes out on the next poll; give it a moment, then stop regardless.
        let finished = graceful
            && client.try_disconnect()
            && tokio::time::timeout(std::time::Duration::from_millis(500), &mut task).await.is_ok();
        if !finished {
            task.abort();
            let _ = task.await;
        }
    }
}

/// How far an attempt goes to get credentials.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Renewal {
    /// Whatever the auth client holds, renewed by it if near expiry (a quick attempt).
    IfNeeded,
    /// A forced token refresh, falling back to a new sign-in (a deep attempt).
    Refresh,
    /// A new sign-in: a refresh already failed to produce credentials the server accepts.
    SignIn,
}

/// Gets credentials for this attempt; every attempt signs with what the auth client holds
/// *now*.
async fn credentials_for(
    source: &Arc<dyn CredentialSource>,
    renewal: Renewal,
    limit: std::time::Duration,
) -> Result<Option<crate::sigv4::AwsCredentials>, CredentialError> {
    let fetch = |step| {
        let fut = source.fetch(step);
        async move {
            tokio::time::timeout(limit, fut)
                .await
                .unwrap_or_else(|_| Err(CredentialError::Failed(format!("auth client did not answer within {limit:?}"))))
        }
    };
    match renewal {
        Renewal::IfNeeded => fetch(CredentialStep::EnsureValid).await,
        Renewal::SignIn => fetch(CredentialStep::ReAuthenticate).await,
        Renewal::Refresh => match fetch(CredentialStep::Refresh).await {
            Err(CredentialError::Failed(_)) => fetch(CredentialStep::ReAuthenticate).await,
            other => other,
        },
    }
}

/// Opens a link. Not before `not_before` (AWS IoT: one CONNECT per second per client id).
pub(crate) async fn open(
    settings: ConnectionSettings,
    source: Arc<dyn CredentialSource>,
    renewal: Renewal,
    not_before: Option<tokio::time::Instant>,
) -> Result<Link, AttemptError> {
    let creds = credentials_for(&source, renewal, settings.operation_timeout).await.map_err(AttemptError::Credentials)?;
    if let Some(at) = not_before {
        tokio::time::sleep_until(at).await;
    }
    if matches!(settings.endpoint.scheme, crate::transport::Scheme::Mqtts | crate::transport::Scheme::Wss) {
        // The first TLS attempt loads the system's roots from disk: not on the runtime thread
        // every connection shares. Later attempts find them cached (a spawn, no file I/O).
        let _ = tokio::task::spawn_blocking(crate::tls::warm_roots).await;
    }
    // rumqttc bounds TCP+TLS+upgrade+CONNACK by the network timeout; this outer bound only
    // guards against a hang inside it.
    let limit = settings.operation_timeout + std::time::Duration::from_secs(1);
    let tls_error = |m| AttemptError::Transport(DropError::new(crt::AWS_IO_TLS_ERROR_NEGOTIATION_FAILURE, DropCause::TlsFailure, m));
    let (events_tx, events) = mpsc::unbounded_channel();
    let (client, session_present, max_packet_size, task) = if settings.mqtt5 {
        let options = attempt_options_v5(&settings, creds.as_ref(), SystemTime::now()).map_err(tls_error)?;
        let (client, mut eventloop) = rumqttc::v5::AsyncClient::new(options, REQUEST_CAPACITY);
        let (session_present, max_packet_size) = match tokio::time::timeout(limit, eventloop.poll()).await {
            Ok(Ok(rumqttc::v5::Event::Incoming(rumqttc::v5::mqttbytes::v5::Packet::ConnAck(ack)))) => {
                (ack.session_present, ack.properties.and_then(|p| p.max_packet_size).map(|n| n as usize))
            }
            Ok(Ok(other)) => return Err(not_connack(format!("{other:?}"))),
            Ok(Err(e)) => return Err(AttemptError::Transport(wire::classify_v5(&e))),
            Err(_) => return Err(AttemptError::Transport(DropError::connect_timeout(limit))),
        };
        let task = tokio::spawn(async move {
            while forward(&events_tx, eventloop.poll().await.map(wire::from_v5).map_err(|e| wire::classify_v5(&e))) {}
        });
        (LinkClient::V5(client), session_present, max_packet_size, task)
    } else {
        let (options, network) = attempt_options(&settings, creds.as_ref(), SystemTime::now()).map_err(tls_error)?;
        let (client, mut eventloop) = AsyncClient::new(options, REQUEST_CAPACITY);
        eventloop.set_network_options(network);
        let session_present = match tokio::time::timeout(limit, eventloop.poll()).await {
            Ok(Ok(Event::Incoming(Packet::ConnAck(ack)))) => ack.session_present,
            Ok(Ok(other)) => return Err(not_connack(format!("{other:?}"))),
            Ok(Err(e)) => return Err(AttemptError::Transport(classify(&e))),
            Err(_) => return Err(AttemptError::Transport(DropError::connect_timeout(limit))),
        };
        let task = tokio::spawn(async move {
            while forward(&events_tx, eventloop.poll().await.map(wire::from_v4).map_err(|e| classify(&e))) {}
        });
        (LinkClient::V4(client), session_present, None, task)
    };
    Ok(Link { client, events, session_present, max_packet_size, connected_at: Instant::now(), task })
}

fn not_connack(got: String) -> AttemptError {
    AttemptError::Transport(DropError::new(crt::AWS_ERROR_MQTT_PROTOCOL_ERROR, DropCause::InternalError, format!("expected CONNACK, got {got}")))
}

/// Hands one polled outcome to the session; whether to poll again. A link's event loop runs
/// in its own task (so the session never cancels a half-done poll) and stops at the first
/// error: polling again would make rumqttc reconnect on its own, and reconnecting is the
/// session's decision alone.
fn forward(tx: &mpsc::UnboundedSender<Result<LinkEvent, DropError>>, polled: Result<Option<LinkEvent>, DropError>) -> bool {
    match polled {
        Ok(None) => true,
        Ok(Some(event)) => tx.send(Ok(event)).is_ok(),
        Err(e) => {
            let _ = tx.send(Err(e));
            false
        }
    }
}
