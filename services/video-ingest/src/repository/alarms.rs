//! `alarms`.

use chrono::{DateTime, Utc};
use platform::error::UnknownStoredValue;
use sqlx::PgConnection;
use uuid::Uuid;

use super::{decode_all, gb_id};
use crate::domain::alarm::Alarm;
use crate::domain::camera::LatLng;
use crate::domain::ids::AlarmId;

/// An alarm as stored.
#[derive(sqlx::FromRow)]
struct AlarmRow {
    alarm_id: Uuid,
    device_id: String,
    channel_id: Option<String>,
    sn: i64,
    priority: i32,
    method: i32,
    alarm_type: String,
    description: String,
    alarm_time: Option<DateTime<Utc>>,
    lat: Option<f64>,
    lng: Option<f64>,
    received_at: DateTime<Utc>,
    unusable: Option<String>,
}

impl TryFrom<AlarmRow> for Alarm {
    type Error = UnknownStoredValue;

    fn try_from(r: AlarmRow) -> Result<Self, Self::Error> {
        let unsigned = |column: &'static str, v: i32| {
            u32::try_from(v).map_err(|_| UnknownStoredValue::new("alarms", column, v.to_string()))
        };
        Ok(Alarm {
            id: AlarmId(r.alarm_id),
            device: gb_id("alarms", "device_id", &r.device_id)?,
            channel: r
                .channel_id
                .as_deref()
                .map(|c| gb_id("alarms", "channel_id", c))
                .transpose()?,
            sn: u64::try_from(r.sn)
                .map_err(|_| UnknownStoredValue::new("alarms", "sn", r.sn.to_string()))?,
            priority: unsigned("priority", r.priority)?,
            method: unsigned("method", r.method)?,
            alarm_type: r.alarm_type,
            description: r.description,
            alarm_time: r.alarm_time,
            location: r.lat.zip(r.lng).map(|(lat, lng)| LatLng { lat, lng }),
            received_at: r.received_at,
            unusable: r.unusable,
        })
    }
}

/// Records an alarm; returns false when the device sent this SN before
/// (a resent notification is one alarm).
///
/// # Errors
/// The database fails.
pub async fn insert(conn: &mut PgConnection, a: &Alarm) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO alarms (alarm_id, device_id, channel_id, sn, priority, method, alarm_type,
                             description, alarm_time, lat, lng, received_at, unusable)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
         ON CONFLICT (device_id, sn) DO NOTHING",
    )
    .bind(a.id.0)
    .bind(a.device.as_str())
    .bind(a.channel.as_ref().map(|c| c.as_str()))
    .bind(i64::try_from(a.sn).unwrap_or(i64::MAX))
    .bind(i32::try_from(a.priority).unwrap_or(0))
    .bind(i32::try_from(a.method).unwrap_or(0))
    .bind(&a.alarm_type)
    .bind(&a.description)
    .bind(a.alarm_time)
    .bind(a.location.map(|l| l.lat))
    .bind(a.location.map(|l| l.lng))
    .bind(a.received_at)
    .bind(&a.unusable)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Returns alarms, newest first: of one device or all, optionally only
/// the unusable.
///
/// # Errors
/// The database fails, or a stored value is unknown.
pub async fn list(
    conn: &mut PgConnection,
    device: Option<&str>,
    unusable_only: bool,
    limit: i64,
) -> Result<Vec<Alarm>, sqlx::Error> {
    let rows: Vec<AlarmRow> = sqlx::query_as(
        "SELECT alarm_id, device_id, channel_id, sn, priority, method, alarm_type, description,
                alarm_time, lat, lng, received_at, unusable
         FROM alarms WHERE ($1::text IS NULL OR device_id = $1) AND (NOT $2 OR unusable IS NOT NULL)
         ORDER BY received_at DESC, alarm_id DESC LIMIT $3",
    )
    .bind(device)
    .bind(unusable_only)
    .bind(limit)
    .fetch_all(conn)
    .await?;
    decode_all(rows)
}
