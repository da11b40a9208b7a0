//! `accounts` and `ledger_entries`: posting is idempotent by key, checked
//! against the balance under the account's row lock, and publishes the
//! entry's event in the same transaction.

use chrono::{DateTime, Utc};
use platform::outbox;
use proto::points::v1 as pb;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::api::convert;
use crate::domain::ledger::{self, EntryKind, LedgerError};
use crate::events;

/// An entry to post.
#[derive(Debug, Clone)]
pub struct NewEntry {
    /// `award:<report>`, `reverse:<report>`, `redeem:<order>`,
    /// `refund:<order>`, `expire:<account>:<year>`, `adjust:<caller>:<key>`.
    pub key: String,
    pub account_id: Uuid,
    pub kind: EntryKind,
    pub amount: i64,
    pub at: DateTime<Utc>,
    pub resident_id: Option<Uuid>,
    pub report_id: Option<Uuid>,
    pub order_id: Option<Uuid>,
    pub reason: Option<String>,
    pub operator: String,
}

/// A stored entry.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EntryRow {
    pub entry_id: Uuid,
    pub key: String,
    pub account_id: Uuid,
    pub kind: String,
    pub amount: i64,
    pub balance_after: i64,
    pub at: DateTime<Utc>,
    pub resident_id: Option<Uuid>,
    pub report_id: Option<Uuid>,
    pub order_id: Option<Uuid>,
    pub reason: Option<String>,
    pub operator: String,
}

const COLUMNS: &str = "entry_id, key, account_id, kind, amount, balance_after, at, resident_id, report_id, \
                       order_id, reason, operator";

/// What posting did.
#[derive(Debug, Clone)]
pub enum Posted {
    New(EntryRow),
    /// The key was posted before: nothing changed.
    Already(EntryRow),
}

impl Posted {
    /// Returns the entry.
    pub fn entry(&self) -> &EntryRow {
        match self {
            Posted::New(e) | Posted::Already(e) => e,
        }
    }
}

/// Why an entry was not posted.
#[derive(Debug, thiserror::Error)]
pub enum PostError {
    #[error(transparent)]
    Refused(#[from] LedgerError),
    #[error("account {0} not found")]
    NoAccount(Uuid),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// Locks an account and returns its balance.
///
/// # Errors
/// The database fails.
pub async fn lock(conn: &mut PgConnection, account: Uuid) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar("SELECT balance FROM accounts WHERE account_id = $1 FOR UPDATE")
        .bind(account)
        .fetch_optional(conn)
        .await
}

/// Posts `entry` unless its key is there already; refuses a debit beyond
/// the balance. A new entry's event is enqueued in the same transaction.
///
/// # Errors
/// [`PostError`].
pub async fn post(conn: &mut PgConnection, entry: &NewEntry) -> Result<Posted, PostError> {
    // The account's lock orders every posting to it: the key check below
    // sees any entry committed before, and the balance cannot move.
    let balance = lock(conn, entry.account_id)
        .await?
        .ok_or(PostError::NoAccount(entry.account_id))?;
    if let Some(existing) = by_key(conn, &entry.key).await? {
        return Ok(Posted::Already(existing));
    }
    let after = ledger::apply(balance, entry.amount)?;
    let row: EntryRow = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "INSERT INTO ledger_entries (entry_id, key, account_id, kind, amount, balance_after, at, resident_id,
                                     report_id, order_id, reason, operator)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
         RETURNING {COLUMNS}"
    )))
    .bind(Uuid::now_v7())
    .bind(&entry.key)
    .bind(entry.account_id)
    .bind(entry.kind.as_str())
    .bind(entry.amount)
    .bind(after)
    .bind(entry.at)
    .bind(entry.resident_id)
    .bind(entry.report_id)
    .bind(entry.order_id)
    .bind(&entry.reason)
    .bind(&entry.operator)
    .fetch_one(&mut *conn)
    .await?;
    sqlx::query("UPDATE accounts SET balance = $2 WHERE account_id = $1")
        .bind(entry.account_id)
        .bind(after)
        .execute(&mut *conn)
        .await?;
    let (event_id, meta) = events::meta(&entry.operator, entry.at);
    let message = pb::EntryPosted {
        meta: Some(meta),
        account_id: entry.account_id.to_string(),
        entry: Some(convert::entry(&row)),
    };
    outbox::enqueue(
        conn,
        &platform::outbox::OutboxEvent::encode(event_id, entry.kind.subject(), &message),
    )
    .await?;
    Ok(Posted::New(row))
}

/// Returns the entry posted under `key`.
///
/// # Errors
/// The database fails.
pub async fn by_key(conn: &mut PgConnection, key: &str) -> Result<Option<EntryRow>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM ledger_entries WHERE key = $1"
    )))
    .bind(key)
    .fetch_optional(conn)
    .await
}

/// Returns an account's entries, oldest first.
///
/// # Errors
/// The database fails.
pub async fn statement(
    conn: &mut PgConnection,
    account: Uuid,
) -> Result<Vec<EntryRow>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM ledger_entries WHERE account_id = $1 ORDER BY seq"
    )))
    .bind(account)
    .fetch_all(conn)
    .await
}

/// An account.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AccountRow {
    pub account_id: Uuid,
    pub kind: String,
    pub balance: i64,
}

/// Opens an account with a zero balance.
///
/// # Errors
/// The database fails.
pub async fn open(conn: &mut PgConnection, account: Uuid, kind: &str) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO accounts (account_id, kind) VALUES ($1, $2)")
        .bind(account)
        .bind(kind)
        .execute(conn)
        .await?;
    Ok(())
}

/// Returns an account.
///
/// # Errors
/// The database fails.
pub async fn account(
    conn: &mut PgConnection,
    account: Uuid,
) -> Result<Option<AccountRow>, sqlx::Error> {
    sqlx::query_as("SELECT account_id, kind, balance FROM accounts WHERE account_id = $1")
        .bind(account)
        .fetch_optional(conn)
        .await
}

/// Returns the accounts holding points, for expiry.
///
/// # Errors
/// The database fails.
pub async fn with_points(conn: &mut PgConnection) -> Result<Vec<Uuid>, sqlx::Error> {
    sqlx::query_scalar("SELECT account_id FROM accounts WHERE balance > 0 ORDER BY account_id")
        .fetch_all(conn)
        .await
}

/// One row of a leaderboard.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Standing {
    pub id: String,
    pub name: String,
    pub points: i64,
    pub verified_reports: i64,
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
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {id} AS id, {name} AS name, SUM(e.amount)::bigint AS points,
                COUNT(*) FILTER (WHERE e.kind = 'AWARD') AS verified_reports
         FROM ledger_entries e JOIN residents r ON r.resident_id = e.resident_id
         WHERE e.kind IN ('AWARD', 'REVERSAL') AND e.at >= $1 AND e.at < $2
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
    .fetch_all(conn)
    .await
}
