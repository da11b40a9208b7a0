//! Wiring: video-ingest on the platform's base, with the registry client,
//! the evidence store, the SIP gateway, the health timers and the
//! retention purge.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use platform::auth::{DevIssuer, Role};
use platform::clock::SharedClock;
use platform::config::{AuthMode, ServiceConfig};
use platform::events::{Bus, StreamSpec};
use platform::inbox::ConsumerSpec;
use platform::service::{Base, Service};
use proto::video::v1::video_service_server::VideoServiceServer;
use secrecy::ExposeSecret;
use sqlx::PgPool;
use sqlx::migrate::Migrator;

use crate::api::VideoApi;
use crate::application::Context;
use crate::application::admission::{Admission, Capacity};
use crate::application::analytics::Analytics;
use crate::application::evidence::EvidenceRules;
use crate::config::{DEFAULTS, VideoConfig};
use crate::gateway::Gateway;
use crate::registry::Registry;
use crate::store::EvidenceStore;
use crate::{MIGRATOR, consumers, events, workers};

/// A video-ingest instance, bound and ready to run.
pub struct App {
    base: Base,
    ctx: Context,
    gateway: Gateway,
    health_interval: Duration,
    purge_interval: Duration,
    consumer_batch: usize,
}

impl App {
    /// Returns the address the SIP gateway listens on (UDP and TCP).
    pub fn sip_addr(&self) -> SocketAddr {
        self.gateway.local_addr()
    }
}

impl Service for App {
    type Config = VideoConfig;

    const NAME: &'static str = "video-ingest";
    const CONFIG_NAME: &'static str = "video";
    const DEFAULTS: &'static str = DEFAULTS;
    const HEALTH_SERVICE: &'static str = "weigrid.video.v1.VideoService";
    const STREAM: StreamSpec = events::STREAM;
    const FILE_DESCRIPTOR_SET: &'static [u8] = proto::FILE_DESCRIPTOR_SET;
    const POLICY: &'static [platform::authz::Rule] = crate::application::access::POLICY;
    const MIGRATOR: &'static Migrator = &MIGRATOR;

    fn shared(config: &VideoConfig) -> &ServiceConfig {
        &config.service
    }

    fn shared_mut(config: &mut VideoConfig) -> &mut ServiceConfig {
        &mut config.service
    }

    /// Builds video-ingest on the base with its registry client, and binds
    /// the SIP gateway.
    ///
    /// # Errors
    /// The service token is missing in production, the auth settings are
    /// unusable, or an address cannot be bound.
    async fn from_parts(
        config: VideoConfig,
        pool: PgPool,
        bus: Bus,
        clock: SharedClock,
    ) -> anyhow::Result<Self> {
        let token = service_token(&config)?;
        let registry = Registry::new(&config.clients.registry, &token)?;
        let base = Base::new::<Self>(&config, pool, bus, clock).await?;
        let ctx = Context {
            units: base.units().clone(),
            registry,
            rules: Arc::new(config.sip.rules()),
            offset: config.town.offset(),
            bus: base.bus().clone(),
            analytics: analytics(&config),
            store: EvidenceStore::new(config.evidence.storage.open()?),
            evidence: evidence_rules(&config),
        };
        let gateway = Gateway::bind(ctx.clone(), &config.sip).await?;
        Ok(Self {
            base,
            ctx,
            gateway,
            health_interval: config.health.check_interval,
            purge_interval: config.evidence.purge_interval,
            consumer_batch: config.analytics.consumer_batch,
        })
    }

    fn local_addr(&self) -> SocketAddr {
        self.base.local_addr()
    }

    /// Runs the SIP gateway and the health timers while serving.
    async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send,
    ) -> anyhow::Result<()> {
        let gateway = self.gateway;
        self.base.spawn(|cancel| gateway.run(cancel));
        let (ctx, every) = (self.ctx.clone(), self.health_interval);
        self.base
            .spawn(|cancel| workers::run_health(ctx, every, cancel));
        let (ctx, every) = (self.ctx.clone(), self.purge_interval);
        self.base
            .spawn(|cancel| workers::run_retention(ctx, every, cancel));
        self.base.consume(
            ConsumerSpec {
                name: consumers::ANALYTIC_CONSUMER.into(),
                stream: events::STREAM,
                filter_subject: events::ANALYTIC_RECEIVED.into(),
                // A camera flood's events are taken in together: one commit
                // for many, so a flood costs the database (and the 12345
                // intake beside it) far less than one commit each.
                batch: self.consumer_batch,
            },
            consumers::AnalyticEvents {
                ctx: self.ctx.clone(),
            },
        );
        let limit = self.base.max_message_bytes();
        let service = VideoServiceServer::new(VideoApi::new(self.ctx))
            .max_decoding_message_size(limit)
            .max_encoding_message_size(limit);
        self.base.serve(service, shutdown).await
    }
}

/// Returns the bounds of analytic intake.
pub(crate) fn analytics(config: &VideoConfig) -> Analytics {
    let window = chrono::TimeDelta::from_std(config.analytics.incident_window)
        .unwrap_or(chrono::TimeDelta::minutes(5));
    Analytics {
        in_flight: Arc::new(tokio::sync::Semaphore::new(config.analytics.max_in_flight)),
        admission: Admission::new(Capacity {
            overall_per_second: config.analytics.max_events_per_second,
            per_sender_per_second: config.analytics.max_events_per_second_per_sender,
        }),
        max_batch: config.analytics.max_batch,
        window,
    }
}

/// Returns the limits of evidence and disclosure.
pub(crate) fn evidence_rules(config: &VideoConfig) -> EvidenceRules {
    let delta = |d: Duration| chrono::TimeDelta::from_std(d).unwrap_or(chrono::TimeDelta::MAX);
    EvidenceRules {
        retention: delta(config.evidence.retention),
        max_window: delta(config.evidence.max_window),
        max_file_bytes: config.evidence.max_file_bytes,
        valid_for: delta(config.disclosure.valid_for),
    }
}

/// Returns the service's own token: the configured one, or in development
/// one issued here.
///
/// # Errors
/// No token is configured and auth.mode is jwt.
fn service_token(config: &VideoConfig) -> anyhow::Result<String> {
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
