//! Who may do what. The town (and services) organise reviews and decide;
//! an expert (role reviewer, whose token's subject is their expert id)
//! reads the reviews they sit on and submits and declares for themselves.

use platform::auth::{Caller, Role};
use platform::authz::{Rule, rule};
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

/// Who may call each RPC (role × RPC; each use case then limits an expert
/// to themselves and to the reviews they sit on). The town's desk
/// organises reviews, seats panels, consolidates and decides; an expert
/// reads their reviews, declares interests, recuses and submits; another
/// service (an integration) may open a review and read reviews and the
/// statistics. The grid's people, departments and residents have no
/// business here: what reaches them comes back through dispatch. Work
/// lists: the desk records policies, breaks them down, verifies and closes
/// items; a village's workstation reads its own list and reports on it;
/// services read the lists.
pub const POLICY: &[Rule] = &[
    rule("OpenReview", TOWN_AND_SERVICES),
    rule("GetReview", TOWN_EXPERTS_AND_SERVICES),
    rule("ListReviews", TOWN_AND_SERVICES),
    rule("RegisterExpert", DESK),
    rule("ListExperts", DESK),
    rule("DeclareInterest", DESK_AND_EXPERTS),
    rule("AssignPanel", DESK),
    rule("RecusePanelist", DESK_AND_EXPERTS),
    rule("SubmitOpinion", DESK_AND_EXPERTS),
    rule("ReturnOpinion", DESK),
    rule("OpenRecommendation", DESK),
    rule("WithdrawRecommendation", DESK),
    rule("DecideReview", DESK),
    rule("GetStatistics", TOWN_AND_SERVICES),
    rule("CreatePolicy", DESK),
    rule("ListPolicies", WORK_LIST_READERS),
    rule("DecomposePolicy", DESK),
    rule("ListWorkItems", WORK_LIST_READERS),
    rule("ReportProgress", DESK_AND_WORKSTATIONS),
    rule("VerifyWorkItem", DESK),
    rule("CloseWorkItem", DESK),
];

/// The town's desk alone.
const DESK: &[Role] = &[Role::TownOperator];
/// The desk, and experts (for themselves).
const DESK_AND_EXPERTS: &[Role] = &[Role::TownOperator, Role::Reviewer];
/// The desk and other services.
const TOWN_AND_SERVICES: &[Role] = &[Role::TownOperator, Role::Service];
/// The desk, experts (for the reviews they sit on) and other services.
const TOWN_EXPERTS_AND_SERVICES: &[Role] = &[Role::TownOperator, Role::Reviewer, Role::Service];
/// The desk, and a workstation (for its own village's work items).
const DESK_AND_WORKSTATIONS: &[Role] = &[Role::TownOperator, Role::WorkstationStaff];
/// Who reads work lists: the desk, workstations (their own) and services.
const WORK_LIST_READERS: &[Role] = &[Role::TownOperator, Role::WorkstationStaff, Role::Service];
