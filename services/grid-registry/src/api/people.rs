//! The restricted store of special-care people (六类人): registered by
//! operators and workstation staff, read only by granted roles, always
//! masked, every read (and refused attempt) audited.

use platform::auth::{Caller, Role};
use platform::error::FieldViolation;
use platform::idempotency::IdempotencyKey;
use proto::registry::v1 as pb;
use uuid::Uuid;

use super::{ApiError, RegistryApi, access, convert, finish, replay};
use crate::domain::grid::{check_code, check_name};
use crate::domain::kinds::Level;
use crate::domain::people::{check_id_number, check_phone};
use crate::repository::care::{self, AccessRow, CarePersonRow};
use crate::repository::grids;

impl RegistryApi {
    #[tracing::instrument(skip_all, fields(code = %request.code))]
    pub(super) async fn create_care_person(
        &self,
        caller: Caller,
        request: pb::CreateCarePersonRequest,
    ) -> Result<pb::CreateCarePersonResponse, ApiError> {
        let mut violations = Vec::new();
        check_code("code", request.code.trim(), &mut violations);
        check_name("name", &request.name, &mut violations);
        check_id_number("id_number", request.id_number.trim(), &mut violations);
        if !request.phone.is_empty() {
            check_phone("phone", &request.phone, &mut violations);
        }
        let category = convert::category_from(request.category);
        if category.is_none() {
            violations.push(FieldViolation::new(
                "category",
                "must be one of the six special-care groups",
            ));
        }
        if !violations.is_empty() {
            return Err(ApiError::InvalidArgument(violations));
        }
        let mut txn = self.pool.begin().await?;
        let key = IdempotencyKey::new(
            &caller.subject,
            "CreateCarePerson",
            &request.idempotency_key,
            &request,
        );
        if let Some(saved) = replay(&mut txn, &key).await? {
            return Ok(saved);
        }
        let code = request.micro_grid_code.trim();
        let grid = grids::by_code(&mut txn, code)
            .await?
            .filter(|g| g.level == Level::Micro.as_str())
            .ok_or_else(|| {
                ApiError::invalid("micro_grid_code", format!("names no micro-grid: {code}"))
            })?;
        access::require_writer(&mut txn, &caller, Some(grid.grid_id)).await?;
        let row = CarePersonRow {
            care_person_id: Uuid::now_v7(),
            code: request.code.trim().to_owned(),
            micro_grid_id: grid.grid_id,
            micro_grid_code: grid.code.clone(),
            category: category.expect("checked above").as_str().to_owned(),
            name: request.name.trim().to_owned(),
            id_number: request.id_number.trim().to_uppercase(),
            phone: (!request.phone.is_empty()).then(|| request.phone.clone()),
        };
        care::insert(&mut txn, &row, self.clock.now()).await?;
        // No event: special-care records never leave the registry.
        let response = pb::CreateCarePersonResponse {
            person: Some(convert::care_person(&row)),
        };
        finish(&mut txn, &key, &response).await?;
        txn.commit().await?;
        Ok(response)
    }

    #[tracing::instrument(skip_all, fields(caller = %caller.subject))]
    pub(super) async fn list_care_people(
        &self,
        caller: Caller,
        request: pb::ListCarePeopleRequest,
    ) -> Result<pb::ListCarePeopleResponse, ApiError> {
        let purpose = request.purpose.trim();
        if purpose.chars().count() < 2 {
            return Err(ApiError::invalid(
                "purpose",
                "is required: why this data is read (it is audited)",
            ));
        }
        let limit = convert::page_size(request.page_size)?;
        let after = convert::after(&request.page_token)?;
        let grid_code = match (request.grid_code.trim(), caller.scope.as_deref()) {
            ("", Some(scope)) => scope.to_owned(),
            (code, _) => code.to_owned(),
        };
        let category = match request.category {
            0 => None,
            c => Some(
                convert::category_from(c)
                    .ok_or_else(|| ApiError::invalid("category", "must be a special-care group"))?,
            ),
        };
        let mut audit = AccessRow {
            access_id: Uuid::now_v7(),
            subject: caller.subject.clone(),
            role: caller.role.as_str().to_owned(),
            grid_code: if grid_code.is_empty() {
                "*".into()
            } else {
                grid_code.clone()
            },
            purpose: purpose.to_owned(),
            records: 0,
            granted: false,
            at: self.clock.now(),
        };
        if let Err(refusal) = self.check_care_reader(&caller, &grid_code) {
            // A refused attempt is audited too, in its own transaction.
            let mut conn = self.pool.acquire().await?;
            care::log_access(&mut conn, &audit).await?;
            tracing::warn!(role = %caller.role, "special-care read refused");
            return Err(refusal);
        }
        let grid_ids = self.micro_grids_under(&grid_code)?;
        let mut txn = self.pool.begin().await?;
        let rows = care::page(
            &mut txn,
            grid_ids.as_deref(),
            category.map(|c| c.as_str()),
            &after,
            limit,
        )
        .await?;
        audit.records = rows.len() as i32;
        audit.granted = true;
        care::log_access(&mut txn, &audit).await?;
        txn.commit().await?;
        tracing::info!(records = audit.records, "special-care people read");
        Ok(pb::ListCarePeopleResponse {
            next_page_token: convert::next_token(&rows, limit, |r| r.code.as_str()),
            people: rows.iter().map(convert::care_person).collect(),
        })
    }

    /// Checks the caller's role is granted special-care reads, and that a
    /// scoped caller reads only inside their scope.
    fn check_care_reader(&self, caller: &Caller, grid_code: &str) -> Result<(), ApiError> {
        if !caller.has_role(&self.care_readers) {
            return Err(ApiError::PermissionDenied(format!(
                "the {} role may not read special-care people",
                caller.role
            )));
        }
        let Some(scope) = caller.scope.as_deref() else {
            return if caller.role == Role::WorkstationStaff {
                Err(ApiError::PermissionDenied(
                    "workstation staff need a grid scope in their token".into(),
                ))
            } else {
                Ok(())
            };
        };
        let snapshot = self.index.snapshot();
        let inside = snapshot
            .by_code(grid_code)
            .is_some_and(|g| snapshot.is_within(&g.id, scope));
        if inside {
            Ok(())
        } else {
            Err(ApiError::PermissionDenied(format!(
                "staff of {scope} may read only inside {scope}"
            )))
        }
    }

    pub(super) async fn list_care_access_log(
        &self,
        caller: Caller,
        request: pb::ListCareAccessLogRequest,
    ) -> Result<pb::ListCareAccessLogResponse, ApiError> {
        access::require_town_operator(&caller, "read the special-care audit trail")?;
        let limit = convert::page_size(request.page_size)?;
        let before = match convert::after(&request.page_token)?.as_str() {
            "" => None,
            id => Some(
                id.parse::<Uuid>()
                    .map_err(|_| ApiError::invalid("page_token", "is not from this list"))?,
            ),
        };
        let mut conn = self.pool.acquire().await?;
        let rows = care::access_page(&mut conn, before, limit).await?;
        let ids: Vec<String> = rows.iter().map(|r| r.access_id.to_string()).collect();
        Ok(pb::ListCareAccessLogResponse {
            next_page_token: convert::next_token(&ids, limit, String::as_str),
            entries: rows
                .iter()
                .map(|r| pb::CareAccess {
                    subject: r.subject.clone(),
                    role: r.role.clone(),
                    grid_code: r.grid_code.clone(),
                    purpose: r.purpose.clone(),
                    records: r.records as u32,
                    at: Some(convert::timestamp(r.at)),
                    granted: r.granted,
                })
                .collect(),
        })
    }
}
