//! The ledger: append-only entries, each idempotent by its key; the balance
//! is their sum and never goes below zero; corrections are compensating
//! entries, never edits; points lapse first-in first-out.

use std::collections::HashSet;

use chrono::{DateTime, Utc};

use super::ids::{AccountId, EntryId, OrderId, ReportId, ResidentId};
use super::resident::Resident;

/// What an entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EntryKind {
    /// Points for a verified report.
    Award,
    /// Compensates an award whose report turned out untrue.
    Reversal,
    /// Points spent on an order.
    Redemption,
    /// Points returned for a cancelled order.
    Refund,
    /// Points lapsed under the expiry policy.
    Expiry,
    /// A correction by an operator, with a reason.
    Adjustment,
}

impl EntryKind {
    /// Every kind.
    pub const ALL: [EntryKind; 6] = [
        EntryKind::Award,
        EntryKind::Reversal,
        EntryKind::Redemption,
        EntryKind::Refund,
        EntryKind::Expiry,
        EntryKind::Adjustment,
    ];

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Returns the stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            EntryKind::Award => "AWARD",
            EntryKind::Reversal => "REVERSAL",
            EntryKind::Redemption => "REDEMPTION",
            EntryKind::Refund => "REFUND",
            EntryKind::Expiry => "EXPIRY",
            EntryKind::Adjustment => "ADJUSTMENT",
        }
    }
}

/// Who holds an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountKind {
    /// A resident's own account.
    Resident,
    /// A household's, which its members earn into and spend from.
    Household,
}

impl AccountKind {
    /// Returns the stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            AccountKind::Resident => "RESIDENT",
            AccountKind::Household => "HOUSEHOLD",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        [AccountKind::Resident, AccountKind::Household]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

/// Where points are held. The balance is the sum of the account's entries,
/// kept with the account so that a debit is checked under its lock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub id: AccountId,
    pub kind: AccountKind,
    pub balance: i64,
}

impl Account {
    /// Returns a new account with nothing in it.
    pub fn open(id: AccountId, kind: AccountKind) -> Self {
        Self {
            id,
            kind,
            balance: 0,
        }
    }

    /// Posts `posting` to the account: returns the new entry (the event of
    /// the posting) with the balance after it. Whether the key was posted
    /// before is the caller's to check first, under the account's lock.
    ///
    /// # Errors
    /// A zero amount, or a debit beyond the balance.
    pub fn post(&mut self, posting: Posting) -> Result<LedgerEntry, LedgerError> {
        let after = apply(self.balance, posting.amount)?;
        self.balance = after;
        Ok(LedgerEntry {
            id: EntryId::generate(),
            posting: Posting {
                account: self.id,
                ..posting
            },
            balance_after: after,
        })
    }
}

/// An entry to post.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Posting {
    /// `award:<report>`, `reverse:<report>`, `redeem:<order>`,
    /// `refund:<order>`, `expire:<account>:<year>`, `adjust:<caller>:<key>`.
    pub key: String,
    pub account: AccountId,
    pub kind: EntryKind,
    /// Positive credits, negative debits.
    pub amount: i64,
    pub at: DateTime<Utc>,
    pub resident: Option<ResidentId>,
    pub report: Option<ReportId>,
    pub order: Option<OrderId>,
    pub reason: Option<String>,
    pub operator: String,
}

impl Posting {
    /// Returns the town's correction of `amount` to `resident`'s account,
    /// posted once under the caller's own idempotency key
    /// (`adjust:<caller>:<key>`).
    pub fn adjustment(
        resident: &Resident,
        amount: i64,
        reason: &str,
        operator: &str,
        key: &str,
        at: DateTime<Utc>,
    ) -> Self {
        Posting {
            key: format!("adjust:{operator}:{key}"),
            account: resident.account(),
            kind: EntryKind::Adjustment,
            amount,
            at,
            resident: Some(resident.id),
            report: None,
            order: None,
            reason: Some(reason.to_owned()),
            operator: operator.to_owned(),
        }
    }

    /// Returns whether `entry`, found under this posting's key, is this
    /// posting (the same account and amount): posted before, not another.
    pub fn matches(&self, entry: &LedgerEntry) -> bool {
        entry.posting.account == self.account && entry.posting.amount == self.amount
    }
}

/// A posted entry: the posting, and the account's balance after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerEntry {
    pub id: EntryId,
    pub posting: Posting,
    pub balance_after: i64,
}

impl From<&LedgerEntry> for Entry {
    fn from(entry: &LedgerEntry) -> Self {
        let e = &entry.posting;
        Entry {
            key: e.key.clone(),
            kind: e.kind,
            amount: e.amount,
            at: e.at,
            of: e
                .report
                .map(|r| r.to_string())
                .or_else(|| e.order.map(|o| o.to_string())),
        }
    }
}

/// One row of a leaderboard: a resident (id and name) or a village (its
/// code twice), with the points earned in the period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Standing {
    pub id: String,
    pub name: String,
    pub points: i64,
    pub verified_reports: i64,
}

/// One entry, as the ledger's rules see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Idempotency key: `award:<report>`, `redeem:<order>`, …
    pub key: String,
    pub kind: EntryKind,
    /// Positive credits, negative debits.
    pub amount: i64,
    pub at: DateTime<Utc>,
    /// What it belongs to: the report of an award or reversal, the order of
    /// a redemption or refund.
    pub of: Option<String>,
}

/// Why an entry cannot be posted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LedgerError {
    #[error("balance is {balance}; {wanted} points cannot be taken")]
    Insufficient { balance: i64, wanted: i64 },
    #[error("an entry of 0 points records nothing")]
    Zero,
}

/// What posting did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Posted {
    /// The entry was added.
    New,
    /// An entry with this key was already there: nothing changed.
    AlreadyPosted,
}

/// Returns the balance after posting `amount` to `balance`.
///
/// # Errors
/// A zero amount, or a debit beyond the balance.
pub fn apply(balance: i64, amount: i64) -> Result<i64, LedgerError> {
    if amount == 0 {
        return Err(LedgerError::Zero);
    }
    if amount < 0 && balance + amount < 0 {
        return Err(LedgerError::Insufficient {
            balance,
            wanted: -amount,
        });
    }
    Ok(balance + amount)
}

/// A resident's (or household's) entries.
#[derive(Debug, Clone, Default)]
pub struct Ledger {
    entries: Vec<Entry>,
    keys: HashSet<String>,
}

impl Ledger {
    /// Returns a ledger holding `entries`.
    pub fn new(entries: impl IntoIterator<Item = Entry>) -> Self {
        let entries: Vec<Entry> = entries.into_iter().collect();
        let keys = entries.iter().map(|e| e.key.clone()).collect();
        Self { entries, keys }
    }

    /// Returns the balance: the sum of the entries.
    pub fn balance(&self) -> i64 {
        self.entries.iter().map(|e| e.amount).sum()
    }

    /// Returns the entries, oldest first.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// Adds `entry` unless its key is already there; refuses a debit the
    /// balance cannot cover.
    ///
    /// # Errors
    /// A zero amount, or a debit beyond the balance.
    pub fn post(&mut self, entry: Entry) -> Result<Posted, LedgerError> {
        if self.keys.contains(&entry.key) {
            return Ok(Posted::AlreadyPosted);
        }
        apply(self.balance(), entry.amount)?;
        self.keys.insert(entry.key.clone());
        self.entries.push(entry);
        Ok(Posted::New)
    }

    /// Returns how many points earned before `cutoff` are still unspent,
    /// spending the oldest first: what lapses at `cutoff`.
    ///
    /// Earned: awards and credit adjustments before `cutoff`, less the
    /// reversals of those awards (a reversed award was never earned).
    /// Spent: redemptions less their refunds (a cancelled order spent
    /// nothing, whenever it was cancelled), debit adjustments and earlier
    /// expiries. Reversals of later awards cancel those awards and spend
    /// nothing.
    pub fn unspent_before(&self, cutoff: DateTime<Utc>) -> i64 {
        let early_awards: HashSet<&str> = self
            .entries
            .iter()
            .filter(|e| e.kind == EntryKind::Award && e.at < cutoff)
            .filter_map(|e| e.of.as_deref())
            .collect();
        let mut earned_before = 0;
        let mut spent = 0;
        for e in &self.entries {
            match e.kind {
                EntryKind::Award | EntryKind::Adjustment if e.amount > 0 && e.at < cutoff => {
                    earned_before += e.amount
                }
                EntryKind::Reversal
                    if e.of.as_deref().is_some_and(|r| early_awards.contains(r)) =>
                {
                    earned_before += e.amount
                }
                EntryKind::Redemption | EntryKind::Refund | EntryKind::Expiry => spent -= e.amount,
                EntryKind::Adjustment if e.amount < 0 => spent -= e.amount,
                _ => {}
            }
        }
        (earned_before - spent.max(0)).clamp(0, self.balance().max(0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().to_utc()
    }

    fn entry(key: &str, kind: EntryKind, amount: i64, when: &str) -> Entry {
        Entry {
            key: key.into(),
            kind,
            amount,
            at: at(when),
            of: key.split_once(':').map(|(_, of)| of.to_owned()),
        }
    }

    fn posting(amount: i64) -> Posting {
        Posting {
            key: "adjust:town-op:k1".into(),
            account: AccountId(uuid::Uuid::nil()),
            kind: EntryKind::Adjustment,
            amount,
            at: at("2026-03-02T08:00:00Z"),
            resident: None,
            report: None,
            order: None,
            reason: Some("开户奖励".into()),
            operator: "town-op".into(),
        }
    }

    #[test]
    fn an_account_posts_with_its_running_balance_and_refuses_an_overdraft() {
        let mut account = Account::open(AccountId(uuid::Uuid::nil()), AccountKind::Resident);
        let credit = account.post(posting(30)).unwrap();
        assert_eq!((credit.balance_after, account.balance), (30, 30));
        let debit = account.post(posting(-20)).unwrap();
        assert_eq!((debit.posting.amount, debit.balance_after), (-20, 10));
        assert_eq!(
            account.post(posting(-11)),
            Err(LedgerError::Insufficient {
                balance: 10,
                wanted: 11
            })
        );
        assert_eq!(account.post(posting(0)), Err(LedgerError::Zero));
        assert_eq!(account.balance, 10, "a refused posting changes nothing");
    }

    #[test]
    fn an_entry_under_the_key_is_the_same_posting_only_with_its_account_and_amount() {
        let mut account = Account::open(AccountId(uuid::Uuid::nil()), AccountKind::Household);
        let entry = account.post(posting(30)).unwrap();
        assert!(posting(30).matches(&entry));
        assert!(!posting(40).matches(&entry));
        let mut elsewhere = posting(30);
        elsewhere.account = AccountId(uuid::Uuid::max());
        assert!(!elsewhere.matches(&entry));
    }

    #[test]
    fn stored_names_parse_back_and_nothing_else_does() {
        for kind in EntryKind::ALL {
            assert_eq!(EntryKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(EntryKind::parse("BONUS"), None);
        assert_eq!(
            AccountKind::parse("HOUSEHOLD"),
            Some(AccountKind::Household)
        );
        assert_eq!(AccountKind::parse("household"), None);
    }

    #[test]
    fn the_same_award_posted_three_times_counts_once() {
        let mut ledger = Ledger::default();
        let award = entry("award:r1", EntryKind::Award, 20, "2026-03-02T08:00:00Z");
        assert_eq!(ledger.post(award.clone()), Ok(Posted::New));
        assert_eq!(ledger.post(award.clone()), Ok(Posted::AlreadyPosted));
        assert_eq!(ledger.post(award), Ok(Posted::AlreadyPosted));
        assert_eq!(ledger.balance(), 20);
    }

    #[test]
    fn the_balance_never_goes_negative() {
        let mut ledger = Ledger::new([entry(
            "award:r1",
            EntryKind::Award,
            20,
            "2026-03-02T08:00:00Z",
        )]);
        let too_much = entry(
            "redeem:o1",
            EntryKind::Redemption,
            -30,
            "2026-03-03T08:00:00Z",
        );
        assert_eq!(
            ledger.post(too_much),
            Err(LedgerError::Insufficient {
                balance: 20,
                wanted: 30
            })
        );
        assert_eq!(
            ledger.post(entry(
                "redeem:o2",
                EntryKind::Redemption,
                -20,
                "2026-03-03T08:00:00Z"
            )),
            Ok(Posted::New)
        );
        assert_eq!(ledger.balance(), 0);
    }

    #[test]
    fn a_correction_is_a_compensating_entry() {
        let mut ledger = Ledger::new([entry(
            "award:r1",
            EntryKind::Award,
            20,
            "2026-03-02T08:00:00Z",
        )]);
        ledger
            .post(entry(
                "reverse:r1",
                EntryKind::Reversal,
                -20,
                "2026-03-05T08:00:00Z",
            ))
            .unwrap();
        assert_eq!(ledger.balance(), 0);
        assert_eq!(ledger.entries().len(), 2, "the award stays, compensated");
    }

    #[test]
    fn points_lapse_oldest_first() {
        let ledger = Ledger::new([
            entry("award:r1", EntryKind::Award, 50, "2025-03-01T00:00:00Z"),
            entry("award:r2", EntryKind::Award, 30, "2026-06-01T00:00:00Z"),
            entry(
                "redeem:o1",
                EntryKind::Redemption,
                -20,
                "2026-07-01T00:00:00Z",
            ),
        ]);
        // Points earned before 2026 lapse at its end: 50 earned, 20 spent (oldest first).
        assert_eq!(ledger.unspent_before(at("2026-01-01T00:00:00Z")), 30);
        assert_eq!(ledger.unspent_before(at("2025-01-01T00:00:00Z")), 0);
    }

    #[test]
    fn a_refund_or_a_reversal_does_not_shield_old_points() {
        let ledger = Ledger::new([
            entry("award:r1", EntryKind::Award, 50, "2025-03-01T00:00:00Z"),
            // Spent on an order before the year end, refunded after it.
            entry(
                "redeem:o1",
                EntryKind::Redemption,
                -50,
                "2025-12-30T00:00:00Z",
            ),
            entry("refund:o1", EntryKind::Refund, 50, "2026-01-02T00:00:00Z"),
            // A later award, found untrue and reversed.
            entry("award:r2", EntryKind::Award, 30, "2026-06-01T00:00:00Z"),
            entry(
                "reverse:r2",
                EntryKind::Reversal,
                -30,
                "2026-07-01T00:00:00Z",
            ),
        ]);
        assert_eq!(ledger.unspent_before(at("2026-01-01T00:00:00Z")), 50);
        // An early award reversed was never earned.
        let reversed = Ledger::new([
            entry("award:r1", EntryKind::Award, 50, "2025-03-01T00:00:00Z"),
            entry(
                "reverse:r1",
                EntryKind::Reversal,
                -50,
                "2025-04-01T00:00:00Z",
            ),
            entry("award:r2", EntryKind::Award, 30, "2026-06-01T00:00:00Z"),
        ]);
        assert_eq!(reversed.unspent_before(at("2026-01-01T00:00:00Z")), 0);
    }
}
