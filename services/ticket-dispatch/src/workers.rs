//! Background work: firing deadline timers (warnings, breaches and
//! escalation up the registry's chain, asked before the timers' units of
//! work) and routing tickets that arrived while the registry could not be
//! reached, and putting in force an edit of the business calendar made
//! through another replica. Each due timer fires in a unit of work of its own
//! (`Units::begin_job`, database only) that claims it with `FOR UPDATE SKIP
//! LOCKED`, so with several replicas each timer fires once, and one that
//! fails is set aside (`ticket_timers.failed_at`, with the reason) without
//! holding back the others. The
//! router asks the registry with no transaction open, then routes each
//! ticket in a unit of work of its own, after locking it and checking it is
//! still unrouted, so each ticket is routed once.

use std::time::Duration;

use platform::error::AppError;
use platform::uow::Units;
use tokio_util::sync::CancellationToken;

use crate::application::{Context, Rules, calendar, deadlines, routing};
use crate::domain::deadline::DeadlineRules;
use crate::registry::Registry;

/// Fires due timers every `every` until `cancel` fires.
pub async fn run_timers(
    units: Units,
    registry: Registry,
    rules: Rules,
    every: Duration,
    cancel: CancellationToken,
) {
    loop {
        match fire_due(&units, &registry, &rules.current()).await {
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

/// Fires the timers due now (by the units' clock), up to one pass's
/// worth, each in a unit of work of its own: a timer that fails (its
/// ticket cannot be read or moved) is set aside with the reason and the
/// others fire all the same. Returns how many fired.
///
/// # Errors
/// The database is away; the timers fired before are kept.
pub async fn fire_due(
    units: &Units,
    registry: &Registry,
    rules: &DeadlineRules,
) -> Result<usize, AppError> {
    let chains = deadlines::chains_due(units, registry, units.now()).await?;
    let mut fired = 0;
    for id in deadlines::due(units).await? {
        let mut work = units.begin_job().await?;
        match deadlines::fire(&mut work, rules, &chains, id).await {
            Ok(true) => {
                work.commit(()).await?;
                fired += 1;
            }
            Ok(false) => {}
            // Not the timer's fault: it fires on a later pass.
            Err(err @ (AppError::Unavailable(_) | AppError::Aborted(_))) => return Err(err),
            Err(err) => {
                drop(work);
                let reason = format!("{err:#}");
                tracing::error!(timer_id = %id, reason = %reason, "deadline timer failed; set aside");
                let mut work = units.begin_job().await?;
                deadlines::set_aside(&mut work, id, &reason).await?;
                work.commit(()).await?;
            }
        }
    }
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

/// Puts in force, every `every` until `cancel` fires, an edit of the
/// calendar made through another replica (its deadlines were moved by the
/// edit itself).
pub async fn follow_calendar_edits(
    units: Units,
    rules: Rules,
    every: Duration,
    cancel: CancellationToken,
) {
    loop {
        tokio::select! {
            () = cancel.cancelled() => return,
            () = tokio::time::sleep(every) => {}
        }
        if let Err(err) = calendar::pick_up_edit(&units, &rules).await {
            tracing::warn!(error = %err, "reading the business calendar's version failed; retrying");
        }
    }
}
