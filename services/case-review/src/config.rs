//! The case-review configuration: the shared sections and its own.

use std::time::Duration;

use chrono::FixedOffset;
use platform::config::{ClientConfig, ServiceConfig, Validate, Violations};
use serde::Deserialize;

use crate::domain::panel::{PanelRules, Share};

/// Defaults embedded at build time.
pub const DEFAULTS: &str = include_str!("../config/default.toml");

/// Everything case-review reads at start.
#[derive(Debug, Clone, Deserialize)]
pub struct ReviewConfig {
    #[serde(flatten)]
    pub service: ServiceConfig,
    pub panel: Panel,
    pub town: Town,
    pub reminders: Reminders,
    pub clients: Clients,
    pub worklist: Worklist,
}

/// The services case review calls.
#[derive(Debug, Clone, Deserialize)]
pub struct Clients {
    /// The grid registry, asked about the villages when a policy is broken
    /// into work items.
    pub registry: ClientConfig,
    /// The token case review sends the registry as itself. In
    /// `auth.mode = "dev"` one is minted when this is empty; in production
    /// it comes from the identity provider, as a secret.
    #[serde(default)]
    pub service_token: Option<secrecy::SecretString>,
}

/// Work lists.
#[derive(Debug, Clone, Copy, Deserialize)]
pub struct Worklist {
    /// An item this close to its deadline turns yellow (红黄绿灯).
    #[serde(with = "humantime_serde")]
    pub warning: Duration,
}

/// The panel rules, as configured.
#[derive(Debug, Clone, Deserialize)]
pub struct Panel {
    pub minimum: u32,
    pub minimum_major: u32,
    /// `n/d`.
    pub industry_authority_share: String,
    /// `n/d`.
    pub reporting_relation_share: String,
}

impl Panel {
    /// Returns the rules; `None` when a share is not `n/d`.
    pub fn rules(&self) -> Option<PanelRules> {
        Some(PanelRules {
            minimum: self.minimum,
            minimum_major: self.minimum_major,
            industry_authority_share: Share::parse(&self.industry_authority_share)?,
            reporting_relation_share: Share::parse(&self.reporting_relation_share)?,
        })
    }
}

/// The town.
#[derive(Debug, Clone, Deserialize)]
pub struct Town {
    /// The organiser of referred reviews.
    pub organiser: String,
    /// The town's offset from UTC in hours: the years and months of work
    /// lists are the town's.
    pub utc_offset_hours: i32,
}

impl Town {
    /// Returns the town's offset from UTC.
    pub fn offset(&self) -> FixedOffset {
        FixedOffset::east_opt(self.utc_offset_hours * 3600)
            .unwrap_or_else(|| FixedOffset::east_opt(0).expect("UTC"))
    }
}

/// Reminders and warnings.
#[derive(Debug, Clone, Copy, Deserialize)]
pub struct Reminders {
    #[serde(with = "humantime_serde")]
    pub declaration_lead: Duration,
    #[serde(with = "humantime_serde")]
    pub deadline_warning: Duration,
    #[serde(with = "humantime_serde")]
    pub interval: Duration,
}

impl Validate for ReviewConfig {
    /// The service token has no default: it is a secret.
    const OPTIONAL: &'static [&'static str] = &["clients.service_token"];

    fn validate(&self, v: &mut Violations) {
        self.service.validate(v);
        self.clients.registry.validate_at("clients.registry", v);
        v.check(
            self.clients.service_token.is_some()
                || self.service.auth.mode == platform::config::AuthMode::Dev,
            "clients.service_token",
            "is required when auth.mode is jwt: the token case review calls the registry with",
        );
        v.check(
            (-12..=14).contains(&self.town.utc_offset_hours),
            "town.utc_offset_hours",
            "must be between -12 and 14",
        );
        v.check(
            self.worklist.warning <= Duration::from_secs(90 * 24 * 3600),
            "worklist.warning",
            "must be at most 90 days",
        );
        v.check(
            self.panel.minimum >= 1 && !self.panel.minimum.is_multiple_of(2),
            "panel.minimum",
            "must be an odd number of at least 1",
        );
        v.check(
            self.panel.minimum_major >= self.panel.minimum
                && !self.panel.minimum_major.is_multiple_of(2),
            "panel.minimum_major",
            "must be an odd number of at least panel.minimum",
        );
        v.check(
            Share::parse(&self.panel.industry_authority_share).is_some(),
            "panel.industry_authority_share",
            "must be a fraction n/d between 0 and 1, e.g. 1/3",
        );
        v.check(
            Share::parse(&self.panel.reporting_relation_share).is_some(),
            "panel.reporting_relation_share",
            "must be a fraction n/d between 0 and 1, e.g. 1/2",
        );
        v.check(
            !self.town.organiser.trim().is_empty(),
            "town.organiser",
            "must name the organiser's organisation code",
        );
        v.check(
            self.reminders.interval >= Duration::from_millis(10),
            "reminders.interval",
            "must be at least 10ms",
        );
        v.check(
            self.reminders.declaration_lead <= Duration::from_secs(366 * 24 * 3600),
            "reminders.declaration_lead",
            "must be at most a year",
        );
        v.check(
            self.reminders.deadline_warning <= Duration::from_secs(90 * 24 * 3600),
            "reminders.deadline_warning",
            "must be at most 90 days",
        );
    }
}
