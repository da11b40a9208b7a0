//! Deadlines under a controlled clock: warnings, breach and escalation up
//! the chain, and timers that fire once with two instances.

use std::sync::Arc;
use std::time::Duration;

use chrono::TimeDelta;
use platform::clock::ManualClock;
use platform::outbox::RelayWaker;
use platform::testing::eventually;
use platform::uow::Units;
use proto::dispatch::v1 as pb;
use sqlx::PgPool;

use crate::intake::patrol;
use ticket_dispatch::domain::deadline::DeadlineRules;
use ticket_dispatch::testing::*;
use ticket_dispatch::workers;

async fn subjects(pool: &PgPool) -> Vec<String> {
    sqlx::query_scalar("SELECT subject FROM outbox WHERE subject LIKE 'dispatch.ticket.deadline%' OR subject = 'dispatch.ticket.escalated' ORDER BY seq")
        .fetch_all(pool)
        .await
        .unwrap()
}

#[sqlx::test(migrations = false)]
async fn warnings_come_before_the_deadline_and_a_breach_escalates_up_the_chain(pool: PgPool) {
    let test = TestDispatch::spawn(pool.clone()).await;
    let desk = test.at_desk().await;
    let ticket = desk.create_ticket(patrol("t-1", 30.02, 121.02)).await;
    assert_eq!(ticket.assignee.as_ref().unwrap().kind, "MICRO_GRID");

    // Three working days: half of it is 36 hours later.
    test.advance(TimeDelta::hours(37));
    eventually(Duration::from_secs(5), "the first warning", || async {
        (subjects(&pool).await.len() == 1).then_some(())
    })
    .await;
    test.advance(TimeDelta::hours(24));
    eventually(Duration::from_secs(5), "the second warning", || async {
        (subjects(&pool).await.len() == 2).then_some(())
    })
    .await;
    test.advance(TimeDelta::hours(12));
    let fired = eventually(Duration::from_secs(5), "the breach", || async {
        let s = subjects(&pool).await;
        (s.len() >= 4).then_some(s)
    })
    .await;
    assert_eq!(
        fired[..4],
        [
            "dispatch.ticket.deadline_warning",
            "dispatch.ticket.deadline_warning",
            "dispatch.ticket.deadline_breached",
            "dispatch.ticket.escalated"
        ]
    );
    let escalated = desk.ticket(&ticket.id).await;
    let unit = escalated.assignee.unwrap();
    assert_eq!(
        (unit.kind.as_str(), unit.code.as_str()),
        ("WORKSTATION", "V1")
    );
    assert_eq!(
        escalated.history.last().unwrap().action(),
        pb::Action::Unspecified,
        "escalation is not a state move"
    );

    // Ignored at the workstation too: up to the town centre, then the leader on duty.
    test.advance(TimeDelta::days(6));
    eventually(
        Duration::from_secs(5),
        "escalation to the town centre",
        || async {
            let t = desk.try_ticket(&ticket.id).await.ok()?;
            (t.assignee?.kind == "TOWN_CENTRE").then_some(())
        },
    )
    .await;
    test.cleanup().await;
}

#[sqlx::test(migrations = false)]
async fn two_instances_never_fire_one_timer_twice(pool: PgPool) {
    let test = TestDispatch::spawn(pool.clone()).await;
    let desk = test.at_desk().await;
    for i in 0..40 {
        // Each at its own spot (111 m apart), so none repeats another.
        desk.create_ticket(patrol(
            &format!("t2-{i}"),
            30.001 + f64::from(i) * 0.001,
            121.02,
        ))
        .await;
    }
    let timers: i64 =
        sqlx::query_scalar("SELECT count(*) FROM ticket_timers WHERE kind = 'WARNING'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(timers, 80, "two warnings per ticket");
    // Both warnings of every ticket are due; two workers race for them
    // (and the running instance's own worker races too).
    let rules = DeadlineRules {
        calendar: Default::default(),
        warning_fractions: vec![0.5, 0.8],
        ..Default::default()
    };
    let now = ticket_dispatch::testing::start_time() + TimeDelta::hours(60);
    // Workers whose clock reads `now`.
    let units = Units::new(
        pool.clone(),
        Arc::new(ManualClock::new(now)),
        RelayWaker::default(),
    );
    let (a, b) = tokio::join!(
        workers::fire_due(&units, &rules),
        workers::fire_due(&units, &rules)
    );
    let fired = a.unwrap() + b.unwrap();
    assert!(fired <= 80);
    let warnings: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM outbox WHERE subject = 'dispatch.ticket.deadline_warning'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    let fired_rows: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM ticket_timers WHERE kind = 'WARNING' AND fired_at IS NOT NULL",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(warnings, fired_rows, "one event per fired timer");
    assert_eq!(fired_rows, fired as i64);
    // The rest fire later, still once each.
    let more = workers::fire_due(&units, &rules).await.unwrap();
    let warnings: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM outbox WHERE subject = 'dispatch.ticket.deadline_warning'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(
        warnings, 80,
        "every warning exactly once ({fired} + {more} fired here)"
    );
    test.cleanup().await;
}
