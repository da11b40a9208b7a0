//! Who may call what. The local API: the town centre's operators and the
//! department officers of the joint station (the judicial office, market
//! supervision) act on joint cases; services read them and the evidence;
//! the deliveries and refusals are the town centre's to watch. Which side
//! of a case may make a move (only the receiving node accepts) is the
//! case's own rule, checked where the case is loaded.
//!
//! A check's answer is personal data of another town: only the desk asks
//! and reads it, and every read is audited (`read_audit`, as is every
//! GetCase, which shows a case's parties). The risk list
//! and the alerts hold no whole personal data; services may read them.
//! The alliance's members' contacts are personal: only the desk lists them,
//! masked; who acknowledged an alert is the readers'.
//!
//! The peer port (`weigrid.exchange.v1.PeerService`) is not under this
//! policy: it carries no bearer token and is served on its own listener.
//! A peer is authorised by mutual TLS — its client certificate must chain
//! to a certificate authority the allow-list names for it — and then every
//! envelope by its sender's allow-listed ed25519 key, its recipients, its
//! message id (no replays) and its sent time (the allowed skew); anything
//! else is refused and logged (see `application::intake`).

use platform::auth::Role;
use platform::authz::{Rule, rule};

/// Who may call each RPC of the local API.
pub const POLICY: &[Rule] = &[
    rule("ListPeers", READERS),
    rule("ReportCase", DESK),
    rule("GetCase", READERS),
    rule("ListCases", READERS),
    rule("AcceptCase", DESK),
    rule("RejectCase", DESK),
    rule("ScheduleMediation", DESK),
    rule("RecordMediationOutcome", DESK),
    rule("CloseCase", DESK),
    rule("ListMessages", READERS),
    rule("VerifyLog", READERS),
    rule("ListDeliveries", OPERATIONS),
    rule("ListRefusals", OPERATIONS),
    rule("RequestCheck", DESK),
    rule("GetCheck", DESK),
    rule("ListChecks", DESK),
    rule("PutRisk", DESK),
    rule("ListRisks", READERS),
    rule("IssueAlert", DESK),
    rule("ListAlerts", READERS),
    rule("AddMember", DESK),
    rule("ListMembers", DESK),
    rule("AcknowledgeAlert", DESK),
    rule("ListAlertAcks", READERS),
];

/// The joint station's desk: the town centre and department officers.
const DESK: &[Role] = &[Role::TownOperator, Role::DepartmentOfficer];
/// The desk, and services reading joint cases and the message log.
const READERS: &[Role] = &[Role::TownOperator, Role::DepartmentOfficer, Role::Service];
/// The town centre and services, watching delivery and refusals.
const OPERATIONS: &[Role] = &[Role::TownOperator, Role::Service];
