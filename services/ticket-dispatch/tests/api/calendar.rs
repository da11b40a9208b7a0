//! The business calendar as data: a year edited through the API moves the
//! running deadlines and their timers at once, is used by the next
//! deadline, is picked up by another replica without a restart, and a bad
//! edit is refused naming each day and rule.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use platform::auth::Role;
use platform::error::field_violations;
use proto::dispatch::v1 as pb;
use sqlx::PgPool;
use tonic::Code;

use crate::intake::patrol;
use ticket_dispatch::testing::*;

fn day(date: &str, kind: pb::CalendarDayKind, name: &str) -> pb::CalendarDay {
    pb::CalendarDay {
        date: date.into(),
        kind: kind.into(),
        name: name.into(),
    }
}

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().to_utc()
}

fn due(ticket: &pb::Ticket) -> DateTime<Utc> {
    let due = ticket.due_at.expect("the ticket has a deadline");
    DateTime::from_timestamp(due.seconds, 0).unwrap()
}

/// Returns the 2026 calendar as stored, with `extra` listed besides.
async fn year_2026_with(desk: &Actor, extra: pb::CalendarDay) -> Vec<pb::CalendarDay> {
    let mut days = desk.calendar(2026).await.days;
    assert!(!days.is_empty(), "the 2026 holidays are seeded");
    days.push(extra);
    days
}

async fn breaches(pool: &PgPool) -> i64 {
    sqlx::query_scalar(
        "SELECT count(*) FROM outbox WHERE subject = 'dispatch.ticket.deadline_breached'",
    )
    .fetch_one(pool)
    .await
    .unwrap()
}

#[sqlx::test(migrations = false)]
async fn an_edit_moves_the_running_deadlines_and_their_timers_and_the_next_deadline_uses_it(
    pool: PgPool,
) {
    let test = TestDispatch::spawn(pool.clone()).await;
    let desk = test.at_desk().await;
    // Monday 2 March 2026, 09:00 in Shanghai: three working days for a
    // sanitation hazard at its micro-grid, due Thursday 09:00.
    let running = desk.create_ticket(patrol("cal-1", 30.02, 121.02)).await;
    assert_eq!(due(&running), at("2026-03-05T09:00:00+08:00"));

    // The town declares Tuesday 3 March a holiday.
    let days = year_2026_with(
        &desk,
        day("2026-03-03", pb::CalendarDayKind::Holiday, "测试假日"),
    )
    .await;
    let listed = days.len();
    let edited = desk.set_calendar(2026, days).await;
    assert_eq!(edited.deadlines_moved, 1, "the one running deadline moved");
    let calendar = edited.calendar.unwrap();
    assert_eq!(calendar.days.len(), listed);
    assert_eq!(calendar.changed_by, "test-town_operator");
    assert!(
        calendar.days.windows(2).all(|w| w[0].date < w[1].date),
        "the days come back by date"
    );

    let moved = desk.ticket(&running.id).await;
    assert_eq!(due(&moved), at("2026-03-06T09:00:00+08:00"));
    let leg = moved.legs.iter().rfind(|l| l.task_id.is_empty()).unwrap();
    assert_eq!(leg.due_at, moved.due_at, "the open leg moved with it");

    // The next ticket is given the new calendar at once.
    let next = desk.create_ticket(patrol("cal-2", 30.03, 121.03)).await;
    assert_eq!(due(&next), at("2026-03-06T09:00:00+08:00"));

    // The breach timer moved too: nothing breaches at the old deadline,
    // both breach at the new one.
    test.advance(TimeDelta::hours(72) + TimeDelta::minutes(1));
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(breaches(&pool).await, 0, "nothing breaches on Thursday");
    test.advance(TimeDelta::hours(24));
    platform::testing::eventually(Duration::from_secs(5), "both breaches", || async {
        (breaches(&pool).await == 2).then_some(())
    })
    .await;

    // Another year, not listed before: no running deadline falls in it.
    assert!(desk.calendar(2027).await.days.is_empty());
    let spring = desk
        .set_calendar(
            2027,
            vec![
                day("2027-02-20", pb::CalendarDayKind::Workday, "春节调休"),
                day("2027-02-08", pb::CalendarDayKind::Holiday, "春节"),
            ],
        )
        .await;
    assert_eq!(spring.deadlines_moved, 0);
    let shown = desk.calendar(2027).await;
    let dates: Vec<&str> = shown.days.iter().map(|d| d.date.as_str()).collect();
    assert_eq!(dates, ["2027-02-08", "2027-02-20"]);
    assert_eq!(desk.calendar(2026).await.days.len(), listed, "2026 kept");
    test.cleanup().await;
}

#[sqlx::test(migrations = false)]
async fn a_bad_edit_is_refused_naming_each_day_and_rule_and_only_the_desk_edits(pool: PgPool) {
    let test = TestDispatch::spawn(pool.clone()).await;
    let desk = test.at_desk().await;
    let request = |days: Vec<pb::CalendarDay>| pb::SetCalendarRequest {
        idempotency_key: "bad-calendar".into(),
        year: 2027,
        days,
    };

    let unreadable = desk
        .try_set_calendar(request(vec![
            day("2027-02-08", pb::CalendarDayKind::Holiday, "春节"),
            day("2027-13-01", pb::CalendarDayKind::Holiday, "春节"),
            day("2027-02-09", pb::CalendarDayKind::Unspecified, " "),
        ]))
        .await
        .unwrap_err();
    assert_eq!(unreadable.code(), Code::InvalidArgument);
    let fields: Vec<String> = field_violations(&unreadable)
        .into_iter()
        .map(|v| v.field)
        .collect();
    assert_eq!(fields, ["days[1].date", "days[2].kind", "days[2].name"]);

    let broken = desk
        .try_set_calendar(request(vec![
            // A Wednesday is no make-up working day.
            day("2027-02-17", pb::CalendarDayKind::Workday, "春节调休"),
            day("2026-12-31", pb::CalendarDayKind::Holiday, "元旦"),
            day("2027-02-10", pb::CalendarDayKind::Holiday, "春节"),
            day("2027-02-10", pb::CalendarDayKind::Holiday, "春节"),
        ]))
        .await
        .unwrap_err();
    assert_eq!(broken.code(), Code::InvalidArgument);
    let violations = field_violations(&broken);
    let named: Vec<(&str, &str)> = violations
        .iter()
        .map(|v| (v.field.as_str(), v.rule.as_str()))
        .collect();
    assert_eq!(named.len(), 3, "{named:?}");
    assert_eq!(named[0].0, "days[0].date");
    assert!(
        named[0]
            .1
            .contains("Saturday or Sunday; 2027-02-17 is a Wed"),
        "{named:?}"
    );
    assert_eq!(named[1], ("days[1].date", "2026-12-31 is not in 2027"));
    assert_eq!(
        named[2],
        ("days[3].date", "2027-02-10 is listed twice (also days[2])")
    );

    let century = desk
        .try_set_calendar(pb::SetCalendarRequest {
            year: 1999,
            ..request(Vec::new())
        })
        .await
        .unwrap_err();
    assert_eq!(field_violations(&century)[0].field, "year");
    assert!(
        desk.calendar(2027).await.days.is_empty(),
        "nothing was stored"
    );

    // A workstation reads the calendar but does not edit it.
    let workstation = test.actor(Role::WorkstationStaff, Some("V1")).await;
    assert!(!workstation.calendar(2026).await.days.is_empty());
    let refused = workstation
        .try_set_calendar(request(vec![day(
            "2027-02-08",
            pb::CalendarDayKind::Holiday,
            "春节",
        )]))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied);
    test.cleanup().await;
}

#[sqlx::test(migrations = false)]
async fn another_replica_picks_an_edit_up_without_a_restart(pool: PgPool) {
    let test = TestDispatch::spawn(pool.clone()).await;
    let mut config = test.config.clone();
    config.workers.calendar_refresh = Duration::from_millis(100);
    let other = TestDispatch::spawn_configured(pool.clone(), config).await;
    let desk = test.at_desk().await;
    let days = year_2026_with(
        &desk,
        day("2026-03-03", pb::CalendarDayKind::Holiday, "测试假日"),
    )
    .await;
    desk.set_calendar(2026, days).await;

    // The other replica looks every 100 ms.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let through_other = other.at_desk().await;
    let ticket = through_other
        .create_ticket(patrol("cal-3", 30.02, 121.02))
        .await;
    assert_eq!(due(&ticket), at("2026-03-06T09:00:00+08:00"));
    let mut other = other;
    other.stop().await;
    test.cleanup().await;
}
