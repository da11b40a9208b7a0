//! What the GB/T 28181 gateway does for a device, each in one unit of work
//! (`Units::begin_job`: the SIP transaction is the request, and a device
//! repeating one gets the same answer by the rules, not by a key):
//! registration with digest challenges, keepalives, catalogue packets and
//! alarms. Calls to the registry (placing catalogue items) come first.

use std::time::Duration;

use chrono::{DateTime, Utc};
use platform::error::AppError;
use rand::RngExt as _;

use super::{Context, incidents, place};
use crate::domain::SERVICE;
use crate::domain::alarm::{Alarm, AlarmReport};
use crate::domain::camera::{DeviceStatus, Link, Placement};
use crate::domain::catalog::{CatalogPacket, CatalogSync, SyncState};
use crate::domain::digest::{self, DigestAnswer};
use crate::domain::gbid::GbId;
use crate::domain::incident::Sighting;
use crate::domain::registration::{KeptAlive, Nonce};
use crate::events;
use crate::repository::{alarms, catalog, devices, nonces, outages};

/// A REGISTER as the gateway read it.
#[derive(Debug, Clone)]
pub struct RegisterAttempt {
    pub device: GbId,
    pub call_id: String,
    /// The Expires the device asked for; `Some(0)` unregisters.
    pub expires: Option<u64>,
    pub answer: Option<DigestAnswer>,
    pub link: Link,
}

/// What a REGISTER gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegisterOutcome {
    /// 401 with a fresh nonce; `stale` when the one answered had expired.
    Challenge { nonce: String, stale: bool },
    /// 200: registered for `granted`; `catalog_sn` is the SN of the
    /// Catalog query to send now (a new registration).
    Registered {
        granted: Duration,
        at: DateTime<Utc>,
        catalog_sn: Option<u64>,
    },
    /// 200 to `Expires: 0`.
    Unregistered { at: DateTime<Utc> },
    /// 403: the device is unknown or has no password.
    Forbidden(String),
}

/// Returns a fresh nonce: 128 random bits as hex.
fn new_nonce() -> String {
    let mut rng = rand::rng();
    (0..16)
        .map(|_| format!("{:02x}", rng.random_range(0..=255u8)))
        .collect()
}

/// Handles a REGISTER: without a valid answer to a nonce of ours that was
/// never answered before and has not expired, it is challenged, whatever
/// its Call-ID (no renewal without authentication); with one, it registers
/// or (`Expires: 0`) unregisters the device.
///
/// # Errors
/// The database fails.
pub async fn register(
    ctx: &Context,
    attempt: RegisterAttempt,
) -> Result<RegisterOutcome, AppError> {
    let rules = &ctx.rules;
    let mut work = ctx.units.begin_job::<()>().await?;
    let now = work.now();
    let id = attempt.device.as_str();
    let Some(mut device) = devices::load_for_update(work.conn(), &attempt.device).await? else {
        tracing::warn!(device_id = %id, "register refused: unknown device");
        return Ok(RegisterOutcome::Forbidden("unknown device".into()));
    };
    let Some(credential) = device.credential.clone() else {
        tracing::warn!(device_id = %id, "register refused: no password set");
        return Ok(RegisterOutcome::Forbidden(
            "no password set for the device".into(),
        ));
    };
    if credential.realm != rules.realm {
        tracing::warn!(device_id = %id, "register refused: password set for another realm");
        return Ok(RegisterOutcome::Forbidden(
            "the device's password was set for another realm".into(),
        ));
    }
    let mut stale = false;
    let verified = match &attempt.answer {
        None => false,
        Some(answer) => match nonces::load_for_update(work.conn(), &answer.nonce).await? {
            None => {
                tracing::warn!(device_id = %id, "register refused: nonce never issued");
                false
            }
            Some(mut nonce) => {
                let taken = nonce.take(id, now);
                nonces::mark_used(work.conn(), &nonce).await?;
                match taken {
                    Err(refusal) => {
                        stale = refusal == crate::domain::registration::NonceRefusal::Expired;
                        tracing::warn!(device_id = %id, reason = %refusal, "register refused");
                        false
                    }
                    Ok(()) => {
                        match digest::verify(answer, "REGISTER", id, &rules.realm, &credential.ha1)
                        {
                            Ok(()) => true,
                            Err(refusal) => {
                                tracing::warn!(device_id = %id, reason = %refusal, "register refused");
                                false
                            }
                        }
                    }
                }
            }
        },
    };
    if !verified {
        let nonce = Nonce::issue(new_nonce(), id, rules, now);
        nonces::insert(work.conn(), &nonce).await?;
        work.commit(()).await?;
        return Ok(RegisterOutcome::Challenge {
            nonce: nonce.value,
            stale,
        });
    }
    if attempt.expires == Some(0) {
        device.unregister(now);
        devices::save(work.conn(), &device).await?;
        work.publish(events::device(
            events::DEVICE_UNREGISTERED,
            &device,
            SERVICE,
            now,
        ));
        work.commit(()).await?;
        tracing::info!(device_id = %id, "device unregistered");
        return Ok(RegisterOutcome::Unregistered { at: now });
    }
    let granted = rules.grant(attempt.expires);
    let registered = device.register(&attempt.call_id, attempt.link, granted, rules, now);
    devices::save(work.conn(), &device).await?;
    // A device heard from again ends its outage, if it was in one.
    outages::end(work.conn(), &device.id, now).await?;
    let catalog_sn = if registered.fresh {
        let sn = catalog::next_sn(work.conn(), &device.id).await?;
        catalog::save(
            work.conn(),
            &CatalogSync::start(device.id.clone(), sn, rules, now),
        )
        .await?;
        work.publish(events::device(
            events::DEVICE_REGISTERED,
            &device,
            SERVICE,
            now,
        ));
        Some(sn)
    } else {
        None
    };
    work.commit(()).await?;
    tracing::info!(device_id = %id, fresh = registered.fresh, granted_s = granted.as_secs(), "device registered");
    Ok(RegisterOutcome::Registered {
        granted,
        at: now,
        catalog_sn,
    })
}

/// Takes a keepalive from `device` at `link`.
///
/// # Errors
/// FAILED_PRECONDITION for a device not registered (it must register
/// again); NOT_FOUND for an unknown one; the database failing.
pub async fn keepalive(ctx: &Context, device_id: &GbId, link: Link) -> Result<KeptAlive, AppError> {
    let mut work = ctx.units.begin_job::<()>().await?;
    let now = work.now();
    let mut device = devices::load_for_update(work.conn(), device_id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("device {device_id}")))?;
    let kept = device.keepalive(link, &ctx.rules, now)?;
    devices::save(work.conn(), &device).await?;
    if kept.came_online {
        outages::end(work.conn(), device_id, now).await?;
        work.publish(events::device(events::DEVICE_ONLINE, &device, SERVICE, now));
    }
    work.commit(()).await?;
    if kept.moved {
        tracing::info!(device_id = %device_id, "device address re-learned");
    }
    Ok(kept)
}

/// How far a catalogue sync is after a packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CatalogProgress {
    pub state: SyncState,
    pub received: u32,
    pub sum_num: u32,
    pub removed: u32,
}

/// Takes one packet of `device`'s catalogue: its items are recorded once
/// each and applied as an upsert; when every item of SumNum has arrived,
/// channels the list lacks are removed.
///
/// # Errors
/// FAILED_PRECONDITION for a device not online; NOT_FOUND for an unknown
/// one; UNAVAILABLE when the registry cannot place an item; the database.
pub async fn catalog_packet(
    ctx: &Context,
    device_id: &GbId,
    packet: CatalogPacket,
) -> Result<CatalogProgress, AppError> {
    let mut placements: Vec<Option<Placement>> = Vec::with_capacity(packet.items.len());
    for item in &packet.items {
        placements.push(place(ctx, item.location, None).await?);
    }
    let rules = &ctx.rules;
    let mut work = ctx.units.begin_job::<()>().await?;
    let now = work.now();
    let device = devices::load_for_update(work.conn(), device_id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("device {device_id}")))?;
    if device.status != DeviceStatus::Online {
        return Err(crate::domain::DomainError::NotRegistered(device_id.to_string()).into());
    }
    let mut sync = match catalog::load_for_update(work.conn(), device_id, packet.sn).await? {
        Some(sync) => sync,
        // A catalogue the device sent of its own accord (or for a query
        // of an earlier instance): collected all the same.
        None => CatalogSync::start(device_id.clone(), packet.sn, rules, now),
    };
    if sync.state == SyncState::Collecting {
        catalog::save(work.conn(), &sync).await?;
        let ids: Vec<String> = packet.items.iter().map(|i| i.id.clone()).collect();
        let received = catalog::add_items(work.conn(), sync.id, &ids).await?;
        for (item, placement) in packet.items.iter().zip(&placements) {
            if let Some(channel) = item.channel() {
                devices::upsert_catalog_channel(
                    work.conn(),
                    device_id,
                    &channel,
                    item,
                    placement.as_ref(),
                    now,
                )
                .await?;
            }
        }
        if sync.receive(packet.sum_num, received, rules, now) {
            let removed = devices::remove_unlisted(work.conn(), device_id, sync.id.0).await?;
            sync.removed(u32::try_from(removed).unwrap_or(u32::MAX));
            work.publish(events::catalog_synced(&sync, SERVICE, now));
            tracing::info!(device_id = %device_id, sn = sync.sn, items = sync.received, removed, "catalogue complete");
        }
        catalog::save(work.conn(), &sync).await?;
    }
    work.commit(()).await?;
    Ok(CatalogProgress {
        state: sync.state,
        received: sync.received,
        sum_num: sync.sum_num,
        removed: sync.removed,
    })
}

/// Records an alarm `device` reported, usable or (with the reason) not; a
/// notification resent with the same SN is the alarm recorded before.
///
/// # Errors
/// NOT_FOUND for an unknown device; the database failing.
pub async fn alarm(
    ctx: &Context,
    device_id: &GbId,
    report: AlarmReport,
) -> Result<Alarm, AppError> {
    let mut work = ctx.units.begin_job::<()>().await?;
    let now = work.now();
    if devices::find(work.conn(), device_id).await?.is_none() {
        return Err(AppError::NotFound(format!("device {device_id}")));
    }
    let known = devices::is_channel_of(work.conn(), device_id, report.source_id.trim()).await?;
    let alarm = Alarm::assess(&report, device_id, known, ctx.offset, now);
    if alarms::insert(work.conn(), &alarm).await? {
        work.publish(events::alarm_received(&alarm, SERVICE));
        // A usable alarm of a camera joins that camera's incident.
        let camera = match (&alarm.unusable, &alarm.channel) {
            (None, Some(channel)) => devices::camera(work.conn(), channel).await?,
            _ => None,
        };
        if let Some(camera) = camera {
            let sighting = Sighting::of_alarm(&alarm, camera.camera.kind);
            incidents::take_sightings(&mut work, ctx, &[(&camera, &sighting)]).await?;
        }
        match &alarm.unusable {
            None => tracing::info!(device_id = %device_id, alarm_id = %alarm.id, "alarm recorded"),
            Some(reason) => {
                tracing::warn!(device_id = %device_id, alarm_id = %alarm.id, %reason, "unusable alarm recorded");
            }
        }
    }
    work.commit(()).await?;
    Ok(alarm)
}
