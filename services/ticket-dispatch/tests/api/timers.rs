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

/// Units of work whose clock reads 60 hours after the start, when both
/// warnings (at half and four fifths of three working days) of a ticket
/// taken in at the start are due, and the rules those warnings follow.
fn workers_two_and_a_half_days_on(pool: &PgPool) -> (Units, DeadlineRules) {
    let now = ticket_dispatch::testing::start_time() + TimeDelta::hours(60);
    let units = Units::new(
        pool.clone(),
        Arc::new(ManualClock::new(now)),
        RelayWaker::default(),
    );
    let rules = DeadlineRules {
        calendar: Default::default(),
        warning_fractions: vec![0.5, 0.8],
    };
    (units, rules)
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
    let (units, rules) = workers_two_and_a_half_days_on(&pool);
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

#[sqlx::test(migrations = false)]
async fn timers_one_that_fails_every_time_is_set_aside_and_the_others_still_fire(pool: PgPool) {
    let test = TestDispatch::spawn(pool.clone()).await;
    let desk = test.at_desk().await;
    let broken = desk
        .create_ticket(patrol("t3-broken", 30.011, 121.02))
        .await;
    let fine = desk.create_ticket(patrol("t3-fine", 30.031, 121.02)).await;
    // The broken ticket's row holds a state no code knows: loading it for
    // its timers fails every time.
    sqlx::query("UPDATE tickets SET state = 'MISLAID' WHERE ticket_id = $1::uuid")
        .bind(&broken.id)
        .execute(&pool)
        .await
        .unwrap();
    // Both warnings of both tickets are due by then.
    let (units, rules) = workers_two_and_a_half_days_on(&pool);

    let fired = workers::fire_due(&units, &rules).await.unwrap();

    assert_eq!(fired, 2, "the sound ticket's two warnings fire");
    let warnings: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM outbox WHERE subject = 'dispatch.ticket.deadline_warning'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(warnings, 2, "one warning event per fired timer");
    let set_aside: Vec<(String, String)> = sqlx::query_as(
        "SELECT ticket_id::text, failure FROM ticket_timers WHERE failed_at IS NOT NULL",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        set_aside.len(),
        2,
        "both of the broken ticket's warnings are set aside"
    );
    for (ticket, failure) in &set_aside {
        assert_eq!(ticket, &broken.id);
        assert!(
            failure.contains("MISLAID"),
            "the reason names the value: {failure}"
        );
    }
    let fine_fired: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM ticket_timers WHERE ticket_id = $1::uuid AND kind = 'WARNING' AND fired_at IS NOT NULL",
    )
    .bind(&fine.id)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(fine_fired, 2);
    // A timer set aside is not tried again.
    assert_eq!(workers::fire_due(&units, &rules).await.unwrap(), 0);
    let still: i64 =
        sqlx::query_scalar("SELECT count(*) FROM ticket_timers WHERE failed_at IS NOT NULL")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(still, 2);
    test.cleanup().await;
}
