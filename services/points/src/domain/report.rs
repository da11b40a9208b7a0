//! A villager's report and its lifecycle. A report is SUBMITTED, then
//! follows its dispatch ticket: FORWARDED when dispatch has it, IN_HANDLING
//! while a unit works on it, VERIFIED (its points awarded, within the caps)
//! when the town finds the result true, CLOSED after. A report of an open
//! problem already reported is a DUPLICATE and earns nothing; one found
//! untrue is REJECTED and gives back what it earned, by compensating
//! entries, as far as the balance allows and the rest from later credits.

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};

use super::SERVICE;
use super::ids::{AccountId, ReportId, ResidentId, TicketId};
use super::ledger::{EntryKind, LedgerEntry, Posting};
use super::photos::PhotoRef;
use super::resident::Resident;
use super::rules::{AwardRule, Awarded, Caps, capped};

/// The longest report text, in characters.
pub const MAX_TEXT: usize = 2000;

/// Where a report stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReportStatus {
    /// Taken in; its ticket asked of dispatch.
    Submitted,
    /// Dispatch has its ticket.
    Forwarded,
    /// A unit works on its ticket.
    InHandling,
    /// Found true: its points are awarded.
    Verified,
    /// It repeats a report of an open problem: it earns nothing.
    Duplicate,
    /// Found untrue: what it earned is taken back.
    Rejected,
    /// Verified, and its ticket closed.
    Closed,
}

impl ReportStatus {
    /// Every status.
    pub const ALL: [ReportStatus; 7] = [
        ReportStatus::Submitted,
        ReportStatus::Forwarded,
        ReportStatus::InHandling,
        ReportStatus::Verified,
        ReportStatus::Duplicate,
        ReportStatus::Rejected,
        ReportStatus::Closed,
    ];

    /// The statuses of a report whose points are still to come, in the
    /// order a report moves through them.
    pub const PENDING: [ReportStatus; 3] = [
        ReportStatus::Submitted,
        ReportStatus::Forwarded,
        ReportStatus::InHandling,
    ];

    /// Returns the stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            ReportStatus::Submitted => "SUBMITTED",
            ReportStatus::Forwarded => "FORWARDED",
            ReportStatus::InHandling => "IN_HANDLING",
            ReportStatus::Verified => "VERIFIED",
            ReportStatus::Duplicate => "DUPLICATE",
            ReportStatus::Rejected => "REJECTED",
            ReportStatus::Closed => "CLOSED",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|status| status.as_str() == s)
    }

    /// Returns whether the report's points are still to come.
    pub fn is_pending(self) -> bool {
        self.pending_rank().is_some()
    }

    fn pending_rank(self) -> Option<usize> {
        Self::PENDING.iter().position(|p| *p == self)
    }
}

/// A report.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub id: ReportId,
    pub resident: ResidentId,
    /// Where its points go, fixed when it was submitted.
    pub account: AccountId,
    pub category_code: String,
    /// 1 (minor) to 3 (serious).
    pub severity: u32,
    pub text: String,
    pub photos: Vec<PhotoRef>,
    pub lat: f64,
    pub lng: f64,
    pub status: ReportStatus,
    pub ticket: Option<TicketId>,
    pub ticket_number: Option<String>,
    /// The report (or, as dispatch links it, the ticket) it repeats.
    pub duplicate_of: Option<String>,
    pub pending_points: u32,
    pub awarded_points: u32,
    pub reversed_points: u32,
    pub submitted_at: DateTime<Utc>,
    /// The day in the town's time zone, for the daily and monthly caps.
    pub local_day: NaiveDate,
    /// The staff member who filed it for the resident; `None` when they did.
    pub operator: Option<String>,
    pub updated_at: DateTime<Utc>,
}

/// A report as the caller sent it, already shape-checked.
#[derive(Debug, Clone, PartialEq)]
pub struct SubmitReport {
    pub resident: ResidentId,
    pub category_code: String,
    pub severity: u32,
    pub text: String,
    pub photos: Vec<PhotoRef>,
    pub lat: f64,
    pub lng: f64,
}

/// A report's ticket, as dispatch's events name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketLink {
    /// `None` when the event's id is not a UUID.
    pub id: Option<TicketId>,
    pub number: String,
}

/// What happened to a report's ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TicketStep {
    /// Dispatch took the ticket in, possibly linking it to an open ticket
    /// of the same problem.
    Received {
        duplicate_of: Option<String>,
    },
    /// Dispatched, accepted, started, returned or resolved.
    Handling,
    /// The town found the result true.
    Verified,
    /// Reopened; `untrue` when because the report proved untrue.
    Reopened {
        untrue: bool,
    },
    /// Rejected at the desk as not a case: treated as an untrue report.
    Rejected,
    Closed,
    /// Any other step: the ticket is recorded, nothing else changes.
    Other,
}

/// One of dispatch's ticket events, for the report it concerns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketUpdate {
    pub report: ReportId,
    pub ticket: TicketLink,
    pub step: TicketStep,
    /// When it happened; `None` when the event does not say.
    pub at: Option<DateTime<Utc>>,
}

/// What a ticket step asks of the ledger.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Due {
    Nothing,
    /// Award the verified report its points, within the caps, then
    /// [`Report::verified`].
    Award,
    /// Take back what the untrue report earned ([`Report::take_back`]).
    TakeBack,
}

/// Where a page of a resident's reports ends: the next page starts after
/// it (reports come newest first).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub submitted_at: DateTime<Utc>,
    pub id: ReportId,
}

impl Cursor {
    /// Returns the cursor after `report`.
    pub fn after(report: &Report) -> Self {
        Self {
            submitted_at: report.submitted_at,
            id: report.id,
        }
    }

    /// Returns the page token naming the cursor.
    pub fn to_token(self) -> String {
        format!("{}_{}", self.submitted_at.to_rfc3339(), self.id)
    }

    /// Parses a page token made by [`Cursor::to_token`].
    pub fn parse(token: &str) -> Option<Self> {
        let (at, id) = token.split_once('_')?;
        Some(Self {
            submitted_at: DateTime::parse_from_rfc3339(at).ok()?.to_utc(),
            id: ReportId::parse(id)?,
        })
    }
}

impl Report {
    /// Takes a report in for `resident` under `rule`: a duplicate of
    /// `original` (the earlier report it repeats) earns nothing; any other
    /// awaits the base points times its severity.
    pub fn submit(
        cmd: SubmitReport,
        resident: &Resident,
        rule: &AwardRule,
        original: Option<&Report>,
        operator: Option<String>,
        now: DateTime<Utc>,
        town: FixedOffset,
    ) -> Self {
        let (status, pending_points) = match original {
            Some(_) => (ReportStatus::Duplicate, 0),
            None => (ReportStatus::Submitted, rule.points(cmd.severity)),
        };
        Self {
            id: ReportId::generate(),
            resident: resident.id,
            account: resident.account(),
            category_code: rule.category_code.clone(),
            severity: cmd.severity,
            text: cmd.text,
            photos: cmd.photos,
            lat: cmd.lat,
            lng: cmd.lng,
            status,
            ticket: None,
            ticket_number: None,
            duplicate_of: original.map(|o| o.id.to_string()),
            pending_points,
            awarded_points: 0,
            reversed_points: 0,
            submitted_at: now,
            local_day: now.with_timezone(&town).date_naive(),
            operator,
            updated_at: now,
        }
    }

    /// Follows the report's ticket one `step`, at `at`: records the ticket
    /// and moves the report on. Returns what the ledger owes for it.
    pub fn follow(&mut self, ticket: TicketLink, step: &TicketStep, at: DateTime<Utc>) -> Due {
        self.ticket = ticket.id;
        self.ticket_number = Some(ticket.number);
        self.updated_at = at;
        match step {
            // Dispatch linked it to an open ticket of the same problem.
            TicketStep::Received {
                duplicate_of: Some(original),
            } if self.status.is_pending() => {
                self.status = ReportStatus::Duplicate;
                self.duplicate_of = Some(original.clone());
                self.pending_points = 0;
            }
            TicketStep::Received { .. } => self.advance(ReportStatus::Forwarded),
            TicketStep::Handling | TicketStep::Reopened { untrue: false } => {
                self.advance(ReportStatus::InHandling)
            }
            // A duplicate, one found untrue, or one awarded already (a
            // ticket verified again after a reopening) earns nothing more.
            TicketStep::Verified if self.status.is_pending() => return Due::Award,
            TicketStep::Reopened { untrue: true } | TicketStep::Rejected => {
                self.status = ReportStatus::Rejected;
                self.pending_points = 0;
                return Due::TakeBack;
            }
            TicketStep::Closed if self.status == ReportStatus::Verified => {
                self.status = ReportStatus::Closed
            }
            _ => {}
        }
        Due::Nothing
    }

    /// Moves a report whose points are still to come forward to `status`,
    /// never back.
    fn advance(&mut self, status: ReportStatus) {
        if let (Some(now), Some(next)) = (self.status.pending_rank(), status.pending_rank())
            && next > now
        {
            self.status = status;
        }
    }

    /// Returns what of its pending points the verified report may earn,
    /// given what its resident was already awarded for the reports of its
    /// day and month.
    pub fn points_due(&self, awarded: Awarded, caps: Caps) -> u32 {
        capped(self.pending_points, awarded, caps)
    }

    /// Returns the award of `points` for the verified report, posted once
    /// (`award:<report>`).
    pub fn award(&self, points: u32, at: DateTime<Utc>) -> Posting {
        Posting {
            key: format!("award:{}", self.id),
            account: self.account,
            kind: EntryKind::Award,
            amount: i64::from(points),
            at,
            resident: Some(self.resident),
            report: Some(self.id),
            order: None,
            reason: Some(format!(
                "{} report verified, severity {}",
                self.category_code, self.severity
            )),
            operator: self.operator_or_service(),
        }
    }

    /// Marks the report verified, with its award's entry (`None` when the
    /// caps left nothing to award).
    pub fn verified(&mut self, award: Option<&LedgerEntry>) {
        if let Some(entry) = award {
            self.awarded_points = points(entry.posting.amount);
        }
        self.status = ReportStatus::Verified;
        self.pending_points = 0;
    }

    /// Returns what the report still owes: awarded and not taken back yet.
    pub fn owed(&self) -> i64 {
        i64::from(self.awarded_points) - i64::from(self.reversed_points)
    }

    /// Returns the reversal taking back as much of what the report owes as
    /// `balance` holds (the ledger never goes negative: the rest is taken
    /// from later credits). The first reversal's key is `reverse:<report>`;
    /// one taken later is `reverse:<report>@<points reversed before it>`,
    /// so each is posted once.
    pub fn take_back(&self, balance: i64, at: DateTime<Utc>) -> Option<Posting> {
        let amount = self.owed().min(balance);
        if amount <= 0 {
            return None;
        }
        let key = match self.reversed_points {
            0 => format!("reverse:{}", self.id),
            before => format!("reverse:{}@{before}", self.id),
        };
        Some(Posting {
            key,
            account: self.account,
            kind: EntryKind::Reversal,
            amount: -amount,
            at,
            resident: Some(self.resident),
            report: Some(self.id),
            order: None,
            reason: Some("the report proved untrue".into()),
            operator: self.operator_or_service(),
        })
    }

    /// Records a reversal posted for the report.
    pub fn taken_back(&mut self, reversal: &LedgerEntry) {
        self.reversed_points += points(-reversal.posting.amount);
    }

    /// Returns who an award or reversal is recorded against: the
    /// workstation operator who filed the report, else the service itself.
    fn operator_or_service(&self) -> String {
        self.operator.clone().unwrap_or_else(|| SERVICE.into())
    }
}

/// Returns an entry's amount as report points (never negative).
fn points(amount: i64) -> u32 {
    u32::try_from(amount.max(0)).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::EntryId;
    use crate::domain::resident::Registration;

    const TOWN: i32 = 8 * 3600;
    const CAPS: Caps = Caps {
        daily: 30,
        monthly: 200,
    };

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().to_utc()
    }

    fn resident() -> Resident {
        Resident::register(
            Registration {
                openid: Some("oX-1".into()),
                name: "张三".into(),
                phone: "13812345678".into(),
                village_code: "V1".into(),
                household: None,
            },
            None,
            None,
            None,
            at("2026-03-01T00:00:00Z"),
        )
        .unwrap()
    }

    fn rule() -> AwardRule {
        AwardRule {
            category_code: "ILLEGAL_DUMPING".into(),
            base_points: 10,
            active: true,
        }
    }

    fn submit(severity: u32, original: Option<&Report>, now: &str) -> Report {
        let resident = resident();
        Report::submit(
            SubmitReport {
                resident: resident.id,
                category_code: "ILLEGAL_DUMPING".into(),
                severity,
                text: "河边有人偷倒建筑垃圾".into(),
                photos: Vec::new(),
                lat: 30.02,
                lng: 121.02,
            },
            &resident,
            &rule(),
            original,
            None,
            at(now),
            FixedOffset::east_opt(TOWN).unwrap(),
        )
    }

    fn ticket() -> TicketLink {
        TicketLink {
            id: Some(TicketId::generate()),
            number: "LX-2026-000001".into(),
        }
    }

    /// The entry a posting becomes.
    fn posted(posting: Posting) -> LedgerEntry {
        LedgerEntry {
            id: EntryId::generate(),
            posting,
            balance_after: 0,
        }
    }

    #[test]
    fn a_report_moves_forward_with_its_ticket_and_never_back() {
        let now = at("2026-03-02T08:00:00Z");
        let mut report = submit(2, None, "2026-03-02T08:00:00Z");
        assert_eq!(
            (report.status, report.pending_points),
            (ReportStatus::Submitted, 20)
        );
        let received = TicketStep::Received { duplicate_of: None };
        assert_eq!(report.follow(ticket(), &received, now), Due::Nothing);
        assert_eq!(report.status, ReportStatus::Forwarded);
        assert_eq!(report.ticket_number.as_deref(), Some("LX-2026-000001"));
        report.follow(ticket(), &TicketStep::Handling, now);
        assert_eq!(report.status, ReportStatus::InHandling);
        report.follow(ticket(), &received, now);
        report.follow(ticket(), &TicketStep::Reopened { untrue: false }, now);
        assert_eq!(report.status, ReportStatus::InHandling, "never back");
        report.follow(ticket(), &TicketStep::Closed, now);
        assert_eq!(
            report.status,
            ReportStatus::InHandling,
            "closed only once verified"
        );

        assert_eq!(
            report.follow(ticket(), &TicketStep::Verified, now),
            Due::Award
        );
        let award = report.award(report.points_due(Awarded::default(), CAPS), now);
        report.verified(Some(&posted(award)));
        assert_eq!(
            (report.status, report.pending_points, report.awarded_points),
            (ReportStatus::Verified, 0, 20)
        );
        // Verified again (after a reopening), or still handled: nothing more.
        assert_eq!(
            report.follow(ticket(), &TicketStep::Verified, now),
            Due::Nothing
        );
        report.follow(ticket(), &TicketStep::Handling, now);
        assert_eq!(report.status, ReportStatus::Verified);
        report.follow(ticket(), &TicketStep::Closed, now);
        assert_eq!(report.status, ReportStatus::Closed);
    }

    #[test]
    fn a_report_linked_to_an_open_ticket_is_a_duplicate_and_earns_nothing() {
        let now = at("2026-03-02T08:00:00Z");
        let mut report = submit(1, None, "2026-03-02T08:00:00Z");
        let linked = TicketStep::Received {
            duplicate_of: Some("LX-2026-000007".into()),
        };
        report.follow(ticket(), &linked, now);
        assert_eq!(
            (report.status, report.pending_points),
            (ReportStatus::Duplicate, 0)
        );
        assert_eq!(report.duplicate_of.as_deref(), Some("LX-2026-000007"));
        assert_eq!(
            report.follow(ticket(), &TicketStep::Verified, now),
            Due::Nothing
        );
        assert_eq!(report.status, ReportStatus::Duplicate);

        // Once verified, a late link changes nothing.
        let mut verified = submit(1, None, "2026-03-02T08:00:00Z");
        verified.verified(None);
        verified.follow(ticket(), &linked, now);
        assert_eq!(verified.status, ReportStatus::Verified);
    }

    #[test]
    fn a_report_repeating_an_earlier_one_is_submitted_as_its_duplicate() {
        let original = submit(1, None, "2026-03-02T08:00:00Z");
        let again = submit(3, Some(&original), "2026-03-02T09:00:00Z");
        assert_eq!(
            (again.status, again.pending_points),
            (ReportStatus::Duplicate, 0)
        );
        assert_eq!(again.duplicate_of, Some(original.id.to_string()));
    }

    #[test]
    fn a_reports_day_is_the_towns() {
        // 01:30 in Shanghai on 3 March.
        let report = submit(1, None, "2026-03-02T17:30:00Z");
        assert_eq!(
            report.local_day,
            NaiveDate::from_ymd_opt(2026, 3, 3).unwrap()
        );
    }

    #[test]
    fn an_award_is_capped_and_posted_once_by_its_key() {
        let report = submit(3, None, "2026-03-02T08:00:00Z");
        let awarded = Awarded {
            today: 20,
            this_month: 20,
        };
        assert_eq!(report.points_due(awarded, CAPS), 10, "10 left today");
        let award = report.award(10, at("2026-03-03T08:00:00Z"));
        assert_eq!(award.key, format!("award:{}", report.id));
        assert_eq!((award.kind, award.amount), (EntryKind::Award, 10));
        assert_eq!(
            award.reason.as_deref(),
            Some("ILLEGAL_DUMPING report verified, severity 3")
        );
        assert_eq!(award.operator, SERVICE, "the resident filed it themselves");
    }

    #[test]
    fn an_untrue_report_gives_back_what_it_earned_as_far_as_the_balance_allows() {
        let now = at("2026-03-05T08:00:00Z");
        let mut report = submit(2, None, "2026-03-02T08:00:00Z");
        report.follow(ticket(), &TicketStep::Verified, now);
        report.verified(Some(&posted(report.award(20, now))));
        assert_eq!(
            report.follow(ticket(), &TicketStep::Reopened { untrue: true }, now),
            Due::TakeBack
        );
        assert_eq!(report.status, ReportStatus::Rejected);
        assert_eq!(report.owed(), 20);

        // 15 of the 20 were spent: 5 now, the rest from the next credit.
        let first = report.take_back(5, now).unwrap();
        assert_eq!(
            (first.key.clone(), first.amount),
            (format!("reverse:{}", report.id), -5)
        );
        report.taken_back(&posted(first));
        let second = report.take_back(100, now).unwrap();
        assert_eq!(
            (second.key.clone(), second.amount),
            (format!("reverse:{}@5", report.id), -15)
        );
        report.taken_back(&posted(second));
        assert_eq!((report.reversed_points, report.owed()), (20, 0));
        assert_eq!(report.take_back(100, now), None, "nothing more is owed");
        assert_eq!(
            submit(1, None, "2026-03-02T08:00:00Z").take_back(0, now),
            None
        );
    }

    #[test]
    fn stored_statuses_parse_back_and_nothing_else_does() {
        for status in ReportStatus::ALL {
            assert_eq!(ReportStatus::parse(status.as_str()), Some(status));
        }
        assert_eq!(ReportStatus::parse("ESCALATED"), None);
        assert_eq!(
            ReportStatus::ALL.map(ReportStatus::is_pending),
            [true, true, true, false, false, false, false]
        );
    }

    #[test]
    fn a_page_token_names_where_the_page_ended() {
        let report = submit(1, None, "2026-03-02T08:00:00Z");
        let cursor = Cursor::after(&report);
        assert_eq!(Cursor::parse(&cursor.to_token()), Some(cursor));
        assert_eq!(Cursor::parse("nonsense"), None);
    }
}
