//! AddMember, RemoveMember, ListMembers and the coverage report.

use platform::auth::Caller;
use platform::error::{AppError, FieldViolation};
use platform::uow::CallKey;
use proto::registry::v1 as pb;

use super::RegistryApi;
use crate::application::members;
use crate::convert;
use crate::domain::DomainError;
use crate::domain::grid::check_name;
use crate::domain::ids::MemberId;
use crate::domain::member::NewMember;
use crate::domain::people::check_phone;

/// Decodes and checks a member as an AddMember request proposes them.
fn new_member(request: &pb::AddMemberRequest) -> Result<NewMember, AppError> {
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
    DomainError::check(violations)?;
    Ok(NewMember {
        grid_code: request.grid_code.trim().to_owned(),
        name: request.name.trim().to_owned(),
        role: role.expect("checked above"),
        background,
        phone: request.phone.clone(),
    })
}

impl RegistryApi {
    #[tracing::instrument(skip_all, fields(grid_code = %request.grid_code))]
    pub(super) async fn add_member(
        &self,
        caller: Caller,
        request: pb::AddMemberRequest,
    ) -> Result<pb::AddMemberResponse, AppError> {
        let new = new_member(&request)?;
        let key = CallKey::new(&caller, &request.idempotency_key, &request);
        members::add_member(&self.ctx, &caller, key, new, |member| {
            pb::AddMemberResponse {
                member: Some(convert::member(member)),
            }
        })
        .await
    }

    pub(super) async fn remove_member(
        &self,
        caller: Caller,
        request: pb::RemoveMemberRequest,
    ) -> Result<pb::RemoveMemberResponse, AppError> {
        let id = MemberId::parse(&request.member_id)
            .ok_or_else(|| AppError::invalid("member_id", "must be a UUID"))?;
        let reason = request.reason.trim().to_owned();
        if reason.is_empty() {
            return Err(AppError::invalid(
                "reason",
                "is required: why the member leaves",
            ));
        }
        let key = CallKey::new(&caller, &request.idempotency_key, &request);
        members::remove_member(&self.ctx, &caller, key, id, reason, |member| {
            pb::RemoveMemberResponse {
                member: Some(convert::member(member)),
            }
        })
        .await
    }

    pub(super) async fn list_members(
        &self,
        _caller: Caller,
        request: pb::ListMembersRequest,
    ) -> Result<pb::ListMembersResponse, AppError> {
        let code = request.grid_code.trim();
        let members = members::list_members(&self.ctx, code, request.include_descendants).await?;
        Ok(pb::ListMembersResponse {
            members: members.iter().map(convert::member).collect(),
        })
    }

    pub(super) async fn get_coverage_report(
        &self,
        _caller: Caller,
        request: pb::GetCoverageReportRequest,
    ) -> Result<pb::GetCoverageReportResponse, AppError> {
        let report = members::coverage_report(&self.ctx, request.grid_code.trim()).await?;
        Ok(pb::GetCoverageReportResponse {
            micro_grids: report.micro_grids,
            gaps: report
                .gaps
                .iter()
                .map(|(micro, staffing)| pb::CoverageGap {
                    micro_grid: Some(convert::grid_ref(micro)),
                    lacks_leader: !staffing.has_leader,
                    lacks_party_instructor: !staffing.has_party_instructor,
                    lacks_member: !staffing.has_member,
                })
                .collect(),
            uncovered_objects: report
                .uncovered_objects
                .iter()
                .map(convert::object)
                .collect(),
        })
    }
}
