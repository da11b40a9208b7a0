//! Who answers for a place or an object in a safety domain: an
//! enterprise's or a cooperative's head (first inquiry: of the object
//! asked about, or of those at the place asked about), the micro-grid leader, the
//! workstation, the departments regulating or co-managing, and the town
//! leader on duty, in that order.

use std::sync::Arc;

use super::department::{Department, DomainDuty};
use super::ids::GridId;
use super::index::GridNode;
use super::kinds::{DepartmentKind, MemberRole};
use super::member::Member;
use super::object::CoveredObject;

/// The duty by which a party answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Duty {
    FirstInquiry,
    MicroGridLeader,
    Workstation,
    Regulator,
    CoManagement,
    LeaderOnDuty,
}

/// A person answering, with the phone to reach them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub name: String,
    pub phone: Option<String>,
}

/// One link of the chain: a person, a grid, a department, or some of them.
#[derive(Debug, Clone)]
pub struct ResponsibleParty {
    pub duty: Duty,
    pub person: Option<Person>,
    pub grid: Option<Arc<GridNode>>,
    /// The department's code and name.
    pub department: Option<(String, String)>,
    /// The covered object's code and name, for a first-inquiry head.
    pub object: Option<(String, String)>,
}

impl ResponsibleParty {
    fn new(duty: Duty) -> Self {
        Self {
            duty,
            person: None,
            grid: None,
            department: None,
            object: None,
        }
    }
}

/// What the chain is built from, loaded by the caller.
#[derive(Debug, Clone, Copy)]
pub struct Facts<'a> {
    /// The object asked about, if the question was about one.
    pub object: Option<&'a CoveredObject>,
    /// The objects lying at the place asked about, if it was a place.
    pub at_the_spot: &'a [CoveredObject],
    /// The micro-grid holding the place or object.
    pub micro: Option<&'a Arc<GridNode>>,
    /// The micro-grid's workstation (village or residential).
    pub workstation: Option<&'a Arc<GridNode>>,
    /// The active members of the micro-grid and the workstation.
    pub members: &'a [Member],
    /// The departments responsible, regulators first.
    pub departments: &'a [Department],
    /// The leader on duty for the domain now.
    pub on_duty: Option<&'a DomainDuty>,
}

/// Returns the chain of responsibility. A micro-grid without a serving
/// leader still appears, unnamed, so the gap shows.
pub fn chain(facts: &Facts<'_>) -> Vec<ResponsibleParty> {
    let mut chain: Vec<ResponsibleParty> = facts
        .object
        .into_iter()
        .chain(facts.at_the_spot)
        .filter_map(first_inquiry)
        .collect();
    if let Some(micro) = facts.micro {
        chain.extend(grid_parties(facts, micro));
    }
    for department in facts.departments {
        let duty = match department.kind {
            DepartmentKind::CoManagement => Duty::CoManagement,
            DepartmentKind::Regulatory => Duty::Regulator,
        };
        chain.push(ResponsibleParty {
            department: Some((department.code.clone(), department.name.clone())),
            ..ResponsibleParty::new(duty)
        });
    }
    if let Some(duty) = facts.on_duty {
        chain.push(ResponsibleParty {
            person: Some(Person {
                name: format!("{} ({})", duty.leader_name, duty.leader_title),
                phone: Some(duty.phone.clone()),
            }),
            ..ResponsibleParty::new(Duty::LeaderOnDuty)
        });
    }
    chain
}

/// The head with first-inquiry duty of an enterprise or a cooperative
/// (首问责任人), when one is recorded.
fn first_inquiry(object: &CoveredObject) -> Option<ResponsibleParty> {
    let head = object
        .head_name
        .as_ref()
        .filter(|_| object.kind.has_head())?;
    Some(ResponsibleParty {
        person: Some(Person {
            name: head.clone(),
            phone: object.head_phone.clone(),
        }),
        object: Some((object.code.clone(), object.name.clone())),
        ..ResponsibleParty::new(Duty::FirstInquiry)
    })
}

/// The micro-grid's leaders (or the micro-grid alone) and its workstation
/// with its head, when it has one.
fn grid_parties(facts: &Facts<'_>, micro: &Arc<GridNode>) -> Vec<ResponsibleParty> {
    let serving = |grid: GridId, role: MemberRole| {
        facts
            .members
            .iter()
            .filter(move |m| m.grid_id == grid && m.role == role)
    };
    let person = |m: &Member| Person {
        name: m.name.clone(),
        phone: Some(m.phone.clone()),
    };
    let in_micro = |person: Option<Person>| ResponsibleParty {
        person,
        grid: Some(micro.clone()),
        ..ResponsibleParty::new(Duty::MicroGridLeader)
    };
    let mut parties: Vec<_> = serving(micro.id, MemberRole::Leader)
        .map(|leader| in_micro(Some(person(leader))))
        .collect();
    if parties.is_empty() {
        parties.push(in_micro(None));
    }
    if let Some(workstation) = facts.workstation {
        let head = serving(workstation.id, MemberRole::WorkstationHead).next();
        parties.push(ResponsibleParty {
            person: head.map(person),
            grid: Some(workstation.clone()),
            ..ResponsibleParty::new(Duty::Workstation)
        });
    }
    parties
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::geometry::{self, RawShape};
    use crate::domain::ids::{DutyId, MemberId, ObjectId};
    use crate::domain::kinds::{Level, ObjectKind};

    fn node(code: &str, level: Level) -> Arc<GridNode> {
        let ring = vec![vec![
            (121.0, 30.0),
            (121.01, 30.0),
            (121.01, 30.01),
            (121.0, 30.01),
            (121.0, 30.0),
        ]];
        Arc::new(GridNode {
            id: GridId::generate(),
            code: code.into(),
            name: code.into(),
            level,
            parent_id: None,
            boundary: geometry::polygon("boundary", &ring).unwrap(),
            version: 1,
        })
    }

    fn member(grid: &GridNode, name: &str, role: MemberRole) -> Member {
        Member {
            id: MemberId::generate(),
            grid_id: grid.id,
            grid_code: grid.code.clone(),
            name: name.into(),
            role,
            background: None,
            phone: "13812345678".into(),
            active: true,
        }
    }

    fn duties(chain: &[ResponsibleParty]) -> Vec<(Duty, Option<&str>)> {
        chain
            .iter()
            .map(|p| (p.duty, p.person.as_ref().map(|p| p.name.as_str())))
            .collect()
    }

    #[test]
    fn an_enterprise_chain_runs_from_its_head_to_the_leader_on_duty() {
        let micro = node("M01", Level::Micro);
        let village = node("V1", Level::Village);
        let enterprise = CoveredObject {
            id: ObjectId::generate(),
            code: "ENT-0001".into(),
            name: "纺织厂".into(),
            kind: ObjectKind::Enterprise,
            geometry: RawShape::Point((121.005, 30.005)),
            anchor: (121.005, 30.005),
            micro_grid_id: Some(micro.id),
            micro_grid_code: Some("M01".into()),
            high_risk: true,
            head_name: Some("周总".into()),
            head_phone: Some("13512345678".into()),
            area_ha: None,
            created_at: chrono::DateTime::UNIX_EPOCH,
        };
        let members = [
            member(&micro, "张建国", MemberRole::Leader),
            member(&micro, "赵六", MemberRole::Member),
            member(&village, "刘站长", MemberRole::WorkstationHead),
        ];
        let departments = [Department {
            code: "SAFETY_OFFICE".into(),
            name: "安全办".into(),
            kind: DepartmentKind::Regulatory,
            regulates: vec![ObjectKind::Enterprise],
            domains: vec!["PRODUCTION_SAFETY".into()],
        }];
        let on_duty = DomainDuty {
            id: DutyId::generate(),
            domain_code: "PRODUCTION_SAFETY".into(),
            leader_name: "陈镇长".into(),
            leader_title: "镇领导".into(),
            phone: "13300000000".into(),
            starts_at: chrono::DateTime::UNIX_EPOCH,
        };
        let chain = chain(&Facts {
            object: Some(&enterprise),
            at_the_spot: &[],
            micro: Some(&micro),
            workstation: Some(&village),
            members: &members,
            departments: &departments,
            on_duty: Some(&on_duty),
        });
        assert_eq!(
            duties(&chain),
            [
                (Duty::FirstInquiry, Some("周总")),
                (Duty::MicroGridLeader, Some("张建国")),
                (Duty::Workstation, Some("刘站长")),
                (Duty::Regulator, None),
                (Duty::LeaderOnDuty, Some("陈镇长 (镇领导)")),
            ]
        );
        assert_eq!(
            chain[3].department,
            Some(("SAFETY_OFFICE".into(), "安全办".into()))
        );
    }

    #[test]
    fn a_micro_grid_without_a_leader_still_shows_unnamed() {
        let micro = node("M01", Level::Micro);
        let village = node("V1", Level::Village);
        let chain = chain(&Facts {
            object: None,
            at_the_spot: &[],
            micro: Some(&micro),
            workstation: Some(&village),
            members: &[],
            departments: &[],
            on_duty: None,
        });
        assert_eq!(
            duties(&chain),
            [(Duty::MicroGridLeader, None), (Duty::Workstation, None)]
        );
        assert_eq!(chain[0].grid.as_ref().unwrap().code, "M01");
    }
}
