//! The OpenEI utility-rate database (`utility_rates`, API version 7): where the rate plans that
//! a Navien time-of-use schedule is converted from come from. One GET with JSON back, on the
//! same HTTP stack as the Navien calls, with failures mapped the same way.

use std::time::Duration;

use serde_json::Value;

use super::{describe, CloudError, ErrorKind};

pub const OPENEI_API_URL: &str = "https://api.openei.org/utility_rates";
pub const OPENEI_API_VERSION: u32 = 7;

pub struct OpenEi {
    http: reqwest::Client,
    url: String,
    api_key: String,
}

fn api_error(message: String, status: Option<u16>, response: Option<Value>, retriable: bool) -> CloudError {
    CloudError { kind: ErrorKind::Api, message, status_code: status.map(i64::from), response, retriable }
}

impl OpenEi {
    pub fn new(url: &str, api_key: &str, timeout: Duration) -> Result<Self, CloudError> {
        let http = reqwest::Client::builder()
            .tls_backend_preconfigured(crate::tls::rest_config())
            .timeout(timeout)
            .connect_timeout(timeout)
            // No idle keep-alive connection, as for the Navien REST client (cloud::NavienCloud).
            .pool_max_idle_per_host(0)
            .build()
            .map_err(|e| api_error(format!("HTTP client: {e}"), None, None, false))?;
        Ok(Self { http, url: url.to_string(), api_key: api_key.to_string() })
    }

    /// The residential rate plans OpenEI lists for `zip_code`, in full detail.
    pub async fn rates(&self, zip_code: &str, limit: u32) -> Result<Vec<Value>, CloudError> {
        let version = OPENEI_API_VERSION.to_string();
        let limit = limit.to_string();
        let query = [
            ("version", version.as_str()),
            ("format", "json"),
            ("api_key", self.api_key.as_str()),
            ("address", zip_code),
            ("sector", "Residential"),
            ("detail", "full"),
            ("limit", limit.as_str()),
        ];
        let response = self
            .http
            .get(&self.url)
            .header("User-Agent", format!("nwp500/{}", env!("CARGO_PKG_VERSION")))
            .query(&query)
            .send()
            .await
            .map_err(|e| api_error(format!("OpenEI request failed: {}", describe(&e)), None, None, true))?;
        let status = response.status().as_u16();
        let bytes = response
            .bytes()
            .await
            .map_err(|e| api_error(format!("OpenEI request failed: {}", describe(&e)), Some(status), None, true))?;
        let body: Value = serde_json::from_slice(&bytes).map_err(|e| {
            api_error(format!("OpenEI answered HTTP {status} with an invalid response format: {e}"), Some(status), None, status >= 500)
        })?;
        // OpenEI reports a bad key or query as {"error": {"code", "message"}}, often with 200.
        if let Some(error) = body.get("error") {
            let message = error.get("message").and_then(Value::as_str).map_or_else(|| error.to_string(), str::to_string);
            return Err(api_error(format!("OpenEI error: {message}"), Some(status), Some(body.clone()), status >= 500));
        }
        if status >= 400 {
            return Err(api_error(format!("OpenEI answered HTTP {status}"), Some(status), Some(body), status >= 500));
        }
        match body.get("items") {
            Some(Value::Array(items)) => Ok(items.iter().filter(|i| i.is_object()).cloned().collect()),
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(other) => Err(api_error(
                format!("OpenEI answered with an invalid response format: items is {}", super::kind_of(other)),
                Some(status),
                None,
                false,
            )),
        }
    }
}
