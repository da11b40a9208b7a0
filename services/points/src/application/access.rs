//! Who may act for whom. The town and services act for every resident; a
//! workstation's staff for those of their own village (and the grids below
//! it); a resident for themselves (their token's subject is their id).

use platform::auth::{Caller, Role};
use platform::authz::{Rule, rule};
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

/// Who may call each RPC (role × RPC; each use case then limits the role
/// to its own scope: a resident to themselves, a workstation to its
/// village). Members, leaders, departments and reviewers have no business
/// with residents' accounts; the catalogue, the rules and the leaderboard
/// are public to every signed-in role.
pub const POLICY: &[Rule] = &[
    rule("RegisterResident", TOWN_AND_VILLAGE),
    rule("GetResident", FOR_A_RESIDENT),
    rule("DeactivateResident", FOR_A_RESIDENT),
    rule("CreateHousehold", TOWN_AND_VILLAGE),
    rule("SubmitReport", FOR_A_RESIDENT),
    rule("GetReport", FOR_A_RESIDENT),
    rule("ListReports", FOR_A_RESIDENT),
    rule("GetBalance", FOR_A_RESIDENT),
    rule("GetStatement", FOR_A_RESIDENT),
    rule("AdjustPoints", TOWN),
    rule("PutCatalogItem", TOWN),
    rule("ListCatalog", &Role::ALL),
    rule("Redeem", FOR_A_RESIDENT),
    rule("FulfilOrder", &[Role::TownOperator, Role::WorkstationStaff]),
    rule("CancelOrder", FOR_A_RESIDENT),
    rule("GetLeaderboard", &Role::ALL),
    rule("ListAwardRules", &Role::ALL),
    rule("PutAwardRule", TOWN),
    rule("ExpirePoints", TOWN),
];

/// The town and services.
const TOWN: &[Role] = &[Role::TownOperator, Role::Service];
/// The town, services and workstation staff (for their village).
const TOWN_AND_VILLAGE: &[Role] = &[Role::TownOperator, Role::WorkstationStaff, Role::Service];
/// The resident themselves, or who serves their village.
const FOR_A_RESIDENT: &[Role] = &[
    Role::TownOperator,
    Role::WorkstationStaff,
    Role::Service,
    Role::Resident,
];
