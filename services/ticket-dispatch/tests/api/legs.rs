//! Legs: every hand a ticket passes through is recorded with its own
//! deadline, and GetTicket returns them.

use chrono::TimeDelta;
use platform::auth::Role;
use platform::error::field_violations;
use proto::dispatch::v1 as pb;
use sqlx::PgPool;

use crate::intake::patrol;
use ticket_dispatch::testing::*;

/// Returns each leg's unit, start and outcome (empty while held), as
/// named without their enums' prefixes.
pub fn legs(ticket: &pb::Ticket) -> Vec<(String, String, String)> {
    ticket
        .legs
        .iter()
        .map(|l| {
            let unit = l.unit.as_ref().map(|u| u.code.clone()).unwrap_or_default();
            let start = l.start().as_str_name().trim_start_matches("LEG_START_");
            let outcome = match l.outcome() {
                pb::LegOutcome::Unspecified => "",
                outcome => outcome.as_str_name().trim_start_matches("LEG_OUTCOME_"),
            };
            (unit, start.to_owned(), outcome.to_owned())
        })
        .collect()
}

fn leg(unit: &str, start: &str, outcome: &str) -> (String, String, String) {
    (unit.into(), start.into(), outcome.into())
}

#[sqlx::test(migrations = false)]
async fn dispatch_legs_record_every_hand_with_its_own_deadline(pool: PgPool) {
    let test = TestDispatch::spawn(pool).await;
    let desk = test.at_desk().await;
    let ticket = desk.create_ticket(patrol("legs-1", 30.02, 121.02)).await;
    let leader = test.actor(Role::MicroGridLeader, Some("V1-A1-M01")).await;
    test.advance(TimeDelta::hours(1));
    leader.accept(&ticket).await;
    test.advance(TimeDelta::hours(1));
    leader
        .move_(pb::ReturnTicketRequest {
            note: "需城管执法".into(),
            reason: pb::ReturnReason::BeyondOurMeans.into(),
            ..on(&ticket)
        })
        .await;
    test.advance(TimeDelta::hours(1));
    desk.move_(pb::DispatchTicketRequest {
        unit: Some(pb::Unit {
            kind: "DEPARTMENT".into(),
            code: "URBAN_MANAGEMENT".into(),
            name: "城管中队".into(),
        }),
        reason: "违建归城管".into(),
        ..on(&ticket)
    })
    .await;
    let officer = test
        .actor(Role::DepartmentOfficer, Some("URBAN_MANAGEMENT"))
        .await;
    officer.handle_and_verify(&desk, &ticket, "已拆除").await;
    desk.move_(pb::ReopenTicketRequest {
        reason: "又搭起来了".into(),
        cause: pb::ReopenCause::NotSolved.into(),
        ..on(&ticket)
    })
    .await;

    let shown = desk.ticket(&ticket.id).await;
    assert_eq!(
        legs(&shown),
        [
            leg("V1-A1-M01", "DISPATCH", "RETURNED"),
            leg("TOWN_CENTRE", "DESK", "DISPATCHED"),
            leg("URBAN_MANAGEMENT", "REDISPATCH", "RESOLVED"),
            leg("URBAN_MANAGEMENT", "REOPEN", ""),
        ]
    );
    let [first, desk_leg, second, third] = &shown.legs[..] else {
        panic!("four legs");
    };
    assert_eq!(first.return_reason(), pb::ReturnReason::BeyondOurMeans);
    assert_eq!(
        desk_leg.given_at, first.ended_at,
        "the desk is on the clock from the return"
    );
    let hour = 3600;
    let given = first.given_at.unwrap().seconds;
    assert_eq!(first.seq, 1);
    assert_eq!(first.signed_at.unwrap().seconds - given, hour);
    assert_eq!(first.ended_at.unwrap().seconds - given, 2 * hour);
    assert_eq!(second.given_at.unwrap().seconds - given, 3 * hour);
    assert!(
        second.due_at.unwrap().seconds > first.due_at.unwrap().seconds,
        "the redispatch has a deadline of its own"
    );
    assert!(second.signed_at.is_some() && second.ended_at.is_some());
    assert_eq!(
        third.due_at, shown.due_at,
        "the open leg is the ticket's clock"
    );
    assert!(
        desk.list(Default::default()).await[0].legs.is_empty(),
        "lists leave the legs out"
    );
    test.cleanup().await;
}

#[sqlx::test(migrations = false)]
async fn the_desk_pausing_and_resuming_a_tickets_clock_is_in_its_history(pool: PgPool) {
    let test = TestDispatch::spawn(pool).await;
    let desk = test.at_desk().await;
    let ticket = desk.create_ticket(patrol("pause-1", 30.02, 121.02)).await;
    let set = |key: &str, paused: bool, reason: &str| {
        let (client, request) = (
            desk.client(),
            pb::SetClockPausedRequest {
                idempotency_key: key.into(),
                ticket_id: ticket.id.clone(),
                paused,
                reason: reason.into(),
            },
        );
        async move { client.clone().set_clock_paused(request).await }
    };
    let moved = |answer: Result<tonic::Response<pb::SetClockPausedResponse>, tonic::Status>| {
        answer
            .expect("the desk sets the clock")
            .into_inner()
            .ticket
            .expect("the ticket")
    };
    let unexplained = set("p0", true, "").await.unwrap_err();
    assert_eq!(field_violations(&unexplained)[0].field, "reason");

    let paused = moved(set("p1", true, "等待当事人补充材料").await);
    assert!(paused.clock_paused);
    let entry = paused.history.last().expect("the pause in the history");
    assert_eq!(entry.change(), pb::Change::ClockPaused);
    assert_eq!(entry.action(), pb::Action::Unspecified, "no move");
    assert_eq!(entry.actor, "test-town_operator");
    assert_eq!(entry.reason, "等待当事人补充材料");
    assert_eq!(entry.from_state, entry.to_state, "the state stays");
    assert!(entry.unit.is_none(), "the ticket's own clock, no task's");
    let again = moved(set("p2", true, "再次暂停").await);
    assert_eq!(
        again.history.len(),
        paused.history.len(),
        "pausing a paused clock changes and records nothing"
    );

    test.advance(TimeDelta::hours(2));
    let resumed = moved(set("p3", false, "材料已补齐").await);
    assert!(!resumed.clock_paused);
    let entry = resumed
        .history
        .last()
        .expect("the resumption in the history");
    assert_eq!(entry.change(), pb::Change::ClockResumed);
    assert_eq!(entry.reason, "材料已补齐");
    assert!(
        resumed.due_at.unwrap().seconds > ticket.due_at.unwrap().seconds,
        "the deadline moved on by the pause"
    );
    let changes: Vec<pb::Change> = resumed.history.iter().map(|h| h.change()).collect();
    assert_eq!(changes[0], pb::Change::Receive, "{changes:?}");
    test.cleanup().await;
}
