//! The unit of work against the real PostgreSQL: a call with a key is done
//! once and answered the same way again, a key reused for another request
//! is refused, a unit of work that is not committed leaves nothing, its
//! events are written in the order published, and reads cannot write.

use std::sync::Arc;

use platform::clock::SystemClock;
use platform::error::AppError;
use platform::outbox::{OutboxEvent, RelayWaker};
use platform::uow::{Begun, CallKey, Units};
use sqlx::PgPool;

/// A request, as a service's generated messages are (with its name).
#[derive(Clone, PartialEq, prost::Message)]
struct Example {
    #[prost(string, tag = "1")]
    text: String,
}

impl Example {
    fn of(text: &str) -> Self {
        Self { text: text.into() }
    }
}

impl prost::Name for Example {
    const NAME: &'static str = "ExampleRequest";
    const PACKAGE: &'static str = "weigrid.test.v1";
}

fn units(pool: &PgPool) -> Units {
    Units::new(pool.clone(), Arc::new(SystemClock), RelayWaker::default())
}

async fn count(pool: &PgPool, table: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT count(*) FROM {table}")))
        .fetch_one(pool)
        .await
        .unwrap()
}

/// A call that writes one row of its own and publishes one event; returns
/// its answer, or the saved one.
async fn call(units: &Units, key: &str, request: &str, answer: &str) -> Result<String, AppError> {
    let key = CallKey::of_subject("tester", key, &Example::of(request));
    let mut work = match units.begin::<String>(key).await? {
        Begun::Replay(saved) => return Ok(saved),
        Begun::Fresh(work) => work,
    };
    sqlx::query("INSERT INTO inbox (consumer, event_id, subject) VALUES ('work', $1, 'x')")
        .bind(uuid::Uuid::now_v7())
        .execute(work.conn())
        .await?;
    work.publish(OutboxEvent::encode(
        uuid::Uuid::now_v7(),
        "example.thing.happened",
        &answer.to_owned(),
    ));
    work.commit(answer.to_owned()).await
}

#[sqlx::test(migrations = "./migrations")]
async fn a_call_repeated_with_its_key_is_done_once_and_answered_as_the_first_time(pool: PgPool) {
    let units = units(&pool);
    let first = call(&units, "k1", "request", "first answer").await.unwrap();
    let again = call(&units, "k1", "request", "a different answer")
        .await
        .unwrap();
    assert_eq!(first, "first answer");
    assert_eq!(again, "first answer", "the saved answer, not a new one");
    assert_eq!(count(&pool, "inbox").await, 1, "the work was done once");
    assert_eq!(
        count(&pool, "outbox").await,
        1,
        "its event was published once"
    );
}

#[sqlx::test(migrations = "./migrations")]
async fn a_key_reused_for_another_request_is_refused(pool: PgPool) {
    let units = units(&pool);
    call(&units, "k1", "request", "answer").await.unwrap();
    let err = call(&units, "k1", "another request", "answer")
        .await
        .unwrap_err();
    let status = tonic::Status::from(err);
    assert_eq!(status.code(), tonic::Code::FailedPrecondition);
    assert!(status.message().contains("\"k1\""), "{}", status.message());
}

#[sqlx::test(migrations = "./migrations")]
async fn calls_without_a_key_are_each_done(pool: PgPool) {
    let units = units(&pool);
    call(&units, "", "request", "a").await.unwrap();
    call(&units, "", "request", "b").await.unwrap();
    assert_eq!(count(&pool, "inbox").await, 2);
    assert_eq!(count(&pool, "idempotency_keys").await, 0);
}

#[sqlx::test(migrations = "./migrations")]
async fn a_units_events_are_written_in_the_order_published_with_their_headers(pool: PgPool) {
    let units = units(&pool);
    let key = CallKey::of_subject("tester", "k-order", &Example::of("request"));
    let Begun::Fresh(mut work) = units.begin::<String>(key).await.unwrap() else {
        panic!("a new key begins fresh work");
    };
    // Ids (time-ordered) and subjects in neither the order published nor
    // each other's, so only the order of publishing can order the rows.
    let ids: Vec<_> = (0..3).map(|_| uuid::Uuid::now_v7()).collect();
    let mut published = Vec::new();
    for (i, (subject, id)) in ["example.c", "example.a", "example.b"]
        .iter()
        .zip([ids[1], ids[2], ids[0]])
        .enumerate()
    {
        let mut event = OutboxEvent::encode(id, subject, &format!("event {i}"));
        event.headers.insert("position".into(), i.to_string());
        published.push((event.event_id, subject.to_string(), event.payload.clone()));
        work.publish(event);
    }
    work.commit("answer".to_owned()).await.unwrap();
    let rows: Vec<(uuid::Uuid, String, Vec<u8>, String)> = sqlx::query_as(
        "SELECT event_id, subject, payload, headers->>'position' FROM outbox ORDER BY seq",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let written: Vec<_> = rows
        .iter()
        .map(|(id, s, p, _)| (*id, s.clone(), p.clone()))
        .collect();
    assert_eq!(
        written, published,
        "every event, once, in the order published"
    );
    let positions: Vec<_> = rows.iter().map(|r| r.3.as_str()).collect();
    assert_eq!(positions, ["0", "1", "2"]);
    // The answer went under the key in the same statement: a retry replays it.
    assert_eq!(
        call(&units, "k-order", "request", "other").await.unwrap(),
        "answer"
    );
}

#[sqlx::test(migrations = "./migrations")]
async fn a_read_sees_what_was_committed_and_cannot_write(pool: PgPool) {
    let units = units(&pool);
    call(&units, "", "request", "a").await.unwrap();
    for mut read in [
        units.read().await.unwrap(),
        units.read_snapshot().await.unwrap(),
    ] {
        let seen: i64 = sqlx::query_scalar("SELECT count(*) FROM inbox")
            .fetch_one(&mut *read)
            .await
            .unwrap();
        assert_eq!(seen, 1);
        let write = sqlx::query("DELETE FROM inbox")
            .execute(&mut *read)
            .await
            .unwrap_err();
        assert!(write.to_string().contains("read-only"), "{write}");
    }
    assert_eq!(
        count(&pool, "inbox").await,
        1,
        "nothing was written through a read"
    );
}

#[sqlx::test(migrations = "./migrations")]
async fn work_dropped_before_commit_leaves_no_key_row_or_event(pool: PgPool) {
    let units = units(&pool);
    {
        let key = CallKey::of_subject("tester", "k1", &Example::of("request"));
        let Begun::Fresh(mut work) = units.begin::<String>(key).await.unwrap() else {
            panic!("a new key begins fresh work");
        };
        work.publish(OutboxEvent::encode(
            uuid::Uuid::now_v7(),
            "example.thing.happened",
            &"lost".to_owned(),
        ));
        // A use case that fails returns early: the work is dropped here.
    }
    assert_eq!(count(&pool, "idempotency_keys").await, 0);
    assert_eq!(count(&pool, "outbox").await, 0);
    // The key is free again: the retried call does the work.
    assert_eq!(call(&units, "k1", "request", "done").await.unwrap(), "done");
}

#[sqlx::test(migrations = "./migrations")]
async fn an_event_is_claimed_once_per_consumer(pool: PgPool) {
    let units = units(&pool);
    let event = platform::inbox::ReceivedEvent {
        event_id: uuid::Uuid::now_v7(),
        subject: "example.thing.happened".into(),
        payload: Default::default(),
        headers: Default::default(),
    };
    let work = units.begin_event("a", &event).await.unwrap().expect("new");
    work.commit(()).await.unwrap();
    assert!(units.begin_event("a", &event).await.unwrap().is_none());
    let other = units.begin_event("b", &event).await.unwrap();
    assert!(other.is_some(), "another consumer applies it too");
}
