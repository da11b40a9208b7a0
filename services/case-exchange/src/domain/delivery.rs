//! Outgoing deliveries: store and forward. Every envelope for a peer waits
//! in the delivery queue until the peer's receipt comes back, sent in order
//! per peer and retried while the peer is away. Two acknowledgements: the
//! receipt (it arrived and verified) and, for reports, updates and
//! cancels, the business answer (accepted, or rejected with a cause).
//! Deadlines on both: a warning, then a failure, which is final — a
//! delivery that failed is never positively acknowledged later.

use chrono::{DateTime, Duration, Utc};

use super::envelope::MessageType;
use super::ids::MessageId;

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeliveryState {
    Pending,
    Received,
    Accepted,
    Rejected,
    Failed,
}

impl DeliveryState {
    /// Returns the stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryState::Pending => "PENDING",
            DeliveryState::Received => "RECEIVED",
            DeliveryState::Accepted => "ACCEPTED",
            DeliveryState::Rejected => "REJECTED",
            DeliveryState::Failed => "FAILED",
        }
    }

    /// Returns the state stored as `text`.
    pub fn parse(text: &str) -> Option<Self> {
        [
            Self::Pending,
            Self::Received,
            Self::Accepted,
            Self::Rejected,
            Self::Failed,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }
}

/// Which acknowledgement a deadline waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Awaited {
    Receipt,
    Answer,
}

impl Awaited {
    /// Returns its name in events and causes.
    pub fn as_str(self) -> &'static str {
        match self {
            Awaited::Receipt => "RECEIPT",
            Awaited::Answer => "ANSWER",
        }
    }
}

/// How long a peer has for each acknowledgement, and when to warn.
#[derive(Debug, Clone, Copy)]
pub struct Deadlines {
    pub receipt: Duration,
    pub answer: Duration,
    /// The fraction of the time allowed after which a warning is given.
    pub warning_fraction: f64,
}

/// What a deadline asks for now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Due {
    Warn(Awaited),
    Fail(Awaited),
}

/// One outgoing envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub message_id: MessageId,
    pub peer: String,
    pub message_type: MessageType,
    pub shared_case_id: String,
    pub state: DeliveryState,
    pub attempts: u32,
    pub created_at: DateTime<Utc>,
    pub received_at: Option<DateTime<Utc>>,
    pub answered_at: Option<DateTime<Utc>>,
    pub cause: String,
    pub warned: bool,
}

impl Delivery {
    /// Returns whether an envelope of this type waits for a business
    /// answer (answers themselves get only a receipt).
    pub fn needs_answer(&self) -> bool {
        matches!(
            self.message_type,
            MessageType::Report | MessageType::Update | MessageType::Cancel | MessageType::Request
        )
    }

    /// Records the peer's receipt. Returns whether it changed anything: a
    /// failed delivery stays failed.
    pub fn receive(&mut self, at: DateTime<Utc>) -> bool {
        if self.state != DeliveryState::Pending {
            return false;
        }
        self.state = if self.needs_answer() {
            DeliveryState::Received
        } else {
            DeliveryState::Accepted
        };
        self.received_at = Some(at);
        self.warned = false;
        true
    }

    /// Records the peer's business answer. Returns whether it changed
    /// anything: a failed delivery is never positively acknowledged later.
    pub fn answer(&mut self, accepted: bool, cause: &str, at: DateTime<Utc>) -> bool {
        if !matches!(self.state, DeliveryState::Pending | DeliveryState::Received) {
            return false;
        }
        if self.received_at.is_none() {
            // The answer proves the arrival.
            self.received_at = Some(at);
        }
        self.state = if accepted {
            DeliveryState::Accepted
        } else {
            DeliveryState::Rejected
        };
        self.cause = cause.to_owned();
        self.answered_at = Some(at);
        true
    }

    /// Records that the peer refused the envelope (it will not be sent
    /// again). Returns whether it changed anything.
    pub fn refused(&mut self, cause: &str, at: DateTime<Utc>) -> bool {
        if self.state != DeliveryState::Pending {
            return false;
        }
        self.state = DeliveryState::Rejected;
        self.cause = format!("refused: {cause}");
        self.answered_at = Some(at);
        true
    }

    /// Returns what the deadlines ask for at `now`, if anything.
    pub fn due(&self, deadlines: &Deadlines, now: DateTime<Utc>) -> Option<Due> {
        let (awaited, since, allowed) = match self.state {
            DeliveryState::Pending => (Awaited::Receipt, self.created_at, deadlines.receipt),
            DeliveryState::Received => (
                Awaited::Answer,
                self.received_at.unwrap_or(self.created_at),
                deadlines.answer,
            ),
            _ => return None,
        };
        let passed = now - since;
        if passed >= allowed {
            return Some(Due::Fail(awaited));
        }
        let warn_at = allowed.num_milliseconds() as f64 * deadlines.warning_fraction;
        (!self.warned && passed.num_milliseconds() as f64 >= warn_at).then_some(Due::Warn(awaited))
    }

    /// Fails the delivery: its `awaited` acknowledgement did not come in
    /// time. Final.
    pub fn fail(&mut self, awaited: Awaited) {
        self.state = DeliveryState::Failed;
        self.cause = format!("no {} in time", awaited.as_str().to_lowercase());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn delivery(kind: MessageType) -> Delivery {
        Delivery {
            message_id: MessageId::generate(),
            peer: "zhejiang/pinghu/xindai/case-exchange".into(),
            message_type: kind,
            shared_case_id: String::new(),
            state: DeliveryState::Pending,
            attempts: 0,
            created_at: DateTime::UNIX_EPOCH,
            received_at: None,
            answered_at: None,
            cause: String::new(),
            warned: false,
        }
    }

    const DEADLINES: Deadlines = Deadlines {
        receipt: Duration::minutes(10),
        answer: Duration::hours(1),
        warning_fraction: 0.5,
    };

    fn at(minutes: i64) -> DateTime<Utc> {
        DateTime::UNIX_EPOCH + Duration::minutes(minutes)
    }

    #[test]
    fn a_missing_receipt_warns_then_fails() {
        let mut d = delivery(MessageType::Report);
        assert_eq!(d.due(&DEADLINES, at(4)), None);
        assert_eq!(d.due(&DEADLINES, at(5)), Some(Due::Warn(Awaited::Receipt)));
        d.warned = true;
        assert_eq!(d.due(&DEADLINES, at(9)), None);
        assert_eq!(d.due(&DEADLINES, at(10)), Some(Due::Fail(Awaited::Receipt)));
    }

    #[test]
    fn after_the_receipt_the_answer_has_its_own_deadline() {
        let mut d = delivery(MessageType::Update);
        d.warned = true;
        assert!(d.receive(at(3)));
        assert_eq!(d.state, DeliveryState::Received);
        assert_eq!(d.due(&DEADLINES, at(33)), Some(Due::Warn(Awaited::Answer)));
        assert_eq!(d.due(&DEADLINES, at(63)), Some(Due::Fail(Awaited::Answer)));
        assert!(d.answer(true, "", at(20)));
        assert_eq!(d.due(&DEADLINES, at(100)), None);
    }

    #[test]
    fn a_failed_delivery_is_never_positively_acknowledged_later() {
        let mut d = delivery(MessageType::Report);
        d.fail(Awaited::Receipt);
        assert!(!d.receive(at(20)));
        assert!(!d.answer(true, "", at(21)));
        assert_eq!(d.state, DeliveryState::Failed);
        assert_eq!(d.cause, "no receipt in time");
    }

    #[test]
    fn an_answer_needs_only_its_receipt() {
        let mut d = delivery(MessageType::Ack);
        assert!(d.receive(at(1)));
        assert_eq!(d.state, DeliveryState::Accepted);
        assert_eq!(d.due(&DEADLINES, at(1000)), None);
    }
}
