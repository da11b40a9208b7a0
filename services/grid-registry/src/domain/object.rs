//! Covered objects: shops, schools, enterprises, rivers, parcels… each held
//! by the micro-grid its anchor lies in (or none, until one covers it).

use chrono::{DateTime, Utc};
use geo::Point;

use super::geometry::{self, Budget, Position, RawShape, Shape};
use super::grid::{check_code, check_name};
use super::ids::{GridId, ObjectId};
use super::kinds::ObjectKind;
use super::people::check_phone;
use kernel::FieldViolation;

/// A covered object as a write proposes it.
#[derive(Debug, Clone)]
pub struct ObjectDraft {
    pub code: String,
    pub name: String,
    pub kind: Option<ObjectKind>,
    pub geometry: Option<RawShape>,
    pub high_risk: bool,
    pub head_name: String,
    pub head_phone: String,
    pub area_ha: f64,
}

/// A draft that keeps every rule of its kind.
#[derive(Debug, Clone)]
pub struct NewObject {
    pub code: String,
    pub name: String,
    pub kind: ObjectKind,
    pub shape: Shape,
    /// The representative point, found once with the check (for a large
    /// polygon it costs as much as the check).
    pub anchor: Point,
    pub high_risk: bool,
    pub head_name: Option<String>,
    pub head_phone: Option<String>,
    pub area_ha: Option<f64>,
}

/// A covered object of the registry.
#[derive(Debug, Clone, PartialEq)]
pub struct CoveredObject {
    pub id: ObjectId,
    pub code: String,
    pub name: String,
    pub kind: ObjectKind,
    pub geometry: RawShape,
    /// The representative point that decides the micro-grid.
    pub anchor: Position,
    pub micro_grid_id: Option<GridId>,
    pub micro_grid_code: Option<String>,
    /// Recorded for enterprises only.
    pub high_risk: bool,
    /// The head with first-inquiry duty (enterprises and cooperatives).
    pub head_name: Option<String>,
    pub head_phone: Option<String>,
    /// Recorded for forest and farmland parcels only.
    pub area_ha: Option<f64>,
    pub created_at: DateTime<Utc>,
}

/// How near a place an object's shape lies for the object to be "at that
/// spot": a report there is at the enterprise's gate or on its site (a
/// GPS fix on a phone is good to some tens of metres).
pub const AT_THE_SPOT_M: f64 = 50.0;

impl CoveredObject {
    /// Returns whether the object lies at `point`: its outline covers it,
    /// or its shape is within [`AT_THE_SPOT_M`] of it.
    pub fn lies_at(&self, point: &Point) -> bool {
        geometry::shape_distance_m(&self.geometry, point) <= AT_THE_SPOT_M
    }
}

/// What happened to a covered object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectEvent {
    Created,
}

/// An object's anchor, for re-deciding its micro-grid.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Anchor {
    pub object_id: ObjectId,
    pub at: Position,
    pub micro_grid_id: Option<GridId>,
}

impl ObjectDraft {
    /// Checks the object's fields against its kind.
    ///
    /// # Errors
    /// Every broken rule, named by field.
    pub fn check(&self) -> Result<NewObject, Vec<FieldViolation>> {
        self.check_within(&Budget::UNLIMITED)
    }

    /// Checks the object's fields against its kind, the geometry within
    /// `budget`.
    ///
    /// # Errors
    /// Every broken rule, named by field, or the budget spent.
    pub fn check_within(&self, budget: &Budget) -> Result<NewObject, Vec<FieldViolation>> {
        let mut out = Vec::new();
        check_code("code", &self.code, &mut out);
        check_name("name", &self.name, &mut out);
        if self.kind.is_none() {
            out.push(FieldViolation::new("kind", "must be a covered object kind"));
        }
        let shape = match &self.geometry {
            None => {
                out.push(FieldViolation::new(
                    "geometry",
                    "is required: a point, a line or a polygon",
                ));
                None
            }
            Some(raw) => match geometry::shape_within("geometry", raw, budget) {
                Ok(shape) => Some(shape),
                Err(violations) => {
                    out.extend(violations);
                    None
                }
            },
        };
        if let Some(kind) = self.kind {
            self.check_kind_fields(kind, &mut out);
        }
        match (self.kind, shape) {
            (Some(kind), Some(shape)) if out.is_empty() => Ok(self.checked(kind, shape)),
            _ => Err(out),
        }
    }

    /// Checks the fields recorded only for some kinds: risk, head, area.
    fn check_kind_fields(&self, kind: ObjectKind, out: &mut Vec<FieldViolation>) {
        if self.high_risk && kind != ObjectKind::Enterprise {
            out.push(FieldViolation::new(
                "high_risk",
                "is recorded only for enterprises",
            ));
        }
        if kind == ObjectKind::Enterprise {
            if self.head_name.trim().is_empty() {
                out.push(FieldViolation::new(
                    "head_name",
                    "is required for an enterprise: its head carries first-inquiry duty",
                ));
            }
            check_phone("head_phone", &self.head_phone, out);
        } else if kind.has_head() {
            if !self.head_phone.is_empty() {
                check_phone("head_phone", &self.head_phone, out);
            }
        } else if !self.head_name.is_empty() || !self.head_phone.is_empty() {
            out.push(FieldViolation::new(
                "head_name",
                "is recorded only for enterprises and cooperatives",
            ));
        }
        if kind.has_area() {
            if !(self.area_ha.is_finite() && self.area_ha > 0.0) {
                out.push(FieldViolation::new(
                    "area_ha",
                    "must be a positive number of hectares for a parcel",
                ));
            }
        } else if self.area_ha != 0.0 {
            out.push(FieldViolation::new(
                "area_ha",
                "is recorded only for forest and farmland parcels",
            ));
        }
    }

    fn checked(&self, kind: ObjectKind, shape: Shape) -> NewObject {
        let optional = |s: &str| (!s.trim().is_empty()).then(|| s.trim().to_owned());
        NewObject {
            code: self.code.trim().to_owned(),
            name: self.name.trim().to_owned(),
            kind,
            anchor: shape.anchor(),
            shape,
            high_risk: self.high_risk,
            head_name: optional(&self.head_name),
            head_phone: optional(&self.head_phone),
            area_ha: kind.has_area().then_some(self.area_ha),
        }
    }
}

impl CoveredObject {
    /// Registers `new` as object `id`, held by `micro_grid` (id and code)
    /// when its anchor lies in one.
    pub fn create(
        id: ObjectId,
        new: NewObject,
        micro_grid: Option<(GridId, String)>,
        now: DateTime<Utc>,
    ) -> (CoveredObject, ObjectEvent) {
        let anchor = new.anchor;
        let (micro_grid_id, micro_grid_code) = micro_grid.unzip();
        let object = CoveredObject {
            id,
            code: new.code,
            name: new.name,
            kind: new.kind,
            geometry: new.shape.to_raw(),
            anchor: (anchor.x(), anchor.y()),
            micro_grid_id,
            micro_grid_code,
            high_risk: new.high_risk,
            head_name: new.head_name,
            head_phone: new.head_phone,
            area_ha: new.area_ha,
            created_at: now,
        };
        (object, ObjectEvent::Created)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft(kind: ObjectKind) -> ObjectDraft {
        ObjectDraft {
            code: "ENT-0001".into(),
            name: "纺织厂".into(),
            kind: Some(kind),
            geometry: Some(RawShape::Point((121.02, 30.02))),
            high_risk: false,
            head_name: "周总".into(),
            head_phone: "13512345678".into(),
            area_ha: 0.0,
        }
    }

    fn fields(violations: &[FieldViolation]) -> Vec<&str> {
        violations.iter().map(|v| v.field.as_str()).collect()
    }

    #[test]
    fn only_enterprises_are_high_risk_and_only_parcels_have_an_area() {
        let mut shop = draft(ObjectKind::Shop);
        shop.head_name.clear();
        shop.head_phone.clear();
        shop.high_risk = true;
        shop.area_ha = 3.0;
        assert_eq!(fields(&shop.check().unwrap_err()), ["high_risk", "area_ha"]);

        let mut farmland = draft(ObjectKind::Farmland);
        farmland.head_name.clear();
        farmland.head_phone.clear();
        assert_eq!(fields(&farmland.check().unwrap_err()), ["area_ha"]);
        farmland.area_ha = 2.5;
        assert_eq!(farmland.check().unwrap().area_ha, Some(2.5));
    }

    #[test]
    fn an_enterprise_is_created_with_its_head_and_anchor() {
        let new = draft(ObjectKind::Enterprise).check().unwrap();
        let grid = GridId::generate();
        let (object, event) = CoveredObject::create(
            ObjectId::generate(),
            new,
            Some((grid, "V1-A1-M01".into())),
            DateTime::UNIX_EPOCH,
        );
        assert_eq!(event, ObjectEvent::Created);
        assert_eq!(object.code, "ENT-0001");
        assert_eq!(object.anchor, (121.02, 30.02));
        assert_eq!(object.micro_grid_id, Some(grid));
        assert_eq!(object.head_name.as_deref(), Some("周总"));
        assert_eq!(object.area_ha, None);
    }
}
