//! Analytic events over StreamAnalyticEvents, acknowledged once JetStream
//! stored them and grouped into incidents; alarms as incidents; the ticket
//! rules asking dispatch for tickets.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use proto::dispatch::v1 as dispatch;
use proto::video::v1 as pb;
use sqlx::PgPool;
use tonic::Code;
use video_ingest::application::admission::{Admission, Capacity};
use video_ingest::application::analytics;
use video_ingest::convert;
use video_ingest::testing::*;

const CAMERA: &str = "31011611001320000001";
const CHANNEL: &str = "31011611001310000001";
const THERMAL: &str = "31011611001320000002";
const THERMAL_CHANNEL: &str = "31011611001310000002";

fn t0() -> DateTime<Utc> {
    fixtures::start_time()
}

fn event(
    kind: pb::IncidentKind,
    phase: pb::EventPhase,
    score: f64,
    minutes: i64,
) -> pb::AnalyticEvent {
    analytic_event(
        CHANNEL,
        kind,
        phase,
        score,
        t0() + TimeDelta::minutes(minutes),
    )
}

fn batch(number: u64, events: Vec<pb::AnalyticEvent>) -> pb::StreamAnalyticEventsRequest {
    pb::StreamAnalyticEventsRequest {
        batch: number,
        events,
    }
}

#[sqlx::test(migrations = false)]
async fn video_analytic_events_are_acknowledged_per_batch_and_grouped_into_incidents(pool: PgPool) {
    use pb::EventPhase::{End, Start, Update};
    use pb::IncidentKind::IllegalDumping;
    let test = TestVideo::spawn(pool).await;
    test.put_device(camera_request(CAMERA, CHANNEL)).await;
    let start = event(IllegalDumping, Start, 0.7, 0);
    let streamed = test
        .stream_events(vec![
            batch(
                1,
                vec![start.clone(), event(IllegalDumping, Update, 0.9, 1)],
            ),
            batch(
                2,
                vec![
                    event(IllegalDumping, End, 0.8, 2),
                    // Twenty minutes later: past the five-minute window.
                    event(IllegalDumping, Start, 0.95, 20),
                    // The first event, sent again.
                    start,
                ],
            ),
        ])
        .await;
    assert!(streamed.ended.is_none(), "{:?}", streamed.ended);
    let acks: Vec<_> = streamed
        .acks
        .iter()
        .map(|a| (a.batch, a.stored, a.duplicates))
        .collect();
    assert_eq!(acks, [(1, 2, 0), (2, 3, 1)]);

    let incidents = test.wait_incident_events(CHANNEL, 4).await;
    assert_eq!(incidents.len(), 2, "{incidents:?}");
    let mut sizes: Vec<u32> = incidents.iter().map(|i| i.events).collect();
    sizes.sort_unstable();
    assert_eq!(sizes, [1, 3]);
    let first = incidents.iter().find(|i| i.events == 3).unwrap();
    assert_eq!(first.kind(), IllegalDumping);
    assert_eq!(first.max_score, 0.9);
    assert_eq!(first.grid_code, "V1-A1-M01");
    let full = test.incident(&first.incident_id).await;
    let phases: Vec<_> = full.history.iter().map(|e| e.phase()).collect();
    assert_eq!(phases, [Start, Update, End]);
    assert_eq!(full.history[0].snapshot_sha256, "5e".repeat(32));
    assert_eq!(full.tickets.len(), 1);
    assert_eq!(
        (
            full.tickets[0].rule_code.as_str(),
            full.tickets[0].unit_kind.as_str()
        ),
        ("ILLEGAL_DUMPING", "MICRO_GRID")
    );

    // Each incident asked the micro-grid for one ticket, however many
    // events joined it.
    let requests = eventually_requests(&test, 2).await;
    for requested in &requests {
        let r = requested.request.as_ref().unwrap();
        assert_eq!(r.channel(), dispatch::Channel::VideoAlarm);
        assert_eq!(r.category_code, "ILLEGAL_DUMPING");
        assert_eq!(r.priority(), dispatch::Priority::Normal);
        assert!(r.location.is_some(), "the micro-grid's ticket is placed");
        assert!(r.description.contains("sha256:"), "{}", r.description);
        assert!(r.external_ref.starts_with("video-incident-"));
    }
    assert_eq!(
        test.count("SELECT count(*) FROM outbox WHERE subject = 'video.incident.opened'")
            .await,
        2
    );
    test.cleanup().await;
}

/// Waits for `n` ticket requests in the outbox.
async fn eventually_requests(test: &TestVideo, n: usize) -> Vec<dispatch::TicketRequested> {
    platform::testing::eventually(
        std::time::Duration::from_secs(30),
        "the ticket requests",
        || async {
            let found = test.ticket_requests().await;
            (found.len() == n).then_some(found)
        },
    )
    .await
}

#[sqlx::test(migrations = false)]
async fn video_a_bad_batch_ends_the_stream_naming_the_field(pool: PgPool) {
    use pb::EventPhase::Start;
    use pb::IncidentKind::StrawBurning;
    let test = TestVideo::spawn(pool).await;
    test.put_device(camera_request(CAMERA, CHANNEL)).await;
    let mut bad = event(StrawBurning, Start, 0.5, 1);
    bad.score = 1.5;
    let streamed = test
        .stream_events(vec![
            batch(1, vec![event(StrawBurning, Start, 0.5, 0)]),
            batch(2, vec![event(StrawBurning, Start, 0.5, 1), bad]),
            batch(3, vec![event(StrawBurning, Start, 0.5, 2)]),
        ])
        .await;
    assert_eq!(
        streamed.acks.len(),
        1,
        "only the first batch is acknowledged"
    );
    let status = streamed.ended.expect("the stream ends refused");
    assert_eq!(status.code(), Code::InvalidArgument);
    assert!(status.message().contains("events[1].score"), "{status:?}");

    let mut elsewhere = event(StrawBurning, Start, 0.5, 3);
    elsewhere.channel_id = "31011611001310000099".into();
    let streamed = test.stream_events(vec![batch(1, vec![elsewhere])]).await;
    let status = streamed.ended.expect("an unknown camera is refused");
    assert_eq!(status.code(), Code::InvalidArgument);
    assert!(
        status.message().contains("events[0].channel_id"),
        "{status:?}"
    );

    let streamed = test.stream_events(vec![batch(1, vec![])]).await;
    assert_eq!(streamed.ended.unwrap().code(), Code::InvalidArgument);
    let incidents = test.wait_incident_events(CHANNEL, 1).await;
    assert_eq!(incidents.len(), 1, "nothing of a refused batch was stored");
    test.cleanup().await;
}

#[sqlx::test(migrations = false)]
async fn video_a_batch_beyond_the_events_in_flight_is_resource_exhausted(pool: PgPool) {
    use pb::EventPhase::Start;
    use pb::IncidentKind::Intrusion;
    let test = TestVideo::spawn(pool).await;
    test.put_device(camera_request(CAMERA, CHANNEL)).await;
    let caller = platform::auth::Caller::service("edge-box-1", "token");
    let events = |n: i64| -> Vec<_> {
        (0..n)
            .map(|i| {
                convert::event_draft(event(Intrusion, Start, 0.5, i))
                    .check("events")
                    .unwrap()
            })
            .collect()
    };
    // Three events in flight at most: a batch of four finds no room.
    let ctx = test.context_with_permits(3).await;
    let err = analytics::stream_analytic_events(&ctx, &caller, events(4))
        .await
        .unwrap_err();
    assert!(err.retry_after.is_some(), "a wait is named");
    assert_eq!(
        tonic::Status::from(err.error).code(),
        Code::ResourceExhausted
    );
    // Held permits (another stream's events being stored) leave room for
    // one event only.
    let held = ctx
        .analytics
        .in_flight
        .clone()
        .try_acquire_many_owned(2)
        .unwrap();
    let err = analytics::stream_analytic_events(&ctx, &caller, events(2))
        .await
        .unwrap_err();
    assert_eq!(
        tonic::Status::from(err.error).code(),
        Code::ResourceExhausted
    );
    assert_eq!(
        test.incidents(CHANNEL).await.len(),
        0,
        "nothing refused is stored"
    );
    drop(held);
    let stored = analytics::stream_analytic_events(&ctx, &caller, events(3))
        .await
        .unwrap();
    assert_eq!((stored.stored, stored.duplicates), (3, 0));
    assert_eq!(
        ctx.analytics.in_flight.available_permits(),
        3,
        "permits return"
    );
    test.wait_incident_events(CHANNEL, 3).await;
    test.cleanup().await;
}

#[sqlx::test(migrations = false)]
async fn video_batches_beyond_the_ingest_capacity_are_refused_whole_with_the_time_to_wait(
    pool: PgPool,
) {
    use pb::EventPhase::Start;
    use pb::IncidentKind::Intrusion;
    let test = TestVideo::spawn(pool).await;
    test.put_device(camera_request(CAMERA, CHANNEL)).await;
    let events = |n: i64, from: i64| -> Vec<_> {
        (from..from + n)
            .map(|i| {
                convert::event_draft(event(Intrusion, Start, 0.5, i))
                    .check("events")
                    .unwrap()
            })
            .collect()
    };
    // 100 events a second for a sender, 150 for the service.
    let mut ctx = test.context_with_permits(1000).await;
    ctx.analytics.admission = Admission::new(Capacity {
        overall_per_second: 150,
        per_sender_per_second: 100,
    });
    let sender = |name: &str| platform::auth::Caller::service(name, "token");
    let (first, second, third) = (
        sender("edge-box-1"),
        sender("edge-box-2"),
        sender("edge-box-3"),
    );
    let stored = analytics::stream_analytic_events(&ctx, &first, events(100, 0))
        .await
        .unwrap();
    assert_eq!(stored.stored, 100);
    // The first box is past its share; the second still gets in.
    let refused = analytics::stream_analytic_events(&ctx, &first, events(30, 100))
        .await
        .unwrap_err();
    let wait = refused.retry_after.expect("the wait is named");
    assert!(
        (Duration::from_millis(200)..=Duration::from_millis(400)).contains(&wait),
        "30 events at 100 a second: {wait:?}"
    );
    let status = tonic::Status::from(refused.error);
    assert_eq!(status.code(), Code::ResourceExhausted);
    assert!(
        status.message().contains("sender") && status.message().contains("send it again in"),
        "{status:?}"
    );
    let stored = analytics::stream_analytic_events(&ctx, &second, events(50, 200))
        .await
        .unwrap();
    assert_eq!(stored.stored, 50);
    // The service is at its capacity: a third box is refused too.
    let refused = analytics::stream_analytic_events(&ctx, &third, events(10, 300))
        .await
        .unwrap_err();
    assert!(refused.retry_after.is_some());
    let status = tonic::Status::from(refused.error);
    assert_eq!(status.code(), Code::ResourceExhausted);
    assert!(
        status.message().contains("the ingest capacity"),
        "{status:?}"
    );
    // Only what was acknowledged is stored.
    test.wait_incident_events(CHANNEL, 150).await;
    test.cleanup().await;
}

#[sqlx::test(migrations = false)]
async fn video_the_thermal_fire_alarm_asks_urgent_tickets_of_the_micro_grid_and_the_safety_office(
    pool: PgPool,
) {
    let test = TestVideo::spawn(pool).await;
    test.put_device(thermal_camera_request(THERMAL, THERMAL_CHANNEL))
        .await;
    let run = Sipp::new("alarm.xml", test.sip, THERMAL)
        .set("channel1", THERMAL_CHANNEL)
        .run()
        .await;
    assert!(run.success, "{}\n{}", run.errors, run.output);
    // The usable alarm made a fire incident; the one without AlarmTime
    // made none.
    let incidents = test.incidents(THERMAL_CHANNEL).await;
    assert_eq!(incidents.len(), 1, "{incidents:?}");
    assert_eq!(incidents[0].kind(), pb::IncidentKind::Fire);
    let full = test.incident(&incidents[0].incident_id).await;
    assert_eq!(full.history.len(), 1);
    assert!(
        !full.history[0].alarm_id.is_empty(),
        "the alarm is the evidence"
    );

    let requests = test.ticket_requests().await;
    assert_eq!(requests.len(), 2);
    let grid = requests[0].request.as_ref().unwrap();
    assert_eq!(grid.channel(), dispatch::Channel::VideoAlarm);
    assert_eq!(grid.priority(), dispatch::Priority::Urgent);
    assert_eq!(grid.category_code, "FIRE_ALARM");
    assert!(
        grid.location.is_some(),
        "to the micro-grid where the camera is"
    );
    assert!(grid.description.contains(&full.incident_id));
    assert!(
        grid.description
            .contains(&format!("alarm {}", full.history[0].alarm_id))
    );
    let safety = requests[1].request.as_ref().unwrap();
    assert_eq!(safety.channel(), dispatch::Channel::Department);
    assert_eq!(safety.priority(), dispatch::Priority::Urgent);
    assert!(
        safety.description.contains("安全办"),
        "{}",
        safety.description
    );
    assert_ne!(grid.external_ref, safety.external_ref);
    test.cleanup().await;
}

#[sqlx::test(migrations = false)]
async fn video_a_rule_needs_its_camera_and_its_score_and_asks_once(pool: PgPool) {
    use pb::EventPhase::{Start, Update};
    use pb::IncidentKind::{Fire, StrawBurning};
    let test = TestVideo::spawn(pool).await;
    test.put_device(camera_request(CAMERA, CHANNEL)).await;
    let streamed = test
        .stream_events(vec![
            // A fire seen by an ordinary camera: the rule is the thermal
            // camera's.
            batch(1, vec![event(Fire, Start, 0.99, 0)]),
            // Straw burning, too faint at first, then clear, then again.
            batch(2, vec![event(StrawBurning, Start, 0.3, 0)]),
        ])
        .await;
    assert!(streamed.ended.is_none());
    test.wait_incident_events(CHANNEL, 2).await;
    assert!(test.ticket_requests().await.is_empty());
    let streamed = test
        .stream_events(vec![batch(
            3,
            vec![
                event(StrawBurning, Update, 0.8, 1),
                event(StrawBurning, Update, 0.9, 2),
            ],
        )])
        .await;
    assert!(streamed.ended.is_none());
    test.wait_incident_events(CHANNEL, 4).await;
    let requests = test.ticket_requests().await;
    assert_eq!(requests.len(), 1, "one ticket for the incident");
    assert_eq!(
        requests[0].request.as_ref().unwrap().category_code,
        "STRAW_BURNING"
    );
    test.cleanup().await;
}

#[sqlx::test(migrations = false)]
async fn video_events_taken_in_together_join_their_incidents_as_one_at_a_time_would(pool: PgPool) {
    use pb::EventPhase::Update;
    use pb::IncidentKind::{IllegalDumping, StrawBurning};
    use video_ingest::application::incidents;
    use video_ingest::domain::gbid::GbId;
    use video_ingest::domain::incident::Sighting;
    let test = TestVideo::spawn(pool).await;
    test.put_device(camera_request(CAMERA, CHANNEL)).await;
    let ctx = test.context_with_permits(10).await;
    let camera = incidents::camera_of(&ctx, &GbId::parse(CHANNEL).unwrap())
        .await
        .unwrap()
        .expect("the camera");
    let sighting = |kind, score: f64, minutes: i64| {
        let checked = convert::event_draft(event(kind, Update, score, minutes))
            .check("event")
            .expect("a valid event");
        Sighting::from(&checked)
    };
    // Two runs of dumping a minute apart with twenty minutes between them
    // (past the five-minute window), the later run first, and straw
    // burning in between: one batch, as a flood delivers it.
    let mut seen: Vec<Sighting> = (70..100)
        .map(|m| sighting(IllegalDumping, 0.8, m))
        .collect();
    seen.extend(
        (0..30).map(|m: i32| sighting(IllegalDumping, 0.7 + f64::from(m) / 100.0, i64::from(m))),
    );
    seen.extend((0..5).map(|m| sighting(StrawBurning, 0.9, m)));
    // An event delivered twice in the batch.
    seen.push(seen[3].clone());
    let batch: Vec<_> = seen.iter().map(|s| (&camera, s)).collect();
    let mut work = ctx.units.begin_job::<()>().await.unwrap();
    incidents::take_sightings(&mut work, &ctx, &batch)
        .await
        .unwrap();
    work.commit(()).await.unwrap();
    // The same events again, as a redelivered batch: nothing changes.
    let mut work = ctx.units.begin_job::<()>().await.unwrap();
    incidents::take_sightings(&mut work, &ctx, &batch)
        .await
        .unwrap();
    work.commit(()).await.unwrap();

    let found = test.wait_incident_events(CHANNEL, 65).await;
    let mut sizes: Vec<(pb::IncidentKind, u32)> =
        found.iter().map(|i| (i.kind(), i.events)).collect();
    sizes.sort_unstable_by_key(|&(kind, events)| (kind as i32, events));
    let mut expected = vec![
        (IllegalDumping, 30),
        (IllegalDumping, 30),
        (StrawBurning, 5),
    ];
    expected.sort_unstable_by_key(|&(kind, events)| (kind as i32, events));
    assert_eq!(sizes, expected, "{found:?}");
    let early = found
        .iter()
        .find(|i| i.kind() == IllegalDumping && i.max_score > 0.9)
        .expect("the early run");
    assert!((early.max_score - 0.99).abs() < 1e-9, "{}", early.max_score);
    assert_eq!(
        test.count("SELECT count(*) FROM incident_events").await,
        65,
        "each event once"
    );
    // Each incident asked for its ticket once, however many events joined
    // it in the batch.
    for incident in &found {
        let full = test.incident(&incident.incident_id).await;
        assert_eq!(full.history.len() as u32, incident.events);
        assert_eq!(full.tickets.len(), 1, "{:?}", full.tickets);
    }
    assert_eq!(
        test.count("SELECT count(*) FROM outbox WHERE subject = 'video.incident.opened'")
            .await,
        3
    );
    test.cleanup().await;
}
