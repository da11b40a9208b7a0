//! What the router does: tickets taken in while the registry could not be
//! reached learn where they lie, and a simple case goes to its micro-grid
//! then. Its clock starts at that dispatch; its history keeps the time it
//! waited.
//!
//! The registry is asked with no transaction open: the waiting tickets are
//! read (read-only), each location is resolved, and only then is each
//! ticket locked and routed in a unit of work of its own.

use platform::error::AppError;

use super::{Context, save_move};
use crate::domain::ticket::Stamp;
use crate::repository::tickets;

/// Tickets looked at per round.
const BATCH: i64 = 100;

/// Routes up to one batch of unrouted tickets, each in its own unit of
/// work; returns how many were routed. A ticket another replica routed
/// meanwhile is skipped (it is locked and looked at again before it
/// changes).
///
/// # Errors
/// The registry is still unreachable (UNAVAILABLE: the tickets routed before
/// it failed are kept), or the database.
pub async fn route_unrouted(ctx: &Context) -> Result<usize, AppError> {
    let waiting = {
        let mut read = ctx.units.read().await?;
        tickets::unrouted(&mut read, BATCH).await?
    };
    let mut routed = 0;
    for (id, location) in waiting {
        let placement = match location {
            Some(at) => ctx
                .registry
                .resolve(at)
                .await
                .map_err(|e| AppError::Unavailable(e.to_string()))?,
            None => None,
        };
        let mut work = ctx.units.begin_job().await?;
        let now = work.now();
        let Some(mut ticket) = tickets::load_for_update(work.conn(), id).await? else {
            continue;
        };
        if !ticket.unrouted || ticket.location != location {
            // Routed by another replica meanwhile (dropping the work rolls
            // it back).
            continue;
        }
        ticket.routed(placement.as_ref(), now);
        match placement.as_ref().and_then(|p| ticket.simple_case_unit(p)) {
            Some(unit) => {
                let reason = format!(
                    "simple case: to its micro-grid, routed after waiting since {}",
                    ticket.received_at
                );
                let stamp = Stamp::system(now);
                let rules = ctx.rules.current();
                let dispatched = ticket.dispatch(unit, Some(reason), &stamp, &rules)?;
                save_move(&mut work, &rules, &ticket, &dispatched).await?;
            }
            None => tickets::update(work.conn(), &ticket).await?,
        }
        work.commit(()).await?;
        routed += 1;
    }
    Ok(routed)
}
