//! Who may change what. Town operators act everywhere; workstation staff act
//! inside the grid their token is scoped to; every other role reads only.
//! Special-care people are read only by the configured roles, and a scoped
//! reader only inside their scope.

use platform::auth::{Caller, Role};
use platform::authz::{Rule, rule};
use platform::error::AppError;
use sqlx::PgConnection;

use super::Context;
use crate::domain::ids::GridId;
use crate::repository::grids;

/// Requires a caller who may change the registry under grid `within`
/// (`None`: at the top level, town operators only). The lineage is read in
/// the caller's transaction, so a grid created a moment ago on another
/// replica counts.
///
/// # Errors
/// PERMISSION_DENIED naming the rule, or the database fails.
pub async fn require_writer(
    conn: &mut PgConnection,
    caller: &Caller,
    within: Option<GridId>,
) -> Result<(), AppError> {
    match caller.role {
        Role::TownOperator => Ok(()),
        Role::WorkstationStaff => {
            let Some(scope) = caller.scope.as_deref() else {
                return Err(unscoped_staff());
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
                Err(AppError::PermissionDenied(format!(
                    "staff of {scope} may change only grids inside {scope}"
                )))
            }
        }
        other => Err(AppError::PermissionDenied(format!(
            "the {other} role may not change the registry"
        ))),
    }
}

/// Requires a caller whose role is granted special-care reads and who, if
/// scoped, reads only inside their scope (`grid_code`, from the index).
///
/// # Errors
/// PERMISSION_DENIED naming the rule.
pub fn require_care_reader(
    ctx: &Context,
    caller: &Caller,
    grid_code: &str,
) -> Result<(), AppError> {
    if !caller.has_role(&ctx.care_readers) {
        return Err(AppError::PermissionDenied(format!(
            "the {} role may not read special-care people",
            caller.role
        )));
    }
    let Some(scope) = caller.scope.as_deref() else {
        return if caller.role == Role::WorkstationStaff {
            Err(unscoped_staff())
        } else {
            Ok(())
        };
    };
    let snapshot = ctx.index.snapshot();
    let inside = snapshot
        .by_code(grid_code)
        .is_some_and(|g| snapshot.is_within(&g.id, scope));
    if inside {
        Ok(())
    } else {
        Err(AppError::PermissionDenied(format!(
            "staff of {scope} may read only inside {scope}"
        )))
    }
}

fn unscoped_staff() -> AppError {
    AppError::PermissionDenied("workstation staff need a grid scope in their token".into())
}

/// Who may call each RPC (role × RPC; writes are then limited to the
/// writer's scope by [`require_writer`], special-care reads to the
/// configured roles and their scope by [`require_care_reader`]). Residents
/// read nothing here: what the mini-program shows comes through points.
/// Members' names, enterprise heads and the whole map are for the town's
/// own staff and services; a reviewer sees grids and departments only.
pub const POLICY: &[Rule] = &[
    rule("CreateGrid", WRITERS),
    rule("UpdateGrid", WRITERS),
    rule("GetGrid", READERS),
    rule("ListGrids", READERS),
    rule("ResolveLocation", STAFF_AND_SERVICES),
    rule("AddMember", WRITERS),
    rule("RemoveMember", WRITERS),
    rule("ListMembers", STAFF_AND_SERVICES),
    rule(
        "GetCoverageReport",
        &[
            Role::TownOperator,
            Role::WorkstationStaff,
            Role::MicroGridLeader,
            Role::DepartmentOfficer,
            Role::Service,
        ],
    ),
    rule("CreateObject", WRITERS),
    rule("GetObject", STAFF_AND_SERVICES),
    rule("ListObjects", STAFF_AND_SERVICES),
    rule("CreateCarePerson", WRITERS),
    // The configured care readers are a subset of these (checked at start).
    rule("ListCarePeople", STAFF_AND_SERVICES),
    rule("ListCareAccessLog", TOWN),
    rule("UpsertSafetyDomain", TOWN),
    rule("UpsertDepartment", TOWN),
    rule("ListDepartments", READERS),
    rule("AssignDomainDuty", TOWN),
    rule("FindResponsible", STAFF_AND_SERVICES),
    rule("ExportMap", STAFF_AND_SERVICES),
    rule("ImportGeoJson", TOWN),
];

/// The town centre.
const TOWN: &[Role] = &[Role::TownOperator];
/// Who changes the registry: the town, and a workstation inside its grid.
const WRITERS: &[Role] = &[Role::TownOperator, Role::WorkstationStaff];
/// The town's staff and the services that route by the registry.
const STAFF_AND_SERVICES: &[Role] = &[
    Role::TownOperator,
    Role::WorkstationStaff,
    Role::MicroGridLeader,
    Role::Member,
    Role::DepartmentOfficer,
    Role::Service,
];
/// Who reads the grids and departments: the staff, services and reviewers.
const READERS: &[Role] = &[
    Role::TownOperator,
    Role::WorkstationStaff,
    Role::MicroGridLeader,
    Role::Member,
    Role::DepartmentOfficer,
    Role::Reviewer,
    Role::Service,
];
