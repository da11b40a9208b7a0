//! The invariants every grid write obeys: a child one level below its
//! parent, a micro-grid of 20–50 households on a named party group, a valid
//! boundary inside the parent's, no overlap with siblings.

use geo::Polygon;

use super::FieldViolation;
use super::geometry::{self, Position};
use super::kinds::Level;

/// Households a micro-grid holds, from the source: 20 to 50.
pub const HOUSEHOLDS: std::ops::RangeInclusive<u32> = 20..=50;

/// How much geometry may stray before it counts: shared borders drawn by
/// different hands rarely match to the centimetre.
#[derive(Debug, Clone, Copy)]
pub struct Tolerances {
    /// Area of a child allowed outside its parent, in m².
    pub outside_parent_m2: f64,
    /// Area two siblings may share, in m².
    pub sibling_overlap_m2: f64,
}

/// A grid as a write proposes it.
#[derive(Debug, Clone)]
pub struct GridDraft {
    pub code: String,
    pub name: String,
    pub level: Option<Level>,
    pub parent_code: Option<String>,
    pub households: Option<u32>,
    pub party_group: Option<String>,
    pub boundary: Vec<Vec<Position>>,
}

/// A grid as far as placement rules care.
#[derive(Debug, Clone)]
pub struct Placed<'a> {
    pub code: &'a str,
    pub level: Level,
    pub boundary: &'a Polygon,
}

/// Checks a code: 1–64 characters of ASCII letters, digits, `-` and `_`.
pub fn check_code(field: &str, code: &str, out: &mut Vec<FieldViolation>) {
    if code.is_empty() || code.len() > 64 {
        out.push(FieldViolation::new(field, "must be 1 to 64 characters"));
    } else if !code
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        out.push(FieldViolation::new(
            field,
            "may hold only ASCII letters, digits, '-' and '_'",
        ));
    }
}

/// Checks a display name: 1–100 characters after trimming.
pub fn check_name(field: &str, name: &str, out: &mut Vec<FieldViolation>) {
    let n = name.trim().chars().count();
    if n == 0 || n > 100 {
        out.push(FieldViolation::new(field, "must be 1 to 100 characters"));
    }
}

/// Checks a draft's own fields (not its relation to other grids) and
/// returns its checked boundary.
///
/// # Errors
/// Every broken rule, named by field.
pub fn check_draft(draft: &GridDraft) -> Result<Polygon, Vec<FieldViolation>> {
    let mut out = Vec::new();
    check_code("code", &draft.code, &mut out);
    check_name("name", &draft.name, &mut out);
    match draft.level {
        None => out.push(FieldViolation::new(
            "level",
            "must be TOWN, VILLAGE, RESIDENTIAL, AREA or MICRO",
        )),
        Some(Level::Town) => {
            if draft.parent_code.is_some() {
                out.push(FieldViolation::new(
                    "parent_code",
                    "must be empty for the town grid",
                ));
            }
        }
        Some(_) => {
            if draft.parent_code.is_none() {
                out.push(FieldViolation::new(
                    "parent_code",
                    "is required below the town grid",
                ));
            }
        }
    }
    check_micro_fields(
        draft.level,
        draft.households,
        draft.party_group.as_deref(),
        &mut out,
    );
    let boundary = match geometry::polygon("boundary", &draft.boundary) {
        Ok(polygon) => Some(polygon),
        Err(violations) => {
            out.extend(violations);
            None
        }
    };
    match boundary {
        Some(boundary) if out.is_empty() => Ok(boundary),
        _ => Err(out),
    }
}

/// Checks households and party group against the level: both required for a
/// micro-grid (20–50 households), both absent elsewhere.
pub fn check_micro_fields(
    level: Option<Level>,
    households: Option<u32>,
    party_group: Option<&str>,
    out: &mut Vec<FieldViolation>,
) {
    if level == Some(Level::Micro) {
        match households {
            Some(h) if HOUSEHOLDS.contains(&h) => {}
            _ => out.push(FieldViolation::new(
                "households",
                "must be between 20 and 50 for a micro-grid",
            )),
        }
        if party_group.is_none_or(|p| p.trim().is_empty()) {
            out.push(FieldViolation::new(
                "party_group",
                "must name the party group a micro-grid is built on",
            ));
        }
    } else if level.is_some() {
        if households.is_some_and(|h| h != 0) {
            out.push(FieldViolation::new(
                "households",
                "is recorded only for micro-grids",
            ));
        }
        if party_group.is_some_and(|p| !p.is_empty()) {
            out.push(FieldViolation::new(
                "party_group",
                "is recorded only for micro-grids",
            ));
        }
    }
}

/// Checks a grid's place among others: its parent one level up, its
/// boundary inside the parent's, and no overlap with any sibling (the grid
/// itself excluded by code, for updates).
pub fn check_placement(
    level: Level,
    code: &str,
    boundary: &Polygon,
    parent: Option<&Placed<'_>>,
    siblings: &[Placed<'_>],
    tolerances: Tolerances,
) -> Vec<FieldViolation> {
    let mut out = Vec::new();
    if let Some(parent) = parent {
        if !level.parent_levels().contains(&parent.level) {
            let allowed: Vec<_> = level.parent_levels().iter().map(|l| l.as_str()).collect();
            out.push(FieldViolation::new(
                "parent_code",
                format!(
                    "a {level} grid must sit directly under a {} grid; {} is {}",
                    allowed.join(" or "),
                    parent.code,
                    parent.level
                ),
            ));
            // Siblings under a wrong parent are not this grid's siblings.
            return out;
        } else {
            let outside = geometry::area_outside_m2(boundary, parent.boundary);
            if outside > tolerances.outside_parent_m2 {
                out.push(FieldViolation::new(
                    "boundary",
                    format!(
                        "must lie within the parent {}'s boundary ({outside:.0} m² outside)",
                        parent.code
                    ),
                ));
            }
        }
    }
    for sibling in siblings.iter().filter(|s| s.code != code) {
        let shared = geometry::overlap_m2(boundary, sibling.boundary);
        if shared > tolerances.sibling_overlap_m2 {
            out.push(FieldViolation::new(
                "boundary",
                format!(
                    "must not overlap sibling {} ({shared:.0} m² shared)",
                    sibling.code
                ),
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOLERANCES: Tolerances = Tolerances {
        outside_parent_m2: 1.0,
        sibling_overlap_m2: 1.0,
    };

    fn rect(x0: f64, y0: f64, x1: f64, y1: f64) -> Vec<Vec<Position>> {
        vec![vec![(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)]]
    }

    fn micro(households: Option<u32>, party_group: Option<&str>) -> GridDraft {
        GridDraft {
            code: "LX-V01-A1-M01".into(),
            name: "中华村第1微网格".into(),
            level: Some(Level::Micro),
            parent_code: Some("LX-V01-A1".into()),
            households,
            party_group: party_group.map(str::to_owned),
            boundary: rect(121.0, 30.0, 121.001, 30.001),
        }
    }

    fn fields(violations: &[FieldViolation]) -> Vec<&str> {
        violations.iter().map(|v| v.field.as_str()).collect()
    }

    #[test]
    fn a_micro_grid_needs_20_to_50_households_and_a_party_group() {
        assert!(check_draft(&micro(Some(20), Some("第1党小组"))).is_ok());
        assert!(check_draft(&micro(Some(50), Some("第1党小组"))).is_ok());
        assert_eq!(
            fields(&check_draft(&micro(Some(19), Some("第1党小组"))).unwrap_err()),
            ["households"]
        );
        assert_eq!(
            fields(&check_draft(&micro(Some(51), Some("第1党小组"))).unwrap_err()),
            ["households"]
        );
        assert_eq!(
            fields(&check_draft(&micro(Some(30), None)).unwrap_err()),
            ["party_group"]
        );
    }

    #[test]
    fn only_the_town_has_no_parent() {
        let mut draft = micro(Some(30), Some("g"));
        draft.parent_code = None;
        assert_eq!(fields(&check_draft(&draft).unwrap_err()), ["parent_code"]);
    }

    #[test]
    fn a_child_must_be_one_level_below_its_parent() {
        let town = geometry::polygon("b", &rect(121.0, 30.0, 121.1, 30.1)).unwrap();
        let child = geometry::polygon("b", &rect(121.0, 30.0, 121.01, 30.01)).unwrap();
        let parent = Placed {
            code: "LX",
            level: Level::Town,
            boundary: &town,
        };
        let out = check_placement(Level::Micro, "M", &child, Some(&parent), &[], TOLERANCES);
        assert_eq!(fields(&out), ["parent_code"]);
        assert!(out[0].rule.contains("AREA"), "{}", out[0].rule);
        assert!(
            check_placement(Level::Village, "V", &child, Some(&parent), &[], TOLERANCES).is_empty()
        );
    }

    #[test]
    fn a_child_outside_its_parent_is_refused() {
        let town = geometry::polygon("b", &rect(121.0, 30.0, 121.1, 30.1)).unwrap();
        let spilling = geometry::polygon("b", &rect(121.09, 30.0, 121.11, 30.01)).unwrap();
        let parent = Placed {
            code: "LX",
            level: Level::Town,
            boundary: &town,
        };
        let out = check_placement(
            Level::Village,
            "V",
            &spilling,
            Some(&parent),
            &[],
            TOLERANCES,
        );
        assert_eq!(fields(&out), ["boundary"]);
        assert!(out[0].rule.contains("within the parent LX"));
    }

    #[test]
    fn siblings_may_share_a_border_but_not_overlap() {
        let a = geometry::polygon("b", &rect(121.0, 30.0, 121.01, 30.01)).unwrap();
        let beside = geometry::polygon("b", &rect(121.01, 30.0, 121.02, 30.01)).unwrap();
        let over = geometry::polygon("b", &rect(121.005, 30.0, 121.015, 30.01)).unwrap();
        let siblings = [Placed {
            code: "A",
            level: Level::Village,
            boundary: &a,
        }];
        assert!(
            check_placement(Level::Village, "B", &beside, None, &siblings, TOLERANCES).is_empty()
        );
        let out = check_placement(Level::Village, "B", &over, None, &siblings, TOLERANCES);
        assert!(
            out[0].rule.contains("must not overlap sibling A"),
            "{}",
            out[0].rule
        );
        // An update of A itself is not an overlap with A.
        assert!(
            check_placement(Level::Village, "A", &over, None, &siblings, TOLERANCES).is_empty()
        );
    }
}
