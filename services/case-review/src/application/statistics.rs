//! The statistics of reviews opened in a period.

use chrono::{DateTime, Utc};
use platform::auth::Caller;
use platform::error::AppError;

use super::{Context, access};
use crate::domain::stats::{self, Figures};
use crate::repository::stats as facts;

/// The figures of a period.
#[derive(Debug, Clone)]
pub struct Statistics {
    pub total: Figures,
    pub kinds: Vec<Figures>,
    /// Assignments refused for a conflict, by rule.
    pub conflicts: Vec<(String, u32)>,
}

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
    let (total, kinds) = stats::by_kind(&all);
    Ok(Statistics {
        total,
        kinds,
        conflicts: conflicts
            .into_iter()
            .map(|(rule, n)| (rule, u32::try_from(n).unwrap_or(u32::MAX)))
            .collect(),
    })
}
