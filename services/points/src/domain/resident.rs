//! Residents and households. A resident earns into, and spends from, their
//! household's account when they belong to one, else their own.

use chrono::{DateTime, Utc};

use super::error::DomainError;
use super::ids::{AccountId, HouseholdId, ResidentId};

/// A resident as kept (phone and name in clear: masked before they leave).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resident {
    pub id: ResidentId,
    /// The mini-program identity; `None` for a resident served at the
    /// workstation.
    pub openid: Option<String>,
    /// The printable code of a resident served at the workstation.
    pub code: Option<String>,
    pub name: String,
    pub phone: String,
    pub village_code: String,
    pub household: Option<HouseholdId>,
    pub active: bool,
    pub registered_at: DateTime<Utc>,
    /// The staff member who registered them; `None` when they did.
    pub operator: Option<String>,
}

/// A registration, as the caller asked for it (already shape-checked).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    /// `None` for a resident served at the workstation.
    pub openid: Option<String>,
    pub name: String,
    pub phone: String,
    pub village_code: String,
    pub household: Option<HouseholdId>,
}

/// A resident deactivated: what is kept of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResidentDeactivated {
    pub resident: ResidentId,
    pub reason: String,
    pub at: DateTime<Utc>,
}

impl Resident {
    /// Returns the resident `registration` makes, in `household` when it
    /// names one: a new id, the printable `code` of a resident served at the
    /// workstation.
    ///
    /// # Errors
    /// The household is another village's.
    pub fn register(
        registration: Registration,
        household: Option<&Household>,
        code: Option<String>,
        operator: Option<String>,
        at: DateTime<Utc>,
    ) -> Result<Self, DomainError> {
        if let Some(household) = household {
            household.admits(&registration.village_code)?;
        }
        Ok(Self {
            id: ResidentId::generate(),
            openid: registration.openid,
            code,
            name: registration.name,
            phone: registration.phone,
            village_code: registration.village_code,
            household: household.map(|h| h.id),
            active: true,
            registered_at: at,
            operator,
        })
    }

    /// Returns the account the resident earns into and spends from: the
    /// household's when they belong to one.
    pub fn account(&self) -> AccountId {
        self.household
            .map(AccountId::from)
            .unwrap_or(AccountId::from(self.id))
    }

    /// Refuses new reports and orders of a deactivated resident.
    ///
    /// # Errors
    /// [`DomainError::Deactivated`].
    pub fn require_active(&self) -> Result<(), DomainError> {
        if self.active {
            Ok(())
        } else {
            Err(DomainError::Deactivated(self.id))
        }
    }

    /// Deactivates the resident; their history stays. `None` when they were
    /// already (deactivating twice is deactivating once).
    pub fn deactivate(&mut self, reason: &str, at: DateTime<Utc>) -> Option<ResidentDeactivated> {
        if !self.active {
            return None;
        }
        self.active = false;
        Some(ResidentDeactivated {
            resident: self.id,
            reason: reason.to_owned(),
            at,
        })
    }
}

/// A household: residents of one village earning into one balance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Household {
    pub id: HouseholdId,
    pub village_code: String,
    /// E.g. the house number: 中丰村 3组 12号.
    pub label: String,
    pub created_at: DateTime<Utc>,
}

impl Household {
    /// Returns a new household of `village`.
    pub fn create(village: &str, label: &str, at: DateTime<Utc>) -> Self {
        Self {
            id: HouseholdId::generate(),
            village_code: village.to_owned(),
            label: label.to_owned(),
            created_at: at,
        }
    }

    /// Refuses a member from another village.
    ///
    /// # Errors
    /// [`DomainError::HouseholdElsewhere`].
    pub fn admits(&self, village: &str) -> Result<(), DomainError> {
        if self.village_code == village {
            Ok(())
        } else {
            Err(DomainError::HouseholdElsewhere {
                household_village: self.village_code.clone(),
                village: village.to_owned(),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-03-02T01:00:00Z")
            .unwrap()
            .to_utc()
    }

    fn registration(village: &str) -> Registration {
        Registration {
            openid: None,
            name: "张三".into(),
            phone: "13812345678".into(),
            village_code: village.into(),
            household: None,
        }
    }

    #[test]
    fn a_household_member_earns_into_the_households_account() {
        let household = Household::create("V1", "中丰村 3组 12号", at());
        let alone = Resident::register(registration("V1"), None, None, None, at()).unwrap();
        assert_eq!(alone.account(), AccountId::from(alone.id));
        let member =
            Resident::register(registration("V1"), Some(&household), None, None, at()).unwrap();
        assert_eq!(member.account(), AccountId::from(household.id));
    }

    #[test]
    fn a_household_takes_members_of_its_own_village_only() {
        let household = Household::create("V1", "3组 12号", at());
        let err =
            Resident::register(registration("V2"), Some(&household), None, None, at()).unwrap_err();
        assert_eq!(err.to_string(), "is a household of V1, not of V2");
    }

    #[test]
    fn a_deactivated_resident_is_deactivated_once_and_refused_new_reports() {
        let mut resident = Resident::register(registration("V1"), None, None, None, at()).unwrap();
        assert_eq!(resident.require_active(), Ok(()));
        let deactivated = resident.deactivate("迁出本村", at()).unwrap();
        assert_eq!(deactivated.reason, "迁出本村");
        assert_eq!(resident.deactivate("again", at()), None);
        assert_eq!(
            resident.require_active(),
            Err(DomainError::Deactivated(resident.id))
        );
    }
}
