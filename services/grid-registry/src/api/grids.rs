//! CreateGrid, UpdateGrid, GetGrid, ListGrids and ResolveLocation.

use geo::Point;
use platform::auth::Caller;
use platform::idempotency::IdempotencyKey;
use platform::outbox;
use proto::registry::v1 as pb;
use sqlx::PgConnection;
use sqlx::types::Json;
use uuid::Uuid;

use super::{ApiError, RegistryApi, access, convert, finish, replay};
use crate::domain::geometry;
use crate::domain::grid::{self, GridDraft, Placed};
use crate::domain::kinds::Level;
use crate::events;
use crate::index::{GridNode, Resolution, Snapshot};
use crate::repository::grids::GridRow;
use crate::repository::{grids, objects};

fn non_empty(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_owned())
}

impl RegistryApi {
    #[tracing::instrument(skip_all, fields(code = %request.code))]
    pub(super) async fn create_grid(
        &self,
        caller: Caller,
        request: pb::CreateGridRequest,
    ) -> Result<pb::CreateGridResponse, ApiError> {
        let draft = GridDraft {
            code: request.code.trim().to_owned(),
            name: request.name.trim().to_owned(),
            level: convert::level_from(request.level),
            parent_code: non_empty(&request.parent_code),
            households: (request.households != 0).then_some(request.households),
            party_group: non_empty(&request.party_group),
            boundary: convert::rings(request.boundary.as_ref()),
        };
        let boundary = grid::check_draft(&draft).map_err(ApiError::InvalidArgument)?;
        let level = draft.level.expect("check_draft requires a level");

        let mut txn = self.pool.begin().await?;
        let key = IdempotencyKey::new(
            &caller.subject,
            "CreateGrid",
            &request.idempotency_key,
            &request,
        );
        if let Some(saved) = replay(&mut txn, &key).await? {
            return Ok(saved);
        }
        grids::lock_writes(&mut txn).await?;
        let parent = match &draft.parent_code {
            Some(code) => Some(grids::by_code(&mut txn, code).await?.ok_or_else(|| {
                ApiError::invalid("parent_code", format!("names no grid: {code}"))
            })?),
            None => None,
        };
        access::require_writer(&mut txn, &caller, parent.as_ref().map(|p| p.grid_id)).await?;
        if grids::by_code(&mut txn, &draft.code).await?.is_some() {
            return Err(ApiError::AlreadyExists(format!("grid {}", draft.code)));
        }
        let parent_id = parent.as_ref().map(|p| p.grid_id);
        self.check_placement(
            &mut txn,
            level,
            &draft.code,
            &boundary,
            parent.as_ref(),
            parent_id,
        )
        .await?;

        let now = self.clock.now();
        let row = GridRow {
            grid_id: Uuid::now_v7(),
            code: draft.code.clone(),
            name: draft.name.clone(),
            level: level.as_str().to_owned(),
            parent_id,
            parent_code: draft.parent_code.clone(),
            households: draft.households.map(|h| h as i32),
            party_group: draft.party_group.clone(),
            boundary: Json(geometry::polygon_geojson(&draft.boundary)),
            version: 1,
            created_at: now,
            updated_at: now,
        };
        grids::insert(&mut txn, &row).await?;
        let fresh = self.reassign_objects(&mut txn, &row).await?;
        let grid = convert::grid(&row, false)?;
        outbox::enqueue(
            &mut txn,
            &events::grid_created(&caller.subject, now, grid.clone()),
        )
        .await?;
        let response = pb::CreateGridResponse { grid: Some(grid) };
        finish(&mut txn, &key, &response).await?;
        txn.commit().await?;
        self.after_grid_write(convert::node(&row)?, fresh);
        tracing::debug!(grid_id = %row.grid_id, level = %level, "grid created");
        Ok(response)
    }

    #[tracing::instrument(skip_all, fields(code = %request.code))]
    pub(super) async fn update_grid(
        &self,
        caller: Caller,
        request: pb::UpdateGridRequest,
    ) -> Result<pb::UpdateGridResponse, ApiError> {
        let mut txn = self.pool.begin().await?;
        let key = IdempotencyKey::new(
            &caller.subject,
            "UpdateGrid",
            &request.idempotency_key,
            &request,
        );
        if let Some(saved) = replay(&mut txn, &key).await? {
            return Ok(saved);
        }
        grids::lock_writes(&mut txn).await?;
        let current = grids::by_code(&mut txn, request.code.trim())
            .await?
            .ok_or_else(|| ApiError::NotFound(format!("grid {}", request.code.trim())))?;
        access::require_writer(&mut txn, &caller, current.parent_id).await?;
        if request.expected_version != 0 && request.expected_version != current.version {
            return Err(ApiError::FailedPrecondition(format!(
                "grid {} is at version {}, not {}; read it again",
                current.code, current.version, request.expected_version
            )));
        }
        let level = Level::parse(&current.level)
            .ok_or_else(|| anyhow::anyhow!("stored level {}", current.level))?;
        let boundary_changed = request.boundary.is_some();
        let draft = GridDraft {
            code: current.code.clone(),
            name: request
                .name
                .as_deref()
                .map(str::trim)
                .unwrap_or(&current.name)
                .to_owned(),
            level: Some(level),
            parent_code: current.parent_code.clone(),
            households: request.households.or(current.households.map(|h| h as u32)),
            party_group: request
                .party_group
                .clone()
                .or(current.party_group.clone())
                .and_then(|p| non_empty(&p)),
            boundary: if boundary_changed {
                convert::rings(request.boundary.as_ref())
            } else {
                convert::stored_rings(&current)?
            },
        };
        let boundary = grid::check_draft(&draft).map_err(ApiError::InvalidArgument)?;
        if boundary_changed {
            let parent = match current.parent_id {
                Some(id) => grids::by_id(&mut txn, id).await?,
                None => None,
            };
            self.check_placement(
                &mut txn,
                level,
                &current.code,
                &boundary,
                parent.as_ref(),
                current.parent_id,
            )
            .await?;
            self.check_children_inside(&mut txn, current.grid_id, &boundary)
                .await?;
        }

        let now = self.clock.now();
        let row = GridRow {
            name: draft.name.clone(),
            households: draft.households.map(|h| h as i32),
            party_group: draft.party_group.clone(),
            boundary: Json(geometry::polygon_geojson(&draft.boundary)),
            version: current.version + 1,
            updated_at: now,
            ..current
        };
        grids::update(&mut txn, &row).await?;
        let fresh = if boundary_changed {
            self.reassign_objects(&mut txn, &row).await?
        } else {
            None
        };
        let grid = convert::grid(&row, false)?;
        outbox::enqueue(
            &mut txn,
            &events::grid_updated(&caller.subject, now, grid.clone(), boundary_changed),
        )
        .await?;
        let response = pb::UpdateGridResponse { grid: Some(grid) };
        finish(&mut txn, &key, &response).await?;
        txn.commit().await?;
        self.after_grid_write(convert::node(&row)?, fresh);
        tracing::info!(grid_id = %row.grid_id, version = row.version, boundary_changed, "grid updated");
        Ok(response)
    }

    /// Checks the parent's level and boundary and the siblings' boundaries.
    async fn check_placement(
        &self,
        conn: &mut PgConnection,
        level: Level,
        code: &str,
        boundary: &geo::Polygon,
        parent: Option<&GridRow>,
        parent_id: Option<Uuid>,
    ) -> Result<(), ApiError> {
        let parent = parent.map(convert::node).transpose()?;
        let siblings: Vec<GridNode> = grids::children(conn, parent_id)
            .await?
            .iter()
            .map(convert::node)
            .collect::<Result<_, _>>()?;
        let sibling_places: Vec<Placed<'_>> = siblings.iter().map(GridNode::placed).collect();
        let violations = grid::check_placement(
            level,
            code,
            boundary,
            parent.as_ref().map(GridNode::placed).as_ref(),
            &sibling_places,
            self.settings.tolerances(),
        );
        if violations.is_empty() {
            Ok(())
        } else {
            Err(ApiError::InvalidArgument(violations))
        }
    }

    /// Refuses a new boundary that would leave a child grid outside it.
    async fn check_children_inside(
        &self,
        conn: &mut PgConnection,
        id: Uuid,
        boundary: &geo::Polygon,
    ) -> Result<(), ApiError> {
        let mut violations = Vec::new();
        for child in grids::children(conn, Some(id)).await? {
            let child = convert::node(&child)?;
            let outside = geometry::area_outside_m2(&child.boundary, boundary);
            if outside > self.settings.outside_parent_tolerance_m2 {
                violations.push(platform::error::FieldViolation::new(
                    "boundary",
                    format!("would leave child {} outside ({outside:.0} m²)", child.code),
                ));
            }
        }
        if violations.is_empty() {
            Ok(())
        } else {
            Err(ApiError::InvalidArgument(violations))
        }
    }

    /// After a micro-grid's boundary is written, moves covered objects whose
    /// anchor now falls in another micro-grid (or none). Decided on every
    /// grid read in this transaction (under the write lock), not on the
    /// index, which may lag; returns that fresh snapshot for the index.
    async fn reassign_objects(
        &self,
        conn: &mut PgConnection,
        row: &GridRow,
    ) -> Result<Option<Snapshot>, ApiError> {
        if row.level != Level::Micro.as_str() {
            return Ok(None);
        }
        let nodes: Vec<GridNode> = grids::all(conn)
            .await?
            .iter()
            .map(convert::node)
            .collect::<Result<_, _>>()?;
        let snapshot = Snapshot::build(nodes);
        let node = convert::node(row)?;
        let Some(bounds) = geometry::bounds(&node.boundary) else {
            return Ok(Some(snapshot));
        };
        let bbox = (
            bounds.min().x,
            bounds.min().y,
            bounds.max().x,
            bounds.max().y,
        );
        for anchor in objects::anchors_near(conn, row.grid_id, bbox).await? {
            let now_in = match snapshot.resolve(Point::new(anchor.anchor_lng, anchor.anchor_lat)) {
                Resolution::Inside { micro, .. } => Some(micro.id),
                Resolution::Outside { .. } => None,
            };
            if now_in != anchor.micro_grid_id {
                objects::set_micro_grid(conn, anchor.object_id, now_in).await?;
            }
        }
        Ok(Some(snapshot))
    }

    /// Brings this replica's index up to date at once (other replicas follow
    /// from the event) and wakes the outbox relay.
    fn after_grid_write(&self, node: GridNode, fresh: Option<Snapshot>) {
        match fresh {
            Some(snapshot) => self.index.merge(snapshot),
            None => self.index.apply([node]),
        }
        self.waker.wake();
    }

    pub(super) async fn get_grid(
        &self,
        _caller: Caller,
        request: pb::GetGridRequest,
    ) -> Result<pb::GetGridResponse, ApiError> {
        let mut conn = self.pool.acquire().await?;
        let row = if !request.id.is_empty() {
            let id = request
                .id
                .parse::<Uuid>()
                .map_err(|_| ApiError::invalid("id", "must be a UUID"))?;
            grids::by_id(&mut conn, id).await?
        } else if !request.code.trim().is_empty() {
            grids::by_code(&mut conn, request.code.trim()).await?
        } else {
            return Err(ApiError::invalid("code", "either id or code is required"));
        };
        let what = if request.code.is_empty() {
            request.id
        } else {
            request.code
        };
        let row = row.ok_or_else(|| ApiError::NotFound(format!("grid {what}")))?;
        let mut lineage = grids::lineage(&mut conn, row.grid_id).await?;
        lineage.pop(); // the grid itself
        let ancestors = lineage
            .iter()
            .map(|r| convert::node(r).map(|n| convert::grid_ref(&n)))
            .collect::<Result<_, _>>()?;
        Ok(pb::GetGridResponse {
            grid: Some(convert::grid(&row, false)?),
            ancestors,
        })
    }

    pub(super) async fn list_grids(
        &self,
        _caller: Caller,
        request: pb::ListGridsRequest,
    ) -> Result<pb::ListGridsResponse, ApiError> {
        let limit = convert::page_size(request.page_size)?;
        let after = convert::after(&request.page_token)?;
        let level = convert::level_from(request.level);
        let mut conn = self.pool.acquire().await?;
        let parent = match non_empty(&request.parent_code) {
            Some(code) => Some(
                grids::by_code(&mut conn, &code)
                    .await?
                    .ok_or_else(|| {
                        ApiError::invalid("parent_code", format!("names no grid: {code}"))
                    })?
                    .grid_id,
            ),
            None => None,
        };
        let rows = grids::page(&mut conn, level.map(Level::as_str), parent, &after, limit).await?;
        let next_page_token = convert::next_token(&rows, limit, |r| r.code.as_str());
        let grids = rows
            .iter()
            .map(|r| convert::grid(r, request.without_boundaries))
            .collect::<Result<_, _>>()?;
        Ok(pb::ListGridsResponse {
            grids,
            next_page_token,
        })
    }

    pub(super) async fn resolve_location(
        &self,
        _caller: Caller,
        request: pb::ResolveLocationRequest,
    ) -> Result<pb::ResolveLocationResponse, ApiError> {
        let point = location(request.location.as_ref(), "location")?;
        let snapshot = self.index.snapshot();
        match snapshot.resolve(point) {
            Resolution::Inside {
                micro,
                also_on_border,
            } => Ok(pb::ResolveLocationResponse {
                micro_grid: Some(convert::grid_ref(&micro)),
                ancestors: snapshot
                    .ancestors(&micro.id)
                    .iter()
                    .map(|a| convert::grid_ref(a))
                    .collect(),
                also_on_border: also_on_border
                    .iter()
                    .map(|n| convert::grid_ref(n))
                    .collect(),
            }),
            Resolution::Outside { nearest } => {
                let at = format!("({:.6}, {:.6})", point.y(), point.x());
                Err(ApiError::NotFoundBecause(match nearest {
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
}

/// Checks a location field and returns it as a point (x = longitude).
pub(super) fn location(location: Option<&pb::LatLng>, field: &str) -> Result<Point, ApiError> {
    let Some(location) = location else {
        return Err(ApiError::invalid(field, "is required"));
    };
    let mut violations = Vec::new();
    if !(-90.0..=90.0).contains(&location.lat) || !location.lat.is_finite() {
        violations.push(platform::error::FieldViolation::new(
            format!("{field}.lat"),
            "must be between -90 and 90",
        ));
    }
    if !(-180.0..=180.0).contains(&location.lng) || !location.lng.is_finite() {
        violations.push(platform::error::FieldViolation::new(
            format!("{field}.lng"),
            "must be between -180 and 180",
        ));
    }
    if violations.is_empty() {
        Ok(Point::new(location.lng, location.lat))
    } else {
        Err(ApiError::InvalidArgument(violations))
    }
}
