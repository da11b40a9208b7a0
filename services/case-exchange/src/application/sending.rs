//! The delivery queue, as each peer's sender works it: what goes next, the
//! attempt to sign, and what came back (a receipt, a refusal, or nothing
//! while the peer is away). The network call happens between these, never
//! inside a unit of work.

use platform::error::AppError;

use super::Context;
use crate::convert;
use crate::domain::delivery::Delivery;
use crate::domain::envelope::{Attempt, Hash, Receipt};
use crate::domain::ids::MessageId;
use crate::domain::micros;
use crate::domain::node::NodeId;
use crate::repository::deliveries;

/// The next envelope for a peer.
pub struct Next {
    pub delivery: Delivery,
    /// The signed envelope, encoded as queued.
    pub wire: Vec<u8>,
    pub hash: Hash,
    /// This attempt, signed now.
    pub attempt: Attempt,
}

/// Returns the oldest pending envelope for `peer`, with an attempt signed
/// at this moment.
///
/// # Errors
/// The database failed, or the queued envelope is unreadable.
pub async fn next(ctx: &Context, peer: &NodeId) -> Result<Option<Next>, AppError> {
    let mut read = ctx.units.read().await?;
    let Some((delivery, wire)) = deliveries::next_pending(&mut read, &peer.to_string()).await?
    else {
        return Ok(None);
    };
    drop(read);
    let envelope = convert::envelope_from_bytes(&wire)
        .map_err(|err| {
            AppError::Internal(anyhow::anyhow!(
                "queued envelope {}: {err}",
                delivery.message_id
            ))
        })
        .and_then(|pb| {
            convert::envelope_of(pb).map_err(|err| {
                AppError::Internal(anyhow::anyhow!(
                    "queued envelope {}: {err}",
                    delivery.message_id
                ))
            })
        })?;
    let attempt = Attempt::sign(&envelope, micros(ctx.units.now()), &ctx.identity.key);
    Ok(Some(Next {
        delivery,
        hash: envelope.hash(),
        wire,
        attempt,
    }))
}

/// Records the peer's receipt for `next`, once it verifies with the peer's
/// key. Returns whether it did.
///
/// # Errors
/// The database failed.
pub async fn receipt(
    ctx: &Context,
    peer: &NodeId,
    next: &Next,
    receipt: &Receipt,
) -> Result<bool, AppError> {
    let key = ctx.identity.peer(peer).map(|p| p.verifying_key);
    if !key.is_some_and(|key| receipt.verify(&key, &next.hash)) || receipt.receiver != *peer {
        tracing::warn!(message_id = %next.delivery.message_id, %peer, "a receipt that does not verify; trying again");
        return Ok(false);
    }
    let mut work = ctx.units.begin_job::<()>().await?;
    let Some(mut delivery) =
        deliveries::load_for_update(work.conn(), next.delivery.message_id).await?
    else {
        return Ok(false);
    };
    if delivery.receive(micros(work.now())) {
        deliveries::save(work.conn(), &delivery, Some(&receipt.signature)).await?;
        tracing::info!(message_id = %delivery.message_id, %peer, "receipt received");
    }
    work.commit(()).await?;
    Ok(true)
}

/// Counts a failed attempt at `id` (the peer away).
///
/// # Errors
/// The database failed.
pub async fn attempted(ctx: &Context, id: MessageId) -> Result<(), AppError> {
    let mut work = ctx.units.begin_job::<()>().await?;
    deliveries::count_attempt(work.conn(), id).await?;
    work.commit(()).await
}

/// Records that the peer refused `id`: it is not sent again.
///
/// # Errors
/// The database failed.
pub async fn refused(ctx: &Context, id: MessageId, cause: &str) -> Result<(), AppError> {
    let mut work = ctx.units.begin_job::<()>().await?;
    if let Some(mut delivery) = deliveries::load_for_update(work.conn(), id).await?
        && delivery.refused(cause, micros(work.now()))
    {
        deliveries::count_attempt(work.conn(), id).await?;
        deliveries::save(work.conn(), &delivery, None).await?;
        tracing::error!(message_id = %id, peer = %delivery.peer, cause, "delivery refused by the peer");
    }
    work.commit(()).await
}
