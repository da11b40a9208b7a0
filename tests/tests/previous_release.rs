//! Migrations are additive within a release: the previous release's pods
//! go on serving during a rolling update, and after a `helm rollback`, on
//! the schema this release migrated to. Every statement the previous
//! release runs (tests/previous-release/<service>.sql, written by
//! scripts/release-queries.py from that release's code) must still prepare
//! against the new schema: a table or column it uses that a new migration
//! dropped or renamed fails here, naming the statement.

use platform::testing::ScratchDatabase;
use sqlx::Executor as _;
use sqlx::SqlSafeStr as _;
use sqlx::migrate::Migrator;

/// Prepares every statement of `file` on a database migrated by `migrator`.
async fn previous_release_runs_on_the_new_schema(
    service: &str,
    file: &'static str,
    migrator: &Migrator,
) {
    let db = ScratchDatabase::create(&format!("previous-{service}")).await;
    platform::db::migrate(&db.pool, migrator)
        .await
        .expect("the current migrations apply");
    let mut conn = db.pool.acquire().await.unwrap();
    let statements: Vec<&'static str> = file
        .lines()
        .filter(|l| !l.starts_with("--") && !l.trim().is_empty())
        .map(|l| l.trim_end_matches(';'))
        .collect();
    assert!(
        statements.len() > 10,
        "{service}: the snapshot holds its statements"
    );
    let mut broken = Vec::new();
    for statement in &statements {
        if let Err(err) = conn.prepare(statement.into_sql_str()).await {
            let code = err
                .as_database_error()
                .and_then(|e| e.code())
                .map(|c| c.into_owned())
                .unwrap_or_default();
            // A parameter whose type only the caller's binding decides
            // (indeterminate type, ambiguous operator) is not a schema
            // question.
            if !matches!(code.as_str(), "42P18" | "42725") {
                broken.push(format!("{statement}\n    {err}"));
            }
        }
    }
    drop(conn);
    db.drop_database().await;
    assert!(
        broken.is_empty(),
        "{service}: the previous release's statements that no longer run on the new schema:\n{}",
        broken.join("\n")
    );
}

#[tokio::test]
async fn the_previous_registry_runs_on_the_new_schema() {
    previous_release_runs_on_the_new_schema(
        "grid-registry",
        include_str!("../previous-release/grid-registry.sql"),
        &grid_registry::MIGRATOR,
    )
    .await;
}

#[tokio::test]
async fn the_previous_dispatch_runs_on_the_new_schema() {
    previous_release_runs_on_the_new_schema(
        "ticket-dispatch",
        include_str!("../previous-release/ticket-dispatch.sql"),
        &ticket_dispatch::MIGRATOR,
    )
    .await;
}

#[tokio::test]
async fn the_previous_points_runs_on_the_new_schema() {
    previous_release_runs_on_the_new_schema(
        "points",
        include_str!("../previous-release/points.sql"),
        &points::MIGRATOR,
    )
    .await;
}
