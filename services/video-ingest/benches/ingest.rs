//! Analytic-event ingest beside its floor, and 12345 intake beside a camera
//! flood, measured in the same run.
//!
//! 1. Ingest: edge boxes stream batches of analytic events over
//!    StreamAnalyticEvents (several streams at once, one batch in flight on
//!    each, as the service takes them); a batch counts when its
//!    acknowledgement arrives, i.e. after JetStream stored every event of
//!    it. The service's own incident consumer takes the events in as they
//!    are stored, as it does in production.
//! 2. The floor: the same events, encoded as the service encodes them,
//!    published straight to JetStream by as many publishers in batches of
//!    the same size, each batch's acknowledgements awaited before the next.
//!    Printed as a ratio (aim: at least 0.6).
//! 3. 12345 intake (CreateTicket on dispatch's release binary) at a fixed
//!    rate, its p99 without a camera flood, then with the town's storm
//!    (every Langxia camera reporting twice a second), then with a flood
//!    as fast as the service takes events; each printed as a ratio (aim: at
//!    most 2). On one machine the flood's senders, NATS, PostgreSQL, video
//!    ingest and dispatch share its cores: the full-speed flood measures
//!    that sharing as much as dispatch.
//!
//! Needs PostgreSQL and NATS (`make bench` starts them when missing) and
//! the release binaries of the grid registry and dispatch
//! (`scripts/bench.sh video` builds them); its databases are its own,
//! dropped at the end.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use chrono::{TimeDelta, Utc};
use fixtures::registry::TestRegistry;
use platform::auth::Role;
use platform::bench::Measured;
use platform::clock::SystemClock;
use platform::events::{Bus, StreamSpec};
use platform::grpc::client::Outgoing;
use platform::testing::{ScratchDatabase, Served, ServiceProcess, free_port, token};
use proto::dispatch::v1 as dispatch;
use proto::dispatch::v1::dispatch_service_client::DispatchServiceClient;
use proto::video::v1 as pb;
use proto::video::v1::video_service_client::VideoServiceClient;
use tonic::transport::Channel;
use video_ingest::testing::{analytic_event, camera_request, free_sip_port, test_config};

/// Edge boxes streaming at once, and the events of each batch.
const STREAMS: usize = 8;
const BATCH: usize = 200;
/// Events per measurement.
const EVENTS: usize = 64_000;
/// Cameras the events are spread over.
const CAMERAS: usize = 16;
/// The town's camera storm: every one of Langxia's 1,528 cameras reporting
/// an event twice a second.
const STORM_RATE: usize = 1528 * 2;
/// The fixed intake rate, per second, and for how long.
const RATE: u64 = 40;
const RATE_SECONDS: u64 = 10;

fn camera(i: usize) -> (String, String) {
    (
        format!("310116110013200{i:05}"),
        format!("310116110013100{i:05}"),
    )
}

/// Batch `b` (numbered `tag + b`): `BATCH` events spread over the cameras.
fn batch(b: usize, tag: u64) -> pb::StreamAnalyticEventsRequest {
    let start = Utc::now() - TimeDelta::hours(1);
    pb::StreamAnalyticEventsRequest {
        batch: tag + b as u64,
        events: (0..BATCH)
            .map(|i| {
                let (_, channel) = camera((b * BATCH + i) % CAMERAS);
                analytic_event(
                    &channel,
                    pb::IncidentKind::IllegalDumping,
                    pb::EventPhase::Update,
                    0.5,
                    start + TimeDelta::milliseconds(i as i64),
                )
            })
            .collect(),
    }
}

/// The batches of `events` events.
fn batches(events: usize, tag: u64) -> Vec<pb::StreamAnalyticEventsRequest> {
    (0..events.div_ceil(BATCH)).map(|b| batch(b, tag)).collect()
}

type Video = VideoServiceClient<tonic::service::interceptor::InterceptedService<Channel, Outgoing>>;

fn video_client(addr: SocketAddr, role: Role) -> anyhow::Result<Video> {
    let channel = Channel::from_shared(format!("http://{addr}"))?.connect_lazy();
    Ok(VideoServiceClient::with_interceptor(
        channel,
        Outgoing::bearer(&token(&format!("bench-{role}"), role, None))?,
    ))
}

/// A camera flood: `STREAMS` streams sending batches until `stop`, as fast
/// as the service takes them (`per_second` `None`) or paced to
/// `per_second` events in all; returns the events acknowledged and for how
/// long.
async fn flood(
    client: &Video,
    stop: Arc<AtomicBool>,
    per_second: Option<usize>,
) -> (usize, Duration) {
    // Each stream's pause between batches for the paced flood.
    let pause =
        per_second.map(|rate| Duration::from_secs_f64((STREAMS * BATCH) as f64 / rate as f64));
    let streams = (0..STREAMS)
        .map(|s| {
            let (tag, stop) = (10_000_000 * (s as u64 + 1), stop.clone());
            futures::stream::unfold(0, move |b| {
                let go = !stop.load(Ordering::Relaxed);
                async move {
                    if let (Some(pause), true) = (pause, b > 0) {
                        tokio::time::sleep(pause).await;
                    }
                    go.then(|| (batch(b, tag), b + 1))
                }
            })
        })
        .collect();
    run_streams(client, streams).await
}

/// Streams `batches` over `STREAMS` calls, a share each; returns the
/// events acknowledged and how long it took.
async fn stream_all(
    client: &Video,
    batches: Vec<pb::StreamAnalyticEventsRequest>,
) -> (usize, Duration) {
    let per_stream = batches.len().div_ceil(STREAMS);
    let mut streams = Vec::new();
    let mut all = batches.into_iter().peekable();
    while all.peek().is_some() {
        let chunk: Vec<_> = all.by_ref().take(per_stream).collect();
        streams.push(futures::stream::iter(chunk));
    }
    run_streams(client, streams).await
}

/// Sends each of `streams` on a StreamAnalyticEvents call of its own, all
/// at once; returns the events acknowledged (stored) and how long it took.
async fn run_streams<S>(client: &Video, streams: Vec<S>) -> (usize, Duration)
where
    S: futures::Stream<Item = pb::StreamAnalyticEventsRequest> + Send + 'static,
{
    let acked = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let calls: Vec<_> = streams
        .into_iter()
        .map(|requests| {
            let (mut client, acked) = (client.clone(), acked.clone());
            tokio::spawn(async move {
                let mut answers = client
                    .stream_analytic_events(requests)
                    .await
                    .expect("the stream opens")
                    .into_inner();
                while let Some(ack) = answers.message().await.expect("every batch is stored") {
                    acked.fetch_add(ack.stored as usize, Ordering::Relaxed);
                }
            })
        })
        .collect();
    for call in calls {
        call.await.expect("a stream runs to its end");
    }
    (acked.load(Ordering::Relaxed), started.elapsed())
}

/// Publishes the same events, encoded as the service encodes them,
/// straight to JetStream: `STREAMS` publishers, each awaiting a batch's
/// acknowledgements before the next.
async fn publish_raw(
    bus: &Bus,
    batches: Vec<pb::StreamAnalyticEventsRequest>,
) -> anyhow::Result<(usize, Duration)> {
    let encoded: Vec<Vec<_>> = batches
        .into_iter()
        .map(|b| {
            b.events
                .into_iter()
                .map(|e| {
                    let event = video_ingest::convert::event_draft(e)
                        .check("event")
                        .expect("a well-formed event");
                    video_ingest::events::analytic_received(&event, "bench")
                })
                .collect()
        })
        .collect();
    let per = encoded.len().div_ceil(STREAMS);
    let total: usize = encoded.iter().map(Vec::len).sum();
    let mut chunks: Vec<Vec<_>> = Vec::new();
    let mut all = encoded.into_iter().peekable();
    while all.peek().is_some() {
        chunks.push(all.by_ref().take(per).collect());
    }
    let started = Instant::now();
    let publishers: Vec<_> = chunks
        .into_iter()
        .map(|chunk| {
            let (js, subject) = (
                bus.jetstream().clone(),
                bus.subject(video_ingest::events::ANALYTIC_RECEIVED),
            );
            tokio::spawn(async move {
                for batch in chunk {
                    let mut acks = Vec::with_capacity(batch.len());
                    for event in batch {
                        let mut headers = async_nats::HeaderMap::new();
                        headers.insert(
                            async_nats::header::NATS_MESSAGE_ID,
                            event.event_id.to_string().as_str(),
                        );
                        let ack = js
                            .publish_with_headers(subject.clone(), headers, event.payload.into())
                            .await
                            .expect("publish");
                        acks.push(std::future::IntoFuture::into_future(ack));
                    }
                    for ack in futures::future::join_all(acks).await {
                        ack.expect("stored");
                    }
                }
            })
        })
        .collect();
    for p in publishers {
        p.await?;
    }
    Ok((total, started.elapsed()))
}

/// CreateTicket of 12345 work orders at `RATE` a second for
/// `RATE_SECONDS`; their latencies.
async fn intake_at_fixed_rate(
    desk: &DispatchServiceClient<
        tonic::service::interceptor::InterceptedService<Channel, Outgoing>,
    >,
    tag: &str,
) -> anyhow::Result<Measured> {
    let mut ticks = tokio::time::interval(Duration::from_millis(1000 / RATE));
    let mut pending = Vec::new();
    for i in 0..(RATE * RATE_SECONDS) as usize {
        ticks.tick().await;
        let mut c = desk.clone();
        let request = dispatch::CreateTicketRequest {
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
        };
        pending.push(tokio::spawn(async move {
            let t = Instant::now();
            c.create_ticket(request).await.expect("intake succeeds");
            t.elapsed()
        }));
    }
    let mut latencies = Vec::with_capacity(pending.len());
    for p in pending {
        latencies.push(p.await?);
    }
    Ok(Measured {
        elapsed: Duration::from_secs(RATE_SECONDS),
        latencies,
    })
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    platform::telemetry::init_quiet("error");
    // The registry (its release binary, as deployed) with the small town.
    let registry = TestRegistry::start(SocketAddr::from(([127, 0, 0, 1], free_port())), &[]).await;
    let video_db = ScratchDatabase::create("bench_video").await;
    let prefix = platform::testing::unique_prefix();
    let config = test_config(
        &prefix,
        registry.addr,
        free_sip_port(),
        &[("HEALTH__CHECK_INTERVAL", "5s".to_owned())],
    );
    let evidence = config.evidence.storage.local_dir.clone();
    let mut video = Served::<video_ingest::App>::try_start(
        video_db.pool.clone(),
        config,
        Arc::new(SystemClock),
    )
    .await?;
    let operator = video_client(video.addr(), Role::TownOperator)?;
    for i in 0..CAMERAS {
        let (device, channel) = camera(i);
        operator
            .clone()
            .put_device(camera_request(&device, &channel))
            .await?;
    }
    let edge_box = video_client(video.addr(), Role::Service)?;

    println!(
        "analytic ingest benchmark: {EVENTS} events, {STREAMS} streams, batches of {BATCH}, \
         {CAMERAS} cameras"
    );
    // Warm up: connections, pools, the stream's files.
    stream_all(&edge_box, batches(STREAMS * BATCH * 2, 1_000_000)).await;

    let (acked, took) = stream_all(&edge_box, batches(EVENTS, 0)).await;
    let ingest = acked as f64 / took.as_secs_f64();
    let raw_bus = Bus::connect(&platform::testing::nats_config()).await?;
    raw_bus
        .ensure_stream(&StreamSpec::fixed("VIDEO", "video"))
        .await?;
    let (published, took_raw) = publish_raw(&raw_bus, batches(EVENTS, 0)).await?;
    let raw = published as f64 / took_raw.as_secs_f64();
    println!(
        "{:<52} {ingest:>9.0} events/s",
        "StreamAnalyticEvents, acknowledged once stored"
    );
    println!(
        "{:<52} {raw:>9.0} events/s",
        "same events, raw JetStream publish + ack"
    );
    println!("ratio ingest / raw JetStream:   {:.2}", ingest / raw);

    // 12345 intake on dispatch (its release binary), consuming this
    // video-ingest's ticket requests as in production.
    let dispatch_db = ScratchDatabase::create("bench_dispatch").await;
    let dispatch_addr = SocketAddr::from(([127, 0, 0, 1], free_port()));
    let mut dispatch_process = ServiceProcess::start(
        "ticket-dispatch",
        "dispatch",
        "weigrid.dispatch.v1.DispatchService",
        dispatch_addr,
        &dispatch_db.url(),
        &prefix,
        &[(
            "CLIENTS__REGISTRY__ENDPOINT",
            format!("http://{}", registry.addr),
        )],
    )
    .await;
    let desk = DispatchServiceClient::with_interceptor(
        Channel::from_shared(format!("http://{dispatch_addr}"))?
            .connect()
            .await?,
        Outgoing::bearer(&token("bench-desk", Role::TownOperator, None))?,
    );
    intake_at_fixed_rate(&desk, "warm").await?;
    let mut quiet = intake_at_fixed_rate(&desk, "quiet").await?;
    let p99 = |m: &mut Measured| m.pct(0.99).as_secs_f64() * 1e3;
    println!(
        "{:<52} p50 {:>7.2} ms   p99 {:>7.2} ms",
        format!("12345 intake at {RATE}/s, no camera flood"),
        quiet.pct(0.5).as_secs_f64() * 1e3,
        p99(&mut quiet)
    );
    // The town's storm (every Langxia camera reporting twice a second),
    // then a flood as fast as video ingest takes events.
    for (what, per_second) in [("storm", Some(STORM_RATE)), ("flood", None)] {
        let stop = Arc::new(AtomicBool::new(false));
        let running = tokio::spawn({
            let (edge_box, stop) = (edge_box.clone(), stop.clone());
            async move { flood(&edge_box, stop, per_second).await }
        });
        let mut flooded = intake_at_fixed_rate(&desk, what).await?;
        stop.store(true, Ordering::Relaxed);
        let (events, took) = running.await?;
        println!(
            "{:<52} p50 {:>7.2} ms   p99 {:>7.2} ms",
            format!(
                "12345 intake at {RATE}/s, camera {what} of {:.0} events/s",
                events as f64 / took.as_secs_f64()
            ),
            flooded.pct(0.5).as_secs_f64() * 1e3,
            p99(&mut flooded)
        );
        println!(
            "ratio intake p99 {what} / quiet:  {:.2}",
            p99(&mut flooded) / p99(&mut quiet)
        );
    }

    dispatch_process.stop().await;
    video.stop().await?;
    registry.cleanup().await;
    dispatch_db.drop_database().await;
    video_db.drop_database().await;
    let _ = std::fs::remove_dir_all(evidence);
    Ok(())
}
