//! Disclosure on application: applications, their review, copies,
//! viewings and statistics.

use chrono::{DateTime, Utc};
use platform::auth::Caller;
use platform::error::{AppError, Violations};
use platform::uow::CallKey;
use proto::video::v1 as pb;

use super::{VideoApi, gb_id, page_size, take};
use crate::application::disclosure::{self, ApplicationDraft, MAX_CAMERAS};
use crate::convert::{self, from_timestamp};
use crate::domain::disclosure::{Applicant, Cursor, Purpose, Review};
use crate::domain::evidence::check_window;

/// Returns the applicant checked: a name of 1–40 characters, an 18-character
/// resident ID number (17 digits and a digit or X), a phone of 7–20 digits.
fn applicant(a: Option<&pb::Applicant>, v: &mut Violations) -> Applicant {
    let a = a.cloned().unwrap_or_default();
    let name = a.name.trim().to_owned();
    v.check(
        (1..=40).contains(&name.chars().count()),
        "applicant.name",
        "must be 1-40 characters",
    );
    let id_number = a.id_number.trim().to_uppercase();
    v.check(
        id_number.len() == 18
            && id_number[..17].bytes().all(|b| b.is_ascii_digit())
            && id_number[17..]
                .bytes()
                .all(|b| b.is_ascii_digit() || b == b'X'),
        "applicant.id_number",
        "must be an 18-character resident ID number (17 digits, then a digit or X)",
    );
    let phone: String = a
        .phone
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect();
    v.check(
        (7..=20).contains(&phone.len()) && phone.bytes().all(|b| b.is_ascii_digit()),
        "applicant.phone",
        "must be 7-20 digits",
    );
    Applicant {
        name,
        id_number,
        phone,
    }
}

/// Returns the purpose, its detail and the dispute's ticket, checked.
fn purpose(
    request: &pb::SubmitApplicationRequest,
    v: &mut Violations,
) -> (Option<Purpose>, String, String) {
    let purpose = convert::purpose_from(request.purpose);
    v.check(
        purpose.is_some(),
        "purpose",
        "must be LOST_ITEM, VEHICLE_SCRAPE, ILLEGAL_DUMPING, STRAW_BURNING or OTHER",
    );
    let detail = request.purpose_detail.trim().to_owned();
    v.check(
        detail.chars().count() <= 200,
        "purpose_detail",
        "must be at most 200 characters",
    );
    v.check(
        purpose != Some(Purpose::Other) || !detail.is_empty(),
        "purpose_detail",
        "is required when purpose is OTHER",
    );
    let ticket = request.dispute_ticket.trim().to_owned();
    v.check(
        ticket.chars().count() <= 40,
        "dispute_ticket",
        "must be at most 40 characters",
    );
    (purpose, detail, ticket)
}

impl VideoApi {
    /// Checks an application's window: ended, at most the longest window,
    /// and within the retention (older footage is no longer kept).
    fn window(
        &self,
        request: &pb::SubmitApplicationRequest,
        v: &mut Violations,
    ) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        let now = self.ctx.units.now();
        let checked = check_window(
            request.starts_at.as_ref().and_then(from_timestamp),
            request.ends_at.as_ref().and_then(from_timestamp),
            now,
            self.ctx.evidence.max_window,
        );
        match checked {
            Err(broken) => {
                v.extend(broken);
                None
            }
            Ok((starts, _)) if starts < now - self.ctx.evidence.retention => {
                v.add(
                    "starts_at",
                    format!(
                        "must be within the retention ({} days): older footage is no longer kept",
                        self.ctx.evidence.retention.num_days()
                    ),
                );
                None
            }
            Ok(window) => Some(window),
        }
    }

    #[tracing::instrument(skip_all)]
    pub(super) async fn submit_application(
        &self,
        caller: Caller,
        request: pb::SubmitApplicationRequest,
    ) -> Result<pb::SubmitApplicationResponse, AppError> {
        let mut v = Violations::default();
        let applicant = applicant(request.applicant.as_ref(), &mut v);
        v.check(
            (1..=MAX_CAMERAS).contains(&request.channel_ids.len()),
            "channel_ids",
            format!("must name 1 to {MAX_CAMERAS} cameras"),
        );
        let mut channels = Vec::new();
        for (i, id) in request.channel_ids.iter().enumerate() {
            if let Some(channel) = take(&mut v, gb_id(id, &format!("channel_ids[{i}]"))) {
                if channels.contains(&channel) {
                    v.add(format!("channel_ids[{i}]"), "must not repeat a camera");
                } else {
                    channels.push(channel);
                }
            }
        }
        let (purpose, detail, ticket) = purpose(&request, &mut v);
        let window = self.window(&request, &mut v);
        v.finish()?;
        let Some((starts_at, ends_at)) = window else {
            return Err(AppError::invalid("starts_at", "is required"));
        };
        let draft = ApplicationDraft {
            applicant,
            channels,
            starts_at,
            ends_at,
            purpose: purpose.unwrap_or(Purpose::Other),
            purpose_detail: detail,
            dispute_ticket: (!ticket.is_empty()).then_some(ticket),
        };
        let key = CallKey::new(&caller, &request.idempotency_key, &request);
        disclosure::submit(&self.ctx, &caller, key, draft, |a| {
            pb::SubmitApplicationResponse {
                application: Some(convert::application(a, false)),
            }
        })
        .await
    }

    pub(super) async fn get_application(
        &self,
        caller: Caller,
        request: pb::GetApplicationRequest,
    ) -> Result<pb::GetApplicationResponse, AppError> {
        let id = request.application.trim();
        if id.is_empty() {
            return Err(AppError::invalid("application", "is required"));
        }
        let found = disclosure::get(&self.ctx, &caller, id, request.for_review).await?;
        Ok(pb::GetApplicationResponse {
            application: Some(convert::application(&found, request.for_review)),
        })
    }

    pub(super) async fn list_applications(
        &self,
        caller: Caller,
        request: pb::ListApplicationsRequest,
    ) -> Result<pb::ListApplicationsResponse, AppError> {
        let state = convert::application_state_from(request.state);
        let after = match request.page_token.trim() {
            "" => None,
            token => Some(Cursor::parse(token).ok_or_else(|| {
                AppError::invalid(
                    "page_token",
                    "must be a next_page_token from an earlier response",
                )
            })?),
        };
        let limit = page_size(request.page_size, 50, 500);
        let page = disclosure::list(&self.ctx, &caller, state, after, limit).await?;
        Ok(pb::ListApplicationsResponse {
            applications: page
                .applications
                .iter()
                .map(|a| convert::application(a, false))
                .collect(),
            next_page_token: page.next.map(Cursor::to_token).unwrap_or_default(),
        })
    }

    pub(super) async fn review_application(
        &self,
        caller: Caller,
        request: pb::ReviewApplicationRequest,
    ) -> Result<pb::ReviewApplicationResponse, AppError> {
        let id = request.application.trim().to_owned();
        if id.is_empty() {
            return Err(AppError::invalid("application", "is required"));
        }
        let review = match &request.outcome {
            Some(pb::review_application_request::Outcome::Approve(d)) => Review::Approve(
                convert::decision_from(*d)
                    .ok_or_else(|| AppError::invalid("approve", "must be VIEWING or COPY"))?,
            ),
            Some(pb::review_application_request::Outcome::Refuse(reason)) => {
                let reason = reason.trim();
                if reason.is_empty() || reason.chars().count() > 200 {
                    return Err(AppError::invalid(
                        "refuse",
                        "must be a reason of 1-200 characters",
                    ));
                }
                Review::Refuse(reason.to_owned())
            }
            None => {
                return Err(AppError::invalid(
                    "outcome",
                    "must approve (VIEWING or COPY) or refuse with a reason",
                ));
            }
        };
        let key = CallKey::new(&caller, &request.idempotency_key, &request);
        disclosure::review(&self.ctx, &caller, key, &id, review, |a| {
            pb::ReviewApplicationResponse {
                application: Some(convert::application(a, false)),
            }
        })
        .await
    }

    pub(super) async fn issue_copy(
        &self,
        caller: Caller,
        request: pb::IssueCopyRequest,
    ) -> Result<pb::IssueCopyResponse, AppError> {
        let id = request.application.trim().to_owned();
        if id.is_empty() {
            return Err(AppError::invalid("application", "is required"));
        }
        let key = CallKey::new(&caller, &request.idempotency_key, &request);
        disclosure::issue(&self.ctx, &caller, key, &id, |issued| {
            pb::IssueCopyResponse {
                application: Some(convert::application(&issued.application, false)),
                copies: issued.copies.iter().map(convert::clip).collect(),
            }
        })
        .await
    }

    pub(super) async fn view_footage(
        &self,
        caller: Caller,
        request: pb::ViewFootageRequest,
    ) -> Result<pb::ViewFootageResponse, AppError> {
        let id = request.application.trim();
        if id.is_empty() {
            return Err(AppError::invalid("application", "is required"));
        }
        let viewed = disclosure::view(&self.ctx, &caller, id).await?;
        Ok(pb::ViewFootageResponse {
            application: Some(convert::application(&viewed.application, false)),
            clips: viewed.clips.iter().map(convert::clip).collect(),
            files: viewed
                .files
                .iter()
                .map(|(file, content)| pb::FileContent {
                    file: Some(convert::clip_file(file)),
                    content: content.to_vec(),
                })
                .collect(),
        })
    }

    pub(super) async fn summarise_applications(
        &self,
        _caller: Caller,
        request: pb::SummariseApplicationsRequest,
    ) -> Result<pb::SummariseApplicationsResponse, AppError> {
        let since = request.since.as_ref().and_then(from_timestamp);
        let tallies = disclosure::summarise(&self.ctx, since).await?;
        Ok(pb::SummariseApplicationsResponse {
            total: tallies.iter().map(|t| t.count).sum(),
            tallies: tallies
                .iter()
                .map(|t| pb::ApplicationTally {
                    purpose: convert::purpose(t.purpose).into(),
                    state: convert::application_state(t.state).into(),
                    decision: t
                        .decision
                        .map_or(pb::Decision::Unspecified, convert::decision)
                        .into(),
                    count: t.count,
                })
                .collect(),
        })
    }
}
