//! The Navien cloud's REST side: sign-in, token refresh and the device API, with nwp500
//! 9.3.0's error mapping. One `NavienCloud` is one account's session.

pub mod openei;
mod tokens;

use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use reqwest::Method;
use serde_json::{json, Value};

pub use tokens::{Tokens, EXPIRY_MARGIN_SECS};

pub const DEFAULT_API_BASE_URL: &str = "https://nlus.naviensmartcontrol.com/api/v2.1";
/// Environment override of the REST base URL (for the simulator, or a proxy).
pub const API_BASE_URL_ENV: &str = "NWP500_API_BASE_URL";
pub const SIGN_IN_PATH: &str = "/user/sign-in";
pub const REFRESH_PATH: &str = "/auth/refresh";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    InvalidCredentials,
    Authentication,
    TokenRefresh,
    Api,
    /// A precondition the caller broke (no stored password, not signed in).
    Usage,
}

/// A failed cloud call; `response` is the server's body when there was one.
#[derive(Debug, Clone, PartialEq)]
pub struct CloudError {
    pub kind: ErrorKind,
    pub message: String,
    pub status_code: Option<i64>,
    pub response: Option<Value>,
    pub retriable: bool,
}

impl CloudError {
    fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self { kind, message: message.into(), status_code: None, response: None, retriable: false }
    }
}

pub fn now() -> f64 {
    SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map(|d| d.as_secs_f64()).unwrap_or(0.0)
}

/// What a successful sign-in left behind.
#[derive(Debug, Clone)]
pub struct Session {
    pub tokens: Tokens,
    pub user_info: Value,
    pub legal: Value,
    pub code: i64,
    pub message: String,
}

/// How a request went at the HTTP level.
enum Reply {
    Body { status: u16, body: Value },
    NotJson { status: u16, detail: String },
}

pub struct NavienCloud {
    http: reqwest::Client,
    pub base_url: String,
    user_id: String,
    password: String,
    user_agent: String,
    session: Mutex<Option<Session>>,
    user_email: Mutex<Option<String>>,
    /// Refreshes and sign-ins one at a time, so concurrent callers do not race the server.
    renew: tokio::sync::Mutex<()>,
}

impl NavienCloud {
    pub fn new(base_url: &str, user_id: &str, password: &str, timeout: Duration, stored: Option<Tokens>) -> Result<Self, CloudError> {
        let http = reqwest::Client::builder()
            .tls_backend_preconfigured(crate::tls::rest_config())
            .timeout(timeout)
            .connect_timeout(timeout)
            .tcp_nodelay(true)
            // No idle keep-alive connections: REST calls are rare (sign-in, refresh, a few device
            // queries), and a pooled socket would outlive the client's use of it until the
            // object is collected (Home Assistant counts descriptors across reloads).
            .pool_max_idle_per_host(0)
            .build()
            .map_err(|e| CloudError::new(ErrorKind::Authentication, format!("HTTP client: {e}")))?;
        let has_stored = stored.is_some();
        Ok(Self {
            http,
            base_url: base_url.trim_end_matches('/').to_string(),
            user_id: user_id.to_string(),
            password: password.to_string(),
            user_agent: format!("nwp500/{}", env!("CARGO_PKG_VERSION")),
            session: Mutex::new(stored.map(|tokens| Session {
                tokens,
                user_info: json!({}),
                legal: json!([]),
                code: 200,
                message: "SUCCESS".into(),
            })),
            user_email: Mutex::new(has_stored.then(|| user_id.to_string())),
            renew: tokio::sync::Mutex::new(()),
        })
    }

    pub fn session(&self) -> Option<Session> {
        self.session.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    pub fn tokens(&self) -> Option<Tokens> {
        self.session().map(|s| s.tokens)
    }

    pub fn user_email(&self) -> Option<String> {
        self.user_email.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    pub fn has_stored_credentials(&self) -> bool {
        !self.user_id.is_empty() && !self.password.is_empty()
    }

    fn set_tokens(&self, tokens: Tokens) {
        if let Some(session) = self.session.lock().unwrap_or_else(|p| p.into_inner()).as_mut() {
            session.tokens = tokens;
        }
    }

    async fn send(&self, method: Method, path: &str, body: Option<&Value>, query: &[(String, String)], auth: Option<&str>) -> Result<Reply, reqwest::Error> {
        // A caller with a base URL of its own (NavienAPIClient's) passes a whole URL.
        let url = if path.starts_with("http://") || path.starts_with("https://") { path.to_string() } else { format!("{}{path}", self.base_url) };
        let mut request = self
            .http
            .request(method, url)
            .header("User-Agent", &self.user_agent)
            .header("Content-Type", "application/json");
        if let Some(token) = auth.filter(|t| !t.is_empty()) {
            request = request.header("authorization", token);
        }
        if !query.is_empty() {
            request = request.query(query);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await?;
        let status = response.status().as_u16();
        let bytes = response.bytes().await?;
        Ok(match serde_json::from_slice::<Value>(&bytes) {
            Ok(body) if body.is_object() => Reply::Body { status, body },
            Ok(other) => Reply::NotJson { status, detail: format!("expected a JSON object, got {}", kind_of(&other)) },
            Err(e) => Reply::NotJson { status, detail: e.to_string() },
        })
    }

    /// `code`/`msg` of a Navien body: `code` falls back to the HTTP status.
    fn outcome(status: u16, body: &Value) -> (i64, String) {
        let code = body.get("code").and_then(Value::as_i64).unwrap_or(i64::from(status));
        let msg = body.get("msg").and_then(Value::as_str).unwrap_or("").to_string();
        (code, msg)
    }

    pub async fn sign_in(&self, user_id: Option<&str>, password: Option<&str>) -> Result<Session, CloudError> {
        let _guard = self.renew.lock().await;
        self.sign_in_locked(user_id.unwrap_or(&self.user_id), password.unwrap_or(&self.password)).await
    }

    async fn sign_in_locked(&self, user_id: &str, password: &str) -> Result<Session, CloudError> {
        let fail = |kind, message: String| CloudError::new(kind, message);
        let reply = self
            .send(Method::POST, SIGN_IN_PATH, Some(&json!({"userId": user_id, "password": password})), &[], None)
            .await
            .map_err(|e| CloudError { retriable: true, ..fail(ErrorKind::Authentication, format!("Network error: {}", describe(&e))) })?;
        let (status, body) = match reply {
            Reply::Body { status, body } => (status, body),
            Reply::NotJson { status, detail } => {
                return Err(CloudError { status_code: Some(i64::from(status)), retriable: status >= 500, ..fail(ErrorKind::Authentication, format!("Invalid response format: {detail}")) })
            }
        };
        let (code, msg) = Self::outcome(status, &body);
        if code != 200 || status >= 400 {
            let lower = msg.to_lowercase();
            let (kind, text) = if code == 401 || lower.contains("invalid") || lower.contains("unauthorized") {
                (ErrorKind::InvalidCredentials, format!("Invalid credentials: {msg}"))
            } else {
                (ErrorKind::Authentication, format!("Authentication failed: {msg}"))
            };
            return Err(CloudError { kind, message: text, status_code: Some(code), response: Some(body), retriable: code >= 500 || status >= 500 });
        }
        // A missing `data` (or `token`) yields empty tokens, as the reference; a `data` that is
        // not an object is a malformed answer.
        let data = match body.get("data") {
            None | Some(Value::Null) => json!({}),
            Some(d) if d.is_object() => d.clone(),
            Some(_) => return Err(fail(ErrorKind::Authentication, "Invalid response format: data is not an object".into())),
        };
        let tokens = Tokens::from_json(data.get("token").unwrap_or(&json!({})), now())
            .map_err(|e| fail(ErrorKind::Authentication, format!("Invalid response format: {e}")))?;
        check_user_info(data.get("userInfo")).map_err(|e| fail(ErrorKind::Authentication, format!("Invalid response format: {e}")))?;
        let session = Session {
            tokens,
            user_info: data.get("userInfo").cloned().filter(Value::is_object).unwrap_or(json!({})),
            legal: data.get("legal").cloned().filter(Value::is_array).unwrap_or(json!([])),
            code,
            message: msg,
        };
        *self.session.lock().unwrap_or_else(|p| p.into_inner()) = Some(session.clone());
        *self.user_email.lock().unwrap_or_else(|p| p.into_inner()) = Some(user_id.to_string());
        Ok(session)
    }

    pub async fn refresh(&self, refresh_token: Option<&str>) -> Result<Tokens, CloudError> {
        let _guard = self.renew.lock().await;
        self.refresh_locked(refresh_token).await
    }

    async fn refresh_locked(&self, refresh_token: Option<&str>) -> Result<Tokens, CloudError> {
        let fail = |message: String, retriable| CloudError { retriable, ..CloudError::new(ErrorKind::TokenRefresh, message) };
        let old = self.tokens();
        let token = refresh_token.map(str::to_string).or_else(|| old.as_ref().map(|t| t.refresh_token.clone())).unwrap_or_default();
        if token.is_empty() {
            return Err(fail("No refresh token available".into(), false));
        }
        let reply = self
            .send(Method::POST, REFRESH_PATH, Some(&json!({"refreshToken": token})), &[], None)
            .await
            .map_err(|e| fail(format!("Network error: {}", describe(&e)), true))?;
        let (status, body) = match reply {
            Reply::Body { status, body } => (status, body),
            Reply::NotJson { status, detail } => return Err(fail(format!("Invalid response format: {detail}"), status >= 500)),
        };
        let (code, msg) = Self::outcome(status, &body);
        if code != 200 || status >= 400 {
            return Err(CloudError {
                status_code: Some(code),
                response: Some(body),
                ..fail(format!("Failed to refresh token: {msg}"), code >= 500 || status >= 500)
            });
        }
        let Some(data) = body.get("data").filter(|d| d.is_object()) else {
            return Err(fail("Invalid response format: no token data in the refresh answer".into(), false));
        };
        let fresh = Tokens::from_json(data, now()).map_err(|e| fail(format!("Invalid response format: {e}"), false))?;
        let tokens = match &old {
            Some(old) => fresh.merged_over(old),
            None => fresh,
        };
        self.set_tokens(tokens.clone());
        Ok(tokens)
    }

    /// Valid tokens, renewing them first when they are near expiry: expired AWS credentials need
    /// a new sign-in; an expired access token only a refresh.
    pub async fn ensure_valid(&self) -> Result<Option<Tokens>, CloudError> {
        let Some(tokens) = self.tokens() else { return Ok(None) };
        if !tokens.aws_credentials_expired(now()) && !tokens.is_expired(now()) {
            return Ok(Some(tokens));
        }
        let _guard = self.renew.lock().await;
        // Another caller may have renewed them while this one waited.
        let Some(tokens) = self.tokens() else { return Ok(None) };
        if tokens.aws_credentials_expired(now()) {
            return self.sign_in_locked(&self.user_id.clone(), &self.password.clone()).await.map(|s| Some(s.tokens));
        }
        if tokens.is_expired(now()) {
            return self.refresh_locked(None).await.map(Some);
        }
        Ok(Some(tokens))
    }

    /// What entering `async with` does: sign in, unless stored tokens are still good; a failed
    /// refresh falls back to signing in.
    pub async fn enter(&self) -> Result<(), CloudError> {
        let Some(tokens) = self.tokens() else {
            return self.sign_in(None, None).await.map(|_| ());
        };
        if tokens.aws_credentials_expired(now()) {
            return self.sign_in(None, None).await.map(|_| ());
        }
        if tokens.is_expired(now()) && self.refresh(None).await.is_err() {
            return self.sign_in(None, None).await.map(|_| ());
        }
        Ok(())
    }

    pub async fn re_authenticate(&self) -> Result<Session, CloudError> {
        if !self.has_stored_credentials() {
            return Err(CloudError::new(ErrorKind::Usage, "No stored credentials available for re-authentication"));
        }
        self.sign_in(None, None).await
    }

    /// One REST call with the session's access token; a 401 refreshes once and retries once.
    pub async fn api(&self, method: Method, path: &str, body: Option<Value>, query: Vec<(String, String)>) -> Result<Value, CloudError> {
        let api_err = |message: String, code: Option<i64>, response: Option<Value>| CloudError {
            status_code: code,
            response,
            retriable: code.is_some_and(|c| c >= 500),
            ..CloudError::new(ErrorKind::Api, message)
        };
        if self.session().is_none() {
            return Err(CloudError::new(ErrorKind::Authentication, "Must authenticate before making API calls"));
        }
        let mut retried = false;
        loop {
            let tokens = self.ensure_valid().await?.ok_or_else(|| CloudError::new(ErrorKind::Authentication, "Must authenticate first"))?;
            let reply = self
                .send(method.clone(), path, body.as_ref(), &query, Some(&tokens.access_token))
                .await
                .map_err(|e| CloudError { retriable: true, ..api_err(format!("Network error: {}", describe(&e)), None, None) })?;
            let (status, reply_body) = match reply {
                Reply::Body { status, body } => (status, body),
                Reply::NotJson { status, detail } => {
                    return Err(api_err(format!("Invalid response format: {detail}"), Some(i64::from(status)), None))
                }
            };
            let (code, msg) = Self::outcome(status, &reply_body);
            if code == 401 && !retried {
                retried = true;
                if self.refresh(None).await.is_ok() {
                    continue;
                }
            }
            if code != 200 || status >= 400 {
                return Err(api_err(format!("API request failed: {msg}"), Some(code), Some(reply_body)));
            }
            return Ok(reply_body);
        }
    }
}

/// The user fields a sign-in reply carries must have types the user record can hold; checked
/// before the session is stored, so a malformed reply leaves the client signed out.
fn check_user_info(info: Option<&Value>) -> Result<(), String> {
    let Some(Value::Object(info)) = info else { return Ok(()) };
    for key in ["userType", "userFirstName", "userLastName", "userStatus"] {
        match info.get(key) {
            None | Some(Value::Null | Value::String(_) | Value::Number(_)) => {}
            Some(other) => return Err(format!("userInfo.{key} is {}", kind_of(other))),
        }
    }
    let seq_ok = match info.get("userSeq") {
        None | Some(Value::Null) => true,
        Some(Value::Number(n)) => n.as_i64().is_some() || n.as_f64().is_some_and(|f| f.fract() == 0.0 && f.abs() < 9.0e15),
        Some(Value::String(s)) => s.trim().parse::<f64>().is_ok_and(|f| f.is_finite() && f.fract() == 0.0),
        Some(_) => false,
    };
    if !seq_ok {
        return Err("userInfo.userSeq is not an integer".into());
    }
    Ok(())
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// reqwest's error text plus its cause, which names what actually failed (refused, timed out).
fn describe(e: &reqwest::Error) -> String {
    let what = if e.is_timeout() { "timed out" } else if e.is_connect() { "could not connect" } else { "request failed" };
    let mut text = what.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text = format!("{text}: {s}");
        source = s.source();
    }
    text
}
