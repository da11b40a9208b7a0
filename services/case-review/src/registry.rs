//! What case review asks the grid registry when a policy is broken into
//! work items: every village and residential committee, their covered
//! objects by kind (rivers, high-risk enterprises, schools, farmland), their
//! special-care load (counted only, never kept) and their workstation
//! heads. Case review calls as itself (its service token), bounded by the
//! configured timeout and retried only because every call is a read. It
//! runs before any unit of work opens, so no transaction waits on the
//! network.

use std::collections::{BTreeMap, HashMap};

use platform::config::ClientConfig;
use platform::grpc::client::{self, Outgoing};
use proto::registry::v1 as registry;
use proto::registry::v1::registry_service_client::RegistryServiceClient;
use tonic::Code;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

use crate::domain::worklist::{VillageAttribute, VillageProfile};

/// Why the registry gave no answer to work with.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// It could not be reached, or failed.
    #[error("grid registry unreachable: {0}")]
    Unreachable(String),
    /// It refused case review a read (e.g. of special-care people, whose
    /// readers the registry's `care_person_read_roles` names).
    #[error("the grid registry refused case review: {0}")]
    Refused(String),
    /// The grid asked about is not the registry's.
    #[error("grid {0} is not in the registry")]
    UnknownGrid(String),
}

/// A client of the grid registry.
#[derive(Clone)]
pub struct Registry {
    client: RegistryServiceClient<InterceptedService<Channel, Outgoing>>,
    attempts: u32,
}

/// A grid as the villages' lookup needs it.
struct GridNode {
    level: i32,
    name: String,
    parent: String,
}

/// The registry's largest page.
const PAGE: u32 = 1000;

fn failed(status: &tonic::Status) -> RegistryError {
    match status.code() {
        Code::PermissionDenied | Code::Unauthenticated => {
            RegistryError::Refused(status.message().to_owned())
        }
        code => RegistryError::Unreachable(format!("{code:?}: {}", status.message())),
    }
}

impl Registry {
    /// Returns a client for `config`, calling with `service_token`.
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

    /// Returns every village and residential committee (under `under`, a
    /// grid code, when given) with its counts of `wanted` and its
    /// workstation head. Objects outside every micro-grid belong to no
    /// village and are not counted; `purpose` is recorded by the registry
    /// with the special-care read.
    ///
    /// # Errors
    /// The registry is unreachable, refuses a read, or does not know `under`.
    pub async fn villages(
        &self,
        under: Option<&str>,
        wanted: &[VillageAttribute],
        purpose: &str,
    ) -> Result<Vec<VillageProfile>, RegistryError> {
        let grids = self.grids().await?;
        if let Some(code) = under.filter(|c| !grids.contains_key(*c)) {
            return Err(RegistryError::UnknownGrid(code.to_owned()));
        }
        let is_village = |level: i32| {
            level == registry::GridLevel::Village as i32
                || level == registry::GridLevel::Residential as i32
        };
        // The village or residential committee holding a grid, walking up.
        let village_of = |code: &str| -> Option<String> {
            let mut at = code.to_owned();
            for _ in 0..8 {
                let node = grids.get(&at)?;
                if is_village(node.level) {
                    return Some(at);
                }
                at.clone_from(&node.parent);
            }
            None
        };
        let inside = |code: &str| {
            under.is_none_or(|u| {
                let mut at = code.to_owned();
                for _ in 0..8 {
                    if at == u {
                        return true;
                    }
                    match grids.get(&at) {
                        Some(node) if !node.parent.is_empty() => at.clone_from(&node.parent),
                        _ => return false,
                    }
                }
                false
            })
        };
        let mut villages: BTreeMap<String, VillageProfile> = grids
            .iter()
            .filter(|(code, node)| is_village(node.level) && inside(code))
            .map(|(code, node)| {
                (
                    code.clone(),
                    VillageProfile {
                        code: code.clone(),
                        name: node.name.clone(),
                        ..Default::default()
                    },
                )
            })
            .collect();
        for attribute in wanted {
            for micro in self.holders(*attribute, under, purpose).await? {
                if let Some(village) = village_of(&micro).and_then(|v| villages.get_mut(&v)) {
                    *village.counts.entry(*attribute).or_default() += 1;
                }
            }
        }
        let towns: Vec<&String> = grids
            .iter()
            .filter(|(_, n)| n.level == registry::GridLevel::Town as i32)
            .map(|(code, _)| code)
            .collect();
        for town in towns {
            for member in self.members(town).await? {
                let head = member.role == registry::MemberRole::WorkstationHead as i32;
                if let Some(village) = villages
                    .get_mut(&member.grid_code)
                    .filter(|v| head && member.active && v.chief.is_empty())
                {
                    village.chief = member.name;
                }
            }
        }
        Ok(villages.into_values().collect())
    }

    /// Returns every grid, by code.
    async fn grids(&self) -> Result<HashMap<String, GridNode>, RegistryError> {
        let mut grids = HashMap::new();
        let mut token = String::new();
        loop {
            let message = registry::ListGridsRequest {
                level: 0,
                parent_code: String::new(),
                page_size: PAGE,
                page_token: token.clone(),
                without_boundaries: true,
            };
            let page = client::retry_idempotent(self.attempts, || {
                let mut c = self.client.clone();
                let message = message.clone();
                async move { c.list_grids(message).await }
            })
            .await
            .map_err(|s| failed(&s))?
            .into_inner();
            for g in page.grids {
                grids.insert(
                    g.code,
                    GridNode {
                        level: g.level,
                        name: g.name,
                        parent: g.parent_code,
                    },
                );
            }
            if page.next_page_token.is_empty() {
                return Ok(grids);
            }
            token = page.next_page_token;
        }
    }

    /// Returns the micro-grid of each thing of `attribute`, one entry per
    /// thing (an object, or a special-care person).
    async fn holders(
        &self,
        attribute: VillageAttribute,
        under: Option<&str>,
        purpose: &str,
    ) -> Result<Vec<String>, RegistryError> {
        let kind = match attribute {
            VillageAttribute::Rivers => registry::ObjectKind::River,
            VillageAttribute::HighRiskEnterprises => registry::ObjectKind::Enterprise,
            VillageAttribute::Schools => registry::ObjectKind::School,
            VillageAttribute::Farmland => registry::ObjectKind::Farmland,
            VillageAttribute::SpecialCare => return self.care_holders(under, purpose).await,
            VillageAttribute::All => return Ok(Vec::new()),
        };
        let high_risk_only = attribute == VillageAttribute::HighRiskEnterprises;
        let mut found = Vec::new();
        let mut token = String::new();
        loop {
            let message = registry::ListObjectsRequest {
                kind: kind.into(),
                grid_code: under.unwrap_or_default().to_owned(),
                page_size: PAGE,
                page_token: token.clone(),
            };
            let page = client::retry_idempotent(self.attempts, || {
                let mut c = self.client.clone();
                let message = message.clone();
                async move { c.list_objects(message).await }
            })
            .await
            .map_err(|s| failed(&s))?
            .into_inner();
            found.extend(
                page.objects
                    .into_iter()
                    .filter(|o| !high_risk_only || o.high_risk)
                    .filter(|o| !o.micro_grid_code.is_empty())
                    .map(|o| o.micro_grid_code),
            );
            if page.next_page_token.is_empty() {
                return Ok(found);
            }
            token = page.next_page_token;
        }
    }

    /// Returns the micro-grid of each special-care person: only that is
    /// kept of the answer, and only to count.
    async fn care_holders(
        &self,
        under: Option<&str>,
        purpose: &str,
    ) -> Result<Vec<String>, RegistryError> {
        let mut found = Vec::new();
        let mut token = String::new();
        loop {
            let message = registry::ListCarePeopleRequest {
                grid_code: under.unwrap_or_default().to_owned(),
                category: 0,
                purpose: purpose.to_owned(),
                page_size: PAGE,
                page_token: token.clone(),
            };
            let page = client::retry_idempotent(self.attempts, || {
                let mut c = self.client.clone();
                let message = message.clone();
                async move { c.list_care_people(message).await }
            })
            .await
            .map_err(|s| failed(&s))?
            .into_inner();
            found.extend(page.people.into_iter().map(|p| p.micro_grid_code));
            if page.next_page_token.is_empty() {
                return Ok(found);
            }
            token = page.next_page_token;
        }
    }

    /// Returns the members of `town` and every grid below it.
    async fn members(&self, town: &str) -> Result<Vec<registry::Member>, RegistryError> {
        let message = registry::ListMembersRequest {
            grid_code: town.to_owned(),
            include_descendants: true,
        };
        let answer = client::retry_idempotent(self.attempts, || {
            let mut c = self.client.clone();
            let message = message.clone();
            async move { c.list_members(message).await }
        })
        .await
        .map_err(|s| failed(&s))?;
        Ok(answer.into_inner().members)
    }
}
