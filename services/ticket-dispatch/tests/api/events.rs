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

#[sqlx::test(migrations = false)]
async fn a_camera_alarm_event_becomes_one_ticket_however_often_it_arrives(pool: PgPool) {
    let test = TestDispatch::spawn(pool.clone()).await;
    let bus = Bus::connect(&test.config.service.nats).await.unwrap();
    bus.ensure_stream(&StreamSpec::fixed("VIDEO", "video"))
        .await
        .unwrap();
    let alarm = pb::TicketRequested {
        meta: None,
        request: Some(pb::CreateTicketRequest {
            idempotency_key: "thermal-2026-03-02-0001".into(),
            channel: pb::Channel::VideoAlarm.into(),
            category_code: "FIRE_ALARM".into(),
            title: "高空热成像火情告警".into(),
            location: Some(pb::LatLng {
                lat: 30.03,
                lng: 121.03,
            }),
            ..Default::default()
        }),
    };
    let publish = |event_id: String, message: pb::TicketRequested| {
        let bus = bus.clone();
        async move {
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
    };
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
