//! A video-ingest instance on free ports (gRPC, and SIP over UDP and TCP)
//! over a test's own database, next to a grid registry (its binary, run by
//! [`fixtures::registry::TestRegistry`]) with the small town on a database
//! of its own (dropped by [`TestVideo::cleanup`]), with a manual clock; a typed client
//! (`test.put_device(..)`, `test.device(..)`, `test.try_put_device(..)`)
//! and [`Sipp`], which plays a GB/T 28181 device from the scenario files
//! under `tests/sipp/`. Compiled only for tests and with the `testkit`
//! feature.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use fixtures::registry::TestRegistry;
use platform::auth::Role;
use platform::clock::ManualClock;
use platform::grpc::client::Outgoing;
use platform::testing::{Served, eventually};
use proto::video::v1 as pb;
use proto::video::v1::video_service_client::VideoServiceClient;
use sqlx::PgPool;
use tonic::Status;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

use platform::outbox::RelayWaker;
use platform::uow::Units;

use crate::application::Context;
use crate::config::DEFAULTS;
use crate::registry::Registry;
use crate::{App, VideoConfig};

/// A video client sending a bearer token.
pub type Client = VideoServiceClient<InterceptedService<Channel, Outgoing>>;

/// The platform id of the tests (the default).
pub const PLATFORM_ID: &str = "31011600002000000001";
/// The SIP domain and realm of the tests: the platform id's first ten digits.
pub const REALM: &str = "3101160000";
/// The password of the tests' devices.
pub const PASSWORD: &str = "camera-pass-1";

/// How long a test waits for something to happen.
const PATIENCE: Duration = Duration::from_secs(30);

use platform::testing::free_port;

/// Returns a loopback port free for both UDP and TCP.
pub fn free_sip_port() -> u16 {
    loop {
        let port = free_port();
        if std::net::UdpSocket::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

/// Configuration for a test instance; `overrides` are `WEIGRID_VIDEO__…`
/// keys without the prefix.
pub fn test_config(
    prefix: &str,
    registry: SocketAddr,
    sip_port: u16,
    overrides: &[(&str, String)],
) -> VideoConfig {
    let mut settings = vec![
        ("CLIENTS__REGISTRY__ENDPOINT", format!("http://{registry}")),
        ("CLIENTS__REGISTRY__CONNECT_TIMEOUT", "300ms".to_owned()),
        ("CLIENTS__REGISTRY__REQUEST_TIMEOUT", "1s".to_owned()),
        ("CLIENTS__REGISTRY__MAX_ATTEMPTS", "1".to_owned()),
        ("SIP__LISTEN", format!("127.0.0.1:{sip_port}")),
        ("HEALTH__CHECK_INTERVAL", "50ms".to_owned()),
        (
            "EVIDENCE__LOCAL_DIR",
            evidence_dir(prefix).display().to_string(),
        ),
    ];
    settings.extend_from_slice(overrides);
    platform::testing::service_config("video", DEFAULTS, prefix, &settings)
}

/// Returns the evidence store directory of the test with NATS prefix
/// `prefix` (removed by [`TestVideo::cleanup`]).
pub fn evidence_dir(prefix: &str) -> PathBuf {
    std::env::temp_dir().join(format!("weigrid-evidence-{prefix}"))
}

/// Returns a client of the service at `addr` acting as `role`.
fn client_at(addr: SocketAddr, role: Role) -> Client {
    client_of_at(addr, role, &format!("test-{role}"))
}

/// Returns a client of the service at `addr` acting as `subject` in `role`.
pub fn client_of_at(addr: SocketAddr, role: Role, subject: &str) -> Client {
    scoped_client_at(addr, role, subject, None)
}

fn scoped_client_at(addr: SocketAddr, role: Role, subject: &str, scope: Option<&str>) -> Client {
    let channel = Channel::from_shared(format!("http://{addr}"))
        .expect("a valid address")
        .connect_lazy();
    VideoServiceClient::with_interceptor(
        channel,
        Outgoing::bearer(&platform::testing::token(subject, role, scope)).expect("a valid token"),
    )
}

/// Video-ingest and a registry, for one test.
pub struct TestVideo {
    pub addr: SocketAddr,
    /// Where the gateway listens (UDP and TCP).
    pub sip: SocketAddr,
    pub clock: ManualClock,
    pub config: VideoConfig,
    pub pool: PgPool,
    registry: Option<TestRegistry>,
    served: Served<App>,
}

impl TestVideo {
    /// Starts a registry with the small town, then video-ingest over `pool`.
    pub async fn spawn(pool: PgPool) -> Self {
        Self::spawn_with(pool, &[]).await
    }

    /// Starts as [`TestVideo::spawn`], with configuration `overrides`.
    pub async fn spawn_with(pool: PgPool, overrides: &[(&str, String)]) -> Self {
        let registry_addr = SocketAddr::from(([127, 0, 0, 1], free_port()));
        let registry = TestRegistry::start(registry_addr, &[]).await;
        let sip_port = free_sip_port();
        let config = test_config(
            &platform::testing::unique_prefix(),
            registry.addr,
            sip_port,
            overrides,
        );
        let clock = ManualClock::new(fixtures::start_time());
        let served = Served::start(pool.clone(), config.clone(), Arc::new(clock.clone())).await;
        Self {
            addr: served.addr(),
            sip: SocketAddr::from(([127, 0, 0, 1], sip_port)),
            clock,
            config,
            pool,
            registry: Some(registry),
            served,
        }
    }

    /// Stops the service and starts it again on the same database, ports
    /// and prefix (what a redeploy does).
    pub async fn restart(&mut self) {
        self.served.restart().await;
        self.addr = self.served.addr();
    }

    /// Checks the role matrix cell by cell against the served service
    /// (see [`platform::testing::assert_policy`]); returns it as a table.
    pub async fn assert_policy(&self) -> String {
        platform::testing::assert_policy(&self.served).await
    }

    /// Returns a client acting as `role`.
    pub fn client(&self, role: Role) -> Client {
        client_at(self.addr, role)
    }

    /// Returns a client of `role` acting as `subject` (a resident's id).
    pub fn client_of(&self, role: Role, subject: &str) -> Client {
        client_of_at(self.addr, role, subject)
    }

    /// Returns a client of `role` acting as `subject` within the grid
    /// `scope` (a village's or micro-grid's code, as its token says).
    pub fn client_scoped(&self, role: Role, subject: &str, scope: &str) -> Client {
        scoped_client_at(self.addr, role, subject, Some(scope))
    }

    /// Returns the town centre's client.
    pub fn town(&self) -> Client {
        self.client(Role::TownOperator)
    }

    /// Moves the manual clock forward.
    pub fn advance(&self, by: Duration) {
        self.clock
            .advance(chrono::TimeDelta::from_std(by).expect("a short duration"));
    }

    /// Puts a device as the town centre.
    pub async fn try_put_device(
        &self,
        request: pb::PutDeviceRequest,
    ) -> Result<pb::PutDeviceResponse, Status> {
        Ok(self.town().put_device(request).await?.into_inner())
    }

    /// Puts a device as the town centre and returns it.
    pub async fn put_device(&self, request: pb::PutDeviceRequest) -> pb::Device {
        self.try_put_device(request)
            .await
            .expect("the device is put")
            .device
            .expect("a device")
    }

    /// Returns a device as the town centre sees it.
    pub async fn device(&self, id: &str) -> pb::Device {
        self.town()
            .get_device(pb::GetDeviceRequest {
                device_id: id.into(),
            })
            .await
            .expect("the device is there")
            .into_inner()
            .device
            .expect("a device")
    }

    /// Returns the catalogue syncs of a device.
    pub async fn syncs(&self, id: &str) -> Vec<pb::CatalogSync> {
        self.town()
            .list_catalog_syncs(pb::ListCatalogSyncsRequest {
                device_id: id.into(),
            })
            .await
            .expect("the syncs are listed")
            .into_inner()
            .syncs
    }

    /// Returns the alarms of a device.
    pub async fn alarms(&self, id: &str) -> Vec<pb::Alarm> {
        self.town()
            .list_alarms(pb::ListAlarmsRequest {
                device_id: id.into(),
                ..Default::default()
            })
            .await
            .expect("the alarms are listed")
            .into_inner()
            .alarms
    }

    /// Waits until device `id` is as `wanted` says.
    pub async fn wait_device(
        &self,
        id: &str,
        what: &str,
        wanted: impl Fn(&pb::Device) -> bool,
    ) -> pb::Device {
        let wanted = &wanted;
        eventually(PATIENCE, what, || {
            let mut client = self.town();
            let id = id.to_owned();
            async move {
                let got = client
                    .get_device(pb::GetDeviceRequest { device_id: id })
                    .await
                    .ok()?
                    .into_inner()
                    .device?;
                wanted(&got).then_some(got)
            }
        })
        .await
    }

    /// Runs one round of the health timers now, in process (the service's
    /// own timer runs too; each item is locked and checked again).
    pub async fn health_round(&self) {
        let ctx = self.context(crate::app::analytics(&self.config)).await;
        crate::workers::health_round(&ctx, true)
            .await
            .expect("the health round runs");
    }

    /// Returns the number `sql` counts.
    pub async fn count(&self, sql: &str) -> i64 {
        sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned()))
            .fetch_one(&self.pool)
            .await
            .expect("the count runs")
    }

    /// Returns the subjects of the outbox, in order.
    pub async fn outbox_subjects(&self) -> Vec<String> {
        sqlx::query_scalar("SELECT subject FROM outbox ORDER BY seq")
            .fetch_all(&self.pool)
            .await
            .expect("the outbox is read")
    }

    /// Returns the tickets asked of dispatch (`video.ticket.requested` in
    /// the outbox), oldest first.
    pub async fn ticket_requests(&self) -> Vec<proto::dispatch::v1::TicketRequested> {
        use prost::Message as _;
        let payloads: Vec<Vec<u8>> = sqlx::query_scalar(
            "SELECT payload FROM outbox WHERE subject = 'video.ticket.requested' ORDER BY seq",
        )
        .fetch_all(&self.pool)
        .await
        .expect("the outbox is read");
        payloads
            .iter()
            .map(|p| {
                proto::dispatch::v1::TicketRequested::decode(p.as_slice())
                    .expect("a TicketRequested")
            })
            .collect()
    }

    /// Stops both services, drops the registry's database and removes the
    /// evidence store's directory.
    pub async fn cleanup(mut self) {
        let _ = self.served.stop().await;
        let _ = std::fs::remove_dir_all(&self.config.evidence.storage.local_dir);
        if let Some(registry) = self.registry.take() {
            registry.cleanup().await;
        }
    }
}

/// A camera device of the tests, owned by the town, with one channel at
/// (30.01 N, 121.01 E), in micro-grid V1-A1-M01 of the small town.
pub fn camera_request(device_id: &str, channel_id: &str) -> pb::PutDeviceRequest {
    pb::PutDeviceRequest {
        idempotency_key: format!("put-{device_id}"),
        device_id: device_id.into(),
        name: "中华村口".into(),
        owner: Some(pb::Owner {
            kind: pb::OwnerKind::Town.into(),
            ..Default::default()
        }),
        password: PASSWORD.into(),
        channels: vec![pb::ChannelSpec {
            channel_id: channel_id.into(),
            name: "中华村口 1".into(),
            kind: pb::CameraKind::General.into(),
            location: Some(pb::LatLng {
                lat: 30.01,
                lng: 121.01,
            }),
            stream_ref: "rtsp://127.0.0.1/ch1".into(),
        }],
    }
}

/// SIP over UDP or TCP, as sipp's `-t` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SipTransport {
    Udp,
    Tcp,
}

/// sipp playing a device: a scenario of `tests/sipp/` against the gateway.
pub struct Sipp {
    scenario: PathBuf,
    target: SocketAddr,
    transport: SipTransport,
    device_id: String,
    variables: Vec<(String, String)>,
}

/// How a sipp run ended.
#[derive(Debug)]
pub struct SippRun {
    pub success: bool,
    /// sipp's error log (messages that broke the scenario).
    pub errors: String,
    pub output: String,
}

impl Sipp {
    /// Returns a run of `scenario` (a file name under `tests/sipp/`) as
    /// device `device_id` against `target`.
    pub fn new(scenario: &str, target: SocketAddr, device_id: &str) -> Self {
        Self {
            scenario: PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("tests/sipp")
                .join(scenario),
            target,
            transport: SipTransport::Udp,
            device_id: device_id.to_owned(),
            variables: Vec::new(),
        }
    }

    /// Runs over `transport`.
    pub fn over(mut self, transport: SipTransport) -> Self {
        self.transport = transport;
        self
    }

    /// Sets scenario variable `name` (`[name]` in the scenario, `-key`).
    pub fn set(mut self, name: &str, value: &str) -> Self {
        self.variables.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Runs the scenario once and waits for it (at most a minute).
    ///
    /// # Panics
    /// sipp is not installed (`scripts/sipp.sh --install`) or cannot start.
    pub async fn run(self) -> SippRun {
        let sipp = std::env::var("WEIGRID_SIPP").unwrap_or_else(|_| "sipp".to_owned());
        let dir = std::env::temp_dir().join(format!("weigrid-sipp-{}", uuid::Uuid::now_v7()));
        std::fs::create_dir_all(&dir).expect("a scratch directory");
        let errors = dir.join("errors.log");
        let mut command = tokio::process::Command::new(&sipp);
        command
            .arg(self.target.to_string())
            .arg("-sf")
            .arg(&self.scenario)
            .args(["-m", "1", "-l", "1", "-i", "127.0.0.1", "-p", "0"])
            .args([
                "-t",
                if self.transport == SipTransport::Udp {
                    "u1"
                } else {
                    "t1"
                },
            ])
            .args([
                "-s",
                PLATFORM_ID,
                "-timeout",
                "40s",
                "-timeout_error",
                "-nostdin",
            ])
            .arg("-trace_err")
            .arg("-error_file")
            .arg(&errors)
            .args(["-au", &self.device_id, "-ap", PASSWORD])
            .args(["-key", "device", &self.device_id])
            .args(["-key", "realm", REALM])
            .args(["-key", "platform", PLATFORM_ID])
            .args(["-key", "password", PASSWORD]);
        for (name, value) in &self.variables {
            command.args(["-key", name, value]);
        }
        command
            .stdin(std::process::Stdio::null())
            .kill_on_drop(true);
        let output = tokio::time::timeout(Duration::from_secs(60), command.output())
            .await
            .expect("sipp ends within a minute")
            .unwrap_or_else(|err| {
                panic!("{sipp} runs (install it with scripts/sipp.sh --install): {err}")
            });
        let run = SippRun {
            success: output.status.success(),
            errors: std::fs::read_to_string(&errors).unwrap_or_default(),
            output: format!(
                "{}\n{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            ),
        };
        let _ = std::fs::remove_dir_all(&dir);
        run
    }
}

/// A thermal fire camera of the tests (the town's high-altitude one),
/// with one channel at (30.01 N, 121.01 E) in micro-grid V1-A1-M01.
pub fn thermal_camera_request(device_id: &str, channel_id: &str) -> pb::PutDeviceRequest {
    let mut request = camera_request(device_id, channel_id);
    request.name = "高空瞭望".into();
    request.channels[0].name = "高空瞭望 热成像".into();
    request.channels[0].kind = pb::CameraKind::Thermal.into();
    request
}

/// An analytic event of `channel`, `kind` and `phase` with `score` at
/// `at`, with a snapshot and its SHA-256, under a fresh id.
pub fn analytic_event(
    channel: &str,
    kind: pb::IncidentKind,
    phase: pb::EventPhase,
    score: f64,
    at: chrono::DateTime<chrono::Utc>,
) -> pb::AnalyticEvent {
    let id = uuid::Uuid::now_v7();
    pb::AnalyticEvent {
        event_id: id.to_string(),
        channel_id: channel.into(),
        kind: kind.into(),
        phase: phase.into(),
        track_id: "track-1".into(),
        object_type: "truck".into(),
        score,
        r#box: Some(pb::Box {
            x: 0.2,
            y: 0.3,
            width: 0.25,
            height: 0.4,
        }),
        snapshot_ref: format!("snapshots/{id}.jpg"),
        snapshot_sha256: "5e".repeat(32),
        occurred_at: Some(platform::time::timestamp(at)),
    }
}

/// A client of dispatch acting as the 12345 hotline desk.
pub type Desk = proto::dispatch::v1::dispatch_service_client::DispatchServiceClient<
    InterceptedService<Channel, Outgoing>,
>;

/// Starts dispatch's binary on database `database_url` beside the
/// registry at `registry`, on NATS prefix `prefix` (so it takes in this
/// video ingest's ticket requests, as in production); returns it and the
/// hotline desk's client.
///
/// # Panics
/// The binary is missing or does not become ready.
pub async fn start_dispatch(
    registry: SocketAddr,
    database_url: &str,
    prefix: &str,
) -> (platform::testing::ServiceProcess, Desk) {
    let addr = SocketAddr::from(([127, 0, 0, 1], free_port()));
    let process = platform::testing::ServiceProcess::start(
        "ticket-dispatch",
        "dispatch",
        "weigrid.dispatch.v1.DispatchService",
        addr,
        database_url,
        prefix,
        &[("CLIENTS__REGISTRY__ENDPOINT", format!("http://{registry}"))],
    )
    .await;
    let channel = Channel::from_shared(format!("http://{addr}"))
        .expect("a socket address is a URI")
        .connect_lazy();
    let token = platform::testing::token("hotline-desk", Role::TownOperator, None);
    let desk =
        proto::dispatch::v1::dispatch_service_client::DispatchServiceClient::with_interceptor(
            channel,
            Outgoing::bearer(&token).expect("a development token is a header value"),
        );
    (process, desk)
}

/// The 12345 work order `i` of a run tagged `tag`: uncollected rubbish,
/// somewhere in the small town's west.
pub fn hotline_order(tag: &str, i: u64) -> proto::dispatch::v1::CreateTicketRequest {
    use proto::dispatch::v1 as dispatch;
    dispatch::CreateTicketRequest {
        channel: dispatch::Channel::Hotline12345.into(),
        external_ref: format!("{tag}-{i:06}"),
        category_code: "SANITATION".into(),
        title: "垃圾堆放".into(),
        description: "路口垃圾三天无人清运".into(),
        location: Some(dispatch::LatLng {
            lat: 30.001 + (i / 40) as f64 * 0.0006,
            lng: 121.001 + (i % 40) as f64 * 0.0007,
        }),
        reporter_phone: "13912345678".into(),
        ..Default::default()
    }
}

/// An edge box's buffer: every batch it made, and which were
/// acknowledged; a batch stays pending (to be sent again) until its
/// acknowledgement.
#[derive(Debug, Default)]
pub struct BoxBuffer {
    pub batches: Vec<pb::StreamAnalyticEventsRequest>,
    pub acknowledged: std::collections::BTreeSet<u64>,
}

impl BoxBuffer {
    /// The batches not acknowledged yet, in order.
    pub fn pending(&self) -> Vec<pb::StreamAnalyticEventsRequest> {
        self.batches
            .iter()
            .filter(|b| !self.acknowledged.contains(&b.batch))
            .cloned()
            .collect()
    }

    /// The ids of the events of every acknowledged batch.
    pub fn acknowledged_events(&self) -> std::collections::BTreeSet<String> {
        self.batches
            .iter()
            .filter(|b| self.acknowledged.contains(&b.batch))
            .flat_map(|b| b.events.iter().map(|e| e.event_id.clone()))
            .collect()
    }
}

/// Returns how many times each analytic event id is in the VIDEO stream of
/// NATS prefix `prefix` (under `video.analytic.received`), read with an
/// ephemeral consumer from the NATS `WEIGRID__NATS__URL` names: what was
/// stored, for counting against what was acknowledged.
///
/// # Panics
/// NATS does not answer, or the stream is missing.
pub async fn analytic_events_in_stream(prefix: &str) -> std::collections::HashMap<String, usize> {
    use async_nats::jetstream;
    use futures::StreamExt as _;
    let nats =
        std::env::var("WEIGRID__NATS__URL").unwrap_or_else(|_| "nats://127.0.0.1:4222".into());
    let js = jetstream::new(async_nats::connect(nats).await.expect("NATS answers"));
    let stream = js
        .get_stream(format!("{prefix}_VIDEO"))
        .await
        .expect("video ingest declared its stream");
    let consumer = stream
        .create_consumer(jetstream::consumer::pull::Config {
            filter_subject: format!("{prefix}.{}", crate::events::ANALYTIC_RECEIVED),
            ack_policy: jetstream::consumer::AckPolicy::None,
            ..Default::default()
        })
        .await
        .expect("an ephemeral consumer");
    let mut counts = std::collections::HashMap::new();
    loop {
        let mut batch = consumer
            .fetch()
            .max_messages(1000)
            .expires(Duration::from_millis(500))
            .messages()
            .await
            .expect("the stream is read");
        let mut read = 0;
        while let Some(message) = batch.next().await {
            let message = message.expect("a stored message");
            let id = message
                .headers
                .as_ref()
                .and_then(|h| h.get(async_nats::header::NATS_MESSAGE_ID))
                .map(|v| v.as_str().to_owned())
                .expect("every analytic event carries its id");
            *counts.entry(id).or_insert(0) += 1;
            read += 1;
        }
        if read == 0 {
            return counts;
        }
    }
}

/// Asserts that every `acknowledged` event is in the VIDEO stream of
/// prefix `prefix` once, with nothing else, and that the incident consumer
/// took each into an incident once (in the database `pool`, within
/// `patience`): an acknowledged event is never lost nor stored twice.
///
/// # Panics
/// An event lost, twice, or unacknowledged but stored.
pub async fn assert_acknowledged_kept_once(
    prefix: &str,
    pool: &PgPool,
    acknowledged: &std::collections::BTreeSet<String>,
    patience: Duration,
) {
    let stored = analytic_events_in_stream(prefix).await;
    let lost: Vec<_> = acknowledged
        .iter()
        .filter(|id| !stored.contains_key(*id))
        .collect();
    let twice: Vec<_> = stored.iter().filter(|(_, n)| **n > 1).collect();
    assert!(lost.is_empty(), "acknowledged, not in the stream: {lost:?}");
    assert!(twice.is_empty(), "in the stream twice: {twice:?}");
    assert_eq!(
        stored.len(),
        acknowledged.len(),
        "nothing unacknowledged stored"
    );
    let ids: Vec<uuid::Uuid> = acknowledged
        .iter()
        .map(|id| id.parse().expect("event ids are UUIDs"))
        .collect();
    // The consumer takes them in through the inbox; those it had not
    // acknowledged when a process died come again.
    let taken = eventually(
        patience,
        "every acknowledged event in an incident",
        || async {
            let n: i64 =
                sqlx::query_scalar("SELECT count(*) FROM incident_events WHERE event_id = ANY($1)")
                    .bind(&ids)
                    .fetch_one(pool)
                    .await
                    .expect("incident events are counted");
            (n == ids.len() as i64).then_some(n)
        },
    )
    .await;
    let all: i64 = sqlx::query_scalar("SELECT count(*) FROM incident_events")
        .fetch_one(pool)
        .await
        .expect("incident events are counted");
    assert_eq!(all, taken, "no event taken in twice or from elsewhere");
}

/// How a StreamAnalyticEvents call went: the acknowledgements, in order,
/// and the status it ended with, when not OK.
#[derive(Debug)]
pub struct Streamed {
    pub acks: Vec<pb::StreamAnalyticEventsResponse>,
    pub ended: Option<Status>,
}

impl TestVideo {
    /// Sends `batches` on one StreamAnalyticEvents call as an edge box (a
    /// service) and reads every acknowledgement until the call ends.
    pub async fn stream_events(&self, batches: Vec<pb::StreamAnalyticEventsRequest>) -> Streamed {
        let mut client = self.client(Role::Service);
        let mut acks = Vec::new();
        let mut responses = match client
            .stream_analytic_events(tokio_stream::iter(batches))
            .await
        {
            Ok(responses) => responses.into_inner(),
            Err(status) => {
                return Streamed {
                    acks,
                    ended: Some(status),
                };
            }
        };
        loop {
            match responses.message().await {
                Ok(Some(ack)) => acks.push(ack),
                Ok(None) => return Streamed { acks, ended: None },
                Err(status) => {
                    return Streamed {
                        acks,
                        ended: Some(status),
                    };
                }
            }
        }
    }

    /// Returns the incidents of `channel`, newest first.
    pub async fn incidents(&self, channel: &str) -> Vec<pb::Incident> {
        self.town()
            .list_incidents(pb::ListIncidentsRequest {
                channel_id: channel.into(),
                ..Default::default()
            })
            .await
            .expect("ListIncidents answers")
            .into_inner()
            .incidents
    }

    /// Returns one incident with its events and tickets.
    pub async fn incident(&self, id: &str) -> pb::Incident {
        self.town()
            .get_incident(pb::GetIncidentRequest {
                incident_id: id.into(),
            })
            .await
            .expect("GetIncident answers")
            .into_inner()
            .incident
            .expect("an incident")
    }

    /// Waits until the incidents of `channel` hold `events` events in all
    /// (the consumer of analytic events caught up); returns them.
    pub async fn wait_incident_events(&self, channel: &str, events: u32) -> Vec<pb::Incident> {
        eventually(PATIENCE, "the incidents hold every event", || async {
            let found = self.incidents(channel).await;
            (found.iter().map(|i| i.events).sum::<u32>() == events).then_some(found)
        })
        .await
    }

    /// Returns a use-case context over this test's database and NATS
    /// prefix, with `in_flight` permits for analytic events: the test
    /// calls use cases directly with it.
    pub async fn context_with_permits(&self, in_flight: usize) -> Context {
        let mut analytics = crate::app::analytics(&self.config);
        analytics.in_flight = Arc::new(tokio::sync::Semaphore::new(in_flight));
        self.context(analytics).await
    }

    /// Returns the service's context, in process, with `analytics`.
    async fn context(&self, analytics: crate::application::analytics::Analytics) -> Context {
        let token = platform::testing::token("video-ingest", Role::Service, None);
        Context {
            units: Units::new(
                self.pool.clone(),
                Arc::new(self.clock.clone()),
                RelayWaker::default(),
            ),
            registry: Registry::new(&self.config.clients.registry, &token)
                .expect("a registry client"),
            rules: Arc::new(self.config.sip.rules()),
            offset: self.config.town.offset(),
            bus: connected_bus(&self.config.service.nats).await,
            analytics,
            store: crate::store::EvidenceStore::new(
                self.config
                    .evidence
                    .storage
                    .open()
                    .expect("the test's evidence store"),
            ),
            evidence: crate::app::evidence_rules(&self.config),
        }
    }
}

/// Returns a bus on the test's NATS once it is connected: a publish before
/// the connection is up is refused as UNAVAILABLE, as the service's is.
async fn connected_bus(config: &platform::config::NatsConfig) -> platform::events::Bus {
    let bus = platform::events::Bus::connect(config)
        .await
        .expect("the test's NATS");
    eventually(PATIENCE, "the bus to connect", || {
        let connected = bus.is_connected();
        async move { connected.then_some(()) }
    })
    .await;
    bus
}

impl TestVideo {
    /// Returns the directory of the evidence store.
    pub fn evidence_dir(&self) -> PathBuf {
        self.config.evidence.storage.local_dir.clone()
    }

    /// Records a clip of `channel` over `[starts, ends)` with `files` (name
    /// and bytes) as `role`.
    pub async fn try_record_clip(
        &self,
        role: Role,
        channel: &str,
        starts: chrono::DateTime<chrono::Utc>,
        ends: chrono::DateTime<chrono::Utc>,
        files: &[(&str, &[u8])],
    ) -> Result<pb::Clip, Status> {
        Ok(self
            .client(role)
            .record_clip(pb::RecordClipRequest {
                idempotency_key: uuid::Uuid::now_v7().to_string(),
                channel_id: channel.into(),
                starts_at: Some(platform::time::timestamp(starts)),
                ends_at: Some(platform::time::timestamp(ends)),
                incident_id: String::new(),
                files: files
                    .iter()
                    .map(|(name, content)| pb::ClipFileUpload {
                        name: (*name).into(),
                        content: content.to_vec(),
                        ..Default::default()
                    })
                    .collect(),
            })
            .await?
            .into_inner()
            .clip
            .expect("a clip"))
    }

    /// Records a clip as the town centre.
    pub async fn record_clip(
        &self,
        channel: &str,
        starts: chrono::DateTime<chrono::Utc>,
        ends: chrono::DateTime<chrono::Utc>,
        files: &[(&str, &[u8])],
    ) -> pb::Clip {
        self.try_record_clip(Role::TownOperator, channel, starts, ends, files)
            .await
            .expect("the clip is recorded")
    }

    /// Returns the whole custody and access log as the town centre sees it.
    pub async fn custody_log(&self) -> Vec<pb::CustodyEntry> {
        self.town()
            .list_custody_log(pb::ListCustodyLogRequest {
                page_size: 1000,
                ..Default::default()
            })
            .await
            .expect("the log is listed")
            .into_inner()
            .entries
    }

    /// Runs one round of the retention purge now, in process.
    pub async fn purge_round(&self) -> usize {
        let ctx = self.context(crate::app::analytics(&self.config)).await;
        crate::application::evidence::purge_round(&ctx)
            .await
            .expect("the purge round runs")
    }

    /// Verifies the evidence offline, as `weigrid video verify` does: over
    /// the database and the store directory, with no service involved.
    pub async fn verify_offline(&self, clip: Option<&str>) -> crate::application::audit::Report {
        let store = crate::store::EvidenceStore::new(
            platform::objects::local(&self.evidence_dir()).expect("the store directory"),
        );
        let mut conn = self.pool.acquire().await.expect("a connection");
        let clip = clip.map(|c| crate::domain::ids::ClipId::parse(c).expect("a clip id"));
        crate::application::audit::verify(&mut conn, &store, clip)
            .await
            .expect("the verification runs")
    }
}
