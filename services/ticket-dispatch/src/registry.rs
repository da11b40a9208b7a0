//! What dispatch asks the grid registry: which micro-grid holds a location,
//! and who is responsible there for a safety domain. Dispatch asks as
//! itself, with its own service token, whoever's call it is serving: the
//! registry's answers do not depend on the caller's scope, and under
//! per-service audiences a caller's token (made for dispatch) is not valid
//! at the registry. Every call is bounded by the configured timeout, and is
//! retried only because it is a read. Answers come back as domain values.
//!
//! Where a location lies is answered here, without a call, from the grid
//! map dispatch keeps while it follows the registry's grid events
//! ([`crate::workers::follow_grids`]): the map is loaded after the
//! subscription and again after every grid event, and forgotten whenever
//! the events cannot be followed, so a map in use has missed no change the
//! registry published. A location the map places nowhere is asked of the
//! registry all the same (a grid just created, or truly outside the town).

use std::sync::{Arc, RwLock};

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
use crate::domain::placement::{GridEntry, GridMap, Level};

/// Grids asked for in one ListGrids page, with their boundaries.
const PAGE: u32 = 200;
/// The largest answer taken: a page of detailed boundaries is larger than
/// tonic's default 4 MiB (the registry sends up to 32 MiB).
const MAX_ANSWER_BYTES: usize = 32 * 1024 * 1024;

/// The registry could not answer.
#[derive(Debug, thiserror::Error)]
#[error("grid registry unreachable: {0}")]
pub struct Unreachable(pub String);

/// A client of the grid registry, with the grid map it keeps.
#[derive(Clone)]
pub struct Registry {
    client: RegistryServiceClient<InterceptedService<Channel, Outgoing>>,
    attempts: u32,
    map: Arc<RwLock<Option<Arc<GridMap>>>>,
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
            )
            .max_decoding_message_size(MAX_ANSWER_BYTES),
            attempts: config.max_attempts,
            map: Arc::default(),
        })
    }

    /// Returns the micro-grid holding `at`; `None` outside every one. The
    /// grid map answers when it is kept and places `at`; else the
    /// registry.
    ///
    /// # Errors
    /// The registry is unreachable or failed.
    pub async fn resolve(&self, at: LatLng) -> Result<Option<Placement>, Unreachable> {
        if let Some(placed) = self.map().and_then(|map| map.place(at)) {
            return Ok(Some(placed));
        }
        self.ask(at).await
    }

    /// Returns the grid map in use, if one is kept.
    pub fn map(&self) -> Option<Arc<GridMap>> {
        self.map
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Loads every grid from the registry and keeps the map they make;
    /// returns how many micro-grids it holds.
    ///
    /// # Errors
    /// The registry is unreachable or failed; the map kept before stays.
    pub async fn load_map(&self) -> Result<usize, Unreachable> {
        let mut entries = Vec::new();
        let mut page_token = String::new();
        loop {
            let message = registry::ListGridsRequest {
                page_size: PAGE,
                page_token: page_token.clone(),
                ..Default::default()
            };
            let page = client::retry_idempotent(self.attempts, || {
                let mut c = self.client.clone();
                let message = message.clone();
                async move { c.list_grids(tonic::Request::new(message)).await }
            })
            .await
            .map_err(|s| Unreachable(format!("{:?}: {}", s.code(), s.message())))?
            .into_inner();
            entries.extend(page.grids.into_iter().map(entry));
            if page.next_page_token.is_empty() {
                break;
            }
            page_token = page.next_page_token;
        }
        let map = GridMap::build(&entries);
        let held = map.len();
        *self
            .map
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(Arc::new(map));
        Ok(held)
    }

    /// Stops using the grid map: every location is asked of the registry
    /// until [`Registry::load_map`] keeps one again.
    pub fn forget_map(&self) {
        *self
            .map
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = None;
    }

    /// Asks the registry which micro-grid holds `at`; `None` outside
    /// every one.
    ///
    /// # Errors
    /// The registry is unreachable or failed.
    pub async fn ask(&self, at: LatLng) -> Result<Option<Placement>, Unreachable> {
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

/// Returns a listed grid as the grid map takes it.
fn entry(grid: registry::Grid) -> GridEntry {
    use registry::GridLevel as L;
    let level = match L::try_from(grid.level).unwrap_or(L::Unspecified) {
        L::Village | L::Residential => Level::Workstation,
        L::Micro => Level::MicroGrid,
        _ => Level::Other,
    };
    let points = |ring: Option<registry::Ring>| -> Vec<LatLng> {
        ring.map(|r| r.points)
            .unwrap_or_default()
            .into_iter()
            .map(|p| LatLng {
                lat: p.lat,
                lng: p.lng,
            })
            .collect()
    };
    let boundary = grid.boundary.unwrap_or_default();
    GridEntry {
        code: grid.code,
        name: grid.name,
        level,
        parent_code: grid.parent_code,
        exterior: points(boundary.exterior),
        holes: boundary
            .holes
            .into_iter()
            .map(|h| points(Some(h)))
            .collect(),
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
