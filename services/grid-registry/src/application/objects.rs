//! Registering covered objects in the micro-grid their anchor lies in, and
//! reading them.

use platform::auth::Caller;
use platform::error::AppError;
use platform::uow::{Begun, CallKey};
use prost::Message;

use super::{Context, access, micro_grids_under, over_text_cap, refuse};
use crate::domain::geometry;
use crate::domain::ids::ObjectId;
use crate::domain::kinds::ObjectKind;
use crate::domain::object::{CoveredObject, ObjectDraft};
use crate::events;
use crate::repository::objects;

/// Registers an object in the micro-grid holding its anchor (by the
/// index), or in none. The caller's role comes first, then the caps, then
/// the object's rules with its geometry (off the async runtime, within the
/// budget), then the place.
///
/// # Errors
/// The caller may not write (there), a cap or rule is broken, or the code
/// is taken.
pub async fn create_object<A: Message + Default>(
    ctx: &Context,
    caller: &Caller,
    key: CallKey,
    draft: ObjectDraft,
    answer: impl FnOnce(&CoveredObject) -> A,
) -> Result<A, AppError> {
    access::require_writer_role(caller)?;
    let limits = ctx.limits();
    let mut over = over_text_cap(
        limits.max_text_chars,
        &[("name", &draft.name), ("head_name", &draft.head_name)],
    );
    if let Some(raw) = &draft.geometry {
        over.extend(geometry::over_limits("geometry", raw, limits.shapes()));
    }
    refuse(over)?;
    let new = ctx
        .check_off_runtime("geometry", move |budget| draft.check_within(budget))
        .await?;
    let micro = ctx
        .index
        .snapshot()
        .micro_grid_at(new.anchor)
        .map(|m| (m.id, m.code.clone()));
    let mut work = match ctx.units.begin(key).await? {
        Begun::Replay(saved) => return Ok(saved),
        Begun::Fresh(work) => work,
    };
    access::require_writer(work.conn(), caller, micro.as_ref().map(|m| m.0)).await?;
    let (object, event) = CoveredObject::create(ObjectId::generate(), new, micro, work.now());
    objects::insert(work.conn(), &object).await?;
    work.publish(events::object(
        &caller.subject,
        object.created_at,
        &object,
        &event,
    ));
    work.commit(answer(&object)).await
}

/// Returns the object with `id`, or coded `code`.
///
/// # Errors
/// The database fails or holds a value this version does not know.
pub async fn get_object(
    ctx: &Context,
    id: Option<ObjectId>,
    code: &str,
) -> Result<Option<CoveredObject>, AppError> {
    let mut conn = ctx.units.read().await?;
    objects::find(&mut conn, id, code).await
}

/// A page of covered objects.
#[derive(Debug, Clone)]
pub struct ListObjects {
    pub kind: Option<ObjectKind>,
    /// Only objects at or below this grid; empty for all.
    pub grid_code: String,
    pub after: String,
    pub limit: i64,
}

/// Returns a page of objects by code.
///
/// # Errors
/// The grid code names no grid, or the database fails.
pub async fn list_objects(
    ctx: &Context,
    query: ListObjects,
) -> Result<Vec<CoveredObject>, AppError> {
    let grid_ids = micro_grids_under(ctx, &query.grid_code)?;
    let kinds: Vec<ObjectKind> = query.kind.into_iter().collect();
    let mut conn = ctx.units.read().await?;
    objects::page(
        &mut conn,
        &kinds,
        grid_ids.as_deref(),
        &query.after,
        query.limit,
    )
    .await
}
