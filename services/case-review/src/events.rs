//! The case-review events: stream, subjects, and domain changes as the
//! protobuf messages the outbox publishes
//! (`proto/weigrid/review/v1/events.proto`).

use chrono::{DateTime, Utc};
use platform::events::StreamSpec;
use platform::outbox::OutboxEvent;
use proto::review::v1 as pb;
use uuid::Uuid;

use crate::convert::{self, timestamp};
use crate::domain::decision::Decision;
use crate::domain::expert::Declaration;
use crate::domain::review::Review;

/// The REVIEW stream, subjects `review.>`.
pub const STREAM: StreamSpec = StreamSpec::fixed("REVIEW", "review");
/// The DISPATCH stream, whose referrals open reviews.
pub const DISPATCH: StreamSpec = StreamSpec::fixed("DISPATCH", "dispatch");

pub const REVIEW_OPENED: &str = "review.review.opened";
pub const PANEL_ASSIGNED: &str = "review.panel.assigned";
pub const PANELIST_RECUSED: &str = "review.panelist.recused";
pub const OPINION_SUBMITTED: &str = "review.opinion.submitted";
pub const OPINION_RETURNED: &str = "review.opinion.returned";
pub const RECOMMENDATION_OPENED: &str = "review.recommendation.opened";
pub const RECOMMENDATION_WITHDRAWN: &str = "review.recommendation.withdrawn";
pub const DEADLINE_WARNING: &str = "review.review.deadline_warning";
/// The decision, which dispatch carries out on the ticket.
pub const DECISION_MADE: &str = "review.decision.made";
pub const DECLARATION_EXPIRING: &str = "review.declaration.expiring";

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

/// A `ReviewEvent` on `subject`: `actor` changed `review` at `at`.
pub fn review_changed(
    subject: &'static str,
    review: &Review,
    actor: &str,
    at: DateTime<Utc>,
) -> OutboxEvent {
    let (event_id, meta) = meta(actor, at);
    let message = pb::ReviewEvent {
        meta: Some(meta),
        review: Some(convert::review_for_event(review)),
    };
    OutboxEvent::encode(event_id, subject, &message)
}

/// `review.decision.made`: `decision` on `review`.
pub fn decision_made(review: &Review, decision: &Decision) -> OutboxEvent {
    let (event_id, meta) = meta(&decision.decided_by, decision.decided_at);
    let message = pb::DecisionMade {
        meta: Some(meta),
        review_id: review.id.to_string(),
        ticket_id: review
            .request
            .ticket
            .map(|t| t.to_string())
            .unwrap_or_default(),
        case_ref: review.request.case_ref.clone(),
        decision: Some(convert::decision(decision)),
    };
    OutboxEvent::encode(event_id, DECISION_MADE, &message)
}

/// `review.declaration.expiring`: `declaration` expires soon.
pub fn declaration_expiring(
    declaration: &Declaration,
    actor: &str,
    at: DateTime<Utc>,
) -> OutboxEvent {
    let (event_id, meta) = meta(actor, at);
    let message = pb::DeclarationExpiring {
        meta: Some(meta),
        declaration: Some(convert::declaration(declaration)),
    };
    OutboxEvent::encode(event_id, DECLARATION_EXPIRING, &message)
}
