//! Wiring: case review on the platform's base, with the consumer of
//! dispatch's referrals and the reminder worker.

use std::future::Future;
use std::net::SocketAddr;

use platform::clock::SharedClock;
use platform::config::ServiceConfig;
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
        let base = Base::new::<Self>(&config, pool, bus, clock).await?;
        let ctx = Context {
            units: base.units().clone(),
            policy,
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
