//! Why a connection dropped (or never came up), in two vocabularies at once: the AWS Common
//! Runtime's error names and codes that existing dashboards key on, and a cause taxonomy that
//! says what to do about it (TARGET §4.8, §6).

use std::error::Error as StdError;
use std::io;

use rumqttc::{ConnectReturnCode, ConnectionError, StateError};

/// The cause of a drop, as the EMQX troubleshooting guide names disconnect reasons, seen from
/// the client side, plus the failures that happen before a broker is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DropCause {
    Normal,
    Kicked,
    KeepaliveTimeout,
    NotAuthorized,
    TcpClosed,
    Discarded,
    Takeovered,
    InternalError,
    NetworkUnreachable,
    DnsFailure,
    TlsFailure,
    CredentialsExpired,
    /// MQTT 5: server busy, quota exceeded, message or connection rate too high.
    Throttled,
    /// MQTT 5: server shutting down or unavailable, use another server, connect time over.
    ServerShuttingDown,
    /// MQTT 5: a packet over the server's maximum size.
    PacketTooLarge,
}

impl DropCause {
    pub fn as_str(self) -> &'static str {
        match self {
            DropCause::Normal => "normal",
            DropCause::Kicked => "kicked",
            DropCause::KeepaliveTimeout => "keepalive_timeout",
            DropCause::NotAuthorized => "not_authorized",
            DropCause::TcpClosed => "tcp_closed",
            DropCause::Discarded => "discarded",
            DropCause::Takeovered => "takeovered",
            DropCause::InternalError => "internal_error",
            DropCause::NetworkUnreachable => "network_unreachable",
            DropCause::DnsFailure => "dns_failure",
            DropCause::TlsFailure => "tls_failure",
            DropCause::CredentialsExpired => "credentials_expired",
            DropCause::Throttled => "throttled",
            DropCause::ServerShuttingDown => "server_shutting_down",
            DropCause::PacketTooLarge => "packet_too_large",
        }
    }
}

/// One AWS CRT error identity: name, code and the library's own description.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CrtError {
    pub name: &'static str,
    pub code: i32,
    pub description: &'static str,
}

macro_rules! crt {
    ($ident:ident, $code:expr, $desc:expr) => {
        pub const $ident: CrtError = CrtError { name: stringify!($ident), code: $code, description: $desc };
    };
}

/// The CRT identities this client reports (codes from ../shared/reference/error-codes.md).
pub mod crt {
    use super::CrtError;
    crt!(AWS_ERROR_MQTT_TIMEOUT, 5129, "Time limit between request and response has been exceeded.");
    crt!(AWS_ERROR_MQTT_PROTOCOL_ERROR, 5130, "Protocol error occurred.");
    crt!(AWS_ERROR_MQTT_UNEXPECTED_HANGUP, 5134, "The connection was closed unexpectedly.");
    crt!(AWS_IO_SOCKET_CLOSED, 1051, "socket is closed.");
    crt!(AWS_IO_SOCKET_TIMEOUT, 1048, "socket operation timed out.");
    crt!(AWS_IO_SOCKET_CONNECTION_REFUSED, 1047, "socket connection refused.");
    crt!(AWS_IO_SOCKET_NETWORK_DOWN, 1050, "network is down.");
    crt!(AWS_IO_SOCKET_NO_ROUTE_TO_HOST, 1049, "socket connect failure, no route to host.");
    crt!(AWS_IO_SOCKET_NOT_CONNECTED, 1052, "socket not connected.");
    crt!(AWS_IO_SOCKET_CONNECT_ABORTED, 1057, "Incoming connection was aborted.");
    crt!(AWS_IO_DNS_QUERY_FAILED, 1058, "A nonrecoverable failure when query to dns occurred.");
    crt!(AWS_IO_DNS_INVALID_NAME, 1059, "Host name was invalid for dns resolution.");
    crt!(AWS_IO_TLS_ERROR_NEGOTIATION_FAILURE, 1029, "TLS (SSL) negotiation failed");
    crt!(AWS_ERROR_HTTP_WEBSOCKET_UPGRADE_FAILURE, 2065, "Failed to upgrade HTTP connection to Websocket.");
    crt!(AWS_ERROR_HTTP_WEBSOCKET_PROTOCOL_ERROR, 2089, "Websocket protocol rules violated by peer");
    crt!(AWS_ERROR_HTTP_CONNECTION_CLOSED, 2058, "The connection has closed or is closing.");
    crt!(AWS_ERROR_MQTT5_CONNACK_CONNECTION_REFUSED, 5150, "Remote endpoint rejected the CONNECT attempt by returning an unsuccessful CONNACK");
    crt!(AWS_ERROR_MQTT5_DISCONNECT_RECEIVED, 5154, "Mqtt5 client connection interrupted by server DISCONNECT.");
}

/// A classified drop: the CRT identity, our cause, and a message with the specifics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DropError {
    pub crt: CrtError,
    pub cause: DropCause,
    pub message: String,
    /// MQTT 5: the reason code of the server's DISCONNECT or refusing CONNACK.
    pub reason_code: Option<u8>,
    /// MQTT 5: the reason string the server sent with it, if any.
    pub reason_string: Option<String>,
}

impl DropError {
    pub fn new(crt: CrtError, cause: DropCause, detail: impl Into<String>) -> Self {
        let detail = detail.into();
        let message =
            if detail.is_empty() { crt.description.to_string() } else { format!("{} ({detail})", crt.description) };
        Self { crt, cause, message, reason_code: None, reason_string: None }
    }

    /// MQTT 5: the server closed the connection with a DISCONNECT saying why.
    pub fn server_disconnect(code: u8, reason: Option<String>) -> Self {
        Self::with_reason(crt::AWS_ERROR_MQTT5_DISCONNECT_RECEIVED, code, reason)
    }

    /// MQTT 5: the server refused the connection in its CONNACK.
    pub fn connack_refused(code: u8, reason: Option<String>) -> Self {
        Self::with_reason(crt::AWS_ERROR_MQTT5_CONNACK_CONNECTION_REFUSED, code, reason)
    }

    fn with_reason(crt: CrtError, code: u8, reason: Option<String>) -> Self {
        let reason = reason.filter(|r| !r.is_empty());
        let mut e = Self::new(crt, crate::reason_code::cause(code), crate::reason_code::describe(code, reason.as_deref()));
        e.reason_code = Some(code);
        e.reason_string = reason;
        e
    }

    /// No PINGRESP within the ping deadline: the path is dead even though no socket error came.
    pub fn ping_deadline(after: std::time::Duration) -> Self {
        Self::new(
            crt::AWS_ERROR_MQTT_TIMEOUT,
            DropCause::KeepaliveTimeout,
            format!("no PINGRESP within {:.1} s", after.as_secs_f64()),
        )
    }

    pub fn connect_timeout(after: std::time::Duration) -> Self {
        Self::new(
            crt::AWS_IO_SOCKET_TIMEOUT,
            DropCause::NetworkUnreachable,
            format!("connect did not complete within {:.1} s", after.as_secs_f64()),
        )
    }

    pub fn name(&self) -> &'static str {
        self.crt.name
    }

    pub fn code(&self) -> i32 {
        self.crt.code
    }
}

impl std::fmt::Display for DropError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.crt.name, self.message)
    }
}

/// The cause an AWS CRT error name implies, for errors recorded by name only (a real awscrt
/// error handed to a collector by application code).
pub fn cause_for_crt_name(name: &str) -> Option<DropCause> {
    Some(match name {
        "AWS_ERROR_MQTT_UNEXPECTED_HANGUP" | "AWS_IO_SOCKET_CLOSED" | "AWS_IO_SOCKET_NOT_CONNECTED"
        | "AWS_ERROR_HTTP_CONNECTION_CLOSED" | "AWS_IO_SOCKET_CONNECT_ABORTED" => DropCause::TcpClosed,
        "AWS_ERROR_MQTT_TIMEOUT" => DropCause::KeepaliveTimeout,
        "AWS_IO_SOCKET_CONNECTION_REFUSED" | "AWS_IO_SOCKET_TIMEOUT" | "AWS_IO_SOCKET_NETWORK_DOWN"
        | "AWS_IO_SOCKET_NO_ROUTE_TO_HOST" => DropCause::NetworkUnreachable,
        "AWS_IO_DNS_QUERY_FAILED" | "AWS_IO_DNS_INVALID_NAME" | "AWS_IO_DNS_NO_ADDRESS_FOR_HOST" | "AWS_IO_DNS_QUERY_AGAIN" => {
            DropCause::DnsFailure
        }
        n if n.starts_with("AWS_IO_TLS") => DropCause::TlsFailure,
        "AWS_ERROR_HTTP_WEBSOCKET_UPGRADE_FAILURE" => DropCause::CredentialsExpired,
        // The reason code, not the name, says why; without it the nearest is a server-side close.
        "AWS_ERROR_MQTT5_DISCONNECT_RECEIVED" => DropCause::TcpClosed,
        "AWS_ERROR_MQTT5_CONNACK_CONNECTION_REFUSED" => DropCause::NotAuthorized,
        "AWS_ERROR_MQTT_PROTOCOL_ERROR" | "AWS_ERROR_HTTP_WEBSOCKET_PROTOCOL_ERROR" => DropCause::InternalError,
        _ => return None,
    })
}

/// Classifies what rumqttc reported when a connection failed or ended.
pub fn classify(err: &ConnectionError) -> DropError {
    use crt::*;
    match err {
        ConnectionError::MqttState(state) => classify_state(state),
        ConnectionError::NetworkTimeout => {
            DropError::new(AWS_IO_SOCKET_TIMEOUT, DropCause::NetworkUnreachable, "connect timed out")
        }
        ConnectionError::FlushTimeout => {
            DropError::new(AWS_ERROR_MQTT_TIMEOUT, DropCause::KeepaliveTimeout, "write did not drain in time")
        }
        ConnectionError::Io(e) => classify_io(e),
        ConnectionError::Tls(e) => classify_tls(e),
        ConnectionError::ConnectionRefused(code) => classify_connack(*code),
        ConnectionError::NotConnAck(packet) => {
            DropError::new(AWS_ERROR_MQTT_PROTOCOL_ERROR, DropCause::InternalError, format!("expected CONNACK, got {packet:?}"))
        }
        ConnectionError::Websocket(ws) => classify_ws(ws),
        ConnectionError::WsConnect(e) => {
            DropError::new(AWS_ERROR_HTTP_WEBSOCKET_UPGRADE_FAILURE, DropCause::InternalError, e.to_string())
        }
        ConnectionError::InvalidUrl(e) => {
            DropError::new(AWS_IO_DNS_INVALID_NAME, DropCause::DnsFailure, e.to_string())
        }
        ConnectionError::ResponseValidation(e) => {
            DropError::new(AWS_ERROR_HTTP_WEBSOCKET_UPGRADE_FAILURE, DropCause::InternalError, e.to_string())
        }
        ConnectionError::RequestsDone => DropError::new(AWS_ERROR_MQTT_UNEXPECTED_HANGUP, DropCause::Normal, "client closed"),
    }
}

/// A TLS-layer failure, unless it is an I/O error underneath (a reset during the handshake).
pub fn classify_tls(e: &rumqttc::TlsError) -> DropError {
    if let Some(io) = find_io(e) {
        if find_rustls(e).is_none() {
            return classify_io(io);
        }
    }
    DropError::new(crt::AWS_IO_TLS_ERROR_NEGOTIATION_FAILURE, DropCause::TlsFailure, e.to_string())
}

fn classify_state(state: &StateError) -> DropError {
    use crt::*;
    match state {
        StateError::ConnectionAborted => {
            DropError::new(AWS_ERROR_MQTT_UNEXPECTED_HANGUP, DropCause::TcpClosed, "peer closed the connection")
        }
        StateError::AwaitPingResp => {
            DropError::new(AWS_ERROR_MQTT_TIMEOUT, DropCause::KeepaliveTimeout, "previous PINGREQ never answered")
        }
        StateError::Io(e) => classify_io(e),
        StateError::Deserialization(rumqttc::mqttbytes::Error::Io(e)) => classify_io(e),
        other => DropError::new(AWS_ERROR_MQTT_PROTOCOL_ERROR, DropCause::InternalError, other.to_string()),
    }
}

fn classify_connack(code: ConnectReturnCode) -> DropError {
    let cause = match code {
        ConnectReturnCode::BadUserNamePassword | ConnectReturnCode::NotAuthorized => DropCause::NotAuthorized,
        _ => DropCause::InternalError,
    };
    DropError::new(crt::AWS_ERROR_MQTT_PROTOCOL_ERROR, cause, format!("CONNACK refused: {code:?}"))
}

pub fn classify_ws(ws: &tungstenite::Error) -> DropError {
    use crt::*;
    use tungstenite::error::{Error as Ws, ProtocolError};
    match ws {
        Ws::Http(response) => {
            let status = response.status().as_u16();
            let cause = if status == 401 || status == 403 { DropCause::CredentialsExpired } else { DropCause::InternalError };
            DropError::new(AWS_ERROR_HTTP_WEBSOCKET_UPGRADE_FAILURE, cause, format!("HTTP {status} on upgrade"))
        }
        Ws::Io(e) => classify_io(e),
        Ws::Tls(e) => DropError::new(AWS_IO_TLS_ERROR_NEGOTIATION_FAILURE, DropCause::TlsFailure, e.to_string()),
        Ws::ConnectionClosed | Ws::AlreadyClosed | Ws::Protocol(ProtocolError::ResetWithoutClosingHandshake) => {
            DropError::new(AWS_ERROR_MQTT_UNEXPECTED_HANGUP, DropCause::TcpClosed, "peer closed the websocket")
        }
        other => DropError::new(AWS_ERROR_HTTP_WEBSOCKET_PROTOCOL_ERROR, DropCause::InternalError, other.to_string()),
    }
}

/// Maps an OS-level error the way aws-c-io maps errno values.
pub fn classify_io(e: &io::Error) -> DropError {
    use crt::*;
    use io::ErrorKind as K;
    if find_rustls(e).is_some() {
        return DropError::new(AWS_IO_TLS_ERROR_NEGOTIATION_FAILURE, DropCause::TlsFailure, e.to_string());
    }
    if is_dns_failure(e) {
        return DropError::new(AWS_IO_DNS_INVALID_NAME, DropCause::DnsFailure, e.to_string());
    }
    let (crt, cause) = match e.kind() {
        K::UnexpectedEof => (AWS_ERROR_MQTT_UNEXPECTED_HANGUP, DropCause::TcpClosed),
        K::ConnectionReset | K::BrokenPipe => (AWS_IO_SOCKET_CLOSED, DropCause::TcpClosed),
        K::ConnectionAborted => (AWS_IO_SOCKET_CONNECT_ABORTED, DropCause::TcpClosed),
        K::ConnectionRefused => (AWS_IO_SOCKET_CONNECTION_REFUSED, DropCause::NetworkUnreachable),
        K::TimedOut => (AWS_IO_SOCKET_TIMEOUT, DropCause::NetworkUnreachable),
        K::HostUnreachable | K::NetworkUnreachable => (AWS_IO_SOCKET_NO_ROUTE_TO_HOST, DropCause::NetworkUnreachable),
        K::NetworkDown => (AWS_IO_SOCKET_NETWORK_DOWN, DropCause::NetworkUnreachable),
        K::NotConnected => (AWS_IO_SOCKET_NOT_CONNECTED, DropCause::TcpClosed),
        _ => (AWS_IO_SOCKET_NOT_CONNECTED, DropCause::InternalError),
    };
    DropError::new(crt, cause, e.to_string())
}

/// tokio's resolver reports getaddrinfo failures as uncategorised I/O errors; their text is the
/// only stable signal.
fn is_dns_failure(e: &io::Error) -> bool {
    let text = e.to_string();
    text.contains("failed to lookup address") || text.contains("Name or service not known")
        || text.contains("Temporary failure in name resolution") || text.contains("could not resolve")
}

fn find_rustls<'a>(e: &'a (dyn StdError + 'static)) -> Option<&'a rustls::Error> {
    let mut current: Option<&(dyn StdError + 'static)> = Some(e);
    while let Some(err) = current {
        if let Some(found) = err.downcast_ref::<rustls::Error>() {
            return Some(found);
        }
        if let Some(io) = err.downcast_ref::<io::Error>() {
            if let Some(inner) = io.get_ref() {
                if let Some(found) = inner.downcast_ref::<rustls::Error>() {
                    return Some(found);
                }
            }
        }
        current = err.source();
    }
    None
}

fn find_io<'a>(e: &'a (dyn StdError + 'static)) -> Option<&'a io::Error> {
    let mut current: Option<&(dyn StdError + 'static)> = Some(e);
    while let Some(err) = current {
        if let Some(io) = err.downcast_ref::<io::Error>() {
            return Some(io);
        }
        current = err.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_is_name_colon_message() {
        let e = classify(&ConnectionError::MqttState(StateError::ConnectionAborted));
        assert_eq!(e.code(), 5134);
        assert_eq!(e.cause, DropCause::TcpClosed);
        assert!(e.to_string().starts_with("AWS_ERROR_MQTT_UNEXPECTED_HANGUP: The connection was closed unexpectedly."));
    }

    #[test]
    fn resets_refusals_and_timeouts() {
        let reset = classify(&ConnectionError::Io(io::Error::from(io::ErrorKind::ConnectionReset)));
        assert_eq!((reset.name(), reset.code(), reset.cause), ("AWS_IO_SOCKET_CLOSED", 1051, DropCause::TcpClosed));
        let refused = classify(&ConnectionError::Io(io::Error::from(io::ErrorKind::ConnectionRefused)));
        assert_eq!((refused.code(), refused.cause), (1047, DropCause::NetworkUnreachable));
        let ping = DropError::ping_deadline(std::time::Duration::from_secs(3));
        assert_eq!((ping.code(), ping.cause), (5129, DropCause::KeepaliveTimeout));
    }

    #[test]
    fn connack_refusals() {
        let e = classify(&ConnectionError::ConnectionRefused(ConnectReturnCode::NotAuthorized));
        assert_eq!((e.code(), e.cause), (5130, DropCause::NotAuthorized));
        let e = classify(&ConnectionError::ConnectionRefused(ConnectReturnCode::ServiceUnavailable));
        assert_eq!(e.cause, DropCause::InternalError);
    }

    #[test]
    fn dns_failures_are_recognised_by_text() {
        let e = io::Error::new(io::ErrorKind::Other, "failed to lookup address information: Name or service not known");
        assert_eq!(classify_io(&e).cause, DropCause::DnsFailure);
    }
}
