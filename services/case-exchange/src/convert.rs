//! Domain types as protobuf messages and back, shared by `api/`,
//! `events.rs` and the application's envelopes. Matches are exhaustive: a
//! new state or type does not compile until it is mapped. Responses mask
//! parties' personal data; envelopes carry what the sharing policy let
//! through.

use chrono::{DateTime, Utc};
use platform::mask;
use platform::time::{from_timestamp, timestamp};
use prost::Message as _;
use proto::exchange::v1 as pb;

use crate::domain::alliance::{AckState, AlertAck, Member, MemberKind, Recipient};
use crate::domain::cap::{AlertDirection, CapAlert, KeptAlert};
use crate::domain::case::{
    CaseMove, CaseState, CaseSummary, JointCase, Mediation, Obligation, Party,
};
use crate::domain::check::{Check, CheckAnswer, CheckRequest, CheckState, Finding, SubjectKind};
use crate::domain::delivery::{Delivery, DeliveryState};
use crate::domain::envelope::{Envelope, ExchangeStatus, MessageType, Receipt};
use crate::domain::ids::{CheckId, MessageId, RiskId, SharedCaseId};
use crate::domain::log::{Direction, LogEntry};
use crate::domain::node::NodeId;
use crate::domain::payload::{Answer, Payload};
use crate::domain::risk::{CareGroup, RiskItem, RiskKind, RiskLevel};
use crate::domain::sharing::Masks;

/// The platform's masking of personal data, for the sharing policy.
pub const MASKS: Masks = Masks {
    name: mask::name,
    phone: mask::phone,
    id_number: mask::id_number,
};

pub fn case_state(state: CaseState) -> pb::CaseState {
    match state {
        CaseState::Reported => pb::CaseState::Reported,
        CaseState::Acknowledged => pb::CaseState::Acknowledged,
        CaseState::Accepted => pb::CaseState::Accepted,
        CaseState::Rejected => pb::CaseState::Rejected,
        CaseState::InMediation => pb::CaseState::InMediation,
        CaseState::Agreed => pb::CaseState::Agreed,
        CaseState::Failed => pb::CaseState::Failed,
        CaseState::Closed => pb::CaseState::Closed,
    }
}

/// Returns the domain state; `None` for UNSPECIFIED.
pub fn case_state_of(state: pb::CaseState) -> Option<CaseState> {
    Some(match state {
        pb::CaseState::Unspecified => return None,
        pb::CaseState::Reported => CaseState::Reported,
        pb::CaseState::Acknowledged => CaseState::Acknowledged,
        pb::CaseState::Accepted => CaseState::Accepted,
        pb::CaseState::Rejected => CaseState::Rejected,
        pb::CaseState::InMediation => CaseState::InMediation,
        pb::CaseState::Agreed => CaseState::Agreed,
        pb::CaseState::Failed => CaseState::Failed,
        pb::CaseState::Closed => CaseState::Closed,
    })
}

pub fn status(status: ExchangeStatus) -> pb::ExchangeStatus {
    match status {
        ExchangeStatus::Actual => pb::ExchangeStatus::Actual,
        ExchangeStatus::Exercise => pb::ExchangeStatus::Exercise,
        ExchangeStatus::Test => pb::ExchangeStatus::Test,
    }
}

/// Returns the domain status; `None` for UNSPECIFIED.
pub fn status_of(status: pb::ExchangeStatus) -> Option<ExchangeStatus> {
    Some(match status {
        pb::ExchangeStatus::Unspecified => return None,
        pb::ExchangeStatus::Actual => ExchangeStatus::Actual,
        pb::ExchangeStatus::Exercise => ExchangeStatus::Exercise,
        pb::ExchangeStatus::Test => ExchangeStatus::Test,
    })
}

pub fn message_type(kind: MessageType) -> pb::MessageType {
    match kind {
        MessageType::Report => pb::MessageType::Report,
        MessageType::Update => pb::MessageType::Update,
        MessageType::Ack => pb::MessageType::Ack,
        MessageType::Error => pb::MessageType::Error,
        MessageType::Cancel => pb::MessageType::Cancel,
        MessageType::Request => pb::MessageType::Request,
        MessageType::Response => pb::MessageType::Response,
    }
}

fn message_type_of(kind: pb::MessageType) -> Option<MessageType> {
    Some(match kind {
        pb::MessageType::Unspecified => return None,
        pb::MessageType::Report => MessageType::Report,
        pb::MessageType::Update => MessageType::Update,
        pb::MessageType::Ack => MessageType::Ack,
        pb::MessageType::Error => MessageType::Error,
        pb::MessageType::Cancel => MessageType::Cancel,
        pb::MessageType::Request => MessageType::Request,
        pb::MessageType::Response => MessageType::Response,
    })
}

pub fn delivery_state(state: DeliveryState) -> pb::DeliveryState {
    match state {
        DeliveryState::Pending => pb::DeliveryState::Pending,
        DeliveryState::Received => pb::DeliveryState::Received,
        DeliveryState::Accepted => pb::DeliveryState::Accepted,
        DeliveryState::Rejected => pb::DeliveryState::Rejected,
        DeliveryState::Failed => pb::DeliveryState::Failed,
    }
}

/// Returns the domain state; `None` for UNSPECIFIED.
pub fn delivery_state_of(state: pb::DeliveryState) -> Option<DeliveryState> {
    Some(match state {
        pb::DeliveryState::Unspecified => return None,
        pb::DeliveryState::Pending => DeliveryState::Pending,
        pb::DeliveryState::Received => DeliveryState::Received,
        pb::DeliveryState::Accepted => DeliveryState::Accepted,
        pb::DeliveryState::Rejected => DeliveryState::Rejected,
        pb::DeliveryState::Failed => DeliveryState::Failed,
    })
}

fn time(at: Option<DateTime<Utc>>) -> Option<prost_types::Timestamp> {
    at.map(timestamp)
}

fn time_of(at: Option<&prost_types::Timestamp>) -> Option<DateTime<Utc>> {
    at.and_then(from_timestamp).map(crate::domain::micros)
}

/// A party as the wire carries it (whole: the policy has shaped it).
fn party(p: &Party) -> pb::Party {
    pb::Party {
        role: p.role.clone(),
        name: p.name.clone(),
        phone: p.phone.clone(),
        id_number: p.id_number.clone(),
        side: p.side.clone(),
    }
}

/// A party as answers show it: personal data masked.
fn party_masked(p: &Party) -> pb::Party {
    pb::Party {
        name: mask::name(&p.name),
        phone: mask::phone(&p.phone),
        id_number: mask::id_number(&p.id_number),
        ..party(p)
    }
}

pub fn party_of(p: pb::Party) -> Party {
    Party {
        role: p.role.trim().to_owned(),
        name: p.name.trim().to_owned(),
        phone: p.phone.trim().to_owned(),
        id_number: p.id_number.trim().to_owned(),
        side: p.side.trim().to_owned(),
    }
}

fn summary(s: &CaseSummary, show: fn(&Party) -> pb::Party) -> pb::CaseSummary {
    pb::CaseSummary {
        category_code: s.category_code.clone(),
        title: s.title.clone(),
        description: s.description.clone(),
        location: s.location.map(|(lat, lng)| pb::LatLng { lat, lng }),
        parties: s.parties.iter().map(show).collect(),
        claimed_amount_fen: s.claimed_amount_fen,
    }
}

pub fn summary_of(s: pb::CaseSummary) -> CaseSummary {
    CaseSummary {
        category_code: s.category_code.trim().to_owned(),
        title: s.title.trim().to_owned(),
        description: s.description.trim().to_owned(),
        location: s.location.map(|l| (l.lat, l.lng)),
        parties: s.parties.into_iter().map(party_of).collect(),
        claimed_amount_fen: s.claimed_amount_fen,
    }
}

fn obligation(o: &Obligation) -> pb::Obligation {
    pb::Obligation {
        party: o.party.clone(),
        duty: o.duty.clone(),
        amount_fen: o.amount_fen,
        due_at: time(o.due_at),
    }
}

pub fn obligation_of(o: pb::Obligation) -> Obligation {
    Obligation {
        party: o.party.trim().to_owned(),
        duty: o.duty.trim().to_owned(),
        amount_fen: o.amount_fen,
        due_at: time_of(o.due_at.as_ref()),
    }
}

fn mediation(m: &Mediation, show: fn(&Party) -> pb::Party) -> pb::Mediation {
    pb::Mediation {
        scheduled_at: time(m.scheduled_at),
        place: m.place.clone(),
        mediators: m.mediators.iter().map(show).collect(),
        parties: m.parties.iter().map(show).collect(),
        agreement_text: m.agreement_text.clone(),
        agreed_amount_fen: m.agreed_amount_fen,
        obligations: m.obligations.iter().map(obligation).collect(),
        concluded: m.concluded,
        agreed: m.agreed,
    }
}

fn mediation_of(m: pb::Mediation) -> Mediation {
    Mediation {
        scheduled_at: time_of(m.scheduled_at.as_ref()),
        place: m.place,
        mediators: m.mediators.into_iter().map(party_of).collect(),
        parties: m.parties.into_iter().map(party_of).collect(),
        agreement_text: m.agreement_text,
        agreed_amount_fen: m.agreed_amount_fen,
        obligations: m.obligations.into_iter().map(obligation_of).collect(),
        concluded: m.concluded,
        agreed: m.agreed,
    }
}

pub fn case_move(m: &CaseMove) -> pb::CaseMove {
    pb::CaseMove {
        version: m.version,
        to: case_state(m.to).into(),
        by_node: m.by_node.to_string(),
        by_person: m.by_person.clone(),
        at: Some(timestamp(m.at)),
        reason: m.reason.clone(),
    }
}

fn case_move_of(m: Option<pb::CaseMove>) -> Result<CaseMove, String> {
    let m = m.ok_or("a move is missing")?;
    Ok(CaseMove {
        version: m.version,
        to: case_state_of(m.to()).ok_or("a move names no state")?,
        by_node: NodeId::parse(&m.by_node).ok_or("a move names no node")?,
        by_person: m.by_person,
        at: time_of(m.at.as_ref()).ok_or("a move has no time")?,
        reason: m.reason,
    })
}

/// Returns a case as answers show it: personal data masked.
pub fn case(c: &JointCase) -> pb::JointCase {
    pb::JointCase {
        shared_id: c.shared_id.to_string(),
        origin_node: c.origin_node.to_string(),
        peer_node: c.peer_node.to_string(),
        origin_case_number: c.origin_case_number.clone(),
        peer_case_number: c.peer_case_number.clone(),
        state: case_state(c.state).into(),
        status: status(c.status).into(),
        summary: Some(summary(&c.summary, party_masked)),
        mediation: c.mediation.as_ref().map(|m| mediation(m, party_masked)),
        version: c.version,
        history: c.history.iter().map(case_move).collect(),
        origin_ticket_closed: c.origin_ticket_closed,
        peer_ticket_closed: c.peer_ticket_closed,
    }
}

/// Returns a case as events carry it: no parties at all.
pub fn case_for_event(c: &JointCase) -> pb::JointCase {
    let mut shown = case(c);
    if let Some(s) = shown.summary.as_mut() {
        s.parties.clear();
    }
    if let Some(m) = shown.mediation.as_mut() {
        m.parties.clear();
        m.mediators.clear();
    }
    shown.history.clear();
    shown
}

/// Encodes a payload for an envelope.
pub fn encode_payload(payload: &Payload) -> Vec<u8> {
    use pb::payload::Body;
    let body = match payload {
        Payload::Report { summary: s, first } => Body::Report(pb::CaseReport {
            summary: Some(summary(s, party)),
            r#move: Some(case_move(first)),
        }),
        Payload::Update { step, mediation: m } => Body::Update(pb::CaseUpdate {
            r#move: Some(case_move(step)),
            mediation: m.as_ref().map(|m| mediation(m, party)),
        }),
        Payload::Answer(answer) => Body::Answer(pb::CaseAnswer {
            accepted: answer.accepted,
            cause: answer.cause.clone(),
            r#move: answer.step.as_ref().map(case_move),
            case_number: answer.case_number.clone(),
        }),
        Payload::Ticket {
            case_number,
            closed,
        } => Body::Ticket(pb::CaseTicket {
            case_number: case_number.clone(),
            closed: *closed,
        }),
        Payload::Cancel { reason } => Body::Cancel(pb::CaseCancel {
            reason: reason.clone(),
        }),
        Payload::CheckRequest(r) => Body::CheckRequest(pb::CheckQuestion {
            check_id: r.check_id.to_string(),
            subject_kind: subject_kind(r.kind).into(),
            subject: r.subject.clone(),
            purpose: r.purpose.clone(),
            approved_by: r.approved_by.clone(),
            requested_by: r.requested_by.clone(),
        }),
        Payload::CheckAnswer(a) => Body::CheckAnswer(pb::CheckReply {
            check_id: a.check_id.to_string(),
            refused: a.refused,
            reason: a.reason.clone(),
            findings: a.findings.iter().map(|f| finding(f, false)).collect(),
        }),
        Payload::Risk(r) => Body::Risk(risk(r)),
        Payload::Alert(cap) => Body::Alert(pb::CapMessage { xml: cap.to_xml() }),
    };
    pb::Payload { body: Some(body) }.encode_to_vec()
}

/// Decodes an envelope's payload.
///
/// # Errors
/// The bytes are no payload, or a part is missing: named in the message.
pub fn decode_payload(bytes: &[u8]) -> Result<Payload, String> {
    use pb::payload::Body;
    let payload = pb::Payload::decode(bytes).map_err(|err| format!("payload: {err}"))?;
    Ok(match payload.body.ok_or("the payload is empty")? {
        Body::Report(report) => Payload::Report {
            summary: summary_of(report.summary.unwrap_or_default()),
            first: case_move_of(report.r#move)?,
        },
        Body::Update(update) => Payload::Update {
            step: case_move_of(update.r#move)?,
            mediation: update.mediation.map(mediation_of),
        },
        Body::Answer(answer) => Payload::Answer(Answer {
            accepted: answer.accepted,
            cause: answer.cause,
            step: answer.r#move.map(|m| case_move_of(Some(m))).transpose()?,
            case_number: answer.case_number,
        }),
        Body::Ticket(ticket) => Payload::Ticket {
            case_number: ticket.case_number,
            closed: ticket.closed,
        },
        Body::Cancel(cancel) => Payload::Cancel {
            reason: cancel.reason,
        },
        Body::CheckRequest(r) => Payload::CheckRequest(CheckRequest {
            check_id: CheckId::parse(&r.check_id).ok_or("check_id is not a UUID")?,
            kind: subject_kind_of(r.subject_kind()).ok_or("subject_kind is unspecified")?,
            subject: r.subject,
            purpose: r.purpose,
            approved_by: r.approved_by,
            requested_by: r.requested_by,
        }),
        Body::CheckAnswer(a) => Payload::CheckAnswer(CheckAnswer {
            check_id: CheckId::parse(&a.check_id).ok_or("check_id is not a UUID")?,
            refused: a.refused,
            reason: a.reason,
            findings: a.findings.into_iter().map(finding_of).collect(),
        }),
        Body::Risk(r) => Payload::Risk(risk_of(r)?),
        Body::Alert(cap) => {
            Payload::Alert(CapAlert::parse(&cap.xml).map_err(|err| err.to_string())?)
        }
    })
}

/// Returns an envelope as the wire carries it.
pub fn envelope(e: &Envelope) -> pb::Envelope {
    pb::Envelope {
        message_id: e.message_id.to_string(),
        sender: e.sender.to_string(),
        recipients: e.recipients.iter().map(ToString::to_string).collect(),
        r#type: message_type(e.message_type).into(),
        references: e.references.iter().map(ToString::to_string).collect(),
        shared_case_id: e
            .shared_case_id
            .map(|id| id.to_string())
            .unwrap_or_default(),
        sender_case_number: e.sender_case_number.clone(),
        recipient_case_number: e.recipient_case_number.clone(),
        status: status(e.status).into(),
        sent_at: Some(timestamp(e.sent_at)),
        payload: e.payload.clone(),
        in_reply_to_hash: e.in_reply_to.map(|h| h.to_vec()).unwrap_or_default(),
        signature: e.signature.clone(),
    }
}

/// Returns the envelope a peer sent.
///
/// # Errors
/// A field cannot be read: named in the message.
pub fn envelope_of(e: pb::Envelope) -> Result<Envelope, String> {
    let message_type = message_type_of(e.r#type()).ok_or("type is unspecified")?;
    let status = status_of(e.status()).ok_or("status is unspecified")?;
    Ok(Envelope {
        message_id: MessageId::parse(&e.message_id).ok_or("message_id is not a UUID")?,
        sender: NodeId::parse(&e.sender).ok_or("sender is not a node id")?,
        recipients: e
            .recipients
            .iter()
            .map(|r| NodeId::parse(r).ok_or("a recipient is not a node id"))
            .collect::<Result<_, _>>()?,
        message_type,
        references: e
            .references
            .iter()
            .map(|r| MessageId::parse(r).ok_or("a reference is not a message id"))
            .collect::<Result<_, _>>()?,
        shared_case_id: if e.shared_case_id.is_empty() {
            None
        } else {
            Some(SharedCaseId::parse(&e.shared_case_id).ok_or("shared_case_id is not a UUID")?)
        },
        sender_case_number: e.sender_case_number,
        recipient_case_number: e.recipient_case_number,
        status,
        // Never truncated: the time is signed as sent.
        sent_at: e
            .sent_at
            .as_ref()
            .and_then(from_timestamp)
            .ok_or("sent_at is missing")?,
        payload: e.payload,
        in_reply_to: if e.in_reply_to_hash.is_empty() {
            None
        } else {
            Some(
                e.in_reply_to_hash
                    .try_into()
                    .map_err(|_| "in_reply_to_hash is not 32 bytes")?,
            )
        },
        signature: e.signature,
    })
}

/// Encodes a signed envelope for the delivery queue.
pub fn envelope_bytes(e: &Envelope) -> Vec<u8> {
    envelope(e).encode_to_vec()
}

/// Decodes an envelope stored in the delivery queue.
///
/// # Errors
/// The bytes are no envelope.
pub fn envelope_from_bytes(bytes: &[u8]) -> Result<pb::Envelope, prost::DecodeError> {
    pb::Envelope::decode(bytes)
}

pub fn receipt(r: &Receipt) -> pb::Receipt {
    pb::Receipt {
        message_id: r.message_id.to_string(),
        receiver: r.receiver.to_string(),
        envelope_hash: r.envelope_hash.to_vec(),
        received_at: Some(timestamp(r.received_at)),
        signature: r.signature.clone(),
    }
}

/// Returns the receipt a peer sent.
///
/// # Errors
/// A field cannot be read.
pub fn receipt_of(r: pb::Receipt) -> Result<Receipt, String> {
    Ok(Receipt {
        message_id: MessageId::parse(&r.message_id).ok_or("message_id is not a UUID")?,
        receiver: NodeId::parse(&r.receiver).ok_or("receiver is not a node id")?,
        envelope_hash: r
            .envelope_hash
            .try_into()
            .map_err(|_| "envelope_hash is not 32 bytes")?,
        received_at: r
            .received_at
            .as_ref()
            .and_then(from_timestamp)
            .ok_or("received_at is missing")?,
        signature: r.signature,
    })
}

pub fn delivery(d: &Delivery) -> pb::Delivery {
    pb::Delivery {
        message_id: d.message_id.to_string(),
        peer: d.peer.clone(),
        message_type: d.message_type.as_str().to_owned(),
        shared_case_id: d.shared_case_id.clone(),
        state: delivery_state(d.state).into(),
        attempts: d.attempts,
        created_at: Some(timestamp(d.created_at)),
        received_at: time(d.received_at),
        answered_at: time(d.answered_at),
        cause: d.cause.clone(),
        warned: d.warned,
    }
}

pub fn log_entry(e: &LogEntry) -> pb::LogEntry {
    pb::LogEntry {
        seq: e.seq,
        direction: match e.record.direction {
            Direction::Sent => pb::Direction::Sent,
            Direction::Received => pb::Direction::Received,
        }
        .into(),
        message_id: e.record.message_id.clone(),
        peer: e.record.peer.clone(),
        message_type: e.record.message_type.clone(),
        shared_case_id: e.record.shared_case_id.clone(),
        envelope_hash: hex::encode(e.envelope_hash),
        prev_hash: hex::encode(e.prev_hash),
        entry_hash: hex::encode(e.entry_hash),
        recorded_at: Some(timestamp(e.record.recorded_at)),
        canonical: e.record.canonical.clone(),
        signature: e.record.signature.clone(),
    }
}

pub fn subject_kind(kind: SubjectKind) -> pb::SubjectKind {
    match kind {
        SubjectKind::Person => pb::SubjectKind::Person,
        SubjectKind::Enterprise => pb::SubjectKind::Enterprise,
    }
}

/// Returns the domain kind; `None` for UNSPECIFIED.
pub fn subject_kind_of(kind: pb::SubjectKind) -> Option<SubjectKind> {
    Some(match kind {
        pb::SubjectKind::Unspecified => return None,
        pb::SubjectKind::Person => SubjectKind::Person,
        pb::SubjectKind::Enterprise => SubjectKind::Enterprise,
    })
}

fn check_state(state: CheckState) -> pb::CheckState {
    match state {
        CheckState::Pending => pb::CheckState::Pending,
        CheckState::Answered => pb::CheckState::Answered,
        CheckState::Refused => pb::CheckState::Refused,
    }
}

/// A finding: as the wire carries it (the policy shaped it), or as
/// answers show it (`masked`: personal data masked again).
fn finding(f: &Finding, masked: bool) -> pb::Finding {
    let shown = |value: &str, mask: fn(&str) -> String| {
        if masked {
            mask(value)
        } else {
            value.to_owned()
        }
    };
    pb::Finding {
        shared_case_id: f.shared_case_id.clone(),
        category_code: f.category_code.clone(),
        case_state: f.case_state.clone(),
        role: f.role.clone(),
        name: shown(&f.name, mask::name),
        phone: shown(&f.phone, mask::phone),
        id_number: shown(&f.id_number, mask::id_number),
    }
}

fn finding_of(f: pb::Finding) -> Finding {
    Finding {
        shared_case_id: f.shared_case_id,
        category_code: f.category_code,
        case_state: f.case_state,
        role: f.role,
        name: f.name,
        phone: f.phone,
        id_number: f.id_number,
    }
}

/// Returns a check as answers show it; its findings only when
/// `with_findings` (an audited read), masked.
pub fn check(c: &Check, with_findings: bool) -> pb::Check {
    pb::Check {
        check_id: c.check_id.to_string(),
        peer_node: c.peer.to_string(),
        subject_kind: subject_kind(c.kind).into(),
        subject: c.subject_masked.clone(),
        purpose: c.purpose.clone(),
        approved_by: c.approved_by.clone(),
        requested_by: c.requested_by.clone(),
        state: check_state(c.state).into(),
        reason: c.reason.clone(),
        findings: if with_findings {
            c.findings.iter().map(|f| finding(f, true)).collect()
        } else {
            Vec::new()
        },
        requested_at: Some(timestamp(c.requested_at)),
        answered_at: time(c.answered_at),
    }
}

pub fn risk_kind(kind: RiskKind) -> pb::RiskKind {
    match kind {
        RiskKind::Place => pb::RiskKind::Place,
        RiskKind::Enterprise => pb::RiskKind::Enterprise,
        RiskKind::Person => pb::RiskKind::Person,
    }
}

/// Returns the domain kind; `None` for UNSPECIFIED.
pub fn risk_kind_of(kind: pb::RiskKind) -> Option<RiskKind> {
    Some(match kind {
        pb::RiskKind::Unspecified => return None,
        pb::RiskKind::Place => RiskKind::Place,
        pb::RiskKind::Enterprise => RiskKind::Enterprise,
        pb::RiskKind::Person => RiskKind::Person,
    })
}

pub fn care_group(group: Option<CareGroup>) -> pb::CareGroup {
    match group {
        None => pb::CareGroup::Unspecified,
        Some(CareGroup::ReleasedPrisoner) => pb::CareGroup::ReleasedPrisoner,
        Some(CareGroup::CommunityCorrection) => pb::CareGroup::CommunityCorrection,
        Some(CareGroup::DrugRehabilitation) => pb::CareGroup::DrugRehabilitation,
        Some(CareGroup::SevereMentalDisorder) => pb::CareGroup::SevereMentalDisorder,
        Some(CareGroup::KeyYouth) => pb::CareGroup::KeyYouth,
        Some(CareGroup::KeyPetitioner) => pb::CareGroup::KeyPetitioner,
    }
}

/// Returns the domain group; `None` for UNSPECIFIED.
pub fn care_group_of(group: pb::CareGroup) -> Option<CareGroup> {
    Some(match group {
        pb::CareGroup::Unspecified => return None,
        pb::CareGroup::ReleasedPrisoner => CareGroup::ReleasedPrisoner,
        pb::CareGroup::CommunityCorrection => CareGroup::CommunityCorrection,
        pb::CareGroup::DrugRehabilitation => CareGroup::DrugRehabilitation,
        pb::CareGroup::SevereMentalDisorder => CareGroup::SevereMentalDisorder,
        pb::CareGroup::KeyYouth => CareGroup::KeyYouth,
        pb::CareGroup::KeyPetitioner => CareGroup::KeyPetitioner,
    })
}

pub fn risk_level(level: RiskLevel) -> pb::RiskLevel {
    match level {
        RiskLevel::Low => pb::RiskLevel::Low,
        RiskLevel::Medium => pb::RiskLevel::Medium,
        RiskLevel::High => pb::RiskLevel::High,
    }
}

/// Returns the domain level; `None` for UNSPECIFIED.
pub fn risk_level_of(level: pb::RiskLevel) -> Option<RiskLevel> {
    Some(match level {
        pb::RiskLevel::Unspecified => return None,
        pb::RiskLevel::Low => RiskLevel::Low,
        pb::RiskLevel::Medium => RiskLevel::Medium,
        pb::RiskLevel::High => RiskLevel::High,
    })
}

/// Returns a risk entry (the same on the wire and in answers: a person's
/// name is kept masked only).
pub fn risk(r: &RiskItem) -> pb::Risk {
    pb::Risk {
        risk_id: r.risk_id.to_string(),
        owner_node: r.owner.to_string(),
        kind: risk_kind(r.kind).into(),
        name: r.name.clone(),
        care_group: care_group(r.care_group).into(),
        level: risk_level(r.level).into(),
        description: r.description.clone(),
        location: r.location.map(|(lat, lng)| pb::LatLng { lat, lng }),
        version: r.version,
        withdrawn: r.withdrawn,
        updated_by: r.updated_by.clone(),
        updated_at: Some(timestamp(r.updated_at)),
    }
}

/// Returns the risk entry a peer sent; a person's name is masked again,
/// so whatever arrives, only the masked form is kept.
///
/// # Errors
/// A field cannot be read: named in the message.
pub fn risk_of(r: pb::Risk) -> Result<RiskItem, String> {
    let kind = risk_kind_of(r.kind()).ok_or("risk.kind is unspecified")?;
    let care_group = care_group_of(r.care_group());
    let level = risk_level_of(r.level()).ok_or("risk.level is unspecified")?;
    Ok(RiskItem {
        risk_id: RiskId::parse(&r.risk_id).ok_or("risk.risk_id is not a UUID")?,
        owner: NodeId::parse(&r.owner_node).ok_or("risk.owner_node is not a node id")?,
        kind,
        name: if kind == RiskKind::Person {
            mask::name(&r.name)
        } else {
            r.name
        },
        care_group,
        level,
        description: r.description,
        location: r.location.map(|l| (l.lat, l.lng)),
        version: r.version,
        withdrawn: r.withdrawn,
        updated_by: r.updated_by,
        updated_at: time_of(r.updated_at.as_ref()).ok_or("risk.updated_at is missing")?,
    })
}

/// Returns an alert as answers show it.
pub fn alert(kept: &KeptAlert) -> pb::Alert {
    let a = &kept.alert;
    let info = a.info.first().cloned().unwrap_or_default();
    pb::Alert {
        identifier: a.identifier.clone(),
        sender: a.sender.clone(),
        direction: match kept.direction {
            AlertDirection::Issued => pb::AlertDirection::Issued,
            AlertDirection::Received => pb::AlertDirection::Received,
        }
        .into(),
        sent: Some(timestamp(a.sent.to_utc())),
        status: a.status.clone(),
        msg_type: a.msg_type.clone(),
        scope: a.scope.clone(),
        categories: info.categories.clone(),
        event: info.event.clone(),
        urgency: info.urgency.clone(),
        severity: info.severity.clone(),
        certainty: info.certainty.clone(),
        headline: info.headline.clone(),
        area_desc: info
            .areas
            .first()
            .map(|x| x.area_desc.clone())
            .unwrap_or_default(),
        cap_xml: kept.xml.clone(),
    }
}

/// Returns the domain direction; `None` for UNSPECIFIED.
pub fn alert_direction_of(direction: pb::AlertDirection) -> Option<AlertDirection> {
    match direction {
        pb::AlertDirection::Unspecified => None,
        pb::AlertDirection::Issued => Some(AlertDirection::Issued),
        pb::AlertDirection::Received => Some(AlertDirection::Received),
    }
}

pub fn member_kind(kind: MemberKind) -> pb::MemberKind {
    match kind {
        MemberKind::AllianceShop => pb::MemberKind::AllianceShop,
        MemberKind::JointDefenceGroup => pb::MemberKind::JointDefenceGroup,
    }
}

/// Returns the domain kind; `None` for UNSPECIFIED.
pub fn member_kind_of(kind: pb::MemberKind) -> Option<MemberKind> {
    match kind {
        pb::MemberKind::Unspecified => None,
        pb::MemberKind::AllianceShop => Some(MemberKind::AllianceShop),
        pb::MemberKind::JointDefenceGroup => Some(MemberKind::JointDefenceGroup),
    }
}

/// Returns a member as answers show it: the contact masked.
pub fn member(m: &Member) -> pb::Member {
    pb::Member {
        member_id: m.member_id.to_string(),
        kind: member_kind(m.kind).into(),
        name: m.name.clone(),
        place: m.place.clone(),
        households: m.households,
        contact_name: mask::name(&m.contact_name),
        contact_phone: mask::phone(&m.contact_phone),
        joined_at: Some(timestamp(m.joined_at)),
    }
}

fn ack_state(state: AckState) -> pb::AckState {
    match state {
        AckState::Notified => pb::AckState::Notified,
        AckState::Acknowledged => pb::AckState::Acknowledged,
        AckState::Escalated => pb::AckState::Escalated,
    }
}

/// Returns a recipient of an alert, naming the member among `members`.
pub fn alert_ack(a: &AlertAck, members: &[Member]) -> pb::AlertAck {
    let (kind, recipient, member_name) = match &a.recipient {
        Recipient::Peer(node) => ("PEER", node.clone(), String::new()),
        Recipient::Member(id) => (
            "MEMBER",
            id.to_string(),
            members
                .iter()
                .find(|m| m.member_id == *id)
                .map(|m| m.name.clone())
                .unwrap_or_default(),
        ),
    };
    pb::AlertAck {
        recipient_kind: kind.to_owned(),
        recipient,
        member_name,
        state: ack_state(a.state).into(),
        notified_at: Some(timestamp(a.notified_at)),
        due_at: Some(timestamp(a.due_at)),
        acked_at: time(a.acked_at),
        acked_by: a.acked_by.clone(),
    }
}
