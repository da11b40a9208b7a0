//! Joint risk control (风险联控): the shared risk list. An entry is made or
//! changed only by its owner node, here through PutRisk, and every change
//! goes to every peer as an UPDATE in the same unit of work; a change
//! arriving from its owner is applied in version order, so every node
//! holds the same list. A person is kept masked only: the name is masked
//! before anything is stored or sent, and again on arrival.

use platform::auth::Caller;
use platform::error::AppError;
use platform::mask;
use platform::uow::{Begun, CallKey, Work};
use prost::Message;

use super::Context;
use super::outbound::{self, Outgoing};
use crate::domain::envelope::{Envelope, ExchangeStatus};
use crate::domain::ids::RiskId;
use crate::domain::micros;
use crate::domain::node::NodeId;
use crate::domain::payload::Payload;
use crate::domain::risk::{CareGroup, RiskChange, RiskItem, RiskKind, RiskLevel};
use crate::repository::risks;

/// PutRisk: a new entry (no id) or a change of one made here.
#[derive(Debug, Clone)]
pub struct PutRisk {
    pub risk_id: Option<RiskId>,
    pub kind: RiskKind,
    pub name: String,
    pub care_group: Option<CareGroup>,
    pub level: RiskLevel,
    pub description: String,
    pub location: Option<(f64, f64)>,
    pub withdrawn: bool,
}

/// Makes or changes an entry of the shared list and sends it to every
/// peer.
///
/// # Errors
/// NOT_FOUND for an unknown id; PERMISSION_DENIED for another node's
/// entry; INVALID_ARGUMENT for a group that does not fit the kind.
pub async fn put_risk<A: Message + Default>(
    ctx: &Context,
    caller: &Caller,
    key: CallKey,
    cmd: PutRisk,
    answer: impl FnOnce(&RiskItem) -> A,
) -> Result<A, AppError> {
    let mut work = match ctx.units.begin(key).await? {
        Begun::Replay(saved) => return Ok(saved),
        Begun::Fresh(work) => work,
    };
    let me = ctx.identity.node.clone();
    let (risk_id, version) = match cmd.risk_id {
        None => (RiskId::generate(), 1),
        Some(id) => {
            let held = risks::load_for_update(work.conn(), id)
                .await?
                .ok_or_else(|| AppError::NotFound(format!("risk {id}")))?;
            if held.owner != me {
                return Err(AppError::PermissionDenied(format!(
                    "risk {id} belongs to {}; only it changes the entry",
                    held.owner
                )));
            }
            (id, held.version + 1)
        }
    };
    let item = RiskItem {
        risk_id,
        owner: me,
        kind: cmd.kind,
        name: match cmd.kind {
            RiskKind::Person => mask::name(&cmd.name),
            RiskKind::Place | RiskKind::Enterprise => cmd.name,
        },
        care_group: cmd.care_group,
        level: cmd.level,
        description: cmd.description,
        location: cmd.location,
        version,
        withdrawn: cmd.withdrawn,
        updated_by: caller.subject.clone(),
        updated_at: micros(work.now()),
    };
    item.check()
        .map_err(|err| AppError::invalid("care_group", err.to_string()))?;
    risks::upsert(work.conn(), &item).await?;
    let peers: Vec<NodeId> = ctx.identity.peers.iter().map(|p| p.node.clone()).collect();
    for peer in &peers {
        outbound::queue(
            &mut work,
            ctx,
            Outgoing {
                peer: peer.clone(),
                payload: Payload::Risk(item.clone()),
                shared_case_id: None,
                sender_case_number: String::new(),
                recipient_case_number: String::new(),
                status: ExchangeStatus::Actual,
                references: Vec::new(),
                in_reply_to: None,
            },
        )
        .await?;
    }
    tracing::info!(risk_id = %item.risk_id, version = item.version, kind = item.kind.as_str(), "risk list changed");
    let answered = work.commit(answer(&item)).await?;
    ctx.wake(&peers);
    Ok(answered)
}

/// Returns the shared list as this node holds it.
///
/// # Errors
/// The database failing.
pub async fn list_risks(ctx: &Context, include_withdrawn: bool) -> Result<Vec<RiskItem>, AppError> {
    let mut read = ctx.units.read().await?;
    Ok(risks::list(&mut read, include_withdrawn).await?)
}

/// Applies a change of the list from its owner, in version order; an
/// older or repeated version is ignored. The cause of a rejection when
/// the sender is not the owner or the entry breaks its rules.
///
/// # Errors
/// The database failing.
pub async fn take_risk(
    work: &mut Work,
    envelope: &Envelope,
    item: RiskItem,
) -> Result<Result<(), String>, AppError> {
    let held = risks::load_for_update(work.conn(), item.risk_id).await?;
    match RiskItem::merge(held.as_ref(), &item, &envelope.sender) {
        Err(refusal) => Ok(Err(refusal.to_string())),
        Ok(RiskChange::Stale) => {
            tracing::info!(risk_id = %item.risk_id, version = item.version, "an old version of a risk ignored");
            Ok(Ok(()))
        }
        Ok(RiskChange::Applied) => {
            risks::upsert(work.conn(), &item).await?;
            tracing::info!(risk_id = %item.risk_id, version = item.version, owner = %item.owner, "risk list changed by its owner");
            Ok(Ok(()))
        }
    }
}
