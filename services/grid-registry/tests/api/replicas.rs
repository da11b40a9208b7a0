//! Two replicas over one database converge on a boundary change.

use std::time::Duration;

use platform::testing::{eventually, unique_prefix};
use proto::registry::v1 as pb;
use sqlx::PgPool;

use crate::helpers::*;

#[sqlx::test(migrations = false)]
async fn a_boundary_change_on_one_replica_reaches_the_other(pool: PgPool) {
    let prefix = unique_prefix();
    let writer = TestApp::spawn_with(pool.clone(), test_config(&prefix, &[])).await;
    writer.small_town().await;
    let reader = TestApp::spawn_with(pool.clone(), test_config(&prefix, &[])).await;
    // 30.06 N lies in V1-A1-M02 until the boundary moves north to 30.07.
    let before = reader.resolve_location(at(30.06, 121.02)).await;
    assert_eq!(before.micro_grid.unwrap().code, "V1-A1-M02");

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
