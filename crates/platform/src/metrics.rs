//! Prometheus metrics, served at `/metrics`.
//!
//! The gRPC metrics carry the names and labels of the grpc-ecosystem
//! Prometheus interceptors (`grpc_server_started_total`,
//! `grpc_server_handled_total`, `grpc_server_handling_seconds` with
//! `grpc_type`, `grpc_service`, `grpc_method`, `grpc_code`), so stock gRPC
//! dashboards and alerts work unchanged. Label values come only from the
//! methods the service serves: a call to any other path counts under
//! `grpc_service="unknown"`, so no caller can add series. weigrid's own
//! metrics are prefixed `weigrid_`. Every series carries the `app` label.

use std::net::SocketAddr;
use std::sync::Arc;

use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, IntGaugeVec, Opts,
    Registry, TextEncoder,
};
use tokio_util::sync::CancellationToken;

/// The metrics of one service instance (each test app has its own).
#[derive(Clone)]
pub struct Metrics {
    registry: Registry,
    /// RPCs started, by `grpc_type`, `grpc_service`, `grpc_method`.
    pub grpc_started: IntCounterVec,
    /// RPCs completed, by `grpc_type`, `grpc_service`, `grpc_method`, `grpc_code`.
    pub grpc_handled: IntCounterVec,
    /// RPC latency in seconds, by `grpc_type`, `grpc_service`, `grpc_method`.
    pub grpc_latency: HistogramVec,
    /// Events published by the outbox relay, by `subject`.
    pub events_published: IntCounterVec,
    /// Events in the outbox not yet published (a backlog that grows while
    /// NATS is away), as of the relay's last look.
    pub outbox_pending: IntGauge,
    /// Relay passes that failed (NATS or PostgreSQL away).
    pub relay_errors: IntCounter,
    /// Outbox rows NATS refused for good, set aside as dead letters.
    pub outbox_dead_letters: IntCounter,
    /// Events a consumer set aside without applying them, by `consumer`.
    pub inbox_dead_letters: IntCounterVec,
    /// Events waiting for a consumer in JetStream, by `consumer`.
    pub consumer_pending: IntGaugeVec,
    /// Connections of the database pool, by `state` (`idle`, `in_use`).
    pub db_connections: IntGaugeVec,
}

fn counter(name: &str, help: &str, labels: &[&str]) -> IntCounterVec {
    IntCounterVec::new(Opts::new(name, help), labels).expect("metric definition is valid")
}

impl Metrics {
    /// Registers the standard metrics, labelled with the service name.
    pub fn new(service: &str) -> Self {
        let registry =
            Registry::new_custom(None, Some([("app".to_owned(), service.to_owned())].into()))
                .expect("the metric labels are valid");
        let grpc_started = counter(
            "grpc_server_started_total",
            "Total number of RPCs started on the server.",
            &["grpc_type", "grpc_service", "grpc_method"],
        );
        let grpc_handled = counter(
            "grpc_server_handled_total",
            "Total number of RPCs completed on the server, regardless of success or failure.",
            &["grpc_type", "grpc_service", "grpc_method", "grpc_code"],
        );
        let grpc_latency = HistogramVec::new(
            HistogramOpts::new(
                "grpc_server_handling_seconds",
                "Histogram of response latency (seconds) of gRPC that had been application-level handled by the server.",
            )
            .buckets(vec![
                0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
                10.0,
            ]),
            &["grpc_type", "grpc_service", "grpc_method"],
        )
        .expect("metric definition is valid");
        let events_published = counter(
            "weigrid_outbox_events_published_total",
            "Events published to JetStream by the outbox relay.",
            &["subject"],
        );
        let outbox_pending = IntGauge::new(
            "weigrid_outbox_pending_events",
            "Events in the outbox not yet published.",
        )
        .expect("metric definition is valid");
        let relay_errors = IntCounter::new(
            "weigrid_outbox_relay_errors_total",
            "Outbox relay passes that failed (NATS or PostgreSQL unreachable).",
        )
        .expect("metric definition is valid");
        let outbox_dead_letters = IntCounter::new(
            "weigrid_outbox_dead_letters_total",
            "Outbox events NATS refused for good, set aside unpublished.",
        )
        .expect("metric definition is valid");
        let inbox_dead_letters = counter(
            "weigrid_inbox_dead_letters_total",
            "Events a consumer set aside without applying them.",
            &["consumer"],
        );
        let consumer_pending = IntGaugeVec::new(
            Opts::new(
                "weigrid_consumer_pending_events",
                "Events in JetStream not yet delivered to the consumer.",
            ),
            &["consumer"],
        )
        .expect("metric definition is valid");
        let db_connections = IntGaugeVec::new(
            Opts::new(
                "weigrid_db_pool_connections",
                "Connections of the database pool.",
            ),
            &["state"],
        )
        .expect("metric definition is valid");
        for collector in [
            Box::new(grpc_started.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(grpc_handled.clone()),
            Box::new(grpc_latency.clone()),
            Box::new(events_published.clone()),
            Box::new(outbox_pending.clone()),
            Box::new(relay_errors.clone()),
            Box::new(outbox_dead_letters.clone()),
            Box::new(inbox_dead_letters.clone()),
            Box::new(consumer_pending.clone()),
            Box::new(db_connections.clone()),
        ] {
            registry
                .register(collector)
                .expect("each metric is registered once");
        }
        Self {
            registry,
            grpc_started,
            grpc_handled,
            grpc_latency,
            events_published,
            outbox_pending,
            relay_errors,
            outbox_dead_letters,
            inbox_dead_letters,
            consumer_pending,
            db_connections,
        }
    }

    /// Samples the pool's connections into [`Metrics::db_connections`].
    pub fn sample_pool(&self, pool: &sqlx::PgPool) {
        let size = i64::from(pool.size());
        let idle = i64::try_from(pool.num_idle()).unwrap_or(i64::MAX);
        self.db_connections.with_label_values(&["idle"]).set(idle);
        self.db_connections
            .with_label_values(&["in_use"])
            .set((size - idle).max(0));
    }

    /// Returns the metrics in the Prometheus text format.
    pub fn render(&self) -> String {
        let mut buffer = Vec::new();
        TextEncoder::new()
            .encode(&self.registry.gather(), &mut buffer)
            .expect("encoding metrics into memory cannot fail");
        String::from_utf8(buffer).expect("the text format is UTF-8")
    }

    /// Serves `/metrics` on `listen` until `cancel` fires.
    ///
    /// # Errors
    /// The address cannot be bound.
    pub async fn serve(
        self: Arc<Self>,
        listen: SocketAddr,
        cancel: CancellationToken,
    ) -> anyhow::Result<SocketAddr> {
        let listener = tokio::net::TcpListener::bind(listen).await?;
        let addr = listener.local_addr()?;
        let metrics = self.clone();
        let router = axum::Router::new().route(
            "/metrics",
            axum::routing::get(move || {
                let metrics = metrics.clone();
                async move { metrics.render() }
            }),
        );
        tokio::spawn(async move {
            let served = axum::serve(listener, router)
                .with_graceful_shutdown(cancel.cancelled_owned())
                .await;
            if let Err(err) = served {
                tracing::warn!(error = %err, "metrics endpoint stopped");
            }
        });
        Ok(addr)
    }
}
