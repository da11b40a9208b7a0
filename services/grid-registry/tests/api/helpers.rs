//! A registry served on a free port over the test's own database (from
//! `#[sqlx::test]`) and its own NATS subject prefix, with clients for any
//! role and a small town to work in.

use std::time::Duration;

use futures::StreamExt as _;
use platform::events::Bus;
use proto::registry::v1 as pb;
use sqlx::PgPool;

pub use grid_registry::testing::{
    Registry, TestApp, grid_request, rect, start_time, test_config, token,
};

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
