//! A registry served on a free port over a test's own database and NATS
//! subject prefix, with clients for any role: the harness of this crate's
//! API tests, the system tests and the benchmarks. Compiled only with the
//! `testkit` feature.
//!
//! [`Registry`] is a typed client: `registry.create_grid(request)` returns
//! the created `pb::Grid` (and panics if refused), `try_create_grid`
//! returns the status a test expects. A [`TestApp`] is also the town
//! operator's typed client (`app.create_grid(..)`).

use std::net::SocketAddr;
use std::ops::Deref;
use std::sync::Arc;

use platform::auth::Role;
use platform::clock::ManualClock;
use platform::grpc::client::Outgoing;
use platform::testing::Served;
use proto::registry::v1 as pb;
use proto::registry::v1::registry_service_client::RegistryServiceClient;
use sqlx::PgPool;
use tonic::Status;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

pub use fixtures::town::{grid_request, rect, small_town, start_time};

use crate::config::DEFAULTS;
use crate::{App, RegistryConfig};

/// A registry client sending a bearer token.
pub type Client = RegistryServiceClient<InterceptedService<Channel, Outgoing>>;

/// A registry serving on a free port; it derefs to the town operator's
/// typed client.
pub struct TestApp {
    pub addr: SocketAddr,
    pub config: RegistryConfig,
    operator: Registry,
    served: Served<App>,
}

/// Configuration for a test instance: free port, no metrics endpoint, a
/// fresh NATS prefix, a quick relay; `overrides` are `WEIGRID_REGISTRY__…`
/// style keys without the prefix (e.g. `NATS__URL`).
pub fn test_config(prefix: &str, overrides: &[(&str, String)]) -> RegistryConfig {
    let mut settings = vec![
        ("NATS__ACK_TIMEOUT", "1s".to_owned()),
        ("OUTBOX__MAX_BACKOFF", "200ms".to_owned()),
    ];
    settings.extend_from_slice(overrides);
    platform::testing::service_config("registry", DEFAULTS, prefix, &settings)
}

impl TestApp {
    /// Checks the role matrix cell by cell against the running service
    /// (see [`platform::testing::assert_policy`]); returns it as a table.
    pub async fn assert_policy(&self) -> String {
        platform::testing::assert_policy(&self.served).await
    }

    /// Migrates `pool` and serves a registry on it.
    pub async fn spawn(pool: PgPool) -> Self {
        Self::spawn_with(pool, test_config(&platform::testing::unique_prefix(), &[])).await
    }

    /// Serves a registry with `config` (the pool is migrated first).
    pub async fn spawn_with(pool: PgPool, config: RegistryConfig) -> Self {
        let clock = ManualClock::new(start_time());
        let served = Served::start(pool, config.clone(), Arc::new(clock)).await;
        let addr = served.addr();
        let operator = Registry::new(client(
            Channel::from_shared(format!("http://{addr}"))
                .expect("a socket address is a URI")
                .connect_lazy(),
            Role::TownOperator,
            None,
        ));
        Self {
            addr,
            config,
            operator,
            served,
        }
    }

    /// Asks the app to stop (as SIGTERM does) and waits until it has.
    pub async fn shutdown(&mut self) {
        self.served.stop().await.expect("app stops cleanly");
    }

    /// Returns a channel to the app.
    pub async fn channel(&self) -> Channel {
        Channel::from_shared(format!("http://{}", self.addr))
            .unwrap()
            .connect()
            .await
            .expect("app accepts connections")
    }

    /// Returns a client acting with `role`, scoped to `scope`.
    pub async fn client_as(&self, role: Role, scope: Option<&str>) -> Client {
        client(self.channel().await, role, scope)
    }

    /// Returns a typed client acting with `role`, scoped to `scope`.
    pub async fn acting_as(&self, role: Role, scope: Option<&str>) -> Registry {
        Registry::new(self.client_as(role, scope).await)
    }

    /// Returns a town operator's client.
    pub async fn operator(&self) -> Client {
        self.client_as(Role::TownOperator, None).await
    }

    /// Returns the stream name of this app's events.
    pub fn bus_config(&self) -> &platform::config::NatsConfig {
        &self.config.service.nats
    }
}

impl Deref for TestApp {
    type Target = Registry;

    fn deref(&self) -> &Registry {
        &self.operator
    }
}

/// Returns a client over `channel` acting with `role` in `scope`.
fn client(channel: Channel, role: Role, scope: Option<&str>) -> Client {
    RegistryServiceClient::with_interceptor(
        channel,
        Outgoing::bearer(&token(role, scope)).expect("a development token is a valid header"),
    )
    .max_decoding_message_size(64 * 1024 * 1024)
}

/// Returns a development token of the subject `test-<role>`.
pub fn token(role: Role, scope: Option<&str>) -> String {
    platform::testing::token(&format!("test-{role}"), role, scope)
}

/// A typed registry client acting for one caller: each call returns the
/// value the test cares about.
#[derive(Clone)]
pub struct Registry {
    client: Client,
}

impl Registry {
    /// Returns the typed client over `client`.
    pub fn new(client: Client) -> Self {
        Self { client }
    }

    /// Returns the generated client, for calls the typed one lacks.
    pub fn client(&self) -> Client {
        self.client.clone()
    }

    /// Creates the small town (see [`small_town`]).
    pub async fn small_town(&self) {
        small_town(&mut self.client()).await;
    }

    /// Returns the grid coded `code` with its ancestors; panics if refused.
    pub async fn grid(&self, code: &str) -> pb::GetGridResponse {
        self.get_grid(by_code(code)).await
    }

    /// Returns the grid coded `code` with its ancestors, or the refusal.
    ///
    /// # Errors
    /// The status the registry refused the call with.
    pub async fn try_grid(&self, code: &str) -> Result<pb::GetGridResponse, Status> {
        self.try_get_grid(by_code(code)).await
    }

    /// Returns the covered object coded `code`; panics if refused.
    pub async fn object(&self, code: &str) -> pb::CoveredObject {
        self.get_object(object_by_code(code)).await
    }

    /// Returns the covered object coded `code`, or the refusal.
    ///
    /// # Errors
    /// The status the registry refused the call with.
    pub async fn try_object(&self, code: &str) -> Result<pb::CoveredObject, Status> {
        self.try_get_object(object_by_code(code)).await
    }

    /// Returns the coverage report of the grid coded `code` (empty: the town).
    pub async fn coverage(&self, code: &str) -> pb::GetCoverageReportResponse {
        self.get_coverage_report(pb::GetCoverageReportRequest {
            grid_code: code.into(),
        })
        .await
    }
}

fn by_code(code: &str) -> pb::GetGridRequest {
    pb::GetGridRequest {
        code: code.into(),
        ..Default::default()
    }
}

fn object_by_code(code: &str) -> pb::GetObjectRequest {
    pb::GetObjectRequest {
        code: code.into(),
        ..Default::default()
    }
}

/// Writes a typed method and its `try_` twin for each RPC: `$rpc` returns
/// `$answer` (panicking with the status when refused), `$try_rpc` returns
/// the refusal.
macro_rules! typed_calls {
    ($($rpc:ident, $try_rpc:ident: $request:ty => $out:ty = |$response:ident| $answer:expr;)+) => {
        impl Registry {
            $(
                #[doc = concat!("Calls ", stringify!($rpc), "; returns the status when refused.")]
                pub async fn $try_rpc(&self, request: $request) -> Result<$out, Status> {
                    let $response = self.client.clone().$rpc(request).await?.into_inner();
                    Ok($answer)
                }

                #[doc = concat!("Calls ", stringify!($rpc), "; panics when refused.")]
                pub async fn $rpc(&self, request: $request) -> $out {
                    match self.$try_rpc(request).await {
                        Ok(out) => out,
                        Err(status) => panic!("{} refused: {status:?}", stringify!($rpc)),
                    }
                }
            )+
        }
    };
}

typed_calls! {
    create_grid, try_create_grid: pb::CreateGridRequest => pb::Grid
        = |r| r.grid.expect("a created grid");
    update_grid, try_update_grid: pb::UpdateGridRequest => pb::Grid
        = |r| r.grid.expect("an updated grid");
    get_grid, try_get_grid: pb::GetGridRequest => pb::GetGridResponse = |r| r;
    list_grids, try_list_grids: pb::ListGridsRequest => pb::ListGridsResponse = |r| r;
    resolve_location, try_resolve_location: pb::ResolveLocationRequest
        => pb::ResolveLocationResponse = |r| r;
    add_member, try_add_member: pb::AddMemberRequest => pb::Member
        = |r| r.member.expect("an added member");
    remove_member, try_remove_member: pb::RemoveMemberRequest => pb::Member
        = |r| r.member.expect("a removed member");
    list_members, try_list_members: pb::ListMembersRequest => Vec<pb::Member> = |r| r.members;
    get_coverage_report, try_get_coverage_report: pb::GetCoverageReportRequest
        => pb::GetCoverageReportResponse = |r| r;
    create_object, try_create_object: pb::CreateObjectRequest => pb::CoveredObject
        = |r| r.object.expect("a created object");
    get_object, try_get_object: pb::GetObjectRequest => pb::CoveredObject
        = |r| r.object.expect("an object");
    list_objects, try_list_objects: pb::ListObjectsRequest => pb::ListObjectsResponse = |r| r;
    create_care_person, try_create_care_person: pb::CreateCarePersonRequest => pb::CarePerson
        = |r| r.person.expect("a registered person");
    list_care_people, try_list_care_people: pb::ListCarePeopleRequest => Vec<pb::CarePerson>
        = |r| r.people;
    list_care_access_log, try_list_care_access_log: pb::ListCareAccessLogRequest
        => Vec<pb::CareAccess> = |r| r.entries;
    upsert_safety_domain, try_upsert_safety_domain: pb::UpsertSafetyDomainRequest
        => pb::SafetyDomain = |r| r.domain.expect("a safety domain");
    upsert_department, try_upsert_department: pb::UpsertDepartmentRequest => pb::Department
        = |r| r.department.expect("a department");
    list_departments, try_list_departments: pb::ListDepartmentsRequest => Vec<pb::Department>
        = |r| r.departments;
    assign_domain_duty, try_assign_domain_duty: pb::AssignDomainDutyRequest => pb::DomainDuty
        = |r| r.duty.expect("a duty");
    find_responsible, try_find_responsible: pb::FindResponsibleRequest
        => pb::FindResponsibleResponse = |r| r;
    export_map, try_export_map: pb::ExportMapRequest => pb::ExportMapResponse = |r| r;
    import_geo_json, try_import_geo_json: pb::ImportGeoJsonRequest
        => pb::ImportGeoJsonResponse = |r| r;
}
