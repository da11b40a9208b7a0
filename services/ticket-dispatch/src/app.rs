//! Wiring: dispatch on the platform's base, with the registry client, the
//! use cases' context, the workers and the consumers of ticket requests.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context as _;
use platform::auth::{DevIssuer, Role};
use platform::clock::SharedClock;
use platform::config::{AuthMode, ServiceConfig};
use platform::events::{Bus, StreamSpec};
use platform::inbox::ConsumerSpec;
use platform::service::{Base, Service};
use proto::dispatch::v1::dispatch_service_server::DispatchServiceServer;
use secrecy::ExposeSecret;
use sqlx::PgPool;
use sqlx::migrate::Migrator;

use crate::api::DispatchApi;
use crate::application::{Context, Policy, Rules};
use crate::config::{DEFAULTS, Decisions, DispatchConfig, Intake, Placements, Workers};
use crate::consumers::{self, TicketRequests};
use crate::domain::deadline::{DeadlineRules, Escalation};
use crate::events;
use crate::registry::Registry;
use crate::repository::calendar;
use crate::{MIGRATOR, workers};

/// A dispatch instance, bound and ready to run.
pub struct App {
    base: Base,
    ctx: Context,
    workers: Workers,
    intake: Intake,
    decisions: Decisions,
    placements: Placements,
    /// The service's own token, for what it does on nobody's behalf.
    token: String,
}

impl Service for App {
    type Config = DispatchConfig;

    const NAME: &'static str = "ticket-dispatch";
    const CONFIG_NAME: &'static str = "dispatch";
    const DEFAULTS: &'static str = DEFAULTS;
    const HEALTH_SERVICE: &'static str = "weigrid.dispatch.v1.DispatchService";
    const STREAM: StreamSpec = events::STREAM;
    const FILE_DESCRIPTOR_SET: &'static [u8] = proto::FILE_DESCRIPTOR_SET;
    const MIGRATOR: &'static Migrator = &MIGRATOR;
    const POLICY: &'static [platform::authz::Rule] = crate::application::access::POLICY;

    fn shared(config: &DispatchConfig) -> &ServiceConfig {
        &config.service
    }

    fn shared_mut(config: &mut DispatchConfig) -> &mut ServiceConfig {
        &mut config.service
    }

    /// Reads the business calendar, then builds dispatch on the base with
    /// its registry client and policy.
    ///
    /// # Errors
    /// The calendar cannot be read, the service token is missing in
    /// production, the auth settings are unusable or the address cannot be
    /// bound.
    async fn from_parts(
        config: DispatchConfig,
        pool: PgPool,
        bus: Bus,
        clock: SharedClock,
    ) -> anyhow::Result<Self> {
        let token = service_token(&config)?;
        let registry = Registry::new(&config.clients.registry, &token)?;
        let (calendar, version) = {
            let mut conn = pool.acquire().await?;
            calendar::load(&mut conn)
                .await
                .context("reading the business calendar")?
        };
        let rules = Rules::new(
            DeadlineRules {
                calendar,
                warning_fractions: config.deadlines.fractions(),
                escalation: if config.deadlines.escalate {
                    Escalation::UpTheChain
                } else {
                    Escalation::Off
                },
            },
            version,
        );
        let base = Base::new::<Self>(&config, pool, bus, clock).await?;
        let ctx = Context {
            units: base.units().clone(),
            registry,
            rules,
            policy: Policy {
                limits: config.deadlines.channel_limits(),
                assessment: config.assessment,
                duplicates: config.duplicates,
            },
        };
        Ok(Self {
            base,
            ctx,
            workers: config.workers,
            intake: config.intake,
            decisions: config.decisions,
            placements: config.placements,
            token,
        })
    }

    fn local_addr(&self) -> SocketAddr {
        self.base.local_addr()
    }

    /// Runs the deadline timers and the router, follows the registry's
    /// grid events for the grid map, and consumes the ticket requests of
    /// every intake source and case review's decisions, while serving.
    async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send,
    ) -> anyhow::Result<()> {
        let (units, registry, rules, every) = (
            self.ctx.units.clone(),
            self.ctx.registry.clone(),
            self.ctx.rules.clone(),
            self.workers.timer_interval,
        );
        self.base
            .spawn(|cancel| workers::run_timers(units, registry, rules, every, cancel));
        let (units, rules, every) = (
            self.ctx.units.clone(),
            self.ctx.rules.clone(),
            self.workers.calendar_refresh,
        );
        self.base
            .spawn(|cancel| workers::follow_calendar_edits(units, rules, every, cancel));
        let (ctx, every) = (self.ctx.clone(), self.workers.router_interval);
        self.base
            .spawn(|cancel| workers::run_router(ctx, every, cancel));
        if let Some(source) = self.placements.source() {
            let (bus, registry, every) = (
                self.base.bus().clone(),
                self.ctx.registry.clone(),
                self.placements.refresh,
            );
            self.base
                .spawn(|cancel| workers::follow_grids(bus, registry, source, every, cancel));
        }
        for (stream, root) in self.intake.sources() {
            let spec = ConsumerSpec {
                name: format!("dispatch-{root}-ticket-requested"),
                stream: StreamSpec {
                    name: stream.into(),
                    subject_root: root.clone().into(),
                },
                filter_subject: format!("{root}.ticket.requested"),
                batch: 1,
            };
            let handler = TicketRequests {
                ctx: self.ctx.clone(),
                token: self.token.clone(),
                source: root,
            };
            self.base.consume(spec, handler);
        }
        if let Some((stream, root)) = self.decisions.source() {
            let spec = ConsumerSpec {
                name: consumers::DECISIONS_CONSUMER.into(),
                stream: StreamSpec {
                    name: stream.into(),
                    subject_root: root.clone().into(),
                },
                filter_subject: format!("{root}.decision.made"),
                batch: 1,
            };
            let handler = consumers::Decisions {
                ctx: self.ctx.clone(),
            };
            self.base.consume(spec, handler);
        }
        let limit = self.base.max_message_bytes();
        let service = DispatchServiceServer::new(DispatchApi::new(self.ctx))
            .max_decoding_message_size(limit)
            .max_encoding_message_size(limit);
        self.base.serve(service, shutdown).await
    }
}

/// Returns the service's own token: the configured one, or in development
/// one issued here.
///
/// # Errors
/// No token is configured and auth.mode is jwt.
fn service_token(config: &DispatchConfig) -> anyhow::Result<String> {
    match (&config.clients.service_token, config.service.auth.mode) {
        (Some(token), _) => Ok(token.expose_secret().to_owned()),
        (None, AuthMode::Dev) => Ok(DevIssuer::from_config(&config.service.auth)?.issue(
            App::NAME,
            Role::Service,
            None,
            Duration::from_secs(365 * 24 * 3600),
        )),
        (None, AuthMode::Jwt) => {
            anyhow::bail!("clients.service_token is required when auth.mode is jwt")
        }
    }
}
