//! The use cases: one function per use case, inside the platform's unit of
//! work (`platform::uow`) when it changes anything. Each takes the
//! [`Context`], the caller, the call's key and a typed command; a mutating
//! one also takes the answer encoder the api passes, whose answer the unit
//! of work stores for replays.
//!
//! - [`residents`]: registration, deactivation, households.
//! - [`reports`]: taking reports in, and following their tickets.
//! - [`ledger`]: posting (and settling what untrue reports owe), balances,
//!   statements, adjustments, leaderboards, expiry.
//! - [`catalog`]: the catalogue and orders; [`rules`]: award rules.
//! - [`access`]: who may act for whom; [`codes`]: printable random codes.

pub mod access;
pub mod catalog;
pub mod codes;
pub mod ledger;
pub mod reports;
pub mod residents;
pub mod rules;

use chrono::FixedOffset;
use platform::error::AppError;
use platform::uow::Units;

use crate::config::{Duplicates, Expiry, PointsConfig};
use crate::domain::DomainError;
use crate::domain::ledger::LedgerError;
use crate::domain::rules::Caps;

/// The configured rules.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    pub caps: Caps,
    pub duplicates: Duplicates,
    pub expiry: Expiry,
    /// The town's time zone: days, months and year ends.
    pub offset: FixedOffset,
}

impl Policy {
    /// Returns the rules `config` sets.
    pub fn of(config: &PointsConfig) -> Self {
        Self {
            caps: config.caps.caps(),
            duplicates: config.duplicates,
            expiry: config.expiry,
            offset: config.town.offset(),
        }
    }
}

/// What every use case works with: the units of work over the database,
/// and the rules.
#[derive(Clone)]
pub struct Context {
    pub units: Units,
    pub policy: Policy,
}

impl From<DomainError> for AppError {
    fn from(err: DomainError) -> Self {
        match err {
            DomainError::HouseholdElsewhere { .. } => {
                AppError::invalid("household_id", err.to_string())
            }
            DomainError::WrongPickupCode => AppError::invalid("pickup_code", err.to_string()),
            DomainError::Ledger(LedgerError::Zero) => AppError::invalid("amount", "must not be 0"),
            DomainError::Deactivated(_)
            | DomainError::NotOffered { .. }
            | DomainError::OutOfStock { .. }
            | DomainError::OrderClosed { .. }
            | DomainError::Ledger(LedgerError::Insufficient { .. })
            | DomainError::AdjustmentKeyReused(_) => AppError::FailedPrecondition(err.to_string()),
        }
    }
}
