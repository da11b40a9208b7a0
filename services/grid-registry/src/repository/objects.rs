//! The `covered_objects` table.

use chrono::{DateTime, Utc};
use sqlx::types::Json;
use sqlx::{FromRow, PgConnection};
use uuid::Uuid;

/// A stored covered object, with its micro-grid's code.
#[derive(Debug, Clone, FromRow)]
pub struct ObjectRow {
    pub object_id: Uuid,
    pub code: String,
    pub name: String,
    pub kind: String,
    pub geometry: Json<serde_json::Value>,
    pub anchor_lng: f64,
    pub anchor_lat: f64,
    pub micro_grid_id: Option<Uuid>,
    pub micro_grid_code: Option<String>,
    pub high_risk: bool,
    pub head_name: Option<String>,
    pub head_phone: Option<String>,
    pub area_ha: Option<f64>,
    pub created_at: DateTime<Utc>,
}

const SELECT: &str = "SELECT o.object_id, o.code, o.name, o.kind, o.geometry, o.anchor_lng, o.anchor_lat,
        o.micro_grid_id, g.code AS micro_grid_code, o.high_risk, o.head_name, o.head_phone, o.area_ha, o.created_at
    FROM covered_objects o LEFT JOIN grids g ON g.grid_id = o.micro_grid_id";

/// Inserts an object.
///
/// # Errors
/// `covered_objects_code_key` when the code exists, or the database fails.
pub async fn insert(conn: &mut PgConnection, object: &ObjectRow) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO covered_objects (object_id, code, name, kind, geometry, anchor_lng, anchor_lat, micro_grid_id,
                                      high_risk, head_name, head_phone, area_ha, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
    )
    .bind(object.object_id)
    .bind(&object.code)
    .bind(&object.name)
    .bind(&object.kind)
    .bind(&object.geometry)
    .bind(object.anchor_lng)
    .bind(object.anchor_lat)
    .bind(object.micro_grid_id)
    .bind(object.high_risk)
    .bind(&object.head_name)
    .bind(&object.head_phone)
    .bind(object.area_ha)
    .bind(object.created_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Returns the object with `code`, or with `id`.
///
/// # Errors
/// The database fails.
pub async fn find(
    conn: &mut PgConnection,
    id: Option<Uuid>,
    code: &str,
) -> Result<Option<ObjectRow>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE o.object_id = $1 OR o.code = $2"
    )))
    .bind(id)
    .bind(code)
    .fetch_optional(conn)
    .await
}

/// Returns a page of objects after `after_code`, filtered by kind and by
/// micro-grid (`grid_ids` `None` for all).
///
/// # Errors
/// The database fails.
pub async fn page(
    conn: &mut PgConnection,
    kinds: &[String],
    grid_ids: Option<&[Uuid]>,
    after_code: &str,
    limit: i64,
) -> Result<Vec<ObjectRow>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE (cardinality($1::text[]) = 0 OR o.kind = ANY($1))
           AND ($2::uuid[] IS NULL OR o.micro_grid_id = ANY($2))
           AND o.code > $3 ORDER BY o.code LIMIT $4"
    )))
    .bind(kinds)
    .bind(grid_ids)
    .bind(after_code)
    .bind(limit)
    .fetch_all(conn)
    .await
}

/// Returns the objects outside every micro-grid.
///
/// # Errors
/// The database fails.
pub async fn uncovered(conn: &mut PgConnection) -> Result<Vec<ObjectRow>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE o.micro_grid_id IS NULL ORDER BY o.code"
    )))
    .fetch_all(conn)
    .await
}

/// An object's anchor, for re-deciding its micro-grid.
#[derive(Debug, Clone, FromRow)]
pub struct Anchor {
    pub object_id: Uuid,
    pub anchor_lng: f64,
    pub anchor_lat: f64,
    pub micro_grid_id: Option<Uuid>,
}

/// Returns the anchors of objects held by `grid` or lying in the box.
///
/// # Errors
/// The database fails.
pub async fn anchors_near(
    conn: &mut PgConnection,
    grid: Uuid,
    (min_lng, min_lat, max_lng, max_lat): (f64, f64, f64, f64),
) -> Result<Vec<Anchor>, sqlx::Error> {
    sqlx::query_as(
        "SELECT object_id, anchor_lng, anchor_lat, micro_grid_id FROM covered_objects
         WHERE micro_grid_id = $1 OR micro_grid_id IS NULL
            OR (anchor_lng BETWEEN $2 AND $4 AND anchor_lat BETWEEN $3 AND $5)",
    )
    .bind(grid)
    .bind(min_lng)
    .bind(min_lat)
    .bind(max_lng)
    .bind(max_lat)
    .fetch_all(conn)
    .await
}

/// Moves an object to another micro-grid (or none).
///
/// # Errors
/// The database fails.
pub async fn set_micro_grid(
    conn: &mut PgConnection,
    object: Uuid,
    grid: Option<Uuid>,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE covered_objects SET micro_grid_id = $2 WHERE object_id = $1")
        .bind(object)
        .bind(grid)
        .execute(conn)
        .await?;
    Ok(())
}

/// Returns the anchors of objects outside every micro-grid.
///
/// # Errors
/// The database fails.
pub async fn uncovered_anchors(conn: &mut PgConnection) -> Result<Vec<Anchor>, sqlx::Error> {
    sqlx::query_as(
        "SELECT object_id, anchor_lng, anchor_lat, micro_grid_id FROM covered_objects WHERE micro_grid_id IS NULL",
    )
    .fetch_all(conn)
    .await
}

/// Returns which of `codes` are already taken by covered objects.
///
/// # Errors
/// The database fails.
pub async fn existing_codes(
    conn: &mut PgConnection,
    codes: &[String],
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT code FROM covered_objects WHERE code = ANY($1)")
        .bind(codes)
        .fetch_all(conn)
        .await
}
