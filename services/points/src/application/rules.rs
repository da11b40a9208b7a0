//! Award rules: the town changes a category's points, or whether it takes
//! reports.

use platform::error::AppError;
use platform::uow::{Begun, CallKey};
use prost::Message;

use super::Context;
use crate::domain::rules::AwardRule;
use crate::repository::rules;

/// Returns every award rule, active or not.
///
/// # Errors
/// The database fails.
pub async fn list(ctx: &Context) -> Result<Vec<AwardRule>, AppError> {
    let mut conn = ctx.units.read().await?;
    Ok(rules::all(&mut conn).await?)
}

/// Changes a category's rule, as `operator` asks.
///
/// # Errors
/// NOT_FOUND for a category dispatch does not know.
pub async fn put<A: Message + Default>(
    ctx: &Context,
    operator: &str,
    key: CallKey,
    rule: AwardRule,
    answer: impl FnOnce(&AwardRule) -> A,
) -> Result<A, AppError> {
    let mut work = match ctx.units.begin(key).await? {
        Begun::Replay(saved) => return Ok(saved),
        Begun::Fresh(work) => work,
    };
    let stored = rules::put(work.conn(), &rule).await?.ok_or_else(|| {
        // A report's category must be one dispatch takes tickets for: new
        // categories come with dispatch's, by migration.
        AppError::NotFound(format!("award rule for category {}", rule.category_code))
    })?;
    tracing::info!(category = %stored.category_code, base_points = stored.base_points, active = stored.active, by = %operator, "award rule changed");
    work.commit(answer(&stored)).await
}
