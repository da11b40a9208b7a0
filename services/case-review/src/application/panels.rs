//! Seating a review's panel, with every composition and conflict rule
//! checked at assignment, and recusals.

use kernel::FieldViolation;
use platform::auth::Caller;
use platform::error::AppError;
use platform::uow::{Begun, CallKey};
use prost::Message;

use super::{Context, access, load_for_change};
use crate::domain::DomainError;
use crate::domain::ids::{ExpertId, ReviewId};
use crate::domain::panel::{Candidate, rule, rule_of};
use crate::domain::review::Review;
use crate::events;
use crate::repository::{experts, reviews};

/// The whole panel to seat.
#[derive(Debug, Clone)]
pub struct AssignPanel {
    pub review: ReviewId,
    pub experts: Vec<ExpertId>,
}

/// Seats the panel `cmd` lists, as the town asks. A refusal for a conflict
/// is counted (`conflicts_found`) though nothing is seated.
///
/// # Errors
/// PERMISSION_DENIED for others; NOT_FOUND for an unknown review;
/// INVALID_ARGUMENT naming each broken rule (or an unknown expert);
/// FAILED_PRECONDITION for a decided review.
pub async fn assign_panel<A: Message + Default>(
    ctx: &Context,
    caller: &Caller,
    key: CallKey,
    cmd: AssignPanel,
    answer: impl FnOnce(&Review) -> A,
) -> Result<A, AppError> {
    access::require_town(caller, "seat a panel")?;
    let mut work = match ctx.units.begin(key).await? {
        Begun::Replay(saved) => return Ok(saved),
        Begun::Fresh(work) => work,
    };
    let mut review = load_for_change(work.conn(), cmd.review).await?;
    let found = experts::many(work.conn(), &cmd.experts).await?;
    let declarations = experts::declarations(work.conn(), &cmd.experts).await?;
    let mut unknown = Vec::new();
    let mut candidates = Vec::new();
    for (i, id) in cmd.experts.iter().enumerate() {
        match found.iter().find(|e| e.id == *id) {
            Some(expert) => candidates.push(Candidate {
                expert: expert.clone(),
                declarations: declarations
                    .iter()
                    .filter(|d| d.expert == *id)
                    .cloned()
                    .collect(),
            }),
            None => unknown.push(FieldViolation::new(
                format!("expert_ids[{i}]"),
                "is not an expert of the registry",
            )),
        }
    }
    if !unknown.is_empty() {
        return Err(AppError::InvalidArgument(unknown));
    }
    let now = work.now();
    let change = match review.assign_panel(&candidates, &ctx.policy.panel, now) {
        Ok(change) => change,
        Err(DomainError::Invalid(broken)) => {
            drop(work);
            record_conflicts(ctx, cmd.review, &cmd.experts, &broken).await?;
            return Err(AppError::InvalidArgument(broken));
        }
        Err(err) => return Err(err.into()),
    };
    reviews::seat(work.conn(), review.id, &change.seated).await?;
    for (expert, recusal) in &change.stood_down {
        reviews::recuse(work.conn(), review.id, *expert, recusal).await?;
    }
    work.publish(events::review_changed(
        events::PANEL_ASSIGNED,
        &review,
        &caller.subject,
        now,
    ));
    tracing::info!(review_id = %review.id, seated = change.seated.len(), stood_down = change.stood_down.len(), "panel assigned");
    work.commit(answer(&review)).await
}

/// Records the conflicts among `broken` (for `experts` as listed), in work
/// of its own: the refused assignment kept nothing.
async fn record_conflicts(
    ctx: &Context,
    review: ReviewId,
    experts: &[ExpertId],
    broken: &[FieldViolation],
) -> Result<(), AppError> {
    let conflicts: Vec<(ExpertId, String)> = broken
        .iter()
        .filter(|v| rule::CONFLICTS.contains(&rule_of(v)))
        .filter_map(|v| {
            let index: usize = v
                .field
                .strip_prefix("expert_ids[")?
                .strip_suffix(']')?
                .parse()
                .ok()?;
            Some((*experts.get(index)?, rule_of(v).to_owned()))
        })
        .collect();
    if conflicts.is_empty() {
        return Ok(());
    }
    let mut work = ctx.units.begin_job::<()>().await?;
    let at = work.now();
    reviews::record_conflicts(work.conn(), review, &conflicts, at).await?;
    tracing::info!(review_id = %review, conflicts = conflicts.len(), "conflicts found at assignment");
    work.commit(()).await
}

/// A recusal to record.
#[derive(Debug, Clone)]
pub struct RecusePanelist {
    pub review: ReviewId,
    pub expert: ExpertId,
    pub reason: String,
}

/// Records that a seated expert stands down, and why (the town, or the
/// expert themselves).
///
/// # Errors
/// PERMISSION_DENIED for others; NOT_FOUND for an unknown review;
/// FAILED_PRECONDITION when the expert does not sit or the review is
/// decided.
pub async fn recuse_panelist<A: Message + Default>(
    ctx: &Context,
    caller: &Caller,
    key: CallKey,
    cmd: RecusePanelist,
    answer: impl FnOnce(&Review) -> A,
) -> Result<A, AppError> {
    access::require_town_or_expert(caller, cmd.expert, "record a recusal")?;
    let mut work = match ctx.units.begin(key).await? {
        Begun::Replay(saved) => return Ok(saved),
        Begun::Fresh(work) => work,
    };
    let mut review = load_for_change(work.conn(), cmd.review).await?;
    let now = work.now();
    let recusal = review.recuse(cmd.expert, cmd.reason, now)?;
    reviews::recuse(work.conn(), review.id, cmd.expert, &recusal).await?;
    work.publish(events::review_changed(
        events::PANELIST_RECUSED,
        &review,
        &caller.subject,
        now,
    ));
    work.commit(answer(&review)).await
}
