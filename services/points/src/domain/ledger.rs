//! The ledger: append-only entries, each idempotent by its key; the balance
//! is their sum and never goes below zero; corrections are compensating
//! entries, never edits; points lapse first-in first-out.

use std::collections::HashSet;

use chrono::{DateTime, Utc};

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

    /// Returns the subject of the event its posting publishes.
    pub fn subject(self) -> &'static str {
        match self {
            EntryKind::Award => "points.awarded",
            EntryKind::Reversal => "points.reversed",
            EntryKind::Redemption => "points.redeemed",
            EntryKind::Refund => "points.refunded",
            EntryKind::Expiry => "points.expired",
            EntryKind::Adjustment => "points.adjusted",
        }
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

/// One entry.
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
