//! The operations console in a real browser: Debian's Chromium, headless,
//! driven by playwright-core (`services/edge/console/tests/browser.mjs`),
//! against the edge in front of points, dispatch and a registry holding
//! the whole of Langxia. What the browser saw is checked against the
//! services' own answers over gRPC. Screenshots are kept under the target
//! directory (`console-screenshots/`, the path is printed).
//!
//! Skipped only when `WEIGRID_SKIP_BROWSER_TEST=1` says so; otherwise a
//! missing browser, font or npm package fails the test with what to
//! install (`scripts/console.sh browser` installs them as root).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Datelike, FixedOffset, TimeDelta, TimeZone, Utc};
use platform::auth::Role;
use points::testing::TestPoints;
use proto::dispatch::v1 as pb;
use serde_json::Value;
use sqlx::PgPool;
use ticket_dispatch::testing::{TestDispatch, on, start_time};

use crate::helpers::TestEdge;

/// The environment variable that skips this test, said explicitly.
const SKIP: &str = "WEIGRID_SKIP_BROWSER_TEST";

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ sits in the repository")
}

/// Runs `scripts/console.sh <what>` and returns its last line of output.
fn console_script(what: &str, envs: &[(&str, &Path)]) -> String {
    let mut command = std::process::Command::new(repo().join("scripts/console.sh"));
    command.arg(what);
    for (key, value) in envs {
        command.env(key, value);
    }
    let out = command
        .output()
        .unwrap_or_else(|err| panic!("scripts/console.sh {what} runs: {err}"));
    assert!(
        out.status.success(),
        "scripts/console.sh {what} failed (set {SKIP}=1 to skip the browser test explicitly):\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .last()
        .unwrap_or_default()
        .trim()
        .to_owned()
}

fn shanghai() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("UTC+8")
}

/// Returns midnight of `day` (YYYY-MM-DD) in Asia/Shanghai, as the console
/// reads its period.
fn midnight(day: &str) -> prost_types::Timestamp {
    let date = chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d").expect("a date");
    let t: DateTime<Utc> = shanghai()
        .from_local_datetime(&date.and_hms_opt(0, 0, 0).expect("midnight"))
        .single()
        .expect("one midnight")
        .to_utc();
    prost_types::Timestamp {
        seconds: t.timestamp(),
        nanos: 0,
    }
}

/// Returns a patrol's hazard at the middle of `grid`.
fn patrol(key: &str, grid: &langxia::Grid) -> pb::CreateTicketRequest {
    let (lng, lat) = langxia::Geometry::Polygon(grid.boundary.clone()).representative_point();
    pb::CreateTicketRequest {
        idempotency_key: key.into(),
        channel: pb::Channel::GridPatrol.into(),
        category_code: "SANITATION".into(),
        title: format!("{}河边垃圾", grid.name),
        location: Some(pb::LatLng { lat, lng }),
        ..Default::default()
    }
}

/// The camera of the map's layer and of the footage application.
const CAMERA: &str = "31011611001320000021";
const CHANNEL: &str = "31011611001310000021";

/// Files a villager's footage application of [`CHANNEL`] through the
/// mini-program API; returns its number.
async fn footage_application(edge: &TestEdge) -> String {
    let token = edge.register("wang-xiaoming", "13812345678").await;
    let applied = edge
        .post(
            "/api/v1/footage-applications",
            Some(&token),
            serde_json::json!({
                "applicant": {"name": "王小明", "id_number": "310116199001011234", "phone": "13812345678"},
                "channel_ids": [CHANNEL],
                "starts_at": "2026-03-02T08:20:00+08:00",
                "ends_at": "2026-03-02T08:40:00+08:00",
                "purpose": "vehicle_scrape",
            }),
        )
        .await;
    assert_eq!(
        applied.status,
        reqwest::StatusCode::CREATED,
        "{}",
        applied.text
    );
    applied.body["number"]
        .as_str()
        .expect("a number")
        .to_owned()
}

fn field<'a>(row: &'a Value, name: &str) -> &'a str {
    row[name].as_str().unwrap_or_default()
}

/// Checks the board's `row` shows `expected`'s figures as GetStatistics
/// gave them: a rate only where the unit has cases and something was
/// judged, "无案件 no cases" where it has none.
fn assert_sla_row(row: &Value, expected: &pb::Statistics) {
    let key = &expected.key;
    let count = |name: &str| field(row, name).parse::<u32>().unwrap_or(u32::MAX);
    assert_eq!(
        (
            count("received"),
            count("returns"),
            count("transfers"),
            count("extensions"),
            count("escalations"),
        ),
        (
            expected.received,
            expected.returns,
            expected.transfers,
            expected.extensions,
            expected.escalations,
        ),
        "unit {key:?}"
    );
    assert_eq!(field(row, "has_cases"), expected.has_cases.to_string());
    let rates = [
        (
            "on_time_signing_rate",
            expected.on_time_signing_rate,
            expected.signing_judged,
        ),
        (
            "on_time_resolution_rate",
            expected.on_time_resolution_rate,
            expected.resolution_judged,
        ),
        (
            "actually_solved_rate",
            expected.actually_solved_rate,
            expected.resolved,
        ),
        (
            "satisfaction_rate",
            expected.satisfaction_rate,
            expected.ratings,
        ),
        ("return_rate", expected.return_rate, expected.legs),
        (
            "transfers_per_ticket",
            expected.transfers_per_ticket,
            expected.dispatched,
        ),
    ];
    for (name, value, judged) in rates {
        if expected.has_cases && judged > 0 {
            assert_eq!(
                field(row, name).parse::<f64>().ok(),
                Some(value),
                "unit {key:?} {name}"
            );
        } else {
            assert_eq!(field(row, name), "", "unit {key:?} {name}: no rate");
        }
    }
    if !expected.has_cases {
        assert_eq!(
            field(row, "signing_shown"),
            "无案件 no cases",
            "unit {key:?}"
        );
    }
}

#[sqlx::test(migrations = false)]
async fn edge_console_in_a_browser_maps_every_micro_grid_matches_the_statistics_approves_and_keeps_villages_apart(
    pool: PgPool,
) {
    if std::env::var(SKIP).is_ok_and(|v| v == "1") {
        eprintln!("the console's browser test is skipped: {SKIP}=1");
        return;
    }
    // The front end from the lock file, and the browser with a CJK font.
    let assets = std::env::temp_dir().join(format!("weigrid-console-{}", uuid::Uuid::now_v7()));
    console_script("assets", &[("WEIGRID_CONSOLE_ASSETS", &assets)]);
    let chromium = console_script("browser", &[]);
    let shots = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("the target directory")
        .join("console-screenshots");
    let _ = std::fs::remove_dir_all(&shots);

    // The whole of Langxia's grids (members, objects and people are not
    // the map's), dispatch routing by them, the edge in front.
    let mut town = langxia::generate();
    town.members.clear();
    town.objects.clear();
    town.care_people.clear();
    town.cameras.clear();
    let grids: BTreeMap<String, langxia::Grid> = town
        .grids
        .iter()
        .map(|g| (g.code.clone(), g.clone()))
        .collect();
    let micro: Vec<&langxia::Grid> = town
        .grids
        .iter()
        .filter(|g| g.level == langxia::Level::Micro)
        .collect();
    assert_eq!(micro.len(), 165, "Langxia has 165 micro-grids");
    platform::telemetry::init_for_tests();
    let points = TestPoints::spawn(pool).await;
    let loaded = town.clone();
    let dispatch =
        TestDispatch::spawn_beside_town(&points.config.service.nats.prefix, async move |client| {
            weigrid_cli::load::load(&client, &loaded)
                .await
                .expect("Langxia's grids load");
        })
        .await;
    let edge = TestEdge::serve(
        points,
        dispatch,
        &[("CONSOLE__ASSETS_DIR", assets.display().to_string())],
    )
    .await;

    // Tickets in two villages, each in a micro-grid of its own (two close
    // by would be one report twice): one resolved, one returned to the
    // desk, one with an extension request waiting for the desk, one open.
    let village_of = |g: &langxia::Grid| {
        let area = &grids[g.parent_code.as_deref().expect("a micro-grid's area")];
        area.parent_code.clone().expect("an area's village")
    };
    let mut by_village: BTreeMap<String, Vec<&langxia::Grid>> = BTreeMap::new();
    for g in &micro {
        by_village.entry(village_of(g)).or_default().push(g);
    }
    let mut villages = by_village.iter().filter(|(_, m)| m.len() >= 2);
    let (village_a, micro_a) = villages.next().expect("a village of two micro-grids");
    let (village_b, micro_b) = villages.next().expect("another");
    let desk = edge.dispatch.at_desk().await;
    let mut created = Vec::new();
    for (i, g) in [micro_a[0], micro_a[1], micro_b[0], micro_b[1]]
        .into_iter()
        .enumerate()
    {
        let ticket = desk.create_ticket(patrol(&format!("console-{i}"), g)).await;
        assert_eq!(
            ticket.micro_grid_code, g.code,
            "routed to the micro-grid it lies in"
        );
        created.push(ticket);
    }
    // The same hazard reported again at the last one's place: a repeat
    // report at one place (重复投诉), linked to the ticket it repeats.
    let repeat = desk
        .create_ticket(patrol("console-repeat", micro_b[1]))
        .await;
    assert_eq!(repeat.duplicate_of, created[3].id, "the repeat is linked");
    let a0 = edge
        .dispatch
        .actor(Role::MicroGridLeader, Some(&micro_a[0].code))
        .await;
    a0.accept(&created[0]).await;
    a0.resolve(&created[0], "已清理").await;
    let a1 = edge
        .dispatch
        .actor(Role::MicroGridLeader, Some(&micro_a[1].code))
        .await;
    a1.move_(pb::ReturnTicketRequest {
        note: "需城管执法处置".into(),
        reason: pb::ReturnReason::BeyondOurMeans.into(),
        ..on(&created[1])
    })
    .await;
    let extension = edge
        .dispatch
        .actor(Role::MicroGridLeader, Some(&micro_b[0].code))
        .await
        .request_extension(pb::RequestExtensionRequest {
            ticket_id: created[2].id.clone(),
            days: 3,
            reason: "等待环卫车辆".into(),
            ..Default::default()
        })
        .await;
    let due_before = desk.ticket(&created[2].id).await.due_at;

    // What the SLA board must show: GetStatistics by unit for its period.
    let day = (start_time() + TimeDelta::hours(8)).date_naive();
    let (from, to) = (
        (day - TimeDelta::days(1)).to_string(),
        (day + TimeDelta::days(30)).to_string(),
    );
    // The town's board names every department, with a case or without.
    let departments: Vec<String> = town.departments.iter().map(|d| d.code.clone()).collect();
    let stats = desk
        .statistics(pb::GetStatisticsRequest {
            from: Some(midnight(&from)),
            to: Some(midnight(&to)),
            group_by: pb::get_statistics_request::GroupBy::Unit.into(),
            keys: departments.clone(),
        })
        .await;

    // A camera in the middle of a micro-grid of the first village (the map's
    // camera layer), and a villager's footage application of it waiting
    // for the review.
    let (lng, lat) = langxia::Geometry::Polygon(micro_a[0].boundary.clone()).representative_point();
    let mut camera = video_ingest::testing::camera_request(CAMERA, CHANNEL);
    camera.channels[0].location = Some(proto::video::v1::LatLng { lat, lng });
    edge.video.put_device(camera).await;
    let disclosure = footage_application(&edge).await;

    let script = repo().join("services/edge/console/tests/browser.mjs");
    let run = tokio::process::Command::new("node")
        .arg(&script)
        .env("CONSOLE_URL", edge.url("/console/"))
        .env("CHROMIUM", &chromium)
        .env("SHOTS", &shots)
        .env("PERIOD_FROM", &from)
        .env("PERIOD_TO", &to)
        .env("EXTENSION_ID", &extension)
        .env("VILLAGE", village_a)
        .env("OTHER_TICKET", &created[2].number)
        .env("RETURNED_TICKET", &created[1].number)
        .env("DISCLOSURE", &disclosure)
        .env("LEADER_SCOPE", &micro_b[1].code)
        .env("MOVE_TICKET", &created[3].number)
        .env("YEAR", day.format("%Y").to_string())
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(Duration::from_secs(240), run)
        .await
        .expect("the browser run ends within 4 minutes")
        .expect("node runs");
    println!("console screenshots: {}", shots.display());
    assert!(
        out.status.success(),
        "the browser run failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let seen: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|err| {
        panic!(
            "the browser run prints JSON ({err}):\n{}",
            String::from_utf8_lossy(&out.stdout)
        )
    });

    // Signed in through the development sign-in, in Chinese.
    assert!(
        field(&seen, "sign_in_title").contains("工作人员登录"),
        "{seen}"
    );
    assert_eq!(
        seen["console_errors"],
        serde_json::json!([]),
        "no script errors"
    );

    // The map holds every micro-grid, coloured by the open tickets in each.
    assert_eq!(seen["map"]["series_data"], 165, "{}", seen["map"]);
    assert_eq!(seen["map"]["registered_features"], 165);
    let mut open: BTreeMap<String, u64> = BTreeMap::new();
    for ticket in created[1..].iter().chain([&repeat]) {
        *open.entry(ticket.micro_grid_code.clone()).or_default() += 1;
    }
    let shown: BTreeMap<String, u64> = seen["map"]["open"]
        .as_object()
        .expect("open tickets by micro-grid")
        .iter()
        .map(|(code, n)| (code.clone(), n.as_u64().unwrap_or_default()))
        .collect();
    assert_eq!(shown, open, "the resolved ticket is not open");

    // Every figure of the SLA board is GetStatistics' own; a unit with no
    // case says so and shows no rate.
    let rows = seen["sla"].as_array().expect("the board's rows");
    assert_eq!(
        rows.len(),
        stats.groups.len() + 1,
        "each unit and the total"
    );
    let total = stats.total.clone().expect("a total");
    for expected in stats.groups.iter().chain(std::iter::once(&total)) {
        let row = rows
            .iter()
            .find(|r| field(r, "key") == expected.key)
            .unwrap_or_else(|| panic!("the board shows unit {:?}: {rows:?}", expected.key));
        assert_sla_row(row, expected);
    }
    let no_cases: Vec<&str> = stats
        .groups
        .iter()
        .filter(|g| !g.has_cases)
        .map(|g| g.key.as_str())
        .collect();
    assert!(
        departments
            .iter()
            .all(|d| stats.groups.iter().any(|g| &g.key == d)),
        "every department asked for is on the board"
    );
    assert!(!no_cases.is_empty(), "departments without a case are shown");
    assert_eq!(total.received, 5);
    assert_eq!(total.returns, 1, "the return counts against the unit");
    let returned_by = stats
        .groups
        .iter()
        .find(|g| g.key == micro_a[1].code)
        .expect("the returning unit");
    assert_eq!(
        (returned_by.returns, returned_by.return_rate),
        (1, 1.0),
        "its one leg handed back"
    );
    let board = &seen["sla_board"];
    let headers: Vec<&str> = board["headers"]
        .as_array()
        .expect("the board's headers")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        headers.contains(&"按时签收率 On-time signing") && headers.contains(&"退单率 Return rate"),
        "labels in Chinese with English: {headers:?}"
    );
    let places: Vec<Vec<String>> = stats
        .repeat_places
        .iter()
        .map(|p| p.ticket_numbers.clone())
        .collect();
    assert_eq!(
        places,
        [vec![created[3].number.clone(), repeat.number.clone()]],
        "the repeat report's place"
    );
    assert_eq!(
        serde_json::to_value(&places).unwrap(),
        board["repeat_places"],
        "the board's repeat places are dispatch's"
    );
    let rising: Vec<(u32, u32)> = stats
        .rising_categories
        .iter()
        .map(|c| (c.this_period, c.previous_period))
        .collect();
    let shown: Vec<(u64, u64)> = board["rising"]
        .as_array()
        .expect("the rising categories' chart")
        .iter()
        .map(|c| (c[1].as_u64().unwrap_or(0), c[2].as_u64().unwrap_or(0)))
        .collect();
    assert!(!rising.is_empty(), "the period before held nothing");
    assert_eq!(
        shown,
        rising
            .iter()
            .map(|(a, b)| (u64::from(*a), u64::from(*b)))
            .collect::<Vec<_>>()
    );

    // The desk queue holds the returned ticket.
    let desk_queue: BTreeSet<&str> = seen["desk"]
        .as_array()
        .expect("the desk queue")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        desk_queue.contains(created[1].number.as_str()),
        "{desk_queue:?}"
    );

    // The extension approved in the browser reached dispatch.
    assert_eq!(seen["pending_before"], serde_json::json!([extension]));
    assert_eq!(seen["pending_after"], serde_json::json!([]));
    let decided = desk.list_extensions(&created[2].id).await;
    assert_eq!(
        decided.iter().map(|e| e.state.as_str()).collect::<Vec<_>>(),
        ["GRANTED"]
    );
    let due_after = desk.ticket(&created[2].id).await.due_at;
    assert!(
        due_after.as_ref().map(|t| t.seconds) > due_before.as_ref().map(|t| t.seconds),
        "the granted days moved the deadline: {due_before:?} → {due_after:?}"
    );
    assert_eq!(seen["ticket_page"]["number"], created[2].number.as_str());
    // The returned ticket waited in the desk queue and went out again from
    // its page.
    assert!(
        seen["desk_queue"]
            .as_array()
            .is_some_and(|q| q.iter().any(|n| n == created[1].number.as_str())),
        "{}",
        seen["desk_queue"]
    );
    assert_eq!(seen["redispatched"], "dispatched");
    let redispatched = desk.ticket(&created[1].id).await;
    assert_eq!(redispatched.state(), pb::TicketState::Dispatched);
    assert_eq!(
        seen["ticket_page"]["extension_states"],
        serde_json::json!(["granted"])
    );
    assert!(
        seen["ticket_page"]["legs"].as_u64() >= Some(1),
        "{}",
        seen["ticket_page"]
    );
    assert_eq!(seen["english_nav"], "Overview map");

    // A village's workstation sees its village's tickets and no other's.
    let village = &seen["village"];
    let theirs: BTreeSet<String> = created
        .iter()
        .filter(|t| &t.village_code == village_a)
        .map(|t| t.number.clone())
        .collect();
    let shown: BTreeSet<String> = village["tickets"]
        .as_array()
        .expect("the village's tickets")
        .iter()
        .filter_map(|n| n.as_str().map(str::to_owned))
        .collect();
    assert_eq!(shown, theirs, "{village}");
    assert_eq!(village["villages"], serde_json::json!([village_a]));
    assert!(created[2].village_code == *village_b);
    assert_eq!(
        village["other_ticket_status"], 404,
        "another village's ticket is not found"
    );
    assert_eq!(village["approvals_status"], 403, "approvals are the desk's");
    let nav: Vec<&str> = village["nav"]
        .as_array()
        .expect("the village's pages")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(nav, ["map", "sla", "tickets", "annual"]);
    assert!(
        !field(village, "other_ticket_page").contains(&created[2].title),
        "nothing of the other village's ticket shows"
    );
    assert_eq!(seen["signed_out_status"], 401);

    // The map's layers: the camera put above, where it is.
    assert_eq!(seen["flows"]["map_cameras"], 1, "{}", seen["flows"]);
    let at: Vec<f64> = seen["flows"]["map_camera_at"]
        .as_array()
        .expect("the camera's place")
        .iter()
        .filter_map(Value::as_f64)
        .collect();
    assert!(
        at.len() == 2 && (at[0] - lng).abs() < 1e-6 && (at[1] - lat).abs() < 1e-6,
        "the camera where it was put: {at:?} vs ({lng}, {lat})"
    );
    // The annual report's total is GetStatistics' for the year.
    let year = day.format("%Y").to_string();
    let annual = desk
        .statistics(pb::GetStatisticsRequest {
            from: Some(midnight(&format!("{year}-01-01"))),
            to: Some(midnight(&format!("{}-01-01", day.year() + 1))),
            group_by: pb::get_statistics_request::GroupBy::Channel.into(),
            keys: Vec::new(),
        })
        .await;
    assert_eq!(
        seen["flows"]["annual_received"],
        annual.total.expect("a total").received,
        "{}",
        seen["flows"]
    );
    assert!(seen["flows"]["annual_months"].as_u64() >= Some(1));
    // The footage application approved in the browser, as video ingest has it.
    assert_eq!(
        seen["flows"]["disclosures_before"],
        serde_json::json!([disclosure])
    );
    assert_eq!(
        seen["flows"]["applicant_masked"], "王*明 138****5678",
        "{}",
        seen["flows"]
    );
    assert_eq!(
        seen["flows"]["applicant_revealed"],
        "王小明 310116199001011234 13812345678"
    );
    let reads: Vec<String> = edge
        .video
        .custody_log()
        .await
        .into_iter()
        .filter(|e| e.action == "IDENTITY_READ")
        .map(|e| e.actor_role)
        .collect();
    assert_eq!(reads, ["town_operator"], "the one read on the access log");
    let reviewed = edge
        .video
        .town()
        .get_application(proto::video::v1::GetApplicationRequest {
            application: disclosure.clone(),
            for_review: false,
        })
        .await
        .expect("the application")
        .into_inner()
        .application
        .expect("an application");
    assert_eq!(
        (reviewed.state(), reviewed.decision()),
        (
            proto::video::v1::ApplicationState::Approved,
            proto::video::v1::Decision::Viewing
        )
    );
    // A ticket signed for from its page in the browser reached dispatch.
    assert_eq!(
        desk.ticket(&created[3].id).await.state(),
        pb::TicketState::Accepted,
        "{}",
        seen["flows"]
    );

    // The screenshots are there to look at.
    let taken = seen["screenshots"].as_array().expect("screenshots");
    assert_eq!(taken.len(), 17);
    for path in taken.iter().filter_map(Value::as_str) {
        let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
        assert!(size > 10_000, "{path} holds a picture ({size} bytes)");
    }
    let _ = std::fs::remove_dir_all(&assets);
    edge.cleanup().await;
}
