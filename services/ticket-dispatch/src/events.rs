//! The dispatch events: stream, subjects and messages.

use chrono::{DateTime, Utc};
use platform::events::StreamSpec;
use proto::dispatch::v1 as pb;
use uuid::Uuid;

use crate::api::convert;

/// The DISPATCH stream, subjects `dispatch.>`.
pub const STREAM: StreamSpec = StreamSpec::fixed("DISPATCH", "dispatch");

/// Returns the subject of the event a move publishes.
pub fn subject_for(action: &str) -> Option<&'static str> {
    Some(match action {
        "receive" => "dispatch.ticket.received",
        "dispatch" => "dispatch.ticket.dispatched",
        "accept" => "dispatch.ticket.accepted",
        "start" => "dispatch.ticket.started",
        "return" => "dispatch.ticket.returned",
        "resolve" => "dispatch.ticket.resolved",
        "verify" => "dispatch.ticket.verified",
        "follow_up" => "dispatch.ticket.followed_up",
        "close" => "dispatch.ticket.closed",
        "reopen" => "dispatch.ticket.reopened",
        _ => return None,
    })
}

pub const DEADLINE_WARNING: &str = "dispatch.ticket.deadline_warning";
pub const DEADLINE_BREACHED: &str = "dispatch.ticket.deadline_breached";
pub const ESCALATED: &str = "dispatch.ticket.escalated";

/// Returns the metadata of a new event.
pub fn meta(actor: &str, at: DateTime<Utc>) -> (Uuid, pb::EventMeta) {
    let event_id = Uuid::now_v7();
    (
        event_id,
        pb::EventMeta {
            event_id: event_id.to_string(),
            occurred_at: Some(convert::timestamp(at)),
            actor: actor.to_owned(),
        },
    )
}
