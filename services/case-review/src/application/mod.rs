//! The use cases: one function per use case, inside the platform's unit of
//! work (`platform::uow`) when it changes anything. Each takes the
//! [`Context`], the caller, the call's key and a typed command; a mutating
//! one also takes the answer encoder the api passes, whose answer the unit
//! of work stores for replays.
//!
//! - [`reviews`]: opening reviews (directly and from referrals), reading
//!   them.
//! - [`experts`]: the registry and declarations of interest.
//! - [`panels`]: seating panels and recusals.
//! - [`opinions`]: submitting and returning opinions.
//! - [`recommendations`]: opening and withdrawing the consolidated
//!   recommendation.
//! - [`decisions`]: the decision.
//! - [`statistics`]: the figures; [`reminders`]: declarations expiring and
//!   deadlines near.
//! - [`worklists`]: policies broken into villages' work items (一套明细单),
//!   progress, verification and closing.
//! - [`access`]: who may do what.

pub mod access;
pub mod decisions;
pub mod experts;
pub mod opinions;
pub mod panels;
pub mod recommendations;
pub mod reminders;
pub mod reviews;
pub mod statistics;
pub mod worklists;

use platform::error::AppError;
use platform::uow::Units;
use sqlx::PgConnection;

use crate::config::{Reminders, ReviewConfig};
use crate::domain::DomainError;
use crate::domain::ids::ReviewId;
use crate::domain::panel::PanelRules;
use crate::domain::review::Review;
use crate::registry::Registry;
use crate::repository::reviews as stored;

/// The configured rules.
#[derive(Debug, Clone)]
pub struct Policy {
    pub panel: PanelRules,
    /// The organiser of referred reviews.
    pub organiser: String,
    pub reminders: Reminders,
    /// A work item this close to its deadline is yellow.
    pub worklist_warning: std::time::Duration,
    /// The town's time zone: work lists' years and months are the town's.
    pub offset: chrono::FixedOffset,
}

impl Policy {
    /// Returns the rules `config` sets.
    ///
    /// # Errors
    /// A panel share is not `n/d` (the configuration's check names it).
    pub fn of(config: &ReviewConfig) -> anyhow::Result<Self> {
        Ok(Self {
            panel: config
                .panel
                .rules()
                .ok_or_else(|| anyhow::anyhow!("panel shares must be fractions n/d"))?,
            organiser: config.town.organiser.trim().to_owned(),
            reminders: config.reminders,
            worklist_warning: config.worklist.warning,
            offset: config.town.offset(),
        })
    }
}

/// What every use case works with: the units of work over the database,
/// the rules and the grid registry.
#[derive(Clone)]
pub struct Context {
    pub units: Units,
    pub policy: Policy,
    /// Asked about the villages before a policy is broken down.
    pub registry: Registry,
}

impl From<DomainError> for AppError {
    fn from(err: DomainError) -> Self {
        match err {
            DomainError::Invalid(violations) => AppError::InvalidArgument(violations),
            DomainError::UnknownOpinion(_) | DomainError::UnknownRecommendation(_) => {
                AppError::NotFoundBecause(err.to_string())
            }
            DomainError::Decided(_)
            | DomainError::NotSeated(_)
            | DomainError::NotCurrent(_)
            | DomainError::RecommendationOpen(_)
            | DomainError::RecommendationClosed(_)
            | DomainError::Incomplete(_)
            | DomainError::PolicyDecomposed(_)
            | DomainError::WorkItemState { .. } => AppError::FailedPrecondition(err.to_string()),
        }
    }
}

/// Loads review `id` for a change (its row locked).
///
/// # Errors
/// NOT_FOUND, or the database failing.
async fn load_for_change(conn: &mut PgConnection, id: ReviewId) -> Result<Review, AppError> {
    stored::load(conn, id, true)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("review {id}")))
}
