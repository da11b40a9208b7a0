//! `catalog_syncs` and `catalog_sync_items`.

use chrono::{DateTime, Utc};
use platform::error::UnknownStoredValue;
use sqlx::PgConnection;
use uuid::Uuid;

use super::{decode_all, decode_optional, gb_id, signed, unsigned};
use crate::domain::catalog::{CatalogSync, SyncState};
use crate::domain::gbid::GbId;
use crate::domain::ids::SyncId;

/// A sync as stored.
#[derive(sqlx::FromRow)]
struct SyncRow {
    sync_id: Uuid,
    device_id: String,
    sn: i64,
    sum_num: i32,
    received: i32,
    state: String,
    removed: i32,
    started_at: DateTime<Utc>,
    deadline: DateTime<Utc>,
    finished_at: Option<DateTime<Utc>>,
}

const COLUMNS: &str =
    "sync_id, device_id, sn, sum_num, received, state, removed, started_at, deadline, finished_at";

impl TryFrom<SyncRow> for CatalogSync {
    type Error = UnknownStoredValue;

    fn try_from(r: SyncRow) -> Result<Self, Self::Error> {
        Ok(CatalogSync {
            id: SyncId(r.sync_id),
            device: gb_id("catalog_syncs", "device_id", &r.device_id)?,
            sn: u64::try_from(r.sn)
                .map_err(|_| UnknownStoredValue::new("catalog_syncs", "sn", r.sn.to_string()))?,
            sum_num: unsigned(r.sum_num),
            received: unsigned(r.received),
            state: SyncState::parse(&r.state)
                .ok_or_else(|| UnknownStoredValue::new("catalog_syncs", "state", &r.state))?,
            removed: unsigned(r.removed),
            started_at: r.started_at,
            deadline: r.deadline,
            finished_at: r.finished_at,
        })
    }
}

/// Returns a stored SN.
fn sn(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

/// Inserts or replaces a sync.
///
/// # Errors
/// The database fails.
pub async fn save(conn: &mut PgConnection, s: &CatalogSync) -> Result<(), sqlx::Error> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO catalog_syncs ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
         ON CONFLICT (sync_id) DO UPDATE SET sum_num = EXCLUDED.sum_num,
           received = EXCLUDED.received, state = EXCLUDED.state, removed = EXCLUDED.removed,
           deadline = EXCLUDED.deadline, finished_at = EXCLUDED.finished_at"
    )))
    .bind(s.id.0)
    .bind(s.device.as_str())
    .bind(sn(s.sn))
    .bind(signed(s.sum_num))
    .bind(signed(s.received))
    .bind(s.state.as_str())
    .bind(signed(s.removed))
    .bind(s.started_at)
    .bind(s.deadline)
    .bind(s.finished_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Returns the sync of query `sn` to `device`, locked for update.
///
/// # Errors
/// The database fails, or a stored value is unknown.
pub async fn load_for_update(
    conn: &mut PgConnection,
    device: &GbId,
    sn_value: u64,
) -> Result<Option<CatalogSync>, sqlx::Error> {
    let row: Option<SyncRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM catalog_syncs WHERE device_id = $1 AND sn = $2 FOR UPDATE"
    )))
    .bind(device.as_str())
    .bind(sn(sn_value))
    .fetch_optional(conn)
    .await?;
    decode_optional(row)
}

/// Returns a sync by id, locked for update.
///
/// # Errors
/// The database fails, or a stored value is unknown.
pub async fn load_by_id_for_update(
    conn: &mut PgConnection,
    id: SyncId,
) -> Result<Option<CatalogSync>, sqlx::Error> {
    let row: Option<SyncRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM catalog_syncs WHERE sync_id = $1 FOR UPDATE"
    )))
    .bind(id.0)
    .fetch_optional(conn)
    .await?;
    decode_optional(row)
}

/// Records the items a packet listed (each once); returns how many
/// distinct items the sync has now.
///
/// # Errors
/// The database fails.
pub async fn add_items(
    conn: &mut PgConnection,
    id: SyncId,
    items: &[String],
) -> Result<u32, sqlx::Error> {
    sqlx::query(
        "INSERT INTO catalog_sync_items (sync_id, item_id)
         SELECT $1, unnest($2::text[]) ON CONFLICT DO NOTHING",
    )
    .bind(id.0)
    .bind(items)
    .execute(&mut *conn)
    .await?;
    let count: i64 =
        sqlx::query_scalar("SELECT count(*) FROM catalog_sync_items WHERE sync_id = $1")
            .bind(id.0)
            .fetch_one(conn)
            .await?;
    Ok(u32::try_from(count).unwrap_or(u32::MAX))
}

/// Returns the ids of collecting syncs whose deadline passed by `now`.
///
/// # Errors
/// The database fails.
pub async fn overdue(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<SyncId>, sqlx::Error> {
    let ids: Vec<Uuid> = sqlx::query_scalar(
        "SELECT sync_id FROM catalog_syncs WHERE state = 'COLLECTING' AND deadline <= $1
         ORDER BY deadline LIMIT $2",
    )
    .bind(now)
    .bind(limit)
    .fetch_all(conn)
    .await?;
    Ok(ids.into_iter().map(SyncId).collect())
}

/// Returns the syncs of `device`, newest first.
///
/// # Errors
/// The database fails, or a stored value is unknown.
pub async fn of_device(
    conn: &mut PgConnection,
    device: &GbId,
) -> Result<Vec<CatalogSync>, sqlx::Error> {
    let rows: Vec<SyncRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM catalog_syncs WHERE device_id = $1 ORDER BY started_at DESC, sn DESC LIMIT 100"
    )))
    .bind(device.as_str())
    .fetch_all(conn)
    .await?;
    decode_all(rows)
}

/// Returns the SN of the next Catalog query to `device` (its row is
/// locked by the caller, so two registrations never share one).
///
/// # Errors
/// The database fails.
pub async fn next_sn(conn: &mut PgConnection, device: &GbId) -> Result<u64, sqlx::Error> {
    let last: Option<i64> =
        sqlx::query_scalar("SELECT max(sn) FROM catalog_syncs WHERE device_id = $1")
            .bind(device.as_str())
            .fetch_one(conn)
            .await?;
    Ok(u64::try_from(last.unwrap_or(0)).unwrap_or(0) + 1)
}
