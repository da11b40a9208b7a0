//! The joint case: one shared id, and a state both nodes hold the same
//! because every move is made at one node and applied at the other in the
//! order of its version. The history records who moved it, where and when.
//!
//! ```text
//! REPORTED ─ack (peer node)→ ACKNOWLEDGED ─accept / reject (peer node)→ ACCEPTED | REJECTED
//! ACCEPTED ─schedule mediation→ IN_MEDIATION ─outcome→ AGREED | FAILED
//! AGREED | FAILED | REJECTED ─close→ CLOSED
//! ```

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::envelope::ExchangeStatus;
use super::error::DomainError;
use super::ids::SharedCaseId;
use super::node::NodeId;

/// Where a joint case stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CaseState {
    Reported,
    Acknowledged,
    Accepted,
    Rejected,
    InMediation,
    Agreed,
    Failed,
    Closed,
}

impl CaseState {
    /// Every state, for parsing and tests.
    pub const ALL: [CaseState; 8] = [
        CaseState::Reported,
        CaseState::Acknowledged,
        CaseState::Accepted,
        CaseState::Rejected,
        CaseState::InMediation,
        CaseState::Agreed,
        CaseState::Failed,
        CaseState::Closed,
    ];

    /// Returns the stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            CaseState::Reported => "REPORTED",
            CaseState::Acknowledged => "ACKNOWLEDGED",
            CaseState::Accepted => "ACCEPTED",
            CaseState::Rejected => "REJECTED",
            CaseState::InMediation => "IN_MEDIATION",
            CaseState::Agreed => "AGREED",
            CaseState::Failed => "FAILED",
            CaseState::Closed => "CLOSED",
        }
    }

    /// Returns the state stored as `text`.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// Returns the states a case may move to from here.
    pub fn next(self) -> &'static [CaseState] {
        match self {
            CaseState::Reported => &[CaseState::Acknowledged],
            CaseState::Acknowledged => &[CaseState::Accepted, CaseState::Rejected],
            CaseState::Accepted => &[CaseState::InMediation],
            CaseState::InMediation => &[CaseState::Agreed, CaseState::Failed],
            CaseState::Agreed | CaseState::Failed | CaseState::Rejected => &[CaseState::Closed],
            CaseState::Closed => &[],
        }
    }

    /// Returns whether only the node a case was reported to makes the move
    /// to `self` (its acknowledgement and its decision).
    fn receivers_only(self) -> Option<&'static str> {
        match self {
            CaseState::Acknowledged => Some("acknowledge"),
            CaseState::Accepted => Some("accept"),
            CaseState::Rejected => Some("reject"),
            _ => None,
        }
    }
}

/// A party to a case, whole as the node that knows it stores it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Party {
    pub role: String,
    pub name: String,
    pub phone: String,
    pub id_number: String,
    /// The node of the side the party belongs to.
    pub side: String,
}

/// What a case is about.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct CaseSummary {
    pub category_code: String,
    pub title: String,
    pub description: String,
    pub location: Option<(f64, f64)>,
    pub parties: Vec<Party>,
    pub claimed_amount_fen: i64,
}

/// An obligation an agreement puts on a party.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Obligation {
    pub party: String,
    pub duty: String,
    pub amount_fen: i64,
    pub due_at: Option<DateTime<Utc>>,
}

/// A joint mediation and its outcome.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Mediation {
    pub scheduled_at: Option<DateTime<Utc>>,
    pub place: String,
    pub mediators: Vec<Party>,
    pub parties: Vec<Party>,
    pub agreement_text: String,
    pub agreed_amount_fen: i64,
    pub obligations: Vec<Obligation>,
    pub concluded: bool,
    pub agreed: bool,
}

/// One move of a case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseMove {
    pub version: u32,
    pub to: CaseState,
    pub by_node: NodeId,
    pub by_person: String,
    pub at: DateTime<Utc>,
    pub reason: String,
}

/// A joint case as one node holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct JointCase {
    pub shared_id: SharedCaseId,
    pub origin_node: NodeId,
    pub peer_node: NodeId,
    pub origin_case_number: String,
    pub peer_case_number: String,
    pub state: CaseState,
    pub status: ExchangeStatus,
    pub summary: CaseSummary,
    pub mediation: Option<Mediation>,
    pub version: u32,
    pub history: Vec<CaseMove>,
    /// Whether each side's own dispatch ticket is closed.
    pub origin_ticket_closed: bool,
    pub peer_ticket_closed: bool,
}

impl JointCase {
    /// Reports a case of `origin` to `peer`: a new shared id, REPORTED,
    /// version 1, moved by `person` at `at`.
    pub fn report(
        origin: NodeId,
        peer: NodeId,
        case_number: String,
        summary: CaseSummary,
        status: ExchangeStatus,
        person: &str,
        at: DateTime<Utc>,
    ) -> Self {
        let first = CaseMove {
            version: 1,
            to: CaseState::Reported,
            by_node: origin.clone(),
            by_person: person.to_owned(),
            at,
            reason: String::new(),
        };
        Self::received(
            SharedCaseId::generate(),
            origin,
            peer,
            case_number,
            summary,
            status,
            first,
        )
    }

    /// Returns the case as the node it is reported to takes it in, from the
    /// report's first move.
    pub fn received(
        shared_id: SharedCaseId,
        origin: NodeId,
        peer: NodeId,
        case_number: String,
        summary: CaseSummary,
        status: ExchangeStatus,
        first: CaseMove,
    ) -> Self {
        Self {
            shared_id,
            origin_node: origin,
            peer_node: peer,
            origin_case_number: case_number,
            peer_case_number: String::new(),
            state: CaseState::Reported,
            status,
            summary,
            mediation: None,
            version: first.version,
            history: vec![first],
            origin_ticket_closed: false,
            peer_ticket_closed: false,
        }
    }

    /// Returns the case numbers seen from `me`: its own, then the other
    /// side's.
    pub fn case_numbers(&self, me: &NodeId) -> (String, String) {
        if &self.origin_node == me {
            (
                self.origin_case_number.clone(),
                self.peer_case_number.clone(),
            )
        } else {
            (
                self.peer_case_number.clone(),
                self.origin_case_number.clone(),
            )
        }
    }

    /// Notes what `side`'s node says of its own dispatch ticket of the
    /// case: its number (kept once known) and whether it is closed (a
    /// closure stays). Returns whether anything changed; a side that is
    /// not the case's changes nothing.
    pub fn note_ticket(&mut self, side: &NodeId, case_number: &str, closed: bool) -> bool {
        let (number, was_closed) = if side == &self.origin_node {
            (&mut self.origin_case_number, &mut self.origin_ticket_closed)
        } else if side == &self.peer_node {
            (&mut self.peer_case_number, &mut self.peer_ticket_closed)
        } else {
            return false;
        };
        let mut changed = false;
        if number.is_empty() && !case_number.is_empty() {
            case_number.clone_into(number);
            changed = true;
        }
        if closed && !*was_closed {
            *was_closed = true;
            changed = true;
        }
        changed
    }

    /// Returns the other side of the case, seen from `me`.
    pub fn other_side(&self, me: &NodeId) -> &NodeId {
        if &self.origin_node == me {
            &self.peer_node
        } else {
            &self.origin_node
        }
    }

    /// Makes the next move here: to `to`, by `person` of node `me`.
    ///
    /// # Errors
    /// The state does not allow it, or only the other node may make it.
    pub fn make_move(
        &mut self,
        me: &NodeId,
        to: CaseState,
        person: &str,
        reason: &str,
        at: DateTime<Utc>,
    ) -> Result<CaseMove, DomainError> {
        let step = CaseMove {
            version: self.version + 1,
            to,
            by_node: me.clone(),
            by_person: person.to_owned(),
            at,
            reason: reason.to_owned(),
        };
        self.apply(&step)?;
        Ok(step)
    }

    /// Applies a move made at either node: the next version, a state the
    /// current one allows, by a node that may make it.
    ///
    /// # Errors
    /// Out of step, not allowed from here, or not that node's move.
    pub fn apply(&mut self, step: &CaseMove) -> Result<(), DomainError> {
        if step.version != self.version + 1 {
            return Err(DomainError::VersionConflict {
                have: self.version,
                got: step.version,
            });
        }
        if !self.state.next().contains(&step.to) {
            return Err(DomainError::IllegalTransition {
                from: self.state,
                allowed: allowed(self.state),
            });
        }
        if let Some(action) = step.to.receivers_only()
            && step.by_node != self.peer_node
        {
            return Err(DomainError::NotYourMove {
                node: self.peer_node.to_string(),
                action,
            });
        }
        self.state = step.to;
        self.version = step.version;
        self.history.push(step.clone());
        Ok(())
    }

    /// Applies a move that brings a mediation (scheduled, or its outcome).
    ///
    /// # Errors
    /// As [`JointCase::apply`]; an agreement without its text.
    pub fn apply_with_mediation(
        &mut self,
        step: &CaseMove,
        mediation: Mediation,
    ) -> Result<(), DomainError> {
        if step.to == CaseState::Agreed && mediation.agreement_text.trim().is_empty() {
            return Err(DomainError::AgreementWithoutText);
        }
        self.apply(step)?;
        self.mediation = Some(mediation);
        Ok(())
    }
}

/// Returns the moves allowed from `state`, for messages.
fn allowed(state: CaseState) -> String {
    let next: Vec<String> = state
        .next()
        .iter()
        .map(|s| s.as_str().to_lowercase())
        .collect();
    if next.is_empty() {
        "none".to_owned()
    } else {
        next.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn langxia() -> NodeId {
        NodeId::parse("shanghai/jinshan/langxia/case-exchange").unwrap()
    }

    fn xindai() -> NodeId {
        NodeId::parse("zhejiang/pinghu/xindai/case-exchange").unwrap()
    }

    fn reported() -> JointCase {
        JointCase::report(
            langxia(),
            xindai(),
            "LX-2026-000001".into(),
            CaseSummary::default(),
            ExchangeStatus::Actual,
            "desk",
            DateTime::UNIX_EPOCH,
        )
    }

    #[test]
    fn the_flow_of_a_mediated_case_runs_from_report_to_close() {
        let mut case = reported();
        case.make_move(
            &xindai(),
            CaseState::Acknowledged,
            "node",
            "",
            DateTime::UNIX_EPOCH,
        )
        .unwrap();
        case.make_move(
            &xindai(),
            CaseState::Accepted,
            "xd",
            "",
            DateTime::UNIX_EPOCH,
        )
        .unwrap();
        case.make_move(
            &langxia(),
            CaseState::InMediation,
            "lx",
            "",
            DateTime::UNIX_EPOCH,
        )
        .unwrap();
        let agreed = CaseMove {
            version: 5,
            to: CaseState::Agreed,
            by_node: xindai(),
            by_person: "xd".into(),
            at: DateTime::UNIX_EPOCH,
            reason: String::new(),
        };
        let without_text = case
            .clone()
            .apply_with_mediation(&agreed, Mediation::default());
        assert_eq!(without_text, Err(DomainError::AgreementWithoutText));
        case.apply_with_mediation(
            &agreed,
            Mediation {
                agreement_text: "赔偿十二万元".into(),
                ..Mediation::default()
            },
        )
        .unwrap();
        case.make_move(
            &langxia(),
            CaseState::Closed,
            "lx",
            "",
            DateTime::UNIX_EPOCH,
        )
        .unwrap();
        assert_eq!(case.state, CaseState::Closed);
        assert_eq!(case.version, 6);
        assert_eq!(case.history.len(), 6);
    }

    #[test]
    fn only_the_receiving_node_acknowledges_accepts_or_rejects() {
        let mut case = reported();
        let err = case
            .make_move(
                &langxia(),
                CaseState::Acknowledged,
                "lx",
                "",
                DateTime::UNIX_EPOCH,
            )
            .unwrap_err();
        assert!(matches!(
            err,
            DomainError::NotYourMove {
                action: "acknowledge",
                ..
            }
        ));
        assert_eq!(case.version, 1, "a refused move changes nothing");
    }

    #[test]
    fn a_move_out_of_step_or_out_of_order_is_refused() {
        let mut case = reported();
        let skipped = CaseMove {
            version: 3,
            to: CaseState::Acknowledged,
            by_node: xindai(),
            by_person: "x".into(),
            at: DateTime::UNIX_EPOCH,
            reason: String::new(),
        };
        assert_eq!(
            case.apply(&skipped),
            Err(DomainError::VersionConflict { have: 1, got: 3 })
        );
        let err = case
            .make_move(&xindai(), CaseState::Closed, "x", "", DateTime::UNIX_EPOCH)
            .unwrap_err();
        assert_eq!(err.to_string(), "case is reported; allowed: acknowledged");
    }

    #[test]
    fn every_state_parses_from_its_stored_name() {
        for state in CaseState::ALL {
            assert_eq!(CaseState::parse(state.as_str()), Some(state));
        }
        assert_eq!(CaseState::parse("LOST"), None);
    }

    #[test]
    fn each_side_notes_its_own_ticket_once_and_a_closure_stays() {
        let mut case = reported();
        assert!(case.note_ticket(&xindai(), "XD-2026-000007", false));
        assert_eq!(case.peer_case_number, "XD-2026-000007");
        assert!(
            !case.note_ticket(&xindai(), "XD-2026-000008", false),
            "the number is kept"
        );
        assert!(case.note_ticket(&xindai(), "", true));
        assert!(case.peer_ticket_closed && !case.origin_ticket_closed);
        assert!(!case.note_ticket(&xindai(), "", false), "a closure stays");
        assert!(case.note_ticket(&langxia(), "", true));
        assert!(case.origin_ticket_closed);
        assert_eq!(case.origin_case_number, "LX-2026-000001");
        let stranger = NodeId::parse("zhejiang/pinghu/guangchen/case-exchange").unwrap();
        assert!(!case.note_ticket(&stranger, "GC-1", true));
    }
}
