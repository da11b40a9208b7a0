//! A registry served on a free port over the test's own database (from
//! `#[sqlx::test]`) and its own NATS subject prefix, with clients for any
//! role and a small town to work in.

use std::time::Duration;

use futures::StreamExt as _;
use platform::events::Bus;
use proto::registry::v1 as pb;
use sqlx::PgPool;

pub use grid_registry::testing::{Client, TestApp, start_time, test_config, token};

/// Returns the number of rows in `table`.
pub async fn count_rows(pool: &PgPool, table: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT count(*) FROM {table}")))
        .fetch_one(pool)
        .await
        .unwrap()
}

/// Returns every event id in the app's stream, by subject.
pub async fn stream_events(nats: &platform::config::NatsConfig) -> Vec<(String, String)> {
    let bus = Bus::connect(nats).await.unwrap();
    let stream = bus
        .ensure_stream(&grid_registry::events::STREAM)
        .await
        .unwrap();
    let count = stream.get_info().await.unwrap().state.messages as usize;
    if count == 0 {
        return Vec::new();
    }
    let consumer = stream
        .create_consumer(async_nats::jetstream::consumer::pull::OrderedConfig {
            deliver_policy: async_nats::jetstream::consumer::DeliverPolicy::All,
            ..Default::default()
        })
        .await
        .unwrap();
    let mut messages = consumer.messages().await.unwrap();
    let mut seen = Vec::new();
    while seen.len() < count {
        let message = tokio::time::timeout(Duration::from_secs(5), messages.next())
            .await
            .expect("stream delivers its messages")
            .unwrap()
            .unwrap();
        let id = message
            .headers
            .as_ref()
            .and_then(|h| h.get("Nats-Msg-Id"))
            .map(|v| v.to_string())
            .unwrap_or_default();
        seen.push((bus.strip_prefix(message.subject.as_str()).to_owned(), id));
    }
    seen
}

/// A rectangle as a proto polygon.
pub fn rect(x0: f64, y0: f64, x1: f64, y1: f64) -> pb::Polygon {
    let ring = [(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)];
    pb::Polygon {
        exterior: Some(pb::Ring {
            points: ring
                .iter()
                .map(|&(lng, lat)| pb::LatLng { lat, lng })
                .collect(),
        }),
        holes: Vec::new(),
    }
}

pub fn grid_request(
    code: &str,
    level: pb::GridLevel,
    parent: &str,
    boundary: pb::Polygon,
) -> pb::CreateGridRequest {
    let micro = level == pb::GridLevel::Micro;
    pb::CreateGridRequest {
        idempotency_key: String::new(),
        code: code.into(),
        name: format!("{code} name"),
        level: level.into(),
        parent_code: parent.into(),
        boundary: Some(boundary),
        households: if micro { 30 } else { 0 },
        party_group: if micro {
            format!("{code} 党小组")
        } else {
            String::new()
        },
    }
}

/// Creates a small town: LX (121.00–121.10 E, 30.00–30.10 N) with two
/// villages V1 (west) and V2 (east), one area point each, and two
/// micro-grids per area split at 30.05 N:
/// V1-A1-M01 (south-west), V1-A1-M02 (north-west), V2-A1-M01, V2-A1-M02.
pub async fn small_town(client: &mut Client) {
    use pb::GridLevel::*;
    let grids = [
        grid_request("LX", Town, "", rect(121.0, 30.0, 121.1, 30.1)),
        grid_request("V1", Village, "LX", rect(121.0, 30.0, 121.05, 30.1)),
        grid_request("V2", Village, "LX", rect(121.05, 30.0, 121.1, 30.1)),
        grid_request("V1-A1", Area, "V1", rect(121.0, 30.0, 121.05, 30.1)),
        grid_request("V2-A1", Area, "V2", rect(121.05, 30.0, 121.1, 30.1)),
        grid_request(
            "V1-A1-M01",
            Micro,
            "V1-A1",
            rect(121.0, 30.0, 121.05, 30.05),
        ),
        grid_request(
            "V1-A1-M02",
            Micro,
            "V1-A1",
            rect(121.0, 30.05, 121.05, 30.1),
        ),
        grid_request(
            "V2-A1-M01",
            Micro,
            "V2-A1",
            rect(121.05, 30.0, 121.1, 30.05),
        ),
        grid_request(
            "V2-A1-M02",
            Micro,
            "V2-A1",
            rect(121.05, 30.05, 121.1, 30.1),
        ),
    ];
    for request in grids {
        client
            .create_grid(request)
            .await
            .expect("the small town is valid");
    }
}

/// Returns the fields named by an INVALID_ARGUMENT status.
pub fn violated_fields(status: &tonic::Status) -> Vec<String> {
    assert_eq!(status.code(), tonic::Code::InvalidArgument, "{status:?}");
    platform::error::field_violations(status)
        .into_iter()
        .map(|v| v.field)
        .collect()
}

pub fn at(lat: f64, lng: f64) -> pb::ResolveLocationRequest {
    pb::ResolveLocationRequest {
        location: Some(pb::LatLng { lat, lng }),
    }
}
