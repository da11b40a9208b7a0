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
        keys: Vec::new(),
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
        (v2.tickets, v2.has_cases, v2.score, v2.weighted),
        (0, false, 0.0, 0.0),
        "no cases, no score: never a full score for nothing done"
    );
    assert!(v1.has_cases);
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
    leader.extended_by(&desk, &ticket, 2, "等待配件").await;
    let received = ticket.received_at.unwrap().seconds;
    test.advance(TimeDelta::seconds(first_due - received + 3600));
    leader.resolve(&ticket, "已清运").await;
    desk.verify(&ticket, true).await;
    desk.follow_up(&ticket, 5).await;

    // Reopened later, and then left to breach and escalate.
    let reopened = desk
        .move_(pb::ReopenTicketRequest {
            reason: "又有垃圾".into(),
            cause: pb::ReopenCause::NotSolved.into(),
            ..on(&ticket)
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

/// Records the reporter's `satisfaction` with `ticket` and whether the
/// problem is `solved`.
fn answered(ticket: &pb::Ticket, satisfaction: u32, solved: bool) -> pb::FollowUpTicketRequest {
    pb::FollowUpTicketRequest {
        satisfaction,
        solved: Some(solved),
        ..on(ticket)
    }
}

fn close_to(actual: f64, expected: f64) -> bool {
    (actual - expected).abs() < 1e-9
}

#[sqlx::test(migrations = false)]
async fn statistics_kpis_of_a_hand_built_set_equal_the_hand_computed_values(pool: PgPool) {
    let test = TestDispatch::spawn(pool).await;
    let desk = test.at_desk().await;
    let officer = test
        .actor(Role::DepartmentOfficer, Some("URBAN_MANAGEMENT"))
        .await;
    let leader = test.actor(Role::MicroGridLeader, Some("V1-A1-M01")).await;
    let hour = TimeDelta::hours(1);
    let half_hour = TimeDelta::minutes(30);

    // 0 h — A, a patrol hazard: straight to micro-grid V1-A1-M01 (leg A1,
    // signing limit 24 h).
    let a = desk.create_ticket(patrol("fig-a", 30.02, 121.02)).await;
    // 0 h 10 — E, the same hazard ~11 m away while A is open: merged into
    // A as its duplicate (no leg; in no figure but received and merged).
    test.advance(TimeDelta::minutes(10));
    let e = desk.create_ticket(patrol("fig-e", 30.0201, 121.02)).await;
    assert_eq!(e.duplicate_of, a.id);
    // 1 h — the micro-grid hands A back unsigned, not its responsibility:
    // the registry names URBAN_MANAGEMENT, which gets leg A2 (a transfer).
    test.advance(TimeDelta::minutes(50));
    leader
        .move_(pb::ReturnTicketRequest {
            note: "属城管执法".into(),
            reason: pb::ReturnReason::NotOurResponsibility.into(),
            ..on(&a)
        })
        .await;
    // 2 h — the officer signs A2 (1 h after it was given) and is granted
    // two more days.
    test.advance(hour);
    officer.accept(&a).await;
    officer.extended_by(&desk, &a, 2, "等待清运车辆").await;
    // 3 h — A2 resolved on time, verified, rated 2: reopened to the same
    // unit on leg A3.
    test.advance(hour);
    officer.resolve(&a, "已清运").await;
    desk.verify(&a, true).await;
    let reopened = desk.follow_up(&a, 2).await;
    assert_eq!(reopened.state(), pb::TicketState::Reopened);
    // 4 h — A3 signed after 1 h; 5 h — resolved, verified, rated 5 and
    // said solved, closed (E closes with it).
    test.advance(hour);
    officer.accept(&a).await;
    test.advance(hour);
    officer.resolve(&a, "再次清运并加装围挡").await;
    desk.verify(&a, true).await;
    desk.move_(answered(&a, 5, true)).await;
    desk.close(&a).await;

    // 5 h — B, a 12345 order: at the desk 30 min, dispatched (leg B1),
    // signed 3 h later (past the 2 h signing limit), resolved 2 h after
    // that, verified, rated 4 but not solved, closed at 10 h 30.
    let b = desk.create_ticket(hotline("12345-FIG-B")).await;
    test.advance(half_hour);
    desk.dispatch(&b).await;
    test.advance(TimeDelta::hours(3));
    officer.accept(&b).await;
    test.advance(TimeDelta::hours(2));
    officer.resolve(&b, "已处理").await;
    desk.verify(&b, true).await;
    desk.move_(answered(&b, 4, false)).await;
    desk.close(&b).await;

    // 10 h 30 — D, a prank, rejected at the desk (no place, so no report
    // there); C, a 12345 order, dispatched after 30 min (leg C1) and never
    // signed.
    let d = desk
        .create_ticket(pb::CreateTicketRequest {
            location: None,
            ..hotline("12345-FIG-D")
        })
        .await;
    desk.reject(&d, pb::RejectReason::Prank).await;
    let c = desk.create_ticket(hotline("12345-FIG-C")).await;
    test.advance(half_hour);
    desk.dispatch(&c).await;
    // 14 h — the figures: C1 held unsigned for 3 h, past its signing
    // limit, and within its deadline (24 h from receipt).
    test.advance(TimeDelta::hours(3));

    let stats = desk
        .statistics(pb::GetStatisticsRequest {
            keys: vec!["MARKET_SUPERVISION".into()],
            ..first_days(1, GroupBy::Unit)
        })
        .await;
    let total = stats.total.clone().unwrap();
    // Received A B C D E; D rejected, E merged: the cases are A, B, C.
    assert_eq!(
        (
            total.received,
            total.rejected,
            total.merged,
            total.has_cases
        ),
        (5, 1, 1, true)
    );
    assert_eq!((total.dispatched, total.resolved, total.closed), (3, 2, 2));
    assert!(close_to(total.closure_rate, 2.0 / 3.0));
    // Unit legs: A1 (V1-A1-M01, returned unsigned after 1 h), A2, A3, B1,
    // C1 (URBAN_MANAGEMENT); the desk's own legs are none of them.
    assert_eq!((total.legs, total.returns), (5, 1));
    assert!(close_to(total.return_rate, 1.0 / 5.0));
    // 按时签收率: A1 is not judged (handed back unsigned well within its
    // 24 h); A2, A3 signed within 1 h; B1 signed after 3 h, C1 unsigned
    // for 3 h, both past 2 h: 2 of 4.
    assert_eq!((total.signed_on_time, total.signing_judged), (2, 4));
    assert_eq!(total.on_time_signing_rate, 0.5);
    // 按时办结率: A1 ended unresolved (returned), A2, A3 and B1 resolved by
    // their deadlines, C1 open within its deadline (not judged): 3 of 4.
    assert_eq!((total.resolved_on_time, total.resolution_judged), (3, 4));
    assert_eq!(total.on_time_resolution_rate, 0.75);
    // The first leg's on-time resolution per ticket (the figure once named
    // 按时响应率): A's first leg was returned, B's on time, C's open: 1 of 3.
    assert!(close_to(total.on_time_rate, 1.0 / 3.0));
    // 实际解决率: of A and B resolved, A's last word is "solved" at its
    // second follow-up; B was verified, then its reporter said "not
    // solved": 1 of 2. (Never reopened — the old figure — says B, not A.)
    assert_eq!(
        (total.actually_solved, total.actually_solved_rate),
        (1, 0.5)
    );
    assert_eq!(total.resolution_rate, 0.5);
    // 满意率 over every rating: A 2 and 5, B 4 — 2 of 3 ratings, on 2
    // tickets.
    assert_eq!((total.ratings, total.rated), (3, 2));
    assert!(close_to(total.satisfaction_rate, 2.0 / 3.0));
    // Receipt → dispatch: A 0, B 30, C 30 min; mean 20, p90 the 3rd of 3.
    assert_eq!(
        (total.avg_minutes_to_dispatch, total.p90_minutes_to_dispatch),
        (20.0, 30.0)
    );
    // Dispatch → signature: A 120 min (0 h → 2 h), B 180; C unsigned.
    assert_eq!(
        (total.avg_minutes_to_sign, total.p90_minutes_to_sign),
        (150.0, 180.0)
    );
    // Signature → resolution: A 1 h, B 2 h.
    assert_eq!(
        (
            total.avg_hours_sign_to_resolve,
            total.p90_hours_sign_to_resolve
        ),
        (1.5, 2.0)
    );
    // Receipt → close: A 5 h, B 5.5 h.
    assert_eq!(
        (total.avg_hours_to_close, total.p90_hours_to_close),
        (5.25, 5.5)
    );
    // One transfer (A2) over 3 dispatched; one extension; no breach.
    assert_eq!(
        (total.transfers, total.extensions, total.escalations),
        (1, 1, 0)
    );
    assert!(close_to(total.transfers_per_ticket, 1.0 / 3.0));
    assert_eq!((total.hazards, total.hazard_rectification_rate), (1, 1.0));

    let groups: Vec<_> = stats
        .groups
        .iter()
        .map(|g| (g.key.as_str(), g.has_cases, g.received, g.legs, g.returns))
        .collect();
    assert_eq!(
        groups,
        [
            ("(not dispatched)", false, 2, 0, 0),
            ("MARKET_SUPERVISION", false, 0, 0, 0),
            ("URBAN_MANAGEMENT", true, 3, 4, 0),
            ("V1-A1-M01", true, 1, 1, 1),
        ],
        "D and E held no leg; MARKET_SUPERVISION was asked for and had no case"
    );
    let unit = |key: &str| stats.groups.iter().find(|g| g.key == key).unwrap();
    let none = unit("MARKET_SUPERVISION");
    assert_eq!(
        (
            none.on_time_signing_rate,
            none.on_time_resolution_rate,
            none.closure_rate,
            none.on_time_rate
        ),
        (0.0, 0.0, 0.0, 0.0),
        "no cases: no rate, never 100%"
    );
    // URBAN_MANAGEMENT: A2, A3, B1, C1 — signed on time 2 of 4, resolved
    // on time 3 of 3 judged, no return of its own.
    let um = unit("URBAN_MANAGEMENT");
    assert_eq!(
        (
            um.signed_on_time,
            um.signing_judged,
            um.resolved_on_time,
            um.resolution_judged
        ),
        (2, 4, 3, 3)
    );
    assert_eq!((um.on_time_resolution_rate, um.return_rate), (1.0, 0.0));
    // V1-A1-M01: A1 only, handed back: 退单率 1 of 1, not signed to judge,
    // not resolved in time.
    let m01 = unit("V1-A1-M01");
    assert_eq!(
        (
            m01.return_rate,
            m01.signing_judged,
            m01.on_time_resolution_rate
        ),
        (1.0, 0, 0.0)
    );

    // The 12345 board: A, E, B and C were reported at one place (E merged);
    // D had no place, and was rejected.
    assert_eq!(stats.repeat_places.len(), 1);
    let place = &stats.repeat_places[0];
    assert_eq!(
        (place.reports, place.merged, place.micro_grid_code.as_str()),
        (4, 1, "V1-A1-M01")
    );
    assert_eq!(
        place.ticket_numbers,
        [a.number.as_str(), &e.number, &b.number, &c.number]
    );
    assert_eq!(place.category_codes, ["SANITATION"]);
    // Nothing was received the day before: SANITATION rises from 0 to 4
    // (A, B, C and E; not the rejected D).
    let rising: Vec<_> = stats
        .rising_categories
        .iter()
        .map(|t| (t.category_code.as_str(), t.this_period, t.previous_period))
        .collect();
    assert_eq!(rising, [("SANITATION", 4, 0)]);

    // The village assessment: V1 had cases; V2 none, and says so.
    let assessment = desk
        .assessment(pb::GetAssessmentRequest {
            from: first_days(1, GroupBy::Unit).from,
            to: first_days(1, GroupBy::Unit).to,
        })
        .await;
    let village = |code: &str| {
        assessment
            .villages
            .iter()
            .find(|v| v.village_code == code)
            .unwrap()
    };
    assert_eq!((village("V1").has_cases, village("V1").tickets), (true, 4));
    let v2 = village("V2");
    assert_eq!(
        (v2.has_cases, v2.score, v2.five_chief_score),
        (false, 0.0, 0.0)
    );

    // Every follow-up's answer is in the history.
    let answers: Vec<_> = desk
        .ticket(&a.id)
        .await
        .history
        .iter()
        .filter(|t| t.action() == pb::Action::FollowUp)
        .map(|t| (t.satisfaction, t.solved))
        .collect();
    assert_eq!(answers, [(2, None), (5, Some(true))]);
    test.cleanup().await;
}

#[sqlx::test(migrations = false)]
async fn statistics_refuse_a_blank_group_key_naming_the_field(pool: PgPool) {
    let test = TestDispatch::spawn(pool).await;
    let refused = test
        .desk()
        .await
        .get_statistics(pb::GetStatisticsRequest {
            keys: vec![" ".into()],
            ..first_days(1, GroupBy::Unit)
        })
        .await
        .unwrap_err();
    assert_eq!(refused.code(), tonic::Code::InvalidArgument);
    assert!(refused.message().contains("keys"), "{refused:?}");
    test.cleanup().await;
}
