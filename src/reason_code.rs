//! MQTT 5 reason codes: their names, and the drop cause each one means. Over MQTT 5 the server
//! says why it closes a connection (DISCONNECT), refuses one (CONNACK) or fails a request
//! (PUBACK, SUBACK); the EMQX guide's causes (kicked, takeovered, ...) come from these.

use crate::drop_cause::DropCause;

/// `(code, name)` of every reason code a server may send to a client (MQTT 5.0 §2.4).
const NAMES: &[(u8, &str)] = &[
    (0x00, "success"),
    (0x04, "disconnect with will message"),
    (0x80, "unspecified error"),
    (0x81, "malformed packet"),
    (0x82, "protocol error"),
    (0x83, "implementation specific error"),
    (0x84, "unsupported protocol version"),
    (0x85, "client identifier not valid"),
    (0x86, "bad user name or password"),
    (0x87, "not authorized"),
    (0x88, "server unavailable"),
    (0x89, "server busy"),
    (0x8A, "banned"),
    (0x8B, "server shutting down"),
    (0x8C, "bad authentication method"),
    (0x8D, "keep alive timeout"),
    (0x8E, "session taken over"),
    (0x8F, "topic filter invalid"),
    (0x90, "topic name invalid"),
    (0x91, "packet identifier in use"),
    (0x93, "receive maximum exceeded"),
    (0x94, "topic alias invalid"),
    (0x95, "packet too large"),
    (0x96, "message rate too high"),
    (0x97, "quota exceeded"),
    (0x98, "administrative action"),
    (0x99, "payload format invalid"),
    (0x9A, "retain not supported"),
    (0x9B, "QoS not supported"),
    (0x9C, "use another server"),
    (0x9D, "server moved"),
    (0x9E, "shared subscriptions not supported"),
    (0x9F, "connection rate exceeded"),
    (0xA0, "maximum connect time"),
    (0xA1, "subscription identifiers not supported"),
    (0xA2, "wildcard subscriptions not supported"),
];

pub fn name(code: u8) -> &'static str {
    NAMES.iter().find(|(c, _)| *c == code).map_or("unknown reason code", |(_, n)| n)
}

/// The cause a server-sent reason code means, for a DISCONNECT and a refused CONNACK alike.
/// Every code maps somewhere; the code itself is always kept beside the cause.
pub fn cause(code: u8) -> DropCause {
    match code {
        0x00 | 0x04 => DropCause::Normal,
        0x8E => DropCause::Takeovered,
        0x98 => DropCause::Kicked,
        0x8D => DropCause::KeepaliveTimeout,
        0x87 | 0x86 | 0x8A | 0x8C | 0x85 => DropCause::NotAuthorized,
        0x89 | 0x97 | 0x96 | 0x9F => DropCause::Throttled,
        0x8B | 0x88 | 0x9C | 0x9D | 0xA0 => DropCause::ServerShuttingDown,
        0x95 => DropCause::PacketTooLarge,
        // Packet-level refusals of what the client sent: the nearest is the server discarding it.
        0x8F | 0x90 | 0x93 | 0x94 | 0x99 | 0x9A | 0x9B | 0x9E | 0xA1 | 0xA2 => DropCause::Discarded,
        _ => DropCause::InternalError,
    }
}

/// "0x8E session taken over" and, when the server gave one, its reason string.
pub fn describe(code: u8, reason: Option<&str>) -> String {
    match reason {
        Some(text) if !text.is_empty() => format!("reason 0x{code:02X} {}: {text}", name(code)),
        _ => format!("reason 0x{code:02X} {}", name(code)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_issue_table() {
        assert_eq!(cause(0x8E), DropCause::Takeovered);
        assert_eq!(cause(0x98), DropCause::Kicked);
        assert_eq!(cause(0x8D), DropCause::KeepaliveTimeout);
        assert_eq!(cause(0x87), DropCause::NotAuthorized);
        for throttle in [0x89, 0x97, 0x96, 0x9F] {
            assert_eq!(cause(throttle), DropCause::Throttled, "{throttle:#x}");
        }
        assert_eq!(cause(0x8B), DropCause::ServerShuttingDown);
        assert_eq!(cause(0x95), DropCause::PacketTooLarge);
        assert_eq!(cause(0x8A), DropCause::NotAuthorized);
        assert_eq!(cause(0x81), DropCause::InternalError);
        assert_eq!(describe(0x8E, Some("another client")), "reason 0x8E session taken over: another client");
        assert_eq!(describe(0xFE, None), "reason 0xFE unknown reason code");
    }
}
