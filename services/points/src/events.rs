//! The points events: stream, subjects and messages.

use chrono::{DateTime, Utc};
use platform::events::StreamSpec;
use proto::points::v1 as pb;
use uuid::Uuid;

use crate::api::convert::timestamp;

/// The POINTS stream, subjects `points.>`.
pub const STREAM: StreamSpec = StreamSpec::fixed("POINTS", "points");
/// The DISPATCH stream, whose ticket events points follows.
pub const DISPATCH: StreamSpec = StreamSpec::fixed("DISPATCH", "dispatch");

pub const REPORT_SUBMITTED: &str = "points.report_submitted";
/// A report's ticket, asked of dispatch.
pub const TICKET_REQUESTED: &str = "points.ticket.requested";

/// Returns the metadata of a new event.
pub fn meta(actor: &str, at: DateTime<Utc>) -> (Uuid, pb::EventMeta) {
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
