//! Wiring. The edge is a service like the others in start-up and drain
//! (configuration → telemetry → listener → serve → drain), but it owns no
//! database and no stream, so `platform::service::Service` (whose `Base`
//! holds a pool, a bus, an outbox relay and a gRPC listener) does not fit:
//! it takes the platform's pieces that do — configuration loading and
//! `--check-config` (`platform::process::service_main`), telemetry, the
//! verifier of tokens, the gRPC client channels, shutdown signals — and
//! serves HTTP with axum (the same hyper and tower as tonic) instead of
//! tonic. Readiness is `/readyz`, liveness `/healthz`, metrics `/metrics`
//! on `metrics.listen`.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::Context as _;
use axum::Router;
use axum::error_handling::HandleErrorLayer;
use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use platform::auth::{DevIssuer, Role};
use platform::config::AuthMode;
use secrecy::ExposeSecret as _;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::config::{EdgeConfig, LoginKind};
use crate::error::ApiError;
use crate::limits::Limits;
use crate::metrics::HttpMetrics;
use crate::neighbours::Neighbours;
use crate::photos::Photos;
use crate::session::Sessions;
use crate::staff::StaffSignIn;
use crate::state::{Edge, Shared};
use crate::wechat::{Jscode2Session, LocalStandIn, WeChatLogin};

/// The largest gRPC answer the edge decodes (a statement of a long-time
/// resident, a page of tickets).
const MAX_MESSAGE_BYTES: usize = 8 * 1024 * 1024;

/// The edge service.
pub struct App {
    config: EdgeConfig,
    edge: Shared,
    metrics: Arc<HttpMetrics>,
    listener: TcpListener,
}

impl App {
    /// The binary's name, also the name of its metrics and telemetry.
    pub const NAME: &'static str = "edge";

    /// Builds the edge as `config` says: the login exchange, the photo
    /// store, the clients; binds the listener.
    ///
    /// # Errors
    /// Unusable keys, store or endpoints, or the address cannot be bound.
    pub async fn build(config: EdgeConfig) -> anyhow::Result<Self> {
        let wechat: Arc<dyn WeChatLogin> = match config.wechat.login {
            LoginKind::Local => {
                tracing::warn!(
                    "signing in through the local stand-in for WeChat (development only)"
                );
                Arc::new(LocalStandIn)
            }
            LoginKind::Jscode2session => Arc::new(Jscode2Session::new(
                &config.wechat.endpoint,
                &config.wechat.app_id,
                config
                    .wechat
                    .app_secret
                    .clone()
                    .context("wechat.app_secret is required")?,
                config.wechat.timeout,
            )?),
        };
        let photos = Photos::from_config(&config.photos)?;
        Self::from_parts(config, wechat, photos).await
    }

    /// Builds the edge from its parts (tests pass the local stand-in and an
    /// in-memory or temporary store) and binds the listener.
    ///
    /// # Errors
    /// Unusable keys or endpoints, or the address cannot be bound.
    pub async fn from_parts(
        config: EdgeConfig,
        wechat: Arc<dyn WeChatLogin>,
        photos: Photos,
    ) -> anyhow::Result<Self> {
        let token = service_token(&config)?;
        let neighbours = Neighbours::new(&config.clients, &token, MAX_MESSAGE_BYTES)?;
        let edge = Arc::new(Edge {
            sessions: Sessions::from_config(&config.auth, &config.session)?,
            wechat,
            photos,
            limits: Limits::new(&config.limits),
            neighbours,
            open311: config.open311.clone(),
            staff: StaffSignIn::from_config(&config.console, &config.auth)?,
            ready: AtomicBool::new(true),
        });
        let listener = TcpListener::bind(config.http.listen)
            .await
            .with_context(|| format!("binding HTTP to {}", config.http.listen))?;
        Ok(Self {
            config,
            edge,
            metrics: Arc::new(HttpMetrics::new(Self::NAME)),
            listener,
        })
    }

    /// Returns the address HTTP listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    /// Returns the shared state (tests count the photo store through it).
    pub fn edge(&self) -> Shared {
        self.edge.clone()
    }

    /// Returns every route with its layers: the mini-program API, Open311,
    /// the console, health; then per-address limits, metrics and tracing, and the
    /// request timeout.
    pub fn router(&self) -> Router {
        let timeout = self.config.http.request_timeout;
        Router::new()
            .merge(crate::api::router(&self.edge))
            .merge(crate::open311::router())
            .merge(crate::console::router(&self.edge))
            .route("/healthz", get(|| async { "ok" }))
            .route("/readyz", get(ready))
            .fallback(|| async { ApiError::not_found("no such endpoint") })
            .layer(middleware::from_fn_with_state(
                self.edge.clone(),
                per_address,
            ))
            .layer(
                tower::ServiceBuilder::new()
                    .layer(HandleErrorLayer::new(|_: tower::BoxError| async {
                        ApiError::unavailable("the request took too long; try again")
                    }))
                    .timeout(timeout),
            )
            .layer(middleware::from_fn_with_state(
                self.metrics.clone(),
                crate::metrics::track,
            ))
            .with_state(self.edge.clone())
    }

    /// Serves until `shutdown` completes, then drains: `/readyz` turns 503,
    /// the listener stops accepting, in-flight requests get
    /// `http.drain_timeout` to finish.
    ///
    /// # Errors
    /// The metrics address cannot be bound, or the server fails.
    pub async fn run_until_stopped(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let background = CancellationToken::new();
        if self.config.metrics.enabled {
            let addr = self
                .metrics
                .clone()
                .serve(self.config.metrics.listen, background.clone())
                .await
                .with_context(|| format!("binding metrics to {}", self.config.metrics.listen))?;
            tracing::info!(%addr, "metrics listening");
        }
        tokio::spawn(self.edge.limits.clone().sweep(background.clone()));
        let router = self.router();
        let addr = self.local_addr();
        tracing::info!(%addr, "edge listening");
        let stopping = CancellationToken::new();
        let (edge, signal) = (self.edge.clone(), stopping.clone());
        let server = axum::serve(
            self.listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async move {
            shutdown.await;
            edge.ready.store(false, Ordering::SeqCst);
            tracing::info!("draining");
            signal.cancel();
        });
        let drain = self.config.http.drain_timeout;
        let outcome = tokio::select! {
            served = server.into_future() => served.context("serving HTTP"),
            () = drained(stopping, drain) => {
                tracing::warn!(?drain, "requests still in flight after the drain timeout");
                Ok(())
            }
        };
        background.cancel();
        outcome
    }
}

/// Completes `drain` after `stopping` fired.
async fn drained(stopping: CancellationToken, drain: Duration) {
    stopping.cancelled().await;
    tokio::time::sleep(drain).await;
}

/// `/readyz`: 200 while serving, 503 while draining.
async fn ready(State(edge): State<Shared>) -> Response {
    if edge.ready.load(Ordering::SeqCst) {
        "ready".into_response()
    } else {
        ApiError::unavailable("draining").into_response()
    }
}

/// Counts every request against its client address's quota.
async fn per_address(
    State(edge): State<Shared>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
    next: Next,
) -> Response {
    match edge.limits.address(peer.ip()) {
        Ok(()) => next.run(request).await,
        Err(refused) => refused.into_response(),
    }
}

/// Returns the edge's own token: the configured one, or in development one
/// issued here.
///
/// # Errors
/// No token is configured and auth.mode is jwt.
fn service_token(config: &EdgeConfig) -> anyhow::Result<String> {
    match (&config.clients.service_token, config.auth.mode) {
        (Some(token), _) => Ok(token.expose_secret().to_owned()),
        (None, AuthMode::Dev) => Ok(DevIssuer::from_config(&config.auth)?.issue(
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
