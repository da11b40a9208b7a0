//! Errors shared by every service's API: field-level bad-request details
//! and the mapping of infrastructure failures to gRPC codes.

use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt as _};

/// One broken input rule: the field (a path such as `boundary.exterior` or
/// `features[3].properties.households`) and the rule it breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldViolation {
    pub field: String,
    pub rule: String,
}

impl FieldViolation {
    /// Returns a violation of `rule` by `field`.
    pub fn new(field: impl Into<String>, rule: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            rule: rule.into(),
        }
    }
}

/// Returns INVALID_ARGUMENT carrying `google.rpc.BadRequest` with every
/// violation; the message names them too, for clients that ignore details.
pub fn invalid_argument(violations: &[FieldViolation]) -> Status {
    let message = violations
        .iter()
        .map(|v| format!("{}: {}", v.field, v.rule))
        .collect::<Vec<_>>()
        .join("; ");
    let mut details = ErrorDetails::new();
    for v in violations {
        details.add_bad_request_violation(v.field.clone(), v.rule.clone());
    }
    Status::with_error_details(
        Code::InvalidArgument,
        format!("invalid request: {message}"),
        details,
    )
}

/// Returns the field violations carried by an INVALID_ARGUMENT status.
pub fn field_violations(status: &Status) -> Vec<FieldViolation> {
    status
        .get_details_bad_request()
        .map(|b| {
            b.field_violations
                .into_iter()
                .map(|v| FieldViolation::new(v.field, v.description))
                .collect()
        })
        .unwrap_or_default()
}

/// Maps a database error that is not a named constraint: a pool timeout or
/// a lost connection is UNAVAILABLE and a deadlock ABORTED (the call may be
/// retried), anything else is INTERNAL and logged once, here, with its
/// chain.
pub fn database_status(err: &sqlx::Error) -> Status {
    // A deadlock or a serialization failure: the transaction was rolled
    // back and the call may be retried as it was.
    if let Some(code) = err.as_database_error().and_then(|e| e.code())
        && matches!(code.as_ref(), "40P01" | "40001")
    {
        tracing::warn!(error = %err, "transaction aborted by the database");
        return Status::aborted("transaction aborted by a concurrent one; try again");
    }
    match err {
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
            tracing::warn!(error = %err, "database unavailable");
            Status::unavailable("database unavailable; try again")
        }
        _ => internal(err),
    }
}

/// Logs `err` and returns INTERNAL without its text.
pub fn internal(err: &dyn std::fmt::Display) -> Status {
    tracing::error!(error = %err, "internal error");
    Status::internal("internal error")
}

/// Maps a failed idempotency check: a key reused for another request is
/// FAILED_PRECONDITION naming the key; the database as [`database_status`].
pub fn idempotency_status(err: crate::idempotency::IdempotencyError) -> Status {
    use crate::idempotency::IdempotencyError;
    match err {
        IdempotencyError::KeyReused { key, rpc } => Status::failed_precondition(format!(
            "idempotency key {key:?} was already used for a different {rpc} request"
        )),
        IdempotencyError::Database(err) => database_status(&err),
        err => internal(&err),
    }
}

/// Returns the name of the violated constraint when `err` is one.
pub fn constraint(err: &sqlx::Error) -> Option<&str> {
    err.as_database_error().and_then(|e| e.constraint())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_request_details_survive_the_round_trip() {
        let status = invalid_argument(&[
            FieldViolation::new("households", "must be between 20 and 50"),
            FieldViolation::new("code", "must not be empty"),
        ]);
        assert_eq!(status.code(), Code::InvalidArgument);
        assert!(
            status
                .message()
                .contains("households: must be between 20 and 50")
        );
        let fields: Vec<_> = field_violations(&status)
            .into_iter()
            .map(|v| v.field)
            .collect();
        assert_eq!(fields, ["households", "code"]);
    }
}
