//! The inbox: a consumer applies each event once. Its handler runs in a
//! unit of work that also records the event id; an id already recorded means
//! the event was applied before, and it is only acknowledged.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::time::Duration;

use anyhow::Context as _;
use async_nats::jetstream::{self, AckKind};
use futures::{FutureExt as _, StreamExt as _};
use sqlx::PgConnection;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::error::AppError;
use crate::events::{Bus, StreamSpec};
use crate::uow::{Units, Work};

/// Records that `consumer` handles each of `events` (in one statement);
/// returns the ids it had not handled before, each once. Services claim
/// through [`Units::begin_events`].
///
/// # Errors
/// The insert fails.
pub(crate) async fn claim_all(
    conn: &mut PgConnection,
    consumer: &str,
    events: &[&ReceivedEvent],
) -> Result<HashSet<Uuid>, sqlx::Error> {
    let ids: Vec<Uuid> = events.iter().map(|e| e.event_id).collect();
    let subjects: Vec<&str> = events.iter().map(|e| e.subject.as_str()).collect();
    let claimed: Vec<Uuid> = sqlx::query_scalar(
        "INSERT INTO inbox (consumer, event_id, subject)
         SELECT $1, id, subject FROM unnest($2::uuid[], $3::text[]) AS e (id, subject)
         ON CONFLICT DO NOTHING RETURNING event_id",
    )
    .bind(consumer)
    .bind(&ids)
    .bind(&subjects)
    .fetch_all(conn)
    .await?;
    Ok(claimed.into_iter().collect())
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

    /// Applies prepared events, in the order they were delivered, inside
    /// one `work` that claimed all their inbox rows (a consumer that
    /// batches, [`ConsumerSpec::batch`]). By default one after another; a
    /// handler whose events touch the same rows may take them together.
    fn apply_all(
        &self,
        work: &mut Work,
        events: Vec<Self::Event>,
    ) -> impl Future<Output = Result<(), HandlerError>> + Send {
        async move {
            for event in events {
                self.apply(work, event).await?;
            }
            Ok(())
        }
    }
}

/// A durable consumer: `name` is `<consumer-service>-<event>`.
#[derive(Debug, Clone)]
pub struct ConsumerSpec {
    pub name: String,
    pub stream: StreamSpec,
    /// Subject filter without prefix, e.g. `dispatch.ticket.verified`.
    pub filter_subject: String,
    /// At most this many events already delivered are applied together, in
    /// one transaction with one commit (1: each on its own). A batch that
    /// fails is applied again one event at a time, so one bad event never
    /// holds back the others; a consumer that takes a flood (a camera's
    /// analytic events) batches, one whose events are few need not.
    pub batch: usize,
}

/// Consumes `spec` until `cancel` fires: each message is applied through
/// the inbox in one transaction (with those delivered beside it, up to
/// [`ConsumerSpec::batch`]) and acknowledged after commit; a failing
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
    let most = spec.batch.max(1);
    loop {
        let first = tokio::select! {
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
        // What else is already delivered joins it, up to the batch; nothing
        // waits for more.
        let mut delivered = vec![first];
        let mut ended = false;
        while delivered.len() < most {
            match messages.next().now_or_never() {
                Some(Some(Ok(message))) => delivered.push(message),
                Some(Some(Err(err))) => {
                    tracing::warn!(consumer = %spec.name, error = %err, "receiving event failed");
                    break;
                }
                Some(None) => {
                    ended = true;
                    break;
                }
                None => break,
            }
        }
        let pending = delivered
            .last()
            .and_then(|message| message.info().ok())
            .map(|info| info.pending);
        let mut ready = Vec::with_capacity(delivered.len());
        for message in delivered {
            match decode(&bus, &message) {
                Some(event) => ready.push((message, event)),
                None => set_aside_unnamed(&bus, &units, &spec.name, &message).await,
            }
        }
        if ready.len() > 1 {
            let events: Vec<&ReceivedEvent> = ready.iter().map(|(_, event)| event).collect();
            match apply_together(&units, &spec.name, &handler, &events).await {
                Ok(()) => {
                    let acks = ready.iter().map(|(message, _)| message.double_ack());
                    for (acked, (_, event)) in
                        futures::future::join_all(acks).await.iter().zip(&ready)
                    {
                        if let Err(err) = acked {
                            tracing::warn!(consumer = %spec.name, event_id = %event.event_id, error = %err, "acknowledging event failed; it will be redelivered and skipped");
                        }
                    }
                    ready.clear();
                }
                // Each is applied again on its own, where a bad one is
                // retried or set aside without the others.
                Err(err) => tracing::debug!(
                    consumer = %spec.name,
                    events = ready.len(),
                    error = %err,
                    "applying events together failed; applying them one at a time"
                ),
            }
        }
        for (message, event) in &ready {
            settle(&bus, &units, &spec.name, &handler, message, event).await;
        }
        if let (Some(metrics), Some(pending)) = (units.metrics(), pending) {
            metrics
                .consumer_pending
                .with_label_values(&[spec.name.as_str()])
                .set(i64::try_from(pending).unwrap_or(i64::MAX));
        }
        if ended {
            return Ok(());
        }
    }
}

/// Sets aside a message without a usable event id under an id of its own,
/// kept and counted like any event that cannot be applied.
async fn set_aside_unnamed(bus: &Bus, units: &Units, consumer: &str, message: &jetstream::Message) {
    let unnamed = unnamed(bus, message);
    let reason = "no valid Nats-Msg-Id header: the event cannot be applied once";
    tracing::error!(consumer = %consumer, subject = %unnamed.subject, event_id = %unnamed.event_id, "event without a valid Nats-Msg-Id set aside as a dead letter");
    let kind = if set_aside(units, consumer, &unnamed, reason, 1).await {
        AckKind::Term
    } else {
        AckKind::Nak(Some(Duration::from_secs(5)))
    };
    let _ = message.ack_with(kind).await;
}

/// The span an event is applied in, continuing the trace it was published
/// in.
fn event_span(consumer: &str, event: &ReceivedEvent) -> tracing::Span {
    let span = tracing::info_span!("consume", consumer = %consumer, event_id = %event.event_id, subject = %event.subject);
    crate::telemetry::continue_from_map(&span, &event.headers);
    span
}

/// Applies `event` on its own and settles its message: acknowledged once
/// applied, redelivered later when it may work then, set aside as a dead
/// letter when it never will.
async fn settle<H: EventHandler>(
    bus: &Bus,
    units: &Units,
    consumer: &str,
    handler: &H,
    message: &jetstream::Message,
    event: &ReceivedEvent,
) {
    let span = event_span(consumer, event);
    let deliveries = message.info().map(|info| info.delivered).unwrap_or(1);
    let applied = apply(units, consumer, handler, event);
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
        if set_aside(units, consumer, event, &reason, deliveries).await {
            tracing::error!(parent: &span, reason = %reason, deliveries, "event set aside as a dead letter");
            let _ = message.ack_with(AckKind::Term).await;
        } else {
            // Not recorded: the event is kept in JetStream, not lost.
            let _ = message
                .ack_with(AckKind::Nak(Some(Duration::from_secs(5))))
                .await;
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

/// Applies `events` together, each once: prepares those not applied
/// before, claims their inbox rows in one unit of work, applies them there
/// in order and commits once. Any failure leaves nothing of the batch.
async fn apply_together<H: EventHandler>(
    units: &Units,
    consumer: &str,
    handler: &H,
    events: &[&ReceivedEvent],
) -> Result<(), HandlerError> {
    let applied = units.applied_of(consumer, events).await?;
    let mut prepared = Vec::with_capacity(events.len());
    for &event in events {
        if applied.contains(&event.event_id) {
            continue;
        }
        let span = event_span(consumer, event);
        if let Some(ready) = tracing::Instrument::instrument(handler.prepare(event), span).await? {
            prepared.push((event, ready));
        }
    }
    if prepared.is_empty() {
        return Ok(());
    }
    let claiming: Vec<&ReceivedEvent> = prepared.iter().map(|(event, _)| *event).collect();
    let (mut work, mut claimed) = units.begin_events(consumer, &claiming).await?;
    // An event delivered twice in one batch is applied once.
    let ready: Vec<H::Event> = prepared
        .into_iter()
        .filter(|(event, _)| claimed.remove(&event.event_id))
        .map(|(_, ready)| ready)
        .collect();
    let span = tracing::info_span!("consume_batch", consumer = %consumer, events = ready.len());
    tracing::Instrument::instrument(handler.apply_all(&mut work, ready), span).await?;
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
