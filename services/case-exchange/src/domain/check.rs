//! The joint information check (信息联查): a town asks a peer what it
//! knows of a person (by id number) or an enterprise (by name), naming
//! why and the officer who approved the question. The peer answers from
//! the joint cases it holds, with only what its sharing policy lets leave
//! (the RESPONSE rule), or refuses with a reason. Both the question and
//! the answer travel as envelopes, so both are on each side's message log.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::case::JointCase;
use super::ids::CheckId;
use super::node::NodeId;

/// What a check asks about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SubjectKind {
    /// A person, by id number.
    Person,
    /// An enterprise or shop, by its name.
    Enterprise,
}

impl SubjectKind {
    /// Returns the stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            SubjectKind::Person => "PERSON",
            SubjectKind::Enterprise => "ENTERPRISE",
        }
    }

    /// Returns the kind stored as `text`.
    pub fn parse(text: &str) -> Option<Self> {
        [Self::Person, Self::Enterprise]
            .into_iter()
            .find(|k| k.as_str() == text)
    }
}

/// Where a check stands at the asking town.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CheckState {
    /// Sent; the answer is awaited.
    Pending,
    /// Answered (possibly with no findings).
    Answered,
    /// Refused by the peer, with a reason.
    Refused,
}

impl CheckState {
    /// Returns the stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            CheckState::Pending => "PENDING",
            CheckState::Answered => "ANSWERED",
            CheckState::Refused => "REFUSED",
        }
    }

    /// Returns the state stored as `text`.
    pub fn parse(text: &str) -> Option<Self> {
        [Self::Pending, Self::Answered, Self::Refused]
            .into_iter()
            .find(|s| s.as_str() == text)
    }
}

/// The question, as it travels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckRequest {
    pub check_id: CheckId,
    pub kind: SubjectKind,
    /// The id number or the enterprise's name.
    pub subject: String,
    /// Why the town asks (for the other side's record and its policy).
    pub purpose: String,
    /// The officer who approved the question.
    pub approved_by: String,
    /// The person who asked.
    pub requested_by: String,
}

/// One thing the answering town knows of the subject: a party of one of
/// its joint cases, as the policy lets it leave (empty where withheld).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Finding {
    pub shared_case_id: String,
    pub category_code: String,
    pub case_state: String,
    pub role: String,
    pub name: String,
    pub phone: String,
    pub id_number: String,
}

/// The answer, as it travels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckAnswer {
    pub check_id: CheckId,
    /// Refused: `reason` says why, and there are no findings.
    pub refused: bool,
    pub reason: String,
    pub findings: Vec<Finding>,
}

/// A check as the asking town keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    pub check_id: CheckId,
    pub peer: NodeId,
    pub kind: SubjectKind,
    /// Kept masked: the whole subject left in the envelope only.
    pub subject_masked: String,
    pub purpose: String,
    pub approved_by: String,
    pub requested_by: String,
    pub state: CheckState,
    pub reason: String,
    pub findings: Vec<Finding>,
    pub requested_at: DateTime<Utc>,
    pub answered_at: Option<DateTime<Utc>>,
}

impl Check {
    /// Records `answer`; returns whether it changed anything (a check is
    /// answered once, a later answer is kept in the log only).
    pub fn answer(&mut self, answer: &CheckAnswer, at: DateTime<Utc>) -> bool {
        if self.state != CheckState::Pending {
            return false;
        }
        self.state = if answer.refused {
            CheckState::Refused
        } else {
            CheckState::Answered
        };
        self.reason.clone_from(&answer.reason);
        self.findings.clone_from(&answer.findings);
        self.answered_at = Some(at);
        true
    }
}

/// Why a check is refused before anything is looked up, or `None` when it
/// may be answered: a question without its purpose or approving officer
/// is never answered, nor one the policy gives no answers to.
pub fn refusal(request: &CheckRequest, policy_covers: bool) -> Option<String> {
    if request.purpose.trim().is_empty() {
        return Some("查询未说明用途 (the check names no purpose)".into());
    }
    if request.approved_by.trim().is_empty() {
        return Some("查询未经审批 (the check names no approving officer)".into());
    }
    if request.subject.trim().is_empty() {
        return Some("查询未指明对象 (the check names no subject)".into());
    }
    if !policy_covers {
        return Some(
            "共享策略不允许答复此类查询 (the sharing policy answers no checks from this peer)"
                .into(),
        );
    }
    None
}

/// Returns the whole findings of `request` among `cases`: every party of a
/// case or its mediation that is the subject (by id number for a person,
/// by name for an enterprise). The policy shapes them before they leave.
pub fn findings(request: &CheckRequest, cases: &[JointCase]) -> Vec<Finding> {
    let subject = request.subject.trim();
    let mut found = Vec::new();
    for case in cases {
        let mediation = case.mediation.iter().flat_map(|m| m.parties.iter());
        for party in case.summary.parties.iter().chain(mediation) {
            let matches = match request.kind {
                SubjectKind::Person => party.id_number == subject,
                SubjectKind::Enterprise => party.name == subject,
            };
            let finding = Finding {
                shared_case_id: case.shared_id.to_string(),
                category_code: case.summary.category_code.clone(),
                case_state: case.state.as_str().to_owned(),
                role: party.role.clone(),
                name: party.name.clone(),
                phone: party.phone.clone(),
                id_number: party.id_number.clone(),
            };
            if matches && !found.contains(&finding) {
                found.push(finding);
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(purpose: &str, approved_by: &str) -> CheckRequest {
        CheckRequest {
            check_id: CheckId::generate(),
            kind: SubjectKind::Person,
            subject: "330482199001011234".into(),
            purpose: purpose.into(),
            approved_by: approved_by.into(),
            requested_by: "desk-op".into(),
        }
    }

    #[test]
    fn a_check_without_purpose_approval_or_policy_is_refused_with_its_reason() {
        assert!(
            refusal(&request("", "张科长"), true)
                .unwrap()
                .contains("purpose")
        );
        assert!(
            refusal(&request("工伤调解核实身份", " "), true)
                .unwrap()
                .contains("approving")
        );
        assert!(
            refusal(&request("工伤调解核实身份", "张科长"), false)
                .unwrap()
                .contains("policy")
        );
        assert_eq!(refusal(&request("工伤调解核实身份", "张科长"), true), None);
    }

    #[test]
    fn a_check_is_answered_once() {
        let mut check = Check {
            check_id: CheckId::generate(),
            peer: NodeId::parse("zhejiang/pinghu/xindai/case-exchange").unwrap(),
            kind: SubjectKind::Person,
            subject_masked: "3304**********1234".into(),
            purpose: "核实".into(),
            approved_by: "张科长".into(),
            requested_by: "desk-op".into(),
            state: CheckState::Pending,
            reason: String::new(),
            findings: Vec::new(),
            requested_at: DateTime::UNIX_EPOCH,
            answered_at: None,
        };
        let refused = CheckAnswer {
            check_id: check.check_id,
            refused: true,
            reason: "no".into(),
            findings: Vec::new(),
        };
        assert!(check.answer(&refused, DateTime::UNIX_EPOCH));
        assert_eq!(check.state, CheckState::Refused);
        let later = CheckAnswer {
            refused: false,
            ..refused
        };
        assert!(!check.answer(&later, DateTime::UNIX_EPOCH));
        assert_eq!(check.state, CheckState::Refused);
    }
}
