//! The mini-program's JSON API under `/api/v1/`. Each handler decodes (bad
//! input → 400 naming the field, before any store or service is touched),
//! makes one call to a service with the resident's identity, and encodes.
//! The OpenAPI 3.1 document is generated from these handlers and types
//! (`utoipa`) and served at `/api/v1/openapi.json`.

pub mod footage;
mod points;
mod reports;
mod sessions;
pub mod views;

use axum::extract::{DefaultBodyLimit, FromRequestParts};
use axum::http::request::Parts;
use axum::routing::{get, post};
use axum::{Json, Router};
use platform::auth::Caller;
use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};

use crate::error::ApiError;
use crate::state::Shared;

/// The OpenAPI document of the mini-program API.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "weigrid mini-program API (村民小程序接口)",
        description = "What the villagers' WeChat mini-program calls: sign-in with the login code, registration, reports with photos, points, the catalogue and redemption, footage applications. Every error has one shape naming the field.",
        version = "1"
    ),
    paths(
        sessions::sign_in,
        sessions::register,
        sessions::me,
        reports::upload_photo,
        reports::submit_report,
        reports::list_reports,
        reports::get_report,
        reports::categories,
        points::balance,
        points::statement,
        points::catalogue,
        points::redeem,
        footage::apply,
        footage::list,
        footage::get,
    ),
    modifiers(&BearerAuth, &CommonResponses),
    tags((name = "mini-program", description = "村民小程序 The villagers' mini-program"))
)]
pub struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "session",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

/// The answers any operation may give beyond its own: 429 from the rate
/// limit per address (every request) or per resident, and 401 where a
/// session is required. Documented on every operation, so that a client
/// (or a fuzzer holding the document to the answers) meets none it was not
/// told of.
struct CommonResponses;

impl utoipa::Modify for CommonResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
        let error = |description: &str| {
            ResponseBuilder::new()
                .description(description)
                .content(
                    "application/json",
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("ErrorBody")))
                        .build(),
                )
                .build()
        };
        for item in openapi.paths.paths.values_mut() {
            for operation in [&mut item.get, &mut item.post].into_iter().flatten() {
                let responses = &mut operation.responses.responses;
                if operation.security.as_ref().is_some_and(|s| !s.is_empty()) {
                    responses
                        .entry("401".to_owned())
                        .or_insert_with(|| error("no valid session").into());
                }
                responses
                    .entry("429".to_owned())
                    .or_insert_with(|| error("too many requests: wait and try again").into());
            }
        }
    }
}

/// Returns the `/api/v1` routes.
pub fn router(edge: &Shared) -> Router<Shared> {
    // A multipart upload of one photo: the photo limit and room for the
    // part's headers.
    let photo_body = usize::try_from(edge.photos.max_bytes).unwrap_or(usize::MAX) + 64 * 1024;
    Router::new()
        .route("/api/v1/openapi.json", get(openapi))
        .route("/api/v1/sessions", post(sessions::sign_in))
        .route("/api/v1/residents", post(sessions::register))
        .route("/api/v1/me", get(sessions::me))
        .route(
            "/api/v1/photos",
            post(reports::upload_photo).layer(DefaultBodyLimit::max(photo_body)),
        )
        .route(
            "/api/v1/reports",
            post(reports::submit_report).get(reports::list_reports),
        )
        .route("/api/v1/reports/{id}", get(reports::get_report))
        .route("/api/v1/categories", get(reports::categories))
        .route("/api/v1/balance", get(points::balance))
        .route("/api/v1/statement", get(points::statement))
        .route("/api/v1/catalogue", get(points::catalogue))
        .route("/api/v1/orders", post(points::redeem))
        .route(
            "/api/v1/footage-applications",
            post(footage::apply).get(footage::list),
        )
        .route("/api/v1/footage-applications/{number}", get(footage::get))
}

async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

/// The signed-in resident of a request: a valid session token of role
/// `resident`, within their rate limit.
pub struct Resident(pub Caller);

impl Resident {
    /// Returns the resident's id (their token's subject).
    pub fn id(&self) -> &str {
        &self.0.subject
    }

    /// Returns the resident's token, forwarded to the services.
    pub fn token(&self) -> &str {
        self.0.token()
    }
}

impl FromRequestParts<Shared> for Resident {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, edge: &Shared) -> Result<Self, ApiError> {
        let header = parts
            .headers
            .get(http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        let caller = edge.sessions.resident(header)?;
        edge.limits.resident(&caller.subject)?;
        Ok(Resident(caller))
    }
}

/// The `Idempotency-Key` header a mutating request carries: a retry with
/// the same key does the work once (the services keep the key).
pub struct IdempotencyKey(pub String);

impl<S: Send + Sync> FromRequestParts<S> for IdempotencyKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let key = parts
            .headers
            .get("idempotency-key")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        // What the document says (pattern `^[!-~]{1,128}$`): 1-128 visible
        // ASCII characters, taken as they are.
        if key.is_empty() || key.len() > 128 || !key.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(ApiError::field(
                "Idempotency-Key",
                "header required: 1-128 visible ASCII characters, the same on a retry",
            ));
        }
        Ok(IdempotencyKey(key.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn document() -> serde_json::Value {
        serde_json::to_value(ApiDoc::openapi()).unwrap()
    }

    #[test]
    fn edge_every_operation_documents_the_rate_limit_and_each_with_a_session_401() {
        // schemathesis met 401s the document did not list.
        let doc = document();
        let mut checked = 0;
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, operation) in item.as_object().unwrap() {
                let responses = &operation["responses"];
                assert!(
                    responses.get("429").is_some(),
                    "{method} {path}: 429 undocumented"
                );
                let secured = operation["security"]
                    .as_array()
                    .is_some_and(|s| !s.is_empty());
                assert_eq!(
                    responses.get("401").is_some(),
                    secured,
                    "{method} {path}: 401 documented if and only if a session is required"
                );
                checked += 1;
            }
        }
        assert_eq!(checked, 15, "every operation of the API");
    }

    #[test]
    fn edge_the_document_states_the_limits_the_edge_enforces() {
        let doc = document();
        let parameter = |path: &str, method: &str, name: &str| {
            doc["paths"][path][method]["parameters"]
                .as_array()
                .unwrap()
                .iter()
                .find(|p| p["name"] == name)
                .unwrap_or_else(|| panic!("{method} {path} has {name}"))
                .clone()
        };
        let size = parameter("/api/v1/reports", "get", "page_size");
        // It was documented as a path parameter, which schemathesis sent
        // nowhere.
        assert_eq!(size["in"], "query");
        assert_eq!(size["schema"]["minimum"], 1);
        assert_eq!(size["schema"]["maximum"], 100);
        for path in ["/api/v1/reports", "/api/v1/orders"] {
            let key = parameter(path, "post", "Idempotency-Key");
            assert_eq!(key["required"], true, "{path}");
            assert_eq!(key["schema"]["pattern"], "^[!-~]{1,128}$", "{path}");
        }
        let schemas = &doc["components"]["schemas"];
        assert_eq!(schemas["PhotoUpload"]["additionalProperties"], false);
        let redeem = &doc["paths"]["/api/v1/orders"]["post"]["responses"];
        assert!(redeem.get("404").is_some(), "an unknown item");
        assert_eq!(
            schemas["SignIn"]["properties"]["login_code"]["maxLength"],
            256
        );
        assert_eq!(
            schemas["Register"]["properties"]["phone"]["pattern"],
            "^1[0-9]{10}$"
        );
        assert_eq!(schemas["Register"]["properties"]["name"]["maxLength"], 50);
        assert_eq!(schemas["NewReport"]["properties"]["severity"]["maximum"], 3);
        assert_eq!(schemas["NewOrder"]["properties"]["quantity"]["maximum"], 10);
    }
}
