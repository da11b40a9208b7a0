//! Special-care people: refused or masked, and every read audited.

use platform::auth::Role;
use proto::registry::v1 as pb;
use sqlx::PgPool;
use tonic::Code;

use crate::helpers::*;

fn care_person(code: &str, grid: &str) -> pb::CreateCarePersonRequest {
    pb::CreateCarePersonRequest {
        code: code.into(),
        micro_grid_code: grid.into(),
        category: pb::CareCategory::KeyYouth.into(),
        name: "王小明".into(),
        // GB 11643's own example, with a valid check character.
        id_number: "11010519491231002X".into(),
        phone: "13912345678".into(),
        ..Default::default()
    }
}

fn read(grid: &str, purpose: &str) -> pb::ListCarePeopleRequest {
    pb::ListCarePeopleRequest {
        grid_code: grid.into(),
        purpose: purpose.into(),
        ..Default::default()
    }
}

#[sqlx::test(migrations = false)]
async fn granted_roles_see_only_masked_data_and_every_read_is_audited(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    app.small_town().await;
    app.create_care_person(care_person("CARE-001", "V1-A1-M01"))
        .await;

    let people = app.list_care_people(read("", "monthly home visit")).await;
    assert_eq!(people.len(), 1);
    assert_eq!(people[0].name_masked, "王*明");
    assert_eq!(people[0].id_number_masked, "110105********002X");
    assert_eq!(people[0].phone_masked, "139****5678");

    // A resident is turned away at the door (the role matrix) …
    let resident = app.acting_as(Role::Resident, None).await;
    let refused = resident
        .try_list_care_people(read("", "curiosity"))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied);
    // … and a role the matrix lets in but the town has not granted
    // special-care reads is refused, and that refusal is on the trail.
    let officer = app
        .acting_as(Role::DepartmentOfficer, Some("D-CIVIL"))
        .await;
    let refused = officer
        .try_list_care_people(read("", "curiosity"))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied);

    let log = app
        .list_care_access_log(pb::ListCareAccessLogRequest::default())
        .await;
    let entries: Vec<_> = log
        .iter()
        .map(|e| (e.role.as_str(), e.granted, e.records, e.purpose.as_str()))
        .collect();
    assert_eq!(
        entries,
        [
            ("department_officer", false, 0, "curiosity"),
            ("town_operator", true, 1, "monthly home visit")
        ]
    );

    let status = resident
        .try_list_care_access_log(pb::ListCareAccessLogRequest::default())
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied);
}

#[sqlx::test(migrations = false)]
async fn a_read_needs_a_purpose(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let status = app.try_list_care_people(read("", " ")).await.unwrap_err();
    assert_eq!(violated_fields(&status), ["purpose"]);
    assert_eq!(count_rows(&pool, "care_access_log").await, 0);
}

#[sqlx::test(migrations = false)]
async fn village_staff_read_only_their_own_village(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    app.small_town().await;
    app.create_care_person(care_person("CARE-001", "V1-A1-M01"))
        .await;
    app.create_care_person(pb::CreateCarePersonRequest {
        id_number: "310116198001010012".into(),
        ..care_person("CARE-002", "V2-A1-M01")
    })
    .await;

    let staff = app.acting_as(Role::WorkstationStaff, Some("V2")).await;
    let own = staff.list_care_people(read("", "home visit")).await;
    assert_eq!(
        own.iter().map(|p| p.code.as_str()).collect::<Vec<_>>(),
        ["CARE-002"]
    );
    let status = staff
        .try_list_care_people(read("V1", "home visit"))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied);

    let leader = app
        .acting_as(Role::MicroGridLeader, Some("V2-A1-M01"))
        .await;
    assert_eq!(
        leader
            .try_list_care_people(read("", "visit"))
            .await
            .unwrap_err()
            .code(),
        Code::PermissionDenied
    );
    assert_eq!(
        count_rows(&pool, "care_access_log WHERE NOT granted").await,
        2
    );
}

#[sqlx::test(migrations = false)]
async fn id_numbers_are_checked_and_never_registered_twice(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    app.small_town().await;
    let wrong = pb::CreateCarePersonRequest {
        id_number: "110105194912310021".into(),
        category: 0,
        ..care_person("CARE-001", "V1-A1-M01")
    };
    assert_eq!(
        violated_fields(&app.try_create_care_person(wrong).await.unwrap_err()),
        ["id_number", "category"]
    );
    let not_micro = care_person("CARE-001", "V1");
    assert_eq!(
        violated_fields(&app.try_create_care_person(not_micro).await.unwrap_err()),
        ["micro_grid_code"]
    );

    app.create_care_person(care_person("CARE-001", "V1-A1-M01"))
        .await;
    let twice = app
        .try_create_care_person(care_person("CARE-009", "V1-A1-M02"))
        .await
        .unwrap_err();
    assert_eq!(twice.code(), Code::AlreadyExists);
    assert!(twice.message().contains("ID number"));
    assert_eq!(
        count_rows(&pool, "outbox").await,
        9,
        "special-care records publish no events"
    );
}
