//! The joint case from the local API: a case reported to a peer, the moves
//! this side makes (each applied here and sent to the other side as an
//! UPDATE in the same unit of work), and the queries.

use chrono::{DateTime, Utc};
use platform::auth::Caller;
use platform::error::AppError;
use platform::uow::{Begun, CallKey, Work};
use prost::Message;

use super::Context;
use super::outbound::{self, Outgoing};
use crate::domain::case::{
    CaseMove, CaseState, CaseSummary, JointCase, Mediation, Obligation, Party,
};
use crate::domain::envelope::{ExchangeStatus, MessageType};
use crate::domain::ids::SharedCaseId;
use crate::domain::micros;
use crate::domain::node::NodeId;
use crate::domain::payload::Payload;
use crate::events;
use crate::repository::audit::{self, AuditedRead, ReadObject};
use crate::repository::cases;

/// ReportCase: a local case, reported to a peer.
#[derive(Debug, Clone)]
pub struct ReportCase {
    pub peer: NodeId,
    pub case_number: String,
    pub summary: CaseSummary,
    pub status: ExchangeStatus,
}

/// AcceptCase, RejectCase and CloseCase: a plain move.
#[derive(Debug, Clone)]
pub struct MoveCase {
    pub shared_id: SharedCaseId,
    pub to: CaseState,
    pub reason: String,
}

/// ScheduleMediation.
#[derive(Debug, Clone)]
pub struct ScheduleMediation {
    pub shared_id: SharedCaseId,
    pub scheduled_at: DateTime<Utc>,
    pub place: String,
    pub mediators: Vec<Party>,
    pub parties: Vec<Party>,
}

/// RecordMediationOutcome.
#[derive(Debug, Clone)]
pub struct RecordOutcome {
    pub shared_id: SharedCaseId,
    pub agreed: bool,
    pub agreement_text: String,
    pub agreed_amount_fen: i64,
    pub obligations: Vec<Obligation>,
}

/// Reports a case to a peer (案情联报): a new shared id, REPORTED here, and
/// a REPORT envelope with what the sharing policy lets leave.
///
/// # Errors
/// INVALID_ARGUMENT for a peer that is not allow-listed; the database failing.
pub async fn report_case<A: Message + Default>(
    ctx: &Context,
    caller: &Caller,
    key: CallKey,
    cmd: ReportCase,
    answer: impl FnOnce(&JointCase) -> A,
) -> Result<A, AppError> {
    let shared = outbound::shared_summary(ctx, &cmd.peer, MessageType::Report, &cmd.summary)?;
    let mut work = match ctx.units.begin(key).await? {
        Begun::Replay(saved) => return Ok(saved),
        Begun::Fresh(work) => work,
    };
    let now = micros(work.now());
    let case = JointCase::report(
        ctx.identity.node.clone(),
        cmd.peer.clone(),
        cmd.case_number,
        cmd.summary,
        cmd.status,
        &caller.subject,
        now,
    );
    cases::insert(work.conn(), &case, now).await?;
    let first = case.history[0].clone();
    outbound::queue(
        &mut work,
        ctx,
        Outgoing {
            peer: cmd.peer.clone(),
            payload: Payload::Report {
                summary: shared,
                first: first.clone(),
            },
            shared_case_id: Some(case.shared_id),
            sender_case_number: case.origin_case_number.clone(),
            recipient_case_number: String::new(),
            status: case.status,
            references: Vec::new(),
            in_reply_to: None,
        },
    )
    .await?;
    work.publish(events::case_moved(&case, &first));
    tracing::info!(shared_id = %case.shared_id, peer = %cmd.peer, "joint case reported");
    let answered = work.commit(answer(&case)).await?;
    ctx.wake(&[cmd.peer]);
    Ok(answered)
}

/// Saves a move made here, publishes it and sends it to the other side as
/// an UPDATE (with the mediation it brings, as the policy lets it leave).
async fn advance<A: Message>(
    work: &mut Work<A>,
    ctx: &Context,
    case: &JointCase,
    loaded: u32,
    step: &CaseMove,
) -> Result<NodeId, AppError> {
    let now = micros(work.now());
    cases::save(work.conn(), case, loaded, now).await?;
    let other = case.other_side(&ctx.identity.node).clone();
    let mediation = case
        .mediation
        .as_ref()
        .filter(|_| {
            matches!(
                step.to,
                CaseState::InMediation | CaseState::Agreed | CaseState::Failed
            )
        })
        .map(|m| outbound::shared_mediation(ctx, &other, MessageType::Update, m))
        .transpose()?;
    let (mine, theirs) = case.case_numbers(&ctx.identity.node);
    outbound::queue(
        work,
        ctx,
        Outgoing {
            peer: other.clone(),
            payload: Payload::Update {
                step: step.clone(),
                mediation,
            },
            shared_case_id: Some(case.shared_id),
            sender_case_number: mine,
            recipient_case_number: theirs,
            status: case.status,
            references: Vec::new(),
            in_reply_to: None,
        },
    )
    .await?;
    work.publish(events::case_moved(case, step));
    tracing::info!(shared_id = %case.shared_id, to = step.to.as_str(), version = step.version, "joint case moved");
    Ok(other)
}

/// Loads the case `id` for a move.
async fn load<A: Message>(work: &mut Work<A>, id: SharedCaseId) -> Result<JointCase, AppError> {
    cases::load_for_update(work.conn(), id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("joint case {id}")))
}

/// Accepts, rejects or closes a case here, and tells the other side.
///
/// # Errors
/// PERMISSION_DENIED for a move only the other node makes; NOT_FOUND; FAILED_PRECONDITION when the state does
/// not allow it.
pub async fn move_case<A: Message + Default>(
    ctx: &Context,
    caller: &Caller,
    key: CallKey,
    cmd: MoveCase,
    answer: impl FnOnce(&JointCase) -> A,
) -> Result<A, AppError> {
    let mut work = match ctx.units.begin(key).await? {
        Begun::Replay(saved) => return Ok(saved),
        Begun::Fresh(work) => work,
    };
    let mut case = load(&mut work, cmd.shared_id).await?;
    let loaded = case.version;
    let now = micros(work.now());
    let step = case.make_move(
        &ctx.identity.node,
        cmd.to,
        &caller.subject,
        &cmd.reason,
        now,
    )?;
    let other = advance(&mut work, ctx, &case, loaded, &step).await?;
    let answered = work.commit(answer(&case)).await?;
    ctx.wake(&[other]);
    Ok(answered)
}

/// Moves a case into or out of its mediation here, with the mediation
/// `mediate` makes of the case, and tells the other side.
async fn mediate<A: Message + Default>(
    ctx: &Context,
    caller: &Caller,
    key: CallKey,
    (id, to): (SharedCaseId, CaseState),
    mediate: impl FnOnce(&JointCase) -> Mediation,
    answer: impl FnOnce(&JointCase) -> A,
) -> Result<A, AppError> {
    let mut work = match ctx.units.begin(key).await? {
        Begun::Replay(saved) => return Ok(saved),
        Begun::Fresh(work) => work,
    };
    let mut case = load(&mut work, id).await?;
    let loaded = case.version;
    let step = CaseMove {
        version: case.version + 1,
        to,
        by_node: ctx.identity.node.clone(),
        by_person: caller.subject.clone(),
        at: micros(work.now()),
        reason: String::new(),
    };
    let mediation = mediate(&case);
    case.apply_with_mediation(&step, mediation)?;
    let other = advance(&mut work, ctx, &case, loaded, &step).await?;
    let answered = work.commit(answer(&case)).await?;
    ctx.wake(&[other]);
    Ok(answered)
}

/// Schedules a joint mediation (纠纷联调) of an accepted case.
///
/// # Errors
/// As [`move_case`].
pub async fn schedule_mediation<A: Message + Default>(
    ctx: &Context,
    caller: &Caller,
    key: CallKey,
    cmd: ScheduleMediation,
    answer: impl FnOnce(&JointCase) -> A,
) -> Result<A, AppError> {
    let mediation = Mediation {
        scheduled_at: Some(micros(cmd.scheduled_at)),
        place: cmd.place,
        mediators: cmd.mediators,
        parties: cmd.parties,
        ..Mediation::default()
    };
    let target = (cmd.shared_id, CaseState::InMediation);
    mediate(ctx, caller, key, target, |_| mediation, answer).await
}

/// Records a mediation's outcome: AGREED with the agreement, or FAILED.
///
/// # Errors
/// As [`move_case`]; INVALID_ARGUMENT for an agreement without its text.
pub async fn record_outcome<A: Message + Default>(
    ctx: &Context,
    caller: &Caller,
    key: CallKey,
    cmd: RecordOutcome,
    answer: impl FnOnce(&JointCase) -> A,
) -> Result<A, AppError> {
    let to = if cmd.agreed {
        CaseState::Agreed
    } else {
        CaseState::Failed
    };
    let outcome = |case: &JointCase| Mediation {
        agreement_text: cmd.agreement_text,
        agreed_amount_fen: cmd.agreed_amount_fen,
        obligations: cmd.obligations,
        concluded: true,
        agreed: cmd.agreed,
        ..case.mediation.clone().unwrap_or_default()
    };
    mediate(ctx, caller, key, (cmd.shared_id, to), outcome, answer).await
}

/// Returns the case `id` with its history, and records the read (it shows
/// the parties, masked) in the append-only audit trail, in the same unit
/// of work.
///
/// # Errors
/// NOT_FOUND.
pub async fn get_case(
    ctx: &Context,
    caller: &Caller,
    id: SharedCaseId,
) -> Result<JointCase, AppError> {
    let mut work = ctx.units.begin_job::<()>().await?;
    let case = cases::get(work.conn(), id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("joint case {id}")))?;
    let mediation = case
        .mediation
        .as_ref()
        .map_or(0, |m| m.parties.len() + m.mediators.len());
    let read = AuditedRead {
        object: ReadObject::Case(id.0),
        subject: &caller.subject,
        role: caller.role.as_str(),
        records: case.summary.parties.len() + mediation,
        at: micros(work.now()),
    };
    audit::log_read(work.conn(), &read).await?;
    work.commit(()).await?;
    Ok(case)
}

/// Returns cases, newest first.
///
/// # Errors
/// The database failing.
pub async fn list_cases(
    ctx: &Context,
    peer: Option<NodeId>,
    states: &[CaseState],
    limit: u32,
) -> Result<Vec<JointCase>, AppError> {
    let mut read = ctx.units.read().await?;
    let peer = peer.map(|p| p.to_string());
    Ok(cases::list(&mut read, peer.as_deref(), states, limit).await?)
}
