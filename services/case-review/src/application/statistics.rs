//! The statistics of reviews opened in a period, and of the villages' work
//! lists due in it.

use chrono::{DateTime, Utc};
use platform::auth::Caller;
use platform::error::AppError;

use super::{Context, access};
use crate::domain::stats::{self, Figures};
use crate::domain::worklist::{self, VillageCompletion};
use crate::repository::stats as facts;
use crate::repository::worklists::{self, ItemFilter};

/// The figures of a period.
#[derive(Debug, Clone)]
pub struct Statistics {
    pub total: Figures,
    pub kinds: Vec<Figures>,
    /// Assignments refused for a conflict, by rule.
    pub conflicts: Vec<(String, u32)>,
    /// Work-list completion per village, over the items due in the period.
    pub villages: Vec<VillageCompletion>,
}

/// The most work items the statistics look at in one period: a year of
/// Langxia's lists is a few hundred.
const MAX_ITEMS: i64 = 100_000;

/// Returns the statistics of the reviews opened in [from, to), from one
/// snapshot.
///
/// # Errors
/// PERMISSION_DENIED for others than the town; the database failing.
pub async fn get_statistics(
    ctx: &Context,
    caller: &Caller,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Statistics, AppError> {
    access::require_town(caller, "read the statistics")?;
    let mut conn = ctx.units.read_snapshot().await?;
    let all = facts::facts(&mut conn, from, to).await?;
    let conflicts = facts::conflicts(&mut conn, from, to).await?;
    let due = ItemFilter {
        due: Some((from, to)),
        limit: MAX_ITEMS,
        ..ItemFilter::default()
    };
    let items = worklists::list_items(&mut conn, &due).await?;
    let villages = worklist::completion(&items, ctx.units.now(), ctx.policy.worklist_warning);
    let (total, kinds) = stats::by_kind(&all);
    Ok(Statistics {
        villages,
        total,
        kinds,
        conflicts: conflicts
            .into_iter()
            .map(|(rule, n)| (rule, u32::try_from(n).unwrap_or(u32::MAX)))
            .collect(),
    })
}
