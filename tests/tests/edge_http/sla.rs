//! The SLA board's JSON (`/console/api/sla`) against dispatch and the
//! registry of the small town: every figure is GetStatistics' own, the
//! registry's departments are on the town's board even without a case
//! ("无案件 no cases", no rate), returns count against the returning unit,
//! and the period is checked by field.

use chrono::TimeDelta;
use platform::auth::Role;
use proto::dispatch::v1 as pb;
use reqwest::StatusCode;
use serde_json::Value;
use sqlx::PgPool;
use ticket_dispatch::testing::{on, start_time};

use crate::helpers::TestEdge;

/// The small town's departments (ticket-dispatch's test registry).
const DEPARTMENTS: [&str; 3] = ["URBAN_MANAGEMENT", "POLICE", "JUDICIAL_OFFICE"];

fn unit<'a>(board: &'a Value, key: &str) -> &'a Value {
    board["units"]
        .as_array()
        .expect("the board's units")
        .iter()
        .find(|u| u["key"] == key)
        .unwrap_or_else(|| panic!("unit {key} on the board: {board}"))
}

#[sqlx::test(migrations = false)]
async fn edge_console_sla_board_shows_dispatch_figures_and_departments_without_cases(pool: PgPool) {
    let test = TestEdge::spawn(pool).await;
    let desk = test.dispatch.at_desk().await;
    let leader = test
        .dispatch
        .actor(Role::MicroGridLeader, Some("V1-A1-M01"))
        .await;
    // Two hazards in V1-A1-M01: one resolved there, one handed back to go
    // to the urban management team (a return, then a transfer).
    let report = |key: &str| pb::CreateTicketRequest {
        idempotency_key: key.into(),
        channel: pb::Channel::GridPatrol.into(),
        category_code: "SANITATION".into(),
        title: "河边垃圾".into(),
        location: Some(pb::LatLng {
            lat: 30.02,
            lng: 121.02,
        }),
        ..Default::default()
    };
    let mut first = report("sla-1");
    first.category_code = "ILLEGAL_DUMPING".into();
    let solved = desk.create_ticket(first).await;
    leader.accept(&solved).await;
    leader.resolve(&solved, "已清理").await;
    let second = report("sla-2");
    let returned = desk.create_ticket(second).await;
    leader
        .move_(pb::ReturnTicketRequest {
            note: "属城管执法".into(),
            reason: pb::ReturnReason::NotOurResponsibility.into(),
            ..on(&returned)
        })
        .await;

    let day = (start_time() + TimeDelta::hours(8)).date_naive();
    let (from, to) = (day - TimeDelta::days(1), day + TimeDelta::days(1));
    let town = test.staff("town_operator", "").await;
    let path = format!("/console/api/sla?from={from}&to={to}");
    let answer = test.get_console(&town, &path).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    let board = &answer.body["board"];

    let midnight = |d: chrono::NaiveDate| prost_types::Timestamp {
        seconds: (d.and_hms_opt(0, 0, 0).unwrap().and_utc() - TimeDelta::hours(8)).timestamp(),
        nanos: 0,
    };
    let stats = desk
        .statistics(pb::GetStatisticsRequest {
            from: Some(midnight(from)),
            to: Some(midnight(to)),
            group_by: pb::get_statistics_request::GroupBy::Unit.into(),
            keys: DEPARTMENTS.iter().map(|d| (*d).to_owned()).collect(),
        })
        .await;
    assert_eq!(
        board["units"].as_array().map(Vec::len),
        Some(stats.groups.len()),
        "{board}"
    );
    for expected in &stats.groups {
        let shown = unit(board, &expected.key);
        assert_eq!(shown["has_cases"], expected.has_cases, "{shown}");
        assert_eq!(shown["received"], expected.received);
        assert_eq!(shown["returns"], expected.returns);
        assert_eq!(shown["legs"], expected.legs);
        assert_eq!(shown["transfers"], expected.transfers);
        assert_eq!(shown["signing_judged"], expected.signing_judged);
        if expected.has_cases && expected.legs > 0 {
            assert_eq!(shown["return_rate"], expected.return_rate, "{shown}");
        }
        if expected.has_cases && expected.resolution_judged > 0 {
            assert_eq!(
                shown["on_time_resolution_rate"],
                expected.on_time_resolution_rate
            );
        }
    }
    // The micro-grid handed one of its two legs back: 退单率 1/2, against it.
    let m01 = unit(board, "V1-A1-M01");
    assert_eq!(
        (m01["returns"].as_u64(), m01["legs"].as_u64()),
        (Some(1), Some(2))
    );
    assert_eq!(m01["return_rate"], 0.5);
    let urban = unit(board, "URBAN_MANAGEMENT");
    assert_eq!(urban["name"], "城管中队");
    assert_eq!(
        urban["returns"], 0,
        "the return is not the receiving unit's"
    );
    // A department nothing fell to: no cases, no rate — never 100 %.
    let police = unit(board, "POLICE");
    assert_eq!(police["has_cases"], false, "{police}");
    for rate in [
        "on_time_signing_rate",
        "on_time_resolution_rate",
        "actually_solved_rate",
        "satisfaction_rate",
        "return_rate",
        "closure_rate",
        "transfers_per_ticket",
    ] {
        assert_eq!(police[rate], Value::Null, "POLICE {rate}");
    }
    let total = &board["total"];
    assert_eq!(total["received"], 2);
    assert_eq!(total["transfers"], stats.total.as_ref().unwrap().transfers);
    assert_eq!(board["open_tickets"], 1, "the returned one is still open");
    let rising: Vec<(&str, u64)> = board["rising_categories"]
        .as_array()
        .expect("the rising categories")
        .iter()
        .map(|c| {
            (
                c["category"]["code"].as_str().unwrap_or_default(),
                c["this_period"].as_u64().unwrap_or_default(),
            )
        })
        .collect();
    let expected: Vec<(&str, u64)> = stats
        .rising_categories
        .iter()
        .map(|c| (c.category_code.as_str(), u64::from(c.this_period)))
        .collect();
    assert_eq!(rising, expected);
    assert!(
        board["rising_categories"][0]["category"]["name"]
            .as_str()
            .is_some_and(|n| !n.is_empty()),
        "named from dispatch's categories: {board}"
    );

    // A village's workstation gets its own units, no department rows.
    let village = test.staff("workstation_staff", "V1").await;
    let theirs = test.get_console(&village, &path).await;
    assert_eq!(theirs.status, StatusCode::OK, "{}", theirs.text);
    assert!(
        theirs.body["board"]["units"]
            .as_array()
            .is_none_or(|units| units.iter().all(|u| u["key"] != "POLICE")),
        "{}",
        theirs.text
    );

    // The period by field.
    let bad = test
        .get_console(&town, &format!("/console/api/sla?from={to}&to={from}"))
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{}", bad.text);
    assert_eq!(bad.fields(), ["to"]);
    let bad = test.get_console(&town, "/console/api/sla?from=March").await;
    assert_eq!(bad.fields(), ["from"]);
    test.cleanup().await;
}
