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
            .with(
                tracing_subscriber::fmt::layer()
                    .json()
                    .flatten_event(true)
                    .with_current_span(true)
                    .with_filter(filter),
            )
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
