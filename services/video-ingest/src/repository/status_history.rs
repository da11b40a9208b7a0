//! `device_status_changes`: each device's status history, and what the
//! online rate is computed from.

use chrono::{DateTime, Utc};
use platform::error::UnknownStoredValue;
use sqlx::PgConnection;

use crate::domain::availability::StatusChange;
use crate::domain::camera::{DeviceStatus, OwnerKind};
use crate::domain::gbid::GbId;

/// Records that `device` has `status` from `at`, unless that is already
/// its last recorded status (compared with the history, not the device's
/// row, so it runs after the row is written).
///
/// # Errors
/// The database fails.
pub async fn record(
    conn: &mut PgConnection,
    device: &GbId,
    status: DeviceStatus,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO device_status_changes (device_id, status, changed_at)
         SELECT $1, $2, $3
         WHERE $2 IS DISTINCT FROM (
             SELECT status FROM device_status_changes WHERE device_id = $1
             ORDER BY changed_at DESC, seq DESC LIMIT 1)",
    )
    .bind(device.as_str())
    .bind(status.as_str())
    .bind(at)
    .execute(conn)
    .await?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct ChangeRow {
    device_id: String,
    status: String,
    changed_at: DateTime<Utc>,
}

/// Returns each device's status changes that matter for `from..to`: the
/// last one before `from` (its status at `from`) and those within, in
/// time order, as (device id, changes).
///
/// # Errors
/// The database fails, or a stored status is unknown.
pub async fn changes(
    conn: &mut PgConnection,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<(String, Vec<StatusChange>)>, sqlx::Error> {
    let rows: Vec<ChangeRow> = sqlx::query_as(
        "SELECT c.device_id, c.status, c.changed_at FROM device_status_changes c
         WHERE c.changed_at < $2
           AND (c.changed_at >= $1 OR c.seq = (
               SELECT p.seq FROM device_status_changes p
               WHERE p.device_id = c.device_id AND p.changed_at < $1
               ORDER BY p.changed_at DESC, p.seq DESC LIMIT 1))
         ORDER BY c.device_id, c.changed_at, c.seq",
    )
    .bind(from)
    .bind(to)
    .fetch_all(conn)
    .await?;
    let mut out: Vec<(String, Vec<StatusChange>)> = Vec::new();
    for row in rows {
        let status = DeviceStatus::parse(&row.status).ok_or_else(|| {
            UnknownStoredValue::new("device_status_changes", "status", &row.status)
        })?;
        let change = StatusChange {
            status,
            at: row.changed_at,
        };
        match out.last_mut() {
            Some((device, changes)) if *device == row.device_id => changes.push(change),
            _ => out.push((row.device_id, vec![change])),
        }
    }
    Ok(out)
}

/// A device's cameras in one grid, with its owner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceCameras {
    pub device_id: String,
    pub owner_kind: OwnerKind,
    pub owner_code: String,
    pub owner_name: String,
    /// The micro-grid; `None` for cameras placed in none.
    pub grid_code: Option<String>,
    pub cameras: u32,
}

#[derive(sqlx::FromRow)]
struct DeviceCamerasRow {
    device_id: String,
    owner_kind: String,
    owner_code: String,
    owner_name: String,
    grid_code: Option<String>,
    cameras: i64,
}

/// Returns how many cameras each device has in each grid.
///
/// # Errors
/// The database fails, or a stored owner kind is unknown.
pub async fn cameras_by_device(conn: &mut PgConnection) -> Result<Vec<DeviceCameras>, sqlx::Error> {
    let rows: Vec<DeviceCamerasRow> = sqlx::query_as(
        "SELECT d.device_id, d.owner_kind, d.owner_code, d.owner_name, c.grid_code,
                count(*) AS cameras
         FROM channels c JOIN devices d ON d.device_id = c.device_id
         GROUP BY d.device_id, d.owner_kind, d.owner_code, d.owner_name, c.grid_code
         ORDER BY d.device_id, c.grid_code",
    )
    .fetch_all(conn)
    .await?;
    rows.into_iter()
        .map(|r| {
            let owner_kind = OwnerKind::parse(&r.owner_kind)
                .ok_or_else(|| UnknownStoredValue::new("devices", "owner_kind", &r.owner_kind))?;
            Ok(DeviceCameras {
                device_id: r.device_id,
                owner_kind,
                owner_code: r.owner_code,
                owner_name: r.owner_name,
                grid_code: r.grid_code,
                cameras: u32::try_from(r.cameras).unwrap_or(u32::MAX),
            })
        })
        .collect()
}
