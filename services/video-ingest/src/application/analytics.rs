//! StreamAnalyticEvents: a batch of analytic events, checked against the
//! cameras here, published straight to JetStream (no outbox: the batch is
//! acknowledged to the sender only after JetStream stored every event, and
//! the sender keeps what is not acknowledged) within a bound of events in
//! flight. The incidents are made by the consumer of those events
//! ([`super::incidents::take_event`]), through the inbox.

use std::sync::Arc;

use chrono::TimeDelta;
use platform::auth::Caller;
use platform::error::{AppError, Violations};
use tokio::sync::Semaphore;

use super::Context;
use crate::domain::incident::AnalyticEvent;
use crate::events;
use crate::repository::devices;

/// The bounds of analytic intake, shared by every stream.
#[derive(Debug, Clone)]
pub struct Analytics {
    /// One permit per event being stored.
    pub in_flight: Arc<Semaphore>,
    pub max_batch: usize,
    /// A camera's events of one kind within this of one another are one
    /// incident.
    pub window: TimeDelta,
}

/// What a batch stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stored {
    pub stored: u32,
    /// Events JetStream already had (sent before, by their ids).
    pub duplicates: u32,
}

/// Stores one batch: refused as a whole when the bound of events in flight
/// is reached (RESOURCE_EXHAUSTED) or when an event names no camera here
/// (INVALID_ARGUMENT); otherwise every event is published and its
/// acknowledgement awaited before this returns.
///
/// # Errors
/// RESOURCE_EXHAUSTED, INVALID_ARGUMENT, UNAVAILABLE (JetStream did not
/// store them all: send the batch again), the database.
pub async fn stream_analytic_events(
    ctx: &Context,
    caller: &Caller,
    events: Vec<AnalyticEvent>,
) -> Result<Stored, AppError> {
    let wanted = u32::try_from(events.len()).unwrap_or(u32::MAX);
    let _permits = ctx
        .analytics
        .in_flight
        .clone()
        .try_acquire_many_owned(wanted)
        .map_err(|_| {
            AppError::ResourceExhausted(
                "too many analytic events in flight; send this batch again later".into(),
            )
        })?;
    let ids: Vec<&str> = events.iter().map(|e| e.channel.as_str()).collect();
    let known = {
        let mut conn = ctx.units.read().await?;
        devices::known_channels(&mut conn, &ids).await?
    };
    let mut broken = Violations::new();
    for (i, event) in events.iter().enumerate() {
        broken.check(
            known.contains(event.channel.as_str()),
            format!("events[{i}].channel_id"),
            format!("names no camera: {}", event.channel),
        );
    }
    broken.finish()?;
    let encoded: Vec<_> = events
        .iter()
        .map(|e| events::analytic_received(e, &caller.subject))
        .collect();
    let batch = ctx
        .bus
        .publish_acknowledged(&encoded)
        .await
        .map_err(|err| AppError::Unavailable(format!("{err:#}; send the batch again")))?;
    Ok(Stored {
        stored: batch.stored,
        duplicates: batch.duplicates,
    })
}
