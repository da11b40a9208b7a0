//! Channels to other weigrid services: one per dependency, with connect and
//! request timeouts, optional (mutual) TLS, the caller's identity and trace
//! context forwarded, and retries for idempotent calls only.

use std::future::Future;
use std::time::Duration;

use anyhow::Context as _;
use tonic::metadata::MetadataValue;
use tonic::service::Interceptor;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint, Identity};
use tonic::{Code, Request, Status};

use crate::config::ClientConfig;

/// How often a `dns:///` endpoint's name is resolved again: pods of a
/// headless Service come and go with scaling and rollouts.
const RESOLVE_EVERY: Duration = Duration::from_secs(10);

/// Returns a lazily connected channel for `config`: the dependency may be
/// down when the service starts; calls then fail with UNAVAILABLE.
///
/// An endpoint `dns:///host:port` (or `dns+https:///host:port` for TLS)
/// balances calls over every address the name resolves to — each pod of a
/// headless Service — resolved again every 10 s, so replicas added by
/// scaling get calls and removed ones stop getting them. A plain
/// `http://` or `https://` endpoint holds one connection.
///
/// # Errors
/// A malformed endpoint or unreadable TLS files.
pub fn channel(config: &ClientConfig) -> anyhow::Result<Channel> {
    if let Some((tls, target)) = dns_target(&config.endpoint) {
        let (host, port) = target
            .rsplit_once(':')
            .and_then(|(h, p)| Some((h.to_owned(), p.parse::<u16>().ok()?)))
            .with_context(|| format!("invalid endpoint {}: dns:///host:port", config.endpoint))?;
        let (channel, changes) = Channel::balance_channel::<std::net::SocketAddr>(64);
        let template = config.clone();
        let name = host.clone();
        let lookup = move || {
            let host = host.clone();
            async move {
                tokio::net::lookup_host((host.as_str(), port))
                    .await
                    .map(|found| found.collect())
            }
        };
        tokio::spawn(resolve_forever(name, lookup, tls, template, changes));
        return Ok(channel);
    }
    Ok(endpoint(config, &config.endpoint)?.connect_lazy())
}

/// Returns whether `endpoint` asks for DNS balancing, with TLS or not, and
/// its `host:port`.
fn dns_target(endpoint: &str) -> Option<(bool, &str)> {
    endpoint
        .strip_prefix("dns:///")
        .map(|t| (false, t))
        .or_else(|| endpoint.strip_prefix("dns+https:///").map(|t| (true, t)))
}

fn endpoint(config: &ClientConfig, url: &str) -> anyhow::Result<Endpoint> {
    let mut endpoint = Endpoint::from_shared(url.to_owned())
        .with_context(|| format!("invalid endpoint {url}"))?
        .connect_timeout(config.connect_timeout)
        .timeout(config.request_timeout)
        .tcp_nodelay(true)
        .http2_keep_alive_interval(Duration::from_secs(30))
        .keep_alive_while_idle(true);
    if let Some(tls) = &config.tls {
        let ca = std::fs::read(&tls.ca_path)
            .with_context(|| format!("reading {}", tls.ca_path.display()))?;
        let mut tls_config = ClientTlsConfig::new()
            .ca_certificate(Certificate::from_pem(ca))
            .domain_name(&tls.domain);
        if let (Some(cert), Some(key)) = (&tls.cert_path, &tls.key_path) {
            let cert =
                std::fs::read(cert).with_context(|| format!("reading {}", cert.display()))?;
            let key = std::fs::read(key).with_context(|| format!("reading {}", key.display()))?;
            tls_config = tls_config.identity(Identity::from_pem(cert, key));
        }
        endpoint = endpoint
            .tls_config(tls_config)
            .context("configuring client TLS")?;
    }
    Ok(endpoint)
}

/// Keeps the balanced channel's endpoints equal to what `lookup` finds for
/// `host`, until the channel is dropped.
async fn resolve_forever<L, F>(
    host: String,
    lookup: L,
    tls: bool,
    config: ClientConfig,
    changes: tokio::sync::mpsc::Sender<
        tonic::transport::channel::Change<std::net::SocketAddr, Endpoint>,
    >,
) where
    L: Fn() -> F,
    F: Future<Output = std::io::Result<std::collections::HashSet<std::net::SocketAddr>>>,
{
    use tonic::transport::channel::Change;
    let scheme = if tls { "https" } else { "http" };
    let mut known = std::collections::HashSet::new();
    loop {
        match lookup().await {
            Ok(found) => {
                for addr in found.difference(&known) {
                    match endpoint(&config, &format!("{scheme}://{addr}")) {
                        Ok(endpoint) => {
                            if changes.send(Change::Insert(*addr, endpoint)).await.is_err() {
                                return;
                            }
                        }
                        Err(err) => tracing::warn!(%addr, error = %err, "endpoint refused"),
                    }
                }
                for addr in known.difference(&found) {
                    if changes.send(Change::Remove(*addr)).await.is_err() {
                        return;
                    }
                }
                if found != known {
                    tracing::info!(host = %host, addresses = found.len(), "endpoints of the dependency");
                }
                known = found;
            }
            Err(err) => {
                tracing::warn!(host = %host, error = %err, "resolving the dependency failed; keeping the addresses known")
            }
        }
        tokio::select! {
            () = changes.closed() => return,
            () = tokio::time::sleep(RESOLVE_EVERY) => {}
        }
    }
}

/// Adds the bearer token and the current trace context to every call.
#[derive(Clone)]
pub struct Outgoing {
    authorization: Option<MetadataValue<tonic::metadata::Ascii>>,
}

impl Outgoing {
    /// Forwards `token` (the caller's, or the service's own).
    ///
    /// # Errors
    /// The token holds characters not allowed in a header.
    pub fn bearer(token: &str) -> anyhow::Result<Self> {
        let value = format!("Bearer {token}")
            .parse()
            .context("token is not a valid header value")?;
        Ok(Self {
            authorization: Some(value),
        })
    }
}

impl Interceptor for Outgoing {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, Status> {
        // A token already on the request (the caller's, forwarded) wins over
        // the channel's own.
        if let Some(value) = &self.authorization
            && !request.metadata().contains_key("authorization")
        {
            request
                .metadata_mut()
                .insert("authorization", value.clone());
        }
        let mut headers = http::HeaderMap::new();
        crate::telemetry::inject_into_headers(&mut headers);
        for (name, value) in &headers {
            if let (Ok(value), Ok(key)) = (
                value.to_str().unwrap_or_default().parse(),
                tonic::metadata::MetadataKey::from_bytes(name.as_str().as_bytes()),
            ) {
                request.metadata_mut().insert(key, value);
            }
        }
        Ok(request)
    }
}

/// Returns `message` as a request carrying `token` (the caller's, to
/// forward their identity).
///
/// # Errors
/// The token holds characters not allowed in a header.
pub fn as_caller<T>(message: T, token: &str) -> Result<Request<T>, Status> {
    let mut request = Request::new(message);
    let value = format!("Bearer {token}")
        .parse()
        .map_err(|_| Status::unauthenticated("malformed token"))?;
    request.metadata_mut().insert("authorization", value);
    Ok(request)
}

/// Returns whether a failed call may be tried again: the server was not
/// reached or did not answer in time. Only for idempotent calls (reads, or
/// writes carrying an idempotency key).
pub fn is_retryable(status: &Status) -> bool {
    matches!(
        status.code(),
        Code::Unavailable | Code::DeadlineExceeded | Code::ResourceExhausted
    )
}

/// Calls `call` up to `attempts` times while it fails retryably, backing off
/// exponentially from 100 ms (at most 2 s) with jitter, so that clients
/// cut off together do not come back together.
///
/// # Errors
/// The last failure.
pub async fn retry_idempotent<T, F, Fut>(attempts: u32, call: F) -> Result<T, Status>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, Status>>,
{
    use backon::Retryable as _;
    let policy = backon::ExponentialBuilder::default()
        .with_min_delay(Duration::from_millis(100))
        .with_max_delay(Duration::from_secs(2))
        .with_max_times(attempts.saturating_sub(1) as usize)
        .with_jitter();
    call.retry(policy)
        .when(is_retryable)
        .notify(|status, delay| {
            tracing::debug!(code = ?status.code(), retry_in = ?delay, "retrying idempotent call");
        })
        .await
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;

    #[tokio::test]
    async fn a_balanced_channel_spreads_calls_over_every_address_found() {
        use std::collections::HashSet;
        use std::sync::Arc;
        // Two health servers; the "DNS" finds both.
        let mut addrs = Vec::new();
        let mut counts = Vec::new();
        for _ in 0..2 {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            addrs.push(listener.local_addr().unwrap());
            let count = Arc::new(AtomicU32::new(0));
            counts.push(count.clone());
            let (_reporter, health) = tonic_health::server::health_reporter();
            let counting = tower::util::MapRequestLayer::new(
                move |request: http::Request<tonic::body::Body>| {
                    count.fetch_add(1, Ordering::SeqCst);
                    request
                },
            );
            tokio::spawn(
                tonic::transport::Server::builder()
                    .layer(counting)
                    .add_service(health)
                    .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener)),
            );
        }
        let config = ClientConfig {
            endpoint: "dns:///test:0".into(),
            connect_timeout: Duration::from_secs(1),
            request_timeout: Duration::from_secs(1),
            max_attempts: 1,
            tls: None,
        };
        let (channel, changes) = Channel::balance_channel::<std::net::SocketAddr>(8);
        let found: HashSet<_> = addrs.iter().copied().collect();
        tokio::spawn(resolve_forever(
            "test".into(),
            move || {
                let found = found.clone();
                async move { Ok(found) }
            },
            false,
            config,
            changes,
        ));
        let mut client = tonic_health::pb::health_client::HealthClient::new(channel);
        for _ in 0..40 {
            client
                .check(tonic_health::pb::HealthCheckRequest::default())
                .await
                .unwrap();
        }
        let (a, b) = (
            counts[0].load(Ordering::SeqCst),
            counts[1].load(Ordering::SeqCst),
        );
        assert_eq!(a + b, 40);
        assert!(a > 5 && b > 5, "both replicas get calls: {a} and {b}");
    }

    #[test]
    fn dns_endpoints_ask_for_balancing() {
        assert_eq!(
            dns_target("dns:///grid-registry-headless:50051"),
            Some((false, "grid-registry-headless:50051"))
        );
        assert_eq!(dns_target("dns+https:///r:1"), Some((true, "r:1")));
        assert_eq!(dns_target("http://127.0.0.1:50051"), None);
    }

    #[tokio::test]
    async fn idempotent_calls_are_retried_only_while_the_server_is_unavailable() {
        let calls = AtomicU32::new(0);
        let outcome = retry_idempotent(3, || async {
            match calls.fetch_add(1, Ordering::SeqCst) {
                0 => Err(Status::unavailable("down")),
                _ => Ok(7),
            }
        })
        .await;
        assert_eq!(outcome.unwrap(), 7);
        assert_eq!(calls.load(Ordering::SeqCst), 2);

        let calls = AtomicU32::new(0);
        let outcome: Result<(), _> = retry_idempotent(3, || async {
            calls.fetch_add(1, Ordering::SeqCst);
            Err(Status::invalid_argument("bad"))
        })
        .await;
        assert_eq!(outcome.unwrap_err().code(), Code::InvalidArgument);
        assert_eq!(
            calls.load(Ordering::SeqCst),
            1,
            "bad input is never retried"
        );
    }
}
