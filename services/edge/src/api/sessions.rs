//! Signing in and registering. The mini-program sends the one-time code of
//! `wx.login()`; the edge exchanges it for the user's openid and asks points
//! (with its own token: the user has no session yet) for the resident
//! registered to it. Registering takes a fresh code the same way, so the
//! edge never holds a half-made identity between two requests.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use proto::points::v1 as pb;
use tonic::Code;

use super::Resident;
use super::views::{Register, ResidentView, SessionView, SignIn};
use crate::error::{ApiError, ErrorBody, JsonBody};
use crate::neighbours::{as_caller, as_edge};
use crate::state::Shared;
use crate::wechat::{LoginError, OpenId};

/// Signs a registered resident in.
#[utoipa::path(post, path = "/api/v1/sessions", tag = "mini-program",
    request_body = SignIn,
    responses(
        (status = 200, description = "signed in", body = SessionView),
        (status = 400, description = "bad input, by field", body = ErrorBody),
        (status = 404, description = "`not_registered`: register first", body = ErrorBody),
        (status = 429, description = "too many requests", body = ErrorBody),
    ))]
pub async fn sign_in(
    State(edge): State<Shared>,
    JsonBody(body): JsonBody<SignIn>,
) -> Result<Json<SessionView>, ApiError> {
    let openid = exchange(&edge, &body.login_code).await?;
    let request = pb::GetResidentRequest {
        openid: openid.0,
        ..Default::default()
    };
    let found = edge
        .neighbours
        .points
        .clone()
        .get_resident(as_edge(request))
        .await;
    let resident = match found {
        Ok(found) => found.into_inner().resident.unwrap_or_default(),
        Err(status) if status.code() == Code::NotFound => return Err(ApiError::not_registered()),
        Err(status) => return Err(status.into()),
    };
    session_of(&edge, &resident).map(Json)
}

/// Registers the mini-program's user as a resident and signs them in.
#[utoipa::path(post, path = "/api/v1/residents", tag = "mini-program",
    request_body = Register,
    responses(
        (status = 201, description = "registered and signed in", body = SessionView),
        (status = 400, description = "bad input, by field", body = ErrorBody),
        (status = 429, description = "too many requests", body = ErrorBody),
    ))]
pub async fn register(
    State(edge): State<Shared>,
    JsonBody(body): JsonBody<Register>,
) -> Result<(StatusCode, Json<SessionView>), ApiError> {
    check_registration(&body)?;
    let openid = exchange(&edge, &body.login_code).await?;
    let request = pb::RegisterResidentRequest {
        // Registering the same openid again returns the resident, so a
        // retry with a new key is harmless.
        idempotency_key: uuid::Uuid::now_v7().to_string(),
        openid: openid.0,
        name: body.name.trim().to_owned(),
        phone: body.phone.clone(),
        village_code: body.village_code.trim().to_owned(),
        ..Default::default()
    };
    let registered = edge
        .neighbours
        .points
        .clone()
        .register_resident(as_edge(request))
        .await?
        .into_inner()
        .resident
        .unwrap_or_default();
    Ok((StatusCode::CREATED, Json(session_of(&edge, &registered)?)))
}

/// Returns the signed-in resident.
#[utoipa::path(get, path = "/api/v1/me", tag = "mini-program",
    security(("session" = [])),
    responses(
        (status = 200, description = "the resident", body = ResidentView),
        (status = 401, description = "no valid session", body = ErrorBody),
    ))]
pub async fn me(
    State(edge): State<Shared>,
    resident: Resident,
) -> Result<Json<ResidentView>, ApiError> {
    let request = pb::GetResidentRequest {
        id: resident.id().to_owned(),
        ..Default::default()
    };
    let found = edge
        .neighbours
        .points
        .clone()
        .get_resident(as_caller(request, resident.token())?)
        .await?
        .into_inner()
        .resident
        .unwrap_or_default();
    Ok(Json(ResidentView::from(&found)))
}

/// Checks a registration's shape before the login code is spent on it.
fn check_registration(body: &Register) -> Result<(), ApiError> {
    let mut violations = Vec::new();
    let mut check = |ok: bool, field: &str, rule: &str| {
        if !ok {
            violations.push(platform::error::FieldViolation::new(field, rule));
        }
    };
    // As the document says (views::Register): at most 50 characters as
    // sent, not only spaces; the phone's 11 digits exactly, nothing around.
    let name = body.name.chars().count();
    check(
        (1..=50).contains(&name) && !body.name.trim().is_empty(),
        "name",
        "must be 1-50 characters, not only spaces",
    );
    let phone = body.phone.as_str();
    check(
        phone.len() == 11 && phone.starts_with('1') && phone.bytes().all(|b| b.is_ascii_digit()),
        "phone",
        "must be an 11-digit mainland mobile number",
    );
    check(
        body.village_code.chars().count() <= 64,
        "village_code",
        "must be at most 64 characters",
    );
    check(
        !body.village_code.trim().is_empty(),
        "village_code",
        "is required: the village or residential grid, e.g. LX-V02",
    );
    check(
        !body.login_code.trim().is_empty(),
        "login_code",
        "is required: the code of wx.login()",
    );
    if violations.is_empty() {
        Ok(())
    } else {
        Err(ApiError::invalid(violations))
    }
}

/// Exchanges the login code for the user's openid.
async fn exchange(edge: &Shared, code: &str) -> Result<OpenId, ApiError> {
    let code = code.trim();
    if code.is_empty() || code.len() > 256 {
        return Err(ApiError::field(
            "login_code",
            "is required: the code of wx.login(), at most 256 characters",
        ));
    }
    edge.wechat.exchange(code).await.map_err(|err| match err {
        LoginError::InvalidCode(rule) => ApiError::field("login_code", rule),
        LoginError::Unavailable(why) => {
            tracing::warn!(error = %why, "login exchange failed");
            ApiError::unavailable("WeChat sign-in is not reachable; try again")
        }
    })
}

/// Returns a session for `resident`.
fn session_of(edge: &Shared, resident: &pb::Resident) -> Result<SessionView, ApiError> {
    let session = edge.sessions.issue(&resident.id)?;
    tracing::info!(resident_id = %resident.id, "resident signed in");
    Ok(SessionView {
        token: session.token,
        expires_at: session.expires_at.to_rfc3339(),
        resident: ResidentView::from(resident),
    })
}
