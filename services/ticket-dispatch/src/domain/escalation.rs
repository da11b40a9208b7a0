//! Escalation up the chain when a deadline is breached: micro-grid →
//! workstation → town centre → the leader on duty. The town centre is the
//! backstop (兜底) for cases nobody else owns.

/// The kind of unit holding a ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UnitKind {
    MicroGrid,
    Workstation,
    Department,
    TownCentre,
    Leader,
}

impl UnitKind {
    pub const ALL: [UnitKind; 5] = [
        UnitKind::MicroGrid,
        UnitKind::Workstation,
        UnitKind::Department,
        UnitKind::TownCentre,
        UnitKind::Leader,
    ];

    /// Returns the stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            UnitKind::MicroGrid => "MICRO_GRID",
            UnitKind::Workstation => "WORKSTATION",
            UnitKind::Department => "DEPARTMENT",
            UnitKind::TownCentre => "TOWN_CENTRE",
            UnitKind::Leader => "LEADER",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Returns the next step up when a unit of this kind misses a deadline;
    /// `None` at the top.
    pub fn escalates_to(self) -> Option<UnitKind> {
        match self {
            UnitKind::MicroGrid => Some(UnitKind::Workstation),
            UnitKind::Workstation | UnitKind::Department => Some(UnitKind::TownCentre),
            UnitKind::TownCentre => Some(UnitKind::Leader),
            UnitKind::Leader => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missed_deadline_climbs_to_the_leader_on_duty() {
        let mut chain = vec![UnitKind::MicroGrid];
        while let Some(next) = chain.last().unwrap().escalates_to() {
            chain.push(next);
        }
        assert_eq!(
            chain,
            [
                UnitKind::MicroGrid,
                UnitKind::Workstation,
                UnitKind::TownCentre,
                UnitKind::Leader
            ]
        );
        assert_eq!(
            UnitKind::Department.escalates_to(),
            Some(UnitKind::TownCentre)
        );
    }
}
