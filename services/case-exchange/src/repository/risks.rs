//! The shared risk list, as this node holds it.

use chrono::{DateTime, Utc};
use platform::error::UnknownStoredValue;
use sqlx::PgConnection;
use uuid::Uuid;

use super::{decode_all, decode_optional, node, unsigned};
use crate::domain::ids::RiskId;
use crate::domain::risk::{CareGroup, RiskItem, RiskKind, RiskLevel};

#[derive(sqlx::FromRow)]
struct RiskRow {
    risk_id: Uuid,
    owner_node: String,
    kind: String,
    name: String,
    care_group: Option<String>,
    level: String,
    description: String,
    lat: Option<f64>,
    lng: Option<f64>,
    version: i32,
    withdrawn: bool,
    updated_by: String,
    updated_at: DateTime<Utc>,
}

impl TryFrom<RiskRow> for RiskItem {
    type Error = UnknownStoredValue;

    fn try_from(row: RiskRow) -> Result<Self, Self::Error> {
        let care_group = row
            .care_group
            .map(|g| {
                CareGroup::parse(&g)
                    .ok_or_else(|| UnknownStoredValue::new("risks", "care_group", &g))
            })
            .transpose()?;
        Ok(RiskItem {
            risk_id: RiskId(row.risk_id),
            owner: node("risks", "owner_node", &row.owner_node)?,
            kind: RiskKind::parse(&row.kind)
                .ok_or_else(|| UnknownStoredValue::new("risks", "kind", &row.kind))?,
            name: row.name,
            care_group,
            level: RiskLevel::parse(&row.level)
                .ok_or_else(|| UnknownStoredValue::new("risks", "level", &row.level))?,
            description: row.description,
            location: row.lat.zip(row.lng),
            version: unsigned(row.version),
            withdrawn: row.withdrawn,
            updated_by: row.updated_by,
            updated_at: row.updated_at,
        })
    }
}

const COLUMNS: &str = "risk_id, owner_node, kind, name, care_group, level, description, lat, lng, \
     version, withdrawn, updated_by, updated_at";

/// Returns the entry `id`, locked for the caller's work.
pub async fn load_for_update(
    conn: &mut PgConnection,
    id: RiskId,
) -> Result<Option<RiskItem>, sqlx::Error> {
    let row: Option<RiskRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM risks WHERE risk_id = $1 FOR UPDATE"
    )))
    .bind(id.0)
    .fetch_optional(conn)
    .await?;
    decode_optional(row)
}

/// Inserts or replaces the entry.
#[tracing::instrument(skip_all, fields(risk_id = %risk.risk_id, version = risk.version))]
pub async fn upsert(conn: &mut PgConnection, risk: &RiskItem) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO risks (risk_id, owner_node, kind, name, care_group, level, description,
             lat, lng, version, withdrawn, updated_by, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
         ON CONFLICT (risk_id) DO UPDATE SET kind = $3, name = $4, care_group = $5, level = $6,
             description = $7, lat = $8, lng = $9, version = $10, withdrawn = $11,
             updated_by = $12, updated_at = $13",
    )
    .bind(risk.risk_id.0)
    .bind(risk.owner.to_string())
    .bind(risk.kind.as_str())
    .bind(&risk.name)
    .bind(risk.care_group.map(CareGroup::as_str))
    .bind(risk.level.as_str())
    .bind(&risk.description)
    .bind(risk.location.map(|(lat, _)| lat))
    .bind(risk.location.map(|(_, lng)| lng))
    .bind(i32::try_from(risk.version).unwrap_or(i32::MAX))
    .bind(risk.withdrawn)
    .bind(&risk.updated_by)
    .bind(risk.updated_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Returns the list, in the order entries were made (ids are UUIDv7).
pub async fn list(
    conn: &mut PgConnection,
    include_withdrawn: bool,
) -> Result<Vec<RiskItem>, sqlx::Error> {
    let rows: Vec<RiskRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM risks WHERE $1 OR NOT withdrawn ORDER BY risk_id"
    )))
    .bind(include_withdrawn)
    .fetch_all(conn)
    .await?;
    decode_all(rows)
}
