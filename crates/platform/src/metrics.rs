//! Prometheus metrics: per-RPC request counts, latencies and status codes,
//! outbox progress, served at `/metrics`.

use std::net::SocketAddr;
use std::sync::Arc;

use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, Opts, Registry, TextEncoder,
};
use tokio_util::sync::CancellationToken;

/// The metrics of one service instance (each test app has its own).
#[derive(Clone)]
pub struct Metrics {
    registry: Registry,
    /// RPCs handled, by `service`, `method` and gRPC `code`.
    pub grpc_requests: IntCounterVec,
    /// RPC latency in seconds, by `service` and `method`.
    pub grpc_latency: HistogramVec,
    /// Events published by the outbox relay, by `subject`.
    pub events_published: IntCounterVec,
    /// Events waiting in the outbox at the last relay pass.
    pub outbox_pending: IntGauge,
}

impl Metrics {
    /// Registers the standard metrics, labelled with the service name.
    pub fn new(service: &str) -> Self {
        let registry = Registry::new_custom(
            Some("weigrid".into()),
            Some([("app".to_owned(), service.to_owned())].into()),
        )
        .expect("the metric prefix and labels are valid");
        let grpc_requests = IntCounterVec::new(
            Opts::new(
                "grpc_server_requests_total",
                "gRPC calls handled, by method and status code",
            ),
            &["service", "method", "code"],
        )
        .expect("metric definition is valid");
        let grpc_latency = HistogramVec::new(
            HistogramOpts::new("grpc_server_request_duration_seconds", "gRPC call latency")
                .buckets(vec![
                    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
                    10.0,
                ]),
            &["service", "method"],
        )
        .expect("metric definition is valid");
        let events_published = IntCounterVec::new(
            Opts::new(
                "outbox_events_published_total",
                "events published to JetStream",
            ),
            &["subject"],
        )
        .expect("metric definition is valid");
        let outbox_pending = IntGauge::new("outbox_pending_events", "events not yet published")
            .expect("metric definition is valid");
        for collector in [
            Box::new(grpc_requests.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(grpc_latency.clone()),
            Box::new(events_published.clone()),
            Box::new(outbox_pending.clone()),
        ] {
            registry
                .register(collector)
                .expect("each metric is registered once");
        }
        Self {
            registry,
            grpc_requests,
            grpc_latency,
            events_published,
            outbox_pending,
        }
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
