//! `devices` and `channels`.

use chrono::{DateTime, Utc};
use platform::error::UnknownStoredValue;
use sqlx::PgConnection;

use super::{decode_all, decode_optional, gb_id};
use crate::domain::camera::{
    Camera, CameraKind, CameraView, ChannelSpec, Credential, Device, DeviceStatus, LatLng, Link,
    Owner, OwnerKind, Placement, Transport,
};
use crate::domain::catalog::CatalogItem;
use crate::domain::gbid::GbId;

/// A device as stored.
#[derive(sqlx::FromRow)]
struct DeviceRow {
    device_id: String,
    name: String,
    owner_kind: String,
    owner_code: String,
    owner_name: String,
    digest_realm: Option<String>,
    digest_ha1: Option<String>,
    status: String,
    transport: Option<String>,
    address: Option<String>,
    call_id: Option<String>,
    registered_at: Option<DateTime<Utc>>,
    registration_expires_at: Option<DateTime<Utc>>,
    last_keepalive_at: Option<DateTime<Utc>>,
    offline_deadline: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

const DEVICE_COLUMNS: &str = "device_id, name, owner_kind, owner_code, owner_name, digest_realm, \
    digest_ha1, status, transport, address, call_id, registered_at, registration_expires_at, \
    last_keepalive_at, offline_deadline, created_at, updated_at";

impl TryFrom<DeviceRow> for Device {
    type Error = UnknownStoredValue;

    fn try_from(r: DeviceRow) -> Result<Self, Self::Error> {
        let owner_kind = OwnerKind::parse(&r.owner_kind)
            .ok_or_else(|| UnknownStoredValue::new("devices", "owner_kind", &r.owner_kind))?;
        let status = DeviceStatus::parse(&r.status)
            .ok_or_else(|| UnknownStoredValue::new("devices", "status", &r.status))?;
        let link = match (r.transport, r.address) {
            (Some(t), Some(address)) => Some(Link {
                transport: Transport::parse(&t)
                    .ok_or_else(|| UnknownStoredValue::new("devices", "transport", &t))?,
                address,
            }),
            _ => None,
        };
        Ok(Device {
            id: gb_id("devices", "device_id", &r.device_id)?,
            name: r.name,
            owner: Owner {
                kind: owner_kind,
                code: r.owner_code,
                name: r.owner_name,
            },
            credential: match (r.digest_realm, r.digest_ha1) {
                (Some(realm), Some(ha1)) => Some(Credential { realm, ha1 }),
                _ => None,
            },
            status,
            link,
            call_id: r.call_id,
            registered_at: r.registered_at,
            registration_expires_at: r.registration_expires_at,
            last_keepalive_at: r.last_keepalive_at,
            offline_deadline: r.offline_deadline,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

/// Inserts or replaces a device (every column), and records its status in
/// the history when it changed (at the device's `updated_at`).
///
/// # Errors
/// The database fails.
pub async fn save(conn: &mut PgConnection, d: &Device) -> Result<(), sqlx::Error> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO devices ({DEVICE_COLUMNS})
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)
         ON CONFLICT (device_id) DO UPDATE SET
           name = EXCLUDED.name, owner_kind = EXCLUDED.owner_kind,
           owner_code = EXCLUDED.owner_code, owner_name = EXCLUDED.owner_name,
           digest_realm = EXCLUDED.digest_realm, digest_ha1 = EXCLUDED.digest_ha1,
           status = EXCLUDED.status, transport = EXCLUDED.transport, address = EXCLUDED.address,
           call_id = EXCLUDED.call_id, registered_at = EXCLUDED.registered_at,
           registration_expires_at = EXCLUDED.registration_expires_at,
           last_keepalive_at = EXCLUDED.last_keepalive_at,
           offline_deadline = EXCLUDED.offline_deadline, updated_at = EXCLUDED.updated_at"
    )))
    .bind(d.id.as_str())
    .bind(&d.name)
    .bind(d.owner.kind.as_str())
    .bind(&d.owner.code)
    .bind(&d.owner.name)
    .bind(d.credential.as_ref().map(|c| c.realm.as_str()))
    .bind(d.credential.as_ref().map(|c| c.ha1.as_str()))
    .bind(d.status.as_str())
    .bind(d.link.as_ref().map(|l| l.transport.as_str()))
    .bind(d.link.as_ref().map(|l| l.address.as_str()))
    .bind(&d.call_id)
    .bind(d.registered_at)
    .bind(d.registration_expires_at)
    .bind(d.last_keepalive_at)
    .bind(d.offline_deadline)
    .bind(d.created_at)
    .bind(d.updated_at)
    .execute(&mut *conn)
    .await?;
    super::status_history::record(conn, &d.id, d.status, d.updated_at).await
}

/// Returns a device, locked for update.
///
/// # Errors
/// The database fails, or a stored value is unknown.
pub async fn load_for_update(
    conn: &mut PgConnection,
    id: &GbId,
) -> Result<Option<Device>, sqlx::Error> {
    let row: Option<DeviceRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {DEVICE_COLUMNS} FROM devices WHERE device_id = $1 FOR UPDATE"
    )))
    .bind(id.as_str())
    .fetch_optional(conn)
    .await?;
    decode_optional(row)
}

/// Returns a device.
///
/// # Errors
/// The database fails, or a stored value is unknown.
pub async fn find(conn: &mut PgConnection, id: &GbId) -> Result<Option<Device>, sqlx::Error> {
    let row: Option<DeviceRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {DEVICE_COLUMNS} FROM devices WHERE device_id = $1"
    )))
    .bind(id.as_str())
    .fetch_optional(conn)
    .await?;
    decode_optional(row)
}

/// Which devices to list.
#[derive(Debug, Clone, Default)]
pub struct DeviceFilter {
    pub owner_kind: Option<OwnerKind>,
    pub status: Option<DeviceStatus>,
    /// After this device id (the page token).
    pub after: Option<String>,
    pub limit: i64,
}

/// Returns devices in id order.
///
/// # Errors
/// The database fails, or a stored value is unknown.
pub async fn list(conn: &mut PgConnection, f: &DeviceFilter) -> Result<Vec<Device>, sqlx::Error> {
    let rows: Vec<DeviceRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {DEVICE_COLUMNS} FROM devices
         WHERE ($1::text IS NULL OR owner_kind = $1) AND ($2::text IS NULL OR status = $2)
           AND ($3::text IS NULL OR device_id > $3)
         ORDER BY device_id LIMIT $4"
    )))
    .bind(f.owner_kind.map(OwnerKind::as_str))
    .bind(f.status.map(DeviceStatus::as_str))
    .bind(&f.after)
    .bind(f.limit)
    .fetch_all(conn)
    .await?;
    decode_all(rows)
}

/// Returns the ids of online devices whose deadline passed by `now`, at
/// most `limit`.
///
/// # Errors
/// The database fails, or a stored id is not a code.
pub async fn past_deadline(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<GbId>, sqlx::Error> {
    let ids: Vec<String> = sqlx::query_scalar(
        "SELECT device_id FROM devices WHERE status = 'ONLINE' AND offline_deadline <= $1
         ORDER BY offline_deadline LIMIT $2",
    )
    .bind(now)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    ids.iter()
        .map(|id| gb_id("devices", "device_id", id).map_err(sqlx::Error::from))
        .collect()
}

/// A camera as stored, with its device's owner and status.
#[derive(sqlx::FromRow)]
struct CameraRow {
    channel_id: String,
    device_id: String,
    name: String,
    kind: String,
    lat: Option<f64>,
    lng: Option<f64>,
    grid_code: Option<String>,
    village_code: Option<String>,
    stream_ref: String,
    reported_status: Option<String>,
    manufacturer: String,
    model: String,
    updated_at: DateTime<Utc>,
    owner_kind: String,
    owner_code: String,
    owner_name: String,
    status: String,
}

const CAMERA_SELECT: &str = "SELECT c.channel_id, c.device_id, c.name, c.kind, c.lat, c.lng, \
    c.grid_code, c.village_code, c.stream_ref, c.reported_status, c.manufacturer, c.model, \
    c.updated_at, d.owner_kind, d.owner_code, d.owner_name, d.status \
    FROM channels c JOIN devices d ON d.device_id = c.device_id";

impl TryFrom<CameraRow> for CameraView {
    type Error = UnknownStoredValue;

    fn try_from(r: CameraRow) -> Result<Self, Self::Error> {
        let kind = CameraKind::parse(&r.kind)
            .ok_or_else(|| UnknownStoredValue::new("channels", "kind", &r.kind))?;
        let owner_kind = OwnerKind::parse(&r.owner_kind)
            .ok_or_else(|| UnknownStoredValue::new("devices", "owner_kind", &r.owner_kind))?;
        let device_status = DeviceStatus::parse(&r.status)
            .ok_or_else(|| UnknownStoredValue::new("devices", "status", &r.status))?;
        Ok(CameraView {
            camera: Camera {
                id: gb_id("channels", "channel_id", &r.channel_id)?,
                device: gb_id("channels", "device_id", &r.device_id)?,
                name: r.name,
                kind,
                location: r.lat.zip(r.lng).map(|(lat, lng)| LatLng { lat, lng }),
                placement: r.grid_code.map(|micro_grid_code| Placement {
                    micro_grid_code,
                    village_code: r.village_code.unwrap_or_default(),
                }),
                stream_ref: r.stream_ref,
                reported_status: r.reported_status,
                manufacturer: r.manufacturer,
                model: r.model,
                updated_at: r.updated_at,
            },
            owner: Owner {
                kind: owner_kind,
                code: r.owner_code,
                name: r.owner_name,
            },
            device_status,
        })
    }
}

/// Inserts or changes a channel an operator declared, with its placement.
///
/// # Errors
/// The database fails.
pub async fn put_channel(
    conn: &mut PgConnection,
    device: &GbId,
    spec: &ChannelSpec,
    placement: Option<&Placement>,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO channels (channel_id, device_id, name, kind, lat, lng, grid_code, village_code,
                               stream_ref, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
         ON CONFLICT (channel_id) DO UPDATE SET
           device_id = EXCLUDED.device_id, name = EXCLUDED.name, kind = EXCLUDED.kind,
           lat = EXCLUDED.lat, lng = EXCLUDED.lng, grid_code = EXCLUDED.grid_code,
           village_code = EXCLUDED.village_code, stream_ref = EXCLUDED.stream_ref,
           updated_at = EXCLUDED.updated_at",
    )
    .bind(spec.id.as_str())
    .bind(device.as_str())
    .bind(&spec.name)
    .bind(spec.kind.as_str())
    .bind(spec.location.map(|l| l.lat))
    .bind(spec.location.map(|l| l.lng))
    .bind(placement.map(|p| p.micro_grid_code.as_str()))
    .bind(placement.map(|p| p.village_code.as_str()))
    .bind(&spec.stream_ref)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Inserts or changes a channel a device's catalogue lists: a new one is a
/// general camera; a known one keeps its kind and stream reference, and
/// its location and placement unless the item carries a location.
///
/// # Errors
/// The database fails.
pub async fn upsert_catalog_channel(
    conn: &mut PgConnection,
    device: &GbId,
    channel: &GbId,
    item: &CatalogItem,
    placement: Option<&Placement>,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let located = item.location.filter(|l| l.is_known());
    sqlx::query(
        "INSERT INTO channels (channel_id, device_id, name, kind, lat, lng, grid_code, village_code,
                               reported_status, manufacturer, model, updated_at)
         VALUES ($1, $2, $3, 'GENERAL', $4, $5, $6, $7, $8, $9, $10, $11)
         ON CONFLICT (channel_id) DO UPDATE SET
           device_id = EXCLUDED.device_id,
           name = CASE WHEN EXCLUDED.name = '' THEN channels.name ELSE EXCLUDED.name END,
           lat = COALESCE(EXCLUDED.lat, channels.lat), lng = COALESCE(EXCLUDED.lng, channels.lng),
           grid_code = CASE WHEN $12 THEN EXCLUDED.grid_code ELSE channels.grid_code END,
           village_code = CASE WHEN $12 THEN EXCLUDED.village_code ELSE channels.village_code END,
           reported_status = EXCLUDED.reported_status, manufacturer = EXCLUDED.manufacturer,
           model = EXCLUDED.model, updated_at = EXCLUDED.updated_at",
    )
    .bind(channel.as_str())
    .bind(device.as_str())
    .bind(&item.name)
    .bind(located.map(|l| l.lat))
    .bind(located.map(|l| l.lng))
    .bind(placement.map(|p| p.micro_grid_code.as_str()))
    .bind(placement.map(|p| p.village_code.as_str()))
    .bind(Some(item.status.as_str()).filter(|s| !s.is_empty()))
    .bind(&item.manufacturer)
    .bind(&item.model)
    .bind(now)
    .bind(located.is_some())
    .execute(conn)
    .await?;
    Ok(())
}

/// Removes the channels of `device` that sync `sync_id` did not list;
/// returns how many.
///
/// # Errors
/// The database fails.
pub async fn remove_unlisted(
    conn: &mut PgConnection,
    device: &GbId,
    sync_id: uuid::Uuid,
) -> Result<u64, sqlx::Error> {
    let done = sqlx::query(
        "DELETE FROM channels WHERE device_id = $1
           AND channel_id NOT IN (SELECT item_id FROM catalog_sync_items WHERE sync_id = $2)",
    )
    .bind(device.as_str())
    .bind(sync_id)
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}

/// Returns the cameras of `device`, by id.
///
/// # Errors
/// The database fails, or a stored value is unknown.
pub async fn cameras_of(
    conn: &mut PgConnection,
    device: &GbId,
) -> Result<Vec<CameraView>, sqlx::Error> {
    let rows: Vec<CameraRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{CAMERA_SELECT} WHERE c.device_id = $1 ORDER BY c.channel_id"
    )))
    .bind(device.as_str())
    .fetch_all(conn)
    .await?;
    decode_all(rows)
}

/// Returns whether `channel` is a channel of `device` (or the device).
///
/// # Errors
/// The database fails.
pub async fn is_channel_of(
    conn: &mut PgConnection,
    device: &GbId,
    channel: &str,
) -> Result<bool, sqlx::Error> {
    if channel == device.as_str() {
        return Ok(true);
    }
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM channels WHERE channel_id = $1 AND device_id = $2)",
    )
    .bind(channel)
    .bind(device.as_str())
    .fetch_one(conn)
    .await
}

/// Returns one camera.
///
/// # Errors
/// The database fails, or a stored value is unknown.
pub async fn camera(conn: &mut PgConnection, id: &GbId) -> Result<Option<CameraView>, sqlx::Error> {
    let row: Option<CameraRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{CAMERA_SELECT} WHERE c.channel_id = $1"
    )))
    .bind(id.as_str())
    .fetch_optional(conn)
    .await?;
    decode_optional(row)
}

/// Which cameras to list.
#[derive(Debug, Clone, Default)]
pub struct CameraFilter {
    pub kind: Option<CameraKind>,
    pub owner_kind: Option<OwnerKind>,
    /// A micro-grid, or a village (every micro-grid below it).
    pub grid_code: Option<String>,
    pub device_status: Option<DeviceStatus>,
    pub after: Option<String>,
    pub limit: i64,
}

/// Returns cameras in id order.
///
/// # Errors
/// The database fails, or a stored value is unknown.
pub async fn list_cameras(
    conn: &mut PgConnection,
    f: &CameraFilter,
) -> Result<Vec<CameraView>, sqlx::Error> {
    let rows: Vec<CameraRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{CAMERA_SELECT}
         WHERE ($1::text IS NULL OR c.kind = $1) AND ($2::text IS NULL OR d.owner_kind = $2)
           AND ($3::text IS NULL OR c.grid_code = $3 OR c.village_code = $3)
           AND ($4::text IS NULL OR d.status = $4) AND ($5::text IS NULL OR c.channel_id > $5)
         ORDER BY c.channel_id LIMIT $6"
    )))
    .bind(f.kind.map(CameraKind::as_str))
    .bind(f.owner_kind.map(OwnerKind::as_str))
    .bind(&f.grid_code)
    .bind(f.device_status.map(DeviceStatus::as_str))
    .bind(&f.after)
    .bind(f.limit)
    .fetch_all(conn)
    .await?;
    decode_all(rows)
}

/// Counts of cameras.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    pub cameras: u32,
    pub devices: u32,
    pub enterprises: u32,
    pub by_kind: Vec<(String, u32)>,
    pub by_owner: Vec<(String, u32)>,
    pub by_device_status: Vec<(String, u32)>,
}

async fn counts(conn: &mut PgConnection, column: &str) -> Result<Vec<(String, u32)>, sqlx::Error> {
    let rows: Vec<(String, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {column}, count(*) FROM channels c JOIN devices d ON d.device_id = c.device_id
         GROUP BY 1 ORDER BY 1"
    )))
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(k, n)| (k, u32::try_from(n).unwrap_or(u32::MAX)))
        .collect())
}

/// Returns the counts of cameras by kind, owner and device status.
///
/// # Errors
/// The database fails.
pub async fn summary(conn: &mut PgConnection) -> Result<Summary, sqlx::Error> {
    let (cameras, devices, enterprises): (i64, i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM channels), (SELECT count(*) FROM devices),
                (SELECT count(DISTINCT owner_code) FROM devices WHERE owner_kind = 'ENTERPRISE')",
    )
    .fetch_one(&mut *conn)
    .await?;
    let n = |v: i64| u32::try_from(v).unwrap_or(u32::MAX);
    Ok(Summary {
        cameras: n(cameras),
        devices: n(devices),
        enterprises: n(enterprises),
        by_kind: counts(conn, "c.kind").await?,
        by_owner: counts(conn, "d.owner_kind").await?,
        by_device_status: counts(conn, "d.status").await?,
    })
}

/// Returns which of `ids` are cameras (channels) here.
///
/// # Errors
/// The database fails.
pub async fn known_channels(
    conn: &mut PgConnection,
    ids: &[&str],
) -> Result<std::collections::HashSet<String>, sqlx::Error> {
    let found: Vec<String> =
        sqlx::query_scalar("SELECT channel_id FROM channels WHERE channel_id = ANY($1)")
            .bind(ids)
            .fetch_all(conn)
            .await?;
    Ok(found.into_iter().collect())
}
