//! Deadlines on both acknowledgements: a warning, then a failure that asks
//! this town's dispatch for a ticket, so a person follows it up. One unit
//! of work per delivery.

use platform::error::AppError;

use super::Context;
use crate::domain::delivery::Due;
use crate::domain::ids::MessageId;
use crate::domain::micros;
use crate::events;
use crate::repository::deliveries;

/// Who acts when a deadline passes.
const ACTOR: &str = "case-exchange";

/// Returns the deliveries still waiting for an acknowledgement.
///
/// # Errors
/// The database failed.
pub async fn open(ctx: &Context, limit: u32) -> Result<Vec<MessageId>, AppError> {
    let mut read = ctx.units.read().await?;
    Ok(deliveries::open_ids(&mut read, limit).await?)
}

/// Looks at the deadlines of delivery `id`: warns once, or fails it and
/// asks for a ticket. Returns what it did.
///
/// # Errors
/// The database failed.
pub async fn check(ctx: &Context, id: MessageId) -> Result<Option<Due>, AppError> {
    let mut work = ctx.units.begin_job::<()>().await?;
    let Some(mut delivery) = deliveries::load_for_update(work.conn(), id).await? else {
        return Ok(None);
    };
    let now = micros(work.now());
    let due = delivery.due(&ctx.policy.deadlines, now);
    match due {
        None => return Ok(None),
        Some(Due::Warn(awaited)) => {
            delivery.warned = true;
            tracing::warn!(message_id = %id, peer = %delivery.peer, awaited = awaited.as_str(), "delivery deadline near");
            work.publish(events::deadline(&delivery, awaited, false, ACTOR, now));
        }
        Some(Due::Fail(awaited)) => {
            delivery.fail(awaited);
            tracing::error!(message_id = %id, peer = %delivery.peer, awaited = awaited.as_str(), "delivery deadline passed; a ticket is asked for");
            work.publish(events::deadline(&delivery, awaited, true, ACTOR, now));
            work.publish(events::failure_ticket_requested(
                &delivery,
                awaited,
                &ctx.policy.failure_category,
                ACTOR,
                now,
            ));
        }
    }
    deliveries::save(work.conn(), &delivery, None).await?;
    work.commit(()).await?;
    Ok(due)
}
