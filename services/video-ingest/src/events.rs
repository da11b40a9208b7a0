//! The video events: stream, subjects, and domain events as the protobuf
//! messages the outbox publishes.

use chrono::{DateTime, Utc};
use platform::events::StreamSpec;
use platform::outbox::OutboxEvent;
use proto::dispatch::v1 as dispatch;
use proto::video::v1 as pb;
use uuid::Uuid;

use crate::convert::{self, timestamp};
use crate::domain::alarm::Alarm;
use crate::domain::camera::{Device, LatLng};
use crate::domain::catalog::CatalogSync;
use crate::domain::outage::Outage;

/// The VIDEO stream, subjects `video.>`.
pub const STREAM: StreamSpec = StreamSpec::fixed("VIDEO", "video");

pub const DEVICE_PUT: &str = "video.device.put";
pub const DEVICE_REGISTERED: &str = "video.device.registered";
pub const DEVICE_UNREGISTERED: &str = "video.device.unregistered";
pub const DEVICE_ONLINE: &str = "video.device.online";
pub const DEVICE_OFFLINE: &str = "video.device.offline";
pub const CATALOG_SYNCED: &str = "video.catalog.synced";
pub const ALARM_RECEIVED: &str = "video.alarm.received";
/// A ticket asked of dispatch (a dispatch `TicketRequested`).
pub const TICKET_REQUESTED: &str = "video.ticket.requested";

/// Returns the metadata of a new event.
fn meta(actor: &str, at: DateTime<Utc>) -> (Uuid, pb::EventMeta) {
    let event_id = Uuid::now_v7();
    (
        event_id,
        pb::EventMeta {
            event_id: event_id.to_string(),
            occurred_at: Some(timestamp(at)),
            actor: actor.to_owned(),
        },
    )
}

/// `video.device.*` (`subject`): what happened to `device`, at `at`.
pub fn device(
    subject: &'static str,
    device: &Device,
    actor: &str,
    at: DateTime<Utc>,
) -> OutboxEvent {
    let (event_id, meta) = meta(actor, at);
    let message = pb::DeviceEvent {
        meta: Some(meta),
        device: Some(convert::device(device, &[])),
    };
    OutboxEvent::encode(event_id, subject, &message)
}

/// `video.catalog.synced`: `sync` finished, complete or timed out.
pub fn catalog_synced(sync: &CatalogSync, actor: &str, at: DateTime<Utc>) -> OutboxEvent {
    let (event_id, meta) = meta(actor, at);
    let message = pb::CatalogSynced {
        meta: Some(meta),
        sync: Some(convert::sync(sync)),
    };
    OutboxEvent::encode(event_id, CATALOG_SYNCED, &message)
}

/// `video.alarm.received`: `alarm` recorded.
pub fn alarm_received(alarm: &Alarm, actor: &str) -> OutboxEvent {
    let (event_id, meta) = meta(actor, alarm.received_at);
    let message = pb::AlarmReceived {
        meta: Some(meta),
        alarm: Some(convert::alarm(alarm)),
    };
    OutboxEvent::encode(event_id, ALARM_RECEIVED, &message)
}

/// `video.ticket.requested`: the maintenance ticket of `outage` of
/// `device`, at the location of its first camera (dispatch routes the
/// ticket to the micro-grid there). A VIDEO_ALARM ticket keyed by the
/// outage: however often the request is delivered, one ticket.
pub fn maintenance_requested(
    device: &Device,
    outage: &Outage,
    at_location: Option<LatLng>,
    actor: &str,
    at: DateTime<Utc>,
) -> OutboxEvent {
    let (event_id, meta) = meta(actor, at);
    let owner = if device.owner.code.is_empty() {
        "镇属 / the town's".to_owned()
    } else {
        format!("{} {}", device.owner.code, device.owner.name)
    };
    let message = dispatch::TicketRequested {
        meta: Some(dispatch::EventMeta {
            event_id: meta.event_id,
            occurred_at: meta.occurred_at,
            actor: meta.actor,
        }),
        request: Some(dispatch::CreateTicketRequest {
            idempotency_key: outage.ticket_key(),
            channel: dispatch::Channel::VideoAlarm.into(),
            external_ref: outage.ticket_key(),
            category_code: "OTHER".to_owned(),
            title: format!("设备离线 / device offline: {}", device.name),
            description: format!(
                "GB/T 28181 设备 {} ({owner}) 自 {} 起未发送心跳，已离线；请检修。\n\
                 Device {} has sent no keepalive since its deadline and is offline; please repair it.",
                device.id,
                outage.started_at.to_rfc3339(),
                device.id,
            ),
            location: at_location.map(|p| dispatch::LatLng {
                lat: p.lat,
                lng: p.lng,
            }),
            difficult: false,
            reporter_phone: String::new(),
        }),
    };
    OutboxEvent::encode(event_id, TICKET_REQUESTED, &message)
}
