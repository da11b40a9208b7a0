//! What a service implements once, and the start-up wiring every service
//! shares.
//!
//! A service's `App` implements [`Service`]: its configuration, its names,
//! its migrations, `from_parts`, `local_addr` and `run_until_stopped`. In
//! `from_parts` it builds a [`Base`] — metrics, the outbox relay, units of
//! work, the verifier of callers' tokens and the bound gRPC listener — and
//! then only what is its own (its API, consumers, workers, policy); in
//! `run_until_stopped` it starts its consumers and workers on the base and
//! serves its tonic service with [`Base::serve`]. `main` is then
//! `platform::process::main::<App>()` (see [`crate::process`]), and the
//! test kits serve the same `App` with `platform::testing::Served`.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context as _;
use serde::de::DeserializeOwned;
use sqlx::PgPool;
use sqlx::migrate::Migrator;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::auth::Verifier;
use crate::clock::{SharedClock, SystemClock};
use crate::config::{ConfigError, ServiceConfig, Validate};
use crate::events::{Bus, StreamSpec};
use crate::grpc::{Chassis, run};
use crate::inbox::{ConsumerSpec, EventHandler};
use crate::metrics::Metrics;
use crate::outbox::Relay;
use crate::uow::Units;

/// A weigrid service, as `main`, deployments and test kits see it.
pub trait Service: Sized + Send + 'static {
    /// Everything the service reads at start: the shared sections (see
    /// [`Service::shared`]) and its own.
    type Config: DeserializeOwned + Validate + Clone + Send + Sync + 'static;

    /// The binary's name, also the name of its metrics and telemetry, e.g.
    /// `grid-registry`.
    const NAME: &'static str;
    /// The configuration's short name, e.g. `registry`: its variables are
    /// `WEIGRID_REGISTRY__…`, its file `WEIGRID_REGISTRY_CONFIG`.
    const CONFIG_NAME: &'static str;
    /// The service's defaults (its `config/default.toml`).
    const DEFAULTS: &'static str;
    /// The gRPC service whose readiness the health service reports and
    /// `probe` asks for, e.g. `weigrid.registry.v1.RegistryService`.
    const HEALTH_SERVICE: &'static str;
    /// The stream the service's outbox publishes to.
    const STREAM: StreamSpec;
    /// The descriptor set served for reflection.
    const FILE_DESCRIPTOR_SET: &'static [u8];
    /// The service's migrations (the platform's are added).
    const MIGRATOR: &'static Migrator;
    /// Who may call each RPC of [`Service::HEALTH_SERVICE`]: one rule per
    /// RPC, declared in the service's `application/access.rs` (see
    /// [`crate::authz`]). A missing or unknown rule stops start-up.
    const POLICY: &'static [crate::authz::Rule];

    /// Returns the shared sections of `config`.
    fn shared(config: &Self::Config) -> &ServiceConfig;

    /// Returns the shared sections of `config`, to change (a test kit
    /// restarts a service on the port it had).
    fn shared_mut(config: &mut Self::Config) -> &mut ServiceConfig;

    /// Builds the service from its parts (tests pass a migrated pool, a bus
    /// with a private prefix and a manual clock) and binds its listener.
    fn from_parts(
        config: Self::Config,
        pool: PgPool,
        bus: Bus,
        clock: SharedClock,
    ) -> impl Future<Output = anyhow::Result<Self>> + Send;

    /// Returns the address gRPC listens on.
    fn local_addr(&self) -> SocketAddr;

    /// Serves until `shutdown` completes: then stops accepting, finishes
    /// in-flight calls, stops the consumers and workers, flushes the outbox
    /// and returns.
    fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send,
    ) -> impl Future<Output = anyhow::Result<()>> + Send;

    /// Loads the configuration: the defaults, the file, the environment
    /// (see [`crate::config::load`]).
    ///
    /// # Errors
    /// A value of the wrong type, an unknown key or a broken rule, named by
    /// key.
    fn load() -> Result<Self::Config, ConfigError> {
        crate::config::load(Self::CONFIG_NAME, Self::DEFAULTS)
    }

    /// Connects to PostgreSQL (creating the database when missing, and
    /// migrating or checking the schema as `database` says) and to NATS,
    /// then builds the service on the system clock.
    ///
    /// # Errors
    /// PostgreSQL unreachable, a schema older than the binary needs, a
    /// failed migration, or whatever [`Service::from_parts`] refuses.
    fn build(config: Self::Config) -> impl Future<Output = anyhow::Result<Self>> + Send {
        async move {
            let shared = Self::shared(&config);
            let pool = crate::db::connect_and_migrate(&shared.database, Self::MIGRATOR).await?;
            let bus = Bus::connect(&shared.nats).await?;
            Self::from_parts(config, pool, bus, Arc::new(SystemClock)).await
        }
    }
}

/// What every service stands on, built once in its `from_parts`: the pool
/// and the bus, the metrics, the outbox relay, units of work over the pool
/// that wake the relay, the verifier of callers' tokens and the bound gRPC
/// listener. Consumers and workers started on it stop when serving stops.
pub struct Base {
    config: ServiceConfig,
    pool: PgPool,
    bus: Bus,
    units: Units,
    metrics: Arc<Metrics>,
    relay: Relay,
    verifier: Arc<Verifier>,
    policy: Arc<crate::authz::Policy>,
    listener: TcpListener,
    health_service: &'static str,
    file_descriptor_set: &'static [u8],
    background: CancellationToken,
}

impl Base {
    /// Builds the base of service `S` from `config`'s shared sections and
    /// its parts, and binds the gRPC listener.
    ///
    /// # Errors
    /// The auth settings are unusable, or the address cannot be bound.
    pub async fn new<S: Service>(
        config: &S::Config,
        pool: PgPool,
        bus: Bus,
        clock: SharedClock,
    ) -> anyhow::Result<Self> {
        let config = S::shared(config).clone();
        let metrics = Arc::new(Metrics::new(S::NAME));
        let relay = Relay::new(
            pool.clone(),
            bus.clone(),
            S::STREAM,
            config.outbox.clone(),
            metrics.clone(),
        );
        let units = Units::new(pool.clone(), clock, relay.waker());
        let verifier = Arc::new(Verifier::from_config(&config.auth)?);
        let policy = Arc::new(crate::authz::Policy::new(
            S::HEALTH_SERVICE,
            S::POLICY,
            S::FILE_DESCRIPTOR_SET,
        )?);
        let listener = TcpListener::bind(config.grpc.listen)
            .await
            .with_context(|| format!("binding gRPC to {}", config.grpc.listen))?;
        Ok(Self {
            config,
            pool,
            bus,
            units,
            metrics,
            relay,
            verifier,
            policy,
            listener,
            health_service: S::HEALTH_SERVICE,
            file_descriptor_set: S::FILE_DESCRIPTOR_SET,
            background: CancellationToken::new(),
        })
    }

    /// Returns the pool.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Returns the bus.
    pub fn bus(&self) -> &Bus {
        &self.bus
    }

    /// Returns the units of work over the pool: they wake the relay after
    /// each commit that published.
    pub fn units(&self) -> &Units {
        &self.units
    }

    /// Returns the address gRPC listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    /// Returns the largest message the service decodes or encodes
    /// (`grpc.max_message_bytes`), for its generated server.
    pub fn max_message_bytes(&self) -> usize {
        self.config.grpc.max_message_bytes
    }

    /// Starts a background worker: `worker` gets the token that is
    /// cancelled when serving stops.
    pub fn spawn<F>(&self, worker: impl FnOnce(CancellationToken) -> F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        tokio::spawn(worker(self.background.clone()));
    }

    /// Starts the durable consumer `spec`, each event applied by `handler`
    /// in a unit of work (see [`crate::inbox::supervise`]), until serving
    /// stops.
    pub fn consume<H: EventHandler + Clone>(&self, spec: ConsumerSpec, handler: H) {
        let (bus, units) = (self.bus.clone(), self.units.clone());
        self.spawn(|cancel| crate::inbox::supervise(bus, units, spec, handler, cancel));
    }

    /// Serves `service` with everything around it (health, reflection, the
    /// platform layer, the relay, `/metrics`, housekeeping) until `shutdown`
    /// completes, then drains: stops accepting, finishes in-flight calls,
    /// stops the consumers and workers and flushes the relay (see
    /// [`crate::grpc::run`]).
    ///
    /// # Errors
    /// The metrics address cannot be bound, or the server fails.
    pub async fn serve<S>(
        self,
        service: S,
        shutdown: impl Future<Output = ()> + Send,
    ) -> anyhow::Result<()>
    where
        S: tower::Service<
                http::Request<tonic::body::Body>,
                Response = http::Response<tonic::body::Body>,
                Error = std::convert::Infallible,
            > + tonic::server::NamedService
            + Clone
            + Send
            + Sync
            + 'static,
        S::Future: Send + 'static,
    {
        debug_assert_eq!(
            S::NAME,
            self.health_service,
            "the served service is the one readiness is reported for"
        );
        let handle = crate::grpc::ServerHandle {
            config: self.config.grpc.clone(),
            verifier: self.verifier,
            policy: self.policy,
            metrics: self.metrics,
            file_descriptor_set: self.file_descriptor_set,
        };
        let chassis = Chassis::new(self.pool, self.bus, self.relay, &self.config, handle);
        run(service, self.listener, chassis, self.background, shutdown).await
    }
}
