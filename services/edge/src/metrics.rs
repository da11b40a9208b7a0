//! The edge's Prometheus metrics, served at `/metrics` on `metrics.listen`:
//! requests by method, route template and status, and their latency. The
//! route is the template axum matched (`/api/v1/reports/{id}`), or
//! `unmatched`, so no caller can add series.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, Opts, Registry, TextEncoder,
};
use tokio_util::sync::CancellationToken;

/// The metrics of one edge instance.
#[derive(Clone)]
pub struct HttpMetrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
}

impl HttpMetrics {
    /// Registers the metrics, labelled `app="edge"`.
    pub fn new(service: &str) -> Self {
        let registry =
            Registry::new_custom(None, Some([("app".to_owned(), service.to_owned())].into()))
                .expect("the metric labels are valid");
        let requests = IntCounterVec::new(
            Opts::new("http_requests_total", "HTTP requests handled."),
            &["method", "route", "status"],
        )
        .expect("metric definition is valid");
        let latency = HistogramVec::new(
            HistogramOpts::new(
                "http_request_duration_seconds",
                "Latency of HTTP requests, the calls to the services included.",
            )
            .buckets(vec![
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
            ]),
            &["method", "route"],
        )
        .expect("metric definition is valid");
        registry
            .register(Box::new(requests.clone()))
            .expect("registered once");
        registry
            .register(Box::new(latency.clone()))
            .expect("registered once");
        Self {
            registry,
            requests,
            latency,
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
        let router = axum::Router::new().route(
            "/metrics",
            axum::routing::get(move || {
                let metrics = self.clone();
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

/// Counts and times each request, inside a span that continues the caller's
/// trace context (so the services' spans join it).
pub async fn track(
    State(metrics): State<Arc<HttpMetrics>>,
    request: Request,
    next: Next,
) -> Response {
    use tracing::Instrument as _;
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", |p| p.as_str())
        .to_owned();
    let method = request.method().as_str().to_owned();
    let span = tracing::info_span!("http", method = %method, route = %route);
    platform::telemetry::continue_from_headers(&span, request.headers());
    let started = Instant::now();
    let response = next.run(request).instrument(span).await;
    metrics
        .requests
        .with_label_values(&[&method, &route, response.status().as_str()])
        .inc();
    metrics
        .latency
        .with_label_values(&[&method, &route])
        .observe(started.elapsed().as_secs_f64());
    response
}
