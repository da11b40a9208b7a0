//! Wiring: case review on the platform's base, with the consumer of
//! dispatch's referrals and the reminder worker.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use platform::auth::{DevIssuer, Role};
use platform::clock::SharedClock;
use platform::config::{AuthMode, ServiceConfig};
use platform::events::{Bus, StreamSpec};
use platform::inbox::ConsumerSpec;
use platform::service::{Base, Service};
use proto::review::v1::review_service_server::ReviewServiceServer;
use sqlx::PgPool;
use sqlx::migrate::Migrator;

use crate::MIGRATOR;
use crate::api::ReviewApi;
use crate::application::{Context, Policy};
use crate::config::{DEFAULTS, ReviewConfig};
use crate::consumers::{self, Referrals};
use crate::events::{self, DISPATCH};
use crate::registry::Registry;
use crate::workers;

/// A case-review instance, bound and ready to run.
pub struct App {
    base: Base,
    ctx: Context,
}

impl Service for App {
    type Config = ReviewConfig;

    const NAME: &'static str = "case-review";
    const CONFIG_NAME: &'static str = "review";
    const DEFAULTS: &'static str = DEFAULTS;
    const HEALTH_SERVICE: &'static str = "weigrid.review.v1.ReviewService";
    const STREAM: StreamSpec = events::STREAM;
    const FILE_DESCRIPTOR_SET: &'static [u8] = proto::FILE_DESCRIPTOR_SET;
    const MIGRATOR: &'static Migrator = &MIGRATOR;
    const POLICY: &'static [platform::authz::Rule] = crate::application::access::POLICY;

    fn shared(config: &ReviewConfig) -> &ServiceConfig {
        &config.service
    }

    fn shared_mut(config: &mut ReviewConfig) -> &mut ServiceConfig {
        &mut config.service
    }

    /// Builds case review on the base, with the policy of `config`.
    ///
    /// # Errors
    /// The panel rules or auth settings are unusable, or the address cannot
    /// be bound.
    async fn from_parts(
        config: ReviewConfig,
        pool: PgPool,
        bus: Bus,
        clock: SharedClock,
    ) -> anyhow::Result<Self> {
        let policy = Policy::of(&config)?;
        let token = service_token(&config)?;
        let registry = Registry::new(&config.clients.registry, &token)?;
        let base = Base::new::<Self>(&config, pool, bus, clock).await?;
        let ctx = Context {
            units: base.units().clone(),
            policy,
            registry,
        };
        Ok(Self { base, ctx })
    }

    fn local_addr(&self) -> SocketAddr {
        self.base.local_addr()
    }

    /// Consumes dispatch's referrals and runs the reminder worker while
    /// serving.
    async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send,
    ) -> anyhow::Result<()> {
        self.base.consume(
            ConsumerSpec {
                name: consumers::CONSUMER.into(),
                stream: DISPATCH,
                filter_subject: consumers::SUBJECT.into(),
                batch: 1,
            },
            Referrals {
                ctx: self.ctx.clone(),
            },
        );
        let ctx = self.ctx.clone();
        self.base
            .spawn(|cancel| workers::run_reminders(ctx, cancel));
        let limit = self.base.max_message_bytes();
        let service = ReviewServiceServer::new(ReviewApi::new(self.ctx))
            .max_decoding_message_size(limit)
            .max_encoding_message_size(limit);
        self.base.serve(service, shutdown).await
    }
}

/// Returns case review's own token for the registry: the configured one,
/// or in development one issued here.
///
/// # Errors
/// No token is configured and auth.mode is jwt.
fn service_token(config: &ReviewConfig) -> anyhow::Result<String> {
    use secrecy::ExposeSecret as _;
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
