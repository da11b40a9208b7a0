//! Wiring: the pool, the bus, the index, the relay and the gRPC server.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context as _;
use platform::auth::Verifier;
use platform::clock::{SharedClock, SystemClock};
use platform::events::Bus;
use platform::grpc::{Chassis, run};
use platform::metrics::Metrics;
use platform::outbox::Relay;
use platform::uow::Units;
use proto::registry::v1::registry_service_server::RegistryServiceServer;
use sqlx::PgPool;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::api::RegistryApi;
use crate::application::Context;
use crate::config::RegistryConfig;
use crate::domain::index::SpatialIndex;
use crate::events::STREAM;
use crate::{MIGRATOR, listener};

/// A registry instance, bound and ready to run.
pub struct App {
    config: RegistryConfig,
    pool: PgPool,
    bus: Bus,
    index: Arc<SpatialIndex>,
    listener: TcpListener,
    metrics: Arc<Metrics>,
    relay: Relay,
    api: RegistryApi,
    verifier: Arc<Verifier>,
}

impl App {
    /// Connects to PostgreSQL (creating and migrating the database) and to
    /// NATS, then builds the app.
    ///
    /// # Errors
    /// PostgreSQL unreachable, a failed migration, or a bad listen address.
    pub async fn build(config: RegistryConfig) -> anyhow::Result<Self> {
        let pool = platform::db::connect_and_migrate(&config.service.database, &MIGRATOR).await?;
        let bus = Bus::connect(&config.service.nats).await?;
        Self::from_parts(config, pool, bus, Arc::new(SystemClock)).await
    }

    /// Builds the app from its parts (tests pass a migrated pool, a bus with
    /// a private prefix and a manual clock), loads the index and binds the
    /// gRPC listener.
    ///
    /// # Errors
    /// The index cannot be loaded or the address cannot be bound.
    pub async fn from_parts(
        config: RegistryConfig,
        pool: PgPool,
        bus: Bus,
        clock: SharedClock,
    ) -> anyhow::Result<Self> {
        let index = Arc::new(SpatialIndex::default());
        index.replace(
            listener::load(&pool)
                .await
                .context("loading the spatial index")?,
        );
        let metrics = Arc::new(Metrics::new("grid-registry"));
        let relay = Relay::new(
            pool.clone(),
            bus.clone(),
            STREAM,
            config.service.outbox.clone(),
            metrics.clone(),
        );
        let units = Units::new(pool.clone(), clock, relay.waker());
        let api = RegistryApi::new(Context::new(units, index.clone(), config.registry.clone()));
        let verifier = Arc::new(Verifier::from_config(&config.service.auth)?);
        let listener = TcpListener::bind(config.service.grpc.listen)
            .await
            .with_context(|| format!("binding gRPC to {}", config.service.grpc.listen))?;
        Ok(Self {
            config,
            pool,
            bus,
            index,
            listener,
            metrics,
            relay,
            api,
            verifier,
        })
    }

    /// Returns the address gRPC listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    /// Returns the spatial index (for benchmarks and tests).
    pub fn index(&self) -> Arc<SpatialIndex> {
        self.index.clone()
    }

    /// Serves until `shutdown` completes: then stops accepting, finishes
    /// in-flight calls, flushes the outbox and returns.
    ///
    /// # Errors
    /// The server fails.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send,
    ) -> anyhow::Result<()> {
        let background = CancellationToken::new();
        tokio::spawn(listener::follow(
            self.bus.clone(),
            self.pool.clone(),
            self.index.clone(),
            background.clone(),
        ));
        tokio::spawn(listener::refresh_periodically(
            self.pool.clone(),
            self.index.clone(),
            self.config.registry.index_full_refresh,
            background.clone(),
        ));
        tracing::info!(grids = self.index.snapshot().len(), "spatial index loaded");
        let service = RegistryServiceServer::new(self.api)
            .max_decoding_message_size(self.config.service.grpc.max_message_bytes)
            .max_encoding_message_size(self.config.service.grpc.max_message_bytes);
        let chassis = Chassis::new(
            self.pool,
            self.bus,
            self.relay,
            self.metrics,
            &self.config.service,
            self.verifier,
            proto::FILE_DESCRIPTOR_SET,
        );
        run(service, self.listener, chassis, background, shutdown).await
    }
}
