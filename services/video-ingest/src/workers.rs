//! Timers: devices past their persisted deadline go offline, catalogue
//! syncs whose packets stopped time out, expired nonces are deleted (one
//! unit of work per item, see `application::health`); clips past their
//! retention are purged (`application::evidence::purge_round`).

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::application::{Context, health};

/// Rounds between nonce purges (with the default 5 s interval, every ten
/// minutes or so).
const PURGE_EVERY: u32 = 120;

/// Runs one round every `every` until `cancel` fires.
pub async fn run_health(ctx: Context, every: Duration, cancel: CancellationToken) {
    let mut round: u32 = 0;
    loop {
        if let Err(err) = health_round(&ctx, round.is_multiple_of(PURGE_EVERY)).await {
            tracing::warn!(error = %err, "health round failed; retrying");
        }
        round = round.wrapping_add(1);
        tokio::select! {
            () = cancel.cancelled() => return,
            () = tokio::time::sleep(every) => {}
        }
    }
}

/// Runs one round: offline devices, timed-out syncs and (when `purge`)
/// spent nonces.
///
/// # Errors
/// The database fails; items done before stay done.
pub async fn health_round(ctx: &Context, purge: bool) -> Result<(), platform::error::AppError> {
    for device in health::devices_past_deadline(ctx).await? {
        health::mark_offline(ctx, &device).await?;
    }
    for sync in health::syncs_overdue(ctx).await? {
        health::time_out_sync(ctx, sync).await?;
    }
    if purge {
        ctx.analytics.admission.forget_idle();
        let purged = health::purge_nonces(ctx).await?;
        if purged > 0 {
            tracing::debug!(purged, "expired nonces deleted");
        }
    }
    Ok(())
}

/// Runs the retention purge every `every` until `cancel` fires, the first
/// round one interval after start (replicas restarted together do not all
/// purge at once): clips past their retention and not on hold lose their
/// files (a round takes a batch; a round that purged runs the next at
/// once).
pub async fn run_retention(ctx: Context, every: Duration, cancel: CancellationToken) {
    let mut pause = every;
    loop {
        tokio::select! {
            () = cancel.cancelled() => return,
            () = tokio::time::sleep(pause) => {}
        }
        pause = match crate::application::evidence::purge_round(&ctx).await {
            Ok(purged) if purged > 0 => Duration::ZERO,
            Ok(_) => every,
            Err(err) => {
                tracing::warn!(error = %err, "retention purge failed; retrying");
                every
            }
        };
    }
}
