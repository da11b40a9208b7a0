//! Residents and households: registration (with their own account, or
//! into a household's), lookup and deactivation.

use platform::auth::Caller;
use platform::error::AppError;
use platform::uow::{Begun, CallKey};
use prost::Message;

use super::{Context, access, codes};
use crate::domain::ids::ResidentId;
use crate::domain::ledger::{Account, AccountKind};
use crate::domain::resident::{Household, Registration, Resident};
use crate::repository::{ledger, residents};

pub use crate::repository::residents::Lookup;

/// Registers a resident, bound to their mini-program identity or, served
/// at the workstation, to a printable code. The same openid again is the
/// same resident, to whoever may act for them.
///
/// # Errors
/// PERMISSION_DENIED for a caller who does not serve the village;
/// FAILED_PRECONDITION for an openid of another village; NOT_FOUND or
/// INVALID_ARGUMENT for a household that is not there or not the
/// village's.
pub async fn register<A: Message + Default>(
    ctx: &Context,
    caller: &Caller,
    key: CallKey,
    cmd: Registration,
    answer: impl FnOnce(&Resident) -> A,
) -> Result<A, AppError> {
    if !access::serves_village(caller, &cmd.village_code) {
        return Err(AppError::PermissionDenied(format!(
            "residents of {} are registered by its workstation or the town",
            cmd.village_code
        )));
    }
    let mut work = match ctx.units.begin(key).await? {
        Begun::Replay(saved) => return Ok(saved),
        Begun::Fresh(work) => work,
    };
    if let Some(openid) = &cmd.openid
        && let Some(existing) = residents::find(work.conn(), Lookup::OpenId(openid)).await?
    {
        // The mini-program registers on every first login.
        if !access::acts_for(caller, &existing) {
            return Err(AppError::FailedPrecondition(
                "this openid is registered in another village".into(),
            ));
        }
        return work.commit(answer(&existing)).await;
    }
    let household = match cmd.household {
        None => None,
        Some(id) => Some(
            residents::household(work.conn(), id)
                .await?
                .ok_or_else(|| AppError::NotFound(format!("household {id}")))?,
        ),
    };
    let code = cmd.openid.is_none().then(codes::resident_code);
    let resident = Resident::register(
        cmd,
        household.as_ref(),
        code,
        access::operator_of(caller),
        work.now(),
    )?;
    ledger::open(
        work.conn(),
        &Account::open(resident.id.into(), AccountKind::Resident),
        &resident.village_code,
    )
    .await?;
    residents::insert(work.conn(), &resident).await?;
    let answer = work.commit(answer(&resident)).await?;
    tracing::info!(resident = %resident.id, village = %resident.village_code, "resident registered");
    Ok(answer)
}

/// Returns the resident `lookup` finds, if `caller` may act for them.
///
/// # Errors
/// NOT_FOUND (also for one the caller may not see), or the database failing.
pub async fn get(ctx: &Context, caller: &Caller, lookup: Lookup<'_>) -> Result<Resident, AppError> {
    let mut conn = ctx.units.read().await?;
    residents::find(&mut conn, lookup)
        .await?
        .filter(|r| access::acts_for(caller, r))
        .ok_or_else(|| AppError::NotFound("resident".into()))
}

/// Deactivates a resident for `reason`: no new reports or orders; their
/// history stays. Deactivating twice is deactivating once.
///
/// # Errors
/// NOT_FOUND, or the database failing.
pub async fn deactivate<A: Message + Default>(
    ctx: &Context,
    caller: &Caller,
    key: CallKey,
    id: ResidentId,
    reason: &str,
    answer: impl FnOnce(&Resident) -> A,
) -> Result<A, AppError> {
    let mut work = match ctx.units.begin(key).await? {
        Begun::Replay(saved) => return Ok(saved),
        Begun::Fresh(work) => work,
    };
    let mut resident = access::resident_for(work.conn(), caller, id).await?;
    if let Some(deactivated) = resident.deactivate(reason, work.now()) {
        residents::save_deactivation(work.conn(), &deactivated).await?;
    }
    work.commit(answer(&resident)).await
}

/// Creates a household of `village` labelled `label`, with its account.
///
/// # Errors
/// PERMISSION_DENIED for a caller who does not serve the village;
/// ALREADY_EXISTS for a label the village has.
pub async fn create_household<A: Message + Default>(
    ctx: &Context,
    caller: &Caller,
    key: CallKey,
    village: &str,
    label: &str,
    answer: impl FnOnce(&Household) -> A,
) -> Result<A, AppError> {
    if !access::serves_village(caller, village) {
        return Err(AppError::PermissionDenied(format!(
            "households of {village} are created by its workstation or the town"
        )));
    }
    let mut work = match ctx.units.begin(key).await? {
        Begun::Replay(saved) => return Ok(saved),
        Begun::Fresh(work) => work,
    };
    let household = Household::create(village, label, work.now());
    ledger::open(
        work.conn(),
        &Account::open(household.id.into(), AccountKind::Household),
        &household.village_code,
    )
    .await?;
    residents::insert_household(work.conn(), &household).await?;
    work.commit(answer(&household)).await
}
