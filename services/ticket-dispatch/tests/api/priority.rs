//! Priority: an urgent ticket (a camera's fire) says so, comes first in
//! the desk queue page after page, and a request or a stored value of an
//! unknown priority is refused or fails loudly.

use std::time::Duration;

use platform::events::{Bus, StreamSpec};
use platform::testing::eventually;
use prost::Message as _;
use proto::dispatch::v1 as pb;
use sqlx::PgPool;
use tonic::Code;

use crate::intake::hotline;
use ticket_dispatch::testing::*;

fn urgent(mut request: pb::CreateTicketRequest) -> pb::CreateTicketRequest {
    request.priority = pb::Priority::Urgent.into();
    request
}

/// A 12345 order without a location (three at one place would be linked
/// as duplicates of the first and leave the desk queue).
fn order(number: &str) -> pb::CreateTicketRequest {
    pb::CreateTicketRequest {
        location: None,
        ..hotline(number)
    }
}

#[sqlx::test(migrations = false)]
async fn dispatch_an_urgent_ticket_comes_first_in_the_desk_queue_page_after_page(pool: PgPool) {
    let test = TestDispatch::spawn(pool.clone()).await;
    let desk = test.at_desk().await;
    let older = desk.create_ticket(order("12345-2026-0000601")).await;
    let fire = desk
        .create_ticket(urgent(order("12345-2026-0000602")))
        .await;
    let newer = desk.create_ticket(order("12345-2026-0000603")).await;
    assert_eq!(fire.priority(), pb::Priority::Urgent);
    assert_eq!(older.priority(), pb::Priority::Normal);
    assert_eq!(
        desk.ticket(&fire.id).await.priority(),
        pb::Priority::Urgent,
        "GetTicket shows it"
    );

    let queue = desk.queue(pb::list_tickets_request::Queue::Desk).await;
    let ids: Vec<_> = queue.iter().map(|t| t.id.as_str()).collect();
    assert_eq!(ids, [&fire.id, &newer.id, &older.id]);
    // One at a time, the page token continues in the same order.
    let mut token = String::new();
    let mut paged = Vec::new();
    loop {
        let page = desk
            .client()
            .list_tickets(pb::ListTicketsRequest {
                queue: pb::list_tickets_request::Queue::Desk.into(),
                page_size: 1,
                page_token: token.clone(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        paged.extend(page.tickets.into_iter().map(|t| t.id));
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    assert_eq!(paged, [fire.id.clone(), newer.id.clone(), older.id.clone()]);
    // Every other list stays newest first.
    let all = desk.list(pb::ListTicketsRequest::default()).await;
    let ids: Vec<_> = all.iter().map(|t| t.id.as_str()).collect();
    assert_eq!(ids, [&newer.id, &fire.id, &older.id]);

    let mut unknown = order("12345-2026-0000604");
    unknown.priority = 9;
    let refused = desk.try_create_ticket(unknown).await.unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument);
    assert!(refused.message().contains("priority"), "{refused:?}");

    for sql in [
        "ALTER TABLE tickets DROP CONSTRAINT tickets_priority",
        "UPDATE tickets SET priority = 'CRITICAL' WHERE number = (SELECT min(number) FROM tickets)",
    ] {
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(&pool)
            .await
            .unwrap();
    }
    assert_eq!(
        desk.try_ticket(&older.id).await.unwrap_err().code(),
        Code::Internal,
        "an unknown stored priority is never read as normal"
    );
    test.cleanup().await;
}

#[sqlx::test(migrations = false)]
async fn dispatch_a_cameras_fire_is_urgent_at_its_micro_grid_and_first_at_the_desk(pool: PgPool) {
    let test = TestDispatch::spawn(pool.clone()).await;
    let desk = test.at_desk().await;
    let waiting = desk.create_ticket(hotline("12345-2026-0000701")).await;
    let bus = Bus::connect(&test.config.service.nats).await.unwrap();
    bus.ensure_stream(&StreamSpec::fixed("VIDEO", "video"))
        .await
        .unwrap();
    // What video ingest asks for a thermal camera's fire: one ticket to
    // the micro-grid where the camera is, one to the safety office.
    let fire =
        |channel: pb::Channel, key: &str, location: Option<pb::LatLng>| pb::TicketRequested {
            meta: None,
            request: Some(pb::CreateTicketRequest {
                idempotency_key: key.into(),
                external_ref: key.into(),
                channel: channel.into(),
                category_code: "FIRE_ALARM".into(),
                title: "视频告警 / video alarm: 火情 / fire".into(),
                location,
                priority: pb::Priority::Urgent.into(),
                ..Default::default()
            }),
        };
    let at = Some(pb::LatLng {
        lat: 30.03,
        lng: 121.03,
    });
    for message in [
        fire(pb::Channel::VideoAlarm, "video-incident-1-THERMAL_FIRE", at),
        fire(
            pb::Channel::Department,
            "video-incident-1-THERMAL_FIRE-SAFETY",
            None,
        ),
    ] {
        let mut headers = async_nats::HeaderMap::new();
        headers.insert("Nats-Msg-Id", uuid::Uuid::now_v7().to_string().as_str());
        bus.jetstream()
            .publish_with_headers(
                bus.subject("video.ticket.requested"),
                headers,
                message.encode_to_vec().into(),
            )
            .await
            .unwrap()
            .await
            .unwrap();
    }
    let tickets = eventually(Duration::from_secs(10), "both fire tickets", || async {
        let all = desk.list(pb::ListTicketsRequest::default()).await;
        (all.len() == 3).then_some(all)
    })
    .await;
    let grid = tickets
        .iter()
        .find(|t| t.channel() == pb::Channel::VideoAlarm)
        .unwrap();
    assert_eq!(grid.priority(), pb::Priority::Urgent);
    assert_eq!(
        grid.state(),
        pb::TicketState::Dispatched,
        "straight to its micro-grid"
    );
    let office = tickets
        .iter()
        .find(|t| t.channel() == pb::Channel::Department)
        .unwrap();
    let queue = desk.queue(pb::list_tickets_request::Queue::Desk).await;
    let ids: Vec<_> = queue.iter().map(|t| t.id.as_str()).collect();
    assert_eq!(ids, [&office.id, &waiting.id], "the fire first at the desk");
    test.cleanup().await;
}
