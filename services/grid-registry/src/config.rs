//! The registry's configuration: the shared sections and its own.

use std::time::Duration;

use platform::auth::Role;
use platform::config::{ServiceConfig, Validate, Violations};
use serde::Deserialize;

use crate::domain::grid::Tolerances;

/// Defaults embedded at build time.
pub const DEFAULTS: &str = include_str!("../config/default.toml");

/// Everything the registry reads at start.
#[derive(Debug, Clone, Deserialize)]
pub struct RegistryConfig {
    #[serde(flatten)]
    pub service: ServiceConfig,
    pub registry: RegistrySettings,
}

/// The registry's own section.
#[derive(Debug, Clone, Deserialize)]
pub struct RegistrySettings {
    pub outside_parent_tolerance_m2: f64,
    pub sibling_overlap_tolerance_m2: f64,
    /// Comma-separated role names.
    pub care_person_read_roles: String,
    #[serde(with = "humantime_serde")]
    pub index_full_refresh: Duration,
}

impl RegistrySettings {
    /// Returns the geometry tolerances.
    pub fn tolerances(&self) -> Tolerances {
        Tolerances {
            outside_parent_m2: self.outside_parent_tolerance_m2,
            sibling_overlap_m2: self.sibling_overlap_tolerance_m2,
        }
    }

    /// Returns the roles that may read special-care people.
    pub fn care_readers(&self) -> Vec<Role> {
        self.care_person_read_roles
            .split(',')
            .filter(|s| !s.trim().is_empty())
            .filter_map(|s| s.parse().ok())
            .collect()
    }
}

impl Validate for RegistryConfig {
    fn validate(&self, v: &mut Violations) {
        self.service.validate(v);
        let r = &self.registry;
        v.check(
            (0.0..=10_000.0).contains(&r.outside_parent_tolerance_m2),
            "registry.outside_parent_tolerance_m2",
            "must be between 0 and 10000",
        );
        v.check(
            (0.0..=10_000.0).contains(&r.sibling_overlap_tolerance_m2),
            "registry.sibling_overlap_tolerance_m2",
            "must be between 0 and 10000",
        );
        for name in r
            .care_person_read_roles
            .split(',')
            .filter(|s| !s.trim().is_empty())
        {
            match name.parse::<Role>() {
                Err(rule) => v.add("registry.care_person_read_roles", rule),
                // The role matrix keeps ListCarePeople from them.
                Ok(role @ (Role::Resident | Role::Reviewer)) => v.add(
                    "registry.care_person_read_roles",
                    format!("the {role} role may not call ListCarePeople at all"),
                ),
                Ok(_) => {}
            }
        }
        v.check(
            r.index_full_refresh >= Duration::from_secs(5),
            "registry.index_full_refresh",
            "must be at least 5s",
        );
    }
}
