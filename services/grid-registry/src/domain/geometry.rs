//! Shapes as callers send them, checked into valid `geo` geometries, and the
//! measures the grid rules need: areas and distances on the sphere, in
//! square metres and metres.

use geo::{
    BooleanOps, BoundingRect, ChamberlainDuquetteArea, Closest, Coord, Distance, Euclidean,
    Haversine, HaversineClosestPoint, InteriorPoint, InterpolatableLine, Intersects, LineString,
    MultiPolygon, Point, Polygon, Rect, Validation,
};
use serde_json::{Value, json};

use kernel::FieldViolation;

/// A position as sent: (longitude, latitude) in WGS84 degrees.
pub type Position = (f64, f64);

/// A shape as sent by a caller, not yet checked.
#[derive(Debug, Clone, PartialEq)]
pub enum RawShape {
    Point(Position),
    Line(Vec<Position>),
    /// Exterior ring first, then holes; each ring closed.
    Polygon(Vec<Vec<Position>>),
}

/// A checked shape.
#[derive(Debug, Clone, PartialEq)]
pub enum Shape {
    Point(Point),
    Line(LineString),
    Polygon(Polygon),
}

fn check_position(field: &str, (lng, lat): Position, out: &mut Vec<FieldViolation>) {
    if !lng.is_finite()
        || !lat.is_finite()
        || !(-180.0..=180.0).contains(&lng)
        || !(-90.0..=90.0).contains(&lat)
    {
        out.push(FieldViolation::new(
            field,
            "must be a longitude in -180..180 and a latitude in -90..90",
        ));
    }
}

/// Checks a location sent as latitude and longitude and returns it as a
/// point (x = longitude); violations name `{field}.lat` and `{field}.lng`.
///
/// # Errors
/// Every coordinate out of range.
pub fn location(field: &str, lat: f64, lng: f64) -> Result<Point, Vec<FieldViolation>> {
    let mut out = Vec::new();
    if !(-90.0..=90.0).contains(&lat) || !lat.is_finite() {
        out.push(FieldViolation::new(
            format!("{field}.lat"),
            "must be between -90 and 90",
        ));
    }
    if !(-180.0..=180.0).contains(&lng) || !lng.is_finite() {
        out.push(FieldViolation::new(
            format!("{field}.lng"),
            "must be between -180 and 180",
        ));
    }
    if out.is_empty() {
        Ok(Point::new(lng, lat))
    } else {
        Err(out)
    }
}

fn coords(ring: &[Position]) -> Vec<Coord> {
    ring.iter().map(|&(x, y)| Coord { x, y }).collect()
}

/// Checks a polygon: at least one ring, every ring closed with at least four
/// positions, valid coordinates, no self-intersection, holes inside.
///
/// # Errors
/// Every broken rule, under `field`.
pub fn polygon(field: &str, rings: &[Vec<Position>]) -> Result<Polygon, Vec<FieldViolation>> {
    let mut out = Vec::new();
    if rings.is_empty() {
        out.push(FieldViolation::new(field, "must have an exterior ring"));
        return Err(out);
    }
    for (i, ring) in rings.iter().enumerate() {
        let ring_field = if i == 0 {
            format!("{field}.exterior")
        } else {
            format!("{field}.holes[{}]", i - 1)
        };
        if ring.len() < 4 {
            out.push(FieldViolation::new(
                &ring_field,
                "must have at least four positions (a closed triangle)",
            ));
            continue;
        }
        if ring.first() != ring.last() {
            out.push(FieldViolation::new(
                &ring_field,
                "must be closed: the last position must equal the first",
            ));
        }
        for (j, &p) in ring.iter().enumerate() {
            check_position(&format!("{ring_field}[{j}]"), p, &mut out);
        }
    }
    if !out.is_empty() {
        return Err(out);
    }
    let polygon = Polygon::new(
        LineString::new(coords(&rings[0])),
        rings[1..]
            .iter()
            .map(|r| LineString::new(coords(r)))
            .collect(),
    );
    if let Err(err) = polygon.check_validation() {
        return Err(vec![FieldViolation::new(
            field,
            format!("must be a valid polygon: {err}"),
        )]);
    }
    Ok(polygon)
}

/// Checks any shape.
///
/// # Errors
/// Every broken rule, under `field`.
pub fn shape(field: &str, raw: &RawShape) -> Result<Shape, Vec<FieldViolation>> {
    match raw {
        RawShape::Point(p) => {
            let mut out = Vec::new();
            check_position(field, *p, &mut out);
            if out.is_empty() {
                Ok(Shape::Point(Point::new(p.0, p.1)))
            } else {
                Err(out)
            }
        }
        RawShape::Line(line) => {
            let mut out = Vec::new();
            if line.len() < 2 {
                out.push(FieldViolation::new(
                    field,
                    "must have at least two positions",
                ));
            }
            for (j, &p) in line.iter().enumerate() {
                check_position(&format!("{field}[{j}]"), p, &mut out);
            }
            if out.is_empty() {
                Ok(Shape::Line(LineString::new(coords(line))))
            } else {
                Err(out)
            }
        }
        RawShape::Polygon(rings) => polygon(field, rings).map(Shape::Polygon),
    }
}

impl Shape {
    /// Returns the representative point that decides which micro-grid holds
    /// the shape: the point itself, the middle of a line, a point inside a
    /// polygon.
    pub fn anchor(&self) -> Point {
        match self {
            Shape::Point(p) => *p,
            Shape::Line(line) => line
                .point_at_ratio_from_start(&Euclidean, 0.5)
                .unwrap_or_else(|| {
                    line.0
                        .first()
                        .copied()
                        .map(Point::from)
                        .unwrap_or(Point::new(0.0, 0.0))
                }),
            Shape::Polygon(polygon) => polygon.interior_point().unwrap_or(Point::new(0.0, 0.0)),
        }
    }

    /// Returns the shape as sent, for storage and answers.
    pub fn to_raw(&self) -> RawShape {
        match self {
            Shape::Point(p) => RawShape::Point((p.x(), p.y())),
            Shape::Line(line) => RawShape::Line(positions(line)),
            Shape::Polygon(polygon) => RawShape::Polygon(polygon_positions(polygon)),
        }
    }
}

fn positions(line: &LineString) -> Vec<Position> {
    line.0.iter().map(|c| (c.x, c.y)).collect()
}

/// Returns a polygon's rings as positions, exterior first.
pub fn polygon_positions(polygon: &Polygon) -> Vec<Vec<Position>> {
    std::iter::once(polygon.exterior())
        .chain(polygon.interiors())
        .map(positions)
        .collect()
}

/// Returns the area of `shape` in square metres, on the sphere.
pub fn area_m2(shape: &MultiPolygon) -> f64 {
    shape.chamberlain_duquette_unsigned_area()
}

/// Returns how much of `child` lies outside `parent`, in square metres.
pub fn area_outside_m2(child: &Polygon, parent: &Polygon) -> f64 {
    area_m2(&child.difference(parent))
}

/// Returns the area `a` and `b` share, in square metres.
pub fn overlap_m2(a: &Polygon, b: &Polygon) -> f64 {
    if !bounding_boxes_meet(a, b) {
        return 0.0;
    }
    area_m2(&a.intersection(b))
}

fn bounding_boxes_meet(a: &Polygon, b: &Polygon) -> bool {
    match (a.bounding_rect(), b.bounding_rect()) {
        (Some(a), Some(b)) => a.intersects(&b),
        _ => false,
    }
}

/// Returns whether `point` lies in `polygon` or on its border.
pub fn covers(polygon: &Polygon, point: &Point) -> bool {
    polygon.intersects(point)
}

/// Returns the distance in metres from `point` to the nearest point of
/// `polygon` (0 inside).
pub fn distance_m(polygon: &Polygon, point: &Point) -> f64 {
    if polygon.intersects(point) {
        return 0.0;
    }
    match polygon.haversine_closest_point(point) {
        Closest::Intersection(_) => 0.0,
        Closest::SinglePoint(p) => Haversine.distance(*point, p),
        Closest::Indeterminate => f64::INFINITY,
    }
}

/// Returns the bounding box of a polygon.
pub fn bounds(polygon: &Polygon) -> Option<Rect> {
    polygon.bounding_rect()
}

/// Returns `rings` as a GeoJSON Polygon geometry.
pub fn polygon_geojson(rings: &[Vec<Position>]) -> Value {
    json!({ "type": "Polygon", "coordinates": rings_json(rings) })
}

fn rings_json(rings: &[Vec<Position>]) -> Vec<Vec<[f64; 2]>> {
    rings
        .iter()
        .map(|r| r.iter().map(|&(x, y)| [x, y]).collect())
        .collect()
}

/// Returns `raw` as a GeoJSON geometry.
pub fn to_geojson(raw: &RawShape) -> Value {
    match raw {
        RawShape::Point((x, y)) => json!({ "type": "Point", "coordinates": [x, y] }),
        RawShape::Line(line) => {
            json!({ "type": "LineString", "coordinates": line.iter().map(|&(x, y)| [x, y]).collect::<Vec<_>>() })
        }
        RawShape::Polygon(rings) => polygon_geojson(rings),
    }
}

/// Reads a GeoJSON Point, LineString or Polygon geometry.
///
/// # Errors
/// Another type or malformed coordinates, described.
pub fn from_geojson(value: &Value) -> Result<RawShape, String> {
    fn position(v: &Value) -> Result<Position, String> {
        match v.as_array().map(Vec::as_slice) {
            Some([x, y, ..]) => match (x.as_f64(), y.as_f64()) {
                (Some(x), Some(y)) => Ok((x, y)),
                _ => Err("positions must be numbers".to_owned()),
            },
            _ => Err("a position must be [longitude, latitude]".to_owned()),
        }
    }
    fn list(v: &Value) -> Result<Vec<Position>, String> {
        v.as_array()
            .ok_or("coordinates must be an array")?
            .iter()
            .map(position)
            .collect()
    }
    let coordinates = value
        .get("coordinates")
        .ok_or("geometry has no coordinates")?;
    match value.get("type").and_then(Value::as_str) {
        Some("Point") => Ok(RawShape::Point(position(coordinates)?)),
        Some("LineString") => Ok(RawShape::Line(list(coordinates)?)),
        Some("Polygon") => Ok(RawShape::Polygon(
            coordinates
                .as_array()
                .ok_or("coordinates must be an array of rings")?
                .iter()
                .map(list)
                .collect::<Result<_, _>>()?,
        )),
        Some(other) => Err(format!(
            "geometry type {other} is not supported; use Point, LineString or Polygon"
        )),
        None => Err("geometry has no type".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn square(x0: f64, y0: f64, side: f64) -> Vec<Vec<Position>> {
        vec![vec![
            (x0, y0),
            (x0 + side, y0),
            (x0 + side, y0 + side),
            (x0, y0 + side),
            (x0, y0),
        ]]
    }

    #[test]
    fn an_open_ring_is_refused_as_not_closed() {
        let open = vec![vec![
            (121.0, 30.0),
            (121.1, 30.0),
            (121.1, 30.1),
            (121.0, 30.1),
        ]];
        let err = polygon("boundary", &open).unwrap_err();
        assert_eq!(err[0].field, "boundary.exterior");
        assert!(err[0].rule.contains("closed"), "{:?}", err);
    }

    #[test]
    fn a_bow_tie_is_refused_as_self_intersecting() {
        let bow_tie = vec![vec![
            (121.0, 30.0),
            (121.1, 30.1),
            (121.1, 30.0),
            (121.0, 30.1),
            (121.0, 30.0),
        ]];
        let err = polygon("boundary", &bow_tie).unwrap_err();
        assert!(err[0].rule.contains("self-intersection"), "{:?}", err);
    }

    #[test]
    fn coordinates_out_of_range_are_named_by_index() {
        let bad = vec![vec![
            (121.0, 30.0),
            (200.0, 30.0),
            (121.1, 30.1),
            (121.0, 30.0),
        ]];
        let err = polygon("boundary", &bad).unwrap_err();
        assert_eq!(err[0].field, "boundary.exterior[1]");
    }

    #[test]
    fn neighbours_sharing_an_edge_do_not_overlap() {
        let a = polygon("a", &square(121.0, 30.0, 0.01)).unwrap();
        let b = polygon("b", &square(121.01, 30.0, 0.01)).unwrap();
        assert!(overlap_m2(&a, &b) < 1e-6);
        let c = polygon("c", &square(121.005, 30.0, 0.01)).unwrap();
        // Half of a 0.01° square at 30°N: roughly 0.5 × 1113 m × 964 m.
        let overlap = overlap_m2(&a, &c);
        assert!((400_000.0..600_000.0).contains(&overlap), "{overlap}");
    }

    #[test]
    fn distances_are_in_metres() {
        let a = polygon("a", &square(121.0, 30.0, 0.01)).unwrap();
        let inside = Point::new(121.005, 30.005);
        assert_eq!(distance_m(&a, &inside), 0.0);
        // 0.01° of longitude east of the square at 30°N is about 964 m.
        let d = distance_m(&a, &Point::new(121.02, 30.005));
        assert!((900.0..1_000.0).contains(&d), "{d}");
    }

    #[test]
    fn geojson_round_trips() {
        let raw = RawShape::Polygon(square(121.0, 30.0, 0.01));
        assert_eq!(from_geojson(&to_geojson(&raw)).unwrap(), raw);
        let err = from_geojson(&json!({"type": "MultiPoint", "coordinates": []})).unwrap_err();
        assert!(err.contains("not supported"));
    }

    #[test]
    fn a_location_out_of_range_names_the_coordinate() {
        assert_eq!(
            location("location", 30.0, 121.0).unwrap(),
            Point::new(121.0, 30.0)
        );
        let err = location("location", 95.0, f64::NAN).unwrap_err();
        let fields: Vec<_> = err.iter().map(|v| v.field.as_str()).collect();
        assert_eq!(fields, ["location.lat", "location.lng"]);
    }
}
