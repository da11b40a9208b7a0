//! Loads the Langxia data set into a registry through its public API, so a
//! load also exercises the API.
//!
//! A load resumes: it first reads what the registry already holds (grids,
//! covered objects and special-care people by code, members by grid, name
//! and role, departments by code), leaves that alone and adds the rest. Every
//! call carries an idempotency key derived from what it creates, so a call
//! an interrupted load left in flight is replayed, not repeated; "already
//! exists" is counted as present, not an error. Safety domains and duties
//! are upserts with no read in the API: they are written on every load
//! (replayed when unchanged).

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::time::Instant;

use futures::StreamExt as _;
use langxia::{Geometry, Town};
use proto::registry::v1 as pb;
use serde_json::{Value, json};
use tonic::Code;

use crate::connect::{PAGE_SIZE, Registry, all_pages};

/// How many calls run at once for members, objects and people: enough to
/// keep the registry busy, few enough to stay polite to its pool.
const CONCURRENCY: usize = 8;

/// Why the loader reads the special-care list; recorded in its audit trail.
const CARE_PURPOSE: &str = "loading the Langxia data set: which records are already there";

/// How many records of one kind a load added, and how many it found there.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Tally {
    pub added: usize,
    pub present: usize,
}

impl Tally {
    /// Returns how many records of this kind the registry now holds from the data set.
    pub fn total(self) -> usize {
        self.added + self.present
    }
}

/// What a load did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct LoadReport {
    pub grids: Tally,
    pub members: Tally,
    pub objects: Tally,
    pub care_people: Tally,
    pub departments: Tally,
    /// Safety domains written (created, replaced or replayed).
    pub domains: usize,
    /// Duties written (assigned or replayed).
    pub duties: usize,
    pub elapsed: std::time::Duration,
}

impl LoadReport {
    fn tallies(&self) -> [Tally; 5] {
        [
            self.grids,
            self.members,
            self.objects,
            self.care_people,
            self.departments,
        ]
    }

    /// Returns how many records this load added.
    pub fn added(&self) -> usize {
        self.tallies().iter().map(|t| t.added).sum()
    }

    /// Returns how many records were already there and left alone.
    pub fn already_present(&self) -> usize {
        self.tallies().iter().map(|t| t.present).sum()
    }

    /// Returns the report in one line for people.
    pub fn summary(&self) -> String {
        let seconds = self.elapsed.as_secs_f64();
        let reference = format!(
            "{} safety domains and {} duties written",
            self.domains, self.duties
        );
        if self.added() == 0 {
            return format!(
                "the Langxia data set is complete (checked in {seconds:.1} s): nothing to add; \
                 {} already present; {reference}",
                self.already_present()
            );
        }
        format!(
            "loaded Langxia in {seconds:.1} s: added {} grids, {} members, {} covered objects, \
             {} special-care people, {} departments; {} already present; {reference}",
            self.grids.added,
            self.members.added,
            self.objects.added,
            self.care_people.added,
            self.departments.added,
            self.already_present()
        )
    }

    /// Returns the report for scripts: the added counts at the top, what
    /// was already there under `present`.
    pub fn to_json(&self) -> Value {
        json!({
            "loaded": true,
            "grids": self.grids.added, "members": self.members.added, "objects": self.objects.added,
            "care_people": self.care_people.added, "departments": self.departments.added,
            "domains": self.domains, "duties": self.duties,
            "already_present": self.already_present(),
            "present": {
                "grids": self.grids.present, "members": self.members.present,
                "objects": self.objects.present, "care_people": self.care_people.present,
                "departments": self.departments.present,
            },
            "seconds": self.elapsed.as_secs_f64(),
        })
    }
}

/// Returns whether the town grid of the data set is registered. The data
/// set may still be partial: [`load`] completes it.
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

/// A member as the registry lists it: grid, name and role.
type MemberKey = (String, String, i32);

/// What the registry holds before a load.
#[derive(Debug, Default)]
struct Inventory {
    grids: HashSet<String>,
    objects: HashSet<String>,
    care_people: HashSet<String>,
    departments: HashSet<String>,
    /// Active members: how many share each grid, name and role.
    members: HashMap<MemberKey, usize>,
    member_ids: HashSet<String>,
}

/// Reads what the registry holds of the data set whose town grid is `town_code`.
async fn inventory(client: &mut Registry, town_code: &str) -> anyhow::Result<Inventory> {
    let mut found = Inventory::default();
    let reading = |what: &str, status: tonic::Status| {
        anyhow::anyhow!(
            "reading the {what} already there: {}",
            crate::render::status(&status)
        )
    };

    found.grids = all_pages(|page_token| {
        let mut c = client.clone();
        let request = pb::ListGridsRequest {
            page_size: PAGE_SIZE,
            page_token,
            without_boundaries: true,
            ..Default::default()
        };
        async move {
            let page = c.list_grids(request).await?.into_inner();
            Ok((page.grids, page.next_page_token))
        }
    })
    .await
    .map_err(|s| reading("grids", s))?
    .into_iter()
    .map(|g| g.code)
    .collect();
    found.objects = all_pages(|page_token| {
        let mut c = client.clone();
        let request = pb::ListObjectsRequest {
            page_size: PAGE_SIZE,
            page_token,
            ..Default::default()
        };
        async move {
            let page = c.list_objects(request).await?.into_inner();
            Ok((page.objects, page.next_page_token))
        }
    })
    .await
    .map_err(|s| reading("covered objects", s))?
    .into_iter()
    .map(|o| o.code)
    .collect();
    found.care_people = all_pages(|page_token| {
        let mut c = client.clone();
        let request = pb::ListCarePeopleRequest {
            purpose: CARE_PURPOSE.into(),
            page_size: PAGE_SIZE,
            page_token,
            ..Default::default()
        };
        async move {
            let page = c.list_care_people(request).await?.into_inner();
            Ok((page.people, page.next_page_token))
        }
    })
    .await
    .map_err(|s| reading("special-care records", s))?
    .into_iter()
    .map(|p| p.code)
    .collect();

    found.departments = client
        .list_departments(pb::ListDepartmentsRequest {})
        .await
        .map_err(|s| reading("departments", s))?
        .into_inner()
        .departments
        .into_iter()
        .map(|d| d.code)
        .collect();

    // Members hang below the town grid; without it there are none.
    if found.grids.contains(town_code) {
        let members = client
            .list_members(pb::ListMembersRequest {
                grid_code: town_code.into(),
                include_descendants: true,
            })
            .await
            .map_err(|s| reading("members", s))?
            .into_inner()
            .members;
        for m in members {
            *found
                .members
                .entry((m.grid_code, m.name, m.role))
                .or_default() += 1;
            found.member_ids.insert(m.id);
        }
    }
    Ok(found)
}

/// Loads whatever of `town` the registry lacks: domains, departments and
/// duties, grids level by level, then members, covered objects and
/// special-care people.
///
/// # Errors
/// A read of what is there fails, or a call is refused for anything but
/// "already exists".
pub async fn load(client: &Registry, town: &Town) -> anyhow::Result<LoadReport> {
    let started = Instant::now();
    let mut report = LoadReport::default();
    let mut c = client.clone();
    let town_code = town
        .grids
        .first()
        .map(|g| g.code.clone())
        .unwrap_or_default();
    let there = inventory(&mut c, &town_code).await?;

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
                kind: department_kind(department.kind).into(),
                regulates: department
                    .regulates
                    .iter()
                    .map(|k| object_kind(*k).into())
                    .collect(),
                domains: department.domains.clone(),
            }),
        };
        // An upsert: sent even when the department is there, so that it
        // matches the data set; counted by whether it was there before.
        c.upsert_department(request)
            .await
            .map_err(|s| failed("department", &department.code, &s))?;
        if there.departments.contains(&department.code) {
            report.departments.present += 1;
        } else {
            report.departments.added += 1;
        }
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
    let grids = missing(
        &town.grids,
        |g| there.grids.contains(&g.code),
        |g| {
            let mut c = client.clone();
            let request = pb::CreateGridRequest {
                idempotency_key: format!("langxia:grid:{}", g.code),
                code: g.code.clone(),
                name: g.name.clone(),
                level: grid_level(g.level).into(),
                parent_code: g.parent_code.clone().unwrap_or_default(),
                boundary: Some(polygon(&g.boundary)),
                households: g.households.unwrap_or_default(),
                party_group: g.party_group.clone().unwrap_or_default(),
            };
            async move {
                c.create_grid(request)
                    .await
                    .map(|_| true)
                    .map_err(|s| (format!("grid {}", g.code), s))
            }
        },
        &mut report.grids,
    );
    send(grids, 1, &mut report.grids).await?;

    // Members have no code: a (grid, name, role) is there when the registry
    // lists at least as many of it as the data set has. Otherwise each of
    // them is sent under its own key: one an earlier load added is
    // replayed, and recognised by its id.
    let key = |m: &langxia::Member| -> MemberKey {
        (
            m.grid_code.clone(),
            m.name.clone(),
            member_role(m.role).into(),
        )
    };
    let mut wanted: HashMap<MemberKey, usize> = HashMap::new();
    for m in &town.members {
        *wanted.entry(key(m)).or_default() += 1;
    }
    let members = missing(
        town.members.iter().enumerate(),
        |(_, m)| {
            let k = key(m);
            there.members.get(&k).copied().unwrap_or_default() >= wanted[&k]
        },
        |(i, m)| {
            let mut c = client.clone();
            let request = pb::AddMemberRequest {
                idempotency_key: format!("langxia:member:{i}"),
                grid_code: m.grid_code.clone(),
                name: m.name.clone(),
                role: member_role(m.role).into(),
                background: m.background.map(background).unwrap_or_default().into(),
                phone: m.phone.clone(),
            };
            let ids = &there.member_ids;
            async move {
                let member = c
                    .add_member(request)
                    .await
                    .map_err(|s| (format!("member {i} of {}", m.grid_code), s))?
                    .into_inner()
                    .member;
                Ok(member.is_none_or(|member| !ids.contains(&member.id)))
            }
        },
        &mut report.members,
    );
    send(members, CONCURRENCY, &mut report.members).await?;

    let objects = missing(
        &town.objects,
        |o| there.objects.contains(&o.code),
        |o| {
            let mut c = client.clone();
            let request = pb::CreateObjectRequest {
                idempotency_key: format!("langxia:object:{}", o.code),
                code: o.code.clone(),
                name: o.name.clone(),
                kind: object_kind(o.kind).into(),
                geometry: Some(geometry(&o.geometry)),
                high_risk: o.high_risk,
                head_name: o.head_name.clone().unwrap_or_default(),
                head_phone: o.head_phone.clone().unwrap_or_default(),
                area_ha: o.area_ha.unwrap_or_default(),
            };
            async move {
                c.create_object(request)
                    .await
                    .map(|_| true)
                    .map_err(|s| (format!("object {}", o.code), s))
            }
        },
        &mut report.objects,
    );
    send(objects, CONCURRENCY, &mut report.objects).await?;

    let people = missing(
        &town.care_people,
        |p| there.care_people.contains(&p.code),
        |p| {
            let mut c = client.clone();
            let request = pb::CreateCarePersonRequest {
                idempotency_key: format!("langxia:care:{}", p.code),
                code: p.code.clone(),
                micro_grid_code: p.micro_grid_code.clone(),
                category: care_category(p.category).into(),
                name: p.name.clone(),
                id_number: p.id_number.clone(),
                phone: p.phone.clone().unwrap_or_default(),
            };
            async move {
                c.create_care_person(request)
                    .await
                    .map(|_| true)
                    .map_err(|s| (format!("care person {}", p.code), s))
            }
        },
        &mut report.care_people,
    );
    send(people, CONCURRENCY, &mut report.care_people).await?;
    report.elapsed = started.elapsed();
    Ok(report)
}

/// A call that answers whether it added its record (`false`: it was
/// there), or fails naming what it sent.
type Outcome = Result<bool, (String, tonic::Status)>;

/// Returns the calls that add the `items` not `there`, counting those that
/// are there as present. The calls are made before any runs, so that no
/// closure over borrowed items lives across an await (which would make the
/// load's future not `Send`).
fn missing<I, F: Future<Output = Outcome>>(
    items: impl IntoIterator<Item = I>,
    there: impl Fn(&I) -> bool,
    call: impl FnMut(I) -> F,
    tally: &mut Tally,
) -> Vec<F> {
    let (present, missing): (Vec<I>, Vec<I>) = items.into_iter().partition(|item| there(item));
    tally.present += present.len();
    missing.into_iter().map(call).collect()
}

/// Runs `calls`, `concurrency` at a time (1: in order), and counts what
/// they added; "already exists" counts as there.
async fn send<F: Future<Output = Outcome>>(
    calls: Vec<F>,
    concurrency: usize,
    tally: &mut Tally,
) -> anyhow::Result<()> {
    let mut outcomes = std::pin::pin!(futures::stream::iter(calls).buffer_unordered(concurrency));
    while let Some(outcome) = outcomes.next().await {
        match outcome {
            Ok(true) => tally.added += 1,
            Ok(false) => tally.present += 1,
            Err((_, s)) if s.code() == Code::AlreadyExists => tally.present += 1,
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

fn grid_level(level: langxia::Level) -> pb::GridLevel {
    use langxia::Level;
    match level {
        Level::Town => pb::GridLevel::Town,
        Level::Village => pb::GridLevel::Village,
        Level::Residential => pb::GridLevel::Residential,
        Level::Area => pb::GridLevel::Area,
        Level::Micro => pb::GridLevel::Micro,
    }
}

fn member_role(role: langxia::MemberRole) -> pb::MemberRole {
    use langxia::MemberRole;
    match role {
        MemberRole::Leader => pb::MemberRole::Leader,
        MemberRole::PartyInstructor => pb::MemberRole::PartyInstructor,
        MemberRole::Member => pb::MemberRole::Member,
        MemberRole::WorkstationHead => pb::MemberRole::WorkstationHead,
        MemberRole::WorkstationStaff => pb::MemberRole::WorkstationStaff,
        MemberRole::TownOperator => pb::MemberRole::TownOperator,
    }
}

fn background(background: langxia::Background) -> pb::Background {
    use langxia::Background;
    match background {
        Background::VillagerGroupLeader => pb::Background::VillagerGroupLeader,
        Background::PartyGroupLeader => pb::Background::PartyGroupLeader,
        Background::CommunityNotable => pb::Background::CommunityNotable,
        Background::BuildingLeader => pb::Background::BuildingLeader,
    }
}

fn object_kind(kind: langxia::ObjectKind) -> pb::ObjectKind {
    use langxia::ObjectKind;
    match kind {
        ObjectKind::Shop => pb::ObjectKind::Shop,
        ObjectKind::School => pb::ObjectKind::School,
        ObjectKind::Enterprise => pb::ObjectKind::Enterprise,
        ObjectKind::Cooperative => pb::ObjectKind::Cooperative,
        ObjectKind::River => pb::ObjectKind::River,
        ObjectKind::ForestParcel => pb::ObjectKind::ForestParcel,
        ObjectKind::Road => pb::ObjectKind::Road,
        ObjectKind::Farmland => pb::ObjectKind::Farmland,
        ObjectKind::GarbagePoint => pb::ObjectKind::GarbagePoint,
        ObjectKind::KeyPoint => pb::ObjectKind::KeyPoint,
    }
}

fn care_category(category: langxia::CareCategory) -> pb::CareCategory {
    use langxia::CareCategory;
    match category {
        CareCategory::ReleasedPrisoner => pb::CareCategory::ReleasedPrisoner,
        CareCategory::CommunityCorrection => pb::CareCategory::CommunityCorrection,
        CareCategory::DrugRehabilitation => pb::CareCategory::DrugRehabilitation,
        CareCategory::SevereMentalDisorder => pb::CareCategory::SevereMentalDisorder,
        CareCategory::KeyYouth => pb::CareCategory::KeyYouth,
        CareCategory::KeyPetitioner => pb::CareCategory::KeyPetitioner,
    }
}

fn department_kind(kind: langxia::DepartmentKind) -> pb::DepartmentKind {
    use langxia::DepartmentKind;
    match kind {
        DepartmentKind::Regulatory => pb::DepartmentKind::Regulatory,
        DepartmentKind::CoManagement => pb::DepartmentKind::CoManagement,
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn report(added: usize, present: usize) -> LoadReport {
        let tally = Tally { added, present };
        LoadReport {
            grids: tally,
            members: tally,
            objects: tally,
            care_people: tally,
            departments: tally,
            domains: 14,
            duties: 14,
            elapsed: std::time::Duration::from_millis(1500),
        }
    }

    #[test]
    fn a_load_that_added_something_names_what_it_added_and_what_was_there() {
        assert_eq!(
            report(2, 3).summary(),
            "loaded Langxia in 1.5 s: added 2 grids, 2 members, 2 covered objects, \
             2 special-care people, 2 departments; 15 already present; \
             14 safety domains and 14 duties written"
        );
        let json = report(2, 3).to_json();
        assert_eq!(json["grids"], 2);
        assert_eq!(json["present"]["care_people"], 3);
        assert_eq!(json["already_present"], 15);
    }

    #[test]
    fn a_load_that_added_nothing_says_the_data_set_is_complete() {
        let summary = report(0, 7).summary();
        assert!(
            summary.starts_with("the Langxia data set is complete"),
            "{summary}"
        );
        assert!(summary.contains("35 already present"), "{summary}");
    }

    fn maps_by_name<T: Copy>(
        all: &[T],
        prefix: &str,
        name: impl Fn(&T) -> &'static str,
        generated: impl Fn(T) -> &'static str,
    ) {
        for value in all {
            assert_eq!(generated(*value), format!("{prefix}{}", name(value)));
        }
    }

    #[test]
    fn every_kind_of_the_data_set_maps_to_the_registry_value_of_its_name() {
        use langxia::{Background, CareCategory, DepartmentKind, Level, MemberRole, ObjectKind};
        maps_by_name(&Level::ALL, "GRID_LEVEL_", Level::as_str, |v| {
            grid_level(v).as_str_name()
        });
        maps_by_name(&ObjectKind::ALL, "OBJECT_KIND_", ObjectKind::as_str, |v| {
            object_kind(v).as_str_name()
        });
        maps_by_name(&MemberRole::ALL, "MEMBER_ROLE_", MemberRole::as_str, |v| {
            member_role(v).as_str_name()
        });
        maps_by_name(&Background::ALL, "BACKGROUND_", Background::as_str, |v| {
            background(v).as_str_name()
        });
        maps_by_name(
            &CareCategory::ALL,
            "CARE_CATEGORY_",
            CareCategory::as_str,
            |v| care_category(v).as_str_name(),
        );
        maps_by_name(
            &DepartmentKind::ALL,
            "DEPARTMENT_KIND_",
            DepartmentKind::as_str,
            |v| department_kind(v).as_str_name(),
        );
    }
}
