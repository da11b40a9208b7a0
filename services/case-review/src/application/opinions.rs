//! Opinions: an expert submits each version signed; the town returns one
//! for a rewrite. Nothing edits a submitted version.

use platform::auth::Caller;
use platform::error::AppError;
use platform::uow::{Begun, CallKey};
use prost::Message;

use super::{Context, access, load_for_change};
use crate::domain::ids::{OpinionId, ReviewId};
use crate::domain::opinion::Opinion;
use crate::domain::review::Submission;
use crate::events;
use crate::repository::{experts, reviews};

/// An opinion to submit on a review.
#[derive(Debug, Clone)]
pub struct SubmitOpinion {
    pub review: ReviewId,
    pub submission: Submission,
}

/// Submits the next version of an expert's signed opinion (by the expert,
/// or the town uploading what the expert signed).
///
/// # Errors
/// PERMISSION_DENIED for others; NOT_FOUND for an unknown review or expert;
/// INVALID_ARGUMENT for a wrong version or a signature that does not
/// verify; FAILED_PRECONDITION when the expert does not sit or the review
/// is decided.
pub async fn submit_opinion<A: Message + Default>(
    ctx: &Context,
    caller: &Caller,
    key: CallKey,
    cmd: SubmitOpinion,
    answer: impl FnOnce(&Opinion) -> A,
) -> Result<A, AppError> {
    let expert_id = cmd.submission.expert;
    access::require_town_or_expert(caller, expert_id, "submit an expert's opinion")?;
    let mut work = match ctx.units.begin(key).await? {
        Begun::Replay(saved) => return Ok(saved),
        Begun::Fresh(work) => work,
    };
    let mut review = load_for_change(work.conn(), cmd.review).await?;
    let expert = experts::find(work.conn(), expert_id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("expert {expert_id}")))?;
    let now = work.now();
    let opinion = review.submit_opinion(&expert, cmd.submission, now)?;
    reviews::insert_opinion(work.conn(), &opinion).await?;
    work.publish(events::review_changed(
        events::OPINION_SUBMITTED,
        &review,
        &caller.subject,
        now,
    ));
    tracing::info!(review_id = %review.id, expert_id = %expert.id, version = opinion.version, "opinion submitted");
    work.commit(answer(&opinion)).await
}

/// An opinion to return for a rewrite.
#[derive(Debug, Clone)]
pub struct ReturnOpinion {
    pub opinion: OpinionId,
    pub reason: String,
}

/// Returns an expert's current opinion for a rewrite, as the town asks.
///
/// # Errors
/// PERMISSION_DENIED for others; NOT_FOUND for an unknown opinion;
/// FAILED_PRECONDITION when it is not the current version or the review
/// is decided.
pub async fn return_opinion<A: Message + Default>(
    ctx: &Context,
    caller: &Caller,
    key: CallKey,
    cmd: ReturnOpinion,
    answer: impl FnOnce(&Opinion) -> A,
) -> Result<A, AppError> {
    access::require_town(caller, "return an opinion")?;
    let mut work = match ctx.units.begin(key).await? {
        Begun::Replay(saved) => return Ok(saved),
        Begun::Fresh(work) => work,
    };
    let review_id = reviews::review_of_opinion(work.conn(), cmd.opinion)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("opinion {}", cmd.opinion)))?;
    let mut review = load_for_change(work.conn(), review_id).await?;
    let now = work.now();
    let opinion = review.return_opinion(cmd.opinion, cmd.reason, now)?;
    if let Some(returned) = &opinion.returned {
        reviews::mark_returned(work.conn(), opinion.id, returned).await?;
    }
    work.publish(events::review_changed(
        events::OPINION_RETURNED,
        &review,
        &caller.subject,
        now,
    ));
    work.commit(answer(&opinion)).await
}
