//! Loads the Langxia data set into a registry through its public API, so a
//! load also exercises the API. Every call carries an idempotency key
//! derived from what it creates, so an interrupted load can simply be run
//! again.

use std::time::Instant;

use futures::StreamExt as _;
use langxia::{Geometry, Town};
use proto::registry::v1 as pb;
use tonic::Code;

use crate::connect::Registry;

/// How many calls run at once for members, objects and people: enough to
/// keep the registry busy, few enough to stay polite to its pool.
const CONCURRENCY: usize = 8;

/// What a load did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct LoadReport {
    pub grids: usize,
    pub members: usize,
    pub objects: usize,
    pub care_people: usize,
    pub departments: usize,
    pub domains: usize,
    pub duties: usize,
    /// Things already there (from an earlier load) and left alone.
    pub already_present: usize,
    pub elapsed: std::time::Duration,
}

/// Returns whether the town grid of the data set is already registered.
///
/// # Errors
/// The registry fails.
pub async fn is_loaded(client: &mut Registry) -> anyhow::Result<bool> {
    match client
        .get_grid(pb::GetGridRequest {
            code: "LX".into(),
            ..Default::default()
        })
        .await
    {
        Ok(_) => Ok(true),
        Err(status) if status.code() == Code::NotFound => Ok(false),
        Err(status) => Err(anyhow::anyhow!(
            "checking for the Langxia data set: {}",
            status.message()
        )),
    }
}

/// Loads `town`: domains, departments and duties, grids level by level,
/// then members, covered objects and special-care people.
///
/// # Errors
/// A call refused for anything but "already exists".
pub async fn load(client: &Registry, town: &Town) -> anyhow::Result<LoadReport> {
    let started = Instant::now();
    let mut report = LoadReport::default();
    let mut c = client.clone();

    for domain in &town.domains {
        let request = pb::UpsertSafetyDomainRequest {
            idempotency_key: format!("langxia:domain:{}", domain.code),
            domain: Some(pb::SafetyDomain {
                code: domain.code.clone(),
                name: domain.name.clone(),
            }),
        };
        c.upsert_safety_domain(request)
            .await
            .map_err(|s| failed("safety domain", &domain.code, &s))?;
        report.domains += 1;
    }
    for department in &town.departments {
        let request = pb::UpsertDepartmentRequest {
            idempotency_key: format!("langxia:department:{}", department.code),
            department: Some(pb::Department {
                code: department.code.clone(),
                name: department.name.clone(),
                kind: pb::DepartmentKind::from_str_name(&format!(
                    "DEPARTMENT_KIND_{}",
                    department.kind.as_str()
                ))
                .unwrap_or_default()
                .into(),
                regulates: department
                    .regulates
                    .iter()
                    .map(|k| object_kind(k.as_str()).into())
                    .collect(),
                domains: department.domains.clone(),
            }),
        };
        c.upsert_department(request)
            .await
            .map_err(|s| failed("department", &department.code, &s))?;
        report.departments += 1;
    }
    for duty in &town.duties {
        let request = pb::AssignDomainDutyRequest {
            idempotency_key: format!("langxia:duty:{}", duty.domain_code),
            domain_code: duty.domain_code.clone(),
            leader_name: duty.leader_name.clone(),
            leader_title: duty.leader_title.clone(),
            phone: duty.phone.clone(),
            // The roster starts on 1 January 2022, the year of the source's figures.
            starts_at: Some(prost_types::Timestamp {
                seconds: 1_640_966_400,
                nanos: 0,
            }),
        };
        c.assign_domain_duty(request)
            .await
            .map_err(|s| failed("duty", &duty.domain_code, &s))?;
        report.duties += 1;
    }

    // Grids one at a time, parents first: each write checks its siblings.
    for grid in &town.grids {
        let level = pb::GridLevel::from_str_name(&format!("GRID_LEVEL_{}", grid.level.as_str()))
            .unwrap_or_default();
        let request = pb::CreateGridRequest {
            idempotency_key: format!("langxia:grid:{}", grid.code),
            code: grid.code.clone(),
            name: grid.name.clone(),
            level: level.into(),
            parent_code: grid.parent_code.clone().unwrap_or_default(),
            boundary: Some(polygon(&grid.boundary)),
            households: grid.households.unwrap_or_default(),
            party_group: grid.party_group.clone().unwrap_or_default(),
        };
        match c.create_grid(request).await {
            Ok(_) => report.grids += 1,
            Err(s) if s.code() == Code::AlreadyExists => report.already_present += 1,
            Err(s) => return Err(failed("grid", &grid.code, &s)),
        }
    }

    let members = futures::stream::iter(town.members.iter().enumerate().map(|(i, m)| {
        let mut c = client.clone();
        let request = pb::AddMemberRequest {
            idempotency_key: format!("langxia:member:{i}"),
            grid_code: m.grid_code.clone(),
            name: m.name.clone(),
            role: pb::MemberRole::from_str_name(&format!("MEMBER_ROLE_{}", m.role.as_str()))
                .unwrap_or_default()
                .into(),
            background: m
                .background
                .and_then(|b| pb::Background::from_str_name(&format!("BACKGROUND_{}", b.as_str())))
                .unwrap_or_default()
                .into(),
            phone: m.phone.clone(),
        };
        async move {
            c.add_member(request)
                .await
                .map(|_| ())
                .map_err(|s| (format!("member {i} of {}", m.grid_code), s))
        }
    }));
    tally(members, &mut report.members, &mut report.already_present).await?;

    let objects = futures::stream::iter(town.objects.iter().map(|o| {
        let mut c = client.clone();
        let request = pb::CreateObjectRequest {
            idempotency_key: format!("langxia:object:{}", o.code),
            code: o.code.clone(),
            name: o.name.clone(),
            kind: object_kind(o.kind.as_str()).into(),
            geometry: Some(geometry(&o.geometry)),
            high_risk: o.high_risk,
            head_name: o.head_name.clone().unwrap_or_default(),
            head_phone: o.head_phone.clone().unwrap_or_default(),
            area_ha: o.area_ha.unwrap_or_default(),
        };
        async move {
            c.create_object(request)
                .await
                .map(|_| ())
                .map_err(|s| (format!("object {}", o.code), s))
        }
    }));
    tally(objects, &mut report.objects, &mut report.already_present).await?;

    let people = futures::stream::iter(town.care_people.iter().map(|p| {
        let mut c = client.clone();
        let request = pb::CreateCarePersonRequest {
            idempotency_key: format!("langxia:care:{}", p.code),
            code: p.code.clone(),
            micro_grid_code: p.micro_grid_code.clone(),
            category: pb::CareCategory::from_str_name(&format!(
                "CARE_CATEGORY_{}",
                p.category.as_str()
            ))
            .unwrap_or_default()
            .into(),
            name: p.name.clone(),
            id_number: p.id_number.clone(),
            phone: p.phone.clone().unwrap_or_default(),
        };
        async move {
            c.create_care_person(request)
                .await
                .map(|_| ())
                .map_err(|s| (format!("care person {}", p.code), s))
        }
    }));
    tally(people, &mut report.care_people, &mut report.already_present).await?;
    report.elapsed = started.elapsed();
    Ok(report)
}

async fn tally(
    calls: impl futures::Stream<
        Item = impl std::future::Future<Output = Result<(), (String, tonic::Status)>>,
    >,
    created: &mut usize,
    present: &mut usize,
) -> anyhow::Result<()> {
    let mut outcomes = std::pin::pin!(calls.buffer_unordered(CONCURRENCY));
    while let Some(outcome) = outcomes.next().await {
        match outcome {
            Ok(()) => *created += 1,
            Err((_, s)) if s.code() == Code::AlreadyExists => *present += 1,
            Err((what, s)) => {
                return Err(anyhow::anyhow!(
                    "loading {what}: {}",
                    crate::render::status(&s)
                ));
            }
        }
    }
    Ok(())
}

fn failed(what: &str, code: &str, status: &tonic::Status) -> anyhow::Error {
    anyhow::anyhow!("loading {what} {code}: {}", crate::render::status(status))
}

fn object_kind(name: &str) -> pb::ObjectKind {
    pb::ObjectKind::from_str_name(&format!("OBJECT_KIND_{name}")).unwrap_or_default()
}

fn ring(points: &[(f64, f64)]) -> pb::Ring {
    pb::Ring {
        points: points
            .iter()
            .map(|&(lng, lat)| pb::LatLng { lat, lng })
            .collect(),
    }
}

fn polygon(points: &[(f64, f64)]) -> pb::Polygon {
    pb::Polygon {
        exterior: Some(ring(points)),
        holes: Vec::new(),
    }
}

fn geometry(geometry: &Geometry) -> pb::Geometry {
    let shape = match geometry {
        Geometry::Point((lng, lat)) => pb::geometry::Shape::Point(pb::LatLng {
            lat: *lat,
            lng: *lng,
        }),
        Geometry::Line(points) => pb::geometry::Shape::Line(ring(points)),
        Geometry::Polygon(points) => pb::geometry::Shape::Polygon(polygon(points)),
    };
    pb::Geometry { shape: Some(shape) }
}
