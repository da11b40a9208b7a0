//! Who may act: the town centre's operators and department officers (the
//! judicial office, market supervision) act on joint cases; services may
//! read.

use platform::auth::{Caller, Role};
use platform::error::AppError;

/// Refuses a caller who may not act on joint cases.
///
/// # Errors
/// PERMISSION_DENIED naming `what`.
pub fn require_desk(caller: &Caller, what: &str) -> Result<(), AppError> {
    if matches!(caller.role, Role::TownOperator | Role::DepartmentOfficer) {
        Ok(())
    } else {
        Err(AppError::PermissionDenied(format!(
            "only the town centre or a department officer may {what}"
        )))
    }
}

/// Refuses a caller who may not read joint cases and the message log.
///
/// # Errors
/// PERMISSION_DENIED.
pub fn require_reader(caller: &Caller) -> Result<(), AppError> {
    if matches!(
        caller.role,
        Role::TownOperator | Role::DepartmentOfficer | Role::Service
    ) {
        Ok(())
    } else {
        Err(AppError::PermissionDenied(
            "only the town centre, a department officer or a service may read the exchange".into(),
        ))
    }
}
