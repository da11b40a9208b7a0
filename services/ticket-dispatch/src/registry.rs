//! What dispatch asks the grid registry: which micro-grid holds a location,
//! and who is responsible there for a safety domain. Every call forwards the
//! caller's identity when there is one (the service's own token otherwise),
//! is bounded by the configured timeout, and is retried only because it is
//! a read.

use platform::config::ClientConfig;
use platform::grpc::client::{self, Outgoing};
use proto::registry::v1 as registry;
use proto::registry::v1::registry_service_client::RegistryServiceClient;
use tonic::Code;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

/// Where a location lies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placement {
    pub micro_grid_code: String,
    pub micro_grid_name: String,
    /// The village or residential workstation above it.
    pub village_code: Option<String>,
    pub village_name: Option<String>,
}

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

    /// Returns the micro-grid holding (lat, lng); `None` outside every one.
    ///
    /// # Errors
    /// The registry is unreachable or failed.
    pub async fn resolve(
        &self,
        lat: f64,
        lng: f64,
        caller: Option<&str>,
    ) -> Result<Option<Placement>, Unreachable> {
        let message = registry::ResolveLocationRequest {
            location: Some(registry::LatLng { lat, lng }),
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
                    micro_grid_name: micro.name,
                    village_code: village.map(|v| v.code.clone()),
                    village_name: village.map(|v| v.name.clone()),
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

    /// Returns the villages and residential committees: (code, name, level).
    ///
    /// # Errors
    /// The registry is unreachable or failed.
    pub async fn villages(
        &self,
        caller: Option<&str>,
    ) -> Result<Vec<(String, String, String)>, Unreachable> {
        let mut found = Vec::new();
        for level in [
            registry::GridLevel::Village,
            registry::GridLevel::Residential,
        ] {
            let message = registry::ListGridsRequest {
                level: level.into(),
                page_size: 1000,
                without_boundaries: true,
                ..Default::default()
            };
            let request = match caller {
                Some(token) => client::as_caller(message, token)
                    .map_err(|s| Unreachable(s.message().to_owned()))?,
                None => tonic::Request::new(message),
            };
            let page = self
                .client
                .clone()
                .list_grids(request)
                .await
                .map_err(|s| Unreachable(format!("{:?}: {}", s.code(), s.message())))?;
            let name = if level == registry::GridLevel::Village {
                "VILLAGE"
            } else {
                "RESIDENTIAL"
            };
            found.extend(
                page.into_inner()
                    .grids
                    .into_iter()
                    .map(|g| (g.code, g.name, name.to_owned())),
            );
        }
        Ok(found)
    }

    /// Returns the responsibility chain at (lat, lng) for `domain`.
    ///
    /// # Errors
    /// The registry is unreachable or failed.
    pub async fn responsible(
        &self,
        lat: f64,
        lng: f64,
        domain: &str,
        caller: Option<&str>,
    ) -> Result<Vec<registry::ResponsibleParty>, Unreachable> {
        let message = registry::FindResponsibleRequest {
            target: Some(registry::find_responsible_request::Target::Location(
                registry::LatLng { lat, lng },
            )),
            domain_code: domain.to_owned(),
        };
        let outcome = client::retry_idempotent(self.attempts, || {
            let mut c = self.client.clone();
            let message = message.clone();
            async move {
                let request = match caller {
                    Some(token) => client::as_caller(message, token)?,
                    None => tonic::Request::new(message),
                };
                c.find_responsible(request).await
            }
        })
        .await;
        match outcome {
            Ok(response) => Ok(response.into_inner().chain),
            Err(status) if matches!(status.code(), Code::NotFound | Code::InvalidArgument) => {
                Ok(Vec::new())
            }
            Err(status) => Err(Unreachable(format!(
                "{:?}: {}",
                status.code(),
                status.message()
            ))),
        }
    }
}
