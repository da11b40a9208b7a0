//! RejectTicket: the desk rejects what is not a case to a terminal state,
//! counted apart in the statistics.

use platform::auth::Role;
use platform::error::field_violations;
use proto::dispatch::v1 as pb;
use sqlx::PgPool;
use tonic::Code;

use crate::intake::{hotline, patrol};
use crate::stats::first_days;
use pb::get_statistics_request::GroupBy;
use ticket_dispatch::testing::*;

#[sqlx::test(migrations = false)]
async fn dispatch_the_desk_rejects_a_prank_for_good_and_it_is_counted_apart(pool: PgPool) {
    let test = TestDispatch::spawn(pool.clone()).await;
    let desk = test.at_desk().await;
    let prank = desk.create_ticket(hotline("12345-REJ-1")).await;

    let unexplained = desk
        .try_reject(pb::RejectTicketRequest {
            note: String::new(),
            reason: 0,
            ..reject(&prank, pb::RejectReason::Prank)
        })
        .await
        .unwrap_err();
    assert_eq!(unexplained.code(), Code::InvalidArgument);
    let fields: Vec<_> = field_violations(&unexplained)
        .into_iter()
        .map(|v| v.field)
        .collect();
    assert_eq!(fields, ["reason"], "the reason first");
    let officer = test
        .actor(Role::DepartmentOfficer, Some("URBAN_MANAGEMENT"))
        .await;
    let not_desk = officer
        .try_reject(reject(&prank, pb::RejectReason::Prank))
        .await
        .unwrap_err();
    assert_eq!(not_desk.code(), Code::PermissionDenied);

    let rejected = desk.reject(&prank, pb::RejectReason::Prank).await;
    assert_eq!(rejected.state(), pb::TicketState::Rejected);
    let last = rejected.history.last().unwrap();
    assert_eq!(
        (last.action(), last.reject_reason(), last.reason.as_str()),
        (
            pb::Action::Reject,
            pb::RejectReason::Prank,
            "核实为无效报告"
        )
    );
    let again = desk
        .try_move(on::<pb::DispatchTicketRequest>(&prank))
        .await
        .unwrap_err();
    assert_eq!(again.code(), Code::FailedPrecondition, "terminal");
    let published: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM outbox WHERE subject = 'dispatch.ticket.rejected'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(published, 1);
    let timers: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM ticket_timers WHERE ticket_id = $1::uuid AND fired_at IS NULL",
    )
    .bind(&prank.id)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(timers, 0, "the desk's clock stopped");

    // A ticket a unit holds is not the desk's to reject.
    let handled = desk.create_ticket(patrol("rej-2", 30.03, 121.03)).await;
    let held = desk
        .try_reject(reject(&handled, pb::RejectReason::NotACase))
        .await
        .unwrap_err();
    assert_eq!(held.code(), Code::FailedPrecondition);

    let total = desk
        .statistics(first_days(1, GroupBy::Channel))
        .await
        .total
        .unwrap();
    assert_eq!((total.received, total.rejected), (2, 1));
    assert_eq!(total.dispatched, 1, "the rejected one counts nowhere else");
    test.cleanup().await;
}
