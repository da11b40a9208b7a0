//! What the exchange's rules refuse. The application maps each to a gRPC
//! code (`impl From<DomainError> for AppError` in `application/mod.rs`).

use super::case::CaseState;

/// A rule of the exchange, broken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    /// The move is not one the case's state allows.
    #[error("case is {}; allowed: {allowed}", .from.as_str().to_lowercase())]
    IllegalTransition { from: CaseState, allowed: String },
    /// Only the node the case was reported to acknowledges, accepts or
    /// rejects it.
    #[error("only {node} may {action} this case")]
    NotYourMove { node: String, action: &'static str },
    /// A move arrived out of step with the case's history.
    #[error("case is at version {have}; a move to version {got} does not follow")]
    VersionConflict { have: u32, got: u32 },
    /// An agreement needs its text (a field rule of `agreement_text`).
    #[error("must not be empty when agreed")]
    AgreementWithoutText,
}
