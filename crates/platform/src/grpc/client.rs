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

/// Returns a lazily connected channel for `config`: the dependency may be
/// down when the service starts; calls then fail with UNAVAILABLE.
///
/// # Errors
/// A malformed endpoint or unreadable TLS files.
pub fn channel(config: &ClientConfig) -> anyhow::Result<Channel> {
    let mut endpoint = Endpoint::from_shared(config.endpoint.clone())
        .with_context(|| format!("invalid endpoint {}", config.endpoint))?
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
    Ok(endpoint.connect_lazy())
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
