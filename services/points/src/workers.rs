//! The expiry worker: after each year end, lapses that year's points once.

use std::time::Duration;

use chrono::Datelike;
use platform::clock::SharedClock;
use platform::outbox::RelayWaker;
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

use crate::api::Policy;
use crate::expiry;

/// Checks every `interval` whether the last year end's expiry has run, and
/// runs it when not. Several replicas may run it at once: each account's
/// entry is posted once by its key.
pub async fn run_expiry(
    pool: PgPool,
    policy: Policy,
    clock: SharedClock,
    waker: RelayWaker,
    interval: Duration,
    cancel: CancellationToken,
) {
    if policy.expiry.months == 0 {
        return;
    }
    let mut tick = tokio::time::interval(interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = cancel.cancelled() => return,
            _ = tick.tick() => {}
        }
        let last_year = clock.now().with_timezone(&policy.offset).year() - 1;
        match expiry::has_run(&pool, last_year).await {
            Ok(true) => continue,
            Ok(false) => {}
            Err(err) => {
                tracing::warn!(error = %err, "checking the expiry failed");
                continue;
            }
        }
        match expiry::run(
            &pool,
            last_year,
            policy.expiry.months,
            policy.offset,
            "points",
        )
        .await
        {
            Ok(_) => waker.wake(),
            Err(err) => {
                tracing::warn!(year = last_year, error = %err, "expiry failed; it is tried again")
            }
        }
    }
}
