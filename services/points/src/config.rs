//! The points configuration: the shared sections and its own.

use std::time::Duration;

use chrono::FixedOffset;
use platform::config::{ServiceConfig, Validate, Violations};
use serde::Deserialize;

use crate::domain::rules::Caps;

/// Defaults embedded at build time.
pub const DEFAULTS: &str = include_str!("../config/default.toml");

/// Everything points reads at start.
#[derive(Debug, Clone, Deserialize)]
pub struct PointsConfig {
    #[serde(flatten)]
    pub service: ServiceConfig,
    pub caps: CapsConfig,
    pub duplicates: Duplicates,
    pub expiry: Expiry,
    pub town: Town,
}

/// The most points one resident earns per day and per month.
#[derive(Debug, Clone, Copy, Deserialize)]
pub struct CapsConfig {
    pub daily: u32,
    pub monthly: u32,
}

impl CapsConfig {
    /// Returns the caps of the award rules.
    pub fn caps(self) -> Caps {
        Caps {
            daily: self.daily,
            monthly: self.monthly,
        }
    }
}

/// When a report repeats an earlier one.
#[derive(Debug, Clone, Copy, Deserialize)]
pub struct Duplicates {
    pub radius_m: f64,
    #[serde(with = "humantime_serde")]
    pub window: Duration,
}

/// The expiry policy.
#[derive(Debug, Clone, Copy, Deserialize)]
pub struct Expiry {
    /// Points older than this many months at a year end lapse; 0 never.
    pub months: u32,
    #[serde(with = "humantime_serde")]
    pub check_interval: Duration,
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

impl Validate for PointsConfig {
    fn validate(&self, v: &mut Violations) {
        self.service.validate(v);
        v.check(
            (1..=100_000).contains(&self.caps.daily),
            "caps.daily",
            "must be between 1 and 100000",
        );
        v.check(
            self.caps.monthly >= self.caps.daily && self.caps.monthly <= 1_000_000,
            "caps.monthly",
            "must be at least caps.daily and at most 1000000",
        );
        v.check(
            (0.0..=5000.0).contains(&self.duplicates.radius_m),
            "duplicates.radius_m",
            "must be between 0 and 5000",
        );
        v.check(
            self.expiry.months <= 120,
            "expiry.months",
            "must be between 0 (never) and 120",
        );
        v.check(
            self.expiry.check_interval >= Duration::from_millis(10),
            "expiry.check_interval",
            "must be at least 10ms",
        );
        v.check(
            (-12..=14).contains(&self.town.utc_offset_hours),
            "town.utc_offset_hours",
            "must be between -12 and 14",
        );
    }
}
