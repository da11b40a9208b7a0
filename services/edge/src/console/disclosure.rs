//! The approvals of disclosure applications (依申请公开审批): the
//! applications waiting for the review, listed by video ingest with the
//! applicants masked, and the review's decision — a supervised viewing, a
//! redacted copy, or a refusal with its reason — made with the staff
//! member's own token (video ingest lets the town centre and the police
//! station review; every decision is on its access log).
//!
//! The reviewer sees who applied only on asking for it (查看身份 show
//! identity): GetApplication with the review flag, which video ingest
//! grants to the town centre and the police alone and writes on its access
//! log (IDENTITY_READ) — the read itself is the audited act. The answer is
//! never cached, and the edge neither logs nor keeps it.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use http::{HeaderValue, header};
use proto::video::v1 as pb;
use serde::{Deserialize, Serialize};

use super::Staff;
use crate::api::IdempotencyKey;
use crate::api::footage::{ApplicantView, FootageApplicationView};
use crate::error::{ApiError, JsonBody};
use crate::neighbours::as_caller;
use crate::state::Shared;

/// Which applications.
#[derive(Debug, Deserialize)]
pub struct DisclosureQuery {
    /// submitted (the default), approved, refused or all.
    #[serde(default)]
    pub state: Option<String>,
}

/// A list of applications.
#[derive(Debug, Serialize)]
pub struct Disclosures {
    pub applications: Vec<FootageApplicationView>,
}

pub async fn list(
    State(edge): State<Shared>,
    staff: Staff,
    Query(query): Query<DisclosureQuery>,
) -> Result<Json<Disclosures>, ApiError> {
    let state = match query.state.as_deref().unwrap_or("submitted") {
        "all" => pb::ApplicationState::Unspecified,
        "submitted" => pb::ApplicationState::Submitted,
        "approved" => pb::ApplicationState::Approved,
        "refused" => pb::ApplicationState::Refused,
        _ => {
            return Err(ApiError::field(
                "state",
                "must be submitted, approved, refused or all",
            ));
        }
    };
    let request = pb::ListApplicationsRequest {
        state: state.into(),
        page_size: 200,
        ..Default::default()
    };
    let listed = edge
        .neighbours
        .video
        .clone()
        .list_applications(as_caller(request, staff.token())?)
        .await?
        .into_inner();
    Ok(Json(Disclosures {
        applications: listed
            .applications
            .iter()
            .map(FootageApplicationView::from)
            .collect(),
    }))
}

/// An application's applicant, whole, for the review.
#[derive(Serialize)]
pub struct Identity {
    pub number: String,
    pub applicant: ApplicantView,
}

/// POST: the applicant of application `number` whole, read for the review
/// (town_operator and police; others get 403 from video ingest) and on
/// video ingest's access log.
pub async fn identity(
    State(edge): State<Shared>,
    staff: Staff,
    Path(number): Path<String>,
) -> Result<Response, ApiError> {
    let request = pb::GetApplicationRequest {
        application: number,
        for_review: true,
    };
    let read = edge
        .neighbours
        .video
        .clone()
        .get_application(as_caller(request, staff.token())?)
        .await?
        .into_inner()
        .application
        .unwrap_or_default();
    let view = FootageApplicationView::from(&read);
    let mut response = Json(Identity {
        number: view.number,
        applicant: view.applicant,
    })
    .into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// The review's decision: `approve` as `viewing` or `copy`, or `refuse`
/// with the reason (1–200 characters).
#[derive(Debug, Deserialize)]
pub struct ReviewInput {
    #[serde(default)]
    pub approve: Option<String>,
    #[serde(default)]
    pub refuse: Option<String>,
}

impl ReviewInput {
    fn outcome(self) -> Result<pb::review_application_request::Outcome, ApiError> {
        use pb::review_application_request::Outcome;
        match (self.approve.as_deref(), self.refuse) {
            (Some("viewing"), None) => Ok(Outcome::Approve(pb::Decision::Viewing.into())),
            (Some("copy"), None) => Ok(Outcome::Approve(pb::Decision::Copy.into())),
            (Some(_), None) => Err(ApiError::field("approve", "must be viewing or copy")),
            (None, Some(reason)) if !reason.trim().is_empty() => {
                Ok(Outcome::Refuse(reason.trim().to_owned()))
            }
            (None, Some(_)) => Err(ApiError::field("refuse", "must say why: 1–200 characters")),
            _ => Err(ApiError::field(
                "approve",
                "give either approve (viewing or copy) or refuse (the reason)",
            )),
        }
    }
}

pub async fn review(
    State(edge): State<Shared>,
    staff: Staff,
    Path(number): Path<String>,
    IdempotencyKey(key): IdempotencyKey,
    JsonBody(body): JsonBody<ReviewInput>,
) -> Result<Json<FootageApplicationView>, ApiError> {
    let request = pb::ReviewApplicationRequest {
        idempotency_key: key,
        application: number,
        outcome: Some(body.outcome()?),
    };
    let reviewed = edge
        .neighbours
        .video
        .clone()
        .review_application(as_caller(request, staff.token())?)
        .await?
        .into_inner()
        .application
        .unwrap_or_default();
    Ok(Json(FootageApplicationView::from(&reviewed)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(approve: Option<&str>, refuse: Option<&str>) -> ReviewInput {
        ReviewInput {
            approve: approve.map(str::to_owned),
            refuse: refuse.map(str::to_owned),
        }
    }

    #[test]
    fn a_review_is_a_viewing_a_copy_or_a_refusal_with_its_reason() {
        use pb::review_application_request::Outcome;
        assert_eq!(
            input(Some("copy"), None).outcome().unwrap(),
            Outcome::Approve(pb::Decision::Copy.into())
        );
        assert_eq!(
            input(None, Some(" 无相关画面 ")).outcome().unwrap(),
            Outcome::Refuse("无相关画面".into())
        );
        let field = |i: ReviewInput| {
            i.outcome().unwrap_err().body().error.fields[0]
                .field
                .clone()
        };
        assert_eq!(field(input(Some("all"), None)), "approve");
        assert_eq!(field(input(None, Some("  "))), "refuse");
        assert_eq!(field(input(Some("copy"), Some("no"))), "approve");
    }
}
