//! The reminder worker: declarations of interest about to expire and
//! reviews near their deadline, each item in a unit of work of its own
//! (`application::reminders`).

use tokio_util::sync::CancellationToken;

use crate::application::{Context, reminders};

/// Sends due reminders and warnings every `reminders.interval` until
/// `cancel` fires.
pub async fn run_reminders(ctx: Context, cancel: CancellationToken) {
    let every = ctx.policy.reminders.interval;
    loop {
        match reminders::remind_declarations(&ctx).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(reminded = n, "declarations expiring reminded"),
            Err(err) => tracing::warn!(error = %err, "reminding declarations failed; trying again"),
        }
        match reminders::warn_deadlines(&ctx).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(warned = n, "review deadlines warned"),
            Err(err) => tracing::warn!(error = %err, "warning of deadlines failed; trying again"),
        }
        tokio::select! {
            () = cancel.cancelled() => return,
            () = tokio::time::sleep(every) => {}
        }
    }
}
