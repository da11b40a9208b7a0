//! The tower layer in front of every service: it continues the caller's
//! trace, opens a span per call, authenticates the bearer token (health and
//! reflection are open), and counts calls, latency and status codes.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use tonic::body::Body;
use tower::{Layer, Service};
use tracing::Instrument as _;

use crate::auth::Verifier;
use crate::metrics::Metrics;

/// Paths callable without a token: health probes and reflection.
const OPEN_PREFIXES: [&str; 2] = ["/grpc.health.v1.", "/grpc.reflection."];

/// Builds [`PlatformService`]s.
#[derive(Clone)]
pub struct PlatformLayer {
    verifier: Arc<Verifier>,
    metrics: Arc<Metrics>,
}

impl PlatformLayer {
    /// Returns the layer authenticating with `verifier` and counting into `metrics`.
    pub fn new(verifier: Arc<Verifier>, metrics: Arc<Metrics>) -> Self {
        Self { verifier, metrics }
    }
}

impl<S> Layer<S> for PlatformLayer {
    type Service = PlatformService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        PlatformService {
            inner,
            verifier: self.verifier.clone(),
            metrics: self.metrics.clone(),
        }
    }
}

/// See [`PlatformLayer`].
#[derive(Clone)]
pub struct PlatformService<S> {
    inner: S,
    verifier: Arc<Verifier>,
    metrics: Arc<Metrics>,
}

impl<S> Service<http::Request<Body>> for PlatformService<S>
where
    S: Service<http::Request<Body>, Response = http::Response<Body>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
{
    type Response = http::Response<Body>;
    type Error = S::Error;
    type Future =
        Pin<Box<dyn std::future::Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: http::Request<Body>) -> Self::Future {
        // The clone is ready because poll_ready was called on self.inner; swap
        // so the ready one serves this call (tower's documented pattern).
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let metrics = self.metrics.clone();
        let path = request.uri().path().to_owned();
        let (service, method) = split_path(&path);
        let span = tracing::info_span!(
            "grpc",
            otel.name = %path,
            otel.kind = "server",
            rpc.system = "grpc",
            rpc.service = %service,
            rpc.method = %method,
            rpc.grpc.status_code = tracing::field::Empty,
            caller = tracing::field::Empty,
        );
        crate::telemetry::continue_from_headers(&span, request.headers());

        let open = OPEN_PREFIXES.iter().any(|p| path.starts_with(p));
        if !open {
            let header = request
                .headers()
                .get(http::header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok());
            match self.verifier.verify_header(header) {
                Ok(caller) => {
                    span.record("caller", caller.subject.as_str());
                    request.extensions_mut().insert(caller);
                }
                Err(err) => {
                    let status = tonic::Status::unauthenticated(err.to_string());
                    record(
                        &metrics,
                        &span,
                        &service,
                        &method,
                        status.code() as i32,
                        Instant::now(),
                    );
                    return Box::pin(async move { Ok(status.into_http()) });
                }
            }
        }

        let started = Instant::now();
        Box::pin(
            async move {
                let response = inner.call(request).await?;
                // Errors travel as a trailers-only response with grpc-status
                // in the headers; a success sends its status in the trailers.
                let code = response
                    .headers()
                    .get("grpc-status")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.parse::<i32>().ok())
                    .unwrap_or(0);
                record(
                    &metrics,
                    &tracing::Span::current(),
                    &service,
                    &method,
                    code,
                    started,
                );
                Ok(response)
            }
            .instrument(span),
        )
    }
}

fn split_path(path: &str) -> (String, String) {
    let trimmed = path.trim_start_matches('/');
    match trimmed.split_once('/') {
        Some((service, method)) => (service.to_owned(), method.to_owned()),
        None => (trimmed.to_owned(), String::new()),
    }
}

fn record(
    metrics: &Metrics,
    span: &tracing::Span,
    service: &str,
    method: &str,
    code: i32,
    started: Instant,
) {
    let name = format!("{:?}", tonic::Code::from_i32(code));
    span.record("rpc.grpc.status_code", code);
    metrics
        .grpc_requests
        .with_label_values(&[service, method, name.as_str()])
        .inc();
    metrics
        .grpc_latency
        .with_label_values(&[service, method])
        .observe(started.elapsed().as_secs_f64());
    if code != 0 {
        tracing::debug!(parent: span, code = %name, "call failed");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_split_into_service_and_method() {
        assert_eq!(
            split_path("/weigrid.registry.v1.RegistryService/GetGrid"),
            (
                "weigrid.registry.v1.RegistryService".to_owned(),
                "GetGrid".to_owned()
            )
        );
    }
}
