//! The camera registry: devices put by the town centre (or a data-set
//! load), and the queries over devices, cameras, catalogue syncs and
//! alarms.

use platform::auth::Caller;
use platform::error::AppError;
use platform::uow::{Begun, CallKey};
use prost::Message;

use super::{Context, place};
use crate::domain::alarm::Alarm;
use crate::domain::availability::{
    self, Bucket, Grouping, Member, OnlineRate, StatusChange, TOWN_KEY, UNPLACED_KEY,
};
use crate::domain::camera::OwnerKind;
use crate::domain::camera::{CameraView, Credential, Device, DeviceSpec, Placement};
use crate::domain::catalog::CatalogSync;
use crate::domain::digest;
use crate::domain::gbid::GbId;
use crate::events;
use crate::repository::{alarms, catalog, devices, status_history};

pub use crate::repository::devices::{CameraFilter, DeviceFilter, Summary};

/// A device with its cameras.
#[derive(Debug, Clone)]
pub struct DeviceView {
    pub device: Device,
    pub cameras: Vec<CameraView>,
    /// Whether the call added it.
    pub created: bool,
}

/// Adds or changes a device and the channels it declares. Each channel's
/// location is placed by the registry first, outside the unit of work.
///
/// # Errors
/// UNAVAILABLE
/// when the registry cannot place a channel.
pub async fn put_device<A: Message + Default>(
    ctx: &Context,
    caller: &Caller,
    key: CallKey,
    spec: DeviceSpec,
    answer: impl FnOnce(&DeviceView) -> A,
) -> Result<A, AppError> {
    let mut placements: Vec<Option<Placement>> = Vec::with_capacity(spec.channels.len());
    for channel in &spec.channels {
        placements.push(place(ctx, channel.location, Some(caller.token())).await?);
    }
    let credential = spec.password.as_deref().map(|password| Credential {
        realm: ctx.rules.realm.clone(),
        ha1: digest::ha1(spec.id.as_str(), &ctx.rules.realm, password),
    });
    let mut work = match ctx.units.begin(key).await? {
        Begun::Replay(saved) => return Ok(saved),
        Begun::Fresh(work) => work,
    };
    let now = work.now();
    let (device, created) = match devices::load_for_update(work.conn(), &spec.id).await? {
        Some(mut device) => {
            device.redeclare(&spec, credential, now);
            (device, false)
        }
        None => (Device::declare(&spec, credential, now), true),
    };
    devices::save(work.conn(), &device).await?;
    for (channel, placement) in spec.channels.iter().zip(&placements) {
        devices::put_channel(work.conn(), &device.id, channel, placement.as_ref(), now).await?;
    }
    let cameras = devices::cameras_of(work.conn(), &device.id).await?;
    work.publish(events::device(
        events::DEVICE_PUT,
        &device,
        &caller.subject,
        now,
    ));
    let view = DeviceView {
        device,
        cameras,
        created,
    };
    let answer = work.commit(answer(&view)).await?;
    tracing::info!(device_id = %view.device.id, created, channels = view.cameras.len(), "device put");
    Ok(answer)
}

/// Returns a device with its cameras.
///
/// # Errors
/// NOT_FOUND, or the database.
pub async fn get_device(ctx: &Context, id: &GbId) -> Result<DeviceView, AppError> {
    let mut conn = ctx.units.read().await?;
    let device = devices::find(&mut conn, id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("device {id}")))?;
    let cameras = devices::cameras_of(&mut conn, id).await?;
    Ok(DeviceView {
        device,
        cameras,
        created: false,
    })
}

/// Returns devices as `filter` says.
///
/// # Errors
/// The database.
pub async fn list_devices(ctx: &Context, filter: &DeviceFilter) -> Result<Vec<Device>, AppError> {
    let mut conn = ctx.units.read().await?;
    Ok(devices::list(&mut conn, filter).await?)
}

/// Returns cameras as `filter` says.
///
/// # Errors
/// The database.
pub async fn list_cameras(
    ctx: &Context,
    filter: &CameraFilter,
) -> Result<Vec<CameraView>, AppError> {
    let mut conn = ctx.units.read().await?;
    Ok(devices::list_cameras(&mut conn, filter).await?)
}

/// Returns one camera.
///
/// # Errors
/// NOT_FOUND, or the database.
pub async fn get_camera(ctx: &Context, id: &GbId) -> Result<CameraView, AppError> {
    let mut conn = ctx.units.read().await?;
    devices::camera(&mut conn, id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("camera {id}")))
}

/// Returns the counts of cameras.
///
/// # Errors
/// The database.
pub async fn summarise(ctx: &Context) -> Result<Summary, AppError> {
    let mut conn = ctx.units.read().await?;
    Ok(devices::summary(&mut conn).await?)
}

/// Returns the catalogue syncs of a device, newest first.
///
/// # Errors
/// The database.
pub async fn list_syncs(ctx: &Context, device: &GbId) -> Result<Vec<CatalogSync>, AppError> {
    let mut conn = ctx.units.read().await?;
    Ok(catalog::of_device(&mut conn, device).await?)
}

/// Returns alarms, newest first.
///
/// # Errors
/// The database.
pub async fn list_alarms(
    ctx: &Context,
    device: Option<&GbId>,
    unusable_only: bool,
    limit: i64,
) -> Result<Vec<Alarm>, AppError> {
    let mut conn = ctx.units.read().await?;
    Ok(alarms::list(&mut conn, device.map(GbId::as_str), unusable_only, limit).await?)
}

/// What SummariseOnlineRate asks: the window, its buckets, and what the
/// rates are per.
#[derive(Debug, Clone, Copy)]
pub struct RateQuery {
    pub from: chrono::DateTime<chrono::Utc>,
    pub to: chrono::DateTime<chrono::Utc>,
    pub bucket: Bucket,
    pub by: Grouping,
}

/// The online rates of a window: per bucket and group, each group's over
/// the whole window, and each group's name (an enterprise's, the town's
/// "镇属", a grid's code).
#[derive(Debug, Clone)]
pub struct OnlineRates {
    pub rates: Vec<OnlineRate>,
    pub totals: Vec<OnlineRate>,
    pub names: std::collections::HashMap<String, String>,
}

/// Returns the online rate per owner or grid in each bucket of the
/// window, from the devices' status history.
///
/// # Errors
/// The database.
pub async fn online_rates(ctx: &Context, q: &RateQuery) -> Result<OnlineRates, AppError> {
    let buckets = availability::buckets(q.from, q.to, q.bucket, ctx.offset);
    let (Some(first), Some(last)) = (buckets.first(), buckets.last()) else {
        return Ok(OnlineRates {
            rates: Vec::new(),
            totals: Vec::new(),
            names: std::collections::HashMap::new(),
        });
    };
    let whole = [(first.0, last.1)];
    let (history, cameras) = {
        let mut conn = ctx.units.read().await?;
        let history = status_history::changes(&mut conn, whole[0].0, whole[0].1).await?;
        (history, status_history::cameras_by_device(&mut conn).await?)
    };
    let history: std::collections::HashMap<String, Vec<StatusChange>> =
        history.into_iter().collect();
    let mut names = std::collections::HashMap::new();
    let keyed: Vec<(String, u32, &[StatusChange])> = cameras
        .iter()
        .map(|c| {
            let key = match q.by {
                Grouping::Owner if c.owner_kind == OwnerKind::Town => {
                    names.insert(TOWN_KEY.to_owned(), "镇属 the town".to_owned());
                    TOWN_KEY.to_owned()
                }
                Grouping::Owner => {
                    names.insert(c.owner_code.clone(), c.owner_name.clone());
                    c.owner_code.clone()
                }
                Grouping::Grid => {
                    let grid = c
                        .grid_code
                        .clone()
                        .unwrap_or_else(|| UNPLACED_KEY.to_owned());
                    names.insert(grid.clone(), grid.clone());
                    grid
                }
            };
            let changes = history.get(&c.device_id).map_or(&[][..], Vec::as_slice);
            (key, c.cameras, changes)
        })
        .collect();
    let members: Vec<Member<'_>> = keyed
        .iter()
        .map(|(key, cameras, changes)| Member {
            key,
            cameras: *cameras,
            changes,
        })
        .collect();
    Ok(OnlineRates {
        rates: availability::online_rates(&members, &buckets),
        totals: availability::online_rates(&members, &whole),
        names,
    })
}
