//! Service requests: POST (form-encoded, GeoReport v2 §POST Service
//! Request) and GET, one or a list.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use chrono::{DateTime, Duration, Utc};
use proto::dispatch::v1 as pb;
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

use super::format::{self, Format, Open311Error, render};
use super::{check_jurisdiction, services};
use crate::neighbours::as_edge;
use crate::state::Shared;

/// The most requests a list returns (GeoReport's suggested limit).
const MAX_LISTED: usize = 1000;
/// A list without dates covers the last 90 days (GeoReport's default).
const DEFAULT_DAYS: i64 = 90;

/// `POST requests.{format}`: files a request as a ticket.
pub async fn post(
    State(edge): State<Shared>,
    Path(file): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let format = match format::split(&file) {
        Ok(("requests", format)) => format,
        Ok((name, format)) => {
            return Open311Error::new(405, format!("{name} takes no POST")).render(format);
        }
        Err(err) => return err.render(Format::Json),
    };
    match file_request(&edge, &headers, &body).await {
        Ok(ticket) => {
            let answer = json!([{
                "service_request_id": ticket.number,
                "service_notice": "已受理，将按时限办理 Received; it will be handled within its time limit",
                "account_id": null,
            }]);
            render(StatusCode::CREATED, format, "service_requests", &answer)
        }
        Err(err) => err.render(format),
    }
}

/// Decodes the form, checks the key, files the ticket.
async fn file_request(
    edge: &Shared,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<pb::Ticket, Open311Error> {
    let content_type = headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    let pairs = read_form(content_type, body)?;
    let form = form_fields(&pairs);
    let key = form.get("api_key").copied().unwrap_or_default();
    let keys = edge.open311.keys();
    let Some(client) = keys.iter().position(|k| !key.is_empty() && k == key) else {
        return Err(Open311Error::new(
            403,
            "api_key: missing or not valid; keys come from the town operations centre",
        ));
    };
    check_jurisdiction(
        edge,
        form.get("jurisdiction_id")
            .map(|j| (*j).to_owned())
            .as_ref(),
    )?;
    let request = ticket_request(&form, client, &pairs)?;
    let categories = services::categories(edge).await?;
    let name = categories
        .iter()
        .find(|c| c.code == request.category_code)
        .map(|c| c.name.clone())
        .ok_or_else(|| {
            Open311Error::field(
                "service_code",
                format!("names no service: {}", request.category_code),
            )
        })?;
    let request = pb::CreateTicketRequest {
        title: title(&name, &request.description),
        ..request
    };
    let ticket = edge
        .neighbours
        .dispatch
        .clone()
        .create_ticket(as_edge(request))
        .await?
        .into_inner()
        .ticket
        .unwrap_or_default();
    tracing::info!(ticket_number = %ticket.number, "open311 request filed");
    Ok(ticket)
}

/// Reads a posted form's fields, in order: the body must be form-encoded
/// (as `content_type` says) and hold no NUL.
///
/// # Errors
/// Another content type, a body that is not a form, or a NUL, named.
pub fn read_form(
    content_type: Option<&str>,
    body: &[u8],
) -> Result<Vec<(String, String)>, Open311Error> {
    if !content_type.is_some_and(|v| v.starts_with("application/x-www-form-urlencoded")) {
        return Err(Open311Error::field(
            "Content-Type",
            "must be application/x-www-form-urlencoded",
        ));
    }
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(body)
        .map_err(|_| Open311Error::field("body", "is not a form-encoded request"))?;
    // PostgreSQL stores no NUL in text: refused here, by name, rather than
    // failing in a service as an internal error.
    if let Some((name, _)) = pairs
        .iter()
        .find(|(k, v)| k.contains('\0') || v.contains('\0'))
    {
        return Err(Open311Error::field(
            &name.replace('\0', ""),
            "must not contain the NUL character",
        ));
    }
    Ok(pairs)
}

/// Returns a form's fields by name, their values trimmed (a later field
/// of the same name wins).
pub fn form_fields(pairs: &[(String, String)]) -> HashMap<&str, &str> {
    pairs.iter().map(|(k, v)| (k.as_str(), v.trim())).collect()
}

/// Returns the ticket a form asks for (without its title), naming every
/// broken field.
///
/// # Errors
/// Every broken field, in one 400.
pub fn ticket_request(
    form: &HashMap<&str, &str>,
    client: usize,
    pairs: &[(String, String)],
) -> Result<pb::CreateTicketRequest, Open311Error> {
    let mut broken = Vec::new();
    let service_code = form.get("service_code").copied().unwrap_or_default();
    if service_code.is_empty() {
        broken.push("service_code: is required".to_owned());
    }
    let coordinate =
        |name: &str, range: std::ops::RangeInclusive<f64>| -> Result<Option<f64>, String> {
            match form.get(name).copied().filter(|v| !v.is_empty()) {
                None => Ok(None),
                Some(v) => v
                    .parse::<f64>()
                    .ok()
                    .filter(|x| range.contains(x))
                    .map(Some)
                    .ok_or_else(|| format!("{name}: must be WGS84 degrees in {range:?}")),
            }
        };
    let lat = coordinate("lat", -90.0..=90.0).unwrap_or_else(|e| {
        broken.push(e);
        None
    });
    let long = coordinate("long", -180.0..=180.0).unwrap_or_else(|e| {
        broken.push(e);
        None
    });
    let address = form.get("address_string").copied().unwrap_or_default();
    let location = match (lat, long) {
        (Some(lat), Some(lng)) => Some(pb::LatLng { lat, lng }),
        (None, None) if !address.is_empty() => None,
        (None, None) => {
            broken.push("lat: lat and long, or address_string, are required".to_owned());
            None
        }
        _ => {
            broken.push("long: lat and long come together".to_owned());
            None
        }
    };
    let difficult = match form.get("attribute[difficult]").copied().unwrap_or("false") {
        "true" => true,
        "false" | "" => false,
        _ => {
            broken.push("attribute[difficult]: must be true or false".to_owned());
            false
        }
    };
    if !broken.is_empty() {
        return Err(Open311Error {
            status: 400,
            descriptions: broken,
        });
    }
    let mut description = form
        .get("description")
        .copied()
        .unwrap_or_default()
        .to_owned();
    if !address.is_empty() {
        description = format!("{description}\n地址 Address: {address}");
    }
    if let Some(media) = form.get("media_url").filter(|m| !m.is_empty()) {
        description = format!("{description}\n附件 Media: {media}");
    }
    Ok(pb::CreateTicketRequest {
        idempotency_key: idempotency_key(client, pairs),
        channel: pb::Channel::Open311.into(),
        category_code: service_code.to_owned(),
        description: description.trim().to_owned(),
        location,
        difficult,
        reporter_phone: form.get("phone").copied().unwrap_or_default().to_owned(),
        ..Default::default()
    })
}

/// Returns the key that makes the same request from the same client one
/// ticket: the SHA-256 of the client's number and the request's fields
/// (sorted, the key itself left out).
fn idempotency_key(client: usize, pairs: &[(String, String)]) -> String {
    let mut fields: Vec<_> = pairs
        .iter()
        .filter(|(k, _)| k != "api_key")
        .map(|(k, v)| (k.as_str(), v.trim()))
        .collect();
    fields.sort_unstable();
    let mut hash = Sha256::new();
    hash.update(client.to_le_bytes());
    for (k, v) in fields {
        hash.update(k.as_bytes());
        hash.update([0]);
        hash.update(v.as_bytes());
        hash.update([0]);
    }
    format!("open311-{}", hex::encode(hash.finalize()))
}

/// Returns the ticket's title: the service and the description's start.
fn title(service: &str, description: &str) -> String {
    let start: String = description
        .lines()
        .next()
        .unwrap_or_default()
        .chars()
        .take(60)
        .collect();
    if start.is_empty() {
        format!("{service}（Open311）")
    } else {
        format!("{service}：{start}")
    }
}

/// `GET requests/{id}.{format}`: one request by its number.
pub async fn one(
    State(edge): State<Shared>,
    Path(file): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let (number, format) = match format::split(&file) {
        Ok(split) => split,
        Err(err) => return err.render(Format::Json),
    };
    let outcome = async {
        check_jurisdiction(&edge, query.get("jurisdiction_id"))?;
        let names = names(&edge).await?;
        let ticket = find(&edge, number).await?;
        let one = Value::Array(vec![request_of(&edge, &names, &ticket)]);
        Ok(render(StatusCode::OK, format, "service_requests", &one))
    }
    .await;
    outcome.unwrap_or_else(|err: Open311Error| err.render(format))
}

/// Returns the OPEN311 ticket `number`.
async fn find(edge: &Shared, number: &str) -> Result<pb::Ticket, Open311Error> {
    let not_found = || Open311Error::not_found(format!("service_request_id: no request {number}"));
    let found = edge
        .neighbours
        .dispatch
        .clone()
        .get_ticket(as_edge(pb::GetTicketRequest {
            number: number.to_owned(),
            ..Default::default()
        }))
        .await;
    match found {
        Ok(found) => found
            .into_inner()
            .ticket
            .filter(|t| t.channel() == pb::Channel::Open311)
            .ok_or_else(not_found),
        Err(status) if status.code() == tonic::Code::NotFound => Err(not_found()),
        Err(status) => Err(status.into()),
    }
}

/// Returns the services' names by code.
async fn names(edge: &Shared) -> Result<HashMap<String, String>, Open311Error> {
    Ok(services::categories(edge)
        .await?
        .into_iter()
        .map(|c| (c.code, c.name))
        .collect())
}

/// `GET requests.{format}`: requests by id, service, dates and status.
///
/// # Errors
/// A bad parameter named, another jurisdiction, or dispatch failing.
pub async fn list(
    edge: &Shared,
    query: &HashMap<String, String>,
    format: Format,
) -> Result<Response, Open311Error> {
    check_jurisdiction(edge, query.get("jurisdiction_id"))?;
    let names = names(edge).await?;
    let ids: Vec<&str> = query
        .get("service_request_id")
        .map(|ids| {
            ids.split(',')
                .map(str::trim)
                .filter(|i| !i.is_empty())
                .collect()
        })
        .unwrap_or_default();
    let mut found = Vec::new();
    if !ids.is_empty() {
        for id in ids.iter().take(MAX_LISTED) {
            match find(edge, id).await {
                Ok(ticket) => found.push(request_of(edge, &names, &ticket)),
                Err(err) if err.status == 404 => {}
                Err(err) => return Err(err),
            }
        }
    } else {
        for ticket in listed(edge, query).await? {
            found.push(request_of(edge, &names, &ticket));
        }
    }
    Ok(render(
        StatusCode::OK,
        format,
        "service_requests",
        &Value::Array(found),
    ))
}

/// Returns the OPEN311 tickets a list's parameters select.
async fn listed(
    edge: &Shared,
    query: &HashMap<String, String>,
) -> Result<Vec<pb::Ticket>, Open311Error> {
    let (received_from, received_to) = received_range(query, Utc::now())?;
    let wanted: Vec<&str> = query
        .get("status")
        .map(|s| {
            s.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_default();
    if let Some(bad) = wanted.iter().find(|s| !matches!(**s, "open" | "closed")) {
        return Err(Open311Error::field(
            "status",
            format!("{bad} is not open or closed"),
        ));
    }
    let mut request = pb::ListTicketsRequest {
        channels: vec![pb::Channel::Open311.into()],
        category_code: query.get("service_code").cloned().unwrap_or_default(),
        received_from: Some(received_from),
        received_to,
        page_size: 500,
        ..Default::default()
    };
    let mut tickets = Vec::new();
    loop {
        let page = edge
            .neighbours
            .dispatch
            .clone()
            .list_tickets(as_edge(request.clone()))
            .await?
            .into_inner();
        tickets.extend(
            page.tickets
                .into_iter()
                .filter(|t| wanted.is_empty() || wanted.contains(&status_of(t))),
        );
        if page.next_page_token.is_empty() || tickets.len() >= MAX_LISTED {
            break;
        }
        request.page_token = page.next_page_token;
    }
    tickets.truncate(MAX_LISTED);
    Ok(tickets)
}

/// The receipt times a list asks dispatch for: from `start_date` (else
/// `DEFAULT_DAYS` before the end) to `end_date`. Without an end_date the
/// range is open at its end: `now` in whole seconds would leave out a
/// request received in the current second, and the edge's clock is not
/// dispatch's.
fn received_range(
    query: &HashMap<String, String>,
    now: DateTime<Utc>,
) -> Result<(prost_types::Timestamp, Option<prost_types::Timestamp>), Open311Error> {
    let date = |name: &str| -> Result<Option<DateTime<Utc>>, Open311Error> {
        query
            .get(name)
            .filter(|v| !v.is_empty())
            .map(|v| {
                DateTime::parse_from_rfc3339(v)
                    .map(|d| d.to_utc())
                    .map_err(|_| Open311Error::field(name, "must be a W3C date and time"))
            })
            .transpose()
    };
    let stamp = |t: DateTime<Utc>| prost_types::Timestamp {
        seconds: t.timestamp(),
        nanos: 0,
    };
    let end = date("end_date")?;
    let start = date("start_date")?.unwrap_or(end.unwrap_or(now) - Duration::days(DEFAULT_DAYS));
    Ok((stamp(start), end.map(stamp)))
}

/// Returns GeoReport's status of `ticket`.
fn status_of(ticket: &pb::Ticket) -> &'static str {
    match ticket.state() {
        pb::TicketState::Closed | pb::TicketState::Rejected => "closed",
        _ => "open",
    }
}

/// Returns where `ticket` is in its life, for `status_notes`.
fn notes_of(ticket: &pb::Ticket) -> String {
    use pb::TicketState as S;
    let state = match ticket.state() {
        S::Unspecified | S::Received => "已受理，待派单 Received, waiting to be dispatched",
        S::Dispatched => "已派单 Dispatched",
        S::Accepted => "已签收 Accepted by the handling unit",
        S::InProgress => "办理中 In progress",
        S::Resolved => "已办结，待核查 Resolved, being verified",
        S::Verified => "已核查 Verified",
        S::FollowedUp => "已回访 Followed up",
        S::Closed if !ticket.duplicate_of.is_empty() => {
            "已合并办理 Closed with the report it repeats"
        }
        S::Closed => "已关闭 Closed",
        S::Returned => "已退回城运中心 Returned to the town centre's desk",
        S::Reopened => "已重新办理 Reopened",
        S::UnderReview => "研判中 Under review",
        S::Rejected => "不予受理 Rejected: not a case for the town",
    };
    // A co-handler's task paused or resumed is the desk's business with
    // that unit, not news for the reporter.
    let task_clock = |t: &pb::Transition| {
        matches!(
            t.change(),
            pb::Change::ClockPaused | pb::Change::ClockResumed
        ) && t.unit.is_some()
    };
    let reason = ticket
        .history
        .iter()
        .rev()
        .find(|t| !task_clock(t))
        .map(|t| t.reason.trim())
        .filter(|r| !r.is_empty());
    match reason {
        Some(reason) => format!("{state}: {reason}"),
        None => state.to_owned(),
    }
}

/// Returns a protobuf time as W3C date and time.
fn time(t: Option<&prost_types::Timestamp>) -> Value {
    crate::convert::time(t).map_or(Value::Null, Value::String)
}

/// Returns `ticket` as a GeoReport service request.
fn request_of(edge: &Shared, names: &HashMap<String, String>, ticket: &pb::Ticket) -> Value {
    let agency = ticket
        .assignee
        .as_ref()
        .map(|u| u.name.trim())
        .filter(|n| !n.is_empty())
        .map_or_else(|| edge.open311.agency.clone(), str::to_owned);
    let updated = ticket
        .history
        .last()
        .and_then(|t| t.at.as_ref())
        .or(ticket.received_at.as_ref());
    json!({
        "service_request_id": ticket.number,
        "status": status_of(ticket),
        "status_notes": notes_of(ticket),
        "service_name": names.get(&ticket.category_code).cloned().unwrap_or_else(|| ticket.category_code.clone()),
        "service_code": ticket.category_code,
        "description": ticket.description,
        "agency_responsible": agency,
        "service_notice": null,
        "requested_datetime": time(ticket.received_at.as_ref()),
        "updated_datetime": time(updated),
        "expected_datetime": time(ticket.due_at.as_ref()),
        "address": null,
        "address_id": null,
        "zipcode": null,
        "lat": ticket.location.map(|l| l.lat),
        "long": ticket.location.map(|l| l.lng),
        "media_url": null,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edge_a_list_without_an_end_date_is_open_at_its_end() {
        // georeport listed a request right after posting it and did not
        // find it: "now" cut to the second ended the range before it.
        let now = DateTime::parse_from_rfc3339("2026-03-10T08:00:00.900Z")
            .unwrap()
            .to_utc();
        let (from, to) = received_range(&HashMap::new(), now).unwrap();
        assert_eq!(to, None, "no end: whatever arrived up to now, and since");
        assert_eq!(
            from.seconds,
            (now - Duration::days(DEFAULT_DAYS)).timestamp()
        );
        let query: HashMap<String, String> = [
            ("start_date", "2026-02-01T00:00:00Z"),
            ("end_date", "2026-04-01T00:00:00Z"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let (from, to) = received_range(&query, now).unwrap();
        assert_eq!(from.seconds, 1_769_904_000);
        assert_eq!(to.map(|t| t.seconds), Some(1_775_001_600));
        let bad: HashMap<String, String> = [("end_date".to_owned(), "yesterday".to_owned())].into();
        assert!(received_range(&bad, now).is_err());
    }

    #[test]
    fn edge_status_notes_leave_out_a_co_handlers_task_clock_but_not_the_tickets() {
        let entry = |change: pb::Change, reason: &str, unit: Option<&str>| pb::Transition {
            change: change.into(),
            reason: reason.into(),
            unit: unit.map(|code| pb::Unit {
                code: code.into(),
                ..Default::default()
            }),
            ..Default::default()
        };
        let mut ticket = pb::Ticket {
            state: pb::TicketState::Dispatched.into(),
            history: vec![
                entry(pb::Change::Move, "派往城管中队", None),
                entry(pb::Change::ClockPaused, "等待伤情鉴定", Some("POLICE")),
            ],
            ..Default::default()
        };
        assert!(
            notes_of(&ticket).ends_with(": 派往城管中队"),
            "{}",
            notes_of(&ticket)
        );
        ticket
            .history
            .push(entry(pb::Change::ClockPaused, "等待当事人补充材料", None));
        assert!(
            notes_of(&ticket).ends_with(": 等待当事人补充材料"),
            "{}",
            notes_of(&ticket)
        );
    }

    fn pairs(fields: &[(&str, &str)]) -> Vec<(String, String)> {
        fields
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn the_same_request_in_another_order_has_the_same_key_and_another_client_another() {
        let a = pairs(&[
            ("service_code", "SANITATION"),
            ("lat", "30.1"),
            ("api_key", "k1"),
        ]);
        let b = pairs(&[
            ("lat", "30.1"),
            ("api_key", "k1"),
            ("service_code", "SANITATION"),
        ]);
        assert_eq!(idempotency_key(0, &a), idempotency_key(0, &b));
        assert_ne!(idempotency_key(0, &a), idempotency_key(1, &a));
        let c = pairs(&[
            ("service_code", "SANITATION"),
            ("lat", "30.2"),
            ("api_key", "k1"),
        ]);
        assert_ne!(idempotency_key(0, &a), idempotency_key(0, &c));
    }

    #[test]
    fn a_form_without_service_or_place_names_both_fields() {
        let raw = pairs(&[("lat", "north")]);
        let form: HashMap<&str, &str> = raw.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let err = ticket_request(&form, 0, &raw).unwrap_err();
        assert!(
            err.descriptions
                .iter()
                .any(|d| d.starts_with("service_code:"))
        );
        assert!(err.descriptions.iter().any(|d| d.starts_with("lat:")));
    }
}
