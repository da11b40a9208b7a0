//! The units that hold tickets: a micro-grid, a workstation, a department,
//! the town centre's desk, the leader the responsibility book names for a
//! domain (see [`super::grid::Responsibility::leader`]).

use super::escalation::UnitKind;

/// A unit that can hold a ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitRef {
    pub kind: UnitKind,
    pub code: String,
    pub name: String,
}

impl UnitRef {
    /// Returns the unit `code` of `kind`, called `name`.
    pub fn new(kind: UnitKind, code: impl Into<String>, name: impl Into<String>) -> Self {
        Self {
            kind,
            code: code.into(),
            name: name.into(),
        }
    }
}

/// The town centre's single desk: the backstop for what nobody owns.
pub fn town_centre() -> UnitRef {
    UnitRef::new(UnitKind::TownCentre, "TOWN_CENTRE", "镇城运中心")
}
