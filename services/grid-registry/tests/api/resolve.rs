//! ResolveLocation: inside, on a shared border, outside.

use proto::registry::v1 as pb;
use sqlx::PgPool;
use tonic::Code;

use crate::helpers::*;

#[sqlx::test(migrations = false)]
async fn a_point_inside_names_its_micro_grid_and_ancestors(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.small_town().await;
    let resolved = app.resolve_location(at(30.07, 121.02)).await;
    assert_eq!(resolved.micro_grid.unwrap().code, "V1-A1-M02");
    let ancestors: Vec<_> = resolved.ancestors.iter().map(|a| a.code.as_str()).collect();
    assert_eq!(ancestors, ["LX", "V1", "V1-A1"]);
    assert!(resolved.also_on_border.is_empty());
}

#[sqlx::test(migrations = false)]
async fn a_point_on_a_shared_border_names_one_grid_and_the_neighbour(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.small_town().await;
    // 121.05 E is the border between V1 and V2; 30.02 N is inside both M01s.
    let resolved = app.resolve_location(at(30.02, 121.05)).await;
    assert_eq!(resolved.micro_grid.unwrap().code, "V1-A1-M01");
    let others: Vec<_> = resolved
        .also_on_border
        .iter()
        .map(|g| g.code.as_str())
        .collect();
    assert_eq!(others, ["V2-A1-M01"]);
}

#[sqlx::test(migrations = false)]
async fn a_point_outside_is_not_found_naming_the_nearest_grid(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.small_town().await;
    // 0.01° east of the town at 30.07 N: about 960 m from V2-A1-M02.
    let status = app
        .try_resolve_location(at(30.07, 121.11))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
    assert!(
        status.message().contains("nearest is V2-A1-M02"),
        "{}",
        status.message()
    );
    let metres: f64 = status
        .message()
        .split(", ")
        .last()
        .and_then(|s| s.split(" m away").next())
        .and_then(|s| s.parse().ok())
        .expect("the message names the distance");
    assert!((900.0..1_000.0).contains(&metres), "{metres}");
}

#[sqlx::test(migrations = false)]
async fn a_location_out_of_range_names_the_field(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let status = app.try_resolve_location(at(95.0, 121.0)).await.unwrap_err();
    assert_eq!(violated_fields(&status), ["location.lat"]);
    let status = app
        .try_resolve_location(pb::ResolveLocationRequest { location: None })
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&status), ["location"]);
}
