//! Covered objects: their micro-grid, their rules, and coverage.

use proto::registry::v1 as pb;
use sqlx::PgPool;

use crate::helpers::*;

pub fn point_object(
    code: &str,
    kind: pb::ObjectKind,
    lat: f64,
    lng: f64,
) -> pb::CreateObjectRequest {
    let enterprise = kind == pb::ObjectKind::Enterprise;
    pb::CreateObjectRequest {
        code: code.into(),
        name: format!("{code} name"),
        kind: kind.into(),
        geometry: Some(pb::Geometry {
            shape: Some(pb::geometry::Shape::Point(pb::LatLng { lat, lng })),
        }),
        head_name: if enterprise {
            "周总".into()
        } else {
            String::new()
        },
        head_phone: if enterprise {
            "13512345678".into()
        } else {
            String::new()
        },
        ..Default::default()
    }
}

#[sqlx::test(migrations = false)]
async fn an_object_belongs_to_the_micro_grid_holding_it(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.small_town().await;
    let shop = app
        .create_object(point_object(
            "SHOP-0001",
            pb::ObjectKind::Shop,
            30.07,
            121.07,
        ))
        .await;
    assert_eq!(shop.micro_grid_code, "V2-A1-M02");

    let river = pb::CreateObjectRequest {
        code: "RIV-001".into(),
        name: "山塘河".into(),
        kind: pb::ObjectKind::River.into(),
        geometry: Some(pb::Geometry {
            shape: Some(pb::geometry::Shape::Line(pb::Ring {
                points: vec![
                    pb::LatLng {
                        lat: 30.01,
                        lng: 121.01,
                    },
                    pb::LatLng {
                        lat: 30.03,
                        lng: 121.03,
                    },
                ],
            })),
        }),
        ..Default::default()
    };
    let river = app.create_object(river).await;
    assert_eq!(
        river.micro_grid_code, "V1-A1-M01",
        "a line belongs where its middle lies"
    );

    let listed = app
        .list_objects(pb::ListObjectsRequest {
            grid_code: "V2".into(),
            ..Default::default()
        })
        .await;
    assert_eq!(
        listed
            .objects
            .iter()
            .map(|o| o.code.as_str())
            .collect::<Vec<_>>(),
        ["SHOP-0001"]
    );
}

#[sqlx::test(migrations = false)]
async fn an_enterprise_names_its_head_and_only_enterprises_are_high_risk(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.small_town().await;
    let enterprise = || point_object("ENT-0001", pb::ObjectKind::Enterprise, 30.02, 121.02);
    let headless = pb::CreateObjectRequest {
        head_name: String::new(),
        head_phone: "123".into(),
        ..enterprise()
    };
    assert_eq!(
        violated_fields(&app.try_create_object(headless).await.unwrap_err()),
        ["head_name", "head_phone"]
    );

    let risky_shop = pb::CreateObjectRequest {
        high_risk: true,
        area_ha: 3.0,
        ..point_object("SHOP-0001", pb::ObjectKind::Shop, 30.02, 121.02)
    };
    assert_eq!(
        violated_fields(&app.try_create_object(risky_shop).await.unwrap_err()),
        ["high_risk", "area_ha"]
    );

    let created = app
        .create_object(pb::CreateObjectRequest {
            high_risk: true,
            ..enterprise()
        })
        .await;
    assert!(created.high_risk);
    assert_eq!(created.head_phone_masked, "135****5678");
}

fn boundary(code: &str, boundary: pb::Polygon) -> pb::UpdateGridRequest {
    pb::UpdateGridRequest {
        code: code.into(),
        boundary: Some(boundary),
        ..Default::default()
    }
}

#[sqlx::test(migrations = false)]
async fn objects_outside_every_micro_grid_show_in_the_coverage_report_until_covered(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.small_town().await;
    let outside = app
        .create_object(point_object(
            "GP-0001",
            pb::ObjectKind::GarbagePoint,
            30.05,
            121.15,
        ))
        .await;
    assert_eq!(outside.micro_grid_code, "");
    let report = app.coverage("").await;
    assert_eq!(
        report
            .uncovered_objects
            .iter()
            .map(|o| o.code.as_str())
            .collect::<Vec<_>>(),
        ["GP-0001"]
    );

    // The town grows east; a new micro-grid there takes the garbage point in.
    app.update_grid(boundary("LX", rect(121.0, 30.0, 121.2, 30.1)))
        .await;
    app.update_grid(boundary("V2", rect(121.05, 30.0, 121.2, 30.1)))
        .await;
    app.update_grid(boundary("V2-A1", rect(121.05, 30.0, 121.2, 30.1)))
        .await;
    app.create_grid(grid_request(
        "V2-A1-M03",
        pb::GridLevel::Micro,
        "V2-A1",
        rect(121.1, 30.0, 121.2, 30.1),
    ))
    .await;
    let report = app.coverage("").await;
    assert!(
        report.uncovered_objects.is_empty(),
        "{:?}",
        report.uncovered_objects
    );
    assert_eq!(app.object("GP-0001").await.micro_grid_code, "V2-A1-M03");
}
