//! Ticket rules, kept as data (`ticket_rules`): which incidents become
//! VIDEO_ALARM tickets in dispatch, for which unit and with which
//! priority. A rule matches an incident's kind, optionally only of one
//! kind of camera, once its strongest event reaches the rule's score; each
//! of its units is asked for one ticket per incident.

use super::camera::CameraKind;
use super::incident::{Incident, IncidentKind};

/// How urgent a ticket is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Priority {
    Normal,
    Urgent,
}

impl Priority {
    /// Returns the stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Normal => "NORMAL",
            Priority::Urgent => "URGENT",
        }
    }

    /// Returns the priority stored as `name`.
    pub fn parse(name: &str) -> Option<Self> {
        [Priority::Normal, Priority::Urgent]
            .into_iter()
            .find(|p| p.as_str() == name)
    }
}

/// Who a rule's ticket is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RuleUnit {
    /// The micro-grid holding the camera: the ticket carries the camera's
    /// location and dispatch sends it straight there.
    MicroGrid,
    /// A department (e.g. `SAFETY`, the safety office): dispatch takes a
    /// department's ticket in at the town centre's desk, urgent first,
    /// which hands it over.
    Department { code: String, name: String },
}

impl RuleUnit {
    /// Returns the stored kind.
    pub fn kind(&self) -> &'static str {
        match self {
            RuleUnit::MicroGrid => "MICRO_GRID",
            RuleUnit::Department { .. } => "DEPARTMENT",
        }
    }

    /// Returns the department's code; empty for the micro-grid.
    pub fn code(&self) -> &str {
        match self {
            RuleUnit::MicroGrid => "",
            RuleUnit::Department { code, .. } => code,
        }
    }
}

/// One rule.
#[derive(Debug, Clone, PartialEq)]
pub struct TicketRule {
    pub code: String,
    pub incident_kind: IncidentKind,
    /// Only incidents of this kind of camera; `None`: any.
    pub camera_kind: Option<CameraKind>,
    /// The strongest event's score it needs, 0–1.
    pub min_score: f64,
    pub priority: Priority,
    /// The dispatch category of its tickets.
    pub category_code: String,
    pub units: Vec<RuleUnit>,
    pub active: bool,
}

impl TicketRule {
    /// Returns whether `incident` (as it now is) calls for this rule's
    /// tickets.
    pub fn matches(&self, incident: &Incident) -> bool {
        self.active
            && self.incident_kind == incident.kind
            && self.camera_kind.is_none_or(|k| k == incident.camera_kind)
            && incident.max_score >= self.min_score
    }

    /// Returns the key of the ticket for `unit` of `incident`: however
    /// often it is asked, one ticket.
    pub fn ticket_key(&self, incident: &Incident, unit: &RuleUnit) -> String {
        match unit {
            RuleUnit::MicroGrid => format!("video-incident-{}-{}", incident.id, self.code),
            RuleUnit::Department { code, .. } => {
                format!("video-incident-{}-{}-{code}", incident.id, self.code)
            }
        }
    }
}

/// A ticket an incident asked dispatch for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AskedTicket {
    pub rule_code: String,
    /// `MICRO_GRID` or `DEPARTMENT`.
    pub unit_kind: String,
    pub unit_code: String,
    pub priority: Priority,
    /// The request's key in dispatch.
    pub ticket_ref: String,
    pub requested_at: chrono::DateTime<chrono::Utc>,
}

/// Returns the rules `incident` calls for, the most urgent first (so that a
/// fire's tickets are asked for before any other of the same round).
pub fn matching<'a>(rules: &'a [TicketRule], incident: &Incident) -> Vec<&'a TicketRule> {
    let mut matched: Vec<&TicketRule> = rules.iter().filter(|r| r.matches(incident)).collect();
    matched.sort_by(|a, b| b.priority.cmp(&a.priority).then(a.code.cmp(&b.code)));
    matched
}

#[cfg(test)]
mod tests {
    use chrono::DateTime;

    use super::*;
    use crate::domain::gbid::GbId;
    use crate::domain::ids::IncidentId;

    fn incident(kind: IncidentKind, camera: CameraKind, score: f64) -> Incident {
        let id = GbId::parse("31011600001320000001").unwrap();
        Incident {
            id: IncidentId::generate(),
            channel: id.clone(),
            device: id,
            kind,
            camera_kind: camera,
            grid_code: None,
            location: None,
            first_at: DateTime::UNIX_EPOCH,
            last_at: DateTime::UNIX_EPOCH,
            events: 1,
            max_score: score,
        }
    }

    fn rule(code: &str, kind: IncidentKind, priority: Priority) -> TicketRule {
        TicketRule {
            code: code.into(),
            incident_kind: kind,
            camera_kind: None,
            min_score: 0.5,
            priority,
            category_code: "OTHER".into(),
            units: vec![RuleUnit::MicroGrid],
            active: true,
        }
    }

    #[test]
    fn a_rule_needs_its_kind_its_camera_and_its_score() {
        let mut fire = rule("FIRE", IncidentKind::Fire, Priority::Urgent);
        fire.camera_kind = Some(CameraKind::Thermal);
        assert!(fire.matches(&incident(IncidentKind::Fire, CameraKind::Thermal, 0.8)));
        assert!(!fire.matches(&incident(IncidentKind::Fire, CameraKind::General, 0.8)));
        assert!(!fire.matches(&incident(IncidentKind::Fire, CameraKind::Thermal, 0.2)));
        fire.active = false;
        assert!(!fire.matches(&incident(IncidentKind::Fire, CameraKind::Thermal, 0.8)));
    }

    #[test]
    fn urgent_rules_come_first() {
        let rules = [
            rule("A_DUMPING", IncidentKind::Fire, Priority::Normal),
            rule("Z_FIRE", IncidentKind::Fire, Priority::Urgent),
        ];
        let found = matching(
            &rules,
            &incident(IncidentKind::Fire, CameraKind::Thermal, 1.0),
        );
        let codes: Vec<_> = found.iter().map(|r| r.code.as_str()).collect();
        assert_eq!(codes, ["Z_FIRE", "A_DUMPING"]);
    }

    #[test]
    fn each_unit_of_an_incident_has_its_own_ticket_key() {
        let fire = rule("FIRE", IncidentKind::Fire, Priority::Urgent);
        let i = incident(IncidentKind::Fire, CameraKind::Thermal, 1.0);
        let safety = RuleUnit::Department {
            code: "SAFETY".into(),
            name: "安全办".into(),
        };
        assert_ne!(
            fire.ticket_key(&i, &RuleUnit::MicroGrid),
            fire.ticket_key(&i, &safety)
        );
        assert_eq!(
            Priority::parse(Priority::Urgent.as_str()),
            Some(Priority::Urgent)
        );
    }
}
