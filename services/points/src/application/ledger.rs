//! The ledger's use cases: posting (the account locked, the key checked,
//! the entry appended and published), settling what untrue reports owe
//! from new credits, balances and statements, the town's adjustments,
//! leaderboards and expiry.

use chrono::{DateTime, Utc};
use platform::auth::Caller;
use platform::error::AppError;
use platform::uow::{Begun, CallKey, Work};
use prost::Message;

use super::{Context, access};
use crate::domain::DomainError;
use crate::domain::expiry::{self, Expired, YearEnd};
use crate::domain::ids::{AccountId, ResidentId};
use crate::domain::ledger::{Account, Entry, Ledger, LedgerEntry, Posting, Standing};
use crate::domain::report::Report;
use crate::events;
use crate::repository::{ledger as accounts, reports};

/// What posting did.
#[derive(Debug, Clone)]
pub enum Posted {
    New(LedgerEntry),
    /// The key was posted before: nothing changed.
    Already(LedgerEntry),
}

impl Posted {
    /// Returns the entry.
    pub fn entry(&self) -> &LedgerEntry {
        match self {
            Posted::New(e) | Posted::Already(e) => e,
        }
    }
}

/// Posts `posting` in `work` unless its key is there already; refuses a
/// debit beyond the balance. A new entry's event is published with the
/// work.
///
/// # Errors
/// NOT_FOUND for a missing account; the ledger's refusals (a zero amount,
/// a debit beyond the balance); the database failing.
pub async fn post<A: Message>(work: &mut Work<A>, posting: Posting) -> Result<Posted, AppError> {
    Ok(post_owing(work, posting).await?.0)
}

/// As [`post`]; a new entry also tells whether untrue reports of the
/// account still owe points.
async fn post_owing<A: Message>(
    work: &mut Work<A>,
    posting: Posting,
) -> Result<(Posted, bool), AppError> {
    // The account's lock orders every posting to it: the key check below
    // sees any entry committed before, and the balance cannot move.
    let mut account = accounts::lock(work.conn(), posting.account)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("account {}", posting.account)))?;
    if let Some(existing) = accounts::by_key(work.conn(), &posting.key).await? {
        return Ok((Posted::Already(existing), false));
    }
    let entry = account.post(posting).map_err(DomainError::from)?;
    let appended = accounts::append(work.conn(), &account, &entry).await?;
    work.publish(events::entry_posted(&appended.entry));
    Ok((Posted::New(appended.entry), appended.owing))
}

/// Posts `posting` (see [`post`]); a new credit then pays what untrue
/// reports of the account still owe, oldest first, in the same work.
/// Awards, refunds and adjustments are posted this way.
///
/// # Errors
/// As [`post`].
pub async fn post_and_settle<A: Message>(
    work: &mut Work<A>,
    posting: Posting,
) -> Result<Posted, AppError> {
    let (account, credit, at) = (posting.account, posting.amount > 0, posting.at);
    let (posted, owing) = post_owing(work, posting).await?;
    if credit && owing {
        for mut report in reports::owing(work.conn(), account).await? {
            take_back(work, &mut report, at).await?;
            report.updated_at = at;
            reports::update(work.conn(), &report).await?;
        }
    }
    Ok(posted)
}

/// Takes back as much of an untrue report's award as the balance holds:
/// the ledger never goes negative, so points already spent stay owed and
/// are taken from the account's next credits ([`post_and_settle`]).
///
/// # Errors
/// As [`post`].
pub async fn take_back<A: Message>(
    work: &mut Work<A>,
    report: &mut Report,
    at: DateTime<Utc>,
) -> Result<(), AppError> {
    let owed = report.owed();
    if owed <= 0 {
        return Ok(());
    }
    let balance = accounts::lock(work.conn(), report.account)
        .await?
        .map_or(0, |a| a.balance);
    let mut taken = 0;
    if let Some(reversal) = report.take_back(balance, at) {
        taken = -reversal.amount;
        if let Posted::New(entry) = post(work, reversal).await? {
            report.taken_back(&entry);
        }
    }
    if taken < owed {
        tracing::warn!(report = %report.id, owed, reversed = taken, "award partly reversed: the rest was spent and is taken from the next credits");
    }
    Ok(())
}

/// A resident's account and the points pending for it.
#[derive(Debug, Clone)]
pub struct Balance {
    pub account: Account,
    /// Points of reports not yet verified.
    pub pending: i64,
}

/// An account and its entries, read in one snapshot: they sum to its
/// balance.
#[derive(Debug, Clone)]
pub struct Statement {
    pub account: Account,
    pub entries: Vec<LedgerEntry>,
}

/// Returns the balance of the account `resident` earns into.
///
/// # Errors
/// NOT_FOUND, or the database failing.
pub async fn balance(
    ctx: &Context,
    caller: &Caller,
    resident: ResidentId,
) -> Result<Balance, AppError> {
    let mut conn = ctx.units.read().await?;
    let resident = access::resident_for(&mut conn, caller, resident).await?;
    let account = account_of(&mut conn, resident.account()).await?;
    let pending = reports::pending_for(&mut conn, account.id).await?;
    Ok(Balance { account, pending })
}

/// Returns the statement of the account `resident` earns into.
///
/// # Errors
/// NOT_FOUND, or the database failing (or holding an entry kind this
/// version does not know).
pub async fn statement(
    ctx: &Context,
    caller: &Caller,
    resident: ResidentId,
) -> Result<Statement, AppError> {
    // One snapshot: the entries and the balance agree.
    let mut read = ctx.units.read_snapshot().await?;
    let resident = access::resident_for(&mut read, caller, resident).await?;
    let account = account_of(&mut read, resident.account()).await?;
    let entries = accounts::statement(&mut read, account.id).await?;
    Ok(Statement { account, entries })
}

async fn account_of(conn: &mut sqlx::PgConnection, id: AccountId) -> Result<Account, AppError> {
    accounts::account(conn, id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("account {id}")))
}

/// The town's correction of a balance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Adjustment {
    pub resident: ResidentId,
    pub amount: i64,
    pub reason: String,
    /// The caller's idempotency key: the entry is posted once under it.
    pub key: String,
}

/// Posts the town's correction as a compensating entry, with its reason
/// and operator.
///
/// # Errors
/// NOT_FOUND; FAILED_PRECONDITION for a debit beyond the balance or a key
/// that posted another adjustment.
pub async fn adjust<A: Message + Default>(
    ctx: &Context,
    caller: &Caller,
    key: CallKey,
    cmd: Adjustment,
    answer: impl FnOnce(&LedgerEntry) -> A,
) -> Result<A, AppError> {
    let mut work = match ctx.units.begin(key).await? {
        Begun::Replay(saved) => return Ok(saved),
        Begun::Fresh(work) => work,
    };
    let resident = access::resident_for(work.conn(), caller, cmd.resident).await?;
    let posting = Posting::adjustment(
        &resident,
        cmd.amount,
        &cmd.reason,
        &caller.subject,
        &cmd.key,
        work.now(),
    );
    let posted = post_and_settle(&mut work, posting.clone()).await?;
    if let Posted::Already(entry) = &posted
        && !posting.matches(entry)
    {
        // The key's idempotency row was purged; the entry stays.
        return Err(DomainError::AdjustmentKeyReused(cmd.key).into());
    }
    work.commit(answer(posted.entry())).await
}

/// A leaderboard, and how its rows may be shown.
#[derive(Debug, Clone)]
pub struct Board {
    pub rows: Vec<Standing>,
    /// Residents of a village (else the villages).
    pub residents: bool,
    /// Whether the caller may see who the residents are.
    pub with_ids: bool,
}

/// Returns the points earned in [from, to): residents of `village`, or the
/// villages when it is `None`.
///
/// # Errors
/// The database fails.
pub async fn leaderboard(
    ctx: &Context,
    caller: &Caller,
    village: Option<&str>,
    period: (DateTime<Utc>, DateTime<Utc>),
    limit: u32,
) -> Result<Board, AppError> {
    let mut conn = ctx.units.read().await?;
    let rows = accounts::leaderboard(&mut conn, village, period, i64::from(limit)).await?;
    Ok(Board {
        rows,
        residents: village.is_some(),
        // Village honours are public; who the residents are is for those
        // who serve them.
        with_ids: village.is_none_or(|v| access::serves_village(caller, v)),
    })
}

/// Lapses points under the policy for `year`'s end, as the town asks.
///
/// # Errors
/// INVALID_ARGUMENT for a year that has not ended; FAILED_PRECONDITION
/// when points never lapse; the database failing (accounts done so far
/// stay done; running again finishes the rest).
pub async fn expire_points<A: Message + Default>(
    ctx: &Context,
    year: i32,
    operator: &str,
    answer: impl FnOnce(&Expired) -> A,
) -> Result<A, AppError> {
    let this_year = expiry::current_year(ctx.units.now(), ctx.policy.offset);
    if !(2000..this_year).contains(&year) {
        return Err(AppError::invalid(
            "year",
            format!("must be a year that has ended (2000–{})", this_year - 1),
        ));
    }
    if ctx.policy.expiry.months == 0 {
        return Err(AppError::FailedPrecondition(
            "points never lapse: expiry.months is 0".into(),
        ));
    }
    expire(ctx, year, operator, answer).await
}

/// Returns whether `year`'s expiry has run.
///
/// # Errors
/// The database fails.
pub async fn expiry_has_run(ctx: &Context, year: i32) -> Result<bool, AppError> {
    let mut conn = ctx.units.read().await?;
    Ok(accounts::expiry_has_run(&mut conn, year).await?)
}

/// Lapses the points of every account under the policy for `year`'s end,
/// one account per unit of work, and records the run; the answer is what
/// this run lapsed. Running a year twice lapses nothing more.
///
/// # Errors
/// The database fails (accounts done so far stay done).
pub async fn expire<A: Message + Default>(
    ctx: &Context,
    year: i32,
    operator: &str,
    answer: impl FnOnce(&Expired) -> A,
) -> Result<A, AppError> {
    let end = YearEnd::new(year, ctx.policy.expiry.months, ctx.policy.offset);
    let accounts = {
        let mut conn = ctx.units.read().await?;
        accounts::with_points(&mut conn).await?
    };
    let mut done = Expired::default();
    for account in accounts {
        let mut work = ctx.units.begin_job().await?;
        if let Some(entry) = lapse(&mut work, &end, account, operator).await? {
            done.add(&entry);
        }
        work.commit(()).await?;
    }
    let mut work = ctx.units.begin_job().await?;
    let now = work.now();
    accounts::record_expiry(work.conn(), year, &done, now).await?;
    let answer = work.commit(answer(&done)).await?;
    tracing::info!(
        year,
        accounts = done.accounts,
        points = done.points,
        "points lapsed"
    );
    Ok(answer)
}

/// Posts `account`'s expiry entry for `end`, if anything lapses and it was
/// not posted before.
async fn lapse(
    work: &mut Work,
    end: &YearEnd,
    account: AccountId,
    operator: &str,
) -> Result<Option<LedgerEntry>, AppError> {
    // Locked before reading, so no redemption slips in between.
    accounts::lock(work.conn(), account).await?;
    let entries = accounts::statement(work.conn(), account).await?;
    let ledger = Ledger::new(entries.iter().map(Entry::from));
    let Some(posting) = end.lapse(account, &ledger, operator) else {
        return Ok(None);
    };
    Ok(match post(work, posting).await? {
        Posted::New(entry) => Some(entry),
        Posted::Already(_) => None,
    })
}
