//! A villager's report through dispatch and back: the ticket, the award
//! once, the reversal, and dispatch being away.

use std::time::Duration;

use platform::auth::Role;
use platform::testing::eventually;
use points::testing::*;
use proto::dispatch::v1 as dispatch;
use proto::points::v1 as pb;
use sqlx::PgPool;
use ticket_dispatch::testing::{act, handle_and_verify};

use crate::support::*;

/// The ticket of `report`, once dispatch has it.
async fn ticket_of(
    test: &TestPoints,
    client: &mut Client,
    report: &pb::Report,
) -> dispatch::Ticket {
    let forwarded = wait_report(client, report, "the report's ticket", |r| {
        !r.ticket_id.is_empty()
    })
    .await;
    let dispatch = test.dispatch.as_ref().expect("dispatch runs");
    dispatch
        .client_as(Role::TownOperator, None)
        .await
        .get_ticket(dispatch::GetTicketRequest {
            id: forwarded.ticket_id,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .ticket
        .unwrap()
}

#[sqlx::test(migrations = false)]
async fn a_verified_report_earns_its_points_once_however_often_verification_arrives(pool: PgPool) {
    let test = TestPoints::with_dispatch(pool.clone()).await;
    let mut ws = test.workstation().await;
    let villager = register(&mut ws, "张三", "13812345678").await;
    let mut report = report(&villager, "ILLEGAL_DUMPING", 30.02, 121.02);
    report.severity = 2;
    let submitted = submit(&mut ws, report).await;
    assert_eq!(submitted.status(), pb::ReportStatus::Submitted);
    assert_eq!(submitted.pending_points, 20, "10 points times severity 2");
    let pending = ws
        .get_balance(pb::GetBalanceRequest {
            resident_id: villager.id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!((pending.balance, pending.pending), (0, 20));

    let ticket = ticket_of(&test, &mut ws, &submitted).await;
    assert_eq!(ticket.channel(), dispatch::Channel::VillagerApp);
    assert_eq!(ticket.external_ref, submitted.id);
    assert_eq!(ticket.reporter_phone_masked, "138****5678");
    let dispatch = test.dispatch.as_ref().unwrap();
    let mut desk = dispatch.client_as(Role::TownOperator, None).await;
    let mut leader = dispatch
        .client_as(Role::MicroGridLeader, Some("V1-A1-M01"))
        .await;
    handle_and_verify(&mut leader, &mut desk, &ticket, "垃圾已清运").await;
    let verified = wait_status(&mut ws, &submitted, pb::ReportStatus::Verified).await;
    assert_eq!((verified.awarded_points, verified.pending_points), (20, 0));
    assert_eq!(balance(&mut ws, &villager).await, 20);

    // The verification delivered three more times, under new event ids.
    for _ in 0..3 {
        ticket_event(
            &test,
            &verified,
            "verified",
            dispatch::ReopenCause::Unspecified,
        )
        .await;
    }
    eventually(Duration::from_secs(20), "the redeliveries applied", || {
        let pool = pool.clone();
        async move {
            (count(
                &pool,
                "SELECT count(*) FROM inbox WHERE subject = 'dispatch.ticket.verified'",
            )
            .await
                == 4)
                .then_some(())
        }
    })
    .await;
    assert_eq!(balance(&mut ws, &villager).await, 20, "paid once");
    assert_eq!(
        count(
            &pool,
            "SELECT count(*) FROM ledger_entries WHERE kind = 'AWARD'"
        )
        .await,
        1
    );
    assert_eq!(
        count(
            &pool,
            "SELECT count(*) FROM outbox WHERE subject = 'points.awarded'"
        )
        .await,
        1,
        "one awarded event"
    );
    test.cleanup().await;
}

#[sqlx::test(migrations = false)]
async fn a_report_reopened_as_untrue_is_reversed_by_a_compensating_entry(pool: PgPool) {
    let test = TestPoints::with_dispatch(pool.clone()).await;
    let mut ws = test.workstation().await;
    let villager = register(&mut ws, "李四", "13900001111").await;
    let submitted = submit(&mut ws, report(&villager, "SANITATION", 30.03, 121.01)).await;
    let ticket = ticket_of(&test, &mut ws, &submitted).await;
    let dispatch = test.dispatch.as_ref().unwrap();
    let mut desk = dispatch.client_as(Role::TownOperator, None).await;
    let mut leader = dispatch
        .client_as(Role::MicroGridLeader, Some("V1-A1-M01"))
        .await;
    handle_and_verify(&mut leader, &mut desk, &ticket, "已清扫").await;
    wait_status(&mut ws, &submitted, pb::ReportStatus::Verified).await;
    assert_eq!(balance(&mut ws, &villager).await, 5);

    let mut untrue = act(&ticket, dispatch::Action::Reopen);
    untrue.reason = "现场核实无此情况，系重复摆拍".into();
    untrue.reopen_cause = dispatch::ReopenCause::ReportUntrue.into();
    desk.transition(untrue).await.unwrap();
    let rejected = wait_status(&mut ws, &submitted, pb::ReportStatus::Rejected).await;
    assert_eq!((rejected.awarded_points, rejected.reversed_points), (5, 5));
    assert_eq!(balance(&mut ws, &villager).await, 0);
    let statement = ws
        .get_statement(pb::GetStatementRequest {
            resident_id: villager.id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    let kinds: Vec<_> = statement
        .entries
        .iter()
        .map(|e| (e.kind(), e.amount))
        .collect();
    assert_eq!(
        kinds,
        [(pb::EntryKind::Award, 5), (pb::EntryKind::Reversal, -5)],
        "the award stays, compensated"
    );
    let edit = sqlx::query("UPDATE ledger_entries SET amount = 1")
        .execute(&pool)
        .await
        .unwrap_err();
    assert!(edit.to_string().contains("append-only"), "{edit}");
    test.cleanup().await;
}

#[sqlx::test(migrations = false)]
async fn a_report_made_while_dispatch_is_down_is_kept_and_forwarded_when_it_returns(pool: PgPool) {
    let mut test = TestPoints::spawn(pool.clone()).await;
    let mut ws = test.workstation().await;
    let villager = register(&mut ws, "王五", "13700002222").await;
    let submitted = submit(&mut ws, report(&villager, "ROAD_DAMAGE", 30.06, 121.02)).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let waiting = ws
        .get_report(pb::GetReportRequest {
            id: submitted.id.clone(),
        })
        .await
        .unwrap()
        .into_inner()
        .report
        .unwrap();
    assert_eq!(waiting.status(), pb::ReportStatus::Submitted, "kept");
    assert!(waiting.ticket_id.is_empty());

    test.start_dispatch().await;
    let forwarded = wait_status(&mut ws, &submitted, pb::ReportStatus::InHandling).await;
    let ticket = ticket_of(&test, &mut ws, &forwarded).await;
    assert_eq!(ticket.number, forwarded.ticket_number);
    assert_eq!(ticket.external_ref, submitted.id);
    test.cleanup().await;
}
