//! CAP 1.2 alerts between nodes (风险联控, 处突联动): an alert made here is
//! written as CAP XML, kept, and sent to every peer in the same unit of
//! work; an alert from a peer was read and checked element by element
//! when its envelope was decoded (a malformed one is refused at the peer
//! port, naming the element), and is kept here once.

use chrono::{DateTime, FixedOffset, SubsecRound, Utc};
use platform::auth::Caller;
use platform::error::AppError;
use platform::uow::{Begun, CallKey, Work};
use prost::Message;

use super::outbound::{self, Outgoing};
use super::{Context, alliance};
use crate::domain::alliance::{AlertAck, Recipient};
use crate::domain::cap::{AlertDirection, CapAlert, CapArea, CapInfo, KeptAlert};
use crate::domain::envelope::{Envelope, ExchangeStatus};
use crate::domain::ids::MessageId;
use crate::domain::micros;
use crate::domain::node::NodeId;
use crate::domain::payload::Payload;
use crate::events;
use crate::repository::alerts;

/// China Standard Time, the offset the federation's alerts are sent in.
const CST_SECONDS: i32 = 8 * 3600;

/// IssueAlert.
#[derive(Debug, Clone)]
pub struct IssueAlert {
    pub categories: Vec<String>,
    pub event: String,
    pub urgency: String,
    pub severity: String,
    pub certainty: String,
    pub headline: String,
    pub description: String,
    pub instruction: String,
    pub area_desc: String,
    /// `lat,lon radius-km`.
    pub circle: Option<String>,
    pub expires: Option<DateTime<Utc>>,
    pub status: ExchangeStatus,
}

fn cst(at: DateTime<Utc>) -> DateTime<FixedOffset> {
    let offset = FixedOffset::east_opt(CST_SECONDS).expect("UTC+8 is a valid offset");
    at.trunc_subsecs(0).with_timezone(&offset)
}

/// Returns CAP's status for the exchange's.
fn cap_status(status: ExchangeStatus) -> &'static str {
    match status {
        ExchangeStatus::Actual => "Actual",
        ExchangeStatus::Exercise => "Exercise",
        ExchangeStatus::Test => "Test",
    }
}

/// Returns the CAP alert `cmd` makes, sent by this node at `now`.
fn cap_alert(ctx: &Context, cmd: IssueAlert, now: DateTime<Utc>) -> CapAlert {
    CapAlert {
        identifier: MessageId::generate().to_string(),
        sender: ctx.identity.node.to_string(),
        sent: cst(now),
        status: cap_status(cmd.status).to_owned(),
        msg_type: "Alert".to_owned(),
        scope: "Restricted".to_owned(),
        restriction: "毗邻协作成员单位 (the joint station's member towns)".to_owned(),
        addresses: String::new(),
        references: Vec::new(),
        note: String::new(),
        info: vec![CapInfo {
            language: "zh-CN".to_owned(),
            categories: cmd.categories,
            event: cmd.event,
            urgency: cmd.urgency,
            severity: cmd.severity,
            certainty: cmd.certainty,
            sender_name: ctx.identity.node.town.clone(),
            headline: cmd.headline,
            description: cmd.description,
            instruction: cmd.instruction,
            expires: cmd.expires.map(cst),
            areas: vec![CapArea {
                area_desc: cmd.area_desc,
                circles: cmd.circle.into_iter().collect(),
            }],
        }],
    }
}

/// Issues a CAP alert to every peer.
///
/// # Errors
/// INVALID_ARGUMENT naming the CAP element a value breaks; the database
/// failing.
pub async fn issue_alert<A: Message + Default>(
    ctx: &Context,
    _caller: &Caller,
    key: CallKey,
    cmd: IssueAlert,
    answer: impl FnOnce(&KeptAlert) -> A,
) -> Result<A, AppError> {
    let mut work = match ctx.units.begin(key).await? {
        Begun::Replay(saved) => return Ok(saved),
        Begun::Fresh(work) => work,
    };
    let now = micros(work.now());
    let cap = cap_alert(ctx, cmd, now);
    cap.validate()
        .map_err(|err| AppError::invalid(err.element.clone(), err.problem.clone()))?;
    let xml = cap.to_xml();
    alerts::insert(work.conn(), AlertDirection::Issued, &cap, &xml, now).await?;
    let peers: Vec<NodeId> = ctx.identity.peers.iter().map(|p| p.node.clone()).collect();
    for peer in &peers {
        outbound::queue(
            &mut work,
            ctx,
            Outgoing {
                peer: peer.clone(),
                payload: Payload::Alert(cap.clone()),
                shared_case_id: None,
                sender_case_number: String::new(),
                recipient_case_number: String::new(),
                status: cmd_status(&cap),
                references: Vec::new(),
                in_reply_to: None,
            },
        )
        .await?;
    }
    for peer in &peers {
        let ack = AlertAck::notified(
            &cap.sender,
            &cap.identifier,
            Recipient::Peer(peer.to_string()),
            now,
            ctx.policy.alert_ack_deadline,
        );
        alerts::insert_ack(work.conn(), &ack).await?;
    }
    let members = alliance::notify_members(&mut work, ctx, &cap.sender, &cap.identifier).await?;
    work.publish(events::alert_fanned_out(&cap, peers.len(), members, now));
    tracing::info!(identifier = %cap.identifier, peers = peers.len(), members, "CAP alert issued and fanned out");
    let kept = KeptAlert {
        direction: AlertDirection::Issued,
        alert: cap,
        xml,
    };
    let answered = work.commit(answer(&kept)).await?;
    ctx.wake(&peers);
    Ok(answered)
}

/// Returns the envelope status of an alert's CAP status.
fn cmd_status(cap: &CapAlert) -> ExchangeStatus {
    match cap.status.as_str() {
        "Actual" => ExchangeStatus::Actual,
        "Exercise" => ExchangeStatus::Exercise,
        _ => ExchangeStatus::Test,
    }
}

/// Returns alerts, newest first.
///
/// # Errors
/// The database failing.
pub async fn list_alerts(
    ctx: &Context,
    direction: Option<AlertDirection>,
    limit: u32,
) -> Result<Vec<KeptAlert>, AppError> {
    let mut read = ctx.units.read().await?;
    Ok(alerts::list(&mut read, direction, limit).await?)
}

/// Keeps a CAP message from a peer (checked when it was decoded): an
/// alert is kept once and fanned out to this town's members; an Ack of an
/// alert issued here marks the peer acknowledged. The cause of a
/// rejection when its CAP sender is not the envelope's, or an Ack names
/// no alert sent to that peer.
///
/// # Errors
/// The database failing.
pub async fn take_alert(
    work: &mut Work,
    ctx: &Context,
    envelope: &Envelope,
    cap: CapAlert,
) -> Result<Result<(), String>, AppError> {
    if cap.sender != envelope.sender.to_string() {
        return Ok(Err(format!(
            "the CAP sender {} is not the envelope's sender",
            cap.sender
        )));
    }
    let xml = cap.to_xml();
    let now = micros(work.now());
    let fresh = alerts::insert(work.conn(), AlertDirection::Received, &cap, &xml, now).await?;
    if cap.msg_type == "Ack" {
        return take_ack(work, ctx, envelope, &cap).await;
    }
    if fresh && cap.msg_type == "Alert" {
        let members = alliance::notify_members(work, ctx, &cap.sender, &cap.identifier).await?;
        work.publish(events::alert_fanned_out(&cap, 0, members, now));
        tracing::info!(identifier = %cap.identifier, sender = %cap.sender, members, "CAP alert received and fanned out");
    }
    Ok(Ok(()))
}

/// A peer's CAP Ack of an alert issued here.
async fn take_ack(
    work: &mut Work,
    ctx: &Context,
    envelope: &Envelope,
    cap: &CapAlert,
) -> Result<Result<(), String>, AppError> {
    let me = ctx.identity.node.to_string();
    let Some((sender, identifier)) = cap.referred().filter(|(s, _)| *s == me) else {
        return Ok(Err("the Ack refers to no alert of this node".into()));
    };
    let recipient = Recipient::Peer(envelope.sender.to_string());
    let Some(mut ack) =
        alerts::load_ack_for_update(work.conn(), sender, identifier, &recipient).await?
    else {
        return Ok(Err(format!(
            "alert {identifier} was not sent to {}",
            envelope.sender
        )));
    };
    let by = format!("{} ({})", cap.note, envelope.sender);
    if ack.acknowledge(&by, micros(work.now())) {
        alerts::save_ack(work.conn(), &ack).await?;
        tracing::info!(identifier, peer = %envelope.sender, "alert acknowledged by a peer");
    }
    Ok(Ok(()))
}

/// AcknowledgeAlert at a node that received an alert: its desk's
/// acknowledgement goes back to the issuing node as a CAP Ack.
///
/// # Errors
/// NOT_FOUND for an alert not received here; the database failing.
pub async fn acknowledge_received<A: Message + Default>(
    ctx: &Context,
    caller: &Caller,
    key: CallKey,
    (sender, identifier): (String, String),
    answer: impl FnOnce(&KeptAlert) -> A,
) -> Result<A, AppError> {
    let mut work = match ctx.units.begin(key).await? {
        Begun::Replay(saved) => return Ok(saved),
        Begun::Fresh(work) => work,
    };
    let not_found = || AppError::NotFound(format!("alert {identifier} received from {sender}"));
    let Some(kept) = alerts::get(work.conn(), &sender, &identifier).await? else {
        return Err(not_found());
    };
    let issuer = NodeId::parse(&sender).filter(|_| kept.direction == AlertDirection::Received);
    let Some(issuer) = issuer.filter(|n| ctx.identity.peer(n).is_some()) else {
        return Err(not_found());
    };
    let now = micros(work.now());
    let ack = CapAlert {
        identifier: MessageId::generate().to_string(),
        sender: ctx.identity.node.to_string(),
        sent: cst(now),
        msg_type: "Ack".to_owned(),
        references: vec![kept.alert.reference()],
        note: caller.subject.clone(),
        info: Vec::new(),
        addresses: String::new(),
        ..kept.alert.clone()
    };
    ack.validate()
        .map_err(|err| AppError::Internal(anyhow::anyhow!("an Ack breaks CAP: {err}")))?;
    let xml = ack.to_xml();
    alerts::insert(work.conn(), AlertDirection::Issued, &ack, &xml, now).await?;
    outbound::queue(
        &mut work,
        ctx,
        Outgoing {
            peer: issuer.clone(),
            payload: Payload::Alert(ack.clone()),
            shared_case_id: None,
            sender_case_number: String::new(),
            recipient_case_number: String::new(),
            status: cmd_status(&ack),
            references: Vec::new(),
            in_reply_to: None,
        },
    )
    .await?;
    tracing::info!(identifier = %identifier, issuer = %issuer, "alert acknowledged to its issuer");
    let kept = KeptAlert {
        direction: AlertDirection::Issued,
        alert: ack,
        xml,
    };
    let answered = work.commit(answer(&kept)).await?;
    ctx.wake(&[issuer]);
    Ok(answered)
}
