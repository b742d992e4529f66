//! AWS Signature Version 4 for the IoT Core websocket handshake, as a presigned query string.
//!
//! AWS IoT authenticates an MQTT-over-WebSocket client by the query string of the upgrade
//! request: only the `host` header is signed, the body hash is that of an empty body, and the
//! STS session token is appended *after* signing (the AWS SDKs' `omit_session_token`).

use hmac::{Hmac, Mac};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use sha2::{Digest, Sha256};

use crate::timefmt::UtcTime;

/// Temporary AWS credentials as the Navien cloud hands them out.
#[derive(Clone, PartialEq, Eq)]
pub struct AwsCredentials {
    pub access_key_id: String,
    pub secret_key: String,
    pub session_token: Option<String>,
}

impl std::fmt::Debug for AwsCredentials {
    // Never print a secret, not even in a debug dump.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AwsCredentials").field("access_key_id", &"<redacted>").finish_non_exhaustive()
    }
}

pub const IOT_SERVICE: &str = "iotdevicegateway";

/// SigV4's URI encoding: everything but the unreserved characters `A-Z a-z 0-9 - _ . ~`.
const SIGV4_ENCODE: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');

fn encode(s: &str) -> String {
    utf8_percent_encode(s, SIGV4_ENCODE).to_string()
}

fn hmac(key: &[u8], data: &str) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(data.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

/// What to sign.
pub struct PresignRequest<'a> {
    /// The `Host` header value exactly as it will be sent (with `:port` when not the default).
    pub host: &'a str,
    pub path: &'a str,
    pub region: &'a str,
    pub service: &'a str,
    pub time: UtcTime,
    /// `X-Amz-Expires`; AWS IoT's SDKs send none.
    pub expires: Option<u32>,
}

/// Returns the query string (without `?`) of a presigned GET, session token last.
pub fn presign_query(req: &PresignRequest<'_>, creds: &AwsCredentials) -> String {
    let date = req.time.date_stamp();
    let amz_date = req.time.amz_date();
    let scope = format!("{date}/{}/{}/aws4_request", req.region, req.service);

    let mut params: Vec<(String, String)> = vec![
        ("X-Amz-Algorithm".into(), "AWS4-HMAC-SHA256".into()),
        ("X-Amz-Credential".into(), format!("{}/{scope}", creds.access_key_id)),
        ("X-Amz-Date".into(), amz_date.clone()),
        ("X-Amz-SignedHeaders".into(), "host".into()),
    ];
    if let Some(expires) = req.expires {
        params.push(("X-Amz-Expires".into(), expires.to_string()));
    }
    let mut encoded: Vec<(String, String)> = params.iter().map(|(k, v)| (encode(k), encode(v))).collect();
    encoded.sort();
    let canonical_query = encoded.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&");

    let empty_body_hash = hex::encode(Sha256::digest(b""));
    let canonical_request = format!(
        "GET\n{}\n{canonical_query}\nhost:{}\n\nhost\n{empty_body_hash}",
        req.path,
        req.host.trim()
    );
    let string_to_sign = format!(
        "AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}",
        hex::encode(Sha256::digest(canonical_request.as_bytes()))
    );

    let k_date = hmac(format!("AWS4{}", creds.secret_key).as_bytes(), &date);
    let k_region = hmac(&k_date, req.region);
    let k_service = hmac(&k_region, req.service);
    let k_signing = hmac(&k_service, "aws4_request");
    let signature = hex::encode(hmac(&k_signing, &string_to_sign));

    let mut query = format!("{canonical_query}&X-Amz-Signature={signature}");
    if let Some(token) = creds.session_token.as_deref().filter(|t| !t.is_empty()) {
        query.push_str("&X-Amz-Security-Token=");
        query.push_str(&encode(token));
    }
    query
}

#[cfg(test)]
mod tests {
    use super::*;

    fn creds(token: Option<&str>) -> AwsCredentials {
        AwsCredentials {
            access_key_id: "AKIDEXAMPLE".into(),
            secret_key: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".into(),
            session_token: token.map(Into::into),
        }
    }

    fn request(time: UtcTime) -> PresignRequest<'static> {
        PresignRequest {
            host: "example.iot.us-east-1.amazonaws.com",
            path: "/mqtt",
            region: "us-east-1",
            service: IOT_SERVICE,
            time,
            expires: None,
        }
    }

    #[test]
    fn query_has_the_iot_shape_and_token_last() {
        let q = presign_query(&request(UtcTime::from_unix(1_700_000_000, 0)), &creds(Some("tok/en+=")));
        assert!(q.starts_with("X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20231114%2Fus-east-1%2Fiotdevicegateway%2Faws4_request&X-Amz-Date=20231114T221320Z&X-Amz-SignedHeaders=host&X-Amz-Signature="));
        assert!(q.ends_with("&X-Amz-Security-Token=tok%2Fen%2B%3D"));
    }

    #[test]
    fn the_session_token_is_not_signed() {
        let t = UtcTime::from_unix(1_700_000_000, 0);
        let sig = |q: String| q.split("X-Amz-Signature=").nth(1).unwrap()[..64].to_string();
        assert_eq!(sig(presign_query(&request(t), &creds(Some("a")))), sig(presign_query(&request(t), &creds(None))));
    }

    #[test]
    fn signature_changes_with_time_and_key() {
        let a = presign_query(&request(UtcTime::from_unix(1_700_000_000, 0)), &creds(None));
        let b = presign_query(&request(UtcTime::from_unix(1_700_000_001, 0)), &creds(None));
        assert_ne!(a, b);
        let mut other = creds(None);
        other.secret_key.push('x');
        assert_ne!(a, presign_query(&request(UtcTime::from_unix(1_700_000_000, 0)), &other));
    }

    #[test]
    fn debug_output_hides_secrets() {
        let text = format!("{:?}", creds(Some("sess")));
        assert!(!text.contains("wJalr") && !text.contains("sess") && !text.contains("AKID"));
    }
}
