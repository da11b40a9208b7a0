//! Keeps this replica's spatial index fresh: it follows the registry's own
//! grid events (written by any replica) and, as a safety net for a NATS
//! outage, reloads every grid from the database now and then.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use async_nats::jetstream::consumer::{DeliverPolicy, pull};
use futures::StreamExt as _;
use platform::events::Bus;
use platform::metrics::Metrics;
use prost::Message as _;
use proto::registry::v1 as pb;
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

use crate::convert;
use crate::domain::geometry;
use crate::domain::ids::GridId;
use crate::domain::index::{GridNode, Snapshot, SpatialIndex};
use crate::events::{GRID_CREATED, GRID_EVENTS, GRID_UPDATED, STREAM};
use crate::repository::grids;

/// Loads every grid from the database into a snapshot.
///
/// # Errors
/// The database fails or a stored boundary is malformed.
pub async fn load(pool: &PgPool) -> anyhow::Result<Snapshot> {
    let mut conn = pool.acquire().await?;
    let grids = grids::all(&mut conn).await.context("reading every grid")?;
    Ok(Snapshot::build(grids.iter().map(GridNode::from)))
}

/// The consumer name an unusable grid event is counted under in
/// `weigrid_inbox_dead_letters_total`.
pub const INDEX_CONSUMER: &str = "registry-index";

/// Follows grid events until `cancel` fires, re-subscribing after errors.
/// An event it cannot use (not a grid event it reads, or a grid it cannot
/// index) is logged with its stream sequence, counted under
/// [`INDEX_CONSUMER`] in `metrics`, and answered by reloading the index
/// from the database at once: the change it stood for is there, so the
/// index never waits for the periodic refresh to see it.
pub async fn follow(
    bus: Bus,
    pool: PgPool,
    index: Arc<SpatialIndex>,
    metrics: Option<Arc<Metrics>>,
    cancel: CancellationToken,
) {
    loop {
        match follow_once(&bus, &pool, &index, metrics.as_deref(), &cancel).await {
            Ok(()) => return,
            Err(err) => tracing::warn!(
                error = format!("{err:#}"),
                "following grid events failed; retrying"
            ),
        }
        tokio::select! {
            () = cancel.cancelled() => return,
            () = tokio::time::sleep(Duration::from_secs(1)) => {}
        }
    }
}

async fn follow_once(
    bus: &Bus,
    pool: &PgPool,
    index: &SpatialIndex,
    metrics: Option<&Metrics>,
    cancel: &CancellationToken,
) -> anyhow::Result<()> {
    let stream = bus.ensure_stream(&STREAM).await?;
    let consumer = stream
        .create_consumer(pull::OrderedConfig {
            filter_subject: bus.subject(GRID_EVENTS),
            deliver_policy: DeliverPolicy::New,
            ..Default::default()
        })
        .await
        .context("creating the grid-event consumer")?;
    let mut messages = consumer.messages().await.context("receiving grid events")?;
    // Subscribed first, then loaded: whatever changed before is in the
    // database, whatever changes after arrives as an event; versions make
    // seeing a change twice harmless.
    index.merge(load(pool).await?);
    loop {
        let message = tokio::select! {
            () = cancel.cancelled() => return Ok(()),
            next = messages.next() => next.context("grid-event stream ended")??,
        };
        let subject = bus.strip_prefix(message.subject.as_str());
        match grid_of(subject, message.payload.as_ref()) {
            Ok(node) => {
                tracing::debug!(grid_code = %node.code, version = node.version, "index updated from event");
                index.apply([node]);
            }
            Err(err) => {
                let sequence = message.info().map(|info| info.stream_sequence).ok();
                tracing::warn!(
                    subject,
                    sequence,
                    error = format!("{err:#}"),
                    "grid event not applied; reloading the index from the database"
                );
                if let Some(metrics) = metrics {
                    metrics
                        .inbox_dead_letters
                        .with_label_values(&[INDEX_CONSUMER])
                        .inc();
                }
                index.merge(load(pool).await?);
            }
        }
    }
}

/// Reads the grid a grid event carries.
fn grid_of(subject: &str, payload: &[u8]) -> anyhow::Result<GridNode> {
    let grid = match subject {
        GRID_CREATED => {
            pb::GridCreated::decode(payload)
                .context("undecodable GridCreated")?
                .grid
        }
        GRID_UPDATED => {
            pb::GridUpdated::decode(payload)
                .context("undecodable GridUpdated")?
                .grid
        }
        other => anyhow::bail!("no grid event is published on {other}"),
    };
    node_from_event(&grid.context("event without its grid")?)
}

/// Reloads every grid every `every`, until `cancel` fires.
pub async fn refresh_periodically(
    pool: PgPool,
    index: Arc<SpatialIndex>,
    every: Duration,
    cancel: CancellationToken,
) {
    loop {
        tokio::select! {
            () = cancel.cancelled() => return,
            () = tokio::time::sleep(every) => {}
        }
        match load(&pool).await {
            Ok(snapshot) => index.merge(snapshot),
            Err(err) => tracing::warn!(
                error = format!("{err:#}"),
                "reloading the spatial index failed"
            ),
        }
    }
}

fn node_from_event(grid: &pb::Grid) -> anyhow::Result<GridNode> {
    let boundary = geometry::polygon("boundary", &convert::rings(grid.boundary.as_ref()))
        .map_err(|v| anyhow::anyhow!("invalid boundary in event: {v:?}"))?;
    Ok(GridNode {
        id: GridId(grid.id.parse()?),
        code: grid.code.clone(),
        name: grid.name.clone(),
        level: convert::level_from(grid.level).context("event without a level")?,
        parent_id: if grid.parent_id.is_empty() {
            None
        } else {
            Some(GridId(grid.parent_id.parse()?))
        },
        boundary,
        version: grid.version,
    })
}
