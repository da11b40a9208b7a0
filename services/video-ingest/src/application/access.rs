//! Who may do what with cameras. The town centre and services manage the
//! registry; every staff role reads it; residents see cameras only through
//! a disclosure application.

use platform::auth::{Caller, Role};
use platform::error::AppError;

/// The roles that add and change devices.
const MANAGERS: [Role; 2] = [Role::TownOperator, Role::Service];

/// Checks that `caller` may add or change devices.
///
/// # Errors
/// PERMISSION_DENIED for anyone but the town centre or a service.
pub fn may_manage(caller: &Caller) -> Result<(), AppError> {
    if caller.has_role(&MANAGERS) {
        Ok(())
    } else {
        Err(AppError::PermissionDenied(
            "devices are added and changed by the town operations centre".into(),
        ))
    }
}

/// Checks that `caller` may read the camera registry.
///
/// # Errors
/// PERMISSION_DENIED for residents.
pub fn may_read(caller: &Caller) -> Result<(), AppError> {
    if caller.role == Role::Resident {
        Err(AppError::PermissionDenied(
            "residents see footage through a disclosure application".into(),
        ))
    } else {
        Ok(())
    }
}
