//! The dispatch configuration: the shared sections and its own.

use std::time::Duration;

use platform::config::{ClientConfig, ServiceConfig, Validate, Violations};
use serde::Deserialize;

use crate::domain::channel::ChannelLimits;

/// Defaults embedded at build time.
pub const DEFAULTS: &str = include_str!("../config/default.toml");

/// Everything ticket-dispatch reads at start.
#[derive(Debug, Clone, Deserialize)]
pub struct DispatchConfig {
    #[serde(flatten)]
    pub service: ServiceConfig,
    pub clients: Clients,
    pub deadlines: Deadlines,
    pub workers: Workers,
    pub assessment: Assessment,
    pub duplicates: Duplicates,
    pub intake: Intake,
    pub decisions: Decisions,
    pub placements: Placements,
}

/// Returns the (stream, subject root) pair `STREAM:subject_root` names;
/// `None` for an empty or half-written one.
fn stream_and_root(text: &str) -> Option<(String, String)> {
    let (stream, root) = text.trim().split_once(':')?;
    let (stream, root) = (stream.trim(), root.trim());
    (!stream.is_empty() && !root.is_empty()).then(|| (stream.to_owned(), root.to_owned()))
}

/// The stream whose `<subject root>.decision.made` events (case review's
/// decisions on referred tickets) dispatch carries out.
#[derive(Debug, Clone, Deserialize)]
pub struct Decisions {
    /// `STREAM:subject_root`; empty for none.
    pub source: String,
}

impl Decisions {
    /// Returns the (stream, subject root) pair, if one is configured.
    pub fn source(&self) -> Option<(String, String)> {
        stream_and_root(&self.source)
    }
}

/// Whether `text` is empty or one `STREAM:subject_root` pair of an
/// upper-case stream and a lower-case root.
fn one_source_or_none(text: &str) -> bool {
    text.trim().is_empty()
        || stream_and_root(text).is_some_and(|(s, r)| {
            s.chars().all(|c| c.is_ascii_uppercase() || c == '_')
                && r.chars().all(|c| c.is_ascii_lowercase() || c == '_')
        })
}

/// Where dispatch places locations itself: the grid registry's stream,
/// whose `<subject root>.grid.>` events tell it of every change of a grid,
/// and how often the map is loaded again regardless.
#[derive(Debug, Clone, Deserialize)]
pub struct Placements {
    /// `STREAM:subject_root`; empty to ask the registry for every location.
    pub source: String,
    #[serde(with = "humantime_serde")]
    pub refresh: Duration,
}

impl Placements {
    /// Returns the (stream, subject root) pair, if one is configured.
    pub fn source(&self) -> Option<(String, String)> {
        stream_and_root(&self.source)
    }
}

/// Other services' streams that ask for tickets by event.
#[derive(Debug, Clone, Deserialize)]
pub struct Intake {
    /// `STREAM:subject_root`, comma-separated.
    pub sources: String,
}

impl Intake {
    /// Returns the (stream, subject root) pairs.
    pub fn sources(&self) -> Vec<(String, String)> {
        self.sources
            .split(',')
            .filter_map(stream_and_root)
            .collect()
    }
}

/// When a new report repeats an open ticket.
#[derive(Debug, Clone, Copy, Deserialize)]
pub struct Duplicates {
    /// Distance from the open ticket, in metres.
    pub radius_m: f64,
    /// Time since the open ticket was received.
    #[serde(with = "humantime_serde")]
    pub window: Duration,
}

/// Weights of the village assessment.
#[derive(Debug, Clone, Copy, Deserialize)]
pub struct Assessment {
    pub village_weight: f64,
    pub residential_weight: f64,
}

/// The services dispatch calls.
#[derive(Debug, Clone, Deserialize)]
pub struct Clients {
    pub registry: ClientConfig,
    /// The token dispatch sends when no caller's identity is to be
    /// forwarded (the router, timers). In `auth.mode = "dev"` one is minted
    /// when this is empty; in production it comes from the identity
    /// provider, as a secret.
    #[serde(default)]
    pub service_token: Option<secrecy::SecretString>,
}

/// Time limits and warnings.
#[derive(Debug, Clone, Deserialize)]
pub struct Deadlines {
    pub non_police_110_hours: u32,
    pub hotline_12345_hours: u32,
    /// Comma-separated fractions of the allowed time, each in (0, 1).
    pub warning_fractions: String,
    /// Whether a breach sends the ticket one step up its chain.
    pub escalate: bool,
}

impl Deadlines {
    /// Returns the channel limits.
    pub fn channel_limits(&self) -> ChannelLimits {
        ChannelLimits {
            non_police_110_hours: self.non_police_110_hours,
            hotline_12345_hours: self.hotline_12345_hours,
        }
    }

    /// Returns the warning fractions, sorted.
    pub fn fractions(&self) -> Vec<f64> {
        let mut fractions: Vec<f64> = self
            .warning_fractions
            .split(',')
            .filter_map(|f| f.trim().parse().ok())
            .filter(|f| *f > 0.0 && *f < 1.0)
            .collect();
        fractions.sort_by(f64::total_cmp);
        fractions
    }
}

/// Background workers.
#[derive(Debug, Clone, Deserialize)]
pub struct Workers {
    #[serde(with = "humantime_serde")]
    pub timer_interval: Duration,
    #[serde(with = "humantime_serde")]
    pub router_interval: Duration,
    /// How often an edit of the calendar made through another replica is
    /// looked for.
    #[serde(with = "humantime_serde")]
    pub calendar_refresh: Duration,
}

impl Validate for DispatchConfig {
    /// The service token has no default: it is a secret.
    const OPTIONAL: &'static [&'static str] = &["clients.service_token"];

    fn validate(&self, v: &mut Violations) {
        self.service.validate(v);
        self.clients.registry.validate_at("clients.registry", v);
        // Dispatch calls the registry with its own identity: in production
        // a token from the identity provider, mounted from a Secret.
        v.check(
            self.clients.service_token.is_some()
                || self.service.auth.mode == platform::config::AuthMode::Dev,
            "clients.service_token",
            "is required when auth.mode is jwt: the token dispatch calls the registry with",
        );
        v.check(
            (1..=72).contains(&self.deadlines.non_police_110_hours),
            "deadlines.non_police_110_hours",
            "must be between 1 and 72",
        );
        v.check(
            (1..=240).contains(&self.deadlines.hotline_12345_hours),
            "deadlines.hotline_12345_hours",
            "must be between 1 and 240",
        );
        let listed = self
            .deadlines
            .warning_fractions
            .split(',')
            .filter(|f| !f.trim().is_empty())
            .count();
        v.check(
            self.deadlines.fractions().len() == listed,
            "deadlines.warning_fractions",
            "must be comma-separated numbers between 0 and 1",
        );
        v.check(
            self.workers.timer_interval >= Duration::from_millis(10),
            "workers.timer_interval",
            "must be at least 10ms",
        );
        v.check(
            self.workers.router_interval >= Duration::from_millis(10),
            "workers.router_interval",
            "must be at least 10ms",
        );
        v.check(
            (0.0..=1.0).contains(&self.assessment.village_weight),
            "assessment.village_weight",
            "must be between 0 and 1",
        );
        v.check(
            (0.0..=5000.0).contains(&self.duplicates.radius_m),
            "duplicates.radius_m",
            "must be between 0 and 5000",
        );
        let listed = self
            .intake
            .sources
            .split(',')
            .filter(|s| !s.trim().is_empty())
            .count();
        v.check(
            self.intake.sources().len() == listed
                && self.intake.sources().iter().all(|(s, r)| {
                    s.chars().all(|c| c.is_ascii_uppercase() || c == '_')
                        && r.chars().all(|c| c.is_ascii_lowercase() || c == '_')
                }),
            "intake.sources",
            "must be STREAM:subject_root pairs, comma-separated (e.g. VIDEO:video)",
        );
        v.check(
            one_source_or_none(&self.decisions.source),
            "decisions.source",
            "must be one STREAM:subject_root pair (e.g. REVIEW:review), or empty",
        );
        v.check(
            one_source_or_none(&self.placements.source),
            "placements.source",
            "must be one STREAM:subject_root pair (e.g. REGISTRY:registry), or empty",
        );
        v.check(
            self.placements.refresh >= Duration::from_secs(1),
            "placements.refresh",
            "must be at least 1s",
        );
        v.check(
            (0.0..=1.0).contains(&self.assessment.residential_weight),
            "assessment.residential_weight",
            "must be between 0 and 1",
        );
    }
}
