//! What the tests share: ticket events as dispatch would publish them, and
//! waiting for a report to reach a status.

use std::time::Duration;

use platform::testing::eventually;
use points::testing::{Client, TestPoints};
use proto::dispatch::v1 as dispatch;
use proto::points::v1 as pb;

/// Publishes a `dispatch.ticket.<step>` event for `report`'s ticket.
pub async fn ticket_event(
    test: &TestPoints,
    report: &pb::Report,
    step: &str,
    cause: dispatch::ReopenCause,
) {
    test.ticket_event(report, step, cause).await;
}

/// Verifies `report` by event and waits until points has applied it.
pub async fn verify(test: &TestPoints, client: &mut Client, report: &pb::Report) -> pb::Report {
    ticket_event(test, report, "verified", dispatch::ReopenCause::Unspecified).await;
    wait_status(client, report, pb::ReportStatus::Verified).await
}

/// Waits until `report` has `status`.
pub async fn wait_status(
    client: &mut Client,
    report: &pb::Report,
    status: pb::ReportStatus,
) -> pb::Report {
    wait_report(client, report, &format!("report {status:?}"), |r| {
        r.status() == status
    })
    .await
}

/// Waits until `report` is as `wanted` says.
pub async fn wait_report(
    client: &mut Client,
    report: &pb::Report,
    what: &str,
    wanted: impl Fn(&pb::Report) -> bool,
) -> pb::Report {
    let wanted = &wanted;
    eventually(Duration::from_secs(30), what, || {
        let mut client = client.clone();
        let id = report.id.clone();
        async move {
            let got = client
                .get_report(pb::GetReportRequest { id })
                .await
                .ok()?
                .into_inner()
                .report?;
            wanted(&got).then_some(got)
        }
    })
    .await
}

/// Returns a resident's balance, checking that the statement's entries sum
/// to it and that each entry's running balance follows from the last.
pub async fn balance(client: &mut Client, resident: &pb::Resident) -> i64 {
    let statement = client
        .get_statement(pb::GetStatementRequest {
            resident_id: resident.id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    let mut running = 0;
    for entry in &statement.entries {
        running += entry.amount;
        assert_eq!(entry.balance_after, running, "entry {}", entry.key);
        assert!(running >= 0, "the balance went negative at {}", entry.key);
    }
    assert_eq!(
        running, statement.balance,
        "the statement sums to the balance"
    );
    let balance = client
        .get_balance(pb::GetBalanceRequest {
            resident_id: resident.id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(balance.balance, statement.balance);
    balance.balance
}

/// Counts rows.
pub async fn count(pool: &sqlx::PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned()))
        .fetch_one(pool)
        .await
        .unwrap()
}

/// Submits a report and returns it.
pub async fn submit(client: &mut Client, request: pb::SubmitReportRequest) -> pb::Report {
    client
        .submit_report(request)
        .await
        .expect("the report is taken")
        .into_inner()
        .report
        .expect("a report")
}
