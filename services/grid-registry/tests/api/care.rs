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

fn trail_with_changes() -> pb::ListCareAccessLogRequest {
    pb::ListCareAccessLogRequest {
        include_changes: true,
        ..Default::default()
    }
}

#[sqlx::test(migrations = false)]
async fn a_registration_is_audited_masked_in_the_trail_of_reads(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    app.small_town().await;
    let staff = app.acting_as(Role::WorkstationStaff, Some("V1")).await;
    staff
        .create_care_person(care_person("CARE-001", "V1-A1-M01"))
        .await;

    let trail = app.list_care_access_log(trail_with_changes()).await;
    assert_eq!(trail.len(), 1);
    let entry = &trail[0];
    assert_eq!(
        (
            entry.action.as_str(),
            entry.subject.as_str(),
            entry.role.as_str(),
            entry.grid_code.as_str(),
            entry.person_code.as_str(),
            entry.id_number_masked.as_str(),
            entry.granted,
            entry.records,
        ),
        (
            "CREATE",
            "test-workstation_staff",
            "workstation_staff",
            "V1-A1-M01",
            "CARE-001",
            "110105********002X",
            true,
            1
        )
    );
    assert_eq!(entry.at, Some(convert_time(start_time())));
    // Nothing in the trail holds the ID number, the name or the phone whole.
    let stored: Vec<String> =
        sqlx::query_scalar("SELECT row_to_json(l)::text FROM care_access_log l")
            .fetch_all(&pool)
            .await
            .unwrap();
    for row in &stored {
        for whole in ["11010519491231002X", "王小明", "13912345678"] {
            assert!(!row.contains(whole), "{row}");
        }
    }
    // The trail of reads alone, as before, holds no registration.
    assert!(
        app.list_care_access_log(Default::default())
            .await
            .is_empty()
    );
}

fn convert_time(at: chrono::DateTime<chrono::Utc>) -> prost_types::Timestamp {
    grid_registry::convert::timestamp(at)
}

#[sqlx::test(migrations = false)]
async fn a_registered_id_number_is_not_revealed_to_callers_without_the_care_role(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    app.small_town().await;
    app.create_care_person(care_person("CARE-001", "V1-A1-M01"))
        .await;
    let registered = care_person("CARE-002", "V1-A1-M01"); // same ID number
    let fresh = pb::CreateCarePersonRequest {
        id_number: "310116198001010012".into(),
        ..care_person("CARE-003", "V1-A1-M01")
    };
    for (role, scope) in [
        (Role::Resident, None),
        (Role::Member, Some("V1-A1-M01")),
        (Role::MicroGridLeader, Some("V1-A1-M01")),
        (Role::DepartmentOfficer, None),
        (Role::Reviewer, None),
        (Role::Service, None),
    ] {
        let caller = app.acting_as(role, scope).await;
        let on_registered = caller
            .try_create_care_person(registered.clone())
            .await
            .unwrap_err();
        let on_fresh = caller
            .try_create_care_person(fresh.clone())
            .await
            .unwrap_err();
        assert_eq!(on_registered.code(), Code::PermissionDenied, "{role}");
        assert_eq!(
            (on_registered.code(), on_registered.message()),
            (on_fresh.code(), on_fresh.message()),
            "{role}: the same answer whether the ID number is registered or not"
        );
    }
    // Staff of another village hold the care role but not the place: the
    // place is checked before the ID number.
    let other_village = app.acting_as(Role::WorkstationStaff, Some("V2")).await;
    let status = other_village
        .try_create_care_person(registered.clone())
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied);

    // A care-role caller in place hears ALREADY_EXISTS, without the number.
    let own_village = app.acting_as(Role::WorkstationStaff, Some("V1")).await;
    let status = own_village
        .try_create_care_person(registered)
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::AlreadyExists);
    assert!(
        status.message().contains("ID number"),
        "{}",
        status.message()
    );
    assert!(!status.message().contains("11010519491231002X"));
    assert!(!status.message().contains("002X"));

    // The six roles without write access are turned away by the role
    // matrix before the service looks at anything (the platform's access
    // line records each); the two refusals the use case made — staff of
    // another village, a registered number — are in the trail.
    let refused: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM care_access_log WHERE action = 'CREATE' AND NOT granted",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(refused, 2);
    assert_eq!(count_rows(&pool, "care_people").await, 1);
}

#[sqlx::test(migrations = false)]
async fn the_audit_trail_is_append_only_and_outlives_housekeeping(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    app.small_town().await;
    app.create_care_person(care_person("CARE-001", "V1-A1-M01"))
        .await;
    app.list_care_people(read("", "monthly home visit")).await;
    assert_eq!(count_rows(&pool, "care_access_log").await, 2);

    for statement in [
        "UPDATE care_access_log SET granted = false",
        "UPDATE care_access_log SET purpose = 'nothing to see'",
        "DELETE FROM care_access_log",
        "TRUNCATE care_access_log",
    ] {
        let err = sqlx::query(statement).execute(&pool).await.unwrap_err();
        assert!(
            err.to_string().contains("append-only"),
            "{statement}: {err}"
        );
    }
    // Housekeeping purges the platform's bookkeeping, never the trail, even
    // with nothing kept.
    let nothing_kept = platform::config::RetentionConfig {
        outbox: std::time::Duration::ZERO,
        inbox: std::time::Duration::ZERO,
        idempotency_keys: std::time::Duration::ZERO,
    };
    platform::housekeeping::purge(&pool, &nothing_kept)
        .await
        .unwrap();
    assert_eq!(count_rows(&pool, "care_access_log").await, 2);
    let granted: i64 = sqlx::query_scalar("SELECT count(*) FROM care_access_log WHERE granted")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(granted, 2);
}
