//! Residents and households.

use platform::auth::Caller;
use platform::error::{AppError, Violations};
use platform::uow::CallKey;
use proto::points::v1 as pb;

use super::{PointsApi, check_village, parse_id};
use crate::application::residents::{self, Lookup};
use crate::convert;
use crate::domain::ids::{HouseholdId, ResidentId};
use crate::domain::resident::Registration;

impl PointsApi {
    #[tracing::instrument(skip_all)]
    pub(super) async fn register_resident(
        &self,
        caller: Caller,
        request: pb::RegisterResidentRequest,
    ) -> Result<pb::RegisterResidentResponse, AppError> {
        let registration = registration(&request)?;
        let key = CallKey::new(&caller, &request.idempotency_key, &request);
        residents::register(&self.ctx, &caller, key, registration, |r| {
            pb::RegisterResidentResponse {
                resident: Some(convert::resident(r)),
            }
        })
        .await
    }

    pub(super) async fn get_resident(
        &self,
        caller: Caller,
        request: pb::GetResidentRequest,
    ) -> Result<pb::GetResidentResponse, AppError> {
        let lookup = match (
            request.id.trim(),
            request.openid.trim(),
            request.code.trim(),
        ) {
            (i, "", "") if !i.is_empty() => Lookup::Id(parse_id(i, "id", ResidentId::parse)?),
            ("", o, "") if !o.is_empty() => Lookup::OpenId(o),
            ("", "", c) if !c.is_empty() => Lookup::Code(c),
            _ => {
                return Err(AppError::invalid(
                    "id",
                    "exactly one of id, openid and code is required",
                ));
            }
        };
        let resident = residents::get(&self.ctx, &caller, lookup).await?;
        Ok(pb::GetResidentResponse {
            resident: Some(convert::resident(&resident)),
        })
    }

    pub(super) async fn deactivate_resident(
        &self,
        caller: Caller,
        request: pb::DeactivateResidentRequest,
    ) -> Result<pb::DeactivateResidentResponse, AppError> {
        let reason = request.reason.trim();
        if reason.is_empty() {
            return Err(AppError::invalid("reason", "is required to deactivate"));
        }
        let id = parse_id(&request.resident_id, "resident_id", ResidentId::parse)?;
        let key = CallKey::new(&caller, &request.idempotency_key, &request);
        residents::deactivate(&self.ctx, &caller, key, id, reason, |r| {
            pb::DeactivateResidentResponse {
                resident: Some(convert::resident(r)),
            }
        })
        .await
    }

    pub(super) async fn create_household(
        &self,
        caller: Caller,
        request: pb::CreateHouseholdRequest,
    ) -> Result<pb::CreateHouseholdResponse, AppError> {
        let village = request.village_code.trim();
        let label = request.label.trim();
        let mut violations = Violations::new();
        check_village(village, "village_code", &mut violations);
        violations.check(
            !label.is_empty() && label.chars().count() <= 100,
            "label",
            "must be 1–100 characters",
        );
        violations.finish()?;
        let key = CallKey::new(&caller, &request.idempotency_key, &request);
        residents::create_household(&self.ctx, &caller, key, village, label, |h| {
            pb::CreateHouseholdResponse {
                household_id: h.id.to_string(),
            }
        })
        .await
    }
}

fn is_mobile(phone: &str) -> bool {
    phone.len() == 11 && phone.starts_with('1') && phone.chars().all(|c| c.is_ascii_digit())
}

/// Decodes a registration: bound to an openid, or served at the
/// workstation (then without one).
fn registration(request: &pb::RegisterResidentRequest) -> Result<Registration, AppError> {
    let openid = request.openid.trim();
    let name = request.name.trim();
    let phone = request.phone.trim();
    let village = request.village_code.trim();
    let mut violations = Violations::new();
    match (openid.is_empty(), request.at_workstation) {
        (true, false) => violations.add("openid", "is required unless at_workstation is set"),
        (false, true) => violations.add(
            "openid",
            "must be empty for a resident served at the workstation",
        ),
        _ if openid.len() > 128 => violations.add("openid", "must be at most 128 characters"),
        _ => {}
    }
    violations.check(
        !name.is_empty() && name.chars().count() <= 50,
        "name",
        "must be 1–50 characters",
    );
    violations.check(
        is_mobile(phone),
        "phone",
        "must be an 11-digit mobile number starting with 1",
    );
    check_village(village, "village_code", &mut violations);
    let household = match request.household_id.trim() {
        "" => None,
        id => {
            let household = HouseholdId::parse(id);
            violations.check(household.is_some(), "household_id", "must be a UUID");
            household
        }
    };
    violations.finish()?;
    Ok(Registration {
        openid: Some(openid.to_owned()).filter(|o| !o.is_empty()),
        name: name.to_owned(),
        phone: phone.to_owned(),
        village_code: village.to_owned(),
        household,
    })
}
