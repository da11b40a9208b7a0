//! What dispatch asks the grid registry: which micro-grid holds a location,
//! and who is responsible there for a safety domain. Dispatch asks as
//! itself, with its own service token, whoever's call it is serving: the
//! registry's answers do not depend on the caller's scope, and under
//! per-service audiences a caller's token (made for dispatch) is not valid
//! at the registry. Every call is bounded by the configured timeout, and is retried only because it is
//! a read. Answers come back as domain values.

use platform::config::ClientConfig;
use platform::grpc::client::{self, Outgoing};
use proto::registry::v1 as registry;
use proto::registry::v1::registry_service_client::RegistryServiceClient;
use tonic::Code;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

use crate::domain::grid::{
    Duty, GridRef, LatLng, Placement, ResponsibleParty, Village, VillageKind,
};

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
    /// Returns a client for `config`, sending `service_token` on every call.
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
    pub async fn resolve(&self, at: LatLng) -> Result<Option<Placement>, Unreachable> {
        let message = registry::ResolveLocationRequest {
            location: Some(registry::LatLng {
                lat: at.lat,
                lng: at.lng,
            }),
        };
        let outcome = client::retry_idempotent(self.attempts, || {
            let mut c = self.client.clone();
            async move { c.resolve_location(tonic::Request::new(message)).await }
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

    /// Returns the villages and residential committees.
    ///
    /// # Errors
    /// The registry is unreachable or failed.
    pub async fn villages(&self) -> Result<Vec<Village>, Unreachable> {
        let mut found = Vec::new();
        for (level, kind) in [
            (registry::GridLevel::Village, VillageKind::Village),
            (registry::GridLevel::Residential, VillageKind::Residential),
        ] {
            let message = registry::ListGridsRequest {
                level: level.into(),
                page_size: 1000,
                without_boundaries: true,
                ..Default::default()
            };
            let request = tonic::Request::new(message);
            let page = self
                .client
                .clone()
                .list_grids(request)
                .await
                .map_err(|s| Unreachable(format!("{:?}: {}", s.code(), s.message())))?;
            found.extend(page.into_inner().grids.into_iter().map(|g| Village {
                code: g.code,
                name: g.name,
                kind,
            }));
        }
        Ok(found)
    }

    /// Returns the responsibility chain at `at` for the safety `domain`.
    ///
    /// # Errors
    /// The registry is unreachable or failed.
    pub async fn responsible(
        &self,
        at: LatLng,
        domain: &str,
    ) -> Result<Vec<ResponsibleParty>, Unreachable> {
        let message = registry::FindResponsibleRequest {
            target: Some(registry::find_responsible_request::Target::Location(
                registry::LatLng {
                    lat: at.lat,
                    lng: at.lng,
                },
            )),
            domain_code: domain.to_owned(),
        };
        let outcome = client::retry_idempotent(self.attempts, || {
            let mut c = self.client.clone();
            let message = message.clone();
            async move { c.find_responsible(tonic::Request::new(message)).await }
        })
        .await;
        match outcome {
            Ok(response) => Ok(response
                .into_inner()
                .chain
                .into_iter()
                .filter_map(party)
                .collect()),
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

/// Returns a link of the chain as the domain knows it; `None` for a duty
/// this version does not know (no dispatch rule looks for it).
fn party(p: registry::ResponsibleParty) -> Option<ResponsibleParty> {
    use registry::Duty as D;
    let duty = match D::try_from(p.duty).ok()? {
        D::Unspecified => return None,
        D::FirstInquiry => Duty::FirstInquiry,
        D::MicroGridLeader => Duty::MicroGridLeader,
        D::Workstation => Duty::Workstation,
        D::Regulator => Duty::Regulator,
        D::CoManagement => Duty::CoManagement,
        D::LeaderOnDuty => Duty::LeaderOnDuty,
    };
    Some(ResponsibleParty {
        duty,
        grid: p.grid.map(|g| GridRef {
            code: g.code,
            name: g.name,
        }),
        department_code: p.department_code,
        department_name: p.department_name,
        person_name: if duty == Duty::LeaderOnDuty {
            p.person_name
        } else {
            // Only the leader's name is kept: the others' are the
            // registry's to show.
            String::new()
        },
    })
}
