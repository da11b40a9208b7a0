//! The use cases: one function per use case, inside the platform's unit of
//! work (`platform::uow`) when it changes anything.
//!
//! - [`cases`]: the joint case from the local API: report, moves,
//!   mediation, queries.
//! - [`intake`]: an envelope arriving at the peer port: checked, logged,
//!   applied, answered.
//! - [`outbound`]: an envelope leaving: shaped by the sharing policy,
//!   signed, logged and queued.
//! - [`sending`]: the delivery queue's receipts and refusals;
//!   [`deadlines`]: warnings and failures.
//! - [`evidence`]: the message log, its verification, refusals, deliveries.
//! - [`checks`]: the joint information check, asked and answered;
//!   [`risks`]: the shared risk list; [`alerts`]: CAP alerts.
//! - [`access`]: who may act.

pub mod access;
pub mod alerts;
pub mod alliance;
pub mod cases;
pub mod checks;
pub mod deadlines;
pub mod evidence;
pub mod intake;
pub mod outbound;
pub mod risks;
pub mod sending;
pub mod tickets;

use std::collections::HashMap;
use std::sync::Arc;

use platform::error::AppError;
use platform::uow::Units;
use tokio::sync::Notify;

use crate::config::Rules;
use crate::domain::DomainError;
use crate::domain::delivery::Deadlines;
use crate::domain::node::NodeId;
use crate::pki::Identity;

/// The configured rules.
#[derive(Debug, Clone)]
pub struct Policy {
    pub max_skew: chrono::Duration,
    pub deadlines: Deadlines,
    pub failure_category: String,
    pub alert_ack_deadline: chrono::Duration,
}

impl Policy {
    /// Returns the rules `rules` sets.
    pub fn of(rules: &Rules) -> Self {
        Self {
            max_skew: chrono::Duration::from_std(rules.max_skew).unwrap_or(chrono::Duration::MAX),
            deadlines: rules.deadlines(),
            failure_category: rules.failure_category.clone(),
            alert_ack_deadline: chrono::Duration::from_std(rules.alert_ack_deadline)
                .unwrap_or(chrono::Duration::MAX),
        }
    }
}

/// What every use case works with.
#[derive(Clone)]
pub struct Context {
    pub units: Units,
    pub identity: Arc<Identity>,
    pub policy: Arc<Policy>,
    /// Wakes each peer's sender when something was queued for it.
    pub wakers: Arc<HashMap<NodeId, Arc<Notify>>>,
}

impl Context {
    /// Returns the context, with a waker per allow-listed peer.
    pub fn new(units: Units, identity: Identity, policy: Policy) -> Self {
        let wakers = identity
            .peers
            .iter()
            .map(|p| (p.node.clone(), Arc::new(Notify::new())))
            .collect();
        Self {
            units,
            identity: Arc::new(identity),
            policy: Arc::new(policy),
            wakers: Arc::new(wakers),
        }
    }

    /// Wakes the senders of `peers` after a commit that queued for them.
    pub fn wake(&self, peers: &[NodeId]) {
        for peer in peers {
            if let Some(waker) = self.wakers.get(peer) {
                waker.notify_one();
            }
        }
    }
}

impl From<DomainError> for AppError {
    fn from(err: DomainError) -> Self {
        match err {
            DomainError::AgreementWithoutText => {
                AppError::invalid("agreement_text", err.to_string())
            }
            DomainError::IllegalTransition { .. } | DomainError::VersionConflict { .. } => {
                AppError::FailedPrecondition(err.to_string())
            }
            DomainError::NotYourMove { .. } => AppError::PermissionDenied(err.to_string()),
        }
    }
}
