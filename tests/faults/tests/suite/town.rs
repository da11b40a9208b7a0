//! The town under test: a private PostgreSQL and NATS server, and the grid
//! registry, dispatch and points run as their own binaries over them, each
//! on a fixed port and database of its own and one NATS subject prefix, so
//! that each can be killed and started again where the others expect it.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;
use async_nats::jetstream;
use platform::auth::Role;
use platform::grpc::client::Outgoing;
use platform::testing::{PrivateNats, ServiceProcess, free_port, serving, token, unique_prefix};
use proto::dispatch::v1::dispatch_service_client::DispatchServiceClient;
use proto::points::v1::points_service_client::PointsServiceClient;
use proto::registry::v1::registry_service_client::RegistryServiceClient;
use sqlx::PgPool;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

use crate::postgres::PrivatePostgres;

pub type Dispatch = DispatchServiceClient<InterceptedService<Channel, Outgoing>>;
pub type Points = PointsServiceClient<InterceptedService<Channel, Outgoing>>;

/// The streams the services declare, and the duplicate window the suite
/// gives them: short, so that an outage longer than it takes seconds, not
/// the ten minutes of production.
pub const STREAMS: [&str; 3] = ["REGISTRY", "DISPATCH", "POINTS"];
pub const DUPLICATE_WINDOW: Duration = Duration::from_secs(2);

/// One service of the town.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    Registry,
    Dispatch,
    Points,
}

impl Service {
    pub const ALL: [Service; 3] = [Service::Registry, Service::Dispatch, Service::Points];

    /// The binary, configuration prefix, health service and database.
    fn parts(self) -> (&'static str, &'static str, &'static str, &'static str) {
        match self {
            Service::Registry => (
                "grid-registry",
                "registry",
                "weigrid.registry.v1.RegistryService",
                "weigrid_registry",
            ),
            Service::Dispatch => (
                "ticket-dispatch",
                "dispatch",
                "weigrid.dispatch.v1.DispatchService",
                "weigrid_dispatch",
            ),
            Service::Points => (
                "points",
                "points",
                "weigrid.points.v1.PointsService",
                "weigrid_points",
            ),
        }
    }

    pub fn name(self) -> &'static str {
        self.parts().0
    }
}

/// The servers and the services, with a pool on each service's database
/// for counting.
pub struct Town {
    pub postgres: PrivatePostgres,
    pub nats: PrivateNats,
    pub prefix: String,
    processes: Vec<(Service, ServiceProcess)>,
    pub dispatch_db: PgPool,
    pub points_db: PgPool,
    pub registry_db: PgPool,
    addrs: Vec<(Service, SocketAddr)>,
    /// Where the services' logs go (info and above), one file each.
    pub logs: PathBuf,
}

fn channel(addr: SocketAddr) -> Channel {
    Channel::from_shared(format!("http://{addr}"))
        .expect("a socket address is a URI")
        .connect_timeout(Duration::from_secs(1))
        .connect_lazy()
}

fn bearer(role: Role, scope: Option<&str>) -> Outgoing {
    Outgoing::bearer(&token(&format!("faults-{role}"), role, scope))
        .expect("a development token is a header value")
}

impl Town {
    /// Starts the servers, then the registry (registering the small town),
    /// dispatch and points, and shortens the streams' duplicate window.
    ///
    /// # Errors
    /// A server or service does not start.
    pub async fn start() -> anyhow::Result<Self> {
        let postgres = PrivatePostgres::start().await?;
        let nats = PrivateNats::start().await;
        let registry_db = postgres.create_database("weigrid_registry").await?;
        let dispatch_db = postgres.create_database("weigrid_dispatch").await?;
        let points_db = postgres.create_database("weigrid_points").await?;
        let addrs = Service::ALL
            .map(|s| (s, SocketAddr::from(([127, 0, 0, 1], free_port()))))
            .to_vec();
        let logs = crate::postgres::target_dir()
            .join("faults")
            .join(format!("logs-{}", &unique_prefix()[1..13]));
        std::fs::create_dir_all(&logs)?;
        let mut town = Self {
            logs,
            postgres,
            nats,
            prefix: unique_prefix(),
            processes: Vec::new(),
            dispatch_db,
            points_db,
            registry_db,
            addrs,
        };
        town.launch(Service::Registry).await;
        fixtures::small_town(&mut town.registry_operator()).await;
        town.launch(Service::Dispatch).await;
        town.launch(Service::Points).await;
        town.shorten_duplicate_windows().await?;
        Ok(town)
    }

    fn addr(&self, service: Service) -> SocketAddr {
        self.addrs
            .iter()
            .find(|(s, _)| *s == service)
            .map(|(_, a)| *a)
            .expect("every service has an address")
    }

    /// The settings of `service`: the private servers, quick retries and
    /// the suite's limits (no caps or duplicate rules that would refuse
    /// the load's reports).
    fn settings(&self, service: Service) -> Vec<(&'static str, String)> {
        let mut settings = vec![
            ("NATS__URL", self.nats.url()),
            ("NATS__ACK_TIMEOUT", "1s".to_owned()),
            ("OUTBOX__MAX_BACKOFF", "500ms".to_owned()),
            ("DATABASE__ACQUIRE_TIMEOUT", "2s".to_owned()),
        ];
        match service {
            Service::Registry => {}
            Service::Dispatch => settings.extend([
                (
                    "CLIENTS__REGISTRY__ENDPOINT",
                    format!("http://{}", self.addr(Service::Registry)),
                ),
                ("CLIENTS__REGISTRY__CONNECT_TIMEOUT", "300ms".to_owned()),
                ("CLIENTS__REGISTRY__REQUEST_TIMEOUT", "1s".to_owned()),
                ("CLIENTS__REGISTRY__MAX_ATTEMPTS", "1".to_owned()),
                ("WORKERS__ROUTER_INTERVAL", "500ms".to_owned()),
                ("DUPLICATES__RADIUS_M", "0".to_owned()),
            ]),
            Service::Points => settings.extend([
                ("CAPS__DAILY", "100000".to_owned()),
                ("CAPS__MONTHLY", "1000000".to_owned()),
                ("DUPLICATES__RADIUS_M", "0".to_owned()),
            ]),
        }
        settings
    }

    /// Starts `service`'s binary and waits until it is SERVING.
    async fn launch(&mut self, service: Service) {
        let (binary, config, health, database) = service.parts();
        let settings = self.settings(service);
        let mut process = ServiceProcess::new(
            binary,
            config,
            health,
            self.addr(service),
            &self.postgres.url(database),
            &self.prefix,
            &settings,
        )
        .log_to(self.logs.join(format!("{binary}.log")), "info");
        process.resume().await;
        self.processes.push((service, process));
    }

    fn process(&mut self, service: Service) -> &mut ServiceProcess {
        self.processes
            .iter_mut()
            .find(|(s, _)| *s == service)
            .map(|(_, p)| p)
            .expect("the service was started")
    }

    /// Kills `service` without warning (SIGKILL).
    pub fn kill(&mut self, service: Service) {
        self.process(service).kill();
    }

    /// Starts `service` again after [`Town::kill`] and waits until it is
    /// SERVING.
    pub async fn resume(&mut self, service: Service) {
        self.process(service).resume().await;
    }

    /// Waits until every service is SERVING again (after NATS or
    /// PostgreSQL came back); `false` after `patience`.
    pub async fn wait_serving(&self, patience: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + patience;
        for service in Service::ALL {
            loop {
                if serving(self.addr(service), service.parts().2).await {
                    break;
                }
                if tokio::time::Instant::now() > deadline {
                    return false;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
        true
    }

    /// Gives every stream of the town the suite's short duplicate window.
    /// The services declare their streams at start and update them only
    /// when their limits differ, which the window is not one of, so the
    /// window holds across their restarts and NATS's.
    async fn shorten_duplicate_windows(&self) -> anyhow::Result<()> {
        let client = async_nats::connect(self.nats.url()).await?;
        let js = jetstream::new(client);
        for name in STREAMS {
            let name = format!("{}_{name}", self.prefix);
            let mut stream = js
                .get_stream(&name)
                .await
                .with_context(|| format!("the stream {name} was declared"))?;
            let mut config = stream.info().await?.config.clone();
            config.duplicate_window = DUPLICATE_WINDOW;
            js.update_stream(config)
                .await
                .with_context(|| format!("shortening {name}'s duplicate window"))?;
        }
        Ok(())
    }

    /// Returns the duplicate window each stream has now.
    pub async fn duplicate_windows(&self) -> anyhow::Result<Vec<(String, Duration)>> {
        let client = async_nats::connect(self.nats.url()).await?;
        let js = jetstream::new(client);
        let mut windows = Vec::new();
        for name in STREAMS {
            let name = format!("{}_{name}", self.prefix);
            let mut stream = js.get_stream(&name).await?;
            windows.push((name, stream.info().await?.config.duplicate_window));
        }
        Ok(windows)
    }

    fn registry_operator(&self) -> fixtures::town::Client {
        RegistryServiceClient::with_interceptor(
            channel(self.addr(Service::Registry)),
            bearer(Role::TownOperator, None),
        )
        .max_decoding_message_size(64 * 1024 * 1024)
    }

    /// Returns dispatch as the town's desk sees it.
    pub fn desk(&self) -> Dispatch {
        DispatchServiceClient::with_interceptor(
            channel(self.addr(Service::Dispatch)),
            bearer(Role::TownOperator, None),
        )
    }

    /// Returns dispatch as the leader of the micro-grid the load's reports
    /// fall in sees it.
    pub fn leader(&self) -> Dispatch {
        DispatchServiceClient::with_interceptor(
            channel(self.addr(Service::Dispatch)),
            bearer(Role::MicroGridLeader, Some("V1-A1-M01")),
        )
    }

    /// Returns points as the first village's workstation sees it.
    pub fn workstation(&self) -> Points {
        PointsServiceClient::with_interceptor(
            channel(self.addr(Service::Points)),
            bearer(Role::WorkstationStaff, Some("V1")),
        )
    }
}
