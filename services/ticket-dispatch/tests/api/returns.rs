//! Returns (退单) settled by the registry: refused when the registry names
//! the returning unit, else on to the party it names and never back to a
//! unit that returned the ticket; a second return goes to the desk with a
//! supervision warning; returns count against the unit that made them.

use platform::auth::Role;
use proto::dispatch::v1 as pb;
use sqlx::PgPool;
use tonic::Code;

use crate::intake::{hotline, patrol};
use crate::legs::legs;
use crate::stats::first_days;
use pb::get_statistics_request::GroupBy;
use ticket_dispatch::testing::*;

fn leg(unit: &str, start: &str, outcome: &str) -> (String, String, String) {
    (unit.into(), start.into(), outcome.into())
}

/// Returns the request handing `ticket` back for `why`.
fn give_back(ticket: &pb::Ticket, why: pb::ReturnReason, reason: &str) -> pb::ReturnTicketRequest {
    pb::ReturnTicketRequest {
        note: reason.into(),
        reason: why.into(),
        ..on(ticket)
    }
}

async fn subjects(pool: &PgPool, subject: &str) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM outbox WHERE subject = $1")
        .bind(subject)
        .fetch_one(pool)
        .await
        .unwrap()
}

#[sqlx::test(migrations = false)]
async fn dispatch_a_return_by_the_unit_the_registry_names_is_refused_quoting_the_duty(
    pool: PgPool,
) {
    let test = TestDispatch::spawn(pool.clone()).await;
    let desk = test.at_desk().await;
    let officer = test
        .actor(Role::DepartmentOfficer, Some("URBAN_MANAGEMENT"))
        .await;
    let ticket = desk.create_ticket(hotline("12345-RET-1")).await;
    desk.dispatch(&ticket).await;

    let refused = officer
        .try_move(give_back(
            &ticket,
            pb::ReturnReason::NotOurResponsibility,
            "不属本单位",
        ))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::FailedPrecondition);
    assert!(
        refused.message().contains("URBAN_MANAGEMENT")
            && refused.message().contains("regulator (监管责任)"),
        "{}",
        refused.message()
    );
    let shown = desk.ticket(&ticket.id).await;
    assert_eq!(
        (shown.state(), shown.returns, shown.assignee.unwrap().code),
        (pb::TicketState::Dispatched, 0, "URBAN_MANAGEMENT".into())
    );
    assert_eq!(subjects(&pool, "dispatch.ticket.returned").await, 0);

    // Another reason is the unit's to give: the return stands.
    let returned = officer
        .move_(give_back(
            &ticket,
            pb::ReturnReason::NotEnoughInformation,
            "地址不详",
        ))
        .await;
    assert_eq!(returned.state(), pb::TicketState::Returned);
    test.cleanup().await;
}

#[sqlx::test(migrations = false)]
async fn dispatch_a_return_by_another_unit_goes_to_the_named_party_never_to_one_that_returned_it(
    pool: PgPool,
) {
    let test = TestDispatch::spawn(pool).await;
    let desk = test.at_desk().await;
    let leader = test.actor(Role::MicroGridLeader, Some("V1-A1-M01")).await;
    let officer = test
        .actor(Role::DepartmentOfficer, Some("URBAN_MANAGEMENT"))
        .await;

    // The micro-grid says it is not theirs; the registry names the
    // regulator, and the ticket goes straight on to it.
    let ticket = desk.create_ticket(patrol("ret-2", 30.02, 121.02)).await;
    let moved = leader
        .move_(give_back(
            &ticket,
            pb::ReturnReason::NotOurResponsibility,
            "属城管执法",
        ))
        .await;
    assert_eq!(
        (moved.state(), moved.returns, moved.assignee.unwrap().code),
        (pb::TicketState::Dispatched, 1, "URBAN_MANAGEMENT".into())
    );
    let shown = desk.ticket(&ticket.id).await;
    assert_eq!(
        legs(&shown),
        [
            leg("V1-A1-M01", "DISPATCH", "RETURNED"),
            leg("TOWN_CENTRE", "DESK", "DISPATCHED"),
            leg("URBAN_MANAGEMENT", "REDISPATCH", ""),
        ]
    );
    assert_eq!(
        shown.legs[0].return_reason(),
        pb::ReturnReason::NotOurResponsibility
    );
    assert!(
        shown.history.last().unwrap().reason.contains("regulator"),
        "the redispatch says who the registry named"
    );

    // The regulator hands another ticket back; the desk's dispatch along
    // the chain passes over it.
    let elsewhere = pb::CreateTicketRequest {
        location: Some(pb::LatLng {
            lat: 30.03,
            lng: 121.03,
        }),
        ..hotline("12345-RET-2")
    };
    let other = desk.create_ticket(elsewhere).await;
    desk.dispatch(&other).await;
    officer
        .move_(give_back(
            &other,
            pb::ReturnReason::BeyondOurMeans,
            "需村里协调",
        ))
        .await;
    let again = desk.dispatch(&other).await;
    assert_eq!(
        again.assignee.unwrap().code,
        "V1",
        "the workstation, next in the chain, not the regulator that returned it"
    );
    test.cleanup().await;
}

/// A patrol ticket the micro-grid returns as not theirs (on to the
/// regulator) and the regulator returns as beyond its means: ping-pong.
async fn returned_twice(test: &TestDispatch) -> pb::Ticket {
    let desk = test.at_desk().await;
    let leader = test.actor(Role::MicroGridLeader, Some("V1-A1-M01")).await;
    let officer = test
        .actor(Role::DepartmentOfficer, Some("URBAN_MANAGEMENT"))
        .await;
    let ticket = desk.create_ticket(patrol("ret-3", 30.02, 121.02)).await;
    leader
        .move_(give_back(
            &ticket,
            pb::ReturnReason::NotOurResponsibility,
            "属城管执法",
        ))
        .await;
    officer
        .move_(give_back(
            &ticket,
            pb::ReturnReason::BeyondOurMeans,
            "需村里协调",
        ))
        .await
}

#[sqlx::test(migrations = false)]
async fn dispatch_a_second_return_goes_to_the_desk_with_a_supervision_warning(pool: PgPool) {
    let test = TestDispatch::spawn(pool.clone()).await;
    let back = returned_twice(&test).await;
    assert_eq!(
        (back.state(), back.returns, back.assignee.unwrap().code),
        (pb::TicketState::Returned, 2, "TOWN_CENTRE".into())
    );
    assert!(
        back.supervision_warning
            .contains("V1-A1-M01, URBAN_MANAGEMENT"),
        "{}",
        back.supervision_warning
    );
    assert_eq!(
        subjects(&pool, "dispatch.ticket.supervision_warning").await,
        1
    );
    // Waiting at the desk, it is on the desk's clock.
    let shown = test.at_desk().await.ticket(&back.id).await;
    let waiting = shown.legs.last().unwrap();
    assert_eq!(
        legs(&shown).last().unwrap(),
        &leg("TOWN_CENTRE", "DESK", "")
    );
    assert_eq!(waiting.due_at, shown.due_at);
    let timers: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM ticket_timers WHERE ticket_id = $1::uuid AND fired_at IS NULL",
    )
    .bind(&back.id)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(timers > 0, "the desk's warnings and breach are planned");
    test.cleanup().await;
}

#[sqlx::test(migrations = false)]
async fn dispatch_returns_are_counted_against_the_returning_unit(pool: PgPool) {
    let test = TestDispatch::spawn(pool).await;
    returned_twice(&test).await;
    let stats = test
        .at_desk()
        .await
        .statistics(first_days(1, GroupBy::Unit))
        .await;
    let units: Vec<_> = stats
        .groups
        .iter()
        .map(|g| (g.key.as_str(), g.legs, g.returns, g.return_rate))
        .collect();
    assert_eq!(
        units,
        [("URBAN_MANAGEMENT", 1, 1, 1.0), ("V1-A1-M01", 1, 1, 1.0)],
        "each return against the unit that made it, not the first one"
    );
    assert_eq!(stats.total.unwrap().returns, 2);
    test.cleanup().await;
}
