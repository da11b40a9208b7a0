//! The video-ingest configuration: the shared sections and its own.

use std::net::SocketAddr;
use std::time::Duration;

use chrono::FixedOffset;
use platform::config::{ClientConfig, ServiceConfig, Validate, Violations};
use serde::Deserialize;

use crate::domain::gbid::{GbId, GbIdClass};
use crate::domain::registration::SipRules;

/// Defaults embedded at build time.
pub const DEFAULTS: &str = include_str!("../config/default.toml");

/// Everything video-ingest reads at start.
#[derive(Debug, Clone, Deserialize)]
pub struct VideoConfig {
    #[serde(flatten)]
    pub service: ServiceConfig,
    pub clients: Clients,
    pub sip: SipConfig,
    pub health: Health,
    pub town: Town,
    pub analytics: Analytics,
    pub evidence: Evidence,
    pub disclosure: Disclosure,
}

/// Evidence clips: where their files go and how long they are kept.
#[derive(Debug, Clone, Deserialize)]
pub struct Evidence {
    /// The object store (the platform's settings, as the edge's photos).
    #[serde(flatten)]
    pub storage: platform::objects::StoreConfig,
    /// How long a clip is kept unless held.
    #[serde(with = "humantime_serde")]
    pub retention: Duration,
    /// How often clips past their retention are looked for.
    #[serde(with = "humantime_serde")]
    pub purge_interval: Duration,
    /// The longest window one clip or one application covers.
    #[serde(with = "humantime_serde")]
    pub max_window: Duration,
    /// The largest clip file taken (each arrives in one request).
    pub max_file_bytes: usize,
}

/// Disclosure on application.
#[derive(Debug, Clone, Copy, Deserialize)]
pub struct Disclosure {
    /// How long an approval (a viewing, or the copy issued) may be used.
    #[serde(with = "humantime_serde")]
    pub valid_for: Duration,
}

/// Analytic events and their incidents.
#[derive(Debug, Clone, Copy, Deserialize)]
pub struct Analytics {
    /// Events being stored at once, across every stream.
    pub max_in_flight: usize,
    /// The largest batch taken.
    pub max_batch: usize,
    /// The ingest capacity: events a second taken from all senders
    /// together, and from any one sender (its caller subject); a batch
    /// beyond either is refused RESOURCE_EXHAUSTED with the time to wait.
    pub max_events_per_second: u32,
    pub max_events_per_second_per_sender: u32,
    /// A camera's events of one kind within this of one another are one
    /// incident.
    #[serde(with = "humantime_serde")]
    pub incident_window: Duration,
    /// Stored events the incident consumer takes in together, in one
    /// transaction.
    pub consumer_batch: usize,
}

/// The town's time zone.
#[derive(Debug, Clone, Copy, Deserialize)]
pub struct Town {
    pub utc_offset_hours: i32,
}

impl Town {
    /// Returns the town's offset from UTC.
    pub fn offset(self) -> FixedOffset {
        FixedOffset::east_opt(self.utc_offset_hours * 3600)
            .unwrap_or_else(|| FixedOffset::east_opt(0).expect("UTC"))
    }
}

/// The services video-ingest calls.
#[derive(Debug, Clone, Deserialize)]
pub struct Clients {
    pub registry: ClientConfig,
    /// The token video-ingest sends when no caller's identity is to be
    /// forwarded (the gateway learning a camera's place). In
    /// `auth.mode = "dev"` one is minted when this is empty; in production
    /// it comes from the identity provider, as a secret.
    #[serde(default)]
    pub service_token: Option<secrecy::SecretString>,
}

/// The GB/T 28181 gateway.
#[derive(Debug, Clone, Deserialize)]
pub struct SipConfig {
    /// UDP and TCP, on the same address.
    pub listen: SocketAddr,
    pub platform_id: String,
    /// Empty: the first ten digits of `platform_id`.
    pub domain: String,
    #[serde(with = "humantime_serde")]
    pub nonce_ttl: Duration,
    #[serde(with = "humantime_serde")]
    pub default_expires: Duration,
    #[serde(with = "humantime_serde")]
    pub min_expires: Duration,
    #[serde(with = "humantime_serde")]
    pub max_expires: Duration,
    #[serde(with = "humantime_serde")]
    pub keepalive_interval: Duration,
    pub keepalive_count: u32,
    #[serde(with = "humantime_serde")]
    pub catalog_timeout: Duration,
    pub max_message_bytes: usize,
}

impl SipConfig {
    /// Returns the SIP domain (and digest realm).
    pub fn domain(&self) -> String {
        if self.domain.trim().is_empty() {
            self.platform_id.chars().take(10).collect()
        } else {
            self.domain.trim().to_owned()
        }
    }

    /// Returns the rules of registration and keepalive.
    pub fn rules(&self) -> SipRules {
        SipRules {
            realm: self.domain(),
            nonce_ttl: self.nonce_ttl,
            default_expires: self.default_expires,
            min_expires: self.min_expires,
            max_expires: self.max_expires,
            keepalive_interval: self.keepalive_interval,
            keepalive_count: self.keepalive_count,
            catalog_timeout: self.catalog_timeout,
        }
    }
}

/// Device health.
#[derive(Debug, Clone, Copy, Deserialize)]
pub struct Health {
    #[serde(with = "humantime_serde")]
    pub check_interval: Duration,
}

impl Validate for VideoConfig {
    /// The service token has no default: it is a secret.
    const OPTIONAL: &'static [&'static str] = &["clients.service_token"];

    fn validate(&self, v: &mut Violations) {
        self.service.validate(v);
        self.clients.registry.validate_at("clients.registry", v);
        v.check(
            self.clients.service_token.is_some()
                || self.service.auth.mode == platform::config::AuthMode::Dev,
            "clients.service_token",
            "is required when auth.mode is jwt: the token video-ingest calls the registry with",
        );
        let platform = GbId::parse(&self.sip.platform_id);
        v.check(
            platform.is_ok_and(|id| id.class() == GbIdClass::Platform),
            "sip.platform_id",
            "must be a 20-digit GB/T 28181 id of a platform (type 200-299)",
        );
        let domain = self.sip.domain();
        v.check(
            !domain.is_empty()
                && domain.len() <= 64
                && domain
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-'),
            "sip.domain",
            "must be 1-64 letters, digits, dots or dashes (empty: the first ten digits of sip.platform_id)",
        );
        v.check(
            self.sip.nonce_ttl >= Duration::from_secs(5)
                && self.sip.nonce_ttl <= Duration::from_secs(3600),
            "sip.nonce_ttl",
            "must be between 5s and 1h",
        );
        v.check(
            self.sip.min_expires >= Duration::from_secs(10)
                && self.sip.min_expires <= self.sip.default_expires
                && self.sip.default_expires <= self.sip.max_expires
                && self.sip.max_expires <= Duration::from_secs(7 * 24 * 3600),
            "sip.default_expires",
            "must lie between sip.min_expires (at least 10s) and sip.max_expires (at most 7 days)",
        );
        v.check(
            self.sip.keepalive_interval >= Duration::from_secs(1)
                && self.sip.keepalive_interval <= Duration::from_secs(3600),
            "sip.keepalive_interval",
            "must be between 1s and 1h",
        );
        v.check(
            (1..=100).contains(&self.sip.keepalive_count),
            "sip.keepalive_count",
            "must be between 1 and 100",
        );
        v.check(
            self.sip.catalog_timeout >= Duration::from_millis(100),
            "sip.catalog_timeout",
            "must be at least 100ms",
        );
        v.check(
            (1500..=1_048_576).contains(&self.sip.max_message_bytes),
            "sip.max_message_bytes",
            "must be between 1500 and 1048576",
        );
        v.check(
            (-12..=14).contains(&self.town.utc_offset_hours),
            "town.utc_offset_hours",
            "must be between -12 and 14",
        );
        v.check(
            (1..=1_000_000).contains(&self.analytics.max_in_flight),
            "analytics.max_in_flight",
            "must be between 1 and 1000000",
        );
        v.check(
            (1..=5000).contains(&self.analytics.max_batch)
                && self.analytics.max_batch <= self.analytics.max_in_flight,
            "analytics.max_batch",
            "must be between 1 and 5000, and at most analytics.max_in_flight",
        );
        v.check(
            (1..=1000).contains(&self.analytics.consumer_batch),
            "analytics.consumer_batch",
            "must be between 1 and 1000",
        );
        v.check(
            (1..=1_000_000).contains(&self.analytics.max_events_per_second),
            "analytics.max_events_per_second",
            "must be between 1 and 1000000",
        );
        v.check(
            usize::try_from(self.analytics.max_events_per_second_per_sender)
                .is_ok_and(|n| n >= self.analytics.max_batch)
                && self.analytics.max_events_per_second_per_sender
                    <= self.analytics.max_events_per_second,
            "analytics.max_events_per_second_per_sender",
            "must be at least analytics.max_batch (a full batch must fit a second) \
             and at most analytics.max_events_per_second",
        );
        v.check(
            self.analytics.incident_window >= Duration::from_secs(1)
                && self.analytics.incident_window <= Duration::from_secs(24 * 3600),
            "analytics.incident_window",
            "must be between 1s and 24h",
        );
        self.evidence.storage.validate("evidence", v);
        v.check(
            self.evidence.retention >= Duration::from_secs(24 * 3600),
            "evidence.retention",
            "must be at least 1 day",
        );
        v.check(
            self.evidence.purge_interval >= Duration::from_millis(10),
            "evidence.purge_interval",
            "must be at least 10ms",
        );
        v.check(
            self.evidence.max_window >= Duration::from_secs(60)
                && self.evidence.max_window <= Duration::from_secs(7 * 24 * 3600),
            "evidence.max_window",
            "must be between 1m and 7 days",
        );
        v.check(
            (1..=self.service.grpc.max_message_bytes).contains(&self.evidence.max_file_bytes),
            "evidence.max_file_bytes",
            "must be between 1 and grpc.max_message_bytes (a file arrives in one request)",
        );
        v.check(
            self.disclosure.valid_for >= Duration::from_secs(60)
                && self.disclosure.valid_for <= Duration::from_secs(90 * 24 * 3600),
            "disclosure.valid_for",
            "must be between 1m and 90 days",
        );
        v.check(
            self.health.check_interval >= Duration::from_millis(10),
            "health.check_interval",
            "must be at least 10ms",
        );
    }
}
