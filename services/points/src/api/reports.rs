//! Reports.

use platform::auth::Caller;
use platform::error::{AppError, FieldViolation};
use platform::uow::CallKey;
use proto::points::v1 as pb;

use super::{PointsApi, parse_id};
use crate::application::reports;
use crate::convert;
use crate::domain::contact;
use crate::domain::ids::{ReportId, ResidentId};
use crate::domain::photos::{self, PhotoRef};
use crate::domain::report::{Cursor, MAX_TEXT, SubmitReport};
use crate::domain::rules::SEVERITIES;

impl PointsApi {
    #[tracing::instrument(skip_all, fields(resident_id = %request.resident_id))]
    pub(super) async fn submit_report(
        &self,
        caller: Caller,
        request: pb::SubmitReportRequest,
    ) -> Result<pb::SubmitReportResponse, AppError> {
        let report = match report_of(&request) {
            Ok(report) => report,
            // Refused with the category's violation too, when it has one.
            Err(shape) => {
                return Err(reports::refuse(&self.ctx, shape, request.category_code.trim()).await);
            }
        };
        let key = CallKey::new(&caller, &request.idempotency_key, &request);
        reports::submit(&self.ctx, &caller, key, report, |r| {
            pb::SubmitReportResponse {
                report: Some(convert::report(r)),
            }
        })
        .await
    }

    pub(super) async fn get_report(
        &self,
        caller: Caller,
        request: pb::GetReportRequest,
    ) -> Result<pb::GetReportResponse, AppError> {
        let id = parse_id(&request.id, "id", ReportId::parse)?;
        let report = reports::get(&self.ctx, &caller, id).await?;
        Ok(pb::GetReportResponse {
            report: Some(convert::report(&report)),
        })
    }

    pub(super) async fn get_reporter_contact(
        &self,
        caller: Caller,
        request: pb::GetReporterContactRequest,
    ) -> Result<pb::GetReporterContactResponse, AppError> {
        let id = parse_id(&request.report_id, "report_id", ReportId::parse)?;
        let purpose = contact::purpose(&request.purpose)
            .map_err(|violation| AppError::InvalidArgument(vec![violation]))?;
        let contact = reports::reporter_contact(&self.ctx, &caller, id, purpose).await?;
        Ok(pb::GetReporterContactResponse {
            report_id: contact.report.to_string(),
            name_masked: contact.name_masked,
            phone: contact.phone,
        })
    }

    pub(super) async fn list_reports(
        &self,
        caller: Caller,
        request: pb::ListReportsRequest,
    ) -> Result<pb::ListReportsResponse, AppError> {
        let resident = parse_id(&request.resident_id, "resident_id", ResidentId::parse)?;
        let size = match request.page_size {
            0 => 20,
            n => n.min(100),
        };
        let after = match request.page_token.as_str() {
            "" => None,
            token => Some(
                Cursor::parse(token)
                    .ok_or_else(|| AppError::invalid("page_token", "is not a token we gave"))?,
            ),
        };
        let page = reports::list(&self.ctx, &caller, resident, size, after).await?;
        Ok(pb::ListReportsResponse {
            reports: page.reports.iter().map(convert::report).collect(),
            next_page_token: page.next.map(Cursor::to_token).unwrap_or_default(),
        })
    }
}

/// Decodes a report; refuses it with every broken rule of its shape (the
/// category is checked against the award rules by the use case).
fn report_of(request: &pb::SubmitReportRequest) -> Result<SubmitReport, Vec<FieldViolation>> {
    let mut violations = Vec::new();
    let text = request.text.trim();
    if text.is_empty() || text.chars().count() > MAX_TEXT {
        violations.push(FieldViolation::new(
            "text",
            format!("must be 1–{MAX_TEXT} characters"),
        ));
    }
    if !SEVERITIES.contains(&request.severity) {
        violations.push(FieldViolation::new(
            "severity",
            "must be 1 (minor), 2 (moderate) or 3 (serious)",
        ));
    }
    let photos: Vec<PhotoRef> = request
        .photos
        .iter()
        .map(|p| PhotoRef {
            sha256: p.sha256.trim().to_ascii_lowercase(),
            content_type: p.content_type.trim().to_owned(),
            size_bytes: p.size_bytes,
        })
        .collect();
    violations.extend(
        photos::check(&photos)
            .into_iter()
            .map(|(field, rule)| FieldViolation::new(field, rule)),
    );
    let location = request.location.unwrap_or_default();
    if !(-90.0..=90.0).contains(&location.lat)
        || !(-180.0..=180.0).contains(&location.lng)
        || (location.lat == 0.0 && location.lng == 0.0)
    {
        violations.push(FieldViolation::new(
            "location",
            "is required: WGS84 latitude and longitude",
        ));
    }
    let resident = ResidentId::parse(&request.resident_id);
    if resident.is_none() {
        violations.push(FieldViolation::new("resident_id", "must be a UUID"));
    }
    match resident {
        Some(resident) if violations.is_empty() => Ok(SubmitReport {
            resident,
            category_code: request.category_code.trim().to_owned(),
            severity: request.severity,
            text: text.to_owned(),
            photos,
            lat: location.lat,
            lng: location.lng,
        }),
        _ => Err(violations),
    }
}
