//! A villager's report through points and dispatch and back: the report
//! becomes a VILLAGER_APP ticket, the ticket's verification earns the
//! report's points once, a reopening as untrue reverses them, and a report
//! made while dispatch is away is forwarded when it returns.

use std::time::Duration;

use platform::auth::Role;
use points::testing::{TestPoints, report};
use proto::dispatch::v1 as dispatch;
use proto::points::v1 as pb;
use sqlx::PgPool;
use ticket_dispatch::testing::{TestDispatch, handle_and_verify, on};

/// Points, and dispatch (with a registry) beside it on its NATS prefix.
async fn points_and_dispatch(pool: PgPool) -> (TestPoints, TestDispatch) {
    let points = TestPoints::spawn(pool).await;
    let dispatch = TestDispatch::spawn_beside(&points.config.service.nats.prefix).await;
    (points, dispatch)
}

/// The ticket of `report`, once dispatch has it.
async fn ticket_of(
    points: &TestPoints,
    dispatch: &TestDispatch,
    report: &pb::Report,
) -> dispatch::Ticket {
    let forwarded = points
        .wait_report(report, "the report's ticket", |r| !r.ticket_id.is_empty())
        .await;
    dispatch
        .desk()
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

/// The leader of the micro-grid the reports of these tests fall in.
async fn leader(dispatch: &TestDispatch) -> ticket_dispatch::testing::Client {
    dispatch
        .client_as(Role::MicroGridLeader, Some("V1-A1-M01"))
        .await
}

#[sqlx::test(migrations = false)]
async fn a_verified_report_earns_its_points_once_however_often_verification_arrives(pool: PgPool) {
    let (test, dispatch) = points_and_dispatch(pool).await;
    let villager = test.register("张三", "13812345678").await;
    let mut request = report(&villager, "ILLEGAL_DUMPING", 30.02, 121.02);
    request.severity = 2;
    let submitted = test.submit(request).await;
    assert_eq!(submitted.status(), pb::ReportStatus::Submitted);
    assert_eq!(submitted.pending_points, 20, "10 points times severity 2");
    let pending = test.get_balance(&villager).await;
    assert_eq!((pending.balance, pending.pending), (0, 20));

    let ticket = ticket_of(&test, &dispatch, &submitted).await;
    assert_eq!(ticket.channel(), dispatch::Channel::VillagerApp);
    assert_eq!(ticket.external_ref, submitted.id);
    // The phone stayed in points: the ticket names the reporter only by
    // the report, and the desk asks points for the contact by it.
    assert_eq!(ticket.reporter_phone_masked, "");
    let contact = test
        .town()
        .get_reporter_contact(pb::GetReporterContactRequest {
            report_id: ticket.external_ref.clone(),
            purpose: format!("回访 {}", ticket.number),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(contact.phone, "13812345678");
    let desk = dispatch.desk().await;
    handle_and_verify(&leader(&dispatch).await, &desk, &ticket, "垃圾已清运").await;
    let verified = test
        .wait_status(&submitted, pb::ReportStatus::Verified)
        .await;
    assert_eq!((verified.awarded_points, verified.pending_points), (20, 0));
    assert_eq!(test.balance(&villager).await, 20);

    // The verification delivered three more times, under new event ids.
    for _ in 0..3 {
        test.ticket_event(&verified, "verified", dispatch::ReopenCause::Unspecified)
            .await;
    }
    test.wait_count(
        "SELECT count(*) FROM inbox WHERE subject = 'dispatch.ticket.verified'",
        4,
        "the redeliveries applied",
    )
    .await;
    assert_eq!(test.balance(&villager).await, 20, "paid once");
    assert_eq!(
        test.count("SELECT count(*) FROM ledger_entries WHERE kind = 'AWARD'")
            .await,
        1
    );
    assert_eq!(
        test.count("SELECT count(*) FROM outbox WHERE subject = 'points.awarded'")
            .await,
        1,
        "one awarded event"
    );
    test.cleanup().await;
    dispatch.cleanup().await;
}

#[sqlx::test(migrations = false)]
async fn a_report_reopened_as_untrue_is_reversed_by_a_compensating_entry(pool: PgPool) {
    let (test, dispatch) = points_and_dispatch(pool.clone()).await;
    let villager = test.register("李四", "13900001111").await;
    let submitted = test
        .submit(report(&villager, "SANITATION", 30.03, 121.01))
        .await;
    let ticket = ticket_of(&test, &dispatch, &submitted).await;
    let mut desk = dispatch.desk().await;
    handle_and_verify(&leader(&dispatch).await, &desk, &ticket, "已清扫").await;
    test.wait_status(&submitted, pb::ReportStatus::Verified)
        .await;
    assert_eq!(test.balance(&villager).await, 5);

    let mut untrue = on::<dispatch::ReopenTicketRequest>(&ticket);
    untrue.reason = "现场核实无此情况，系重复摆拍".into();
    untrue.cause = dispatch::ReopenCause::ReportUntrue.into();
    desk.reopen_ticket(untrue).await.unwrap();
    let rejected = test
        .wait_status(&submitted, pb::ReportStatus::Rejected)
        .await;
    assert_eq!((rejected.awarded_points, rejected.reversed_points), (5, 5));
    assert_eq!(test.balance(&villager).await, 0);
    let statement = test.statement(&villager).await;
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
    dispatch.cleanup().await;
}

#[sqlx::test(migrations = false)]
async fn a_report_made_while_dispatch_is_down_is_kept_and_forwarded_when_it_returns(pool: PgPool) {
    let test = TestPoints::spawn(pool).await;
    let villager = test.register("王五", "13700002222").await;
    let submitted = test
        .submit(report(&villager, "ROAD_DAMAGE", 30.06, 121.02))
        .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let waiting = test.get_report(&submitted.id).await;
    assert_eq!(waiting.status(), pb::ReportStatus::Submitted, "kept");
    assert!(waiting.ticket_id.is_empty());

    let dispatch = TestDispatch::spawn_beside(&test.config.service.nats.prefix).await;
    let forwarded = test
        .wait_status(&submitted, pb::ReportStatus::InHandling)
        .await;
    let ticket = ticket_of(&test, &dispatch, &forwarded).await;
    assert_eq!(ticket.number, forwarded.ticket_number);
    assert_eq!(ticket.external_ref, submitted.id);
    test.cleanup().await;
    dispatch.cleanup().await;
}
