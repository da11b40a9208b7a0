//! Connecting to weigrid services with a bearer token.

use std::future::Future;
use std::time::Duration;

use anyhow::Context as _;
use platform::auth::{DevIssuer, Role};
use platform::grpc::client::Outgoing;
use proto::dispatch::v1::dispatch_service_client::DispatchServiceClient;
use proto::points::v1::points_service_client::PointsServiceClient;
use proto::registry::v1::registry_service_client::RegistryServiceClient;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::{Channel, Endpoint};

/// The development secret of every service's `config/default.toml`.
pub const DEV_SECRET: &str = "weigrid-development-secret-not-for-production";

/// A registry client that sends a bearer token.
pub type Registry = RegistryServiceClient<InterceptedService<Channel, Outgoing>>;

/// Who the CLI acts as.
#[derive(Debug, Clone)]
pub struct Identity {
    /// A token from the identity provider; when absent, a development
    /// token is minted for `role` and `scope`.
    pub token: Option<String>,
    pub role: Role,
    pub scope: Option<String>,
    pub subject: String,
    pub dev_secret: String,
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
    let channel = Endpoint::from_shared(url.to_owned())
        .with_context(|| format!("invalid registry URL {url}"))?
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(60))
        .connect()
        .await
        .with_context(|| {
            format!("cannot reach the grid registry at {url}; is it running (`make run`)?")
        })?;
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
    let channel = Endpoint::from_shared(url.to_owned())
        .with_context(|| format!("invalid dispatch URL {url}"))?
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(60))
        .connect()
        .await
        .with_context(|| {
            format!("cannot reach ticket dispatch at {url}; is it running (`make run`)?")
        })?;
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
    let channel = Endpoint::from_shared(url.to_owned())
        .with_context(|| format!("invalid points URL {url}"))?
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(60))
        .connect()
        .await
        .with_context(|| format!("cannot reach points at {url}; is it running (`make run`)?"))?;
    Ok(PointsServiceClient::with_interceptor(
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
