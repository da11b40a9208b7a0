//! The points events: stream, subjects, and domain events as the protobuf
//! messages the outbox publishes.

use chrono::{DateTime, Utc};
use platform::events::StreamSpec;
use platform::outbox::OutboxEvent;
use proto::dispatch::v1 as dispatch;
use proto::points::v1 as pb;
use uuid::Uuid;

use crate::convert::{self, timestamp};
use crate::domain::ledger::{EntryKind, LedgerEntry};
use crate::domain::report::Report;

/// The POINTS stream, subjects `points.>`.
pub const STREAM: StreamSpec = StreamSpec::fixed("POINTS", "points");
/// The DISPATCH stream, whose ticket events points follows.
pub const DISPATCH: StreamSpec = StreamSpec::fixed("DISPATCH", "dispatch");

pub const REPORT_SUBMITTED: &str = "points.report_submitted";
/// A report's ticket, asked of dispatch.
pub const TICKET_REQUESTED: &str = "points.ticket.requested";

/// Returns the subject of the event posting an entry of `kind` publishes.
pub fn entry_subject(kind: EntryKind) -> &'static str {
    match kind {
        EntryKind::Award => "points.awarded",
        EntryKind::Reversal => "points.reversed",
        EntryKind::Redemption => "points.redeemed",
        EntryKind::Refund => "points.refunded",
        EntryKind::Expiry => "points.expired",
        EntryKind::Adjustment => "points.adjusted",
    }
}

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

/// `points.report_submitted`: `actor` took `report` in at `at`.
pub fn report_submitted(report: &Report, actor: &str, at: DateTime<Utc>) -> OutboxEvent {
    let (event_id, meta) = meta(actor, at);
    let message = pb::ReportSubmitted {
        meta: Some(meta),
        report: Some(convert::report(report)),
    };
    OutboxEvent::encode(event_id, REPORT_SUBMITTED, &message)
}

/// `points.ticket.requested`: a dispatch `TicketRequested` asking for the
/// ticket of `report` (its reporter named only by the report).
pub fn ticket_requested(report: &Report, actor: &str, at: DateTime<Utc>) -> OutboxEvent {
    let (event_id, meta) = meta(actor, at);
    let message = dispatch::TicketRequested {
        meta: Some(dispatch::EventMeta {
            event_id: meta.event_id,
            occurred_at: meta.occurred_at,
            actor: meta.actor,
        }),
        request: Some(ticket_request(report)),
    };
    OutboxEvent::encode(event_id, TICKET_REQUESTED, &message)
}

/// Returns the ticket a report asks dispatch for: a VILLAGER_APP ticket
/// whose channel reference is the report's id, so that however often the
/// request is delivered it is one ticket, and the ticket's events name the
/// report.
fn ticket_request(report: &Report) -> dispatch::CreateTicketRequest {
    let title: String = report.text.chars().take(30).collect();
    let photos = report.photos.len();
    dispatch::CreateTicketRequest {
        idempotency_key: report.id.to_string(),
        channel: dispatch::Channel::VillagerApp.into(),
        external_ref: report.id.to_string(),
        category_code: report.category_code.clone(),
        title: format!("村民随手拍：{title}"),
        description: if photos > 0 {
            format!("{}\n（附照片 {photos} 张）", report.text)
        } else {
            report.text.clone()
        },
        location: Some(dispatch::LatLng {
            lat: report.lat,
            lng: report.lng,
        }),
        difficult: false,
        // Personal data stays off the bus: the desk asks points for the
        // contact by the report's id (GetReporterContact, audited).
        reporter_phone: String::new(),
        priority: dispatch::Priority::Normal.into(),
    }
}

/// `points.awarded`, `points.reversed`, …: `entry` was posted (by its
/// operator, at its time).
pub fn entry_posted(entry: &LedgerEntry) -> OutboxEvent {
    let posting = &entry.posting;
    let (event_id, meta) = meta(&posting.operator, posting.at);
    let message = pb::EntryPosted {
        meta: Some(meta),
        account_id: posting.account.to_string(),
        entry: Some(convert::entry(entry)),
    };
    OutboxEvent::encode(event_id, entry_subject(posting.kind), &message)
}
