//! Reports: taken in, checked for duplicates, and forwarded to dispatch as
//! VILLAGER_APP tickets through the outbox (kept, and sent when dispatch
//! and NATS can take them).

use chrono::TimeDelta;
use platform::auth::Caller;
use platform::error::FieldViolation;
use platform::idempotency::{self, IdempotencyKey};
use platform::outbox;
use proto::dispatch::v1 as dispatch;
use proto::points::v1 as pb;
use sqlx::types::Json;
use uuid::Uuid;

use super::{ApiError, PointsApi, convert, operator_of, parse_id, require_active, resident_for};
use crate::domain::photos::{self, PhotoRef};
use crate::domain::rules::SEVERITIES;
use crate::events;
use crate::repository::reports::{self, ReportRow, StoredPhoto};
use crate::repository::residents::ResidentRow;

/// The longest report text, in characters.
const MAX_TEXT: usize = 2000;

impl PointsApi {
    #[tracing::instrument(skip_all, fields(resident_id = %request.resident_id))]
    pub(super) async fn submit_report(
        &self,
        caller: Caller,
        request: pb::SubmitReportRequest,
    ) -> Result<pb::SubmitReportResponse, ApiError> {
        let mut violations = Vec::new();
        let text = request.text.trim().to_owned();
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
        let mut txn = self.pool.begin().await?;
        // A retried call answers as the first did, whatever changed since.
        let key = IdempotencyKey::new(
            &caller.subject,
            "SubmitReport",
            &request.idempotency_key,
            &request,
        );
        if let Some(saved) = idempotency::replay(&mut txn, &key).await? {
            return Ok(saved);
        }
        let rule = reports::rule(&mut txn, request.category_code.trim()).await?;
        if rule.is_none() {
            let known = reports::categories(&mut txn).await?;
            violations.push(FieldViolation::new(
                "category_code",
                format!("must be one of {}", known.join(", ")),
            ));
        }
        if !violations.is_empty() {
            return Err(ApiError::InvalidArgument(violations));
        }
        let rule = rule.expect("checked above");
        let resident = resident_for(&mut txn, &caller, &request.resident_id).await?;
        require_active(&resident)?;
        // Reports of one category are checked for duplicates one at a time:
        // two reports of one fire at the same moment are not both originals.
        sqlx::query("SELECT pg_advisory_xact_lock(hashtext('points.report:' || $1))")
            .bind(&rule.category_code)
            .execute(&mut *txn)
            .await?;
        let now = self.clock.now();
        let original = self
            .find_original(
                &mut txn,
                &rule.category_code,
                location.lat,
                location.lng,
                now,
            )
            .await?;
        let report = ReportRow {
            report_id: Uuid::now_v7(),
            resident_id: resident.resident_id,
            account_id: resident.account_id(),
            category_code: rule.category_code.clone(),
            severity: request.severity as i32,
            text,
            photos: Json(
                photos
                    .into_iter()
                    .map(|p| StoredPhoto {
                        sha256: p.sha256,
                        content_type: p.content_type,
                        size_bytes: p.size_bytes,
                    })
                    .collect(),
            ),
            lat: location.lat,
            lng: location.lng,
            status: if original.is_some() {
                "DUPLICATE"
            } else {
                "SUBMITTED"
            }
            .into(),
            ticket_id: None,
            ticket_number: None,
            duplicate_of: original.as_ref().map(|o| o.report_id.to_string()),
            pending_points: if original.is_some() {
                0
            } else {
                rule.points(request.severity) as i32
            },
            awarded_points: 0,
            reversed_points: 0,
            submitted_at: now,
            local_day: now.with_timezone(&self.policy.offset).date_naive(),
            operator: operator_of(&caller),
            updated_at: now,
        };
        reports::insert(&mut txn, &report).await?;
        let (event_id, meta) = events::meta(&caller.subject, now);
        let submitted = pb::ReportSubmitted {
            meta: Some(meta),
            report: Some(convert::report(&report)),
        };
        outbox::enqueue(
            &mut txn,
            &platform::outbox::OutboxEvent::encode(event_id, events::REPORT_SUBMITTED, &submitted),
        )
        .await?;
        // Duplicates are forwarded too: the town sees every report, and
        // dispatch links it to the ticket it repeats.
        let (event_id, meta) = events::meta(&caller.subject, now);
        let requested = dispatch::TicketRequested {
            meta: Some(dispatch::EventMeta {
                event_id: meta.event_id,
                occurred_at: meta.occurred_at,
                actor: meta.actor,
            }),
            request: Some(ticket_request(&report, &resident)),
        };
        outbox::enqueue(
            &mut txn,
            &platform::outbox::OutboxEvent::encode(event_id, events::TICKET_REQUESTED, &requested),
        )
        .await?;
        let response = pb::SubmitReportResponse {
            report: Some(convert::report(&report)),
        };
        idempotency::finish(&mut txn, &key, &response).await?;
        txn.commit().await?;
        self.waker.wake();
        tracing::info!(report = %report.report_id, status = %report.status, "report submitted");
        Ok(response)
    }

    /// Returns the earlier report `category` at (lat, lng) repeats: the
    /// nearest within the configured distance and window, from anyone.
    async fn find_original(
        &self,
        conn: &mut sqlx::PgConnection,
        category: &str,
        lat: f64,
        lng: f64,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Option<ReportRow>, ApiError> {
        let around = platform::nearby::Around {
            lat,
            lng,
            radius_m: self.policy.duplicates.radius_m,
        };
        if around.radius_m <= 0.0 {
            return Ok(None);
        }
        let since =
            now - TimeDelta::from_std(self.policy.duplicates.window).unwrap_or(TimeDelta::days(3));
        let candidates =
            reports::nearby(conn, category, (lat, lng), around.box_degrees(), since).await?;
        Ok(around.nearest(candidates, |r| Some((r.lat, r.lng))))
    }

    pub(super) async fn get_report(
        &self,
        caller: Caller,
        request: pb::GetReportRequest,
    ) -> Result<pb::GetReportResponse, ApiError> {
        let id = parse_id(&request.id, "id")?;
        let mut conn = self.pool.acquire().await?;
        let report = reports::by_id(&mut conn, id, false)
            .await?
            .ok_or_else(|| ApiError::NotFound(format!("report {id}")))?;
        // Only who may act for its reporter sees it.
        resident_for(&mut conn, &caller, &report.resident_id.to_string())
            .await
            .map_err(|_| ApiError::NotFound(format!("report {id}")))?;
        Ok(pb::GetReportResponse {
            report: Some(convert::report(&report)),
        })
    }

    pub(super) async fn list_reports(
        &self,
        caller: Caller,
        request: pb::ListReportsRequest,
    ) -> Result<pb::ListReportsResponse, ApiError> {
        let mut conn = self.pool.acquire().await?;
        let resident = resident_for(&mut conn, &caller, &request.resident_id).await?;
        let size = match request.page_size {
            0 => 20,
            n => n.min(100),
        } as i64;
        let after = match request.page_token.as_str() {
            "" => None,
            token => Some(
                token
                    .split_once('_')
                    .and_then(|(t, id)| {
                        Some((
                            chrono::DateTime::parse_from_rfc3339(t).ok()?.to_utc(),
                            id.parse().ok()?,
                        ))
                    })
                    .ok_or_else(|| ApiError::invalid("page_token", "is not a token we gave"))?,
            ),
        };
        let rows = reports::of_resident(&mut conn, resident.resident_id, after, size + 1).await?;
        let next_page_token = match rows.get(size as usize - 1) {
            Some(last) if rows.len() as i64 > size => {
                format!("{}_{}", last.submitted_at.to_rfc3339(), last.report_id)
            }
            _ => String::new(),
        };
        Ok(pb::ListReportsResponse {
            reports: rows
                .iter()
                .take(size as usize)
                .map(convert::report)
                .collect(),
            next_page_token,
        })
    }
}

/// Returns the ticket a report asks dispatch for: a VILLAGER_APP ticket
/// whose channel reference is the report's id, so that however often the
/// request is delivered it is one ticket, and the ticket's events name the
/// report.
fn ticket_request(report: &ReportRow, resident: &ResidentRow) -> dispatch::CreateTicketRequest {
    let title: String = report.text.chars().take(30).collect();
    let photos = report.photos.0.len();
    dispatch::CreateTicketRequest {
        idempotency_key: report.report_id.to_string(),
        channel: dispatch::Channel::VillagerApp.into(),
        external_ref: report.report_id.to_string(),
        category_code: report.category_code.clone(),
        title: format!("村民随手拍：{title}"),
        description: if photos > 0 {
            format!("{}\n（附照片 {photos} 张）", report.text)
        } else {
            report.text.clone()
        },
        location: Some(dispatch::LatLng {
            lat: report.lat,
            lng: report.lng,
        }),
        difficult: false,
        // For the follow-up call (回访); dispatch keeps it masked.
        reporter_phone: resident.phone.clone(),
    }
}
