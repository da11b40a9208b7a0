//! Domain → protobuf conversions (and protobuf enums and shapes → domain
//! values), shared by the API, the events and the index listener. Personal
//! data leaves only masked.

use platform::mask;
use proto::registry::v1 as pb;

use crate::domain::care::{CareAccess, CarePerson};
use crate::domain::department::{Department, DomainDuty, SafetyDomain};
use crate::domain::geometry::{self, Position, RawShape};
use crate::domain::grid::Grid;
use crate::domain::index::GridNode;
use crate::domain::kinds::{
    Background, CareCategory, DepartmentKind, Level, MemberRole, ObjectKind,
};
use crate::domain::member::Member;
use crate::domain::object::CoveredObject;
use crate::domain::responsibility::{Duty, ResponsibleParty};

pub use platform::time::{from_timestamp, timestamp};

pub fn level(level: Level) -> pb::GridLevel {
    match level {
        Level::Town => pb::GridLevel::Town,
        Level::Village => pb::GridLevel::Village,
        Level::Residential => pb::GridLevel::Residential,
        Level::Area => pb::GridLevel::Area,
        Level::Micro => pb::GridLevel::Micro,
    }
}

pub fn level_from(value: i32) -> Option<Level> {
    match pb::GridLevel::try_from(value).ok()? {
        pb::GridLevel::Unspecified => None,
        pb::GridLevel::Town => Some(Level::Town),
        pb::GridLevel::Village => Some(Level::Village),
        pb::GridLevel::Residential => Some(Level::Residential),
        pb::GridLevel::Area => Some(Level::Area),
        pb::GridLevel::Micro => Some(Level::Micro),
    }
}

/// Maps a proto enum to a domain vocabulary by name: `OBJECT_KIND_SHOP` → `SHOP`.
fn by_name<T>(proto_name: &str, prefix: &str, parse: impl Fn(&str) -> Option<T>) -> Option<T> {
    parse(proto_name.strip_prefix(prefix)?)
}

pub fn role_from(value: i32) -> Option<MemberRole> {
    by_name(
        pb::MemberRole::try_from(value).ok()?.as_str_name(),
        "MEMBER_ROLE_",
        MemberRole::parse,
    )
}

pub fn role(role: MemberRole) -> pb::MemberRole {
    pb::MemberRole::from_str_name(&format!("MEMBER_ROLE_{role}")).unwrap_or_default()
}

pub fn background_from(value: i32) -> Option<Background> {
    by_name(
        pb::Background::try_from(value).ok()?.as_str_name(),
        "BACKGROUND_",
        Background::parse,
    )
}

pub fn background(background: Option<Background>) -> pb::Background {
    background
        .and_then(|b| pb::Background::from_str_name(&format!("BACKGROUND_{b}")))
        .unwrap_or_default()
}

pub fn kind_from(value: i32) -> Option<ObjectKind> {
    by_name(
        pb::ObjectKind::try_from(value).ok()?.as_str_name(),
        "OBJECT_KIND_",
        ObjectKind::parse,
    )
}

pub fn kind(kind: ObjectKind) -> pb::ObjectKind {
    pb::ObjectKind::from_str_name(&format!("OBJECT_KIND_{kind}")).unwrap_or_default()
}

pub fn category_from(value: i32) -> Option<CareCategory> {
    by_name(
        pb::CareCategory::try_from(value).ok()?.as_str_name(),
        "CARE_CATEGORY_",
        CareCategory::parse,
    )
}

pub fn category(category: CareCategory) -> pb::CareCategory {
    pb::CareCategory::from_str_name(&format!("CARE_CATEGORY_{category}")).unwrap_or_default()
}

pub fn department_kind_from(value: i32) -> Option<DepartmentKind> {
    by_name(
        pb::DepartmentKind::try_from(value).ok()?.as_str_name(),
        "DEPARTMENT_KIND_",
        DepartmentKind::parse,
    )
}

pub fn department_kind(kind: DepartmentKind) -> pb::DepartmentKind {
    pb::DepartmentKind::from_str_name(&format!("DEPARTMENT_KIND_{kind}")).unwrap_or_default()
}

/// Returns the rings of a proto polygon as positions; an absent polygon has none.
pub fn rings(polygon: Option<&pb::Polygon>) -> Vec<Vec<Position>> {
    let Some(polygon) = polygon else {
        return Vec::new();
    };
    let ring = |r: &pb::Ring| r.points.iter().map(|p| (p.lng, p.lat)).collect::<Vec<_>>();
    polygon
        .exterior
        .iter()
        .map(ring)
        .chain(polygon.holes.iter().map(ring))
        .collect()
}

fn pb_ring(ring: &[Position]) -> pb::Ring {
    pb::Ring {
        points: ring
            .iter()
            .map(|&(lng, lat)| pb::LatLng { lat, lng })
            .collect(),
    }
}

/// Returns positions as a proto polygon.
pub fn polygon(rings: &[Vec<Position>]) -> pb::Polygon {
    pb::Polygon {
        exterior: rings.first().map(|r| pb_ring(r)),
        holes: rings.iter().skip(1).map(|r| pb_ring(r)).collect(),
    }
}

/// Returns a proto geometry as a raw shape.
pub fn shape_from(geometry: Option<&pb::Geometry>) -> Option<RawShape> {
    match geometry?.shape.as_ref()? {
        pb::geometry::Shape::Point(p) => Some(RawShape::Point((p.lng, p.lat))),
        pb::geometry::Shape::Line(line) => Some(RawShape::Line(
            line.points.iter().map(|p| (p.lng, p.lat)).collect(),
        )),
        pb::geometry::Shape::Polygon(p) => Some(RawShape::Polygon(rings(Some(p)))),
    }
}

/// Returns a raw shape as a proto geometry.
pub fn shape(raw: &RawShape) -> pb::Geometry {
    let shape = match raw {
        RawShape::Point((lng, lat)) => pb::geometry::Shape::Point(pb::LatLng {
            lat: *lat,
            lng: *lng,
        }),
        RawShape::Line(line) => pb::geometry::Shape::Line(pb_ring(line)),
        RawShape::Polygon(rings) => pb::geometry::Shape::Polygon(polygon(rings)),
    };
    pb::Geometry { shape: Some(shape) }
}

/// Returns a grid as proto, boundary included unless `without_boundary`.
pub fn grid(grid: &Grid, without_boundary: bool) -> pb::Grid {
    pb::Grid {
        id: grid.id.to_string(),
        code: grid.code.clone(),
        name: grid.name.clone(),
        level: level(grid.level).into(),
        parent_id: grid.parent_id.map(|id| id.to_string()).unwrap_or_default(),
        parent_code: grid.parent_code.clone().unwrap_or_default(),
        boundary: (!without_boundary)
            .then(|| polygon(&geometry::polygon_positions(&grid.boundary))),
        households: grid.households.unwrap_or_default(),
        party_group: grid.party_group.clone().unwrap_or_default(),
        version: grid.version,
        created_at: Some(timestamp(grid.created_at)),
        updated_at: Some(timestamp(grid.updated_at)),
    }
}

/// Returns a grid reference.
pub fn grid_ref(node: &GridNode) -> pb::GridRef {
    pb::GridRef {
        id: node.id.to_string(),
        code: node.code.clone(),
        name: node.name.clone(),
        level: level(node.level).into(),
    }
}

/// Returns a member with the phone masked.
pub fn member(member: &Member) -> pb::Member {
    pb::Member {
        id: member.id.to_string(),
        grid_code: member.grid_code.clone(),
        name: member.name.clone(),
        role: role(member.role).into(),
        background: background(member.background).into(),
        phone_masked: mask::phone(&member.phone),
        active: member.active,
    }
}

/// Returns a covered object with the head's phone masked.
pub fn object(object: &CoveredObject) -> pb::CoveredObject {
    pb::CoveredObject {
        id: object.id.to_string(),
        code: object.code.clone(),
        name: object.name.clone(),
        kind: kind(object.kind).into(),
        geometry: Some(shape(&object.geometry)),
        micro_grid_code: object.micro_grid_code.clone().unwrap_or_default(),
        high_risk: object.high_risk,
        head_name: object.head_name.clone().unwrap_or_default(),
        head_phone_masked: object
            .head_phone
            .as_deref()
            .map(mask::phone)
            .unwrap_or_default(),
        area_ha: object.area_ha.unwrap_or_default(),
    }
}

/// Returns a special-care person, masked.
pub fn care_person(person: &CarePerson) -> pb::CarePerson {
    pb::CarePerson {
        id: person.id.to_string(),
        code: person.code.clone(),
        micro_grid_code: person.micro_grid_code.clone(),
        category: category(person.category).into(),
        name_masked: mask::name(&person.name),
        id_number_masked: mask::id_number(&person.id_number),
        phone_masked: person.phone.as_deref().map(mask::phone).unwrap_or_default(),
    }
}

/// Returns an entry of the special-care audit trail.
pub fn care_access(access: &CareAccess) -> pb::CareAccess {
    pb::CareAccess {
        subject: access.subject.clone(),
        role: access.role.clone(),
        grid_code: access.grid_code.clone(),
        purpose: access.purpose.clone(),
        records: access.records,
        at: Some(timestamp(access.at)),
        granted: access.granted,
        action: access.action.as_str().to_owned(),
        person_code: access.person_code.clone().unwrap_or_default(),
        id_number_masked: access.id_number_masked.clone().unwrap_or_default(),
    }
}

/// Returns a safety domain.
pub fn safety_domain(domain: &SafetyDomain) -> pb::SafetyDomain {
    pb::SafetyDomain {
        code: domain.code.clone(),
        name: domain.name.clone(),
    }
}

/// Returns a department.
pub fn department(department: &Department) -> pb::Department {
    pb::Department {
        code: department.code.clone(),
        name: department.name.clone(),
        kind: department_kind(department.kind).into(),
        regulates: department
            .regulates
            .iter()
            .map(|k| kind(*k).into())
            .collect(),
        domains: department.domains.clone(),
    }
}

/// Returns a duty with the phone masked.
pub fn duty(duty: &DomainDuty) -> pb::DomainDuty {
    pb::DomainDuty {
        domain_code: duty.domain_code.clone(),
        leader_name: duty.leader_name.clone(),
        leader_title: duty.leader_title.clone(),
        phone_masked: mask::phone(&duty.phone),
        starts_at: Some(timestamp(duty.starts_at)),
    }
}

/// Returns a link of the chain of responsibility, its phone masked.
pub fn party(party: &ResponsibleParty) -> pb::ResponsibleParty {
    let duty = match party.duty {
        Duty::FirstInquiry => pb::Duty::FirstInquiry,
        Duty::MicroGridLeader => pb::Duty::MicroGridLeader,
        Duty::Workstation => pb::Duty::Workstation,
        Duty::Regulator => pb::Duty::Regulator,
        Duty::CoManagement => pb::Duty::CoManagement,
        Duty::LeaderOnDuty => pb::Duty::LeaderOnDuty,
    };
    let (department_code, department_name) = party.department.clone().unwrap_or_default();
    let (object_code, object_name) = party.object.clone().unwrap_or_default();
    pb::ResponsibleParty {
        duty: duty.into(),
        person_name: party
            .person
            .as_ref()
            .map(|p| p.name.clone())
            .unwrap_or_default(),
        phone_masked: party
            .person
            .as_ref()
            .and_then(|p| p.phone.as_deref())
            .map(mask::phone)
            .unwrap_or_default(),
        grid: party.grid.as_deref().map(grid_ref),
        department_code,
        department_name,
        object_code,
        object_name,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proto_enums_map_to_the_vocabulary_by_name() {
        for k in ObjectKind::ALL {
            assert_eq!(kind_from(kind(*k).into()), Some(*k));
        }
        for r in MemberRole::ALL {
            assert_eq!(role_from(role(*r).into()), Some(*r));
        }
        for c in CareCategory::ALL {
            assert_eq!(category_from(category(*c).into()), Some(*c));
        }
        assert_eq!(kind_from(0), None);
        assert_eq!(kind_from(999), None);
    }
}
