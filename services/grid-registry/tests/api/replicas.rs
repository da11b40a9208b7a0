//! Two replicas over one database converge on a boundary change.

use std::time::Duration;

use platform::testing::{eventually, unique_prefix};
use proto::registry::v1 as pb;
use sqlx::PgPool;

use crate::helpers::*;

#[sqlx::test(migrations = false)]
async fn a_boundary_change_on_one_replica_reaches_the_other(pool: PgPool) {
    let prefix = unique_prefix();
    let first = TestApp::spawn_with(pool.clone(), test_config(&prefix, &[])).await;
    let mut writer = first.operator().await;
    small_town(&mut writer).await;
    let second = TestApp::spawn_with(pool.clone(), test_config(&prefix, &[])).await;
    let mut reader = second.operator().await;
    // 30.06 N lies in V1-A1-M02 until the boundary moves north to 30.07.
    let before = reader
        .resolve_location(at(30.06, 121.02))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(before.micro_grid.unwrap().code, "V1-A1-M02");

    writer
        .update_grid(pb::UpdateGridRequest {
            code: "V1-A1-M02".into(),
            boundary: Some(rect(121.0, 30.07, 121.05, 30.1)),
            ..Default::default()
        })
        .await
        .unwrap();
    writer
        .update_grid(pb::UpdateGridRequest {
            code: "V1-A1-M01".into(),
            boundary: Some(rect(121.0, 30.0, 121.05, 30.07)),
            ..Default::default()
        })
        .await
        .unwrap();

    let mut reader_probe = reader.clone();
    eventually(
        Duration::from_secs(10),
        "the second replica to see the new boundary",
        || {
            let mut client = reader_probe.clone();
            async move {
                let resolved = client
                    .resolve_location(at(30.06, 121.02))
                    .await
                    .ok()?
                    .into_inner();
                (resolved.micro_grid?.code == "V1-A1-M01").then_some(())
            }
        },
    )
    .await;
    let after = reader_probe
        .resolve_location(at(30.08, 121.02))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(after.micro_grid.unwrap().code, "V1-A1-M02");
}
