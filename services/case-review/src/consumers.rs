//! Dispatch's referrals: `dispatch.ticket.referred` opens a review of the
//! ticket, through the inbox, so that however often the event arrives it
//! is one review. A referral that cannot be a review (no question, a
//! deadline passed) is refused and set aside as a dead letter.

use chrono::Duration;
use platform::error::{AppError, Violations};
use platform::inbox::{EventHandler, HandlerError, ReceivedEvent};
use platform::uow::Work;
use prost::Message as _;
use proto::dispatch::v1 as dispatch;

use crate::application::{Context, reviews};
use crate::convert;
use crate::domain::ids::TicketId;
use crate::domain::review::{ReviewKind, ReviewRequest, Urgency};

/// The durable consumer's name.
pub const CONSUMER: &str = "review-ticket-referred";
/// The subject it consumes.
pub const SUBJECT: &str = "dispatch.ticket.referred";

/// How long a referral without a deadline has (the street's 15 working
/// days for complex cases, as calendar days).
const DEFAULT_DAYS: i64 = 15;

/// Opens a review for each referral.
#[derive(Clone)]
pub struct Referrals {
    pub ctx: Context,
}

/// A referral decoded: the review to open and who referred it.
pub struct Referral {
    pub request: ReviewRequest,
    pub actor: String,
}

impl EventHandler for Referrals {
    type Event = Referral;

    async fn prepare(&self, event: &ReceivedEvent) -> Result<Option<Referral>, HandlerError> {
        let referred = dispatch::TicketReferred::decode(event.payload.as_ref())?;
        let meta = referred.meta.clone().unwrap_or_default();
        let at = meta
            .occurred_at
            .as_ref()
            .and_then(convert::from_timestamp)
            .unwrap_or_else(|| self.ctx.units.now());
        let request = request_of(&referred, &self.ctx.policy.organiser, at)?;
        let actor = if meta.actor.is_empty() {
            "dispatch".to_owned()
        } else {
            meta.actor
        };
        Ok(Some(Referral { request, actor }))
    }

    async fn apply(&self, work: &mut Work, event: Referral) -> Result<(), HandlerError> {
        let review = reviews::open_referred(work, event.request, &event.actor).await?;
        tracing::info!(review_id = %review.id, case = %review.request.case_ref, "referral opened a review");
        Ok(())
    }
}

/// Returns the review a referral asks for: the ticket's number is the
/// case, its units (lead and co-handlers) had a role in it, and a
/// department leading it is the industry authority.
///
/// # Errors
/// INVALID_ARGUMENT naming the event's field.
pub fn request_of(
    referred: &dispatch::TicketReferred,
    organiser: &str,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<ReviewRequest, AppError> {
    let mut violations = Violations::new();
    let ticket = referred.ticket.clone().unwrap_or_default();
    let ticket_id = TicketId::parse(&ticket.id);
    violations.check(ticket_id.is_some(), "ticket.id", "must be a UUID");
    violations.check(
        !ticket.number.trim().is_empty(),
        "ticket.number",
        "must be set",
    );
    let kind = match dispatch::ReferralKind::try_from(referred.kind) {
        Ok(dispatch::ReferralKind::LegalRisk) => Some(ReviewKind::LegalRisk),
        Ok(dispatch::ReferralKind::Professional) => Some(ReviewKind::Professional),
        Ok(dispatch::ReferralKind::Policy) => Some(ReviewKind::Policy),
        Ok(dispatch::ReferralKind::Unspecified) | Err(_) => None,
    };
    violations.check(
        kind.is_some(),
        "kind",
        "must be LEGAL_RISK, PROFESSIONAL or POLICY",
    );
    violations.check(
        !referred.question.trim().is_empty(),
        "question",
        "must be set",
    );
    let deadline = match referred.deadline.as_ref() {
        Some(ts) => convert::from_timestamp(ts),
        None => Some(at + Duration::days(DEFAULT_DAYS)),
    };
    violations.check(deadline.is_some(), "deadline", "must be a valid time");
    violations.finish()?;
    let mut involved: Vec<String> = ticket
        .assignee
        .iter()
        .chain(ticket.tasks.iter().filter_map(|t| t.unit.as_ref()))
        .map(|u| u.code.clone())
        .filter(|c| !c.is_empty())
        .collect();
    involved.dedup();
    let industry_authority = ticket
        .assignee
        .as_ref()
        .filter(|u| u.kind == "DEPARTMENT")
        .map(|u| u.code.clone());
    Ok(ReviewRequest {
        kind: kind.expect("checked"),
        question: referred.question.trim().to_owned(),
        materials: referred.materials.clone(),
        urgency: if referred.urgent {
            Urgency::Urgent
        } else {
            Urgency::Normal
        },
        deadline: deadline.expect("checked"),
        major: referred.major,
        case_ref: ticket.number.trim().to_owned(),
        ticket: ticket_id,
        parties: referred.parties.clone(),
        involved,
        organiser: organiser.to_owned(),
        industry_authority,
    })
}
