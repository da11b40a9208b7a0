//! The inbox: a consumer applies each event once. Its handler runs in a
//! transaction that also records the event id; an id already recorded means
//! the event was applied before, and it is only acknowledged.

use std::collections::HashMap;
use std::future::Future;
use std::time::Duration;

use anyhow::Context as _;
use async_nats::jetstream::{self, AckKind};
use futures::StreamExt as _;
use sqlx::{PgConnection, PgPool};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::events::{Bus, StreamSpec};

/// Records that `consumer` handles `event_id`; returns false when it already
/// has (the caller then skips its writes).
///
/// # Errors
/// The insert fails.
pub async fn claim(
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

/// Applies events inside the consumer's transaction.
pub trait EventHandler: Send + Sync + 'static {
    /// Applies `event`; the inbox row is already written in `txn`.
    fn handle(
        &self,
        txn: &mut PgConnection,
        event: &ReceivedEvent,
    ) -> impl Future<Output = anyhow::Result<()>> + Send;
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
    pool: PgPool,
    spec: ConsumerSpec,
    handler: H,
    cancel: CancellationToken,
) -> anyhow::Result<()> {
    let stream = bus.ensure_stream(&spec.stream).await?;
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
        let event = match decode(&bus, &message) {
            Some(event) => event,
            None => {
                tracing::warn!(consumer = %spec.name, subject = %message.subject, "event without a valid Nats-Msg-Id dropped");
                let _ = message.ack_with(AckKind::Term).await;
                continue;
            }
        };
        let span = tracing::info_span!("consume", consumer = %spec.name, event_id = %event.event_id, subject = %event.subject);
        crate::telemetry::continue_from_map(&span, &event.headers);
        let applied = apply(&pool, &spec.name, &handler, &event);
        match tracing::Instrument::instrument(applied, span).await {
            Ok(()) => {
                if let Err(err) = message.double_ack().await {
                    tracing::warn!(consumer = %spec.name, error = %err, "acknowledging event failed; it will be redelivered and skipped");
                }
            }
            Err(err) => {
                tracing::warn!(consumer = %spec.name, event_id = %event.event_id, error = format!("{err:#}"), "handling event failed; it will be redelivered");
                let _ = message
                    .ack_with(AckKind::Nak(Some(Duration::from_secs(1))))
                    .await;
            }
        }
    }
}

async fn apply<H: EventHandler>(
    pool: &PgPool,
    consumer: &str,
    handler: &H,
    event: &ReceivedEvent,
) -> anyhow::Result<()> {
    let mut txn = pool.begin().await?;
    if claim(&mut txn, consumer, event.event_id, &event.subject).await? {
        handler.handle(&mut txn, event).await?;
        txn.commit().await?;
    } else {
        tracing::debug!(event_id = %event.event_id, "event already applied");
    }
    Ok(())
}

fn decode(bus: &Bus, message: &jetstream::Message) -> Option<ReceivedEvent> {
    let headers = message.headers.as_ref()?;
    let event_id = headers
        .get(async_nats::header::NATS_MESSAGE_ID)?
        .as_str()
        .parse()
        .ok()?;
    let headers = headers
        .iter()
        .filter_map(|(name, values)| Some((name.to_string(), values.first()?.as_str().to_owned())))
        .collect();
    Some(ReceivedEvent {
        event_id,
        subject: bus.strip_prefix(message.subject.as_str()).to_owned(),
        payload: message.payload.clone(),
        headers,
    })
}

/// Runs [`consume`] until `cancel` fires, subscribing again (after a pause)
/// whenever the consumer cannot be created or its stream ends — NATS may be
/// down when the service starts, or go away later.
pub async fn supervise<H: EventHandler + Clone>(
    bus: Bus,
    pool: PgPool,
    spec: ConsumerSpec,
    handler: H,
    cancel: CancellationToken,
) {
    loop {
        match consume(
            bus.clone(),
            pool.clone(),
            spec.clone(),
            handler.clone(),
            cancel.clone(),
        )
        .await
        {
            Ok(()) if cancel.is_cancelled() => return,
            Ok(()) => {
                tracing::warn!(consumer = %spec.name, "event stream ended; subscribing again")
            }
            Err(err) => {
                tracing::warn!(consumer = %spec.name, error = format!("{err:#}"), "consumer not running; retrying")
            }
        }
        tokio::select! {
            () = cancel.cancelled() => return,
            () = tokio::time::sleep(Duration::from_secs(2)) => {}
        }
    }
}
