//! CreateGrid and UpdateGrid: every invariant refused with the field named.

use platform::auth::Role;
use proto::registry::v1 as pb;
use proto::registry::v1::GridLevel::*;
use sqlx::PgPool;
use tonic::Code;

use crate::helpers::*;

#[sqlx::test(migrations = false)]
async fn a_valid_town_is_created_level_by_level(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    app.small_town().await;

    let micro = app.grid("V1-A1-M01").await;
    let grid = micro.grid.unwrap();
    assert_eq!(grid.level(), Micro);
    assert_eq!(grid.households, 30);
    assert_eq!(grid.parent_code, "V1-A1");
    let ancestors: Vec<_> = micro.ancestors.iter().map(|a| a.code.as_str()).collect();
    assert_eq!(ancestors, ["LX", "V1", "V1-A1"]);
    assert_eq!(count_rows(&pool, "grids").await, 9);
    assert_eq!(
        count_rows(&pool, "outbox WHERE subject = 'registry.grid.created'").await,
        9
    );
}

#[sqlx::test(migrations = false)]
async fn a_child_must_sit_one_level_below_its_parent(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.small_town().await;
    let status = app
        .try_create_grid(grid_request(
            "V1-M09",
            Micro,
            "V1",
            rect(121.0, 30.0, 121.01, 30.01),
        ))
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&status), ["parent_code"]);
    assert!(status.message().contains("AREA"), "{}", status.message());
}

#[sqlx::test(migrations = false)]
async fn a_micro_grid_needs_20_to_50_households_and_a_party_group(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    app.small_town().await;
    let m03 = || {
        grid_request(
            "V1-A1-M03",
            Micro,
            "V1-A1",
            rect(121.0, 30.0, 121.01, 30.01),
        )
    };
    for households in [19, 51] {
        let request = pb::CreateGridRequest {
            households,
            ..m03()
        };
        let status = app.try_create_grid(request).await.unwrap_err();
        assert_eq!(
            violated_fields(&status),
            ["households"],
            "{households} households"
        );
    }
    let without_party_group = pb::CreateGridRequest {
        party_group: String::new(),
        ..m03()
    };
    assert_eq!(
        violated_fields(&app.try_create_grid(without_party_group).await.unwrap_err()),
        ["party_group"]
    );
    assert_eq!(
        count_rows(&pool, "grids").await,
        9,
        "nothing refused was written"
    );
}

#[sqlx::test(migrations = false)]
async fn codes_are_unique(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.small_town().await;
    let status = app
        .try_create_grid(grid_request(
            "V2",
            Village,
            "LX",
            rect(121.0, 30.0, 121.01, 30.01),
        ))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::AlreadyExists, "{status:?}");
    assert!(status.message().contains("V2"));
}

#[sqlx::test(migrations = false)]
async fn boundaries_must_be_closed_and_not_self_intersecting(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let mut open = rect(121.0, 30.0, 121.1, 30.1);
    open.exterior.as_mut().unwrap().points.pop();
    let status = app
        .try_create_grid(grid_request("LX", Town, "", open))
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&status), ["boundary.exterior"]);
    assert!(status.message().contains("closed"));

    let bow_tie = pb::Polygon {
        exterior: Some(pb::Ring {
            points: [
                (121.0, 30.0),
                (121.1, 30.1),
                (121.1, 30.0),
                (121.0, 30.1),
                (121.0, 30.0),
            ]
            .iter()
            .map(|&(lng, lat)| pb::LatLng { lat, lng })
            .collect(),
        }),
        holes: vec![],
    };
    let status = app
        .try_create_grid(grid_request("LX", Town, "", bow_tie))
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&status), ["boundary"]);
    assert!(
        status.message().contains("self-intersection"),
        "{}",
        status.message()
    );
}

#[sqlx::test(migrations = false)]
async fn a_child_must_lie_within_its_parent(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.small_town().await;
    // V1-A1 spans 121.00–121.05; this micro-grid spills 0.01° east of it.
    let status = app
        .try_create_grid(grid_request(
            "V1-A1-M03",
            Micro,
            "V1-A1",
            rect(121.04, 30.0, 121.06, 30.01),
        ))
        .await
        .unwrap_err();
    // It also overlaps its sibling V1-A1-M01: both are named.
    assert_eq!(violated_fields(&status), ["boundary", "boundary"]);
    assert!(
        status.message().contains("within the parent V1-A1"),
        "{}",
        status.message()
    );
    assert!(
        status
            .message()
            .contains("must not overlap sibling V1-A1-M01"),
        "{}",
        status.message()
    );
}

#[sqlx::test(migrations = false)]
async fn siblings_must_not_overlap(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.create_grid(grid_request("LX", Town, "", rect(121.0, 30.0, 121.1, 30.1)))
        .await;
    app.create_grid(grid_request(
        "V1",
        Village,
        "LX",
        rect(121.0, 30.0, 121.05, 30.1),
    ))
    .await;
    // Sharing the border at 121.05 is fine; reaching over it is not.
    app.create_grid(grid_request(
        "V2",
        Village,
        "LX",
        rect(121.05, 30.0, 121.1, 30.05),
    ))
    .await;
    let status = app
        .try_create_grid(grid_request(
            "V3",
            Residential,
            "LX",
            rect(121.04, 30.05, 121.1, 30.1),
        ))
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&status), ["boundary"]);
    assert!(
        status.message().contains("must not overlap sibling V1"),
        "{}",
        status.message()
    );
}

fn update(code: &str) -> pb::UpdateGridRequest {
    pb::UpdateGridRequest {
        code: code.into(),
        ..Default::default()
    }
}

#[sqlx::test(migrations = false)]
async fn an_update_obeys_the_same_rules_and_guards_its_version(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.small_town().await;
    let overlapping = pb::UpdateGridRequest {
        boundary: Some(rect(121.0, 30.0, 121.05, 30.06)),
        ..update("V1-A1-M01")
    };
    let status = app.try_update_grid(overlapping).await.unwrap_err();
    assert!(
        status.message().contains("sibling V1-A1-M02"),
        "{}",
        status.message()
    );

    let households = pb::UpdateGridRequest {
        households: Some(60),
        ..update("V1-A1-M01")
    };
    assert_eq!(
        violated_fields(&app.try_update_grid(households).await.unwrap_err()),
        ["households"]
    );

    let renamed = pb::UpdateGridRequest {
        expected_version: 1,
        name: Some("中华村第1微网格".into()),
        ..update("V1-A1-M01")
    };
    let grid = app.update_grid(renamed.clone()).await;
    assert_eq!((grid.name.as_str(), grid.version), ("中华村第1微网格", 2));
    let stale = app.try_update_grid(renamed).await.unwrap_err();
    assert_eq!(stale.code(), Code::FailedPrecondition, "{stale:?}");

    let shrink_parent = pb::UpdateGridRequest {
        boundary: Some(rect(121.0, 30.0, 121.05, 30.09)),
        ..update("V1-A1")
    };
    let status = app.try_update_grid(shrink_parent).await.unwrap_err();
    assert!(
        status
            .message()
            .contains("would leave child V1-A1-M02 outside"),
        "{}",
        status.message()
    );
}

#[sqlx::test(migrations = false)]
async fn village_staff_change_only_their_own_village(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.small_town().await;
    let staff = app.acting_as(Role::WorkstationStaff, Some("V1")).await;

    // Allowed in V1 (then refused only for overlapping V1-A1), denied in V2.
    let own_village = staff
        .try_create_grid(grid_request(
            "V1-A2",
            Area,
            "V1",
            rect(121.0, 30.0, 121.01, 30.01),
        ))
        .await;
    assert_eq!(own_village.unwrap_err().code(), Code::InvalidArgument);
    let other_village = staff
        .try_create_grid(grid_request(
            "V2-A2",
            Area,
            "V2",
            rect(121.05, 30.0, 121.06, 30.01),
        ))
        .await;
    assert_eq!(other_village.unwrap_err().code(), Code::PermissionDenied);
    let own = pb::UpdateGridRequest {
        households: Some(44),
        ..update("V1-A1-M01")
    };
    assert_eq!(staff.update_grid(own).await.households, 44);

    let other = pb::UpdateGridRequest {
        households: Some(44),
        ..update("V2-A1-M01")
    };
    let status = staff.try_update_grid(other).await.unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied, "{status:?}");
    assert!(status.message().contains("inside V1"));

    let resident = app.acting_as(Role::Resident, None).await;
    let status = resident
        .try_update_grid(pb::UpdateGridRequest {
            households: Some(40),
            ..update("V1-A1-M01")
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied);
    // Reading is for the town's own people and services, not residents
    // (docs/authorization.md); a member reads another village's grid.
    let status = resident.try_grid("V2").await.unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied);
    assert!(
        status.message().contains("may not call GetGrid"),
        "{status:?}"
    );
    let member = app.acting_as(Role::Member, Some("V1-A1-M01")).await;
    member.grid("V2").await;
}

#[sqlx::test(migrations = false)]
async fn the_same_idempotency_key_does_the_work_once(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let mut request = grid_request("LX", Town, "", rect(121.0, 30.0, 121.1, 30.1));
    request.idempotency_key = "create-lx-1".into();
    let first = app.create_grid(request.clone()).await;
    let second = app.create_grid(request.clone()).await;
    assert_eq!(first, second);
    assert_eq!(count_rows(&pool, "grids").await, 1);
    assert_eq!(count_rows(&pool, "outbox").await, 1);

    request.name = "another name".into();
    let status = app.try_create_grid(request).await.unwrap_err();
    assert_eq!(status.code(), Code::FailedPrecondition);
    assert!(status.message().contains("create-lx-1"));
}

#[sqlx::test(migrations = false)]
async fn grids_are_listed_a_page_at_a_time(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.small_town().await;
    let mut codes = Vec::new();
    let mut token = String::new();
    loop {
        let page = app
            .list_grids(pb::ListGridsRequest {
                level: Micro.into(),
                page_size: 3,
                page_token: token,
                without_boundaries: true,
                ..Default::default()
            })
            .await;
        codes.extend(page.grids.iter().map(|g| g.code.clone()));
        assert!(page.grids.iter().all(|g| g.boundary.is_none()));
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    assert_eq!(codes, ["V1-A1-M01", "V1-A1-M02", "V2-A1-M01", "V2-A1-M02"]);
}
