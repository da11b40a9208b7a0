//! The registry's configuration: the shared sections and its own.

use std::time::Duration;

use platform::auth::Role;
use platform::config::{ServiceConfig, Validate, Violations};
use serde::Deserialize;

use crate::domain::geometry::ShapeLimits;
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
    pub limits: Limits,
}

/// Caps on a request, checked after the caller's role and before any
/// geometry or query.
#[derive(Debug, Clone, Deserialize)]
pub struct Limits {
    pub max_polygon_vertices: usize,
    pub max_rings: usize,
    pub max_line_vertices: usize,
    pub max_text_chars: usize,
    pub max_list_items: usize,
    pub max_import_features: usize,
    pub max_page_size: u32,
    /// How long one shape's validity check may run.
    #[serde(with = "humantime_serde")]
    pub geometry_check_budget: Duration,
    pub geometry_checks_at_once: usize,
}

impl Limits {
    /// Returns the caps on one shape.
    pub fn shapes(&self) -> ShapeLimits {
        ShapeLimits {
            max_polygon_vertices: self.max_polygon_vertices,
            max_rings: self.max_rings,
            max_line_vertices: self.max_line_vertices,
        }
    }

    fn validate(&self, v: &mut Violations) {
        let key = |name: &str| format!("registry.limits.{name}");
        for (name, value, range) in [
            (
                "max_polygon_vertices",
                self.max_polygon_vertices,
                4..=1_000_000,
            ),
            ("max_rings", self.max_rings, 1..=10_000),
            ("max_line_vertices", self.max_line_vertices, 2..=1_000_000),
            ("max_text_chars", self.max_text_chars, 100..=100_000),
            ("max_list_items", self.max_list_items, 1..=100_000),
            (
                "max_import_features",
                self.max_import_features,
                1..=1_000_000,
            ),
            (
                "geometry_checks_at_once",
                self.geometry_checks_at_once,
                1..=64,
            ),
        ] {
            v.check(
                range.contains(&value),
                &key(name),
                &format!("must be between {} and {}", range.start(), range.end()),
            );
        }
        v.check(
            (1..=10_000).contains(&self.max_page_size),
            &key("max_page_size"),
            "must be between 1 and 10000",
        );
        v.check(
            (Duration::from_millis(10)..=Duration::from_secs(60))
                .contains(&self.geometry_check_budget),
            &key("geometry_check_budget"),
            "must be between 10ms and 60s",
        );
    }
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
        r.limits.validate(v);
    }
}
