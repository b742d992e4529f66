//! The Navien cloud's tokens: parsing (camelCase from the API, snake_case from storage),
//! expiry with the reference's five-minute margin, and the merge a refresh needs.

use serde_json::{json, Map, Value};

use crate::timefmt::{parse_iso8601, UtcTime};

/// Tokens within this many seconds of expiry count as expired.
pub const EXPIRY_MARGIN_SECS: f64 = 300.0;

#[derive(Clone, PartialEq)]
pub struct Tokens {
    pub id_token: String,
    pub access_token: String,
    pub refresh_token: String,
    pub authentication_expires_in: i64,
    pub access_key_id: Option<String>,
    pub secret_key: Option<String>,
    pub session_token: Option<String>,
    pub authorization_expires_in: Option<i64>,
    /// Unix seconds.
    pub issued_at: f64,
    /// When the AWS credentials expire; kept across a refresh that does not renew them.
    pub aws_expires_at: Option<f64>,
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tokens")
            .field("authentication_expires_in", &self.authentication_expires_in)
            .field("authorization_expires_in", &self.authorization_expires_in)
            .field("issued_at", &self.issued_at)
            .finish_non_exhaustive()
    }
}

/// A field by its camelCase or snake_case name; an empty camelCase value yields to a present
/// snake_case one (the reference's `handle_empty_aliases`).
fn field<'a>(obj: &'a Map<String, Value>, camel: &str, snake: &str) -> Option<&'a Value> {
    let c = obj.get(camel).filter(|v| !v.is_null());
    let s = obj.get(snake).filter(|v| !v.is_null());
    match (c, s) {
        (Some(c), Some(s)) if is_empty(c) => Some(s),
        (Some(c), _) => Some(c),
        (None, s) => s,
    }
}

fn is_empty(v: &Value) -> bool {
    match v {
        Value::String(s) => s.is_empty(),
        Value::Null => true,
        Value::Number(n) => n.as_f64() == Some(0.0),
        _ => false,
    }
}

fn text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn int(v: Option<&Value>) -> Result<Option<i64>, String> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)).map(Some).ok_or_else(|| format!("bad number {n}")),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => s.trim().parse().map(Some).map_err(|_| format!("not an integer: {s:?}")),
        Some(other) => Err(format!("not an integer: {other}")),
    }
}

/// Token lifetimes beyond this are nonsense from the server, not a promise to honour: a
/// lifetime must stay representable as a date-time after it is added to `issued_at`.
const MAX_LIFETIME_SECS: i64 = 10 * 365 * 86_400;
/// The latest `issued_at` accepted (2200-01-01): leaves room for any lifetime within the
/// calendar every caller (Python's `datetime` included) can represent.
const MAX_ISSUED_AT: f64 = 7_258_118_400.0;

fn lifetime(v: Option<i64>, name: &str) -> Result<Option<i64>, String> {
    match v {
        Some(secs) if !(0..=MAX_LIFETIME_SECS).contains(&secs) => Err(format!("{name} is out of range: {secs}")),
        other => Ok(other),
    }
}

impl Tokens {
    /// Reads a token object; `now` stamps it when it carries no `issued_at`. Values that no
    /// caller could turn into a date-time are an error here, before anything is stored.
    pub fn from_json(value: &Value, now: f64) -> Result<Tokens, String> {
        let obj = value.as_object().ok_or("token data is not an object")?;
        let issued_at = match field(obj, "issuedAt", "issued_at") {
            None => now,
            Some(Value::Number(n)) => n.as_f64().unwrap_or(now),
            Some(Value::String(s)) => parse_iso8601(s).ok_or_else(|| format!("issued_at is not ISO 8601: {s:?}"))?,
            Some(other) => return Err(format!("issued_at is not a timestamp: {other}")),
        };
        if !(0.0..=MAX_ISSUED_AT).contains(&issued_at) {
            return Err(format!("issued_at is out of range: {issued_at}"));
        }
        let authorization_expires_in =
            lifetime(int(field(obj, "authorizationExpiresIn", "authorization_expires_in"))?, "authorization_expires_in")?.filter(|v| *v != 0);
        let authentication_expires_in =
            lifetime(int(field(obj, "authenticationExpiresIn", "authentication_expires_in"))?, "authentication_expires_in")?;
        Ok(Tokens {
            id_token: text(field(obj, "idToken", "id_token")).unwrap_or_default(),
            access_token: text(field(obj, "accessToken", "access_token")).unwrap_or_default(),
            refresh_token: text(field(obj, "refreshToken", "refresh_token")).unwrap_or_default(),
            authentication_expires_in: authentication_expires_in.unwrap_or(3600),
            access_key_id: text(field(obj, "accessKeyId", "access_key_id")),
            secret_key: text(field(obj, "secretKey", "secret_key")),
            session_token: text(field(obj, "sessionToken", "session_token")),
            authorization_expires_in,
            issued_at,
            aws_expires_at: authorization_expires_in.map(|secs| issued_at + secs as f64),
        })
    }

    /// Storage form: snake_case keys, `issued_at` as ISO 8601 UTC.
    pub fn to_json(&self) -> Value {
        let whole = self.issued_at.floor();
        let issued = UtcTime::from_unix(whole as i64, ((self.issued_at - whole) * 1e6).round().min(999_999.0) as u32);
        json!({
            "id_token": self.id_token,
            "access_token": self.access_token,
            "refresh_token": self.refresh_token,
            "authentication_expires_in": self.authentication_expires_in,
            "access_key_id": self.access_key_id,
            "secret_key": self.secret_key,
            "session_token": self.session_token,
            "authorization_expires_in": self.authorization_expires_in,
            "issued_at": issued.iso8601().replace("+00:00", "Z"),
            "aws_expires_at": self.aws_expires_at,
        })
    }

    pub fn expires_at(&self) -> f64 {
        self.issued_at + self.authentication_expires_in as f64
    }

    pub fn is_expired(&self, now: f64) -> bool {
        now >= self.expires_at() - EXPIRY_MARGIN_SECS
    }

    pub fn aws_credentials_expired(&self, now: f64) -> bool {
        self.aws_expires_at.is_some_and(|at| now >= at - EXPIRY_MARGIN_SECS)
    }

    pub fn has_aws_credentials(&self) -> bool {
        self.access_key_id.is_some() && self.secret_key.is_some()
    }

    /// The tokens after a refresh answered with `self`: AWS credentials the answer omits are kept
    /// together with their expiry clock, and so are an omitted refresh or id token (the 6.1.1 bug
    /// that sent empty refresh tokens forever is not repeated).
    pub fn merged_over(mut self, old: &Tokens) -> Tokens {
        if self.access_key_id.is_none() {
            self.access_key_id = old.access_key_id.clone();
        }
        if self.secret_key.is_none() {
            self.secret_key = old.secret_key.clone();
        }
        if self.session_token.is_none() {
            self.session_token = old.session_token.clone();
        }
        if self.authorization_expires_in.is_none() {
            self.authorization_expires_in = old.authorization_expires_in;
            self.aws_expires_at = old.aws_expires_at;
        }
        if self.refresh_token.is_empty() {
            self.refresh_token = old.refresh_token.clone();
        }
        if self.id_token.is_empty() {
            self.id_token = old.id_token.clone();
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api() -> Value {
        json!({"idToken": "id", "accessToken": "acc", "refreshToken": "ref", "authenticationExpiresIn": 3600,
               "accessKeyId": "ASIA", "secretKey": "sec", "sessionToken": "sess", "authorizationExpiresIn": 1800})
    }

    #[test]
    fn reads_camel_and_round_trips_through_storage() {
        let t = Tokens::from_json(&api(), 1_000_000.0).unwrap();
        assert_eq!((t.access_token.as_str(), t.aws_expires_at), ("acc", Some(1_001_800.0)));
        let back = Tokens::from_json(&t.to_json(), 0.0).unwrap();
        assert_eq!(back, t);
    }

    #[test]
    fn empty_camel_yields_to_snake() {
        let t = Tokens::from_json(&json!({"accessToken": "", "access_token": "snake"}), 0.0).unwrap();
        assert_eq!(t.access_token, "snake");
    }

    #[test]
    fn five_minute_margin() {
        let t = Tokens::from_json(&json!({"authenticationExpiresIn": 300}), 100.0).unwrap();
        assert!(t.is_expired(100.0), "a 300 s token is expired when issued");
        let t = Tokens::from_json(&json!({"authenticationExpiresIn": 301}), 100.0).unwrap();
        assert!(!t.is_expired(100.0));
        assert!(t.is_expired(101.0));
        assert!(!t.aws_credentials_expired(1e12), "no AWS lifetime, never expired");
    }

    #[test]
    fn refresh_without_aws_keeps_keys_and_clock() {
        let old = Tokens::from_json(&api(), 1000.0).unwrap();
        let new = Tokens::from_json(&json!({"accessToken": "acc2", "authenticationExpiresIn": 3600}), 2000.0).unwrap().merged_over(&old);
        assert_eq!(new.access_key_id.as_deref(), Some("ASIA"));
        assert_eq!(new.aws_expires_at, Some(2800.0), "the AWS clock is not restarted");
        assert_eq!(new.refresh_token, "ref");
        assert_eq!(new.access_token, "acc2");
    }

    #[test]
    fn rejects_garbage() {
        assert!(Tokens::from_json(&json!("x"), 0.0).is_err());
        assert!(Tokens::from_json(&json!({"authenticationExpiresIn": "soon"}), 0.0).is_err());
    }
}
