//! Poison on the bus, for every service that consumes events: an event no
//! consumer can read — bytes that are no protobuf message, or a message
//! without the `Nats-Msg-Id` that names it — on every subject the service
//! consumes is set aside as a dead letter (`inbox_dead_letters`), counted
//! in `weigrid_inbox_dead_letters_total` on its `/metrics`, and the consumer
//! goes on: the second poison after the first is set aside too.
//!
//! Each service runs in process over a database of its own, on a private
//! NATS prefix; the streams it reads are declared here, as their owners
//! would.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use platform::clock::ManualClock;
use platform::config::NatsConfig;
use platform::events::{Bus, StreamSpec};
use platform::testing::{ScratchDatabase, Served, eventually, free_port, unique_prefix};
use sqlx::PgPool;

/// Bytes no protobuf message reads: field 1 of wire type 7, which does not
/// exist.
const UNDECODABLE: &[u8] = &[0x0f, 0xff, 0xff, 0xff];

/// One subject a service consumes, and the consumer that reads it.
struct Consumed {
    consumer: String,
    stream: StreamSpec,
    subject: String,
}

impl Consumed {
    fn new(consumer: &str, stream: StreamSpec, subject: &str) -> Self {
        Self {
            consumer: consumer.to_owned(),
            stream,
            subject: subject.to_owned(),
        }
    }
}

/// A service under test: where its bus, database and metrics are, and
/// what it consumes.
struct Consumer {
    service: &'static str,
    nats: NatsConfig,
    pool: PgPool,
    metrics: SocketAddr,
    consumed: Vec<Consumed>,
}

/// The settings that serve a test instance's `/metrics` on a free port.
fn with_metrics() -> (SocketAddr, Vec<(&'static str, String)>) {
    let addr = SocketAddr::from(([127, 0, 0, 1], free_port()));
    let settings = vec![
        ("METRICS__ENABLED", "true".to_owned()),
        ("METRICS__LISTEN", addr.to_string()),
    ];
    (addr, settings)
}

/// Publishes `payload` on `subject`, named by `event_id` when there is one.
async fn publish(bus: &Bus, subject: &str, event_id: Option<uuid::Uuid>, payload: &[u8]) {
    let mut headers = async_nats::HeaderMap::new();
    if let Some(id) = event_id {
        headers.insert("Nats-Msg-Id", id.to_string().as_str());
    }
    bus.jetstream()
        .publish_with_headers(bus.subject(subject), headers, payload.to_vec().into())
        .await
        .expect("published")
        .await
        .expect("acknowledged");
}

/// Returns `consumer`'s count of events set aside, as `/metrics` at `addr`
/// shows it (0 before the first).
async fn dead_letters_counted(addr: SocketAddr, consumer: &str) -> i64 {
    let text = reqwest::get(format!("http://{addr}/metrics"))
        .await
        .expect("the metrics answer")
        .text()
        .await
        .expect("the metrics are text");
    let label = format!("consumer=\"{consumer}\"");
    text.lines()
        .find(|l| l.starts_with("weigrid_inbox_dead_letters_total{") && l.contains(&label))
        .and_then(|l| l.rsplit(' ').next())
        .map_or(0, |n| n.parse().expect("a counter is a number"))
}

async fn dead_letters_kept(pool: &PgPool, consumer: &str) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM inbox_dead_letters WHERE consumer = $1")
        .bind(consumer)
        .fetch_one(pool)
        .await
        .expect("inbox_dead_letters is readable")
}

/// Sends three poisons down every subject `under` consumes — one without an
/// event id, then two undecodable ones — and checks that each is set
/// aside, kept and counted, and that nothing was applied.
async fn poison_every_subject(under: &Consumer) {
    let bus = Bus::connect(&under.nats).await.expect("NATS answers");
    let mut expected: BTreeMap<&str, i64> = BTreeMap::new();
    for consumed in &under.consumed {
        bus.ensure_stream(&consumed.stream)
            .await
            .expect("the stream is declared");
    }
    for consumed in &under.consumed {
        // The second undecodable event shows the consumer went on after
        // the first.
        let ids = [None, Some(uuid::Uuid::now_v7()), Some(uuid::Uuid::now_v7())];
        for event_id in ids {
            publish(&bus, &consumed.subject, event_id, UNDECODABLE).await;
        }
        *expected.entry(consumed.consumer.as_str()).or_default() += ids.len() as i64;
    }
    for (consumer, n) in expected {
        let what = format!("{}: {consumer} sets aside its {n} poisons", under.service);
        eventually(Duration::from_secs(60), &what, || async {
            (dead_letters_kept(&under.pool, consumer).await == n).then_some(())
        })
        .await;
        assert_eq!(
            dead_letters_counted(under.metrics, consumer).await,
            n,
            "{}: {consumer} counts each poison in weigrid_inbox_dead_letters_total",
            under.service
        );
        let applied: i64 = sqlx::query_scalar("SELECT count(*) FROM inbox WHERE consumer = $1")
            .bind(consumer)
            .fetch_one(&under.pool)
            .await
            .expect("the inbox is readable");
        assert_eq!(applied, 0, "{}: no poison is marked applied", under.service);
    }
}

const DISPATCH: StreamSpec = StreamSpec::fixed("DISPATCH", "dispatch");

/// The subjects of dispatch's ticket stream that a consumer decodes.
fn ticket_subjects(consumer: &str, steps: &[&str]) -> Vec<Consumed> {
    steps
        .iter()
        .map(|step| Consumed::new(consumer, DISPATCH, &format!("dispatch.ticket.{step}")))
        .collect()
}

#[sqlx::test(migrations = false)]
async fn poison_on_every_consumed_subject_is_set_aside_counted_and_passed(pool: PgPool) {
    platform::telemetry::init_for_tests();
    let mut under = Vec::new();
    let mut scratch = Vec::new();

    // Points: dispatch's ticket events about villagers' reports.
    let (metrics, settings) = with_metrics();
    let points = points::testing::TestPoints::spawn_with(pool.clone(), &settings).await;
    under.push(Consumer {
        service: "points",
        nats: points.config.service.nats.clone(),
        pool: pool.clone(),
        metrics,
        consumed: ticket_subjects(
            points::consumers::CONSUMER,
            &points::consumers::TICKET_EVENT_STEPS,
        ),
    });

    // Dispatch: tickets requested by every configured source, and review's
    // decisions.
    let db = ScratchDatabase::create("poison-dispatch").await;
    let (metrics, settings) = with_metrics();
    let config = ticket_dispatch::testing::test_config(
        &unique_prefix(),
        &format!("127.0.0.1:{}", free_port()),
        &settings,
    );
    let mut consumed: Vec<Consumed> = config
        .intake
        .sources()
        .into_iter()
        .map(|(stream, root)| {
            Consumed::new(
                &format!("dispatch-{root}-ticket-requested"),
                StreamSpec {
                    name: stream.into(),
                    subject_root: root.clone().into(),
                },
                &format!("{root}.ticket.requested"),
            )
        })
        .collect();
    let (stream, root) = config
        .decisions
        .source()
        .expect("dispatch reads review's decisions");
    consumed.push(Consumed::new(
        ticket_dispatch::consumers::DECISIONS_CONSUMER,
        StreamSpec {
            name: stream.into(),
            subject_root: root.clone().into(),
        },
        &format!("{root}.decision.made"),
    ));
    assert!(
        consumed.len() >= 5,
        "video, review, points, exchange and decisions"
    );
    let dispatch =
        ticket_dispatch::testing::TestDispatch::spawn_configured(db.pool.clone(), config.clone())
            .await;
    under.push(Consumer {
        service: "ticket-dispatch",
        nats: config.service.nats.clone(),
        pool: db.pool.clone(),
        metrics,
        consumed,
    });
    scratch.push(db);

    // Case review: referrals.
    let db = ScratchDatabase::create("poison-review").await;
    let (metrics, settings) = with_metrics();
    let review =
        case_review::testing::TestReview::spawn_with(db.pool.clone(), &unique_prefix(), &settings)
            .await;
    under.push(Consumer {
        service: "case-review",
        nats: review.config.service.nats.clone(),
        pool: db.pool.clone(),
        metrics,
        consumed: vec![Consumed::new(
            case_review::consumers::CONSUMER,
            DISPATCH,
            case_review::consumers::SUBJECT,
        )],
    });
    scratch.push(db);

    // Video ingest: analytic events on its own stream.
    let db = ScratchDatabase::create("poison-video").await;
    let (metrics, settings) = with_metrics();
    let video = video_ingest::testing::TestVideo::spawn_with(db.pool.clone(), &settings).await;
    under.push(Consumer {
        service: "video-ingest",
        nats: video.config.service.nats.clone(),
        pool: db.pool.clone(),
        metrics,
        consumed: vec![Consumed::new(
            video_ingest::consumers::ANALYTIC_CONSUMER,
            video_ingest::events::STREAM,
            video_ingest::events::ANALYTIC_RECEIVED,
        )],
    });
    scratch.push(db);

    // Case exchange: a node's tickets received and closed.
    let db = ScratchDatabase::create("poison-exchange").await;
    let (metrics, settings) = with_metrics();
    let dir = std::env::temp_dir().join(format!("weigrid-poison-{}", unique_prefix()));
    let towns = case_exchange::pki::dev_towns(&dir, [free_port(), free_port(), free_port()]);
    case_exchange::pki::dev_pki(&dir, &towns).expect("the development PKI is made");
    let config = case_exchange::testing::node_config(&towns[0], &settings);
    let exchange = Served::<case_exchange::App>::start(
        db.pool.clone(),
        config.clone(),
        Arc::new(ManualClock::new(case_exchange::testing::start_time())),
    )
    .await;
    under.push(Consumer {
        service: "case-exchange",
        nats: config.service.nats.clone(),
        pool: db.pool.clone(),
        metrics,
        consumed: ticket_subjects(case_exchange::consumers::CONSUMER, &["received", "closed"]),
    });
    scratch.push(db);

    for service in &under {
        poison_every_subject(service).await;
    }

    drop(exchange);
    video.cleanup().await;
    review.cleanup().await;
    dispatch.cleanup().await;
    points.cleanup().await;
    let _ = std::fs::remove_dir_all(dir);
    for db in scratch {
        db.drop_database().await;
    }
}
