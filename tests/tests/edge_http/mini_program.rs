//! A villager's flow through the mini-program API and the town's handling
//! of it in the console, over HTTP only.

use std::time::Duration;

use platform::testing::eventually;
use points::testing::item;
use reqwest::StatusCode;
use serde_json::json;
use sqlx::PgPool;

use crate::helpers::{TestEdge, png};

#[sqlx::test(migrations = false)]
async fn edge_a_villager_signs_in_reports_with_a_photo_the_console_handles_and_verifies_it_and_the_points_are_credited_and_redeemed(
    pool: PgPool,
) {
    let test = TestEdge::spawn(pool).await;

    // Not registered yet: the mini-program is told to register.
    let first = test
        .post(
            "/api/v1/sessions",
            None,
            json!({"login_code": "local:zhang-san"}),
        )
        .await;
    assert_eq!(first.status, StatusCode::NOT_FOUND, "{}", first.text);
    assert_eq!(first.body["error"]["code"], "not_registered");
    let token = test.register("zhang-san", "13812345678").await;
    let me = test.get("/api/v1/me", Some(&token)).await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.text);
    assert_eq!(
        me.body["phone_masked"], "138****5678",
        "masked as points masks"
    );
    let again = test
        .post(
            "/api/v1/sessions",
            None,
            json!({"login_code": "local:zhang-san"}),
        )
        .await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.text);
    assert_eq!(again.body["resident"]["id"], me.body["id"]);

    // A photo, then the report that names it.
    let photo = test.upload(&token, png(2048)).await;
    assert_eq!(photo.status, StatusCode::CREATED, "{}", photo.text);
    assert_eq!(photo.body["content_type"], "image/png");
    let sha = photo.body["sha256"].as_str().unwrap().to_owned();
    assert_eq!(test.stored_photos(), 1);
    let filed = test
        .post(
            "/api/v1/reports",
            Some(&token),
            json!({
                "category_code": "ILLEGAL_DUMPING",
                "severity": 2,
                "text": "河边有人偷倒建筑垃圾",
                "location": {"lat": 30.02, "lng": 121.02},
                "photos": [sha],
            }),
        )
        .await;
    assert_eq!(filed.status, StatusCode::CREATED, "{}", filed.text);
    assert_eq!(filed.body["status"], "submitted");
    assert_eq!(filed.body["photos"][0]["sha256"], sha.as_str());
    assert_eq!(filed.body["photos"][0]["size_bytes"], 2048);
    assert_eq!(filed.body["pending_points"], 20);
    let id = filed.body["id"].as_str().unwrap().to_owned();

    // The resident follows it: listed, then taken in by dispatch.
    let listed = test.get("/api/v1/reports", Some(&token)).await;
    assert_eq!(
        listed.body["reports"][0]["id"],
        id.as_str(),
        "{}",
        listed.text
    );
    let forwarded = eventually(Duration::from_secs(30), "the report's ticket", || async {
        let seen = test
            .get(&format!("/api/v1/reports/{id}"), Some(&token))
            .await;
        seen.body["ticket_number"].as_str().map(str::to_owned)
    })
    .await;
    let balance = test.get("/api/v1/balance", Some(&token)).await;
    assert_eq!(
        (
            balance.body["balance"].clone(),
            balance.body["pending"].clone()
        ),
        (json!(0), json!(20))
    );

    // The town handles and verifies the ticket in the console: the
    // micro-grid's leader signs for and resolves it, the desk verifies it.
    let leader = test.staff("micro_grid_leader", "V1-A1-M01").await;
    let desk = test.staff("town_operator", "").await;
    let page = test
        .get_console(&desk, &format!("/console/api/tickets/{forwarded}"))
        .await;
    assert_eq!(page.body["channel"], "villager_app", "{}", page.text);
    for (cookie, body, state) in [
        (&leader, json!({"action": "accept"}), "accepted"),
        (
            &leader,
            json!({"action": "resolve", "result": "垃圾已清运"}),
            "resolved",
        ),
        (
            &desk,
            json!({"action": "verify", "verified_true": true}),
            "verified",
        ),
    ] {
        let moved = test.console_move(cookie, &forwarded, body).await;
        assert_eq!(moved.status, StatusCode::OK, "{}", moved.text);
        assert_eq!(moved.body["state"], state, "{}", moved.text);
    }
    let history = test
        .get_console(&desk, &format!("/console/api/tickets/{forwarded}"))
        .await;
    let actions: Vec<&str> = history.body["history"]
        .as_array()
        .expect("the ticket's history")
        .iter()
        .filter_map(|h| h["action"].as_str())
        .collect();
    assert!(
        actions.ends_with(&["accept", "resolve", "verify"]),
        "{actions:?}"
    );
    eventually(Duration::from_secs(30), "the points credited", || async {
        let balance = test.get("/api/v1/balance", Some(&token)).await;
        (balance.body["balance"] == 20).then_some(())
    })
    .await;
    let statement = test.get("/api/v1/statement", Some(&token)).await;
    assert_eq!(
        statement.body["entries"][0]["kind"], "award",
        "{}",
        statement.text
    );
    let seen = test
        .get(&format!("/api/v1/reports/{id}"), Some(&token))
        .await;
    assert_eq!(seen.body["status"], "verified");

    // The catalogue of the village, and an order with its pickup code.
    test.points.put_item(item("SOAP-500G", 15, 3)).await;
    let catalogue = test.get("/api/v1/catalogue", Some(&token)).await;
    assert_eq!(catalogue.body[0]["code"], "SOAP-500G", "{}", catalogue.text);
    let order = test
        .post(
            "/api/v1/orders",
            Some(&token),
            json!({"item_code": "SOAP-500G"}),
        )
        .await;
    assert_eq!(order.status, StatusCode::CREATED, "{}", order.text);
    assert_eq!(order.body["order"]["state"], "reserved");
    assert!(
        !order.body["order"]["pickup_code"]
            .as_str()
            .unwrap()
            .is_empty()
    );
    assert_eq!(order.body["balance"], 5);
    test.cleanup().await;
}

#[sqlx::test(migrations = false)]
async fn edge_the_openapi_document_describes_the_mini_program_api(pool: PgPool) {
    let test = TestEdge::spawn(pool).await;
    let doc = test.get("/api/v1/openapi.json", None).await;
    assert_eq!(doc.status, StatusCode::OK);
    assert!(
        doc.body["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        doc.text
    );
    for path in [
        "/api/v1/sessions",
        "/api/v1/residents",
        "/api/v1/photos",
        "/api/v1/reports",
        "/api/v1/reports/{id}",
        "/api/v1/balance",
        "/api/v1/statement",
        "/api/v1/catalogue",
        "/api/v1/orders",
    ] {
        assert!(doc.body["paths"][path].is_object(), "{path} is described");
    }
    assert!(doc.body["components"]["schemas"]["ErrorBody"].is_object());
    test.cleanup().await;
}
