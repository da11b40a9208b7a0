//! A resident's footage applications (依申请公开): applying to see what
//! the town's cameras recorded of a lost item or a scraped car, and
//! following the application. Video ingest checks the cameras, the
//! retention and the window and keeps the application; the review is the
//! town centre's (in the console). The resident's own token goes with
//! every call, so video ingest shows them their own applications only.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use platform::error::FieldViolation;
use proto::video::v1 as pb;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{IdempotencyKey, Resident};
use crate::convert::{some, time, word};
use crate::error::{ApiError, ErrorBody, JsonBody};
use crate::neighbours::as_caller;
use crate::state::Shared;

/// The most cameras one application names (as video ingest allows).
const MAX_CAMERAS: usize = 10;

/// Who applies, as on their resident identity card.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ApplicantInput {
    /// 姓名, 1–40 characters.
    #[schema(min_length = 1, max_length = 40)]
    pub name: String,
    /// 18-character resident ID number (居民身份证号).
    #[schema(pattern = "^[0-9]{17}[0-9Xx]$")]
    pub id_number: String,
    /// 11-digit mainland mobile number.
    #[schema(pattern = "^1[0-9]{10}$")]
    pub phone: String,
}

/// Why footage is asked for.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum PurposeWord {
    /// 失物
    LostItem,
    /// 车辆剐蹭
    VehicleScrape,
    /// 偷倒垃圾
    IllegalDumping,
    /// 焚烧秸秆
    StrawBurning,
    /// anything else; `purpose_detail` says what
    Other,
}

impl From<PurposeWord> for pb::Purpose {
    fn from(p: PurposeWord) -> Self {
        match p {
            PurposeWord::LostItem => Self::LostItem,
            PurposeWord::VehicleScrape => Self::VehicleScrape,
            PurposeWord::IllegalDumping => Self::IllegalDumping,
            PurposeWord::StrawBurning => Self::StrawBurning,
            PurposeWord::Other => Self::Other,
        }
    }
}

/// Applying to see footage.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewFootageApplication {
    pub applicant: ApplicantInput,
    /// 1–10 cameras by their 20-digit GB/T 28181 channel id (posted at the
    /// camera, or given by the workstation).
    #[schema(min_items = 1, max_items = 10)]
    pub channel_ids: Vec<String>,
    /// From when (RFC 3339), within the cameras' retention.
    #[schema(format = DateTime)]
    pub starts_at: String,
    /// Until when (RFC 3339): in the past, after `starts_at`.
    #[schema(format = DateTime)]
    pub ends_at: String,
    pub purpose: PurposeWord,
    /// Required for `other`: 1–200 characters.
    #[serde(default)]
    #[schema(max_length = 200)]
    pub purpose_detail: String,
    /// The dispute's ticket, when there is one (LX-2026-000123).
    #[serde(default)]
    #[schema(max_length = 64)]
    pub dispute_ticket: String,
}

/// The applicant as the answers show them: masked.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApplicantView {
    pub name: String,
    pub id_number: String,
    pub phone: String,
}

/// A footage application and how it stands.
#[derive(Debug, Serialize, ToSchema)]
pub struct FootageApplicationView {
    pub id: String,
    /// SQ-2026-000001.
    pub number: String,
    pub applicant: ApplicantView,
    pub channel_ids: Vec<String>,
    pub starts_at: Option<String>,
    pub ends_at: Option<String>,
    /// lost_item, vehicle_scrape, illegal_dumping, straw_burning or other.
    pub purpose: String,
    pub purpose_detail: String,
    pub dispute_ticket: Option<String>,
    /// submitted, approved or refused.
    pub state: String,
    /// Once approved: viewing (查看, supervised at the town centre) or copy
    /// (脱敏复制).
    pub decision: Option<String>,
    pub refusal_reason: Option<String>,
    /// Until when the viewing or the copy may be used.
    pub valid_until: Option<String>,
    pub submitted_at: Option<String>,
}

impl From<&pb::Application> for FootageApplicationView {
    fn from(a: &pb::Application) -> Self {
        let applicant = a.applicant.clone().unwrap_or_default();
        Self {
            id: a.application_id.clone(),
            number: a.number.clone(),
            applicant: ApplicantView {
                name: applicant.name,
                id_number: applicant.id_number,
                phone: applicant.phone,
            },
            channel_ids: a.channel_ids.clone(),
            starts_at: time(a.starts_at.as_ref()),
            ends_at: time(a.ends_at.as_ref()),
            purpose: word(a.purpose().as_str_name(), "PURPOSE_"),
            purpose_detail: a.purpose_detail.clone(),
            dispute_ticket: some(&a.dispute_ticket),
            state: word(a.state().as_str_name(), "APPLICATION_STATE_"),
            decision: (a.decision() != pb::Decision::Unspecified)
                .then(|| word(a.decision().as_str_name(), "DECISION_")),
            refusal_reason: some(&a.refusal_reason),
            valid_until: time(a.valid_until.as_ref()),
            submitted_at: time(a.submitted_at.as_ref()),
        }
    }
}

/// The resident's applications.
#[derive(Debug, Serialize, ToSchema)]
pub struct FootageApplicationList {
    pub applications: Vec<FootageApplicationView>,
}

/// Returns `text` (RFC 3339) as a protobuf time, or the field's violation.
fn instant(
    field: &str,
    text: &str,
    broken: &mut Vec<FieldViolation>,
) -> Option<prost_types::Timestamp> {
    match DateTime::parse_from_rfc3339(text.trim()) {
        Ok(t) => {
            let t = t.with_timezone(&Utc);
            Some(prost_types::Timestamp {
                seconds: t.timestamp(),
                nanos: i32::try_from(t.timestamp_subsec_nanos()).unwrap_or_default(),
            })
        }
        Err(_) => {
            broken.push(FieldViolation::new(
                field,
                "must be a time in RFC 3339, e.g. 2026-03-02T08:30:00+08:00",
            ));
            None
        }
    }
}

impl NewFootageApplication {
    /// Returns video ingest's request, or every field the edge can tell is
    /// wrong before asking (video ingest checks the cameras, the retention
    /// and the window, and names its fields alike).
    fn request(self, key: String) -> Result<pb::SubmitApplicationRequest, ApiError> {
        let mut broken = Vec::new();
        if self.channel_ids.is_empty() || self.channel_ids.len() > MAX_CAMERAS {
            broken.push(FieldViolation::new(
                "channel_ids",
                format!("must name 1–{MAX_CAMERAS} cameras"),
            ));
        }
        let starts_at = instant("starts_at", &self.starts_at, &mut broken);
        let ends_at = instant("ends_at", &self.ends_at, &mut broken);
        if self.purpose_detail.chars().count() > 200 {
            broken.push(FieldViolation::new(
                "purpose_detail",
                "must be at most 200 characters",
            ));
        }
        if self.dispute_ticket.chars().count() > 64 {
            broken.push(FieldViolation::new(
                "dispute_ticket",
                "must be a ticket number, at most 64 characters",
            ));
        }
        if !broken.is_empty() {
            return Err(ApiError::invalid(broken));
        }
        Ok(pb::SubmitApplicationRequest {
            idempotency_key: key,
            applicant: Some(pb::Applicant {
                name: self.applicant.name,
                id_number: self.applicant.id_number,
                phone: self.applicant.phone,
            }),
            channel_ids: self.channel_ids,
            starts_at,
            ends_at,
            purpose: pb::Purpose::from(self.purpose).into(),
            purpose_detail: self.purpose_detail,
            dispute_ticket: self.dispute_ticket.trim().to_owned(),
        })
    }
}

/// Applies to see footage: the application is registered for the town's
/// review, the applicant masked in every answer.
#[utoipa::path(post, path = "/api/v1/footage-applications", tag = "mini-program",
    security(("session" = [])),
    params(("Idempotency-Key" = String, Header, description = "1-128 visible ASCII characters, the same on a retry: one application", pattern = "^[!-~]{1,128}$")),
    request_body = NewFootageApplication,
    responses(
        (status = 201, description = "registered; the town centre reviews it", body = FootageApplicationView),
        (status = 400, description = "bad input, by field (an unknown camera, a window outside the retention)", body = ErrorBody),
        (status = 409, description = "the Idempotency-Key was used for another application", body = ErrorBody),
        (status = 401, description = "no valid session", body = ErrorBody),
    ))]
pub async fn apply(
    State(edge): State<Shared>,
    resident: Resident,
    IdempotencyKey(key): IdempotencyKey,
    JsonBody(body): JsonBody<NewFootageApplication>,
) -> Result<(StatusCode, Json<FootageApplicationView>), ApiError> {
    let request = body.request(key)?;
    let application = edge
        .neighbours
        .video
        .clone()
        .submit_application(as_caller(request, resident.token())?)
        .await?
        .into_inner()
        .application
        .unwrap_or_default();
    Ok((
        StatusCode::CREATED,
        Json(FootageApplicationView::from(&application)),
    ))
}

/// Lists the resident's own footage applications, newest first.
#[utoipa::path(get, path = "/api/v1/footage-applications", tag = "mini-program",
    security(("session" = [])),
    responses(
        (status = 200, description = "the resident's applications", body = FootageApplicationList),
        (status = 401, description = "no valid session", body = ErrorBody),
    ))]
pub async fn list(
    State(edge): State<Shared>,
    resident: Resident,
) -> Result<Json<FootageApplicationList>, ApiError> {
    let request = pb::ListApplicationsRequest {
        page_size: 100,
        ..Default::default()
    };
    let listed = edge
        .neighbours
        .video
        .clone()
        .list_applications(as_caller(request, resident.token())?)
        .await?
        .into_inner();
    Ok(Json(FootageApplicationList {
        applications: listed
            .applications
            .iter()
            .map(FootageApplicationView::from)
            .collect(),
    }))
}

/// Returns one of the resident's footage applications.
#[utoipa::path(get, path = "/api/v1/footage-applications/{number}", tag = "mini-program",
    security(("session" = [])),
    params(("number" = String, Path, description = "the application's number (SQ-2026-000001) or id")),
    responses(
        (status = 200, description = "the application", body = FootageApplicationView),
        (status = 404, description = "no such application of the resident", body = ErrorBody),
    ))]
pub async fn get(
    State(edge): State<Shared>,
    resident: Resident,
    Path(number): Path<String>,
) -> Result<Json<FootageApplicationView>, ApiError> {
    let number = number.trim();
    if number.is_empty() || number.chars().count() > 64 {
        return Err(ApiError::not_found("no such footage application"));
    }
    let request = pb::GetApplicationRequest {
        application: number.to_owned(),
        for_review: false,
    };
    let application = edge
        .neighbours
        .video
        .clone()
        .get_application(as_caller(request, resident.token())?)
        .await?
        .into_inner()
        .application
        .unwrap_or_default();
    Ok(Json(FootageApplicationView::from(&application)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft() -> NewFootageApplication {
        serde_json::from_value(serde_json::json!({
            "applicant": {"name": "王小明", "id_number": "310116199001011234", "phone": "13812345678"},
            "channel_ids": ["31011611001310000021"],
            "starts_at": "2026-03-02T08:30:00+08:00",
            "ends_at": "2026-03-02T09:00:00+08:00",
            "purpose": "vehicle_scrape",
        }))
        .unwrap()
    }

    #[test]
    fn a_footage_application_becomes_video_ingests_request_in_utc() {
        let request = draft().request("k".into()).unwrap();
        assert_eq!(request.purpose(), pb::Purpose::VehicleScrape);
        assert_eq!(request.starts_at.unwrap().seconds, 1_772_411_400);
        assert_eq!(request.applicant.unwrap().id_number, "310116199001011234");
    }

    #[test]
    fn a_footage_application_names_every_field_it_breaks() {
        let mut bad = draft();
        bad.channel_ids.clear();
        bad.starts_at = "yesterday".into();
        bad.purpose_detail = "x".repeat(201);
        let refused = bad.request("k".into()).unwrap_err();
        let fields: Vec<_> = refused
            .body()
            .error
            .fields
            .into_iter()
            .map(|f| f.field)
            .collect();
        assert_eq!(fields, ["channel_ids", "starts_at", "purpose_detail"]);
    }
}
