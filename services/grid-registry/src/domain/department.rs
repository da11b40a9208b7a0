//! Safety domains, the departments answering for them (regulators and
//! co-managers), and the town leader on duty for each domain over time.

use chrono::{DateTime, Utc};

use super::grid::check_name;
use super::ids::DutyId;
use super::kinds::{DepartmentKind, ObjectKind};
use super::people::check_phone;
use kernel::FieldViolation;

/// A safety domain, such as production safety or flood control.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SafetyDomain {
    pub code: String,
    pub name: String,
}

/// A department and what it answers for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Department {
    pub code: String,
    pub name: String,
    pub kind: DepartmentKind,
    /// The kinds of object it regulates.
    pub regulates: Vec<ObjectKind>,
    /// The codes of the safety domains it answers for.
    pub domains: Vec<String>,
}

/// A town leader on duty for a safety domain from `starts_at`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DomainDuty {
    pub id: DutyId,
    pub domain_code: String,
    pub leader_name: String,
    pub leader_title: String,
    pub phone: String,
    pub starts_at: DateTime<Utc>,
}

/// What happened to a department.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DepartmentEvent {
    Upserted,
}

/// What happened to the duty roster.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DutyEvent {
    Assigned,
}

/// Checks an upper-case code such as `PRODUCTION_SAFETY` or `POLICE`.
pub fn check_upper_code(field: &str, code: &str, out: &mut Vec<FieldViolation>) {
    let ok = !code.is_empty()
        && code.len() <= 64
        && code
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
    if !ok {
        out.push(FieldViolation::new(
            field,
            "must be 1 to 64 upper-case letters, digits or '_'",
        ));
    }
}

impl SafetyDomain {
    /// Checks a domain as sent (fields named under `domain.`); the name is
    /// kept trimmed.
    ///
    /// # Errors
    /// Every broken rule, named by field.
    pub fn check(code: &str, name: &str) -> Result<Self, Vec<FieldViolation>> {
        let mut out = Vec::new();
        check_upper_code("domain.code", code, &mut out);
        check_name("domain.name", name, &mut out);
        if out.is_empty() {
            Ok(Self {
                code: code.to_owned(),
                name: name.trim().to_owned(),
            })
        } else {
            Err(out)
        }
    }
}

/// A department as a write proposes it: kinds not known to this version
/// are `None`.
#[derive(Debug, Clone)]
pub struct DepartmentDraft {
    pub code: String,
    pub name: String,
    pub kind: Option<DepartmentKind>,
    pub regulates: Vec<Option<ObjectKind>>,
    pub domains: Vec<String>,
}

impl DepartmentDraft {
    /// Checks the department (fields named under `department.`), given
    /// which of its domains the registry does not know.
    ///
    /// # Errors
    /// Every broken rule, named by field.
    pub fn check(
        self,
        unknown_domains: &[String],
    ) -> Result<(Department, DepartmentEvent), Vec<FieldViolation>> {
        let mut out = Vec::new();
        check_upper_code("department.code", &self.code, &mut out);
        check_name("department.name", &self.name, &mut out);
        if self.kind.is_none() {
            out.push(FieldViolation::new(
                "department.kind",
                "must be REGULATORY or CO_MANAGEMENT",
            ));
        }
        for (i, kind) in self.regulates.iter().enumerate() {
            if kind.is_none() {
                out.push(FieldViolation::new(
                    format!("department.regulates[{i}]"),
                    "must be a covered object kind",
                ));
            }
        }
        for unknown in unknown_domains {
            let i = self
                .domains
                .iter()
                .position(|d| d == unknown)
                .unwrap_or_default();
            out.push(FieldViolation::new(
                format!("department.domains[{i}]"),
                format!("names no safety domain: {unknown}"),
            ));
        }
        match self.kind {
            Some(kind) if out.is_empty() => Ok((
                Department {
                    code: self.code,
                    name: self.name.trim().to_owned(),
                    kind,
                    regulates: self.regulates.into_iter().flatten().collect(),
                    domains: self.domains,
                },
                DepartmentEvent::Upserted,
            )),
            _ => Err(out),
        }
    }
}

/// A duty as a write proposes it.
#[derive(Debug, Clone)]
pub struct DutyDraft {
    pub domain_code: String,
    pub leader_name: String,
    pub leader_title: String,
    pub phone: String,
    pub starts_at: DateTime<Utc>,
}

impl DutyDraft {
    /// Checks the duty, given whether its safety domain exists, and returns
    /// it as duty `id`.
    ///
    /// # Errors
    /// Every broken rule, named by field.
    pub fn check(
        self,
        id: DutyId,
        domain_known: bool,
    ) -> Result<(DomainDuty, DutyEvent), Vec<FieldViolation>> {
        let mut out = Vec::new();
        check_name("leader_name", &self.leader_name, &mut out);
        check_name("leader_title", &self.leader_title, &mut out);
        check_phone("phone", &self.phone, &mut out);
        if !domain_known {
            out.push(FieldViolation::new(
                "domain_code",
                format!("names no safety domain: {}", self.domain_code),
            ));
        }
        if !out.is_empty() {
            return Err(out);
        }
        let duty = DomainDuty {
            id,
            domain_code: self.domain_code,
            leader_name: self.leader_name.trim().to_owned(),
            leader_title: self.leader_title.trim().to_owned(),
            phone: self.phone,
            starts_at: self.starts_at,
        };
        Ok((duty, DutyEvent::Assigned))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_department_names_every_broken_rule_in_order() {
        let draft = DepartmentDraft {
            code: "police".into(),
            name: "派出所".into(),
            kind: None,
            regulates: vec![Some(ObjectKind::Shop), None],
            domains: vec!["FLOOD_CONTROL".into(), "ASTRONOMY".into()],
        };
        let fields: Vec<_> = draft
            .check(&["ASTRONOMY".into()])
            .unwrap_err()
            .into_iter()
            .map(|v| v.field)
            .collect();
        assert_eq!(
            fields,
            [
                "department.code",
                "department.kind",
                "department.regulates[1]",
                "department.domains[1]"
            ]
        );
    }

    #[test]
    fn a_duty_needs_a_known_domain() {
        let draft = DutyDraft {
            domain_code: "FLOOD_CONTROL".into(),
            leader_name: " 林副镇长 ".into(),
            leader_title: "镇领导".into(),
            phone: "13300000000".into(),
            starts_at: DateTime::UNIX_EPOCH,
        };
        let err = draft.clone().check(DutyId::generate(), false).unwrap_err();
        assert_eq!(err[0].rule, "names no safety domain: FLOOD_CONTROL");
        let (duty, _) = draft.check(DutyId::generate(), true).unwrap();
        assert_eq!(duty.leader_name, "林副镇长");
    }
}
