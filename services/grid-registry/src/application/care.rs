//! The restricted store of special-care people (六类人): registered by
//! operators and workstation staff, read only by granted roles, every read
//! (and refused attempt) audited in a unit of work of its own.

use platform::auth::Caller;
use platform::error::AppError;
use platform::mask;
use platform::uow::{Begun, CallKey};
use prost::Message;

use super::{Context, access, micro_grids_under};
use crate::domain::care::{CareAccess, CarePerson, NewCarePerson};
use crate::domain::ids::{AccessId, CarePersonId};
use crate::domain::kinds::{CareCategory, Level};
use crate::repository::{care, grids};

/// Registers a special-care person in the micro-grid their draft names,
/// audited in the trail of reads (masked) with the registration, or as a
/// refused attempt in a unit of work of its own. No event: special-care
/// records never leave the registry.
///
/// The care role is checked before anything is looked up, so a caller
/// without it learns nothing (a registered ID number is refused as any
/// other); a caller with it hears ALREADY_EXISTS, without the number.
///
/// # Errors
/// PERMISSION_DENIED (audited) for a caller without the care role or not
/// writing there, no such micro-grid, or ALREADY_EXISTS (audited) for a
/// code or ID number registered.
pub async fn create_care_person<A: Message + Default>(
    ctx: &Context,
    caller: &Caller,
    key: CallKey,
    new: NewCarePerson,
    answer: impl FnOnce(&CarePerson) -> A,
) -> Result<A, AppError> {
    let attempt = CareAccess::registration(
        AccessId::generate(),
        &caller.subject,
        caller.role.as_str(),
        &new,
        mask::id_number(&new.id_number),
        ctx.units.now(),
    );
    if !caller.has_role(&ctx.care_readers) {
        log_refused(ctx, &attempt).await?;
        return Err(AppError::PermissionDenied(format!(
            "the {} role may not register special-care people",
            caller.role
        )));
    }
    let registered = register(ctx, caller, key, new, &attempt, answer).await;
    if let Err(AppError::PermissionDenied(_) | AppError::AlreadyExists(_)) = &registered {
        log_refused(ctx, &attempt).await?;
    }
    if registered.is_ok() {
        tracing::info!(access_id = %attempt.id, "special-care person registered");
    }
    registered
}

/// Registers `new` once the caller holds the care role, and audits it in
/// the same unit of work.
async fn register<A: Message + Default>(
    ctx: &Context,
    caller: &Caller,
    key: CallKey,
    new: NewCarePerson,
    attempt: &CareAccess,
    answer: impl FnOnce(&CarePerson) -> A,
) -> Result<A, AppError> {
    let mut work = match ctx.units.begin(key).await? {
        Begun::Replay(saved) => return Ok(saved),
        Begun::Fresh(work) => work,
    };
    let code = &new.micro_grid_code;
    let grid = grids::by_code(work.conn(), code)
        .await?
        .filter(|g| g.level == Level::Micro)
        .ok_or_else(|| {
            AppError::invalid("micro_grid_code", format!("names no micro-grid: {code}"))
        })?;
    access::require_writer(work.conn(), caller, Some(grid.id)).await?;
    let person = CarePerson::register(CarePersonId::generate(), new, &grid);
    let now = work.now();
    care::insert(work.conn(), &person, now).await?;
    let audited = CareAccess {
        at: now,
        ..attempt.clone().granted(1)
    };
    care::log_access(work.conn(), &audited).await?;
    work.commit(answer(&person)).await
}

/// Audits a refused attempt in a unit of work of its own (the refused
/// call's work, if any, rolled back).
async fn log_refused(ctx: &Context, attempt: &CareAccess) -> Result<(), AppError> {
    let mut work = ctx.units.begin_job().await?;
    care::log_access(work.conn(), attempt).await?;
    work.commit(()).await?;
    tracing::warn!(access_id = %attempt.id, action = %attempt.action, "special-care attempt refused");
    Ok(())
}

/// A read of special-care people.
#[derive(Debug, Clone)]
pub struct ListCarePeople {
    /// Why the data is read; audited.
    pub purpose: String,
    /// The grid read; empty for the whole town.
    pub grid_code: String,
    pub category: Option<CareCategory>,
    pub after: String,
    pub limit: i64,
}

/// Returns a page of special-care people, if the caller may read them, and
/// audits the read or the refused attempt.
///
/// # Errors
/// PERMISSION_DENIED (audited), a grid code naming no grid, or the
/// database fails.
pub async fn list_care_people(
    ctx: &Context,
    caller: &Caller,
    query: ListCarePeople,
) -> Result<Vec<CarePerson>, AppError> {
    let attempt = CareAccess::attempt(
        AccessId::generate(),
        &caller.subject,
        caller.role.as_str(),
        &query.grid_code,
        &query.purpose,
        ctx.units.now(),
    );
    if let Err(refusal) = access::require_care_reader(ctx, caller, &query.grid_code) {
        log_refused(ctx, &attempt).await?;
        return Err(refusal);
    }
    let grid_ids = micro_grids_under(ctx, &query.grid_code)?;
    let mut work = ctx.units.begin_job().await?;
    let people = care::page(
        work.conn(),
        grid_ids.as_deref(),
        query.category,
        &query.after,
        query.limit,
    )
    .await?;
    let read = attempt.granted(people.len());
    care::log_access(work.conn(), &read).await?;
    work.commit(()).await?;
    tracing::info!(records = read.records, "special-care people read");
    Ok(people)
}

/// Returns a page of the audit trail, newest first, before `before`: reads,
/// and registrations too when `with_changes`.
///
/// # Errors
/// The database fails.
pub async fn access_log(
    ctx: &Context,
    before: Option<AccessId>,
    with_changes: bool,
    limit: i64,
) -> Result<Vec<CareAccess>, AppError> {
    let mut conn = ctx.units.read().await?;
    care::access_page(&mut conn, before, with_changes, limit).await
}
