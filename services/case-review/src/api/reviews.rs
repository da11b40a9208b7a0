//! Review requests and statistics.

use platform::auth::Caller;
use platform::error::{AppError, Violations};
use platform::uow::CallKey;
use proto::review::v1 as pb;

use super::{ReviewApi, code, id, list, optional_code, review_answer, text, time};
use crate::application::reviews::{self, ListReviews, OpenReview};
use crate::application::statistics;
use crate::convert;
use crate::domain::ids::{ReviewId, TicketId};
use crate::domain::review::ReviewRequest;

impl ReviewApi {
    pub(super) async fn open_review(
        &self,
        caller: Caller,
        request: pb::OpenReviewRequest,
    ) -> Result<pb::OpenReviewResponse, AppError> {
        let cmd = open_command(&request)?;
        let key = CallKey::new(&caller, &request.idempotency_key, &request);
        reviews::open_review(&self.ctx, &caller, key, cmd, |r| pb::OpenReviewResponse {
            review: review_answer(r),
        })
        .await
    }

    pub(super) async fn get_review(
        &self,
        caller: Caller,
        request: pb::GetReviewRequest,
    ) -> Result<pb::GetReviewResponse, AppError> {
        let mut violations = Violations::new();
        let review = id(&request.id, "id", ReviewId::parse, &mut violations);
        violations.finish()?;
        let review = reviews::get_review(&self.ctx, &caller, review.expect("checked")).await?;
        Ok(pb::GetReviewResponse {
            review: review_answer(&review),
        })
    }

    pub(super) async fn list_reviews(
        &self,
        caller: Caller,
        request: pb::ListReviewsRequest,
    ) -> Result<pb::ListReviewsResponse, AppError> {
        let mut violations = Violations::new();
        let state = convert::state_from(request.state);
        violations.check(state.is_some(), "state", "must be a review state");
        let ticket = (!request.ticket_id.is_empty())
            .then(|| {
                id(
                    &request.ticket_id,
                    "ticket_id",
                    TicketId::parse,
                    &mut violations,
                )
            })
            .flatten();
        violations.check(request.limit <= 500, "limit", "must be at most 500");
        violations.finish()?;
        let cmd = ListReviews {
            state: state.flatten(),
            ticket,
            limit: if request.limit == 0 {
                50
            } else {
                request.limit
            },
        };
        let found = reviews::list_reviews(&self.ctx, &caller, cmd).await?;
        Ok(pb::ListReviewsResponse {
            reviews: found.iter().map(convert::review_summary).collect(),
        })
    }

    pub(super) async fn get_statistics(
        &self,
        caller: Caller,
        request: pb::GetStatisticsRequest,
    ) -> Result<pb::GetStatisticsResponse, AppError> {
        let mut violations = Violations::new();
        let from = time(request.from.as_ref(), "from", &mut violations);
        let to = time(request.to.as_ref(), "to", &mut violations);
        if let (Some(from), Some(to)) = (from, to) {
            violations.check(from < to, "to", "must be after from");
        }
        violations.finish()?;
        let (from, to) = (from.expect("checked"), to.expect("checked"));
        let figures = statistics::get_statistics(&self.ctx, &caller, from, to).await?;
        Ok(pb::GetStatisticsResponse {
            total: Some(convert::figures(&figures.total)),
            kinds: figures.kinds.iter().map(convert::figures).collect(),
            conflicts_found: figures.conflicts.into_iter().collect(),
            villages: figures
                .villages
                .iter()
                .map(convert::village_completion)
                .collect(),
        })
    }
}

/// Decodes a review to open directly.
fn open_command(request: &pb::OpenReviewRequest) -> Result<OpenReview, AppError> {
    let mut violations = Violations::new();
    let kind = convert::kind_from(request.kind);
    violations.check(
        kind.is_some(),
        "kind",
        "must be LEGAL_RISK, PROFESSIONAL or POLICY",
    );
    let urgency = convert::urgency_from(request.urgency);
    violations.check(urgency.is_some(), "urgency", "must be NORMAL or URGENT");
    let question = text(&request.question, "question", 2000, &mut violations);
    let materials = list(&request.materials, "materials", 200, 100, &mut violations);
    let deadline = time(request.deadline.as_ref(), "deadline", &mut violations);
    let case_ref = text(&request.case_ref, "case_ref", 64, &mut violations);
    let parties = list(&request.parties, "parties", 200, 50, &mut violations);
    let involved = list(&request.involved, "involved", 64, 50, &mut violations);
    let organiser = code(&request.organiser, "organiser", &mut violations);
    let industry_authority = optional_code(
        &request.industry_authority,
        "industry_authority",
        &mut violations,
    );
    violations.finish()?;
    Ok(OpenReview {
        request: ReviewRequest {
            kind: kind.expect("checked"),
            question,
            materials,
            urgency: urgency.expect("checked"),
            deadline: deadline.expect("checked"),
            major: request.major,
            case_ref,
            ticket: None,
            parties,
            involved,
            organiser,
            industry_authority,
        },
    })
}
