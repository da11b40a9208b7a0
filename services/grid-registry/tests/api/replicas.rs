//! Two replicas over one database converge on a boundary change.

use std::time::Duration;

use platform::testing::{eventually, unique_prefix};
use proto::registry::v1 as pb;
use sqlx::PgPool;

use crate::helpers::*;

/// Moves the boundary between V1-A1-M01 and V1-A1-M02 from 30.06 N to
/// 30.07 N, so that 30.06 N lies in V1-A1-M01.
async fn move_the_boundary_north(writer: &TestApp) {
    for (code, boundary) in [
        ("V1-A1-M02", rect(121.0, 30.07, 121.05, 30.1)),
        ("V1-A1-M01", rect(121.0, 30.0, 121.05, 30.07)),
    ] {
        writer
            .update_grid(pb::UpdateGridRequest {
                code: code.into(),
                boundary: Some(boundary),
                ..Default::default()
            })
            .await;
    }
}

#[sqlx::test(migrations = false)]
async fn a_boundary_change_on_one_replica_reaches_the_other(pool: PgPool) {
    let prefix = unique_prefix();
    let writer = TestApp::spawn_with(pool.clone(), test_config(&prefix, &[])).await;
    writer.small_town().await;
    let reader = TestApp::spawn_with(pool.clone(), test_config(&prefix, &[])).await;
    // 30.06 N lies in V1-A1-M02 until the boundary moves north to 30.07.
    let before = reader.resolve_location(at(30.06, 121.02)).await;
    assert_eq!(before.micro_grid.unwrap().code, "V1-A1-M02");

    move_the_boundary_north(&writer).await;

    let probe = &reader;
    eventually(
        Duration::from_secs(10),
        "the second replica to see the new boundary",
        || async move {
            let resolved = probe.try_resolve_location(at(30.06, 121.02)).await.ok()?;
            (resolved.micro_grid?.code == "V1-A1-M01").then_some(())
        },
    )
    .await;
    let after = reader.resolve_location(at(30.08, 121.02)).await;
    assert_eq!(after.micro_grid.unwrap().code, "V1-A1-M02");
}

/// Bytes no protobuf message reads: field 1 of wire type 7.
const UNDECODABLE: &[u8] = &[0x0f, 0xff, 0xff, 0xff];

#[sqlx::test(migrations = false)]
async fn an_unusable_grid_event_is_counted_and_the_index_reloads_from_the_database(pool: PgPool) {
    let metrics_port = platform::testing::free_port();
    let reader_prefix = unique_prefix();
    let reader = TestApp::spawn_with(
        pool.clone(),
        test_config(
            &reader_prefix,
            &[
                ("METRICS__ENABLED", "true".to_owned()),
                ("METRICS__LISTEN", format!("127.0.0.1:{metrics_port}")),
            ],
        ),
    )
    .await;
    // The writer publishes on a prefix of its own: its change reaches the
    // reader's database but none of its events reach the reader.
    let writer = TestApp::spawn_with(pool.clone(), test_config(&unique_prefix(), &[])).await;
    writer.small_town().await;
    move_the_boundary_north(&writer).await;

    let bus = platform::events::Bus::connect(reader.bus_config())
        .await
        .unwrap();
    let probe = &reader;
    let bus = &bus;
    eventually(
        Duration::from_secs(10),
        "the reader to reload its index after an undecodable grid event",
        || async move {
            bus.jetstream()
                .publish(
                    bus.subject(grid_registry::events::GRID_UPDATED),
                    UNDECODABLE.to_vec().into(),
                )
                .await
                .ok()?
                .await
                .ok()?;
            tokio::time::sleep(Duration::from_millis(200)).await;
            let resolved = probe.try_resolve_location(at(30.06, 121.02)).await.ok()?;
            (resolved.micro_grid?.code == "V1-A1-M01").then_some(())
        },
    )
    .await;
    let metrics = platform::testing::scrape_metrics(metrics_port).await;
    let counted = metrics
        .lines()
        .find(|l| {
            l.starts_with("weigrid_inbox_dead_letters_total")
                && l.contains(grid_registry::listener::INDEX_CONSUMER)
        })
        .and_then(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
        .unwrap_or(0);
    assert!(counted >= 1, "the unusable event is counted: {metrics}");
}
