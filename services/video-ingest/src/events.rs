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
use crate::domain::incident::{AnalyticEvent, Incident};
use crate::domain::outage::Outage;
use crate::domain::rules::{Priority, RuleUnit, TicketRule};

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
/// An analytic event stored by StreamAnalyticEvents (published directly,
/// not through the outbox: the batch is acknowledged after JetStream's).
pub const ANALYTIC_RECEIVED: &str = "video.analytic.received";
pub const INCIDENT_OPENED: &str = "video.incident.opened";

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
            priority: dispatch::Priority::Normal.into(),
        }),
    };
    OutboxEvent::encode(event_id, TICKET_REQUESTED, &message)
}

/// `video.analytic.received`: `event` as `actor` sent it; its own id is
/// the event id (and `Nats-Msg-Id`), so that an event sent twice is stored
/// once.
pub fn analytic_received(event: &AnalyticEvent, actor: &str) -> OutboxEvent {
    let message = pb::AnalyticReceived {
        event: Some(convert::analytic_event(event)),
        actor: actor.to_owned(),
    };
    OutboxEvent::encode(event.id, ANALYTIC_RECEIVED, &message)
}

/// `video.incident.opened`: `incident` opened.
pub fn incident_opened(incident: &Incident, actor: &str, at: DateTime<Utc>) -> OutboxEvent {
    let (event_id, meta) = meta(actor, at);
    let message = pb::IncidentOpened {
        meta: Some(meta),
        incident: Some(convert::incident(incident, &[], &[])),
    };
    OutboxEvent::encode(event_id, INCIDENT_OPENED, &message)
}

/// What a rule's ticket carries besides the incident.
pub struct Evidence<'a> {
    pub camera_name: &'a str,
    /// Snapshot references with their SHA-256, and alarm ids.
    pub references: Vec<String>,
}

/// `video.ticket.requested`: the ticket `rule` asks of dispatch for `unit`
/// on `incident`, keyed so that it is one ticket however often it is
/// delivered. The micro-grid's carries the camera's location (dispatch
/// sends it straight there); a department's goes to the desk as a
/// department case (urgent first), naming the department.
pub fn incident_ticket_requested(
    incident: &Incident,
    rule: &TicketRule,
    unit: &RuleUnit,
    evidence: &Evidence<'_>,
    actor: &str,
    at: DateTime<Utc>,
) -> OutboxEvent {
    let (event_id, meta) = meta(actor, at);
    let key = rule.ticket_key(incident, unit);
    let (channel, location, to) = match unit {
        RuleUnit::MicroGrid => (
            dispatch::Channel::VideoAlarm,
            incident.location.map(|p| dispatch::LatLng {
                lat: p.lat,
                lng: p.lng,
            }),
            "网格 / micro-grid".to_owned(),
        ),
        RuleUnit::Department { code, name } => (
            dispatch::Channel::Department,
            None,
            format!("{name} ({code})"),
        ),
    };
    let priority = match rule.priority {
        Priority::Normal => dispatch::Priority::Normal,
        Priority::Urgent => dispatch::Priority::Urgent,
    };
    let place = match (&incident.grid_code, incident.location) {
        (Some(grid), Some(at)) => format!("{grid} ({:.6}, {:.6})", at.lat, at.lng),
        (None, Some(at)) => format!("({:.6}, {:.6})", at.lat, at.lng),
        (Some(grid), None) => grid.clone(),
        (None, None) => "-".to_owned(),
    };
    let references = if evidence.references.is_empty() {
        "-".to_owned()
    } else {
        evidence.references.join("\n")
    };
    let message = dispatch::TicketRequested {
        meta: Some(dispatch::EventMeta {
            event_id: meta.event_id,
            occurred_at: meta.occurred_at,
            actor: meta.actor,
        }),
        request: Some(dispatch::CreateTicketRequest {
            idempotency_key: key.clone(),
            channel: channel.into(),
            external_ref: key,
            category_code: rule.category_code.clone(),
            title: format!(
                "视频告警 / video alarm: {} @ {}",
                incident.kind.title(),
                evidence.camera_name
            ),
            description: format!(
                "事件 / incident {} (规则 / rule {}) 摄像机 / camera {} {}, 位置 / at {place}, \
                 {} – {}, {} 次 / events, 最高置信度 / top score {:.2}; 交办 / for {to}.\n\
                 证据 / evidence:\n{references}",
                incident.id,
                rule.code,
                incident.channel,
                evidence.camera_name,
                incident.first_at.to_rfc3339(),
                incident.last_at.to_rfc3339(),
                incident.events,
                incident.max_score,
            ),
            location,
            difficult: false,
            reporter_phone: String::new(),
            priority: priority.into(),
        }),
    };
    OutboxEvent::encode(event_id, TICKET_REQUESTED, &message)
}
