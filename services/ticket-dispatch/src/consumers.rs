//! Other services' events, through the inbox: tickets asked for by
//! `<context>.ticket.requested` on each configured stream, taken in like a
//! CreateTicket call (the request's reference or key, else the event id,
//! makes it one ticket however often it arrives); and case review's
//! decisions on referred tickets, carried out.

use platform::auth::Caller;
use platform::error::{AppError, Violations};
use platform::inbox::{EventHandler, HandlerError, ReceivedEvent};
use platform::uow::Work;
use prost::Message as _;
use proto::dispatch::v1 as pb;
use proto::review::v1 as review;

use crate::application::Context;
use crate::application::intake::{self, Prepared};
use crate::application::referrals;
use crate::convert;
use crate::domain::escalation::UnitKind;
use crate::domain::ids::TicketId;
use crate::domain::referral::{CarryOut, ReviewDecision};
use crate::domain::unit::UnitRef;

/// Applies `TicketRequested` events from one source.
#[derive(Clone)]
pub struct TicketRequests {
    pub ctx: Context,
    /// The service token forwarded to the registry for these tickets.
    pub token: String,
    /// The requesting context, recorded as the actor (e.g. `video`).
    pub source: String,
}

/// A request, checked and placed. A malformed or invalid one never gets
/// here: `prepare` refuses it (`HandlerError::Refused`), and the platform
/// sets it aside in `inbox_dead_letters`, where an operator can look at it
/// and replay it, rather than blocking the stream.
pub enum Requested {
    /// Take the ticket in (or find it taken in already).
    Take(Caller, Prepared),
}

impl EventHandler for TicketRequests {
    type Event = Requested;

    async fn prepare(&self, event: &ReceivedEvent) -> Result<Option<Requested>, HandlerError> {
        let requested = pb::TicketRequested::decode(event.payload.as_ref())?;
        let mut request = requested.request.unwrap_or_default();
        if request.external_ref.is_empty() && request.idempotency_key.is_empty() {
            // The event's own id makes a redelivered request one ticket.
            request.idempotency_key = event.event_id.to_string();
        }
        // A priority this version does not know is refused (a dead letter,
        // counted in `weigrid_inbox_dead_letters_total`), never taken in
        // as normal: the sender meant something more or less urgent.
        convert::check_priority(request.priority)?;
        let caller = Caller::service(&self.source, &self.token);
        let prepared = intake::prepare(&self.ctx, convert::ticket_request(request)).await?;
        Ok(Some(Requested::Take(caller, prepared)))
    }

    async fn apply(&self, work: &mut Work, event: Requested) -> Result<(), HandlerError> {
        let number = match event {
            Requested::Take(_, Prepared::Existing(ticket)) => ticket.number,
            Requested::Take(caller, Prepared::New(new)) => {
                intake::take_in(work, &self.ctx, &caller, *new)
                    .await?
                    .ticket
                    .number
            }
        };
        tracing::info!(source = %self.source, ticket = %number, "ticket requested by event taken in");
        Ok(())
    }
}

/// The durable consumer of the review's decisions.
pub const DECISIONS_CONSUMER: &str = "dispatch-review-decision-made";

/// Carries out `<root>.decision.made` (case review's decisions) on the
/// referred ticket, through the inbox: however often a decision arrives,
/// it is carried out once. A decision that cannot be carried out (no such
/// ticket, a ticket not under review, a unit that is not one) is refused
/// and set aside as a dead letter; a review opened directly, with no
/// ticket, is not dispatch's.
#[derive(Clone)]
pub struct Decisions {
    pub ctx: Context,
}

/// A decision decoded: the ticket it is for, what it asks and who decided.
pub struct Decided {
    pub ticket: TicketId,
    pub decision: ReviewDecision,
    pub actor: String,
}

impl EventHandler for Decisions {
    type Event = Decided;

    async fn prepare(&self, event: &ReceivedEvent) -> Result<Option<Decided>, HandlerError> {
        let made = review::DecisionMade::decode(event.payload.as_ref())?;
        if made.ticket_id.is_empty() {
            return Ok(None);
        }
        decided(made)
            .map(Some)
            .map_err(|err| HandlerError::Refused(err.into()))
    }

    async fn apply(&self, work: &mut Work, event: Decided) -> Result<(), HandlerError> {
        match referrals::carry_out_decision(
            work,
            &self.ctx,
            event.ticket,
            &event.decision,
            &event.actor,
        )
        .await
        {
            Ok(ticket) => {
                tracing::info!(ticket = %ticket.number, state = ticket.state.as_str(), review = %event.decision.review, "review's decision carried out");
                Ok(())
            }
            Err(err @ (AppError::NotFound(_) | AppError::FailedPrecondition(_))) => {
                Err(HandlerError::Refused(err.into()))
            }
            Err(err) => Err(err.into()),
        }
    }
}

/// Returns what a `DecisionMade` asks of its ticket.
///
/// # Errors
/// INVALID_ARGUMENT naming the event's field.
pub fn decided(made: review::DecisionMade) -> Result<Decided, AppError> {
    let mut violations = Violations::new();
    let ticket = TicketId::parse(&made.ticket_id);
    violations.check(ticket.is_some(), "ticket_id", "must be a UUID");
    let decision = made.decision.unwrap_or_default();
    let outcome = match review::Outcome::try_from(decision.outcome) {
        Ok(review::Outcome::Adopted) => Some("adopted"),
        Ok(review::Outcome::PartlyAdopted) => Some("partly adopted"),
        Ok(review::Outcome::NotAdopted) => Some("not adopted"),
        Ok(review::Outcome::Unspecified) | Err(_) => None,
    };
    violations.check(
        outcome.is_some(),
        "decision.outcome",
        "must be ADOPTED, PARTLY_ADOPTED or NOT_ADOPTED",
    );
    let mut units = Vec::new();
    for (i, unit) in decision.redispatch_to.iter().enumerate() {
        match UnitKind::parse(&unit.kind) {
            Some(kind) if !unit.code.trim().is_empty() => {
                units.push(UnitRef::new(kind, unit.code.trim(), unit.name.trim()));
            }
            _ => violations.add(
                format!("decision.redispatch_to[{i}]"),
                "must name a unit kind and code",
            ),
        }
    }
    let result = decision.close_result.trim().to_owned();
    violations.check(
        !units.is_empty() || !result.is_empty(),
        "decision",
        "must name the units to redispatch to or the result to close with",
    );
    violations.finish()?;
    let carry_out = if units.is_empty() {
        CarryOut::Close { result }
    } else {
        let lead = units.remove(0);
        CarryOut::Redispatch {
            lead,
            co_handlers: units,
        }
    };
    let actor = if decision.decided_by.is_empty() {
        made.meta.map(|m| m.actor).unwrap_or_default()
    } else {
        decision.decided_by
    };
    Ok(Decided {
        ticket: ticket.expect("checked"),
        decision: ReviewDecision {
            review: made.review_id,
            outcome: outcome.expect("checked").to_owned(),
            reasons: decision.reasons,
            carry_out,
        },
        actor: if actor.is_empty() {
            "review".into()
        } else {
            actor
        },
    })
}
