//! Layered configuration: defaults embedded in the service, then an optional
//! file, then environment variables, validated before anything starts.
//!
//! For a service with short name `registry` the layers are, later wins:
//! 1. the service's `config/default.toml`, embedded at build time;
//! 2. the file named by `WEIGRID_REGISTRY_CONFIG`, if set;
//! 3. `WEIGRID__…` variables, for every service (`WEIGRID__NATS__URL`);
//! 4. `WEIGRID_REGISTRY__…` variables, for this one
//!    (`WEIGRID_REGISTRY__GRPC__LISTEN`).
//!
//! Nested keys are separated by `__`. A value of the wrong type, one that
//! breaks a rule of [`Validate`], or a key the service does not know (a
//! misspelt `WEIGRID_REGISTRY__GRPC__LISTN`, a key in the wrong section)
//! stops start-up with the key and the rule. The known keys are those of the
//! service's defaults and of [`Validate::OPTIONAL`] (keys without a default,
//! such as TLS paths).

use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use secrecy::SecretString;
use serde::Deserialize;
use serde::de::DeserializeOwned;

/// A configuration value that breaks a rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The dotted key, e.g. `grpc.max_message_bytes`.
    pub key: String,
    /// The rule it breaks.
    pub rule: String,
}

/// Why configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A layer could not be read or a value has the wrong type (its text
    /// names the key; it is not a `source`, so it is printed once).
    #[error("configuration: {0}")]
    Read(config::ConfigError),
    /// Values break rules.
    #[error("configuration: {}", format_violations(.0))]
    Invalid(Vec<Violation>),
    /// Keys the service does not know.
    #[error("configuration: {}", format_unknown(.0))]
    Unknown(Vec<String>),
}

fn format_unknown(keys: &[String]) -> String {
    let quoted: Vec<_> = keys.iter().map(|k| format!("`{k}`")).collect();
    format!(
        "unknown key{} {} (every key is listed in the service's config/default.toml)",
        if keys.len() == 1 { "" } else { "s" },
        quoted.join(", ")
    )
}

impl From<config::ConfigError> for ConfigError {
    fn from(err: config::ConfigError) -> Self {
        ConfigError::Read(err)
    }
}

fn format_violations(violations: &[Violation]) -> String {
    violations
        .iter()
        .map(|v| format!("`{}` {}", v.key, v.rule))
        .collect::<Vec<_>>()
        .join("; ")
}

/// Collects rule violations under a key prefix.
#[derive(Debug, Default)]
pub struct Violations(Vec<Violation>);

impl Violations {
    /// Records that `key` breaks `rule`.
    pub fn add(&mut self, key: impl Into<String>, rule: impl Into<String>) {
        self.0.push(Violation {
            key: key.into(),
            rule: rule.into(),
        });
    }

    /// Records a violation when `ok` is false.
    pub fn check(&mut self, ok: bool, key: &str, rule: &str) {
        if !ok {
            self.add(key, rule);
        }
    }

    /// Returns the violations recorded.
    pub fn into_vec(self) -> Vec<Violation> {
        self.0
    }
}

/// Rules a configuration must satisfy beyond its types.
pub trait Validate {
    /// Keys the service knows that have no default (so its defaults do not
    /// list them), as dotted paths where `*` stands for one segment, e.g.
    /// `clients.*.tls.ca_path`. The shared sections' are always known.
    const OPTIONAL: &'static [&'static str] = &[];

    /// Whether the configuration embeds the shared sections
    /// ([`ServiceConfig`]), which are then read on their own first to name a
    /// bad value's key. A service without a database or a stream (the HTTP
    /// edge) has sections of its own instead and says `false`.
    const EMBEDS_SERVICE_CONFIG: bool = true;

    /// Records every broken rule in `violations`.
    fn validate(&self, violations: &mut Violations);
}

/// The shared settings a service's defaults need not repeat.
pub const PLATFORM_DEFAULTS: &str = include_str!("../defaults.toml");

/// The shared sections' keys that have no default.
const SHARED_OPTIONAL: &[&str] = &[
    "nats.user",
    "nats.password",
    "nats.nkey_seed_path",
    "nats.credentials_path",
    "nats.tls_ca_path",
    "nats.tls_cert_path",
    "nats.tls_key_path",
    "grpc.tls.cert_path",
    "grpc.tls.key_path",
    "grpc.tls.client_ca_path",
    "auth.public_key_path",
    "auth.jwks_path",
    "clients.*.tls.ca_path",
    "clients.*.tls.domain",
    "clients.*.tls.cert_path",
    "clients.*.tls.key_path",
];

/// Returns every leaf key of `value` as a dotted path.
fn leaf_keys(value: &config::Value, prefix: &str, out: &mut Vec<String>) {
    match &value.kind {
        config::ValueKind::Table(table) => {
            for (key, child) in table {
                let path = if prefix.is_empty() {
                    key.clone()
                } else {
                    format!("{prefix}.{key}")
                };
                leaf_keys(child, &path, out);
            }
        }
        _ => out.push(prefix.to_owned()),
    }
}

fn matches_pattern(pattern: &str, key: &str) -> bool {
    let (mut p, mut k) = (pattern.split('.'), key.split('.'));
    loop {
        match (p.next(), k.next()) {
            (None, None) => return true,
            (Some(a), Some(b)) if a == "*" || a == b => {}
            _ => return false,
        }
    }
}

/// Returns the keys of `loaded` that neither `defaults` nor `optional` know.
fn unknown_keys(
    loaded: &config::Config,
    defaults: &config::Config,
    optional: &[&str],
) -> Result<Vec<String>, config::ConfigError> {
    let (mut known, mut present) = (Vec::new(), Vec::new());
    leaf_keys(&defaults.cache, "", &mut known);
    leaf_keys(&loaded.cache, "", &mut present);
    let mut unknown: Vec<String> = present
        .into_iter()
        .filter(|key| !known.contains(key))
        .filter(|key| {
            !SHARED_OPTIONAL
                .iter()
                .chain(optional)
                .any(|p| matches_pattern(p, key))
        })
        .collect();
    unknown.sort();
    Ok(unknown)
}

/// Loads and validates the configuration of the service `service` (its
/// short name, e.g. `registry`) over the embedded `defaults`.
///
/// # Errors
/// A layer that cannot be read, a value of the wrong type, or a broken rule.
pub fn load<T: DeserializeOwned + Validate>(
    service: &str,
    defaults: &str,
) -> Result<T, ConfigError> {
    let env: HashMap<String, String> = std::env::vars().collect();
    load_from(service, defaults, &env)
}

/// Loads like [`load`], reading variables from `env` instead of the process
/// environment (for tests).
///
/// # Errors
/// As [`load`].
pub fn load_from<T: DeserializeOwned + Validate>(
    service: &str,
    defaults: &str,
    env: &HashMap<String, String>,
) -> Result<T, ConfigError> {
    let upper = service.to_uppercase();
    let mut builder = config::Config::builder()
        .add_source(config::File::from_str(
            PLATFORM_DEFAULTS,
            config::FileFormat::Toml,
        ))
        .add_source(config::File::from_str(defaults, config::FileFormat::Toml));
    if let Some(path) = env.get(&format!("WEIGRID_{upper}_CONFIG")) {
        builder = builder.add_source(config::File::with_name(path).required(true));
    }
    let layer = |prefix: String| {
        config::Environment::with_prefix(&prefix)
            .prefix_separator("__")
            .separator("__")
            .try_parsing(true)
            .source(Some(
                env.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
            ))
    };
    let loaded = builder
        .add_source(layer("WEIGRID".to_owned()))
        .add_source(layer(format!("WEIGRID_{upper}")))
        .build()?;
    let defaults_only = config::Config::builder()
        .add_source(config::File::from_str(
            PLATFORM_DEFAULTS,
            config::FileFormat::Toml,
        ))
        .add_source(config::File::from_str(defaults, config::FileFormat::Toml))
        .build()?;
    let unknown = unknown_keys(&loaded, &defaults_only, T::OPTIONAL)?;
    if !unknown.is_empty() {
        return Err(ConfigError::Unknown(unknown));
    }
    // The shared sections are read on their own first: a service embeds them
    // with `#[serde(flatten)]`, which loses the key of a bad value, while
    // this pass names it (`grpc.listen`).
    if T::EMBEDS_SERVICE_CONFIG {
        loaded.clone().try_deserialize::<ServiceConfig>()?;
    }
    let value: T = loaded.try_deserialize()?;
    let mut violations = Violations::default();
    value.validate(&mut violations);
    let violations = violations.into_vec();
    if violations.is_empty() {
        Ok(value)
    } else {
        Err(ConfigError::Invalid(violations))
    }
}

/// The sections every service shares; services embed it with
/// `#[serde(flatten)]` beside their own sections.
#[derive(Debug, Clone, Deserialize)]
pub struct ServiceConfig {
    pub grpc: GrpcConfig,
    pub metrics: MetricsConfig,
    pub database: DatabaseConfig,
    pub nats: NatsConfig,
    pub telemetry: TelemetryConfig,
    pub auth: AuthConfig,
    pub outbox: OutboxConfig,
    pub retention: RetentionConfig,
}

impl Validate for ServiceConfig {
    fn validate(&self, v: &mut Violations) {
        // Development tokens are signed with a secret anyone can read in
        // the repository: they are for one machine, never for a network.
        v.check(
            self.auth.mode != AuthMode::Dev || self.grpc.listen.ip().is_loopback(),
            "auth.mode",
            "is \"dev\" (development tokens), which is allowed only when grpc.listen is a loopback address; use \"jwt\"",
        );
        self.grpc.validate(v);
        self.database.validate(v);
        self.nats.validate(v);
        self.telemetry.validate(v);
        self.auth.validate(v);
        self.outbox.validate(v);
        self.retention.validate(v);
    }
}

/// How long the platform's bookkeeping rows are kept.
#[derive(Debug, Clone, Deserialize)]
pub struct RetentionConfig {
    /// Published outbox rows (dead letters are kept until handled).
    #[serde(with = "humantime_serde")]
    pub outbox: Duration,
    /// Handled event ids of the inbox.
    #[serde(with = "humantime_serde")]
    pub inbox: Duration,
    /// Idempotency keys of mutating calls.
    #[serde(with = "humantime_serde")]
    pub idempotency_keys: Duration,
}

impl Validate for RetentionConfig {
    fn validate(&self, v: &mut Violations) {
        let hour = Duration::from_secs(3600);
        v.check(
            self.outbox >= hour,
            "retention.outbox",
            "must be at least 1h",
        );
        v.check(self.inbox >= hour, "retention.inbox", "must be at least 1h");
        v.check(
            self.idempotency_keys >= hour,
            "retention.idempotency_keys",
            "must be at least 1h",
        );
    }
}

/// The gRPC server.
#[derive(Debug, Clone, Deserialize)]
pub struct GrpcConfig {
    /// Address to listen on.
    pub listen: SocketAddr,
    /// Largest request or response message, in bytes.
    pub max_message_bytes: usize,
    /// Upper bound on any call; a shorter `grpc-timeout` from the caller wins.
    #[serde(with = "humantime_serde")]
    pub request_timeout: Duration,
    /// TLS for the server; absent means plaintext.
    #[serde(default)]
    pub tls: Option<ServerTlsConfig>,
}

/// Server TLS; with `client_ca_path` it is mutual TLS.
#[derive(Debug, Clone, Deserialize)]
pub struct ServerTlsConfig {
    pub cert_path: PathBuf,
    pub key_path: PathBuf,
    #[serde(default)]
    pub client_ca_path: Option<PathBuf>,
}

impl Validate for GrpcConfig {
    fn validate(&self, v: &mut Violations) {
        v.check(
            (1024..=256 * 1024 * 1024).contains(&self.max_message_bytes),
            "grpc.max_message_bytes",
            "must be between 1024 and 268435456",
        );
        v.check(
            self.request_timeout >= Duration::from_millis(100),
            "grpc.request_timeout",
            "must be at least 100ms",
        );
        if let Some(tls) = &self.tls {
            check_file(v, "grpc.tls.cert_path", &tls.cert_path);
            check_file(v, "grpc.tls.key_path", &tls.key_path);
            if let Some(ca) = &tls.client_ca_path {
                check_file(v, "grpc.tls.client_ca_path", ca);
            }
        }
    }
}

fn check_file(v: &mut Violations, key: &str, path: &std::path::Path) {
    if !path.is_file() {
        v.add(
            key,
            format!("must name a readable file ({} not found)", path.display()),
        );
    }
}

/// The Prometheus endpoint.
#[derive(Debug, Clone, Deserialize)]
pub struct MetricsConfig {
    /// Serve `/metrics` at all.
    pub enabled: bool,
    /// Address to serve `/metrics` on.
    pub listen: SocketAddr,
}

/// PostgreSQL.
#[derive(Clone, Deserialize)]
pub struct DatabaseConfig {
    /// `postgres://user:password@host:port/database`; a secret.
    pub url: SecretString,
    /// Pool size.
    pub max_connections: u32,
    /// How long a call waits for a pooled connection before UNAVAILABLE.
    #[serde(with = "humantime_serde")]
    pub acquire_timeout: Duration,
    /// Create the database when it does not exist (needs the CREATEDB right).
    pub create_if_missing: bool,
    /// Apply migrations at start (else `<service> migrate` does).
    pub migrate_at_start: bool,
}

impl fmt::Debug for DatabaseConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DatabaseConfig")
            .field("url", &"[redacted]")
            .field("max_connections", &self.max_connections)
            .finish_non_exhaustive()
    }
}

impl Validate for DatabaseConfig {
    fn validate(&self, v: &mut Violations) {
        use secrecy::ExposeSecret;
        let url = self.url.expose_secret();
        v.check(
            url.starts_with("postgres://") || url.starts_with("postgresql://"),
            "database.url",
            "must be a postgres:// URL",
        );
        v.check(
            (1..=500).contains(&self.max_connections),
            "database.max_connections",
            "must be between 1 and 500",
        );
    }
}

/// NATS with JetStream.
#[derive(Debug, Clone, Deserialize)]
pub struct NatsConfig {
    /// `nats://host:port` (or `tls://host:port`); several servers of a
    /// cluster may be listed, comma-separated.
    pub url: String,
    /// Prefix of every stream and subject; empty in production, random in tests.
    #[serde(default)]
    pub prefix: String,
    /// How long a publish waits for its JetStream acknowledgement.
    #[serde(with = "humantime_serde")]
    pub ack_timeout: Duration,
    /// Copies of each stream a JetStream cluster keeps.
    pub stream_replicas: usize,
    /// Age after which events leave the streams.
    #[serde(with = "humantime_serde")]
    pub stream_max_age: Duration,
    /// Largest size of one stream in bytes (0: unlimited).
    pub stream_max_bytes: i64,
    /// Deliveries of one event before a consumer sets it aside.
    pub max_deliveries: i64,
    /// Prefix of this connection's reply subjects (`_INBOX` by default); a
    /// service of its own (`_INBOX_points`) lets NATS permissions keep one
    /// service from reading another's replies.
    pub inbox_prefix: String,
    /// User and password (the password is a secret).
    #[serde(default)]
    pub user: Option<String>,
    #[serde(default)]
    pub password: Option<SecretString>,
    /// An NKey seed file (`SU…`).
    #[serde(default)]
    pub nkey_seed_path: Option<PathBuf>,
    /// A credentials file (JWT and NKey seed, as `nsc` writes it).
    #[serde(default)]
    pub credentials_path: Option<PathBuf>,
    /// CA of the servers' certificates: TLS is required when set.
    #[serde(default)]
    pub tls_ca_path: Option<PathBuf>,
    /// Client certificate and key, for servers that verify clients.
    #[serde(default)]
    pub tls_cert_path: Option<PathBuf>,
    #[serde(default)]
    pub tls_key_path: Option<PathBuf>,
}

impl NatsConfig {
    /// Returns settings for a server at `url` without credentials, with
    /// the platform's defaults (tests, tools).
    pub fn plain(url: &str, prefix: &str) -> Self {
        Self {
            url: url.to_owned(),
            prefix: prefix.to_owned(),
            ack_timeout: Duration::from_secs(5),
            stream_replicas: 1,
            stream_max_age: Duration::from_secs(30 * 24 * 3600),
            stream_max_bytes: 0,
            max_deliveries: 10,
            inbox_prefix: "_INBOX".to_owned(),
            user: None,
            password: None,
            nkey_seed_path: None,
            credentials_path: None,
            tls_ca_path: None,
            tls_cert_path: None,
            tls_key_path: None,
        }
    }
}

impl Validate for NatsConfig {
    fn validate(&self, v: &mut Violations) {
        v.check(
            self.url
                .split(',')
                .all(|u| u.trim().starts_with("nats://") || u.trim().starts_with("tls://")),
            "nats.url",
            "must be a nats:// or tls:// URL (several comma-separated)",
        );
        v.check(
            self.prefix
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_'),
            "nats.prefix",
            "may hold only ASCII letters, digits and underscores",
        );
        v.check(
            (1..=5).contains(&self.stream_replicas),
            "nats.stream_replicas",
            "must be between 1 and 5",
        );
        v.check(
            self.stream_max_age >= Duration::from_secs(3600),
            "nats.stream_max_age",
            "must be at least 1h",
        );
        v.check(
            self.stream_max_bytes >= 0,
            "nats.stream_max_bytes",
            "must be 0 (unlimited) or more",
        );
        v.check(
            (1..=1000).contains(&self.max_deliveries),
            "nats.max_deliveries",
            "must be between 1 and 1000",
        );
        v.check(
            !self.inbox_prefix.is_empty()
                && self
                    .inbox_prefix
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'),
            "nats.inbox_prefix",
            "must be ASCII letters, digits, '_' or '-', e.g. _INBOX_points",
        );
        v.check(
            self.user.is_some() == self.password.is_some(),
            "nats.user",
            "and nats.password must be set together",
        );
        let methods = [
            self.user.is_some(),
            self.nkey_seed_path.is_some(),
            self.credentials_path.is_some(),
        ];
        v.check(
            methods.iter().filter(|m| **m).count() <= 1,
            "nats.credentials_path",
            "only one of nats.user, nats.nkey_seed_path and nats.credentials_path may be set",
        );
        v.check(
            self.tls_cert_path.is_some() == self.tls_key_path.is_some(),
            "nats.tls_cert_path",
            "and nats.tls_key_path must be set together",
        );
        for (key, path) in [
            ("nats.nkey_seed_path", &self.nkey_seed_path),
            ("nats.credentials_path", &self.credentials_path),
            ("nats.tls_ca_path", &self.tls_ca_path),
            ("nats.tls_cert_path", &self.tls_cert_path),
            ("nats.tls_key_path", &self.tls_key_path),
        ] {
            if let Some(path) = path {
                check_file(v, key, path);
            }
        }
    }
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines, for a terminal.
    Pretty,
    /// One JSON object a line, for pods.
    Json,
}

/// Logs and traces.
#[derive(Debug, Clone, Deserialize)]
pub struct TelemetryConfig {
    pub format: LogFormat,
    /// OTLP/gRPC endpoint for traces, e.g. `http://otel-collector:4317`;
    /// empty exports nothing.
    #[serde(default)]
    pub otlp_endpoint: String,
}

impl Validate for TelemetryConfig {
    fn validate(&self, v: &mut Violations) {
        v.check(
            self.otlp_endpoint.is_empty()
                || self.otlp_endpoint.starts_with("http://")
                || self.otlp_endpoint.starts_with("https://"),
            "telemetry.otlp_endpoint",
            "must be empty or an http(s):// URL",
        );
    }
}

/// How bearer tokens are checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AuthMode {
    /// Tokens signed with the shared development secret (`weigrid token`):
    /// only when set explicitly (`make run` does), only on loopback.
    Dev,
    /// Tokens signed by the identity provider, checked with its public key.
    Jwt,
}

/// Signature algorithm of production tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum JwtAlgorithm {
    RS256,
    ES256,
    EdDSA,
}

/// Authentication.
#[derive(Clone, Deserialize)]
pub struct AuthConfig {
    pub mode: AuthMode,
    /// Expected `iss` claim.
    pub issuer: String,
    /// Expected `aud` claim.
    pub audience: String,
    /// Development mode only: the HMAC secret shared with the CLI.
    pub dev_secret: SecretString,
    /// Production: the issuer's public key (PEM).
    #[serde(default)]
    pub public_key_path: Option<PathBuf>,
    /// Production: the issuer's key set (JWKS JSON), a mounted file read
    /// again when it changes, so signing keys rotate without a restart;
    /// takes precedence over `public_key_path`.
    #[serde(default)]
    pub jwks_path: Option<PathBuf>,
    /// Production: the signature algorithm of that key.
    pub algorithm: JwtAlgorithm,
}

impl fmt::Debug for AuthConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthConfig")
            .field("mode", &self.mode)
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .finish_non_exhaustive()
    }
}

impl Validate for AuthConfig {
    fn validate(&self, v: &mut Violations) {
        use secrecy::ExposeSecret;
        v.check(!self.issuer.is_empty(), "auth.issuer", "must not be empty");
        v.check(
            !self.audience.is_empty(),
            "auth.audience",
            "must not be empty",
        );
        match self.mode {
            AuthMode::Dev => v.check(
                self.dev_secret.expose_secret().len() >= 16,
                "auth.dev_secret",
                "must be at least 16 characters",
            ),
            AuthMode::Jwt => match (&self.jwks_path, &self.public_key_path) {
                (Some(path), _) => check_file(v, "auth.jwks_path", path),
                (None, Some(path)) => check_file(v, "auth.public_key_path", path),
                (None, None) => v.add(
                    "auth.public_key_path",
                    "(or auth.jwks_path) is required when auth.mode is jwt",
                ),
            },
        }
    }
}

/// The outbox relay.
#[derive(Debug, Clone, Deserialize)]
pub struct OutboxConfig {
    /// How often the relay looks for unpublished events when not woken.
    #[serde(with = "humantime_serde")]
    pub poll_interval: Duration,
    /// Events published per transaction.
    pub batch_size: u32,
    /// Longest pause between attempts while NATS is unreachable.
    #[serde(with = "humantime_serde")]
    pub max_backoff: Duration,
}

impl Validate for OutboxConfig {
    fn validate(&self, v: &mut Violations) {
        v.check(
            (1..=10_000).contains(&self.batch_size),
            "outbox.batch_size",
            "must be between 1 and 10000",
        );
        v.check(
            self.poll_interval >= Duration::from_millis(10),
            "outbox.poll_interval",
            "must be at least 10ms",
        );
    }
}

/// A gRPC dependency: one channel per dependency.
#[derive(Debug, Clone, Deserialize)]
pub struct ClientConfig {
    /// `http://host:port` or `https://host:port` (one connection), or
    /// `dns:///host:port` / `dns+https:///host:port` (balanced over every
    /// address the name resolves to, re-resolved).
    pub endpoint: String,
    #[serde(with = "humantime_serde")]
    pub connect_timeout: Duration,
    #[serde(with = "humantime_serde")]
    pub request_timeout: Duration,
    /// Attempts for idempotent calls (1 = no retry).
    pub max_attempts: u32,
    #[serde(default)]
    pub tls: Option<ClientTlsConfig>,
}

/// Client TLS; with a certificate and key it is mutual TLS.
#[derive(Debug, Clone, Deserialize)]
pub struct ClientTlsConfig {
    /// CA that signed the server's certificate.
    pub ca_path: PathBuf,
    /// The name in the server's certificate.
    pub domain: String,
    #[serde(default)]
    pub cert_path: Option<PathBuf>,
    #[serde(default)]
    pub key_path: Option<PathBuf>,
}

impl ClientConfig {
    /// Records broken rules under `key` (e.g. `clients.registry`).
    pub fn validate_at(&self, key: &str, v: &mut Violations) {
        v.check(
            ["http://", "https://", "dns:///", "dns+https:///"]
                .iter()
                .any(|scheme| self.endpoint.starts_with(scheme)),
            &format!("{key}.endpoint"),
            "must be an http:// or https:// URL, or dns:///host:port to balance over every address of a headless Service",
        );
        v.check(
            (1..=10).contains(&self.max_attempts),
            &format!("{key}.max_attempts"),
            "must be between 1 and 10",
        );
        if let Some(tls) = &self.tls {
            check_file(v, &format!("{key}.tls.ca_path"), &tls.ca_path);
            v.check(
                tls.cert_path.is_some() == tls.key_path.is_some(),
                &format!("{key}.tls.cert_path"),
                "and key_path must be set together",
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEFAULTS: &str = r#"
[grpc]
listen = "127.0.0.1:50051"
max_message_bytes = 16777216
request_timeout = "30s"
[metrics]
enabled = true
listen = "127.0.0.1:9101"
[database]
url = "postgres://postgres@127.0.0.1:5432/weigrid_test"
max_connections = 10
acquire_timeout = "5s"
create_if_missing = true
[nats]
url = "nats://127.0.0.1:4222"
ack_timeout = "5s"
[telemetry]
format = "pretty"
[auth]
mode = "dev"
issuer = "weigrid-dev"
audience = "weigrid"
dev_secret = "a-development-secret"
algorithm = "RS256"
[outbox]
poll_interval = "200ms"
batch_size = 100
max_backoff = "5s"
"#;

    #[derive(Debug, Deserialize)]
    struct TestConfig {
        #[serde(flatten)]
        base: ServiceConfig,
    }

    impl Validate for TestConfig {
        fn validate(&self, v: &mut Violations) {
            self.base.validate(v);
        }
    }

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn service_variables_override_shared_ones_which_override_defaults() {
        let config: TestConfig = load_from(
            "test",
            DEFAULTS,
            &env(&[
                ("WEIGRID__NATS__URL", "nats://10.0.0.1:4222"),
                ("WEIGRID__GRPC__LISTEN", "127.0.0.1:1"),
                ("WEIGRID_TEST__GRPC__LISTEN", "127.0.0.1:50052"),
                ("WEIGRID_TEST__OUTBOX__BATCH_SIZE", "7"),
            ]),
        )
        .unwrap();
        assert_eq!(config.base.nats.url, "nats://10.0.0.1:4222");
        assert_eq!(config.base.grpc.listen, "127.0.0.1:50052".parse().unwrap());
        assert_eq!(config.base.outbox.batch_size, 7);
        assert_eq!(config.base.grpc.request_timeout, Duration::from_secs(30));
    }

    #[test]
    fn a_value_of_the_wrong_type_names_its_key() {
        let err = load_from::<TestConfig>(
            "test",
            DEFAULTS,
            &env(&[("WEIGRID__GRPC__LISTEN", "not-an-address")]),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("grpc.listen"), "{err}");
    }

    #[test]
    fn development_tokens_are_allowed_only_on_loopback() {
        let err = load_from::<TestConfig>(
            "test",
            DEFAULTS,
            &env(&[("WEIGRID__GRPC__LISTEN", "0.0.0.0:50051")]),
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("`auth.mode` is \"dev\"") && err.contains("loopback"),
            "{err}"
        );
        let on_loopback: Result<TestConfig, _> = load_from(
            "test",
            DEFAULTS,
            &env(&[("WEIGRID__GRPC__LISTEN", "127.0.0.1:50051")]),
        );
        assert!(on_loopback.is_ok());
    }

    #[test]
    fn an_unknown_key_stops_loading_and_is_named() {
        let err = load_from::<TestConfig>(
            "test",
            DEFAULTS,
            &env(&[
                ("WEIGRID_TEST__GRPC__LISTN", "0.0.0.0:1"),
                ("WEIGRID__REGISTRY__CARE_PERSON_READ_ROLE", "town_operator"),
            ]),
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "configuration: unknown keys `grpc.listn`, `registry.care_person_read_role` \
             (every key is listed in the service's config/default.toml)"
        );
    }

    #[test]
    fn optional_keys_without_defaults_are_known() {
        let dir = std::env::temp_dir().join(format!("weigrid-config-{}", uuid::Uuid::now_v7()));
        std::fs::create_dir_all(&dir).unwrap();
        let cert = dir.join("tls.crt");
        std::fs::write(&cert, "x").unwrap();
        let cert = cert.display().to_string();
        let config: TestConfig = load_from(
            "test",
            DEFAULTS,
            &env(&[
                ("WEIGRID__GRPC__TLS__CERT_PATH", cert.as_str()),
                ("WEIGRID__GRPC__TLS__KEY_PATH", cert.as_str()),
            ]),
        )
        .unwrap();
        assert!(config.base.grpc.tls.is_some());
        assert!(matches_pattern(
            "clients.*.tls.ca_path",
            "clients.registry.tls.ca_path"
        ));
        assert!(!matches_pattern(
            "clients.*.tls.ca_path",
            "clients.registry.tls"
        ));
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn a_broken_rule_names_the_key_and_the_rule() {
        let err = load_from::<TestConfig>(
            "test",
            DEFAULTS,
            &env(&[
                ("WEIGRID__OUTBOX__BATCH_SIZE", "0"),
                ("WEIGRID__AUTH__MODE", "jwt"),
            ]),
        )
        .unwrap_err();
        let ConfigError::Invalid(violations) = err else {
            panic!("expected rule violations")
        };
        let keys: Vec<_> = violations.iter().map(|v| v.key.as_str()).collect();
        assert_eq!(keys, ["auth.public_key_path", "outbox.batch_size"]);
        assert_eq!(violations[1].rule, "must be between 1 and 10000");
    }
}
