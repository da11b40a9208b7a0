//! Open311 GeoReport v2 (`/open311/v2/`), for existing civic-reporting
//! clients and open-data tools: discovery, the service list (dispatch's
//! categories), service definitions, and service requests, each in JSON
//! (`.json`) and XML (`.xml`).
//!
//! - A posted request (form-encoded, with an `api_key` from
//!   `open311.api_keys`) becomes a dispatch ticket on the OPEN311 channel,
//!   filed with the edge's own token. Its idempotency key is the SHA-256 of
//!   the client's key and the request's fields, so the same request twice
//!   is one ticket. Names and e-mail addresses are not kept (dispatch has
//!   no place for them); a phone goes to dispatch, which masks it.
//! - Reading requests shows only tickets of the OPEN311 channel: what was
//!   posted here can be read here, while villagers' and hotline cases stay
//!   with the town's staff.
//! - A ticket's status is `closed` once dispatch closed it and `open`
//!   before; `status_notes` say where in its life it is (Chinese and
//!   English), `agency_responsible` who holds it, `expected_datetime` its
//!   deadline.
//!
//! Errors are GeoReport's list of `{code, description}`; a description
//! names the field (`service_code: …`), dispatch's field violations
//! carried through under the GeoReport names.

mod format;
mod requests;
mod services;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::get;
use std::collections::HashMap;

pub use format::{Format, Open311Error};
/// The form decoding of a posted request, without the services (fuzzed).
pub use requests::{form_fields, read_form, ticket_request};

use crate::state::Shared;

/// Returns the `/open311/v2` routes.
pub fn router() -> Router<Shared> {
    Router::new()
        .route("/open311/v2/{file}", get(collection).post(requests::post))
        .route("/open311/v2/services/{file}", get(services::definition))
        .route("/open311/v2/requests/{file}", get(requests::one))
}

/// `discovery`, `services` and `requests`, by the file asked for.
async fn collection(
    State(edge): State<Shared>,
    Path(file): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let (name, format) = match format::split(&file) {
        Ok(split) => split,
        Err(err) => return err.render(Format::Json),
    };
    let outcome = match name {
        "discovery" => Ok(services::discovery(&headers, format)),
        "services" => services::list(&edge, &query, format).await,
        "requests" => requests::list(&edge, &query, format).await,
        _ => Err(Open311Error::not_found(format!("no resource {name}"))),
    };
    outcome.unwrap_or_else(|err| err.render(format))
}

/// Checks `jurisdiction_id`: absent, or the one this endpoint serves.
///
/// # Errors
/// 404 naming the field for another jurisdiction.
fn check_jurisdiction(edge: &Shared, given: Option<&String>) -> Result<(), Open311Error> {
    match given.map(|j| j.trim()) {
        None | Some("") => Ok(()),
        Some(j) if j == edge.open311.jurisdiction_id => Ok(()),
        Some(j) => Err(Open311Error::new(
            404,
            format!(
                "jurisdiction_id: {j} is not served here; this endpoint serves {}",
                edge.open311.jurisdiction_id
            ),
        )),
    }
}
