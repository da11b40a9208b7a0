//! The use cases: one function per use case, inside the platform's unit of
//! work (`platform::uow`) when it changes anything. Calls to the grid
//! registry are made before the work opens.
//!
//! - [`cameras`]: PutDevice and the camera registry's queries.
//! - [`gateway`]: what the GB/T 28181 gateway does for a device:
//!   registration, keepalive, catalogue packets, alarms.
//! - [`health`]: devices past their deadline, catalogue syncs that timed
//!   out, spent nonces.
//! - [`analytics`]: StreamAnalyticEvents, straight to JetStream, within
//!   the ingest capacity [`admission`] holds.
//! - [`incidents`]: events and alarms grouped into incidents, and the
//!   tickets the rules ask for.
//! - [`evidence`]: clips, holds, reads, the retention purge and the
//!   custody log; [`audit`]: their verification, online and offline.
//! - [`disclosure`]: applications to see footage, their review, copies
//!   and viewings.
//! - [`access`]: who may do what.

pub mod access;
pub mod admission;
pub mod analytics;
pub mod audit;
pub mod cameras;
pub mod disclosure;
pub mod evidence;
pub mod gateway;
pub mod health;
pub mod incidents;

use std::sync::Arc;

use chrono::FixedOffset;
use platform::error::AppError;
use platform::events::Bus;
use platform::uow::Units;

use crate::domain::DomainError;
use crate::domain::camera::{LatLng, Placement};
use crate::domain::registration::SipRules;
use crate::registry::Registry;

/// What every use case works with.
#[derive(Clone)]
pub struct Context {
    pub units: Units,
    pub registry: Registry,
    pub rules: Arc<SipRules>,
    /// The town's offset from UTC: GB/T 28181 times are local.
    pub offset: FixedOffset,
    /// Where analytic events are published, acknowledged.
    pub bus: Bus,
    pub analytics: analytics::Analytics,
    /// Where clip files are kept.
    pub store: crate::store::EvidenceStore,
    pub evidence: evidence::EvidenceRules,
}

impl From<DomainError> for AppError {
    fn from(err: DomainError) -> Self {
        match err {
            DomainError::Invalid(violations) => AppError::InvalidArgument(violations),
            DomainError::NotRegistered(_) => AppError::FailedPrecondition(err.to_string()),
        }
    }
}

/// Returns the placement of `at`, asked of the registry (before any unit
/// of work opens); `None` for an unknown position or one outside every
/// micro-grid.
///
/// # Errors
/// UNAVAILABLE when the registry cannot answer.
pub async fn place(
    ctx: &Context,
    at: Option<LatLng>,
    caller: Option<&str>,
) -> Result<Option<Placement>, AppError> {
    match at.filter(|l| l.is_known()) {
        None => Ok(None),
        Some(at) => ctx
            .registry
            .resolve(at, caller)
            .await
            .map_err(|err| AppError::Unavailable(format!("{err}; try again"))),
    }
}
