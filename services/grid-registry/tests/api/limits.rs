//! Limits before work: the caller's role first, then caps by counting, then
//! the shape's validity check off the async runtime within its budget.

use std::time::{Duration, Instant};

use platform::auth::Role;
use proto::registry::v1 as pb;
use sqlx::PgPool;
use tonic::Code;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_client::HealthClient;

use crate::helpers::*;

/// A closed ring of `n` positions (plus the closing one) round 30.05 N
/// 121.05 E: valid, and cheap for a sweep.
fn circle(n: usize) -> pb::Polygon {
    let mut points: Vec<pb::LatLng> = (0..n)
        .map(|i| {
            let a = i as f64 / n as f64 * std::f64::consts::TAU;
            pb::LatLng {
                lng: 121.075 + 0.01 * a.cos(),
                lat: 30.075 + 0.01 * a.sin(),
            }
        })
        .collect();
    points.push(points[0]);
    pb::Polygon {
        exterior: Some(pb::Ring { points }),
        holes: Vec::new(),
    }
}

/// A valid ring of `n` teeth whose segments all span the same longitudes:
/// the worst case of a sweep by longitude, which compares every pair.
fn comb(n: usize) -> pb::Polygon {
    let y = |i: usize| 30.0 + i as f64 * 1e-6;
    let mut points: Vec<pb::LatLng> = (0..n)
        .map(|i| pb::LatLng {
            lng: if i % 2 == 0 { 121.0 } else { 121.1 },
            lat: y(i),
        })
        .collect();
    let top = y(n) + 0.01;
    let last = points[n - 1].lng;
    points.extend([
        pb::LatLng {
            lng: last,
            lat: top,
        },
        pb::LatLng {
            lng: 120.9,
            lat: top,
        },
        pb::LatLng {
            lng: 120.9,
            lat: y(0),
        },
        points[0],
    ]);
    pb::Polygon {
        exterior: Some(pb::Ring { points }),
        holes: Vec::new(),
    }
}

fn parcel(code: &str, boundary: pb::Polygon) -> pb::CreateObjectRequest {
    pb::CreateObjectRequest {
        code: code.into(),
        name: format!("{code} name"),
        kind: pb::ObjectKind::Farmland.into(),
        geometry: Some(pb::Geometry {
            shape: Some(pb::geometry::Shape::Polygon(boundary)),
        }),
        area_ha: 2.0,
        ..Default::default()
    }
}

#[sqlx::test(migrations = false)]
async fn a_resident_sending_a_huge_polygon_is_refused_in_milliseconds(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    app.small_town().await;
    let huge = circle(40_000);
    for role in [Role::Resident, Role::Member, Role::Reviewer, Role::Service] {
        let caller = app.acting_as(role, None).await;
        // Connected first (the answer itself is the role matrix's).
        let _ = caller.try_list_grids(Default::default()).await;
        let started = Instant::now();
        let status = caller
            .try_create_object(parcel("FARM-0001", huge.clone()))
            .await
            .unwrap_err();
        let took = started.elapsed();
        assert_eq!(status.code(), Code::PermissionDenied, "{role}: {status:?}");
        // A generous bound, not a benchmark: the shape is never looked at.
        assert!(took < Duration::from_millis(200), "{role}: {took:?}");

        let grid = grid_request("V1-A1-M09", pb::GridLevel::Micro, "V1-A1", huge.clone());
        let status = caller.try_create_grid(grid).await.unwrap_err();
        assert_eq!(status.code(), Code::PermissionDenied, "{role}: {status:?}");
        let moved = pb::UpdateGridRequest {
            code: "V1-A1-M01".into(),
            boundary: Some(huge.clone()),
            ..Default::default()
        };
        let status = caller.try_update_grid(moved).await.unwrap_err();
        assert_eq!(status.code(), Code::PermissionDenied, "{role}: {status:?}");
    }
    // Staff without a scope are refused before the shape too.
    let unscoped = app.acting_as(Role::WorkstationStaff, None).await;
    let status = unscoped
        .try_create_object(parcel("FARM-0001", huge))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied);
    assert_eq!(count_rows(&pool, "covered_objects").await, 0);
}

#[sqlx::test(migrations = false)]
async fn the_town_sending_a_polygon_over_the_caps_is_refused_by_counting(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    app.small_town().await;
    let started = Instant::now();
    let status = app
        .try_create_object(parcel("FARM-0001", circle(40_000)))
        .await
        .unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(1));
    assert_eq!(violated_fields(&status), ["geometry"]);
    assert!(
        status.message().contains("at most 10000 positions"),
        "{}",
        status.message()
    );

    let grid = grid_request("V1-A1-M09", pb::GridLevel::Micro, "V1-A1", circle(40_000));
    let status = app.try_create_grid(grid).await.unwrap_err();
    assert_eq!(violated_fields(&status), ["boundary"]);
    let mut holey = rect(121.0, 30.0, 121.05, 30.05);
    holey.holes = vec![rect(121.01, 30.01, 121.011, 30.011).exterior.unwrap(); 100];
    let moved = pb::UpdateGridRequest {
        code: "V1-A1-M01".into(),
        boundary: Some(holey),
        ..Default::default()
    };
    let status = app.try_update_grid(moved).await.unwrap_err();
    assert_eq!(violated_fields(&status), ["boundary"]);
    assert!(
        status.message().contains("at most 100 rings"),
        "{}",
        status.message()
    );

    let long_name = pb::CreateObjectRequest {
        head_name: "周".repeat(501),
        ..parcel("FARM-0002", rect(121.01, 30.01, 121.02, 30.02))
    };
    let status = app.try_create_object(long_name).await.unwrap_err();
    assert!(violated_fields(&status).contains(&"head_name".to_owned()));
    assert_eq!(count_rows(&pool, "covered_objects").await, 0);
}

#[sqlx::test(migrations = false)]
async fn a_large_valid_polygon_from_the_town_is_accepted_well_under_a_second(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.small_town().await;
    let started = Instant::now();
    let parcel = app.create_object(parcel("FARM-0001", circle(9_999))).await;
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(parcel.micro_grid_code, "V2-A1-M02");
}

#[sqlx::test(migrations = false)]
async fn health_answers_while_a_heavy_shape_is_checked(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.small_town().await;
    let mut health = HealthClient::new(app.channel().await);
    health.check(HealthCheckRequest::default()).await.unwrap();

    let heavy = {
        let registry = app.acting_as(Role::TownOperator, None).await;
        tokio::spawn(async move {
            let started = Instant::now();
            let outcome = registry
                .try_create_object(parcel("FARM-0001", comb(9_996)))
                .await;
            (outcome, started.elapsed())
        })
    };
    let mut slowest = Duration::ZERO;
    let mut answered = 0;
    while !heavy.is_finished() {
        let started = Instant::now();
        health.check(HealthCheckRequest::default()).await.unwrap();
        slowest = slowest.max(started.elapsed());
        answered += 1;
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let (outcome, took) = heavy.await.unwrap();
    // Accepted, or refused at the 2 s budget naming the field: never longer.
    match outcome {
        Ok(parcel) => assert_eq!(parcel.code, "FARM-0001"),
        Err(status) => {
            assert_eq!(violated_fields(&status), ["geometry"]);
            assert!(status.message().contains("could not be checked within"));
        }
    }
    assert!(took < Duration::from_secs(3), "{took:?}");
    assert!(answered > 0);
    assert!(
        slowest < Duration::from_millis(200),
        "health took {slowest:?}"
    );
}

#[sqlx::test(migrations = false)]
async fn a_shape_not_checked_within_its_budget_is_refused_naming_the_field(pool: PgPool) {
    let config = test_config(
        &platform::testing::unique_prefix(),
        &[("REGISTRY__LIMITS__GEOMETRY_CHECK_BUDGET", "10ms".to_owned())],
    );
    let app = TestApp::spawn_with(pool.clone(), config).await;
    app.small_town().await;
    let started = Instant::now();
    let status = app
        .try_create_object(parcel("FARM-0001", comb(9_996)))
        .await
        .unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(violated_fields(&status), ["geometry"]);
    assert!(
        status
            .message()
            .contains("could not be checked within 10 ms"),
        "{}",
        status.message()
    );
    let moved = pb::UpdateGridRequest {
        code: "V1-A1-M01".into(),
        boundary: Some(comb(9_996)),
        ..Default::default()
    };
    let status = app.try_update_grid(moved).await.unwrap_err();
    assert_eq!(violated_fields(&status), ["boundary"]);
    assert_eq!(count_rows(&pool, "covered_objects").await, 0);
}

#[sqlx::test(migrations = false)]
async fn pages_and_lists_are_capped_by_configuration(pool: PgPool) {
    let config = test_config(
        &platform::testing::unique_prefix(),
        &[("REGISTRY__LIMITS__MAX_PAGE_SIZE", "5".to_owned())],
    );
    let app = TestApp::spawn_with(pool, config).await;
    app.small_town().await;
    let status = app
        .try_list_grids(pb::ListGridsRequest {
            page_size: 6,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&status), ["page_size"]);
    let first = app.list_grids(pb::ListGridsRequest::default()).await;
    assert_eq!(
        first.grids.len(),
        5,
        "the default page is the cap when smaller"
    );
    assert!(!first.next_page_token.is_empty());

    let status = app
        .try_export_map(pb::ExportMapRequest {
            kinds: vec![pb::ObjectKind::Shop.into(); 1001],
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&status), ["kinds"]);
}
