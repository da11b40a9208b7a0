//! A registry served on a free port over a test's own database and NATS
//! subject prefix, with clients for any role: the harness of this crate's
//! API tests, the system tests and the benchmarks.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use platform::auth::{DevIssuer, Role};
use platform::clock::ManualClock;
use platform::events::Bus;
use platform::grpc::client::Outgoing;
use proto::registry::v1 as pb;
use proto::registry::v1::registry_service_client::RegistryServiceClient;
use sqlx::PgPool;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

use crate::config::DEFAULTS;
use crate::{App, MIGRATOR, RegistryConfig};

/// A registry client sending a bearer token.
pub type Client = RegistryServiceClient<InterceptedService<Channel, Outgoing>>;

/// The development secret of `config/default.toml`.
const DEV_SECRET: &str = "weigrid-development-secret-not-for-production";

pub struct TestApp {
    pub addr: SocketAddr,
    pub config: RegistryConfig,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<anyhow::Result<()>>>,
}

/// Configuration for a test instance: free port, no metrics endpoint, a
/// fresh NATS prefix, a quick relay; `overrides` are `WEIGRID_REGISTRY__…`
/// style keys without the prefix (e.g. `NATS__URL`).
pub fn test_config(prefix: &str, overrides: &[(&str, String)]) -> RegistryConfig {
    let mut settings = vec![
        ("NATS__ACK_TIMEOUT", "1s".to_owned()),
        ("OUTBOX__MAX_BACKOFF", "200ms".to_owned()),
    ];
    settings.extend_from_slice(overrides);
    platform::testing::service_config("registry", DEFAULTS, prefix, &settings)
}

pub fn start_time() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-03-02T01:00:00Z")
        .unwrap()
        .to_utc()
}

impl TestApp {
    /// Migrates `pool` and serves a registry on it.
    pub async fn spawn(pool: PgPool) -> Self {
        Self::spawn_with(pool, test_config(&platform::testing::unique_prefix(), &[])).await
    }

    /// Serves a registry with `config` (the pool is migrated first).
    pub async fn spawn_with(pool: PgPool, config: RegistryConfig) -> Self {
        platform::telemetry::init_for_tests();
        platform::db::migrate(&pool, &MIGRATOR)
            .await
            .expect("migrations apply");
        let bus = Bus::connect(&config.service.nats)
            .await
            .expect("NATS URL is valid");
        let clock = ManualClock::new(start_time());
        let app = App::from_parts(config.clone(), pool.clone(), bus, Arc::new(clock.clone()))
            .await
            .expect("app builds");
        let addr = app.local_addr();
        let (stop, stopped) = oneshot::channel();
        let task = tokio::spawn(app.run_until_stopped(async {
            let _ = stopped.await;
        }));
        Self {
            addr,
            config,
            stop: Some(stop),
            task: Some(task),
        }
    }

    /// Asks the app to stop (as SIGTERM does) and waits until it has.
    pub async fn shutdown(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.await
                .expect("app task joins")
                .expect("app stops cleanly");
        }
    }

    /// Returns a channel to the app.
    pub async fn channel(&self) -> Channel {
        Channel::from_shared(format!("http://{}", self.addr))
            .unwrap()
            .connect()
            .await
            .expect("app accepts connections")
    }

    /// Returns a client acting with `role`, scoped to `scope`.
    pub async fn client_as(&self, role: Role, scope: Option<&str>) -> Client {
        let token = token(role, scope);
        RegistryServiceClient::with_interceptor(
            self.channel().await,
            Outgoing::bearer(&token).unwrap(),
        )
        .max_decoding_message_size(64 * 1024 * 1024)
    }

    /// Returns a town operator's client.
    pub async fn operator(&self) -> Client {
        self.client_as(Role::TownOperator, None).await
    }

    /// Returns the stream name of this app's events.
    pub fn bus_config(&self) -> &platform::config::NatsConfig {
        &self.config.service.nats
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Returns a development token.
pub fn token(role: Role, scope: Option<&str>) -> String {
    DevIssuer::new(DEV_SECRET, "weigrid-dev", "weigrid").issue(
        &format!("test-{role}"),
        role,
        scope,
        Duration::from_secs(3600),
    )
}

/// A rectangle as a proto polygon.
pub fn rect(x0: f64, y0: f64, x1: f64, y1: f64) -> pb::Polygon {
    let ring = [(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)];
    pb::Polygon {
        exterior: Some(pb::Ring {
            points: ring
                .iter()
                .map(|&(lng, lat)| pb::LatLng { lat, lng })
                .collect(),
        }),
        holes: Vec::new(),
    }
}

pub fn grid_request(
    code: &str,
    level: pb::GridLevel,
    parent: &str,
    boundary: pb::Polygon,
) -> pb::CreateGridRequest {
    let micro = level == pb::GridLevel::Micro;
    pb::CreateGridRequest {
        idempotency_key: String::new(),
        code: code.into(),
        name: format!("{code} name"),
        level: level.into(),
        parent_code: parent.into(),
        boundary: Some(boundary),
        households: if micro { 30 } else { 0 },
        party_group: if micro {
            format!("{code} 党小组")
        } else {
            String::new()
        },
    }
}

/// Creates a small town (for this crate's tests and those of services
/// that ask the registry): LX (121.00–121.10 E, 30.00–30.10 N) with two
/// villages V1 (west) and V2 (east), one area point each, and two
/// micro-grids per area split at 30.05 N:
/// V1-A1-M01 (south-west), V1-A1-M02 (north-west), V2-A1-M01, V2-A1-M02.
pub async fn small_town(client: &mut Client) {
    use pb::GridLevel::*;
    let grids = [
        grid_request("LX", Town, "", rect(121.0, 30.0, 121.1, 30.1)),
        grid_request("V1", Village, "LX", rect(121.0, 30.0, 121.05, 30.1)),
        grid_request("V2", Village, "LX", rect(121.05, 30.0, 121.1, 30.1)),
        grid_request("V1-A1", Area, "V1", rect(121.0, 30.0, 121.05, 30.1)),
        grid_request("V2-A1", Area, "V2", rect(121.05, 30.0, 121.1, 30.1)),
        grid_request(
            "V1-A1-M01",
            Micro,
            "V1-A1",
            rect(121.0, 30.0, 121.05, 30.05),
        ),
        grid_request(
            "V1-A1-M02",
            Micro,
            "V1-A1",
            rect(121.0, 30.05, 121.05, 30.1),
        ),
        grid_request(
            "V2-A1-M01",
            Micro,
            "V2-A1",
            rect(121.05, 30.0, 121.1, 30.05),
        ),
        grid_request(
            "V2-A1-M02",
            Micro,
            "V2-A1",
            rect(121.05, 30.05, 121.1, 30.1),
        ),
    ];
    for request in grids {
        client
            .create_grid(request)
            .await
            .expect("the small town is valid");
    }
}
