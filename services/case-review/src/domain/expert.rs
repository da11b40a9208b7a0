//! The expert registry: practising and public lawyers, the town's legal
//! adviser, district departments and appraisal bodies, with the
//! organisations they belong and report to, and their declarations of
//! interest.

use chrono::{DateTime, Duration, Utc};
use ed25519_dalek::VerifyingKey;
use kernel::FieldViolation;

use super::ids::{DeclarationId, ExpertId};
use super::same_name;

/// What kind of expert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExpertKind {
    PractisingLawyer,
    PublicLawyer,
    LegalAdviser,
    Department,
    AppraisalBody,
}

impl ExpertKind {
    /// Every kind, in a stable order.
    pub const ALL: [ExpertKind; 5] = [
        ExpertKind::PractisingLawyer,
        ExpertKind::PublicLawyer,
        ExpertKind::LegalAdviser,
        ExpertKind::Department,
        ExpertKind::AppraisalBody,
    ];

    /// Returns the stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            ExpertKind::PractisingLawyer => "PRACTISING_LAWYER",
            ExpertKind::PublicLawyer => "PUBLIC_LAWYER",
            ExpertKind::LegalAdviser => "LEGAL_ADVISER",
            ExpertKind::Department => "DEPARTMENT",
            ExpertKind::AppraisalBody => "APPRAISAL_BODY",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// An expert of the registry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expert {
    pub id: ExpertId,
    pub name: String,
    pub kind: ExpertKind,
    pub fields: Vec<String>,
    pub credentials: String,
    /// The organisation it belongs to (a code).
    pub organisation: String,
    /// The organisation it reports to, if any.
    pub reports_to: Option<String>,
    /// The ed25519 key its opinions are signed with.
    pub public_key: [u8; 32],
    pub active: bool,
    pub registered_at: DateTime<Utc>,
}

/// An expert to register, as decoded.
#[derive(Debug, Clone)]
pub struct NewExpert {
    pub name: String,
    pub kind: ExpertKind,
    pub fields: Vec<String>,
    pub credentials: String,
    pub organisation: String,
    pub reports_to: Option<String>,
    pub public_key: Vec<u8>,
}

impl Expert {
    /// Registers `new` at `now`.
    ///
    /// # Errors
    /// `public_key` is not an ed25519 public key.
    pub fn register(new: NewExpert, now: DateTime<Utc>) -> Result<Self, FieldViolation> {
        let public_key = public_key(&new.public_key).ok_or_else(|| {
            FieldViolation::new("public_key", "must be a 32-byte ed25519 public key")
        })?;
        Ok(Expert {
            id: ExpertId::generate(),
            name: new.name,
            kind: new.kind,
            fields: new.fields,
            credentials: new.credentials,
            organisation: new.organisation,
            reports_to: new.reports_to,
            public_key,
            active: true,
            registered_at: now,
        })
    }

    /// Returns whether the expert belongs to `organisation`.
    pub fn belongs_to(&self, organisation: &str) -> bool {
        same_name(&self.organisation, organisation)
    }

    /// Returns whether the expert has a reporting relation to
    /// `organisation`: belongs to it or reports to it.
    pub fn reports_to(&self, organisation: &str) -> bool {
        self.belongs_to(organisation)
            || self
                .reports_to
                .as_deref()
                .is_some_and(|above| same_name(above, organisation))
    }
}

/// Returns `bytes` as an ed25519 public key, when they are one.
pub fn public_key(bytes: &[u8]) -> Option<[u8; 32]> {
    let key: [u8; 32] = bytes.try_into().ok()?;
    VerifyingKey::from_bytes(&key).ok()?;
    Some(key)
}

/// An expert's declaration of an interest in a party, in force until it
/// expires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Declaration {
    pub id: DeclarationId,
    pub expert: ExpertId,
    pub party: String,
    pub note: String,
    pub declared_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

impl Declaration {
    /// Declares `expert`'s interest in `party` at `now`, until `expires_at`.
    ///
    /// # Errors
    /// `expires_at` is not after `now`.
    pub fn declare(
        expert: ExpertId,
        party: String,
        note: String,
        expires_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Self, FieldViolation> {
        if expires_at <= now {
            return Err(FieldViolation::new("expires_at", "must be in the future"));
        }
        Ok(Declaration {
            id: DeclarationId::generate(),
            expert,
            party,
            note,
            declared_at: now,
            expires_at,
        })
    }

    /// Returns whether the declaration is in force at `at`.
    pub fn in_force(&self, at: DateTime<Utc>) -> bool {
        self.declared_at <= at && at < self.expires_at
    }

    /// Returns whether the declaration concerns one of `parties` at `at`.
    pub fn concerns(&self, parties: &[String], at: DateTime<Utc>) -> bool {
        self.in_force(at) && parties.iter().any(|p| same_name(p, &self.party))
    }

    /// Returns whether the expert is to be reminded at `at`: it expires
    /// within `lead` and has not yet.
    pub fn reminder_due(&self, lead: Duration, at: DateTime<Utc>) -> bool {
        self.in_force(at) && self.expires_at - lead <= at
    }
}

#[cfg(test)]
mod tests {
    use ed25519_dalek::SigningKey;

    use super::*;
    use crate::domain::review::fixtures::{at, expert};

    #[test]
    fn an_expert_registers_only_with_a_real_public_key() {
        let key = SigningKey::from_bytes(&[7; 32]).verifying_key();
        let new = |public_key: Vec<u8>| NewExpert {
            name: "王律师".into(),
            kind: ExpertKind::PractisingLawyer,
            fields: vec!["administrative law".into()],
            credentials: "13101200010000001".into(),
            organisation: "LAWFIRM-1".into(),
            reports_to: None,
            public_key,
        };
        let expert = Expert::register(new(key.to_bytes().to_vec()), at(0)).unwrap();
        assert_eq!(expert.public_key, key.to_bytes());
        assert!(expert.active);
        let short = Expert::register(new(vec![1; 31]), at(0)).unwrap_err();
        assert_eq!(short.field, "public_key");
    }

    #[test]
    fn a_reporting_relation_is_belonging_to_or_reporting_to_the_organiser() {
        let inside = expert("A", "LX", None);
        let below = expert("B", "LX-JUSTICE", Some("lx"));
        let outside = expert("C", "LAWFIRM-1", None);
        assert!(inside.reports_to("LX"));
        assert!(below.reports_to(" LX "));
        assert!(!outside.reports_to("LX"));
    }

    #[test]
    fn a_declaration_concerns_a_party_only_while_in_force_and_is_reminded_before_it_expires() {
        let who = ExpertId::generate();
        let declaration = Declaration::declare(
            who,
            "某建材公司".into(),
            "曾任法律顾问".into(),
            at(30),
            at(0),
        )
        .unwrap();
        let parties = vec!["张某".to_owned(), " 某建材公司".to_owned()];
        assert!(declaration.concerns(&parties, at(1)));
        assert!(!declaration.concerns(&parties, at(30)));
        assert!(!declaration.concerns(&["别的公司".to_owned()], at(1)));
        let lead = Duration::days(14);
        assert!(!declaration.reminder_due(lead, at(15)));
        assert!(declaration.reminder_due(lead, at(16)));
        assert!(!declaration.reminder_due(lead, at(31)));
        let past = Declaration::declare(who, "x".into(), String::new(), at(0), at(0)).unwrap_err();
        assert_eq!(past.field, "expires_at");
    }
}
