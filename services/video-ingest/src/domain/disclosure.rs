//! Disclosure on application (依申请公开): a citizen applies to see footage
//! of some cameras over a window for a purpose; the review approves it as
//! a supervised viewing or a redacted copy, or refuses it with a reason; an
//! approval (and the copy issued) is usable only until its expiry.

use chrono::{DateTime, Utc};

use super::gbid::GbId;
use super::ids::{ApplicationId, ClipId};

/// Why footage is asked for (the town's cases since 2021).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Purpose {
    /// A lost item (失物).
    LostItem,
    /// A scraped vehicle (车辆剐蹭).
    VehicleScrape,
    /// Illegal dumping (偷倒垃圾).
    IllegalDumping,
    /// Straw burning (焚烧秸秆).
    StrawBurning,
    Other,
}

impl Purpose {
    /// Every purpose, in a stable order.
    pub const ALL: [Purpose; 5] = [
        Purpose::LostItem,
        Purpose::VehicleScrape,
        Purpose::IllegalDumping,
        Purpose::StrawBurning,
        Purpose::Other,
    ];

    /// Returns the stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::LostItem => "LOST_ITEM",
            Purpose::VehicleScrape => "VEHICLE_SCRAPE",
            Purpose::IllegalDumping => "ILLEGAL_DUMPING",
            Purpose::StrawBurning => "STRAW_BURNING",
            Purpose::Other => "OTHER",
        }
    }

    /// Returns the purpose stored as `name`.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == name)
    }
}

/// Where an application is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum State {
    Submitted,
    Approved,
    Refused,
}

impl State {
    /// Every state, in a stable order.
    pub const ALL: [State; 3] = [State::Submitted, State::Approved, State::Refused];

    /// Returns the stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            State::Submitted => "SUBMITTED",
            State::Approved => "APPROVED",
            State::Refused => "REFUSED",
        }
    }

    /// Returns the state stored as `name`.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == name)
    }
}

/// How approved footage is disclosed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Decision {
    /// A viewing supervised by the town's staff (查看).
    Viewing,
    /// A redacted copy (脱敏复制), issued as an object of its own.
    Copy,
}

impl Decision {
    /// Returns the stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Viewing => "VIEWING",
            Decision::Copy => "COPY",
        }
    }

    /// Returns the decision stored as `name`.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "VIEWING" => Some(Decision::Viewing),
            "COPY" => Some(Decision::Copy),
            _ => None,
        }
    }
}

/// Who applies: kept whole for the review, masked everywhere else.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applicant {
    pub name: String,
    pub id_number: String,
    pub phone: String,
}

/// What the review decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Review {
    Approve(Decision),
    Refuse(String),
}

/// A redacted copy issued for an application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedCopy {
    pub copy_clip: ClipId,
    pub source_clip: ClipId,
    pub issued_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// An application and where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Application {
    pub id: ApplicationId,
    /// `SQ-2026-000001`.
    pub number: String,
    pub applicant: Applicant,
    pub channels: Vec<GbId>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub purpose: Purpose,
    pub purpose_detail: String,
    pub dispute_ticket: Option<String>,
    pub state: State,
    pub decision: Option<Decision>,
    pub refusal_reason: Option<String>,
    pub reviewed_by: Option<String>,
    pub reviewed_at: Option<DateTime<Utc>>,
    pub valid_until: Option<DateTime<Utc>>,
    pub submitted_by: String,
    pub submitted_at: DateTime<Utc>,
    pub copies: Vec<IssuedCopy>,
}

/// A step the application's state does not allow.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("application {number} is {state}; {allowed}")]
pub struct NotAllowed {
    pub number: String,
    pub state: &'static str,
    pub allowed: &'static str,
}

/// Why footage may not be seen now.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccessDenied {
    #[error("application {0} is not approved")]
    NotApproved(String),
    #[error("application {0} is approved as a copy, and no copy has been issued yet")]
    NotIssued(String),
    #[error("the approval of application {number} expired at {at}")]
    Expired { number: String, at: DateTime<Utc> },
}

impl Application {
    fn not_allowed(&self, allowed: &'static str) -> NotAllowed {
        NotAllowed {
            number: self.number.clone(),
            state: self.state.as_str(),
            allowed,
        }
    }

    /// Applies the review at `now` by `by`; an approval is usable for
    /// `valid_for`.
    ///
    /// # Errors
    /// The application was reviewed already.
    pub fn review(
        &mut self,
        review: Review,
        by: &str,
        now: DateTime<Utc>,
        valid_for: chrono::TimeDelta,
    ) -> Result<(), NotAllowed> {
        if self.state != State::Submitted {
            return Err(self.not_allowed("it was reviewed already"));
        }
        match review {
            Review::Approve(decision) => {
                self.state = State::Approved;
                self.decision = Some(decision);
                self.valid_until = Some(now + valid_for);
            }
            Review::Refuse(reason) => {
                self.state = State::Refused;
                self.refusal_reason = Some(reason);
            }
        }
        self.reviewed_by = Some(by.to_owned());
        self.reviewed_at = Some(now);
        Ok(())
    }

    /// Checks that a copy may be issued now: approved as a copy, none
    /// issued yet, not expired.
    ///
    /// # Errors
    /// Any of those is not so.
    pub fn check_issue(&self, now: DateTime<Utc>) -> Result<(), NotAllowed> {
        if self.state != State::Approved || self.decision != Some(Decision::Copy) {
            return Err(self.not_allowed("only an application approved as a copy is issued one"));
        }
        if !self.copies.is_empty() {
            return Err(self.not_allowed("its copy was issued already"));
        }
        if self.valid_until.is_some_and(|until| until <= now) {
            return Err(self.not_allowed("its approval has expired"));
        }
        Ok(())
    }

    /// Checks that the footage may be seen at `now`: approved, the copy
    /// issued when it is one, and not past the approval's expiry.
    ///
    /// # Errors
    /// Why not.
    pub fn check_access(&self, now: DateTime<Utc>) -> Result<(), AccessDenied> {
        if self.state != State::Approved {
            return Err(AccessDenied::NotApproved(self.number.clone()));
        }
        if self.decision == Some(Decision::Copy) && self.copies.is_empty() {
            return Err(AccessDenied::NotIssued(self.number.clone()));
        }
        match self.valid_until {
            Some(at) if at <= now => Err(AccessDenied::Expired {
                number: self.number.clone(),
                at,
            }),
            _ => Ok(()),
        }
    }
}

/// Whose applications a caller lists and reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApplicationScope {
    /// Every application: the town centre and the police station.
    Town,
    /// Those naming a camera in the village (its code, or one of its
    /// micro-grids'), and those `submitter` registered: a village
    /// workstation's staff.
    Village { village: String, submitter: String },
    /// Only those `submitter` made: a resident from the mini-program.
    Own { submitter: String },
}

/// Where a page of applications (newest first) ended: the last one's
/// submission time and id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub submitted_at: DateTime<Utc>,
    pub id: ApplicationId,
}

impl Cursor {
    /// Returns the cursor after `application`.
    pub fn after(application: &Application) -> Self {
        Self {
            submitted_at: application.submitted_at,
            id: application.id,
        }
    }

    /// Returns the page token naming the cursor (microseconds, as stored).
    pub fn to_token(self) -> String {
        format!("{}_{}", self.submitted_at.timestamp_micros(), self.id)
    }

    /// Parses a page token made by [`Cursor::to_token`].
    pub fn parse(token: &str) -> Option<Self> {
        let (micros, id) = token.split_once('_')?;
        Some(Self {
            submitted_at: DateTime::from_timestamp_micros(micros.parse().ok()?)?,
            id: ApplicationId::parse(id)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeDelta;

    use super::*;

    #[test]
    fn a_page_token_names_where_the_page_ended_and_garbage_is_refused() {
        let cursor = Cursor {
            submitted_at: DateTime::from_timestamp_micros(1_764_633_600_123_456).unwrap(),
            id: ApplicationId::generate(),
        };
        assert_eq!(Cursor::parse(&cursor.to_token()), Some(cursor));
        for garbage in [
            "",
            "nonsense",
            "12_",
            "_x",
            "abc_0193",
            "9999999999999999999_x",
        ] {
            assert_eq!(Cursor::parse(garbage), None, "{garbage:?}");
        }
    }

    fn application() -> Application {
        let at = DateTime::from_timestamp(1_780_000_000, 0).unwrap();
        Application {
            id: ApplicationId::generate(),
            number: "SQ-2026-000001".into(),
            applicant: Applicant {
                name: "王小明".into(),
                id_number: "310116199001011234".into(),
                phone: "13812345678".into(),
            },
            channels: vec![GbId::parse("31011600001310000001").unwrap()],
            starts_at: at - TimeDelta::hours(1),
            ends_at: at,
            purpose: Purpose::VehicleScrape,
            purpose_detail: String::new(),
            dispute_ticket: None,
            state: State::Submitted,
            decision: None,
            refusal_reason: None,
            reviewed_by: None,
            reviewed_at: None,
            valid_until: None,
            submitted_by: "town".into(),
            submitted_at: at,
            copies: Vec::new(),
        }
    }

    #[test]
    fn an_application_is_reviewed_once() {
        let mut a = application();
        let now = a.submitted_at;
        a.review(
            Review::Refuse("与申请事由无关".into()),
            "town",
            now,
            TimeDelta::days(7),
        )
        .unwrap();
        assert_eq!(a.state, State::Refused);
        assert!(
            a.review(
                Review::Approve(Decision::Viewing),
                "town",
                now,
                TimeDelta::days(7)
            )
            .is_err()
        );
        assert!(a.check_access(now).is_err());
    }

    #[test]
    fn a_copy_is_seen_only_once_issued_and_before_its_expiry() {
        let mut a = application();
        let now = a.submitted_at;
        a.review(
            Review::Approve(Decision::Copy),
            "town",
            now,
            TimeDelta::days(7),
        )
        .unwrap();
        assert_eq!(
            a.check_access(now),
            Err(AccessDenied::NotIssued(a.number.clone()))
        );
        a.check_issue(now).unwrap();
        a.copies.push(IssuedCopy {
            copy_clip: ClipId::generate(),
            source_clip: ClipId::generate(),
            issued_at: now,
            expires_at: now + TimeDelta::days(7),
        });
        assert!(a.check_issue(now).is_err(), "one copy per application");
        assert_eq!(a.check_access(now + TimeDelta::days(6)), Ok(()));
        assert!(matches!(
            a.check_access(now + TimeDelta::days(7)),
            Err(AccessDenied::Expired { .. })
        ));
    }
}
