//! Adding and removing members, listing them, and the coverage report:
//! which micro-grids lack a leader, an instructor or a member, and which
//! objects lie outside every micro-grid.

use std::sync::Arc;

use platform::auth::Caller;
use platform::error::AppError;
use platform::uow::{Begun, CallKey};
use prost::Message;

use super::{Context, access};
use crate::domain::ids::{GridId, MemberId};
use crate::domain::index::GridNode;
use crate::domain::member::{Member, NewMember, Staffing};
use crate::domain::object::CoveredObject;
use crate::events;
use crate::repository::{grids, members, objects};

/// Adds a member to the grid their draft names.
///
/// # Errors
/// The grid does not exist, the caller may not write there, the role does
/// not serve at its level, or the micro-grid already has a serving leader.
pub async fn add_member<A: Message + Default>(
    ctx: &Context,
    caller: &Caller,
    key: CallKey,
    new: NewMember,
    answer: impl FnOnce(&Member) -> A,
) -> Result<A, AppError> {
    let mut work = match ctx.units.begin(key).await? {
        Begun::Replay(saved) => return Ok(saved),
        Begun::Fresh(work) => work,
    };
    let grid = grids::by_code(work.conn(), &new.grid_code)
        .await?
        .ok_or_else(|| {
            AppError::invalid("grid_code", format!("names no grid: {}", new.grid_code))
        })?;
    access::require_writer(work.conn(), caller, Some(grid.id)).await?;
    let (member, event) = Member::add(MemberId::generate(), &grid, new)?;
    let now = work.now();
    members::insert(work.conn(), &member, now).await?;
    work.publish(events::member(&caller.subject, now, &member, &event));
    work.commit(answer(&member)).await
}

/// Removes member `id` for `reason`.
///
/// # Errors
/// No such member, the caller may not write in their grid, or they were
/// removed before.
pub async fn remove_member<A: Message + Default>(
    ctx: &Context,
    caller: &Caller,
    key: CallKey,
    id: MemberId,
    reason: String,
    answer: impl FnOnce(&Member) -> A,
) -> Result<A, AppError> {
    let mut work = match ctx.units.begin(key).await? {
        Begun::Replay(saved) => return Ok(saved),
        Begun::Fresh(work) => work,
    };
    let mut member = members::by_id_for_update(work.conn(), id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("member {id}")))?;
    access::require_writer(work.conn(), caller, Some(member.grid_id)).await?;
    let event = member.remove(reason.clone())?;
    let now = work.now();
    members::save_removal(work.conn(), &member, &reason, now).await?;
    work.publish(events::member(&caller.subject, now, &member, &event));
    work.commit(answer(&member)).await
}

/// Returns the active members of the grid coded `code` and, with
/// `include_descendants`, of every grid below it.
///
/// # Errors
/// No such grid, or the database fails.
pub async fn list_members(
    ctx: &Context,
    code: &str,
    include_descendants: bool,
) -> Result<Vec<Member>, AppError> {
    let snapshot = ctx.index.snapshot();
    let mut conn = ctx.units.read().await?;
    let grid = grids::by_code(&mut conn, code)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("grid {code}")))?;
    let mut ids = vec![grid.id];
    if include_descendants {
        ids.extend(snapshot.descendants(&grid.id));
    }
    members::active_in(&mut conn, &ids).await
}

/// The coverage of a scope (the town, or a grid and everything below).
#[derive(Debug, Clone)]
pub struct CoverageReport {
    /// Micro-grids in scope.
    pub micro_grids: u32,
    /// The micro-grids in scope missing a role, with what they have.
    pub gaps: Vec<(Arc<GridNode>, Staffing)>,
    /// Objects outside every micro-grid (reported for the town only).
    pub uncovered_objects: Vec<CoveredObject>,
}

/// Returns the coverage of the grid coded `scope` (empty: the town).
///
/// # Errors
/// No such grid, or the database fails.
pub async fn coverage_report(ctx: &Context, scope: &str) -> Result<CoverageReport, AppError> {
    let snapshot = ctx.index.snapshot();
    let scope_id = if scope.is_empty() {
        None
    } else {
        Some(
            snapshot
                .by_code(scope)
                .ok_or_else(|| AppError::NotFound(format!("grid {scope}")))?
                .id,
        )
    };
    let in_scope = |id: &GridId| scope_id.is_none_or(|s| id == &s || snapshot.is_within(id, scope));
    let mut conn = ctx.units.read().await?;
    let gaps = members::understaffed_micro_grids(&mut conn)
        .await?
        .into_iter()
        .filter(|s| in_scope(&s.grid_id))
        .filter_map(|s| Some((snapshot.get(&s.grid_id)?.clone(), s)))
        .collect();
    let uncovered_objects = if scope_id.is_none() {
        objects::uncovered(&mut conn).await?
    } else {
        Vec::new() // outside every micro-grid is outside every scope below the town
    };
    let micro_grids = snapshot.micro_grids().filter(|n| in_scope(&n.id)).count() as u32;
    Ok(CoverageReport {
        micro_grids,
        gaps,
        uncovered_objects,
    })
}
