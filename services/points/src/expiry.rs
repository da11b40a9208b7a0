//! The expiry policy: at each year end, points earned more than the
//! configured months before it lapse, oldest first after what was spent.
//! Each account's expiry is one entry, `expire:<account>:<year>`: running a
//! year twice lapses nothing more.

use chrono::{DateTime, FixedOffset, Months, NaiveDate, Utc};
use sqlx::PgPool;

use crate::domain::ledger::{Entry, EntryKind, Ledger};
use crate::repository::ledger::{self, NewEntry, PostError, Posted};

/// What one year end's expiry did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Expired {
    pub accounts: u32,
    pub points: i64,
}

/// Returns the instant `year` ends in the town.
pub fn year_end(year: i32, offset: FixedOffset) -> DateTime<Utc> {
    NaiveDate::from_ymd_opt(year + 1, 1, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .and_then(|t| t.and_local_timezone(offset).single())
        .map(|t| t.to_utc())
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// Lapses the points of every account under the policy for `year`'s end,
/// one account per transaction, and records the run.
///
/// # Errors
/// The database fails (accounts done so far stay done; running again
/// finishes the rest).
pub async fn run(
    pool: &PgPool,
    year: i32,
    months: u32,
    offset: FixedOffset,
    operator: &str,
) -> Result<Expired, PostError> {
    let end = year_end(year, offset);
    let cutoff = end
        .checked_sub_months(Months::new(months))
        .unwrap_or(DateTime::<Utc>::MIN_UTC);
    let mut done = Expired::default();
    let accounts = {
        let mut conn = pool.acquire().await?;
        ledger::with_points(&mut conn).await?
    };
    for account in accounts {
        let mut txn = pool.begin().await?;
        // Locked before reading, so no redemption slips in between.
        ledger::lock(&mut txn, account).await?;
        let entries = ledger::statement(&mut txn, account).await?;
        let lapsed = Ledger::new(entries.iter().map(|e| Entry {
            key: e.key.clone(),
            kind: EntryKind::parse(&e.kind).unwrap_or(EntryKind::Adjustment),
            amount: e.amount,
            at: e.at,
            of: e.report_id.or(e.order_id).map(|id| id.to_string()),
        }))
        .unspent_before(cutoff);
        if lapsed > 0 {
            let posted = ledger::post(
                &mut txn,
                &NewEntry {
                    key: format!("expire:{account}:{year}"),
                    account_id: account,
                    kind: EntryKind::Expiry,
                    amount: -lapsed,
                    at: end,
                    resident_id: None,
                    report_id: None,
                    order_id: None,
                    reason: Some(format!(
                        "points earned before {} lapse at the end of {year}",
                        cutoff.with_timezone(&offset).date_naive()
                    )),
                    operator: operator.to_owned(),
                },
            )
            .await?;
            if let Posted::New(entry) = posted {
                done.accounts += 1;
                done.points += -entry.amount;
            }
        }
        txn.commit().await?;
    }
    sqlx::query(
        "INSERT INTO expiry_runs (year, ran_at, accounts, points) VALUES ($1, now(), $2, $3)
         ON CONFLICT (year) DO UPDATE SET ran_at = now(),
             accounts = expiry_runs.accounts + $2, points = expiry_runs.points + $3",
    )
    .bind(year)
    .bind(done.accounts as i32)
    .bind(done.points)
    .execute(pool)
    .await?;
    tracing::info!(
        year,
        accounts = done.accounts,
        points = done.points,
        "points lapsed"
    );
    Ok(done)
}

/// Returns whether `year`'s expiry has run.
///
/// # Errors
/// The database fails.
pub async fn has_run(pool: &PgPool, year: i32) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM expiry_runs WHERE year = $1)")
        .bind(year)
        .fetch_one(pool)
        .await
}
