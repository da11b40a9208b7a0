//! What the tests share: ticket events as dispatch would publish them, and
//! waiting for a report to reach a status.

use std::time::Duration;

use platform::events::Bus;
use platform::testing::eventually;
use points::testing::{Client, TestPoints};
use prost::Message as _;
use proto::dispatch::v1 as dispatch;
use proto::points::v1 as pb;

/// Publishes a `dispatch.ticket.<step>` event for `report`'s ticket, as
/// dispatch does, under a new event id.
pub async fn ticket_event(
    test: &TestPoints,
    report: &pb::Report,
    step: &str,
    cause: dispatch::ReopenCause,
) {
    let bus = Bus::connect(&test.config.service.nats).await.unwrap();
    bus.ensure_stream(&points::events::DISPATCH).await.unwrap();
    let event_id = uuid::Uuid::now_v7().to_string();
    let ticket_id = if report.ticket_id.is_empty() {
        uuid::Uuid::now_v7().to_string()
    } else {
        report.ticket_id.clone()
    };
    let message = dispatch::TicketEvent {
        meta: Some(dispatch::EventMeta {
            event_id: event_id.clone(),
            occurred_at: report.submitted_at,
            actor: "test-desk".into(),
        }),
        ticket: Some(dispatch::Ticket {
            id: ticket_id,
            number: "LX-2026-000001".into(),
            channel: dispatch::Channel::VillagerApp.into(),
            external_ref: report.id.clone(),
            ..Default::default()
        }),
        transition: Some(dispatch::Transition {
            reopen_cause: cause.into(),
            ..Default::default()
        }),
        task: None,
    };
    let mut headers = async_nats::HeaderMap::new();
    headers.insert("Nats-Msg-Id", event_id.as_str());
    bus.jetstream()
        .publish_with_headers(
            bus.subject(&format!("dispatch.ticket.{step}")),
            headers,
            message.encode_to_vec().into(),
        )
        .await
        .unwrap()
        .await
        .unwrap();
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
    eventually(
        Duration::from_secs(20),
        &format!("report {status:?}"),
        || {
            let mut client = client.clone();
            let id = report.id.clone();
            async move {
                let got = client
                    .get_report(pb::GetReportRequest { id })
                    .await
                    .ok()?
                    .into_inner()
                    .report?;
                (got.status() == status).then_some(got)
            }
        },
    )
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
