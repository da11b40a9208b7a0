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

use super::Context;
use super::outbound::{self, Outgoing};
use crate::domain::cap::{AlertDirection, CapAlert, CapArea, CapInfo, KeptAlert};
use crate::domain::envelope::{Envelope, ExchangeStatus};
use crate::domain::ids::MessageId;
use crate::domain::micros;
use crate::domain::node::NodeId;
use crate::domain::payload::Payload;
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
    tracing::info!(identifier = %cap.identifier, peers = peers.len(), "CAP alert issued");
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

/// Keeps a CAP message from a peer (checked when it was decoded). The
/// cause of a rejection when its CAP sender is not the envelope's.
///
/// # Errors
/// The database failing.
pub async fn take_alert(
    work: &mut Work,
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
    if alerts::insert(work.conn(), AlertDirection::Received, &cap, &xml, now).await? {
        tracing::info!(identifier = %cap.identifier, sender = %cap.sender, msg_type = %cap.msg_type, "CAP alert received");
    }
    Ok(Ok(()))
}
