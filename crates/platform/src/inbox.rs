//! The inbox: a consumer applies each event once. Its handler runs in a
//! unit of work that also records the event id; an id already recorded means
//! the event was applied before, and it is only acknowledged.

use std::collections::HashMap;
use std::future::Future;
use std::time::Duration;

use anyhow::Context as _;
use async_nats::jetstream::{self, AckKind};
use futures::StreamExt as _;
use sqlx::PgConnection;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::error::AppError;
use crate::events::{Bus, StreamSpec};
use crate::uow::{Units, Work};

/// Records that `consumer` handles `event_id`; returns false when it already
/// has (the caller then skips its writes). Services claim through
/// [`Units::begin_event`].
///
/// # Errors
/// The insert fails.
pub(crate) async fn claim(
    conn: &mut PgConnection,
    consumer: &str,
    event_id: Uuid,
    subject: &str,
) -> Result<bool, sqlx::Error> {
    let inserted =
        sqlx::query("INSERT INTO inbox (consumer, event_id, subject) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
            .bind(consumer)
            .bind(event_id)
            .bind(subject)
            .execute(conn)
            .await?
            .rows_affected();
    Ok(inserted == 1)
}

/// An event as a consumer receives it.
#[derive(Debug, Clone)]
pub struct ReceivedEvent {
    pub event_id: Uuid,
    /// Subject without the bus prefix.
    pub subject: String,
    pub payload: bytes::Bytes,
    pub headers: HashMap<String, String>,
}

/// Why an event was not applied.
#[derive(Debug, thiserror::Error)]
pub enum HandlerError {
    /// Retrying cannot mend it (the event is malformed or refused as bad
    /// input): it is set aside, loudly, rather than blocking the stream.
    #[error("event refused: {0:#}")]
    Refused(anyhow::Error),
    /// It may work later (a database or a neighbour away): redelivered.
    #[error(transparent)]
    Retry(#[from] anyhow::Error),
}

/// A use case's refusal that retrying cannot change (bad input, a state
/// that forbids it, a caller who may not, something missing or already
/// there) is `Refused`, set aside at once; a failure that may pass (a
/// neighbour or the database away, a lost race) is `Retry`. A consumer that
/// expects a neighbour to catch up returns `Retry` itself.
impl From<AppError> for HandlerError {
    fn from(err: AppError) -> Self {
        match err {
            AppError::InvalidArgument(_)
            | AppError::FailedPrecondition(_)
            | AppError::PermissionDenied(_)
            | AppError::AlreadyExists(_)
            | AppError::NotFound(_)
            | AppError::NotFoundBecause(_) => HandlerError::Refused(err.into()),
            err => HandlerError::Retry(err.into()),
        }
    }
}

impl From<prost::DecodeError> for HandlerError {
    fn from(err: prost::DecodeError) -> Self {
        HandlerError::Refused(err.into())
    }
}

impl From<sqlx::Error> for HandlerError {
    fn from(err: sqlx::Error) -> Self {
        HandlerError::Retry(err.into())
    }
}

/// Applies one kind of event, in two steps: [`EventHandler::prepare`]
/// decodes it (and may ask another service) before any transaction, then
/// [`EventHandler::apply`] makes its changes inside the unit of work that
/// claimed the event's inbox row. The platform commits the work and
/// acknowledges the event; a handler never commits.
pub trait EventHandler: Send + Sync + 'static {
    /// The event as the handler understands it.
    type Event: Send;

    /// Decodes `event`; `None` means it is not for this handler (it is
    /// acknowledged and nothing is written).
    fn prepare(
        &self,
        event: &ReceivedEvent,
    ) -> impl Future<Output = Result<Option<Self::Event>, HandlerError>> + Send;

    /// Applies the prepared event inside `work`, whose inbox row is claimed.
    fn apply(
        &self,
        work: &mut Work,
        event: Self::Event,
    ) -> impl Future<Output = Result<(), HandlerError>> + Send;
}

/// A durable consumer: `name` is `<consumer-service>-<event>`.
#[derive(Debug, Clone)]
pub struct ConsumerSpec {
    pub name: String,
    pub stream: StreamSpec,
    /// Subject filter without prefix, e.g. `dispatch.ticket.verified`.
    pub filter_subject: String,
}

/// Consumes `spec` until `cancel` fires: each message is applied through
/// the inbox in one transaction and acknowledged after commit; a failing
/// handler leaves it unacknowledged so JetStream redelivers it.
///
/// # Errors
/// The consumer cannot be created.
pub async fn consume<H: EventHandler>(
    bus: Bus,
    units: Units,
    spec: ConsumerSpec,
    handler: H,
    cancel: CancellationToken,
) -> anyhow::Result<()> {
    // The stream is another service's: it is looked up, never declared
    // here (its owner declares it, with its limits; a consumer that starts
    // first waits for it).
    let stream = bus
        .jetstream()
        .get_stream(bus.stream_name(&spec.stream))
        .await
        .with_context(|| format!("looking up stream {}", bus.stream_name(&spec.stream)))?;
    let consumer = stream
        .get_or_create_consumer(
            &spec.name,
            jetstream::consumer::pull::Config {
                durable_name: Some(spec.name.clone()),
                filter_subject: bus.subject(&spec.filter_subject),
                ack_policy: jetstream::consumer::AckPolicy::Explicit,
                ack_wait: Duration::from_secs(30),
                ..Default::default()
            },
        )
        .await
        .with_context(|| format!("creating consumer {}", spec.name))?;
    let mut messages = consumer.messages().await.context("pulling messages")?;
    loop {
        let message = tokio::select! {
            () = cancel.cancelled() => return Ok(()),
            next = messages.next() => match next {
                Some(Ok(message)) => message,
                Some(Err(err)) => {
                    tracing::warn!(consumer = %spec.name, error = %err, "receiving event failed");
                    continue;
                }
                None => return Ok(()),
            },
        };
        let Some(event) = decode(&bus, &message) else {
            // No id to apply it once by: set aside under an id of its own,
            // kept and counted like any event that cannot be applied.
            let unnamed = unnamed(&bus, &message);
            let reason = "no valid Nats-Msg-Id header: the event cannot be applied once";
            tracing::error!(consumer = %spec.name, subject = %unnamed.subject, event_id = %unnamed.event_id, "event without a valid Nats-Msg-Id set aside as a dead letter");
            let kind = if set_aside(&units, &spec.name, &unnamed, reason, 1).await {
                AckKind::Term
            } else {
                AckKind::Nak(Some(Duration::from_secs(5)))
            };
            let _ = message.ack_with(kind).await;
            continue;
        };
        let span = tracing::info_span!("consume", consumer = %spec.name, event_id = %event.event_id, subject = %event.subject);
        crate::telemetry::continue_from_map(&span, &event.headers);
        let deliveries = message.info().map(|info| info.delivered).unwrap_or(1);
        let applied = apply(&units, &spec.name, &handler, &event);
        let outcome = tracing::Instrument::instrument(applied, span.clone()).await;
        let refusal = match outcome {
            Ok(()) => {
                if let Err(err) = message.double_ack().await {
                    tracing::warn!(parent: &span, error = %err, "acknowledging event failed; it will be redelivered and skipped");
                }
                None
            }
            Err(HandlerError::Refused(err)) => Some(format!("{err:#}")),
            Err(HandlerError::Retry(err)) if deliveries >= bus.max_deliveries() => {
                Some(format!("failed {deliveries} times; last: {err:#}"))
            }
            Err(HandlerError::Retry(err)) => {
                // Back off with each delivery, so a neighbour that is away
                // is not hammered: 1 s, 2 s, 4 s … at most a minute.
                let delay = Duration::from_secs(1u64 << deliveries.clamp(1, 7).saturating_sub(1))
                    .min(Duration::from_secs(60));
                tracing::warn!(parent: &span, error = format!("{err:#}"), deliveries, retry_in = ?delay, "handling event failed; it will be redelivered");
                let _ = message.ack_with(AckKind::Nak(Some(delay))).await;
                None
            }
        };
        if let Some(reason) = refusal {
            if set_aside(&units, &spec.name, &event, &reason, deliveries).await {
                tracing::error!(parent: &span, reason = %reason, deliveries, "event set aside as a dead letter");
                let _ = message.ack_with(AckKind::Term).await;
            } else {
                // Not recorded: the event is kept in JetStream, not lost.
                let _ = message
                    .ack_with(AckKind::Nak(Some(Duration::from_secs(5))))
                    .await;
            }
        }
        if let (Some(metrics), Ok(info)) = (units.metrics(), message.info()) {
            metrics
                .consumer_pending
                .with_label_values(&[spec.name.as_str()])
                .set(i64::try_from(info.pending).unwrap_or(i64::MAX));
        }
    }
}

/// Records `event` as a dead letter of `consumer`: kept, with the reason,
/// for an operator to look at and replay; counted in the metrics. Returns
/// whether it was recorded.
async fn set_aside(
    units: &Units,
    consumer: &str,
    event: &ReceivedEvent,
    reason: &str,
    deliveries: i64,
) -> bool {
    let stored = sqlx::query(
        "INSERT INTO inbox_dead_letters (consumer, event_id, subject, payload, headers, reason, deliveries)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (consumer, event_id) DO UPDATE SET reason = EXCLUDED.reason,
             deliveries = EXCLUDED.deliveries, set_aside_at = now()",
    )
    .bind(consumer)
    .bind(event.event_id)
    .bind(&event.subject)
    .bind(event.payload.as_ref())
    .bind(sqlx::types::Json(&event.headers))
    .bind(reason)
    .bind(deliveries)
    .execute(units.pool())
    .await;
    if let Err(err) = stored {
        tracing::error!(event_id = %event.event_id, error = %err, "recording a dead letter failed");
        return false;
    }
    if let Some(metrics) = units.metrics() {
        metrics
            .inbox_dead_letters
            .with_label_values(&[consumer])
            .inc();
    }
    true
}

/// Applies `event` once: prepares it, claims its inbox row in a unit of
/// work, applies it there and commits.
async fn apply<H: EventHandler>(
    units: &Units,
    consumer: &str,
    handler: &H,
    event: &ReceivedEvent,
) -> Result<(), HandlerError> {
    // A redelivered event applied before is only acknowledged: its
    // preparation (perhaps a call to another service) is not repeated.
    if units.already_applied(consumer, event.event_id).await? {
        tracing::debug!(event_id = %event.event_id, "event already applied");
        return Ok(());
    }
    let Some(prepared) = handler.prepare(event).await? else {
        return Ok(());
    };
    let Some(mut work) = units.begin_event(consumer, event).await? else {
        tracing::debug!(event_id = %event.event_id, "event already applied");
        return Ok(());
    };
    handler.apply(&mut work, prepared).await?;
    work.commit(()).await?;
    Ok(())
}

fn decode(bus: &Bus, message: &jetstream::Message) -> Option<ReceivedEvent> {
    let event_id = message
        .headers
        .as_ref()?
        .get(async_nats::header::NATS_MESSAGE_ID)?
        .as_str()
        .parse()
        .ok()?;
    Some(ReceivedEvent {
        event_id,
        ..unnamed(bus, message)
    })
}

/// Returns a message without a usable event id as an event under a new id,
/// with whatever headers it has.
fn unnamed(bus: &Bus, message: &jetstream::Message) -> ReceivedEvent {
    let headers = message
        .headers
        .iter()
        .flat_map(|headers| headers.iter())
        .filter_map(|(name, values)| Some((name.to_string(), values.first()?.as_str().to_owned())))
        .collect();
    ReceivedEvent {
        event_id: Uuid::now_v7(),
        subject: bus.strip_prefix(message.subject.as_str()).to_owned(),
        payload: message.payload.clone(),
        headers,
    }
}

/// Runs [`consume`] until `cancel` fires, subscribing again (after a pause)
/// whenever the consumer cannot be created or its stream ends — NATS may be
/// down when the service starts, or go away later. While it keeps failing
/// the pause grows from 2 s to 10 s, and the failure is logged as a warning
/// the first time and then once a minute (at debug level in between); once
/// a consumer has run for a while the next failure starts afresh.
pub async fn supervise<H: EventHandler + Clone>(
    bus: Bus,
    units: Units,
    spec: ConsumerSpec,
    handler: H,
    cancel: CancellationToken,
) {
    let mut retry = Retry::default();
    loop {
        let started = tokio::time::Instant::now();
        let outcome = consume(
            bus.clone(),
            units.clone(),
            spec.clone(),
            handler.clone(),
            cancel.clone(),
        )
        .await;
        if cancel.is_cancelled() {
            return;
        }
        let (pause, loud) = retry.after_failure(started.elapsed());
        match outcome {
            Ok(()) => {
                tracing::warn!(consumer = %spec.name, "event stream ended; subscribing again")
            }
            Err(err) if loud => tracing::warn!(
                consumer = %spec.name,
                error = format!("{err:#}"),
                failures = retry.failures,
                "consumer not running; retrying"
            ),
            Err(err) => tracing::debug!(
                consumer = %spec.name,
                error = format!("{err:#}"),
                failures = retry.failures,
                "consumer not running; retrying"
            ),
        }
        tokio::select! {
            () = cancel.cancelled() => return,
            () = tokio::time::sleep(pause) => {}
        }
    }
}

/// The pauses between attempts to run a consumer that keeps failing.
#[derive(Debug, Default)]
struct Retry {
    /// Failures in a row.
    failures: u32,
    /// Time paused since the last warning.
    quiet: Duration,
}

impl Retry {
    const FIRST: Duration = Duration::from_secs(2);
    const LONGEST: Duration = Duration::from_secs(10);
    /// A consumer that ran this long before failing was healthy.
    const HEALTHY: Duration = Duration::from_secs(30);
    /// How often a failure that goes on is logged as a warning.
    const WARN_EVERY: Duration = Duration::from_secs(60);

    /// Counts a failure after a run of `ran`; returns the pause before the
    /// next attempt and whether to warn of it.
    fn after_failure(&mut self, ran: Duration) -> (Duration, bool) {
        if ran >= Self::HEALTHY {
            *self = Self::default();
        }
        self.failures += 1;
        let pause = Self::FIRST
            .saturating_mul(1 << (self.failures - 1).min(3))
            .min(Self::LONGEST);
        let loud = self.failures == 1 || self.quiet >= Self::WARN_EVERY;
        if loud {
            self.quiet = Duration::ZERO;
        }
        self.quiet += pause;
        (pause, loud)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_consumer_that_keeps_failing_waits_longer_and_warns_once_a_minute() {
        let mut retry = Retry::default();
        let attempts: Vec<(u64, bool)> = (0..12)
            .map(|_| {
                let (pause, loud) = retry.after_failure(Duration::ZERO);
                (pause.as_secs(), loud)
            })
            .collect();
        let pauses: Vec<u64> = attempts.iter().map(|a| a.0).collect();
        assert_eq!(pauses, [2, 4, 8, 10, 10, 10, 10, 10, 10, 10, 10, 10]);
        let warned: Vec<usize> = (0..12).filter(|i| attempts[*i].1).collect();
        // The first, then once a minute of pauses has passed (2 + 4 + 8 +
        // 5 × 10 = 64 s).
        assert_eq!(warned, [0, 8]);
        // After a healthy run the pauses start afresh.
        assert_eq!(
            retry.after_failure(Duration::from_secs(45)),
            (Duration::from_secs(2), true)
        );
    }

    #[test]
    fn refusals_retrying_cannot_change_are_set_aside_and_outages_are_retried() {
        let refused = [
            AppError::invalid("title", "is required"),
            AppError::FailedPrecondition("ticket is closed".into()),
            AppError::PermissionDenied("not this village".into()),
            AppError::AlreadyExists("a ticket with this reference".into()),
            AppError::NotFound("ticket LX-2026-000123".into()),
            AppError::NotFoundBecause("no grid holds this place".into()),
        ];
        for err in refused {
            let shown = err.to_string();
            assert!(
                matches!(HandlerError::from(err), HandlerError::Refused(_)),
                "{shown} is refused"
            );
        }
        let retried = [
            AppError::Unavailable("grid registry unreachable".into()),
            AppError::Aborted("a concurrent call won".into()),
            AppError::Internal(anyhow::anyhow!("disk full")),
        ];
        for err in retried {
            let shown = err.to_string();
            assert!(
                matches!(HandlerError::from(err), HandlerError::Retry(_)),
                "{shown} is retried"
            );
        }
    }
}
