//! The category taxonomy: data, edited in the `categories` table.

use super::grid::Duty;

/// A ticket category.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Category {
    pub code: String,
    pub name: String,
    /// The safety domain whose responsibility chain handles it.
    pub domain_code: String,
    /// The duties in that chain whose units handle it, in the order the
    /// desk picks from (a neighbour dispute: the co-managing mediators,
    /// then the village; never the police that passed the 110 call on).
    pub handled_by: Vec<Duty>,
    /// The street-level time limit, in working days.
    pub working_days: u32,
    /// Whether its tickets always go to the desk.
    pub difficult: bool,
    /// Whether new tickets may still use it.
    pub active: bool,
}
