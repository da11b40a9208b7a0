//! A dispatch instance on a free port over a test's own database, next to a
//! grid registry run as its own binary on a database of its own
//! ([`fixtures::registry::TestRegistry`], dropped by
//! [`TestDispatch::cleanup`]), with a manual clock: the harness of this
//! crate's API tests and of the services that talk to dispatch. An
//! [`Actor`] calls it as one caller, with typed answers, so that a test
//! reads as the rule it checks.
//!
//! Compiled only for tests and with the `testkit` feature.

use std::net::SocketAddr;
use std::sync::Arc;

use chrono::TimeDelta;
pub use fixtures::registry::TestRegistry;
pub use fixtures::start_time;
use platform::auth::Role;
use platform::clock::ManualClock;
use platform::grpc::client::Outgoing;
use platform::testing::{ScratchDatabase, Served};
use proto::dispatch::v1 as pb;
use proto::dispatch::v1::dispatch_service_client::DispatchServiceClient;
use proto::registry::v1 as registry;
use sqlx::PgPool;
use tonic::Status;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

use crate::config::DEFAULTS;
use crate::{App, DispatchConfig};

/// A dispatch client sending a bearer token.
pub type Client = DispatchServiceClient<InterceptedService<Channel, Outgoing>>;

/// Configuration for a test instance; `overrides` are `WEIGRID_DISPATCH__…`
/// keys without the prefix.
pub fn test_config(prefix: &str, registry: &str, overrides: &[(&str, String)]) -> DispatchConfig {
    let mut settings = vec![
        ("CLIENTS__REGISTRY__ENDPOINT", format!("http://{registry}")),
        ("CLIENTS__REGISTRY__CONNECT_TIMEOUT", "300ms".to_owned()),
        ("CLIENTS__REGISTRY__REQUEST_TIMEOUT", "1s".to_owned()),
        ("CLIENTS__REGISTRY__MAX_ATTEMPTS", "1".to_owned()),
        ("WORKERS__TIMER_INTERVAL", "20ms".to_owned()),
        ("WORKERS__ROUTER_INTERVAL", "100ms".to_owned()),
        // The kit's registry publishes on a prefix of its own: dispatch
        // asks it for every location ([`TestDispatch::spawn_with_grid_map`]
        // starts one on dispatch's prefix, whose grid map dispatch keeps).
        ("PLACEMENTS__SOURCE", String::new()),
    ];
    settings.extend_from_slice(overrides);
    platform::testing::service_config("dispatch", DEFAULTS, prefix, &settings)
}

/// Dispatch and a registry, for one test.
pub struct TestDispatch {
    pub addr: SocketAddr,
    pub clock: ManualClock,
    pub config: DispatchConfig,
    pub registry: Option<TestRegistry>,
    served: Served<App>,
    /// Dispatch's own database, when another service's test runs it.
    own_db: Option<ScratchDatabase>,
}

pub use platform::testing::free_port;

impl TestDispatch {
    /// Checks the role matrix cell by cell against the running service
    /// (see [`platform::testing::assert_policy`]); returns it as a table.
    pub async fn assert_policy(&self) -> String {
        platform::testing::assert_policy(&self.served).await
    }

    /// Starts a registry with the small town, then dispatch over `pool`.
    pub async fn spawn(pool: PgPool) -> Self {
        let mut test = Self::spawn_without_registry(pool, free_port()).await;
        test.start_registry().await;
        test
    }

    /// Starts dispatch pointed at a registry on `registry_port` that is not
    /// running yet ([`TestDispatch::start_registry`] starts it).
    pub async fn spawn_without_registry(pool: PgPool, registry_port: u16) -> Self {
        let config = test_config(
            &platform::testing::unique_prefix(),
            &format!("127.0.0.1:{registry_port}"),
            &[],
        );
        Self::start(pool, config, None).await
    }

    /// Starts dispatch over `pool` with `config` (its registry not yet
    /// running: [`TestDispatch::start_registry_with`] starts it).
    pub async fn spawn_configured(pool: PgPool, config: DispatchConfig) -> Self {
        Self::start(pool, config, None).await
    }

    /// Starts a registry and dispatch on databases of their own and on the
    /// NATS subject `prefix`: the dispatch another service's test talks to.
    pub async fn spawn_beside(prefix: &str) -> Self {
        Self::spawn_beside_with(prefix, &[]).await
    }

    /// Starts as [`TestDispatch::spawn_beside`] does, with configuration
    /// `overrides` (e.g. `NATS__URL`, for a private NATS server).
    pub async fn spawn_beside_with(prefix: &str, overrides: &[(&str, String)]) -> Self {
        let db = ScratchDatabase::create("dispatch").await;
        let config = test_config(prefix, &format!("127.0.0.1:{}", free_port()), overrides);
        let mut test = Self::start(db.pool.clone(), config, Some(db)).await;
        test.start_registry().await;
        test
    }

    /// Starts dispatch on a fresh prefix with its registry on the same
    /// prefix, as deployed: dispatch follows the registry's grid events and
    /// places locations from the grid map it keeps (once loaded).
    pub async fn spawn_with_grid_map() -> Self {
        let prefix = platform::testing::unique_prefix();
        let source = ("PLACEMENTS__SOURCE", "REGISTRY:registry".to_owned());
        let mut test = Self::spawn_beside_with(&prefix, &[source]).await;
        let registry = test.registry.as_mut().expect("the registry was started");
        registry.prefix = prefix;
        registry.restart(&[]).await;
        test
    }

    /// Starts as [`TestDispatch::spawn_beside`] does, with a registry
    /// holding only what `register` puts there instead of the small town
    /// (a whole town's data set, for the tests that need every grid).
    pub async fn spawn_beside_town(
        prefix: &str,
        register: impl AsyncFnOnce(fixtures::town::Client),
    ) -> Self {
        let db = ScratchDatabase::create("dispatch").await;
        let config = test_config(prefix, &format!("127.0.0.1:{}", free_port()), &[]);
        let mut test = Self::start(db.pool.clone(), config, Some(db)).await;
        let registry = TestRegistry::start_registered(test.registry_addr(), &[], register).await;
        test.registry = Some(registry);
        test
    }

    /// Returns the address dispatch expects its registry at.
    fn registry_addr(&self) -> SocketAddr {
        let endpoint = &self.config.clients.registry.endpoint;
        endpoint
            .rsplit('/')
            .next()
            .and_then(|authority| authority.parse().ok())
            .unwrap_or_else(|| panic!("the registry endpoint {endpoint} is host:port"))
    }

    async fn start(pool: PgPool, config: DispatchConfig, own_db: Option<ScratchDatabase>) -> Self {
        let clock = ManualClock::new(start_time());
        let served = Served::start(pool, config.clone(), Arc::new(clock.clone())).await;
        Self {
            addr: served.addr(),
            clock,
            config,
            registry: None,
            served,
            own_db,
        }
    }

    /// Stops dispatch (the registry keeps running): an outage.
    pub async fn stop(&mut self) {
        let _ = self.served.stop().await;
    }

    /// Starts dispatch again after [`TestDispatch::stop`], on the same
    /// database, port and prefix.
    pub async fn restart(&mut self) {
        self.served.restart().await;
        self.addr = self.served.addr();
    }

    /// Starts the registry on the port dispatch expects, with the small town
    /// and one responsible department per domain used by the categories.
    pub async fn start_registry(&mut self) {
        self.start_registry_with(&[]).await;
    }

    /// Starts the registry as [`TestDispatch::start_registry`] does, with
    /// configuration `overrides` (`WEIGRID_REGISTRY__…` keys without the
    /// prefix, e.g. `AUTH__AUDIENCE`). A registry stopped by
    /// [`TestDispatch::stop_registry`] comes back over its own database.
    pub async fn start_registry_with(&mut self, overrides: &[(&str, String)]) {
        let addr = self.registry_addr();
        match self.registry.as_mut() {
            Some(registry) => registry.restart(overrides).await,
            None => {
                let registry = TestRegistry::start_with(addr, overrides, responsible_units).await;
                self.registry = Some(registry);
            }
        }
    }

    /// Stops the registry (SIGTERM): an outage dispatch must ride out. Its
    /// database stays for [`TestDispatch::start_registry`].
    pub async fn stop_registry(&mut self) {
        if let Some(registry) = self.registry.as_mut() {
            registry.shutdown().await;
        }
    }

    /// Returns a client acting with `role` in `scope`.
    pub async fn client_as(&self, role: Role, scope: Option<&str>) -> Client {
        let channel = Channel::from_shared(format!("http://{}", self.addr))
            .unwrap()
            .connect()
            .await
            .expect("dispatch accepts connections");
        DispatchServiceClient::with_interceptor(
            channel,
            Outgoing::bearer(&platform::testing::token(
                &format!("test-{role}"),
                role,
                scope,
            ))
            .unwrap(),
        )
    }

    /// Returns the town centre desk's client.
    pub async fn desk(&self) -> Client {
        self.client_as(Role::TownOperator, None).await
    }

    /// Returns dispatch as a caller with `role` in `scope` sees it.
    pub async fn actor(&self, role: Role, scope: Option<&str>) -> Actor {
        Actor {
            client: self.client_as(role, scope).await,
        }
    }

    /// Returns dispatch as the town centre's desk sees it.
    pub async fn at_desk(&self) -> Actor {
        self.actor(Role::TownOperator, None).await
    }

    /// Returns a client of the registry dispatch asks, calling as
    /// dispatch does (for the tests that run its workers by hand).
    pub fn registry_client(&self) -> crate::registry::Registry {
        let token = platform::testing::token("ticket-dispatch", Role::Service, None);
        crate::registry::Registry::new(&self.config.clients.registry, &token)
            .expect("the test registry's endpoint is well formed")
    }

    /// Moves the manual clock forward.
    pub fn advance(&self, by: TimeDelta) {
        self.clock.advance(by);
    }

    /// Stops both services and drops the databases created here.
    pub async fn cleanup(mut self) {
        self.stop().await;
        if let Some(registry) = self.registry.take() {
            registry.cleanup().await;
        }
        if let Some(db) = self.own_db.take() {
            db.drop_database().await;
        }
    }
}

/// Registers one responsible department per safety domain the categories
/// of the tests use, beside the small town.
async fn responsible_units(mut client: fixtures::town::Client) {
    for (code, name) in [
        ("ECOLOGICAL_ENVIRONMENT", "生态环境"),
        ("FIRE_SAFETY", "消防安全"),
        ("SOCIAL_STABILITY", "社会稳定"),
        ("ROAD_TRAFFIC_SAFETY", "道路交通安全"),
    ] {
        client
            .upsert_safety_domain(registry::UpsertSafetyDomainRequest {
                domain: Some(registry::SafetyDomain {
                    code: code.into(),
                    name: name.into(),
                }),
                ..Default::default()
            })
            .await
            .expect("the safety domain is kept");
    }
    // The responsibility book names a leader for sanitation's domain
    // (属人责任): the top of its escalation.
    client
        .assign_domain_duty(registry::AssignDomainDutyRequest {
            domain_code: "ECOLOGICAL_ENVIRONMENT".into(),
            leader_name: "周镇长".into(),
            leader_title: "副镇长".into(),
            phone: "13300000001".into(),
            starts_at: Some(prost_types::Timestamp {
                seconds: start_time().timestamp() - 86_400,
                nanos: 0,
            }),
            ..Default::default()
        })
        .await
        .expect("the duty is kept");
    // The police regulate social stability; the judicial office
    // co-manages it (mediation): what a non-police 110 call is routed by.
    for (code, name, kind, regulates, domain) in [
        (
            "URBAN_MANAGEMENT",
            "城管中队",
            registry::DepartmentKind::Regulatory,
            vec![registry::ObjectKind::Shop.into()],
            "ECOLOGICAL_ENVIRONMENT",
        ),
        (
            "POLICE",
            "廊下派出所",
            registry::DepartmentKind::Regulatory,
            vec![],
            "SOCIAL_STABILITY",
        ),
        (
            "JUDICIAL_OFFICE",
            "司法所",
            registry::DepartmentKind::CoManagement,
            vec![],
            "SOCIAL_STABILITY",
        ),
    ] {
        client
            .upsert_department(registry::UpsertDepartmentRequest {
                department: Some(registry::Department {
                    code: code.into(),
                    name: name.into(),
                    kind: kind.into(),
                    regulates,
                    domains: vec![domain.into()],
                }),
                ..Default::default()
            })
            .await
            .expect("the department is kept");
    }
}

/// Returns the request rejecting `ticket` for `reason`, with a note.
pub fn reject(ticket: &pb::Ticket, reason: pb::RejectReason) -> pb::RejectTicketRequest {
    pb::RejectTicketRequest {
        ticket_id: ticket.id.clone(),
        reason: reason.into(),
        note: "核实为无效报告".into(),
        ..Default::default()
    }
}

/// A request of one of dispatch's move RPCs (DispatchTicket, AcceptTicket,
/// … ResolveTask), as [`Actor::move_`] makes it: each answers the ticket
/// after the move.
pub trait MoveRequest: Default + Send + Sized + 'static {
    /// The RPC's name, for a refusal's message.
    const RPC: &'static str;

    /// Returns the request with `ticket_id` set.
    fn of_ticket(self, ticket_id: String) -> Self;

    /// Makes the call over `client`.
    fn call(
        self,
        client: Client,
    ) -> impl std::future::Future<Output = Result<pb::Ticket, Status>> + Send;
}

macro_rules! move_requests {
    ($($request:ident => $rpc:ident, $name:literal;)*) => {$(
        impl MoveRequest for pb::$request {
            const RPC: &'static str = $name;

            fn of_ticket(self, ticket_id: String) -> Self {
                Self { ticket_id, ..self }
            }

            async fn call(self, mut client: Client) -> Result<pb::Ticket, Status> {
                let answer = client.$rpc(self).await?;
                Ok(carried(answer.into_inner().ticket))
            }
        }
    )*};
}

move_requests! {
    DispatchTicketRequest => dispatch_ticket, "DispatchTicket";
    AcceptTicketRequest => accept_ticket, "AcceptTicket";
    StartWorkRequest => start_work, "StartWork";
    ResolveTicketRequest => resolve_ticket, "ResolveTicket";
    ReturnTicketRequest => return_ticket, "ReturnTicket";
    VerifyTicketRequest => verify_ticket, "VerifyTicket";
    FollowUpTicketRequest => follow_up_ticket, "FollowUpTicket";
    CloseTicketRequest => close_ticket, "CloseTicket";
    ReopenTicketRequest => reopen_ticket, "ReopenTicket";
    AcceptTaskRequest => accept_task, "AcceptTask";
    ResolveTaskRequest => resolve_task, "ResolveTask";
    ReturnTaskRequest => return_task, "ReturnTask";
}

/// Returns the move `R` of `ticket` with every other field at its default:
/// `on::<pb::AcceptTicketRequest>(&t)`, or the rest of a request,
/// `pb::ResolveTicketRequest { result: "…".into(), ..on(&t) }`.
pub fn on<R: MoveRequest>(ticket: &pb::Ticket) -> R {
    R::default().of_ticket(ticket.id.clone())
}

/// Returns the return (退单) of `ticket` for `reason`, with a note.
pub fn return_of(ticket: &pb::Ticket, reason: pb::ReturnReason) -> pb::ReturnTicketRequest {
    pb::ReturnTicketRequest {
        reason: reason.into(),
        note: "不属于我方职责".into(),
        ..on(ticket)
    }
}

/// Returns the desk's referral of `ticket` to a major legal-risk review of
/// `question`, with `parties`.
pub fn referral(ticket: &pb::Ticket, question: &str, parties: &[&str]) -> pb::ReferTicketRequest {
    pb::ReferTicketRequest {
        idempotency_key: format!("refer-{}", ticket.id),
        ticket_id: ticket.id.clone(),
        kind: pb::ReferralKind::LegalRisk.into(),
        question: question.into(),
        materials: vec![format!("ticket:{}", ticket.number)],
        parties: parties.iter().map(|p| (*p).to_owned()).collect(),
        major: true,
        deadline: None,
        urgent: false,
    }
}

/// The holding unit signs for `ticket` and resolves it with `result`; the
/// desk verifies the result as true.
pub async fn handle_and_verify(unit: &Client, desk: &Client, ticket: &pb::Ticket, result: &str) {
    on::<pb::AcceptTicketRequest>(ticket)
        .call(unit.clone())
        .await
        .expect("the unit signs for it");
    pb::ResolveTicketRequest {
        result: result.into(),
        ..on(ticket)
    }
    .call(unit.clone())
    .await
    .expect("the unit resolves it");
    pb::VerifyTicketRequest {
        verified_true: true,
        ..on(ticket)
    }
    .call(desk.clone())
    .await
    .expect("the desk verifies it");
}

/// Returns the answer of `rpc`, panicking with the status when refused.
fn granted<T>(rpc: &str, answer: Result<T, Status>) -> T {
    answer.unwrap_or_else(|status| panic!("{rpc} refused: {status:?}"))
}

/// Returns the ticket an answer carries.
fn carried(ticket: Option<pb::Ticket>) -> pb::Ticket {
    ticket.expect("the answer carries the ticket")
}

/// Dispatch as one caller sees it: typed calls answering with the pb
/// values (and panicking with the status when refused), and `try_` twins
/// answering with the refusal, for the tests that expect one.
#[derive(Clone)]
pub struct Actor {
    client: Client,
}

impl Actor {
    /// Returns the caller's generated client, for the calls not typed here.
    pub fn client(&self) -> Client {
        self.client.clone()
    }

    /// Takes `request` in; returns the ticket.
    pub async fn create_ticket(&self, request: pb::CreateTicketRequest) -> pb::Ticket {
        granted("CreateTicket", self.try_create_ticket(request).await)
    }

    /// Takes `request` in, or returns the refusal.
    pub async fn try_create_ticket(
        &self,
        request: pb::CreateTicketRequest,
    ) -> Result<pb::Ticket, Status> {
        let answer = self.client.clone().create_ticket(request).await?;
        Ok(carried(answer.into_inner().ticket))
    }

    /// Returns the ticket `id` with its history and tasks.
    pub async fn ticket(&self, id: &str) -> pb::Ticket {
        granted("GetTicket", self.try_ticket(id).await)
    }

    /// Returns the ticket `id`, or the refusal.
    pub async fn try_ticket(&self, id: &str) -> Result<pb::Ticket, Status> {
        let request = pb::GetTicketRequest {
            id: id.to_owned(),
            ..Default::default()
        };
        let answer = self.client.clone().get_ticket(request).await?;
        Ok(carried(answer.into_inner().ticket))
    }

    /// Returns the tickets `request` lists (the first page).
    pub async fn list(&self, request: pb::ListTicketsRequest) -> Vec<pb::Ticket> {
        let answer = self.client.clone().list_tickets(request).await;
        granted("ListTickets", answer).into_inner().tickets
    }

    /// Returns the tickets of `queue`.
    pub async fn queue(&self, queue: pb::list_tickets_request::Queue) -> Vec<pb::Ticket> {
        self.list(pb::ListTicketsRequest {
            queue: queue.into(),
            ..Default::default()
        })
        .await
    }

    /// Makes the move `request` (see [`on`]); returns the ticket after it.
    pub async fn move_<R: MoveRequest>(&self, request: R) -> pb::Ticket {
        granted(R::RPC, self.try_move(request).await)
    }

    /// Makes the move `request`, or returns the refusal.
    pub async fn try_move<R: MoveRequest>(&self, request: R) -> Result<pb::Ticket, Status> {
        request.call(self.client.clone()).await
    }

    /// Refers a ticket to review as `request` says (see [`referral`]);
    /// returns the ticket under review.
    pub async fn refer(&self, request: pb::ReferTicketRequest) -> pb::Ticket {
        granted("ReferTicket", self.try_refer(request).await)
    }

    /// Refers a ticket to review, or returns the refusal.
    pub async fn try_refer(&self, request: pb::ReferTicketRequest) -> Result<pb::Ticket, Status> {
        let answer = self.client.clone().refer_ticket(request).await?;
        Ok(carried(answer.into_inner().ticket))
    }

    /// Rejects `ticket` at the desk as not a case for `reason`.
    pub async fn reject(&self, ticket: &pb::Ticket, reason: pb::RejectReason) -> pb::Ticket {
        granted(
            "RejectTicket",
            self.try_reject(reject(ticket, reason)).await,
        )
    }

    /// Rejects a ticket as `request` says, or returns the refusal.
    pub async fn try_reject(&self, request: pb::RejectTicketRequest) -> Result<pb::Ticket, Status> {
        let answer = self.client.clone().reject_ticket(request).await?;
        Ok(carried(answer.into_inner().ticket))
    }

    /// Dispatches `ticket` along the responsibility chain.
    pub async fn dispatch(&self, ticket: &pb::Ticket) -> pb::Ticket {
        self.move_(on::<pb::DispatchTicketRequest>(ticket)).await
    }

    /// Signs for `ticket`.
    pub async fn accept(&self, ticket: &pb::Ticket) -> pb::Ticket {
        self.move_(on::<pb::AcceptTicketRequest>(ticket)).await
    }

    /// Starts handling `ticket`.
    pub async fn start(&self, ticket: &pb::Ticket) -> pb::Ticket {
        self.move_(on::<pb::StartWorkRequest>(ticket)).await
    }

    /// Resolves `ticket` with `result`.
    pub async fn resolve(&self, ticket: &pb::Ticket, result: &str) -> pb::Ticket {
        self.move_(pb::ResolveTicketRequest {
            result: result.into(),
            ..on(ticket)
        })
        .await
    }

    /// Verifies `ticket`'s result, as true or not.
    pub async fn verify(&self, ticket: &pb::Ticket, result_true: bool) -> pb::Ticket {
        self.move_(pb::VerifyTicketRequest {
            verified_true: result_true,
            ..on(ticket)
        })
        .await
    }

    /// Records the reporter's `satisfaction` (1–5) with `ticket`.
    pub async fn follow_up(&self, ticket: &pb::Ticket, satisfaction: u32) -> pb::Ticket {
        self.move_(pb::FollowUpTicketRequest {
            satisfaction,
            ..on(ticket)
        })
        .await
    }

    /// Closes `ticket`.
    pub async fn close(&self, ticket: &pb::Ticket) -> pb::Ticket {
        self.move_(on::<pb::CloseTicketRequest>(ticket)).await
    }

    /// Closes `ticket` without a follow-up: the reporter cannot be reached.
    pub async fn close_unreachable(&self, ticket: &pb::Ticket) -> pb::Ticket {
        self.move_(pb::CloseTicketRequest {
            reporter_unreachable: true,
            ..on(ticket)
        })
        .await
    }

    /// As this holding unit, signs for `ticket` and resolves it with
    /// `result`; `desk` verifies it as true (see [`handle_and_verify`]).
    pub async fn handle_and_verify(&self, desk: &Actor, ticket: &pb::Ticket, result: &str) {
        handle_and_verify(&self.client(), &desk.client(), ticket, result).await;
    }

    /// Asks for more time; returns the extension request's id.
    pub async fn request_extension(&self, request: pb::RequestExtensionRequest) -> String {
        granted(
            "RequestExtension",
            self.try_request_extension(request).await,
        )
    }

    /// Asks for `days` more working days for `ticket`, which `desk`
    /// grants; returns the ticket after it.
    pub async fn extended_by(
        &self,
        desk: &Actor,
        ticket: &pb::Ticket,
        days: u32,
        reason: &str,
    ) -> pb::Ticket {
        let extension = self
            .request_extension(pb::RequestExtensionRequest {
                ticket_id: ticket.id.clone(),
                days,
                reason: reason.into(),
                ..Default::default()
            })
            .await;
        desk.decide_extension(pb::DecideExtensionRequest {
            extension_id: extension,
            grant: true,
            ..Default::default()
        })
        .await
    }

    /// Asks for more time, or returns the refusal.
    pub async fn try_request_extension(
        &self,
        request: pb::RequestExtensionRequest,
    ) -> Result<String, Status> {
        let answer = self.client.clone().request_extension(request).await?;
        Ok(answer.into_inner().extension_id)
    }

    /// Decides an extension request; returns the ticket after it.
    pub async fn decide_extension(&self, request: pb::DecideExtensionRequest) -> pb::Ticket {
        granted("DecideExtension", self.try_decide_extension(request).await)
    }

    /// Decides an extension request, or returns the refusal.
    pub async fn try_decide_extension(
        &self,
        request: pb::DecideExtensionRequest,
    ) -> Result<pb::Ticket, Status> {
        let answer = self.client.clone().decide_extension(request).await?;
        Ok(carried(answer.into_inner().ticket))
    }

    /// Lists extension requests: `ticket_id`'s, or with "" the pending ones.
    pub async fn list_extensions(&self, ticket_id: &str) -> Vec<pb::Extension> {
        let answer = self
            .client
            .clone()
            .list_extensions(pb::ListExtensionsRequest {
                ticket_id: ticket_id.to_owned(),
            })
            .await;
        granted("ListExtensions", answer.map(|a| a.into_inner().extensions))
    }

    /// Merges a ticket into the one it repeats; returns the merged ticket.
    pub async fn merge(&self, request: pb::MergeTicketsRequest) -> pb::Ticket {
        granted("MergeTickets", self.try_merge(request).await)
    }

    /// Merges a ticket into the one it repeats, or returns the refusal.
    pub async fn try_merge(&self, request: pb::MergeTicketsRequest) -> Result<pb::Ticket, Status> {
        let answer = self.client.clone().merge_tickets(request).await?;
        Ok(carried(answer.into_inner().ticket))
    }

    /// Splits a duplicate off; returns it.
    pub async fn split(&self, request: pb::SplitTicketRequest) -> pb::Ticket {
        granted("SplitTicket", self.try_split(request).await)
    }

    /// Splits a duplicate off, or returns the refusal.
    pub async fn try_split(&self, request: pb::SplitTicketRequest) -> Result<pb::Ticket, Status> {
        let answer = self.client.clone().split_ticket(request).await?;
        Ok(carried(answer.into_inner().ticket))
    }

    /// Returns the categories taking new tickets, by code.
    pub async fn categories(&self) -> Vec<pb::Category> {
        let answer = self
            .client
            .clone()
            .list_categories(pb::ListCategoriesRequest::default())
            .await;
        granted("ListCategories", answer).into_inner().categories
    }

    /// Returns one year of the business calendar.
    pub async fn calendar(&self, year: i32) -> pb::GetCalendarResponse {
        let answer = self
            .client
            .clone()
            .get_calendar(pb::GetCalendarRequest { year })
            .await;
        granted("GetCalendar", answer).into_inner()
    }

    /// Replaces one year's listed days; returns the answer.
    pub async fn set_calendar(
        &self,
        year: i32,
        days: Vec<pb::CalendarDay>,
    ) -> pb::SetCalendarResponse {
        let request = pb::SetCalendarRequest {
            idempotency_key: format!("calendar-{year}-{}", uuid::Uuid::now_v7()),
            year,
            days,
        };
        granted("SetCalendar", self.try_set_calendar(request).await)
    }

    /// Replaces one year's listed days, or returns the refusal.
    pub async fn try_set_calendar(
        &self,
        request: pb::SetCalendarRequest,
    ) -> Result<pb::SetCalendarResponse, Status> {
        Ok(self
            .client
            .clone()
            .set_calendar(request)
            .await?
            .into_inner())
    }

    /// Returns the statistics `request` asks for.
    pub async fn statistics(&self, request: pb::GetStatisticsRequest) -> pb::GetStatisticsResponse {
        let answer = self.client.clone().get_statistics(request).await;
        granted("GetStatistics", answer).into_inner()
    }

    /// Returns the assessment of the villages `request` asks for.
    pub async fn assessment(&self, request: pb::GetAssessmentRequest) -> pb::GetAssessmentResponse {
        let answer = self.client.clone().get_assessment(request).await;
        granted("GetAssessment", answer).into_inner()
    }
}
