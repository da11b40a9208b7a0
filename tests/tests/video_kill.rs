//! An analytic event video ingest acknowledged is never lost, and never
//! stored twice, across a kill -9 of the service: video-ingest runs as its
//! own binary (as deployed) beside a registry, an edge box streams batches
//! of events and keeps every batch until it is acknowledged, the process is
//! killed without warning mid-stream and started again, the box sends what
//! was not acknowledged on a new stream, and the VIDEO stream and the
//! incidents' events in the database are counted.
//!
//! Needs the binaries (`cargo build --bins`; `make test` builds them).

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{TimeDelta, Utc};
use fixtures::registry::TestRegistry;
use futures::StreamExt as _;
use platform::auth::Role;
use platform::grpc::client::Outgoing;
use platform::testing::{ScratchDatabase, ServiceProcess, eventually, free_port, unique_prefix};
use proto::video::v1 as pb;
use proto::video::v1::video_service_client::VideoServiceClient;
use tonic::transport::Channel;
use video_ingest::testing::{
    BoxBuffer, Client, analytic_event, assert_acknowledged_kept_once, camera_request, free_sip_port,
};

const DEVICE: &str = "31011611001320000001";
const CHANNEL: &str = "31011611001310000001";
const HEALTH: &str = "weigrid.video.v1.VideoService";
/// Batches the box sends, of this many events each.
const BATCHES: u64 = 60;
const EVENTS_PER_BATCH: usize = 20;
/// The box's pace: a batch every few milliseconds, so that batches are in
/// flight (sent, not yet acknowledged) when the process dies.
const PACE: Duration = Duration::from_millis(5);

fn client(addr: SocketAddr, role: Role) -> Client {
    let channel = Channel::from_shared(format!("http://{addr}"))
        .expect("a socket address is a URI")
        .connect_timeout(Duration::from_millis(500))
        .connect_lazy();
    let token = platform::testing::token(&format!("kill-{role}"), role, None);
    VideoServiceClient::with_interceptor(
        channel,
        Outgoing::bearer(&token).expect("a development token is a header value"),
    )
}

/// The edge box's side: every batch with its events, and which batches
/// were acknowledged. A batch stays pending until its acknowledgement.
#[derive(Default)]
struct EdgeBox {
    sent: BoxBuffer,
    /// Streams that ended in an error (the process dying under them).
    broken_streams: usize,
}

impl EdgeBox {
    fn new() -> Self {
        let start = Utc::now() - TimeDelta::hours(2);
        let batches = (1..=BATCHES)
            .map(|batch| pb::StreamAnalyticEventsRequest {
                batch,
                events: (0..EVENTS_PER_BATCH)
                    .map(|i| {
                        let phase = if i == 0 {
                            pb::EventPhase::Start
                        } else {
                            pb::EventPhase::Update
                        };
                        let seconds = i64::try_from(batch).expect("few batches") * 30;
                        analytic_event(
                            CHANNEL,
                            pb::IncidentKind::IllegalDumping,
                            phase,
                            0.8,
                            start + TimeDelta::seconds(seconds),
                        )
                    })
                    .collect(),
            })
            .collect();
        Self {
            sent: BoxBuffer {
                batches,
                ..BoxBuffer::default()
            },
            ..Self::default()
        }
    }
}

/// Streams what is pending on one call, paced, recording each
/// acknowledgement as it comes; returns when the call ends (all answered,
/// or broken).
async fn stream_pending(addr: SocketAddr, edge: &Arc<Mutex<EdgeBox>>) -> Result<(), tonic::Status> {
    let pending = edge.lock().expect("the box's lock").sent.pending();
    let paced = futures::stream::iter(pending).then(|batch| async move {
        tokio::time::sleep(PACE).await;
        batch
    });
    let mut answers = client(addr, Role::Service)
        .stream_analytic_events(paced)
        .await?
        .into_inner();
    while let Some(ack) = answers.message().await? {
        edge.lock()
            .expect("the box's lock")
            .sent
            .acknowledged
            .insert(ack.batch);
    }
    Ok(())
}

/// Sends until every batch is acknowledged, opening a new stream whenever
/// one breaks (the service away: tried again every 100 ms).
async fn send_all(addr: SocketAddr, edge: Arc<Mutex<EdgeBox>>) {
    loop {
        if edge
            .lock()
            .expect("the box's lock")
            .sent
            .pending()
            .is_empty()
        {
            return;
        }
        if let Err(status) = stream_pending(addr, &edge).await {
            assert!(
                !matches!(
                    status.code(),
                    tonic::Code::InvalidArgument
                        | tonic::Code::PermissionDenied
                        | tonic::Code::Unauthenticated
                ),
                "a stream broken by the kill or the service busy, not refused: {status:?}"
            );
            edge.lock().expect("the box's lock").broken_streams += 1;
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn video_analytic_events_acknowledged_before_a_kill_9_are_each_stored_exactly_once() {
    let registry = TestRegistry::start(SocketAddr::from(([127, 0, 0, 1], free_port())), &[]).await;
    let db = ScratchDatabase::create("video").await;
    let prefix = unique_prefix();
    let evidence = std::env::temp_dir().join(format!("weigrid-evidence-{prefix}"));
    let addr = SocketAddr::from(([127, 0, 0, 1], free_port()));
    let mut video = ServiceProcess::new(
        "video-ingest",
        "video",
        HEALTH,
        addr,
        &db.url(),
        &prefix,
        &[
            (
                "CLIENTS__REGISTRY__ENDPOINT",
                format!("http://{}", registry.addr),
            ),
            ("SIP__LISTEN", format!("127.0.0.1:{}", free_sip_port())),
            ("EVIDENCE__LOCAL_DIR", evidence.display().to_string()),
            ("NATS__ACK_TIMEOUT", "1s".to_owned()),
        ],
    );
    video.resume().await;
    client(addr, Role::TownOperator)
        .put_device(camera_request(DEVICE, CHANNEL))
        .await
        .expect("the camera is registered");

    let edge = Arc::new(Mutex::new(EdgeBox::new()));
    let sending = tokio::spawn(send_all(addr, Arc::clone(&edge)));
    // Mid-stream: a third of the batches acknowledged, the rest on their way.
    eventually(Duration::from_secs(30), "a third acknowledged", || async {
        let acked = edge.lock().expect("the box's lock").sent.acknowledged.len();
        (acked as u64 >= BATCHES / 3).then_some(())
    })
    .await;
    video.kill();
    let acked_at_kill = edge
        .lock()
        .expect("the box's lock")
        .sent
        .acknowledged_events();
    video.resume().await;
    tokio::time::timeout(Duration::from_secs(60), sending)
        .await
        .expect("every batch is acknowledged within a minute of the restart")
        .expect("the box runs to its end");

    let (broken_streams, acknowledged) = {
        let edge = edge.lock().expect("the box's lock");
        (edge.broken_streams, edge.sent.acknowledged_events())
    };
    assert!(
        broken_streams >= 1,
        "the kill broke the stream it landed in"
    );
    assert!(
        (acked_at_kill.len() as u64) < BATCHES * EVENTS_PER_BATCH as u64,
        "the kill came before the end of the stream"
    );
    assert_eq!(
        acknowledged.len(),
        BATCHES as usize * EVENTS_PER_BATCH,
        "every batch was acknowledged in the end"
    );
    assert!(acknowledged.is_superset(&acked_at_kill));

    // The stream and the database: every acknowledged event once.
    assert_acknowledged_kept_once(&prefix, &db.pool, &acknowledged, Duration::from_secs(180)).await;
    println!(
        "kill -9 mid-stream: {} events acknowledged before it, {} in all, {} streams broken; \
         0 lost, 0 stored twice",
        acked_at_kill.len(),
        acknowledged.len(),
        broken_streams
    );

    video.stop().await;
    let _ = std::fs::remove_dir_all(&evidence);
    registry.cleanup().await;
    db.drop_database().await;
}
