//! The consolidated recommendation: one open per review, citing the
//! opinion versions it rests on.

use platform::auth::Caller;
use platform::error::AppError;
use platform::uow::{Begun, CallKey};
use prost::Message;

use super::{Context, access, load_for_change};
use crate::domain::ids::{OpinionId, RecommendationId, ReviewId};
use crate::domain::review::{Recommendation, RecommendationState};
use crate::events;
use crate::repository::reviews;

/// A recommendation to open.
#[derive(Debug, Clone)]
pub struct OpenRecommendation {
    pub review: ReviewId,
    pub text: String,
    pub opinions: Vec<OpinionId>,
}

/// Opens the review's consolidated recommendation, as the town asks.
///
/// # Errors
/// PERMISSION_DENIED for others; NOT_FOUND for an unknown review;
/// INVALID_ARGUMENT for a citation that is not a current opinion;
/// FAILED_PRECONDITION when one is open already or the review is decided.
pub async fn open_recommendation<A: Message + Default>(
    ctx: &Context,
    caller: &Caller,
    key: CallKey,
    cmd: OpenRecommendation,
    answer: impl FnOnce(&Recommendation) -> A,
) -> Result<A, AppError> {
    access::require_town(caller, "open a recommendation")?;
    let mut work = match ctx.units.begin(key).await? {
        Begun::Replay(saved) => return Ok(saved),
        Begun::Fresh(work) => work,
    };
    let mut review = load_for_change(work.conn(), cmd.review).await?;
    let now = work.now();
    let recommendation =
        review.open_recommendation(cmd.text, cmd.opinions, &caller.subject, now)?;
    reviews::insert_recommendation(work.conn(), &recommendation).await?;
    work.publish(events::review_changed(
        events::RECOMMENDATION_OPENED,
        &review,
        &caller.subject,
        now,
    ));
    work.commit(answer(&recommendation)).await
}

/// A recommendation to withdraw.
#[derive(Debug, Clone)]
pub struct WithdrawRecommendation {
    pub recommendation: RecommendationId,
    pub reason: String,
}

/// Withdraws the open recommendation, as the town asks.
///
/// # Errors
/// PERMISSION_DENIED for others; NOT_FOUND for an unknown recommendation;
/// FAILED_PRECONDITION when it is not open.
pub async fn withdraw_recommendation<A: Message + Default>(
    ctx: &Context,
    caller: &Caller,
    key: CallKey,
    cmd: WithdrawRecommendation,
    answer: impl FnOnce(&Recommendation) -> A,
) -> Result<A, AppError> {
    access::require_town(caller, "withdraw a recommendation")?;
    let mut work = match ctx.units.begin(key).await? {
        Begun::Replay(saved) => return Ok(saved),
        Begun::Fresh(work) => work,
    };
    let review_id = reviews::review_of_recommendation(work.conn(), cmd.recommendation)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("recommendation {}", cmd.recommendation)))?;
    let mut review = load_for_change(work.conn(), review_id).await?;
    let now = work.now();
    let recommendation = review.withdraw_recommendation(cmd.recommendation)?;
    reviews::close_recommendation(
        work.conn(),
        recommendation.id,
        RecommendationState::Withdrawn,
        Some(&cmd.reason),
        now,
    )
    .await?;
    work.publish(events::review_changed(
        events::RECOMMENDATION_WITHDRAWN,
        &review,
        &caller.subject,
        now,
    ));
    work.commit(answer(&recommendation)).await
}
