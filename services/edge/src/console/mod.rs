//! The operations console (运营控制台) under `/console/`: the pages the
//! town centre, the village workstations and the departments work in.
//!
//! Staff sign in with a token of the identity contract (the district's
//! identity provider issues it; in `auth.mode = "dev"` the development
//! sign-in mints one for a chosen role and scope). The edge checks it as
//! every service does and keeps it in a cookie (`HttpOnly`,
//! `SameSite=Strict`, `Secure` outside development): the edge stays
//! stateless, and every call it makes for a page carries that token, so
//! each service limits the caller to their role and scope — a village's
//! staff get their village's tickets from dispatch, not a town-wide list
//! filtered in the browser. Changes (an extension's decision) also need
//! the `x-requested-with: weigrid-console` header, which no other site's
//! form can send.
//!
//! The front end (plain ES modules and Apache ECharts, pinned by
//! `services/edge/console/package-lock.json`) is served from
//! `console.assets_dir`.

mod annual;
mod board;
mod disclosure;
mod layers;
mod moves;
mod pages;
mod views;

use axum::Router;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use http::{HeaderValue, Method, header};
use platform::auth::Caller;
use tower_http::services::{ServeDir, ServeFile};

use crate::error::ApiError;
use crate::staff::{COOKIE, read_cookie, require_change_header};
use crate::state::Shared;

/// Returns the `/console` routes: the JSON the pages read, then the front
/// end's files (any other path under `/console/` is the single page).
pub fn router(edge: &Shared) -> Router<Shared> {
    let assets = &edge.staff.assets;
    let files = ServeDir::new(assets).fallback(ServeFile::new(assets.join("index.html")));
    Router::new()
        .route(
            "/console",
            get(|| async { Redirect::permanent("/console/") }),
        )
        .route("/console/api/sign-in", get(pages::sign_in_options))
        .route(
            "/console/api/session",
            post(pages::sign_in).delete(pages::sign_out),
        )
        .route("/console/api/session/dev", post(pages::dev_sign_in))
        .route("/console/api/me", get(pages::me))
        .route("/console/api/map", get(pages::map))
        .route("/console/api/map/layers", get(layers::layers))
        .route("/console/api/sla", get(pages::sla))
        .route("/console/api/tickets", get(pages::tickets))
        .route("/console/api/tickets/{number}", get(pages::ticket))
        .route(
            "/console/api/tickets/{number}/moves",
            post(moves::make_move),
        )
        .route("/console/api/tickets/{number}/reject", post(moves::reject))
        .route("/console/api/tickets/{number}/merge", post(moves::merge))
        .route("/console/api/tickets/{number}/split", post(moves::split))
        .route("/console/api/extensions", get(pages::extensions))
        .route(
            "/console/api/extensions/{id}/decision",
            post(pages::decide_extension),
        )
        .route("/console/api/assessment", get(pages::assessment))
        .route("/console/api/annual-report", get(annual::annual_report))
        .route("/console/api/disclosures", get(disclosure::list))
        .route(
            "/console/api/disclosures/{number}/review",
            post(disclosure::review),
        )
        .route(
            "/console/api/disclosures/{number}/identity",
            post(disclosure::identity),
        )
        .route("/console/api/{*rest}", get(no_such_page_data))
        .nest_service("/console/", files)
}

async fn no_such_page_data() -> ApiError {
    ApiError::not_found("no such console endpoint")
}

/// A signed-in staff member: a valid token of a staff role from the
/// console's cookie; a change also carries
/// [`crate::staff::CHANGE_HEADER`].
pub struct Staff(pub Caller);

impl Staff {
    /// Returns the token forwarded to the services.
    pub fn token(&self) -> &str {
        self.0.token()
    }
}

impl FromRequestParts<Shared> for Staff {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, edge: &Shared) -> Result<Self, ApiError> {
        let token = read_cookie(&parts.headers, COOKIE)
            .ok_or_else(|| ApiError::unauthenticated("sign in to the console"))?;
        let caller = edge.sessions.staff(&token)?;
        if parts.method != Method::GET && parts.method != Method::HEAD {
            require_change_header(&parts.headers)?;
        }
        Ok(Staff(caller))
    }
}

/// Returns `body` with the cookie `value` set.
fn with_cookie(value: HeaderValue, body: impl IntoResponse) -> Response {
    let mut response = body.into_response();
    response.headers_mut().insert(header::SET_COOKIE, value);
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
