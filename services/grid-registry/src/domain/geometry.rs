//! Shapes as callers send them, checked into valid `geo` geometries, and the
//! measures the grid rules need: areas and distances on the sphere, in
//! square metres and metres.

use std::time::{Duration, Instant};

use geo::coordinate_position::CoordPos;
use geo::dimensions::Dimensions;
use geo::{
    BooleanOps, BoundingRect, ChamberlainDuquetteArea, Closest, Coord, Distance, Euclidean,
    Haversine, HaversineClosestPoint, InterpolatableLine, Intersects, Line, LineString,
    MultiPolygon, Point, Polygon, PreparedGeometry, Rect, Relate, RemoveRepeatedPoints,
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

/// How large one shape may be. The validity check grows with the number of
/// positions (in the worst case with its square), so a shape over these caps
/// is refused by counting alone, before any geometry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShapeLimits {
    /// Positions of a polygon, all its rings together.
    pub max_polygon_vertices: usize,
    /// Rings of a polygon, its exterior included.
    pub max_rings: usize,
    /// Positions of a line.
    pub max_line_vertices: usize,
}

/// Returns the caps `raw` is over, under `field`, counting only.
pub fn over_limits(field: &str, raw: &RawShape, limits: ShapeLimits) -> Vec<FieldViolation> {
    match raw {
        RawShape::Point(_) => Vec::new(),
        RawShape::Line(line) if line.len() > limits.max_line_vertices => {
            vec![FieldViolation::new(
                field,
                format!(
                    "must have at most {} positions, not {}",
                    limits.max_line_vertices,
                    line.len()
                ),
            )]
        }
        RawShape::Line(_) => Vec::new(),
        RawShape::Polygon(rings) => rings_over_limits(field, rings, limits),
    }
}

/// Returns the caps a polygon's `rings` are over, under `field`, counting
/// only.
pub fn rings_over_limits(
    field: &str,
    rings: &[Vec<Position>],
    limits: ShapeLimits,
) -> Vec<FieldViolation> {
    let mut out = Vec::new();
    if rings.len() > limits.max_rings {
        out.push(FieldViolation::new(
            field,
            format!(
                "must have at most {} rings (the exterior and its holes), not {}",
                limits.max_rings,
                rings.len()
            ),
        ));
    }
    let vertices: usize = rings.iter().map(Vec::len).sum();
    if vertices > limits.max_polygon_vertices {
        out.push(FieldViolation::new(
            field,
            format!(
                "must have at most {} positions in all its rings, not {vertices}",
                limits.max_polygon_vertices
            ),
        ));
    }
    out
}

/// How long a shape's validity check may run before it gives up: the check
/// is quadratic for shapes drawn to defeat it, so it watches the
/// (monotonic) clock and stops at the deadline instead of running on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    deadline: Option<(Instant, Duration)>,
}

impl Budget {
    /// No deadline: for shapes already stored or built in code.
    pub const UNLIMITED: Budget = Budget { deadline: None };

    /// Returns a budget of `allowed` from now.
    pub fn starting_now(allowed: Duration) -> Budget {
        Self::ending_at(Instant::now() + allowed, allowed)
    }

    /// Returns a budget of `allowed` that ends at `deadline` (part of it
    /// may have gone waiting for a turn).
    pub fn ending_at(deadline: Instant, allowed: Duration) -> Budget {
        Budget {
            deadline: Some((deadline, allowed)),
        }
    }

    fn spent(&self) -> bool {
        self.deadline
            .is_some_and(|(deadline, _)| Instant::now() >= deadline)
    }

    fn refusal(&self, field: &str) -> FieldViolation {
        let allowed = self.deadline.map(|(_, a)| a).unwrap_or_default();
        FieldViolation::new(
            field,
            format!(
                "could not be checked within {} ms; send a simpler shape (fewer positions)",
                allowed.as_millis()
            ),
        )
    }
}

/// Why a polygon's rings are not valid.
enum RingFault {
    /// The check ran out of its budget.
    OutOfTime,
    Invalid(String),
}

fn ring_name(i: usize) -> String {
    if i == 0 {
        "the exterior ring".to_owned()
    } else {
        format!("hole {}", i - 1)
    }
}

/// Returns whether a ring crosses or touches itself anywhere but where
/// consecutive segments meet (the rule of `geo`'s validation), by a sweep
/// over the segments ordered by their west end: only segments whose
/// longitudes overlap are compared.
fn self_intersects(ring: &LineString, budget: &Budget) -> Result<bool, RingFault> {
    let mut segments: Vec<(Line, Rect)> = ring.lines().map(|l| (l, l.bounding_rect())).collect();
    segments.sort_by(|a, b| a.1.min().x.total_cmp(&b.1.min().x));
    let mut compared = 0u32;
    for (i, (a, a_box)) in segments.iter().enumerate() {
        for (b, b_box) in &segments[i + 1..] {
            if b_box.min().x > a_box.max().x {
                break;
            }
            compared = compared.wrapping_add(1);
            if compared.is_multiple_of(4096) && budget.spent() {
                return Err(RingFault::OutOfTime);
            }
            if b_box.min().y > a_box.max().y || b_box.max().y < a_box.min().y {
                continue;
            }
            if a.intersects(b) && a.start != b.end && a.end != b.start {
                return Ok(true);
            }
        }
    }
    Ok(false)
}

/// Returns what `relate` works out, or `None` where `geo` gives up: its
/// relate panics on some degenerate rings (its message says "this can
/// happen with invalid geometries"), and a caller's shape must get an
/// answer naming the field, not a failed call.
fn relate_within_geo<T>(relate: impl FnOnce() -> T) -> Option<T> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(relate)).ok()
}

/// Checks what `geo`'s polygon validation checks (enough distinct
/// positions, no self-intersection, holes inside the exterior and apart from
/// each other) within `budget`.
fn check_rings(polygon: &Polygon, budget: &Budget) -> Result<(), RingFault> {
    let rings: Vec<&LineString> = std::iter::once(polygon.exterior())
        .chain(polygon.interiors())
        .collect();
    for (i, ring) in rings.iter().enumerate() {
        if ring.remove_repeated_points().0.len() < 4 {
            return Err(RingFault::Invalid(format!(
                "{} must have at least three distinct positions",
                ring_name(i)
            )));
        }
        if self_intersects(ring, budget)? {
            return Err(RingFault::Invalid(format!(
                "{} has a self-intersection",
                ring_name(i)
            )));
        }
    }
    if polygon.interiors().is_empty() {
        return Ok(());
    }
    let exterior = Polygon::new(polygon.exterior().clone(), vec![]);
    let exterior = PreparedGeometry::from(&exterior);
    let holes: Vec<Polygon> = polygon
        .interiors()
        .iter()
        .map(|r| Polygon::new(r.clone(), vec![]))
        .collect();
    for (i, hole) in holes.iter().enumerate() {
        if budget.spent() {
            return Err(RingFault::OutOfTime);
        }
        let prepared = PreparedGeometry::from(hole);
        let Some(matrix) = relate_within_geo(|| exterior.relate(&prepared)) else {
            return Err(RingFault::Invalid(format!(
                "hole {i} could not be placed against the exterior ring: the rings are degenerate"
            )));
        };
        if !matrix.is_contains() {
            return Err(RingFault::Invalid(format!(
                "hole {i} must lie inside the exterior ring"
            )));
        }
        if matrix.get(CoordPos::OnBoundary, CoordPos::OnBoundary) == Dimensions::OneDimensional {
            return Err(RingFault::Invalid(format!(
                "hole {i} may touch the exterior ring only at points, not along a line"
            )));
        }
        for (j, other) in holes.iter().enumerate().skip(i + 1) {
            if budget.spent() {
                return Err(RingFault::OutOfTime);
            }
            let Some(matrix) = relate_within_geo(|| prepared.relate(other)) else {
                return Err(RingFault::Invalid(format!(
                    "holes {i} and {j} could not be placed against each other: the rings are degenerate"
                )));
            };
            if matrix.get(CoordPos::Inside, CoordPos::Inside) == Dimensions::TwoDimensional {
                return Err(RingFault::Invalid(format!("holes {i} and {j} overlap")));
            }
            if matrix.get(CoordPos::OnBoundary, CoordPos::OnBoundary) == Dimensions::OneDimensional
            {
                return Err(RingFault::Invalid(format!(
                    "holes {i} and {j} may touch only at points, not along a line"
                )));
            }
        }
    }
    Ok(())
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

/// The least a ring may span each way, in degrees (about 1 cm): no grid or
/// object is smaller, and geo's overlay and relate break on rings far below
/// it (arithmetic overflow, "topology position conflict").
const MIN_RING_SPAN_DEGREES: f64 = 1e-7;

/// Returns whether `ring` spans at least [`MIN_RING_SPAN_DEGREES`] in
/// longitude and in latitude.
fn spans_the_minimum(ring: &[Position]) -> bool {
    let span = |pick: fn(&Position) -> f64| {
        let (lo, hi) = ring
            .iter()
            .map(pick)
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
                (lo.min(v), hi.max(v))
            });
        hi - lo
    };
    span(|p| p.0) >= MIN_RING_SPAN_DEGREES && span(|p| p.1) >= MIN_RING_SPAN_DEGREES
}

/// Checks a polygon: at least one ring, every ring closed with at least four
/// positions, valid coordinates, no self-intersection, holes inside.
///
/// # Errors
/// Every broken rule, under `field`.
pub fn polygon(field: &str, rings: &[Vec<Position>]) -> Result<Polygon, Vec<FieldViolation>> {
    polygon_within(field, rings, &Budget::UNLIMITED)
}

/// Checks a polygon as [`polygon`] does, giving up when `budget` is spent.
///
/// # Errors
/// Every broken rule, under `field`, or the budget spent.
pub fn polygon_within(
    field: &str,
    rings: &[Vec<Position>],
    budget: &Budget,
) -> Result<Polygon, Vec<FieldViolation>> {
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
        if out.is_empty() && !spans_the_minimum(ring) {
            out.push(FieldViolation::new(
                &ring_field,
                format!(
                    "must span at least {MIN_RING_SPAN_DEGREES}° (about 1 cm) east–west and north–south"
                ),
            ));
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
    match check_rings(&polygon, budget) {
        Ok(()) => Ok(polygon),
        Err(RingFault::OutOfTime) => Err(vec![budget.refusal(field)]),
        Err(RingFault::Invalid(reason)) => Err(vec![FieldViolation::new(
            field,
            format!("must be a valid polygon: {reason}"),
        )]),
    }
}

/// Checks any shape.
///
/// # Errors
/// Every broken rule, under `field`.
pub fn shape(field: &str, raw: &RawShape) -> Result<Shape, Vec<FieldViolation>> {
    shape_within(field, raw, &Budget::UNLIMITED)
}

/// Checks any shape as [`shape`] does, giving up when `budget` is spent.
///
/// # Errors
/// Every broken rule, under `field`, or the budget spent.
pub fn shape_within(
    field: &str,
    raw: &RawShape,
    budget: &Budget,
) -> Result<Shape, Vec<FieldViolation>> {
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
        RawShape::Polygon(rings) => polygon_within(field, rings, budget).map(Shape::Polygon),
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
            Shape::Polygon(polygon) => interior_point(polygon).unwrap_or(Point::new(0.0, 0.0)),
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

/// Returns the point `geo`'s `InteriorPoint` returns for `polygon` (the
/// middle of the longest stretch inside it along a line across the middle
/// of its bounds), crossing that line with each edge in turn instead of
/// sweeping every pair of edges, which is quadratic for shapes drawn so.
fn interior_point(polygon: &Polygon) -> Option<Point> {
    use geo::line_intersection::{LineIntersection, line_intersection};
    use geo::{CoordsIter, LinesIter};
    if polygon.exterior().0.len() == 1 {
        return Some(polygon.exterior().0[0].into());
    }
    let bounds = polygon.bounding_rect()?;
    let mut y_mid = (bounds.min().y + bounds.max().y) / 2.0;
    if polygon.coords_iter().any(|c| c.y == y_mid) {
        let closest = polygon
            .coords_iter()
            .filter(|c| c.y != y_mid)
            .min_by(|a, b| (a.y - y_mid).abs().total_cmp(&(b.y - y_mid).abs()));
        if let Some(closest) = closest {
            y_mid = (y_mid + closest.y) / 2.0;
        }
    }
    let scan = Line::new(
        Coord {
            x: bounds.min().x,
            y: y_mid,
        },
        Coord {
            x: bounds.max().x,
            y: y_mid,
        },
    );
    let mut crossings: Vec<f64> = Vec::new();
    for edge in polygon.lines_iter() {
        if edge.start.y.min(edge.end.y) > y_mid || edge.start.y.max(edge.end.y) < y_mid {
            continue;
        }
        match line_intersection(edge, scan) {
            Some(LineIntersection::Collinear { intersection }) => {
                crossings.extend([intersection.start.x, intersection.end.x]);
            }
            Some(LineIntersection::SinglePoint { intersection, .. }) => {
                crossings.push(intersection.x);
            }
            None => {}
        }
    }
    crossings.sort_by(f64::total_cmp);
    let mut stretches: Vec<(Point, f64)> = crossings
        .windows(2)
        .map(|w| (Point::new((w[0] + w[1]) / 2.0, y_mid), w[1] - w[0]))
        .collect();
    stretches.sort_by(|a, b| b.1.total_cmp(&a.1));
    stretches
        .into_iter()
        .map(|(midpoint, _)| midpoint)
        .find(|midpoint| polygon.intersects(midpoint))
        .or_else(|| polygon.coords_iter().next().map(Point::from))
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

/// Returns the distance in metres from `point` to a stored shape: to the
/// point itself, to the nearest point of a line, to a polygon's border (0
/// inside).
pub fn shape_distance_m(raw: &RawShape, point: &Point) -> f64 {
    match raw {
        RawShape::Point((lng, lat)) => Haversine.distance(*point, Point::new(*lng, *lat)),
        RawShape::Line(line) => {
            match LineString::new(coords(line)).haversine_closest_point(point) {
                Closest::Intersection(_) => 0.0,
                Closest::SinglePoint(p) => Haversine.distance(*point, p),
                Closest::Indeterminate => f64::INFINITY,
            }
        }
        RawShape::Polygon(rings) => {
            let mut rings = rings.iter().map(|r| LineString::new(coords(r)));
            let exterior = rings.next().unwrap_or_else(|| LineString::new(Vec::new()));
            distance_m(&Polygon::new(exterior, rings.collect()), point)
        }
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
    fn polygon_whose_hole_geo_cannot_place_is_refused_not_a_panic() {
        // Found by the polygon fuzz target: positions a hair from 0°, 0°,
        // where geo's relate panicked on the hole ("topology position
        // conflict"); refused now for its size, before geo sees it.
        let bits = |pairs: &[(u64, u64)]| -> Vec<Position> {
            pairs
                .iter()
                .map(|&(x, y)| (f64::from_bits(x), f64::from_bits(y)))
                .collect()
        };
        let rings = vec![
            bits(&[
                (506381209866536711, 506381209866536711),
                (17297770247, 11190850514143150080),
                (10178238787374102468, 1229782938247303575),
                (1229782938247303441, 1229782938247303441),
                (1229782938247303441, 1229782938247303441),
                (19791169327377, 506381209866539264),
                (506381209866536711, 506381209866536711),
            ]),
            bits(&[
                (506381209866536711, 506381209866536711),
                (1224979098644842247, 1229782938247303441),
                (1229783964457999889, 506381209866536721),
                (506381209866536711, 506381209866536711),
                (506381209866536711, 506381209866536711),
            ]),
        ];
        let err = polygon("boundary", &rings).unwrap_err();
        assert_eq!(err[0].field, "boundary.exterior");
        assert!(err[0].rule.contains("span"), "{err:?}");
    }

    #[test]
    fn polygon_far_below_a_centimetre_is_refused_before_geo_overflows() {
        // Found by the polygon fuzz target: a triangle 2e-302° across,
        // whose overlay overflowed inside geo.
        let tiny = vec![vec![
            (-6.737234994319405e-287, -6.737234994319405e-287),
            (-6.737234994319423e-287, -6.737234994319405e-287),
            (-6.737234994319405e-287, -6.737234994319423e-287),
            (-6.737234994319405e-287, -6.737234994319405e-287),
        ]];
        let err = polygon("boundary", &tiny).unwrap_err();
        assert_eq!(err[0].field, "boundary.exterior");
        assert!(err[0].rule.contains("1 cm"), "{err:?}");
        let small = vec![vec![
            (121.0, 30.0),
            (121.000001, 30.0),
            (121.000001, 30.000001),
            (121.0, 30.0),
        ]];
        assert!(polygon("boundary", &small).is_ok(), "10 cm is a shape");
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

    fn circle(n: usize) -> Vec<Vec<Position>> {
        let mut ring: Vec<Position> = (0..n)
            .map(|i| {
                let a = i as f64 / n as f64 * std::f64::consts::TAU;
                (121.05 + 0.01 * a.cos(), 30.05 + 0.01 * a.sin())
            })
            .collect();
        ring.push(ring[0]);
        vec![ring]
    }

    /// A ring of `n` teeth whose every segment spans the same longitudes,
    /// so a sweep by longitude must compare them all.
    fn comb(n: usize) -> Vec<Vec<Position>> {
        let y = |i: usize| 30.0 + i as f64 * 1e-5;
        let mut ring: Vec<Position> = (0..n)
            .map(|i| (if i % 2 == 0 { 121.0 } else { 121.1 }, y(i)))
            .collect();
        // Back round the west side, clear of the teeth.
        let top = y(n) + 0.01;
        ring.extend([(ring[n - 1].0, top), (120.9, top), (120.9, y(0)), ring[0]]);
        vec![ring]
    }

    const LIMITS: ShapeLimits = ShapeLimits {
        max_polygon_vertices: 10_000,
        max_rings: 100,
        max_line_vertices: 10_000,
    };

    #[test]
    fn a_shape_over_the_caps_is_refused_by_counting() {
        let big = RawShape::Polygon(circle(40_000));
        let err = over_limits("geometry", &big, LIMITS);
        assert_eq!(err.len(), 1);
        assert_eq!(err[0].field, "geometry");
        assert!(err[0].rule.contains("at most 10000 positions"), "{err:?}");
        let holes = vec![square(121.0, 30.0, 0.01)[0].clone(); 101];
        let err = rings_over_limits("boundary", &holes, LIMITS);
        assert!(err[0].rule.contains("at most 100 rings"), "{err:?}");
        let line = RawShape::Line(vec![(121.0, 30.0); 10_001]);
        assert_eq!(over_limits("geometry", &line, LIMITS).len(), 1);
        assert!(over_limits("geometry", &RawShape::Polygon(circle(9_999)), LIMITS).is_empty());
    }

    #[test]
    fn a_large_valid_polygon_is_checked_without_comparing_every_pair() {
        // geo's own check compares every pair of segments (10^8 here).
        let started = Instant::now();
        polygon_within(
            "boundary",
            &circle(9_999),
            &Budget::starting_now(Duration::from_secs(2)),
        )
        .unwrap();
        assert!(started.elapsed() < Duration::from_secs(2));
    }

    #[test]
    fn a_shape_drawn_to_defeat_the_sweep_is_refused_when_its_budget_is_spent() {
        let budget = Budget::starting_now(Duration::from_millis(1));
        std::thread::sleep(Duration::from_millis(2));
        let err = polygon_within("boundary", &comb(9_000), &budget).unwrap_err();
        assert_eq!(err[0].field, "boundary");
        assert!(
            err[0].rule.contains("could not be checked within 1 ms"),
            "{err:?}"
        );
        // With time enough it is checked, and it is valid.
        polygon("boundary", &comb(2_000)).unwrap();
    }

    #[test]
    fn the_ring_rules_agree_with_geo_validation() {
        use geo::Validation;
        let outer = square(121.0, 30.0, 0.1).remove(0);
        let hole = |x: f64, y: f64, side: f64| square(x, y, side).remove(0);
        let cases: Vec<Vec<Vec<Position>>> = vec![
            vec![outer.clone()],
            vec![outer.clone(), hole(121.01, 30.01, 0.01)],
            vec![outer.clone(), hole(121.05, 30.05, 0.1)],
            vec![
                outer.clone(),
                hole(121.01, 30.01, 0.03),
                hole(121.02, 30.02, 0.03),
            ],
            vec![
                outer.clone(),
                hole(121.01, 30.01, 0.01),
                hole(121.02, 30.01, 0.01),
            ],
            vec![outer.clone(), hole(121.0, 30.01, 0.01)],
            vec![outer.clone(), hole(121.2, 30.2, 0.01)],
            vec![vec![
                (121.0, 30.0),
                (121.1, 30.1),
                (121.1, 30.0),
                (121.0, 30.1),
                (121.0, 30.0),
            ]],
            vec![vec![
                (121.0, 30.0),
                (121.1, 30.0),
                (121.1, 30.0),
                (121.0, 30.0),
            ]],
            vec![vec![
                (121.0, 30.0),
                (121.1, 30.0),
                (121.1, 30.1),
                (121.05, 30.0),
                (121.0, 30.1),
                (121.0, 30.0),
            ]],
        ];
        for rings in cases {
            let ours = polygon("b", &rings).is_ok();
            let geo_polygon = Polygon::new(
                LineString::new(coords(&rings[0])),
                rings[1..]
                    .iter()
                    .map(|r| LineString::new(coords(r)))
                    .collect(),
            );
            assert_eq!(ours, geo_polygon.is_valid(), "{rings:?}");
        }
    }

    #[test]
    fn the_anchor_of_a_polygon_is_geos_interior_point() {
        use geo::InteriorPoint;
        let cases = [
            square(121.0, 30.0, 0.01),
            circle(999),
            comb(400),
            vec![
                square(121.0, 30.0, 0.1).remove(0),
                square(121.04, 30.04, 0.02).remove(0),
            ],
        ];
        for rings in cases {
            let checked = polygon("b", &rings).unwrap();
            assert_eq!(
                interior_point(&checked),
                checked.interior_point(),
                "{rings:?}"
            );
        }
    }
}
