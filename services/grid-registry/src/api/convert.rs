//! Proto ⇄ domain conversions, and page tokens.

use platform::mask;
use proto::registry::v1 as pb;

use crate::api::ApiError;
use crate::domain::geometry::{self, Position, RawShape};
use crate::domain::kinds::{
    Background, CareCategory, DepartmentKind, Level, MemberRole, ObjectKind,
};
use crate::index::GridNode;
use crate::repository::care::CarePersonRow;
use crate::repository::departments::{DepartmentRow, DutyRow};
use crate::repository::grids::GridRow;
use crate::repository::members::MemberRow;
use crate::repository::objects::ObjectRow;

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

/// Returns the stored boundary's rings.
///
/// # Errors
/// A stored boundary that is not a GeoJSON polygon (never written so).
pub fn stored_rings(row: &GridRow) -> Result<Vec<Vec<Position>>, ApiError> {
    match geometry::from_geojson(&row.boundary.0) {
        Ok(RawShape::Polygon(rings)) => Ok(rings),
        Ok(_) | Err(_) => Err(ApiError::Internal(anyhow::anyhow!(
            "grid {} has a malformed stored boundary",
            row.code
        ))),
    }
}

/// Returns a stored grid as proto, boundary included unless `without_boundary`.
///
/// # Errors
/// A malformed stored boundary.
pub fn grid(row: &GridRow, without_boundary: bool) -> Result<pb::Grid, ApiError> {
    let level = Level::parse(&row.level).map(level).unwrap_or_default();
    Ok(pb::Grid {
        id: row.grid_id.to_string(),
        code: row.code.clone(),
        name: row.name.clone(),
        level: level.into(),
        parent_id: row.parent_id.map(|id| id.to_string()).unwrap_or_default(),
        parent_code: row.parent_code.clone().unwrap_or_default(),
        boundary: if without_boundary {
            None
        } else {
            Some(polygon(&stored_rings(row)?))
        },
        households: row
            .households
            .and_then(|h| u32::try_from(h).ok())
            .unwrap_or_default(),
        party_group: row.party_group.clone().unwrap_or_default(),
        version: row.version,
        created_at: Some(timestamp(row.created_at)),
        updated_at: Some(timestamp(row.updated_at)),
    })
}

/// Returns a stored grid as the index holds it.
///
/// # Errors
/// A malformed stored boundary.
pub fn node(row: &GridRow) -> Result<GridNode, ApiError> {
    let boundary = geometry::polygon("boundary", &stored_rings(row)?).map_err(|_| {
        ApiError::Internal(anyhow::anyhow!(
            "grid {} has an invalid stored boundary",
            row.code
        ))
    })?;
    Ok(GridNode {
        id: row.grid_id,
        code: row.code.clone(),
        name: row.name.clone(),
        level: Level::parse(&row.level).ok_or_else(|| {
            ApiError::Internal(anyhow::anyhow!(
                "grid {} has unknown level {}",
                row.code,
                row.level
            ))
        })?,
        parent_id: row.parent_id,
        boundary,
        version: row.version,
    })
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
pub fn member(row: &MemberRow) -> pb::Member {
    pb::Member {
        id: row.member_id.to_string(),
        grid_code: row.grid_code.clone(),
        name: row.name.clone(),
        role: MemberRole::parse(&row.role)
            .map(role)
            .unwrap_or_default()
            .into(),
        background: background(row.background.as_deref().and_then(Background::parse)).into(),
        phone_masked: mask::phone(&row.phone),
        active: row.active,
    }
}

/// Returns a covered object with the head's phone masked.
pub fn object(row: &ObjectRow) -> pb::CoveredObject {
    pb::CoveredObject {
        id: row.object_id.to_string(),
        code: row.code.clone(),
        name: row.name.clone(),
        kind: ObjectKind::parse(&row.kind)
            .map(kind)
            .unwrap_or_default()
            .into(),
        geometry: geometry::from_geojson(&row.geometry.0)
            .ok()
            .map(|raw| shape(&raw)),
        micro_grid_code: row.micro_grid_code.clone().unwrap_or_default(),
        high_risk: row.high_risk,
        head_name: row.head_name.clone().unwrap_or_default(),
        head_phone_masked: row
            .head_phone
            .as_deref()
            .map(mask::phone)
            .unwrap_or_default(),
        area_ha: row.area_ha.unwrap_or_default(),
    }
}

/// Returns a special-care person, masked.
pub fn care_person(row: &CarePersonRow) -> pb::CarePerson {
    pb::CarePerson {
        id: row.care_person_id.to_string(),
        code: row.code.clone(),
        micro_grid_code: row.micro_grid_code.clone(),
        category: CareCategory::parse(&row.category)
            .map(category)
            .unwrap_or_default()
            .into(),
        name_masked: mask::name(&row.name),
        id_number_masked: mask::id_number(&row.id_number),
        phone_masked: row.phone.as_deref().map(mask::phone).unwrap_or_default(),
    }
}

/// Returns a department.
pub fn department(row: &DepartmentRow) -> pb::Department {
    pb::Department {
        code: row.code.clone(),
        name: row.name.clone(),
        kind: DepartmentKind::parse(&row.kind)
            .map(department_kind)
            .unwrap_or_default()
            .into(),
        regulates: row
            .regulates
            .iter()
            .filter_map(|k| ObjectKind::parse(k))
            .map(|k| kind(k).into())
            .collect(),
        domains: row.domains.clone(),
    }
}

/// Returns a duty with the phone masked.
pub fn duty(row: &DutyRow) -> pb::DomainDuty {
    pb::DomainDuty {
        domain_code: row.domain_code.clone(),
        leader_name: row.leader_name.clone(),
        leader_title: row.leader_title.clone(),
        phone_masked: mask::phone(&row.phone),
        starts_at: Some(timestamp(row.starts_at)),
    }
}

/// Page size bounds: 100 by default, at most 1000.
pub fn page_size(requested: u32) -> Result<i64, ApiError> {
    match requested {
        0 => Ok(100),
        1..=1000 => Ok(i64::from(requested)),
        _ => Err(ApiError::invalid("page_size", "must be between 1 and 1000")),
    }
}

/// Encodes the last key of a page as an opaque token.
pub fn page_token(last: &str) -> String {
    last.bytes().map(|b| format!("{b:02x}")).collect()
}

/// Decodes a page token into the key to continue after.
pub fn after(token: &str) -> Result<String, ApiError> {
    let invalid = || {
        ApiError::invalid(
            "page_token",
            "must be a next_page_token from an earlier response",
        )
    };
    if !token.len().is_multiple_of(2) {
        return Err(invalid());
    }
    let bytes = (0..token.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&token[i..i + 2], 16))
        .collect::<Result<Vec<u8>, _>>()
        .map_err(|_| invalid())?;
    String::from_utf8(bytes).map_err(|_| invalid())
}

/// Returns the token for the page after `items` when the page was full.
pub fn next_token<T>(items: &[T], limit: i64, key: impl Fn(&T) -> &str) -> String {
    match items.last() {
        Some(last) if items.len() as i64 == limit => page_token(key(last)),
        _ => String::new(),
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

    #[test]
    fn page_tokens_round_trip_and_garbage_is_refused() {
        assert_eq!(
            after(&page_token("LX-V01-A1-M03")).unwrap(),
            "LX-V01-A1-M03"
        );
        assert!(matches!(after("zz"), Err(ApiError::InvalidArgument(_))));
    }
}
