//! Wiring: case exchange on the platform's base — the local API served by
//! the base, the peer port beside it (mutual TLS, its own listener), one
//! sender per peer, the deadline worker and the consumer of this town's
//! dispatch tickets.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context as _;
use backon::ExponentialBuilder;
use platform::clock::SharedClock;
use platform::config::ServiceConfig;
use platform::events::{Bus, StreamSpec};
use platform::inbox::ConsumerSpec;
use platform::service::{Base, Service};
use proto::exchange::v1::exchange_service_server::ExchangeServiceServer;
use proto::exchange::v1::peer_service_server::PeerServiceServer;
use sqlx::PgPool;
use sqlx::migrate::Migrator;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::api::ExchangeApi;
use crate::api::peer::PeerApi;
use crate::application::{Context, Policy};
use crate::config::{DEFAULTS, ExchangeConfig};
use crate::consumers::{self, TicketEvents};
use crate::peers::PeerClient;
use crate::pki::Identity;
use crate::{MIGRATOR, events, workers};

/// A case-exchange node, bound and ready to run.
pub struct App {
    base: Base,
    ctx: Context,
    config: ExchangeConfig,
    peer_listener: TcpListener,
    senders: Vec<(crate::domain::node::NodeId, PeerClient)>,
}

impl App {
    /// Returns the address the peer port listens on.
    pub fn peer_addr(&self) -> SocketAddr {
        self.peer_listener
            .local_addr()
            .expect("a bound listener has an address")
    }
}

impl Service for App {
    type Config = ExchangeConfig;

    const NAME: &'static str = "case-exchange";
    const CONFIG_NAME: &'static str = "exchange";
    const DEFAULTS: &'static str = DEFAULTS;
    const HEALTH_SERVICE: &'static str = "weigrid.exchange.v1.ExchangeService";
    const STREAM: StreamSpec = events::STREAM;
    const FILE_DESCRIPTOR_SET: &'static [u8] = proto::FILE_DESCRIPTOR_SET;
    const MIGRATOR: &'static Migrator = &MIGRATOR;
    const POLICY: &'static [platform::authz::Rule] = crate::application::access::POLICY;

    fn shared(config: &ExchangeConfig) -> &ServiceConfig {
        &config.service
    }

    fn shared_mut(config: &mut ExchangeConfig) -> &mut ServiceConfig {
        &mut config.service
    }

    /// Builds the node on the base: its identity and allow-list, a client
    /// per peer, and the bound peer port.
    ///
    /// # Errors
    /// The keys, certificates or allow-list are unusable, or an address
    /// cannot be bound.
    async fn from_parts(
        config: ExchangeConfig,
        pool: PgPool,
        bus: Bus,
        clock: SharedClock,
    ) -> anyhow::Result<Self> {
        let identity = Identity::load(&config)?;
        let port = &config.peer_port;
        let senders = identity
            .links
            .iter()
            .map(|(node, link)| {
                let client = PeerClient::connect(
                    link,
                    port.cert_path.clone(),
                    port.key_path.clone(),
                    port.connect_timeout,
                    port.request_timeout,
                )
                .with_context(|| format!("the client of peer {node}"))?;
                Ok((node.clone(), client))
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        let base = Base::new::<Self>(&config, pool, bus, clock).await?;
        let peer_listener = TcpListener::bind(port.listen)
            .await
            .with_context(|| format!("binding the peer port to {}", port.listen))?;
        let ctx = Context::new(base.units().clone(), identity, Policy::of(&config.exchange));
        tracing::info!(node = %ctx.identity.node, peers = ctx.identity.peers.len(), "exchange node ready");
        Ok(Self {
            base,
            ctx,
            config,
            peer_listener,
            senders,
        })
    }

    fn local_addr(&self) -> SocketAddr {
        self.base.local_addr()
    }

    /// Serves the peer port, runs a sender per peer and the deadline
    /// worker, and serves the local API until `shutdown`.
    async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send,
    ) -> anyhow::Result<()> {
        let tls = platform::grpc::server::server_tls(&self.config.peer_port.server_tls())?;
        let limit = self.base.max_message_bytes();
        let peer_service = PeerServiceServer::new(PeerApi::new(self.ctx.clone()))
            .max_decoding_message_size(limit)
            .max_encoding_message_size(limit);
        let listener = self.peer_listener;
        let timeout = self.config.service.grpc.request_timeout;
        self.base
            .spawn(move |cancel| serve_peer_port(peer_service, listener, tls, timeout, cancel));
        let rules = &self.config.exchange;
        let backoff = ExponentialBuilder::default()
            .with_min_delay(rules.retry_min_delay)
            .with_max_delay(rules.retry_max_delay)
            .without_max_times()
            .with_jitter();
        for (peer, client) in self.senders {
            let ctx = self.ctx.clone();
            self.base
                .spawn(move |cancel| workers::run_sender(ctx, peer, client, backoff, cancel));
        }
        self.base.consume(
            ConsumerSpec {
                name: consumers::CONSUMER.into(),
                stream: events::DISPATCH,
                filter_subject: consumers::SUBJECTS.into(),
                batch: 1,
            },
            TicketEvents {
                ctx: self.ctx.clone(),
            },
        );
        let (ctx, every) = (self.ctx.clone(), rules.deadline_interval);
        self.base
            .spawn(move |cancel| workers::run_deadlines(ctx, every, cancel));
        let service = ExchangeServiceServer::new(ExchangeApi::new(self.ctx))
            .max_decoding_message_size(limit)
            .max_encoding_message_size(limit);
        self.base.serve(service, shutdown).await
    }
}

/// Serves the peer port by mutual TLS until `cancel` fires.
async fn serve_peer_port(
    service: PeerServiceServer<PeerApi>,
    listener: TcpListener,
    tls: tonic::transport::ServerTlsConfig,
    timeout: Duration,
    cancel: CancellationToken,
) {
    let addr = listener.local_addr().ok();
    let incoming = tonic::transport::server::TcpIncoming::from(listener).with_nodelay(Some(true));
    let served = match tonic::transport::Server::builder().tls_config(tls) {
        Ok(builder) => {
            tracing::info!(?addr, "peer port listening (mutual TLS)");
            builder
                .timeout(timeout)
                .add_service(service)
                .serve_with_incoming_shutdown(incoming, cancel.cancelled())
                .await
                .map_err(anyhow::Error::from)
        }
        Err(err) => Err(err.into()),
    };
    if let Err(err) = served {
        tracing::error!(error = format!("{err:#}"), "the peer port stopped");
    }
}
