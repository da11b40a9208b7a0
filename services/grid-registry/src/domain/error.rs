//! What a rule of the domain refuses, and why.

use kernel::{FieldViolation, describe};

use super::ids::MemberId;

/// A change the registry's rules refuse.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DomainError {
    /// Bad input: every broken rule, by field.
    #[error("invalid: {}", describe(.0))]
    Invalid(Vec<FieldViolation>),
    /// An update based on a version of the grid that is no longer current.
    #[error("grid {code} is at version {current}, not {expected}; read it again")]
    StaleVersion {
        code: String,
        current: i64,
        expected: i64,
    },
    /// A member removed twice.
    #[error("member {0} was already removed")]
    AlreadyRemoved(MemberId),
}

impl DomainError {
    /// Returns `Ok(())` when nothing broke, else every violation.
    ///
    /// # Errors
    /// [`DomainError::Invalid`] with `violations`, when there are any.
    pub fn check(violations: Vec<FieldViolation>) -> Result<(), DomainError> {
        if violations.is_empty() {
            Ok(())
        } else {
            Err(DomainError::Invalid(violations))
        }
    }
}
