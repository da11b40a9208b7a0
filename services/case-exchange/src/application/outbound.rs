//! An envelope leaving this node: the payload shaped by the peer's sharing
//! policy, signed, logged as SENT and queued for the peer's sender, all in
//! the caller's unit of work.

use platform::error::AppError;
use platform::uow::Work;
use prost::Message;

use super::Context;
use crate::convert;
use crate::domain::case::{CaseSummary, Mediation};
use crate::domain::delivery::{Delivery, DeliveryState};
use crate::domain::envelope::{Envelope, ExchangeStatus, Hash, MessageType};
use crate::domain::ids::{MessageId, SharedCaseId};
use crate::domain::log::{Direction, LogRecord};
use crate::domain::micros;
use crate::domain::node::NodeId;
use crate::domain::payload::Payload;
use crate::domain::sharing::SharingPolicy;
use crate::repository::{deliveries, log};

/// An envelope to send.
pub struct Outgoing {
    pub peer: NodeId,
    pub payload: Payload,
    pub shared_case_id: Option<SharedCaseId>,
    pub sender_case_number: String,
    pub recipient_case_number: String,
    pub status: ExchangeStatus,
    pub references: Vec<MessageId>,
    pub in_reply_to: Option<Hash>,
}

/// Returns the sharing policy of `peer`.
fn policy<'a>(ctx: &'a Context, peer: &NodeId) -> Result<&'a SharingPolicy, AppError> {
    ctx.identity
        .peer(peer)
        .map(|p| &p.sharing)
        .ok_or_else(|| AppError::invalid("peer_node", "must be an allow-listed peer"))
}

/// Returns what of `summary` may leave for `peer` in an envelope of `kind`.
///
/// # Errors
/// `peer` is not allow-listed.
pub fn shared_summary(
    ctx: &Context,
    peer: &NodeId,
    kind: MessageType,
    summary: &CaseSummary,
) -> Result<CaseSummary, AppError> {
    Ok(policy(ctx, peer)?.share_summary(kind, summary, convert::MASKS))
}

/// Returns what of `mediation` may leave for `peer` in an envelope of
/// `kind`.
///
/// # Errors
/// `peer` is not allow-listed.
pub fn shared_mediation(
    ctx: &Context,
    peer: &NodeId,
    kind: MessageType,
    mediation: &Mediation,
) -> Result<Mediation, AppError> {
    Ok(policy(ctx, peer)?.share_mediation(kind, mediation, convert::MASKS))
}

/// Signs `out`, logs it as SENT and queues it; returns the envelope. The
/// caller wakes the peer's sender after its commit.
///
/// # Errors
/// The database failed.
pub async fn queue<A: Message>(
    work: &mut Work<A>,
    ctx: &Context,
    out: Outgoing,
) -> Result<Envelope, AppError> {
    let now = micros(work.now());
    let mut envelope = Envelope {
        message_id: MessageId::generate(),
        sender: ctx.identity.node.clone(),
        recipients: vec![out.peer.clone()],
        message_type: out.payload.message_type(),
        references: out.references,
        shared_case_id: out.shared_case_id,
        sender_case_number: out.sender_case_number,
        recipient_case_number: out.recipient_case_number,
        status: out.status,
        sent_at: now,
        payload: convert::encode_payload(&out.payload),
        in_reply_to: out.in_reply_to,
        signature: Vec::new(),
    };
    envelope.sign(&ctx.identity.key);
    let case = envelope
        .shared_case_id
        .map(|id| id.to_string())
        .unwrap_or_default();
    let delivery = Delivery {
        message_id: envelope.message_id,
        peer: out.peer.to_string(),
        message_type: envelope.message_type,
        shared_case_id: case.clone(),
        state: DeliveryState::Pending,
        attempts: 0,
        created_at: now,
        received_at: None,
        answered_at: None,
        cause: String::new(),
        warned: false,
    };
    deliveries::insert(
        work.conn(),
        &delivery,
        &convert::envelope_bytes(&envelope),
        &envelope.hash(),
    )
    .await?;
    log::append(
        work.conn(),
        LogRecord {
            direction: Direction::Sent,
            message_id: envelope.message_id.to_string(),
            peer: out.peer.to_string(),
            message_type: envelope.message_type.as_str().to_owned(),
            shared_case_id: case,
            canonical: envelope.canonical(),
            signature: envelope.signature.clone(),
            recorded_at: now,
        },
    )
    .await?;
    tracing::info!(message_id = %envelope.message_id, peer = %out.peer, message_type = envelope.message_type.as_str(), "envelope queued");
    Ok(envelope)
}
