//! What dispatch learns from the grid registry: where a place lies, the
//! villages, and who is responsible there; and whom the desk dispatches to
//! from that.

use super::escalation::UnitKind;
use super::unit::UnitRef;

/// A WGS84 point.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LatLng {
    pub lat: f64,
    pub lng: f64,
}

/// A grid by code and name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GridRef {
    pub code: String,
    pub name: String,
}

/// Where a location lies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placement {
    pub micro_grid_code: String,
    pub micro_grid_name: String,
    /// The village or residential workstation above it.
    pub village_code: Option<String>,
    pub village_name: Option<String>,
}

/// What kind of community a workstation serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VillageKind {
    /// A village (村).
    Village,
    /// A residential committee (居委).
    Residential,
}

impl VillageKind {
    /// Returns the name the assessment reports.
    pub fn as_str(self) -> &'static str {
        match self {
            VillageKind::Village => "VILLAGE",
            VillageKind::Residential => "RESIDENTIAL",
        }
    }
}

/// A village or residential committee.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Village {
    pub code: String,
    pub name: String,
    pub kind: VillageKind,
}

/// Why a party is responsible at a place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Duty {
    /// 首问责任: an enterprise's head.
    FirstInquiry,
    /// The micro-grid leader (微网格长).
    MicroGridLeader,
    /// The village or residential workstation.
    Workstation,
    /// A regulator of the object's kind or the domain.
    Regulator,
    /// A co-managing department (协管).
    CoManagement,
    /// The town leader on duty for the domain.
    LeaderOnDuty,
}

/// One link of the responsibility chain at a place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponsibleParty {
    pub duty: Duty,
    /// The grid, for micro-grid and workstation links.
    pub grid: Option<GridRef>,
    /// The department, for regulator and co-management links.
    pub department_code: String,
    pub department_name: String,
}

/// Picks whom the desk dispatches to from the responsibility chain: a
/// regulator of the domain first, then a co-manager, then the workstation,
/// then the micro-grid.
pub fn pick_from_chain(chain: &[ResponsibleParty]) -> Option<UnitRef> {
    let by_duty = |duty: Duty| chain.iter().find(|p| p.duty == duty);
    if let Some(p) = by_duty(Duty::Regulator).or_else(|| by_duty(Duty::CoManagement)) {
        return Some(UnitRef::new(
            UnitKind::Department,
            p.department_code.clone(),
            p.department_name.clone(),
        ));
    }
    if let Some(grid) = by_duty(Duty::Workstation).and_then(|p| p.grid.as_ref()) {
        return Some(UnitRef::new(
            UnitKind::Workstation,
            grid.code.clone(),
            grid.name.clone(),
        ));
    }
    by_duty(Duty::MicroGridLeader)
        .and_then(|p| p.grid.as_ref())
        .map(|grid| UnitRef::new(UnitKind::MicroGrid, grid.code.clone(), grid.name.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grid_party(duty: Duty, code: &str) -> ResponsibleParty {
        ResponsibleParty {
            duty,
            grid: Some(GridRef {
                code: code.into(),
                name: code.into(),
            }),
            department_code: String::new(),
            department_name: String::new(),
        }
    }

    #[test]
    fn the_desk_dispatches_to_a_regulator_before_the_grids() {
        let mut chain = vec![
            grid_party(Duty::MicroGridLeader, "V1-A1-M01"),
            grid_party(Duty::Workstation, "V1"),
        ];
        assert_eq!(
            pick_from_chain(&chain),
            Some(UnitRef::new(UnitKind::Workstation, "V1", "V1"))
        );
        chain.push(ResponsibleParty {
            duty: Duty::Regulator,
            grid: None,
            department_code: "URBAN_MANAGEMENT".into(),
            department_name: "城管中队".into(),
        });
        assert_eq!(
            pick_from_chain(&chain),
            Some(UnitRef::new(
                UnitKind::Department,
                "URBAN_MANAGEMENT",
                "城管中队"
            ))
        );
        assert_eq!(
            pick_from_chain(&chain[..1]),
            Some(UnitRef::new(UnitKind::MicroGrid, "V1-A1-M01", "V1-A1-M01"))
        );
        assert_eq!(pick_from_chain(&[]), None, "nobody named, nobody picked");
    }
}
