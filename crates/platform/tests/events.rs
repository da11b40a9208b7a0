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

#[sqlx::test(migrations = "./migrations")]
async fn a_consumer_applies_each_event_once_even_when_it_is_delivered_again(pool: PgPool) {
    platform::telemetry::init_for_tests();
    let bus = Bus::connect(&nats_config()).await.unwrap();
    let relay = Relay::new(
        pool.clone(),
        bus.clone(),
        STREAM,
        outbox_config(),
        Arc::new(Metrics::new("test")),
    );
    bus.ensure_stream(&STREAM).await.unwrap();
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
            async move {
                let mut consumer = stream
                    .get_consumer::<async_nats::jetstream::consumer::pull::Config>(&name)
                    .await
                    .ok()?;
                let info = consumer.info().await.ok()?;
                (info.num_pending == 0
                    && info.num_ack_pending == 0
                    && info.delivered.stream_sequence == 25)
                    .then_some(())
            }
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
async fn idempotency_keys_older_than_the_retention_are_purged(pool: PgPool) {
    sqlx::query(
        "INSERT INTO idempotency_keys (caller_id, idempotency_key, rpc, request_hash, created_at)
         VALUES ('a', 'old', 'X', '\\x00', now() - interval '31 days'), ('a', 'new', 'X', '\\x00', now())",
    )
    .execute(&pool)
    .await
    .unwrap();
    let mut conn = pool.acquire().await.unwrap();
    assert_eq!(
        platform::idempotency::purge_older_than(&mut conn, 30)
            .await
            .unwrap(),
        1
    );
    let left: Vec<String> = sqlx::query_scalar("SELECT idempotency_key FROM idempotency_keys")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(left, ["new"]);
}
