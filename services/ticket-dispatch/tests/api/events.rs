//! Tickets asked for by other services' events: taken in once, however
//! often the event arrives.

use std::time::Duration;

use platform::events::{Bus, StreamSpec};
use platform::testing::eventually;
use prost::Message as _;
use proto::dispatch::v1 as pb;
use sqlx::PgPool;

use ticket_dispatch::testing::*;

async fn count(pool: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned()))
        .fetch_one(pool)
        .await
        .unwrap()
}

/// The thermal camera's fire as video ingest asks dispatch for its ticket,
/// under `key`, with `priority` as sent (any number: a newer sender may
/// send one this version does not know).
fn fire_alarm(key: &str, priority: i32) -> pb::TicketRequested {
    pb::TicketRequested {
        meta: None,
        request: Some(pb::CreateTicketRequest {
            idempotency_key: key.into(),
            channel: pb::Channel::VideoAlarm.into(),
            category_code: "FIRE_ALARM".into(),
            title: "高空热成像火情告警".into(),
            location: Some(pb::LatLng {
                lat: 30.03,
                lng: 121.03,
            }),
            priority,
            ..Default::default()
        }),
    }
}

/// Publishes `message` on `video.ticket.requested` under `event_id`, as
/// video ingest does, and waits for JetStream to store it.
async fn request_ticket(bus: &Bus, event_id: String, message: pb::TicketRequested) {
    let mut headers = async_nats::HeaderMap::new();
    headers.insert("Nats-Msg-Id", event_id.as_str());
    let ack = bus
        .jetstream()
        .publish_with_headers(
            bus.subject("video.ticket.requested"),
            headers,
            message.encode_to_vec().into(),
        )
        .await
        .unwrap();
    ack.await.unwrap();
}

#[sqlx::test(migrations = false)]
async fn a_camera_alarm_event_becomes_one_ticket_however_often_it_arrives(pool: PgPool) {
    let test = TestDispatch::spawn(pool.clone()).await;
    let bus = Bus::connect(&test.config.service.nats).await.unwrap();
    bus.ensure_stream(&StreamSpec::fixed("VIDEO", "video"))
        .await
        .unwrap();
    let alarm = fire_alarm("thermal-2026-03-02-0001", pb::Priority::Unspecified.into());
    let publish =
        |event_id: String, message: pb::TicketRequested| request_ticket(&bus, event_id, message);
    // The camera platform sends it twice under two event ids.
    publish(uuid::Uuid::now_v7().to_string(), alarm.clone()).await;
    publish(uuid::Uuid::now_v7().to_string(), alarm).await;
    // And a malformed request, which is set aside as a dead letter.
    let malformed = uuid::Uuid::now_v7();
    publish(
        malformed.to_string(),
        pb::TicketRequested {
            meta: None,
            request: Some(pb::CreateTicketRequest::default()),
        },
    )
    .await;

    eventually(
        Duration::from_secs(10),
        "the three events handled",
        || async {
            let applied = count(
                &pool,
                "SELECT count(*) FROM inbox WHERE consumer = 'dispatch-video-ticket-requested'",
            )
            .await;
            let set_aside = count(
                &pool,
                "SELECT count(*) FROM inbox_dead_letters WHERE consumer = 'dispatch-video-ticket-requested'",
            )
            .await;
            (applied + set_aside == 3).then_some((applied, set_aside))
        },
    )
    .await;
    let (reason, deliveries): (String, i64) = sqlx::query_as(
        "SELECT reason, deliveries FROM inbox_dead_letters
         WHERE consumer = 'dispatch-video-ticket-requested' AND event_id = $1",
    )
    .bind(malformed)
    .fetch_one(&pool)
    .await
    .expect("the malformed request is kept as a dead letter");
    assert!(reason.contains("category_code"), "{reason}");
    assert_eq!(deliveries, 1, "refused at once, never retried");
    assert_eq!(
        count(
            &pool,
            "SELECT count(*) FROM inbox WHERE consumer = 'dispatch-video-ticket-requested'"
        )
        .await,
        2,
        "a refused request is never marked applied"
    );
    assert_eq!(count(&pool, "SELECT count(*) FROM tickets").await, 1);
    let desk = test.at_desk().await;
    let listed = desk.list(pb::ListTicketsRequest::default()).await;
    assert_eq!(listed[0].channel(), pb::Channel::VideoAlarm);
    assert_eq!(
        listed[0].state(),
        pb::TicketState::Dispatched,
        "a fire goes to its micro-grid at once"
    );
    assert_eq!(listed[0].history.len(), 0, "lists carry no history");
    test.cleanup().await;
}

#[sqlx::test(migrations = false)]
async fn ticket_requested_with_an_unknown_priority_is_a_counted_dead_letter_not_a_normal_ticket(
    pool: PgPool,
) {
    let metrics_port = free_port();
    let config = test_config(
        &platform::testing::unique_prefix(),
        &format!("127.0.0.1:{}", free_port()),
        &[
            ("METRICS__ENABLED", "true".to_owned()),
            ("METRICS__LISTEN", format!("127.0.0.1:{metrics_port}")),
        ],
    );
    let mut test = TestDispatch::spawn_configured(pool.clone(), config).await;
    test.start_registry().await;
    let bus = Bus::connect(&test.config.service.nats).await.unwrap();
    bus.ensure_stream(&StreamSpec::fixed("VIDEO", "video"))
        .await
        .unwrap();
    // A sender newer than this dispatch, with a priority it does not know;
    // then an ordinary urgent one, which flows on behind it.
    let unknown = uuid::Uuid::now_v7();
    request_ticket(&bus, unknown.to_string(), fire_alarm("thermal-unknown", 7)).await;
    request_ticket(
        &bus,
        uuid::Uuid::now_v7().to_string(),
        fire_alarm("thermal-urgent", pb::Priority::Urgent.into()),
    )
    .await;

    let (reason, deliveries): (String, i64) = eventually(
        Duration::from_secs(10),
        "the unknown priority set aside",
        || async {
            sqlx::query_as(
                "SELECT reason, deliveries FROM inbox_dead_letters
                 WHERE consumer = 'dispatch-video-ticket-requested' AND event_id = $1",
            )
            .bind(unknown)
            .fetch_optional(&pool)
            .await
            .unwrap()
        },
    )
    .await;
    assert!(reason.contains("priority"), "{reason}");
    assert!(reason.contains('7'), "the reason names the value: {reason}");
    assert_eq!(deliveries, 1, "refused at once, never retried");
    let tickets = eventually(Duration::from_secs(10), "the urgent ticket", || async {
        let listed = test
            .at_desk()
            .await
            .list(pb::ListTicketsRequest::default())
            .await;
        (!listed.is_empty()).then_some(listed)
    })
    .await;
    assert_eq!(tickets.len(), 1, "no ticket from the unknown priority");
    assert_eq!(tickets[0].priority(), pb::Priority::Urgent);
    let metrics = platform::testing::scrape_metrics(metrics_port).await;
    let counted = metrics
        .lines()
        .find(|l| {
            l.starts_with("weigrid_inbox_dead_letters_total")
                && l.contains("consumer=\"dispatch-video-ticket-requested\"")
        })
        .unwrap_or_else(|| panic!("no dead-letter series for the consumer:\n{metrics}"));
    assert!(counted.ends_with(" 1"), "{counted}");
    test.cleanup().await;
}
