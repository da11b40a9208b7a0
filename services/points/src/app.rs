//! Wiring: points on the platform's base, with the consumer of dispatch's
//! events and the expiry worker.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use platform::clock::SharedClock;
use platform::config::ServiceConfig;
use platform::events::{Bus, StreamSpec};
use platform::inbox::ConsumerSpec;
use platform::service::{Base, Service};
use proto::points::v1::points_service_server::PointsServiceServer;
use sqlx::PgPool;
use sqlx::migrate::Migrator;

use crate::api::PointsApi;
use crate::application::{Context, Policy};
use crate::config::{DEFAULTS, PointsConfig};
use crate::consumers::{self, TicketEvents};
use crate::events::{self, DISPATCH};
use crate::{MIGRATOR, workers};

/// A points instance, bound and ready to run.
pub struct App {
    base: Base,
    ctx: Context,
    /// How often the expiry worker looks for points that lapse.
    expiry_interval: Duration,
}

impl Service for App {
    type Config = PointsConfig;

    const NAME: &'static str = "points";
    const CONFIG_NAME: &'static str = "points";
    const DEFAULTS: &'static str = DEFAULTS;
    const HEALTH_SERVICE: &'static str = "weigrid.points.v1.PointsService";
    const STREAM: StreamSpec = events::STREAM;
    const FILE_DESCRIPTOR_SET: &'static [u8] = proto::FILE_DESCRIPTOR_SET;
    const MIGRATOR: &'static Migrator = &MIGRATOR;
    const POLICY: &'static [platform::authz::Rule] = crate::application::access::POLICY;

    fn shared(config: &PointsConfig) -> &ServiceConfig {
        &config.service
    }

    fn shared_mut(config: &mut PointsConfig) -> &mut ServiceConfig {
        &mut config.service
    }

    /// Builds points on the base, with the policy of `config`.
    ///
    /// # Errors
    /// The auth settings are unusable, or the address cannot be bound.
    async fn from_parts(
        config: PointsConfig,
        pool: PgPool,
        bus: Bus,
        clock: SharedClock,
    ) -> anyhow::Result<Self> {
        let base = Base::new::<Self>(&config, pool, bus, clock).await?;
        let ctx = Context {
            units: base.units().clone(),
            policy: Policy::of(&config),
        };
        Ok(Self {
            base,
            ctx,
            expiry_interval: config.expiry.check_interval,
        })
    }

    fn local_addr(&self) -> SocketAddr {
        self.base.local_addr()
    }

    /// Consumes dispatch's ticket events and runs the expiry worker while
    /// serving.
    async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send,
    ) -> anyhow::Result<()> {
        self.base.consume(
            ConsumerSpec {
                name: consumers::CONSUMER.into(),
                stream: DISPATCH,
                filter_subject: consumers::SUBJECTS.into(),
                batch: 1,
            },
            TicketEvents {
                policy: self.ctx.policy,
            },
        );
        let (ctx, every) = (self.ctx.clone(), self.expiry_interval);
        self.base
            .spawn(|cancel| workers::run_expiry(ctx, every, cancel));
        let limit = self.base.max_message_bytes();
        let service = PointsServiceServer::new(PointsApi::new(self.ctx))
            .max_decoding_message_size(limit)
            .max_encoding_message_size(limit);
        self.base.serve(service, shutdown).await
    }
}
