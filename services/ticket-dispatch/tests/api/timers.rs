//! Deadlines under a controlled clock: warnings, breach and escalation up
//! the registry's chain to the leader it names (the town centre for what
//! nobody owns), and timers that fire once with two instances.

use std::sync::Arc;
use std::time::Duration;

use chrono::TimeDelta;
use platform::clock::ManualClock;
use platform::outbox::RelayWaker;
use platform::testing::eventually;
use platform::uow::Units;
use proto::dispatch::v1 as pb;
use sqlx::PgPool;

use crate::intake::{hotline, patrol};
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
async fn escalation_warns_before_the_deadline_and_a_breach_climbs_to_the_registry_named_leader(
    pool: PgPool,
) {
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

    // Ignored at the workstation too: on to the department the registry
    // names for the domain, then to the leader its responsibility book
    // names (属人责任), where it stops.
    for (kind, code) in [
        ("DEPARTMENT", "URBAN_MANAGEMENT"),
        ("LEADER", "LEADER_ECOLOGICAL_ENVIRONMENT"),
    ] {
        test.advance(TimeDelta::days(5));
        eventually(Duration::from_secs(5), code, || async {
            let unit = desk.try_ticket(&ticket.id).await.ok()?.assignee?;
            (unit.kind == kind && unit.code == code).then_some(())
        })
        .await;
    }
    let at_the_top = desk.ticket(&ticket.id).await;
    assert_eq!(at_the_top.assignee.unwrap().name, "周镇长 (副镇长)");
    assert_eq!(at_the_top.escalation_level, 3);
    test.cleanup().await;
}

#[sqlx::test(migrations = false)]
async fn escalation_of_a_case_nobody_owns_goes_to_the_town_centre(pool: PgPool) {
    let test = TestDispatch::spawn(pool.clone()).await;
    let desk = test.at_desk().await;
    // A 12345 order without a location: the registry names nobody.
    let ticket = desk
        .create_ticket(pb::CreateTicketRequest {
            location: None,
            ..hotline("12345-NOBODY-1")
        })
        .await;
    desk.move_(pb::DispatchTicketRequest {
        unit: Some(pb::Unit {
            kind: "DEPARTMENT".into(),
            code: "URBAN_MANAGEMENT".into(),
            name: "城管中队".into(),
        }),
        reason: "按职能派单".into(),
        ..on(&ticket)
    })
    .await;
    test.advance(TimeDelta::hours(25));
    eventually(Duration::from_secs(5), "the town centre", || async {
        let t = desk.try_ticket(&ticket.id).await.ok()?;
        (t.assignee?.code == "TOWN_CENTRE").then_some(())
    })
    .await;
    // The backstop is the top: a breach there is reported, not escalated.
    test.advance(TimeDelta::hours(25));
    eventually(Duration::from_secs(5), "the breach at the top", || async {
        (subjects(&pool)
            .await
            .iter()
            .filter(|s| s.ends_with("breached"))
            .count()
            == 2)
            .then_some(())
    })
    .await;
    let shown = desk.ticket(&ticket.id).await;
    assert_eq!(
        (
            shown.assignee.unwrap().code.as_str(),
            shown.escalation_level
        ),
        ("TOWN_CENTRE", 1)
    );
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
        ..Default::default()
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
    let registry = test.registry_client();
    let (a, b) = tokio::join!(
        workers::fire_due(&units, &registry, &rules),
        workers::fire_due(&units, &registry, &rules)
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
    let more = workers::fire_due(&units, &registry, &rules).await.unwrap();
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
async fn escalation_of_a_co_handlers_task_breach_climbs_the_chain_as_a_new_leg(pool: PgPool) {
    let test = TestDispatch::spawn(pool.clone()).await;
    let desk = test.at_desk().await;
    let ticket = desk.create_ticket(hotline("12345-TASK-1")).await;
    let micro_grid = pb::Unit {
        kind: "MICRO_GRID".into(),
        code: "V1-A1-M01".into(),
        name: "V1-A1-M01".into(),
    };
    let dispatched = desk
        .move_(pb::DispatchTicketRequest {
            co_handlers: vec![micro_grid],
            ..on(&ticket)
        })
        .await;
    assert_eq!(dispatched.assignee.unwrap().code, "URBAN_MANAGEMENT");
    let task_id = dispatched.tasks[0].id.clone();

    // The micro-grid lets its task's 24 h pass: it goes up to its
    // workstation, a new leg of the task with a clock of its own.
    test.advance(TimeDelta::hours(25));
    let shown = eventually(Duration::from_secs(5), "the task escalated", || async {
        let t = desk.try_ticket(&ticket.id).await.ok()?;
        (t.tasks[0].unit.as_ref()?.code == "V1").then_some(t)
    })
    .await;
    let task = &shown.tasks[0];
    assert_eq!(
        (task.id.as_str(), task.state.as_str()),
        (task_id.as_str(), "DISPATCHED")
    );
    assert_eq!(
        task.due_at.unwrap().seconds - task.dispatched_at.unwrap().seconds,
        24 * 3600
    );
    let task_legs: Vec<_> = shown
        .legs
        .iter()
        .filter(|l| l.task_id == task_id)
        .map(|l| {
            (
                l.unit.as_ref().unwrap().code.clone(),
                l.start().as_str_name().to_owned(),
                l.outcome().as_str_name().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        task_legs,
        [
            (
                "V1-A1-M01".to_owned(),
                "LEG_START_DISPATCH".to_owned(),
                "LEG_OUTCOME_ESCALATED".to_owned()
            ),
            (
                "V1".to_owned(),
                "LEG_START_ESCALATION".to_owned(),
                "LEG_OUTCOME_UNSPECIFIED".to_owned()
            ),
        ]
    );
    let escalated: Vec<(String, String)> = sqlx::query_as(
        "SELECT unit_code, reason FROM ticket_transitions WHERE action = 'escalate' ORDER BY transition_id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert!(
        escalated
            .iter()
            .any(|(unit, reason)| unit == "V1"
                && reason.contains("task deadline passed at V1-A1-M01")),
        "{escalated:?}"
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
    let registry = test.registry_client();

    let fired = workers::fire_due(&units, &registry, &rules).await.unwrap();

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
    assert_eq!(
        workers::fire_due(&units, &registry, &rules).await.unwrap(),
        0
    );
    let still: i64 =
        sqlx::query_scalar("SELECT count(*) FROM ticket_timers WHERE failed_at IS NOT NULL")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(still, 2);
    test.cleanup().await;
}
