//! The restricted store of special-care people (六类人) and its audit
//! trail: every read, and every refused attempt, is recorded.

use chrono::{DateTime, Utc};

use super::grid::{Grid, check_code, check_name};
use super::ids::{AccessId, CarePersonId, GridId};
use super::kinds::{CareAction, CareCategory};
use super::people::{check_id_number, check_phone};
use kernel::FieldViolation;

/// A special-care person as a write proposes it.
#[derive(Debug, Clone)]
pub struct CarePersonDraft {
    pub code: String,
    pub micro_grid_code: String,
    pub category: Option<CareCategory>,
    pub name: String,
    pub id_number: String,
    pub phone: String,
}

/// A draft that keeps its own rules.
#[derive(Debug, Clone)]
pub struct NewCarePerson {
    pub code: String,
    pub micro_grid_code: String,
    pub category: CareCategory,
    pub name: String,
    /// Upper-case, so the check character X is stored one way.
    pub id_number: String,
    pub phone: Option<String>,
}

/// A special-care person, in the micro-grid that looks after them.
#[derive(Debug, Clone, PartialEq)]
pub struct CarePerson {
    pub id: CarePersonId,
    pub code: String,
    pub micro_grid_id: GridId,
    pub micro_grid_code: String,
    pub category: CareCategory,
    pub name: String,
    pub id_number: String,
    pub phone: Option<String>,
}

/// One audited read of special-care people or registration of a
/// special-care person, or a refused attempt.
#[derive(Debug, Clone, PartialEq)]
pub struct CareAccess {
    pub id: AccessId,
    pub action: CareAction,
    /// The record a registration names, by its code.
    pub person_code: Option<String>,
    /// The ID number a registration names, masked by the caller of
    /// [`CareAccess::registration`]: the trail never holds it whole.
    pub id_number_masked: Option<String>,
    pub subject: String,
    /// The caller's role, by its token name.
    pub role: String,
    /// The grid read, `*` for the whole town.
    pub grid_code: String,
    pub purpose: String,
    pub records: u32,
    pub granted: bool,
    pub at: DateTime<Utc>,
}

impl CarePersonDraft {
    /// Checks the person's fields.
    ///
    /// # Errors
    /// Every broken rule, named by field.
    pub fn check(self) -> Result<NewCarePerson, Vec<FieldViolation>> {
        let mut out = Vec::new();
        check_code("code", self.code.trim(), &mut out);
        check_name("name", &self.name, &mut out);
        check_id_number("id_number", self.id_number.trim(), &mut out);
        if !self.phone.is_empty() {
            check_phone("phone", &self.phone, &mut out);
        }
        if self.category.is_none() {
            out.push(FieldViolation::new(
                "category",
                "must be one of the six special-care groups",
            ));
        }
        match self.category {
            Some(category) if out.is_empty() => Ok(NewCarePerson {
                code: self.code.trim().to_owned(),
                micro_grid_code: self.micro_grid_code.trim().to_owned(),
                category,
                name: self.name.trim().to_owned(),
                id_number: self.id_number.trim().to_uppercase(),
                phone: (!self.phone.is_empty()).then_some(self.phone),
            }),
            _ => Err(out),
        }
    }
}

impl CarePerson {
    /// Registers `new` as person `id`, looked after by micro-grid `grid`.
    pub fn register(id: CarePersonId, new: NewCarePerson, grid: &Grid) -> CarePerson {
        CarePerson {
            id,
            code: new.code,
            micro_grid_id: grid.id,
            micro_grid_code: grid.code.clone(),
            category: new.category,
            name: new.name,
            id_number: new.id_number,
            phone: new.phone,
        }
    }
}

impl CareAccess {
    /// Returns the record of an attempt by `subject` acting as `role` to
    /// read `grid_code` (empty: the whole town) for `purpose`; refused
    /// until [`CareAccess::granted`].
    pub fn attempt(
        id: AccessId,
        subject: &str,
        role: &str,
        grid_code: &str,
        purpose: &str,
        at: DateTime<Utc>,
    ) -> Self {
        Self {
            id,
            action: CareAction::Read,
            person_code: None,
            id_number_masked: None,
            subject: subject.to_owned(),
            role: role.to_owned(),
            grid_code: if grid_code.is_empty() {
                "*".into()
            } else {
                grid_code.to_owned()
            },
            purpose: purpose.to_owned(),
            records: 0,
            granted: false,
            at,
        }
    }

    /// Returns the record of an attempt by `subject` acting as `role` to
    /// register `new` (its ID number given already masked); refused until
    /// [`CareAccess::granted`].
    pub fn registration(
        id: AccessId,
        subject: &str,
        role: &str,
        new: &NewCarePerson,
        id_number_masked: String,
        at: DateTime<Utc>,
    ) -> Self {
        Self {
            action: CareAction::Create,
            person_code: Some(new.code.clone()),
            id_number_masked: Some(id_number_masked),
            ..Self::attempt(id, subject, role, &new.micro_grid_code, "registration", at)
        }
    }

    /// Returns the record of the attempt granted, `records` read.
    pub fn granted(self, records: usize) -> Self {
        Self {
            records: u32::try_from(records).unwrap_or(u32::MAX),
            granted: true,
            ..self
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_read_of_the_whole_town_is_recorded_as_star_and_refused_until_granted() {
        let attempt = CareAccess::attempt(
            AccessId::generate(),
            "test-resident",
            "resident",
            "",
            "curiosity",
            DateTime::UNIX_EPOCH,
        );
        assert_eq!(
            (attempt.grid_code.as_str(), attempt.granted, attempt.records),
            ("*", false, 0)
        );
        let granted = attempt.granted(3);
        assert_eq!((granted.granted, granted.records), (true, 3));
    }

    #[test]
    fn an_id_number_is_stored_upper_case_and_a_wrong_one_is_named() {
        let draft = CarePersonDraft {
            code: "CARE-001".into(),
            micro_grid_code: " V1-A1-M01 ".into(),
            category: Some(CareCategory::KeyYouth),
            name: "王小明".into(),
            id_number: "11010519491231002x".into(),
            phone: String::new(),
        };
        let new = draft.clone().check().unwrap();
        assert_eq!(new.id_number, "11010519491231002X");
        assert_eq!(
            (new.micro_grid_code.as_str(), new.phone),
            ("V1-A1-M01", None)
        );
        let wrong = CarePersonDraft {
            id_number: "110105194912310021".into(),
            category: None,
            ..draft
        };
        let fields: Vec<_> = wrong
            .check()
            .unwrap_err()
            .into_iter()
            .map(|v| v.field)
            .collect();
        assert_eq!(fields, ["id_number", "category"]);
    }
}
