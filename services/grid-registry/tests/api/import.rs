//! ImportGeoJson: a dry run lists every invalid feature; a real import is
//! all or nothing. ExportMap writes what ImportGeoJson reads.

use proto::registry::v1 as pb;
use serde_json::{Value, json};
use sqlx::PgPool;
use tonic::Code;

use crate::helpers::*;

fn square(x0: f64, y0: f64, x1: f64, y1: f64) -> Value {
    json!({ "type": "Polygon", "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]] })
}

fn grid(code: &str, level: &str, parent: Option<&str>, geometry: Value) -> Value {
    let mut properties = json!({ "type": "grid", "code": code, "name": code, "level": level, "parent_code": parent });
    if level == "MICRO" {
        properties["households"] = json!(35);
        properties["party_group"] = json!(format!("{code} 党小组"));
    }
    json!({ "type": "Feature", "geometry": geometry, "properties": properties })
}

fn town_features() -> Vec<Value> {
    vec![
        grid("LX", "TOWN", None, square(121.0, 30.0, 121.1, 30.1)),
        grid(
            "V1",
            "VILLAGE",
            Some("LX"),
            square(121.0, 30.0, 121.1, 30.1),
        ),
        grid(
            "V1-A1",
            "AREA",
            Some("V1"),
            square(121.0, 30.0, 121.1, 30.1),
        ),
        grid(
            "V1-A1-M01",
            "MICRO",
            Some("V1-A1"),
            square(121.0, 30.0, 121.05, 30.1),
        ),
        json!({
            "type": "Feature",
            "geometry": { "type": "Point", "coordinates": [121.02, 30.02] },
            "properties": { "type": "object", "code": "SHOP-0001", "name": "小卖部", "kind": "SHOP" },
        }),
    ]
}

fn collection(features: Vec<Value>) -> String {
    json!({ "type": "FeatureCollection", "features": features }).to_string()
}

fn import(features: Vec<Value>, dry_run: bool) -> pb::ImportGeoJsonRequest {
    pb::ImportGeoJsonRequest {
        geojson: collection(features),
        dry_run,
        ..Default::default()
    }
}

#[sqlx::test(migrations = false)]
async fn a_dry_run_lists_every_invalid_feature_by_index_and_changes_nothing(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let mut features = town_features();
    let mut bad_households = grid(
        "V1-A1-M02",
        "MICRO",
        Some("V1-A1"),
        square(121.05, 30.0, 121.1, 30.1),
    );
    bad_households["properties"]["households"] = json!(12);
    features.push(bad_households);
    features.push(grid(
        "V1-A1-M03",
        "MICRO",
        Some("V1-A1"),
        square(121.04, 30.0, 121.06, 30.05),
    ));
    features.push(grid(
        "V9-A1-M01",
        "MICRO",
        Some("V9-A1"),
        square(121.0, 30.0, 121.01, 30.01),
    ));
    features.push(json!({ "type": "Feature", "geometry": { "type": "Point", "coordinates": [121.0, 30.0] }, "properties": { "type": "camera" } }));

    let report = app.import_geo_json(import(features.clone(), true)).await;
    let errors: Vec<_> = report
        .errors
        .iter()
        .map(|e| (e.index, e.field.as_str()))
        .collect();
    assert_eq!(
        errors,
        [
            (5, "features[5].properties.households"),
            (6, "features[6].geometry"),
            (7, "features[7].properties.parent_code"),
            (8, "features[8].properties.type"),
        ]
    );
    assert!(
        report.errors[1]
            .reason
            .contains("must not overlap sibling V1-A1-M01"),
        "{}",
        report.errors[1].reason
    );
    assert_eq!(count_rows(&pool, "grids").await, 0);

    let status = app
        .try_import_geo_json(import(features, false))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(violated_fields(&status).len(), 4);
    assert_eq!(
        count_rows(&pool, "grids").await,
        0,
        "a refused import writes nothing"
    );
    assert_eq!(count_rows(&pool, "covered_objects").await, 0);
    assert_eq!(count_rows(&pool, "outbox").await, 0);
}

#[sqlx::test(migrations = false)]
async fn a_valid_import_commits_everything_and_the_export_reads_back(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let imported = app.import_geo_json(import(town_features(), false)).await;
    assert_eq!((imported.grids, imported.objects), (4, 1));
    assert_eq!(count_rows(&pool, "outbox").await, 5);
    let resolved = app.resolve_location(at(30.02, 121.02)).await;
    assert_eq!(resolved.micro_grid.unwrap().code, "V1-A1-M01");
    assert_eq!(app.object("SHOP-0001").await.micro_grid_code, "V1-A1-M01");

    let exported = app
        .export_map(pb::ExportMapRequest {
            levels: vec![pb::GridLevel::Micro.into()],
            include_all_objects: true,
            ..Default::default()
        })
        .await;
    assert_eq!(exported.features, 2);
    let map: Value = serde_json::from_str(&exported.geojson).unwrap();
    assert_eq!(map["features"][0]["properties"]["code"], "V1-A1-M01");
    assert_eq!(
        map["features"][1]["properties"]["micro_grid_code"],
        "V1-A1-M01"
    );

    // Importing the same features again finds every code taken.
    let again = app.import_geo_json(import(town_features(), true)).await;
    assert_eq!(again.errors.len(), 5);
}

#[sqlx::test(migrations = false)]
async fn malformed_geojson_names_the_field(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let status = app
        .try_import_geo_json(pb::ImportGeoJsonRequest {
            geojson: "{\"type\": \"Point\"".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&status), ["geojson"]);
}
