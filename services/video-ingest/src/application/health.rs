//! Device health and the gateway's housekeeping, for the timers: devices
//! past their persisted deadline go offline (once), catalogue syncs whose
//! packets stopped time out, and expired nonces are deleted. The ids due
//! are read first; each item is then its own unit of work, its row locked
//! and checked again.

use chrono::TimeDelta;
use platform::error::AppError;

use super::Context;
use crate::domain::SERVICE;
use crate::domain::gbid::GbId;
use crate::domain::ids::SyncId;
use crate::domain::outage::Outage;
use crate::events;
use crate::repository::{catalog, devices, nonces, outages};

/// How many items one round takes at most.
const BATCH: i64 = 200;

/// Returns the devices whose deadline passed.
///
/// # Errors
/// The database fails.
pub async fn devices_past_deadline(ctx: &Context) -> Result<Vec<GbId>, AppError> {
    let mut conn = ctx.units.read().await?;
    Ok(devices::past_deadline(&mut conn, ctx.units.now(), BATCH).await?)
}

/// Marks `device` offline when its deadline passed, beginning its outage
/// and asking dispatch for the outage's one maintenance ticket; returns
/// whether it did.
///
/// # Errors
/// The database fails.
pub async fn mark_offline(ctx: &Context, device_id: &GbId) -> Result<bool, AppError> {
    let mut work = ctx.units.begin_job::<()>().await?;
    let now = work.now();
    let Some(mut device) = devices::load_for_update(work.conn(), device_id).await? else {
        return Ok(false);
    };
    if !device.check_deadline(now) {
        return Ok(false);
    }
    devices::save(work.conn(), &device).await?;
    work.publish(events::device(
        events::DEVICE_OFFLINE,
        &device,
        SERVICE,
        now,
    ));
    let outage = Outage::begin(device.id.clone(), now);
    if outages::begin(work.conn(), &outage).await? {
        let location = devices::cameras_of(work.conn(), device_id)
            .await?
            .into_iter()
            .find_map(|c| c.camera.location);
        work.publish(events::maintenance_requested(
            &device, &outage, location, SERVICE, now,
        ));
    }
    work.commit(()).await?;
    tracing::warn!(device_id = %device_id, "device offline: deadline passed");
    Ok(true)
}

/// Returns the syncs past their deadline.
///
/// # Errors
/// The database fails.
pub async fn syncs_overdue(ctx: &Context) -> Result<Vec<SyncId>, AppError> {
    let mut conn = ctx.units.read().await?;
    Ok(catalog::overdue(&mut conn, ctx.units.now(), BATCH).await?)
}

/// Times out sync `id` when its deadline passed; returns whether it did.
///
/// # Errors
/// The database fails.
pub async fn time_out_sync(ctx: &Context, id: SyncId) -> Result<bool, AppError> {
    let mut work = ctx.units.begin_job::<()>().await?;
    let now = work.now();
    let Some(mut sync) = catalog::load_by_id_for_update(work.conn(), id).await? else {
        return Ok(false);
    };
    if !sync.time_out(now) {
        return Ok(false);
    }
    catalog::save(work.conn(), &sync).await?;
    work.publish(events::catalog_synced(&sync, SERVICE, now));
    work.commit(()).await?;
    tracing::warn!(device_id = %sync.device, sn = sync.sn, received = sync.received, sum_num = sync.sum_num, "catalogue timed out partial");
    Ok(true)
}

/// Deletes nonces expired for an hour (kept that long so that a late
/// answer is refused as expired, not as unknown); returns how many.
///
/// # Errors
/// The database fails.
pub async fn purge_nonces(ctx: &Context) -> Result<u64, AppError> {
    let mut work = ctx.units.begin_job::<()>().await?;
    let before = work.now() - TimeDelta::hours(1);
    let purged = nonces::purge(work.conn(), before).await?;
    work.commit(()).await?;
    Ok(purged)
}
