//! The evidence: the message log and its verification, the refusals, the
//! deliveries.

use platform::error::AppError;

use super::Context;
use crate::domain::delivery::{Delivery, DeliveryState};
use crate::domain::log::{LogEntry, Verdict, verify};
use crate::domain::node::NodeId;
use crate::repository::refusals::RefusalRecord;
use crate::repository::{deliveries, log, refusals};

/// How many entries one pass of the verification reads at a time.
const VERIFY_PAGE: u32 = 1000;

/// Returns log entries after `after`.
///
/// # Errors
/// The database failing.
pub async fn list_messages(
    ctx: &Context,
    after: u64,
    limit: u32,
) -> Result<Vec<LogEntry>, AppError> {
    let mut read = ctx.units.read().await?;
    Ok(log::page(&mut read, after, limit).await?)
}

/// Checks the whole log, in one snapshot.
///
/// # Errors
/// The database failing.
pub async fn verify_log(ctx: &Context) -> Result<Verdict, AppError> {
    let mut read = ctx.units.read_snapshot().await?;
    let mut entries = Vec::new();
    loop {
        let after = entries.last().map_or(0, |e: &LogEntry| e.seq);
        let page = log::page(&mut read, after, VERIFY_PAGE).await?;
        if page.is_empty() {
            break;
        }
        entries.extend(page);
    }
    Ok(verify(&entries))
}

/// Returns deliveries, newest first.
///
/// # Errors
/// The database failing.
pub async fn list_deliveries(
    ctx: &Context,
    peer: Option<NodeId>,
    states: &[DeliveryState],
    limit: u32,
) -> Result<Vec<Delivery>, AppError> {
    let mut read = ctx.units.read().await?;
    let peer = peer.map(|p| p.to_string());
    Ok(deliveries::list(&mut read, peer.as_deref(), states, limit).await?)
}

/// Returns the latest refusals.
///
/// # Errors
/// The database failing.
pub async fn list_refusals(ctx: &Context, limit: u32) -> Result<Vec<RefusalRecord>, AppError> {
    let mut read = ctx.units.read().await?;
    Ok(refusals::list(&mut read, limit).await?)
}
