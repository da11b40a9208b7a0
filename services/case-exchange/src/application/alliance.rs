//! The alliance and the joint defence groups (平安商户联盟, 十户联防), and the
//! joint emergency response (处突联动): who an alert was fanned out to, their
//! acknowledgements, and the escalation of whoever has not acknowledged by
//! the deadline (a ticket at this town, as a failed delivery deadline
//! opens). Members' contacts stay here: masked in answers and logs, never
//! in an event.

use platform::auth::Caller;
use platform::error::AppError;
use platform::uow::{Begun, CallKey, Work};
use prost::Message;

use super::Context;
use crate::domain::alliance::{AlertAck, Member, MemberKind, Recipient};
use crate::domain::ids::MemberId;
use crate::domain::micros;
use crate::events;
use crate::repository::{alerts, members};

/// Who acts when an acknowledgement deadline passes.
const ACTOR: &str = "case-exchange";
/// How many overdue alerts one pass looks at.
const ESCALATION_BATCH: u32 = 200;

/// AddMember.
#[derive(Debug, Clone)]
pub struct AddMember {
    pub kind: MemberKind,
    pub name: String,
    pub place: String,
    pub households: u32,
    pub contact_name: String,
    pub contact_phone: String,
}

/// Adds a member of the alliance or a joint defence group.
///
/// # Errors
/// ALREADY_EXISTS for a name of that kind kept before.
pub async fn add_member<A: Message + Default>(
    ctx: &Context,
    _caller: &Caller,
    key: CallKey,
    cmd: AddMember,
    answer: impl FnOnce(&Member) -> A,
) -> Result<A, AppError> {
    let mut work = match ctx.units.begin(key).await? {
        Begun::Replay(saved) => return Ok(saved),
        Begun::Fresh(work) => work,
    };
    let member = Member {
        member_id: MemberId::generate(),
        kind: cmd.kind,
        name: cmd.name,
        place: cmd.place,
        households: cmd.households,
        contact_name: cmd.contact_name,
        contact_phone: cmd.contact_phone,
        joined_at: micros(work.now()),
    };
    members::insert(work.conn(), &member).await?;
    tracing::info!(member_id = %member.member_id, kind = member.kind.as_str(), "member added");
    work.commit(answer(&member)).await
}

/// Returns the members, of `kind` when given.
///
/// # Errors
/// The database failing.
pub async fn list_members(
    ctx: &Context,
    kind: Option<MemberKind>,
) -> Result<Vec<Member>, AppError> {
    let mut read = ctx.units.read().await?;
    Ok(members::list(&mut read, kind).await?)
}

/// Records every member here as told of the alert (`sender`,
/// `identifier`), due within the configured deadline; returns how many.
///
/// # Errors
/// The database failing.
pub async fn notify_members<A: Message>(
    work: &mut Work<A>,
    ctx: &Context,
    sender: &str,
    identifier: &str,
) -> Result<usize, AppError> {
    let now = micros(work.now());
    let kept = members::list(work.conn(), None).await?;
    for member in &kept {
        let ack = AlertAck::notified(
            sender,
            identifier,
            Recipient::Member(member.member_id),
            now,
            ctx.policy.alert_ack_deadline,
        );
        alerts::insert_ack(work.conn(), &ack).await?;
    }
    Ok(kept.len())
}

/// AcknowledgeAlert: a member's acknowledgement, taken here.
///
/// # Errors
/// NOT_FOUND when the member was not told of the alert here.
pub async fn acknowledge_for_member<A: Message + Default>(
    ctx: &Context,
    caller: &Caller,
    key: CallKey,
    (sender, identifier, member): (String, String, MemberId),
    answer: impl FnOnce(&AlertAck) -> A,
) -> Result<A, AppError> {
    let mut work = match ctx.units.begin(key).await? {
        Begun::Replay(saved) => return Ok(saved),
        Begun::Fresh(work) => work,
    };
    let recipient = Recipient::Member(member);
    let mut ack = alerts::load_ack_for_update(work.conn(), &sender, &identifier, &recipient)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("member {member} told of alert {identifier}")))?;
    if ack.acknowledge(&caller.subject, micros(work.now())) {
        alerts::save_ack(work.conn(), &ack).await?;
        tracing::info!(identifier, member_id = %member, "alert acknowledged by a member");
    }
    work.commit(answer(&ack)).await
}

/// Returns the recipients of the alert (`sender`, `identifier`) told from
/// here, with the members they name.
///
/// # Errors
/// NOT_FOUND for an alert not kept here.
pub async fn list_acks(
    ctx: &Context,
    sender: &str,
    identifier: &str,
) -> Result<(Vec<AlertAck>, Vec<Member>), AppError> {
    let mut read = ctx.units.read().await?;
    if alerts::get(&mut read, sender, identifier).await?.is_none() {
        return Err(AppError::NotFound(format!(
            "alert {identifier} of {sender}"
        )));
    }
    let acks = alerts::acks(&mut read, sender, identifier, false).await?;
    let kept = members::list(&mut read, None).await?;
    Ok((acks, kept))
}

/// Returns the alerts with a recipient past its deadline.
///
/// # Errors
/// The database failing.
pub async fn overdue(ctx: &Context) -> Result<Vec<(String, String)>, AppError> {
    let mut read = ctx.units.read().await?;
    Ok(alerts::overdue(&mut read, ctx.units.now(), ESCALATION_BATCH).await?)
}

/// Escalates the overdue recipients of the alert (`sender`, `identifier`):
/// each becomes ESCALATED and one ticket asks a person here to follow them
/// up. Returns how many were escalated.
///
/// # Errors
/// The database failing.
pub async fn escalate(ctx: &Context, sender: &str, identifier: &str) -> Result<usize, AppError> {
    let mut work = ctx.units.begin_job::<()>().await?;
    let now = micros(work.now());
    let mut acks = alerts::acks(work.conn(), sender, identifier, true).await?;
    let mut escalated = Vec::new();
    for ack in &mut acks {
        if ack.escalate(now) {
            alerts::save_ack(work.conn(), ack).await?;
            escalated.push(ack.recipient.clone());
        }
    }
    if escalated.is_empty() {
        return Ok(0);
    }
    let kept = members::list(work.conn(), None).await?;
    let names: Vec<String> = escalated
        .iter()
        .map(|r| match r {
            Recipient::Peer(node) => node.clone(),
            Recipient::Member(id) => kept
                .iter()
                .find(|m| m.member_id == *id)
                .map_or_else(|| id.to_string(), |m| m.name.clone()),
        })
        .collect();
    let headline = alerts::get(work.conn(), sender, identifier)
        .await?
        .and_then(|k| k.alert.info.first().map(|i| i.event.clone()))
        .unwrap_or_default();
    work.publish(events::alert_ticket_requested(
        (sender, identifier, &headline),
        &names,
        &ctx.policy.failure_category,
        ACTOR,
        now,
    ));
    work.commit(()).await?;
    tracing::warn!(
        identifier,
        escalated = names.len(),
        "alert unacknowledged past its deadline; a ticket is asked for"
    );
    Ok(names.len())
}
