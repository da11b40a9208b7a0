//! Work lists (一套明细单): upper-level policies, broken into villages' work
//! items by what the grid registry says of each village, then reported on,
//! verified and closed (销号).

use chrono::{DateTime, NaiveDate, TimeZone as _, Utc};
use platform::auth::{Caller, Role};
use platform::error::AppError;
use platform::uow::{Begun, CallKey};
use prost::Message;

use super::Context;
use super::access;
use crate::domain::ids::{PolicyId, WorkItemId};
use crate::domain::worklist::{
    Closure, NewPolicy, Policy, ProgressReport, Verification, VillageAttribute, WorkItem,
};
use crate::registry::RegistryError;
use crate::repository::worklists::{self as stored, ItemFilter};

/// Records a policy, as the town asks.
///
/// # Errors
/// PERMISSION_DENIED for others; INVALID_ARGUMENT for a deadline passed or
/// two rules on one attribute.
pub async fn create_policy<A: Message + Default>(
    ctx: &Context,
    caller: &Caller,
    key: CallKey,
    cmd: NewPolicy,
    answer: impl FnOnce(&Policy) -> A,
) -> Result<A, AppError> {
    access::require_town(caller, "record policies")?;
    let mut work = match ctx.units.begin(key).await? {
        Begun::Replay(saved) => return Ok(saved),
        Begun::Fresh(work) => work,
    };
    let policy = Policy::create(cmd, &caller.subject, work.now())?;
    stored::insert_policy(work.conn(), &policy).await?;
    tracing::info!(policy_id = %policy.id, rules = policy.rules.len(), "policy recorded");
    work.commit(answer(&policy)).await
}

/// Returns the newest `limit` policies.
///
/// # Errors
/// PERMISSION_DENIED for others than the town, workstations and services;
/// the database failing.
pub async fn list_policies(
    ctx: &Context,
    caller: &Caller,
    limit: u32,
) -> Result<Vec<Policy>, AppError> {
    require_reader(caller, None)?;
    let mut conn = ctx.units.read().await?;
    Ok(stored::list_policies(&mut conn, i64::from(limit)).await?)
}

/// A policy to break into work items.
#[derive(Debug, Clone)]
pub struct DecomposePolicy {
    pub policy: PolicyId,
    /// Only villages under this grid.
    pub under: Option<String>,
}

/// Breaks a policy into work items: the registry is asked about the
/// villages first, with no transaction open, then the policy is locked,
/// checked still undecomposed and its items stored.
///
/// # Errors
/// PERMISSION_DENIED for others than the town; NOT_FOUND; UNAVAILABLE
/// while the registry cannot be reached; FAILED_PRECONDITION when it was
/// broken down before or the registry refuses a read it needs;
/// INVALID_ARGUMENT for a grid the registry does not know.
pub async fn decompose_policy<A: Message + Default>(
    ctx: &Context,
    caller: &Caller,
    key: CallKey,
    cmd: DecomposePolicy,
    answer: impl FnOnce(&Policy, &[WorkItem]) -> A,
) -> Result<A, AppError> {
    access::require_town(caller, "break policies into work items")?;
    let policy = {
        let mut conn = ctx.units.read().await?;
        stored::load_policy(&mut conn, cmd.policy, false).await?
    }
    .ok_or_else(|| AppError::NotFound(format!("policy {}", cmd.policy)))?;
    let wanted: Vec<VillageAttribute> = policy.rules.iter().map(|r| r.attribute).collect();
    let purpose = format!(
        "work lists: special-care load per village for policy {} (一套明细单), asked by {}; counted only",
        policy.id, caller.subject
    );
    let villages = ctx
        .registry
        .villages(cmd.under.as_deref(), &wanted, &purpose)
        .await;
    let mut work = match ctx.units.begin(key).await? {
        Begun::Replay(saved) => return Ok(saved),
        Begun::Fresh(work) => work,
    };
    let villages = villages.map_err(|e| match e {
        RegistryError::Unreachable(_) => AppError::Unavailable(format!("{e}; try again")),
        RegistryError::Refused(_) => AppError::FailedPrecondition(e.to_string()),
        RegistryError::UnknownGrid(_) => AppError::invalid("grid_code", e.to_string()),
    })?;
    let mut policy = stored::load_policy(work.conn(), cmd.policy, true)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("policy {}", cmd.policy)))?;
    let items = policy.decompose(&villages, work.now())?;
    stored::insert_items(work.conn(), &items).await?;
    stored::save_decomposed(work.conn(), &policy).await?;
    tracing::info!(policy_id = %policy.id, villages = villages.len(), items = items.len(), "policy broken into work items");
    work.commit(answer(&policy, &items)).await
}

/// Which work items to list.
#[derive(Debug, Clone, Default)]
pub struct ListWorkItems {
    pub grid_code: Option<String>,
    pub chief: Option<String>,
    pub policy: Option<PolicyId>,
    /// A year of deadlines, and one month of it.
    pub year: Option<i32>,
    pub month: Option<u32>,
    pub limit: u32,
}

/// Returns `[from, to)` of the town's `year` (or one `month` of it).
pub fn period(ctx: &Context, year: i32, month: Option<u32>) -> (DateTime<Utc>, DateTime<Utc>) {
    let start = |y: i32, m: u32| {
        let day = NaiveDate::from_ymd_opt(y, m, 1).unwrap_or_default();
        ctx.policy
            .offset
            .from_local_datetime(&day.and_hms_opt(0, 0, 0).unwrap_or_default())
            .single()
            .map_or_else(Utc::now, |t| t.to_utc())
    };
    match month {
        Some(12) => (start(year, 12), start(year + 1, 1)),
        Some(m) => (start(year, m), start(year, m + 1)),
        None => (start(year, 1), start(year + 1, 1)),
    }
}

/// Returns the work list `cmd` asks for, with the time to judge lights by.
/// A workstation sees only its own village's.
///
/// # Errors
/// PERMISSION_DENIED for others, or a workstation asking for another
/// village; the database failing.
pub async fn list_work_items(
    ctx: &Context,
    caller: &Caller,
    mut cmd: ListWorkItems,
) -> Result<(Vec<WorkItem>, DateTime<Utc>), AppError> {
    require_reader(caller, cmd.grid_code.as_deref())?;
    if caller.role == Role::WorkstationStaff {
        cmd.grid_code.clone_from(&caller.scope);
    }
    let due = cmd.year.map(|y| period(ctx, y, cmd.month));
    let filter = ItemFilter {
        grid_code: cmd.grid_code,
        chief: cmd.chief,
        policy: cmd.policy,
        due,
        limit: i64::from(cmd.limit),
    };
    let mut conn = ctx.units.read().await?;
    let items = stored::list_items(&mut conn, &filter).await?;
    Ok((items, ctx.units.now()))
}

/// A progress report to record.
#[derive(Debug, Clone)]
pub struct ReportProgress {
    pub item: WorkItemId,
    pub percent: u32,
    pub note: String,
    pub done: bool,
}

/// Records a progress report on a work item: by the town, or by the
/// village's own workstation.
///
/// # Errors
/// PERMISSION_DENIED; NOT_FOUND; FAILED_PRECONDITION when the item is not
/// open; INVALID_ARGUMENT for progress that falls.
pub async fn report_progress<A: Message + Default>(
    ctx: &Context,
    caller: &Caller,
    key: CallKey,
    cmd: ReportProgress,
    answer: impl FnOnce(&WorkItem, DateTime<Utc>) -> A,
) -> Result<A, AppError> {
    let mut work = match ctx.units.begin(key).await? {
        Begun::Replay(saved) => return Ok(saved),
        Begun::Fresh(work) => work,
    };
    let mut item = load_item(work.conn(), cmd.item).await?;
    require_workstation_of(caller, &item)?;
    let stored_reports = item.reports.len();
    item.report(ProgressReport {
        percent: cmd.percent,
        note: cmd.note,
        done: cmd.done,
        by: caller.subject.clone(),
        at: work.now(),
    })?;
    stored::save_item(work.conn(), &item, stored_reports).await?;
    tracing::info!(item_id = %item.id, percent = cmd.percent, done = cmd.done, "work item progress reported");
    let now = work.now();
    work.commit(answer(&item, now)).await
}

/// A verification to record.
#[derive(Debug, Clone)]
pub struct VerifyWorkItem {
    pub item: WorkItemId,
    pub confirmed: bool,
    pub note: String,
}

/// Records the town's verification of a work item reported done.
///
/// # Errors
/// PERMISSION_DENIED for others than the town; NOT_FOUND;
/// FAILED_PRECONDITION when it was not reported done.
pub async fn verify_work_item<A: Message + Default>(
    ctx: &Context,
    caller: &Caller,
    key: CallKey,
    cmd: VerifyWorkItem,
    answer: impl FnOnce(&WorkItem, DateTime<Utc>) -> A,
) -> Result<A, AppError> {
    access::require_town(caller, "verify work items")?;
    let mut work = match ctx.units.begin(key).await? {
        Begun::Replay(saved) => return Ok(saved),
        Begun::Fresh(work) => work,
    };
    let mut item = load_item(work.conn(), cmd.item).await?;
    let stored_reports = item.reports.len();
    let check = Verification {
        by: caller.subject.clone(),
        at: work.now(),
        note: cmd.note,
    };
    item.verify(cmd.confirmed, check)?;
    stored::save_item(work.conn(), &item, stored_reports).await?;
    tracing::info!(item_id = %item.id, confirmed = cmd.confirmed, "work item verified");
    let now = work.now();
    work.commit(answer(&item, now)).await
}

/// A closing (销号) to record.
#[derive(Debug, Clone)]
pub struct CloseWorkItem {
    pub item: WorkItemId,
    pub note: String,
}

/// Closes a verified work item (销号).
///
/// # Errors
/// PERMISSION_DENIED for others than the town; NOT_FOUND;
/// FAILED_PRECONDITION unless it was verified.
pub async fn close_work_item<A: Message + Default>(
    ctx: &Context,
    caller: &Caller,
    key: CallKey,
    cmd: CloseWorkItem,
    answer: impl FnOnce(&WorkItem, DateTime<Utc>) -> A,
) -> Result<A, AppError> {
    access::require_town(caller, "close work items")?;
    let mut work = match ctx.units.begin(key).await? {
        Begun::Replay(saved) => return Ok(saved),
        Begun::Fresh(work) => work,
    };
    let mut item = load_item(work.conn(), cmd.item).await?;
    let stored_reports = item.reports.len();
    item.close(Closure {
        by: caller.subject.clone(),
        at: work.now(),
        note: cmd.note,
    })?;
    stored::save_item(work.conn(), &item, stored_reports).await?;
    tracing::info!(item_id = %item.id, "work item closed");
    let now = work.now();
    work.commit(answer(&item, now)).await
}

async fn load_item(conn: &mut sqlx::PgConnection, id: WorkItemId) -> Result<WorkItem, AppError> {
    stored::load_item(conn, id, true)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("work item {id}")))
}

/// Refuses callers who may not read work lists: the town and services
/// read every one, a workstation its own village's.
fn require_reader(caller: &Caller, grid: Option<&str>) -> Result<(), AppError> {
    match caller.role {
        Role::TownOperator | Role::Service => Ok(()),
        Role::WorkstationStaff
            if grid.is_none_or(|g| caller.scope.as_deref() == Some(g))
                && caller.scope.is_some() =>
        {
            Ok(())
        }
        Role::WorkstationStaff => Err(AppError::PermissionDenied(
            "a workstation reads its own village's work list only".into(),
        )),
        _ => Err(AppError::PermissionDenied(
            "only the town, workstations and services read work lists".into(),
        )),
    }
}

/// Refuses a caller who is neither the town nor the item's village's
/// workstation.
fn require_workstation_of(caller: &Caller, item: &WorkItem) -> Result<(), AppError> {
    let own = caller.role == Role::WorkstationStaff
        && caller.scope.as_deref() == Some(item.grid_code.as_str());
    if access::is_town(caller) || own {
        Ok(())
    } else {
        // The same answer as for an item that does not exist: a workstation
        // learns nothing of another village's list.
        Err(AppError::NotFound(format!("work item {}", item.id)))
    }
}
