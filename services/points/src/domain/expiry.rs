//! The expiry policy: at each year end, points earned more than the
//! configured months before it lapse, oldest first after what was spent.
//! Each account's expiry is one entry, `expire:<account>:<year>`: running a
//! year twice lapses nothing more.

use chrono::{DateTime, Datelike, FixedOffset, Months, NaiveDate, Utc};

use super::ids::AccountId;
use super::ledger::{EntryKind, Ledger, LedgerEntry, Posting};

/// One year end under the policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct YearEnd {
    pub year: i32,
    /// The instant the year ends in the town: what lapses lapses then.
    pub end: DateTime<Utc>,
    /// Points earned before this lapse.
    pub cutoff: DateTime<Utc>,
    town: FixedOffset,
}

/// What one year end's expiry did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Expired {
    pub accounts: u32,
    pub points: i64,
}

impl Expired {
    /// Counts an expiry entry posted.
    pub fn add(&mut self, entry: &LedgerEntry) {
        self.accounts += 1;
        self.points += -entry.posting.amount;
    }
}

/// Returns the year it is in the town at `now`.
pub fn current_year(now: DateTime<Utc>, town: FixedOffset) -> i32 {
    now.with_timezone(&town).year()
}

/// Returns the instant `year` ends in the town.
pub fn year_end(year: i32, town: FixedOffset) -> DateTime<Utc> {
    NaiveDate::from_ymd_opt(year + 1, 1, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .and_then(|t| t.and_local_timezone(town).single())
        .map(|t| t.to_utc())
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

impl YearEnd {
    /// Returns `year`'s end where points older than `months` lapse.
    pub fn new(year: i32, months: u32, town: FixedOffset) -> Self {
        let end = year_end(year, town);
        let cutoff = end
            .checked_sub_months(Months::new(months))
            .unwrap_or(DateTime::<Utc>::MIN_UTC);
        Self {
            year,
            end,
            cutoff,
            town,
        }
    }

    /// Returns the expiry entry of `account`, whose entries `ledger` holds:
    /// what was earned before the cutoff and is unspent. `None` when
    /// nothing lapses.
    pub fn lapse(&self, account: AccountId, ledger: &Ledger, operator: &str) -> Option<Posting> {
        let lapsed = ledger.unspent_before(self.cutoff);
        (lapsed > 0).then(|| Posting {
            key: format!("expire:{account}:{}", self.year),
            account,
            kind: EntryKind::Expiry,
            amount: -lapsed,
            at: self.end,
            resident: None,
            report: None,
            order: None,
            reason: Some(format!(
                "points earned before {} lapse at the end of {}",
                self.cutoff.with_timezone(&self.town).date_naive(),
                self.year
            )),
            operator: operator.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ledger::Entry;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().to_utc()
    }

    fn shanghai() -> FixedOffset {
        FixedOffset::east_opt(8 * 3600).unwrap()
    }

    #[test]
    fn a_year_ends_at_midnight_in_the_town() {
        assert_eq!(year_end(2027, shanghai()), at("2027-12-31T16:00:00Z"));
        assert_eq!(current_year(at("2027-12-31T16:30:00Z"), shanghai()), 2028);
        let end = YearEnd::new(2027, 12, shanghai());
        assert_eq!(end.cutoff, at("2026-12-31T16:00:00Z"));
    }

    #[test]
    fn what_was_earned_before_the_cutoff_and_is_unspent_lapses_in_one_entry() {
        let account = AccountId(uuid::Uuid::nil());
        let ledger = Ledger::new([
            Entry {
                key: "adjust:town-op:earned-2026".into(),
                kind: EntryKind::Adjustment,
                amount: 50,
                at: at("2026-03-02T01:00:00Z"),
                of: None,
            },
            Entry {
                key: "redeem:o1".into(),
                kind: EntryKind::Redemption,
                amount: -20,
                at: at("2026-03-02T02:00:00Z"),
                of: Some("o1".into()),
            },
            Entry {
                key: "adjust:town-op:earned-2027".into(),
                kind: EntryKind::Adjustment,
                amount: 30,
                at: at("2027-06-01T02:00:00Z"),
                of: None,
            },
        ]);
        let end = YearEnd::new(2027, 12, shanghai());
        let lapse = end.lapse(account, &ledger, "points").unwrap();
        assert_eq!(lapse.key, format!("expire:{account}:2027"));
        assert_eq!((lapse.amount, lapse.at), (-30, at("2027-12-31T16:00:00Z")));
        assert_eq!(
            lapse.reason.as_deref(),
            Some("points earned before 2027-01-01 lapse at the end of 2027")
        );
        assert_eq!(
            YearEnd::new(2026, 12, shanghai()).lapse(account, &ledger, "points"),
            None
        );
    }
}
