//! The overview map's layers over HTTP: the registry's covered objects and
//! video ingest's cameras, each within the staff member's scope.

use platform::auth::Role;
use proto::registry::v1 as registry;
use reqwest::StatusCode;
use sqlx::PgPool;
use video_ingest::testing::camera_request;

use crate::helpers::TestEdge;

/// A shop at a point inside micro-grid `grid` (the small town's V1-A1-M01
/// lies west of 121.05 E, V2's east of it).
fn shop(code: &str, lng: f64) -> registry::CreateObjectRequest {
    registry::CreateObjectRequest {
        idempotency_key: format!("object-{code}"),
        code: code.into(),
        name: format!("{code} 小店"),
        kind: registry::ObjectKind::Shop.into(),
        geometry: Some(registry::Geometry {
            shape: Some(registry::geometry::Shape::Point(registry::LatLng {
                lat: 30.02,
                lng,
            })),
        }),
        ..Default::default()
    }
}

#[sqlx::test(migrations = false)]
async fn edge_map_layers_show_objects_and_cameras_within_the_callers_scope(pool: PgPool) {
    let test = TestEdge::spawn(pool).await;
    test.video
        .put_device(camera_request(
            "31011611001320000021",
            "31011611001310000021",
        ))
        .await;
    let mut registry = test
        .dispatch
        .registry
        .as_ref()
        .expect("a registry beside dispatch")
        .client_as(Role::TownOperator, None);
    for (code, lng) in [("SHOP-W", 121.02), ("SHOP-E", 121.07)] {
        registry.create_object(shop(code, lng)).await.unwrap();
    }

    let layers = |role: &'static str, scope: &'static str| {
        let test = &test;
        async move {
            let cookie = test.staff(role, scope).await;
            let answer = test.get_console(&cookie, "/console/api/map/layers").await;
            assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
            let codes = |layer: &str, key: &str| -> Vec<String> {
                let mut codes: Vec<String> = answer.body[layer]
                    .as_array()
                    .expect("a layer")
                    .iter()
                    .filter_map(|p| p[key].as_str().map(str::to_owned))
                    .collect();
                codes.sort();
                codes
            };
            (
                codes("objects", "code"),
                codes("cameras", "channel_id"),
                answer.body.clone(),
            )
        }
    };
    let (objects, cameras, town) = layers("town_operator", "").await;
    assert_eq!(objects, ["SHOP-E", "SHOP-W"]);
    assert_eq!(cameras, ["31011611001310000021"]);
    assert_eq!(town["cameras"][0]["grid_code"], "V1-A1-M01");
    assert_eq!(town["objects"][0]["kind"], "shop");

    let (objects, cameras, _) = layers("workstation_staff", "V1").await;
    assert_eq!(
        (objects, cameras),
        (
            vec!["SHOP-W".to_owned()],
            vec!["31011611001310000021".to_owned()]
        )
    );
    let (objects, cameras, east) = layers("workstation_staff", "V2").await;
    assert_eq!(objects, ["SHOP-E"], "the other village's own only");
    assert!(cameras.is_empty(), "no camera of V1 for V2: {east}");
    assert_eq!(east["scope"], "V2");

    // A reviewer has neither layer: shown as not shown, not as empty.
    let (_, _, reviewer) = layers("reviewer", "").await;
    assert_eq!(
        (
            reviewer["objects_shown"].clone(),
            reviewer["cameras_shown"].clone()
        ),
        (serde_json::json!(false), serde_json::json!(false))
    );
    test.cleanup().await;
}
