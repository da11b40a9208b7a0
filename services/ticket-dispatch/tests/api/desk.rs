//! The desk's clock: a channel's own limit (110: 2 h, 12345: 24 h) counts
//! from receipt, so the desk's dispatching time is inside it; the desk is
//! warned and escalates like any unit.

use std::time::Duration;

use chrono::TimeDelta;
use platform::testing::eventually;
use proto::dispatch::v1 as pb;
use sqlx::PgPool;

use crate::intake::hotline;
use crate::legs::legs;
use ticket_dispatch::testing::*;

fn non_police(order: &str) -> pb::CreateTicketRequest {
    pb::CreateTicketRequest {
        channel: pb::Channel::NonPolice110.into(),
        ..hotline(order)
    }
}

async fn deadline_subjects(pool: &PgPool) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT subject FROM outbox WHERE subject LIKE 'dispatch.ticket.deadline%'
            OR subject = 'dispatch.ticket.escalated' ORDER BY seq",
    )
    .fetch_all(pool)
    .await
    .unwrap()
}

#[sqlx::test(migrations = false)]
async fn dispatch_a_110_case_waiting_at_the_desk_for_2_h_breaches(pool: PgPool) {
    let test = TestDispatch::spawn(pool.clone()).await;
    let desk = test.at_desk().await;
    let ticket = desk.create_ticket(non_police("110-DESK-1")).await;
    assert_eq!(ticket.state(), pb::TicketState::Received);
    assert_eq!(
        ticket.due_at.unwrap().seconds - ticket.received_at.unwrap().seconds,
        2 * 3600,
        "2 h from receipt"
    );
    assert_eq!(ticket.dispatched_at, None);
    assert_eq!(
        legs(&desk.ticket(&ticket.id).await),
        [("TOWN_CENTRE".into(), "DESK".into(), String::new())]
    );

    test.advance(TimeDelta::minutes(119));
    eventually(
        Duration::from_secs(5),
        "the desk's two warnings",
        || async { (deadline_subjects(&pool).await.len() == 2).then_some(()) },
    )
    .await;
    test.advance(TimeDelta::minutes(2));
    let fired = eventually(Duration::from_secs(5), "the breach", || async {
        let s = deadline_subjects(&pool).await;
        (s.len() >= 4).then_some(s)
    })
    .await;
    assert_eq!(
        fired[2..4],
        [
            "dispatch.ticket.deadline_breached",
            "dispatch.ticket.escalated"
        ]
    );
    let breached = desk.ticket(&ticket.id).await;
    assert_eq!(breached.state(), pb::TicketState::Received);
    assert_eq!(breached.escalation_level, 1);
    assert_eq!(
        breached.assignee.as_ref().unwrap().code,
        "LEADER_ECOLOGICAL_ENVIRONMENT"
    );
    assert_eq!(
        legs(&breached),
        [
            ("TOWN_CENTRE".into(), "DESK".into(), "ESCALATED".into()),
            (
                "LEADER_ECOLOGICAL_ENVIRONMENT".into(),
                "ESCALATION".into(),
                String::new()
            ),
        ]
    );
    test.cleanup().await;
}

#[sqlx::test(migrations = false)]
async fn dispatch_a_12345_order_dispatched_late_keeps_the_deadline_from_receipt(pool: PgPool) {
    let test = TestDispatch::spawn(pool).await;
    let desk = test.at_desk().await;
    let ticket = desk.create_ticket(hotline("12345-DESK-1")).await;
    test.advance(TimeDelta::hours(3));
    let dispatched = desk.dispatch(&ticket).await;
    let received = dispatched.received_at.unwrap().seconds;
    assert_eq!(dispatched.due_at.unwrap().seconds - received, 24 * 3600);
    assert_eq!(
        dispatched.dispatched_at.unwrap().seconds - received,
        3 * 3600
    );
    let shown = desk.ticket(&ticket.id).await;
    assert_eq!(
        legs(&shown),
        [
            ("TOWN_CENTRE".into(), "DESK".into(), "DISPATCHED".into()),
            ("URBAN_MANAGEMENT".into(), "DISPATCH".into(), String::new()),
        ]
    );
    assert_eq!(shown.legs[1].due_at, shown.due_at);
    test.cleanup().await;
}
