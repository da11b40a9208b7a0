//! What the video rules refuse. The application maps each to a gRPC code
//! (`impl From<DomainError> for AppError` in `application/mod.rs`) or, at
//! the SIP gateway, to a SIP answer.

use kernel::FieldViolation;

/// A rule of the video domain, broken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    /// Bad input, by field.
    #[error("invalid: {}", kernel::describe(.0))]
    Invalid(Vec<FieldViolation>),
    /// A keepalive or catalogue from a device that is not registered.
    #[error("device {0} is not registered")]
    NotRegistered(String),
}
