//! The outbox: with NATS down writes succeed, and once it returns every
//! event is in the stream exactly once.

use std::time::Duration;

use platform::testing::{PrivateNats, eventually, unique_prefix};
use proto::registry::v1 as pb;
use sqlx::PgPool;

use crate::helpers::*;

#[sqlx::test(migrations = false)]
async fn every_change_publishes_its_event_once(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    app.small_town().await;
    app.update_grid(pb::UpdateGridRequest {
        code: "V1".into(),
        name: Some("中华村".into()),
        ..Default::default()
    })
    .await;
    eventually(
        Duration::from_secs(10),
        "every event to be published",
        || async {
            (count_rows(&pool, "outbox WHERE published_at IS NULL").await == 0).then_some(())
        },
    )
    .await;
    let events = stream_events(app.bus_config()).await;
    assert_eq!(events.len(), 10);
    assert_eq!(
        events
            .iter()
            .filter(|(s, _)| s == "registry.grid.created")
            .count(),
        9
    );
    assert_eq!(events.last().unwrap().0, "registry.grid.updated");
    let ids: std::collections::HashSet<_> = events.iter().map(|(_, id)| id.clone()).collect();
    assert_eq!(ids.len(), 10, "each event id once");
}

#[sqlx::test(migrations = false)]
async fn with_nats_down_writes_succeed_and_their_events_go_out_once_when_it_returns(pool: PgPool) {
    let mut nats = PrivateNats::start().await;
    let prefix = unique_prefix();
    let config = test_config(&prefix, &[("NATS__URL", nats.url())]);
    let app = TestApp::spawn_with(pool.clone(), config.clone()).await;
    app.create_grid(grid_request(
        "LX",
        pb::GridLevel::Town,
        "",
        rect(121.0, 30.0, 121.1, 30.1),
    ))
    .await;
    eventually(
        Duration::from_secs(10),
        "the first event to be published",
        || async {
            (count_rows(&pool, "outbox WHERE published_at IS NULL").await == 0).then_some(())
        },
    )
    .await;

    nats.stop();
    for (code, x0, x1) in [
        ("V1", 121.0, 121.03),
        ("V2", 121.03, 121.06),
        ("V3", 121.06, 121.1),
    ] {
        app.try_create_grid(grid_request(
            code,
            pb::GridLevel::Village,
            "LX",
            rect(x0, 30.0, x1, 30.1),
        ))
        .await
        .expect("writes succeed while NATS is down");
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        count_rows(&pool, "outbox WHERE published_at IS NULL").await,
        3,
        "held back while NATS is down"
    );

    nats.resume().await;
    eventually(
        Duration::from_secs(30),
        "the held events to be published",
        || async {
            (count_rows(&pool, "outbox WHERE published_at IS NULL").await == 0).then_some(())
        },
    )
    .await;
    let events = stream_events(&config.service.nats).await;
    let subjects: Vec<_> = events.iter().map(|(s, _)| s.as_str()).collect();
    assert_eq!(subjects, ["registry.grid.created"; 4]);
    let ids: std::collections::HashSet<_> = events.iter().map(|(_, id)| id.clone()).collect();
    assert_eq!(ids.len(), 4, "each event exactly once");
}

#[sqlx::test(migrations = false)]
async fn the_trace_context_of_a_call_travels_with_its_event(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let channel = app.channel().await;
    let token = token(platform::auth::Role::TownOperator, None);
    let trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
    let mut client =
        proto::registry::v1::registry_service_client::RegistryServiceClient::with_interceptor(
            channel,
            move |mut request: tonic::Request<()>| {
                request
                    .metadata_mut()
                    .insert("authorization", format!("Bearer {token}").parse().unwrap());
                request.metadata_mut().insert(
                    "traceparent",
                    format!("00-{trace_id}-00f067aa0ba902b7-01")
                        .parse()
                        .unwrap(),
                );
                Ok(request)
            },
        );
    client
        .create_grid(grid_request(
            "LX",
            pb::GridLevel::Town,
            "",
            rect(121.0, 30.0, 121.1, 30.1),
        ))
        .await
        .unwrap();
    let traceparent: String = sqlx::query_scalar("SELECT headers->>'traceparent' FROM outbox")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(traceparent.contains(trace_id), "{traceparent}");
}
