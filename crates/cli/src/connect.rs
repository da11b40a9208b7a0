//! Connecting to weigrid services with a bearer token.

use std::future::Future;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;
use platform::auth::{DevIssuer, Role};
use platform::grpc::client::Outgoing;
use proto::dispatch::v1::dispatch_service_client::DispatchServiceClient;
use proto::exchange::v1::exchange_service_client::ExchangeServiceClient;
use proto::points::v1::points_service_client::PointsServiceClient;
use proto::registry::v1::registry_service_client::RegistryServiceClient;
use proto::review::v1::review_service_client::ReviewServiceClient;
use proto::video::v1::video_service_client::VideoServiceClient;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint, Identity as TlsIdentity};

/// The development secret of every service's `config/default.toml`.
pub const DEV_SECRET: &str = "weigrid-development-secret-not-for-production";

/// A registry client that sends a bearer token.
pub type Registry = RegistryServiceClient<InterceptedService<Channel, Outgoing>>;

/// Who the CLI acts as, and how it proves it to services.
#[derive(Debug, Clone)]
pub struct Identity {
    /// A token from the identity provider; when absent, a development
    /// token is minted for `role` and `scope`.
    pub token: Option<String>,
    pub role: Role,
    pub scope: Option<String>,
    pub subject: String,
    pub dev_secret: String,
    /// TLS to `https://` addresses.
    pub tls: Tls,
}

/// TLS to services at `https://` addresses: the CA that signed their
/// certificates and, for mutual TLS, the CLI's own certificate and key.
#[derive(Debug, Clone, Default)]
pub struct Tls {
    pub ca_cert: Option<PathBuf>,
    pub cert: Option<PathBuf>,
    pub key: Option<PathBuf>,
    /// The name in the services' certificates, when it is not the host of
    /// the address (e.g. an address by IP).
    pub domain: Option<String>,
}

/// Returns a connected channel to the service `what` at `url`: plaintext
/// for `http://`, TLS (mutual with a certificate and key) for `https://`.
///
/// # Errors
/// A malformed URL, unreadable TLS files, TLS settings for an `http://`
/// address, or a service that does not answer within 5 s.
pub async fn channel(what: &str, url: &str, tls: &Tls) -> anyhow::Result<Channel> {
    let mut endpoint = Endpoint::from_shared(url.to_owned())
        .with_context(|| format!("invalid {what} URL {url}"))?
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(60));
    if url.starts_with("https://") {
        let mut config = ClientTlsConfig::new();
        if let Some(ca) = &tls.ca_cert {
            let pem =
                std::fs::read(ca).with_context(|| format!("reading --ca-cert {}", ca.display()))?;
            config = config.ca_certificate(Certificate::from_pem(pem));
        }
        match (&tls.cert, &tls.key) {
            (Some(cert), Some(key)) => {
                let cert = std::fs::read(cert)
                    .with_context(|| format!("reading --cert {}", cert.display()))?;
                let key = std::fs::read(key)
                    .with_context(|| format!("reading --key {}", key.display()))?;
                config = config.identity(TlsIdentity::from_pem(cert, key));
            }
            (None, None) => {}
            _ => anyhow::bail!("--cert and --key go together (mutual TLS)"),
        }
        if let Some(domain) = &tls.domain {
            config = config.domain_name(domain);
        }
        endpoint = endpoint.tls_config(config).context("configuring TLS")?;
    } else if tls.cert.is_some() || tls.ca_cert.is_some() {
        anyhow::bail!("TLS settings were given, but {url} is not an https:// address");
    }
    endpoint
        .connect()
        .await
        .with_context(|| format!("cannot reach {what} at {url}; is it running (`make run`)?"))
}

impl Identity {
    /// Returns the bearer token to send.
    pub fn bearer(&self) -> String {
        match &self.token {
            Some(token) => token.clone(),
            None => DevIssuer::new(&self.dev_secret, "weigrid-dev", "weigrid").issue(
                &self.subject,
                self.role,
                self.scope.as_deref(),
                Duration::from_secs(12 * 3600),
            ),
        }
    }
}

/// Connects to the registry at `url`.
///
/// # Errors
/// A malformed URL or a service that does not answer within 5 s.
pub async fn registry(url: &str, identity: &Identity) -> anyhow::Result<Registry> {
    let channel = channel("the grid registry", url, &identity.tls).await?;
    let outgoing = Outgoing::bearer(&identity.bearer())?;
    Ok(RegistryServiceClient::with_interceptor(channel, outgoing)
        .max_decoding_message_size(256 * 1024 * 1024)
        .max_encoding_message_size(256 * 1024 * 1024))
}

/// A dispatch client that sends a bearer token.
pub type Dispatch = DispatchServiceClient<InterceptedService<Channel, Outgoing>>;

/// Connects to ticket dispatch at `url`.
///
/// # Errors
/// A malformed URL or a service that does not answer within 5 s.
pub async fn dispatch(url: &str, identity: &Identity) -> anyhow::Result<Dispatch> {
    let channel = channel("ticket dispatch", url, &identity.tls).await?;
    Ok(DispatchServiceClient::with_interceptor(
        channel,
        Outgoing::bearer(&identity.bearer())?,
    ))
}

/// A points client that sends a bearer token.
pub type Points = PointsServiceClient<InterceptedService<Channel, Outgoing>>;

/// Connects to points at `url`.
///
/// # Errors
/// A malformed URL or a service that does not answer within 5 s.
pub async fn points(url: &str, identity: &Identity) -> anyhow::Result<Points> {
    let channel = channel("points", url, &identity.tls).await?;
    Ok(PointsServiceClient::with_interceptor(
        channel,
        Outgoing::bearer(&identity.bearer())?,
    ))
}

/// A video-ingest client that sends a bearer token.
pub type Video = VideoServiceClient<InterceptedService<Channel, Outgoing>>;

/// Connects to video ingest at `url`.
///
/// # Errors
/// A malformed URL or a service that does not answer within 5 s.
pub async fn video(url: &str, identity: &Identity) -> anyhow::Result<Video> {
    let channel = channel("video ingest", url, &identity.tls).await?;
    Ok(VideoServiceClient::with_interceptor(
        channel,
        Outgoing::bearer(&identity.bearer())?,
    ))
}

/// A case-exchange client that sends a bearer token.
pub type Exchange = ExchangeServiceClient<InterceptedService<Channel, Outgoing>>;

/// Connects to this town's case-exchange node at `url`.
///
/// # Errors
/// A malformed URL or a node that does not answer within 5 s.
pub async fn exchange(url: &str, identity: &Identity) -> anyhow::Result<Exchange> {
    let channel = channel("case exchange", url, &identity.tls).await?;
    Ok(ExchangeServiceClient::with_interceptor(
        channel,
        Outgoing::bearer(&identity.bearer())?,
    ))
}

/// A case-review client that sends a bearer token.
pub type Review = ReviewServiceClient<InterceptedService<Channel, Outgoing>>;

/// Connects to case review at `url`.
///
/// # Errors
/// A malformed URL or a service that does not answer within 5 s.
pub async fn review(url: &str, identity: &Identity) -> anyhow::Result<Review> {
    let channel = channel("case review", url, &identity.tls).await?;
    Ok(ReviewServiceClient::with_interceptor(
        channel,
        Outgoing::bearer(&identity.bearer())?,
    ))
}

/// The largest page the services serve.
pub const PAGE_SIZE: u32 = 1000;

/// Returns every item of a paged list: `page` asks for the page after a
/// token (empty for the first) and answers its items and the next token
/// (empty after the last).
///
/// # Errors
/// The first page that fails, as the service's status.
pub async fn all_pages<T, F>(mut page: impl FnMut(String) -> F) -> Result<Vec<T>, tonic::Status>
where
    F: Future<Output = Result<(Vec<T>, String), tonic::Status>>,
{
    let mut items = Vec::new();
    let mut token = String::new();
    loop {
        let (mut batch, next) = page(token).await?;
        items.append(&mut batch);
        if next.is_empty() {
            return Ok(items);
        }
        token = next;
    }
}
