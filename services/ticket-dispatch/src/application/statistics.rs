//! GetStatistics and GetAssessment, computed from the tickets' legs and
//! histories.

use platform::auth::Caller;
use platform::error::AppError;

use super::{Context, access};
use crate::domain::grid::VillageKind;
use crate::domain::stats::{
    Figures, GroupBy, Period, TicketFacts, VillageScore, repeat_places, rising_categories,
    summarize_by,
};
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

/// GetStatistics: the figures of the period as of now, in total and by
/// `group_by` (every key of `shown` among the groups, with no cases when
/// nothing fell in it), with the places reported more than once and the
/// categories rising against the equal period before.
///
/// # Errors
/// PERMISSION_DENIED for a role without statistics, or the database.
pub async fn statistics(
    ctx: &Context,
    caller: &Caller,
    period: Period,
    group_by: GroupBy,
    shown: &[String],
) -> Result<Figures, AppError> {
    let facts = period_facts(ctx, caller, period).await?;
    let before = period_facts(ctx, caller, period.previous()).await?;
    let (total, groups) = summarize_by(&facts, group_by, shown, ctx.units.now());
    Ok(Figures {
        total,
        groups,
        repeat_places: repeat_places(&facts, ctx.policy.duplicates.radius_m),
        rising_categories: rising_categories(&facts, &before),
    })
}

/// GetAssessment: every village and residential committee over the period,
/// weighed by its kind; one with no cases says so and scores nothing.
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
    let now = ctx.units.now();
    Ok(villages
        .into_iter()
        .map(|village| {
            let weight = match village.kind {
                VillageKind::Village => weights.village_weight,
                VillageKind::Residential => weights.residential_weight,
            };
            VillageScore::assess(village, &facts, weight, now)
        })
        .collect())
}
