//! `accounts`, `ledger_entries` and `expiry_runs`. Posting happens under
//! the account's row lock ([`lock`]): the key check sees every entry
//! committed before, and the balance cannot move meanwhile.

use chrono::{DateTime, Utc};
use platform::error::UnknownStoredValue;
use sqlx::PgConnection;
use uuid::Uuid;

use super::reports::OWING;
use super::{decode, decode_all, decode_optional};
use crate::domain::expiry::Expired;
use crate::domain::ids::{AccountId, EntryId, OrderId, ReportId, ResidentId};
use crate::domain::ledger::{Account, AccountKind, EntryKind, LedgerEntry, Posting, Standing};
use crate::domain::report::ReportStatus;

/// An account as stored.
#[derive(sqlx::FromRow)]
struct AccountRow {
    account_id: Uuid,
    kind: String,
    balance: i64,
}

impl TryFrom<AccountRow> for Account {
    type Error = UnknownStoredValue;

    fn try_from(a: AccountRow) -> Result<Self, Self::Error> {
        Ok(Account {
            id: AccountId(a.account_id),
            kind: AccountKind::parse(&a.kind)
                .ok_or_else(|| UnknownStoredValue::new("accounts", "kind", a.kind))?,
            balance: a.balance,
        })
    }
}

/// An entry as stored.
#[derive(sqlx::FromRow)]
struct EntryRow {
    entry_id: Uuid,
    key: String,
    account_id: Uuid,
    kind: String,
    amount: i64,
    balance_after: i64,
    at: DateTime<Utc>,
    resident_id: Option<Uuid>,
    report_id: Option<Uuid>,
    order_id: Option<Uuid>,
    reason: Option<String>,
    operator: String,
}

impl TryFrom<EntryRow> for LedgerEntry {
    type Error = UnknownStoredValue;

    fn try_from(e: EntryRow) -> Result<Self, Self::Error> {
        Ok(LedgerEntry {
            id: EntryId(e.entry_id),
            posting: Posting {
                key: e.key,
                account: AccountId(e.account_id),
                kind: EntryKind::parse(&e.kind)
                    .ok_or_else(|| UnknownStoredValue::new("ledger_entries", "kind", e.kind))?,
                amount: e.amount,
                at: e.at,
                resident: e.resident_id.map(ResidentId),
                report: e.report_id.map(ReportId),
                order: e.order_id.map(OrderId),
                reason: e.reason,
                operator: e.operator,
            },
            balance_after: e.balance_after,
        })
    }
}

const COLUMNS: &str = "entry_id, key, account_id, kind, amount, balance_after, at, resident_id, report_id, \
                       order_id, reason, operator";

/// Opens an account of a holder in `village`. The village is written only
/// for the previous release, which reads it during a rolling update (see
/// migration 20261201000100); this release never reads it.
///
/// # Errors
/// The database fails.
pub async fn open(
    conn: &mut PgConnection,
    account: &Account,
    village: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO accounts (account_id, kind, balance, village_code) VALUES ($1, $2, $3, $4)",
    )
    .bind(account.id.0)
    .bind(account.kind.as_str())
    .bind(account.balance)
    .bind(village)
    .execute(conn)
    .await?;
    Ok(())
}

/// Returns an account, locked: every posting to it waits for this one.
///
/// # Errors
/// The database fails, or the account's kind is unknown.
pub async fn lock(conn: &mut PgConnection, id: AccountId) -> Result<Option<Account>, sqlx::Error> {
    let row: Option<AccountRow> = sqlx::query_as(
        "SELECT account_id, kind, balance FROM accounts WHERE account_id = $1 FOR UPDATE",
    )
    .bind(id.0)
    .fetch_optional(conn)
    .await?;
    decode_optional(row)
}

/// Returns an account.
///
/// # Errors
/// The database fails, or the account's kind is unknown.
pub async fn account(
    conn: &mut PgConnection,
    id: AccountId,
) -> Result<Option<Account>, sqlx::Error> {
    let row: Option<AccountRow> =
        sqlx::query_as("SELECT account_id, kind, balance FROM accounts WHERE account_id = $1")
            .bind(id.0)
            .fetch_optional(conn)
            .await?;
    decode_optional(row)
}

/// An entry as appended, and whether untrue reports of its account still
/// owe points.
#[derive(Debug, Clone)]
pub struct Appended {
    pub entry: LedgerEntry,
    /// Seen under the account's lock, which every take-back holds
    /// ([`lock`]): no report can start owing while the posting is made.
    pub owing: bool,
}

/// Appends `entry` and saves `account`'s balance after it, which the caller
/// holds locked; returns the entry as stored and whether untrue reports of
/// the account still owe points (asked in the same statement as the
/// balance, so a credit that has nothing to pay costs no round trip more).
///
/// # Errors
/// The database fails.
pub async fn append(
    conn: &mut PgConnection,
    account: &Account,
    entry: &LedgerEntry,
) -> Result<Appended, sqlx::Error> {
    let row: EntryRow = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "INSERT INTO ledger_entries ({COLUMNS})
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
         RETURNING {COLUMNS}"
    )))
    .bind(entry.id.0)
    .bind(&entry.posting.key)
    .bind(entry.posting.account.0)
    .bind(entry.posting.kind.as_str())
    .bind(entry.posting.amount)
    .bind(entry.balance_after)
    .bind(entry.posting.at)
    .bind(entry.posting.resident.map(|r| r.0))
    .bind(entry.posting.report.map(|r| r.0))
    .bind(entry.posting.order.map(|o| o.0))
    .bind(&entry.posting.reason)
    .bind(&entry.posting.operator)
    .fetch_one(&mut *conn)
    .await?;
    let owing: bool = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "UPDATE accounts SET balance = $3 WHERE account_id = $1
         RETURNING EXISTS (SELECT 1 FROM reports WHERE {OWING})"
    )))
    .bind(account.id.0)
    .bind(ReportStatus::Rejected.as_str())
    .bind(account.balance)
    .fetch_one(&mut *conn)
    .await?;
    Ok(Appended {
        entry: decode(row)?,
        owing,
    })
}

/// Returns the entry posted under `key`.
///
/// # Errors
/// The database fails, or the entry's kind is unknown.
pub async fn by_key(
    conn: &mut PgConnection,
    key: &str,
) -> Result<Option<LedgerEntry>, sqlx::Error> {
    let row: Option<EntryRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM ledger_entries WHERE key = $1"
    )))
    .bind(key)
    .fetch_optional(conn)
    .await?;
    decode_optional(row)
}

/// Returns an account's entries, oldest first.
///
/// # Errors
/// The database fails, or an entry's kind is unknown.
pub async fn statement(
    conn: &mut PgConnection,
    account: AccountId,
) -> Result<Vec<LedgerEntry>, sqlx::Error> {
    let rows: Vec<EntryRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM ledger_entries WHERE account_id = $1 ORDER BY seq"
    )))
    .bind(account.0)
    .fetch_all(conn)
    .await?;
    decode_all(rows)
}

/// Returns the accounts holding points, for expiry.
///
/// # Errors
/// The database fails.
pub async fn with_points(conn: &mut PgConnection) -> Result<Vec<AccountId>, sqlx::Error> {
    let ids: Vec<Uuid> =
        sqlx::query_scalar("SELECT account_id FROM accounts WHERE balance > 0 ORDER BY account_id")
            .fetch_all(conn)
            .await?;
    Ok(ids.into_iter().map(AccountId).collect())
}

/// A leaderboard row as the query returns it.
#[derive(sqlx::FromRow)]
struct StandingRow {
    id: String,
    name: String,
    points: i64,
    verified_reports: i64,
}

/// Returns points earned (awards less reversals) in [from, to): residents
/// of `village` (and of the grids below it), or every village when it is
/// `None`; best first.
///
/// # Errors
/// The database fails.
pub async fn leaderboard(
    conn: &mut PgConnection,
    village: Option<&str>,
    (from, to): (DateTime<Utc>, DateTime<Utc>),
    limit: i64,
) -> Result<Vec<Standing>, sqlx::Error> {
    let (id, name) = match village {
        Some(_) => ("r.resident_id::text", "r.name"),
        None => ("r.village_code", "r.village_code"),
    };
    let rows: Vec<StandingRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {id} AS id, {name} AS name, SUM(e.amount)::bigint AS points,
                COUNT(*) FILTER (WHERE e.kind = $5) AS verified_reports
         FROM ledger_entries e JOIN residents r ON r.resident_id = e.resident_id
         WHERE e.kind IN ($5, $6) AND e.at >= $1 AND e.at < $2
                      AND ($3::text IS NULL OR r.village_code = $3 OR r.village_code LIKE $3 || '-%')
         GROUP BY 1, 2
         HAVING SUM(e.amount) > 0
         ORDER BY points DESC, id
         LIMIT $4"
    )))
    .bind(from)
    .bind(to)
    .bind(village)
    .bind(limit)
    .bind(EntryKind::Award.as_str())
    .bind(EntryKind::Reversal.as_str())
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| Standing {
            id: r.id,
            name: r.name,
            points: r.points,
            verified_reports: r.verified_reports,
        })
        .collect())
}

/// Returns whether `year`'s expiry has run.
///
/// # Errors
/// The database fails.
pub async fn expiry_has_run(conn: &mut PgConnection, year: i32) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM expiry_runs WHERE year = $1)")
        .bind(year)
        .fetch_one(conn)
        .await
}

/// Records that `year`'s expiry ran (again) at `at`, adding what it did.
///
/// # Errors
/// The database fails.
pub async fn record_expiry(
    conn: &mut PgConnection,
    year: i32,
    done: &Expired,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO expiry_runs (year, ran_at, accounts, points) VALUES ($1, $4, $2, $3)
         ON CONFLICT (year) DO UPDATE SET ran_at = $4,
             accounts = expiry_runs.accounts + $2, points = expiry_runs.points + $3",
    )
    .bind(year)
    .bind(i32::try_from(done.accounts).unwrap_or(i32::MAX))
    .bind(done.points)
    .bind(at)
    .execute(conn)
    .await?;
    Ok(())
}
