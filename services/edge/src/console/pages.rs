//! The console's handlers: sign-in and out, and the data of each page, read
//! from the services with the signed-in staff member's own token.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, TimeZone, Utc};
use platform::auth::Role;
use proto::dispatch::v1 as pb;
use proto::dispatch::v1::get_statistics_request::GroupBy;
use proto::dispatch::v1::list_tickets_request::Queue;
use proto::registry::v1 as registry;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::views::{AssessmentRow, ExtensionRow, TicketPage, TicketRow};
use super::{Staff, board, with_cookie};
use crate::api::IdempotencyKey;
use crate::error::{ApiError, JsonBody};
use crate::neighbours::as_caller;
use crate::staff::{is_staff, needs_scope};
use crate::state::Shared;

/// Tickets still to be handled: what the map counts and the backlog ages.
const OPEN_STATES: [pb::TicketState; 7] = [
    pb::TicketState::Received,
    pb::TicketState::Dispatched,
    pb::TicketState::Accepted,
    pb::TicketState::InProgress,
    pb::TicketState::Returned,
    pb::TicketState::Reopened,
    pb::TicketState::UnderReview,
];
/// dispatch's largest page.
const PAGE: u32 = 500;
/// The most pages of open tickets a page reads (10 000 tickets: a town's
/// backlog many times over).
const MAX_PAGES: usize = 20;

/// What the sign-in page offers.
#[derive(Serialize)]
pub struct SignInOptions {
    /// The development sign-in (开发登录) is there: auth.mode is dev.
    pub development: bool,
    pub roles: Vec<&'static str>,
}

pub async fn sign_in_options(State(edge): State<Shared>) -> Json<SignInOptions> {
    Json(SignInOptions {
        development: edge.staff.dev.is_some(),
        roles: Role::ALL
            .into_iter()
            .filter(|r| is_staff(*r))
            .map(Role::as_str)
            .collect(),
    })
}

/// A staff member's identity as the pages show it.
#[derive(Serialize)]
pub struct Me {
    pub subject: String,
    pub role: &'static str,
    pub scope: Option<String>,
    pub development: bool,
}

fn me_of(edge: &Shared, caller: &platform::auth::Caller) -> Me {
    Me {
        subject: caller.subject.clone(),
        role: caller.role.as_str(),
        scope: caller.scope.clone(),
        development: edge.staff.dev.is_some(),
    }
}

pub async fn me(State(edge): State<Shared>, staff: Staff) -> Json<Me> {
    Json(me_of(&edge, &staff.0))
}

/// Signing in with a token of the identity provider.
#[derive(Deserialize)]
pub struct TokenSignIn {
    pub token: String,
}

pub async fn sign_in(
    State(edge): State<Shared>,
    JsonBody(body): JsonBody<TokenSignIn>,
) -> Result<Response, ApiError> {
    let token = body.token.trim();
    if token.is_empty() {
        return Err(ApiError::field(
            "token",
            "is required: the identity provider's token",
        ));
    }
    let caller = edge.sessions.staff(token)?;
    let cookie = edge.staff.cookie(token, edge.staff.ttl);
    Ok(with_cookie(cookie, Json(me_of(&edge, &caller))))
}

/// The development sign-in: who to act as.
#[derive(Deserialize)]
pub struct DevSignIn {
    pub role: String,
    #[serde(default)]
    pub scope: String,
    #[serde(default)]
    pub name: String,
}

pub async fn dev_sign_in(
    State(edge): State<Shared>,
    JsonBody(body): JsonBody<DevSignIn>,
) -> Result<Response, ApiError> {
    let Some(issuer) = edge.staff.dev.as_ref() else {
        return Err(ApiError::not_found(
            "the development sign-in exists only when auth.mode is dev",
        ));
    };
    let role: Role = body
        .role
        .parse()
        .map_err(|_| ApiError::field("role", "must be a staff role"))?;
    if !is_staff(role) {
        return Err(ApiError::field("role", "must be a staff role"));
    }
    let scope = body.scope.trim();
    if needs_scope(role) && scope.is_empty() {
        return Err(ApiError::field(
            "scope",
            "is required for this role: the grid code it acts within",
        ));
    }
    let name = match body.name.trim() {
        "" => role.as_str().to_owned(),
        name => name.to_owned(),
    };
    let ttl = edge.staff.ttl;
    let token = issuer.issue(
        &format!("dev-{name}"),
        role,
        Some(scope).filter(|s| !s.is_empty()),
        ttl,
    );
    let caller = edge.sessions.staff(&token)?;
    let cookie = edge.staff.cookie(&token, ttl);
    Ok(with_cookie(cookie, Json(me_of(&edge, &caller))))
}

pub async fn sign_out(State(edge): State<Shared>) -> Response {
    with_cookie(edge.staff.expired(), Json(json!({ "signed_out": true })))
}

/// A period of whole days in Asia/Shanghai (`YYYY-MM-DD`, `to` exclusive);
/// by default this year so far.
#[derive(Deserialize)]
pub struct PeriodQuery {
    #[serde(default)]
    pub from: Option<String>,
    #[serde(default)]
    pub to: Option<String>,
}

/// The period's bounds as UTC instants.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Period {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

pub(super) fn shanghai() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset")
}

pub(super) fn day_start(field: &str, text: &str) -> Result<DateTime<Utc>, ApiError> {
    let day = NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .map_err(|_| ApiError::field(field, "must be a date YYYY-MM-DD"))?;
    shanghai()
        .from_local_datetime(&day.and_hms_opt(0, 0, 0).expect("midnight exists"))
        .single()
        .map(|t| t.to_utc())
        .ok_or_else(|| ApiError::field(field, "must be a date YYYY-MM-DD"))
}

impl PeriodQuery {
    fn period(&self, now: DateTime<Utc>) -> Result<Period, ApiError> {
        let local = now.with_timezone(&shanghai());
        let from = match self.from.as_deref().filter(|s| !s.is_empty()) {
            Some(text) => day_start("from", text)?,
            None => day_start("from", &format!("{}-01-01", local.year()))?,
        };
        let to = match self.to.as_deref().filter(|s| !s.is_empty()) {
            Some(text) => day_start("to", text)?,
            None => day_start(
                "to",
                &local
                    .date_naive()
                    .succ_opt()
                    .unwrap_or(local.date_naive())
                    .to_string(),
            )?,
        };
        if to <= from {
            return Err(ApiError::field("to", "must be after from"));
        }
        Ok(Period { from, to })
    }
}

pub(super) fn timestamp(t: DateTime<Utc>) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: t.timestamp(),
        nanos: 0,
    }
}

/// Returns every ticket `request` lists, page after page (at most
/// [`MAX_PAGES`]), as `staff`.
async fn all_tickets(
    edge: &Shared,
    staff: &Staff,
    mut request: pb::ListTicketsRequest,
) -> Result<Vec<pb::Ticket>, ApiError> {
    request.page_size = PAGE;
    let mut tickets = Vec::new();
    for _ in 0..MAX_PAGES {
        let page = edge
            .neighbours
            .dispatch
            .clone()
            .list_tickets(as_caller(request.clone(), staff.token())?)
            .await?
            .into_inner();
        tickets.extend(page.tickets);
        if page.next_page_token.is_empty() {
            break;
        }
        request.page_token = page.next_page_token;
    }
    Ok(tickets)
}

fn open_tickets() -> pb::ListTicketsRequest {
    pb::ListTicketsRequest {
        states: OPEN_STATES.iter().map(|s| *s as i32).collect(),
        ..Default::default()
    }
}

/// The statistics by `group_by` for `period` (with the groups `keys` even
/// when empty), or `None` for a role that has none (dispatch says
/// PERMISSION_DENIED).
async fn statistics(
    edge: &Shared,
    staff: &Staff,
    period: Period,
    group_by: GroupBy,
    keys: Vec<String>,
) -> Result<Option<pb::GetStatisticsResponse>, ApiError> {
    let request = pb::GetStatisticsRequest {
        from: Some(timestamp(period.from)),
        to: Some(timestamp(period.to)),
        group_by: group_by as i32,
        keys,
    };
    match edge
        .neighbours
        .dispatch
        .clone()
        .get_statistics(as_caller(request, staff.token())?)
        .await
    {
        Ok(answer) => Ok(Some(answer.into_inner())),
        Err(status) if status.code() == tonic::Code::PermissionDenied => Ok(None),
        Err(status) => Err(status.into()),
    }
}

/// The overview map: the micro-grids' polygons from the registry, each
/// with the open tickets in it (as dispatch lists them to this caller) and
/// its unit's on-time rate this year.
#[derive(Serialize)]
pub struct MapData {
    pub geojson: Value,
    pub features: u32,
    pub open_tickets: BTreeMap<String, u32>,
    pub on_time_rate: BTreeMap<String, f64>,
    pub period: Period,
}

pub async fn map(
    State(edge): State<Shared>,
    staff: Staff,
    Query(query): Query<PeriodQuery>,
) -> Result<Json<MapData>, ApiError> {
    let period = query.period(Utc::now())?;
    let request = registry::ExportMapRequest {
        levels: vec![registry::GridLevel::Micro as i32],
        ..Default::default()
    };
    let export = edge
        .neighbours
        .registry
        .clone()
        .export_map(as_caller(request, staff.token())?)
        .await?
        .into_inner();
    let geojson: Value = serde_json::from_str(&export.geojson)
        .map_err(|err| ApiError::internal(&format!("the registry's map is not JSON: {err}")))?;
    let mut open: BTreeMap<String, u32> = BTreeMap::new();
    for ticket in all_tickets(&edge, &staff, open_tickets()).await? {
        if !ticket.micro_grid_code.is_empty() {
            *open.entry(ticket.micro_grid_code).or_default() += 1;
        }
    }
    let on_time_rate = statistics(&edge, &staff, period, GroupBy::Unit, Vec::new())
        .await?
        .map(|s| {
            s.groups
                .into_iter()
                .filter(|g| g.has_cases && g.resolution_judged > 0)
                .map(|g| (g.key, g.on_time_resolution_rate))
                .collect()
        })
        .unwrap_or_default();
    Ok(Json(MapData {
        geojson,
        features: export.features,
        open_tickets: open,
        on_time_rate,
        period,
    }))
}

/// The SLA board's page: the board, or why this role has none.
#[derive(Serialize)]
pub struct SlaData {
    pub period: Period,
    pub board: Option<board::Board>,
}

pub async fn sla(
    State(edge): State<Shared>,
    staff: Staff,
    Query(query): Query<PeriodQuery>,
) -> Result<Json<SlaData>, ApiError> {
    let now = Utc::now();
    let period = query.period(now)?;
    let departments = departments(&edge, &staff).await?;
    let keys = departments.keys().cloned().collect();
    let Some(stats) = statistics(&edge, &staff, period, GroupBy::Unit, keys).await? else {
        return Ok(Json(SlaData {
            period,
            board: None,
        }));
    };
    let overdue = all_tickets(
        &edge,
        &staff,
        pb::ListTicketsRequest {
            queue: Queue::Overdue as i32,
            ..Default::default()
        },
    )
    .await?;
    let open = all_tickets(&edge, &staff, open_tickets()).await?;
    let categories = category_names(&edge, &staff).await?;
    let context = board::Context {
        overdue: &overdue,
        open: &open,
        unit_names: &departments,
        category_names: &categories,
        now,
    };
    Ok(Json(SlaData {
        period,
        board: Some(board::board(&stats, &context)),
    }))
}

/// The registry's departments by code (their names), which the town-wide
/// board shows even when nothing fell to one ("无案件 no cases"); none for a
/// staff member within a grid, whose board is their own units'.
async fn departments(edge: &Shared, staff: &Staff) -> Result<BTreeMap<String, String>, ApiError> {
    if needs_scope(staff.0.role) {
        return Ok(BTreeMap::new());
    }
    let listed = edge
        .neighbours
        .registry
        .clone()
        .list_departments(as_caller(
            registry::ListDepartmentsRequest {},
            staff.token(),
        )?)
        .await?
        .into_inner();
    Ok(listed
        .departments
        .into_iter()
        .map(|d| (d.code, d.name))
        .collect())
}

/// Dispatch's categories (inactive ones too: a period may hold them) by
/// code.
async fn category_names(
    edge: &Shared,
    staff: &Staff,
) -> Result<BTreeMap<String, String>, ApiError> {
    let listed = edge
        .neighbours
        .dispatch
        .clone()
        .list_categories(as_caller(
            pb::ListCategoriesRequest {
                include_inactive: true,
            },
            staff.token(),
        )?)
        .await?
        .into_inner();
    Ok(listed
        .categories
        .into_iter()
        .map(|c| (c.code, c.name))
        .collect())
}

/// Which list of tickets.
#[derive(Deserialize)]
pub struct TicketsQuery {
    /// `all` (the default), `mine`, `desk` or `overdue`.
    #[serde(default)]
    pub queue: Option<String>,
    #[serde(default)]
    pub grid: Option<String>,
    #[serde(default)]
    pub page_token: Option<String>,
}

/// A page of tickets.
#[derive(Serialize)]
pub struct TicketList {
    pub tickets: Vec<TicketRow>,
    pub next_page_token: Option<String>,
}

pub async fn tickets(
    State(edge): State<Shared>,
    staff: Staff,
    Query(query): Query<TicketsQuery>,
) -> Result<Json<TicketList>, ApiError> {
    let queue = match query.queue.as_deref().unwrap_or("all") {
        "all" => Queue::All,
        "mine" => Queue::Mine,
        "desk" => Queue::Desk,
        "overdue" => Queue::Overdue,
        _ => {
            return Err(ApiError::field(
                "queue",
                "must be all, mine, desk or overdue",
            ));
        }
    };
    let request = pb::ListTicketsRequest {
        queue: queue as i32,
        grid_code: query.grid.unwrap_or_default(),
        page_size: 100,
        page_token: query.page_token.unwrap_or_default(),
        ..Default::default()
    };
    let page = edge
        .neighbours
        .dispatch
        .clone()
        .list_tickets(as_caller(request, staff.token())?)
        .await?
        .into_inner();
    Ok(Json(TicketList {
        tickets: page.tickets.iter().map(TicketRow::from).collect(),
        next_page_token: crate::convert::some(&page.next_page_token),
    }))
}

pub async fn ticket(
    State(edge): State<Shared>,
    staff: Staff,
    Path(number): Path<String>,
) -> Result<Json<TicketPage>, ApiError> {
    let request = pb::GetTicketRequest {
        number,
        ..Default::default()
    };
    let ticket = edge
        .neighbours
        .dispatch
        .clone()
        .get_ticket(as_caller(request, staff.token())?)
        .await?
        .into_inner()
        .ticket
        .unwrap_or_default();
    // The desk decides extensions; other roles see the ticket without them.
    let extensions = if staff.0.role == Role::TownOperator {
        list_extensions(&edge, &staff, &ticket.id).await?
    } else {
        Vec::new()
    };
    Ok(Json(TicketPage::new(&ticket, extensions)))
}

async fn list_extensions(
    edge: &Shared,
    staff: &Staff,
    ticket_id: &str,
) -> Result<Vec<ExtensionRow>, ApiError> {
    let request = pb::ListExtensionsRequest {
        ticket_id: ticket_id.to_owned(),
    };
    let listed = edge
        .neighbours
        .dispatch
        .clone()
        .list_extensions(as_caller(request, staff.token())?)
        .await?
        .into_inner();
    Ok(listed.extensions.iter().map(ExtensionRow::from).collect())
}

/// The approvals: pending extension requests, oldest first.
#[derive(Serialize)]
pub struct Approvals {
    pub extensions: Vec<ExtensionRow>,
}

pub async fn extensions(
    State(edge): State<Shared>,
    staff: Staff,
) -> Result<Json<Approvals>, ApiError> {
    Ok(Json(Approvals {
        extensions: list_extensions(&edge, &staff, "").await?,
    }))
}

/// The desk's decision on an extension request.
#[derive(Deserialize)]
pub struct Decision {
    pub grant: bool,
    #[serde(default)]
    pub reason: String,
}

pub async fn decide_extension(
    State(edge): State<Shared>,
    staff: Staff,
    Path(id): Path<String>,
    IdempotencyKey(key): IdempotencyKey,
    JsonBody(body): JsonBody<Decision>,
) -> Result<Json<TicketRow>, ApiError> {
    let request = pb::DecideExtensionRequest {
        idempotency_key: key,
        extension_id: id,
        grant: body.grant,
        reason: body.reason,
    };
    let ticket = edge
        .neighbours
        .dispatch
        .clone()
        .decide_extension(as_caller(request, staff.token())?)
        .await?
        .into_inner()
        .ticket
        .unwrap_or_default();
    Ok(Json(TicketRow::from(&ticket)))
}

/// The village assessment (村居考核) of a period.
#[derive(Serialize)]
pub struct Assessment {
    pub period: Period,
    pub villages: Vec<AssessmentRow>,
}

pub async fn assessment(
    State(edge): State<Shared>,
    staff: Staff,
    Query(query): Query<PeriodQuery>,
) -> Result<Json<Assessment>, ApiError> {
    let period = query.period(Utc::now())?;
    let request = pb::GetAssessmentRequest {
        from: Some(timestamp(period.from)),
        to: Some(timestamp(period.to)),
    };
    let answer = edge
        .neighbours
        .dispatch
        .clone()
        .get_assessment(as_caller(request, staff.token())?)
        .await?
        .into_inner();
    Ok(Json(Assessment {
        period,
        villages: answer.villages.iter().map(AssessmentRow::from).collect(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_period_is_whole_days_in_shanghai_this_year_by_default() {
        let now = DateTime::parse_from_rfc3339("2026-03-02T20:00:00Z")
            .unwrap()
            .to_utc();
        let default = PeriodQuery {
            from: None,
            to: None,
        }
        .period(now)
        .unwrap();
        assert_eq!(default.from.to_rfc3339(), "2025-12-31T16:00:00+00:00");
        // 04:00 on 3 March in Shanghai: the period ends at the next midnight.
        assert_eq!(default.to.to_rfc3339(), "2026-03-03T16:00:00+00:00");
        let bad = PeriodQuery {
            from: Some("2026-13-01".into()),
            to: None,
        }
        .period(now)
        .unwrap_err();
        assert_eq!(bad.body().error.fields[0].field, "from");
        let reversed = PeriodQuery {
            from: Some("2026-03-02".into()),
            to: Some("2026-03-01".into()),
        }
        .period(now)
        .unwrap_err();
        assert_eq!(reversed.body().error.fields[0].field, "to");
    }
}
