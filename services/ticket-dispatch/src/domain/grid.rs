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

impl Duty {
    /// Returns how a refusal quotes the duty, e.g. `regulator (监管责任)`.
    pub fn describe(self) -> &'static str {
        match self {
            Duty::FirstInquiry => "first-inquiry head (首问责任)",
            Duty::MicroGridLeader => "micro-grid leader (微网格长)",
            Duty::Workstation => "workstation (村居工作站)",
            Duty::Regulator => "regulator (监管责任)",
            Duty::CoManagement => "co-manager (协管责任)",
            Duty::LeaderOnDuty => "leader on duty (属人责任)",
        }
    }
}

impl ResponsibleParty {
    /// Returns the unit that holds tickets for this link; `None` for a
    /// link dispatch does not send tickets to (a first-inquiry head, the
    /// leader on duty) or one without its grid.
    pub fn unit(&self) -> Option<UnitRef> {
        match self.duty {
            Duty::Regulator | Duty::CoManagement => Some(UnitRef::new(
                UnitKind::Department,
                self.department_code.clone(),
                self.department_name.clone(),
            )),
            Duty::Workstation => self
                .grid
                .as_ref()
                .map(|g| UnitRef::new(UnitKind::Workstation, g.code.clone(), g.name.clone())),
            Duty::MicroGridLeader => self
                .grid
                .as_ref()
                .map(|g| UnitRef::new(UnitKind::MicroGrid, g.code.clone(), g.name.clone())),
            Duty::FirstInquiry | Duty::LeaderOnDuty => None,
        }
    }
}

/// Picks whom the desk dispatches to from the responsibility chain: a
/// regulator of the domain first, then a co-manager, then the workstation,
/// then the micro-grid.
pub fn pick_from_chain(chain: &[ResponsibleParty]) -> Option<UnitRef> {
    pick_party(chain, &[]).map(|(unit, _)| unit)
}

/// Picks as [`pick_from_chain`] does, passing over the units whose codes
/// are in `passed_over` (those that handed the ticket back): the unit and
/// the duty that names it.
pub fn pick_party(chain: &[ResponsibleParty], passed_over: &[String]) -> Option<(UnitRef, Duty)> {
    [
        Duty::Regulator,
        Duty::CoManagement,
        Duty::Workstation,
        Duty::MicroGridLeader,
    ]
    .into_iter()
    .flat_map(|duty| chain.iter().filter(move |p| p.duty == duty))
    .filter_map(|p| Some((p.unit()?, p.duty)))
    .find(|(unit, _)| !passed_over.contains(&unit.code))
}

/// What the registry's answer makes of a return "not our responsibility".
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReturnVerdict {
    /// The registry names the returning unit itself, for `duty`: the
    /// return is refused.
    Refused { unit: UnitRef, duty: Duty },
    /// The ticket goes on to `unit`, named by the registry for `duty`.
    Redispatch { unit: UnitRef, duty: Duty },
    /// The registry names nobody who has not handed it back: it waits at
    /// the desk.
    ToDesk,
}

/// Settles a return "not our responsibility" by `returning`: refused when
/// the registry's `chain` names it; otherwise on to the party the chain
/// names, never one of `returned_before` (the units that handed the ticket
/// back already).
pub fn settle_return(
    chain: &[ResponsibleParty],
    returning: &UnitRef,
    returned_before: &[String],
) -> ReturnVerdict {
    if let Some((unit, duty)) = pick_party(chain, &[])
        && unit.code == returning.code
    {
        return ReturnVerdict::Refused { unit, duty };
    }
    let mut passed_over = returned_before.to_vec();
    passed_over.push(returning.code.clone());
    match pick_party(chain, &passed_over) {
        Some((unit, duty)) => ReturnVerdict::Redispatch { unit, duty },
        None => ReturnVerdict::ToDesk,
    }
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

    fn regulator(code: &str) -> ResponsibleParty {
        ResponsibleParty {
            duty: Duty::Regulator,
            grid: None,
            department_code: code.into(),
            department_name: code.into(),
        }
    }

    #[test]
    fn a_return_by_the_named_unit_is_refused_and_any_other_goes_on_to_it() {
        let chain = vec![
            grid_party(Duty::MicroGridLeader, "V1-A1-M01"),
            grid_party(Duty::Workstation, "V1"),
            regulator("URBAN_MANAGEMENT"),
        ];
        let urban = UnitRef::new(UnitKind::Department, "URBAN_MANAGEMENT", "URBAN_MANAGEMENT");
        let micro = UnitRef::new(UnitKind::MicroGrid, "V1-A1-M01", "V1-A1-M01");
        assert_eq!(
            settle_return(&chain, &urban, &[]),
            ReturnVerdict::Refused {
                unit: urban.clone(),
                duty: Duty::Regulator
            }
        );
        assert_eq!(
            settle_return(&chain, &micro, &[]),
            ReturnVerdict::Redispatch {
                unit: urban,
                duty: Duty::Regulator
            }
        );
    }

    #[test]
    fn a_return_never_goes_back_to_a_unit_that_returned_the_ticket() {
        let chain = vec![
            grid_party(Duty::MicroGridLeader, "V1-A1-M01"),
            regulator("URBAN_MANAGEMENT"),
        ];
        let workstation = UnitRef::new(UnitKind::Workstation, "V1", "V1");
        assert_eq!(
            settle_return(&chain, &workstation, &["URBAN_MANAGEMENT".into()]),
            ReturnVerdict::Redispatch {
                unit: UnitRef::new(UnitKind::MicroGrid, "V1-A1-M01", "V1-A1-M01"),
                duty: Duty::MicroGridLeader
            }
        );
        assert_eq!(
            settle_return(
                &chain,
                &workstation,
                &["URBAN_MANAGEMENT".into(), "V1-A1-M01".into()]
            ),
            ReturnVerdict::ToDesk
        );
    }
}
