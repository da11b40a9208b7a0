//! "Is there one close by?": the box a database query narrows candidates
//! to, then the nearest by great-circle distance.

use geo::{Distance, Haversine, Point};

/// A circle of `radius_m` metres around a WGS84 point.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Around {
    pub lat: f64,
    pub lng: f64,
    pub radius_m: f64,
}

impl Around {
    /// Returns the half-sides, in degrees of latitude and longitude, of a
    /// box a little larger than the circle (1° of latitude is ~111 km).
    pub fn box_degrees(&self) -> (f64, f64) {
        let dlat = self.radius_m / 111_000.0 * 1.1;
        (dlat, dlat / self.lat.to_radians().cos().max(0.01))
    }

    /// Returns the candidate nearest the centre within the radius; `at`
    /// gives a candidate's (lat, lng), `None` when it has no place.
    pub fn nearest<T>(
        &self,
        candidates: impl IntoIterator<Item = T>,
        at: impl Fn(&T) -> Option<(f64, f64)>,
    ) -> Option<T> {
        let here = Point::new(self.lng, self.lat);
        candidates
            .into_iter()
            .filter_map(|c| {
                let (lat, lng) = at(&c)?;
                Some((Haversine.distance(here, Point::new(lng, lat)), c))
            })
            .filter(|(d, _)| *d <= self.radius_m)
            .min_by(|a, b| a.0.total_cmp(&b.0))
            .map(|(_, c)| c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_nearest_within_the_radius_is_found() {
        let around = Around {
            lat: 30.8,
            lng: 121.19,
            radius_m: 50.0,
        };
        // ~22 m and ~33 m north, and ~111 m north.
        let found = around.nearest([30.8003, 30.8002, 30.801], |lat| Some((*lat, 121.19)));
        assert_eq!(found, Some(30.8002));
        assert_eq!(around.nearest([30.801], |lat| Some((*lat, 121.19))), None);
        let (dlat, dlng) = around.box_degrees();
        assert!(dlat > 0.00045 && dlng > dlat, "{dlat} {dlng}");
    }
}
