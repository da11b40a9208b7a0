//! Referral to case review: the desk refers a ticket waiting at the desk,
//! which then waits, its clock still, for the review's decision; dispatch
//! carries the decision out once (a redispatch to the units it names, or
//! closure with its result) and sets aside one it cannot carry out.

use std::time::Duration;

use platform::error::field_violations;
use platform::events::{Bus, StreamSpec};
use platform::testing::eventually;
use prost::Message as _;
use proto::dispatch::v1 as pb;
use proto::review::v1 as review;
use sqlx::PgPool;
use tonic::Code;

use super::intake::hotline;
use ticket_dispatch::testing::*;

async fn count(pool: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned()))
        .fetch_one(pool)
        .await
        .unwrap()
}

/// A 12345 order without a place (so no two repeat each other).
fn order(number: &str) -> pb::CreateTicketRequest {
    pb::CreateTicketRequest {
        location: None,
        ..hotline(number)
    }
}

fn unit(kind: &str, code: &str) -> review::Unit {
    review::Unit {
        kind: kind.into(),
        code: code.into(),
        name: code.into(),
    }
}

/// Publishes case review's decision on `ticket` under a new event id.
async fn decide(bus: &Bus, ticket: &pb::Ticket, decision: review::Decision) {
    let event_id = uuid::Uuid::now_v7().to_string();
    let event = review::DecisionMade {
        meta: Some(review::EventMeta {
            event_id: event_id.clone(),
            occurred_at: None,
            actor: "leader-1".into(),
        }),
        review_id: uuid::Uuid::now_v7().to_string(),
        ticket_id: ticket.id.clone(),
        case_ref: ticket.number.clone(),
        decision: Some(decision),
    };
    let mut headers = async_nats::HeaderMap::new();
    headers.insert("Nats-Msg-Id", event_id.as_str());
    bus.jetstream()
        .publish_with_headers(
            bus.subject("review.decision.made"),
            headers,
            event.encode_to_vec().into(),
        )
        .await
        .unwrap()
        .await
        .unwrap();
}

#[sqlx::test(migrations = false)]
async fn dispatch_refers_a_ticket_at_the_desk_and_publishes_what_review_needs(pool: PgPool) {
    let test = TestDispatch::spawn(pool.clone()).await;
    let desk = test.at_desk().await;
    let ticket = desk.create_ticket(order("12345-2026-0000701")).await;

    let mut bad = referral(&ticket, " ", &[]);
    bad.kind = pb::ReferralKind::Unspecified.into();
    let status = desk.try_refer(bad).await.unwrap_err();
    let fields: Vec<_> = field_violations(&status)
        .into_iter()
        .map(|v| v.field)
        .collect();
    assert_eq!(fields, ["kind", "question"]);

    let member = test
        .actor(platform::auth::Role::Member, Some("V1-A1-M01"))
        .await;
    let status = member
        .try_refer(referral(&ticket, "法律风险", &[]))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied);

    let referred = desk
        .refer(referral(&ticket, "拆除违建的法律风险", &["某建材公司"]))
        .await;
    assert_eq!(referred.state(), pb::TicketState::UnderReview);
    let last = referred.history.last().unwrap();
    assert_eq!(last.action(), pb::Action::Refer);
    assert_eq!(last.reason, "拆除违建的法律风险");
    let payload: Vec<u8> =
        sqlx::query_scalar("SELECT payload FROM outbox WHERE subject = 'dispatch.ticket.referred'")
            .fetch_one(&pool)
            .await
            .unwrap();
    let event = pb::TicketReferred::decode(payload.as_slice()).unwrap();
    assert_eq!(event.ticket.as_ref().unwrap().id, ticket.id);
    assert_eq!(event.kind(), pb::ReferralKind::LegalRisk);
    assert_eq!(event.parties, ["某建材公司"]);
    assert_eq!(
        event.ticket.unwrap().reporter_phone_masked,
        "139****5678",
        "the phone travels masked"
    );

    // Under review, only the decision moves it on.
    let status = desk
        .try_move(on::<pb::DispatchTicketRequest>(&ticket))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::FailedPrecondition);
    assert!(
        status.message().contains("under review"),
        "{}",
        status.message()
    );
    // A dispatched ticket is not at the desk: it is not referred.
    let other = desk.create_ticket(order("12345-2026-0000702")).await;
    let mut to_squad = on::<pb::DispatchTicketRequest>(&other);
    to_squad.unit = Some(pb::Unit {
        kind: "DEPARTMENT".into(),
        code: "URBAN_MANAGEMENT".into(),
        name: "城管".into(),
    });
    to_squad.reason = "desk's choice".into();
    desk.move_(to_squad).await;
    let status = desk
        .try_refer(referral(&other, "法律风险", &[]))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::FailedPrecondition);
    test.cleanup().await;
}

#[sqlx::test(migrations = false)]
async fn dispatch_carries_out_a_review_decision_once_and_sets_aside_what_it_cannot(pool: PgPool) {
    let test = TestDispatch::spawn(pool.clone()).await;
    let bus = Bus::connect(&test.config.service.nats).await.unwrap();
    bus.ensure_stream(&StreamSpec::fixed("REVIEW", "review"))
        .await
        .unwrap();
    let desk = test.at_desk().await;
    let redispatched = desk.create_ticket(order("12345-2026-0000711")).await;
    desk.refer(referral(&redispatched, "拆除违建的法律风险", &[]))
        .await;
    let closed = desk.create_ticket(order("12345-2026-0000712")).await;
    desk.refer(referral(&closed, "补偿标准是否合法", &[])).await;
    let waiting = desk.create_ticket(order("12345-2026-0000713")).await;

    let redispatch = review::Decision {
        outcome: review::Outcome::Adopted.into(),
        reasons: "采纳专家组建议".into(),
        redispatch_to: vec![
            unit("DEPARTMENT", "URBAN_MANAGEMENT"),
            unit("DEPARTMENT", "WATER"),
        ],
        decided_by: "leader-1".into(),
        ..Default::default()
    };
    decide(&bus, &redispatched, redispatch.clone()).await;
    // The same decision again (another event id), and one for a ticket
    // never referred: neither can be carried out, both are set aside.
    decide(&bus, &redispatched, redispatch.clone()).await;
    decide(&bus, &waiting, redispatch).await;
    decide(
        &bus,
        &closed,
        review::Decision {
            outcome: review::Outcome::PartlyAdopted.into(),
            reasons: "部分采纳".into(),
            close_result: "依法补偿，不予拆除".into(),
            decided_by: "leader-1".into(),
            ..Default::default()
        },
    )
    .await;

    eventually(Duration::from_secs(10), "the four decisions handled", || async {
        let handled = count(
            &pool,
            "SELECT count(*) FROM inbox WHERE consumer = 'dispatch-review-decision-made'",
        )
        .await;
        let set_aside = count(
            &pool,
            "SELECT count(*) FROM inbox_dead_letters WHERE consumer = 'dispatch-review-decision-made'",
        )
        .await;
        (handled == 2 && set_aside == 2).then_some(())
    })
    .await;

    let ticket = desk.ticket(&redispatched.id).await;
    assert_eq!(ticket.state(), pb::TicketState::Dispatched);
    assert_eq!(ticket.assignee.as_ref().unwrap().code, "URBAN_MANAGEMENT");
    assert_eq!(ticket.tasks.len(), 1);
    assert_eq!(ticket.tasks[0].unit.as_ref().unwrap().code, "WATER");
    let last = ticket.history.last().unwrap();
    assert_eq!(last.actor, "leader-1");
    assert!(
        last.reason.contains("adopted; 采纳专家组建议"),
        "{}",
        last.reason
    );
    assert!(ticket.due_at.is_some(), "a new leg of the clock");

    let ticket = desk.ticket(&closed.id).await;
    assert_eq!(ticket.state(), pb::TicketState::Closed);
    assert!(
        ticket
            .history
            .last()
            .unwrap()
            .reason
            .starts_with("依法补偿，不予拆除"),
        "closed with the decision as its result"
    );
    assert_eq!(
        desk.ticket(&waiting.id).await.state(),
        pb::TicketState::Received
    );
    test.cleanup().await;
}
