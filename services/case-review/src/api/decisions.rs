//! Recommendations and the decision.

use platform::auth::Caller;
use platform::error::{AppError, Violations};
use platform::uow::CallKey;
use proto::review::v1 as pb;

use super::{ReviewApi, id, id_and_reason, required, review_answer, text};
use crate::application::decisions::{self, DecideReview};
use crate::application::recommendations::{self, OpenRecommendation, WithdrawRecommendation};
use crate::convert;
use crate::domain::decision::{CarryOut, DecisionDraft, UNIT_KINDS, Unit};
use crate::domain::ids::{OpinionId, RecommendationId, ReviewId};

impl ReviewApi {
    pub(super) async fn open_recommendation(
        &self,
        caller: Caller,
        request: pb::OpenRecommendationRequest,
    ) -> Result<pb::OpenRecommendationResponse, AppError> {
        let mut violations = Violations::new();
        let review = id(
            &request.review_id,
            "review_id",
            ReviewId::parse,
            &mut violations,
        );
        let text = text(&request.text, "text", 20_000, &mut violations);
        let opinions: Vec<Option<OpinionId>> = request
            .opinion_ids
            .iter()
            .enumerate()
            .map(|(i, o)| {
                id(
                    o,
                    &format!("opinion_ids[{i}]"),
                    OpinionId::parse,
                    &mut violations,
                )
            })
            .collect();
        violations.finish()?;
        let cmd = OpenRecommendation {
            review: review.expect("checked"),
            text,
            opinions: opinions.into_iter().flatten().collect(),
        };
        let key = CallKey::new(&caller, &request.idempotency_key, &request);
        recommendations::open_recommendation(&self.ctx, &caller, key, cmd, |r| {
            pb::OpenRecommendationResponse {
                recommendation: Some(convert::recommendation(r)),
            }
        })
        .await
    }

    pub(super) async fn withdraw_recommendation(
        &self,
        caller: Caller,
        request: pb::WithdrawRecommendationRequest,
    ) -> Result<pb::WithdrawRecommendationResponse, AppError> {
        let (recommendation, reason) = id_and_reason(
            &request.recommendation_id,
            "recommendation_id",
            RecommendationId::parse,
            &request.reason,
        )?;
        let cmd = WithdrawRecommendation {
            recommendation,
            reason,
        };
        let key = CallKey::new(&caller, &request.idempotency_key, &request);
        recommendations::withdraw_recommendation(&self.ctx, &caller, key, cmd, |r| {
            pb::WithdrawRecommendationResponse {
                recommendation: Some(convert::recommendation(r)),
            }
        })
        .await
    }

    pub(super) async fn decide_review(
        &self,
        caller: Caller,
        request: pb::DecideReviewRequest,
    ) -> Result<pb::DecideReviewResponse, AppError> {
        let cmd = decide_command(&request)?;
        let key = CallKey::new(&caller, &request.idempotency_key, &request);
        decisions::decide_review(&self.ctx, &caller, key, cmd, |r| pb::DecideReviewResponse {
            review: review_answer(r),
        })
        .await
    }
}

/// Decodes a decision.
fn decide_command(request: &pb::DecideReviewRequest) -> Result<DecideReview, AppError> {
    let mut violations = Violations::new();
    let review = id(
        &request.review_id,
        "review_id",
        ReviewId::parse,
        &mut violations,
    );
    let outcome = convert::outcome_from(request.outcome);
    violations.check(
        outcome.is_some(),
        "outcome",
        "must be ADOPTED, PARTLY_ADOPTED or NOT_ADOPTED",
    );
    let reasons = text(&request.reasons, "reasons", 5000, &mut violations);
    let carry_out = carry_out(request, &mut violations);
    violations.finish()?;
    Ok(DecideReview {
        review: review.ok_or_else(|| required("review_id"))?,
        draft: DecisionDraft {
            outcome: outcome.ok_or_else(|| required("outcome"))?,
            reasons,
            carry_out,
        },
    })
}

/// Decodes what dispatch is to do: redispatch to the units named, close
/// with the result, or (for a review opened directly) nothing.
fn carry_out(request: &pb::DecideReviewRequest, violations: &mut Violations) -> CarryOut {
    violations.check(
        request.redispatch_to.len() <= 10,
        "redispatch_to",
        "must name at most 10 units",
    );
    let units: Vec<Unit> = request
        .redispatch_to
        .iter()
        .enumerate()
        .map(|(i, u)| {
            violations.check(
                UNIT_KINDS.contains(&u.kind.as_str()),
                format!("redispatch_to[{i}].kind"),
                "must be MICRO_GRID, WORKSTATION, DEPARTMENT, TOWN_CENTRE or LEADER",
            );
            Unit {
                kind: u.kind.clone(),
                code: text(&u.code, &format!("redispatch_to[{i}].code"), 40, violations),
                name: u.name.trim().to_owned(),
            }
        })
        .collect();
    let close = request.close_result.trim();
    violations.check(
        units.is_empty() || close.is_empty(),
        "close_result",
        "must be empty when the ticket is redispatched",
    );
    violations.check(
        close.chars().count() <= 2000,
        "close_result",
        "must be at most 2000 characters",
    );
    match (units.is_empty(), close.is_empty()) {
        (false, _) => CarryOut::Redispatch(units),
        (true, false) => CarryOut::Close(close.to_owned()),
        (true, true) => CarryOut::Nothing,
    }
}
