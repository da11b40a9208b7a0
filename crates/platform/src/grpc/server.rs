//! Serving one weigrid gRPC service with health, reflection (v1 and
//! v1alpha: grpcurl 1.8 and Python grpcio speak only v1alpha), the platform
//! layer, deadlines, TLS and graceful shutdown.

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use sqlx::PgPool;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tonic::body::Body;
use tonic::server::NamedService;
use tonic::transport::{Certificate, Identity, Server, ServerTlsConfig};
use tonic_health::ServingStatus;
use tonic_health::server::HealthReporter;

use crate::auth::Verifier;
use crate::config::GrpcConfig;
use crate::events::Bus;
use crate::grpc::PlatformLayer;
use crate::metrics::Metrics;

/// How often readiness is re-checked: fast enough that a probe sees a lost
/// database within a few seconds, cheap enough to be invisible.
const HEALTH_INTERVAL: Duration = Duration::from_secs(2);

/// The service's `grpc.health.v1` status. The service's own name (e.g.
/// `weigrid.registry.v1.RegistryService`) is readiness: NOT_SERVING until
/// PostgreSQL answers, and again when it goes away. NATS is not part of it:
/// while NATS is away writes go on into the outbox and leave when it
/// returns, so taking every pod out of its Service would turn a bus outage
/// into a service outage. The empty name is liveness: SERVING while the
/// process serves, so an orchestrator does not restart pods that wait for a
/// database; both turn NOT_SERVING at shutdown.
#[derive(Clone)]
pub struct Health {
    reporter: HealthReporter,
    service_name: &'static str,
}

impl Health {
    /// Sets readiness (the service's name) to `status`.
    pub async fn set_ready(&self, status: ServingStatus) {
        self.reporter
            .set_service_status(self.service_name, status)
            .await;
    }

    /// Sets both liveness and readiness to NOT_SERVING: shutting down.
    pub async fn set_stopping(&self) {
        self.reporter
            .set_service_status("", ServingStatus::NotServing)
            .await;
        self.reporter
            .set_service_status(self.service_name, ServingStatus::NotServing)
            .await;
    }

    /// Keeps the status SERVING while PostgreSQL answers, NOT_SERVING
    /// otherwise, until `cancel` fires; logs when NATS goes away and comes
    /// back, and samples the pool into `metrics`.
    pub async fn watch(
        self,
        pool: PgPool,
        bus: Bus,
        metrics: Arc<Metrics>,
        cancel: CancellationToken,
    ) {
        let (mut last, mut nats_was) = (None, None);
        loop {
            let database = tokio::time::timeout(
                Duration::from_secs(2),
                sqlx::query("SELECT 1").execute(&pool),
            )
            .await
            .is_ok_and(|r| r.is_ok());
            metrics.sample_pool(&pool);
            let nats = bus.is_connected();
            if nats_was != Some(nats) {
                if nats {
                    tracing::info!("NATS reachable");
                } else if nats_was.is_some() {
                    tracing::warn!("NATS unreachable: events wait in the outbox until it returns");
                }
                nats_was = Some(nats);
            }
            let status = if database {
                ServingStatus::Serving
            } else {
                ServingStatus::NotServing
            };
            if last != Some(status) {
                if status == ServingStatus::Serving {
                    tracing::info!("ready: database reachable");
                } else {
                    tracing::warn!("not ready: database unreachable");
                }
                self.set_ready(status).await;
                last = Some(status);
            }
            tokio::select! {
                () = cancel.cancelled() => break,
                () = tokio::time::sleep(HEALTH_INTERVAL) => {}
            }
        }
        self.set_stopping().await;
    }
}

/// What [`serve`] needs besides the service.
pub struct ServerHandle {
    pub config: GrpcConfig,
    pub verifier: Arc<Verifier>,
    /// Who may call which of the service's RPCs.
    pub policy: Arc<crate::authz::Policy>,
    pub metrics: Arc<Metrics>,
    /// Descriptor sets for reflection (the service's; health's is added).
    pub file_descriptor_set: &'static [u8],
}

/// Serves `service` on `listener` until `shutdown` completes, then stops
/// accepting and waits for in-flight calls. The returned [`Health`] handle is
/// passed to `on_health` before serving, NOT_SERVING until the caller's
/// readiness watch says otherwise.
///
/// # Errors
/// TLS files cannot be read, or the transport fails.
pub async fn serve<S>(
    service: S,
    listener: TcpListener,
    handle: ServerHandle,
    on_health: impl FnOnce(Health),
    shutdown: impl Future<Output = ()> + Send,
) -> anyhow::Result<()>
where
    S: tower::Service<http::Request<Body>, Response = http::Response<Body>, Error = Infallible>
        + NamedService
        + Clone
        + Send
        + Sync
        + 'static,
    S::Future: Send + 'static,
{
    let (reporter, health_service) = tonic_health::server::health_reporter();
    let health = Health {
        reporter,
        service_name: S::NAME,
    };
    health
        .reporter
        .set_service_status("", ServingStatus::Serving)
        .await;
    health.set_ready(ServingStatus::NotServing).await;
    on_health(health.clone());

    let reflection_v1 = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(handle.file_descriptor_set)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1()
        .context("building reflection v1")?;
    let reflection_v1alpha = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(handle.file_descriptor_set)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1alpha()
        .context("building reflection v1alpha")?;

    let mut builder = Server::builder()
        .timeout(handle.config.request_timeout)
        .http2_keepalive_interval(Some(Duration::from_secs(30)))
        .http2_keepalive_timeout(Some(Duration::from_secs(10)));
    if let Some(tls) = &handle.config.tls {
        builder = builder
            .tls_config(server_tls(tls)?)
            .context("configuring server TLS")?;
    }
    let addr = listener.local_addr()?;
    tracing::info!(%addr, service = S::NAME, tls = handle.config.tls.is_some(), "gRPC listening");
    // Small gRPC frames must not wait for Nagle's algorithm: without this,
    // an answer can sit behind the peer's delayed ACK for tens of ms.
    let incoming = tonic::transport::server::TcpIncoming::from(listener).with_nodelay(Some(true));
    builder
        .layer(PlatformLayer::new(
            handle.verifier,
            handle.policy,
            handle.metrics,
            crate::grpc::layer::MethodTable::from_descriptors(
                handle.file_descriptor_set,
                &[S::NAME],
            ),
        ))
        .add_service(health_service)
        .add_service(reflection_v1)
        .add_service(reflection_v1alpha)
        .add_service(service)
        .serve_with_incoming_shutdown(incoming, async {
            shutdown.await;
            health.set_stopping().await;
            tracing::info!("no longer accepting calls; finishing those in flight");
        })
        .await
        .context("serving gRPC")?;
    Ok(())
}

fn server_tls(tls: &crate::config::ServerTlsConfig) -> anyhow::Result<ServerTlsConfig> {
    let cert = std::fs::read(&tls.cert_path)
        .with_context(|| format!("reading {}", tls.cert_path.display()))?;
    let key = std::fs::read(&tls.key_path)
        .with_context(|| format!("reading {}", tls.key_path.display()))?;
    let mut config = ServerTlsConfig::new().identity(Identity::from_pem(cert, key));
    if let Some(ca_path) = &tls.client_ca_path {
        let ca =
            std::fs::read(ca_path).with_context(|| format!("reading {}", ca_path.display()))?;
        config = config.client_ca_root(Certificate::from_pem(ca));
    }
    Ok(config)
}

/// What every service runs around its gRPC service.
pub struct Chassis {
    pub pool: PgPool,
    pub bus: Bus,
    pub relay: crate::outbox::Relay,
    pub metrics: Arc<Metrics>,
    pub metrics_config: crate::config::MetricsConfig,
    pub retention: crate::config::RetentionConfig,
    pub handle: ServerHandle,
}

impl Chassis {
    /// Assembles a service's chassis from its parts, its shared settings
    /// and what serving needs (`handle`).
    pub fn new(
        pool: PgPool,
        bus: Bus,
        relay: crate::outbox::Relay,
        service: &crate::config::ServiceConfig,
        handle: ServerHandle,
    ) -> Self {
        Self {
            pool,
            bus,
            relay,
            metrics: handle.metrics.clone(),
            metrics_config: service.metrics.clone(),
            retention: service.retention.clone(),
            handle,
        }
    }
}

/// Runs a service until `shutdown` completes: the outbox relay, the
/// `/metrics` endpoint, the readiness watch and `service` itself; then
/// drains: stops accepting, finishes in-flight calls, cancels `background`
/// (the service's own workers) and flushes the relay.
///
/// # Errors
/// The metrics address cannot be bound, or the server fails.
pub async fn run<S>(
    service: S,
    listener: TcpListener,
    chassis: Chassis,
    background: CancellationToken,
    shutdown: impl Future<Output = ()> + Send,
) -> anyhow::Result<()>
where
    S: tower::Service<http::Request<Body>, Response = http::Response<Body>, Error = Infallible>
        + NamedService
        + Clone
        + Send
        + Sync
        + 'static,
    S::Future: Send + 'static,
{
    let Chassis {
        pool,
        bus,
        relay,
        metrics,
        metrics_config,
        retention,
        handle,
    } = chassis;
    let relay_stop = CancellationToken::new();
    let relay = tokio::spawn(relay.run(relay_stop.clone()));
    tokio::spawn(housekeeping(pool.clone(), retention, background.clone()));
    if metrics_config.enabled {
        let addr = metrics
            .clone()
            .serve(metrics_config.listen, background.clone())
            .await?;
        tracing::info!(%addr, "metrics at /metrics");
    }
    let watch = background.clone();
    let served = serve(
        service,
        listener,
        handle,
        move |health| {
            tokio::spawn(health.watch(pool, bus, metrics, watch));
        },
        shutdown,
    )
    .await;
    background.cancel();
    relay_stop.cancel();
    relay.await.context("waiting for the outbox relay")?;
    tracing::info!("stopped");
    served
}

/// Purges the platform's bookkeeping rows older than their configured
/// retention — published outbox rows, handled inbox ids, idempotency keys —
/// once at start and then hourly, until `cancel` fires. Replicas may all do
/// it; a delete is harmless twice. Dead letters are kept until handled.
async fn housekeeping(
    pool: PgPool,
    retention: crate::config::RetentionConfig,
    cancel: CancellationToken,
) {
    loop {
        match crate::housekeeping::purge(&pool, &retention).await {
            Ok(purged) if purged.total() > 0 => tracing::info!(
                outbox = purged.outbox,
                inbox = purged.inbox,
                idempotency_keys = purged.idempotency_keys,
                "old bookkeeping rows purged"
            ),
            Ok(_) => {}
            Err(err) => tracing::warn!(error = %err, "purging bookkeeping rows failed"),
        }
        tokio::select! {
            () = cancel.cancelled() => return,
            () = tokio::time::sleep(Duration::from_secs(3600)) => {}
        }
    }
}
