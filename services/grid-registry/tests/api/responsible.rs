//! FindResponsible: the chain from the micro-grid up to the leader on duty.

use proto::registry::v1 as pb;
use proto::registry::v1::find_responsible_request::Target;
use sqlx::PgPool;
use tonic::Code;

use crate::helpers::*;
use crate::members::member;
use crate::objects::point_object;

pub async fn duties(registry: &Registry) {
    for (code, name) in [
        ("PRODUCTION_SAFETY", "安全生产"),
        ("FLOOD_CONTROL", "防汛防台"),
    ] {
        registry
            .upsert_safety_domain(pb::UpsertSafetyDomainRequest {
                domain: Some(pb::SafetyDomain {
                    code: code.into(),
                    name: name.into(),
                }),
                ..Default::default()
            })
            .await;
    }
    for (code, name, kind, regulates, domains) in [
        (
            "SAFETY_OFFICE",
            "安全办",
            pb::DepartmentKind::Regulatory,
            vec![pb::ObjectKind::Enterprise],
            vec!["PRODUCTION_SAFETY"],
        ),
        (
            "POLICE",
            "派出所",
            pb::DepartmentKind::Regulatory,
            vec![pb::ObjectKind::Enterprise, pb::ObjectKind::Shop],
            vec![],
        ),
        (
            "WATER_STATION",
            "水务站",
            pb::DepartmentKind::CoManagement,
            vec![],
            vec!["FLOOD_CONTROL"],
        ),
    ] {
        registry
            .upsert_department(pb::UpsertDepartmentRequest {
                department: Some(pb::Department {
                    code: code.into(),
                    name: name.into(),
                    kind: kind.into(),
                    regulates: regulates.into_iter().map(Into::into).collect(),
                    domains: domains.into_iter().map(Into::into).collect(),
                }),
                ..Default::default()
            })
            .await;
    }
    for (domain, leader) in [
        ("PRODUCTION_SAFETY", "陈镇长"),
        ("FLOOD_CONTROL", "林副镇长"),
    ] {
        registry
            .assign_domain_duty(pb::AssignDomainDutyRequest {
                domain_code: domain.into(),
                leader_name: leader.into(),
                leader_title: "镇领导".into(),
                phone: "13300000000".into(),
                starts_at: Some(prost_types::Timestamp {
                    seconds: start_time().timestamp() - 86_400,
                    nanos: 0,
                }),
                ..Default::default()
            })
            .await;
    }
    registry
        .add_member(member(
            "V1-A1-M01",
            "张建国",
            pb::MemberRole::Leader,
            "13812345678",
        ))
        .await;
    registry
        .add_member(member(
            "V1",
            "刘站长",
            pb::MemberRole::WorkstationHead,
            "13812340000",
        ))
        .await;
}

fn chain(response: &pb::FindResponsibleResponse) -> Vec<(pb::Duty, String)> {
    response
        .chain
        .iter()
        .map(|p| {
            let who = [
                p.person_name.as_str(),
                p.department_code.as_str(),
                p.grid.as_ref().map_or("", |g| g.code.as_str()),
            ]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(" ");
            (p.duty(), who)
        })
        .collect()
}

#[sqlx::test(migrations = false)]
async fn an_enterprise_chain_starts_with_its_head_and_ends_with_the_leader_on_duty(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.small_town().await;
    duties(&app).await;
    app.create_object(point_object(
        "ENT-0001",
        pb::ObjectKind::Enterprise,
        30.02,
        121.02,
    ))
    .await;

    let found = app
        .find_responsible(pb::FindResponsibleRequest {
            target: Some(Target::ObjectCode("ENT-0001".into())),
            domain_code: "PRODUCTION_SAFETY".into(),
        })
        .await;
    use pb::Duty::*;
    assert_eq!(
        chain(&found),
        [
            (FirstInquiry, "周总".to_owned()),
            (MicroGridLeader, "张建国 V1-A1-M01".to_owned()),
            (Workstation, "刘站长 V1".to_owned()),
            (Regulator, "POLICE".to_owned()),
            (Regulator, "SAFETY_OFFICE".to_owned()),
            (LeaderOnDuty, "陈镇长 (镇领导)".to_owned()),
        ]
    );
    assert!(
        found
            .chain
            .iter()
            .all(|p| p.phone_masked.is_empty() || p.phone_masked.contains("****"))
    );
}

#[sqlx::test(migrations = false)]
async fn find_responsible_by_location_names_the_first_inquiry_heads_at_that_spot(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.small_town().await;
    duties(&app).await;
    // An enterprise 22 m from the place asked about, another 1.1 km away.
    for (code, lat) in [("ENT-0001", 30.0202), ("ENT-0002", 30.03)] {
        app.create_object(point_object(code, pb::ObjectKind::Enterprise, lat, 121.02))
            .await;
    }
    // A cooperative whose fields take in the place.
    app.create_object(pb::CreateObjectRequest {
        code: "COOP-01".into(),
        name: "蔬果合作社".into(),
        kind: pb::ObjectKind::Cooperative.into(),
        geometry: Some(pb::Geometry {
            shape: Some(pb::geometry::Shape::Polygon(rect(
                121.015, 30.015, 121.025, 30.025,
            ))),
        }),
        head_name: "钱社长".into(),
        head_phone: "13612345678".into(),
        ..Default::default()
    })
    .await;

    let found = app
        .find_responsible(pb::FindResponsibleRequest {
            target: Some(Target::Location(pb::LatLng {
                lat: 30.02,
                lng: 121.02,
            })),
            domain_code: "PRODUCTION_SAFETY".into(),
        })
        .await;
    use pb::Duty::*;
    assert_eq!(
        chain(&found)[..3],
        [
            (FirstInquiry, "钱社长".to_owned()),
            (FirstInquiry, "周总".to_owned()),
            (MicroGridLeader, "张建国 V1-A1-M01".to_owned()),
        ]
    );
    let heads: Vec<_> = found
        .chain
        .iter()
        .filter(|p| p.duty() == FirstInquiry)
        .map(|p| {
            (
                p.object_code.as_str(),
                p.object_name.as_str(),
                p.phone_masked.as_str(),
            )
        })
        .collect();
    assert_eq!(
        heads,
        [
            ("COOP-01", "蔬果合作社", "136****5678"),
            ("ENT-0001", "ENT-0001 name", "135****5678"),
        ]
    );
}

#[sqlx::test(migrations = false)]
async fn a_location_chain_names_co_managers_of_the_domain(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.small_town().await;
    duties(&app).await;
    let found = app
        .find_responsible(pb::FindResponsibleRequest {
            target: Some(Target::Location(pb::LatLng {
                lat: 30.07,
                lng: 121.07,
            })),
            domain_code: "FLOOD_CONTROL".into(),
        })
        .await;
    use pb::Duty::*;
    assert_eq!(found.micro_grid.as_ref().unwrap().code, "V2-A1-M02");
    assert_eq!(
        chain(&found),
        [
            (MicroGridLeader, "V2-A1-M02".to_owned()),
            (Workstation, "V2".to_owned()),
            (CoManagement, "WATER_STATION".to_owned()),
            (LeaderOnDuty, "林副镇长 (镇领导)".to_owned()),
        ]
    );
}

#[sqlx::test(migrations = false)]
async fn an_unknown_domain_or_object_is_refused(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.small_town().await;
    duties(&app).await;
    let status = app
        .try_find_responsible(pb::FindResponsibleRequest {
            target: Some(Target::ObjectCode("ENT-0001".into())),
            domain_code: "ASTRONOMY".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&status), ["domain_code"]);
    let status = app
        .try_find_responsible(pb::FindResponsibleRequest {
            target: Some(Target::ObjectCode("ENT-0404".into())),
            domain_code: "PRODUCTION_SAFETY".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
    let status = app
        .try_upsert_department(pb::UpsertDepartmentRequest {
            department: Some(pb::Department {
                code: "police".into(),
                name: "派出所".into(),
                kind: 0,
                regulates: vec![],
                domains: vec!["ASTRONOMY".into()],
            }),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(
        violated_fields(&status),
        [
            "department.code",
            "department.kind",
            "department.domains[0]"
        ]
    );
}
