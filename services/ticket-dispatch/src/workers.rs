//! Background work: firing deadline timers (warnings, breaches and
//! escalation up the registry's chain, asked before the round's unit of
//! work) and routing tickets that arrived while the
//! registry could not be reached. A round of timers is one unit of work
//! (`Units::begin_job`, database only) that claims its timers with `FOR
//! UPDATE SKIP LOCKED`, so with several replicas each timer fires once. The
//! router asks the registry with no transaction open, then routes each
//! ticket in a unit of work of its own, after locking it and checking it is
//! still unrouted, so each ticket is routed once.

use std::sync::Arc;
use std::time::Duration;

use platform::error::AppError;
use platform::uow::Units;
use tokio_util::sync::CancellationToken;

use crate::application::{Context, deadlines, routing};
use crate::domain::deadline::DeadlineRules;
use crate::registry::Registry;

/// Fires due timers every `every` until `cancel` fires.
pub async fn run_timers(
    units: Units,
    registry: Registry,
    rules: Arc<DeadlineRules>,
    every: Duration,
    cancel: CancellationToken,
) {
    loop {
        match fire_due(&units, &registry, &rules).await {
            Ok(0) => {}
            Ok(fired) => {
                tracing::debug!(fired, "deadline timers fired");
                // A full batch may leave more due: look again at once.
                continue;
            }
            Err(err) => tracing::warn!(error = %err, "firing deadline timers failed; retrying"),
        }
        tokio::select! {
            () = cancel.cancelled() => return,
            () = tokio::time::sleep(every) => {}
        }
    }
}

/// Fires up to one batch of the timers due now (by the units' clock),
/// a breach escalating along the chain `registry` gives; returns how many.
///
/// # Errors
/// The database fails; nothing of the batch is kept.
pub async fn fire_due(
    units: &Units,
    registry: &Registry,
    rules: &DeadlineRules,
) -> Result<usize, AppError> {
    let chains = deadlines::chains_due(units, registry, units.now()).await?;
    let mut work = units.begin_job().await?;
    let fired = deadlines::fire_due(&mut work, rules, &chains).await?;
    work.commit(()).await?;
    Ok(fired)
}

/// Routes unrouted tickets every `every` until `cancel` fires.
pub async fn run_router(ctx: Context, every: Duration, cancel: CancellationToken) {
    loop {
        match route_unrouted(&ctx).await {
            Ok(0) => {}
            Ok(routed) => tracing::info!(routed, "unrouted tickets routed"),
            Err(err) => tracing::debug!(error = %err, "routing waits for the registry"),
        }
        tokio::select! {
            () = cancel.cancelled() => return,
            () = tokio::time::sleep(every) => {}
        }
    }
}

/// Tries the registry for up to one batch of unrouted tickets; returns how
/// many were routed (see [`routing::route_unrouted`]).
///
/// # Errors
/// The registry is still unreachable (the tickets routed before are kept),
/// or the database fails.
pub async fn route_unrouted(ctx: &Context) -> Result<usize, AppError> {
    routing::route_unrouted(ctx).await
}
