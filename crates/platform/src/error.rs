//! Errors shared by every service's API: field-level bad-request details
//! and the mapping of infrastructure failures to gRPC codes.

use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt as _};

/// One broken input rule, field and rule: the kernel's, so that a domain's
/// violations become [`AppError::InvalidArgument`] as they are.
pub use kernel::FieldViolation;
use kernel::describe;

/// Returns INVALID_ARGUMENT carrying `google.rpc.BadRequest` with every
/// violation; the message names them too, for clients that ignore details.
pub fn invalid_argument(violations: &[FieldViolation]) -> Status {
    let message = describe(violations);
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

/// Everything a use case can fail with, as the gRPC edge reports it: one
/// type for every service. A service maps its own domain errors into it
/// (`impl From<DomainError> for AppError`), and maps a named constraint
/// where the query that can break it runs ([`AppError::on_constraint`]).
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Bad input: every broken rule, by field.
    #[error("invalid request: {}", describe(.0))]
    InvalidArgument(Vec<FieldViolation>),
    /// What is missing, e.g. `ticket LX-2026-000123`.
    #[error("{0} not found")]
    NotFound(String),
    /// Not found, with a message that says more than what is missing.
    #[error("{0}")]
    NotFoundBecause(String),
    /// What exists already, e.g. `a grid with this code`.
    #[error("{0} already exists")]
    AlreadyExists(String),
    /// The state does not allow it: an illegal transition, a closed order.
    #[error("{0}")]
    FailedPrecondition(String),
    /// The caller may not do this.
    #[error("{0}")]
    PermissionDenied(String),
    /// A concurrent call won a race the caller may simply retry.
    #[error("{0}")]
    Aborted(String),
    /// A dependency (another service, NATS) is away; try again.
    #[error("{0}")]
    Unavailable(String),
    /// The service is at its bound (e.g. events in flight): try again
    /// later, more slowly.
    #[error("{0}")]
    ResourceExhausted(String),
    /// The database failed; mapped by [`database_status`].
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    /// An idempotency key reused for another request, or the key store failed.
    #[error(transparent)]
    Idempotency(#[from] crate::idempotency::IdempotencyError),
    /// Anything else: logged with its chain, reported as "internal error".
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl AppError {
    /// Returns one field violation.
    pub fn invalid(field: impl Into<String>, rule: impl Into<String>) -> Self {
        AppError::InvalidArgument(vec![FieldViolation::new(field, rule)])
    }

    /// Returns `err` as `mapped` when it is the named constraint `name`, as
    /// a database error otherwise: for the query that can break it.
    pub fn on_constraint(err: sqlx::Error, name: &str, mapped: impl FnOnce() -> AppError) -> Self {
        if constraint(&err) == Some(name) {
            mapped()
        } else {
            AppError::Database(err)
        }
    }

    /// Returns the violations, when the request was refused as bad input.
    pub fn violations(&self) -> Option<&[FieldViolation]> {
        match self {
            AppError::InvalidArgument(v) => Some(v),
            _ => None,
        }
    }
}

/// Collects field violations and turns them into one error: checks add to
/// it and [`Violations::finish`] refuses the request when any broke.
#[derive(Debug, Default)]
pub struct Violations(Vec<FieldViolation>);

impl Violations {
    /// Returns an empty collection.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records that `field` breaks `rule`.
    pub fn add(&mut self, field: impl Into<String>, rule: impl Into<String>) {
        self.0.push(FieldViolation::new(field, rule));
    }

    /// Records `rule` for `field` unless `ok`.
    pub fn check(&mut self, ok: bool, field: impl Into<String>, rule: impl Into<String>) {
        if !ok {
            self.add(field, rule);
        }
    }

    /// Returns whether nothing broke yet.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Returns `Ok(())` when nothing broke, else every violation.
    ///
    /// # Errors
    /// [`AppError::InvalidArgument`] with every recorded violation.
    pub fn finish(self) -> Result<(), AppError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(AppError::InvalidArgument(self.0))
        }
    }
}

impl Extend<FieldViolation> for Violations {
    fn extend<I: IntoIterator<Item = FieldViolation>>(&mut self, iter: I) {
        self.0.extend(iter);
    }
}

impl From<AppError> for Status {
    fn from(err: AppError) -> Self {
        match err {
            AppError::InvalidArgument(violations) => invalid_argument(&violations),
            AppError::NotFound(what) => Status::not_found(format!("{what} not found")),
            AppError::NotFoundBecause(message) => Status::not_found(message),
            AppError::AlreadyExists(what) => {
                Status::already_exists(format!("{what} already exists"))
            }
            AppError::FailedPrecondition(why) => Status::failed_precondition(why),
            AppError::PermissionDenied(why) => Status::permission_denied(why),
            AppError::Aborted(why) => Status::aborted(why),
            AppError::Unavailable(why) => Status::unavailable(why),
            AppError::ResourceExhausted(why) => Status::resource_exhausted(why),
            AppError::Database(err) => database_status(&err),
            AppError::Idempotency(err) => idempotency_status(err),
            AppError::Internal(err) => internal(&format!("{err:#}")),
        }
    }
}

/// A stored value the code does not know: an error naming the table, the
/// column and the value, never a silent default.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{table}.{column} holds {value:?}, which this version does not know")]
pub struct UnknownStoredValue {
    pub table: &'static str,
    pub column: &'static str,
    pub value: String,
}

impl UnknownStoredValue {
    /// Returns the error for `value` found in `table`.`column`.
    pub fn new(table: &'static str, column: &'static str, value: impl Into<String>) -> Self {
        Self {
            table,
            column,
            value: value.into(),
        }
    }
}

/// Returns a stored count, which the table keeps non-negative; a negative
/// one is an [`UnknownStoredValue`] naming table, column and value, never
/// read as 0.
///
/// # Errors
/// `value` is negative.
pub fn stored_count(
    table: &'static str,
    column: &'static str,
    value: i32,
) -> Result<u32, UnknownStoredValue> {
    u32::try_from(value).map_err(|_| UnknownStoredValue::new(table, column, value.to_string()))
}

impl From<UnknownStoredValue> for AppError {
    fn from(err: UnknownStoredValue) -> Self {
        AppError::Internal(err.into())
    }
}

impl From<UnknownStoredValue> for sqlx::Error {
    fn from(err: UnknownStoredValue) -> Self {
        sqlx::Error::Decode(Box::new(err))
    }
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
