//! Who may call which RPC of video-ingest. The town centre and services
//! (a data set's loader) manage devices; the town's staff, the safety
//! departments and the police station read cameras; only the town centre,
//! the safety departments, the police station and services see what a
//! device reported (its catalogue syncs and alarms). Reviewers and
//! residents have no business with the registry: a resident sees footage
//! only through a disclosure application (made at a desk or from the
//! mini-program, followed there), shown by the town's staff. A face or plate camera's footage is read by the police
//! only (the use cases check it, and log the refusals).

use platform::auth::{Caller, Role};
use platform::authz::{Rule, rule};
use platform::error::AppError;

use crate::domain::disclosure::ApplicationScope;

/// Returns whose applications `caller` lists and reads: the town centre
/// and the police station every one; a village workstation's staff those
/// naming a camera in their village (the grid code their token is scoped
/// to) and those they registered; a resident their own.
///
/// # Errors
/// PERMISSION_DENIED for a workstation's staff without a scope, or a role
/// that has no applications to follow.
pub fn application_scope(caller: &Caller) -> Result<ApplicationScope, AppError> {
    match (caller.role, caller.scope.as_deref()) {
        (Role::TownOperator | Role::Police, _) => Ok(ApplicationScope::Town),
        (Role::Resident, _) => Ok(ApplicationScope::Own {
            submitter: caller.subject.clone(),
        }),
        (Role::WorkstationStaff, Some(village)) if !village.trim().is_empty() => {
            Ok(ApplicationScope::Village {
                village: village.to_owned(),
                submitter: caller.subject.clone(),
            })
        }
        (Role::WorkstationStaff, _) => Err(AppError::PermissionDenied(
            "a workstation's staff follow their village's applications: the token needs the \
             village as its scope (工作站人员的令牌须带所属村居范围)"
                .into(),
        )),
        (role, _) => Err(AppError::PermissionDenied(format!(
            "the {role} role follows no disclosure applications"
        ))),
    }
}

/// Who may call each RPC (role × RPC); the matrix docs/authorization.md
/// shows.
pub const POLICY: &[Rule] = &[
    rule("PutDevice", MANAGERS),
    rule("GetDevice", DEVICE_READERS),
    rule("ListDevices", DEVICE_READERS),
    rule("ListCameras", CAMERA_READERS),
    rule("GetCamera", CAMERA_READERS),
    rule("SummariseCameras", CAMERA_READERS),
    rule("SummariseOnlineRate", CAMERA_READERS),
    rule("ListCatalogSyncs", DEVICE_READERS),
    rule("ListAlarms", DEVICE_READERS),
    rule("StreamAnalyticEvents", ANALYTIC_SENDERS),
    rule("ListIncidents", DEVICE_READERS),
    rule("GetIncident", DEVICE_READERS),
    rule("RecordClip", CLIP_RECORDERS),
    rule("GetClip", EVIDENCE_READERS),
    rule("ListClips", EVIDENCE_READERS),
    rule("HoldClip", HOLDERS),
    rule("ReleaseClip", HOLDERS),
    rule("ReadClipFile", EVIDENCE_READERS),
    rule("ListCustodyLog", AUDITORS),
    rule("VerifyEvidence", AUDITORS),
    rule("SubmitApplication", APPLICANTS),
    rule("GetApplication", APPLICANTS),
    rule("ListApplications", APPLICANTS),
    rule("ReviewApplication", HOLDERS),
    rule("IssueCopy", HOLDERS),
    rule("ViewFootage", HOLDERS),
    rule("SummariseApplications", STATISTICS_READERS),
];

/// Who records clips: the town centre, the police station, and services
/// (an NVR's export).
const CLIP_RECORDERS: &[Role] = &[Role::TownOperator, Role::Police, Role::Service];
/// Who sees clips' manifests and reads their files (a face or plate
/// camera's files by the police only, checked by the use case).
const EVIDENCE_READERS: &[Role] = &[Role::TownOperator, Role::Police, Role::Service];
/// Who holds and releases clips, reviews applications, issues copies and
/// supervises viewings: the town centre and the police station.
const HOLDERS: &[Role] = &[Role::TownOperator, Role::Police];
/// Who reads and verifies the custody and access log: the town centre, the
/// police station, and services (an auditor's system).
const AUDITORS: &[Role] = &[Role::TownOperator, Role::Police, Role::Service];
/// Who registers applications and follows them: the town centre, the
/// village workstations (where a villager applies) and the police station,
/// and a resident through the mini-program (their own applications only,
/// checked by the use cases).
const APPLICANTS: &[Role] = &[
    Role::TownOperator,
    Role::WorkstationStaff,
    Role::Police,
    Role::Resident,
];
/// Who reads the statistics (counts only, no one's identity).
const STATISTICS_READERS: &[Role] = &[
    Role::TownOperator,
    Role::WorkstationStaff,
    Role::DepartmentOfficer,
    Role::Police,
    Role::Service,
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
