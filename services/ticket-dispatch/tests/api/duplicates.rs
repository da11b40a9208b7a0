//! Duplicates: a report repeating an open ticket is linked, not dispatched
//! again, and closes with it; the desk merges and splits by hand.

use platform::auth::Role;
use proto::dispatch::v1 as pb;
use sqlx::PgPool;
use tonic::Code;

use crate::intake::patrol;
use ticket_dispatch::testing::*;

#[sqlx::test(migrations = false)]
async fn a_report_within_50_m_of_an_open_ticket_is_linked_and_closes_with_it(pool: PgPool) {
    let test = TestDispatch::spawn(pool).await;
    let desk = test.at_desk().await;
    let first = desk.create_ticket(patrol("d-1", 30.0200, 121.0200)).await;
    // About 33 m north: the same heap of rubbish.
    let again = desk.create_ticket(patrol("d-2", 30.0203, 121.0200)).await;
    assert_eq!(again.duplicate_of, first.id);
    assert_eq!(again.state(), pb::TicketState::Received);
    assert!(again.assignee.is_none(), "not dispatched again");
    assert!(again.history[0].reason.contains(&first.number));
    let status = desk
        .try_move(on::<pb::DispatchTicketRequest>(&again))
        .await
        .unwrap_err();
    assert_eq!(
        status.code(),
        Code::FailedPrecondition,
        "a duplicate is split off before it is dispatched"
    );
    // About 220 m away: another problem.
    let elsewhere = desk.create_ticket(patrol("d-3", 30.0220, 121.0200)).await;
    assert_eq!(elsewhere.duplicate_of, "");
    assert_eq!(elsewhere.state(), pb::TicketState::Dispatched);
    let queue = desk.queue(pb::list_tickets_request::Queue::Desk).await;
    assert!(
        queue.is_empty(),
        "a linked duplicate does not wait at the desk"
    );

    let leader = test.actor(Role::MicroGridLeader, Some("V1-A1-M01")).await;
    leader.handle_and_verify(&desk, &first, "已清运").await;
    desk.close_unreachable(&first).await;
    let closed = desk.ticket(&again.id).await;
    assert_eq!(closed.state(), pb::TicketState::Closed);
    assert_eq!(
        closed.history.last().unwrap().reason,
        format!("closed with {}", first.number)
    );
    test.cleanup().await;
}

#[sqlx::test(migrations = false)]
async fn the_desk_merges_and_splits(pool: PgPool) {
    let test = TestDispatch::spawn(pool).await;
    let desk = test.at_desk().await;
    let order = |r: &str| pb::CreateTicketRequest {
        channel: pb::Channel::Hotline12345.into(),
        external_ref: r.into(),
        category_code: "NEIGHBOUR_DISPUTE".into(),
        title: "噪音扰民".into(),
        ..Default::default()
    };
    let a = desk.create_ticket(order("12345-M1")).await;
    let b = desk.create_ticket(order("12345-M2")).await;
    let merge = |reason: &str| pb::MergeTicketsRequest {
        ticket_id: b.id.clone(),
        into_ticket_id: a.id.clone(),
        reason: reason.into(),
        ..Default::default()
    };
    let split = |reason: &str| pb::SplitTicketRequest {
        ticket_id: b.id.clone(),
        reason: reason.into(),
        ..Default::default()
    };
    assert_eq!(
        desk.try_merge(merge("")).await.unwrap_err().code(),
        Code::InvalidArgument
    );
    let merged = desk.merge(merge("同一户投诉")).await;
    assert_eq!(merged.duplicate_of, a.id);
    assert_eq!(
        desk.try_merge(merge("again")).await.unwrap_err().code(),
        Code::FailedPrecondition
    );
    let staff = test.actor(Role::WorkstationStaff, Some("V1")).await;
    let denied = staff.try_split(split("x")).await;
    assert_eq!(denied.unwrap_err().code(), Code::PermissionDenied);
    let split = desk.split(split("不同诉求")).await;
    assert_eq!(split.duplicate_of, "");
    let actions: Vec<_> = split.history.iter().map(|h| h.reason.clone()).collect();
    assert!(
        actions.iter().any(|r| r.contains("同一户投诉")) && actions.iter().any(|r| r == "不同诉求"),
        "{actions:?}"
    );
    test.cleanup().await;
}
