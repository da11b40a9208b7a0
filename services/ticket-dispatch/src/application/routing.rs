//! What the router does: tickets taken in while the registry could not be
//! reached learn where they lie, and a simple case goes to its micro-grid
//! then. Its clock starts at that dispatch; its history keeps the time it
//! waited.

use platform::error::AppError;
use platform::uow::Work;

use super::{Context, save_move};
use crate::domain::ticket::Stamp;
use crate::repository::tickets;

/// Tickets routed per unit of work.
const BATCH: i64 = 100;

/// Routes up to one batch of unrouted tickets inside `work` (each claimed
/// with `FOR UPDATE SKIP LOCKED`, so each is routed once); returns how many.
///
/// # Errors
/// The registry is still unreachable (UNAVAILABLE: nothing of the batch is
/// kept), or the database.
pub async fn route_unrouted(work: &mut Work, ctx: &Context) -> Result<usize, AppError> {
    let now = work.now();
    let waiting = tickets::claim_unrouted(work.conn(), BATCH).await?;
    let routed = waiting.len();
    for mut ticket in waiting {
        let placement = match ticket.location {
            Some(at) => ctx
                .registry
                .resolve(at, None)
                .await
                .map_err(|e| AppError::Unavailable(e.to_string()))?,
            None => None,
        };
        ticket.routed(placement.as_ref(), now);
        match placement.as_ref().and_then(|p| ticket.simple_case_unit(p)) {
            Some(unit) => {
                let reason = format!(
                    "simple case: to its micro-grid, routed after waiting since {}",
                    ticket.received_at
                );
                let stamp = Stamp::system(now);
                let dispatched = ticket.dispatch(unit, Some(reason), &stamp, &ctx.rules)?;
                save_move(work, &ctx.rules, &ticket, &dispatched).await?;
            }
            None => tickets::update(work.conn(), &ticket).await?,
        }
    }
    Ok(routed)
}
