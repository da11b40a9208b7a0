//! Residents and households.

use platform::auth::Caller;
use platform::error::FieldViolation;
use platform::idempotency::{self, IdempotencyKey};
use proto::points::v1 as pb;
use uuid::Uuid;

use super::{ApiError, PointsApi, convert, operator_of, parse_id, resident_for, serves_village};
use crate::repository::ledger;
use crate::repository::residents::{self, Lookup, ResidentRow};

/// Letters and digits that cannot be misread on paper (no 0/O, 1/I/L).
const CODE_ALPHABET: &[u8; 31] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";

/// Returns random characters from [`CODE_ALPHABET`], drawn from the
/// operating system's random source (a UUIDv4's bytes).
pub(crate) fn random_chars(n: usize) -> String {
    let mut out = String::with_capacity(n);
    while out.len() < n {
        for b in Uuid::new_v4().as_bytes() {
            // 248 = 8 × 31: no byte value favours a character.
            if *b < 248 && out.len() < n {
                out.push(CODE_ALPHABET[usize::from(b % 31)] as char);
            }
        }
    }
    out
}

/// Returns a new printable resident code, e.g. `R-7K3M-Q9XD`.
fn printable_code() -> String {
    let chars = random_chars(8);
    format!("R-{}-{}", &chars[..4], &chars[4..])
}

/// Checks a village or residential grid code.
pub(super) fn check_village(village: &str, field: &str, out: &mut Vec<FieldViolation>) {
    if village.len() < 2
        || village.len() > 32
        || !village
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-')
    {
        out.push(FieldViolation::new(
            field,
            "must be a grid code: 2–32 capital letters, digits and dashes",
        ));
    }
}

fn is_mobile(phone: &str) -> bool {
    phone.len() == 11 && phone.starts_with('1') && phone.chars().all(|c| c.is_ascii_digit())
}

impl PointsApi {
    #[tracing::instrument(skip_all)]
    pub(super) async fn register_resident(
        &self,
        caller: Caller,
        request: pb::RegisterResidentRequest,
    ) -> Result<pb::RegisterResidentResponse, ApiError> {
        let openid = request.openid.trim().to_owned();
        let name = request.name.trim().to_owned();
        let phone = request.phone.trim().to_owned();
        let village = request.village_code.trim().to_owned();
        let mut violations = Vec::new();
        match (openid.is_empty(), request.at_workstation) {
            (true, false) => violations.push(FieldViolation::new(
                "openid",
                "is required unless at_workstation is set",
            )),
            (false, true) => violations.push(FieldViolation::new(
                "openid",
                "must be empty for a resident served at the workstation",
            )),
            _ if openid.len() > 128 => violations.push(FieldViolation::new(
                "openid",
                "must be at most 128 characters",
            )),
            _ => {}
        }
        if name.is_empty() || name.chars().count() > 50 {
            violations.push(FieldViolation::new("name", "must be 1–50 characters"));
        }
        if !is_mobile(&phone) {
            violations.push(FieldViolation::new(
                "phone",
                "must be an 11-digit mobile number starting with 1",
            ));
        }
        check_village(&village, "village_code", &mut violations);
        let household = match request.household_id.trim() {
            "" => None,
            id => match id.parse::<Uuid>() {
                Ok(id) => Some(id),
                Err(_) => {
                    violations.push(FieldViolation::new("household_id", "must be a UUID"));
                    None
                }
            },
        };
        if !violations.is_empty() {
            return Err(ApiError::InvalidArgument(violations));
        }
        if !serves_village(&caller, &village) {
            return Err(ApiError::PermissionDenied(format!(
                "residents of {village} are registered by its workstation or the town"
            )));
        }
        let mut txn = self.pool.begin().await?;
        let key = IdempotencyKey::new(
            &caller.subject,
            "RegisterResident",
            &request.idempotency_key,
            &request,
        );
        if let Some(saved) = idempotency::replay(&mut txn, &key).await? {
            return Ok(saved);
        }
        if !openid.is_empty()
            && let Some(existing) = residents::find(&mut txn, Lookup::OpenId(&openid)).await?
        {
            // The mini-program registers on every first login: the same
            // identity is the same resident, to whoever may act for them.
            if !super::acts_for(&caller, &existing) {
                return Err(ApiError::FailedPrecondition(
                    "this openid is registered in another village".into(),
                ));
            }
            return Ok(pb::RegisterResidentResponse {
                resident: Some(convert::resident(&existing)),
            });
        }
        if let Some(household) = household {
            match residents::household_village(&mut txn, household).await? {
                None => return Err(ApiError::NotFound(format!("household {household}"))),
                Some(v) if v != village => {
                    return Err(ApiError::invalid(
                        "household_id",
                        format!("is a household of {v}, not of {village}"),
                    ));
                }
                Some(_) => {}
            }
        }
        let id = Uuid::now_v7();
        let row = ResidentRow {
            resident_id: id,
            openid: Some(openid).filter(|o| !o.is_empty()),
            code: request.at_workstation.then(printable_code),
            name,
            phone,
            village_code: village.clone(),
            household_id: household,
            active: true,
            registered_at: self.clock.now(),
            operator: operator_of(&caller),
        };
        ledger::open(&mut txn, id, "RESIDENT").await?;
        residents::insert(&mut txn, &row).await?;
        let response = pb::RegisterResidentResponse {
            resident: Some(convert::resident(&row)),
        };
        idempotency::finish(&mut txn, &key, &response).await?;
        txn.commit().await?;
        tracing::info!(resident = %id, village = %village, "resident registered");
        Ok(response)
    }

    pub(super) async fn get_resident(
        &self,
        caller: Caller,
        request: pb::GetResidentRequest,
    ) -> Result<pb::GetResidentResponse, ApiError> {
        let mut conn = self.pool.acquire().await?;
        let id;
        let lookup = match (
            request.id.trim(),
            request.openid.trim(),
            request.code.trim(),
        ) {
            (i, "", "") if !i.is_empty() => {
                id = parse_id(i, "id")?;
                Lookup::Id(id)
            }
            ("", o, "") if !o.is_empty() => Lookup::OpenId(o),
            ("", "", c) if !c.is_empty() => Lookup::Code(c),
            _ => {
                return Err(ApiError::invalid(
                    "id",
                    "exactly one of id, openid and code is required",
                ));
            }
        };
        let resident = residents::find(&mut conn, lookup)
            .await?
            .filter(|r| super::acts_for(&caller, r))
            .ok_or_else(|| ApiError::NotFound("resident".into()))?;
        Ok(pb::GetResidentResponse {
            resident: Some(convert::resident(&resident)),
        })
    }

    pub(super) async fn deactivate_resident(
        &self,
        caller: Caller,
        request: pb::DeactivateResidentRequest,
    ) -> Result<pb::DeactivateResidentResponse, ApiError> {
        if request.reason.trim().is_empty() {
            return Err(ApiError::invalid("reason", "is required to deactivate"));
        }
        let mut txn = self.pool.begin().await?;
        let mut resident = resident_for(&mut txn, &caller, &request.resident_id).await?;

        if resident.active {
            residents::deactivate(
                &mut txn,
                resident.resident_id,
                request.reason.trim(),
                self.clock.now(),
            )
            .await?;
            resident.active = false;
        }
        txn.commit().await?;
        Ok(pb::DeactivateResidentResponse {
            resident: Some(convert::resident(&resident)),
        })
    }

    pub(super) async fn create_household(
        &self,
        caller: Caller,
        request: pb::CreateHouseholdRequest,
    ) -> Result<pb::CreateHouseholdResponse, ApiError> {
        let village = request.village_code.trim();
        let label = request.label.trim();
        let mut violations = Vec::new();
        check_village(village, "village_code", &mut violations);
        if label.is_empty() || label.chars().count() > 100 {
            violations.push(FieldViolation::new("label", "must be 1–100 characters"));
        }
        if !violations.is_empty() {
            return Err(ApiError::InvalidArgument(violations));
        }
        if !serves_village(&caller, village) {
            return Err(ApiError::PermissionDenied(format!(
                "households of {village} are created by its workstation or the town"
            )));
        }
        let mut txn = self.pool.begin().await?;
        let key = IdempotencyKey::new(
            &caller.subject,
            "CreateHousehold",
            &request.idempotency_key,
            &request,
        );
        if let Some(saved) = idempotency::replay(&mut txn, &key).await? {
            return Ok(saved);
        }
        let id = Uuid::now_v7();
        ledger::open(&mut txn, id, "HOUSEHOLD").await?;
        residents::insert_household(&mut txn, id, village, label, self.clock.now()).await?;
        let response = pb::CreateHouseholdResponse {
            household_id: id.to_string(),
        };
        idempotency::finish(&mut txn, &key, &response).await?;
        txn.commit().await?;
        Ok(response)
    }
}
