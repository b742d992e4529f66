//! The two MQTT versions behind one face. A link speaks MQTT 3.1.1 (rumqttc's v4 client) or
//! MQTT 5 (`rumqttc::v5`); the session sees only [`LinkClient`] and the [`LinkEvent`]s the
//! link's poll task turns either version's events into, errors already classified. What MQTT 5
//! adds arrives as data: a [`Refusal`] on an acknowledgement, a reason on a drop.

use rumqttc::v5::mqttbytes::v5::{
    ConnectReturnCode as ConnectCode5, Packet as Packet5, PubAckReason, SubscribeReasonCode as SubCode5,
};
use rumqttc::{Outgoing, Packet, QoS, SubscribeReasonCode};

use crate::drop_cause::{classify, DropError};

/// A server's "no" to one request (MQTT 5 PUBACK/SUBACK), or a v3 SUBACK failure (no code).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Refusal {
    pub code: Option<u8>,
    pub reason: Option<String>,
}

impl Refusal {
    pub fn describe(&self) -> String {
        match self.code {
            Some(code) => crate::reason_code::describe(code, self.reason.as_deref()),
            None => "refused".into(),
        }
    }
}

#[derive(Debug)]
pub(crate) enum LinkEvent {
    Message { topic: String, payload: Vec<u8> },
    PubAck { pkid: u16, refused: Option<Refusal> },
    SubAck { pkid: u16, refused: Option<Refusal> },
    UnsubAck(u16),
    PingResp,
    PingReqSent,
    PublishSent(u16),
    SubscribeSent(u16),
    UnsubscribeSent(u16),
}

#[derive(Clone)]
pub(crate) enum LinkClient {
    V4(rumqttc::AsyncClient),
    V5(rumqttc::v5::AsyncClient),
}

/// The request channel is gone: the link's event loop has ended.
#[derive(Debug)]
pub(crate) struct Gone;

fn qos5(qos: QoS) -> rumqttc::v5::mqttbytes::QoS {
    match qos {
        QoS::AtMostOnce => rumqttc::v5::mqttbytes::QoS::AtMostOnce,
        QoS::AtLeastOnce => rumqttc::v5::mqttbytes::QoS::AtLeastOnce,
        QoS::ExactlyOnce => rumqttc::v5::mqttbytes::QoS::ExactlyOnce,
    }
}

impl LinkClient {
    pub async fn publish(&self, topic: String, qos: QoS, payload: Vec<u8>) -> Result<(), Gone> {
        match self {
            LinkClient::V4(c) => c.publish(topic, qos, false, payload).await.map_err(|_| Gone),
            LinkClient::V5(c) => c.publish(topic, qos5(qos), false, payload).await.map_err(|_| Gone),
        }
    }

    pub async fn subscribe(&self, topic: String, qos: QoS) -> Result<(), Gone> {
        match self {
            LinkClient::V4(c) => c.subscribe(topic, qos).await.map_err(|_| Gone),
            LinkClient::V5(c) => c.subscribe(topic, qos5(qos)).await.map_err(|_| Gone),
        }
    }

    pub async fn unsubscribe(&self, topic: String) -> Result<(), Gone> {
        match self {
            LinkClient::V4(c) => c.unsubscribe(topic).await.map_err(|_| Gone),
            LinkClient::V5(c) => c.unsubscribe(topic).await.map_err(|_| Gone),
        }
    }

    pub fn try_unsubscribe(&self, topic: String) -> bool {
        match self {
            LinkClient::V4(c) => c.try_unsubscribe(topic).is_ok(),
            LinkClient::V5(c) => c.try_unsubscribe(topic).is_ok(),
        }
    }

    pub fn try_disconnect(&self) -> bool {
        match self {
            LinkClient::V4(c) => c.try_disconnect().is_ok(),
            LinkClient::V5(c) => c.try_disconnect().is_ok(),
        }
    }
}

/// The encoded size of an MQTT 5 PUBLISH as rumqttc writes it (no properties), to hold it
/// against the maximum packet size a server announced in its CONNACK before the link is asked
/// to send it: rumqttc's v5 client ends the whole connection on a packet over that limit.
pub(crate) fn publish_size_v5(topic_len: usize, payload_len: usize, qos: QoS) -> usize {
    let id = if qos == QoS::AtMostOnce { 0 } else { 2 };
    let remaining = 2 + topic_len + id + 1 + payload_len; // 1: the empty property list
    let length_bytes = match remaining {
        0..=127 => 1,
        128..=16_383 => 2,
        16_384..=2_097_151 => 3,
        _ => 4,
    };
    1 + length_bytes + remaining
}

/// What the session needs of an MQTT 3.1.1 event; `None` for the rest.
pub(crate) fn from_v4(event: rumqttc::Event) -> Option<LinkEvent> {
    use rumqttc::Event::{Incoming, Outgoing as Out};
    Some(match event {
        Incoming(Packet::Publish(p)) => LinkEvent::Message { topic: p.topic, payload: p.payload.to_vec() },
        Incoming(Packet::PubAck(ack)) => LinkEvent::PubAck { pkid: ack.pkid, refused: None },
        Incoming(Packet::PubComp(ack)) => LinkEvent::PubAck { pkid: ack.pkid, refused: None },
        Incoming(Packet::SubAck(ack)) => {
            let failed = ack.return_codes.iter().any(|c| matches!(c, SubscribeReasonCode::Failure));
            LinkEvent::SubAck { pkid: ack.pkid, refused: failed.then_some(Refusal { code: None, reason: None }) }
        }
        Incoming(Packet::UnsubAck(ack)) => LinkEvent::UnsubAck(ack.pkid),
        Incoming(Packet::PingResp) => LinkEvent::PingResp,
        Out(o) => outgoing(o)?,
        _ => return None,
    })
}

/// What the session needs of an MQTT 5 event; `None` for the rest.
pub(crate) fn from_v5(event: rumqttc::v5::Event) -> Option<LinkEvent> {
    use rumqttc::v5::Event::{Incoming, Outgoing as Out};
    Some(match event {
        Incoming(Packet5::Publish(p)) => {
            LinkEvent::Message { topic: String::from_utf8_lossy(&p.topic).into_owned(), payload: p.payload.to_vec() }
        }
        Incoming(Packet5::PubAck(ack)) => {
            let refused = pub_ack_code(ack.reason).map(|code| Refusal {
                code: Some(code),
                reason: ack.properties.and_then(|p| p.reason_string),
            });
            LinkEvent::PubAck { pkid: ack.pkid, refused }
        }
        Incoming(Packet5::PubComp(ack)) => LinkEvent::PubAck { pkid: ack.pkid, refused: None },
        Incoming(Packet5::SubAck(ack)) => {
            let code = ack.return_codes.iter().find_map(|c| sub_ack_code(*c));
            let refused = code.map(|code| Refusal { code: Some(code), reason: ack.properties.and_then(|p| p.reason_string) });
            LinkEvent::SubAck { pkid: ack.pkid, refused }
        }
        Incoming(Packet5::UnsubAck(ack)) => LinkEvent::UnsubAck(ack.pkid),
        Incoming(Packet5::PingResp(_)) => LinkEvent::PingResp,
        Out(o) => outgoing(o)?,
        _ => return None,
    })
}

fn outgoing(o: Outgoing) -> Option<LinkEvent> {
    Some(match o {
        Outgoing::PingReq => LinkEvent::PingReqSent,
        Outgoing::Publish(pkid) => LinkEvent::PublishSent(pkid),
        Outgoing::Subscribe(pkid) => LinkEvent::SubscribeSent(pkid),
        Outgoing::Unsubscribe(pkid) => LinkEvent::UnsubscribeSent(pkid),
        _ => return None,
    })
}

/// The failure code of a PUBACK; `None` when the message was accepted (0x10 "no matching
/// subscribers" is a success).
fn pub_ack_code(reason: PubAckReason) -> Option<u8> {
    Some(match reason {
        PubAckReason::Success | PubAckReason::NoMatchingSubscribers => return None,
        PubAckReason::UnspecifiedError => 0x80,
        PubAckReason::ImplementationSpecificError => 0x83,
        PubAckReason::NotAuthorized => 0x87,
        PubAckReason::TopicNameInvalid => 0x90,
        PubAckReason::PacketIdentifierInUse => 0x91,
        PubAckReason::QuotaExceeded => 0x97,
        PubAckReason::PayloadFormatInvalid => 0x99,
    })
}

fn sub_ack_code(code: SubCode5) -> Option<u8> {
    Some(match code {
        SubCode5::Success(_) => return None,
        SubCode5::Failure | SubCode5::Unspecified => 0x80,
        SubCode5::ImplementationSpecific => 0x83,
        SubCode5::NotAuthorized => 0x87,
        SubCode5::TopicFilterInvalid => 0x8F,
        SubCode5::PkidInUse => 0x91,
        SubCode5::QuotaExceeded => 0x97,
        SubCode5::SharedSubscriptionsNotSupported => 0x9E,
        SubCode5::SubscriptionIdNotSupported => 0xA1,
        SubCode5::WildcardSubscriptionsNotSupported => 0xA2,
    })
}

pub(crate) fn connack_code(code: ConnectCode5) -> u8 {
    match code {
        ConnectCode5::Success => 0x00,
        ConnectCode5::RefusedProtocolVersion | ConnectCode5::UnsupportedProtocolVersion => 0x84,
        ConnectCode5::BadClientId | ConnectCode5::ClientIdentifierNotValid => 0x85,
        ConnectCode5::ServiceUnavailable | ConnectCode5::ServerUnavailable => 0x88,
        ConnectCode5::UnspecifiedError => 0x80,
        ConnectCode5::MalformedPacket => 0x81,
        ConnectCode5::ProtocolError => 0x82,
        ConnectCode5::ImplementationSpecificError => 0x83,
        ConnectCode5::BadUserNamePassword => 0x86,
        ConnectCode5::NotAuthorized => 0x87,
        ConnectCode5::ServerBusy => 0x89,
        ConnectCode5::Banned => 0x8A,
        ConnectCode5::BadAuthenticationMethod => 0x8C,
        ConnectCode5::TopicNameInvalid => 0x90,
        ConnectCode5::PacketTooLarge => 0x95,
        ConnectCode5::QuotaExceeded => 0x97,
        ConnectCode5::PayloadFormatInvalid => 0x99,
        ConnectCode5::RetainNotSupported => 0x9A,
        ConnectCode5::QoSNotSupported => 0x9B,
        ConnectCode5::UseAnotherServer => 0x9C,
        ConnectCode5::ServerMoved => 0x9D,
        ConnectCode5::ConnectionRateExceeded => 0x9F,
    }
}

/// Classifies what rumqttc's MQTT 5 client reported when a connection failed or ended: a
/// server's DISCONNECT or refusing CONNACK by its reason code, everything else as over v3.
pub(crate) fn classify_v5(err: &rumqttc::v5::ConnectionError) -> DropError {
    use rumqttc::v5::{ConnectionError as E, StateError as S};
    let v3 = |e: rumqttc::ConnectionError| classify(&e);
    match err {
        E::MqttState(S::ServerDisconnect { reason_code, reason_string }) => {
            DropError::server_disconnect(*reason_code as u8, reason_string.clone())
        }
        E::MqttState(S::ConnFail { reason }) | E::ConnectionRefused(reason) => DropError::connack_refused(connack_code(*reason), None),
        E::MqttState(S::ConnectionAborted) => v3(rumqttc::ConnectionError::MqttState(rumqttc::StateError::ConnectionAborted)),
        E::MqttState(S::AwaitPingResp) => v3(rumqttc::ConnectionError::MqttState(rumqttc::StateError::AwaitPingResp)),
        E::MqttState(S::Io(e)) | E::Io(e) => crate::drop_cause::classify_io(e),
        // A read that failed while decoding a packet: what failed is the socket.
        E::MqttState(S::Deserialization(rumqttc::v5::mqttbytes::Error::Io(e))) => crate::drop_cause::classify_io(e),
        E::Timeout(_) => v3(rumqttc::ConnectionError::NetworkTimeout),
        E::Websocket(ws) => crate::drop_cause::classify_ws(ws),
        E::Tls(e) => crate::drop_cause::classify_tls(e),
        E::WsConnect(e) => DropError::new(
            crate::drop_cause::crt::AWS_ERROR_HTTP_WEBSOCKET_UPGRADE_FAILURE,
            crate::drop_cause::DropCause::InternalError,
            e.to_string(),
        ),
        E::InvalidUrl(e) => DropError::new(crate::drop_cause::crt::AWS_IO_DNS_INVALID_NAME, crate::drop_cause::DropCause::DnsFailure, e.to_string()),
        E::RequestsDone => v3(rumqttc::ConnectionError::RequestsDone),
        other => DropError::new(
            crate::drop_cause::crt::AWS_ERROR_MQTT_PROTOCOL_ERROR,
            crate::drop_cause::DropCause::InternalError,
            other.to_string(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::drop_cause::DropCause;
    use rumqttc::v5::mqttbytes::v5::DisconnectReasonCode;

    #[test]
    fn a_server_disconnect_is_named_by_its_reason() {
        let e = classify_v5(&rumqttc::v5::ConnectionError::MqttState(rumqttc::v5::StateError::ServerDisconnect {
            reason_code: DisconnectReasonCode::SessionTakenOver,
            reason_string: Some("another client".into()),
        }));
        assert_eq!((e.name(), e.code(), e.cause), ("AWS_ERROR_MQTT5_DISCONNECT_RECEIVED", 5154, DropCause::Takeovered));
        assert_eq!((e.reason_code, e.reason_string.as_deref()), (Some(0x8E), Some("another client")));
        assert!(e.to_string().contains("reason 0x8E session taken over: another client"), "{e}");
    }

    #[test]
    fn a_refused_connack_is_named_by_its_reason() {
        let e = classify_v5(&rumqttc::v5::ConnectionError::ConnectionRefused(ConnectCode5::Banned));
        assert_eq!((e.code(), e.cause, e.reason_code), (5150, DropCause::NotAuthorized, Some(0x8A)));
        let e = classify_v5(&rumqttc::v5::ConnectionError::ConnectionRefused(ConnectCode5::QuotaExceeded));
        assert_eq!((e.cause, e.reason_code), (DropCause::Throttled, Some(0x97)));
    }

    #[test]
    fn a_reset_while_reading_is_a_reset() {
        let reset = std::io::Error::from(std::io::ErrorKind::ConnectionReset);
        let e = classify_v5(&rumqttc::v5::ConnectionError::MqttState(rumqttc::v5::StateError::Deserialization(
            rumqttc::v5::mqttbytes::Error::Io(reset),
        )));
        assert_eq!((e.code(), e.cause), (1051, DropCause::TcpClosed));
    }

    #[test]
    fn publish_size_matches_what_rumqttc_encodes() {
        use rumqttc::v5::mqttbytes::v5::Publish;
        for (topic, payload, qos) in [("t", 0, QoS::AtMostOnce), ("a/b/c", 120, QoS::AtLeastOnce), ("x", 16_380, QoS::AtLeastOnce), ("y", 3_000_000, QoS::AtLeastOnce)] {
            let mut p = Publish::new(topic, qos5(qos), vec![0u8; payload], None);
            p.pkid = if qos == QoS::AtMostOnce { 0 } else { 1 };
            assert_eq!(publish_size_v5(topic.len(), payload, qos), p.size(), "{topic} {payload}");
        }
    }

    #[test]
    fn acknowledgement_failures_carry_their_code() {
        assert_eq!(pub_ack_code(PubAckReason::NoMatchingSubscribers), None);
        assert_eq!(pub_ack_code(PubAckReason::NotAuthorized), Some(0x87));
        assert_eq!(sub_ack_code(SubCode5::QuotaExceeded), Some(0x97));
        assert_eq!(sub_ack_code(SubCode5::Success(rumqttc::v5::mqttbytes::QoS::AtLeastOnce)), None);
    }
}
