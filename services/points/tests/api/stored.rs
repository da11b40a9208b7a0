//! A stored value this version does not know fails loudly, as INTERNAL,
//! and is never read as something it is not.

use points::testing::*;
use proto::points::v1 as pb;
use sqlx::PgPool;
use tonic::Code;

async fn execute(pool: &PgPool, sql: &str) {
    sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()))
        .execute(pool)
        .await
        .unwrap();
}

#[sqlx::test(migrations = false)]
async fn an_unknown_entry_kind_fails_the_statement_instead_of_becoming_an_adjustment(pool: PgPool) {
    let test = TestPoints::spawn(pool.clone()).await;
    let villager = test.register("张三", "13812345678").await;
    test.credit(&villager, 30, "seed").await;
    assert_eq!(test.balance(&villager).await, 30);
    // An entry of a kind a later version might add, written by hand.
    execute(
        &pool,
        "ALTER TABLE ledger_entries DROP CONSTRAINT ledger_entries_kind_check",
    )
    .await;
    sqlx::query(
        "INSERT INTO ledger_entries (entry_id, key, account_id, kind, amount, balance_after, at, operator)
         VALUES (gen_random_uuid(), 'bonus:1', $1::uuid, 'BONUS', 5, 35, now(), 'a later version')",
    )
    .bind(&villager.id)
    .execute(&pool)
    .await
    .unwrap();

    let status = test.try_statement(&villager).await.unwrap_err();
    assert_eq!(status.code(), Code::Internal, "{status:?}");
    assert_eq!(
        status.message(),
        "internal error",
        "no SQL reaches the caller"
    );
    // The balance, which reads no entry, still answers.
    assert_eq!(test.get_balance(&villager).await.balance, 30);
    test.cleanup().await;
}

#[sqlx::test(migrations = false)]
async fn an_unknown_report_status_or_order_state_fails_loudly(pool: PgPool) {
    let test = TestPoints::spawn(pool.clone()).await;
    let mut ws = test.workstation();
    test.put_item(item("SOAP", 10, 10)).await;
    let villager = test.register("张三", "13812345678").await;
    test.credit(&villager, 30, "seed").await;
    let submitted = test
        .submit(report(&villager, "SANITATION", 30.01, 121.02))
        .await;
    let order = test.redeem(&villager, "SOAP", "soap").await.order.unwrap();
    execute(
        &pool,
        "ALTER TABLE reports DROP CONSTRAINT reports_status_check",
    )
    .await;
    execute(&pool, "UPDATE reports SET status = 'ESCALATED'").await;
    execute(
        &pool,
        "ALTER TABLE orders DROP CONSTRAINT orders_state_check",
    )
    .await;
    execute(&pool, "UPDATE orders SET state = 'LOST'").await;

    let read = ws
        .get_report(pb::GetReportRequest {
            id: submitted.id.clone(),
        })
        .await
        .unwrap_err();
    let listed = ws
        .list_reports(pb::ListReportsRequest {
            resident_id: villager.id.clone(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    let cancelled = ws
        .cancel_order(pb::CancelOrderRequest {
            order_id: order.id,
            reason: "不要了".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    for status in [read, listed, cancelled] {
        assert_eq!(status.code(), Code::Internal, "{status:?}");
        assert_eq!(status.message(), "internal error");
    }
    // Nothing was taken for a cancelled order: the refund was not posted.
    assert_eq!(
        test.count("SELECT count(*) FROM ledger_entries WHERE kind = 'REFUND'")
            .await,
        0
    );
    test.cleanup().await;
}

#[sqlx::test(migrations = false)]
async fn a_negative_stored_stock_fails_loudly_instead_of_being_read_as_none_left(pool: PgPool) {
    let test = TestPoints::spawn(pool.clone()).await;
    test.put_item(item("SOAP", 10, 10)).await;
    let villager = test.register("张三", "13812345678").await;
    test.credit(&villager, 30, "seed").await;
    execute(
        &pool,
        "ALTER TABLE catalog_items DROP CONSTRAINT catalog_items_stock_check",
    )
    .await;
    execute(
        &pool,
        "UPDATE catalog_items SET stock = -3 WHERE code = 'SOAP'",
    )
    .await;

    let status = test
        .try_redeem(pb::RedeemRequest {
            idempotency_key: "soap".into(),
            resident_id: villager.id.clone(),
            item_code: "SOAP".into(),
            quantity: 1,
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Internal, "{status:?}");
    assert_eq!(status.message(), "internal error");
    assert_eq!(test.balance(&villager).await, 30, "nothing was taken");
    test.cleanup().await;
}
