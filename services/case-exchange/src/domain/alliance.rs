//! The safe-merchants alliance (平安商户联盟: the shops of both halves of
//! Shantang old street) and the ten-household joint defence groups (十户联防)
//! a town keeps, and the joint emergency response (处突联动): an alert
//! fanned out to the peers and to the members, each acknowledgement
//! tracked, and whoever has not acknowledged by the deadline escalated —
//! a ticket for a person at the town that fanned it out.

use chrono::{DateTime, Duration, Utc};

use super::ids::MemberId;

/// What a member is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MemberKind {
    /// A shop of the safe-merchants alliance.
    AllianceShop,
    /// A ten-household joint defence group.
    JointDefenceGroup,
}

impl MemberKind {
    /// Returns the stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            MemberKind::AllianceShop => "ALLIANCE_SHOP",
            MemberKind::JointDefenceGroup => "JOINT_DEFENCE_GROUP",
        }
    }

    /// Returns the kind stored as `text`.
    pub fn parse(text: &str) -> Option<Self> {
        [Self::AllianceShop, Self::JointDefenceGroup]
            .into_iter()
            .find(|k| k.as_str() == text)
    }
}

/// A member this town keeps. The contact is personal data: whole only
/// here, masked in every answer and log, never on the bus.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub member_id: MemberId,
    pub kind: MemberKind,
    /// The shop's or the group's name.
    pub name: String,
    /// Where: the half of the street, the village.
    pub place: String,
    /// The households of a joint defence group (10 or so); 0 for a shop.
    pub households: u32,
    pub contact_name: String,
    pub contact_phone: String,
    pub joined_at: DateTime<Utc>,
}

/// Who an alert was fanned out to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Recipient {
    /// A peer node (its id).
    Peer(String),
    /// A member of this town.
    Member(MemberId),
}

/// Where a recipient stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AckState {
    /// Told; no acknowledgement yet.
    Notified,
    Acknowledged,
    /// The deadline passed without one: a person here follows it up.
    Escalated,
}

impl AckState {
    /// Returns the stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            AckState::Notified => "NOTIFIED",
            AckState::Acknowledged => "ACKNOWLEDGED",
            AckState::Escalated => "ESCALATED",
        }
    }

    /// Returns the state stored as `text`.
    pub fn parse(text: &str) -> Option<Self> {
        [Self::Notified, Self::Acknowledged, Self::Escalated]
            .into_iter()
            .find(|s| s.as_str() == text)
    }
}

/// One recipient of an alert and its acknowledgement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertAck {
    /// The alert: its CAP sender and identifier.
    pub sender: String,
    pub identifier: String,
    pub recipient: Recipient,
    pub state: AckState,
    pub notified_at: DateTime<Utc>,
    /// When the recipient must have acknowledged.
    pub due_at: DateTime<Utc>,
    pub acked_at: Option<DateTime<Utc>>,
    /// Who acknowledged (the person at the peer, or who took the member's).
    pub acked_by: String,
}

impl AlertAck {
    /// Returns a recipient told at `now`, due within `within`.
    pub fn notified(
        sender: &str,
        identifier: &str,
        recipient: Recipient,
        now: DateTime<Utc>,
        within: Duration,
    ) -> Self {
        Self {
            sender: sender.to_owned(),
            identifier: identifier.to_owned(),
            recipient,
            state: AckState::Notified,
            notified_at: now,
            due_at: now + within,
            acked_at: None,
            acked_by: String::new(),
        }
    }

    /// Records the acknowledgement by `by` at `at`; returns whether it
    /// changed anything. One that was escalated is still taken (the person
    /// following it up sees it), but an acknowledgement is recorded once.
    pub fn acknowledge(&mut self, by: &str, at: DateTime<Utc>) -> bool {
        if self.state == AckState::Acknowledged {
            return false;
        }
        self.state = AckState::Acknowledged;
        self.acked_at = Some(at);
        by.clone_into(&mut self.acked_by);
        true
    }

    /// Returns whether the deadline passed unacknowledged at `now`.
    pub fn overdue(&self, now: DateTime<Utc>) -> bool {
        self.state == AckState::Notified && now >= self.due_at
    }

    /// Escalates an overdue recipient; returns whether it did.
    pub fn escalate(&mut self, now: DateTime<Utc>) -> bool {
        if !self.overdue(now) {
            return false;
        }
        self.state = AckState::Escalated;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unacknowledged_recipient_is_escalated_after_the_deadline_and_only_then() {
        let start = DateTime::UNIX_EPOCH;
        let mut ack = AlertAck::notified(
            "shanghai/jinshan/langxia/case-exchange",
            "a-1",
            Recipient::Member(MemberId::generate()),
            start,
            Duration::minutes(15),
        );
        assert!(!ack.escalate(start + Duration::minutes(14)));
        assert!(ack.escalate(start + Duration::minutes(15)));
        assert_eq!(ack.state, AckState::Escalated);
        assert!(!ack.escalate(start + Duration::minutes(16)), "once");
        assert!(ack.acknowledge("desk-op", start + Duration::minutes(20)));
        assert!(!ack.acknowledge("desk-op", start + Duration::minutes(21)));
        assert_eq!(ack.acked_at, Some(start + Duration::minutes(20)));
    }

    #[test]
    fn an_acknowledged_recipient_is_never_escalated() {
        let start = DateTime::UNIX_EPOCH;
        let mut ack = AlertAck::notified(
            "s",
            "a-1",
            Recipient::Peer("zhejiang/pinghu/xindai/case-exchange".into()),
            start,
            Duration::minutes(15),
        );
        assert!(ack.acknowledge("desk-op", start + Duration::minutes(1)));
        assert!(!ack.escalate(start + Duration::hours(1)));
        assert_eq!(AckState::parse("ESCALATED"), Some(AckState::Escalated));
        assert_eq!(
            MemberKind::parse("ALLIANCE_SHOP"),
            Some(MemberKind::AllianceShop)
        );
    }
}
