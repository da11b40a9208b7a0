//! The tonic implementation of `weigrid.points.v1.PointsService`.

mod catalog;
pub mod convert;
mod error;
mod ledger;
mod reports;
mod residents;

use chrono::FixedOffset;
use platform::auth::{Caller, Role};
use platform::clock::SharedClock;
use platform::outbox::RelayWaker;
use proto::points::v1 as pb;
use proto::points::v1::points_service_server::PointsService;
use sqlx::PgPool;
use uuid::Uuid;

pub use error::ApiError;

use crate::config::{CapsConfig, Duplicates, Expiry};
use crate::repository::residents::{Lookup, ResidentRow};

/// The configured rules.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    pub caps: CapsConfig,
    pub duplicates: Duplicates,
    pub expiry: Expiry,
    /// The town's time zone: days, months and year ends.
    pub offset: FixedOffset,
}

/// The points gRPC service.
#[derive(Clone)]
pub struct PointsApi {
    pool: PgPool,
    clock: SharedClock,
    waker: RelayWaker,
    policy: Policy,
}

impl PointsApi {
    /// Returns the service.
    pub fn new(pool: PgPool, clock: SharedClock, waker: RelayWaker, policy: Policy) -> Self {
        Self {
            pool,
            clock,
            waker,
            policy,
        }
    }
}

/// Returns whether `caller` acts for residents of `village`: the town and
/// services for all; a workstation's staff for their own village.
fn serves_village(caller: &Caller, village: &str) -> bool {
    match caller.role {
        Role::TownOperator | Role::Service => true,
        Role::WorkstationStaff => caller
            .scope
            .as_deref()
            .is_some_and(|scope| village == scope || village.starts_with(&format!("{scope}-"))),
        _ => false,
    }
}

/// Returns whether `caller` may act for `resident`: the resident
/// themselves (their token's subject is their id), or who serves their
/// village.
fn acts_for(caller: &Caller, resident: &ResidentRow) -> bool {
    (caller.role == Role::Resident && caller.subject == resident.resident_id.to_string())
        || serves_village(caller, &resident.village_code)
}

/// Returns the operator to record: staff acting for a resident, or `None`
/// when the resident acts (directly or through the mini-program).
fn operator_of(caller: &Caller) -> Option<String> {
    matches!(caller.role, Role::TownOperator | Role::WorkstationStaff)
        .then(|| caller.subject.clone())
}

fn require_town(caller: &Caller, what: &str) -> Result<(), ApiError> {
    if matches!(caller.role, Role::TownOperator | Role::Service) {
        Ok(())
    } else {
        Err(ApiError::PermissionDenied(format!(
            "only the town may {what}"
        )))
    }
}

fn parse_id(id: &str, field: &str) -> Result<Uuid, ApiError> {
    id.trim()
        .parse()
        .map_err(|_| ApiError::invalid(field, "must be a UUID"))
}

/// Loads the resident `id` names, refusing callers who may not act for
/// them (as not found: a resident's existence is not disclosed).
async fn resident_for(
    conn: &mut sqlx::PgConnection,
    caller: &Caller,
    id: &str,
) -> Result<ResidentRow, ApiError> {
    let id = parse_id(id, "resident_id")?;
    crate::repository::residents::find(conn, Lookup::Id(id))
        .await?
        .filter(|r| acts_for(caller, r))
        .ok_or_else(|| ApiError::NotFound(format!("resident {id}")))
}

/// Refuses new reports and orders of a deactivated resident.
fn require_active(resident: &ResidentRow) -> Result<(), ApiError> {
    if resident.active {
        Ok(())
    } else {
        Err(ApiError::FailedPrecondition(format!(
            "resident {} is deactivated",
            resident.resident_id
        )))
    }
}

platform::delegate_rpcs! {
    PointsService for PointsApi {
        register_resident: pb::RegisterResidentRequest => pb::RegisterResidentResponse;
        get_resident: pb::GetResidentRequest => pb::GetResidentResponse;
        deactivate_resident: pb::DeactivateResidentRequest => pb::DeactivateResidentResponse;
        create_household: pb::CreateHouseholdRequest => pb::CreateHouseholdResponse;
        submit_report: pb::SubmitReportRequest => pb::SubmitReportResponse;
        get_report: pb::GetReportRequest => pb::GetReportResponse;
        list_reports: pb::ListReportsRequest => pb::ListReportsResponse;
        get_balance: pb::GetBalanceRequest => pb::GetBalanceResponse;
        get_statement: pb::GetStatementRequest => pb::GetStatementResponse;
        adjust_points: pb::AdjustPointsRequest => pb::AdjustPointsResponse;
        put_catalog_item: pb::PutCatalogItemRequest => pb::PutCatalogItemResponse;
        list_catalog: pb::ListCatalogRequest => pb::ListCatalogResponse;
        redeem: pb::RedeemRequest => pb::RedeemResponse;
        fulfil_order: pb::FulfilOrderRequest => pb::FulfilOrderResponse;
        cancel_order: pb::CancelOrderRequest => pb::CancelOrderResponse;
                get_leaderboard: pb::GetLeaderboardRequest => pb::GetLeaderboardResponse;
        list_award_rules: pb::ListAwardRulesRequest => pb::ListAwardRulesResponse;
        put_award_rule: pb::PutAwardRuleRequest => pb::PutAwardRuleResponse;
        expire_points: pb::ExpirePointsRequest => pb::ExpirePointsResponse;
    }
}
