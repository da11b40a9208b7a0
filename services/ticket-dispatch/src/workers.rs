//! Background work: firing deadline timers (warnings, breaches and
//! escalation up the registry's chain, asked before the timers' units of
//! work) and routing tickets that arrived while the registry could not be
//! reached, and putting in force an edit of the business calendar made
//! through another replica. Each due timer fires in a unit of work of its own
//! (`Units::begin_job`, database only) that claims it with `FOR UPDATE SKIP
//! LOCKED`, so with several replicas each timer fires once, and one that
//! fails is set aside (`ticket_timers.failed_at`, with the reason) without
//! holding back the others. The
//! router asks the registry with no transaction open, then routes each
//! ticket in a unit of work of its own, after locking it and checking it is
//! still unrouted, so each ticket is routed once. The grid map that places
//! locations without a call to the registry is kept fresh from the
//! registry's grid events ([`follow_grids`]).

use std::time::Duration;

use anyhow::Context as _;
use async_nats::jetstream::consumer::{DeliverPolicy, pull};
use futures::StreamExt as _;
use platform::error::AppError;
use platform::events::{Bus, StreamSpec};
use platform::uow::Units;
use tokio_util::sync::CancellationToken;

use crate::application::{Context, Rules, calendar, deadlines, routing};
use crate::domain::deadline::DeadlineRules;
use crate::registry::Registry;

/// Fires due timers every `every` until `cancel` fires.
pub async fn run_timers(
    units: Units,
    registry: Registry,
    rules: Rules,
    every: Duration,
    cancel: CancellationToken,
) {
    loop {
        match fire_due(&units, &registry, &rules.current()).await {
            Ok(0) => {}
            Ok(fired) => {
                tracing::debug!(fired, "deadline timers fired");
                // A full batch may leave more due: look again at once.
                continue;
            }
            Err(err) => tracing::warn!(error = %err, "firing deadline timers failed; retrying"),
        }
        tokio::select! {
            () = cancel.cancelled() => return,
            () = tokio::time::sleep(every) => {}
        }
    }
}

/// Fires the timers due now (by the units' clock), up to one pass's
/// worth, each in a unit of work of its own: a timer that fails (its
/// ticket cannot be read or moved) is set aside with the reason and the
/// others fire all the same. Returns how many fired.
///
/// # Errors
/// The database is away; the timers fired before are kept.
pub async fn fire_due(
    units: &Units,
    registry: &Registry,
    rules: &DeadlineRules,
) -> Result<usize, AppError> {
    let chains = deadlines::chains_due(units, registry, units.now()).await?;
    let mut fired = 0;
    for id in deadlines::due(units).await? {
        let mut work = units.begin_job().await?;
        match deadlines::fire(&mut work, rules, &chains, id).await {
            Ok(true) => {
                work.commit(()).await?;
                fired += 1;
            }
            Ok(false) => {}
            // Not the timer's fault: it fires on a later pass.
            Err(err @ (AppError::Unavailable(_) | AppError::Aborted(_))) => return Err(err),
            Err(err) => {
                drop(work);
                let reason = format!("{err:#}");
                tracing::error!(timer_id = %id, reason = %reason, "deadline timer failed; set aside");
                let mut work = units.begin_job().await?;
                deadlines::set_aside(&mut work, id, &reason).await?;
                work.commit(()).await?;
            }
        }
    }
    Ok(fired)
}

/// Routes unrouted tickets every `every` until `cancel` fires.
pub async fn run_router(ctx: Context, every: Duration, cancel: CancellationToken) {
    loop {
        match route_unrouted(&ctx).await {
            Ok(0) => {}
            Ok(routed) => tracing::info!(routed, "unrouted tickets routed"),
            Err(err) => tracing::debug!(error = %err, "routing waits for the registry"),
        }
        tokio::select! {
            () = cancel.cancelled() => return,
            () = tokio::time::sleep(every) => {}
        }
    }
}

/// Tries the registry for up to one batch of unrouted tickets; returns how
/// many were routed (see [`routing::route_unrouted`]).
///
/// # Errors
/// The registry is still unreachable (the tickets routed before are kept),
/// or the database fails.
pub async fn route_unrouted(ctx: &Context) -> Result<usize, AppError> {
    routing::route_unrouted(ctx).await
}

/// Puts in force, every `every` until `cancel` fires, an edit of the
/// calendar made through another replica (its deadlines were moved by the
/// edit itself).
pub async fn follow_calendar_edits(
    units: Units,
    rules: Rules,
    every: Duration,
    cancel: CancellationToken,
) {
    loop {
        tokio::select! {
            () = cancel.cancelled() => return,
            () = tokio::time::sleep(every) => {}
        }
        if let Err(err) = calendar::pick_up_edit(&units, &rules).await {
            tracing::warn!(error = %err, "reading the business calendar's version failed; retrying");
        }
    }
}

/// Keeps `registry`'s grid map while the grid events of `source` (the
/// registry's stream and subject root) can be followed, until `cancel`
/// fires: subscribed first, then loaded, so that every change after the
/// load arrives as an event; loaded again after each event and every
/// `refresh`. While the events cannot be followed (NATS away, the stream
/// not there) the map is forgotten and every location is asked of the
/// registry; following is tried again every second.
pub async fn follow_grids(
    bus: Bus,
    registry: Registry,
    source: (String, String),
    refresh: Duration,
    cancel: CancellationToken,
) {
    let mut failing = false;
    loop {
        let outcome = follow_grids_once(&bus, &registry, &source, refresh, &cancel).await;
        if registry.map().is_some() {
            // It was kept until now: a new failure, to be said again.
            failing = false;
        }
        registry.forget_map();
        match outcome {
            Ok(()) => return,
            // Said once, not every second of an outage.
            Err(err) if !failing => {
                tracing::warn!(
                    error = format!("{err:#}"),
                    "the grid map cannot be kept; locations are asked of the registry"
                );
                failing = true;
            }
            Err(err) => tracing::debug!(
                error = format!("{err:#}"),
                "the grid map still cannot be kept"
            ),
        }
        tokio::select! {
            () = cancel.cancelled() => return,
            () = tokio::time::sleep(Duration::from_secs(1)) => {}
        }
    }
}

async fn follow_grids_once(
    bus: &Bus,
    registry: &Registry,
    (stream, root): &(String, String),
    refresh: Duration,
    cancel: &CancellationToken,
) -> anyhow::Result<()> {
    let spec = StreamSpec {
        name: stream.clone().into(),
        subject_root: root.clone().into(),
    };
    let name = bus.stream_name(&spec);
    let consumer = bus
        .jetstream()
        .get_stream(&name)
        .await
        .with_context(|| format!("the registry's stream {name}"))?
        .create_consumer(pull::OrderedConfig {
            filter_subject: bus.subject(&format!("{root}.grid.>")),
            deliver_policy: DeliverPolicy::New,
            ..Default::default()
        })
        .await
        .context("creating the grid-event consumer")?;
    let mut events = consumer.messages().await.context("receiving grid events")?;
    let held = registry.load_map().await.context("loading the grid map")?;
    tracing::info!(
        micro_grids = held,
        "grid map loaded; locations are placed here"
    );
    // A change whose map could not be loaded: the map is forgotten until a
    // load succeeds (tried every second).
    let mut stale = false;
    let mut since_load = tokio::time::Instant::now();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    loop {
        tokio::select! {
            () = cancel.cancelled() => return Ok(()),
            next = events.next() => {
                next.context("the grid-event stream ended")?
                    .context("reading a grid event")?;
                if let Err(err) = registry.load_map().await {
                    registry.forget_map();
                    stale = true;
                    tracing::warn!(error = %err, "grid changed; until the map loads again, locations are asked of the registry");
                } else {
                    stale = false;
                }
                since_load = tokio::time::Instant::now();
            }
            _ = tick.tick() => {
                if !stale && since_load.elapsed() < refresh {
                    continue;
                }
                match registry.load_map().await {
                    Ok(_) => stale = false,
                    // The map kept stays: no event said it changed.
                    Err(err) if !stale => tracing::warn!(error = %err, "refreshing the grid map failed; keeping it"),
                    Err(err) => tracing::debug!(error = %err, "the grid map still cannot be loaded"),
                }
                since_load = tokio::time::Instant::now();
            }
        }
    }
}
