//! The `grids` table.

use chrono::{DateTime, Utc};
use sqlx::types::Json;
use sqlx::{FromRow, PgConnection};
use uuid::Uuid;

/// Serialises grid writes: the sibling-overlap rule compares a write with
/// every sibling, so two concurrent writes must not both pass unseen. Grid
/// writes are rare (boundaries change a few times a year).
const GRID_WRITE_LOCK: i64 = 0x5745_4947_5249_4401; // "WEIGRID\x01"

/// A stored grid, with its parent's code.
#[derive(Debug, Clone, FromRow)]
pub struct GridRow {
    pub grid_id: Uuid,
    pub code: String,
    pub name: String,
    pub level: String,
    pub parent_id: Option<Uuid>,
    pub parent_code: Option<String>,
    pub households: Option<i32>,
    pub party_group: Option<String>,
    pub boundary: Json<serde_json::Value>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

const SELECT: &str =
    "SELECT g.grid_id, g.code, g.name, g.level, g.parent_id, p.code AS parent_code,
        g.households, g.party_group, g.boundary, g.version, g.created_at, g.updated_at
    FROM grids g LEFT JOIN grids p ON p.grid_id = g.parent_id";

/// Takes the grid write lock until the transaction ends.
///
/// # Errors
/// The database fails.
pub async fn lock_writes(conn: &mut PgConnection) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(GRID_WRITE_LOCK)
        .execute(conn)
        .await?;
    Ok(())
}

/// Inserts a grid.
///
/// # Errors
/// `grids_code_key` when the code exists, or the database fails.
pub async fn insert(conn: &mut PgConnection, grid: &GridRow) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO grids (grid_id, code, name, level, parent_id, households, party_group, boundary, version,
                            created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(grid.grid_id)
    .bind(&grid.code)
    .bind(&grid.name)
    .bind(&grid.level)
    .bind(grid.parent_id)
    .bind(grid.households)
    .bind(&grid.party_group)
    .bind(&grid.boundary)
    .bind(grid.version)
    .bind(grid.created_at)
    .bind(grid.updated_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Writes a grid's changeable fields and version.
///
/// # Errors
/// The database fails.
pub async fn update(conn: &mut PgConnection, grid: &GridRow) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE grids SET name = $2, households = $3, party_group = $4, boundary = $5, version = $6, updated_at = $7
         WHERE grid_id = $1",
    )
    .bind(grid.grid_id)
    .bind(&grid.name)
    .bind(grid.households)
    .bind(&grid.party_group)
    .bind(&grid.boundary)
    .bind(grid.version)
    .bind(grid.updated_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Returns the grid with `code`.
///
/// # Errors
/// The database fails.
pub async fn by_code(conn: &mut PgConnection, code: &str) -> Result<Option<GridRow>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!("{SELECT} WHERE g.code = $1")))
        .bind(code)
        .fetch_optional(conn)
        .await
}

/// Returns the grid with `id`.
///
/// # Errors
/// The database fails.
pub async fn by_id(conn: &mut PgConnection, id: Uuid) -> Result<Option<GridRow>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE g.grid_id = $1"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// Returns the children of `parent` (the top-level grids for `None`).
///
/// # Errors
/// The database fails.
pub async fn children(
    conn: &mut PgConnection,
    parent: Option<Uuid>,
) -> Result<Vec<GridRow>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE g.parent_id IS NOT DISTINCT FROM $1 ORDER BY g.code"
    )))
    .bind(parent)
    .fetch_all(conn)
    .await
}

/// Returns every grid.
///
/// # Errors
/// The database fails.
pub async fn all(conn: &mut PgConnection) -> Result<Vec<GridRow>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!("{SELECT} ORDER BY g.code")))
        .fetch_all(conn)
        .await
}

/// Returns a page of grids after `after_code`, filtered by level and parent.
///
/// # Errors
/// The database fails.
pub async fn page(
    conn: &mut PgConnection,
    level: Option<&str>,
    parent: Option<Uuid>,
    after_code: &str,
    limit: i64,
) -> Result<Vec<GridRow>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE ($1::text IS NULL OR g.level = $1) AND ($2::uuid IS NULL OR g.parent_id = $2)
           AND g.code > $3 ORDER BY g.code LIMIT $4"
    )))
    .bind(level)
    .bind(parent)
    .bind(after_code)
    .bind(limit)
    .fetch_all(conn)
    .await
}

/// Returns the codes of grid `id` and all its ancestors.
///
/// # Errors
/// The database fails.
pub async fn lineage_codes(conn: &mut PgConnection, id: Uuid) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "WITH RECURSIVE lineage AS (
             SELECT grid_id, parent_id, code, 0 AS depth FROM grids WHERE grid_id = $1
             UNION ALL
             SELECT g.grid_id, g.parent_id, g.code, l.depth + 1 FROM grids g JOIN lineage l ON g.grid_id = l.parent_id
             WHERE l.depth < 16
         )
         SELECT code FROM lineage ORDER BY depth DESC",
    )
    .bind(id)
    .fetch_all(conn)
    .await
}

/// Returns grid `id` and its ancestors, from the top down (the grid last).
///
/// # Errors
/// The database fails.
pub async fn lineage(conn: &mut PgConnection, id: Uuid) -> Result<Vec<GridRow>, sqlx::Error> {
    let codes = lineage_codes(&mut *conn, id).await?;
    let mut rows: Vec<GridRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE g.code = ANY($1)"
    )))
    .bind(&codes)
    .fetch_all(conn)
    .await?;
    rows.sort_by_key(|r| codes.iter().position(|c| c == &r.code));
    Ok(rows)
}
