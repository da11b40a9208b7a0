//! Wiring: the registry on the platform's base, with its spatial index kept
//! fresh by the listener and the periodic refresh.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use platform::clock::SharedClock;
use platform::config::ServiceConfig;
use platform::events::{Bus, StreamSpec};
use platform::service::{Base, Service};
use proto::registry::v1::registry_service_server::RegistryServiceServer;
use sqlx::PgPool;
use sqlx::migrate::Migrator;

use crate::api::RegistryApi;
use crate::application::Context;
use crate::config::{DEFAULTS, RegistryConfig};
use crate::domain::index::SpatialIndex;
use crate::{MIGRATOR, events, listener};

/// A registry instance, bound and ready to run.
pub struct App {
    base: Base,
    index: Arc<SpatialIndex>,
    api: RegistryApi,
    /// How often the whole index is reloaded.
    index_full_refresh: Duration,
}

impl Service for App {
    type Config = RegistryConfig;

    const NAME: &'static str = "grid-registry";
    const CONFIG_NAME: &'static str = "registry";
    const DEFAULTS: &'static str = DEFAULTS;
    const HEALTH_SERVICE: &'static str = "weigrid.registry.v1.RegistryService";
    const STREAM: StreamSpec = events::STREAM;
    const FILE_DESCRIPTOR_SET: &'static [u8] = proto::FILE_DESCRIPTOR_SET;
    const MIGRATOR: &'static Migrator = &MIGRATOR;
    const POLICY: &'static [platform::authz::Rule] = crate::application::access::POLICY;

    fn shared(config: &RegistryConfig) -> &ServiceConfig {
        &config.service
    }

    fn shared_mut(config: &mut RegistryConfig) -> &mut ServiceConfig {
        &mut config.service
    }

    /// Loads the index, then builds the registry on the base.
    ///
    /// # Errors
    /// The index cannot be loaded, the auth settings are unusable or the
    /// address cannot be bound.
    async fn from_parts(
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
        let base = Base::new::<Self>(&config, pool, bus, clock).await?;
        let index_full_refresh = config.registry.index_full_refresh;
        let ctx = Context::new(base.units().clone(), index.clone(), config.registry);
        Ok(Self {
            base,
            index,
            api: RegistryApi::new(ctx),
            index_full_refresh,
        })
    }

    fn local_addr(&self) -> SocketAddr {
        self.base.local_addr()
    }

    /// Follows the registry's grid events and refreshes the index
    /// periodically while serving.
    async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send,
    ) -> anyhow::Result<()> {
        let (bus, pool, index, metrics) = (
            self.base.bus().clone(),
            self.base.pool().clone(),
            self.index.clone(),
            self.base.units().metrics().cloned(),
        );
        self.base
            .spawn(|cancel| listener::follow(bus, pool, index, metrics, cancel));
        let (pool, index, every) = (
            self.base.pool().clone(),
            self.index.clone(),
            self.index_full_refresh,
        );
        self.base
            .spawn(|cancel| listener::refresh_periodically(pool, index, every, cancel));
        tracing::info!(grids = self.index.snapshot().len(), "spatial index loaded");
        let limit = self.base.max_message_bytes();
        let service = RegistryServiceServer::new(self.api)
            .max_decoding_message_size(limit)
            .max_encoding_message_size(limit);
        self.base.serve(service, shutdown).await
    }
}

impl App {
    /// Returns the spatial index (for benchmarks and tests).
    pub fn index(&self) -> Arc<SpatialIndex> {
        self.index.clone()
    }
}
