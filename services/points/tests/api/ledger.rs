//! The ledger under load and over time: concurrent redemptions, orders,
//! adjustments and expiry.

use chrono::{DateTime, Utc};
use points::testing::*;
use proto::points::v1 as pb;
use sqlx::PgPool;
use tonic::Code;

#[sqlx::test(migrations = false)]
async fn fifty_concurrent_redemptions_of_the_last_ten_items_sell_exactly_ten(pool: PgPool) {
    let test = TestPoints::spawn(pool).await;
    test.put_item(item("DETERGENT-2KG", 10, 10)).await;
    // Five residents can afford 3 each: 15 in all, more than the 10 left.
    let mut residents = Vec::new();
    for i in 0..5 {
        let r = test.register("村民", &format!("1380000000{i}")).await;
        test.credit(&r, 30, &format!("seed-{i}")).await;
        residents.push(r);
    }
    let orders = futures::future::join_all((0..50).map(|i| {
        test.try_redeem(pb::RedeemRequest {
            idempotency_key: format!("order-{i}"),
            resident_id: residents[i % 5].id.clone(),
            item_code: "DETERGENT-2KG".into(),
            quantity: 1,
        })
    }))
    .await;
    let sold = orders.iter().filter(|o| o.is_ok()).count();
    assert_eq!(sold, 10);
    for refused in orders.iter().filter_map(|o| o.as_ref().err()) {
        assert_eq!(refused.code(), Code::FailedPrecondition, "{refused:?}");
    }
    let mut spent = 0;
    for r in &residents {
        let left = test.balance(r).await;
        assert!(left >= 0);
        spent += 30 - left;
    }
    assert_eq!(spent, 100, "ten items at 10 points");
    let stock = test
        .workstation()
        .list_catalog(pb::ListCatalogRequest {
            village_code: VILLAGE.into(),
        })
        .await
        .unwrap()
        .into_inner()
        .items[0]
        .stock;
    assert_eq!(stock, 0);
    assert_eq!(test.count("SELECT count(*) FROM orders").await, 10);
    test.cleanup().await;
}

#[sqlx::test(migrations = false)]
async fn an_order_is_collected_with_its_code_or_cancelled_with_a_refund(pool: PgPool) {
    let test = TestPoints::spawn(pool.clone()).await;
    let mut ws = test.workstation();
    test.put_item(item("SEEDS-RICE", 40, 5)).await;
    let villager = test.register("张三", "13812345678").await;
    test.credit(&villager, 100, "seed").await;
    let first = test.redeem(&villager, "SEEDS-RICE", "a").await;
    assert_eq!(first.balance, 60);
    // The same call again is the same order.
    let again = test.redeem(&villager, "SEEDS-RICE", "a").await;
    assert_eq!(
        again.order.as_ref().unwrap().id,
        first.order.as_ref().unwrap().id
    );
    let second = test.redeem(&villager, "SEEDS-RICE", "b").await;
    assert_eq!(second.balance, 20);
    let status = test
        .try_redeem(pb::RedeemRequest {
            idempotency_key: "c".into(),
            resident_id: villager.id.clone(),
            item_code: "SEEDS-RICE".into(),
            quantity: 1,
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::FailedPrecondition);
    assert!(
        status.message().contains("balance is 20"),
        "{}",
        status.message()
    );

    let order = first.order.unwrap();
    let wrong = ws
        .fulfil_order(pb::FulfilOrderRequest {
            order_id: order.id.clone(),
            pickup_code: "WRONG1".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(wrong.code(), Code::InvalidArgument);
    let handed = ws
        .fulfil_order(pb::FulfilOrderRequest {
            order_id: order.id.clone(),
            pickup_code: order.pickup_code.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .order
        .unwrap();
    assert_eq!(handed.state(), pb::OrderState::Fulfilled);
    let late = ws
        .cancel_order(pb::CancelOrderRequest {
            order_id: order.id,
            reason: "不要了".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(late.code(), Code::FailedPrecondition);

    let cancelled = ws
        .cancel_order(pb::CancelOrderRequest {
            order_id: second.order.unwrap().id,
            reason: "种子已有".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(cancelled.balance, 60, "refunded");
    assert_eq!(test.balance(&villager).await, 60);
    let stock: i32 =
        sqlx::query_scalar("SELECT stock FROM catalog_items WHERE code = 'SEEDS-RICE'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(stock, 4, "one handed over, one back on the shelf");
    test.cleanup().await;
}

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().to_utc()
}

#[sqlx::test(migrations = false)]
async fn points_older_than_the_policy_lapse_at_year_end_once(pool: PgPool) {
    let test = TestPoints::spawn_with(pool.clone(), &[("EXPIRY__MONTHS", "12".into())]).await;
    let mut town = test.town();
    test.put_item(item("SOAP", 20, 10)).await;
    let villager = test.register("张三", "13812345678").await;
    // 50 earned in March 2026, 20 of them spent.
    test.credit(&villager, 50, "earned-2026").await;
    test.redeem(&villager, "SOAP", "soap").await;
    // 30 more in June 2027.
    test.clock.set(at("2027-06-01T02:00:00Z"));
    test.credit(&villager, 30, "earned-2027").await;
    // After the end of 2027, what was earned before 2027 and is unspent lapses.
    test.clock.set(at("2028-01-02T02:00:00Z"));
    test.wait_count(
        "SELECT count(*) FROM expiry_runs WHERE year = 2027",
        1,
        "the 2027 expiry",
    )
    .await;
    assert_eq!(test.balance(&villager).await, 30);
    let again = town
        .expire_points(pb::ExpirePointsRequest { year: 2027 })
        .await
        .unwrap()
        .into_inner();
    assert_eq!((again.accounts, again.points), (0, 0), "once");
    let ran_at: DateTime<Utc> =
        sqlx::query_scalar("SELECT ran_at FROM expiry_runs WHERE year = 2027")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(
        ran_at,
        at("2028-01-02T02:00:00Z"),
        "the run is stamped by the service's clock, not the database's"
    );
    assert_eq!(test.balance(&villager).await, 30);
    let entry: (i64, DateTime<Utc>) =
        sqlx::query_as("SELECT amount, at FROM ledger_entries WHERE kind = 'EXPIRY'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(
        entry,
        (-30, at("2027-12-31T16:00:00Z")),
        "at midnight in Shanghai"
    );
    assert_eq!(
        test.count("SELECT count(*) FROM outbox WHERE subject = 'points.expired'")
            .await,
        1
    );
    let status = town
        .expire_points(pb::ExpirePointsRequest { year: 2028 })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument, "2028 has not ended");
    test.cleanup().await;
}

#[sqlx::test(migrations = false)]
async fn restocking_adds_to_the_stock_and_an_order_needs_a_key(pool: PgPool) {
    let test = TestPoints::spawn(pool).await;
    let soap = |stock: u32| pb::CatalogItem {
        code: "SOAP".into(),
        name: "洗衣皂".into(),
        kind: pb::ItemKind::DailyGoods.into(),
        cost: 10,
        stock,
        active: true,
        ..Default::default()
    };
    test.put_item(item("SOAP", 10, 10)).await;
    let villager = test.register("张三", "13812345678").await;
    test.credit(&villager, 100, "seed").await;
    let mut order = pb::RedeemRequest {
        resident_id: villager.id.clone(),
        item_code: "SOAP".into(),
        quantity: 1,
        ..Default::default()
    };
    let status = test.try_redeem(order.clone()).await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    order.idempotency_key = "soap-1".into();
    test.try_redeem(order).await.unwrap();
    // The town adds 5, having read 10 before the order: 14, not 15.
    let item = test
        .try_put_item(pb::PutCatalogItemRequest {
            item: Some(soap(15)),
            stock_change: 5,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(item.stock, 14);
    // Writing off more than is left is refused; the stock stays.
    let status = test
        .try_put_item(pb::PutCatalogItemRequest {
            item: Some(soap(0)),
            stock_change: -20,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::FailedPrecondition);
    assert_eq!(status.message(), "the stock cannot go below 0");
    test.cleanup().await;
}

#[sqlx::test(migrations = false)]
async fn leaderboards_rank_residents_of_a_village_and_the_villages(pool: PgPool) {
    let test = TestPoints::spawn(pool).await;
    let first = test.register("张三", "13812345678").await;
    let second = test.register("李四", "13900001111").await;
    for (who, lat, severity) in [(&first, 30.01, 1), (&second, 30.03, 3), (&first, 30.05, 1)] {
        let mut request = report(who, "SANITATION", lat, 121.02);
        request.severity = severity;
        let r = test.submit(request).await;
        test.verify(&r).await;
    }
    let period = |village: &str| pb::GetLeaderboardRequest {
        village_code: village.into(),
        from: Some(platform::time::timestamp(at("2026-03-01T00:00:00Z"))),
        to: Some(platform::time::timestamp(at("2026-04-01T00:00:00Z"))),
        limit: 0,
    };
    let rows = test
        .workstation()
        .get_leaderboard(period(VILLAGE))
        .await
        .unwrap()
        .into_inner()
        .rows;
    let ranked: Vec<_> = rows
        .iter()
        .map(|r| (r.rank, r.name.as_str(), r.points, r.verified_reports))
        .collect();
    assert_eq!(ranked, [(1, "李*", 15, 1), (2, "张*", 10, 2)]);
    assert_eq!(rows[0].id, second.id);
    // A resident sees the honours, not who the others are.
    let mut resident = test.client(&token_of(&first.id, platform::auth::Role::Resident, None));
    let seen = resident
        .get_leaderboard(period(VILLAGE))
        .await
        .unwrap()
        .into_inner()
        .rows;
    assert!(seen.iter().all(|r| r.id.is_empty()));
    let villages = resident
        .get_leaderboard(period(""))
        .await
        .unwrap()
        .into_inner()
        .rows;
    assert_eq!(
        villages
            .iter()
            .map(|r| (r.name.as_str(), r.points))
            .collect::<Vec<_>>(),
        [(VILLAGE, 25)]
    );
    test.cleanup().await;
}

#[sqlx::test(migrations = false)]
async fn a_leaderboard_without_a_bound_names_the_missing_one(pool: PgPool) {
    let test = TestPoints::spawn(pool).await;
    let ask = |from: bool, to: bool| pb::GetLeaderboardRequest {
        village_code: VILLAGE.into(),
        from: from.then(|| platform::time::timestamp(at("2026-03-01T00:00:00Z"))),
        to: to.then(|| platform::time::timestamp(at("2026-04-01T00:00:00Z"))),
        limit: 0,
    };
    for (request, fields) in [
        (ask(true, false), vec!["to"]),
        (ask(false, true), vec!["from"]),
        (ask(false, false), vec!["from", "to"]),
    ] {
        let status = test
            .workstation()
            .get_leaderboard(request)
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument);
        let named: Vec<_> = platform::error::field_violations(&status)
            .into_iter()
            .map(|v| v.field)
            .collect();
        assert_eq!(named, fields);
    }
    test.cleanup().await;
}
