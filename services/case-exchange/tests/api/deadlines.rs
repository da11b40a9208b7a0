//! Deadlines: a receipt that does not come warns, then fails into a ticket
//! for a person at the sending town; a failed delivery stays failed.

use case_exchange::testing::*;
use proto::exchange::v1 as pb;
use sqlx::PgPool;

#[sqlx::test(migrations = false)]
async fn a_missing_receipt_warns_then_becomes_a_ticket_at_the_sending_town(pool: PgPool) {
    let mut fed = Federation::start(pool).await;
    fed.nodes[GUANGCHEN].served.stop().await.unwrap();
    let (langxia, guangchen) = (&fed.nodes[LANGXIA], &fed.nodes[GUANGCHEN]);
    langxia.report(guangchen, work_injury()).await;

    // Half the receipt deadline (30 min): a warning.
    fed.clock.advance(chrono::Duration::minutes(16));
    langxia
        .wait_count(
            "SELECT count(*) FROM outbox WHERE subject = 'exchange.delivery.deadline_warning'",
            1,
        )
        .await;
    assert_eq!(
        langxia
            .count("SELECT count(*) FROM deliveries WHERE state = 'FAILED'")
            .await,
        0
    );

    // Past it: failed, and a ticket asked of Langxia's own dispatch.
    fed.clock.advance(chrono::Duration::minutes(15));
    langxia
        .wait_count(
            "SELECT count(*) FROM outbox WHERE subject = 'exchange.ticket.requested'",
            1,
        )
        .await;
    let delivery = langxia.deliveries().await.remove(0);
    assert_eq!(delivery.state(), pb::DeliveryState::Failed);
    assert_eq!(delivery.cause, "no receipt in time");
    assert_eq!(
        langxia
            .count(
                "SELECT count(*) FROM outbox WHERE subject = 'exchange.delivery.deadline_failed'"
            )
            .await,
        1
    );

    // Guangchen comes back: the failed envelope is not sent after all.
    fed.nodes[GUANGCHEN].served.restart().await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let (langxia, guangchen) = (&fed.nodes[LANGXIA], &fed.nodes[GUANGCHEN]);
    assert_eq!(
        guangchen
            .count("SELECT count(*) FROM received_messages")
            .await,
        0
    );
    assert_eq!(
        langxia.deliveries().await[0].state(),
        pb::DeliveryState::Failed
    );
    fed.cleanup().await;
}
