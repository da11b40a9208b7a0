//! Wiring: the pool, the bus, the registry client, the use cases' context,
//! the workers, the consumers and the gRPC server.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use platform::auth::{DevIssuer, Role, Verifier};
use platform::clock::{SharedClock, SystemClock};
use platform::config::AuthMode;
use platform::events::{Bus, StreamSpec};
use platform::grpc::{Chassis, run};
use platform::inbox::ConsumerSpec;
use platform::metrics::Metrics;
use platform::outbox::Relay;
use platform::uow::Units;
use proto::dispatch::v1::dispatch_service_server::DispatchServiceServer;
use secrecy::ExposeSecret;
use sqlx::PgPool;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::api::DispatchApi;
use crate::application::{Context, Policy};
use crate::config::DispatchConfig;
use crate::consumers::TicketRequests;
use crate::domain::deadline::DeadlineRules;
use crate::events::STREAM;
use crate::registry::Registry;
use crate::repository::categories;
use crate::{MIGRATOR, workers};

/// A dispatch instance, bound and ready to run.
pub struct App {
    config: DispatchConfig,
    pool: PgPool,
    bus: Bus,
    listener: TcpListener,
    metrics: Arc<Metrics>,
    relay: Relay,
    ctx: Context,
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
        let rules = Arc::new(DeadlineRules {
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
        let ctx = Context {
            units: Units::new(pool.clone(), clock, relay.waker()),
            registry,
            rules,
            policy: Policy {
                limits: config.deadlines.channel_limits(),
                assessment: config.assessment,
                duplicates: config.duplicates,
            },
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
        tokio::spawn(workers::run_timers(
            self.ctx.units.clone(),
            self.ctx.rules.clone(),
            self.config.workers.timer_interval,
            background.clone(),
        ));
        tokio::spawn(workers::run_router(
            self.ctx.clone(),
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
                ctx: self.ctx.clone(),
                token: self.token.clone(),
                source: root,
            };
            tokio::spawn(platform::inbox::supervise(
                self.bus.clone(),
                self.ctx.units.clone(),
                spec,
                handler,
                background.clone(),
            ));
        }
        let service = DispatchServiceServer::new(DispatchApi::new(self.ctx))
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
