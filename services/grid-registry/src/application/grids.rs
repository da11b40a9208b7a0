//! Creating and changing grids (under the grid write lock, with covered
//! objects following a micro-grid's boundary), reading them, and resolving
//! a location to its micro-grid.

use std::sync::Arc;

use geo::Point;
use platform::auth::Caller;
use platform::error::AppError;
use platform::uow::{Begun, CallKey};
use prost::Message;
use sqlx::PgConnection;

use super::{Context, access, over_text_cap, refuse};
use crate::domain::geometry::{self, Position};
use crate::domain::grid::{Grid, GridChange, GridDraft, Placed, Surroundings};
use crate::domain::ids::GridId;
use crate::domain::index::{GridNode, Resolution, Snapshot};
use crate::domain::kinds::Level;
use crate::events;
use crate::repository::{grids, objects};

/// Creates a grid from a draft, under its parent and beside its siblings;
/// the index follows after the commit. The caller's role comes first, then
/// the caps, then the draft's rules with its boundary (off the async
/// runtime, within the budget), then its place.
///
/// # Errors
/// The caller may not write (there), a cap or rule is broken, the parent
/// names no grid, the code is taken, or the grid does not fit its place.
pub async fn create_grid<A: Message + Default>(
    ctx: &Context,
    caller: &Caller,
    key: CallKey,
    draft: GridDraft,
    answer: impl FnOnce(&Grid) -> A,
) -> Result<A, AppError> {
    access::require_writer_role(caller)?;
    let mut over = over_text_cap(
        ctx.limits().max_text_chars,
        &[
            ("name", &draft.name),
            (
                "party_group",
                draft.party_group.as_deref().unwrap_or_default(),
            ),
        ],
    );
    over.extend(geometry::rings_over_limits(
        "boundary",
        &draft.boundary,
        ctx.limits().shapes(),
    ));
    refuse(over)?;
    let new = ctx
        .check_off_runtime("boundary", move |budget| draft.check_within(budget))
        .await?;
    let mut work = match begin_grid_write(ctx, key).await? {
        Begun::Replay(saved) => return Ok(saved),
        Begun::Fresh(work) => work,
    };
    let parent =
        match &new.parent_code {
            Some(code) => Some(grids::by_code(work.conn(), code).await?.ok_or_else(|| {
                AppError::invalid("parent_code", format!("names no grid: {code}"))
            })?),
            None => None,
        };
    let parent_id = parent.as_ref().map(|p| p.id);
    access::require_writer(work.conn(), caller, parent_id).await?;
    if grids::by_code(work.conn(), &new.code).await?.is_some() {
        return Err(AppError::AlreadyExists(format!("grid {}", new.code)));
    }
    let siblings = grids::children(work.conn(), parent_id).await?;
    let siblings: Vec<Placed<'_>> = siblings.iter().map(Grid::placed).collect();
    let parent = parent.as_ref().map(Grid::placed);
    let (grid, event) = Grid::create(
        GridId::generate(),
        new,
        parent.as_ref(),
        &siblings,
        ctx.tolerances(),
        work.now(),
    )?;
    grids::insert(work.conn(), &grid).await?;
    let fresh = reassign_objects(work.conn(), &grid).await?;
    work.publish(events::grid(&caller.subject, work.now(), &grid, &event));
    let answer = work.commit(answer(&grid)).await?;
    refresh_index(ctx, &grid, fresh);
    tracing::debug!(grid_id = %grid.id, level = %grid.level, "grid created");
    Ok(answer)
}

/// A change of a grid as a caller asks for it, its boundary not yet checked.
#[derive(Debug, Clone, Default)]
pub struct UpdateGrid {
    pub code: String,
    /// The change, without its boundary.
    pub change: GridChange,
    pub boundary: Option<Vec<Vec<Position>>>,
}

/// Changes the grid coded `code`; a moved boundary must still fit its
/// parent, siblings and children, and covered objects follow it. The
/// caller's role comes first, then the caps, then a new boundary's own
/// rules (off the async runtime, within the budget), then the change.
///
/// # Errors
/// No such grid, the caller may not write (there), a cap or rule is broken,
/// or a stale version.
pub async fn update_grid<A: Message + Default>(
    ctx: &Context,
    caller: &Caller,
    key: CallKey,
    cmd: UpdateGrid,
    answer: impl FnOnce(&Grid) -> A,
) -> Result<A, AppError> {
    access::require_writer_role(caller)?;
    let UpdateGrid {
        code,
        mut change,
        boundary,
    } = cmd;
    let mut over = over_text_cap(
        ctx.limits().max_text_chars,
        &[
            ("name", change.name.as_deref().unwrap_or_default()),
            (
                "party_group",
                change.party_group.as_deref().unwrap_or_default(),
            ),
        ],
    );
    if let Some(rings) = &boundary {
        over.extend(geometry::rings_over_limits(
            "boundary",
            rings,
            ctx.limits().shapes(),
        ));
    }
    refuse(over)?;
    if let Some(rings) = boundary {
        let checked = ctx
            .check_off_runtime("boundary", move |budget| {
                geometry::polygon_within("boundary", &rings, budget)
            })
            .await?;
        change.boundary = Some(checked);
    }
    let code = code.as_str();
    let mut work = match begin_grid_write(ctx, key).await? {
        Begun::Replay(saved) => return Ok(saved),
        Begun::Fresh(work) => work,
    };
    let mut grid = grids::by_code(work.conn(), code)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("grid {code}")))?;
    access::require_writer(work.conn(), caller, grid.parent_id).await?;
    let moves = change.boundary.is_some();
    let (parent, siblings, children) = if moves {
        let parent = match grid.parent_id {
            Some(id) => grids::by_id(work.conn(), id).await?,
            None => None,
        };
        let siblings = grids::children(work.conn(), grid.parent_id).await?;
        let children = grids::children(work.conn(), Some(grid.id)).await?;
        (parent, siblings, children)
    } else {
        (None, Vec::new(), Vec::new())
    };
    let around = Surroundings {
        parent: parent.as_ref().map(Grid::placed),
        siblings: siblings.iter().map(Grid::placed).collect(),
        children: children.iter().map(Grid::placed).collect(),
    };
    let event = grid.update(change, &around, ctx.tolerances(), work.now())?;
    grids::update(work.conn(), &grid).await?;
    let fresh = if moves {
        reassign_objects(work.conn(), &grid).await?
    } else {
        None
    };
    work.publish(events::grid(&caller.subject, work.now(), &grid, &event));
    let answer = work.commit(answer(&grid)).await?;
    refresh_index(ctx, &grid, fresh);
    tracing::info!(grid_id = %grid.id, version = grid.version, boundary_changed = moves, "grid updated");
    Ok(answer)
}

/// Begins a grid write: the call's unit of work, holding the grid write
/// lock until it ends.
///
/// # Errors
/// The key was used for another request, or the database failed.
pub(super) async fn begin_grid_write<A: Message + Default>(
    ctx: &Context,
    key: CallKey,
) -> Result<Begun<A>, AppError> {
    let mut begun = ctx.units.begin(key).await?;
    if let Begun::Fresh(work) = &mut begun {
        grids::lock_writes(work.conn()).await?;
    }
    Ok(begun)
}

/// After a micro-grid's boundary is written, moves covered objects whose
/// anchor now falls in another micro-grid (or none). Decided on every
/// grid read in this transaction (under the write lock), not on the
/// index, which may lag; returns that fresh snapshot for the index.
async fn reassign_objects(
    conn: &mut PgConnection,
    grid: &Grid,
) -> Result<Option<Snapshot>, AppError> {
    if grid.level != Level::Micro {
        return Ok(None);
    }
    let all = grids::all(conn).await?;
    let snapshot = Snapshot::build(all.iter().map(GridNode::from));
    let Some(bounds) = geometry::bounds(&grid.boundary) else {
        return Ok(Some(snapshot));
    };
    let bbox = (
        bounds.min().x,
        bounds.min().y,
        bounds.max().x,
        bounds.max().y,
    );
    for anchor in objects::anchors_near(conn, grid.id, bbox).await? {
        let now_in = match snapshot.resolve(Point::new(anchor.at.0, anchor.at.1)) {
            Resolution::Inside { micro, .. } => Some(micro.id),
            Resolution::Outside { .. } => None,
        };
        if now_in != anchor.micro_grid_id {
            objects::set_micro_grid(conn, anchor.object_id, now_in).await?;
        }
    }
    Ok(Some(snapshot))
}

/// Brings this replica's index up to date at once, after the commit (other
/// replicas follow from the event).
fn refresh_index(ctx: &Context, grid: &Grid, fresh: Option<Snapshot>) {
    match fresh {
        Some(snapshot) => ctx.index.merge(snapshot),
        None => ctx.index.apply([GridNode::from(grid)]),
    }
}

/// How a grid is looked up.
#[derive(Debug, Clone)]
pub enum GridKey {
    Id(GridId),
    Code(String),
}

/// Returns the grid found by `key` with its ancestors from the top down,
/// or `None`.
///
/// # Errors
/// The database fails or holds a value this version does not know.
pub async fn get_grid(ctx: &Context, key: GridKey) -> Result<Option<(Grid, Vec<Grid>)>, AppError> {
    let mut conn = ctx.units.read().await?;
    let grid = match key {
        GridKey::Id(id) => grids::by_id(&mut conn, id).await?,
        GridKey::Code(code) => grids::by_code(&mut conn, &code).await?,
    };
    let Some(grid) = grid else {
        return Ok(None);
    };
    let mut lineage = grids::lineage(&mut conn, grid.id).await?;
    lineage.pop(); // the grid itself
    Ok(Some((grid, lineage)))
}

/// A page of grids.
#[derive(Debug, Clone)]
pub struct ListGrids {
    pub level: Option<Level>,
    pub parent_code: Option<String>,
    pub after: String,
    pub limit: i64,
}

/// Returns a page of grids by code, of a level and under a parent.
///
/// # Errors
/// The parent names no grid, or the database fails.
pub async fn list_grids(ctx: &Context, query: ListGrids) -> Result<Vec<Grid>, AppError> {
    let mut conn = ctx.units.read().await?;
    let parent = match &query.parent_code {
        Some(code) => Some(
            grids::by_code(&mut conn, code)
                .await?
                .ok_or_else(|| AppError::invalid("parent_code", format!("names no grid: {code}")))?
                .id,
        ),
        None => None,
    };
    grids::page(&mut conn, query.level, parent, &query.after, query.limit).await
}

/// Where a location lies: its micro-grid, that grid's ancestors from the
/// top down, and the other micro-grids whose border it is on.
#[derive(Debug, Clone)]
pub struct Located {
    pub micro: Arc<GridNode>,
    pub ancestors: Vec<Arc<GridNode>>,
    pub also_on_border: Vec<Arc<GridNode>>,
}

/// Resolves `point` (x = longitude) from the spatial index alone.
///
/// # Errors
/// NOT_FOUND outside every micro-grid, naming the nearest and how far.
pub fn resolve_location(ctx: &Context, point: Point) -> Result<Located, AppError> {
    let snapshot = ctx.index.snapshot();
    match snapshot.resolve(point) {
        Resolution::Inside {
            micro,
            also_on_border,
        } => Ok(Located {
            ancestors: snapshot.ancestors(&micro.id),
            micro,
            also_on_border,
        }),
        Resolution::Outside { nearest } => {
            let at = format!("({:.6}, {:.6})", point.y(), point.x());
            Err(AppError::NotFoundBecause(match nearest {
                Some((grid, metres)) => format!(
                    "no micro-grid contains {at}; the nearest is {} {}, {metres:.0} m away",
                    grid.code, grid.name
                ),
                None => {
                    format!("no micro-grid contains {at}; the registry has no micro-grids yet")
                }
            }))
        }
    }
}
