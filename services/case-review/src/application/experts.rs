//! The expert registry and declarations of interest.

use chrono::{DateTime, Utc};
use platform::auth::Caller;
use platform::error::AppError;
use platform::uow::{Begun, CallKey};
use prost::Message;

use super::{Context, access};
use crate::domain::expert::{Declaration, Expert, NewExpert};
use crate::domain::ids::ExpertId;
use crate::repository::experts;

/// Registers an expert, as the town asks.
///
/// # Errors
/// PERMISSION_DENIED for others; INVALID_ARGUMENT for a key that is not
/// one; ALREADY_EXISTS for credentials registered before.
pub async fn register_expert<A: Message + Default>(
    ctx: &Context,
    caller: &Caller,
    key: CallKey,
    cmd: NewExpert,
    answer: impl FnOnce(&Expert) -> A,
) -> Result<A, AppError> {
    access::require_town(caller, "register experts")?;
    let mut work = match ctx.units.begin(key).await? {
        Begun::Replay(saved) => return Ok(saved),
        Begun::Fresh(work) => work,
    };
    let expert =
        Expert::register(cmd, work.now()).map_err(|v| AppError::InvalidArgument(vec![v]))?;
    experts::insert(work.conn(), &expert).await?;
    tracing::info!(expert_id = %expert.id, kind = expert.kind.as_str(), by = %caller.subject, "expert registered");
    work.commit(answer(&expert)).await
}

/// Returns the experts (of `field`), each with their declarations.
///
/// # Errors
/// PERMISSION_DENIED for others than the town; the database failing.
pub async fn list_experts(
    ctx: &Context,
    caller: &Caller,
    field: Option<String>,
) -> Result<(Vec<Expert>, Vec<Declaration>), AppError> {
    access::require_town(caller, "list the experts")?;
    let mut conn = ctx.units.read().await?;
    let list = experts::list(&mut conn, field.as_deref()).await?;
    let ids: Vec<ExpertId> = list.iter().map(|e| e.id).collect();
    let declarations = experts::declarations(&mut conn, &ids).await?;
    Ok((list, declarations))
}

/// A declaration of interest to record.
#[derive(Debug, Clone)]
pub struct DeclareInterest {
    pub expert: ExpertId,
    pub party: String,
    pub note: String,
    pub expires_at: DateTime<Utc>,
}

/// Records an expert's declaration of interest (by the expert or the town).
///
/// # Errors
/// PERMISSION_DENIED for others; NOT_FOUND for an unknown expert;
/// INVALID_ARGUMENT for an expiry passed.
pub async fn declare_interest<A: Message + Default>(
    ctx: &Context,
    caller: &Caller,
    key: CallKey,
    cmd: DeclareInterest,
    answer: impl FnOnce(&Declaration) -> A,
) -> Result<A, AppError> {
    access::require_town_or_expert(caller, cmd.expert, "declare an expert's interests")?;
    let mut work = match ctx.units.begin(key).await? {
        Begun::Replay(saved) => return Ok(saved),
        Begun::Fresh(work) => work,
    };
    experts::find(work.conn(), cmd.expert)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("expert {}", cmd.expert)))?;
    let declaration =
        Declaration::declare(cmd.expert, cmd.party, cmd.note, cmd.expires_at, work.now())
            .map_err(|v| AppError::InvalidArgument(vec![v]))?;
    experts::insert_declaration(work.conn(), &declaration).await?;
    work.commit(answer(&declaration)).await
}
