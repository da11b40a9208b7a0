//! Timers and senders. Each peer has its sender: it takes the oldest
//! pending envelope for that peer (so delivery is in order per peer), sends
//! it, and records the receipt; while the peer is away it tries the same
//! envelope again with backoff (backon's exponential schedule), woken early
//! when something new is queued. The deadline worker looks at open
//! deliveries, one unit of work each.

use std::sync::Arc;
use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBuilder};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::application::{Context, alliance, deadlines, sending};
use crate::domain::node::NodeId;
use crate::peers::{PeerClient, SendError};

/// How long an idle sender waits before looking at the queue again when
/// nothing woke it (a commit on another replica, say).
const IDLE: Duration = Duration::from_secs(1);
/// How many open deliveries one pass of the deadline worker looks at.
const DEADLINE_BATCH: u32 = 500;

/// Sleeps `wait`, or until `wake` or `cancel`; returns false on cancel.
async fn pause(wait: Duration, wake: &Notify, cancel: &CancellationToken) -> bool {
    tokio::select! {
        () = cancel.cancelled() => false,
        () = wake.notified() => true,
        () = tokio::time::sleep(wait) => true,
    }
}

/// Delivers the queue of `peer` until `cancel` fires.
pub async fn run_sender(
    ctx: Context,
    peer: NodeId,
    client: PeerClient,
    backoff: ExponentialBuilder,
    cancel: CancellationToken,
) {
    let wake: Arc<Notify> = ctx.wakers.get(&peer).cloned().unwrap_or_default();
    let mut delays = backoff.build();
    let mut current = None;
    loop {
        let next = match sending::next(&ctx, &peer).await {
            Ok(next) => next,
            Err(err) => {
                tracing::warn!(%peer, error = %err, "reading the delivery queue failed");
                if !pause(IDLE, &wake, &cancel).await {
                    return;
                }
                continue;
            }
        };
        let Some(next) = next else {
            if !pause(IDLE, &wake, &cancel).await {
                return;
            }
            continue;
        };
        if current != Some(next.delivery.message_id) {
            current = Some(next.delivery.message_id);
            delays = backoff.build();
        }
        let sent = tokio::select! {
            () = cancel.cancelled() => return,
            sent = client.deliver(&next.wire, &next.attempt) => sent,
        };
        let recorded = match sent {
            Ok(receipt) => sending::receipt(&ctx, &peer, &next, &receipt)
                .await
                .map(|ok| !ok),
            Err(SendError::Refused(cause)) => {
                sending::refused(&ctx, next.delivery.message_id, &cause)
                    .await
                    .map(|()| false)
            }
            Err(SendError::Away(why)) => {
                tracing::info!(%peer, message_id = %next.delivery.message_id, why, "peer away; trying again");
                sending::attempted(&ctx, next.delivery.message_id)
                    .await
                    .map(|()| true)
            }
        };
        let retry = recorded.unwrap_or_else(|err| {
            tracing::warn!(%peer, error = %err, "recording a delivery failed");
            true
        });
        if retry {
            let wait = delays.next().unwrap_or(IDLE);
            // A wake does not cut a backoff short: the peer is still away.
            tokio::select! {
                () = cancel.cancelled() => return,
                () = tokio::time::sleep(wait) => {}
            }
        }
    }
}

/// Looks at the deadlines of open deliveries, and of alerts' unacknowledged
/// recipients, every `every`, until `cancel` fires.
pub async fn run_deadlines(ctx: Context, every: Duration, cancel: CancellationToken) {
    // A round cut short by shutdown (the pool closing under it) is no
    // failure to report: the next start looks again.
    let failed = |what: &str, err: &dyn std::fmt::Display| {
        if !cancel.is_cancelled() {
            tracing::warn!(error = %err, "{what} failed");
        }
    };
    loop {
        match deadlines::open(&ctx, DEADLINE_BATCH).await {
            Ok(ids) => {
                for id in ids.into_iter().take_while(|_| !cancel.is_cancelled()) {
                    if let Err(err) = deadlines::check(&ctx, id).await {
                        failed(&format!("checking the deadline of {id}"), &err);
                    }
                }
            }
            Err(err) => failed("reading open deliveries", &err),
        }
        match alliance::overdue(&ctx).await {
            Ok(alerts) => {
                for (sender, identifier) in
                    alerts.into_iter().take_while(|_| !cancel.is_cancelled())
                {
                    if let Err(err) = alliance::escalate(&ctx, &sender, &identifier).await {
                        failed(&format!("escalating alert {identifier}"), &err);
                    }
                }
            }
            Err(err) => failed("reading overdue alerts", &err),
        }
        tokio::select! {
            () = cancel.cancelled() => return,
            () = tokio::time::sleep(every) => {}
        }
    }
}
