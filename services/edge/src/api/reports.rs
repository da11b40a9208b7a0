//! Reports with photos. A photo is uploaded first, one a request
//! (`wx.uploadFile` sends one file as `multipart/form-data`), checked for
//! size while it arrives and for type by its bytes, and stored under its
//! SHA-256; the report then names its photos by hash, and the edge reads
//! each back from the store for the type and size points keeps.

use std::collections::HashSet;

use axum::Json;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use platform::error::FieldViolation;
use proto::points::v1 as pb;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::views::{CategoryView, NewReport, PhotoView, ReportPage, ReportView};
use super::{IdempotencyKey, Resident};
use crate::error::{ApiError, ErrorBody, JsonBody};
use crate::neighbours::as_caller;
use crate::photos::{StoredPhoto, is_sha256};
use crate::state::Shared;

/// The multipart form of a photo upload (for the OpenAPI document): one
/// part, `photo`, and no other.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct PhotoUpload {
    /// The picture: JPEG, PNG or WebP, at most `photos.max_bytes`.
    #[schema(format = Binary, content_media_type = "application/octet-stream")]
    photo: String,
}

/// Stores one photo for a report to come.
#[utoipa::path(post, path = "/api/v1/photos", tag = "mini-program",
    security(("session" = [])),
    request_body(content = PhotoUpload, content_type = "multipart/form-data"),
    responses(
        (status = 201, description = "stored", body = PhotoView),
        (status = 400, description = "empty, oversized or not an image; nothing stored", body = ErrorBody),
        (status = 401, description = "no valid session", body = ErrorBody),
        (status = 429, description = "too many uploads", body = ErrorBody),
    ))]
pub async fn upload_photo(
    State(edge): State<Shared>,
    resident: Resident,
    form: Result<Multipart, MultipartRejection>,
) -> Result<(StatusCode, Json<PhotoView>), ApiError> {
    edge.limits.upload(resident.id())?;
    let mut form = form.map_err(|_| {
        ApiError::field(
            "Content-Type",
            "must be multipart/form-data with a part named photo",
        )
    })?;
    let mut content: Option<Vec<u8>> = None;
    while let Some(mut part) = form.next_field().await.map_err(bad_form)? {
        if part.name() != Some("photo") {
            // The document admits the photo alone (additionalProperties
            // false): another part is a mistake worth naming.
            let name = part.name().unwrap_or_default().to_owned();
            return Err(ApiError::field(
                if name.is_empty() {
                    "body".to_owned()
                } else {
                    name
                },
                "is not a part of a photo upload: send the picture alone, as part photo",
            ));
        }
        if content.is_some() {
            return Err(ApiError::field("photo", "one photo per upload"));
        }
        let mut read = Vec::new();
        while let Some(chunk) = part.chunk().await.map_err(bad_form)? {
            // Refused while arriving: an oversized photo is never whole here.
            edge.photos
                .check_size("photo", (read.len() + chunk.len()) as u64)?;
            read.extend_from_slice(&chunk);
        }
        content = Some(read);
    }
    let content = content.ok_or_else(|| ApiError::field("photo", "is required: the picture"))?;
    let stored = edge.photos.put("photo", content.into()).await?;
    Ok((StatusCode::CREATED, Json(view(&stored))))
}

fn bad_form(err: axum::extract::multipart::MultipartError) -> ApiError {
    let rule = err.body_text();
    if err.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::field("photo", "is larger than the upload limit")
    } else {
        ApiError::field("photo", format!("unreadable multipart form: {rule}"))
    }
}

fn view(photo: &StoredPhoto) -> PhotoView {
    PhotoView {
        sha256: photo.sha256.clone(),
        content_type: photo.content_type.to_owned(),
        size_bytes: photo.size_bytes,
    }
}

/// Files a report; points forwards it to dispatch as a ticket.
#[utoipa::path(post, path = "/api/v1/reports", tag = "mini-program",
    security(("session" = [])),
    params(("Idempotency-Key" = String, Header, description = "1-128 visible ASCII characters, the same on a retry: one report", pattern = "^[!-~]{1,128}$")),
    request_body = NewReport,
    responses(
        (status = 201, description = "taken in", body = ReportView),
        (status = 400, description = "bad input, by field", body = ErrorBody),
        (status = 409, description = "the Idempotency-Key was used for another report", body = ErrorBody),
        (status = 401, description = "no valid session", body = ErrorBody),
        (status = 429, description = "too many reports", body = ErrorBody),
    ))]
pub async fn submit_report(
    State(edge): State<Shared>,
    resident: Resident,
    IdempotencyKey(key): IdempotencyKey,
    JsonBody(body): JsonBody<NewReport>,
) -> Result<(StatusCode, Json<ReportView>), ApiError> {
    edge.limits.upload(resident.id())?;
    // Points counts the text trimmed; the document counts it as sent.
    if body.text.chars().count() > MAX_TEXT {
        return Err(ApiError::field(
            "text",
            format!("must be 1–{MAX_TEXT} characters"),
        ));
    }
    let photos = photos_of(&edge, &body.photos).await?;
    let request = pb::SubmitReportRequest {
        idempotency_key: key,
        resident_id: resident.id().to_owned(),
        category_code: body.category_code.trim().to_owned(),
        severity: body.severity,
        text: body.text,
        photos,
        location: Some(pb::LatLng {
            lat: body.location.lat,
            lng: body.location.lng,
        }),
    };
    let report = edge
        .neighbours
        .points
        .clone()
        .submit_report(as_caller(request, resident.token())?)
        .await?
        .into_inner()
        .report
        .unwrap_or_default();
    Ok((StatusCode::CREATED, Json(ReportView::from(&report))))
}

/// Returns the photos `hashes` name, read back from the store.
async fn photos_of(edge: &Shared, hashes: &[String]) -> Result<Vec<pb::Photo>, ApiError> {
    let max = edge.photos.max_count;
    if hashes.len() > max {
        return Err(ApiError::field("photos", format!("at most {max} photos")));
    }
    let mut violations = Vec::new();
    let mut seen = HashSet::new();
    for (i, hash) in hashes.iter().enumerate() {
        if !is_sha256(hash) {
            violations.push(FieldViolation::new(
                format!("photos[{i}]"),
                "must be the sha256 an upload returned (64 lowercase hex digits)",
            ));
        } else if !seen.insert(hash) {
            violations.push(FieldViolation::new(
                format!("photos[{i}]"),
                "repeats a photo",
            ));
        }
    }
    if !violations.is_empty() {
        return Err(ApiError::invalid(violations));
    }
    let mut photos = Vec::with_capacity(hashes.len());
    for (i, hash) in hashes.iter().enumerate() {
        match edge.photos.find(hash).await? {
            Some(found) => photos.push(pb::Photo {
                sha256: found.sha256,
                content_type: found.content_type.to_owned(),
                size_bytes: found.size_bytes,
            }),
            None => violations.push(FieldViolation::new(
                format!("photos[{i}]"),
                "no uploaded photo has this sha256; upload it first",
            )),
        }
    }
    if violations.is_empty() {
        Ok(photos)
    } else {
        Err(ApiError::invalid(violations))
    }
}

/// The longest report text, as points allows and the document says.
const MAX_TEXT: usize = 2000;

/// The most reports one page holds (as the document says).
const MAX_PAGE_SIZE: u32 = 100;

/// A page of the resident's reports.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// 20 when absent, 1 to 100.
    #[serde(default)]
    #[param(minimum = 1, maximum = 100)]
    pub page_size: Option<u32>,
    /// The `next_page_token` of the page before.
    #[serde(default)]
    pub page_token: Option<String>,
}

/// Lists the resident's reports, newest first.
#[utoipa::path(get, path = "/api/v1/reports", tag = "mini-program",
    security(("session" = [])),
    params(PageQuery),
    responses(
        (status = 200, description = "a page", body = ReportPage),
        (status = 400, description = "bad input, by field", body = ErrorBody),
        (status = 401, description = "no valid session", body = ErrorBody),
    ))]
pub async fn list_reports(
    State(edge): State<Shared>,
    resident: Resident,
    query: Result<Query<PageQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<ReportPage>, ApiError> {
    let Query(query) = query.map_err(|err| ApiError::field("page_size", err.body_text()))?;
    if query
        .page_size
        .is_some_and(|size| !(1..=MAX_PAGE_SIZE).contains(&size))
    {
        return Err(ApiError::field(
            "page_size",
            format!("must be 1 to {MAX_PAGE_SIZE}"),
        ));
    }
    let request = pb::ListReportsRequest {
        resident_id: resident.id().to_owned(),
        page_size: query.page_size.unwrap_or_default(),
        page_token: query.page_token.unwrap_or_default(),
    };
    let page = edge
        .neighbours
        .points
        .clone()
        .list_reports(as_caller(request, resident.token())?)
        .await?
        .into_inner();
    Ok(Json(ReportPage {
        reports: page.reports.iter().map(ReportView::from).collect(),
        next_page_token: (!page.next_page_token.is_empty()).then_some(page.next_page_token),
    }))
}

/// Returns one of the resident's reports with its ticket's progress.
#[utoipa::path(get, path = "/api/v1/reports/{id}", tag = "mini-program",
    security(("session" = [])),
    params(("id" = String, Path, description = "the report's id")),
    responses(
        (status = 200, description = "the report", body = ReportView),
        (status = 400, description = "not a report id", body = ErrorBody),
        (status = 404, description = "no such report of the resident", body = ErrorBody),
    ))]
pub async fn get_report(
    State(edge): State<Shared>,
    resident: Resident,
    Path(id): Path<String>,
) -> Result<Json<ReportView>, ApiError> {
    let request = pb::GetReportRequest { id };
    let report = edge
        .neighbours
        .points
        .clone()
        .get_report(as_caller(request, resident.token())?)
        .await?
        .into_inner()
        .report
        .unwrap_or_default();
    if report.resident_id != resident.id() {
        // A household member's report is theirs, not this resident's.
        return Err(ApiError::not_found(format!("report {}", report.id)));
    }
    Ok(Json(ReportView::from(&report)))
}

/// Lists the categories residents may report, with their points.
#[utoipa::path(get, path = "/api/v1/categories", tag = "mini-program",
    security(("session" = [])),
    responses(
        (status = 200, description = "the categories taking reports", body = [CategoryView]),
        (status = 401, description = "no valid session", body = ErrorBody),
    ))]
pub async fn categories(
    State(edge): State<Shared>,
    resident: Resident,
) -> Result<Json<Vec<CategoryView>>, ApiError> {
    let rules = edge
        .neighbours
        .points
        .clone()
        .list_award_rules(as_caller(pb::ListAwardRulesRequest {}, resident.token())?)
        .await?
        .into_inner()
        .rules;
    Ok(Json(
        rules
            .into_iter()
            .filter(|r| r.active)
            .map(|r| CategoryView {
                category_code: r.category_code,
                base_points: r.base_points,
            })
            .collect(),
    ))
}
