//! The console's desk queue (派单台) over HTTP in front of real dispatch:
//! a ticket waiting at the desk is dispatched along the responsibility
//! chain or to a unit of the desk's choosing (with a reason), redispatched
//! after a return, rejected as not a case, merged into the ticket it
//! repeats and split off again; each bad field named, and the desk's moves
//! refused to a village's staff.

use proto::dispatch::v1 as pb;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::helpers::{Answer, TestEdge};

fn hotline(order: &str, lat: f64) -> pb::CreateTicketRequest {
    pb::CreateTicketRequest {
        channel: pb::Channel::Hotline12345.into(),
        external_ref: order.into(),
        category_code: "SANITATION".into(),
        title: "垃圾堆放".into(),
        location: Some(pb::LatLng { lat, lng: 121.02 }),
        ..Default::default()
    }
}

async fn desk_move(test: &TestEdge, cookie: &str, number: &str, what: &str, body: Value) -> Answer {
    test.send(
        test.console(
            Method::POST,
            &format!("/console/api/tickets/{number}/{what}"),
            cookie,
        )
        .json(&body),
    )
    .await
}

#[sqlx::test(migrations = false)]
async fn edge_console_desk_dispatches_redispatches_rejects_merges_and_splits(pool: PgPool) {
    let test = TestEdge::spawn(pool).await;
    let dispatch = test.dispatch.at_desk().await;
    let desk = test.staff("town_operator", "").await;
    let [along, chosen, prank, repeat] = [
        ("12345-DESK-1", 30.02),
        ("12345-DESK-2", 30.021),
        ("12345-DESK-3", 30.022),
        ("12345-DESK-4", 30.023),
    ]
    .map(|(order, lat)| hotline(order, lat));
    let along = dispatch.create_ticket(along).await;
    assert_eq!(along.state(), pb::TicketState::Received);

    // Along the responsibility chain.
    let sent = test
        .console_move(&desk, &along.number, json!({"action": "dispatch"}))
        .await;
    assert_eq!(sent.status, StatusCode::OK, "{}", sent.text);
    assert_eq!(sent.body["state"], "dispatched");
    let first_unit = sent.body["assignee"]["code"].as_str().unwrap().to_owned();

    // Handed back, then dispatched again: never to the unit that returned it.
    let officer = test.staff("department_officer", &first_unit).await;
    let back = test
        .console_move(
            &officer,
            &along.number,
            json!({"action": "return", "reason": "需执法队处理", "return_reason": "beyond_our_means"}),
        )
        .await;
    assert_eq!(back.body["state"], "returned", "{}", back.text);
    let again = test
        .console_move(&desk, &along.number, json!({"action": "dispatch"}))
        .await;
    assert_eq!(again.body["state"], "dispatched", "{}", again.text);
    assert_ne!(
        again.body["assignee"]["code"],
        first_unit.as_str(),
        "{}",
        again.text
    );

    // To a unit of the desk's choosing: only with a reason.
    let chosen = dispatch.create_ticket(chosen).await;
    let to_water =
        json!({"action": "dispatch", "unit_kind": "department", "unit_code": "JUDICIAL_OFFICE"});
    let unexplained = test
        .console_move(&desk, &chosen.number, to_water.clone())
        .await;
    assert_eq!(
        unexplained.status,
        StatusCode::BAD_REQUEST,
        "{}",
        unexplained.text
    );
    assert_eq!(unexplained.fields(), ["reason"]);
    let mut explained = to_water;
    explained["reason"] = json!("涉邻里纠纷，先调解");
    let sent = test.console_move(&desk, &chosen.number, explained).await;
    assert_eq!(
        sent.body["assignee"]["code"], "JUDICIAL_OFFICE",
        "{}",
        sent.text
    );
    let odd = test
        .console_move(
            &desk,
            &chosen.number,
            json!({"action": "dispatch", "unit_kind": "bureau", "unit_code": "X"}),
        )
        .await;
    assert_eq!(odd.fields(), ["unit_kind"]);

    // Not a case.
    let prank = dispatch.create_ticket(prank).await;
    let unknown = desk_move(
        &test,
        &desk,
        &prank.number,
        "reject",
        json!({"reason": "boring", "note": "x"}),
    )
    .await;
    assert_eq!(unknown.fields(), ["reason"]);
    let workstation = test.staff("workstation_staff", "V1").await;
    let theirs = desk_move(
        &test,
        &workstation,
        &prank.number,
        "reject",
        json!({"reason": "prank", "note": "查无此事"}),
    )
    .await;
    assert_eq!(theirs.status, StatusCode::FORBIDDEN, "{}", theirs.text);
    let rejected = desk_move(
        &test,
        &desk,
        &prank.number,
        "reject",
        json!({"reason": "prank", "note": "查无此事"}),
    )
    .await;
    assert_eq!(rejected.status, StatusCode::OK, "{}", rejected.text);
    assert_eq!(rejected.body["state"], "rejected");

    // A second report of the first matter: merged into it, then split off.
    let repeat = dispatch.create_ticket(repeat).await;
    let nowhere = desk_move(
        &test,
        &desk,
        &repeat.number,
        "merge",
        json!({"reason": "同一处"}),
    )
    .await;
    assert_eq!(nowhere.fields(), ["into"]);
    let merged = desk_move(
        &test,
        &desk,
        &repeat.number,
        "merge",
        json!({"into": along.number, "reason": "同一处垃圾"}),
    )
    .await;
    assert_eq!(merged.status, StatusCode::OK, "{}", merged.text);
    assert_eq!(
        merged.body["duplicate_of"],
        along.id.as_str(),
        "{}",
        merged.text
    );
    let split = desk_move(
        &test,
        &desk,
        &repeat.number,
        "split",
        json!({"reason": "不是同一处"}),
    )
    .await;
    assert_eq!(split.status, StatusCode::OK, "{}", split.text);
    assert_eq!(split.body["duplicate_of"], Value::Null, "{}", split.text);
    assert_eq!(split.body["state"], "received");
    test.cleanup().await;
}
