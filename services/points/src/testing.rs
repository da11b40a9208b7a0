//! A points instance on a free port over a test's own database and NATS
//! subject prefix, with a manual clock and clients for any role: the harness
//! of this crate's API tests and benchmark. [`TestPoints::with_dispatch`]
//! runs dispatch (and a registry) beside it on the same prefix.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use platform::auth::{DevIssuer, Role};
use platform::clock::ManualClock;
use platform::events::Bus;
use platform::grpc::client::Outgoing;
use prost::Message as _;
use proto::dispatch::v1 as dispatch;
use proto::points::v1 as pb;
use proto::points::v1::points_service_client::PointsServiceClient;
use sqlx::PgPool;
use ticket_dispatch::testing::TestDispatch;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

use crate::config::DEFAULTS;
use crate::{App, MIGRATOR, PointsConfig};

/// A points client sending a bearer token.
pub type Client = PointsServiceClient<InterceptedService<Channel, Outgoing>>;

/// The development secret of `config/default.toml`.
const DEV_SECRET: &str = "weigrid-development-secret-not-for-production";

/// The village of the tests (the small town's first village).
pub const VILLAGE: &str = "V1";

/// Configuration for a test instance; `overrides` are `WEIGRID_POINTS__…`
/// keys without the prefix.
pub fn test_config(prefix: &str, overrides: &[(&str, String)]) -> PointsConfig {
    let mut settings = vec![("EXPIRY__CHECK_INTERVAL", "50ms".to_owned())];
    settings.extend_from_slice(overrides);
    platform::testing::service_config("points", DEFAULTS, prefix, &settings)
}

/// Returns a token of `subject` acting as `role` in `scope`.
pub fn token_of(subject: &str, role: Role, scope: Option<&str>) -> String {
    DevIssuer::new(DEV_SECRET, "weigrid-dev", "weigrid").issue(
        subject,
        role,
        scope,
        Duration::from_secs(3600),
    )
}

/// Points, and dispatch when asked for, for one test.
pub struct TestPoints {
    pub addr: SocketAddr,
    pub clock: ManualClock,
    pub config: PointsConfig,
    pub pool: PgPool,
    pub dispatch: Option<TestDispatch>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<anyhow::Result<()>>>,
}

impl TestPoints {
    /// Serves points over `pool` on a fresh prefix.
    pub async fn spawn(pool: PgPool) -> Self {
        Self::spawn_with(pool, &[]).await
    }

    /// Serves points over `pool` with configuration `overrides`.
    pub async fn spawn_with(pool: PgPool, overrides: &[(&str, String)]) -> Self {
        platform::telemetry::init_for_tests();
        platform::db::migrate(&pool, &MIGRATOR)
            .await
            .expect("migrations apply");
        let config = test_config(&platform::testing::unique_prefix(), overrides);
        let bus = Bus::connect(&config.service.nats)
            .await
            .expect("NATS URL is valid");
        let clock = ManualClock::new(grid_registry::testing::start_time());
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
            clock,
            config,
            pool,
            dispatch: None,
            stop: Some(stop),
            task: Some(task),
        }
    }

    /// Serves points, then dispatch and a registry beside it.
    pub async fn with_dispatch(pool: PgPool) -> Self {
        let mut test = Self::spawn(pool).await;
        test.start_dispatch().await;
        test
    }

    /// Starts dispatch (and a registry) on this test's prefix.
    pub async fn start_dispatch(&mut self) {
        self.dispatch = Some(TestDispatch::spawn_beside(&self.config.service.nats.prefix).await);
    }

    /// Returns a client with `token`.
    pub async fn client(&self, token: &str) -> Client {
        let channel = Channel::from_shared(format!("http://{}", self.addr))
            .unwrap()
            .connect()
            .await
            .expect("points accepts connections");
        PointsServiceClient::with_interceptor(channel, Outgoing::bearer(token).unwrap())
    }

    /// Returns the town's client.
    pub async fn town(&self) -> Client {
        self.client(&token_of("town-op", Role::TownOperator, None))
            .await
    }

    /// Returns the client of the test village's workstation.
    pub async fn workstation(&self) -> Client {
        self.client(&token_of("ws-op", Role::WorkstationStaff, Some(VILLAGE)))
            .await
    }

    /// Publishes a `dispatch.ticket.<step>` event for `report`'s ticket, as
    /// dispatch does, under a new event id.
    pub async fn ticket_event(
        &self,
        report: &pb::Report,
        step: &str,
        cause: dispatch::ReopenCause,
    ) {
        let bus = Bus::connect(&self.config.service.nats).await.unwrap();
        bus.ensure_stream(&crate::events::DISPATCH).await.unwrap();
        let event_id = uuid::Uuid::now_v7().to_string();
        let ticket_id = if report.ticket_id.is_empty() {
            uuid::Uuid::now_v7().to_string()
        } else {
            report.ticket_id.clone()
        };
        let message = dispatch::TicketEvent {
            meta: Some(dispatch::EventMeta {
                event_id: event_id.clone(),
                occurred_at: report.submitted_at,
                actor: "test-desk".into(),
            }),
            ticket: Some(dispatch::Ticket {
                id: ticket_id,
                number: "LX-2026-000001".into(),
                channel: dispatch::Channel::VillagerApp.into(),
                external_ref: report.id.clone(),
                ..Default::default()
            }),
            transition: Some(dispatch::Transition {
                reopen_cause: cause.into(),
                ..Default::default()
            }),
            task: None,
        };
        publish(
            &bus,
            &format!("dispatch.ticket.{step}"),
            &event_id,
            message.encode_to_vec(),
        )
        .await;
    }

    /// Stops points and dispatch, and drops dispatch's databases.
    pub async fn cleanup(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
        if let Some(dispatch) = self.dispatch.take() {
            dispatch.cleanup().await;
        }
    }
}

impl Drop for TestPoints {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Registers a resident of the test village at its workstation.
pub async fn register(client: &mut Client, name: &str, phone: &str) -> pb::Resident {
    client
        .register_resident(pb::RegisterResidentRequest {
            at_workstation: true,
            name: name.into(),
            phone: phone.into(),
            village_code: VILLAGE.into(),
            ..Default::default()
        })
        .await
        .expect("the resident is registered")
        .into_inner()
        .resident
        .expect("a resident")
}

/// A report of `category` at (lat, lng) by `resident`.
pub fn report(
    resident: &pb::Resident,
    category: &str,
    lat: f64,
    lng: f64,
) -> pb::SubmitReportRequest {
    pb::SubmitReportRequest {
        resident_id: resident.id.clone(),
        category_code: category.into(),
        severity: 1,
        text: "河边有人偷倒建筑垃圾".into(),
        photos: vec![pb::Photo {
            sha256: "ab".repeat(32),
            content_type: "image/jpeg".into(),
            size_bytes: 1_500_000,
        }],
        location: Some(pb::LatLng { lat, lng }),
        ..Default::default()
    }
}

/// Publishes `payload` on `subject` (without prefix) with `event_id` as its
/// `Nats-Msg-Id`, and waits for JetStream's acknowledgement.
///
/// # Panics
/// NATS refuses it.
pub async fn publish(bus: &Bus, subject: &str, event_id: &str, payload: Vec<u8>) {
    let mut headers = async_nats::HeaderMap::new();
    headers.insert("Nats-Msg-Id", event_id);
    bus.jetstream()
        .publish_with_headers(bus.subject(subject), headers, payload.into())
        .await
        .expect("published")
        .await
        .expect("acknowledged");
}
