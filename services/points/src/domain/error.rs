//! What the points rules refuse. The application maps each to a gRPC code
//! (`impl From<DomainError> for AppError` in `application/mod.rs`); the
//! messages are what callers see.

use super::catalog::OrderState;
use super::ids::ResidentId;
use super::ledger::LedgerError;

/// A rule of the points domain, broken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    /// A deactivated resident makes no new reports or orders.
    #[error("resident {0} is deactivated")]
    Deactivated(ResidentId),
    /// A resident joins a household of their own village only (a field
    /// rule of `household_id`).
    #[error("is a household of {household_village}, not of {village}")]
    HouseholdElsewhere {
        household_village: String,
        village: String,
    },
    /// The item is not offered in the resident's village.
    #[error("{item} is not offered in {village}")]
    NotOffered { item: String, village: String },
    /// Fewer are left than the order asks for.
    #[error("{item} is out of stock: fewer than {quantity} left")]
    OutOfStock { item: String, quantity: u32 },
    /// Only a reserved order is handed over or cancelled.
    #[error("order is {}; only a reserved order is {action}", .state.as_str().to_lowercase())]
    OrderClosed {
        state: OrderState,
        action: &'static str,
    },
    /// The pickup code shown is not the order's (a field rule of
    /// `pickup_code`).
    #[error("does not match the order's pickup code")]
    WrongPickupCode,
    /// The ledger refused the posting.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    /// An adjustment's key names an entry of another account or amount
    /// (the key's idempotency row was purged; the entry stays).
    #[error("idempotency key {0:?} was already used for another adjustment")]
    AdjustmentKeyReused(String),
}
