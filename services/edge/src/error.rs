//! The one error shape of the mini-program API:
//!
//! ```json
//! {"error": {"code": "invalid_argument", "message": "…",
//!            "fields": [{"field": "category_code", "rule": "…"}]}}
//! ```
//!
//! A service's INVALID_ARGUMENT arrives with `google.rpc.BadRequest` field
//! violations; they are carried through as they are, so the mini-program
//! hears the same field names it sent (the JSON bodies use the services'
//! field names). Internal failures are logged once, here, and the caller
//! hears only "internal error".

use axum::Json;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use platform::error::FieldViolation;
use serde::Serialize;
use tonic::Code;
use utoipa::ToSchema;

/// A refused or failed request, as the mini-program hears it.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub fields: Vec<FieldViolation>,
    /// Seconds to wait before trying again (rate limits).
    pub retry_after: Option<u64>,
}

/// The body of every error response.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

/// What went wrong.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// `invalid_argument`, `unauthenticated`, `permission_denied`,
    /// `not_found`, `not_registered`, `already_exists`,
    /// `failed_precondition`, `rate_limited`, `unavailable` or `internal`.
    pub code: String,
    /// A sentence for people (English; the mini-program shows its own
    /// Chinese text by `code` and field).
    pub message: String,
    /// Each broken input rule, by field (`photos[1]`, `location.lat`).
    pub fields: Vec<FieldError>,
}

/// One broken input rule.
#[derive(Debug, Serialize, ToSchema)]
pub struct FieldError {
    pub field: String,
    pub rule: String,
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            fields: Vec::new(),
            retry_after: None,
        }
    }

    /// Returns a bad request naming every broken rule.
    pub fn invalid(fields: Vec<FieldViolation>) -> Self {
        let message = format!("invalid request: {}", kernel::describe(&fields));
        Self {
            fields,
            ..Self::new(StatusCode::BAD_REQUEST, "invalid_argument", message)
        }
    }

    /// Returns a bad request of one field.
    pub fn field(field: impl Into<String>, rule: impl Into<String>) -> Self {
        Self::invalid(vec![FieldViolation::new(field, rule)])
    }

    /// Returns 401: no session, or one that is not valid.
    pub fn unauthenticated(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthenticated", message)
    }

    /// Returns 403.
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "permission_denied", message)
    }

    /// Returns 404 for `what`.
    pub fn not_found(what: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", what)
    }

    /// Returns 404 for a mini-program user who has not registered yet.
    pub fn not_registered() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_registered",
            "no resident is registered for this mini-program user; register first",
        )
    }

    /// Returns 429 with the seconds to wait.
    pub fn rate_limited(what: &str, retry_after: u64) -> Self {
        Self {
            retry_after: Some(retry_after.max(1)),
            ..Self::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                format!("too many requests {what}; try again later"),
            )
        }
    }

    /// Returns 503: a dependency is away.
    pub fn unavailable(message: impl Into<String>) -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", message)
    }

    /// Returns 500, logging `err` once with its chain.
    pub fn internal(err: &dyn std::fmt::Display) -> Self {
        tracing::error!(error = %err, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "internal error",
        )
    }

    /// Returns the body.
    pub fn body(&self) -> ErrorBody {
        ErrorBody {
            error: ErrorDetail {
                code: self.code.to_owned(),
                message: self.message.clone(),
                fields: self
                    .fields
                    .iter()
                    .map(|v| FieldError {
                        field: v.field.clone(),
                        rule: v.rule.clone(),
                    })
                    .collect(),
            },
        }
    }
}

impl From<tonic::Status> for ApiError {
    /// Maps a service's answer: field violations carried through, codes to
    /// HTTP statuses, internal detail withheld.
    fn from(status: tonic::Status) -> Self {
        let message = status.message().to_owned();
        match status.code() {
            Code::InvalidArgument => {
                let fields = platform::error::field_violations(&status);
                if fields.is_empty() {
                    Self::new(StatusCode::BAD_REQUEST, "invalid_argument", message)
                } else {
                    Self::invalid(fields)
                }
            }
            Code::NotFound => Self::not_found(message),
            Code::AlreadyExists => Self::new(StatusCode::CONFLICT, "already_exists", message),
            Code::FailedPrecondition | Code::Aborted => {
                Self::new(StatusCode::CONFLICT, "failed_precondition", message)
            }
            Code::Unauthenticated => Self::unauthenticated(message),
            Code::PermissionDenied => Self::forbidden(message),
            Code::ResourceExhausted => Self::rate_limited("to the services", 1),
            Code::Unavailable | Code::DeadlineExceeded => {
                tracing::warn!(code = ?status.code(), "a service did not answer");
                Self::unavailable("a service is not reachable; try again")
            }
            _ => Self::internal(&format!("{:?}: {message}", status.code())),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, Json(self.body())).into_response();
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(http::header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

/// Decodes a JSON body, naming the field of a value of the wrong type (the
/// path `location.lat`) or of a missing one, and refusing a body that is
/// not JSON or not `application/json`.
pub struct JsonBody<T>(pub T);

impl<T, S> axum::extract::FromRequest<S> for JsonBody<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, ApiError> {
        let json = req
            .headers()
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json"));
        if !json {
            return Err(ApiError::field("Content-Type", "must be application/json"));
        }
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|_| ApiError::field("body", "must be at most the allowed size"))?;
        decode_json(&bytes).map(JsonBody)
    }
}

/// Decodes `bytes` as JSON into `T`, naming the field that breaks it.
///
/// # Errors
/// INVALID_ARGUMENT naming the field (or `body` when it is not JSON), a
/// text holding the NUL character among them.
pub fn decode_json<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let value = decode_typed(bytes)?;
    // PostgreSQL stores no NUL in text: a `\u0000` anywhere is refused here,
    // by its field, rather than failing in a service as an internal error
    // (schemathesis found it so).
    let tree: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|_| ApiError::field("body", "must be a JSON object"))?;
    if let Some(field) = nul_in(&tree, "") {
        return Err(ApiError::field(field, "must not contain the NUL character"));
    }
    Ok(value)
}

/// Returns the path of the first string (or key) in `value` holding NUL.
fn nul_in(value: &serde_json::Value, path: &str) -> Option<String> {
    let join = |key: &str| {
        if path.is_empty() {
            key.to_owned()
        } else {
            format!("{path}.{key}")
        }
    };
    match value {
        serde_json::Value::String(text) if text.contains('\0') => Some(if path.is_empty() {
            "body".to_owned()
        } else {
            path.to_owned()
        }),
        serde_json::Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, item)| nul_in(item, &format!("{path}[{i}]"))),
        serde_json::Value::Object(fields) => fields.iter().find_map(|(key, item)| {
            if key.contains('\0') {
                Some(join(&key.replace('\0', "")))
            } else {
                nul_in(item, &join(key))
            }
        }),
        _ => None,
    }
}

fn decode_typed<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(&mut de).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        let message = inner.to_string();
        let syntax = matches!(
            inner.classify(),
            serde_json::error::Category::Syntax | serde_json::error::Category::Eof
        );
        // serde names a missing field in its message, not in the path.
        let field = match message.strip_prefix("missing field `") {
            _ if syntax => "body".to_owned(),
            Some(rest) => {
                let name = rest.split('`').next().unwrap_or_default();
                if path == "." {
                    name.to_owned()
                } else {
                    format!("{path}.{name}")
                }
            }
            None if path == "." => "body".to_owned(),
            None => path,
        };
        let rule = match syntax {
            true => "must be a JSON object".to_owned(),
            false => message
                .split(" at line ")
                .next()
                .unwrap_or_default()
                .to_owned(),
        };
        ApiError::field(field, rule)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Place {
        name: String,
        location: Location,
    }

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Location {
        lat: f64,
    }

    #[test]
    fn a_value_of_the_wrong_type_is_named_by_its_path() {
        let err = decode_json::<Place>(br#"{"name":"x","location":{"lat":"north"}}"#).unwrap_err();
        assert_eq!(err.fields[0].field, "location.lat");
        assert_eq!(err.status, StatusCode::BAD_REQUEST);
    }

    #[test]
    fn edge_a_nul_character_in_any_text_is_refused_by_its_field() {
        // schemathesis sent one in a report; PostgreSQL refused it in
        // points, and the mini-program got an internal error.
        let err =
            decode_json::<Place>(br#"{"name":"a\u0000b","location":{"lat":1.0}}"#).unwrap_err();
        assert_eq!(err.status, StatusCode::BAD_REQUEST);
        assert_eq!(err.fields[0].field, "name");
        assert!(err.fields[0].rule.contains("NUL"), "{:?}", err.fields);
        let err = decode_json::<serde_json::Value>(br#"{"photos":["ok","\u0000"]}"#).unwrap_err();
        assert_eq!(err.fields[0].field, "photos[1]");
        let err = decode_json::<serde_json::Value>(br#"{"location":{"lat\u0000":1}}"#).unwrap_err();
        assert_eq!(err.fields[0].field, "location.lat");
        decode_json::<Place>(br#"{"name":"\\u0000 is six characters","location":{"lat":1.0}}"#)
            .expect("an escaped backslash is no NUL");
    }

    #[test]
    fn a_missing_field_is_named() {
        let err = decode_json::<Place>(br#"{"location":{"lat":1.0}}"#).unwrap_err();
        assert_eq!(err.fields[0].field, "name");
        let err = decode_json::<Place>(br#"{"name":"x","location":{}}"#).unwrap_err();
        assert_eq!(err.fields[0].field, "location.lat");
    }

    #[test]
    fn a_body_that_is_not_json_names_the_body() {
        let err = decode_json::<Place>(b"name=x").unwrap_err();
        assert_eq!(err.fields[0].field, "body");
        let err = decode_json::<Place>(br#"{"name": "#).unwrap_err();
        assert_eq!(
            err.fields[0].field, "body",
            "cut off JSON is the body's fault"
        );
    }

    #[test]
    fn a_services_field_violations_are_carried_through() {
        let status = platform::error::invalid_argument(&[FieldViolation::new(
            "category_code",
            "unknown category",
        )]);
        let err = ApiError::from(status);
        assert_eq!(err.status, StatusCode::BAD_REQUEST);
        assert_eq!(err.fields[0].field, "category_code");
        let internal = ApiError::from(tonic::Status::internal("SELECT … failed"));
        assert_eq!(internal.message, "internal error", "no detail leaks");
    }
}
