//! `custody_log`, the hash-chained custody and access log. Appends take the
//! tail's advisory lock (`platform::chained`), so entries chain in one line
//! however many calls log at once.

use chrono::{DateTime, Utc};
use platform::chained::stored_hash;
use platform::error::UnknownStoredValue;
use sqlx::PgConnection;
use uuid::Uuid;

use super::decode_all;
use crate::domain::custody::{Action, CustodyEntry, CustodyRecord};
use crate::domain::ids::{ApplicationId, ClipId};

/// The advisory lock key of the log's tail ("CUSTODY" in ASCII).
const TAIL_LOCK: i64 = 0x43_5553_544f_4459;

#[derive(sqlx::FromRow)]
struct EntryRow {
    seq: i64,
    action: String,
    clip_id: Option<Uuid>,
    application_id: Option<Uuid>,
    actor: String,
    actor_role: String,
    detail: String,
    recorded_at: DateTime<Utc>,
    prev_hash: Vec<u8>,
    entry_hash: Vec<u8>,
}

impl TryFrom<EntryRow> for CustodyEntry {
    type Error = UnknownStoredValue;

    fn try_from(r: EntryRow) -> Result<Self, Self::Error> {
        Ok(CustodyEntry {
            seq: u64::try_from(r.seq)
                .map_err(|_| UnknownStoredValue::new("custody_log", "seq", r.seq.to_string()))?,
            record: CustodyRecord {
                action: Action::parse(&r.action)
                    .ok_or_else(|| UnknownStoredValue::new("custody_log", "action", &r.action))?,
                clip_id: r.clip_id.map(ClipId),
                application_id: r.application_id.map(ApplicationId),
                actor: r.actor,
                actor_role: r.actor_role,
                detail: r.detail,
                recorded_at: r.recorded_at,
            },
            prev_hash: stored_hash("custody_log", "prev_hash", &r.prev_hash)?,
            entry_hash: stored_hash("custody_log", "entry_hash", &r.entry_hash)?,
        })
    }
}

const COLUMNS: &str =
    "seq, action, clip_id, application_id, actor, actor_role, detail, recorded_at,
    prev_hash, entry_hash";

/// Appends `record` after the last entry and returns the entry.
///
/// # Errors
/// The database fails.
#[tracing::instrument(skip_all, fields(action = record.action.as_str()))]
pub async fn append(
    conn: &mut PgConnection,
    record: CustodyRecord,
) -> Result<CustodyEntry, sqlx::Error> {
    let (seq, prev) = platform::chained::lock_tail(conn, TAIL_LOCK, "custody_log").await?;
    let entry = CustodyEntry::chain(seq, record, prev);
    let r = &entry.record;
    sqlx::query(
        "INSERT INTO custody_log (seq, action, clip_id, application_id, actor, actor_role, detail,
             recorded_at, prev_hash, entry_hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(i64::try_from(entry.seq).unwrap_or(i64::MAX))
    .bind(r.action.as_str())
    .bind(r.clip_id.map(|c| c.0))
    .bind(r.application_id.map(|a| a.0))
    .bind(&r.actor)
    .bind(&r.actor_role)
    .bind(&r.detail)
    .bind(r.recorded_at)
    .bind(&entry.prev_hash[..])
    .bind(&entry.entry_hash[..])
    .execute(&mut *conn)
    .await?;
    Ok(entry)
}

/// Returns up to `limit` entries after `after`, in order.
///
/// # Errors
/// The database fails.
pub async fn page(
    conn: &mut PgConnection,
    after: u64,
    limit: i64,
) -> Result<Vec<CustodyEntry>, sqlx::Error> {
    let rows: Vec<EntryRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM custody_log WHERE seq > $1 ORDER BY seq LIMIT $2"
    )))
    .bind(i64::try_from(after).unwrap_or(i64::MAX))
    .bind(limit)
    .fetch_all(conn)
    .await?;
    decode_all(rows)
}

/// Returns the entries of clip `clip` or application `application` (or
/// both), in order, up to `limit` after `after`.
///
/// # Errors
/// The database fails.
pub async fn of(
    conn: &mut PgConnection,
    clip: Option<ClipId>,
    application: Option<ApplicationId>,
    after: u64,
    limit: i64,
) -> Result<Vec<CustodyEntry>, sqlx::Error> {
    let rows: Vec<EntryRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM custody_log
         WHERE seq > $1 AND ($2::uuid IS NULL OR clip_id = $2)
           AND ($3::uuid IS NULL OR application_id = $3)
         ORDER BY seq LIMIT $4"
    )))
    .bind(i64::try_from(after).unwrap_or(i64::MAX))
    .bind(clip.map(|c| c.0))
    .bind(application.map(|a| a.0))
    .bind(limit)
    .fetch_all(conn)
    .await?;
    decode_all(rows)
}
