//! The mini-program's sign-in: `wx.login()` gives the mini-program a
//! one-time login code, which the edge exchanges with the WeChat service
//! for the user's `openid` (`jscode2session`, with the mini-program's app
//! id and secret). Behind the [`WeChatLogin`] trait there are two: the real
//! HTTPS client, and [`LocalStandIn`], which trusts any code of the form
//! `local:<name>` and exists for tests and `make run` only (configuration
//! refuses it with production tokens). The `session_key` WeChat returns is
//! never kept or logged: the edge issues its own session.

use std::time::Duration;

use futures::future::BoxFuture;
use secrecy::{ExposeSecret as _, SecretString};
use serde::Deserialize;

/// A mini-program user's identity within the app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenId(pub String);

/// Why a login code was not exchanged.
#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// The code is invalid, expired or used already: the mini-program calls
    /// `wx.login()` again.
    #[error("{0}")]
    InvalidCode(String),
    /// The WeChat service could not be reached or is busy.
    #[error("WeChat login unavailable: {0}")]
    Unavailable(String),
}

/// Exchanges a mini-program login code for the user's openid.
pub trait WeChatLogin: Send + Sync {
    /// Returns the openid of the user whose mini-program made `code`.
    fn exchange<'a>(&'a self, code: &'a str) -> BoxFuture<'a, Result<OpenId, LoginError>>;
}

/// The local stand-in for the WeChat service (tests and `make run`): the
/// code `local:<name>` (1–64 letters, digits, `-` or `_`) is the openid
/// `local-<name>`.
#[derive(Debug, Default, Clone)]
pub struct LocalStandIn;

impl WeChatLogin for LocalStandIn {
    fn exchange<'a>(&'a self, code: &'a str) -> BoxFuture<'a, Result<OpenId, LoginError>> {
        Box::pin(async move {
            let name = code
                .strip_prefix("local:")
                .filter(|n| {
                    (1..=64).contains(&n.len())
                        && n.chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
                })
                .ok_or_else(|| {
                    LoginError::InvalidCode(
                        "the local stand-in takes codes local:<name> (1-64 letters, digits, - or _)"
                            .into(),
                    )
                })?;
            Ok(OpenId(format!("local-{name}")))
        })
    }
}

/// WeChat's `jscode2session` over HTTPS.
pub struct Jscode2Session {
    http: reqwest::Client,
    endpoint: String,
    app_id: String,
    app_secret: SecretString,
}

/// What `jscode2session` answers: the openid, or an error code.
#[derive(Deserialize)]
struct Answer {
    #[serde(default)]
    openid: Option<String>,
    #[serde(default)]
    errcode: i64,
    #[serde(default)]
    errmsg: String,
}

impl Jscode2Session {
    /// Returns the client of `endpoint` for the mini-program `app_id`.
    ///
    /// # Errors
    /// The HTTP client cannot be built (no TLS roots).
    pub fn new(
        endpoint: &str,
        app_id: &str,
        app_secret: SecretString,
        timeout: Duration,
    ) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .build()?;
        Ok(Self {
            http,
            endpoint: endpoint.to_owned(),
            app_id: app_id.to_owned(),
            app_secret,
        })
    }
}

impl WeChatLogin for Jscode2Session {
    fn exchange<'a>(&'a self, code: &'a str) -> BoxFuture<'a, Result<OpenId, LoginError>> {
        Box::pin(async move {
            let response = self
                .http
                .get(&self.endpoint)
                .query(&[
                    ("appid", self.app_id.as_str()),
                    ("secret", self.app_secret.expose_secret()),
                    ("js_code", code),
                    ("grant_type", "authorization_code"),
                ])
                .send()
                .await
                // The URL carries the secret: report only what failed.
                .map_err(|err| LoginError::Unavailable(without_url(err)))?;
            if !response.status().is_success() {
                return Err(LoginError::Unavailable(format!(
                    "jscode2session answered HTTP {}",
                    response.status()
                )));
            }
            let answer: Answer = response
                .json()
                .await
                .map_err(|err| LoginError::Unavailable(without_url(err)))?;
            match (answer.errcode, answer.openid) {
                (0, Some(openid)) if !openid.is_empty() => Ok(OpenId(openid)),
                // 40029 invalid code, 40163 code used, 40226 a risky user
                // refused by WeChat: the user signs in again.
                (40029 | 40163 | 40226, _) => Err(LoginError::InvalidCode(format!(
                    "the login code was refused by WeChat ({}: {})",
                    answer.errcode, answer.errmsg
                ))),
                (code, _) => Err(LoginError::Unavailable(format!(
                    "jscode2session error {code}: {}",
                    answer.errmsg
                ))),
            }
        })
    }
}

/// Returns what failed, without the URL (its query carries the secret).
fn without_url(err: reqwest::Error) -> String {
    err.without_url().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_local_stand_in_takes_only_its_own_codes() {
        let local = LocalStandIn;
        assert_eq!(
            local.exchange("local:zhang-san").await.unwrap(),
            OpenId("local-zhang-san".into())
        );
        for bad in ["zhang", "local:", "local:a b", "081xYz000abc"] {
            assert!(matches!(
                local.exchange(bad).await,
                Err(LoginError::InvalidCode(_))
            ));
        }
    }

    /// Serves a `jscode2session` look-alike on loopback: code `good` is
    /// openid `o-good`, `used` is error 40163, anything else error -1.
    async fn wechat_look_alike() -> String {
        use axum::extract::Query;
        use std::collections::HashMap;
        let app = axum::Router::new().route(
            "/sns/jscode2session",
            axum::routing::get(|Query(q): Query<HashMap<String, String>>| async move {
                assert_eq!(q.get("appid").map(String::as_str), Some("wx-app"));
                assert_eq!(q.get("secret").map(String::as_str), Some("s3cret"));
                assert_eq!(
                    q.get("grant_type").map(String::as_str),
                    Some("authorization_code")
                );
                let body = match q.get("js_code").map(String::as_str) {
                    Some("good") => serde_json::json!({"openid": "o-good", "session_key": "k"}),
                    Some("used") => {
                        serde_json::json!({"errcode": 40163, "errmsg": "code been used"})
                    }
                    _ => serde_json::json!({"errcode": -1, "errmsg": "system busy"}),
                };
                axum::Json(body)
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        format!("http://{addr}/sns/jscode2session")
    }

    #[tokio::test]
    async fn the_https_client_reads_openids_and_wechats_error_codes() {
        let endpoint = wechat_look_alike().await;
        let client = Jscode2Session::new(
            &endpoint,
            "wx-app",
            "s3cret".to_owned().into(),
            Duration::from_secs(5),
        )
        .unwrap();
        assert_eq!(
            client.exchange("good").await.unwrap(),
            OpenId("o-good".into())
        );
        assert!(matches!(
            client.exchange("used").await,
            Err(LoginError::InvalidCode(_))
        ));
        let busy = client.exchange("other").await.unwrap_err();
        assert!(matches!(busy, LoginError::Unavailable(_)));
        assert!(!busy.to_string().contains("s3cret"), "the secret stays out");
    }
}
