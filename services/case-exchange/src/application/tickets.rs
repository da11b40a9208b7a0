//! This town's dispatch tickets of joint cases, followed from dispatch's
//! events: the CROSS_BORDER ticket opened here for a case reported to this
//! town, and the town's own ticket of a case it reported (its case number).
//! Each side's ticket number, once known, and its closure are told to the
//! other side, so a closure on one side is visible on the other.

use platform::error::AppError;
use platform::uow::Work;

use super::Context;
use super::outbound::{self, Outgoing};
use crate::domain::ids::SharedCaseId;
use crate::domain::micros;
use crate::domain::node::NodeId;
use crate::domain::payload::Payload;
use crate::repository::cases;

/// What dispatch says of one of this town's tickets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketNews {
    /// The shared id a CROSS_BORDER ticket carries as its channel
    /// reference; `None` for the town's other tickets.
    pub shared_id: Option<SharedCaseId>,
    /// The ticket's number.
    pub number: String,
    /// Whether the ticket is now closed.
    pub closed: bool,
}

/// Notes `news` on the joint case it belongs to, if any, and tells the
/// other side; returns the peer to wake once the event's work commits.
///
/// # Errors
/// The database failed.
pub async fn follow_ticket(
    work: &mut Work,
    ctx: &Context,
    news: TicketNews,
) -> Result<Option<NodeId>, AppError> {
    let me = &ctx.identity.node;
    let id = match news.shared_id {
        Some(id) => id,
        None => match cases::reported_as(work.conn(), &me.to_string(), &news.number).await? {
            Some(id) => id,
            None => return Ok(None),
        },
    };
    let Some(mut case) = cases::load_for_update(work.conn(), id).await? else {
        return Ok(None);
    };
    // A CROSS_BORDER ticket is this town's for a case reported to it.
    if news.shared_id.is_some() && &case.peer_node != me {
        return Ok(None);
    }
    if !case.note_ticket(me, &news.number, news.closed) {
        return Ok(None);
    }
    let loaded = case.version;
    let now = micros(work.now());
    cases::save(work.conn(), &case, loaded, now).await?;
    let other = case.other_side(me).clone();
    let (mine, theirs) = case.case_numbers(me);
    let closed = if &case.origin_node == me {
        case.origin_ticket_closed
    } else {
        case.peer_ticket_closed
    };
    outbound::queue(
        work,
        ctx,
        Outgoing {
            peer: other.clone(),
            payload: Payload::Ticket {
                case_number: mine.clone(),
                closed,
            },
            shared_case_id: Some(case.shared_id),
            sender_case_number: mine,
            recipient_case_number: theirs,
            status: case.status,
            references: Vec::new(),
            in_reply_to: None,
        },
    )
    .await?;
    tracing::info!(shared_id = %case.shared_id, ticket = %news.number, closed, "this side's ticket told to the other");
    Ok(Some(other))
}
