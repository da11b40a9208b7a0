//! The joint information check (信息联查). At the asking town: the question
//! (with its purpose and approving officer) is kept with its subject
//! masked and sent as a REQUEST; the RESPONSE is kept as the peer's policy
//! shaped it, and every read of it is audited. At the answering town: a
//! question without its purpose, approval or a policy rule is refused
//! with the reason; otherwise it is answered from the joint cases held
//! here, with only what the RESPONSE rule lets leave, masked as it says.

use platform::auth::Caller;
use platform::error::AppError;
use platform::mask;
use platform::uow::{Begun, CallKey, Work};
use prost::Message;

use super::Context;
use super::intake::answer_delivery;
use super::outbound::{self, Outgoing};
use crate::convert;
use crate::domain::check::{self, Check, CheckAnswer, CheckRequest, CheckState, SubjectKind};
use crate::domain::envelope::{Envelope, ExchangeStatus, MessageType};
use crate::domain::ids::CheckId;
use crate::domain::micros;
use crate::domain::node::NodeId;
use crate::domain::payload::Payload;
use crate::repository::audit::{self, AuditedRead, ReadObject};
use crate::repository::{cases, checks};

/// How many joint cases one check looks at, newest first.
const CHECK_CASES: u32 = 50;

/// RequestCheck.
#[derive(Debug, Clone)]
pub struct RequestCheck {
    pub peer: NodeId,
    pub kind: SubjectKind,
    pub subject: String,
    pub purpose: String,
    pub approved_by: String,
}

/// Returns a subject as this node keeps it: an id number masked.
fn masked(kind: SubjectKind, subject: &str) -> String {
    match kind {
        SubjectKind::Person => mask::id_number(subject),
        SubjectKind::Enterprise => subject.to_owned(),
    }
}

/// Asks `cmd.peer` about a person or an enterprise.
///
/// # Errors
/// INVALID_ARGUMENT for a peer that is not allow-listed; the database
/// failing.
pub async fn request_check<A: Message + Default>(
    ctx: &Context,
    caller: &Caller,
    key: CallKey,
    cmd: RequestCheck,
    answer: impl FnOnce(&Check) -> A,
) -> Result<A, AppError> {
    if ctx.identity.peer(&cmd.peer).is_none() {
        return Err(AppError::invalid(
            "peer_node",
            "must be an allow-listed peer",
        ));
    }
    let mut work = match ctx.units.begin(key).await? {
        Begun::Replay(saved) => return Ok(saved),
        Begun::Fresh(work) => work,
    };
    let now = micros(work.now());
    let check = Check {
        check_id: CheckId::generate(),
        peer: cmd.peer.clone(),
        kind: cmd.kind,
        subject_masked: masked(cmd.kind, &cmd.subject),
        purpose: cmd.purpose.clone(),
        approved_by: cmd.approved_by.clone(),
        requested_by: caller.subject.clone(),
        state: CheckState::Pending,
        reason: String::new(),
        findings: Vec::new(),
        requested_at: now,
        answered_at: None,
    };
    checks::insert(work.conn(), &check).await?;
    let question = CheckRequest {
        check_id: check.check_id,
        kind: cmd.kind,
        subject: cmd.subject,
        purpose: cmd.purpose,
        approved_by: cmd.approved_by,
        requested_by: caller.subject.clone(),
    };
    outbound::queue(
        &mut work,
        ctx,
        Outgoing {
            peer: cmd.peer.clone(),
            payload: Payload::CheckRequest(question),
            shared_case_id: None,
            sender_case_number: String::new(),
            recipient_case_number: String::new(),
            status: ExchangeStatus::Actual,
            references: Vec::new(),
            in_reply_to: None,
        },
    )
    .await?;
    tracing::info!(check_id = %check.check_id, peer = %cmd.peer, kind = cmd.kind.as_str(), "information check asked");
    let answered = work.commit(answer(&check)).await?;
    ctx.wake(&[cmd.peer]);
    Ok(answered)
}

/// Returns the check `id` with its answer, and records the read in the
/// append-only audit trail (in the same unit of work: no read without
/// its record).
///
/// # Errors
/// NOT_FOUND; the database failing.
pub async fn get_check(ctx: &Context, caller: &Caller, id: CheckId) -> Result<Check, AppError> {
    let mut work = ctx.units.begin_job::<()>().await?;
    let check = checks::get(work.conn(), id, false)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("check {id}")))?;
    let read = AuditedRead {
        object: ReadObject::Check(id.0),
        subject: &caller.subject,
        role: caller.role.as_str(),
        records: check.findings.len(),
        at: micros(work.now()),
    };
    audit::log_read(work.conn(), &read).await?;
    work.commit(()).await?;
    tracing::info!(check_id = %id, findings = read.records, "information check read");
    Ok(check)
}

/// Returns checks, newest first.
///
/// # Errors
/// The database failing.
pub async fn list_checks(ctx: &Context, limit: u32) -> Result<Vec<Check>, AppError> {
    let mut read = ctx.units.read().await?;
    Ok(checks::list(&mut read, limit).await?)
}

/// Answers a peer's question (at the peer port, inside the envelope's
/// unit of work): refused with a reason, or the findings the RESPONSE rule
/// of the asking peer's policy lets leave.
///
/// # Errors
/// The database failing.
pub async fn answer_check(
    work: &mut Work,
    ctx: &Context,
    envelope: &Envelope,
    request: CheckRequest,
) -> Result<CheckAnswer, AppError> {
    let policy = ctx.identity.peer(&envelope.sender).map(|p| &p.sharing);
    let covers = policy.is_some_and(|p| p.covers(MessageType::Response));
    let refused = |reason: String| CheckAnswer {
        check_id: request.check_id,
        refused: true,
        reason,
        findings: Vec::new(),
    };
    if let Some(reason) = check::refusal(&request, covers) {
        tracing::warn!(check_id = %request.check_id, asker = %envelope.sender, "information check refused");
        return Ok(refused(reason));
    }
    let Some(policy) = policy else {
        return Ok(refused("not an allow-listed peer".into()));
    };
    let field = match request.kind {
        SubjectKind::Person => "id_number",
        SubjectKind::Enterprise => "name",
    };
    let held = cases::involving(work.conn(), field, request.subject.trim(), CHECK_CASES).await?;
    let findings = check::findings(&request, &held)
        .iter()
        .map(|f| policy.share_finding(MessageType::Response, f, convert::MASKS))
        .collect::<Vec<_>>();
    tracing::info!(check_id = %request.check_id, asker = %envelope.sender, findings = findings.len(), "information check answered");
    Ok(CheckAnswer {
        check_id: request.check_id,
        refused: false,
        reason: String::new(),
        findings,
    })
}

/// Keeps a peer's answer to a check asked here, and answers the request's
/// delivery (accepted, or rejected with the refusal's reason).
///
/// # Errors
/// The database failing.
pub async fn take_answer(
    work: &mut Work,
    envelope: &Envelope,
    answer: CheckAnswer,
) -> Result<(), AppError> {
    if !answer_delivery(work, envelope, !answer.refused, &answer.reason).await? {
        return Ok(());
    }
    let Some(mut check) = checks::get(work.conn(), answer.check_id, true).await? else {
        tracing::warn!(check_id = %answer.check_id, "an answer to a check not asked here");
        return Ok(());
    };
    if check.peer != envelope.sender {
        tracing::warn!(check_id = %answer.check_id, "an answer from a peer not asked");
        return Ok(());
    }
    if check.answer(&answer, micros(work.now())) {
        checks::save_answer(work.conn(), &check).await?;
    }
    Ok(())
}
