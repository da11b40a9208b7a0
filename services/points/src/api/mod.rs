//! The tonic implementation of `weigrid.points.v1.PointsService`. Each
//! handler decodes the request into a command (bad input is
//! INVALID_ARGUMENT naming the field, before any database work), builds the
//! call's idempotency key, calls one use case and encodes its answer.

mod catalog;
mod ledger;
mod reports;
mod residents;
mod rules;

use platform::error::{AppError, Violations};
use proto::points::v1 as pb;
use proto::points::v1::points_service_server::PointsService;

use crate::application::Context;

/// The points gRPC service.
#[derive(Clone)]
pub struct PointsApi {
    ctx: Context,
}

impl PointsApi {
    /// Returns the service over `ctx`.
    pub fn new(ctx: Context) -> Self {
        Self { ctx }
    }
}

/// Parses the id in `field`.
fn parse_id<T>(id: &str, field: &str, parse: impl Fn(&str) -> Option<T>) -> Result<T, AppError> {
    parse(id).ok_or_else(|| AppError::invalid(field, "must be a UUID"))
}

/// Returns whether `code` is a village or residential grid code.
fn is_village_code(code: &str) -> bool {
    (2..=32).contains(&code.len())
        && code
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-')
}

/// Checks a village or residential grid code.
fn check_village(village: &str, field: &str, violations: &mut Violations) {
    violations.check(
        is_village_code(village),
        field,
        "must be a grid code: 2–32 capital letters, digits and dashes",
    );
}

platform::delegate_rpcs! {
    PointsService for PointsApi {
        register_resident: pb::RegisterResidentRequest => pb::RegisterResidentResponse;
        get_resident: pb::GetResidentRequest => pb::GetResidentResponse;
        deactivate_resident: pb::DeactivateResidentRequest => pb::DeactivateResidentResponse;
        create_household: pb::CreateHouseholdRequest => pb::CreateHouseholdResponse;
        submit_report: pb::SubmitReportRequest => pb::SubmitReportResponse;
        get_report: pb::GetReportRequest => pb::GetReportResponse;
        get_reporter_contact: pb::GetReporterContactRequest => pb::GetReporterContactResponse;
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
