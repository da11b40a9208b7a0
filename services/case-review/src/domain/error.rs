//! What the review rules refuse. The application maps each to a gRPC code
//! (`impl From<DomainError> for AppError` in `application/mod.rs`); the
//! messages are what callers see.

use kernel::FieldViolation;

use super::ids::{ExpertId, OpinionId, PolicyId, RecommendationId, ReviewId, WorkItemId};

/// A rule of the review domain, broken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    /// Bad input by field: a panel that breaks a composition or conflict
    /// rule (the rule's name opens each), a wrong version or signature, a
    /// recommendation citing what it may not.
    #[error("{}", kernel::describe(.0))]
    Invalid(Vec<FieldViolation>),
    /// A decided review changes no more.
    #[error("review {0} is decided; it changes no more")]
    Decided(ReviewId),
    /// Only a seated expert gives an opinion or stands down.
    #[error("expert {0} is not seated on this review's panel")]
    NotSeated(ExpertId),
    /// Only the latest version of an opinion is returned, once.
    #[error("opinion {0} is not the expert's current opinion")]
    NotCurrent(OpinionId),
    /// An opinion that is not this review's.
    #[error("opinion {0} is not an opinion of this review")]
    UnknownOpinion(OpinionId),
    /// One consolidated recommendation is open at a time.
    #[error("recommendation {0} is open; withdraw it before opening another")]
    RecommendationOpen(RecommendationId),
    /// Only the open recommendation is withdrawn.
    #[error("recommendation {0} is not open")]
    RecommendationClosed(RecommendationId),
    /// A recommendation that is not this review's.
    #[error("recommendation {0} is not a recommendation of this review")]
    UnknownRecommendation(RecommendationId),
    /// The decision waits for the required review: what is missing.
    #[error("the required review is incomplete: {}", .0.join("; "))]
    Incomplete(Vec<String>),
    /// A policy is broken into work items once.
    #[error("policy {0} is broken into work items already")]
    PolicyDecomposed(PolicyId),
    /// A step a work item's state does not allow (closing before the
    /// town verified it, among others).
    #[error("work item {item} is {state}; it cannot {action} it; allowed from: {allowed}")]
    WorkItemState {
        item: WorkItemId,
        state: &'static str,
        action: String,
        allowed: String,
    },
}

impl DomainError {
    /// Returns one field violation.
    pub fn invalid(field: impl Into<String>, rule: impl Into<String>) -> Self {
        DomainError::Invalid(vec![FieldViolation::new(field, rule)])
    }
}
