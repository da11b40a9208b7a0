//! StreamAnalyticEvents: a batch of analytic events, checked against the
//! cameras here, published straight to JetStream (no outbox: the batch is
//! acknowledged to the sender only after JetStream stored every event, and
//! the sender keeps what is not acknowledged) within a bound of events in
//! flight, and within the ingest capacity ([`super::admission`]). The
//! incidents are made by the consumer of those events
//! ([`super::incidents::take_event`]), through the inbox.

use std::sync::Arc;
use std::time::Duration;

use chrono::TimeDelta;
use platform::auth::Caller;
use platform::error::{AppError, Violations};
use tokio::sync::Semaphore;

use super::Context;
use super::admission::Admission;
use crate::domain::incident::AnalyticEvent;
use crate::events;
use crate::repository::devices;

/// The bounds of analytic intake, shared by every stream.
#[derive(Debug, Clone)]
pub struct Analytics {
    /// One permit per event being stored.
    pub in_flight: Arc<Semaphore>,
    /// The ingest capacity, per sender and overall.
    pub admission: Admission,
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

/// How long a batch refused for the events in flight waits: about one
/// JetStream round of another stream's batch.
const IN_FLIGHT_RETRY: Duration = Duration::from_millis(50);

/// A batch refused, with how long to wait before sending it again when
/// waiting helps (RESOURCE_EXHAUSTED).
#[derive(Debug)]
pub struct BatchRefused {
    pub error: AppError,
    pub retry_after: Option<Duration>,
}

impl From<AppError> for BatchRefused {
    fn from(error: AppError) -> Self {
        Self {
            error,
            retry_after: None,
        }
    }
}

impl From<sqlx::Error> for BatchRefused {
    fn from(err: sqlx::Error) -> Self {
        AppError::Database(err).into()
    }
}

impl BatchRefused {
    fn busy(why: String, retry_after: Duration) -> Self {
        Self {
            error: AppError::ResourceExhausted(format!(
                "{why}; nothing of this batch was stored: send it again in {} ms",
                retry_after.as_millis()
            )),
            retry_after: Some(retry_after),
        }
    }
}

/// Stores one batch: refused as a whole beyond the ingest capacity of the
/// sender or of the service, or the bound of events in flight
/// (RESOURCE_EXHAUSTED, with the time to wait), or when an event names no
/// camera here (INVALID_ARGUMENT); otherwise every event is published and
/// its acknowledgement awaited before this returns.
///
/// # Errors
/// RESOURCE_EXHAUSTED, INVALID_ARGUMENT, UNAVAILABLE (JetStream did not
/// store them all: send the batch again), the database.
pub async fn stream_analytic_events(
    ctx: &Context,
    caller: &Caller,
    events: Vec<AnalyticEvent>,
) -> Result<Stored, BatchRefused> {
    let wanted = u32::try_from(events.len()).unwrap_or(u32::MAX);
    ctx.analytics
        .admission
        .admit(&caller.subject, wanted)
        .map_err(|refusal| {
            BatchRefused::busy(format!("over {}", refusal.bound()), refusal.retry_after())
        })?;
    let _permits = ctx
        .analytics
        .in_flight
        .clone()
        .try_acquire_many_owned(wanted)
        .map_err(|_| {
            BatchRefused::busy("too many analytic events in flight".into(), IN_FLIGHT_RETRY)
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
