//! The dispatch API's errors and their one mapping to gRPC status.

use platform::error::{
    FieldViolation, constraint, database_status, idempotency_status, internal, invalid_argument,
};
use platform::idempotency::IdempotencyError;
use tonic::Status;

use crate::domain::state::IllegalTransition;

/// Everything a dispatch call can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("invalid request")]
    InvalidArgument(Vec<FieldViolation>),
    #[error("{0} not found")]
    NotFound(String),
    #[error("{0}")]
    FailedPrecondition(String),
    #[error(transparent)]
    IllegalTransition(#[from] IllegalTransition),
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

impl From<ApiError> for Status {
    fn from(err: ApiError) -> Self {
        match err {
            ApiError::InvalidArgument(violations) => invalid_argument(&violations),
            ApiError::NotFound(what) => Status::not_found(format!("{what} not found")),
            ApiError::FailedPrecondition(why) => Status::failed_precondition(why),
            ApiError::IllegalTransition(err) => Status::failed_precondition(err.to_string()),
            ApiError::PermissionDenied(why) => Status::permission_denied(why),
            ApiError::Database(err) => match constraint(&err) {
                Some("extensions_one_pending") => Status::failed_precondition(
                    "an extension request for this ticket is already pending",
                ),
                _ => database_status(&err),
            },
            ApiError::Idempotency(err) => idempotency_status(err),
            ApiError::Internal(err) => internal(&format!("{err:#}")),
        }
    }
}
