//! Migrations as a step of their own: a service refuses a schema older than
//! it needs and names what is missing, the `migrate` step brings it up to
//! date, and a newer schema (after a rollback) is fine.

use sqlx::PgPool;

static NO_SERVICE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate::Migrator::DEFAULT;

#[sqlx::test(migrations = false)]
async fn a_service_refuses_a_schema_behind_it_and_accepts_one_ahead(pool: PgPool) {
    let err = platform::db::require_migrated(&pool, &NO_SERVICE_MIGRATIONS)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("schema is behind") && err.contains("platform tables"),
        "{err}"
    );
    platform::db::migrate(&pool, &NO_SERVICE_MIGRATIONS)
        .await
        .unwrap();
    platform::db::require_migrated(&pool, &NO_SERVICE_MIGRATIONS)
        .await
        .unwrap();
    // A later release migrated, then was rolled back: the older binary
    // starts on the newer, additive schema.
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time)
         VALUES (29991231000000, 'a later release', true, '\\x00', 1)",
    )
    .execute(&pool)
    .await
    .unwrap();
    platform::db::require_migrated(&pool, &NO_SERVICE_MIGRATIONS)
        .await
        .unwrap();
}
