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
//!    The ingest capacity (admission control) is lifted for these two: they
//!    measure the path, not the configured bound.
//! 3. 12345 intake (CreateTicket on dispatch's release binary) at a fixed
//!    rate, its p99 without a camera flood (after the incident consumer
//!    caught up with the events above: unloaded), then with the town's
//!    storm (every Langxia camera reporting twice a second), a flood at
//!    twice the configured ingest capacity, and a flood as fast as the
//!    senders go, on a video ingest with the configured capacity (its
//!    `config/default.toml`); each printed as a ratio to the unloaded p99
//!    of the same run (aim: at most 2), with what the flood offered, what
//!    was admitted and how many batches were refused RESOURCE_EXHAUSTED
//!    (each sender waits the `retry-after-ms` the refusal names and sends
//!    the batch again). The flood's senders stand for edge boxes and NVRs,
//!    which are machines of their own: they run as a process of their own
//!    at the lowest CPU priority (`nice -n 19`), so that what they cost
//!    themselves does not count against the platform. NATS, PostgreSQL,
//!    video ingest and dispatch share the machine's cores as they are.
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
use platform::testing::{ScratchDatabase, Served, free_port, token};
use proto::video::v1 as pb;
use proto::video::v1::video_service_client::VideoServiceClient;
use tonic::transport::Channel;
use video_ingest::testing::{
    Desk, analytic_event, camera_request, free_sip_port, hotline_order, start_dispatch, test_config,
};

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
    video_client_of(addr, role, &format!("bench-{role}"))
}

fn video_client_of(addr: SocketAddr, role: Role, subject: &str) -> anyhow::Result<Video> {
    let channel = Channel::from_shared(format!("http://{addr}"))?.connect_lazy();
    Ok(VideoServiceClient::with_interceptor(
        channel,
        Outgoing::bearer(&token(subject, role, None))?,
    ))
}

/// Set in the environment of the flood's own process: the video ingest
/// address and the rate (`full` for as fast as the senders go).
const FLOOD_PROCESS: &str = "WEIGRID_BENCH_FLOOD";

/// What a flood offered and what was admitted.
#[derive(Debug, Default, Clone, Copy)]
struct Flooded {
    offered: usize,
    admitted: usize,
    refused_batches: usize,
}

/// A camera flood: `STREAMS` edge boxes (a sender each) sending batches
/// until `stop`, as fast as they go (`per_second` `None`) or paced to
/// `per_second` events in all, on a schedule (a box that waited catches
/// up, as one with a buffer does). A batch refused RESOURCE_EXHAUSTED ends
/// its stream: the box waits what the refusal names and opens another,
/// starting with the refused batch. Returns what was offered (the batches
/// the schedule made due, and sent at least once), admitted (acknowledged)
/// and refused, and for how long.
async fn flood(
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    per_second: Option<usize>,
) -> (Flooded, Duration) {
    let pause =
        per_second.map(|rate| Duration::from_secs_f64((STREAMS * BATCH) as f64 / rate as f64));
    let started = Instant::now();
    let boxes: Vec<_> = (0..STREAMS)
        .map(|s| {
            let stop = stop.clone();
            tokio::spawn(async move {
                let client = video_client_of(addr, Role::Service, &format!("edge-box-{s}"))
                    .expect("a client");
                edge_box(client, 10_000_000 * (s as u64 + 1), pause, stop).await
            })
        })
        .collect();
    let mut all = Flooded::default();
    for b in boxes {
        let one = b.await.expect("a box runs to its end");
        all.offered += one.offered;
        all.admitted += one.admitted;
        all.refused_batches += one.refused_batches;
    }
    (all, started.elapsed())
}

/// The flood's senders, as a process of their own at the lowest CPU
/// priority: this benchmark again, told by [`FLOOD_PROCESS`] what to send;
/// it floods until its standard input closes, then prints what it offered,
/// admitted and had refused.
struct FloodProcess(std::process::Child);

impl FloodProcess {
    fn start(addr: SocketAddr, per_second: Option<usize>) -> anyhow::Result<Self> {
        let rate = per_second.map_or_else(|| "full".to_owned(), |r| r.to_string());
        let child = std::process::Command::new("nice")
            .args(["-n", "19"])
            .arg(std::env::current_exe()?)
            .env(FLOOD_PROCESS, format!("{addr} {rate}"))
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()?;
        Ok(Self(child))
    }

    /// Stops the flood; returns what it offered, admitted and had refused,
    /// and for how long it ran.
    async fn stop(mut self) -> anyhow::Result<(Flooded, Duration)> {
        drop(self.0.stdin.take());
        let output = tokio::task::spawn_blocking(move || self.0.wait_with_output()).await??;
        let text = String::from_utf8(output.stdout)?;
        let n: Vec<u64> = text
            .split_whitespace()
            .map(str::parse)
            .collect::<Result<_, _>>()
            .map_err(|e| anyhow::anyhow!("the flood process said {text:?}: {e}"))?;
        let [offered, admitted, refused_batches, millis] = n[..] else {
            anyhow::bail!("the flood process said {text:?}");
        };
        let count = |n: u64| usize::try_from(n).unwrap_or(usize::MAX);
        Ok((
            Flooded {
                offered: count(offered),
                admitted: count(admitted),
                refused_batches: count(refused_batches),
            },
            Duration::from_millis(millis),
        ))
    }
}

/// The flood process's own work ([`FloodProcess`]): floods `spec`
/// ("address rate") until standard input closes.
async fn run_flood_process(spec: &str) -> anyhow::Result<()> {
    let (addr, rate) = spec
        .split_once(' ')
        .ok_or_else(|| anyhow::anyhow!("{FLOOD_PROCESS} is \"address rate\""))?;
    let per_second = match rate {
        "full" => None,
        rate => Some(rate.parse()?),
    };
    let stop = Arc::new(AtomicBool::new(false));
    let watch = stop.clone();
    std::thread::spawn(move || {
        let _ = std::io::copy(&mut std::io::stdin(), &mut std::io::sink());
        watch.store(true, Ordering::Relaxed);
    });
    let (f, took) = flood(addr.parse()?, stop, per_second).await;
    println!(
        "{} {} {} {}",
        f.offered,
        f.admitted,
        f.refused_batches,
        took.as_millis()
    );
    Ok(())
}

/// One edge box of [`flood`]: batches `tag + b`, due every `pause`.
async fn edge_box(
    client: Video,
    tag: u64,
    pause: Option<Duration>,
    stop: Arc<AtomicBool>,
) -> Flooded {
    let schedule = Arc::new(tokio::sync::Mutex::new(pause.map(tokio::time::interval)));
    // The batch a stream starts with: after a refusal, the refused one.
    let mut first = 0;
    let mut counted = Flooded::default();
    let sent = Arc::new(AtomicUsize::new(0));
    while !stop.load(Ordering::Relaxed) {
        // Each stream counts its own batches: one refused and dropped is
        // not read from again.
        let next = Arc::new(AtomicUsize::new(first));
        let requests = futures::stream::unfold((), {
            let (schedule, next, stop, sent) =
                (schedule.clone(), next.clone(), stop.clone(), sent.clone());
            move |()| {
                let (schedule, next, stop, sent) =
                    (schedule.clone(), next.clone(), stop.clone(), sent.clone());
                async move {
                    let b = next.fetch_add(1, Ordering::Relaxed);
                    // A batch sent before (refused, now again) is not due
                    // on the schedule a second time.
                    if b >= sent.load(Ordering::Relaxed) {
                        if let Some(interval) = schedule.lock().await.as_mut() {
                            interval.tick().await;
                        }
                        sent.fetch_max(b + 1, Ordering::Relaxed);
                    }
                    (!stop.load(Ordering::Relaxed)).then(|| (batch(b, tag), ()))
                }
            }
        });
        let mut answers = match client.clone().stream_analytic_events(requests).await {
            Ok(answers) => answers.into_inner(),
            Err(status) => panic!("the stream opens: {status:?}"),
        };
        loop {
            match answers.message().await {
                Ok(Some(ack)) => counted.admitted += ack.stored as usize,
                Ok(None) => break,
                Err(status) if status.code() == tonic::Code::ResourceExhausted => {
                    counted.refused_batches += 1;
                    let trailer = |name: &str| -> Option<u64> {
                        status.metadata().get(name)?.to_str().ok()?.parse().ok()
                    };
                    let refused = trailer(video_ingest::api::REFUSED_BATCH)
                        .expect("a refusal names its batch");
                    let wait = trailer(video_ingest::api::RETRY_AFTER_MS)
                        .expect("a refusal names the wait");
                    first = usize::try_from(refused - tag).expect("a batch of this box");
                    tokio::time::sleep(Duration::from_millis(wait)).await;
                    break;
                }
                Err(status) => panic!("only RESOURCE_EXHAUSTED refuses a flood: {status:?}"),
            }
        }
    }
    counted.offered = sent.load(Ordering::Relaxed) * BATCH;
    counted
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
async fn intake_at_fixed_rate(desk: &Desk, tag: &str) -> anyhow::Result<Measured> {
    let mut ticks = tokio::time::interval(Duration::from_millis(1000 / RATE));
    let mut pending = Vec::new();
    for i in 0..RATE * RATE_SECONDS {
        ticks.tick().await;
        let mut c = desk.clone();
        let request = hotline_order(tag, i);
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

/// The configuration of the bench's video ingest: the ingest capacity as
/// configured, or (`lifted`) out of the way, to measure the path itself.
fn video_config(prefix: &str, registry: SocketAddr, lifted: bool) -> video_ingest::VideoConfig {
    let mut overrides = vec![("HEALTH__CHECK_INTERVAL", "5s".to_owned())];
    // The incident consumer's batch as configured, or as the environment
    // sets it (1 shows what batching saves).
    if let Ok(batch) = std::env::var("WEIGRID_VIDEO__ANALYTICS__CONSUMER_BATCH") {
        overrides.push(("ANALYTICS__CONSUMER_BATCH", batch));
    }
    if lifted {
        overrides.push(("ANALYTICS__MAX_EVENTS_PER_SECOND", "1000000".to_owned()));
        overrides.push((
            "ANALYTICS__MAX_EVENTS_PER_SECOND_PER_SENDER",
            "1000000".to_owned(),
        ));
    }
    test_config(prefix, registry, free_sip_port(), &overrides)
}

/// Waits (at most `limit`) until the incident consumer took in every
/// event stored; returns how many it took in and how long it waited.
async fn consumer_caught_up(
    pool: &sqlx::PgPool,
    stored: i64,
    limit: Duration,
) -> anyhow::Result<(i64, Duration)> {
    let started = Instant::now();
    loop {
        let taken: i64 = sqlx::query_scalar("SELECT count(*) FROM incident_events")
            .fetch_one(pool)
            .await?;
        if taken >= stored || started.elapsed() >= limit {
            return Ok((taken, started.elapsed()));
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    platform::telemetry::init_quiet("error");
    if let Ok(spec) = std::env::var(FLOOD_PROCESS) {
        return run_flood_process(&spec).await;
    }
    // The registry (its release binary, as deployed) with the small town.
    let registry = TestRegistry::start(SocketAddr::from(([127, 0, 0, 1], free_port())), &[]).await;
    let video_db = ScratchDatabase::create("bench_video").await;
    let prefix = platform::testing::unique_prefix();
    let config = video_config(&prefix, registry.addr, true);
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
         {CAMERAS} cameras (ingest capacity lifted for the ratio)"
    );
    // Warm up: connections, pools, the stream's files.
    let (warm, _) = stream_all(&edge_box, batches(STREAMS * BATCH * 2, 1_000_000)).await;

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
    // The raw events went to a stream of their own (another prefix): the
    // service's consumer takes in only what the service stored.
    let backlog = warm + acked;
    let (taken, caught_up) =
        consumer_caught_up(&video_db.pool, backlog as i64, Duration::from_secs(300)).await?;
    println!(
        "{:<52} {:>9.0} events/s   ({taken} of {backlog} taken in{})",
        "incident consumer, events taken in (about)",
        taken as f64 / (took + took_raw + caught_up).as_secs_f64(),
        if (taken as usize) < backlog {
            ", the rest still waiting after 300 s: it goes on through the floods below"
        } else {
            ""
        }
    );
    // Video ingest again, with the capacity as configured, for the floods.
    video.stop().await?;
    let config = video_config(&prefix, registry.addr, false);
    let capacity = config.analytics.max_events_per_second as usize;
    let per_sender = config.analytics.max_events_per_second_per_sender;
    let consumer_batch = config.analytics.consumer_batch;
    let mut video = Served::<video_ingest::App>::try_start(
        video_db.pool.clone(),
        config,
        Arc::new(SystemClock),
    )
    .await?;

    // 12345 intake on dispatch (its release binary), consuming this
    // video-ingest's ticket requests as in production.
    let dispatch_db = ScratchDatabase::create("bench_dispatch").await;
    let (mut dispatch_process, desk) =
        start_dispatch(registry.addr, &dispatch_db.url(), &prefix).await;
    intake_at_fixed_rate(&desk, "warm").await?;
    let mut quiet = intake_at_fixed_rate(&desk, "quiet").await?;
    let p99 = |m: &mut Measured| m.pct(0.99).as_secs_f64() * 1e3;
    println!(
        "{:<52} p50 {:>7.2} ms   p99 {:>7.2} ms",
        format!("12345 intake at {RATE}/s, no camera flood"),
        quiet.pct(0.5).as_secs_f64() * 1e3,
        p99(&mut quiet)
    );
    println!(
        "ingest capacity (analytics.max_events_per_second): {capacity} events/s, \
         {per_sender} per sender; incident consumer batch \
         (analytics.consumer_batch): {consumer_batch}"
    );
    // The town's storm (every Langxia camera reporting twice a second), a
    // flood at twice the capacity, then one as fast as the senders go.
    let floods = [
        ("storm", Some(STORM_RATE)),
        ("flood at 2x capacity", Some(2 * capacity)),
        ("flood at full speed", None),
    ];
    for (what, per_second) in floods {
        let running = FloodProcess::start(video.addr(), per_second)?;
        // The senders connect and reach their pace first.
        tokio::time::sleep(Duration::from_secs(1)).await;
        let mut flooded = intake_at_fixed_rate(&desk, what).await?;
        let (f, took) = running.stop().await?;
        let per_s = |n: usize| n as f64 / took.as_secs_f64();
        println!(
            "{:<52} p50 {:>7.2} ms   p99 {:>7.2} ms",
            format!("12345 intake at {RATE}/s, camera {what}"),
            flooded.pct(0.5).as_secs_f64() * 1e3,
            p99(&mut flooded)
        );
        println!(
            "  {what}: offered {:.0} events/s, admitted {:.0} events/s, {} batches refused \
             RESOURCE_EXHAUSTED (sent again after the wait)",
            per_s(f.offered),
            per_s(f.admitted),
            f.refused_batches
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
