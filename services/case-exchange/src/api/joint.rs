//! The joint information check, the shared risk list and CAP alerts.

use platform::auth::Caller;
use platform::error::{AppError, Violations};
use platform::time::from_timestamp;
use platform::uow::CallKey;
use proto::exchange::v1 as pb;

use super::{ExchangeApi, page_size};
use crate::application::alerts::{self, IssueAlert};
use crate::application::checks::{self, RequestCheck};
use crate::application::risks::{self, PutRisk};
use crate::convert;
use crate::domain::cap::{CATEGORIES, CERTAINTIES, SEVERITIES, URGENCIES};
use crate::domain::envelope::ExchangeStatus;
use crate::domain::ids::{CheckId, RiskId};
use crate::domain::node::NodeId;
use crate::domain::risk::RiskKind;

/// The longest text of a check, risk or alert, in characters.
const MAX_TEXT: usize = 2000;

fn text(v: &mut Violations, field: &str, value: &str, required: bool) {
    if required {
        v.check(!value.trim().is_empty(), field, "must not be empty");
    }
    v.check(
        value.chars().count() <= MAX_TEXT,
        field,
        format!("must be at most {MAX_TEXT} characters"),
    );
}

fn one_of(v: &mut Violations, field: &str, value: &str, allowed: &[&str]) {
    v.check(
        allowed.contains(&value),
        field,
        format!("must be one of {}", allowed.join(", ")),
    );
}

impl ExchangeApi {
    #[tracing::instrument(skip_all, fields(peer = %request.peer_node))]
    pub(super) async fn request_check(
        &self,
        caller: Caller,
        request: pb::RequestCheckRequest,
    ) -> Result<pb::RequestCheckResponse, AppError> {
        let mut v = Violations::new();
        let peer = NodeId::parse(&request.peer_node);
        v.check(
            peer.is_some(),
            "peer_node",
            "must be province/county/town/service",
        );
        let kind = convert::subject_kind_of(request.subject_kind());
        v.check(
            kind.is_some(),
            "subject_kind",
            "must be PERSON or ENTERPRISE",
        );
        text(&mut v, "subject", &request.subject, true);
        text(&mut v, "purpose", &request.purpose, true);
        text(&mut v, "approved_by", &request.approved_by, true);
        v.finish()?;
        let (Some(peer), Some(kind)) = (peer, kind) else {
            unreachable!("checked above")
        };
        let key = CallKey::new(&caller, &request.idempotency_key, &request);
        let cmd = RequestCheck {
            peer,
            kind,
            subject: request.subject.trim().to_owned(),
            purpose: request.purpose.trim().to_owned(),
            approved_by: request.approved_by.trim().to_owned(),
        };
        checks::request_check(&self.ctx, &caller, key, cmd, |c| pb::RequestCheckResponse {
            check: Some(convert::check(c, false)),
        })
        .await
    }

    #[tracing::instrument(skip_all, fields(check_id = %request.check_id))]
    pub(super) async fn get_check(
        &self,
        caller: Caller,
        request: pb::GetCheckRequest,
    ) -> Result<pb::GetCheckResponse, AppError> {
        let id = CheckId::parse(&request.check_id)
            .ok_or_else(|| AppError::invalid("check_id", "must be a UUID"))?;
        let check = checks::get_check(&self.ctx, &caller, id).await?;
        Ok(pb::GetCheckResponse {
            check: Some(convert::check(&check, true)),
        })
    }

    pub(super) async fn list_checks(
        &self,
        _caller: Caller,
        request: pb::ListChecksRequest,
    ) -> Result<pb::ListChecksResponse, AppError> {
        let found = checks::list_checks(&self.ctx, page_size(request.page_size)).await?;
        Ok(pb::ListChecksResponse {
            checks: found.iter().map(|c| convert::check(c, false)).collect(),
        })
    }

    #[tracing::instrument(skip_all, fields(risk_id = %request.risk_id))]
    pub(super) async fn put_risk(
        &self,
        caller: Caller,
        request: pb::PutRiskRequest,
    ) -> Result<pb::PutRiskResponse, AppError> {
        let mut v = Violations::new();
        let risk_id = (!request.risk_id.trim().is_empty()).then(|| RiskId::parse(&request.risk_id));
        v.check(
            !matches!(risk_id, Some(None)),
            "risk_id",
            "must be empty or a UUID",
        );
        let kind = convert::risk_kind_of(request.kind());
        v.check(
            kind.is_some(),
            "kind",
            "must be PLACE, ENTERPRISE or PERSON",
        );
        let care_group = convert::care_group_of(request.care_group());
        v.check(
            (kind == Some(RiskKind::Person)) == care_group.is_some() || kind.is_none(),
            "care_group",
            "must name one of the six special-care groups for a person, and none otherwise",
        );
        let level = convert::risk_level_of(request.level());
        v.check(level.is_some(), "level", "must be LOW, MEDIUM or HIGH");
        text(&mut v, "name", &request.name, true);
        text(&mut v, "description", &request.description, false);
        v.finish()?;
        let (Some(kind), Some(level)) = (kind, level) else {
            unreachable!("checked above")
        };
        let key = CallKey::new(&caller, &request.idempotency_key, &request);
        let cmd = PutRisk {
            risk_id: risk_id.flatten(),
            kind,
            name: request.name.trim().to_owned(),
            care_group,
            level,
            description: request.description.trim().to_owned(),
            location: request.location.map(|l| (l.lat, l.lng)),
            withdrawn: request.withdrawn,
        };
        risks::put_risk(&self.ctx, &caller, key, cmd, |r| pb::PutRiskResponse {
            risk: Some(convert::risk(r)),
        })
        .await
    }

    pub(super) async fn list_risks(
        &self,
        _caller: Caller,
        request: pb::ListRisksRequest,
    ) -> Result<pb::ListRisksResponse, AppError> {
        let found = risks::list_risks(&self.ctx, request.include_withdrawn).await?;
        Ok(pb::ListRisksResponse {
            risks: found.iter().map(convert::risk).collect(),
        })
    }

    pub(super) async fn issue_alert(
        &self,
        caller: Caller,
        request: pb::IssueAlertRequest,
    ) -> Result<pb::IssueAlertResponse, AppError> {
        let cmd = alert_command(&request)?;
        let key = CallKey::new(&caller, &request.idempotency_key, &request);
        alerts::issue_alert(&self.ctx, &caller, key, cmd, |a| pb::IssueAlertResponse {
            alert: Some(convert::alert(a)),
        })
        .await
    }

    pub(super) async fn list_alerts(
        &self,
        _caller: Caller,
        request: pb::ListAlertsRequest,
    ) -> Result<pb::ListAlertsResponse, AppError> {
        let direction = convert::alert_direction_of(request.direction());
        let found = alerts::list_alerts(&self.ctx, direction, page_size(request.page_size)).await?;
        Ok(pb::ListAlertsResponse {
            alerts: found.iter().map(convert::alert).collect(),
        })
    }
}

/// Decodes IssueAlert: every CAP value is one CAP knows.
fn alert_command(request: &pb::IssueAlertRequest) -> Result<IssueAlert, AppError> {
    let mut v = Violations::new();
    v.check(
        !request.categories.is_empty(),
        "categories",
        "must name at least one CAP category",
    );
    for (n, c) in request.categories.iter().enumerate() {
        one_of(&mut v, &format!("categories[{n}]"), c, &CATEGORIES);
    }
    text(&mut v, "event", &request.event, true);
    one_of(&mut v, "urgency", &request.urgency, &URGENCIES);
    one_of(&mut v, "severity", &request.severity, &SEVERITIES);
    one_of(&mut v, "certainty", &request.certainty, &CERTAINTIES);
    text(&mut v, "headline", &request.headline, false);
    text(&mut v, "description", &request.description, false);
    text(&mut v, "instruction", &request.instruction, false);
    text(&mut v, "area_desc", &request.area_desc, true);
    v.check(
        request.radius_km >= 0.0,
        "radius_km",
        "must not be negative",
    );
    let expires = request.expires_at.as_ref().map(from_timestamp);
    v.check(
        !matches!(expires, Some(None)),
        "expires_at",
        "must be a time",
    );
    let status = convert::status_of(request.status());
    v.check(
        status.is_some(),
        "status",
        "must be ACTUAL, EXERCISE or TEST",
    );
    v.finish()?;
    let circle = request
        .centre
        .filter(|_| request.radius_km > 0.0)
        .map(|c| format!("{:.6},{:.6} {}", c.lat, c.lng, request.radius_km));
    Ok(IssueAlert {
        categories: request.categories.clone(),
        event: request.event.trim().to_owned(),
        urgency: request.urgency.clone(),
        severity: request.severity.clone(),
        certainty: request.certainty.clone(),
        headline: request.headline.trim().to_owned(),
        description: request.description.trim().to_owned(),
        instruction: request.instruction.trim().to_owned(),
        area_desc: request.area_desc.trim().to_owned(),
        circle,
        expires: expires.flatten(),
        status: status.unwrap_or(ExchangeStatus::Actual),
    })
}
