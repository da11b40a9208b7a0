//! The tower layer in front of every service: it continues the caller's
//! trace, opens a span per call (with its trace and span ids, so JSON log
//! lines name them), gives each call a request id (the caller's
//! `x-request-id`, or a new one) returned in the response headers,
//! authenticates the bearer token (health and reflection are open), refuses
//! a role the service's policy does not allow for the method, counts
//! calls, latency and status codes by the methods the service serves, and
//! writes one info line for every failed call.

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use opentelemetry::trace::TraceContextExt as _;
use prost::Message as _;
use tonic::body::Body;
use tower::{Layer, Service};
use tracing::Instrument as _;
use tracing_opentelemetry::OpenTelemetrySpanExt as _;

use crate::auth::Verifier;
use crate::authz::Policy;
use crate::metrics::Metrics;

/// Paths callable without a token: health probes and reflection.
const OPEN_PREFIXES: [&str; 2] = ["/grpc.health.v1.", "/grpc.reflection."];

/// The header carrying a call's request id, both ways.
pub const REQUEST_ID: &str = "x-request-id";

/// The longest request id taken from a caller; a longer or odd one is
/// replaced, so a caller cannot write what it likes into the logs.
const MAX_REQUEST_ID: usize = 128;

/// One method a service serves, as metrics name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MethodInfo {
    pub service: String,
    pub method: String,
    /// `unary`, `client_stream`, `server_stream` or `bidi_stream`.
    pub kind: &'static str,
}

/// The methods a server serves, by path (`/pkg.Service/Method`): the label
/// values of its metrics. Any other path is counted as unknown.
#[derive(Debug, Clone, Default)]
pub struct MethodTable(HashMap<String, MethodInfo>);

impl MethodTable {
    /// Returns the methods of `services` found in the encoded
    /// `FileDescriptorSet`, plus health and reflection.
    pub fn from_descriptors(file_descriptor_set: &[u8], services: &[&str]) -> Self {
        let mut table = HashMap::new();
        let sets = [
            file_descriptor_set,
            tonic_health::pb::FILE_DESCRIPTOR_SET,
            tonic_reflection::pb::v1::FILE_DESCRIPTOR_SET,
            tonic_reflection::pb::v1alpha::FILE_DESCRIPTOR_SET,
        ];
        for bytes in sets {
            let Ok(set) = prost_types::FileDescriptorSet::decode(bytes) else {
                continue;
            };
            for file in set.file {
                let package = file.package.clone().unwrap_or_default();
                for service in file.service {
                    let name = format!("{package}.{}", service.name());
                    let served = services.contains(&name.as_str())
                        || name.starts_with("grpc.health.")
                        || name.starts_with("grpc.reflection.");
                    if !served {
                        continue;
                    }
                    for method in service.method {
                        let kind = match (method.client_streaming(), method.server_streaming()) {
                            (false, false) => "unary",
                            (true, false) => "client_stream",
                            (false, true) => "server_stream",
                            (true, true) => "bidi_stream",
                        };
                        table.insert(
                            format!("/{name}/{}", method.name()),
                            MethodInfo {
                                service: name.clone(),
                                method: method.name().to_owned(),
                                kind,
                            },
                        );
                    }
                }
            }
        }
        Self(table)
    }

    /// Returns the method at `path`, or the one "unknown" entry.
    pub fn get(&self, path: &str) -> MethodInfo {
        self.0
            .get(path)
            .cloned()
            .unwrap_or_else(MethodInfo::unknown)
    }
}

impl MethodInfo {
    fn unknown() -> Self {
        Self {
            service: "unknown".into(),
            method: "unknown".into(),
            kind: "unary",
        }
    }
}

/// A method with what every call of it needs, made once when the layer is
/// built rather than on each call: its span name and its metric series.
struct Route {
    info: MethodInfo,
    /// `service/method`, the span's `otel.name`.
    otel_name: String,
    started: prometheus::IntCounter,
    latency: prometheus::Histogram,
    /// `grpc_server_handled_total` by code, made on a code's first call
    /// so that /metrics shows only the codes that happened.
    handled: [std::sync::OnceLock<prometheus::IntCounter>; CODES],
}

/// gRPC status codes 0 (OK) to 16 (UNAUTHENTICATED).
const CODES: usize = 17;

impl Route {
    fn new(info: MethodInfo, metrics: &Metrics) -> Self {
        let labels = [info.kind, info.service.as_str(), info.method.as_str()];
        Self {
            otel_name: format!("{}/{}", info.service, info.method),
            started: metrics.grpc_started.with_label_values(&labels),
            latency: metrics.grpc_latency.with_label_values(&labels),
            handled: Default::default(),
            info,
        }
    }

    /// Counts one call ended with `code`.
    fn count_handled(&self, metrics: &Metrics, code: i32, code_name: &str) {
        let make = || {
            let info = &self.info;
            metrics.grpc_handled.with_label_values(&[
                info.kind,
                info.service.as_str(),
                info.method.as_str(),
                code_name,
            ])
        };
        match usize::try_from(code).ok().and_then(|i| self.handled.get(i)) {
            Some(slot) => slot.get_or_init(make).inc(),
            // A code outside the standard ones: looked up each time.
            None => make().inc(),
        }
    }
}

/// Every route of a layer by path, and the one for any other path.
struct Routes {
    by_path: HashMap<String, Arc<Route>>,
    unknown: Arc<Route>,
}

impl Routes {
    fn new(methods: &MethodTable, metrics: &Metrics) -> Self {
        Self {
            by_path: methods
                .0
                .iter()
                .map(|(path, info)| (path.clone(), Arc::new(Route::new(info.clone(), metrics))))
                .collect(),
            unknown: Arc::new(Route::new(MethodInfo::unknown(), metrics)),
        }
    }

    fn get(&self, path: &str) -> &Arc<Route> {
        self.by_path.get(path).unwrap_or(&self.unknown)
    }
}

/// Builds [`PlatformService`]s.
#[derive(Clone)]
pub struct PlatformLayer {
    verifier: Arc<Verifier>,
    policy: Arc<Policy>,
    metrics: Arc<Metrics>,
    routes: Arc<Routes>,
}

impl PlatformLayer {
    /// Returns the layer authenticating with `verifier`, refusing what
    /// `policy` does not allow and counting the calls of `methods` into
    /// `metrics`.
    pub fn new(
        verifier: Arc<Verifier>,
        policy: Arc<Policy>,
        metrics: Arc<Metrics>,
        methods: MethodTable,
    ) -> Self {
        Self {
            routes: Arc::new(Routes::new(&methods, &metrics)),
            verifier,
            policy,
            metrics,
        }
    }
}

impl<S> Layer<S> for PlatformLayer {
    type Service = PlatformService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        PlatformService {
            inner,
            verifier: self.verifier.clone(),
            policy: self.policy.clone(),
            metrics: self.metrics.clone(),
            routes: self.routes.clone(),
        }
    }
}

/// See [`PlatformLayer`].
#[derive(Clone)]
pub struct PlatformService<S> {
    inner: S,
    verifier: Arc<Verifier>,
    policy: Arc<Policy>,
    metrics: Arc<Metrics>,
    routes: Arc<Routes>,
}

/// What the end of a call needs to record.
struct Call {
    metrics: Arc<Metrics>,
    route: Arc<Route>,
    request_id: http::HeaderValue,
    started: Instant,
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
        let route = self.routes.get(request.uri().path()).clone();
        let request_id = request_id(request.headers());
        let info = &route.info;
        let span = tracing::info_span!(
            "grpc",
            otel.name = route.otel_name.as_str(),
            otel.kind = "server",
            rpc.system = "grpc",
            rpc.service = info.service.as_str(),
            rpc.method = info.method.as_str(),
            rpc.grpc.status_code = tracing::field::Empty,
            request_id = request_id.to_str().unwrap_or_default(),
            trace_id = tracing::field::Empty,
            span_id = tracing::field::Empty,
            caller = tracing::field::Empty,
        );
        if !span.is_disabled() {
            crate::telemetry::continue_from_headers(&span, request.headers());
            let context = span.context();
            let ids = context.span().span_context().clone();
            if ids.is_valid() {
                span.record("trace_id", tracing::field::display(ids.trace_id()));
                span.record("span_id", tracing::field::display(ids.span_id()));
            }
        }
        route.started.inc();
        let call = Call {
            metrics: self.metrics.clone(),
            route,
            request_id,
            started: Instant::now(),
        };
        let path = request.uri().path();

        let open = OPEN_PREFIXES.iter().any(|p| path.starts_with(p));
        if !open && self.verifier.is_dev() && !from_loopback(&request) {
            let status = tonic::Status::unauthenticated(
                "development tokens are accepted only from this machine",
            );
            let response = call.finish(&span, status.into_http());
            return Box::pin(async move { Ok(response) });
        }
        if !open {
            let header = request
                .headers()
                .get(http::header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok());
            match self.verifier.verify_header(header) {
                Ok(caller) => {
                    span.record("caller", caller.subject.as_str());
                    // The role matrix, before anything is decoded.
                    if let Err(status) = self.policy.check(path, &caller) {
                        let response = call.finish(&span, status.into_http());
                        return Box::pin(async move { Ok(response) });
                    }
                    request.extensions_mut().insert(caller);
                }
                Err(err) => {
                    let status = tonic::Status::unauthenticated(err.to_string());
                    let response = call.finish(&span, status.into_http());
                    return Box::pin(async move { Ok(response) });
                }
            }
        }

        Box::pin(
            async move {
                let response = inner.call(request).await?;
                Ok(call.finish(&tracing::Span::current(), response))
            }
            .instrument(span),
        )
    }
}

impl Call {
    /// Counts the call, writes the access line of a failure and returns the
    /// response with the request id.
    fn finish(
        self,
        span: &tracing::Span,
        mut response: http::Response<Body>,
    ) -> http::Response<Body> {
        // Errors travel as a trailers-only response with grpc-status in the
        // headers; a success sends its status in the trailers.
        let code = response
            .headers()
            .get("grpc-status")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<i32>().ok())
            .unwrap_or(0);
        let code_name = code_name(code);
        span.record("rpc.grpc.status_code", code);
        self.route
            .count_handled(&self.metrics, code, code_name.as_ref());
        let elapsed = self.started.elapsed();
        self.route.latency.observe(elapsed.as_secs_f64());
        if code != 0 {
            // One line a failed call: what, who, how it ended, how long.
            // Never the payload or the message (it may quote input).
            tracing::info!(
                parent: span,
                grpc.method = %format_args!("/{}", self.route.otel_name),
                grpc.code = %code_name,
                duration_ms = elapsed.as_secs_f64() * 1000.0,
                "call failed"
            );
        }
        response.headers_mut().insert(REQUEST_ID, self.request_id);
        response
    }
}

/// Returns the name of status `code` as metrics and logs write it
/// (`NotFound`), without formatting it anew on every call.
fn code_name(code: i32) -> std::borrow::Cow<'static, str> {
    const NAMES: [&str; CODES] = [
        "Ok",
        "Cancelled",
        "Unknown",
        "InvalidArgument",
        "DeadlineExceeded",
        "NotFound",
        "AlreadyExists",
        "PermissionDenied",
        "ResourceExhausted",
        "FailedPrecondition",
        "Aborted",
        "OutOfRange",
        "Unimplemented",
        "Internal",
        "Unavailable",
        "DataLoss",
        "Unauthenticated",
    ];
    match usize::try_from(code).ok().and_then(|i| NAMES.get(i)) {
        Some(name) => (*name).into(),
        None => format!("{:?}", tonic::Code::from_i32(code)).into(),
    }
}

/// Returns whether the call comes over a loopback connection (a call that
/// did not come over TCP, as in tests that call the layer directly, does).
fn from_loopback<B>(request: &http::Request<B>) -> bool {
    use tonic::transport::server::{TcpConnectInfo, TlsConnectInfo};
    let extensions = request.extensions();
    let remote = extensions
        .get::<TcpConnectInfo>()
        .and_then(TcpConnectInfo::remote_addr)
        .or_else(|| {
            extensions
                .get::<TlsConnectInfo<TcpConnectInfo>>()
                .and_then(|info| info.get_ref().remote_addr())
        });
    remote.is_none_or(|addr| addr.ip().is_loopback())
}

/// Returns the caller's request id when it is a plain token, else a new one.
fn request_id(headers: &http::HeaderMap) -> http::HeaderValue {
    headers
        .get(REQUEST_ID)
        .filter(|v| {
            v.len() <= MAX_REQUEST_ID
                && v.as_bytes()
                    .iter()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(b))
                && !v.is_empty()
        })
        .cloned()
        .unwrap_or_else(|| {
            http::HeaderValue::from_str(&uuid::Uuid::now_v7().to_string())
                .expect("a UUID is a valid header value")
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_served_methods_get_their_own_labels() {
        let table = MethodTable::from_descriptors(&[], &[]);
        assert_eq!(table.get("/grpc.health.v1.Health/Check").method, "Check");
        let unknown = table.get("/x.Y/Z");
        assert_eq!(
            (unknown.service.as_str(), unknown.method.as_str()),
            ("unknown", "unknown")
        );
    }

    #[tokio::test]
    async fn development_tokens_are_refused_from_another_machine() {
        use tower::{Layer as _, ServiceExt as _};
        let config = crate::config::AuthConfig {
            mode: crate::config::AuthMode::Dev,
            issuer: "weigrid-dev".into(),
            audience: "weigrid".into(),
            dev_secret: "a-development-secret".to_owned().into(),
            public_key_path: None,
            jwks_path: None,
            algorithm: crate::config::JwtAlgorithm::RS256,
        };
        let layer = PlatformLayer::new(
            Arc::new(Verifier::from_config(&config).unwrap()),
            Arc::new(crate::authz::Policy::deciding_nothing()),
            Arc::new(Metrics::new("test")),
            MethodTable::default(),
        );
        let token = crate::auth::DevIssuer::from_config(&config).unwrap().issue(
            "mallory",
            crate::auth::Role::TownOperator,
            None,
            std::time::Duration::from_secs(60),
        );
        let call = |peer: &str| {
            let mut request = http::Request::builder()
                .uri("/weigrid.registry.v1.RegistryService/GetGrid")
                .header("authorization", format!("Bearer {token}"))
                .body(Body::empty())
                .unwrap();
            request
                .extensions_mut()
                .insert(tonic::transport::server::TcpConnectInfo {
                    local_addr: None,
                    remote_addr: Some(peer.parse().unwrap()),
                });
            let inner = tower::service_fn(|_request: http::Request<Body>| async {
                Ok::<_, std::convert::Infallible>(http::Response::new(Body::empty()))
            });
            layer.layer(inner).oneshot(request)
        };
        let far = call("192.0.2.7:40000").await.unwrap();
        assert_eq!(far.headers()["grpc-status"], "16", "UNAUTHENTICATED");
        let near = call("127.0.0.1:40000").await.unwrap();
        assert!(near.headers().get("grpc-status").is_none(), "served");
    }

    #[test]
    fn status_names_are_tonics() {
        for code in -1..20 {
            assert_eq!(
                code_name(code),
                format!("{:?}", tonic::Code::from_i32(code)),
                "code {code}"
            );
        }
    }

    #[test]
    fn a_request_id_is_taken_only_when_it_is_a_plain_token() {
        let mut headers = http::HeaderMap::new();
        headers.insert(REQUEST_ID, "abc-123".parse().unwrap());
        assert_eq!(request_id(&headers), "abc-123");
        headers.insert(REQUEST_ID, "a b\"c".parse().unwrap());
        assert_ne!(request_id(&headers), "a b\"c");
        headers.insert(REQUEST_ID, "x".repeat(200).parse().unwrap());
        assert_eq!(request_id(&headers).len(), 36, "replaced by a UUID");
    }
}
