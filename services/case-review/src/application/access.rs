//! Who may do what. The town (and services) organise reviews and decide;
//! an expert (role reviewer, whose token's subject is their expert id)
//! reads the reviews they sit on and submits and declares for themselves.

use platform::auth::{Caller, Role};
use platform::error::AppError;

use crate::domain::ids::ExpertId;
use crate::domain::review::Review;

/// Returns whether `caller` is the town or a service.
pub fn is_town(caller: &Caller) -> bool {
    matches!(caller.role, Role::TownOperator | Role::Service)
}

/// Refuses a caller who is not the town (or a service).
///
/// # Errors
/// PERMISSION_DENIED naming `what` only the town may do.
pub fn require_town(caller: &Caller, what: &str) -> Result<(), AppError> {
    if is_town(caller) {
        Ok(())
    } else {
        Err(AppError::PermissionDenied(format!(
            "only the town may {what}"
        )))
    }
}

/// Returns whether `caller` is the expert `expert`.
pub fn is_expert(caller: &Caller, expert: ExpertId) -> bool {
    caller.role == Role::Reviewer && caller.subject == expert.to_string()
}

/// Refuses a caller who acts neither for the town nor as `expert`.
///
/// # Errors
/// PERMISSION_DENIED.
pub fn require_town_or_expert(
    caller: &Caller,
    expert: ExpertId,
    what: &str,
) -> Result<(), AppError> {
    if is_town(caller) || is_expert(caller, expert) {
        Ok(())
    } else {
        Err(AppError::PermissionDenied(format!(
            "only the town or the expert may {what}"
        )))
    }
}

/// Returns whether `caller` may read `review`: the town, or an expert who
/// sits (or sat) on its panel.
pub fn may_read(caller: &Caller, review: &Review) -> bool {
    is_town(caller) || review.panel.iter().any(|p| is_expert(caller, p.expert))
}
