//! Logs and traces: `tracing` to stdout (pretty locally, JSON in pods),
//! OpenTelemetry spans exported over OTLP when an endpoint is configured, and
//! W3C trace context carried across gRPC metadata and NATS headers.

use std::collections::HashMap;

use anyhow::Context as _;
use opentelemetry::propagation::{Extractor, Injector, TextMapPropagator};
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::WithExportConfig as _;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::Layer as _;
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

use crate::config::{LogFormat, TelemetryConfig};

/// Keeps the tracer provider alive; call [`Telemetry::shutdown`] before exit
/// to flush buffered spans.
pub struct Telemetry {
    provider: SdkTracerProvider,
}

impl Telemetry {
    /// Flushes and stops span export.
    pub fn shutdown(self) {
        if let Err(err) = self.provider.shutdown() {
            eprintln!("telemetry: flushing spans failed: {err}");
        }
    }
}

/// Installs the global subscriber for `service`: an `EnvFilter` (`RUST_LOG`,
/// else `info`), the configured log format, and OpenTelemetry spans. Spans
/// always carry trace ids, so context crosses services; they are exported
/// only when `otlp_endpoint` is set. A second call (as in tests) keeps the
/// first subscriber.
///
/// # Errors
/// An OTLP endpoint that cannot be configured.
pub fn init(service: &'static str, config: &TelemetryConfig) -> anyhow::Result<Telemetry> {
    // The OpenTelemetry crates announce their own set-up at info; quiet them.
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,opentelemetry=warn,opentelemetry_sdk=warn"));
    install(service, config, filter, false)
}

/// Installs the subscriber for tests: warnings only unless `RUST_LOG` says
/// more, written where the test harness captures it, with trace context as
/// in production.
pub fn init_for_tests() {
    init_quiet("warn");
}

/// Installs a subscriber for tools that run services in-process (tests,
/// simulations): logs at `default_level` unless `RUST_LOG` says otherwise,
/// with trace context as in production.
pub fn init_quiet(default_level: &str) {
    let config = TelemetryConfig {
        format: LogFormat::Pretty,
        otlp_endpoint: String::new(),
    };
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_level));
    let _ = install("test", &config, filter, true);
}

fn install(
    service: &'static str,
    config: &TelemetryConfig,
    filter: EnvFilter,
    for_tests: bool,
) -> anyhow::Result<Telemetry> {
    opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
    let resource = opentelemetry_sdk::Resource::builder()
        .with_service_name(service)
        .build();
    let mut builder = SdkTracerProvider::builder().with_resource(resource);
    if !config.otlp_endpoint.is_empty() {
        let exporter = opentelemetry_otlp::SpanExporter::builder()
            .with_tonic()
            .with_endpoint(&config.otlp_endpoint)
            .build()
            .context("configuring the OTLP span exporter")?;
        builder = builder.with_batch_exporter(exporter);
    }
    let provider = builder.build();
    // Spans reach OpenTelemetry at info and above whatever RUST_LOG says of
    // logs, so trace context still crosses services when logs are quiet.
    let otel = tracing_opentelemetry::layer()
        .with_tracer(provider.tracer(service))
        .with_filter(LevelFilter::INFO);
    let registry = tracing_subscriber::registry().with(otel);
    let installed = match (config.format, for_tests) {
        (_, true) => registry
            .with(
                tracing_subscriber::fmt::layer()
                    .with_test_writer()
                    .with_filter(filter),
            )
            .try_init(),
        (LogFormat::Pretty, false) => registry
            .with(
                tracing_subscriber::fmt::layer()
                    .with_target(false)
                    .with_filter(filter),
            )
            .try_init(),
        (LogFormat::Json, false) => registry
            .with(json_layer(std::io::stdout).with_filter(filter))
            .try_init(),
    };
    if installed.is_ok() {
        opentelemetry::global::set_tracer_provider(provider.clone());
        if !config.otlp_endpoint.is_empty() {
            tracing::info!(endpoint = %config.otlp_endpoint, "exporting traces over OTLP");
        }
    }
    Ok(Telemetry { provider })
}

/// The JSON log format of pods: one object a line, the event's fields at
/// the top, the current span's (its `trace_id`, `span_id`, `request_id`,
/// `caller`…) under `span`, and the names of the enclosing spans.
fn json_layer<S, W>(writer: W) -> impl tracing_subscriber::Layer<S>
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
    W: for<'w> tracing_subscriber::fmt::MakeWriter<'w> + Send + Sync + 'static,
{
    tracing_subscriber::fmt::layer()
        .json()
        .flatten_event(true)
        .with_current_span(true)
        .with_span_list(false)
        .with_writer(writer)
}

struct HeaderExtractor<'a>(&'a http::HeaderMap);

impl Extractor for HeaderExtractor<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }
    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(http::HeaderName::as_str).collect()
    }
}

struct HeaderInjector<'a>(&'a mut http::HeaderMap);

impl Injector for HeaderInjector<'_> {
    fn set(&mut self, key: &str, value: String) {
        if let (Ok(name), Ok(value)) = (
            http::HeaderName::from_bytes(key.as_bytes()),
            http::HeaderValue::from_str(&value),
        ) {
            self.0.insert(name, value);
        }
    }
}

/// Makes `span` continue the trace named by the `traceparent` in `headers`.
pub fn continue_from_headers(span: &tracing::Span, headers: &http::HeaderMap) {
    let parent = TraceContextPropagator::new().extract(&HeaderExtractor(headers));
    let _ = span.set_parent(parent);
}

/// Writes the current span's trace context into outgoing HTTP/gRPC headers.
pub fn inject_into_headers(headers: &mut http::HeaderMap) {
    let context = tracing::Span::current().context();
    TraceContextPropagator::new().inject_context(&context, &mut HeaderInjector(headers));
}

/// Returns the current span's trace context as a map (`traceparent`, …), for
/// event headers.
pub fn current_context_map() -> HashMap<String, String> {
    let mut map = HashMap::new();
    let context = tracing::Span::current().context();
    TraceContextPropagator::new().inject_context(&context, &mut map);
    map
}

/// Makes `span` continue the trace carried in an event's headers.
pub fn continue_from_map(span: &tracing::Span, map: &HashMap<String, String>) {
    let parent = TraceContextPropagator::new().extract(map);
    let _ = span.set_parent(parent);
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use tracing_subscriber::layer::SubscriberExt as _;

    use super::*;

    /// Log lines written into memory.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl<'w> tracing_subscriber::fmt::MakeWriter<'w> for Captured {
        type Writer = Captured;
        fn make_writer(&'w self) -> Self::Writer {
            self.clone()
        }
    }

    #[tokio::test(flavor = "current_thread")]
    async fn the_json_line_of_a_failed_call_names_its_trace_and_request() {
        use tower::{Layer as _, ServiceExt as _};
        let captured = Captured::default();
        let provider = SdkTracerProvider::builder().build();
        let subscriber = tracing_subscriber::registry()
            .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("test")))
            .with(json_layer(captured.clone()));
        let _guard = tracing::subscriber::set_default(subscriber);

        let config = crate::config::AuthConfig {
            mode: crate::config::AuthMode::Dev,
            issuer: "weigrid-dev".into(),
            audience: "weigrid".into(),
            dev_secret: "a-development-secret".to_owned().into(),
            public_key_path: None,
            jwks_path: None,
            algorithm: crate::config::JwtAlgorithm::RS256,
        };
        let layer = crate::grpc::PlatformLayer::new(
            Arc::new(crate::auth::Verifier::from_config(&config).unwrap()),
            Arc::new(crate::authz::Policy::deciding_nothing()),
            Arc::new(crate::metrics::Metrics::new("test")),
            crate::grpc::layer::MethodTable::default(),
        );
        let inner = tower::service_fn(|_request: http::Request<tonic::body::Body>| async {
            Ok::<_, std::convert::Infallible>(tonic::Status::not_found("nothing").into_http())
        });
        let trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
        let token = crate::auth::DevIssuer::from_config(&config).unwrap().issue(
            "operator-7",
            crate::auth::Role::TownOperator,
            None,
            std::time::Duration::from_secs(60),
        );
        let request = http::Request::builder()
            .uri("/weigrid.registry.v1.RegistryService/GetGrid")
            .header("traceparent", format!("00-{trace_id}-00f067aa0ba902b7-01"))
            .header("authorization", format!("Bearer {token}"))
            .header("x-request-id", "req-42")
            .body(tonic::body::Body::empty())
            .unwrap();
        let response = layer.layer(inner).oneshot(request).await.unwrap();
        assert_eq!(response.headers()["x-request-id"], "req-42");

        let text = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
        let line = text
            .lines()
            .find(|l| l.contains("call failed"))
            .unwrap_or_else(|| panic!("no access line in {text}"));
        let json: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(json["level"], "INFO");
        assert_eq!(json["span"]["trace_id"], trace_id, "{line}");
        assert_eq!(json["span"]["request_id"], "req-42");
        assert_eq!(json["span"]["caller"], "operator-7");
        assert_eq!(json["grpc.code"], "NotFound");
        assert!(json["duration_ms"].is_number());
        assert!(
            json["span"]["span_id"]
                .as_str()
                .is_some_and(|s| s.len() == 16),
            "{line}"
        );
    }
}
