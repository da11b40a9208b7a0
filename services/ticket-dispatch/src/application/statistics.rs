//! GetStatistics and GetAssessment, computed from the tickets' histories.

use platform::auth::Caller;
use platform::error::AppError;

use super::{Context, access};
use crate::domain::grid::VillageKind;
use crate::domain::stats::{GroupBy, Period, Summary, TicketFacts, VillageScore, summarize_by};
use crate::repository::stats;

/// The facts of the tickets received in `period`, limited to the caller's
/// village when the caller is scoped to one.
async fn period_facts(
    ctx: &Context,
    caller: &Caller,
    period: Period,
) -> Result<Vec<TicketFacts>, AppError> {
    let scope = access::statistics_scope(caller)?;
    let mut conn = ctx.units.read().await?;
    let mut facts = stats::facts(&mut conn, period).await?;
    if let Some(village) = scope {
        facts.retain(|f| f.village.as_deref() == Some(village.as_str()));
    }
    Ok(facts)
}

/// GetStatistics: the figures of the period, in total and by `group_by`.
///
/// # Errors
/// PERMISSION_DENIED for a role without statistics, or the database.
pub async fn statistics(
    ctx: &Context,
    caller: &Caller,
    period: Period,
    group_by: GroupBy,
) -> Result<(Summary, Vec<Summary>), AppError> {
    let facts = period_facts(ctx, caller, period).await?;
    Ok(summarize_by(&facts, group_by))
}

/// GetAssessment: every village and residential committee over the period,
/// weighed by its kind.
///
/// # Errors
/// UNAVAILABLE when the registry cannot list the villages, or the
/// database.
pub async fn assessment(
    ctx: &Context,
    caller: &Caller,
    period: Period,
) -> Result<Vec<VillageScore>, AppError> {
    let facts = period_facts(ctx, caller, period).await?;
    let villages = ctx.registry.villages().await.map_err(|e| {
        AppError::Unavailable(format!("{e}; the assessment needs the list of villages"))
    })?;
    let weights = ctx.policy.assessment;
    Ok(villages
        .into_iter()
        .map(|village| {
            let weight = match village.kind {
                VillageKind::Village => weights.village_weight,
                VillageKind::Residential => weights.residential_weight,
            };
            VillageScore::assess(village, &facts, weight)
        })
        .collect())
}
