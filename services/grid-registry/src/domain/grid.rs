//! The invariants every grid write obeys: a child one level below its
//! parent, a micro-grid of 20–50 households on a named party group, a valid
//! boundary inside the parent's, no overlap with siblings; and the grid
//! itself, created and changed only through those rules.

use chrono::{DateTime, Utc};
use geo::Polygon;
use kernel::FieldViolation;

use super::DomainError;
use super::geometry::{self, Budget, Position};
use super::ids::GridId;
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

/// A draft that keeps its own rules (not yet its place among other
/// grids): it has a level and a valid boundary.
#[derive(Debug, Clone)]
pub struct NewGrid {
    pub code: String,
    pub name: String,
    pub level: Level,
    pub parent_code: Option<String>,
    pub households: Option<u32>,
    pub party_group: Option<String>,
    pub boundary: Polygon,
}

impl GridDraft {
    /// Checks the draft's own fields (see [`check_draft`]).
    ///
    /// # Errors
    /// Every broken rule, named by field.
    pub fn check(self) -> Result<NewGrid, Vec<FieldViolation>> {
        self.check_within(&Budget::UNLIMITED)
    }

    /// Checks the draft's own fields, the boundary within `budget`.
    ///
    /// # Errors
    /// Every broken rule, named by field, or the budget spent.
    pub fn check_within(self, budget: &Budget) -> Result<NewGrid, Vec<FieldViolation>> {
        let boundary = check_draft_within(&self, budget)?;
        Ok(NewGrid {
            code: self.code,
            name: self.name,
            level: self.level.expect("check_draft requires a level"),
            parent_code: self.parent_code,
            households: self.households,
            party_group: self.party_group,
            boundary,
        })
    }
}

/// A grid as far as placement rules care.
#[derive(Debug, Clone)]
pub struct Placed<'a> {
    pub id: GridId,
    pub code: &'a str,
    pub level: Level,
    pub boundary: &'a Polygon,
}

/// A grid of the registry, at any level.
#[derive(Debug, Clone)]
pub struct Grid {
    pub id: GridId,
    pub code: String,
    pub name: String,
    pub level: Level,
    pub parent_id: Option<GridId>,
    pub parent_code: Option<String>,
    /// Recorded for micro-grids only.
    pub households: Option<u32>,
    /// Recorded for micro-grids only.
    pub party_group: Option<String>,
    pub boundary: Polygon,
    /// Starts at 1; every change adds one.
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What happened to a grid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GridEvent {
    Created,
    Updated { boundary_changed: bool },
}

/// A change of a grid's changeable fields as a caller asks for it; an
/// absent field keeps its value.
#[derive(Debug, Clone, Default)]
pub struct GridChange {
    /// The version the caller read; 0 skips the check.
    pub expected_version: i64,
    pub name: Option<String>,
    pub households: Option<u32>,
    pub party_group: Option<String>,
    /// A new boundary, already checked on its own (see
    /// [`geometry::polygon_within`]).
    pub boundary: Option<Polygon>,
}

/// The grids around a grid, consulted only when its boundary moves.
#[derive(Debug, Default)]
pub struct Surroundings<'a> {
    pub parent: Option<Placed<'a>>,
    pub siblings: Vec<Placed<'a>>,
    pub children: Vec<Placed<'a>>,
}

/// Returns `s` trimmed, or `None` when nothing is left.
pub fn non_empty(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_owned())
}

impl Grid {
    /// Creates grid `id` from a checked draft under `parent` (none for the
    /// town) beside `siblings`, at version 1.
    ///
    /// # Errors
    /// The parent is not one level up, the boundary strays outside it or
    /// overlaps a sibling.
    pub fn create(
        id: GridId,
        new: NewGrid,
        parent: Option<&Placed<'_>>,
        siblings: &[Placed<'_>],
        tolerances: Tolerances,
        now: DateTime<Utc>,
    ) -> Result<(Grid, GridEvent), DomainError> {
        DomainError::check(check_placement(
            new.level,
            &new.code,
            &new.boundary,
            parent,
            siblings,
            tolerances,
        ))?;
        let grid = Grid {
            id,
            code: new.code,
            name: new.name,
            level: new.level,
            parent_id: parent.map(|p| p.id),
            parent_code: parent.map(|p| p.code.to_owned()),
            households: new.households,
            party_group: new.party_group,
            boundary: new.boundary,
            version: 1,
            created_at: now,
            updated_at: now,
        };
        Ok((grid, GridEvent::Created))
    }

    /// Applies `change`: the merged grid obeys the same rules as a new one,
    /// and a moved boundary must still fit its parent, its siblings and its
    /// children (`around`).
    ///
    /// # Errors
    /// A stale `expected_version`, or every broken rule by field.
    pub fn update(
        &mut self,
        change: GridChange,
        around: &Surroundings<'_>,
        tolerances: Tolerances,
        now: DateTime<Utc>,
    ) -> Result<GridEvent, DomainError> {
        if change.expected_version != 0 && change.expected_version != self.version {
            return Err(DomainError::StaleVersion {
                code: self.code.clone(),
                current: self.version,
                expected: change.expected_version,
            });
        }
        let boundary_changed = change.boundary.is_some();
        let draft = GridDraft {
            code: self.code.clone(),
            name: change
                .name
                .as_deref()
                .map(str::trim)
                .unwrap_or(&self.name)
                .to_owned(),
            level: Some(self.level),
            parent_code: self.parent_code.clone(),
            households: change.households.or(self.households),
            party_group: change
                .party_group
                .or_else(|| self.party_group.clone())
                .and_then(|p| non_empty(&p)),
            // The boundary was checked on its own (a new one) or when stored.
            boundary: Vec::new(),
        };
        let boundary = change.boundary.unwrap_or_else(|| self.boundary.clone());
        DomainError::check(check_fields(&draft))?;
        if boundary_changed {
            DomainError::check(check_placement(
                self.level,
                &self.code,
                &boundary,
                around.parent.as_ref(),
                &around.siblings,
                tolerances,
            ))?;
            DomainError::check(check_children_inside(
                &boundary,
                &around.children,
                tolerances,
            ))?;
        }
        self.name = draft.name;
        self.households = draft.households;
        self.party_group = draft.party_group;
        self.boundary = boundary;
        self.version += 1;
        self.updated_at = now;
        Ok(GridEvent::Updated { boundary_changed })
    }

    /// Returns the grid as the placement rules see it.
    pub fn placed(&self) -> Placed<'_> {
        Placed {
            id: self.id,
            code: &self.code,
            level: self.level,
            boundary: &self.boundary,
        }
    }
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
    check_draft_within(draft, &Budget::UNLIMITED)
}

/// Checks a draft's own fields as [`check_draft`] does, the boundary within
/// `budget`.
///
/// # Errors
/// Every broken rule, named by field, or the budget spent.
pub fn check_draft_within(
    draft: &GridDraft,
    budget: &Budget,
) -> Result<Polygon, Vec<FieldViolation>> {
    let mut out = check_fields(draft);
    let boundary = match geometry::polygon_within("boundary", &draft.boundary, budget) {
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

/// Returns every broken rule of a draft's fields other than its boundary.
fn check_fields(draft: &GridDraft) -> Vec<FieldViolation> {
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
    out
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

/// Refuses a boundary that would leave one of `children` outside it.
pub fn check_children_inside(
    boundary: &Polygon,
    children: &[Placed<'_>],
    tolerances: Tolerances,
) -> Vec<FieldViolation> {
    children
        .iter()
        .filter_map(|child| {
            let outside = geometry::area_outside_m2(child.boundary, boundary);
            (outside > tolerances.outside_parent_m2).then(|| {
                FieldViolation::new(
                    "boundary",
                    format!("would leave child {} outside ({outside:.0} m²)", child.code),
                )
            })
        })
        .collect()
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
            id: GridId::generate(),
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
            id: GridId::generate(),
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
            id: GridId::generate(),
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

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-03-02T01:00:00Z")
            .unwrap()
            .to_utc()
    }

    fn grid(code: &str, level: Level, parent: Option<&Grid>, bounds: [f64; 4]) -> Grid {
        let [x0, y0, x1, y1] = bounds;
        let micro = level == Level::Micro;
        let new = GridDraft {
            code: code.into(),
            name: code.into(),
            level: Some(level),
            parent_code: parent.map(|p| p.code.clone()),
            households: micro.then_some(30),
            party_group: micro.then(|| "第1党小组".to_owned()),
            boundary: rect(x0, y0, x1, y1),
        }
        .check()
        .unwrap();
        let parent = parent.map(Grid::placed);
        Grid::create(
            GridId::generate(),
            new,
            parent.as_ref(),
            &[],
            TOLERANCES,
            now(),
        )
        .unwrap()
        .0
    }

    /// LX, its village V1, V1's area A1, and micro-grid A1-M01 in the
    /// area's northern half.
    fn lineage() -> [Grid; 4] {
        let town = grid("LX", Level::Town, None, [121.0, 30.0, 121.1, 30.1]);
        let village = grid(
            "V1",
            Level::Village,
            Some(&town),
            [121.0, 30.0, 121.05, 30.1],
        );
        let area = grid(
            "A1",
            Level::Area,
            Some(&village),
            [121.0, 30.0, 121.05, 30.1],
        );
        let micro = grid(
            "A1-M01",
            Level::Micro,
            Some(&area),
            [121.0, 30.05, 121.05, 30.1],
        );
        [town, village, area, micro]
    }

    #[test]
    fn a_new_grid_starts_at_version_one_under_its_parent() {
        let [town, village, ..] = lineage();
        assert_eq!(village.version, 1);
        assert_eq!(village.parent_id, Some(town.id));
        assert_eq!(village.parent_code.as_deref(), Some("LX"));
        assert_eq!((village.created_at, village.updated_at), (now(), now()));
    }

    #[test]
    fn a_grid_overlapping_a_sibling_is_not_created() {
        let [town, v1, ..] = lineage();
        let new = GridDraft {
            code: "V2".into(),
            name: "V2".into(),
            level: Some(Level::Village),
            parent_code: Some("LX".into()),
            households: None,
            party_group: None,
            boundary: rect(121.04, 30.0, 121.1, 30.1),
        }
        .check()
        .unwrap();
        let err = Grid::create(
            GridId::generate(),
            new,
            Some(&town.placed()),
            &[v1.placed()],
            TOLERANCES,
            now(),
        )
        .unwrap_err();
        let DomainError::Invalid(violations) = err else {
            panic!("refused as invalid: {err:?}");
        };
        assert!(violations[0].rule.contains("must not overlap sibling V1"));
    }

    #[test]
    fn an_update_from_a_stale_version_is_refused_and_changes_nothing() {
        let [.., mut micro] = lineage();
        let rename = GridChange {
            expected_version: 1,
            name: Some(" 中华村第1微网格 ".into()),
            ..Default::default()
        };
        let event = micro
            .update(rename.clone(), &Surroundings::default(), TOLERANCES, now())
            .unwrap();
        assert_eq!(
            event,
            GridEvent::Updated {
                boundary_changed: false
            }
        );
        assert_eq!((micro.name.as_str(), micro.version), ("中华村第1微网格", 2));
        let err = micro
            .update(rename, &Surroundings::default(), TOLERANCES, now())
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "grid A1-M01 is at version 2, not 1; read it again"
        );
        assert_eq!(micro.version, 2);
    }

    #[test]
    fn an_update_keeps_what_it_does_not_name_and_obeys_the_micro_grid_rules() {
        let [.., mut micro] = lineage();
        let too_many = GridChange {
            households: Some(60),
            ..Default::default()
        };
        let err = micro
            .update(too_many, &Surroundings::default(), TOLERANCES, now())
            .unwrap_err();
        let DomainError::Invalid(violations) = err else {
            panic!("refused as invalid: {err:?}");
        };
        assert_eq!(fields(&violations), ["households"]);
        assert_eq!(micro.version, 1, "a refused change changes nothing");

        let more = GridChange {
            households: Some(44),
            ..Default::default()
        };
        micro
            .update(more, &Surroundings::default(), TOLERANCES, now())
            .unwrap();
        assert_eq!(micro.households, Some(44));
        assert_eq!(micro.party_group.as_deref(), Some("第1党小组"));
        assert_eq!(micro.name, "A1-M01");
    }

    #[test]
    fn a_boundary_that_would_leave_a_child_outside_is_refused() {
        let [.., mut area, child] = lineage();
        let shrink = GridChange {
            boundary: Some(
                geometry::polygon("boundary", &rect(121.0, 30.0, 121.05, 30.09)).unwrap(),
            ),
            ..Default::default()
        };
        let around = Surroundings {
            children: vec![child.placed()],
            ..Default::default()
        };
        let err = area
            .update(shrink.clone(), &around, TOLERANCES, now())
            .unwrap_err();
        let DomainError::Invalid(violations) = err else {
            panic!("refused as invalid: {err:?}");
        };
        assert!(
            violations[0]
                .rule
                .contains("would leave child A1-M01 outside"),
            "{}",
            violations[0].rule
        );
        // Without the child, the same change is fine and says the boundary moved.
        assert_eq!(
            area.update(shrink, &Surroundings::default(), TOLERANCES, now()),
            Ok(GridEvent::Updated {
                boundary_changed: true
            })
        );
    }
}
