//! Safety domains, departments, the duty roster, and FindResponsible: who
//! answers for a place or an object in a safety domain.

use platform::auth::Caller;
use platform::error::FieldViolation;
use platform::idempotency::IdempotencyKey;
use platform::{mask, outbox};
use proto::registry::v1 as pb;
use uuid::Uuid;

use super::{ApiError, RegistryApi, access, convert, finish, replay};
use crate::domain::grid::check_name;
use crate::domain::kinds::{DepartmentKind, MemberRole, ObjectKind};
use crate::domain::people::check_phone;
use crate::events;
use crate::index::Resolution;
use crate::repository::departments::{self, DepartmentRow, DutyRow};
use crate::repository::{members, objects};

/// Checks an upper-case code such as `PRODUCTION_SAFETY` or `POLICE`.
fn check_upper_code(field: &str, code: &str, out: &mut Vec<FieldViolation>) {
    let ok = !code.is_empty()
        && code.len() <= 64
        && code
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
    if !ok {
        out.push(FieldViolation::new(
            field,
            "must be 1 to 64 upper-case letters, digits or '_'",
        ));
    }
}

impl RegistryApi {
    pub(super) async fn upsert_safety_domain(
        &self,
        caller: Caller,
        request: pb::UpsertSafetyDomainRequest,
    ) -> Result<pb::UpsertSafetyDomainResponse, ApiError> {
        access::require_town_operator(&caller, "define safety domains")?;
        let domain = request.domain.clone().unwrap_or_default();
        let mut violations = Vec::new();
        check_upper_code("domain.code", &domain.code, &mut violations);
        check_name("domain.name", &domain.name, &mut violations);
        if !violations.is_empty() {
            return Err(ApiError::InvalidArgument(violations));
        }
        let mut txn = self.pool.begin().await?;
        let key = IdempotencyKey::new(
            &caller.subject,
            "UpsertSafetyDomain",
            &request.idempotency_key,
            &request,
        );
        if let Some(saved) = replay(&mut txn, &key).await? {
            return Ok(saved);
        }
        departments::upsert_domain(&mut txn, &domain.code, domain.name.trim()).await?;
        let response = pb::UpsertSafetyDomainResponse {
            domain: Some(domain),
        };
        finish(&mut txn, &key, &response).await?;
        txn.commit().await?;
        Ok(response)
    }

    pub(super) async fn upsert_department(
        &self,
        caller: Caller,
        request: pb::UpsertDepartmentRequest,
    ) -> Result<pb::UpsertDepartmentResponse, ApiError> {
        access::require_town_operator(&caller, "define departments")?;
        let department = request.department.clone().unwrap_or_default();
        let mut violations = Vec::new();
        check_upper_code("department.code", &department.code, &mut violations);
        check_name("department.name", &department.name, &mut violations);
        let kind = convert::department_kind_from(department.kind);
        if kind.is_none() {
            violations.push(FieldViolation::new(
                "department.kind",
                "must be REGULATORY or CO_MANAGEMENT",
            ));
        }
        let mut regulates = Vec::new();
        for (i, k) in department.regulates.iter().enumerate() {
            match convert::kind_from(*k) {
                Some(kind) => regulates.push(kind.as_str().to_owned()),
                None => violations.push(FieldViolation::new(
                    format!("department.regulates[{i}]"),
                    "must be a covered object kind",
                )),
            }
        }
        let mut txn = self.pool.begin().await?;
        for unknown in departments::unknown_domains(&mut txn, &department.domains).await? {
            let i = department
                .domains
                .iter()
                .position(|d| d == &unknown)
                .unwrap_or_default();
            violations.push(FieldViolation::new(
                format!("department.domains[{i}]"),
                format!("names no safety domain: {unknown}"),
            ));
        }
        if !violations.is_empty() {
            return Err(ApiError::InvalidArgument(violations));
        }
        let key = IdempotencyKey::new(
            &caller.subject,
            "UpsertDepartment",
            &request.idempotency_key,
            &request,
        );
        if let Some(saved) = replay(&mut txn, &key).await? {
            return Ok(saved);
        }
        let row = DepartmentRow {
            code: department.code.clone(),
            name: department.name.trim().to_owned(),
            kind: kind.expect("checked above").as_str().to_owned(),
            regulates,
            domains: department.domains.clone(),
        };
        departments::upsert_department(&mut txn, &row).await?;
        let department = convert::department(&row);
        let now = self.clock.now();
        outbox::enqueue(
            &mut txn,
            &events::department_upserted(&caller.subject, now, department.clone()),
        )
        .await?;
        let response = pb::UpsertDepartmentResponse {
            department: Some(department),
        };
        finish(&mut txn, &key, &response).await?;
        txn.commit().await?;
        self.waker.wake();
        Ok(response)
    }

    pub(super) async fn list_departments(
        &self,
        _caller: Caller,
        _request: pb::ListDepartmentsRequest,
    ) -> Result<pb::ListDepartmentsResponse, ApiError> {
        let mut conn = self.pool.acquire().await?;
        let rows = departments::all(&mut conn).await?;
        Ok(pb::ListDepartmentsResponse {
            departments: rows.iter().map(convert::department).collect(),
        })
    }

    pub(super) async fn assign_domain_duty(
        &self,
        caller: Caller,
        request: pb::AssignDomainDutyRequest,
    ) -> Result<pb::AssignDomainDutyResponse, ApiError> {
        access::require_town_operator(&caller, "assign duties")?;
        let mut violations = Vec::new();
        check_name("leader_name", &request.leader_name, &mut violations);
        check_name("leader_title", &request.leader_title, &mut violations);
        check_phone("phone", &request.phone, &mut violations);
        let starts_at = match &request.starts_at {
            Some(ts) => convert::from_timestamp(ts)
                .ok_or_else(|| ApiError::invalid("starts_at", "must be a valid time"))?,
            None => self.clock.now(),
        };
        let mut txn = self.pool.begin().await?;
        if departments::domain_name(&mut txn, &request.domain_code)
            .await?
            .is_none()
        {
            violations.push(FieldViolation::new(
                "domain_code",
                format!("names no safety domain: {}", request.domain_code),
            ));
        }
        if !violations.is_empty() {
            return Err(ApiError::InvalidArgument(violations));
        }
        let key = IdempotencyKey::new(
            &caller.subject,
            "AssignDomainDuty",
            &request.idempotency_key,
            &request,
        );
        if let Some(saved) = replay(&mut txn, &key).await? {
            return Ok(saved);
        }
        let row = DutyRow {
            duty_id: Uuid::now_v7(),
            domain_code: request.domain_code.clone(),
            leader_name: request.leader_name.trim().to_owned(),
            leader_title: request.leader_title.trim().to_owned(),
            phone: request.phone.clone(),
            starts_at,
        };
        departments::assign_duty(&mut txn, &row).await?;
        let duty = convert::duty(&row);
        outbox::enqueue(
            &mut txn,
            &events::duty_assigned(&caller.subject, self.clock.now(), duty.clone()),
        )
        .await?;
        let response = pb::AssignDomainDutyResponse { duty: Some(duty) };
        finish(&mut txn, &key, &response).await?;
        txn.commit().await?;
        self.waker.wake();
        Ok(response)
    }

    /// Returns the chain: an enterprise's first-inquiry head, the micro-grid
    /// leader, the workstation, regulators and co-managers, and the town
    /// leader on duty for the domain.
    #[tracing::instrument(skip_all, fields(domain = %request.domain_code))]
    pub(super) async fn find_responsible(
        &self,
        _caller: Caller,
        request: pb::FindResponsibleRequest,
    ) -> Result<pb::FindResponsibleResponse, ApiError> {
        let snapshot = self.index.snapshot();
        let mut conn = self.pool.acquire().await?;
        if departments::domain_name(&mut conn, &request.domain_code)
            .await?
            .is_none()
        {
            return Err(ApiError::invalid(
                "domain_code",
                format!("names no safety domain: {}", request.domain_code),
            ));
        }
        let mut chain = Vec::new();
        let (micro, kind) = match &request.target {
            None => {
                return Err(ApiError::invalid(
                    "target",
                    "is required: a location or an object code",
                ));
            }
            Some(pb::find_responsible_request::Target::Location(location)) => {
                let point = super::grids::location(Some(location), "location")?;
                match snapshot.resolve(point) {
                    Resolution::Inside { micro, .. } => (Some(micro), None),
                    Resolution::Outside { .. } => {
                        return Err(ApiError::NotFoundBecause(format!(
                            "no micro-grid contains ({:.6}, {:.6}); the town operations centre is responsible",
                            location.lat, location.lng
                        )));
                    }
                }
            }
            Some(pb::find_responsible_request::Target::ObjectCode(code)) => {
                let object = objects::find(&mut conn, None, code.trim())
                    .await?
                    .ok_or_else(|| ApiError::NotFound(format!("covered object {}", code.trim())))?;
                let kind = ObjectKind::parse(&object.kind);
                if let (true, Some(head)) =
                    (kind.is_some_and(ObjectKind::has_head), &object.head_name)
                {
                    chain.push(pb::ResponsibleParty {
                        duty: pb::Duty::FirstInquiry.into(),
                        person_name: head.clone(),
                        phone_masked: object
                            .head_phone
                            .as_deref()
                            .map(mask::phone)
                            .unwrap_or_default(),
                        ..Default::default()
                    });
                }
                (
                    object
                        .micro_grid_id
                        .and_then(|id| snapshot.get(&id).cloned()),
                    kind,
                )
            }
        };

        if let Some(micro) = &micro {
            let lineage = snapshot.ancestors(&micro.id);
            let workstation = lineage.iter().find(|g| g.level.is_workstation());
            let mut ids = vec![micro.id];
            ids.extend(workstation.map(|w| w.id));
            let people = members::active_in(&mut conn, &ids).await?;
            let leaders: Vec<_> = people
                .iter()
                .filter(|m| m.grid_id == micro.id && m.role == MemberRole::Leader.as_str())
                .collect();
            if leaders.is_empty() {
                chain.push(pb::ResponsibleParty {
                    duty: pb::Duty::MicroGridLeader.into(),
                    grid: Some(convert::grid_ref(micro)),
                    ..Default::default()
                });
            }
            for leader in leaders {
                chain.push(pb::ResponsibleParty {
                    duty: pb::Duty::MicroGridLeader.into(),
                    person_name: leader.name.clone(),
                    phone_masked: mask::phone(&leader.phone),
                    grid: Some(convert::grid_ref(micro)),
                    ..Default::default()
                });
            }
            if let Some(workstation) = workstation {
                let head = people.iter().find(|m| {
                    m.grid_id == workstation.id && m.role == MemberRole::WorkstationHead.as_str()
                });
                chain.push(pb::ResponsibleParty {
                    duty: pb::Duty::Workstation.into(),
                    person_name: head.map(|h| h.name.clone()).unwrap_or_default(),
                    phone_masked: head.map(|h| mask::phone(&h.phone)).unwrap_or_default(),
                    grid: Some(convert::grid_ref(workstation)),
                    ..Default::default()
                });
            }
        }

        for department in departments::responsible(
            &mut conn,
            &request.domain_code,
            kind.map(ObjectKind::as_str),
        )
        .await?
        {
            let duty = match DepartmentKind::parse(&department.kind) {
                Some(DepartmentKind::CoManagement) => pb::Duty::CoManagement,
                _ => pb::Duty::Regulator,
            };
            chain.push(pb::ResponsibleParty {
                duty: duty.into(),
                department_code: department.code.clone(),
                department_name: department.name.clone(),
                ..Default::default()
            });
        }
        if let Some(duty) =
            departments::duty_at(&mut conn, &request.domain_code, self.clock.now()).await?
        {
            chain.push(pb::ResponsibleParty {
                duty: pb::Duty::LeaderOnDuty.into(),
                person_name: format!("{} ({})", duty.leader_name, duty.leader_title),
                phone_masked: mask::phone(&duty.phone),
                ..Default::default()
            });
        }
        Ok(pb::FindResponsibleResponse {
            chain,
            micro_grid: micro.as_deref().map(convert::grid_ref),
        })
    }
}
