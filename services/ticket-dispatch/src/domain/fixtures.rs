//! Domain values as the seeded data and the test kit's small town have
//! them, for the unit tests and the benches. Compiled only
//! for tests and with the `testkit` feature.

use super::category::Category;
use super::channel::Channel;
use super::grid::{Duty, LatLng, Placement};
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
