//! What envelopes carry, as the domain sees it (`convert` encodes it as
//! the `Payload` message of peer.proto).

use super::cap::CapAlert;
use super::case::{CaseMove, CaseSummary, Mediation};
use super::check::{CheckAnswer, CheckRequest};
use super::envelope::MessageType;
use super::risk::RiskItem;

/// The body of an envelope.
#[derive(Debug, Clone, PartialEq)]
pub enum Payload {
    /// A new joint case: what the sharing policy lets leave, and the
    /// report's move.
    Report {
        summary: CaseSummary,
        first: CaseMove,
    },
    /// A move of a joint case, with the mediation it brings.
    Update {
        step: CaseMove,
        mediation: Option<Mediation>,
    },
    /// A business answer: accepted (with the move it makes, if any) or
    /// rejected with a cause.
    Answer(Answer),
    /// The sending side's own dispatch ticket of the case: its number and
    /// whether it is closed.
    Ticket { case_number: String, closed: bool },
    /// Withdraws an earlier message.
    Cancel { reason: String },
    /// A joint information check's question.
    CheckRequest(CheckRequest),
    /// Its answer (or refusal, with a reason).
    CheckAnswer(CheckAnswer),
    /// An entry of the shared risk list, new or changed by its owner.
    Risk(RiskItem),
    /// A CAP 1.2 message: an alert, or an acknowledgement of one.
    Alert(CapAlert),
}

/// A business answer to an envelope.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    pub accepted: bool,
    pub cause: String,
    /// A report's acknowledgement.
    pub step: Option<CaseMove>,
    /// The answering side's own case number.
    pub case_number: String,
}

impl Payload {
    /// Returns the envelope type that carries this payload.
    pub fn message_type(&self) -> MessageType {
        match self {
            Payload::Report { .. } => MessageType::Report,
            Payload::Update { .. } | Payload::Ticket { .. } => MessageType::Update,
            Payload::Answer(answer) if answer.accepted => MessageType::Ack,
            Payload::Answer(_) => MessageType::Error,
            Payload::Cancel { .. } => MessageType::Cancel,
            Payload::CheckRequest(_) => MessageType::Request,
            Payload::CheckAnswer(_) => MessageType::Response,
            Payload::Risk(_) => MessageType::Update,
            Payload::Alert(cap) => match cap.msg_type.as_str() {
                "Alert" => MessageType::Report,
                "Cancel" => MessageType::Cancel,
                _ => MessageType::Update,
            },
        }
    }
}
