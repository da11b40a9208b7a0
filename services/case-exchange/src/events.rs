//! The exchange's events: stream, subjects, and what the outbox publishes.
//! Tickets asked of this town's dispatch are dispatch's own
//! `TicketRequested` on `exchange.ticket.requested`.

use chrono::{DateTime, Utc};
use platform::events::StreamSpec;
use platform::outbox::OutboxEvent;
use platform::time::timestamp;
use proto::dispatch::v1 as dispatch;
use proto::exchange::v1 as pb;
use uuid::Uuid;

use crate::convert;
use crate::domain::cap::CapAlert;
use crate::domain::case::{CaseMove, JointCase};
use crate::domain::delivery::{Awaited, Delivery};

/// The DISPATCH stream, whose ticket events the exchange follows.
pub const DISPATCH: StreamSpec = StreamSpec::fixed("DISPATCH", "dispatch");

/// The EXCHANGE stream, subjects `exchange.>`.
pub const STREAM: StreamSpec = StreamSpec::fixed("EXCHANGE", "exchange");

/// A joint case moved, here or at the peer.
pub const CASE_MOVED: &str = "exchange.case.moved";
/// A ticket asked of this town's dispatch.
pub const TICKET_REQUESTED: &str = "exchange.ticket.requested";
pub const DEADLINE_WARNING: &str = "exchange.delivery.deadline_warning";
pub const DEADLINE_FAILED: &str = "exchange.delivery.deadline_failed";
/// A CAP alert fanned out from here: to the peers, to this town's members.
pub const ALERT_FANNED_OUT: &str = "exchange.alert.fanned_out";

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

/// `exchange.case.moved`: `case` made `step`.
pub fn case_moved(case: &JointCase, step: &CaseMove) -> OutboxEvent {
    let (event_id, meta) = meta(&step.by_person, step.at);
    let message = pb::CaseMoved {
        meta: Some(meta),
        case: Some(convert::case_for_event(case)),
        r#move: Some(convert::case_move(step)),
    };
    OutboxEvent::encode(event_id, CASE_MOVED, &message)
}

fn ticket_requested(
    request: dispatch::CreateTicketRequest,
    actor: &str,
    at: DateTime<Utc>,
) -> OutboxEvent {
    let (event_id, meta) = meta(actor, at);
    let message = dispatch::TicketRequested {
        meta: Some(dispatch::EventMeta {
            event_id: meta.event_id,
            occurred_at: meta.occurred_at,
            actor: meta.actor,
        }),
        request: Some(request),
    };
    OutboxEvent::encode(event_id, TICKET_REQUESTED, &message)
}

/// `exchange.ticket.requested`: the CROSS_BORDER ticket of a joint case
/// reported to this town. Its channel reference is the shared id, so the
/// ticket carries it and however often the event arrives it is one ticket.
/// No party's phone: the reporting town keeps its own.
pub fn case_ticket_requested(case: &JointCase, actor: &str, at: DateTime<Utc>) -> OutboxEvent {
    let s = &case.summary;
    let parties: Vec<String> = s
        .parties
        .iter()
        .map(|p| format!("{}（{}）", platform::mask::name(&p.name), p.role))
        .collect();
    let request = dispatch::CreateTicketRequest {
        idempotency_key: case.shared_id.to_string(),
        channel: dispatch::Channel::CrossBorder.into(),
        external_ref: case.shared_id.to_string(),
        category_code: s.category_code.clone(),
        title: format!("跨省联报：{}", s.title),
        description: format!(
            "{}\n联报方：{}（案号 {}）\n当事人：{}\n共享案件号：{}",
            s.description,
            case.origin_node,
            case.origin_case_number,
            parties.join("、"),
            case.shared_id
        ),
        location: s.location.map(|(lat, lng)| dispatch::LatLng { lat, lng }),
        difficult: true,
        reporter_phone: String::new(),
        priority: dispatch::Priority::Normal.into(),
    };
    ticket_requested(request, actor, at)
}

/// `exchange.ticket.requested`: a person here must act on `delivery`,
/// whose `awaited` acknowledgement did not come in time.
pub fn failure_ticket_requested(
    delivery: &Delivery,
    awaited: Awaited,
    category: &str,
    actor: &str,
    at: DateTime<Utc>,
) -> OutboxEvent {
    let what = match awaited {
        Awaited::Receipt => "未收到对方回执",
        Awaited::Answer => "未收到对方业务答复",
    };
    let request = dispatch::CreateTicketRequest {
        idempotency_key: format!("exchange-deadline-{}", delivery.message_id),
        channel: dispatch::Channel::CrossBorder.into(),
        external_ref: format!("exchange-deadline-{}", delivery.message_id),
        category_code: category.to_owned(),
        title: format!("跨省协作超时：{what}"),
        description: format!(
            "发往 {} 的 {} 消息 {} {what}（共享案件号 {}），请人工跟进。",
            delivery.peer,
            delivery.message_type.as_str(),
            delivery.message_id,
            delivery.shared_case_id
        ),
        location: None,
        difficult: true,
        reporter_phone: String::new(),
        priority: dispatch::Priority::Normal.into(),
    };
    ticket_requested(request, actor, at)
}

/// `exchange.delivery.deadline_warning` or `…_failed`.
pub fn deadline(
    delivery: &Delivery,
    awaited: Awaited,
    failed: bool,
    actor: &str,
    at: DateTime<Utc>,
) -> OutboxEvent {
    let (event_id, meta) = meta(actor, at);
    let message = pb::DeliveryDeadline {
        meta: Some(meta),
        delivery: Some(convert::delivery(delivery)),
        deadline: awaited.as_str().to_owned(),
    };
    let subject = if failed {
        DEADLINE_FAILED
    } else {
        DEADLINE_WARNING
    };
    OutboxEvent::encode(event_id, subject, &message)
}

/// `exchange.alert.fanned_out`: `cap` told to `peers` peers and `members`
/// members here. No member's name or contact: the counts only.
pub fn alert_fanned_out(
    cap: &CapAlert,
    peers: usize,
    members: usize,
    at: DateTime<Utc>,
) -> OutboxEvent {
    let (event_id, meta) = meta(&cap.sender, at);
    let info = cap.info.first();
    let message = pb::AlertFannedOut {
        meta: Some(meta),
        sender: cap.sender.clone(),
        identifier: cap.identifier.clone(),
        event: info.map(|i| i.event.clone()).unwrap_or_default(),
        severity: info.map(|i| i.severity.clone()).unwrap_or_default(),
        peers: u32::try_from(peers).unwrap_or(u32::MAX),
        members: u32::try_from(members).unwrap_or(u32::MAX),
    };
    OutboxEvent::encode(event_id, ALERT_FANNED_OUT, &message)
}

/// `exchange.ticket.requested`: the recipients `unacknowledged` (peer
/// nodes, shop and group names; no contact) of the alert (`sender`,
/// `identifier`, its event) did not acknowledge in time; a person here
/// follows them up.
pub fn alert_ticket_requested(
    (sender, identifier, event): (&str, &str, &str),
    unacknowledged: &[String],
    category: &str,
    actor: &str,
    at: DateTime<Utc>,
) -> OutboxEvent {
    let request = dispatch::CreateTicketRequest {
        idempotency_key: format!("exchange-alert-{sender}-{identifier}"),
        channel: dispatch::Channel::CrossBorder.into(),
        external_ref: format!("exchange-alert-{identifier}"),
        category_code: category.to_owned(),
        title: format!("处突联动：预警未获确认（{event}）"),
        description: format!(
            "预警 {identifier}（发布方 {sender}）逾期未确认：{}。请人工联系跟进。",
            unacknowledged.join("、")
        ),
        location: None,
        difficult: true,
        reporter_phone: String::new(),
        // An emergency alert nobody confirmed comes first at the desk.
        priority: dispatch::Priority::Urgent.into(),
    };
    ticket_requested(request, actor, at)
}
