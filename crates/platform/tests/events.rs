//! The event bus end to end, against the real PostgreSQL and NATS: the
//! outbox relay publishes each committed event once, and a durable consumer
//! applies each event once even when JetStream delivers it again.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use platform::clock::SystemClock;
use platform::config::OutboxConfig;
use platform::events::{Bus, StreamSpec};
use platform::inbox::{ConsumerSpec, EventHandler, HandlerError, ReceivedEvent};
use platform::metrics::Metrics;
use platform::outbox::{OutboxEvent, Relay, RelayWaker};
use platform::testing::{eventually, nats_config};
use platform::uow::{Units, Work};
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

const STREAM: StreamSpec = StreamSpec::fixed("EXAMPLE", "example");

#[derive(Clone, Default)]
struct Counting(Arc<AtomicUsize>);

impl EventHandler for Counting {
    type Event = ();

    async fn prepare(&self, _event: &ReceivedEvent) -> Result<Option<()>, HandlerError> {
        Ok(Some(()))
    }

    async fn apply(&self, _work: &mut Work, _event: ()) -> Result<(), HandlerError> {
        self.0.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}

fn units(pool: &PgPool) -> Units {
    Units::new(pool.clone(), Arc::new(SystemClock), RelayWaker::default())
}

fn outbox_config() -> OutboxConfig {
    OutboxConfig {
        poll_interval: Duration::from_millis(50),
        batch_size: 10,
        max_backoff: Duration::from_millis(200),
    }
}

async fn enqueue(pool: &PgPool, n: usize) -> Vec<uuid::Uuid> {
    let mut work = units(pool).begin_job().await.unwrap();
    let mut ids = Vec::new();
    for i in 0..n {
        let event = OutboxEvent::encode(
            uuid::Uuid::now_v7(),
            "example.thing.happened",
            &format!("event {i}"),
        );
        ids.push(event.event_id);
        work.publish(event);
    }
    work.commit(()).await.unwrap();
    ids
}

async fn unpublished(pool: &PgPool) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM outbox WHERE published_at IS NULL")
        .fetch_one(pool)
        .await
        .unwrap()
}

/// Connects to NATS (its deliveries before an event is set aside bounded
/// by `max_deliveries`, when given), declares the test's stream and returns
/// the bus and a relay over `pool` counting into `metrics`.
async fn bus_and_relay(
    pool: &PgPool,
    max_deliveries: Option<i64>,
    metrics: Arc<Metrics>,
) -> (Bus, Relay) {
    let mut nats = nats_config();
    if let Some(max) = max_deliveries {
        nats.max_deliveries = max;
    }
    let bus = Bus::connect(&nats).await.unwrap();
    let relay = Relay::new(pool.clone(), bus.clone(), STREAM, outbox_config(), metrics);
    bus.ensure_stream(&STREAM).await.unwrap();
    (bus, relay)
}

#[sqlx::test(migrations = "./migrations")]
async fn a_consumer_applies_each_event_once_even_when_it_is_delivered_again(pool: PgPool) {
    platform::telemetry::init_for_tests();
    let (bus, relay) = bus_and_relay(&pool, None, Arc::new(Metrics::new("test"))).await;
    enqueue(&pool, 25).await;
    assert_eq!(relay.publish_pending().await.unwrap(), 25);
    assert_eq!(unpublished(&pool).await, 0);
    assert_eq!(
        relay.publish_pending().await.unwrap(),
        0,
        "a published event is not sent again"
    );

    let spec = ConsumerSpec {
        name: "test-thing-happened".into(),
        stream: STREAM,
        filter_subject: "example.thing.happened".into(),
        batch: 1,
    };
    let applied = Counting::default();
    let cancel = CancellationToken::new();
    let consumer = tokio::spawn(platform::inbox::consume(
        bus.clone(),
        units(&pool),
        spec.clone(),
        applied.clone(),
        cancel.clone(),
    ));
    eventually(Duration::from_secs(10), "25 events applied", || {
        let applied = applied.clone();
        async move { (applied.0.load(Ordering::SeqCst) == 25).then_some(()) }
    })
    .await;
    cancel.cancel();
    consumer.await.unwrap().unwrap();

    // The consumer is recreated from the start of the stream, as after a
    // lost acknowledgement or a replay: every event arrives again.
    let stream = bus.ensure_stream(&STREAM).await.unwrap();
    stream.delete_consumer(&spec.name).await.unwrap();
    let cancel = CancellationToken::new();
    let consumer = tokio::spawn(platform::inbox::consume(
        bus.clone(),
        units(&pool),
        spec.clone(),
        applied.clone(),
        cancel.clone(),
    ));
    let info_stream = stream.clone();
    let name = spec.name.clone();
    eventually(
        Duration::from_secs(10),
        "the redelivered events to be acknowledged",
        || {
            let stream = info_stream.clone();
            let name = name.clone();
            async move { all_acknowledged(&stream, &name, 25).await.then_some(()) }
        },
    )
    .await;
    cancel.cancel();
    consumer.await.unwrap().unwrap();
    assert_eq!(
        applied.0.load(Ordering::SeqCst),
        25,
        "no event applied twice"
    );
    let inbox: i64 = sqlx::query_scalar("SELECT count(*) FROM inbox")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(inbox, 25);
}

#[sqlx::test(migrations = "./migrations")]
async fn bookkeeping_rows_older_than_their_retention_are_purged(pool: PgPool) {
    sqlx::query(
        "INSERT INTO idempotency_keys (caller_id, idempotency_key, rpc, request_hash, created_at)
         VALUES ('a', 'old', 'X', '\\x00', now() - interval '31 days'), ('a', 'new', 'X', '\\x00', now())",
    )
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO inbox (consumer, event_id, subject, handled_at)
         VALUES ('c', gen_random_uuid(), 'x', now() - interval '31 days'), ('c', gen_random_uuid(), 'x', now())",
    )
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO outbox (event_id, subject, payload, published_at) VALUES
         (gen_random_uuid(), 'old', '', now() - interval '8 days'),
         (gen_random_uuid(), 'recent', '', now()),
         (gen_random_uuid(), 'unpublished', '', NULL)",
    )
    .execute(&pool)
    .await
    .unwrap();
    let day = Duration::from_secs(24 * 3600);
    let retention = platform::config::RetentionConfig {
        outbox: 7 * day,
        inbox: 30 * day,
        idempotency_keys: 30 * day,
    };
    let purged = platform::housekeeping::purge(&pool, &retention)
        .await
        .unwrap();
    assert_eq!(
        purged,
        platform::housekeeping::Purged {
            outbox: 1,
            inbox: 1,
            idempotency_keys: 1
        }
    );
    let left: Vec<String> = sqlx::query_scalar("SELECT idempotency_key FROM idempotency_keys")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(left, ["new"]);
    let outbox: Vec<String> = sqlx::query_scalar("SELECT subject FROM outbox ORDER BY seq")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(
        outbox,
        ["recent", "unpublished"],
        "never an unpublished row"
    );
}

#[sqlx::test(migrations = "./migrations")]
async fn an_event_nats_refuses_is_set_aside_and_the_next_ones_go_out(pool: PgPool) {
    platform::telemetry::init_for_tests();
    let bus = Bus::connect(&nats_config()).await.unwrap();
    let metrics = Arc::new(Metrics::new("test"));
    let relay = Relay::new(
        pool.clone(),
        bus.clone(),
        STREAM,
        outbox_config(),
        metrics.clone(),
    );
    bus.ensure_stream(&STREAM).await.unwrap();
    let mut work = units(&pool).begin_job().await.unwrap();
    // Larger than the server's 1 MiB message limit: NATS will never take it.
    let huge = vec![7u8; 2 * 1024 * 1024];
    for payload in [b"before".to_vec(), huge, b"after".to_vec()] {
        work.publish(OutboxEvent::encode(
            uuid::Uuid::now_v7(),
            "example.thing.happened",
            &payload,
        ));
    }
    work.commit(()).await.unwrap();

    relay.publish_pending().await.unwrap();
    let rows: Vec<(bool, Option<String>)> =
        sqlx::query_as("SELECT published_at IS NOT NULL, dead_reason FROM outbox ORDER BY seq")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert!(rows[0].0 && rows[2].0, "the others are published: {rows:?}");
    assert!(!rows[1].0, "the huge one is not");
    assert!(
        rows[1].1.as_deref().is_some_and(|r| r.contains("payload")),
        "{rows:?}"
    );
    assert_eq!(metrics.outbox_dead_letters.get(), 1);
    assert_eq!(
        relay.publish_pending().await.unwrap(),
        0,
        "a dead letter is not tried again"
    );
    let stream = bus.ensure_stream(&STREAM).await.unwrap();
    assert_eq!(stream.get_info().await.unwrap().state.messages, 2);
}

/// Fails one event for good (`refuse`) and another every time (`fail`);
/// counts the others, and echoes each it applies as an event of its own
/// (kept only if its unit of work commits).
#[derive(Clone, Default)]
struct Picky {
    applied: Arc<AtomicUsize>,
    refuse: Arc<std::sync::Mutex<Option<uuid::Uuid>>>,
    fail: Arc<std::sync::Mutex<Option<uuid::Uuid>>>,
}

impl EventHandler for Picky {
    type Event = uuid::Uuid;

    async fn prepare(&self, event: &ReceivedEvent) -> Result<Option<uuid::Uuid>, HandlerError> {
        if Some(event.event_id) == *self.refuse.lock().unwrap() {
            return Err(HandlerError::Refused(anyhow::anyhow!(
                "not an event of ours"
            )));
        }
        Ok(Some(event.event_id))
    }

    async fn apply(&self, work: &mut Work, id: uuid::Uuid) -> Result<(), HandlerError> {
        if Some(id) == *self.fail.lock().unwrap() {
            return Err(HandlerError::Retry(anyhow::anyhow!("a neighbour is away")));
        }
        self.applied.fetch_add(1, Ordering::SeqCst);
        work.publish(OutboxEvent::encode(
            uuid::Uuid::now_v7(),
            "example.thing.echoed",
            &id.to_string(),
        ));
        Ok(())
    }
}

#[sqlx::test(migrations = "./migrations")]
async fn a_poisonous_event_is_set_aside_after_its_deliveries_and_the_rest_flow(pool: PgPool) {
    platform::telemetry::init_for_tests();
    let metrics = Arc::new(Metrics::new("test"));
    let (bus, relay) = bus_and_relay(&pool, Some(2), metrics.clone()).await;
    let ids = enqueue(&pool, 5).await;
    relay.publish_pending().await.unwrap();
    let handler = Picky::default();
    *handler.refuse.lock().unwrap() = Some(ids[1]);
    *handler.fail.lock().unwrap() = Some(ids[2]);
    let units = Units::new(pool.clone(), Arc::new(SystemClock), relay.waker());
    let cancel = CancellationToken::new();
    let consumer = tokio::spawn(platform::inbox::consume(
        bus.clone(),
        units,
        ConsumerSpec {
            name: "test-picky".into(),
            stream: STREAM,
            filter_subject: "example.thing.happened".into(),
            batch: 1,
        },
        handler.clone(),
        cancel.clone(),
    ));
    eventually(Duration::from_secs(20), "both bad events set aside", || {
        let pool = pool.clone();
        async move {
            let n: i64 = sqlx::query_scalar("SELECT count(*) FROM inbox_dead_letters")
                .fetch_one(&pool)
                .await
                .ok()?;
            (n == 2).then_some(())
        }
    })
    .await;
    cancel.cancel();
    consumer.await.unwrap().unwrap();
    assert_eq!(
        handler.applied.load(Ordering::SeqCst),
        3,
        "the others applied"
    );
    let dead: Vec<(uuid::Uuid, i64, String)> = sqlx::query_as(
        "SELECT event_id, deliveries, reason FROM inbox_dead_letters ORDER BY event_id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(dead[0].0, ids[1]);
    assert_eq!(dead[0].1, 1, "a refused event is not retried");
    assert_eq!(dead[1].0, ids[2]);
    assert_eq!(dead[1].1, 2, "a failing one gets its deliveries");
    assert!(dead[1].2.contains("a neighbour is away"), "{}", dead[1].2);
    assert_eq!(
        metrics
            .inbox_dead_letters
            .with_label_values(&["test-picky"])
            .get(),
        2
    );
}

/// Returns whether the durable consumer `name` was delivered the stream's
/// first `sequence` events and has none pending or unacknowledged.
async fn all_acknowledged(
    stream: &async_nats::jetstream::stream::Stream,
    name: &str,
    sequence: u64,
) -> bool {
    let Ok(mut consumer) = stream
        .get_consumer::<async_nats::jetstream::consumer::pull::Config>(name)
        .await
    else {
        return false;
    };
    consumer.info().await.is_ok_and(|info| {
        info.num_pending == 0
            && info.num_ack_pending == 0
            && info.delivered.stream_sequence == sequence
    })
}

/// Counts the echoes committed, and the events they echo.
async fn echoes(pool: &PgPool) -> (i64, i64) {
    sqlx::query_as(
        "SELECT count(*), count(DISTINCT payload) FROM outbox WHERE subject LIKE '%thing.echoed'",
    )
    .fetch_one(pool)
    .await
    .unwrap()
}

#[sqlx::test(migrations = "./migrations")]
async fn a_batching_consumer_applies_each_event_once_and_a_bad_event_holds_back_none_of_the_rest(
    pool: PgPool,
) {
    platform::telemetry::init_for_tests();
    let (bus, relay) = bus_and_relay(&pool, Some(2), Arc::new(Metrics::new("test"))).await;
    let ids = enqueue(&pool, 40).await;
    relay.publish_pending().await.unwrap();
    let handler = Picky::default();
    // One refused while batches are prepared, one failing while they are
    // applied, after others of its batch were.
    *handler.refuse.lock().unwrap() = Some(ids[5]);
    *handler.fail.lock().unwrap() = Some(ids[20]);
    let spec = ConsumerSpec {
        name: "test-batched".into(),
        stream: STREAM,
        filter_subject: "example.thing.happened".into(),
        batch: 16,
    };
    let stream = bus.ensure_stream(&STREAM).await.unwrap();
    for round in ["first delivery", "every event delivered again"] {
        let began: chrono::DateTime<chrono::Utc> = sqlx::query_scalar("SELECT now()")
            .fetch_one(&pool)
            .await
            .unwrap();
        let cancel = CancellationToken::new();
        let consumer = tokio::spawn(platform::inbox::consume(
            bus.clone(),
            units(&pool),
            spec.clone(),
            handler.clone(),
            cancel.clone(),
        ));
        let (stream, name) = (stream.clone(), spec.name.clone());
        eventually(Duration::from_secs(20), round, || {
            let (stream, name, pool) = (stream.clone(), name.clone(), pool.clone());
            async move {
                let set_aside: i64 = sqlx::query_scalar(
                    "SELECT count(*) FROM inbox_dead_letters WHERE set_aside_at >= $1",
                )
                .bind(began)
                .fetch_one(&pool)
                .await
                .ok()?;
                (set_aside == 2 && all_acknowledged(&stream, &name, 40).await).then_some(())
            }
        })
        .await;
        cancel.cancel();
        consumer.await.unwrap().unwrap();
        assert_eq!(
            echoes(&pool).await,
            (38, 38),
            "{round}: each good event applied and committed once"
        );
        let inbox: i64 = sqlx::query_scalar("SELECT count(*) FROM inbox WHERE consumer = $1")
            .bind(&spec.name)
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(inbox, 38, "{round}");
        // Rows written by one transaction share its xmin: events that
        // arrived together were applied together, not one commit each.
        let together: i64 = sqlx::query_scalar(
            "SELECT max(n) FROM (SELECT count(*) AS n FROM inbox WHERE consumer = $1
             GROUP BY xmin::text) AS per_transaction",
        )
        .bind(&spec.name)
        .fetch_one(&pool)
        .await
        .unwrap();
        assert!(
            together > 1,
            "{round}: some events were applied in one transaction (at most {together} were)"
        );
        let dead: Vec<uuid::Uuid> =
            sqlx::query_scalar("SELECT event_id FROM inbox_dead_letters ORDER BY event_id")
                .fetch_all(&pool)
                .await
                .unwrap();
        assert_eq!(dead, [ids[5], ids[20]], "{round}: the bad two set aside");
        // The consumer is recreated from the start of the stream: every
        // event arrives again, in batches of those applied before.
        stream.delete_consumer(&spec.name).await.unwrap();
    }
}
