//! Wiring: the pool, the bus, the registry client, the workers and the
//! gRPC server.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use platform::auth::{DevIssuer, Role, Verifier};
use platform::clock::{SharedClock, SystemClock};
use platform::config::AuthMode;
use platform::events::Bus;
use platform::grpc::{Chassis, run};
use platform::metrics::Metrics;
use platform::outbox::Relay;
use proto::dispatch::v1::dispatch_service_server::DispatchServiceServer;
use secrecy::ExposeSecret;
use sqlx::PgPool;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::api::DispatchApi;
use crate::config::DispatchConfig;
use crate::events::STREAM;
use crate::intake_events::TicketRequests;
use crate::registry::Registry;
use crate::repository::categories;
use crate::workflow::Rules;
use crate::{MIGRATOR, workers};
use platform::events::StreamSpec;
use platform::inbox::ConsumerSpec;

/// A dispatch instance, bound and ready to run.
pub struct App {
    config: DispatchConfig,
    pool: PgPool,
    bus: Bus,
    clock: SharedClock,
    listener: TcpListener,
    metrics: Arc<Metrics>,
    relay: Relay,
    registry: Registry,
    rules: Arc<Rules>,
    api: DispatchApi,
    verifier: Arc<Verifier>,
    /// The service's own token, for what it does on nobody's behalf.
    token: String,
}

impl App {
    /// Connects to PostgreSQL (creating and migrating the database) and
    /// NATS, then builds the app.
    ///
    /// # Errors
    /// PostgreSQL unreachable, a failed migration, or a bad address.
    pub async fn build(config: DispatchConfig) -> anyhow::Result<Self> {
        let pool = platform::db::connect_and_migrate(&config.service.database, &MIGRATOR).await?;
        let bus = Bus::connect(&config.service.nats).await?;
        Self::from_parts(config, pool, bus, Arc::new(SystemClock)).await
    }

    /// Builds the app from its parts (tests pass a migrated pool, a bus with
    /// a private prefix and a manual clock) and binds the listener.
    ///
    /// # Errors
    /// The calendar cannot be read, the service token is missing in
    /// production, or the address cannot be bound.
    pub async fn from_parts(
        config: DispatchConfig,
        pool: PgPool,
        bus: Bus,
        clock: SharedClock,
    ) -> anyhow::Result<Self> {
        let token = match (&config.clients.service_token, config.service.auth.mode) {
            (Some(token), _) => token.expose_secret().to_owned(),
            (None, AuthMode::Dev) => DevIssuer::from_config(&config.service.auth)?.issue(
                "ticket-dispatch",
                Role::Service,
                None,
                Duration::from_secs(365 * 24 * 3600),
            ),
            (None, AuthMode::Jwt) => {
                anyhow::bail!("clients.service_token is required when auth.mode is jwt")
            }
        };
        let registry = Registry::new(&config.clients.registry, &token)?;
        let calendar = {
            let mut conn = pool.acquire().await?;
            categories::calendar(&mut conn)
                .await
                .context("reading the business calendar")?
        };
        let rules = Arc::new(Rules {
            calendar,
            warning_fractions: config.deadlines.fractions(),
        });
        let metrics = Arc::new(Metrics::new("ticket-dispatch"));
        let relay = Relay::new(
            pool.clone(),
            bus.clone(),
            STREAM,
            config.service.outbox.clone(),
            metrics.clone(),
        );
        let api = DispatchApi::new(
            pool.clone(),
            registry.clone(),
            clock.clone(),
            relay.waker(),
            rules.clone(),
            crate::api::Policy {
                limits: config.deadlines.channel_limits(),
                assessment: config.assessment,
                duplicates: config.duplicates,
            },
        );
        let verifier = Arc::new(Verifier::from_config(&config.service.auth)?);
        let listener = TcpListener::bind(config.service.grpc.listen)
            .await
            .with_context(|| format!("binding gRPC to {}", config.service.grpc.listen))?;
        Ok(Self {
            config,
            pool,
            bus,
            clock,
            listener,
            metrics,
            relay,
            registry,
            rules,
            api,
            verifier,
            token,
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
        let waker = self.relay.waker();
        tokio::spawn(workers::run_timers(
            self.pool.clone(),
            self.rules.clone(),
            self.clock.clone(),
            waker.clone(),
            self.config.workers.timer_interval,
            background.clone(),
        ));
        tokio::spawn(workers::run_router(
            self.pool.clone(),
            self.registry.clone(),
            self.rules.clone(),
            self.clock.clone(),
            waker,
            self.config.workers.router_interval,
            background.clone(),
        ));
        for (stream, root) in self.config.intake.sources() {
            let spec = ConsumerSpec {
                name: format!("dispatch-{root}-ticket-requested"),
                stream: StreamSpec {
                    name: stream.into(),
                    subject_root: root.clone().into(),
                },
                filter_subject: format!("{root}.ticket.requested"),
            };
            let handler = TicketRequests {
                api: self.api.clone(),
                token: self.token.clone(),
                source: root,
            };
            tokio::spawn(platform::inbox::supervise(
                self.bus.clone(),
                platform::uow::Units::new(
                    self.pool.clone(),
                    self.clock.clone(),
                    self.relay.waker(),
                ),
                spec,
                platform::inbox::InTxn(handler),
                background.clone(),
            ));
        }
        let service = DispatchServiceServer::new(self.api)
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
