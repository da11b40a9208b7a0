//! The Langxia data set, loaded through the registry's public API exactly as
//! `make run` loads it, holds together: every figure lands, every
//! micro-grid resolves its own interior, every object finds its micro-grid,
//! and loading again changes nothing.

use grid_registry::testing::TestApp;
use proto::registry::v1 as pb;
use sqlx::PgPool;

async fn count(pool: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned()))
        .fetch_one(pool)
        .await
        .unwrap()
}

#[sqlx::test(migrations = false)]
async fn the_langxia_data_set_loads_through_the_api_and_holds_together(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let mut client = app.operator().await;
    let town = langxia::generate();

    let report = weigrid_cli::load::load(&client, &town)
        .await
        .expect("the data set is valid");
    assert_eq!(
        (
            report.grids,
            report.members,
            report.objects,
            report.care_people
        ),
        (214, 683, 1180, 296),
        "{report:?}"
    );
    assert_eq!(
        count(&pool, "SELECT count(*) FROM grids WHERE level = 'MICRO'").await,
        165
    );
    assert_eq!(
        count(
            &pool,
            "SELECT count(*) FROM members WHERE role IN ('LEADER', 'PARTY_INSTRUCTOR', 'MEMBER')"
        )
        .await,
        637
    );
    assert_eq!(
        count(
            &pool,
            "SELECT count(*) FROM covered_objects WHERE kind = 'RIVER'"
        )
        .await,
        168
    );
    assert_eq!(
        count(
            &pool,
            "SELECT count(*) FROM covered_objects WHERE kind = 'ROAD'"
        )
        .await,
        447
    );
    assert_eq!(
        count(
            &pool,
            "SELECT count(*) FROM covered_objects WHERE kind = 'ENTERPRISE' AND high_risk"
        )
        .await,
        26
    );

    let coverage = client
        .get_coverage_report(pb::GetCoverageReportRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(coverage.micro_grids, 165);
    assert!(coverage.gaps.is_empty(), "{:?}", coverage.gaps);
    assert!(
        coverage.uncovered_objects.is_empty(),
        "{:?}",
        coverage.uncovered_objects
    );

    for grid in town
        .grids
        .iter()
        .filter(|g| g.level == langxia::Level::Micro)
    {
        let ring = &grid.boundary[..grid.boundary.len() - 1];
        let (lng, lat) = ring.iter().fold((0.0, 0.0), |(x, y), p| (x + p.0, y + p.1));
        let (lng, lat) = (lng / ring.len() as f64, lat / ring.len() as f64);
        let resolved = client
            .resolve_location(pb::ResolveLocationRequest {
                location: Some(pb::LatLng { lat, lng }),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(resolved.micro_grid.unwrap().code, grid.code);
        assert_eq!(
            resolved.ancestors.len(),
            3,
            "town, workstation and area above {}",
            grid.code
        );
    }
    for object in town
        .objects
        .iter()
        .filter(|o| matches!(o.geometry, langxia::Geometry::Point(_)))
    {
        let stored = client
            .get_object(pb::GetObjectRequest {
                code: object.code.clone(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner()
            .object
            .unwrap();
        assert_eq!(
            stored.micro_grid_code, object.micro_grid_code,
            "{}",
            object.code
        );
    }

    let rows_before = count(&pool, "SELECT (SELECT count(*) FROM grids) + (SELECT count(*) FROM members) + (SELECT count(*) FROM covered_objects) + (SELECT count(*) FROM care_people)").await;
    weigrid_cli::load::load(&client, &town)
        .await
        .expect("loading again is harmless");
    let rows_after = count(&pool, "SELECT (SELECT count(*) FROM grids) + (SELECT count(*) FROM members) + (SELECT count(*) FROM covered_objects) + (SELECT count(*) FROM care_people)").await;
    assert_eq!(rows_before, rows_after, "a second load writes nothing new");
}
