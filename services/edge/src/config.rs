//! The edge's configuration. The edge owns no database and no stream, so it
//! does not embed the platform's `ServiceConfig` (its `database`, `nats`,
//! `outbox` and `grpc` sections would be settings nobody reads); it takes
//! the shared sections it does use (`metrics`, `telemetry`, `auth`,
//! `clients.*`) and adds its own.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use platform::config::{
    AuthConfig, AuthMode, ClientConfig, MetricsConfig, TelemetryConfig, Validate, Violations,
};
use platform::objects::StoreConfig;
use secrecy::{ExposeSecret as _, SecretString};
use serde::Deserialize;

/// Defaults embedded at build time.
pub const DEFAULTS: &str = include_str!("../config/default.toml");

/// The largest photo points keeps a reference to (its `photos::MAX_BYTES`).
pub const POINTS_MAX_PHOTO_BYTES: u64 = 10 * 1024 * 1024;
/// The most photos points takes with one report (its `photos::MAX_PHOTOS`).
pub const POINTS_MAX_PHOTOS: usize = 9;

/// Everything the edge reads at start.
#[derive(Debug, Clone, Deserialize)]
pub struct EdgeConfig {
    pub http: HttpConfig,
    pub metrics: MetricsConfig,
    pub telemetry: TelemetryConfig,
    pub auth: AuthConfig,
    pub session: SessionConfig,
    pub wechat: WeChatConfig,
    pub photos: PhotosConfig,
    pub limits: LimitsConfig,
    pub open311: Open311Config,
    pub console: ConsoleConfig,
    pub clients: Clients,
}

impl EdgeConfig {
    /// Loads the configuration: the defaults, the file named by
    /// `WEIGRID_EDGE_CONFIG`, the environment.
    ///
    /// # Errors
    /// A value of the wrong type, an unknown key or a broken rule, named by
    /// key.
    pub fn load() -> Result<Self, platform::config::ConfigError> {
        platform::config::load("edge", DEFAULTS)
    }
}

/// The HTTP listener.
#[derive(Debug, Clone, Deserialize)]
pub struct HttpConfig {
    pub listen: SocketAddr,
    #[serde(with = "humantime_serde")]
    pub request_timeout: Duration,
    #[serde(with = "humantime_serde")]
    pub drain_timeout: Duration,
}

/// The operations console (`/console/`).
#[derive(Debug, Clone, Deserialize)]
pub struct ConsoleConfig {
    /// The directory of the console's front end (`scripts/console.sh
    /// assets` builds `target/console`; an image carries its own copy).
    pub assets_dir: PathBuf,
    /// How long a staff sign-in lasts (the cookie's age; never beyond the
    /// token's own expiry).
    #[serde(with = "humantime_serde")]
    pub session_ttl: Duration,
}

/// Residents' sessions.
#[derive(Clone, Deserialize)]
pub struct SessionConfig {
    #[serde(with = "humantime_serde")]
    pub ttl: Duration,
    /// Production: the private key the edge signs sessions with.
    #[serde(default)]
    pub signing_key_path: Option<PathBuf>,
    pub key_id: String,
}

impl std::fmt::Debug for SessionConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionConfig")
            .field("ttl", &self.ttl)
            .field("key_id", &self.key_id)
            .finish_non_exhaustive()
    }
}

/// Which exchange of mini-program login codes the edge uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LoginKind {
    /// The local stand-in, for tests and `make run`.
    Local,
    /// WeChat's `jscode2session`.
    Jscode2session,
}

/// The mini-program's login exchange.
#[derive(Clone, Deserialize)]
pub struct WeChatConfig {
    pub login: LoginKind,
    pub app_id: String,
    #[serde(default)]
    pub app_secret: Option<SecretString>,
    pub endpoint: String,
    #[serde(with = "humantime_serde")]
    pub timeout: Duration,
}

impl std::fmt::Debug for WeChatConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WeChatConfig")
            .field("login", &self.login)
            .field("app_id", &self.app_id)
            .field("endpoint", &self.endpoint)
            .finish_non_exhaustive()
    }
}

/// Photo storage and its limits.
#[derive(Debug, Clone, Deserialize)]
pub struct PhotosConfig {
    /// Where photos go (the platform's store settings).
    #[serde(flatten)]
    pub storage: StoreConfig,
    pub max_bytes: u64,
    pub max_count: usize,
}

/// Rate limits.
#[derive(Debug, Clone, Copy, Deserialize)]
pub struct LimitsConfig {
    pub per_resident_per_minute: u32,
    pub per_address_per_minute: u32,
    pub uploads_per_resident_per_minute: u32,
}

/// The Open311 endpoint.
#[derive(Clone, Deserialize)]
pub struct Open311Config {
    pub jurisdiction_id: String,
    pub api_keys: SecretString,
    pub agency: String,
}

impl std::fmt::Debug for Open311Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Open311Config")
            .field("jurisdiction_id", &self.jurisdiction_id)
            .finish_non_exhaustive()
    }
}

impl Open311Config {
    /// Returns the API keys allowed to post.
    pub fn keys(&self) -> Vec<String> {
        self.api_keys
            .expose_secret()
            .split(',')
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .map(str::to_owned)
            .collect()
    }
}

/// The services the edge calls.
#[derive(Clone, Deserialize)]
pub struct Clients {
    pub points: ClientConfig,
    pub dispatch: ClientConfig,
    pub registry: ClientConfig,
    /// Video ingest: residents' footage applications, the console's cameras
    /// and the disclosure review.
    pub video: ClientConfig,
    /// The edge's own token, for what no caller's identity covers: looking
    /// up and registering a resident at sign-in, and Open311 (whose callers
    /// are API keys). In `auth.mode = "dev"` one is minted when this is
    /// empty; in production it comes from the identity provider.
    #[serde(default)]
    pub service_token: Option<SecretString>,
}

impl std::fmt::Debug for Clients {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Clients")
            .field("points", &self.points)
            .field("dispatch", &self.dispatch)
            .field("registry", &self.registry)
            .field("video", &self.video)
            .finish_non_exhaustive()
    }
}

impl Validate for EdgeConfig {
    const OPTIONAL: &'static [&'static str] = &[
        "clients.service_token",
        "session.signing_key_path",
        "wechat.app_secret",
    ];
    const EMBEDS_SERVICE_CONFIG: bool = false;

    fn validate(&self, v: &mut Violations) {
        let jwt = self.auth.mode == AuthMode::Jwt;
        // Development tokens are signed with a secret anyone can read.
        v.check(
            jwt || self.http.listen.ip().is_loopback(),
            "auth.mode",
            "is \"dev\" (development tokens), which is allowed only when http.listen is a loopback address; use \"jwt\"",
        );
        self.auth.validate(v);
        self.telemetry.validate(v);
        v.check(
            self.http.request_timeout >= Duration::from_secs(1),
            "http.request_timeout",
            "must be at least 1s",
        );
        v.check(
            self.session.ttl >= Duration::from_secs(300)
                && self.session.ttl <= Duration::from_secs(30 * 24 * 3600),
            "session.ttl",
            "must be between 5m and 30d",
        );
        v.check(
            self.console.session_ttl >= Duration::from_secs(300)
                && self.console.session_ttl <= Duration::from_secs(24 * 3600),
            "console.session_ttl",
            "must be between 5m and 24h",
        );
        v.check(
            !jwt || self
                .session
                .signing_key_path
                .as_ref()
                .is_some_and(|p| p.is_file()),
            "session.signing_key_path",
            "must name a readable private key when auth.mode is jwt: the edge signs residents' sessions with it",
        );
        v.check(
            !jwt || self.clients.service_token.is_some(),
            "clients.service_token",
            "is required when auth.mode is jwt: the token the edge signs residents in and files Open311 requests with",
        );
        if self.wechat.login == LoginKind::Jscode2session {
            v.check(
                !self.wechat.app_id.is_empty(),
                "wechat.app_id",
                "is required when wechat.login is jscode2session",
            );
            v.check(
                self.wechat.app_secret.is_some(),
                "wechat.app_secret",
                "is required when wechat.login is jscode2session",
            );
            v.check(
                self.wechat.endpoint.starts_with("https://"),
                "wechat.endpoint",
                "must be an https:// URL",
            );
        } else {
            v.check(
                !jwt,
                "wechat.login",
                "is \"local\" (the stand-in that trusts any code), which is allowed only when auth.mode is dev",
            );
        }
        v.check(
            (1..=POINTS_MAX_PHOTO_BYTES).contains(&self.photos.max_bytes),
            "photos.max_bytes",
            &format!("must be between 1 and {POINTS_MAX_PHOTO_BYTES} (what points accepts)"),
        );
        v.check(
            (1..=POINTS_MAX_PHOTOS).contains(&self.photos.max_count),
            "photos.max_count",
            &format!("must be between 1 and {POINTS_MAX_PHOTOS} (what points accepts)"),
        );
        self.photos.storage.validate("photos", v);
        for (key, value) in [
            (
                "limits.per_resident_per_minute",
                self.limits.per_resident_per_minute,
            ),
            (
                "limits.per_address_per_minute",
                self.limits.per_address_per_minute,
            ),
            (
                "limits.uploads_per_resident_per_minute",
                self.limits.uploads_per_resident_per_minute,
            ),
        ] {
            v.check(
                (1..=100_000).contains(&value),
                key,
                "must be between 1 and 100000",
            );
        }
        v.check(
            !self.open311.jurisdiction_id.is_empty(),
            "open311.jurisdiction_id",
            "must not be empty",
        );
        v.check(
            !self.open311.keys().is_empty(),
            "open311.api_keys",
            "must list at least one key",
        );
        self.clients.points.validate_at("clients.points", v);
        self.clients.dispatch.validate_at("clients.dispatch", v);
        self.clients.registry.validate_at("clients.registry", v);
        self.clients.video.validate_at("clients.video", v);
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn load(env: &[(&str, &str)]) -> Result<EdgeConfig, platform::config::ConfigError> {
        let env: HashMap<String, String> = env
            .iter()
            .map(|(k, v)| (format!("WEIGRID_EDGE__{k}"), (*v).to_owned()))
            .collect();
        platform::config::load_from("edge", DEFAULTS, &env)
    }

    #[test]
    fn the_defaults_with_development_tokens_are_a_valid_configuration() {
        let config = load(&[("AUTH__MODE", "dev")]).unwrap();
        assert_eq!(config.http.listen.port(), 8080);
        assert_eq!(config.photos.max_count, 9);
    }

    #[test]
    fn production_needs_a_signing_key_a_service_token_and_the_real_login() {
        let err = load(&[("AUTH__PUBLIC_KEY_PATH", "/etc/hostname")])
            .unwrap_err()
            .to_string();
        for key in [
            "session.signing_key_path",
            "clients.service_token",
            "wechat.login",
        ] {
            assert!(err.contains(key), "{key} in {err}");
        }
    }

    #[test]
    fn photo_limits_may_not_exceed_what_points_accepts() {
        let err = load(&[("AUTH__MODE", "dev"), ("PHOTOS__MAX_COUNT", "12")])
            .unwrap_err()
            .to_string();
        assert!(err.contains("photos.max_count"), "{err}");
    }

    #[test]
    fn a_misspelt_key_is_refused_by_name() {
        let err = load(&[("AUTH__MODE", "dev"), ("HTTP__LISTN", "127.0.0.1:1")])
            .unwrap_err()
            .to_string();
        assert!(err.contains("http.listn"), "{err}");
    }
}
