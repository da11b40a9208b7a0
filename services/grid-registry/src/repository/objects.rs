//! The `covered_objects` table.

use chrono::{DateTime, Utc};
use platform::error::{AppError, UnknownStoredValue};
use sqlx::types::Json;
use sqlx::{FromRow, PgConnection};
use uuid::Uuid;

use super::{decode, uuids};
use crate::domain::geometry;
use crate::domain::ids::{GridId, ObjectId};
use crate::domain::kinds::ObjectKind;
use crate::domain::object::{Anchor, CoveredObject};

/// A stored covered object, with its micro-grid's code.
#[derive(Debug, FromRow)]
struct ObjectRow {
    object_id: Uuid,
    code: String,
    name: String,
    kind: String,
    geometry: Json<serde_json::Value>,
    anchor_lng: f64,
    anchor_lat: f64,
    micro_grid_id: Option<Uuid>,
    micro_grid_code: Option<String>,
    high_risk: bool,
    head_name: Option<String>,
    head_phone: Option<String>,
    area_ha: Option<f64>,
    created_at: DateTime<Utc>,
}

impl TryFrom<ObjectRow> for CoveredObject {
    type Error = AppError;

    fn try_from(row: ObjectRow) -> Result<Self, AppError> {
        let kind = ObjectKind::parse(&row.kind)
            .ok_or_else(|| UnknownStoredValue::new("covered_objects", "kind", &row.kind))?;
        let geometry = geometry::from_geojson(&row.geometry.0).map_err(|why| {
            AppError::Internal(anyhow::anyhow!(
                "covered object {} has a malformed stored geometry: {why}",
                row.code
            ))
        })?;
        Ok(CoveredObject {
            id: ObjectId(row.object_id),
            code: row.code,
            name: row.name,
            kind,
            geometry,
            anchor: (row.anchor_lng, row.anchor_lat),
            micro_grid_id: row.micro_grid_id.map(GridId),
            micro_grid_code: row.micro_grid_code,
            high_risk: row.high_risk,
            head_name: row.head_name,
            head_phone: row.head_phone,
            area_ha: row.area_ha,
            created_at: row.created_at,
        })
    }
}

const SELECT: &str = "SELECT o.object_id, o.code, o.name, o.kind, o.geometry, o.anchor_lng, o.anchor_lat,
        o.micro_grid_id, g.code AS micro_grid_code, o.high_risk, o.head_name, o.head_phone, o.area_ha, o.created_at
    FROM covered_objects o LEFT JOIN grids g ON g.grid_id = o.micro_grid_id";

/// Inserts an object.
///
/// # Errors
/// ALREADY_EXISTS when the code is taken (`covered_objects_code_key`), or
/// the database fails.
pub async fn insert(conn: &mut PgConnection, object: &CoveredObject) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO covered_objects (object_id, code, name, kind, geometry, anchor_lng, anchor_lat, micro_grid_id,
                                      high_risk, head_name, head_phone, area_ha, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
    )
    .bind(object.id.0)
    .bind(&object.code)
    .bind(&object.name)
    .bind(object.kind.as_str())
    .bind(Json(geometry::to_geojson(&object.geometry)))
    .bind(object.anchor.0)
    .bind(object.anchor.1)
    .bind(object.micro_grid_id.map(|g| g.0))
    .bind(object.high_risk)
    .bind(&object.head_name)
    .bind(&object.head_phone)
    .bind(object.area_ha)
    .bind(object.created_at)
    .execute(conn)
    .await
    .map_err(|err| {
        AppError::on_constraint(err, "covered_objects_code_key", || {
            AppError::AlreadyExists("a covered object with this code".into())
        })
    })?;
    Ok(())
}

/// Returns the object with `code`, or with `id`.
///
/// # Errors
/// The database fails or the row holds a value this version does not know.
pub async fn find(
    conn: &mut PgConnection,
    id: Option<ObjectId>,
    code: &str,
) -> Result<Option<CoveredObject>, AppError> {
    let row: Option<ObjectRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE o.object_id = $1 OR o.code = $2"
    )))
    .bind(id.map(|id| id.0))
    .bind(code)
    .fetch_optional(conn)
    .await?;
    row.map(CoveredObject::try_from).transpose()
}

/// Returns a page of objects after `after_code`, of `kinds` (all when
/// empty), held by `grid_ids` (`None`: anywhere).
///
/// # Errors
/// The database fails or a row holds a value this version does not know.
pub async fn page(
    conn: &mut PgConnection,
    kinds: &[ObjectKind],
    grid_ids: Option<&[GridId]>,
    after_code: &str,
    limit: i64,
) -> Result<Vec<CoveredObject>, AppError> {
    let kinds: Vec<&str> = kinds.iter().map(|k| k.as_str()).collect();
    let rows: Vec<ObjectRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE (cardinality($1::text[]) = 0 OR o.kind = ANY($1))
           AND ($2::uuid[] IS NULL OR o.micro_grid_id = ANY($2))
           AND o.code > $3 ORDER BY o.code LIMIT $4"
    )))
    .bind(kinds)
    .bind(grid_ids.map(uuids))
    .bind(after_code)
    .bind(limit)
    .fetch_all(conn)
    .await?;
    decode(rows)
}

/// Returns the objects of `kinds` whose anchor lies within `degrees` (of
/// latitude and longitude) of `(lng, lat)`, by code: the candidates for
/// what lies at a place, for the caller to measure.
///
/// # Errors
/// The database fails or a row holds a value this version does not know.
pub async fn around(
    conn: &mut PgConnection,
    kinds: &[ObjectKind],
    (lng, lat): (f64, f64),
    degrees: f64,
) -> Result<Vec<CoveredObject>, AppError> {
    let kinds: Vec<&str> = kinds.iter().map(|k| k.as_str()).collect();
    let rows: Vec<ObjectRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE o.kind = ANY($1)
           AND o.anchor_lng BETWEEN $2 - $4 AND $2 + $4
           AND o.anchor_lat BETWEEN $3 - $4 AND $3 + $4
         ORDER BY o.code"
    )))
    .bind(kinds)
    .bind(lng)
    .bind(lat)
    .bind(degrees)
    .fetch_all(conn)
    .await?;
    decode(rows)
}

/// Returns the objects outside every micro-grid.
///
/// # Errors
/// The database fails or a row holds a value this version does not know.
pub async fn uncovered(conn: &mut PgConnection) -> Result<Vec<CoveredObject>, AppError> {
    let rows: Vec<ObjectRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE o.micro_grid_id IS NULL ORDER BY o.code"
    )))
    .fetch_all(conn)
    .await?;
    decode(rows)
}

#[derive(Debug, FromRow)]
struct AnchorRow {
    object_id: Uuid,
    anchor_lng: f64,
    anchor_lat: f64,
    micro_grid_id: Option<Uuid>,
}

impl From<AnchorRow> for Anchor {
    fn from(row: AnchorRow) -> Self {
        Anchor {
            object_id: ObjectId(row.object_id),
            at: (row.anchor_lng, row.anchor_lat),
            micro_grid_id: row.micro_grid_id.map(GridId),
        }
    }
}

/// Returns the anchors of objects held by `grid`, outside every
/// micro-grid, or lying in the box (min lng, min lat, max lng, max lat).
///
/// # Errors
/// The database fails.
pub async fn anchors_near(
    conn: &mut PgConnection,
    grid: GridId,
    (min_lng, min_lat, max_lng, max_lat): (f64, f64, f64, f64),
) -> Result<Vec<Anchor>, AppError> {
    let rows: Vec<AnchorRow> = sqlx::query_as(
        "SELECT object_id, anchor_lng, anchor_lat, micro_grid_id FROM covered_objects
         WHERE micro_grid_id = $1 OR micro_grid_id IS NULL
            OR (anchor_lng BETWEEN $2 AND $4 AND anchor_lat BETWEEN $3 AND $5)",
    )
    .bind(grid.0)
    .bind(min_lng)
    .bind(min_lat)
    .bind(max_lng)
    .bind(max_lat)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(Anchor::from).collect())
}

/// Moves an object to another micro-grid (or none).
///
/// # Errors
/// The database fails.
pub async fn set_micro_grid(
    conn: &mut PgConnection,
    object: ObjectId,
    grid: Option<GridId>,
) -> Result<(), AppError> {
    sqlx::query("UPDATE covered_objects SET micro_grid_id = $2 WHERE object_id = $1")
        .bind(object.0)
        .bind(grid.map(|g| g.0))
        .execute(conn)
        .await?;
    Ok(())
}

/// Returns the anchors of objects outside every micro-grid.
///
/// # Errors
/// The database fails.
pub async fn uncovered_anchors(conn: &mut PgConnection) -> Result<Vec<Anchor>, AppError> {
    let rows: Vec<AnchorRow> = sqlx::query_as(
        "SELECT object_id, anchor_lng, anchor_lat, micro_grid_id FROM covered_objects WHERE micro_grid_id IS NULL",
    )
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(Anchor::from).collect())
}

/// Returns which of `codes` are already taken by covered objects.
///
/// # Errors
/// The database fails.
pub async fn existing_codes(
    conn: &mut PgConnection,
    codes: &[String],
) -> Result<Vec<String>, AppError> {
    Ok(
        sqlx::query_scalar("SELECT code FROM covered_objects WHERE code = ANY($1)")
            .bind(codes)
            .fetch_all(conn)
            .await?,
    )
}
