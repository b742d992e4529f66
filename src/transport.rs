//! Where and how to connect: endpoint parsing, the per-attempt rumqttc options, TLS trust, and
//! the SigV4-signed websocket URL for AWS IoT.

use std::time::SystemTime;

use rumqttc::{MqttOptions, NetworkOptions, TlsConfiguration, Transport};

use crate::config::ConnectionSettings;
use crate::sigv4::{presign_query, AwsCredentials, PresignRequest, IOT_SERVICE};
use crate::timefmt::UtcTime;
use crate::tls;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    Mqtt,
    Mqtts,
    Ws,
    Wss,
}

impl Scheme {
    fn default_port(self) -> u16 {
        match self {
            Scheme::Mqtt => 1883,
            Scheme::Mqtts => 8883,
            Scheme::Ws => 80,
            Scheme::Wss => 443,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Scheme::Mqtt => "mqtt",
            Scheme::Mqtts => "mqtts",
            Scheme::Ws => "ws",
            Scheme::Wss => "wss",
        }
    }

    pub fn is_websocket(self) -> bool {
        matches!(self, Scheme::Ws | Scheme::Wss)
    }
}

/// A broker address: a bare AWS IoT host (the default, `wss://HOST:443/mqtt`, SigV4) or a URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub scheme: Scheme,
    pub host: String,
    pub port: u16,
    pub path: String,
    bare_host: bool,
}

impl Endpoint {
    pub fn parse(text: &str) -> Result<Endpoint, String> {
        let text = text.trim();
        if text.is_empty() {
            return Err("must not be empty".into());
        }
        if !text.contains("://") {
            return Self::parse_bare_host(text);
        }
        let url = url::Url::parse(text).map_err(|e| format!("{text:?} is not a valid URL: {e}"))?;
        let scheme = match url.scheme() {
            "mqtt" | "tcp" => Scheme::Mqtt,
            "mqtts" | "ssl" => Scheme::Mqtts,
            "ws" => Scheme::Ws,
            "wss" => Scheme::Wss,
            other => return Err(format!("scheme {other:?} is not one of mqtt, mqtts, ws, wss")),
        };
        let host = url.host_str().filter(|h| !h.is_empty()).ok_or_else(|| format!("{text:?} has no host"))?;
        let port = url.port().unwrap_or(scheme.default_port());
        // A websocket URL written without a path means AWS IoT's `/mqtt`.
        let explicit_path = text.splitn(2, "://").nth(1).is_some_and(|rest| rest.contains('/'));
        let path = if scheme.is_websocket() && !explicit_path { "/mqtt".to_string() } else { url.path().to_string() };
        Ok(Endpoint { scheme, host: host.trim_matches(|c| c == '[' || c == ']').to_string(), port, path, bare_host: false })
    }

    fn parse_bare_host(text: &str) -> Result<Endpoint, String> {
        if text.chars().any(|c| c.is_whitespace() || matches!(c, '/' | '?' | '#' | '@')) {
            return Err(format!("{text:?} is neither a host name nor a mqtt/mqtts/ws/wss URL"));
        }
        Ok(Endpoint { scheme: Scheme::Wss, host: text.to_string(), port: 443, path: "/mqtt".into(), bare_host: true })
    }

    /// AWS IoT rules (keep-alive range, SigV4) apply to the default kind of endpoint.
    pub fn is_aws_iot(&self) -> bool {
        self.bare_host || self.host.ends_with(".amazonaws.com")
    }

    /// The `Host` header as the websocket client will send it.
    pub fn authority(&self) -> String {
        let host = if self.host.contains(':') { format!("[{}]", self.host) } else { self.host.clone() };
        if self.port == self.scheme.default_port() {
            host
        } else {
            format!("{host}:{}", self.port)
        }
    }

    /// A description safe for logs: no query string, so no signature or token.
    pub fn display(&self) -> String {
        let path = if self.scheme.is_websocket() { self.path.as_str() } else { "" };
        format!("{}://{}{}", self.scheme.name(), self.authority(), path)
    }

    /// The websocket URL for one attempt, signed when credentials are at hand.
    pub fn websocket_url(&self, region: &str, creds: Option<&AwsCredentials>, now: SystemTime) -> String {
        let authority = self.authority();
        let base = format!("{}://{}{}", self.scheme.name(), authority, self.path);
        match creds {
            Some(creds) => {
                let request = PresignRequest {
                    host: &authority,
                    path: &self.path,
                    region,
                    service: IOT_SERVICE,
                    time: UtcTime::from_system(now),
                    expires: None,
                };
                format!("{base}?{}", presign_query(&request, creds))
            }
            None => base,
        }
    }
}

/// Where an attempt connects (rumqttc takes the signed URL as the "host" of a websocket) and
/// over what.
fn target(settings: &ConnectionSettings, creds: Option<&AwsCredentials>, now: SystemTime) -> Result<(String, u16, Transport), String> {
    let ep = &settings.endpoint;
    let host = if ep.scheme.is_websocket() { ep.websocket_url(&settings.region, creds, now) } else { ep.host.clone() };
    let transport = match ep.scheme {
        Scheme::Mqtt => Transport::Tcp,
        Scheme::Ws => Transport::Ws,
        Scheme::Mqtts => Transport::Tls(TlsConfiguration::Rustls(tls::mqtt_config(false)?)),
        Scheme::Wss => Transport::Wss(TlsConfiguration::Rustls(tls::mqtt_config(true)?)),
    };
    Ok((host, ep.port, transport))
}

fn network(settings: &ConnectionSettings) -> NetworkOptions {
    let mut network = NetworkOptions::new();
    network.set_tcp_nodelay(true);
    network.set_connection_timeout(settings.operation_timeout.as_secs().max(1));
    network
}

/// Outgoing: AWS IoT's payload limit is 128 KiB (checked before anything is sent); leave room
/// for topic and header. Incoming: an oversized message from another broker or a misbehaving
/// publisher must be skipped, not end the link (rumqttc drops the link on a packet over this
/// limit, and grows its buffer only as far as a packet needs).
const MAX_INCOMING: usize = 4 * 1024 * 1024;
const MAX_OUTGOING: usize = 256 * 1024;
/// Unacknowledged QoS 1 publishes at once.
const INFLIGHT: u16 = 100;

/// The rumqttc options for one MQTT 3.1.1 connection attempt.
pub fn attempt_options(
    settings: &ConnectionSettings,
    creds: Option<&AwsCredentials>,
    now: SystemTime,
) -> Result<(MqttOptions, NetworkOptions), String> {
    let (host, port, transport) = target(settings, creds, now)?;
    let mut options = MqttOptions::new(settings.client_id.clone(), host, port);
    options
        .set_keep_alive(settings.keep_alive)
        .set_clean_session(settings.clean_session)
        .set_inflight(INFLIGHT)
        .set_max_packet_size(MAX_INCOMING, MAX_OUTGOING)
        .set_transport(transport);
    Ok((options, network(settings)))
}

/// The rumqttc options for one MQTT 5 connection attempt. Without a clean start the broker
/// keeps the session (subscriptions, queued QoS 1 messages) for `session_expiry_interval`.
pub fn attempt_options_v5(
    settings: &ConnectionSettings,
    creds: Option<&AwsCredentials>,
    now: SystemTime,
) -> Result<rumqttc::v5::MqttOptions, String> {
    let (host, port, transport) = target(settings, creds, now)?;
    let mut options = rumqttc::v5::MqttOptions::new(settings.client_id.clone(), host, port);
    let expiry = (!settings.clean_session).then_some(settings.session_expiry_interval);
    options
        .set_keep_alive(settings.keep_alive)
        .set_clean_start(settings.clean_session)
        .set_session_expiry_interval(expiry)
        .set_outgoing_inflight_upper_limit(INFLIGHT)
        .set_max_packet_size(Some(MAX_INCOMING as u32))
        .set_transport(transport)
        .set_network_options(network(settings));
    Ok(options)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_host_is_aws_iot_over_wss() {
        let e = Endpoint::parse("abc-ats.iot.us-east-1.amazonaws.com").unwrap();
        assert_eq!((e.scheme, e.port, e.path.as_str()), (Scheme::Wss, 443, "/mqtt"));
        assert!(e.is_aws_iot());
        assert_eq!(e.display(), "wss://abc-ats.iot.us-east-1.amazonaws.com/mqtt");
    }

    #[test]
    fn urls() {
        let e = Endpoint::parse("mqtt://127.0.0.1:1884").unwrap();
        assert_eq!((e.scheme, e.host.as_str(), e.port), (Scheme::Mqtt, "127.0.0.1", 1884));
        assert!(!e.is_aws_iot());
        let e = Endpoint::parse("ws://198.51.100.2:8080").unwrap();
        assert_eq!((e.path.as_str(), e.authority()), ("/mqtt", "198.51.100.2:8080".to_string()));
        let e = Endpoint::parse("wss://localhost/custom").unwrap();
        assert_eq!((e.port, e.path.as_str(), e.authority()), (443, "/custom", "localhost".to_string()));
        assert!(Endpoint::parse("http://x").is_err());
        assert!(Endpoint::parse("bad host").is_err());
        assert!(Endpoint::parse("").is_err());
    }

    #[test]
    fn signed_url_carries_no_secret_key_and_ends_with_the_token() {
        let e = Endpoint::parse("example.iot.us-east-1.amazonaws.com").unwrap();
        let creds = AwsCredentials { access_key_id: "AKID".into(), secret_key: "SECRET".into(), session_token: Some("TOKEN".into()) };
        let url = e.websocket_url("us-east-1", Some(&creds), SystemTime::UNIX_EPOCH);
        assert!(url.starts_with("wss://example.iot.us-east-1.amazonaws.com/mqtt?X-Amz-Algorithm="));
        assert!(url.ends_with("X-Amz-Security-Token=TOKEN"));
        assert!(!url.contains("SECRET"));
        assert!(!e.display().contains('?'));
    }
}
