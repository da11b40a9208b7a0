//! Referral to case review (研判) and the review's decision as dispatch
//! carries it out: a redispatch to the units the decision names, or
//! closure with the decision as the result.

use chrono::{DateTime, Utc};
use kernel::FieldViolation;

use super::error::DomainError;
use super::unit::UnitRef;

/// What the desk asks a review for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReferralKind {
    /// Legal risk and consequences.
    LegalRisk,
    /// A professional opinion.
    Professional,
    /// Policy.
    Policy,
}

/// The longest question a referral asks.
const QUESTION_CHARS: usize = 2000;
/// The most material references and parties a referral names.
const LISTED: usize = 100;

/// A referral as the desk asks it.
#[derive(Debug, Clone, PartialEq)]
pub struct ReferralRequest {
    pub kind: Option<ReferralKind>,
    pub question: String,
    pub materials: Vec<String>,
    pub parties: Vec<String>,
    pub major: bool,
    pub deadline: Option<DateTime<Utc>>,
    pub urgent: bool,
}

/// A checked referral.
#[derive(Debug, Clone, PartialEq)]
pub struct Referral {
    pub kind: ReferralKind,
    pub question: String,
    pub materials: Vec<String>,
    pub parties: Vec<String>,
    pub major: bool,
    pub deadline: Option<DateTime<Utc>>,
    pub urgent: bool,
}

impl ReferralRequest {
    /// Checks the referral made `now`.
    ///
    /// # Errors
    /// [`DomainError::Invalid`] naming every broken rule, in field order.
    pub fn check(self, now: DateTime<Utc>) -> Result<Referral, DomainError> {
        let mut broken = Vec::new();
        if self.kind.is_none() {
            broken.push(FieldViolation::new(
                "kind",
                "must be LEGAL_RISK, PROFESSIONAL or POLICY",
            ));
        }
        let question = self.question.trim().to_owned();
        if question.is_empty() || question.chars().count() > QUESTION_CHARS {
            broken.push(FieldViolation::new(
                "question",
                format!("must be 1 to {QUESTION_CHARS} characters"),
            ));
        }
        let materials = listed(self.materials);
        if materials.len() > LISTED {
            broken.push(FieldViolation::new(
                "materials",
                format!("must name at most {LISTED} references"),
            ));
        }
        let parties = listed(self.parties);
        if parties.len() > LISTED {
            broken.push(FieldViolation::new(
                "parties",
                format!("must name at most {LISTED} parties"),
            ));
        }
        if self.deadline.is_some_and(|d| d <= now) {
            broken.push(FieldViolation::new("deadline", "must be in the future"));
        }
        match self.kind {
            Some(kind) if broken.is_empty() => Ok(Referral {
                kind,
                question,
                materials,
                parties,
                major: self.major,
                deadline: self.deadline,
                urgent: self.urgent,
            }),
            _ => Err(DomainError::Invalid(broken)),
        }
    }
}

/// Returns the non-blank entries, trimmed.
fn listed(entries: Vec<String>) -> Vec<String> {
    entries
        .into_iter()
        .map(|e| e.trim().to_owned())
        .filter(|e| !e.is_empty())
        .collect()
}

/// What the review's decision asks of the ticket.
#[derive(Debug, Clone, PartialEq)]
pub enum CarryOut {
    /// Dispatch again: `lead` leads, `co_handlers` co-handle.
    Redispatch {
        lead: UnitRef,
        co_handlers: Vec<UnitRef>,
    },
    /// Close with `result`.
    Close { result: String },
}

/// The review's decision on a referred ticket.
#[derive(Debug, Clone, PartialEq)]
pub struct ReviewDecision {
    /// The review, for the history.
    pub review: String,
    /// adopted, partly adopted or not adopted.
    pub outcome: String,
    pub reasons: String,
    pub carry_out: CarryOut,
}

impl ReviewDecision {
    /// Returns the note the ticket's history keeps of it.
    pub fn note(&self) -> String {
        let mut note = format!("review {} decided: {}", self.review, self.outcome);
        if !self.reasons.trim().is_empty() {
            note.push_str("; ");
            note.push_str(self.reasons.trim());
        }
        note
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> ReferralRequest {
        ReferralRequest {
            kind: Some(ReferralKind::LegalRisk),
            question: "  强拆是否有法律风险？ ".into(),
            materials: vec!["doc-1".into(), " ".into()],
            parties: vec!["张三".into()],
            major: true,
            deadline: None,
            urgent: false,
        }
    }

    #[test]
    fn a_referral_is_trimmed_and_blank_entries_dropped() {
        let referral = request().check(Utc::now()).unwrap();
        assert_eq!(referral.question, "强拆是否有法律风险？");
        assert_eq!(referral.materials, ["doc-1"]);
    }

    #[test]
    fn a_referral_without_kind_or_question_or_with_a_past_deadline_names_each_field() {
        let now = Utc::now();
        let err = ReferralRequest {
            kind: None,
            question: " ".into(),
            deadline: Some(now),
            ..request()
        }
        .check(now)
        .unwrap_err();
        let DomainError::Invalid(broken) = err else {
            panic!("invalid");
        };
        let fields: Vec<_> = broken.iter().map(|v| v.field.as_str()).collect();
        assert_eq!(fields, ["kind", "question", "deadline"]);
    }

    #[test]
    fn the_decision_note_names_the_review_the_outcome_and_the_reasons() {
        let decision = ReviewDecision {
            review: "r-1".into(),
            outcome: "adopted".into(),
            reasons: "依法稳妥".into(),
            carry_out: CarryOut::Close { result: "x".into() },
        };
        assert_eq!(decision.note(), "review r-1 decided: adopted; 依法稳妥");
    }
}
