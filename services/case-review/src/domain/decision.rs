//! The leadership's decision on a review, and what dispatch does with it
//! on the ticket the review came from.

use chrono::{DateTime, Utc};

use super::ids::RecommendationId;

/// The decision on the recommendation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    Adopted,
    PartlyAdopted,
    NotAdopted,
}

impl Outcome {
    /// Every outcome, in a stable order.
    pub const ALL: [Outcome; 3] = [
        Outcome::Adopted,
        Outcome::PartlyAdopted,
        Outcome::NotAdopted,
    ];

    /// Returns the stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Adopted => "ADOPTED",
            Outcome::PartlyAdopted => "PARTLY_ADOPTED",
            Outcome::NotAdopted => "NOT_ADOPTED",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|o| o.as_str() == s)
    }

    /// Returns whether the recommendation was followed, fully or in part.
    pub fn adopts(self) -> bool {
        matches!(self, Outcome::Adopted | Outcome::PartlyAdopted)
    }
}

/// A unit dispatch hands a ticket to, named as dispatch names it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Unit {
    /// DEPARTMENT, WORKSTATION, MICRO_GRID, TOWN_CENTRE or LEADER.
    pub kind: String,
    pub code: String,
    pub name: String,
}

/// The kinds of unit dispatch knows.
pub const UNIT_KINDS: [&str; 5] = [
    "MICRO_GRID",
    "WORKSTATION",
    "DEPARTMENT",
    "TOWN_CENTRE",
    "LEADER",
];

/// What dispatch does with the ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CarryOut {
    /// Nothing: the review was opened directly, not from a ticket.
    Nothing,
    /// Dispatch the ticket again: the first unit leads, the rest co-handle.
    Redispatch(Vec<Unit>),
    /// Close the ticket with this result.
    Close(String),
}

/// The decision as the leadership gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecisionDraft {
    pub outcome: Outcome,
    pub reasons: String,
    pub carry_out: CarryOut,
}

/// The decision as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub outcome: Outcome,
    pub reasons: String,
    pub recommendation: RecommendationId,
    pub carry_out: CarryOut,
    pub decided_by: String,
    pub decided_at: DateTime<Utc>,
}
