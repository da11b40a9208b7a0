//! Statistics on a known set of tickets equal the numbers worked out by hand.

use std::time::Duration;

use chrono::TimeDelta;
use platform::auth::Role;
use platform::testing::eventually;
use proto::dispatch::v1 as pb;
use sqlx::PgPool;

use crate::intake::{hotline, patrol};
use crate::legs::legs;
use pb::get_statistics_request::GroupBy;
use ticket_dispatch::testing::*;

/// Returns the request for the statistics of the tickets received in the
/// first `days` days of the tests' clock, grouped by `group_by`.
pub fn first_days(days: i64, group_by: GroupBy) -> pb::GetStatisticsRequest {
    let start = ticket_dispatch::testing::start_time();
    pb::GetStatisticsRequest {
        from: Some(prost_types::Timestamp {
            seconds: start.timestamp(),
            nanos: 0,
        }),
        to: Some(prost_types::Timestamp {
            seconds: (start + TimeDelta::days(days)).timestamp(),
            nanos: 0,
        }),
        group_by: group_by.into(),
    }
}

#[sqlx::test(migrations = false)]
async fn statistics_of_a_known_day_equal_the_hand_computed_figures(pool: PgPool) {
    let test = TestDispatch::spawn(pool).await;
    let desk = test.at_desk().await;
    let officer = test
        .actor(Role::DepartmentOfficer, Some("URBAN_MANAGEMENT"))
        .await;
    let leader = test.actor(Role::MicroGridLeader, Some("V1-A1-M01")).await;

    // T1, a 12345 order: dispatched after 30 min, signed 30 min later,
    // resolved, verified, rated 5 and closed 6 h after it came in.
    let t1 = desk.create_ticket(hotline("12345-A")).await;
    test.advance(TimeDelta::minutes(30));
    desk.dispatch(&t1).await;
    test.advance(TimeDelta::minutes(30));
    officer.accept(&t1).await;
    test.advance(TimeDelta::hours(4));
    officer.resolve(&t1, "done").await;
    desk.verify(&t1, true).await;
    desk.follow_up(&t1, 5).await;
    test.advance(TimeDelta::hours(1));
    desk.close(&t1).await;

    // T2, a patrol hazard at 6 h: to its micro-grid at once, signed after
    // 1 h, resolved, verified, rated 2 and so reopened.
    let t2 = desk.create_ticket(patrol("hazard-1", 30.04, 121.02)).await;
    test.advance(TimeDelta::hours(1));
    leader.accept(&t2).await;
    test.advance(TimeDelta::hours(1));
    leader.resolve(&t2, "cleared").await;
    desk.verify(&t2, true).await;
    desk.follow_up(&t2, 2).await;

    // T3, a 12345 order left waiting at the desk.
    desk.create_ticket(hotline("12345-B")).await;

    let period = |days: i64| first_days(days, GroupBy::Channel);
    let stats = desk.statistics(period(1)).await;
    let total = stats.total.unwrap();
    assert_eq!(
        (
            total.received,
            total.dispatched,
            total.resolved,
            total.closed
        ),
        (3, 2, 2, 1)
    );
    assert!((total.closure_rate - 1.0 / 3.0).abs() < 1e-9);
    assert_eq!(total.on_time_rate, 1.0);
    assert_eq!(total.resolution_rate, 1.0);
    assert_eq!((total.satisfaction_rate, total.rated), (0.5, 2));
    assert_eq!(
        (total.avg_minutes_to_dispatch, total.p90_minutes_to_dispatch),
        (15.0, 30.0)
    );
    assert_eq!(
        (total.avg_minutes_to_sign, total.p90_minutes_to_sign),
        (45.0, 60.0)
    );
    assert_eq!(
        (total.avg_hours_to_close, total.p90_hours_to_close),
        (6.0, 6.0)
    );
    assert_eq!((total.hazards, total.hazard_rectification_rate), (1, 0.0));
    let channels: Vec<_> = stats
        .groups
        .iter()
        .map(|g| (g.key.as_str(), g.received, g.closed))
        .collect();
    assert_eq!(channels, [("GRID_PATROL", 1, 0), ("HOTLINE_12345", 2, 1)]);

    // Outside the period there is nothing.
    let mut later = period(2);
    later.from = later.to.map(|mut t| {
        t.seconds -= 86_400;
        t
    });
    assert_eq!(desk.statistics(later).await.total.unwrap().received, 0);

    let assessment = desk
        .assessment(pb::GetAssessmentRequest {
            from: period(1).from,
            to: period(1).to,
        })
        .await;
    let v1 = assessment
        .villages
        .iter()
        .find(|v| v.village_code == "V1")
        .unwrap();
    assert_eq!(
        (v1.kind.as_str(), v1.weight, v1.tickets),
        ("VILLAGE", 0.21, 3)
    );
    assert_eq!(v1.five_chief_score, 100.0);
    assert!((v1.weighted - v1.score * 0.21).abs() < 1e-9);
    let v2 = assessment
        .villages
        .iter()
        .find(|v| v.village_code == "V2")
        .unwrap();
    assert_eq!(
        (v2.tickets, v2.score),
        (0, 100.0),
        "nothing to fault where nothing happened"
    );
    test.cleanup().await;
}

#[sqlx::test(migrations = false)]
async fn a_reopened_ticket_keeps_its_first_legs_outcome(pool: PgPool) {
    let test = TestDispatch::spawn(pool).await;
    let desk = test.at_desk().await;
    let leader = test.actor(Role::MicroGridLeader, Some("V1-A1-M01")).await;

    // On time on its first leg only thanks to an extension: resolved an
    // hour after the first deadline, well before the extended one.
    let ticket = desk
        .create_ticket(patrol("reopened-1", 30.02, 121.02))
        .await;
    let first_due = ticket.due_at.unwrap().seconds;
    leader.accept(&ticket).await;
    let extension = leader
        .request_extension(pb::RequestExtensionRequest {
            ticket_id: ticket.id.clone(),
            days: 2,
            reason: "等待配件".into(),
            ..Default::default()
        })
        .await;
    desk.decide_extension(pb::DecideExtensionRequest {
        extension_id: extension,
        grant: true,
        ..Default::default()
    })
    .await;
    let received = ticket.received_at.unwrap().seconds;
    test.advance(TimeDelta::seconds(first_due - received + 3600));
    leader.resolve(&ticket, "已清运").await;
    desk.verify(&ticket, true).await;
    desk.follow_up(&ticket, 5).await;

    // Reopened later, and then left to breach and escalate.
    let reopened = desk
        .move_(pb::TransitionRequest {
            reason: "又有垃圾".into(),
            reopen_cause: pb::ReopenCause::NotSolved.into(),
            ..act(&ticket, pb::Action::Reopen)
        })
        .await;
    let reopened_at = reopened.dispatched_at.unwrap().seconds;
    test.advance(TimeDelta::seconds(
        reopened.due_at.unwrap().seconds - reopened_at + 60,
    ));
    eventually(
        Duration::from_secs(5),
        "the reopened leg escalates",
        || async { (desk.ticket(&ticket.id).await.escalation_level == 1).then_some(()) },
    )
    .await;

    let shown = desk.ticket(&ticket.id).await;
    let outcomes: Vec<_> = legs(&shown).into_iter().map(|(_, _, o)| o).collect();
    assert_eq!(outcomes, ["RESOLVED", "ESCALATED", ""]);
    let stats = desk.statistics(first_days(1, GroupBy::Channel)).await;
    let total = stats.total.unwrap();
    assert_eq!((total.dispatched, total.escalations), (1, 1));
    assert_eq!(
        total.on_time_rate, 1.0,
        "on time on its first leg, whatever came after"
    );
    test.cleanup().await;
}
