//! The transactional outbox: a service writes its state change and the
//! event describing it in one transaction; the [`Relay`] publishes committed
//! events to JetStream with `Nats-Msg-Id` = event id and marks them sent.
//! With NATS down, writes still commit; their events go out, once, when it
//! returns (JetStream drops a re-sent id inside its duplicate window). A row
//! NATS refuses for good (larger than the server's message limit) is set
//! aside as a dead letter, counted and logged, and the rest flow on.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use sqlx::PgPool;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::config::OutboxConfig;
use crate::events::{Bus, StreamSpec};
use crate::metrics::Metrics;

/// An event ready to be stored in the outbox.
#[derive(Debug, Clone)]
pub struct OutboxEvent {
    /// UUIDv7, also the `Nats-Msg-Id`.
    pub event_id: Uuid,
    /// Subject without prefix, e.g. `registry.grid.created`.
    pub subject: String,
    /// The prost-encoded event.
    pub payload: Vec<u8>,
    /// The trace context where the event arose (`traceparent`), so that its
    /// consumers continue the trace.
    pub headers: HashMap<String, String>,
}

impl OutboxEvent {
    /// Returns `message`, encoded, as event `event_id` on `subject`, with
    /// the current trace context.
    pub fn encode(event_id: Uuid, subject: &str, message: &impl prost::Message) -> Self {
        Self {
            event_id,
            subject: subject.to_owned(),
            payload: message.encode_to_vec(),
            headers: crate::telemetry::current_context_map(),
        }
    }
}

/// Wakes the relay after a commit, so events leave without waiting for the
/// next poll. It also carries the relay's metrics (the service's registry),
/// so the consumers fed by the same units of work count into it.
#[derive(Clone, Default)]
pub struct RelayWaker(Arc<Notify>, Option<Arc<Metrics>>);

impl RelayWaker {
    /// Tells the relay there is something to publish (the unit of work does,
    /// after each commit that published).
    pub(crate) fn wake(&self) {
        self.0.notify_one();
    }

    /// Returns the service's metrics, when the waker is a relay's.
    pub fn metrics(&self) -> Option<&Arc<Metrics>> {
        self.1.as_ref()
    }
}

/// Publishes committed outbox rows to JetStream.
#[derive(Clone)]
pub struct Relay {
    pool: PgPool,
    bus: Bus,
    stream: StreamSpec,
    config: OutboxConfig,
    waker: RelayWaker,
    metrics: Arc<Metrics>,
}

#[derive(sqlx::FromRow)]
struct Row {
    seq: i64,
    event_id: Uuid,
    subject: String,
    payload: Vec<u8>,
    headers: sqlx::types::Json<HashMap<String, String>>,
}

impl Relay {
    /// Returns a relay publishing `pool`'s outbox to `stream`.
    pub fn new(
        pool: PgPool,
        bus: Bus,
        stream: StreamSpec,
        config: OutboxConfig,
        metrics: Arc<Metrics>,
    ) -> Self {
        Self {
            pool,
            bus,
            stream,
            config,
            waker: RelayWaker(Arc::default(), Some(metrics.clone())),
            metrics,
        }
    }

    /// Returns the handle that wakes this relay.
    pub fn waker(&self) -> RelayWaker {
        self.waker.clone()
    }

    /// Publishes until `cancel` fires, then makes a last bounded attempt to
    /// flush what is left (events not flushed stay in the outbox for the next
    /// start or another replica).
    pub async fn run(self, cancel: CancellationToken) {
        // Failures back off exponentially, with jitter, up to the configured
        // maximum; a pass that works starts the sequence again.
        let policy = backon::ExponentialBuilder::default()
            .with_min_delay(self.config.poll_interval)
            .with_max_delay(self.config.max_backoff)
            .with_jitter()
            .without_max_times();
        let mut backoff = backon::BackoffBuilder::build(policy);
        let mut stream_declared = false;
        loop {
            if !stream_declared {
                stream_declared = match self.bus.ensure_stream(&self.stream).await {
                    Ok(_) => true,
                    Err(err) => {
                        tracing::warn!(error = %err, "event stream not declared yet; retrying");
                        false
                    }
                };
            }
            let outcome = if stream_declared {
                self.publish_pending().await
            } else {
                Err(RelayError::NotReady)
            };
            if outcome.is_err() {
                self.metrics.relay_errors.inc();
            }
            self.count_pending().await;
            let pause = match outcome {
                Ok(published) if published > 0 => {
                    backoff = backon::BackoffBuilder::build(policy);
                    continue;
                }
                Ok(_) => {
                    backoff = backon::BackoffBuilder::build(policy);
                    self.config.poll_interval
                }
                Err(err) => {
                    // A stream removed or never created (a fresh NATS) is
                    // declared again before the next attempt.
                    if matches!(err, RelayError::Publish(_)) {
                        stream_declared = false;
                    }
                    let pause = backoff.next().unwrap_or(self.config.max_backoff);
                    if !matches!(err, RelayError::NotReady) {
                        tracing::warn!(error = %err, retry_in = ?pause, "publishing outbox events failed");
                    }
                    pause
                }
            };
            tokio::select! {
                () = cancel.cancelled() => break,
                () = self.waker.0.notified() => {}
                () = tokio::time::sleep(pause) => {}
            }
        }
        self.flush(Duration::from_secs(5)).await;
    }

    /// Sets the pending gauge to the rows still to publish (left alone when
    /// the database does not answer).
    async fn count_pending(&self) {
        let pending: Result<i64, _> = sqlx::query_scalar(
            "SELECT count(*) FROM outbox WHERE published_at IS NULL AND dead_at IS NULL",
        )
        .fetch_one(&self.pool)
        .await;
        if let Ok(pending) = pending {
            self.metrics.outbox_pending.set(pending);
        }
    }

    /// Publishes everything pending, for up to `budget`.
    pub async fn flush(&self, budget: Duration) {
        let flushed = tokio::time::timeout(budget, async {
            loop {
                match self.publish_pending().await {
                    Ok(0) => return true,
                    Ok(_) => {}
                    Err(_) => return false,
                }
            }
        })
        .await;
        if !matches!(flushed, Ok(true)) {
            tracing::warn!(
                "outbox not fully flushed at shutdown; events stay queued for the next start"
            );
        }
    }

    /// Publishes every pending event, batch by batch; returns how many.
    ///
    /// # Errors
    /// PostgreSQL or JetStream failed; the batch stays unpublished.
    pub async fn publish_pending(&self) -> Result<usize, RelayError> {
        let mut total = 0;
        loop {
            let published = self.publish_batch().await?;
            total += published;
            if published < self.config.batch_size as usize {
                return Ok(total);
            }
        }
    }

    /// Locks one batch of unpublished rows (`FOR UPDATE SKIP LOCKED`, so
    /// replicas share the work), publishes each, awaits every acknowledgement,
    /// marks them published (or dead, when NATS refuses one for good) and
    /// commits.
    async fn publish_batch(&self) -> Result<usize, RelayError> {
        let mut txn = self.pool.begin().await?;
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT seq, event_id, subject, payload, headers FROM outbox
             WHERE published_at IS NULL AND dead_at IS NULL
             ORDER BY seq LIMIT $1 FOR UPDATE SKIP LOCKED",
        )
        .bind(i64::from(self.config.batch_size))
        .fetch_all(&mut *txn)
        .await?;
        if rows.is_empty() {
            return Ok(0);
        }
        if !self.bus.is_connected() {
            return Err(RelayError::NotReady);
        }
        let mut acks = Vec::with_capacity(rows.len());
        let mut dead: Vec<(i64, String)> = Vec::new();
        for row in &rows {
            let mut headers = async_nats::HeaderMap::new();
            headers.insert(
                async_nats::header::NATS_MESSAGE_ID,
                row.event_id.to_string().as_str(),
            );
            for (key, value) in row.headers.iter() {
                headers.insert(key.as_str(), value.as_str());
            }
            let sent = self
                .bus
                .jetstream()
                .publish_with_headers(
                    self.bus.subject(&row.subject),
                    headers,
                    row.payload.clone().into(),
                )
                .await;
            match sent {
                Ok(ack) => acks.push((row, std::future::IntoFuture::into_future(ack))),
                Err(err) if refused_for_good(&err) => dead.push((row.seq, err.to_string())),
                Err(err) => return Err(RelayError::Publish(err.to_string())),
            }
        }
        let mut published = Vec::with_capacity(acks.len());
        let (rows_acked, futures): (Vec<&Row>, Vec<_>) = acks.into_iter().unzip();
        for (row, ack) in rows_acked
            .into_iter()
            .zip(futures::future::join_all(futures).await)
        {
            match ack {
                Ok(_) => published.push(row),
                Err(err) if refused_for_good(&err) => dead.push((row.seq, err.to_string())),
                Err(err) => return Err(RelayError::Publish(err.to_string())),
            }
        }
        let seqs: Vec<i64> = published.iter().map(|r| r.seq).collect();
        sqlx::query("UPDATE outbox SET published_at = now() WHERE seq = ANY($1)")
            .bind(&seqs)
            .execute(&mut *txn)
            .await?;
        for (seq, reason) in &dead {
            sqlx::query("UPDATE outbox SET dead_at = now(), dead_reason = $2 WHERE seq = $1")
                .bind(seq)
                .bind(reason)
                .execute(&mut *txn)
                .await?;
        }
        txn.commit().await?;
        for row in &published {
            self.metrics
                .events_published
                .with_label_values(&[row.subject.as_str()])
                .inc();
            tracing::debug!(event_id = %row.event_id, subject = %row.subject, "event published");
        }
        for (seq, reason) in &dead {
            let row = rows
                .iter()
                .find(|r| r.seq == *seq)
                .expect("a row of this batch");
            self.metrics.outbox_dead_letters.inc();
            tracing::error!(
                event_id = %row.event_id,
                subject = %row.subject,
                size = row.payload.len(),
                reason = %reason,
                "event refused by NATS for good; set aside as a dead letter"
            );
        }
        Ok(rows.len())
    }
}

/// Returns whether NATS refused a message for good: it is larger than the
/// server's or the stream's limit. Anything else (NATS away, a slow ack, a
/// stream to declare again) is tried again.
fn refused_for_good(err: &async_nats::jetstream::context::PublishError) -> bool {
    use async_nats::jetstream::context::PublishErrorKind;
    if err.kind() == PublishErrorKind::MaxPayloadExceeded {
        return true;
    }
    std::error::Error::source(err)
        .and_then(|source| source.downcast_ref::<async_nats::jetstream::Error>())
        .is_some_and(|api| {
            api.error_code() == async_nats::jetstream::ErrorCode::STREAM_MESSAGE_EXCEEDS_MAXIMUM
        })
}

/// Why a relay pass failed.
#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("publishing: {0}")]
    Publish(String),
    #[error("NATS is not connected")]
    NotReady,
}
