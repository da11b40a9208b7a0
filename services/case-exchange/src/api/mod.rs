//! The tonic implementations: `weigrid.exchange.v1.ExchangeService` (the
//! local API, behind the platform's layer and bearer tokens) and
//! `PeerService` (the peer port, by mutual TLS). Each handler decodes the
//! request into a command (bad input is INVALID_ARGUMENT naming the field,
//! before any database work), builds the call's idempotency key, calls one
//! use case and encodes its answer.

mod alliance;
mod cases;
mod evidence;
mod joint;
pub mod peer;

use platform::error::{AppError, Violations};
use proto::exchange::v1 as pb;
use proto::exchange::v1::exchange_service_server::ExchangeService;

use crate::application::Context;
use crate::domain::ids::SharedCaseId;
use crate::domain::node::NodeId;

/// The local gRPC service.
#[derive(Clone)]
pub struct ExchangeApi {
    ctx: Context,
}

impl ExchangeApi {
    /// Returns the service over `ctx`.
    pub fn new(ctx: Context) -> Self {
        Self { ctx }
    }
}

/// Parses the shared case id in `field`.
fn shared_id(text: &str, field: &str) -> Result<SharedCaseId, AppError> {
    SharedCaseId::parse(text).ok_or_else(|| AppError::invalid(field, "must be a UUID"))
}

/// Parses an optional node id in `field`.
fn optional_node(text: &str, field: &str, v: &mut Violations) -> Option<NodeId> {
    if text.trim().is_empty() {
        return None;
    }
    let node = NodeId::parse(text);
    v.check(
        node.is_some(),
        field,
        "must be province/county/town/service",
    );
    node
}

/// Returns a page size: 50 by default, at most 500.
fn page_size(requested: u32) -> u32 {
    match requested {
        0 => 50,
        n => n.min(500),
    }
}

platform::delegate_rpcs! {
    ExchangeService for ExchangeApi {
        list_peers: pb::ListPeersRequest => pb::ListPeersResponse;
        report_case: pb::ReportCaseRequest => pb::ReportCaseResponse;
        get_case: pb::GetCaseRequest => pb::GetCaseResponse;
        list_cases: pb::ListCasesRequest => pb::ListCasesResponse;
        accept_case: pb::AcceptCaseRequest => pb::AcceptCaseResponse;
        reject_case: pb::RejectCaseRequest => pb::RejectCaseResponse;
        schedule_mediation: pb::ScheduleMediationRequest => pb::ScheduleMediationResponse;
        record_mediation_outcome: pb::RecordMediationOutcomeRequest => pb::RecordMediationOutcomeResponse;
        close_case: pb::CloseCaseRequest => pb::CloseCaseResponse;
        list_messages: pb::ListMessagesRequest => pb::ListMessagesResponse;
        verify_log: pb::VerifyLogRequest => pb::VerifyLogResponse;
        list_deliveries: pb::ListDeliveriesRequest => pb::ListDeliveriesResponse;
        list_refusals: pb::ListRefusalsRequest => pb::ListRefusalsResponse;
        request_check: pb::RequestCheckRequest => pb::RequestCheckResponse;
        get_check: pb::GetCheckRequest => pb::GetCheckResponse;
        list_checks: pb::ListChecksRequest => pb::ListChecksResponse;
        put_risk: pb::PutRiskRequest => pb::PutRiskResponse;
        list_risks: pb::ListRisksRequest => pb::ListRisksResponse;
        issue_alert: pb::IssueAlertRequest => pb::IssueAlertResponse;
        list_alerts: pb::ListAlertsRequest => pb::ListAlertsResponse;
        add_member: pb::AddMemberRequest => pb::AddMemberResponse;
        list_members: pb::ListMembersRequest => pb::ListMembersResponse;
        acknowledge_alert: pb::AcknowledgeAlertRequest => pb::AcknowledgeAlertResponse;
        list_alert_acks: pb::ListAlertAcksRequest => pb::ListAlertAcksResponse;
    }
}
