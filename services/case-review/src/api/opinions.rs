//! Opinions.

use platform::auth::Caller;
use platform::error::{AppError, Violations};
use platform::uow::CallKey;
use proto::review::v1 as pb;

use super::{ReviewApi, id, id_and_reason};
use crate::application::opinions::{self, ReturnOpinion, SubmitOpinion};
use crate::convert;
use crate::domain::ids::{ExpertId, OpinionId, ReviewId};
use crate::domain::opinion::OpinionText;
use crate::domain::review::Submission;

impl ReviewApi {
    pub(super) async fn submit_opinion(
        &self,
        caller: Caller,
        request: pb::SubmitOpinionRequest,
    ) -> Result<pb::SubmitOpinionResponse, AppError> {
        let mut violations = Violations::new();
        let review = id(
            &request.review_id,
            "review_id",
            ReviewId::parse,
            &mut violations,
        );
        let expert = id(
            &request.expert_id,
            "expert_id",
            ExpertId::parse,
            &mut violations,
        );
        violations.check(request.version >= 1, "version", "must be 1 or more");
        let risk = convert::risk_from(request.risk);
        violations.check(risk.is_some(), "risk", "must be LOW, MEDIUM or HIGH");
        // The texts are signed as sent: they are checked, never trimmed.
        violations.check(
            !request.reasoning.trim().is_empty() && request.reasoning.chars().count() <= 20_000,
            "reasoning",
            "must be 1–20000 characters",
        );
        violations.check(
            !request.recommendation.trim().is_empty()
                && request.recommendation.chars().count() <= 5_000,
            "recommendation",
            "must be 1–5000 characters",
        );
        violations.check(
            request.signature.len() == 64,
            "signature",
            "must be a 64-byte ed25519 signature",
        );
        violations.finish()?;
        let cmd = SubmitOpinion {
            review: review.expect("checked"),
            submission: Submission {
                expert: expert.expect("checked"),
                version: request.version,
                text: OpinionText {
                    risk: risk.expect("checked"),
                    reasoning: request.reasoning.clone(),
                    recommendation: request.recommendation.clone(),
                },
                signature: request.signature.clone(),
            },
        };
        let key = CallKey::new(&caller, &request.idempotency_key, &request);
        opinions::submit_opinion(&self.ctx, &caller, key, cmd, |o| {
            pb::SubmitOpinionResponse {
                opinion: Some(convert::opinion(o)),
            }
        })
        .await
    }

    pub(super) async fn return_opinion(
        &self,
        caller: Caller,
        request: pb::ReturnOpinionRequest,
    ) -> Result<pb::ReturnOpinionResponse, AppError> {
        let (opinion, reason) = id_and_reason(
            &request.opinion_id,
            "opinion_id",
            OpinionId::parse,
            &request.reason,
        )?;
        let cmd = ReturnOpinion { opinion, reason };
        let key = CallKey::new(&caller, &request.idempotency_key, &request);
        opinions::return_opinion(&self.ctx, &caller, key, cmd, |o| {
            pb::ReturnOpinionResponse {
                opinion: Some(convert::opinion(o)),
            }
        })
        .await
    }
}
