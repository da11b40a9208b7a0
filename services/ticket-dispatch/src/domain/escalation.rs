//! Escalation when a deadline is breached, along the registry's chain for
//! the case's safety domain: the micro-grid → its workstation → the
//! department handling the case (of those the category is handled by) →
//! the leader the responsibility book names for the domain (属人责任). The
//! town centre is the backstop (兜底) for cases nobody owns: no chain (no
//! location, the registry unreachable) or no leader named.

use super::grid::Responsibility;
use super::unit::{UnitRef, town_centre};

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

    /// Returns how far up the way a unit of this kind stands: a breach
    /// goes only upwards.
    fn rank(self) -> u8 {
        match self {
            UnitKind::MicroGrid => 0,
            UnitKind::Workstation => 1,
            UnitKind::Department => 2,
            UnitKind::TownCentre => 3,
            UnitKind::Leader => 4,
        }
    }
}

/// Returns whom a case held by `holder` goes to when its deadline passes:
/// the next unit up of those the `responsibility` names to handle it (the
/// micro-grid, the workstation — `village`, the case's own, when the
/// registry names none — then a department), else the leader the registry
/// names for the domain, else the town centre; `None` at the top (the
/// leader, or the town centre when no leader is named).
pub fn escalation_target(
    responsibility: &Responsibility,
    holder: &UnitRef,
    village: Option<UnitRef>,
) -> Option<UnitRef> {
    let rank = holder.kind.rank();
    let mut ladder = responsibility.handling_units();
    if !ladder.iter().any(|u| u.kind == UnitKind::Workstation) {
        ladder.extend(village);
    }
    // Stable: within a rank, the category's order stands.
    ladder.sort_by_key(|u| u.kind.rank());
    ladder
        .into_iter()
        .find(|u| u.kind.rank() > rank && u.code != holder.code)
        .or_else(|| {
            responsibility
                .leader()
                .filter(|_| rank < UnitKind::Leader.rank())
        })
        .or_else(|| (rank < UnitKind::TownCentre.rank()).then(town_centre))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::grid::{Duty, GridRef, ResponsibleParty};

    fn party(duty: Duty, code: &str, person: &str) -> ResponsibleParty {
        let grid = matches!(duty, Duty::MicroGridLeader | Duty::Workstation);
        ResponsibleParty {
            duty,
            grid: grid.then(|| GridRef {
                code: code.into(),
                name: code.into(),
            }),
            department_code: if grid { String::new() } else { code.into() },
            department_name: if grid { String::new() } else { code.into() },
            person_name: person.into(),
        }
    }

    /// Returns the codes of the units a breach climbs through from `from`.
    fn climb(
        responsibility: &Responsibility,
        from: UnitRef,
        village: Option<UnitRef>,
    ) -> Vec<String> {
        let mut holder = from;
        let mut climbed = Vec::new();
        while let Some(next) = escalation_target(responsibility, &holder, village.clone()) {
            climbed.push(next.code.clone());
            holder = next;
        }
        climbed
    }

    fn owned() -> Responsibility {
        Responsibility {
            domain_code: "ECOLOGICAL_ENVIRONMENT".into(),
            chain: vec![
                party(Duty::MicroGridLeader, "V1-A1-M01", "张建国"),
                party(Duty::Workstation, "V1", ""),
                party(Duty::Regulator, "URBAN_MANAGEMENT", ""),
                party(Duty::CoManagement, "WATER_STATION", ""),
                party(Duty::LeaderOnDuty, "", "周镇长 (副镇长)"),
            ],
            handled_by: Duty::HANDLING.to_vec(),
        }
    }

    #[test]
    fn a_breach_climbs_the_registrys_chain_to_the_leader_it_names() {
        let micro = UnitRef::new(UnitKind::MicroGrid, "V1-A1-M01", "V1-A1-M01");
        assert_eq!(
            climb(&owned(), micro, None),
            ["V1", "URBAN_MANAGEMENT", "LEADER_ECOLOGICAL_ENVIRONMENT"]
        );
        let leader = owned().leader().unwrap();
        assert_eq!(
            (leader.kind, leader.name.as_str()),
            (UnitKind::Leader, "周镇长 (副镇长)")
        );
        // A department, or the desk holding a 110 call, goes to the leader.
        for holder in [
            UnitRef::new(UnitKind::Department, "URBAN_MANAGEMENT", "城管中队"),
            town_centre(),
        ] {
            assert_eq!(
                escalation_target(&owned(), &holder, None),
                Some(leader.clone())
            );
        }
    }

    #[test]
    fn a_breach_climbs_only_through_the_units_the_category_is_handled_by() {
        let mediation = Responsibility {
            handled_by: vec![Duty::CoManagement, Duty::Workstation, Duty::MicroGridLeader],
            ..owned()
        };
        let workstation = UnitRef::new(UnitKind::Workstation, "V1", "V1");
        assert_eq!(
            climb(&mediation, workstation, None),
            ["WATER_STATION", "LEADER_ECOLOGICAL_ENVIRONMENT"],
            "not the regulator"
        );
    }

    #[test]
    fn a_case_nobody_owns_climbs_to_the_town_centre_and_stops() {
        let village = Some(UnitRef::new(UnitKind::Workstation, "V2", "V2"));
        let micro = UnitRef::new(UnitKind::MicroGrid, "V2-A1-M01", "V2-A1-M01");
        let nobody = Responsibility::default();
        assert_eq!(climb(&nobody, micro, village), ["V2", "TOWN_CENTRE"]);
        let department = UnitRef::new(UnitKind::Department, "POLICE", "派出所");
        assert_eq!(climb(&nobody, department, None), ["TOWN_CENTRE"]);
        assert_eq!(escalation_target(&nobody, &town_centre(), None), None);
        // A chain naming no leader ends at the town centre too.
        let mut leaderless = owned();
        leaderless.chain.pop();
        let department = UnitRef::new(UnitKind::Department, "URBAN_MANAGEMENT", "城管中队");
        assert_eq!(climb(&leaderless, department, None), ["TOWN_CENTRE"]);
    }
}
