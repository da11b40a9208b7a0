//! The tonic implementation of `weigrid.review.v1.ReviewService`. Each
//! handler decodes the request into a command (bad input is
//! INVALID_ARGUMENT naming the field, before any database work), builds the
//! call's idempotency key, calls one use case and encodes its answer.

mod decisions;
mod experts;
mod opinions;
mod panels;
mod reviews;
mod worklists;

use chrono::{DateTime, Utc};
use platform::error::{AppError, Violations};
use proto::review::v1 as pb;
use proto::review::v1::review_service_server::ReviewService;

use crate::application::Context;
use crate::convert;

/// The case-review gRPC service.
#[derive(Clone)]
pub struct ReviewApi {
    ctx: Context,
}

impl ReviewApi {
    /// Returns the service over `ctx`.
    pub fn new(ctx: Context) -> Self {
        Self { ctx }
    }
}

/// Returns the id in `field`, or records that it is not one.
fn id<T>(
    text: &str,
    field: &str,
    parse: impl Fn(&str) -> Option<T>,
    violations: &mut Violations,
) -> Option<T> {
    let parsed = parse(text);
    violations.check(parsed.is_some(), field, "must be a UUID");
    parsed
}

/// Decodes the id in `field` and the reason (1–1000 characters) that goes
/// with it: the request of a step taken on one thing, for a reason.
fn id_and_reason<T>(
    text_id: &str,
    field: &str,
    parse: impl Fn(&str) -> Option<T>,
    reason: &str,
) -> Result<(T, String), AppError> {
    let mut violations = Violations::new();
    let parsed = id(text_id, field, parse, &mut violations);
    let reason = text(reason, "reason", 1000, &mut violations);
    violations.finish()?;
    Ok((parsed.ok_or_else(|| required(field))?, reason))
}

/// Returns the trimmed text of `field`, checking it is 1–`max` characters.
fn text(value: &str, field: &str, max: usize, violations: &mut Violations) -> String {
    let value = value.trim();
    violations.check(
        !value.is_empty() && value.chars().count() <= max,
        field,
        format!("must be 1–{max} characters"),
    );
    value.to_owned()
}

/// Returns the trimmed items of a list `field`, each 1–`max` characters,
/// at most `count` of them.
fn list(
    values: &[String],
    field: &str,
    max: usize,
    count: usize,
    violations: &mut Violations,
) -> Vec<String> {
    violations.check(
        values.len() <= count,
        field,
        format!("must have at most {count} items"),
    );
    values
        .iter()
        .enumerate()
        .map(|(i, v)| text(v, &format!("{field}[{i}]"), max, violations))
        .collect()
}

/// Returns the time in `field`, or records that it is missing or out of
/// range.
fn time(
    value: Option<&prost_types::Timestamp>,
    field: &str,
    violations: &mut Violations,
) -> Option<DateTime<Utc>> {
    let at = value.and_then(convert::from_timestamp);
    violations.check(at.is_some(), field, "must be a valid time");
    at
}

/// Returns the organisation code in `field` (capital letters, digits,
/// dashes), or records that it is not one.
fn code(value: &str, field: &str, violations: &mut Violations) -> String {
    let value = value.trim();
    violations.check(
        (1..=40).contains(&value.len())
            && value
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-' || c == '_'),
        field,
        "must be an organisation code: 1–40 capital letters, digits, dashes and underscores",
    );
    value.to_owned()
}

/// Returns the optional code in `field`: `None` when empty.
fn optional_code(value: &str, field: &str, violations: &mut Violations) -> Option<String> {
    (!value.trim().is_empty()).then(|| code(value, field, violations))
}

/// Returns the answer's review.
fn review_answer(review: &crate::domain::review::Review) -> Option<pb::Review> {
    Some(convert::review(review))
}

/// Returns `AppError` for a value that must be set.
fn required(field: &str) -> AppError {
    AppError::invalid(field, "must be set")
}

platform::delegate_rpcs! {
    ReviewService for ReviewApi {
        open_review: pb::OpenReviewRequest => pb::OpenReviewResponse;
        get_review: pb::GetReviewRequest => pb::GetReviewResponse;
        list_reviews: pb::ListReviewsRequest => pb::ListReviewsResponse;
        register_expert: pb::RegisterExpertRequest => pb::RegisterExpertResponse;
        list_experts: pb::ListExpertsRequest => pb::ListExpertsResponse;
        declare_interest: pb::DeclareInterestRequest => pb::DeclareInterestResponse;
        assign_panel: pb::AssignPanelRequest => pb::AssignPanelResponse;
        recuse_panelist: pb::RecusePanelistRequest => pb::RecusePanelistResponse;
        submit_opinion: pb::SubmitOpinionRequest => pb::SubmitOpinionResponse;
        return_opinion: pb::ReturnOpinionRequest => pb::ReturnOpinionResponse;
        open_recommendation: pb::OpenRecommendationRequest => pb::OpenRecommendationResponse;
        withdraw_recommendation: pb::WithdrawRecommendationRequest => pb::WithdrawRecommendationResponse;
        decide_review: pb::DecideReviewRequest => pb::DecideReviewResponse;
        get_statistics: pb::GetStatisticsRequest => pb::GetStatisticsResponse;
        create_policy: pb::CreatePolicyRequest => pb::CreatePolicyResponse;
        list_policies: pb::ListPoliciesRequest => pb::ListPoliciesResponse;
        decompose_policy: pb::DecomposePolicyRequest => pb::DecomposePolicyResponse;
        list_work_items: pb::ListWorkItemsRequest => pb::ListWorkItemsResponse;
        report_progress: pb::ReportProgressRequest => pb::ReportProgressResponse;
        verify_work_item: pb::VerifyWorkItemRequest => pb::VerifyWorkItemResponse;
        close_work_item: pb::CloseWorkItemRequest => pb::CloseWorkItemResponse;
    }
}
