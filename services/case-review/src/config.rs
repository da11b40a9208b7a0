//! The case-review configuration: the shared sections and its own.

use std::time::Duration;

use platform::config::{ServiceConfig, Validate, Violations};
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
    fn validate(&self, v: &mut Violations) {
        self.service.validate(v);
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
