//! The video events: stream, subjects, and domain events as the protobuf
//! messages the outbox publishes.

use chrono::{DateTime, Utc};
use platform::events::StreamSpec;
use platform::outbox::OutboxEvent;
use proto::video::v1 as pb;
use uuid::Uuid;

use crate::convert::{self, timestamp};
use crate::domain::alarm::Alarm;
use crate::domain::camera::Device;
use crate::domain::catalog::CatalogSync;

/// The VIDEO stream, subjects `video.>`.
pub const STREAM: StreamSpec = StreamSpec::fixed("VIDEO", "video");

pub const DEVICE_PUT: &str = "video.device.put";
pub const DEVICE_REGISTERED: &str = "video.device.registered";
pub const DEVICE_UNREGISTERED: &str = "video.device.unregistered";
pub const DEVICE_ONLINE: &str = "video.device.online";
pub const DEVICE_OFFLINE: &str = "video.device.offline";
pub const CATALOG_SYNCED: &str = "video.catalog.synced";
pub const ALARM_RECEIVED: &str = "video.alarm.received";

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
