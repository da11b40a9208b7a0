//! Reminders: a declaration of interest about to expire, and a review
//! near its deadline while it is incomplete. Each item is its own unit of
//! work, so that one failing keeps none of the others back.

use chrono::Duration;
use platform::error::AppError;

use super::Context;
use crate::domain::SERVICE;
use crate::events;
use crate::repository::{experts, reviews};

/// How many items one round looks at.
const BATCH: i64 = 100;

/// Reminds the experts whose declarations expire within the configured
/// lead; returns how many were reminded.
///
/// # Errors
/// The database fails.
pub async fn remind_declarations(ctx: &Context) -> Result<usize, AppError> {
    let lead =
        Duration::from_std(ctx.policy.reminders.declaration_lead).unwrap_or(Duration::days(14));
    let now = ctx.units.now();
    let due = {
        let mut conn = ctx.units.read().await?;
        experts::reminders_due(&mut conn, now, now + lead, BATCH).await?
    };
    let mut reminded = 0;
    for id in due {
        let mut work = ctx.units.begin_job::<()>().await?;
        let Some(declaration) = experts::claim_reminder(work.conn(), id).await? else {
            continue;
        };
        let at = work.now();
        experts::mark_reminded(work.conn(), id, at).await?;
        work.publish(events::declaration_expiring(&declaration, SERVICE, at));
        work.commit(()).await?;
        reminded += 1;
    }
    Ok(reminded)
}

/// Warns of the open reviews whose deadline is within the configured
/// warning time while they are incomplete; returns how many were warned.
///
/// # Errors
/// The database fails.
pub async fn warn_deadlines(ctx: &Context) -> Result<usize, AppError> {
    let ahead =
        Duration::from_std(ctx.policy.reminders.deadline_warning).unwrap_or(Duration::hours(24));
    let due = {
        let mut conn = ctx.units.read().await?;
        reviews::warnings_due(&mut conn, ctx.units.now() + ahead, BATCH).await?
    };
    let mut warned = 0;
    for id in due {
        let mut work = ctx.units.begin_job::<()>().await?;
        let at = work.now();
        if !reviews::claim_warning(work.conn(), id, at).await? {
            continue;
        }
        let Some(review) = reviews::load(work.conn(), id, false).await? else {
            continue;
        };
        if !review.missing(&ctx.policy.panel).is_empty() {
            work.publish(events::review_changed(
                events::DEADLINE_WARNING,
                &review,
                SERVICE,
                at,
            ));
            warned += 1;
        }
        work.commit(()).await?;
    }
    Ok(warned)
}
