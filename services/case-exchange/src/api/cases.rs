//! Joint cases: report, moves, mediation, queries.

use platform::auth::Caller;
use platform::error::{AppError, Violations};
use platform::time::from_timestamp;
use platform::uow::CallKey;
use proto::exchange::v1 as pb;

use super::{ExchangeApi, optional_node, page_size, shared_id};
use crate::application::cases::{self, MoveCase, RecordOutcome, ReportCase, ScheduleMediation};
use crate::convert;
use crate::domain::case::{CaseState, Party};
use crate::domain::node::NodeId;

/// The longest title, description, reason or agreement text, in characters.
const MAX_TEXT: usize = 4000;

fn check_text(v: &mut Violations, field: &str, text: &str, required: bool) {
    if required {
        v.check(!text.trim().is_empty(), field, "must not be empty");
    }
    v.check(
        text.chars().count() <= MAX_TEXT,
        field,
        format!("must be at most {MAX_TEXT} characters"),
    );
}

fn check_parties(v: &mut Violations, field: &str, parties: &[pb::Party]) {
    for (n, p) in parties.iter().enumerate() {
        check_text(v, &format!("{field}[{n}].name"), &p.name, true);
        v.check(
            p.name.chars().count() <= 64,
            format!("{field}[{n}].name"),
            "must be at most 64 characters",
        );
    }
}

fn parties(parties: Vec<pb::Party>) -> Vec<Party> {
    parties.into_iter().map(convert::party_of).collect()
}

impl ExchangeApi {
    pub(super) async fn list_peers(
        &self,
        _caller: Caller,
        _request: pb::ListPeersRequest,
    ) -> Result<pb::ListPeersResponse, AppError> {
        let identity = &self.ctx.identity;
        Ok(pb::ListPeersResponse {
            node: identity.node.to_string(),
            signing_key: crate::pki::public_key_text(&identity.key.verifying_key()),
            peers: identity
                .peers
                .iter()
                .map(|p| pb::Peer {
                    node: p.node.to_string(),
                    endpoint: p.endpoint.clone(),
                    tls_name: p.tls_name.clone(),
                    signing_key: crate::pki::public_key_text(&p.verifying_key),
                })
                .collect(),
        })
    }

    #[tracing::instrument(skip_all, fields(peer = %request.peer_node))]
    pub(super) async fn report_case(
        &self,
        caller: Caller,
        request: pb::ReportCaseRequest,
    ) -> Result<pb::ReportCaseResponse, AppError> {
        let mut v = Violations::new();
        let peer = NodeId::parse(&request.peer_node);
        v.check(
            peer.is_some(),
            "peer_node",
            "must be province/county/town/service",
        );
        check_text(&mut v, "case_number", &request.case_number, true);
        let summary = request.summary.clone().unwrap_or_default();
        check_text(&mut v, "summary.title", &summary.title, true);
        check_text(&mut v, "summary.description", &summary.description, false);
        v.check(
            !summary.category_code.trim().is_empty(),
            "summary.category_code",
            "must name a dispatch category",
        );
        v.check(
            summary.claimed_amount_fen >= 0,
            "summary.claimed_amount_fen",
            "must not be negative",
        );
        check_parties(&mut v, "summary.parties", &summary.parties);
        let status = convert::status_of(request.status());
        v.check(
            status.is_some(),
            "status",
            "must be ACTUAL, EXERCISE or TEST",
        );
        v.finish()?;
        let (Some(peer), Some(status)) = (peer, status) else {
            unreachable!("checked above")
        };
        let key = CallKey::new(&caller, &request.idempotency_key, &request);
        let cmd = ReportCase {
            peer,
            case_number: request.case_number.trim().to_owned(),
            summary: convert::summary_of(summary),
            status,
        };
        cases::report_case(&self.ctx, &caller, key, cmd, |c| pb::ReportCaseResponse {
            case: Some(convert::case(c)),
        })
        .await
    }

    #[tracing::instrument(skip_all, fields(shared_id = %request.shared_id))]
    pub(super) async fn get_case(
        &self,
        caller: Caller,
        request: pb::GetCaseRequest,
    ) -> Result<pb::GetCaseResponse, AppError> {
        let id = shared_id(&request.shared_id, "shared_id")?;
        let case = cases::get_case(&self.ctx, &caller, id).await?;
        Ok(pb::GetCaseResponse {
            case: Some(convert::case(&case)),
        })
    }

    pub(super) async fn list_cases(
        &self,
        _caller: Caller,
        request: pb::ListCasesRequest,
    ) -> Result<pb::ListCasesResponse, AppError> {
        let mut v = Violations::new();
        let peer = optional_node(&request.peer_node, "peer_node", &mut v);
        let states: Vec<Option<CaseState>> = request.states().map(convert::case_state_of).collect();
        v.check(
            states.iter().all(Option::is_some),
            "states",
            "must not be UNSPECIFIED",
        );
        v.finish()?;
        let states: Vec<CaseState> = states.into_iter().flatten().collect();
        let found =
            cases::list_cases(&self.ctx, peer, &states, page_size(request.page_size)).await?;
        Ok(pb::ListCasesResponse {
            cases: found.iter().map(convert::case).collect(),
        })
    }

    /// Moves the case `id` to `to`, with a `reason` (required when
    /// `reason_required`).
    async fn move_to(
        &self,
        caller: Caller,
        key: CallKey,
        id: &str,
        to: CaseState,
        (reason, reason_required): (&str, bool),
    ) -> Result<pb::JointCase, AppError> {
        let mut v = Violations::new();
        check_text(&mut v, "reason", reason, reason_required);
        v.finish()?;
        let cmd = MoveCase {
            shared_id: shared_id(id, "shared_id")?,
            to,
            reason: reason.trim().to_owned(),
        };
        cases::move_case(&self.ctx, &caller, key, cmd, |c| pb::GetCaseResponse {
            case: Some(convert::case(c)),
        })
        .await
        .map(|answer| answer.case.unwrap_or_default())
    }

    pub(super) async fn accept_case(
        &self,
        caller: Caller,
        request: pb::AcceptCaseRequest,
    ) -> Result<pb::AcceptCaseResponse, AppError> {
        let key = CallKey::new(&caller, &request.idempotency_key, &request);
        let case = self
            .move_to(
                caller,
                key,
                &request.shared_id,
                CaseState::Accepted,
                ("", false),
            )
            .await?;
        Ok(pb::AcceptCaseResponse { case: Some(case) })
    }

    pub(super) async fn reject_case(
        &self,
        caller: Caller,
        request: pb::RejectCaseRequest,
    ) -> Result<pb::RejectCaseResponse, AppError> {
        let key = CallKey::new(&caller, &request.idempotency_key, &request);
        let reason = (request.reason.as_str(), true);
        let case = self
            .move_to(caller, key, &request.shared_id, CaseState::Rejected, reason)
            .await?;
        Ok(pb::RejectCaseResponse { case: Some(case) })
    }

    pub(super) async fn close_case(
        &self,
        caller: Caller,
        request: pb::CloseCaseRequest,
    ) -> Result<pb::CloseCaseResponse, AppError> {
        let key = CallKey::new(&caller, &request.idempotency_key, &request);
        let reason = (request.reason.as_str(), false);
        let case = self
            .move_to(caller, key, &request.shared_id, CaseState::Closed, reason)
            .await?;
        Ok(pb::CloseCaseResponse { case: Some(case) })
    }

    pub(super) async fn schedule_mediation(
        &self,
        caller: Caller,
        request: pb::ScheduleMediationRequest,
    ) -> Result<pb::ScheduleMediationResponse, AppError> {
        let mut v = Violations::new();
        let id = shared_id(&request.shared_id, "shared_id");
        v.check(id.is_ok(), "shared_id", "must be a UUID");
        let at = request.scheduled_at.as_ref().and_then(from_timestamp);
        v.check(at.is_some(), "scheduled_at", "must be a time");
        check_text(&mut v, "place", &request.place, true);
        v.check(
            !request.mediators.is_empty(),
            "mediators",
            "must name at least one mediator",
        );
        check_parties(&mut v, "mediators", &request.mediators);
        check_parties(&mut v, "parties", &request.parties);
        v.finish()?;
        let key = CallKey::new(&caller, &request.idempotency_key, &request);
        let cmd = ScheduleMediation {
            shared_id: id?,
            scheduled_at: at.unwrap_or_default(),
            place: request.place.trim().to_owned(),
            mediators: parties(request.mediators),
            parties: parties(request.parties),
        };
        cases::schedule_mediation(&self.ctx, &caller, key, cmd, |c| {
            pb::ScheduleMediationResponse {
                case: Some(convert::case(c)),
            }
        })
        .await
    }

    pub(super) async fn record_mediation_outcome(
        &self,
        caller: Caller,
        request: pb::RecordMediationOutcomeRequest,
    ) -> Result<pb::RecordMediationOutcomeResponse, AppError> {
        let mut v = Violations::new();
        let id = shared_id(&request.shared_id, "shared_id");
        v.check(id.is_ok(), "shared_id", "must be a UUID");
        check_text(
            &mut v,
            "agreement_text",
            &request.agreement_text,
            request.agreed,
        );
        v.check(
            request.agreed_amount_fen >= 0,
            "agreed_amount_fen",
            "must not be negative",
        );
        for (n, o) in request.obligations.iter().enumerate() {
            check_text(&mut v, &format!("obligations[{n}].duty"), &o.duty, true);
            v.check(
                o.amount_fen >= 0,
                format!("obligations[{n}].amount_fen"),
                "must not be negative",
            );
        }
        v.finish()?;
        let key = CallKey::new(&caller, &request.idempotency_key, &request);
        let cmd = RecordOutcome {
            shared_id: id?,
            agreed: request.agreed,
            agreement_text: request.agreement_text.trim().to_owned(),
            agreed_amount_fen: request.agreed_amount_fen,
            obligations: request
                .obligations
                .into_iter()
                .map(convert::obligation_of)
                .collect(),
        };
        cases::record_outcome(&self.ctx, &caller, key, cmd, |c| {
            pb::RecordMediationOutcomeResponse {
                case: Some(convert::case(c)),
            }
        })
        .await
    }
}
