//! Planar helpers for axis-aligned cells in longitude/latitude degrees.
//!
//! Every grid is an axis-aligned rectangle. A parent is tiled by computing its
//! cut positions once (the first and last cut being exactly the parent's own
//! edges) and building every child from those same `f64` values, so
//! neighbours share edges bit for bit and children tile their parent with
//! neither gaps nor overlaps.

use crate::Coord;
use crate::rng::Rng;

/// Metres per degree of longitude near 30.80°N.
pub(crate) const M_PER_DEG_LON: f64 = 95_630.0;
/// Metres per degree of latitude near 30.80°N.
pub(crate) const M_PER_DEG_LAT: f64 = 110_860.0;

/// Rounds a coordinate to 1e-7 degrees (about 1 cm).
pub(crate) fn round7(v: f64) -> f64 {
    (v * 1e7).round() / 1e7
}

/// An axis-aligned rectangle in degrees.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Rect {
    pub(crate) west: f64,
    pub(crate) south: f64,
    pub(crate) east: f64,
    pub(crate) north: f64,
}

impl Rect {
    /// The closed, counter-clockwise exterior ring (south-west corner first).
    pub(crate) fn ring(&self) -> Vec<Coord> {
        vec![
            (self.west, self.south),
            (self.east, self.south),
            (self.east, self.north),
            (self.west, self.north),
            (self.west, self.south),
        ]
    }

    pub(crate) fn width_m(&self) -> f64 {
        (self.east - self.west) * M_PER_DEG_LON
    }

    pub(crate) fn height_m(&self) -> f64 {
        (self.north - self.south) * M_PER_DEG_LAT
    }

    pub(crate) fn center(&self) -> Coord {
        (
            (self.west + self.east) / 2.0,
            (self.south + self.north) / 2.0,
        )
    }

    /// The rectangle moved inwards by `margin_m` metres on every side.
    pub(crate) fn shrink(&self, margin_m: f64) -> Rect {
        let dx = margin_m / M_PER_DEG_LON;
        let dy = margin_m / M_PER_DEG_LAT;
        Rect {
            west: self.west + dx,
            south: self.south + dy,
            east: self.east - dx,
            north: self.north - dy,
        }
    }

    /// Whether `p` lies strictly inside, at least `margin_m` metres from
    /// every edge.
    pub(crate) fn contains_with_margin(&self, p: Coord, margin_m: f64) -> bool {
        let inner = self.shrink(margin_m);
        p.0 > inner.west && p.0 < inner.east && p.1 > inner.south && p.1 < inner.north
    }

    /// A uniform random point (rounded to 1e-7°) at least `margin_m` metres
    /// inside the rectangle.
    pub(crate) fn sample(&self, rng: &mut Rng, margin_m: f64) -> Coord {
        let inner = self.shrink(margin_m);
        (
            round7(rng.range(inner.west, inner.east)),
            round7(rng.range(inner.south, inner.north)),
        )
    }
}

/// Cut positions splitting `lo..hi` proportionally to `weights`: the result
/// has `weights.len() + 1` strictly increasing values, the first exactly `lo`
/// and the last exactly `hi`; interior cuts are rounded to 1e-7°.
pub(crate) fn cuts(lo: f64, hi: f64, weights: &[f64]) -> Vec<f64> {
    let total: f64 = weights.iter().sum();
    let mut out = Vec::with_capacity(weights.len() + 1);
    out.push(lo);
    let mut acc = 0.0;
    for w in &weights[..weights.len() - 1] {
        acc += w;
        out.push(round7(lo + (hi - lo) * acc / total));
    }
    out.push(hi);
    debug_assert!(out.windows(2).all(|w| w[0] < w[1]));
    out
}

/// Random weights `1 ± jitter`.
pub(crate) fn jittered(rng: &mut Rng, n: usize, jitter: f64) -> Vec<f64> {
    (0..n).map(|_| 1.0 + rng.range(-jitter, jitter)).collect()
}

/// Tiles `rect` with `n` rectangles laid out in rows (south to north), each
/// row with its own jittered column cuts. Cells come out row by row, west to
/// east within a row; their union is exactly `rect`.
pub(crate) fn tile(rect: &Rect, n: usize, rng: &mut Rng) -> Vec<Rect> {
    assert!(n > 0);
    let ideal = (n as f64 * rect.height_m() / rect.width_m()).sqrt();
    let rows = (ideal.round() as usize).clamp(1, n);
    let mut per_row = vec![n / rows; rows];
    for count in per_row.iter_mut().take(n % rows) {
        *count += 1;
    }
    rng.shuffle(&mut per_row);
    let row_weights: Vec<f64> = per_row
        .iter()
        .map(|&c| c as f64 * (1.0 + rng.range(-0.15, 0.15)))
        .collect();
    let ys = cuts(rect.south, rect.north, &row_weights);
    let mut cells = Vec::with_capacity(n);
    for (r, &count) in per_row.iter().enumerate() {
        let xs = cuts(rect.west, rect.east, &jittered(rng, count, 0.25));
        for c in 0..count {
            cells.push(Rect {
                west: xs[c],
                south: ys[r],
                east: xs[c + 1],
                north: ys[r + 1],
            });
        }
    }
    cells
}

/// Signed shoelace area of a closed ring in square degrees (positive when
/// counter-clockwise), computed relative to the first vertex for precision.
#[cfg(test)]
pub(crate) fn ring_area(ring: &[Coord]) -> f64 {
    let Some(&(x0, y0)) = ring.first() else {
        return 0.0;
    };
    let mut twice = 0.0;
    for w in ring.windows(2) {
        let (ax, ay) = (w[0].0 - x0, w[0].1 - y0);
        let (bx, by) = (w[1].0 - x0, w[1].1 - y0);
        twice += ax * by - bx * ay;
    }
    twice / 2.0
}
