//! An envelope arriving at the peer port. It is checked (allow-listed
//! sender over its own certificate, addressed here, signatures, skew), a
//! retransmit is answered with its first receipt, a reused message id is
//! refused, and a new envelope is stored, logged as RECEIVED, applied and
//! answered (ACK, or ERROR with a cause) in one unit of work, whose commit
//! is what the receipt vouches for. Every refusal is recorded and logged.

use platform::error::AppError;
use platform::uow::Work;

use super::Context;
use super::outbound::{self, Outgoing};
use super::{alerts, checks, risks};
use crate::convert;
use crate::domain::case::{CaseState, JointCase};
use crate::domain::envelope::{Attempt, Envelope, Receipt};
use crate::domain::log::{Direction, LogRecord};
use crate::domain::micros;
use crate::domain::node::NodeId;
use crate::domain::payload::{Answer, Payload};
use crate::domain::trust::{Refusal, admit};
use crate::events;
use crate::repository::received::{self, Received};
use crate::repository::refusals::{self, RefusalRecord};
use crate::repository::{cases, deliveries, log};

/// Who moves a case when the node itself does (a report's
/// acknowledgement).
pub const NODE_ACTOR: &str = "case-exchange";

/// Why an envelope got no receipt.
#[derive(Debug, thiserror::Error)]
pub enum IntakeError {
    /// Refused, and recorded as such.
    #[error(transparent)]
    Refused(Refusal),
    /// Not taken in for now (the database failed): the sender tries again.
    #[error(transparent)]
    App(#[from] AppError),
}

impl From<sqlx::Error> for IntakeError {
    fn from(err: sqlx::Error) -> Self {
        IntakeError::App(err.into())
    }
}

/// Records `refusal` of an envelope claiming to be `message_id` from
/// `claimed_sender`, and returns it as the error.
///
/// # Errors
/// Always: the refusal (or the database failing to record it).
pub async fn refuse(
    ctx: &Context,
    message_id: &str,
    claimed_sender: &str,
    refusal: Refusal,
) -> IntakeError {
    tracing::warn!(message_id, claimed_sender, reason = refusal.code(), detail = %refusal, "envelope refused");
    let record = RefusalRecord {
        message_id: message_id.to_owned(),
        claimed_sender: claimed_sender.to_owned(),
        reason: refusal.code().to_owned(),
        detail: refusal.to_string(),
        refused_at: ctx.units.now(),
    };
    let recorded = async {
        let mut work = ctx.units.begin_job::<()>().await?;
        refusals::insert(work.conn(), &record).await?;
        work.commit(()).await
    };
    match recorded.await {
        Ok(()) => IntakeError::Refused(refusal),
        Err(err) => IntakeError::App(err),
    }
}

/// Takes `envelope`, sent in `attempt` over a connection whose client
/// certificate is `tls_peer`'s, and returns the receipt.
///
/// # Errors
/// Refused (recorded), or the database failing.
pub async fn deliver(
    ctx: &Context,
    envelope: Envelope,
    attempt: Attempt,
    tls_peer: Result<NodeId, String>,
) -> Result<Receipt, IntakeError> {
    let (id, sender) = (envelope.message_id.to_string(), envelope.sender.to_string());
    let identity = &ctx.identity;
    let now = ctx.units.now();
    if let Err(refusal) = admit(
        &envelope,
        &attempt,
        tls_peer.as_ref().map_err(Clone::clone),
        &identity.node,
        &identity.peers,
        now,
        ctx.policy.max_skew,
    ) {
        return Err(refuse(ctx, &id, &sender, refusal).await);
    }
    let payload = match convert::decode_payload(&envelope.payload) {
        Ok(payload) if payload.message_type() == envelope.message_type => payload,
        Ok(_) => {
            return Err(refuse(
                ctx,
                &id,
                &sender,
                Refusal::Malformed("the payload is not of the envelope's type".into()),
            )
            .await);
        }
        Err(err) => return Err(refuse(ctx, &id, &sender, Refusal::Malformed(err)).await),
    };
    let hash = envelope.hash();
    let mut work = ctx.units.begin_job::<()>().await?;
    if let Some(before) = received::find(work.conn(), &sender, envelope.message_id).await? {
        drop(work);
        if before.envelope_hash == hash {
            tracing::info!(message_id = %id, sender = %sender, "retransmit answered with its receipt");
            return Ok(Receipt {
                message_id: envelope.message_id,
                receiver: identity.node.clone(),
                envelope_hash: hash,
                received_at: before.received_at,
                signature: before.receipt_signature,
            });
        }
        return Err(refuse(ctx, &id, &sender, Refusal::Replayed(id.clone())).await);
    }
    let received_at = micros(work.now());
    let receipt = Receipt::issue(
        envelope.message_id,
        identity.node.clone(),
        hash,
        received_at,
        &identity.key,
    );
    let kept = Received {
        envelope_hash: hash,
        received_at,
        receipt_signature: receipt.signature.clone(),
    };
    if !received::insert(work.conn(), &sender, envelope.message_id, &kept).await? {
        return Err(
            AppError::Aborted("the same envelope arrived twice at once; try again".into()).into(),
        );
    }
    log::append(
        work.conn(),
        LogRecord {
            direction: Direction::Received,
            message_id: id.clone(),
            peer: sender.clone(),
            message_type: envelope.message_type.as_str().to_owned(),
            shared_case_id: envelope
                .shared_case_id
                .map(|c| c.to_string())
                .unwrap_or_default(),
            canonical: envelope.canonical(),
            signature: envelope.signature.clone(),
            recorded_at: received_at,
        },
    )
    .await?;
    let wake = apply(&mut work, ctx, &envelope, payload).await?;
    work.commit(()).await?;
    ctx.wake(&wake);
    tracing::info!(message_id = %id, sender = %sender, message_type = envelope.message_type.as_str(), "envelope received");
    Ok(receipt)
}

/// Applies a verified envelope's payload; returns the peers it queued
/// answers for.
async fn apply(
    work: &mut Work,
    ctx: &Context,
    envelope: &Envelope,
    payload: Payload,
) -> Result<Vec<NodeId>, AppError> {
    let outcome = match payload {
        Payload::Report { summary, first } => {
            take_report(work, ctx, envelope, summary, first).await?
        }
        Payload::Update { step, mediation } => {
            take_update(work, ctx, envelope, step, mediation).await?
        }
        Payload::Answer(answer) => {
            take_answer(work, envelope, answer).await?;
            return Ok(Vec::new());
        }
        Payload::Ticket {
            case_number,
            closed,
        } => take_ticket(work, ctx, envelope, &case_number, closed).await?,
        Payload::Cancel { .. } => Ok(None),
        Payload::CheckRequest(request) => {
            // A question's business answer is its RESPONSE.
            let answer = checks::answer_check(work, ctx, envelope, request).await?;
            return reply(work, ctx, envelope, Payload::CheckAnswer(answer)).await;
        }
        Payload::CheckAnswer(answer) => {
            checks::take_answer(work, envelope, answer).await?;
            return Ok(Vec::new());
        }
        Payload::Risk(item) => risks::take_risk(work, envelope, item).await?.map(|()| None),
        Payload::Alert(cap) => alerts::take_alert(work, ctx, envelope, cap)
            .await?
            .map(|()| None),
    };
    let answer = match outcome {
        Ok(step) => Answer {
            accepted: true,
            cause: String::new(),
            step,
            case_number: String::new(),
        },
        Err(cause) => {
            tracing::warn!(message_id = %envelope.message_id, cause = %cause, "envelope rejected");
            Answer {
                accepted: false,
                cause,
                step: None,
                case_number: String::new(),
            }
        }
    };
    reply(work, ctx, envelope, Payload::Answer(answer)).await
}

/// Queues `payload` as the reply to `envelope`; returns the peer to wake.
async fn reply(
    work: &mut Work,
    ctx: &Context,
    envelope: &Envelope,
    payload: Payload,
) -> Result<Vec<NodeId>, AppError> {
    outbound::queue(
        work,
        ctx,
        Outgoing {
            peer: envelope.sender.clone(),
            payload,
            shared_case_id: envelope.shared_case_id,
            sender_case_number: envelope.recipient_case_number.clone(),
            recipient_case_number: envelope.sender_case_number.clone(),
            status: envelope.status,
            references: vec![envelope.message_id],
            in_reply_to: Some(envelope.hash()),
        },
    )
    .await?;
    Ok(vec![envelope.sender.clone()])
}

/// A business outcome: accepted (with the move the answer makes), or the
/// cause of the rejection.
type Outcome = Result<Option<crate::domain::case::CaseMove>, String>;

/// A new joint case: stored as reported, acknowledged by this node, and a
/// CROSS_BORDER ticket asked of this town's dispatch.
async fn take_report(
    work: &mut Work,
    ctx: &Context,
    envelope: &Envelope,
    summary: crate::domain::case::CaseSummary,
    first: crate::domain::case::CaseMove,
) -> Result<Outcome, AppError> {
    let Some(shared_id) = envelope.shared_case_id else {
        return Ok(Err("a report names no shared case id".into()));
    };
    if first.version != 1 || first.to != CaseState::Reported || first.by_node != envelope.sender {
        return Ok(Err("a report's move is the sender's first".into()));
    }
    if cases::load_for_update(work.conn(), shared_id)
        .await?
        .is_some()
    {
        return Ok(Err(format!("joint case {shared_id} was reported before")));
    }
    let me = ctx.identity.node.clone();
    let mut case = JointCase::received(
        shared_id,
        envelope.sender.clone(),
        me.clone(),
        envelope.sender_case_number.clone(),
        summary,
        envelope.status,
        first.clone(),
    );
    let now = micros(work.now());
    let ack = case
        .make_move(&me, CaseState::Acknowledged, NODE_ACTOR, "", now)
        .map_err(|err| AppError::Internal(err.into()))?;
    cases::insert(work.conn(), &case, now).await?;
    work.publish(events::case_moved(&case, &ack));
    work.publish(events::case_ticket_requested(&case, NODE_ACTOR, now));
    tracing::info!(shared_id = %shared_id, origin = %envelope.sender, "joint case taken in");
    Ok(Ok(Some(ack)))
}

/// A move made at the other side, applied here in order.
async fn take_update(
    work: &mut Work,
    ctx: &Context,
    envelope: &Envelope,
    step: crate::domain::case::CaseMove,
    mediation: Option<crate::domain::case::Mediation>,
) -> Result<Outcome, AppError> {
    let Some(shared_id) = envelope.shared_case_id else {
        return Ok(Err("an update names no shared case id".into()));
    };
    let Some(mut case) = cases::load_for_update(work.conn(), shared_id).await? else {
        return Ok(Err(format!("joint case {shared_id} is not known here")));
    };
    if step.by_node != envelope.sender || case.other_side(&ctx.identity.node) != &envelope.sender {
        return Ok(Err("a move is made by the case's other side only".into()));
    }
    let loaded = case.version;
    let applied = match mediation {
        Some(mediation) => case.apply_with_mediation(&step, mediation),
        None => case.apply(&step),
    };
    if let Err(err) = applied {
        return Ok(Err(err.to_string()));
    }
    let now = micros(work.now());
    cases::save(work.conn(), &case, loaded, now).await?;
    work.publish(events::case_moved(&case, &step));
    Ok(Ok(None))
}

/// The other side's news of its own dispatch ticket: its number, its
/// closure.
async fn take_ticket(
    work: &mut Work,
    ctx: &Context,
    envelope: &Envelope,
    case_number: &str,
    closed: bool,
) -> Result<Outcome, AppError> {
    let Some(shared_id) = envelope.shared_case_id else {
        return Ok(Err("a ticket's news names no shared case id".into()));
    };
    let Some(mut case) = cases::load_for_update(work.conn(), shared_id).await? else {
        return Ok(Err(format!("joint case {shared_id} is not known here")));
    };
    if case.other_side(&ctx.identity.node) != &envelope.sender {
        return Ok(Err(
            "a ticket's news comes from the case's other side only".into()
        ));
    }
    if case.note_ticket(&envelope.sender, case_number, closed) {
        let loaded = case.version;
        let now = micros(work.now());
        cases::save(work.conn(), &case, loaded, now).await?;
        tracing::info!(shared_id = %shared_id, side = %envelope.sender, case_number, closed, "the other side's ticket noted");
    }
    Ok(Ok(None))
}

/// A business answer to an envelope this node sent: the delivery is
/// answered (unless it failed: then it stays failed), and the move the
/// answer makes is applied.
async fn take_answer(work: &mut Work, envelope: &Envelope, answer: Answer) -> Result<(), AppError> {
    if !answer_delivery(work, envelope, answer.accepted, &answer.cause).await? {
        return Ok(());
    }
    let now = micros(work.now());
    if let (Some(step), Some(shared_id)) = (answer.step, envelope.shared_case_id)
        && let Some(mut case) = cases::load_for_update(work.conn(), shared_id).await?
    {
        let loaded = case.version;
        match case.apply(&step) {
            Ok(()) => {
                cases::save(work.conn(), &case, loaded, now).await?;
                work.publish(events::case_moved(&case, &step));
            }
            Err(err) => {
                tracing::warn!(shared_id = %shared_id, error = %err, "an answer's move does not apply")
            }
        }
    }
    Ok(())
}

/// Records the business answer `envelope` gives to the delivery it replies
/// to (unless that failed: then it stays failed). Returns whether the
/// answer is to be applied: false for an answer naming no request, to
/// another peer's message, or come too late.
///
/// # Errors
/// The database failed.
pub(super) async fn answer_delivery(
    work: &mut Work,
    envelope: &Envelope,
    accepted: bool,
    cause: &str,
) -> Result<bool, AppError> {
    let Some(answered) = envelope.in_reply_to else {
        tracing::warn!(message_id = %envelope.message_id, "an answer that names no request");
        return Ok(false);
    };
    let now = micros(work.now());
    if let Some(mut delivery) = deliveries::load_by_hash_for_update(work.conn(), &answered).await? {
        if delivery.peer != envelope.sender.to_string() {
            tracing::warn!(message_id = %envelope.message_id, "an answer to another peer's message");
            return Ok(false);
        }
        if delivery.answer(accepted, cause, now) {
            deliveries::save(work.conn(), &delivery, None).await?;
        } else {
            tracing::warn!(message_id = %delivery.message_id, state = delivery.state.as_str(), "late answer kept in the log only");
            return Ok(false);
        }
    }
    Ok(true)
}
