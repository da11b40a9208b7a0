//! UpsertSafetyDomain, UpsertDepartment, ListDepartments, AssignDomainDuty
//! and FindResponsible.

use platform::auth::Caller;
use platform::error::AppError;
use platform::uow::CallKey;
use proto::registry::v1 as pb;
use proto::registry::v1::find_responsible_request::Target as PbTarget;

use super::RegistryApi;
use crate::application::responsibility::{self, FindResponsible, Target};
use crate::convert;
use crate::domain::DomainError;
use crate::domain::department::{DepartmentDraft, DutyDraft, SafetyDomain};

impl RegistryApi {
    pub(super) async fn upsert_safety_domain(
        &self,
        caller: Caller,
        request: pb::UpsertSafetyDomainRequest,
    ) -> Result<pb::UpsertSafetyDomainResponse, AppError> {
        let sent = request.domain.clone().unwrap_or_default();
        let domain = SafetyDomain::check(&sent.code, &sent.name).map_err(DomainError::Invalid)?;
        let key = CallKey::new(&caller, &request.idempotency_key, &request);
        // The answer echoes the domain as sent.
        responsibility::upsert_safety_domain(&self.ctx, key, domain, |_| {
            pb::UpsertSafetyDomainResponse { domain: Some(sent) }
        })
        .await
    }

    pub(super) async fn upsert_department(
        &self,
        caller: Caller,
        request: pb::UpsertDepartmentRequest,
    ) -> Result<pb::UpsertDepartmentResponse, AppError> {
        let sent = request.department.clone().unwrap_or_default();
        let draft = DepartmentDraft {
            code: sent.code,
            name: sent.name,
            kind: convert::department_kind_from(sent.kind),
            regulates: sent
                .regulates
                .iter()
                .map(|k| convert::kind_from(*k))
                .collect(),
            domains: sent.domains,
        };
        let key = CallKey::new(&caller, &request.idempotency_key, &request);
        responsibility::upsert_department(&self.ctx, &caller, key, draft, |department| {
            pb::UpsertDepartmentResponse {
                department: Some(convert::department(department)),
            }
        })
        .await
    }

    pub(super) async fn list_departments(
        &self,
        _caller: Caller,
        _request: pb::ListDepartmentsRequest,
    ) -> Result<pb::ListDepartmentsResponse, AppError> {
        let departments = responsibility::list_departments(&self.ctx).await?;
        Ok(pb::ListDepartmentsResponse {
            departments: departments.iter().map(convert::department).collect(),
        })
    }

    pub(super) async fn assign_domain_duty(
        &self,
        caller: Caller,
        request: pb::AssignDomainDutyRequest,
    ) -> Result<pb::AssignDomainDutyResponse, AppError> {
        let starts_at = match &request.starts_at {
            Some(ts) => convert::from_timestamp(ts)
                .ok_or_else(|| AppError::invalid("starts_at", "must be a valid time"))?,
            None => self.ctx.units.now(),
        };
        let draft = DutyDraft {
            domain_code: request.domain_code.clone(),
            leader_name: request.leader_name.clone(),
            leader_title: request.leader_title.clone(),
            phone: request.phone.clone(),
            starts_at,
        };
        let key = CallKey::new(&caller, &request.idempotency_key, &request);
        responsibility::assign_domain_duty(&self.ctx, &caller, key, draft, |duty| {
            pb::AssignDomainDutyResponse {
                duty: Some(convert::duty(duty)),
            }
        })
        .await
    }

    /// Returns the chain: an enterprise's first-inquiry head, the micro-grid
    /// leader, the workstation, regulators and co-managers, and the town
    /// leader on duty for the domain.
    #[tracing::instrument(skip_all, fields(domain = %request.domain_code))]
    pub(super) async fn find_responsible(
        &self,
        _caller: Caller,
        request: pb::FindResponsibleRequest,
    ) -> Result<pb::FindResponsibleResponse, AppError> {
        let target = request.target.map(|target| match target {
            PbTarget::Location(at) => Target::Location((at.lng, at.lat)),
            PbTarget::ObjectCode(code) => Target::Object(code.trim().to_owned()),
        });
        let query = FindResponsible {
            domain_code: request.domain_code,
            target,
        };
        let found = responsibility::find_responsible(&self.ctx, query).await?;
        Ok(pb::FindResponsibleResponse {
            chain: found.chain.iter().map(convert::party).collect(),
            micro_grid: found.micro_grid.as_deref().map(convert::grid_ref),
        })
    }
}
