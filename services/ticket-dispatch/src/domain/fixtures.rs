//! Domain values as the seeded data and the test kit's small town have
//! them, for the unit tests and the benches. Compiled only
//! for tests and with the `testkit` feature.

use super::category::Category;
use super::channel::Channel;
use super::grid::{Duty, GridRef, LatLng, Placement, Responsibility, ResponsibleParty};
use super::intake::{Intake, NewTicket, Priority};

/// The seeded `SANITATION` category: 3 working days, handled by the urban
/// management squad's domain.
pub fn sanitation() -> Category {
    Category {
        code: "SANITATION".into(),
        name: "环境卫生".into(),
        domain_code: "ECOLOGICAL_ENVIRONMENT".into(),
        handled_by: Duty::HANDLING.to_vec(),
        working_days: 3,
        difficult: false,
        active: true,
    }
}

/// Where the small town places (30.02, 121.02): micro-grid `V1-A1-M01` of
/// village `V1`.
pub fn placement() -> Placement {
    Placement {
        micro_grid_code: "V1-A1-M01".into(),
        micro_grid_name: "V1-A1-M01".into(),
        village_code: Some("V1".into()),
        village_name: Some("V1".into()),
    }
}

/// A checked report of rubbish at (30.02, 121.02) from `channel`, under
/// `reference`, placed by the registry: what intake takes in.
pub fn intake(channel: Channel, reference: &str) -> Intake {
    Intake {
        ticket: NewTicket {
            channel,
            reference: Some(reference.to_owned()),
            category: sanitation(),
            title: "垃圾堆放".into(),
            description: "路口垃圾三天无人清运".into(),
            location: Some(LatLng {
                lat: 30.02,
                lng: 121.02,
            }),
            difficult: false,
            reporter_phone: Some("13912345678".into()),
            priority: Priority::Normal,
        },
        placement: Some(placement()),
        unrouted: false,
    }
}

/// The registry's chain at (30.02, 121.02) for sanitation's domain, as the
/// test kit's registry has it: the micro-grid, village `V1`, the urban
/// management squad regulating, and the leader the responsibility book
/// names for the domain.
pub fn responsibility() -> Responsibility {
    let link = |duty, grid: Option<&str>, department: &str, person: &str| ResponsibleParty {
        duty,
        grid: grid.map(|code| GridRef {
            code: code.into(),
            name: code.into(),
        }),
        department_code: department.into(),
        department_name: department.into(),
        person_name: person.into(),
    };
    Responsibility {
        domain_code: "ECOLOGICAL_ENVIRONMENT".into(),
        chain: vec![
            link(Duty::MicroGridLeader, Some("V1-A1-M01"), "", ""),
            link(Duty::Workstation, Some("V1"), "", ""),
            link(Duty::Regulator, None, "URBAN_MANAGEMENT", ""),
            link(Duty::LeaderOnDuty, None, "", "周镇长 (副镇长)"),
        ],
        handled_by: Duty::HANDLING.to_vec(),
    }
}
