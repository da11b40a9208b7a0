//! Who may change what. Town operators act everywhere; workstation staff act
//! inside the grid their token is scoped to; every other role reads only.

use platform::auth::{Caller, Role};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::api::ApiError;
use crate::repository::grids;

/// Requires a caller who may change the registry under grid `within`
/// (`None`: at the top level, town operators only). The lineage is read in
/// the caller's transaction, so a grid created a moment ago on another
/// replica counts.
pub async fn require_writer(
    conn: &mut PgConnection,
    caller: &Caller,
    within: Option<Uuid>,
) -> Result<(), ApiError> {
    match caller.role {
        Role::TownOperator => Ok(()),
        Role::WorkstationStaff => {
            let Some(scope) = caller.scope.as_deref() else {
                return Err(ApiError::PermissionDenied(
                    "workstation staff need a grid scope in their token".into(),
                ));
            };
            let inside = match within {
                Some(grid) => grids::lineage_codes(conn, grid)
                    .await?
                    .iter()
                    .any(|code| code == scope),
                None => false,
            };
            if inside {
                Ok(())
            } else {
                Err(ApiError::PermissionDenied(format!(
                    "staff of {scope} may change only grids inside {scope}"
                )))
            }
        }
        other => Err(ApiError::PermissionDenied(format!(
            "the {other} role may not change the registry"
        ))),
    }
}

/// Requires a town operator.
pub fn require_town_operator(caller: &Caller, what: &str) -> Result<(), ApiError> {
    if caller.role == Role::TownOperator {
        Ok(())
    } else {
        Err(ApiError::PermissionDenied(format!(
            "only town operators may {what}"
        )))
    }
}
