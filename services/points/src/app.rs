//! Wiring: the pool, the bus, the consumer of dispatch's events, the expiry
//! worker and the gRPC server.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context as _;
use platform::auth::Verifier;
use platform::clock::{SharedClock, SystemClock};
use platform::events::Bus;
use platform::grpc::{Chassis, run};
use platform::inbox::ConsumerSpec;
use platform::metrics::Metrics;
use platform::outbox::Relay;
use platform::uow::Units;
use proto::points::v1::points_service_server::PointsServiceServer;
use sqlx::PgPool;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::api::PointsApi;
use crate::application::{Context, Policy};
use crate::config::PointsConfig;
use crate::consumers::{self, TicketEvents};
use crate::events::{DISPATCH, STREAM};
use crate::{MIGRATOR, workers};

/// A points instance, bound and ready to run.
pub struct App {
    config: PointsConfig,
    pool: PgPool,
    bus: Bus,
    listener: TcpListener,
    metrics: Arc<Metrics>,
    relay: Relay,
    ctx: Context,
    verifier: Arc<Verifier>,
}

impl App {
    /// Connects to PostgreSQL (creating and migrating the database) and
    /// NATS, then builds the app.
    ///
    /// # Errors
    /// PostgreSQL unreachable, a failed migration, or a bad address.
    pub async fn build(config: PointsConfig) -> anyhow::Result<Self> {
        let pool = platform::db::connect_and_migrate(&config.service.database, &MIGRATOR).await?;
        let bus = Bus::connect(&config.service.nats).await?;
        Self::from_parts(config, pool, bus, Arc::new(SystemClock)).await
    }

    /// Builds the app from its parts (tests pass a migrated pool, a bus with
    /// a private prefix and a manual clock) and binds the listener.
    ///
    /// # Errors
    /// The auth settings are unusable, or the address cannot be bound.
    pub async fn from_parts(
        config: PointsConfig,
        pool: PgPool,
        bus: Bus,
        clock: SharedClock,
    ) -> anyhow::Result<Self> {
        let metrics = Arc::new(Metrics::new("points"));
        let relay = Relay::new(
            pool.clone(),
            bus.clone(),
            STREAM,
            config.service.outbox.clone(),
            metrics.clone(),
        );
        let ctx = Context {
            units: Units::new(pool.clone(), clock, relay.waker()),
            policy: Policy::of(&config),
        };
        let verifier = Arc::new(Verifier::from_config(&config.service.auth)?);
        let listener = TcpListener::bind(config.service.grpc.listen)
            .await
            .with_context(|| format!("binding gRPC to {}", config.service.grpc.listen))?;
        Ok(Self {
            config,
            pool,
            bus,
            listener,
            metrics,
            relay,
            ctx,
            verifier,
        })
    }

    /// Returns the address gRPC listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    /// Serves until `shutdown` completes, then stops accepting, finishes
    /// in-flight calls, flushes the outbox and returns.
    ///
    /// # Errors
    /// The server fails.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send,
    ) -> anyhow::Result<()> {
        let background = CancellationToken::new();
        tokio::spawn(platform::inbox::supervise(
            self.bus.clone(),
            self.ctx.units.clone(),
            ConsumerSpec {
                name: consumers::CONSUMER.into(),
                stream: DISPATCH,
                filter_subject: consumers::SUBJECTS.into(),
            },
            TicketEvents {
                policy: self.ctx.policy,
            },
            background.clone(),
        ));
        tokio::spawn(workers::run_expiry(
            self.ctx.clone(),
            self.config.expiry.check_interval,
            background.clone(),
        ));
        let service = PointsServiceServer::new(PointsApi::new(self.ctx))
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
