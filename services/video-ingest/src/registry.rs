//! What video-ingest asks the grid registry: which micro-grid holds a
//! camera. Every call forwards the caller's identity when there is one (the
//! service's own token otherwise), is bounded by the configured timeout,
//! and is retried only because it is a read. It runs before any unit of
//! work opens, so no transaction waits on the network.

use platform::config::ClientConfig;
use platform::grpc::client::{self, Outgoing};
use proto::registry::v1 as registry;
use proto::registry::v1::registry_service_client::RegistryServiceClient;
use tonic::Code;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

use crate::domain::camera::{LatLng, Placement};

/// The registry could not answer.
#[derive(Debug, thiserror::Error)]
#[error("grid registry unreachable: {0}")]
pub struct Unreachable(pub String);

/// A client of the grid registry.
#[derive(Clone)]
pub struct Registry {
    client: RegistryServiceClient<InterceptedService<Channel, Outgoing>>,
    attempts: u32,
}

impl Registry {
    /// Returns a client for `config`, sending `service_token` when a call has
    /// no caller to forward.
    ///
    /// # Errors
    /// A malformed endpoint or TLS files.
    pub fn new(config: &ClientConfig, service_token: &str) -> anyhow::Result<Self> {
        let channel = client::channel(config)?;
        Ok(Self {
            client: RegistryServiceClient::with_interceptor(
                channel,
                Outgoing::bearer(service_token)?,
            ),
            attempts: config.max_attempts,
        })
    }

    /// Returns the micro-grid holding `at`; `None` outside every one.
    ///
    /// # Errors
    /// The registry is unreachable or failed.
    pub async fn resolve(
        &self,
        at: LatLng,
        caller: Option<&str>,
    ) -> Result<Option<Placement>, Unreachable> {
        let message = registry::ResolveLocationRequest {
            location: Some(registry::LatLng {
                lat: at.lat,
                lng: at.lng,
            }),
        };
        let outcome = client::retry_idempotent(self.attempts, || {
            let mut c = self.client.clone();
            async move {
                let request = match caller {
                    Some(token) => client::as_caller(message, token)?,
                    None => tonic::Request::new(message),
                };
                c.resolve_location(request).await
            }
        })
        .await;
        match outcome {
            Ok(response) => {
                let found = response.into_inner();
                let micro = found.micro_grid.unwrap_or_default();
                let village = found.ancestors.iter().find(|a| {
                    a.level == registry::GridLevel::Village as i32
                        || a.level == registry::GridLevel::Residential as i32
                });
                Ok(Some(Placement {
                    micro_grid_code: micro.code,
                    village_code: village.map(|v| v.code.clone()).unwrap_or_default(),
                }))
            }
            Err(status) if status.code() == Code::NotFound => Ok(None),
            Err(status) => Err(Unreachable(format!(
                "{:?}: {}",
                status.code(),
                status.message()
            ))),
        }
    }
}
