//! The town under test: a private PostgreSQL and NATS server, and the six
//! services run as their own binaries over them (the grid registry,
//! dispatch, points, video ingest, case review and Langxia's exchange
//! node), each on a fixed port and database of its own and one NATS
//! subject prefix, so that each can be killed and started again where the
//! others expect it; beside them the exchange node of the neighbouring
//! town (Xindai), on a prefix and database of its own, reached through
//! relays that can partition the two nodes.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;
use async_nats::jetstream;
use case_exchange::pki::{DevTown, dev_pki, dev_towns};
use platform::auth::Role;
use platform::grpc::client::Outgoing;
use platform::testing::{PrivateNats, ServiceProcess, free_port, serving, token, unique_prefix};
use proto::dispatch::v1::dispatch_service_client::DispatchServiceClient;
use proto::exchange::v1::exchange_service_client::ExchangeServiceClient;
use proto::points::v1::points_service_client::PointsServiceClient;
use proto::registry::v1::registry_service_client::RegistryServiceClient;
use proto::video::v1::video_service_client::VideoServiceClient;
use sqlx::PgPool;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

use crate::partition::Relay;
use crate::postgres::PrivatePostgres;

pub type Dispatch = DispatchServiceClient<InterceptedService<Channel, Outgoing>>;
pub type Points = PointsServiceClient<InterceptedService<Channel, Outgoing>>;
pub type Video = VideoServiceClient<InterceptedService<Channel, Outgoing>>;
pub type Exchange = ExchangeServiceClient<InterceptedService<Channel, Outgoing>>;

/// The development federation's towns, in `dev_towns`' order.
const LANGXIA: usize = 0;
const XINDAI: usize = 2;
/// The name [`Town::databases`] gives Xindai's node's database.
pub const PEER_DATABASE: &str = "exchange (Xindai)";
/// The camera the load's analytic events come from.
pub const DEVICE: &str = "31011611001320000001";
pub const CHANNEL: &str = "31011611001310000001";

/// The streams the services declare, and the duplicate window the suite
/// gives them: short, so that an outage longer than it takes seconds, not
/// the ten minutes of production.
pub const STREAMS: [&str; 6] = [
    "REGISTRY", "DISPATCH", "POINTS", "VIDEO", "REVIEW", "EXCHANGE",
];
pub const DUPLICATE_WINDOW: Duration = Duration::from_secs(2);

/// One service of the town, or the neighbouring town's exchange node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    Registry,
    Dispatch,
    Points,
    Video,
    Review,
    /// Langxia's exchange node.
    Exchange,
    /// Xindai's exchange node, the peer Langxia reports cases to.
    Peer,
}

impl Service {
    pub const ALL: [Service; 7] = [
        Service::Registry,
        Service::Dispatch,
        Service::Points,
        Service::Video,
        Service::Review,
        Service::Exchange,
        Service::Peer,
    ];

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
            Service::Video => (
                "video-ingest",
                "video",
                "weigrid.video.v1.VideoService",
                "weigrid_video",
            ),
            Service::Review => (
                "case-review",
                "review",
                "weigrid.review.v1.ReviewService",
                "weigrid_review",
            ),
            Service::Exchange => (
                "case-exchange",
                "exchange",
                "weigrid.exchange.v1.ExchangeService",
                "weigrid_exchange",
            ),
            Service::Peer => (
                "case-exchange",
                "exchange",
                "weigrid.exchange.v1.ExchangeService",
                "weigrid_exchange_xindai",
            ),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Service::Peer => "case-exchange (Xindai)",
            _ => self.parts().0,
        }
    }

    /// The file its log goes to.
    fn log_file(self) -> String {
        match self {
            Service::Peer => "case-exchange-xindai.log".to_owned(),
            _ => format!("{}.log", self.parts().0),
        }
    }
}

/// The servers and the services, with a pool on each service's database
/// for counting.
pub struct Town {
    pub postgres: PrivatePostgres,
    pub nats: PrivateNats,
    pub prefix: String,
    /// The Xindai node's NATS prefix (another town's bus).
    peer_prefix: String,
    processes: Vec<(Service, ServiceProcess)>,
    pub dispatch_db: PgPool,
    pub points_db: PgPool,
    pub registry_db: PgPool,
    pub video_db: PgPool,
    pub review_db: PgPool,
    pub exchange_db: PgPool,
    pub peer_db: PgPool,
    addrs: Vec<(Service, SocketAddr)>,
    /// Where the services' logs go (info and above), one file each.
    pub logs: PathBuf,
    /// Scratch files: the exchange's keys and allow-lists, video evidence.
    scratch: PathBuf,
    /// The towns of the federation: Langxia's and Xindai's nodes' keys
    /// and peer ports.
    towns: Vec<DevTown>,
    /// The relays between the two nodes (to Langxia, to Xindai), and the
    /// peer ports the nodes listen on behind them.
    relays: [Relay; 2],
    peer_ports: [SocketAddr; 2],
    /// The video gateway's SIP port (the load sends it nothing).
    sip: SocketAddr,
}

impl Drop for Town {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.scratch);
    }
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
        let video_db = postgres.create_database("weigrid_video").await?;
        let review_db = postgres.create_database("weigrid_review").await?;
        let exchange_db = postgres.create_database("weigrid_exchange").await?;
        let peer_db = postgres.create_database("weigrid_exchange_xindai").await?;
        let addrs = Service::ALL
            .map(|s| (s, SocketAddr::from(([127, 0, 0, 1], free_port()))))
            .to_vec();
        let run = unique_prefix();
        let logs = crate::postgres::target_dir()
            .join("faults")
            .join(format!("logs-{}", &run[1..13]));
        std::fs::create_dir_all(&logs)?;
        let scratch = std::env::temp_dir().join(format!("weigrid-faults-{run}"));
        // The nodes listen behind the relays; the allow-lists name the
        // relays, so every envelope between them crosses one.
        let peer_ports = [free_port(), free_port()].map(|p| SocketAddr::from(([127, 0, 0, 1], p)));
        let relays = [
            Relay::start(peer_ports[0]).await,
            Relay::start(peer_ports[1]).await,
        ];
        let towns = dev_towns(
            &scratch.join("exchange"),
            [
                relays[0].listen.port(),
                free_port(),
                relays[1].listen.port(),
            ],
        );
        dev_pki(&scratch.join("exchange"), &towns)?;
        let mut town = Self {
            logs,
            postgres,
            nats,
            prefix: unique_prefix(),
            peer_prefix: unique_prefix(),
            processes: Vec::new(),
            dispatch_db,
            points_db,
            registry_db,
            video_db,
            review_db,
            exchange_db,
            peer_db,
            addrs,
            scratch,
            towns,
            relays,
            peer_ports,
            sip: SocketAddr::from(([127, 0, 0, 1], video_ingest::testing::free_sip_port())),
        };
        town.launch(Service::Registry).await;
        fixtures::small_town(&mut town.registry_operator()).await;
        for service in &Service::ALL[1..] {
            town.launch(*service).await;
        }
        town.video()
            .put_device(video_ingest::testing::camera_request(DEVICE, CHANNEL))
            .await
            .context("the load's camera is registered")?;
        town.shorten_duplicate_windows().await?;
        Ok(town)
    }

    /// Every service's database, by the service's name; Xindai's node's
    /// last (its events go to its own town's bus, not this one).
    pub fn databases(&self) -> [(&'static str, &PgPool); 7] {
        [
            ("registry", &self.registry_db),
            ("dispatch", &self.dispatch_db),
            ("points", &self.points_db),
            ("video", &self.video_db),
            ("review", &self.review_db),
            ("exchange", &self.exchange_db),
            (PEER_DATABASE, &self.peer_db),
        ]
    }

    /// Partitions the two exchange nodes (see [`crate::partition`]).
    pub fn partition(&self) {
        self.relays.iter().for_each(Relay::cut);
    }

    /// Heals the partition.
    pub fn heal(&self) {
        self.relays.iter().for_each(Relay::heal);
    }

    /// Xindai's node id, which Langxia reports cases to.
    pub fn peer_node(&self) -> String {
        self.towns[XINDAI].node.to_string()
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
            Service::Video => settings.extend([
                (
                    "CLIENTS__REGISTRY__ENDPOINT",
                    format!("http://{}", self.addr(Service::Registry)),
                ),
                ("SIP__LISTEN", self.sip.to_string()),
                (
                    "EVIDENCE__LOCAL_DIR",
                    self.scratch.join("evidence").display().to_string(),
                ),
            ]),
            Service::Review => settings.push((
                "CLIENTS__REGISTRY__ENDPOINT",
                format!("http://{}", self.addr(Service::Registry)),
            )),
            Service::Exchange => settings.extend(self.node_settings(LANGXIA, self.peer_ports[0])),
            Service::Peer => settings.extend(self.node_settings(XINDAI, self.peer_ports[1])),
        }
        settings
    }

    /// The settings of the exchange node of `town`, its peer port on
    /// `listen` (behind its relay): quick retries while the peer is away.
    fn node_settings(&self, town: usize, listen: SocketAddr) -> Vec<(&'static str, String)> {
        let mut settings = case_exchange::testing::node_settings(&self.towns[town]);
        settings.extend([
            ("PEER_PORT__LISTEN", listen.to_string()),
            ("PEER_PORT__CONNECT_TIMEOUT", "1s".to_owned()),
            ("EXCHANGE__RETRY_MIN_DELAY", "50ms".to_owned()),
            ("EXCHANGE__RETRY_MAX_DELAY", "1s".to_owned()),
        ]);
        settings
    }

    /// Starts `service`'s binary and waits until it is SERVING.
    async fn launch(&mut self, service: Service) {
        let (binary, config, health, database) = service.parts();
        let settings = self.settings(service);
        let prefix = match service {
            Service::Peer => &self.peer_prefix,
            _ => &self.prefix,
        };
        let mut process = ServiceProcess::new(
            binary,
            config,
            health,
            self.addr(service),
            &self.postgres.url(database),
            prefix,
            &settings,
        )
        .log_to(self.logs.join(service.log_file()), "info");
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

    /// Returns video ingest as the load's edge box (a service) sees it.
    pub fn edge_box(&self) -> Video {
        VideoServiceClient::with_interceptor(
            channel(self.addr(Service::Video)),
            bearer(Role::Service, None),
        )
    }

    fn video(&self) -> Video {
        VideoServiceClient::with_interceptor(
            channel(self.addr(Service::Video)),
            bearer(Role::TownOperator, None),
        )
    }

    /// Returns Langxia's exchange node as the town's desk sees it.
    pub fn exchange_desk(&self) -> Exchange {
        ExchangeServiceClient::with_interceptor(
            channel(self.addr(Service::Exchange)),
            bearer(Role::TownOperator, None),
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
