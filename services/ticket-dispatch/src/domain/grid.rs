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
    /// The person named, for the leader on duty (属人责任): the leader the
    /// responsibility book names for the domain, e.g. `陈镇长 (镇领导)`.
    pub person_name: String,
}

impl Duty {
    /// The duties whose units hold tickets, in the order the desk picks
    /// from when a category names no order of its own: a regulator of the
    /// domain first, then a co-manager, the workstation, the micro-grid.
    pub const HANDLING: [Duty; 4] = [
        Duty::Regulator,
        Duty::CoManagement,
        Duty::Workstation,
        Duty::MicroGridLeader,
    ];

    /// Returns the stored name of a duty, e.g. `CO_MANAGEMENT`.
    pub fn as_str(self) -> &'static str {
        match self {
            Duty::FirstInquiry => "FIRST_INQUIRY",
            Duty::MicroGridLeader => "MICRO_GRID_LEADER",
            Duty::Workstation => "WORKSTATION",
            Duty::Regulator => "REGULATOR",
            Duty::CoManagement => "CO_MANAGEMENT",
            Duty::LeaderOnDuty => "LEADER_ON_DUTY",
        }
    }

    /// Parses the stored name of a duty whose units hold tickets (one of
    /// [`Duty::HANDLING`]).
    pub fn parse_handling(s: &str) -> Option<Self> {
        Self::HANDLING.into_iter().find(|d| d.as_str() == s)
    }

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

/// Picks whom the desk dispatches to from the responsibility chain, by the
/// duties the case's category is handled by, in their order (see
/// [`Duty::HANDLING`] for the usual one): a neighbour dispute goes to the
/// co-managing mediators and the village, not to a regulator of the domain
/// such as the police.
pub fn pick_from_chain(chain: &[ResponsibleParty], handled_by: &[Duty]) -> Option<UnitRef> {
    pick_party(chain, handled_by, &[]).map(|(unit, _)| unit)
}

/// Picks as [`pick_from_chain`] does, passing over the units whose codes
/// are in `passed_over` (those that handed the ticket back): the unit and
/// the duty that names it.
pub fn pick_party(
    chain: &[ResponsibleParty],
    handled_by: &[Duty],
    passed_over: &[String],
) -> Option<(UnitRef, Duty)> {
    handled_by
        .iter()
        .flat_map(|duty| chain.iter().filter(move |p| p.duty == *duty))
        .filter_map(|p| Some((p.unit()?, p.duty)))
        .find(|(unit, _)| !passed_over.contains(&unit.code))
}

/// Who answers for a case: the registry's chain for its place and its
/// category's safety domain, and the duties in it that the category is
/// handled by.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Responsibility {
    /// The category's safety domain.
    pub domain_code: String,
    pub chain: Vec<ResponsibleParty>,
    pub handled_by: Vec<Duty>,
}

impl Responsibility {
    /// Returns the units of the chain that handle the case, by the duties
    /// of its category in their order.
    pub fn handling_units(&self) -> Vec<UnitRef> {
        self.handled_by
            .iter()
            .flat_map(|duty| self.chain.iter().filter(move |p| p.duty == *duty))
            .filter_map(ResponsibleParty::unit)
            .collect()
    }

    /// Returns the leader the responsibility book names for the domain
    /// (属人责任) as the unit a ticket escalates to, e.g.
    /// `LEADER_PRODUCTION_SAFETY` called `陈镇长 (镇领导)`; `None` when the
    /// registry names nobody.
    pub fn leader(&self) -> Option<UnitRef> {
        self.chain
            .iter()
            .find(|p| p.duty == Duty::LeaderOnDuty && !p.person_name.is_empty())
            .map(|p| {
                UnitRef::new(
                    UnitKind::Leader,
                    format!("LEADER_{}", self.domain_code),
                    p.person_name.clone(),
                )
            })
    }

    /// Returns the unit the case goes to and the duty naming it, passing
    /// over `passed_over` (see [`pick_party`]).
    pub fn pick(&self, passed_over: &[String]) -> Option<(UnitRef, Duty)> {
        pick_party(&self.chain, &self.handled_by, passed_over)
    }

    /// Settles a return "not our responsibility" (see [`settle_return`]).
    pub fn settle_return(&self, returning: &UnitRef, returned_before: &[String]) -> ReturnVerdict {
        settle_return(&self.chain, &self.handled_by, returning, returned_before)
    }
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
/// the registry's `chain` names it for a duty the category is
/// `handled_by`; otherwise on to the party the chain names, never one of
/// `returned_before` (the units that handed the ticket back already).
pub fn settle_return(
    chain: &[ResponsibleParty],
    handled_by: &[Duty],
    returning: &UnitRef,
    returned_before: &[String],
) -> ReturnVerdict {
    if let Some((unit, duty)) = pick_party(chain, handled_by, &[])
        && unit.code == returning.code
    {
        return ReturnVerdict::Refused { unit, duty };
    }
    let mut passed_over = returned_before.to_vec();
    passed_over.push(returning.code.clone());
    match pick_party(chain, handled_by, &passed_over) {
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
            person_name: String::new(),
        }
    }

    #[test]
    fn the_desk_dispatches_to_a_regulator_before_the_grids() {
        let mut chain = vec![
            grid_party(Duty::MicroGridLeader, "V1-A1-M01"),
            grid_party(Duty::Workstation, "V1"),
        ];
        assert_eq!(
            pick_from_chain(&chain, &Duty::HANDLING),
            Some(UnitRef::new(UnitKind::Workstation, "V1", "V1"))
        );
        chain.push(ResponsibleParty {
            duty: Duty::Regulator,
            grid: None,
            department_code: "URBAN_MANAGEMENT".into(),
            department_name: "城管中队".into(),
            person_name: String::new(),
        });
        assert_eq!(
            pick_from_chain(&chain, &Duty::HANDLING),
            Some(UnitRef::new(
                UnitKind::Department,
                "URBAN_MANAGEMENT",
                "城管中队"
            ))
        );
        assert_eq!(
            pick_from_chain(&chain[..1], &Duty::HANDLING),
            Some(UnitRef::new(UnitKind::MicroGrid, "V1-A1-M01", "V1-A1-M01"))
        );
        assert_eq!(
            pick_from_chain(&[], &Duty::HANDLING),
            None,
            "nobody named, nobody picked"
        );
    }

    fn regulator(code: &str) -> ResponsibleParty {
        ResponsibleParty {
            duty: Duty::Regulator,
            grid: None,
            department_code: code.into(),
            department_name: code.into(),
            person_name: String::new(),
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
            settle_return(&chain, &Duty::HANDLING, &urban, &[]),
            ReturnVerdict::Refused {
                unit: urban.clone(),
                duty: Duty::Regulator
            }
        );
        assert_eq!(
            settle_return(&chain, &Duty::HANDLING, &micro, &[]),
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
            settle_return(
                &chain,
                &Duty::HANDLING,
                &workstation,
                &["URBAN_MANAGEMENT".into()]
            ),
            ReturnVerdict::Redispatch {
                unit: UnitRef::new(UnitKind::MicroGrid, "V1-A1-M01", "V1-A1-M01"),
                duty: Duty::MicroGridLeader
            }
        );
        assert_eq!(
            settle_return(
                &chain,
                &Duty::HANDLING,
                &workstation,
                &["URBAN_MANAGEMENT".into(), "V1-A1-M01".into()]
            ),
            ReturnVerdict::ToDesk
        );
    }

    #[test]
    fn a_category_handled_by_mediators_passes_over_the_regulator_of_its_domain() {
        let chain = vec![
            grid_party(Duty::MicroGridLeader, "V1-A1-M01"),
            grid_party(Duty::Workstation, "V1"),
            regulator("POLICE"),
            ResponsibleParty {
                duty: Duty::CoManagement,
                grid: None,
                department_code: "JUDICIAL_OFFICE".into(),
                department_name: "司法所".into(),
                person_name: String::new(),
            },
        ];
        let mediation = [Duty::CoManagement, Duty::Workstation, Duty::MicroGridLeader];
        assert_eq!(
            pick_from_chain(&chain, &mediation),
            Some(UnitRef::new(
                UnitKind::Department,
                "JUDICIAL_OFFICE",
                "司法所"
            ))
        );
        assert_eq!(
            pick_from_chain(&chain, &[Duty::Workstation]),
            Some(UnitRef::new(UnitKind::Workstation, "V1", "V1"))
        );
        let police = UnitRef::new(UnitKind::Department, "POLICE", "POLICE");
        assert_eq!(
            settle_return(&chain, &mediation, &police, &[]),
            ReturnVerdict::Redispatch {
                unit: UnitRef::new(UnitKind::Department, "JUDICIAL_OFFICE", "司法所"),
                duty: Duty::CoManagement
            },
            "the police is not whom the category names"
        );
        for duty in Duty::HANDLING {
            assert_eq!(Duty::parse_handling(duty.as_str()), Some(duty));
        }
        assert_eq!(Duty::parse_handling("LEADER_ON_DUTY"), None);
    }
}
