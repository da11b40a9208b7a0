//! Panels and recusals.

use platform::auth::Caller;
use platform::error::{AppError, Violations};
use platform::uow::CallKey;
use proto::review::v1 as pb;

use super::{ReviewApi, id, review_answer, text};
use crate::application::panels::{self, AssignPanel, RecusePanelist};
use crate::domain::ids::{ExpertId, ReviewId};

impl ReviewApi {
    pub(super) async fn assign_panel(
        &self,
        caller: Caller,
        request: pb::AssignPanelRequest,
    ) -> Result<pb::AssignPanelResponse, AppError> {
        let mut violations = Violations::new();
        let review = id(
            &request.review_id,
            "review_id",
            ReviewId::parse,
            &mut violations,
        );
        violations.check(
            (1..=31).contains(&request.expert_ids.len()),
            "expert_ids",
            "must list 1–31 experts",
        );
        let experts: Vec<Option<ExpertId>> = request
            .expert_ids
            .iter()
            .enumerate()
            .map(|(i, e)| {
                id(
                    e,
                    &format!("expert_ids[{i}]"),
                    ExpertId::parse,
                    &mut violations,
                )
            })
            .collect();
        violations.finish()?;
        let cmd = AssignPanel {
            review: review.expect("checked"),
            experts: experts.into_iter().flatten().collect(),
        };
        let key = CallKey::new(&caller, &request.idempotency_key, &request);
        panels::assign_panel(&self.ctx, &caller, key, cmd, |r| pb::AssignPanelResponse {
            review: review_answer(r),
        })
        .await
    }

    pub(super) async fn recuse_panelist(
        &self,
        caller: Caller,
        request: pb::RecusePanelistRequest,
    ) -> Result<pb::RecusePanelistResponse, AppError> {
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
        let reason = text(&request.reason, "reason", 500, &mut violations);
        violations.finish()?;
        let cmd = RecusePanelist {
            review: review.expect("checked"),
            expert: expert.expect("checked"),
            reason,
        };
        let key = CallKey::new(&caller, &request.idempotency_key, &request);
        panels::recuse_panelist(&self.ctx, &caller, key, cmd, |r| {
            pb::RecusePanelistResponse {
                review: review_answer(r),
            }
        })
        .await
    }
}
