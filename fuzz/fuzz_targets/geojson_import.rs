//! A GeoJSON FeatureCollection sent to ImportGeoJson: parsed, counted
//! against the registry's caps as the API does, then checked feature by
//! feature (shapes, levels, parents, overlaps) as a dry run into an empty
//! registry.
#![no_main]

#[path = "geo_panics.rs"]
mod geo_panics;

use std::collections::HashMap;
use std::str::FromStr as _;
use std::sync::LazyLock;

use grid_registry::application::map;
use grid_registry::config::RegistryConfig;
use libfuzzer_sys::fuzz_target;

/// The registry's defaults (development tokens: no key files to read).
static CONFIG: LazyLock<RegistryConfig> = LazyLock::new(|| {
    let env = HashMap::from([("WEIGRID_REGISTRY__AUTH__MODE".to_owned(), "dev".to_owned())]);
    platform::config::load_from("registry", grid_registry::config::DEFAULTS, &env)
        .expect("the registry's defaults load")
});

fuzz_target!(|data: &[u8]| {
    geo_panics::tolerate_the_registrys_caught_ones();
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(collection) = geojson::FeatureCollection::from_str(text) else {
        return;
    };
    if map::import_within_limits(&collection, &CONFIG.registry.limits).is_err() {
        return; // refused by counting, as the API does
    }
    let now = chrono::DateTime::from_timestamp(1_772_000_000, 0).expect("a time");
    let _ = map::check_import(&collection, CONFIG.registry.tolerances(), now);
});
