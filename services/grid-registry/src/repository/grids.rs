//! The `grids` table.

use chrono::{DateTime, Utc};
use platform::error::{AppError, UnknownStoredValue};
use sqlx::types::Json;
use sqlx::{FromRow, PgConnection};
use uuid::Uuid;

use super::decode;
use crate::domain::geometry::{self, RawShape};
use crate::domain::grid::Grid;
use crate::domain::ids::GridId;
use crate::domain::kinds::Level;

/// Serialises grid writes: the sibling-overlap rule compares a write with
/// every sibling, so two concurrent writes must not both pass unseen. Grid
/// writes are rare (boundaries change a few times a year).
const GRID_WRITE_LOCK: i64 = 0x5745_4947_5249_4401; // "WEIGRID\x01"

/// A stored grid, with its parent's code.
#[derive(Debug, FromRow)]
struct GridRow {
    grid_id: Uuid,
    code: String,
    name: String,
    level: String,
    parent_id: Option<Uuid>,
    parent_code: Option<String>,
    households: Option<i32>,
    party_group: Option<String>,
    boundary: Json<serde_json::Value>,
    version: i64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl TryFrom<GridRow> for Grid {
    type Error = AppError;

    fn try_from(row: GridRow) -> Result<Self, AppError> {
        let level = Level::parse(&row.level)
            .ok_or_else(|| UnknownStoredValue::new("grids", "level", &row.level))?;
        let households = row
            .households
            .map(|h| {
                u32::try_from(h)
                    .map_err(|_| UnknownStoredValue::new("grids", "households", h.to_string()))
            })
            .transpose()?;
        let rings = match geometry::from_geojson(&row.boundary.0) {
            Ok(RawShape::Polygon(rings)) => rings,
            Ok(_) | Err(_) => {
                return Err(AppError::Internal(anyhow::anyhow!(
                    "grid {} has a malformed stored boundary",
                    row.code
                )));
            }
        };
        let boundary = geometry::polygon("boundary", &rings).map_err(|_| {
            AppError::Internal(anyhow::anyhow!(
                "grid {} has an invalid stored boundary",
                row.code
            ))
        })?;
        Ok(Grid {
            id: GridId(row.grid_id),
            code: row.code,
            name: row.name,
            level,
            parent_id: row.parent_id.map(GridId),
            parent_code: row.parent_code,
            households,
            party_group: row.party_group,
            boundary,
            version: row.version,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

/// Returns the boundary as stored: a GeoJSON Polygon.
fn stored_boundary(grid: &Grid) -> Json<serde_json::Value> {
    Json(geometry::polygon_geojson(&geometry::polygon_positions(
        &grid.boundary,
    )))
}

const SELECT: &str =
    "SELECT g.grid_id, g.code, g.name, g.level, g.parent_id, p.code AS parent_code,
        g.households, g.party_group, g.boundary, g.version, g.created_at, g.updated_at
    FROM grids g LEFT JOIN grids p ON p.grid_id = g.parent_id";

/// Takes the grid write lock until the transaction ends.
///
/// # Errors
/// The database fails.
pub async fn lock_writes(conn: &mut PgConnection) -> Result<(), AppError> {
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(GRID_WRITE_LOCK)
        .execute(conn)
        .await?;
    Ok(())
}

/// Inserts a grid.
///
/// # Errors
/// ALREADY_EXISTS when the code is taken (`grids_code_key`), or the
/// database fails.
pub async fn insert(conn: &mut PgConnection, grid: &Grid) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO grids (grid_id, code, name, level, parent_id, households, party_group, boundary, version,
                            created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(grid.id.0)
    .bind(&grid.code)
    .bind(&grid.name)
    .bind(grid.level.as_str())
    .bind(grid.parent_id.map(|p| p.0))
    .bind(grid.households.map(|h| h as i32))
    .bind(&grid.party_group)
    .bind(stored_boundary(grid))
    .bind(grid.version)
    .bind(grid.created_at)
    .bind(grid.updated_at)
    .execute(conn)
    .await
    .map_err(|err| {
        AppError::on_constraint(err, "grids_code_key", || {
            AppError::AlreadyExists("a grid with this code".into())
        })
    })?;
    Ok(())
}

/// Writes a grid's changeable fields and version.
///
/// # Errors
/// The database fails.
pub async fn update(conn: &mut PgConnection, grid: &Grid) -> Result<(), AppError> {
    sqlx::query(
        "UPDATE grids SET name = $2, households = $3, party_group = $4, boundary = $5, version = $6, updated_at = $7
         WHERE grid_id = $1",
    )
    .bind(grid.id.0)
    .bind(&grid.name)
    .bind(grid.households.map(|h| h as i32))
    .bind(&grid.party_group)
    .bind(stored_boundary(grid))
    .bind(grid.version)
    .bind(grid.updated_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Returns the grid with `code`.
///
/// # Errors
/// The database fails or the row holds a value this version does not know.
pub async fn by_code(conn: &mut PgConnection, code: &str) -> Result<Option<Grid>, AppError> {
    let row: Option<GridRow> =
        sqlx::query_as(sqlx::AssertSqlSafe(format!("{SELECT} WHERE g.code = $1")))
            .bind(code)
            .fetch_optional(conn)
            .await?;
    row.map(Grid::try_from).transpose()
}

/// Returns the grid with `id`.
///
/// # Errors
/// The database fails or the row holds a value this version does not know.
pub async fn by_id(conn: &mut PgConnection, id: GridId) -> Result<Option<Grid>, AppError> {
    let row: Option<GridRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE g.grid_id = $1"
    )))
    .bind(id.0)
    .fetch_optional(conn)
    .await?;
    row.map(Grid::try_from).transpose()
}

/// Returns the children of `parent` (the top-level grids for `None`).
///
/// # Errors
/// The database fails or a row holds a value this version does not know.
pub async fn children(
    conn: &mut PgConnection,
    parent: Option<GridId>,
) -> Result<Vec<Grid>, AppError> {
    let rows: Vec<GridRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE g.parent_id IS NOT DISTINCT FROM $1 ORDER BY g.code"
    )))
    .bind(parent.map(|p| p.0))
    .fetch_all(conn)
    .await?;
    decode(rows)
}

/// Returns every grid.
///
/// # Errors
/// The database fails or a row holds a value this version does not know.
pub async fn all(conn: &mut PgConnection) -> Result<Vec<Grid>, AppError> {
    let rows: Vec<GridRow> =
        sqlx::query_as(sqlx::AssertSqlSafe(format!("{SELECT} ORDER BY g.code")))
            .fetch_all(conn)
            .await?;
    decode(rows)
}

/// Returns a page of grids after `after_code`, filtered by level and parent.
///
/// # Errors
/// The database fails or a row holds a value this version does not know.
pub async fn page(
    conn: &mut PgConnection,
    level: Option<Level>,
    parent: Option<GridId>,
    after_code: &str,
    limit: i64,
) -> Result<Vec<Grid>, AppError> {
    let rows: Vec<GridRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE ($1::text IS NULL OR g.level = $1) AND ($2::uuid IS NULL OR g.parent_id = $2)
           AND g.code > $3 ORDER BY g.code LIMIT $4"
    )))
    .bind(level.map(Level::as_str))
    .bind(parent.map(|p| p.0))
    .bind(after_code)
    .bind(limit)
    .fetch_all(conn)
    .await?;
    decode(rows)
}

/// Returns the codes of grid `id` and all its ancestors, from the top down.
///
/// # Errors
/// The database fails.
pub async fn lineage_codes(conn: &mut PgConnection, id: GridId) -> Result<Vec<String>, AppError> {
    Ok(sqlx::query_scalar(
        "WITH RECURSIVE lineage AS (
             SELECT grid_id, parent_id, code, 0 AS depth FROM grids WHERE grid_id = $1
             UNION ALL
             SELECT g.grid_id, g.parent_id, g.code, l.depth + 1 FROM grids g JOIN lineage l ON g.grid_id = l.parent_id
             WHERE l.depth < 16
         )
         SELECT code FROM lineage ORDER BY depth DESC",
    )
    .bind(id.0)
    .fetch_all(conn)
    .await?)
}

/// Returns grid `id` and its ancestors, from the top down (the grid last).
///
/// # Errors
/// The database fails or a row holds a value this version does not know.
pub async fn lineage(conn: &mut PgConnection, id: GridId) -> Result<Vec<Grid>, AppError> {
    let codes = lineage_codes(&mut *conn, id).await?;
    let rows: Vec<GridRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE g.code = ANY($1)"
    )))
    .bind(&codes)
    .fetch_all(conn)
    .await?;
    let mut grids: Vec<Grid> = decode(rows)?;
    grids.sort_by_key(|g| codes.iter().position(|c| c == &g.code));
    Ok(grids)
}
