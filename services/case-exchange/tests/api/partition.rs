//! A partition and its heal: what was sent while a node was away arrives
//! once, in order, and nothing is applied twice; a retransmit gets the
//! receipt it got the first time.

use case_exchange::convert;
use case_exchange::domain::envelope::{Envelope, ExchangeStatus};
use case_exchange::domain::ids::MessageId;
use case_exchange::domain::payload::Payload;
use case_exchange::testing::*;
use proto::exchange::v1 as pb;
use sqlx::PgPool;

#[sqlx::test(migrations = false)]
async fn what_is_sent_while_a_node_is_stopped_arrives_once_when_it_returns(pool: PgPool) {
    let mut fed = Federation::start(pool).await;
    fed.nodes[XINDAI].served.stop().await.unwrap();
    let (langxia, xindai) = (&fed.nodes[LANGXIA], &fed.nodes[XINDAI]);

    let first = langxia.report(xindai, work_injury()).await;
    let second = langxia
        .report(
            xindai,
            pb::ReportCaseRequest {
                idempotency_key: "second".into(),
                case_number: "LX-2026-000418".into(),
                ..work_injury()
            },
        )
        .await;
    // The sender keeps trying while Xindai is away.
    langxia
        .wait_count(
            "SELECT count(*) FROM deliveries WHERE state = 'PENDING' AND attempts >= 2",
            1,
        )
        .await;
    assert_eq!(
        langxia
            .count("SELECT count(*) FROM deliveries WHERE state = 'PENDING'")
            .await,
        2
    );
    assert_eq!(
        langxia.case(&first.shared_id).await.state(),
        pb::CaseState::Reported
    );

    fed.nodes[XINDAI].served.restart().await;
    let (langxia, xindai) = (&fed.nodes[LANGXIA], &fed.nodes[XINDAI]);
    for case in [&first, &second] {
        let there = xindai.wait_version(&case.shared_id, 2).await;
        let here = langxia.wait_version(&case.shared_id, 2).await;
        assert_eq!(shared_view(&here), shared_view(&there));
    }
    // In order: the first report was taken in before the second.
    let order: Vec<String> = sqlx::query_scalar(
        "SELECT shared_id::text FROM joint_cases ORDER BY reported_at, shared_id",
    )
    .fetch_all(&xindai.pool)
    .await
    .unwrap();
    assert_eq!(order, [first.shared_id.clone(), second.shared_id.clone()]);
    // Nothing applied twice: two reports taken in, two tickets asked for.
    assert_eq!(
        xindai.count("SELECT count(*) FROM received_messages").await,
        2
    );
    assert_eq!(xindai.count("SELECT count(*) FROM case_moves").await, 4);
    assert_eq!(
        xindai
            .count("SELECT count(*) FROM outbox WHERE subject = 'exchange.ticket.requested'")
            .await,
        2
    );
    langxia
        .wait_count(
            "SELECT count(*) FROM deliveries WHERE state <> 'ACCEPTED'",
            0,
        )
        .await;
    fed.cleanup().await;
}

#[sqlx::test(migrations = false)]
async fn a_retransmit_gets_the_same_receipt_and_is_applied_once(pool: PgPool) {
    let fed = Federation::start(pool).await;
    let sender = fed.raw_sender(GUANGCHEN, XINDAI, &fed.nodes[GUANGCHEN].town.dir);
    let mut envelope = Envelope {
        message_id: MessageId::generate(),
        sender: fed.nodes[GUANGCHEN].town.node.clone(),
        recipients: vec![fed.nodes[XINDAI].town.node.clone()],
        message_type: case_exchange::domain::envelope::MessageType::Cancel,
        references: vec![],
        shared_case_id: None,
        sender_case_number: String::new(),
        recipient_case_number: String::new(),
        status: ExchangeStatus::Test,
        sent_at: start_time(),
        payload: convert::encode_payload(&Payload::Cancel {
            reason: "演练".into(),
        }),
        in_reply_to: None,
        signature: vec![],
    };
    let first = sender.send(&mut envelope, start_time()).await.unwrap();
    // Sent again, a minute later (a new attempt at the same envelope).
    let again = sender
        .send(&mut envelope, start_time() + chrono::Duration::minutes(1))
        .await
        .unwrap();
    assert_eq!(first, again);
    let xindai = &fed.nodes[XINDAI];
    assert_eq!(
        xindai.count("SELECT count(*) FROM received_messages").await,
        1
    );
    assert_eq!(
        xindai
            .count("SELECT count(*) FROM message_log WHERE direction = 'RECEIVED'")
            .await,
        1
    );
    fed.cleanup().await;
}
