//! The hash-chained message log. Appends take the tail's advisory lock
//! (`platform::chained`), so entries chain in one line however many calls
//! log at once.

use chrono::{DateTime, Utc};
use platform::error::UnknownStoredValue;
use sqlx::PgConnection;

use super::{decode_all, hash};
use crate::domain::log::{Direction, LogEntry, LogRecord};

/// The advisory lock key of the log's tail ("LOG" in ASCII).
const TAIL_LOCK: i64 = 0x4c4f47;

#[derive(sqlx::FromRow)]
struct EntryRow {
    seq: i64,
    direction: String,
    message_id: String,
    peer: String,
    message_type: String,
    shared_case_id: String,
    canonical: Vec<u8>,
    signature: Vec<u8>,
    envelope_hash: Vec<u8>,
    prev_hash: Vec<u8>,
    entry_hash: Vec<u8>,
    recorded_at: DateTime<Utc>,
}

impl TryFrom<EntryRow> for LogEntry {
    type Error = UnknownStoredValue;

    fn try_from(row: EntryRow) -> Result<Self, Self::Error> {
        Ok(LogEntry {
            seq: u64::try_from(row.seq).unwrap_or(0),
            record: LogRecord {
                direction: Direction::parse(&row.direction).ok_or_else(|| {
                    UnknownStoredValue::new("message_log", "direction", &row.direction)
                })?,
                message_id: row.message_id,
                peer: row.peer,
                message_type: row.message_type,
                shared_case_id: row.shared_case_id,
                canonical: row.canonical,
                signature: row.signature,
                recorded_at: row.recorded_at,
            },
            envelope_hash: hash("message_log", "envelope_hash", &row.envelope_hash)?,
            prev_hash: hash("message_log", "prev_hash", &row.prev_hash)?,
            entry_hash: hash("message_log", "entry_hash", &row.entry_hash)?,
        })
    }
}

/// Appends `record` after the last entry and returns the entry.
#[tracing::instrument(skip_all, fields(message_id = %record.message_id))]
pub async fn append(conn: &mut PgConnection, record: LogRecord) -> Result<LogEntry, sqlx::Error> {
    let (seq, prev) = platform::chained::lock_tail(conn, TAIL_LOCK, "message_log").await?;
    let entry = LogEntry::chain(seq, record, prev);
    let r = &entry.record;
    sqlx::query(
        "INSERT INTO message_log (seq, direction, message_id, peer, message_type, shared_case_id,
             canonical, signature, envelope_hash, prev_hash, entry_hash, recorded_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(i64::try_from(entry.seq).unwrap_or(i64::MAX))
    .bind(r.direction.as_str())
    .bind(&r.message_id)
    .bind(&r.peer)
    .bind(&r.message_type)
    .bind(&r.shared_case_id)
    .bind(&r.canonical)
    .bind(&r.signature)
    .bind(&entry.envelope_hash[..])
    .bind(&entry.prev_hash[..])
    .bind(&entry.entry_hash[..])
    .bind(r.recorded_at)
    .execute(&mut *conn)
    .await?;
    Ok(entry)
}

/// Returns up to `limit` entries after `after`, in order.
pub async fn page(
    conn: &mut PgConnection,
    after: u64,
    limit: u32,
) -> Result<Vec<LogEntry>, sqlx::Error> {
    let rows: Vec<EntryRow> = sqlx::query_as(
        "SELECT seq, direction, message_id, peer, message_type, shared_case_id, canonical, signature,
             envelope_hash, prev_hash, entry_hash, recorded_at
         FROM message_log WHERE seq > $1 ORDER BY seq LIMIT $2",
    )
    .bind(i64::try_from(after).unwrap_or(i64::MAX))
    .bind(i64::from(limit))
    .fetch_all(conn)
    .await?;
    decode_all(rows)
}
