//! The points API's errors and their one mapping to gRPC status.

use platform::error::{
    FieldViolation, constraint, database_status, idempotency_status, internal, invalid_argument,
};
use platform::idempotency::IdempotencyError;
use tonic::Status;

use crate::domain::ledger::LedgerError;
use crate::repository::ledger::PostError;

/// Everything a points call can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("invalid request")]
    InvalidArgument(Vec<FieldViolation>),
    #[error("{0} not found")]
    NotFound(String),
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

impl From<PostError> for ApiError {
    fn from(err: PostError) -> Self {
        match err {
            PostError::Refused(LedgerError::Zero) => ApiError::invalid("amount", "must not be 0"),
            PostError::Refused(err) => ApiError::FailedPrecondition(err.to_string()),
            PostError::NoAccount(id) => ApiError::NotFound(format!("account {id}")),
            PostError::Database(err) => ApiError::Database(err),
        }
    }
}

impl From<ApiError> for Status {
    fn from(err: ApiError) -> Self {
        match err {
            ApiError::InvalidArgument(violations) => invalid_argument(&violations),
            ApiError::NotFound(what) => Status::not_found(format!("{what} not found")),
            ApiError::FailedPrecondition(why) => Status::failed_precondition(why),
            ApiError::PermissionDenied(why) => Status::permission_denied(why),
            ApiError::Database(err) => match constraint(&err) {
                Some("residents_openid_key") => Status::aborted(
                    "a resident with this openid was registered at the same moment; try again",
                ),
                Some("catalog_items_stock_check") => {
                    Status::failed_precondition("the stock cannot go below 0")
                }
                Some("households_village_code_label_key") => {
                    Status::already_exists("this village already has a household with this label")
                }
                _ => database_status(&err),
            },
            ApiError::Idempotency(err) => idempotency_status(err),
            ApiError::Internal(err) => internal(&format!("{err:#}")),
        }
    }
}
