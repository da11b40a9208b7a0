//! Review requests: opened directly by the town or by a dispatch referral,
//! read by the town and by the experts on their panels.

use platform::auth::Caller;
use platform::error::AppError;
use platform::uow::{Begun, CallKey, Work};
use prost::Message;

use super::{Context, access};
use crate::domain::ids::{ReviewId, TicketId};
use crate::domain::review::{Review, ReviewRequest, ReviewState};
use crate::events;
use crate::repository::reviews;

/// A review to open directly.
#[derive(Debug, Clone)]
pub struct OpenReview {
    pub request: ReviewRequest,
}

/// Opens a review as the town asks.
///
/// # Errors
/// PERMISSION_DENIED for others; INVALID_ARGUMENT for a deadline passed.
pub async fn open_review<A: Message + Default>(
    ctx: &Context,
    caller: &Caller,
    key: CallKey,
    cmd: OpenReview,
    answer: impl FnOnce(&Review) -> A,
) -> Result<A, AppError> {
    access::require_town(caller, "open a review")?;
    let mut work = match ctx.units.begin(key).await? {
        Begun::Replay(saved) => return Ok(saved),
        Begun::Fresh(work) => work,
    };
    let review = open(&mut work, cmd.request, &caller.subject).await?;
    work.commit(answer(&review)).await
}

/// Opens the review a dispatch referral asks for, inside the consumer's
/// work (whose inbox row makes it one review however often it arrives).
///
/// # Errors
/// INVALID_ARGUMENT for a deadline passed (the event is set aside); the
/// database failing.
pub async fn open_referred(
    work: &mut Work,
    request: ReviewRequest,
    actor: &str,
) -> Result<Review, AppError> {
    open(work, request, actor).await
}

async fn open<A: Message>(
    work: &mut Work<A>,
    request: ReviewRequest,
    actor: &str,
) -> Result<Review, AppError> {
    let review =
        Review::open(request, actor, work.now()).map_err(|v| AppError::InvalidArgument(vec![v]))?;
    reviews::insert(work.conn(), &review).await?;
    work.publish(events::review_changed(
        events::REVIEW_OPENED,
        &review,
        actor,
        work.now(),
    ));
    tracing::info!(review_id = %review.id, kind = review.request.kind.as_str(), case = %review.request.case_ref, "review opened");
    Ok(review)
}

/// Returns review `id` with everything on it, as `caller` may see it; the
/// read is recorded (who read which review, when).
///
/// # Errors
/// NOT_FOUND (also for a caller who may not see it), or the database
/// failing.
pub async fn get_review(ctx: &Context, caller: &Caller, id: ReviewId) -> Result<Review, AppError> {
    let review = {
        let mut conn = ctx.units.read().await?;
        reviews::load(&mut conn, id, false).await?
    }
    .filter(|r| access::may_read(caller, r))
    .ok_or_else(|| AppError::NotFound(format!("review {id}")))?;
    let mut work = ctx.units.begin_job::<()>().await?;
    let at = work.now();
    reviews::record_read(work.conn(), id, &caller.subject, caller.role.as_str(), at).await?;
    work.commit(()).await?;
    Ok(review)
}

/// Which reviews to list.
#[derive(Debug, Clone)]
pub struct ListReviews {
    pub state: Option<ReviewState>,
    pub ticket: Option<TicketId>,
    pub limit: u32,
}

/// Returns the reviews `cmd` asks for, newest first (the town's list).
///
/// # Errors
/// PERMISSION_DENIED for others; the database failing.
pub async fn list_reviews(
    ctx: &Context,
    caller: &Caller,
    cmd: ListReviews,
) -> Result<Vec<Review>, AppError> {
    access::require_town(caller, "list reviews")?;
    let mut conn = ctx.units.read().await?;
    Ok(reviews::list(&mut conn, cmd.state, cmd.ticket, i64::from(cmd.limit)).await?)
}
