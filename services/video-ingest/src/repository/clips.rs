//! `clips` and `clip_files`.

use chrono::{DateTime, Utc};
use platform::chained::stored_hash;
use platform::error::UnknownStoredValue;
use sqlx::PgConnection;
use uuid::Uuid;

use super::{decode_all, gb_id};
use crate::domain::camera::CameraKind;
use crate::domain::evidence::{Clip, ClipFile, Hold};
use crate::domain::gbid::GbId;
use crate::domain::ids::{ClipId, IncidentId};

const COLUMNS: &str = "clip_id, channel_id, device_id, camera_kind, starts_at, ends_at, incident_id,
    source_clip_id, retain_until, hold_reason, held_by, held_at, purged_at, recorded_by, recorded_at";

#[derive(sqlx::FromRow)]
struct ClipRow {
    clip_id: Uuid,
    channel_id: String,
    device_id: String,
    camera_kind: String,
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
    incident_id: Option<Uuid>,
    source_clip_id: Option<Uuid>,
    retain_until: DateTime<Utc>,
    hold_reason: Option<String>,
    held_by: Option<String>,
    held_at: Option<DateTime<Utc>>,
    purged_at: Option<DateTime<Utc>>,
    recorded_by: String,
    recorded_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct FileRow {
    clip_id: Uuid,
    name: String,
    object_key: String,
    size_bytes: i64,
    sha256: Vec<u8>,
}

impl TryFrom<ClipRow> for Clip {
    type Error = UnknownStoredValue;

    fn try_from(r: ClipRow) -> Result<Self, Self::Error> {
        Ok(Clip {
            id: ClipId(r.clip_id),
            channel_id: gb_id("clips", "channel_id", &r.channel_id)?,
            device_id: gb_id("clips", "device_id", &r.device_id)?,
            camera_kind: CameraKind::parse(&r.camera_kind)
                .ok_or_else(|| UnknownStoredValue::new("clips", "camera_kind", &r.camera_kind))?,
            starts_at: r.starts_at,
            ends_at: r.ends_at,
            incident_id: r.incident_id.map(IncidentId),
            source: r.source_clip_id.map(ClipId),
            files: Vec::new(),
            retain_until: r.retain_until,
            hold: match (r.hold_reason, r.held_at) {
                (Some(reason), Some(at)) => Some(Hold {
                    reason,
                    by: r.held_by.unwrap_or_default(),
                    at,
                }),
                _ => None,
            },
            purged_at: r.purged_at,
            recorded_by: r.recorded_by,
            recorded_at: r.recorded_at,
        })
    }
}

impl TryFrom<FileRow> for ClipFile {
    type Error = UnknownStoredValue;

    fn try_from(r: FileRow) -> Result<Self, Self::Error> {
        Ok(ClipFile {
            name: r.name,
            key: r.object_key,
            size_bytes: u64::try_from(r.size_bytes).map_err(|_| {
                UnknownStoredValue::new("clip_files", "size_bytes", r.size_bytes.to_string())
            })?,
            sha256: stored_hash("clip_files", "sha256", &r.sha256)?,
        })
    }
}

/// Inserts `clip` and its files.
///
/// # Errors
/// The database fails.
#[tracing::instrument(skip_all, fields(clip_id = %clip.id))]
pub async fn insert(conn: &mut PgConnection, clip: &Clip) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO clips (clip_id, channel_id, device_id, camera_kind, starts_at, ends_at,
             incident_id, source_clip_id, manifest_sha256, retain_until, recorded_by, recorded_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(clip.id.0)
    .bind(clip.channel_id.as_str())
    .bind(clip.device_id.as_str())
    .bind(clip.camera_kind.as_str())
    .bind(clip.starts_at)
    .bind(clip.ends_at)
    .bind(clip.incident_id.map(|i| i.0))
    .bind(clip.source.map(|s| s.0))
    .bind(&clip.manifest_hash()[..])
    .bind(clip.retain_until)
    .bind(&clip.recorded_by)
    .bind(clip.recorded_at)
    .execute(&mut *conn)
    .await?;
    for (position, file) in clip.files.iter().enumerate() {
        sqlx::query(
            "INSERT INTO clip_files (clip_id, position, name, object_key, size_bytes, sha256)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(clip.id.0)
        .bind(i32::try_from(position).unwrap_or(i32::MAX))
        .bind(&file.name)
        .bind(&file.key)
        .bind(i64::try_from(file.size_bytes).unwrap_or(i64::MAX))
        .bind(&file.sha256[..])
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

async fn with_files(
    conn: &mut PgConnection,
    mut clips: Vec<Clip>,
) -> Result<Vec<Clip>, sqlx::Error> {
    let ids: Vec<Uuid> = clips.iter().map(|c| c.id.0).collect();
    let rows: Vec<FileRow> = sqlx::query_as(
        "SELECT clip_id, name, object_key, size_bytes, sha256 FROM clip_files
         WHERE clip_id = ANY($1) ORDER BY clip_id, position",
    )
    .bind(&ids)
    .fetch_all(conn)
    .await?;
    for row in rows {
        let id = row.clip_id;
        let file = ClipFile::try_from(row)?;
        if let Some(clip) = clips.iter_mut().find(|c| c.id.0 == id) {
            clip.files.push(file);
        }
    }
    Ok(clips)
}

/// Returns clip `id` with its files.
///
/// # Errors
/// The database fails.
pub async fn get(conn: &mut PgConnection, id: ClipId) -> Result<Option<Clip>, sqlx::Error> {
    let rows: Vec<ClipRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM clips WHERE clip_id = $1"
    )))
    .bind(id.0)
    .fetch_all(&mut *conn)
    .await?;
    Ok(with_files(conn, decode_all(rows)?).await?.pop())
}

/// Returns clip `id` locked until the transaction ends.
///
/// # Errors
/// The database fails.
pub async fn get_for_update(
    conn: &mut PgConnection,
    id: ClipId,
) -> Result<Option<Clip>, sqlx::Error> {
    let rows: Vec<ClipRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM clips WHERE clip_id = $1 FOR UPDATE"
    )))
    .bind(id.0)
    .fetch_all(&mut *conn)
    .await?;
    Ok(with_files(conn, decode_all(rows)?).await?.pop())
}

/// Returns the stored manifest hash of clip `id`.
///
/// # Errors
/// The database fails, or the stored hash is not 32 bytes.
pub async fn stored_manifest(
    conn: &mut PgConnection,
    id: ClipId,
) -> Result<Option<[u8; 32]>, sqlx::Error> {
    let stored: Option<Vec<u8>> =
        sqlx::query_scalar("SELECT manifest_sha256 FROM clips WHERE clip_id = $1")
            .bind(id.0)
            .fetch_optional(conn)
            .await?;
    Ok(stored
        .map(|h| stored_hash("clips", "manifest_sha256", &h))
        .transpose()?)
}

/// Which clips to list.
#[derive(Debug, Clone, Default)]
pub struct ClipFilter {
    pub channel: Option<GbId>,
    /// Only clips overlapping this window.
    pub window: Option<(DateTime<Utc>, DateTime<Utc>)>,
    /// Only originals (no redacted copies).
    pub originals_only: bool,
    pub limit: i64,
}

/// Returns clips, newest window first.
///
/// # Errors
/// The database fails.
pub async fn list(conn: &mut PgConnection, filter: &ClipFilter) -> Result<Vec<Clip>, sqlx::Error> {
    let rows: Vec<ClipRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM clips
         WHERE ($1::text IS NULL OR channel_id = $1)
           AND ($2::timestamptz IS NULL OR (starts_at < $3 AND $2 < ends_at))
           AND (NOT $4 OR source_clip_id IS NULL)
         ORDER BY starts_at DESC, clip_id LIMIT $5"
    )))
    .bind(filter.channel.as_ref().map(GbId::as_str))
    .bind(filter.window.map(|w| w.0))
    .bind(filter.window.map(|w| w.1))
    .bind(filter.originals_only)
    .bind(filter.limit)
    .fetch_all(&mut *conn)
    .await?;
    with_files(conn, decode_all(rows)?).await
}

/// Returns every clip id in order (what the verification walks).
///
/// # Errors
/// The database fails.
pub async fn all_ids(conn: &mut PgConnection) -> Result<Vec<ClipId>, sqlx::Error> {
    let ids: Vec<Uuid> = sqlx::query_scalar("SELECT clip_id FROM clips ORDER BY clip_id")
        .fetch_all(conn)
        .await?;
    Ok(ids.into_iter().map(ClipId).collect())
}

/// Stores the clip's hold (or its release).
///
/// # Errors
/// The database fails.
pub async fn save_hold(conn: &mut PgConnection, clip: &Clip) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE clips SET hold_reason = $2, held_by = $3, held_at = $4 WHERE clip_id = $1")
        .bind(clip.id.0)
        .bind(clip.hold.as_ref().map(|h| h.reason.as_str()))
        .bind(clip.hold.as_ref().map(|h| h.by.as_str()))
        .bind(clip.hold.as_ref().map(|h| h.at))
        .execute(conn)
        .await?;
    Ok(())
}

/// Returns up to `limit` clips the retention purge may take at `now`, locked
/// (others purging at once skip them).
///
/// # Errors
/// The database fails.
pub async fn purgeable(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<Clip>, sqlx::Error> {
    let rows: Vec<ClipRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM clips
         WHERE purged_at IS NULL AND hold_reason IS NULL AND retain_until <= $1
         ORDER BY retain_until LIMIT $2 FOR UPDATE SKIP LOCKED"
    )))
    .bind(now)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    with_files(conn, decode_all(rows)?).await
}

/// Marks clip `id` purged at `at`.
///
/// # Errors
/// The database fails.
pub async fn mark_purged(
    conn: &mut PgConnection,
    id: ClipId,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE clips SET purged_at = $2 WHERE clip_id = $1 AND hold_reason IS NULL")
        .bind(id.0)
        .bind(at)
        .execute(conn)
        .await?;
    Ok(())
}
