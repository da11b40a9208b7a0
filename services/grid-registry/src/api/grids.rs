//! CreateGrid, UpdateGrid, GetGrid, ListGrids and ResolveLocation.

use platform::auth::Caller;
use platform::error::AppError;
use platform::uow::CallKey;
use proto::registry::v1 as pb;

use super::paging::Page;
use super::{RegistryApi, location};
use crate::application::grids::{self, GridKey, ListGrids, UpdateGrid};
use crate::convert;
use crate::domain::grid::{GridChange, GridDraft, non_empty};
use crate::domain::ids::GridId;
use crate::domain::index::GridNode;

impl RegistryApi {
    #[tracing::instrument(skip_all, fields(code = %request.code))]
    pub(super) async fn create_grid(
        &self,
        caller: Caller,
        request: pb::CreateGridRequest,
    ) -> Result<pb::CreateGridResponse, AppError> {
        // Decoded only: the use case checks the role before any rule.
        let draft = GridDraft {
            code: request.code.trim().to_owned(),
            name: request.name.trim().to_owned(),
            level: convert::level_from(request.level),
            parent_code: non_empty(&request.parent_code),
            households: (request.households != 0).then_some(request.households),
            party_group: non_empty(&request.party_group),
            boundary: convert::rings(request.boundary.as_ref()),
        };
        let key = CallKey::new(&caller, &request.idempotency_key, &request);
        grids::create_grid(&self.ctx, &caller, key, draft, |grid| {
            pb::CreateGridResponse {
                grid: Some(convert::grid(grid, false)),
            }
        })
        .await
    }

    #[tracing::instrument(skip_all, fields(code = %request.code))]
    pub(super) async fn update_grid(
        &self,
        caller: Caller,
        request: pb::UpdateGridRequest,
    ) -> Result<pb::UpdateGridResponse, AppError> {
        let cmd = UpdateGrid {
            code: request.code.trim().to_owned(),
            change: GridChange {
                expected_version: request.expected_version,
                name: request.name.clone(),
                households: request.households,
                party_group: request.party_group.clone(),
                boundary: None,
            },
            boundary: request.boundary.as_ref().map(|b| convert::rings(Some(b))),
        };
        let key = CallKey::new(&caller, &request.idempotency_key, &request);
        grids::update_grid(&self.ctx, &caller, key, cmd, |grid| {
            pb::UpdateGridResponse {
                grid: Some(convert::grid(grid, false)),
            }
        })
        .await
    }

    pub(super) async fn get_grid(
        &self,
        _caller: Caller,
        request: pb::GetGridRequest,
    ) -> Result<pb::GetGridResponse, AppError> {
        let key = if !request.id.is_empty() {
            GridKey::Id(
                GridId::parse(&request.id)
                    .ok_or_else(|| AppError::invalid("id", "must be a UUID"))?,
            )
        } else if !request.code.trim().is_empty() {
            GridKey::Code(request.code.trim().to_owned())
        } else {
            return Err(AppError::invalid("code", "either id or code is required"));
        };
        let what = if request.code.is_empty() {
            request.id
        } else {
            request.code
        };
        let (grid, ancestors) = grids::get_grid(&self.ctx, key)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("grid {what}")))?;
        Ok(pb::GetGridResponse {
            grid: Some(convert::grid(&grid, false)),
            ancestors: ancestors
                .iter()
                .map(|a| convert::grid_ref(&GridNode::from(a)))
                .collect(),
        })
    }

    pub(super) async fn list_grids(
        &self,
        _caller: Caller,
        request: pb::ListGridsRequest,
    ) -> Result<pb::ListGridsResponse, AppError> {
        let page = Page::of(
            request.page_size,
            &request.page_token,
            self.ctx.limits().max_page_size,
        )?;
        let query = ListGrids {
            level: convert::level_from(request.level),
            parent_code: non_empty(&request.parent_code),
            after: page.after.clone(),
            limit: page.limit,
        };
        let grids = grids::list_grids(&self.ctx, query).await?;
        Ok(pb::ListGridsResponse {
            next_page_token: page.next_token(&grids, |g| g.code.as_str()),
            grids: grids
                .iter()
                .map(|g| convert::grid(g, request.without_boundaries))
                .collect(),
        })
    }

    pub(super) async fn resolve_location(
        &self,
        _caller: Caller,
        request: pb::ResolveLocationRequest,
    ) -> Result<pb::ResolveLocationResponse, AppError> {
        let point = location(request.location.as_ref(), "location")?;
        let located = grids::resolve_location(&self.ctx, point)?;
        Ok(pb::ResolveLocationResponse {
            micro_grid: Some(convert::grid_ref(&located.micro)),
            ancestors: located
                .ancestors
                .iter()
                .map(|a| convert::grid_ref(a))
                .collect(),
            also_on_border: located
                .also_on_border
                .iter()
                .map(|n| convert::grid_ref(n))
                .collect(),
        })
    }
}
