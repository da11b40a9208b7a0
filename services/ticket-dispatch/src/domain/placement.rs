//! The town's micro-grids as dispatch keeps them to place a location
//! without asking the registry: each micro-grid's boundary and the village
//! or residential workstation above it. The rule is the registry's own
//! (`ResolveLocation`): a point on a boundary lies in the grid, and of the
//! micro-grids holding a point the one with the lowest code is the answer.

use geo::{BoundingRect, Coord, Intersects, LineString, Point, Polygon, Rect};

use super::grid::{LatLng, Placement};

/// The level of a grid, as far as placing needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// A village (村) or a residential committee (居委): the workstation.
    Workstation,
    MicroGrid,
    /// The town, an area grid, or a level this map does not use.
    Other,
}

/// One grid as the registry lists it: rings as (lat, lng) points.
#[derive(Debug, Clone)]
pub struct GridEntry {
    pub code: String,
    pub name: String,
    pub level: Level,
    pub parent_code: String,
    pub exterior: Vec<LatLng>,
    pub holes: Vec<Vec<LatLng>>,
}

/// A micro-grid ready to test points against.
#[derive(Debug, Clone)]
struct MicroGrid {
    code: String,
    name: String,
    village: Option<(String, String)>,
    polygon: Polygon,
    bounds: Rect,
}

/// Every micro-grid of the town, by code.
#[derive(Debug, Clone, Default)]
pub struct GridMap {
    grids: Vec<MicroGrid>,
}

fn ring(points: &[LatLng]) -> LineString {
    points
        .iter()
        .map(|p| Coord { x: p.lng, y: p.lat })
        .collect()
}

impl GridMap {
    /// Builds the map of `entries`: every micro-grid with a boundary, and
    /// the workstation its chain of parents reaches.
    pub fn build(entries: &[GridEntry]) -> Self {
        let by_code: std::collections::HashMap<&str, &GridEntry> =
            entries.iter().map(|e| (e.code.as_str(), e)).collect();
        let workstation_of = |entry: &GridEntry| {
            let mut next = by_code.get(entry.parent_code.as_str());
            // A chain longer than the map is a loop: stop.
            for _ in 0..entries.len() {
                let parent = next?;
                if parent.level == Level::Workstation {
                    return Some((parent.code.clone(), parent.name.clone()));
                }
                next = by_code.get(parent.parent_code.as_str());
            }
            None
        };
        let mut grids: Vec<MicroGrid> = entries
            .iter()
            .filter(|e| e.level == Level::MicroGrid && e.exterior.len() >= 4)
            .filter_map(|e| {
                let polygon =
                    Polygon::new(ring(&e.exterior), e.holes.iter().map(|h| ring(h)).collect());
                let bounds = polygon.bounding_rect()?;
                Some(MicroGrid {
                    code: e.code.clone(),
                    name: e.name.clone(),
                    village: workstation_of(e),
                    polygon,
                    bounds,
                })
            })
            .collect();
        grids.sort_by(|a, b| a.code.cmp(&b.code));
        Self { grids }
    }

    /// How many micro-grids the map holds.
    pub fn len(&self) -> usize {
        self.grids.len()
    }

    /// Whether the map holds no micro-grid.
    pub fn is_empty(&self) -> bool {
        self.grids.is_empty()
    }

    /// Returns where `at` lies: the micro-grid with the lowest code whose
    /// boundary holds it (on the boundary counts), or `None` outside them
    /// all or for a point that is no coordinate.
    pub fn place(&self, at: LatLng) -> Option<Placement> {
        let valid = at.lat.is_finite()
            && at.lng.is_finite()
            && (-90.0..=90.0).contains(&at.lat)
            && (-180.0..=180.0).contains(&at.lng);
        if !valid {
            return None;
        }
        let point = Point::new(at.lng, at.lat);
        let coord = Coord {
            x: at.lng,
            y: at.lat,
        };
        self.grids
            .iter()
            .find(|g| g.bounds.intersects(&coord) && g.polygon.intersects(&point))
            .map(|g| Placement {
                micro_grid_code: g.code.clone(),
                micro_grid_name: g.name.clone(),
                village_code: g.village.as_ref().map(|v| v.0.clone()),
                village_name: g.village.as_ref().map(|v| v.1.clone()),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn square(lat: f64, lng: f64, side: f64) -> Vec<LatLng> {
        [
            (lat, lng),
            (lat, lng + side),
            (lat + side, lng + side),
            (lat + side, lng),
            (lat, lng),
        ]
        .into_iter()
        .map(|(lat, lng)| LatLng { lat, lng })
        .collect()
    }

    fn entry(code: &str, level: Level, parent: &str, exterior: Vec<LatLng>) -> GridEntry {
        GridEntry {
            code: code.into(),
            name: format!("{code} 名"),
            level,
            parent_code: parent.into(),
            exterior,
            holes: Vec::new(),
        }
    }

    /// A village V1 with an area A1 holding two micro-grids side by side,
    /// M02 west of M01, sharing the edge at lng 121.01.
    fn town() -> GridMap {
        GridMap::build(&[
            entry("T", Level::Other, "", square(30.0, 121.0, 0.1)),
            entry("V1", Level::Workstation, "T", square(30.0, 121.0, 0.05)),
            entry("V1-A1", Level::Other, "V1", square(30.0, 121.0, 0.02)),
            entry(
                "V1-A1-M02",
                Level::MicroGrid,
                "V1-A1",
                square(30.0, 121.0, 0.01),
            ),
            entry(
                "V1-A1-M01",
                Level::MicroGrid,
                "V1-A1",
                square(30.0, 121.01, 0.01),
            ),
        ])
    }

    #[test]
    fn a_point_inside_lies_in_its_micro_grid_under_its_village() {
        let placed = town()
            .place(LatLng {
                lat: 30.005,
                lng: 121.015,
            })
            .expect("inside M01");
        assert_eq!(placed.micro_grid_code, "V1-A1-M01");
        assert_eq!(placed.micro_grid_name, "V1-A1-M01 名");
        assert_eq!(placed.village_code.as_deref(), Some("V1"));
        assert_eq!(placed.village_name.as_deref(), Some("V1 名"));
    }

    #[test]
    fn a_point_on_a_shared_edge_lies_in_the_lower_code_as_the_registry_has_it() {
        let on_edge = LatLng {
            lat: 30.005,
            lng: 121.01,
        };
        let placed = town().place(on_edge).expect("on both grids' edge");
        assert_eq!(placed.micro_grid_code, "V1-A1-M01", "M01 < M02");
        let corner = LatLng {
            lat: 30.0,
            lng: 121.0,
        };
        assert_eq!(
            town().place(corner).map(|p| p.micro_grid_code).as_deref(),
            Some("V1-A1-M02"),
            "a corner of only M02"
        );
    }

    #[test]
    fn a_point_outside_every_micro_grid_or_no_coordinate_lies_nowhere() {
        let map = town();
        for at in [
            LatLng {
                lat: 30.03,
                lng: 121.03,
            },
            LatLng {
                lat: f64::NAN,
                lng: 121.0,
            },
            LatLng {
                lat: 91.0,
                lng: 121.0,
            },
        ] {
            assert_eq!(map.place(at), None, "{at:?}");
        }
    }

    #[test]
    fn a_hole_is_outside_and_a_grid_without_a_workstation_above_has_none() {
        let mut grid = entry(
            "X-M01",
            Level::MicroGrid,
            "nowhere",
            square(31.0, 122.0, 0.01),
        );
        grid.holes.push(square(31.004, 122.004, 0.002));
        let map = GridMap::build(&[grid]);
        assert_eq!(map.len(), 1);
        assert_eq!(
            map.place(LatLng {
                lat: 31.005,
                lng: 122.005
            }),
            None,
            "in the hole"
        );
        let placed = map
            .place(LatLng {
                lat: 31.001,
                lng: 122.001,
            })
            .expect("in the ring");
        assert_eq!(placed.village_code, None);
    }
}
