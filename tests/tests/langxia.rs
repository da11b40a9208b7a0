//! The Langxia data set, loaded through the registry's public API exactly as
//! `make run` loads it, holds together: every figure lands, every
//! micro-grid resolves its own interior, every object finds its micro-grid,
//! loading again changes nothing, and a load interrupted part-way is
//! completed by the next one.

use std::collections::BTreeSet;
use std::future::Future;
use std::time::Duration;

use grid_registry::testing::TestApp;
use proto::registry::v1 as pb;
use sqlx::PgPool;
use weigrid_cli::load::{LoadReport, Tally};

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
            report.grids.added,
            report.members.added,
            report.objects.added,
            report.care_people.added
        ),
        (214, 683, 1180, 296),
        "{report:?}"
    );
    assert_eq!(report.already_present(), 0, "{report:?}");
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

    assert_every_micro_grid_is_staffed_and_every_object_covered(&mut client).await;

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
    let again = weigrid_cli::load::load(&client, &town)
        .await
        .expect("loading again is harmless");
    let rows_after = count(&pool, "SELECT (SELECT count(*) FROM grids) + (SELECT count(*) FROM members) + (SELECT count(*) FROM covered_objects) + (SELECT count(*) FROM care_people)").await;
    assert_eq!(rows_before, rows_after, "a second load writes nothing new");
    assert_eq!(again.added(), 0, "{again:?}");
    assert_eq!(again.members.present, 683, "{again:?}");
    assert!(
        again
            .summary()
            .starts_with("the Langxia data set is complete"),
        "{}",
        again.summary()
    );
}

/// The coverage report of the whole town: 165 micro-grids, none lacking a
/// leader, a party instructor or a member, no object outside them.
async fn assert_every_micro_grid_is_staffed_and_every_object_covered(
    client: &mut grid_registry::testing::Client,
) {
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
}

/// Waits until `check` holds, polling every few milliseconds, for at most
/// `timeout`.
async fn eventually<F: Future<Output = bool>>(timeout: Duration, mut check: impl FnMut() -> F) {
    let deadline = tokio::time::Instant::now() + timeout;
    while !check().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "not within {timeout:?}"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Starts loading `town` in a task and aborts it, as Ctrl-C would, once
/// `sql` counts at least `rows`.
async fn interrupted_load(
    client: &grid_registry::testing::Client,
    town: &langxia::Town,
    pool: &PgPool,
    sql: &str,
    rows: i64,
) {
    let load = tokio::spawn({
        let (client, town) = (client.clone(), town.clone());
        async move { weigrid_cli::load::load(&client, &town).await }
    });
    eventually(Duration::from_secs(120), || async {
        count(pool, sql).await >= rows
    })
    .await;
    load.abort();
    let outcome = load.await;
    assert!(
        outcome.as_ref().is_err_and(|e| e.is_cancelled()),
        "the load ended before it was interrupted: {outcome:?}"
    );
}

fn codes<'a>(codes: impl Iterator<Item = &'a String>) -> BTreeSet<String> {
    codes.cloned().collect()
}

async fn stored(pool: &PgPool, sql: &str) -> BTreeSet<String> {
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned()))
        .fetch_all(pool)
        .await
        .unwrap()
        .into_iter()
        .collect()
}

#[sqlx::test(migrations = false)]
async fn a_load_interrupted_twice_is_completed_by_the_next_one(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let client = app.operator().await;
    let town = langxia::generate();
    let micro = "SELECT count(*) FROM grids WHERE level = 'MICRO'";
    let members = "SELECT count(*) FROM members";

    // Ctrl-C among the micro-grids, then again among the members.
    interrupted_load(&client, &town, &pool, micro, 1).await;
    assert!(count(&pool, micro).await < 165, "interrupted part-way");
    assert_eq!(count(&pool, members).await, 0);
    interrupted_load(&client, &town, &pool, members, 100).await;
    let members_before = count(&pool, members).await;
    assert!(
        members_before < 683,
        "interrupted part-way: {members_before}"
    );
    assert_eq!(
        count(&pool, "SELECT count(*) FROM covered_objects").await,
        0
    );

    let report = weigrid_cli::load::load(&client, &town)
        .await
        .expect("the next load completes the data set");
    let whole = |tally: Tally, wanted: usize| tally.total() == wanted;
    assert!(whole(report.grids, town.grids.len()), "{report:?}");
    assert!(whole(report.members, town.members.len()), "{report:?}");
    assert_eq!(
        report.grids.present, 214,
        "every grid was there: {report:?}"
    );
    assert!(report.members.present >= 100, "{report:?}");
    assert!(report.members.added > 0, "{report:?}");
    assert_eq!(
        (report.objects, report.care_people),
        (
            Tally {
                added: 1180,
                present: 0
            },
            Tally {
                added: 296,
                present: 0
            }
        ),
        "{report:?}"
    );
    assert_names_what_it_added(&report);

    assert_eq!(count(&pool, micro).await, 165);
    assert_eq!(
        stored(&pool, "SELECT code FROM grids").await,
        codes(town.grids.iter().map(|g| &g.code))
    );
    assert_eq!(
        stored(&pool, "SELECT code FROM covered_objects").await,
        codes(town.objects.iter().map(|o| &o.code))
    );
    assert_eq!(
        stored(&pool, "SELECT code FROM care_people").await,
        codes(town.care_people.iter().map(|p| &p.code))
    );
    let mut stored_members: Vec<String> = sqlx::query_scalar(
        "SELECT g.code || ' ' || m.name || ' ' || m.role || ' ' || m.phone
           FROM members m JOIN grids g USING (grid_id) WHERE m.active",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let mut generated: Vec<String> = town
        .members
        .iter()
        .map(|m| format!("{} {} {} {}", m.grid_code, m.name, m.role.as_str(), m.phone))
        .collect();
    stored_members.sort();
    generated.sort();
    assert_eq!(stored_members, generated, "every member once");

    assert_every_micro_grid_is_staffed_and_every_object_covered(&mut client.clone()).await;
}

fn assert_names_what_it_added(report: &LoadReport) {
    let summary = report.summary();
    for part in [
        format!("added {} grids", report.grids.added),
        format!("{} members", report.members.added),
        format!("{} covered objects", report.objects.added),
        format!("{} special-care people", report.care_people.added),
        format!("{} already present", report.already_present()),
    ] {
        assert!(summary.contains(&part), "{part:?} missing from {summary:?}");
    }
}
