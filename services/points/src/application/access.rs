//! Who may act for whom. The town and services act for every resident; a
//! workstation's staff for those of their own village (and the grids below
//! it); a resident for themselves (their token's subject is their id).

use platform::auth::{Caller, Role};
use platform::error::AppError;
use sqlx::PgConnection;

use crate::domain::ids::ResidentId;
use crate::domain::resident::Resident;
use crate::repository::residents::{self, Lookup};

/// Returns whether `caller` acts for residents of `village`: the town and
/// services for all; a workstation's staff for their own village.
pub fn serves_village(caller: &Caller, village: &str) -> bool {
    match caller.role {
        Role::TownOperator | Role::Service => true,
        Role::WorkstationStaff => caller
            .scope
            .as_deref()
            .is_some_and(|scope| village == scope || village.starts_with(&format!("{scope}-"))),
        _ => false,
    }
}

/// Returns whether `caller` may act for `resident`: the resident
/// themselves, or who serves their village.
pub fn acts_for(caller: &Caller, resident: &Resident) -> bool {
    (caller.role == Role::Resident && caller.subject == resident.id.to_string())
        || serves_village(caller, &resident.village_code)
}

/// Returns the operator to record: staff acting for a resident, or `None`
/// when the resident acts (directly or through the mini-program).
pub fn operator_of(caller: &Caller) -> Option<String> {
    matches!(caller.role, Role::TownOperator | Role::WorkstationStaff)
        .then(|| caller.subject.clone())
}

/// Refuses a caller who is not the town (or a service).
///
/// # Errors
/// PERMISSION_DENIED naming `what` only the town may do.
pub fn require_town(caller: &Caller, what: &str) -> Result<(), AppError> {
    if matches!(caller.role, Role::TownOperator | Role::Service) {
        Ok(())
    } else {
        Err(AppError::PermissionDenied(format!(
            "only the town may {what}"
        )))
    }
}

/// Refuses a caller who is not staff: orders are handed over at the
/// workstation (or by the town).
///
/// # Errors
/// PERMISSION_DENIED.
pub fn require_staff(caller: &Caller) -> Result<(), AppError> {
    match operator_of(caller) {
        Some(_) => Ok(()),
        None => Err(AppError::PermissionDenied(
            "orders are handed over by the workstation or the town".into(),
        )),
    }
}

/// Loads the resident `id`, refusing callers who may not act for them (as
/// not found: a resident's existence is not disclosed).
///
/// # Errors
/// NOT_FOUND, or the database failing.
pub async fn resident_for(
    conn: &mut PgConnection,
    caller: &Caller,
    id: ResidentId,
) -> Result<Resident, AppError> {
    residents::find(conn, Lookup::Id(id))
        .await?
        .filter(|r| acts_for(caller, r))
        .ok_or_else(|| AppError::NotFound(format!("resident {id}")))
}
