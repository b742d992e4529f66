//! Connection settings: the validated, Python-free form of `MqttConnectionConfig`.

use std::time::Duration;

use crate::backoff::ReconnectPolicy;
use crate::transport::Endpoint;

pub const DEFAULT_AWS_IOT_ENDPOINT: &str = "a1t30mldyslmuq-ats.iot.us-east-1.amazonaws.com";
pub const DEFAULT_REGION: &str = "us-east-1";
/// Environment override of the endpoint, so unchanged user code can be pointed at a simulator.
pub const ENDPOINT_ENV: &str = "NWP500_MQTT_ENDPOINT";
/// AWS IoT's keep-alive range.
pub const AWS_KEEP_ALIVE: std::ops::RangeInclusive<i64> = 30..=1200;
/// MQTT 3.1.1 encodes keep-alive in 16 bits; rumqttc needs at least one second.
pub const MQTT_KEEP_ALIVE: std::ops::RangeInclusive<i64> = 1..=65_535;
pub const MQTT5_MIN_KEEP_ALIVE: i64 = 5;
pub const DEFAULT_PING_TIMEOUT: f64 = 3.0;

/// Everything the session needs, checked once.
#[derive(Debug, Clone, PartialEq)]
pub struct ConnectionSettings {
    pub endpoint: Endpoint,
    pub region: String,
    pub client_id: String,
    pub clean_session: bool,
    pub keep_alive: Duration,
    pub auto_reconnect: bool,
    pub policy: ReconnectPolicy,
    pub operation_timeout: Duration,
    pub enable_command_queue: bool,
    pub max_queued_commands: usize,
    pub max_queued_command_age: Option<Duration>,
    pub ping_timeout: Duration,
    /// Speak MQTT 5 (the server then says why it closes or refuses).
    pub mqtt5: bool,
    /// MQTT 5 with `clean_session` off: how long the broker keeps the session after a drop.
    pub session_expiry_interval: u32,
}

/// A rejected field, reported to Python as `ValueError` naming the field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub field: &'static str,
    pub message: String,
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.field, self.message)
    }
}

fn bad(field: &'static str, message: impl Into<String>) -> ConfigError {
    ConfigError { field, message: message.into() }
}

/// The raw values as a caller wrote them; `validate` turns them into settings.
#[derive(Debug, Clone, PartialEq)]
pub struct RawConfig {
    pub endpoint: String,
    pub region: String,
    pub client_id: String,
    pub clean_session: bool,
    pub keep_alive_secs: i64,
    pub auto_reconnect: bool,
    pub max_reconnect_attempts: i64,
    pub initial_reconnect_delay: f64,
    pub max_reconnect_delay: f64,
    pub reconnect_backoff_multiplier: f64,
    pub deep_reconnect_threshold: i64,
    pub operation_timeout: f64,
    pub enable_command_queue: bool,
    pub max_queued_commands: i64,
    pub max_queued_command_age: Option<f64>,
    pub ping_timeout: f64,
    pub reconnect_jitter: bool,
    pub mqtt5: bool,
    pub session_expiry_interval: i64,
}

/// AWS IoT keeps a persistent session one hour by default (configurable up to 7 days); MQTT 5
/// allows any 32-bit number of seconds.
pub const DEFAULT_SESSION_EXPIRY_SECS: i64 = 3600;

/// Longer than any delay anyone means, short enough that "now + it" can never overflow.
const MAX_SECONDS: f64 = 10.0 * 365.0 * 86_400.0;

fn seconds(field: &'static str, value: f64, allow_zero: bool) -> Result<Duration, ConfigError> {
    if !value.is_finite() {
        return Err(bad(field, format!("must be a finite number of seconds, got {value}")));
    }
    if value < 0.0 || (!allow_zero && value == 0.0) {
        let bound = if allow_zero { ">= 0" } else { "> 0" };
        return Err(bad(field, format!("must be {bound} seconds, got {value}")));
    }
    if value > MAX_SECONDS {
        return Err(bad(field, format!("must be at most {MAX_SECONDS} seconds (ten years), got {value}")));
    }
    Ok(Duration::from_secs_f64(value))
}

impl RawConfig {
    /// The rules about `field` alone, for an assignment to it (the record is mutable). Rules
    /// that relate two fields are checked by [`RawConfig::validate`], when a client uses the
    /// record, so fields can be assigned in any order.
    pub fn check_field(&self, field: &str) -> Result<(), ConfigError> {
        match field {
            "endpoint" => Endpoint::parse(&self.endpoint).map(|_| ()).map_err(|m| bad("endpoint", m)),
            "region" if self.region.trim().is_empty() => Err(bad("region", "must not be empty")),
            "client_id" => validate_client_id(&self.client_id),
            "keep_alive_secs" if !MQTT_KEEP_ALIVE.contains(&self.keep_alive_secs) => Err(bad(
                "keep_alive_secs",
                format!("must be within {}..={} s, got {}", MQTT_KEEP_ALIVE.start(), MQTT_KEEP_ALIVE.end(), self.keep_alive_secs),
            )),
            "initial_reconnect_delay" => seconds("initial_reconnect_delay", self.initial_reconnect_delay, true).map(|_| ()),
            "max_reconnect_delay" => seconds("max_reconnect_delay", self.max_reconnect_delay, true).map(|_| ()),
            "reconnect_backoff_multiplier" => {
                let m = self.reconnect_backoff_multiplier;
                if !m.is_finite() || m < 1.0 {
                    return Err(bad("reconnect_backoff_multiplier", format!("must be >= 1.0, got {m}")));
                }
                Ok(())
            }
            "operation_timeout" => seconds("operation_timeout", self.operation_timeout, false).map(|_| ()),
            "max_queued_commands" if self.max_queued_commands < 1 => {
                Err(bad("max_queued_commands", format!("must be >= 1, got {}", self.max_queued_commands)))
            }
            "max_queued_command_age" => match self.max_queued_command_age {
                None => Ok(()),
                Some(age) => seconds("max_queued_command_age", age, true).map(|_| ()),
            },
            "ping_timeout" => seconds("ping_timeout", self.ping_timeout, false).map(|_| ()),
            "session_expiry_interval" if !(0..=i64::from(u32::MAX)).contains(&self.session_expiry_interval) => Err(bad(
                "session_expiry_interval",
                format!("must be within 0..={} s, got {}", u32::MAX, self.session_expiry_interval),
            )),
            _ => Ok(()),
        }
    }

    pub fn validate(&self) -> Result<ConnectionSettings, ConfigError> {
        let endpoint = Endpoint::parse(&self.endpoint).map_err(|m| bad("endpoint", m))?;
        self.check_field("region")?;
        validate_client_id(&self.client_id)?;

        let keep_range = if endpoint.is_aws_iot() { AWS_KEEP_ALIVE } else { MQTT_KEEP_ALIVE };
        if !keep_range.contains(&self.keep_alive_secs) {
            let which = if endpoint.is_aws_iot() { " for an AWS IoT endpoint" } else { "" };
            return Err(bad(
                "keep_alive_secs",
                format!("must be within {}..={} s{which}, got {}", keep_range.start(), keep_range.end(), self.keep_alive_secs),
            ));
        }
        let initial = seconds("initial_reconnect_delay", self.initial_reconnect_delay, true)?;
        let max = seconds("max_reconnect_delay", self.max_reconnect_delay, true)?;
        if max < initial {
            return Err(bad("max_reconnect_delay", "must be >= initial_reconnect_delay"));
        }
        self.check_field("reconnect_backoff_multiplier")?;
        let m = self.reconnect_backoff_multiplier;
        let operation_timeout = seconds("operation_timeout", self.operation_timeout, false)?;
        self.check_field("max_queued_commands")?;
        let max_age = match self.max_queued_command_age {
            None => None,
            Some(age) => Some(seconds("max_queued_command_age", age, true)?),
        };
        let ping_timeout = seconds("ping_timeout", self.ping_timeout, false)?;
        self.check_field("session_expiry_interval")?;
        // rumqttc's MQTT 5 client refuses a keep-alive under 5 s (it would panic, not fail).
        if self.mqtt5 && self.keep_alive_secs < MQTT5_MIN_KEEP_ALIVE {
            return Err(bad(
                "keep_alive_secs",
                format!("must be >= {MQTT5_MIN_KEEP_ALIVE} s with mqtt5=True, got {}", self.keep_alive_secs),
            ));
        }
        let keep_alive = Duration::from_secs(self.keep_alive_secs as u64);
        if ping_timeout >= keep_alive {
            return Err(bad("ping_timeout", "must be shorter than keep_alive_secs"));
        }

        Ok(ConnectionSettings {
            endpoint,
            region: self.region.trim().to_string(),
            client_id: self.client_id.clone(),
            clean_session: self.clean_session,
            keep_alive,
            auto_reconnect: self.auto_reconnect,
            policy: ReconnectPolicy {
                initial_delay: initial.as_secs_f64(),
                max_delay: max.as_secs_f64(),
                multiplier: m,
                jitter: self.reconnect_jitter,
                // 9.3.0 clamps rather than rejects, and code written for it passes 0.
                deep_threshold: self.deep_reconnect_threshold.clamp(1, i64::from(u32::MAX)) as u32,
                max_attempts: self.max_reconnect_attempts,
            },
            operation_timeout,
            enable_command_queue: self.enable_command_queue,
            max_queued_commands: self.max_queued_commands as usize,
            max_queued_command_age: max_age,
            ping_timeout,
            mqtt5: self.mqtt5,
            session_expiry_interval: self.session_expiry_interval as u32,
        })
    }
}

/// The client id goes into topics and the CONNECT packet; wildcards or separators there would
/// silently subscribe to the wrong things.
fn validate_client_id(id: &str) -> Result<(), ConfigError> {
    if id.is_empty() {
        return Err(bad("client_id", "must not be empty"));
    }
    if id.len() > 128 {
        return Err(bad("client_id", format!("must be at most 128 bytes (AWS IoT limit), got {}", id.len())));
    }
    if let Some(c) = id.chars().find(|c| matches!(c, '/' | '+' | '#') || c.is_control() || c.is_whitespace()) {
        return Err(bad("client_id", format!("must not contain {c:?}")));
    }
    Ok(())
}

/// `navien-client-` and eight lowercase hex digits, as the reference generates.
pub fn generate_client_id() -> String {
    format!("navien-client-{:08x}", rand::random::<u32>())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw() -> RawConfig {
        RawConfig {
            endpoint: DEFAULT_AWS_IOT_ENDPOINT.into(),
            region: DEFAULT_REGION.into(),
            client_id: "navien-client-0123abcd".into(),
            clean_session: true,
            keep_alive_secs: 1200,
            auto_reconnect: true,
            max_reconnect_attempts: -1,
            initial_reconnect_delay: 1.0,
            max_reconnect_delay: 120.0,
            reconnect_backoff_multiplier: 2.0,
            deep_reconnect_threshold: 10,
            operation_timeout: 30.0,
            enable_command_queue: true,
            max_queued_commands: 100,
            max_queued_command_age: Some(300.0),
            ping_timeout: DEFAULT_PING_TIMEOUT,
            reconnect_jitter: true,
            mqtt5: false,
            session_expiry_interval: DEFAULT_SESSION_EXPIRY_SECS,
        }
    }

    fn field_of(r: RawConfig) -> &'static str {
        r.validate().unwrap_err().field
    }

    #[test]
    fn defaults_are_valid() {
        let s = raw().validate().unwrap();
        assert!(s.endpoint.is_aws_iot());
        assert_eq!(s.keep_alive, Duration::from_secs(1200));
    }

    #[test]
    fn each_bad_value_names_its_field() {
        assert_eq!(field_of(RawConfig { keep_alive_secs: 29, ..raw() }), "keep_alive_secs");
        assert_eq!(field_of(RawConfig { initial_reconnect_delay: -1.0, ..raw() }), "initial_reconnect_delay");
        assert_eq!(field_of(RawConfig { max_reconnect_delay: 0.5, ..raw() }), "max_reconnect_delay");
        assert_eq!(field_of(RawConfig { reconnect_backoff_multiplier: 0.5, ..raw() }), "reconnect_backoff_multiplier");
        assert_eq!(field_of(RawConfig { max_queued_commands: 0, ..raw() }), "max_queued_commands");
        assert_eq!(field_of(RawConfig { session_expiry_interval: -1, ..raw() }), "session_expiry_interval");
        let local = |keep_alive_secs| RawConfig { endpoint: "mqtt://127.0.0.1:1883".into(), keep_alive_secs, ping_timeout: 1.0, mqtt5: true, ..raw() };
        assert_eq!(field_of(local(4)), "keep_alive_secs");
        assert!(local(5).validate().is_ok());
        assert_eq!(field_of(RawConfig { max_queued_command_age: Some(-1.0), ..raw() }), "max_queued_command_age");
        assert_eq!(field_of(RawConfig { operation_timeout: 0.0, ..raw() }), "operation_timeout");
        assert_eq!(field_of(RawConfig { ping_timeout: f64::NAN, ..raw() }), "ping_timeout");
        assert_eq!(field_of(RawConfig { client_id: "a/b".into(), ..raw() }), "client_id");
        assert_eq!(field_of(RawConfig { endpoint: "ftp://x".into(), ..raw() }), "endpoint");
        assert_eq!(field_of(RawConfig { max_reconnect_delay: 1e300, ..raw() }), "max_reconnect_delay");
        assert_eq!(field_of(RawConfig { operation_timeout: 1e20, ..raw() }), "operation_timeout");
    }

    #[test]
    fn one_field_is_checked_on_its_own() {
        assert_eq!(RawConfig { operation_timeout: -1.0, ..raw() }.check_field("operation_timeout").unwrap_err().field, "operation_timeout");
        assert!(RawConfig { operation_timeout: f64::NAN, ..raw() }.check_field("operation_timeout").is_err());
        // A rule between two fields waits for validate(), so assignment order does not matter.
        assert!(RawConfig { ping_timeout: 5000.0, ..raw() }.check_field("ping_timeout").is_ok());
        assert!(RawConfig { keep_alive_secs: 0, ..raw() }.check_field("keep_alive_secs").is_err());
    }

    #[test]
    fn short_keep_alive_is_fine_off_aws() {
        let s = RawConfig { endpoint: "mqtt://127.0.0.1:1883".into(), keep_alive_secs: 2, ping_timeout: 1.0, ..raw() };
        assert!(s.validate().is_ok());
    }

    #[test]
    fn zero_deep_threshold_is_clamped_like_the_reference() {
        assert_eq!(RawConfig { deep_reconnect_threshold: 0, ..raw() }.validate().unwrap().policy.deep_threshold, 1);
    }

    #[test]
    fn generated_ids_have_the_reference_shape() {
        let id = generate_client_id();
        assert_eq!(id.len(), "navien-client-".len() + 8);
        assert!(id["navien-client-".len()..].chars().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
    }
}
