//! The expiry worker: after each year end, lapses that year's points once.

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::application::{Context, ledger};
use crate::domain::SERVICE;
use crate::domain::expiry::current_year;

/// Checks every `interval` whether the last year end's expiry has run, and
/// runs it when not. Several replicas may run it at once: each account's
/// entry is posted once by its key.
pub async fn run_expiry(ctx: Context, interval: Duration, cancel: CancellationToken) {
    if ctx.policy.expiry.months == 0 {
        return;
    }
    let mut tick = tokio::time::interval(interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = cancel.cancelled() => return,
            _ = tick.tick() => {}
        }
        let last_year = current_year(ctx.units.now(), ctx.policy.offset) - 1;
        match ledger::expiry_has_run(&ctx, last_year).await {
            Ok(true) => continue,
            Ok(false) => {}
            Err(err) => {
                tracing::warn!(error = %err, "checking the expiry failed");
                continue;
            }
        }
        if let Err(err) = ledger::expire(&ctx, last_year, SERVICE, |_| ()).await {
            tracing::warn!(year = last_year, error = %err, "expiry failed; it is tried again");
        }
    }
}
