//! AddMember, RemoveMember, ListMembers and the coverage report.

use platform::auth::Caller;
use platform::error::FieldViolation;
use platform::idempotency::IdempotencyKey;
use platform::outbox;
use proto::registry::v1 as pb;
use uuid::Uuid;

use super::{ApiError, RegistryApi, access, convert, finish, replay};
use crate::domain::grid::check_name;
use crate::domain::kinds::Level;
use crate::domain::people::check_phone;
use crate::events;
use crate::repository::members::{self, MemberRow};
use crate::repository::{grids, objects};

impl RegistryApi {
    #[tracing::instrument(skip_all, fields(grid_code = %request.grid_code))]
    pub(super) async fn add_member(
        &self,
        caller: Caller,
        request: pb::AddMemberRequest,
    ) -> Result<pb::AddMemberResponse, ApiError> {
        let mut violations = Vec::new();
        check_name("name", &request.name, &mut violations);
        check_phone("phone", &request.phone, &mut violations);
        let role = convert::role_from(request.role);
        if role.is_none() {
            violations.push(FieldViolation::new("role", "must be a member role"));
        }
        let background = convert::background_from(request.background);
        if request.background != 0 && background.is_none() {
            violations.push(FieldViolation::new(
                "background",
                "must be a known background or unspecified",
            ));
        }
        if request.grid_code.trim().is_empty() {
            violations.push(FieldViolation::new("grid_code", "is required"));
        }
        if !violations.is_empty() {
            return Err(ApiError::InvalidArgument(violations));
        }
        let role = role.expect("checked above");

        let mut txn = self.pool.begin().await?;
        let key = IdempotencyKey::new(
            &caller.subject,
            "AddMember",
            &request.idempotency_key,
            &request,
        );
        if let Some(saved) = replay(&mut txn, &key).await? {
            return Ok(saved);
        }
        let grid = grids::by_code(&mut txn, request.grid_code.trim())
            .await?
            .ok_or_else(|| {
                ApiError::invalid(
                    "grid_code",
                    format!("names no grid: {}", request.grid_code.trim()),
                )
            })?;
        access::require_writer(&mut txn, &caller, Some(grid.grid_id)).await?;
        let level = Level::parse(&grid.level)
            .ok_or_else(|| anyhow::anyhow!("stored level {}", grid.level))?;
        if !role.levels().contains(&level) {
            let allowed: Vec<_> = role.levels().iter().map(|l| l.as_str()).collect();
            return Err(ApiError::invalid(
                "role",
                format!(
                    "{role} serves in {} grids; {} is {level}",
                    allowed.join(" or "),
                    grid.code
                ),
            ));
        }
        let now = self.clock.now();
        let row = MemberRow {
            member_id: Uuid::now_v7(),
            grid_id: grid.grid_id,
            grid_code: grid.code.clone(),
            name: request.name.trim().to_owned(),
            role: role.as_str().to_owned(),
            background: background.map(|b| b.as_str().to_owned()),
            phone: request.phone.clone(),
            active: true,
        };
        members::insert(&mut txn, &row, now).await?;
        let member = convert::member(&row);
        outbox::enqueue(
            &mut txn,
            &events::member_added(&caller.subject, now, member.clone()),
        )
        .await?;
        let response = pb::AddMemberResponse {
            member: Some(member),
        };
        finish(&mut txn, &key, &response).await?;
        txn.commit().await?;
        self.waker.wake();
        Ok(response)
    }

    pub(super) async fn remove_member(
        &self,
        caller: Caller,
        request: pb::RemoveMemberRequest,
    ) -> Result<pb::RemoveMemberResponse, ApiError> {
        let id = request
            .member_id
            .parse::<Uuid>()
            .map_err(|_| ApiError::invalid("member_id", "must be a UUID"))?;
        if request.reason.trim().is_empty() {
            return Err(ApiError::invalid(
                "reason",
                "is required: why the member leaves",
            ));
        }
        let mut txn = self.pool.begin().await?;
        let key = IdempotencyKey::new(
            &caller.subject,
            "RemoveMember",
            &request.idempotency_key,
            &request,
        );
        if let Some(saved) = replay(&mut txn, &key).await? {
            return Ok(saved);
        }
        let mut row = members::by_id_for_update(&mut txn, id)
            .await?
            .ok_or_else(|| ApiError::NotFound(format!("member {id}")))?;
        access::require_writer(&mut txn, &caller, Some(row.grid_id)).await?;
        if !row.active {
            return Err(ApiError::FailedPrecondition(format!(
                "member {id} was already removed"
            )));
        }
        let now = self.clock.now();
        members::deactivate(&mut txn, id, request.reason.trim(), now).await?;
        row.active = false;
        let member = convert::member(&row);
        outbox::enqueue(
            &mut txn,
            &events::member_removed(
                &caller.subject,
                now,
                member.clone(),
                request.reason.trim().to_owned(),
            ),
        )
        .await?;
        let response = pb::RemoveMemberResponse {
            member: Some(member),
        };
        finish(&mut txn, &key, &response).await?;
        txn.commit().await?;
        self.waker.wake();
        Ok(response)
    }

    pub(super) async fn list_members(
        &self,
        _caller: Caller,
        request: pb::ListMembersRequest,
    ) -> Result<pb::ListMembersResponse, ApiError> {
        let snapshot = self.index.snapshot();
        let mut conn = self.pool.acquire().await?;
        let code = request.grid_code.trim();
        let grid = grids::by_code(&mut conn, code)
            .await?
            .ok_or_else(|| ApiError::NotFound(format!("grid {code}")))?;
        let mut ids = vec![grid.grid_id];
        if request.include_descendants {
            ids.extend(snapshot.descendants(&grid.grid_id));
        }
        let rows = members::active_in(&mut conn, &ids).await?;
        Ok(pb::ListMembersResponse {
            members: rows.iter().map(convert::member).collect(),
        })
    }

    pub(super) async fn get_coverage_report(
        &self,
        _caller: Caller,
        request: pb::GetCoverageReportRequest,
    ) -> Result<pb::GetCoverageReportResponse, ApiError> {
        let snapshot = self.index.snapshot();
        let scope = request.grid_code.trim();
        let scope_id = if scope.is_empty() {
            None
        } else {
            Some(
                snapshot
                    .by_code(scope)
                    .ok_or_else(|| ApiError::NotFound(format!("grid {scope}")))?
                    .id,
            )
        };
        let in_scope =
            |id: &Uuid| scope_id.is_none_or(|s| id == &s || snapshot.is_within(id, scope));
        let mut conn = self.pool.acquire().await?;
        let gaps = members::understaffed_micro_grids(&mut conn)
            .await?
            .into_iter()
            .filter(|s| in_scope(&s.grid_id))
            .filter_map(|s| {
                let node = snapshot.get(&s.grid_id)?;
                Some(pb::CoverageGap {
                    micro_grid: Some(convert::grid_ref(node)),
                    lacks_leader: !s.has_leader,
                    lacks_party_instructor: !s.has_party_instructor,
                    lacks_member: !s.has_member,
                })
            })
            .collect();
        let uncovered_objects = if scope_id.is_none() {
            objects::uncovered(&mut conn)
                .await?
                .iter()
                .map(convert::object)
                .collect()
        } else {
            Vec::new() // outside every micro-grid is outside every scope below the town
        };
        let micro_grids = snapshot.micro_grids().filter(|n| in_scope(&n.id)).count() as u32;
        Ok(pb::GetCoverageReportResponse {
            micro_grids,
            gaps,
            uncovered_objects,
        })
    }
}
