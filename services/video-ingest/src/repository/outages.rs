//! `outages`: each device's outages, at most one open at a time.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;

use crate::domain::gbid::GbId;
use crate::domain::outage::Outage;

/// Records `outage` unless its device has one open already; returns
/// whether it did.
///
/// # Errors
/// The database fails.
pub async fn begin(conn: &mut PgConnection, outage: &Outage) -> Result<bool, sqlx::Error> {
    let inserted = sqlx::query(
        "INSERT INTO outages (outage_id, device_id, started_at, ended_at)
         VALUES ($1, $2, $3, NULL)
         ON CONFLICT (device_id) WHERE ended_at IS NULL DO NOTHING",
    )
    .bind(outage.id.0)
    .bind(outage.device.as_str())
    .bind(outage.started_at)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(inserted == 1)
}

/// Ends the open outage of `device` at `now`, if any; returns whether
/// there was one.
///
/// # Errors
/// The database fails.
pub async fn end(
    conn: &mut PgConnection,
    device: &GbId,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let ended = sqlx::query(
        "UPDATE outages SET ended_at = GREATEST($2, started_at)
         WHERE device_id = $1 AND ended_at IS NULL",
    )
    .bind(device.as_str())
    .bind(now)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(ended > 0)
}
