//! The leadership's decision: refused while the required review is
//! missing or incomplete; published for dispatch to carry out.

use platform::auth::Caller;
use platform::error::AppError;
use platform::uow::{Begun, CallKey};
use prost::Message;

use super::{Context, access, load_for_change};
use crate::domain::decision::DecisionDraft;
use crate::domain::ids::ReviewId;
use crate::domain::review::{RecommendationState, Review};
use crate::events;
use crate::repository::reviews;

/// A decision to record.
#[derive(Debug, Clone)]
pub struct DecideReview {
    pub review: ReviewId,
    pub draft: DecisionDraft,
}

/// Records the decision on a review, as the town's leadership gives it.
///
/// # Errors
/// PERMISSION_DENIED for others; NOT_FOUND for an unknown review;
/// INVALID_ARGUMENT for a carry-out that does not fit the review;
/// FAILED_PRECONDITION naming what the review still lacks, or for a review
/// decided before.
pub async fn decide_review<A: Message + Default>(
    ctx: &Context,
    caller: &Caller,
    key: CallKey,
    cmd: DecideReview,
    answer: impl FnOnce(&Review) -> A,
) -> Result<A, AppError> {
    access::require_town(caller, "decide a review")?;
    let mut work = match ctx.units.begin(key).await? {
        Begun::Replay(saved) => return Ok(saved),
        Begun::Fresh(work) => work,
    };
    let mut review = load_for_change(work.conn(), cmd.review).await?;
    let now = work.now();
    let decision = review.decide(cmd.draft, &ctx.policy.panel, &caller.subject, now)?;
    reviews::insert_decision(work.conn(), &review, &decision).await?;
    reviews::close_recommendation(
        work.conn(),
        decision.recommendation,
        RecommendationState::Decided,
        None,
        now,
    )
    .await?;
    work.publish(events::decision_made(&review, &decision));
    tracing::info!(review_id = %review.id, outcome = decision.outcome.as_str(), "review decided");
    work.commit(answer(&review)).await
}
