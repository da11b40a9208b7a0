//! Who may call which RPC of video-ingest. The town centre and services
//! (a data set's loader) manage devices; the town's staff, the safety
//! departments and the police station read cameras; only the town centre,
//! the safety departments, the police station and services see what a
//! device reported (its catalogue syncs and alarms). Reviewers and
//! residents have no business with the registry: a resident sees footage
//! only through a disclosure application.

use platform::auth::Role;
use platform::authz::{Rule, rule};

/// Who may call each RPC (role × RPC); the matrix docs/authorization.md
/// shows.
pub const POLICY: &[Rule] = &[
    rule("PutDevice", MANAGERS),
    rule("GetDevice", DEVICE_READERS),
    rule("ListDevices", DEVICE_READERS),
    rule("ListCameras", CAMERA_READERS),
    rule("GetCamera", CAMERA_READERS),
    rule("SummariseCameras", CAMERA_READERS),
    rule("ListCatalogSyncs", DEVICE_READERS),
    rule("ListAlarms", DEVICE_READERS),
    rule("StreamAnalyticEvents", ANALYTIC_SENDERS),
    rule("ListIncidents", DEVICE_READERS),
    rule("GetIncident", DEVICE_READERS),
];

/// Who sends analytic events: edge boxes and NVR analytics, as services.
const ANALYTIC_SENDERS: &[Role] = &[Role::Service];

/// The town centre, and services loading a data set.
const MANAGERS: &[Role] = &[Role::TownOperator, Role::Service];
/// Who sees devices and what they reported: the town centre, the safety
/// departments, the police station and services.
const DEVICE_READERS: &[Role] = &[
    Role::TownOperator,
    Role::DepartmentOfficer,
    Role::Police,
    Role::Service,
];
/// Who sees cameras: the town's staff, the police station and services.
const CAMERA_READERS: &[Role] = &[
    Role::TownOperator,
    Role::WorkstationStaff,
    Role::MicroGridLeader,
    Role::Member,
    Role::DepartmentOfficer,
    Role::Police,
    Role::Service,
];
