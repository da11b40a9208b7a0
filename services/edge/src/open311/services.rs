//! Discovery, the service list and service definitions. A service is one
//! of dispatch's active categories; every one takes the optional attribute
//! `difficult` (a case the micro-grid cannot settle alone goes to the
//! town centre's desk).

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use proto::dispatch::v1 as pb;
use serde_json::{Value, json};

use super::check_jurisdiction;
use super::format::{self, Format, Open311Error, render};
use crate::neighbours::as_edge;
use crate::state::Shared;

/// When this endpoint's description last changed.
const CHANGESET: &str = "2026-12-01T00:00:00Z";

/// The GeoReport v2 specification's address, as discovery names it.
const SPECIFICATION: &str = "http://wiki.open311.org/GeoReport_v2";

/// Returns the discovery document, with this endpoint's address as the
/// caller reached it.
pub fn discovery(headers: &HeaderMap, format: Format) -> Response {
    let host = headers
        .get(http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1:8080");
    let scheme = headers
        .get("x-forwarded-proto")
        .and_then(|h| h.to_str().ok())
        .unwrap_or("http");
    let body = json!({
        "changeset": CHANGESET,
        "contact": "廊下镇城运中心 Langxia Town Operations Centre",
        "key_service": "API keys from the town operations centre (廊下镇城运中心)",
        "endpoints": [{
            "specification": SPECIFICATION,
            "url": format!("{scheme}://{host}/open311/v2"),
            "changeset": CHANGESET,
            "type": "production",
            "formats": ["application/json", "text/xml"],
        }],
    });
    render(StatusCode::OK, format, "discovery", &body)
}

/// Returns dispatch's active categories.
///
/// # Errors
/// Dispatch unreachable or failing.
pub async fn categories(edge: &Shared) -> Result<Vec<pb::Category>, Open311Error> {
    Ok(edge
        .neighbours
        .dispatch
        .clone()
        .list_categories(as_edge(pb::ListCategoriesRequest {
            include_inactive: false,
        }))
        .await?
        .into_inner()
        .categories)
}

/// Returns the service of `category`.
fn service(category: &pb::Category) -> Value {
    json!({
        "service_code": category.code,
        "service_name": category.name,
        "description": format!(
            "{}：{} 个工作日内办结 / handled within {} working days",
            category.name, category.working_days, category.working_days
        ),
        "metadata": true,
        "type": "realtime",
        "keywords": category.domain_code.to_lowercase().replace('_', " "),
        "group": category.domain_code,
    })
}

/// `GET services.{format}`: the service list.
///
/// # Errors
/// Another jurisdiction, or dispatch failing.
pub async fn list(
    edge: &Shared,
    query: &HashMap<String, String>,
    format: Format,
) -> Result<Response, Open311Error> {
    check_jurisdiction(edge, query.get("jurisdiction_id"))?;
    let services: Vec<Value> = categories(edge).await?.iter().map(service).collect();
    Ok(render(
        StatusCode::OK,
        format,
        "services",
        &Value::Array(services),
    ))
}

/// `GET services/{code}.{format}`: a service's definition.
pub async fn definition(
    State(edge): State<Shared>,
    Path(file): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let (code, format) = match format::split(&file) {
        Ok(split) => split,
        Err(err) => return err.render(Format::Json),
    };
    let outcome = async {
        check_jurisdiction(&edge, query.get("jurisdiction_id"))?;
        let categories = categories(&edge).await?;
        if !categories.iter().any(|c| c.code == code) {
            return Err(Open311Error::not_found(format!(
                "service_code: no service {code}"
            )));
        }
        let body = json!({
            "service_code": code,
            "attributes": [{
                "variable": true,
                "code": "difficult",
                "datatype": "singlevaluelist",
                "required": false,
                "datatype_description": "true or false",
                "order": 1,
                "description": "需要多部门协同处置吗？ Does it need several departments (it then goes to the town centre's desk)?",
                "values": [
                    {"key": "false", "name": "否 No"},
                    {"key": "true", "name": "是 Yes"},
                ],
            }],
        });
        Ok(render(StatusCode::OK, format, "service_definition", &body))
    }
    .await;
    outcome.unwrap_or_else(|err: Open311Error| err.render(format))
}
