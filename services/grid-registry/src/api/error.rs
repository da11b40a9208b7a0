//! The registry API's errors and their one mapping to gRPC status.

use platform::error::{
    FieldViolation, constraint, database_status, idempotency_status, internal, invalid_argument,
};
use platform::idempotency::IdempotencyError;
use tonic::Status;

/// Everything a registry call can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("invalid request")]
    InvalidArgument(Vec<FieldViolation>),
    #[error("{0} not found")]
    NotFound(String),
    /// Not found, with a message that says more than what is missing.
    #[error("{0}")]
    NotFoundBecause(String),
    #[error("{0} already exists")]
    AlreadyExists(String),
    #[error("{0}")]
    FailedPrecondition(String),
    #[error("{0}")]
    PermissionDenied(String),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Idempotency(#[from] IdempotencyError),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl ApiError {
    /// One field violation.
    pub fn invalid(field: impl Into<String>, rule: impl Into<String>) -> Self {
        ApiError::InvalidArgument(vec![FieldViolation::new(field, rule)])
    }
}

/// Named unique constraints and what they mean to a caller.
const UNIQUE: &[(&str, &str)] = &[
    ("grids_code_key", "a grid with this code"),
    (
        "covered_objects_code_key",
        "a covered object with this code",
    ),
    (
        "care_people_code_key",
        "a special-care person with this code",
    ),
    (
        "care_people_id_number_key",
        "a special-care person with this ID number",
    ),
    (
        "members_one_leader",
        "a serving leader of this micro-grid (remove them first)",
    ),
];

impl From<ApiError> for Status {
    fn from(err: ApiError) -> Self {
        match err {
            ApiError::InvalidArgument(violations) => invalid_argument(&violations),
            ApiError::NotFound(what) => Status::not_found(format!("{what} not found")),
            ApiError::NotFoundBecause(message) => Status::not_found(message),
            ApiError::AlreadyExists(what) => {
                Status::already_exists(format!("{what} already exists"))
            }
            ApiError::FailedPrecondition(why) => Status::failed_precondition(why),
            ApiError::PermissionDenied(why) => Status::permission_denied(why),
            ApiError::Database(err) => {
                match constraint(&err).and_then(|c| UNIQUE.iter().find(|(n, _)| *n == c)) {
                    Some((_, what)) => Status::already_exists(format!("{what} already exists")),
                    None => database_status(&err),
                }
            }
            ApiError::Idempotency(err) => idempotency_status(err),
            ApiError::Internal(err) => internal(&format!("{err:#}")),
        }
    }
}
