//! The restricted store of special-care people (六类人): registered by
//! operators and workstation staff, read only by granted roles, every read
//! (and refused attempt) audited in a unit of work of its own.

use platform::auth::Caller;
use platform::error::AppError;
use platform::uow::{Begun, CallKey};
use prost::Message;

use super::{Context, access, micro_grids_under};
use crate::domain::care::{CareAccess, CarePerson, NewCarePerson};
use crate::domain::ids::{AccessId, CarePersonId};
use crate::domain::kinds::{CareCategory, Level};
use crate::repository::{care, grids};

/// Registers a special-care person in the micro-grid their draft names.
/// No event: special-care records never leave the registry.
///
/// # Errors
/// No such micro-grid, the caller may not write there, or the code or ID
/// number is registered.
pub async fn create_care_person<A: Message + Default>(
    ctx: &Context,
    caller: &Caller,
    key: CallKey,
    new: NewCarePerson,
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
    work.commit(answer(&person)).await
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
        let mut work = ctx.units.begin_job().await?;
        care::log_access(work.conn(), &attempt).await?;
        work.commit(()).await?;
        tracing::warn!(role = %caller.role, "special-care read refused");
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

/// Returns a page of the audit trail, newest first, before `before`.
///
/// # Errors
/// The database fails.
pub async fn access_log(
    ctx: &Context,
    before: Option<AccessId>,
    limit: i64,
) -> Result<Vec<CareAccess>, AppError> {
    let mut conn = ctx.units.read().await?;
    care::access_page(&mut conn, before, limit).await
}
