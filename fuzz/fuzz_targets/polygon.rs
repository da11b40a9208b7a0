//! Polygons as callers send them (PutGrid's boundary, an object's shape):
//! rings of arbitrary positions, checked within the registry's budget, then
//! measured as the grid rules measure them.
#![no_main]

#[path = "geo_panics.rs"]
mod geo_panics;

use std::time::Duration;

use grid_registry::domain::geometry::{self, Budget, Position, RawShape, ShapeLimits};
use libfuzzer_sys::fuzz_target;

/// The registry's default caps (config/default.toml).
const LIMITS: ShapeLimits = ShapeLimits {
    max_polygon_vertices: 10_000,
    max_rings: 100,
    max_line_vertices: 10_000,
};

fn rings(data: &[u8]) -> Vec<Vec<Position>> {
    // The first byte splits the positions into rings; each position is two
    // f64s, and small integers are common so that rings can close.
    let Some((&split, rest)) = data.split_first() else {
        return Vec::new();
    };
    let positions: Vec<Position> = rest
        .chunks_exact(16)
        .map(|c| {
            let x = f64::from_le_bytes(c[..8].try_into().expect("8 bytes"));
            let y = f64::from_le_bytes(c[8..].try_into().expect("8 bytes"));
            (x, y)
        })
        .collect();
    let per_ring = usize::from(split).max(4);
    positions
        .chunks(per_ring)
        .map(<[Position]>::to_vec)
        .collect()
}

fuzz_target!(|data: &[u8]| {
    geo_panics::tolerate_the_registrys_caught_ones();
    let rings = rings(data);
    let raw = RawShape::Polygon(rings.clone());
    if !geometry::over_limits("boundary", &raw, LIMITS).is_empty() {
        return;
    }
    let budget = Budget::starting_now(Duration::from_secs(2));
    let Ok(shape) = geometry::shape_within("boundary", &raw, &budget) else {
        return;
    };
    let _ = shape.anchor();
    let _ = shape.to_raw();
    if let Ok(polygon) = geometry::polygon("boundary", &rings) {
        let _ = geometry::bounds(&polygon);
        let _ = geometry::overlap_m2(&polygon, &polygon);
        let _ = geometry::area_outside_m2(&polygon, &polygon);
        let _ = geometry::distance_m(&polygon, &geo::Point::new(121.0, 30.0));
        let _ = geometry::covers(&polygon, &geo::Point::new(121.0, 30.0));
        let back = geometry::from_geojson(&geometry::polygon_geojson(&rings));
        assert!(back.is_ok(), "a checked polygon's GeoJSON reads back");
    }
});
