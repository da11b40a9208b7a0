//! GetCalendar and SetCalendar: the business calendar as data, a year at a
//! time. An edit recomputes every running deadline counted in working days
//! in its own transaction; the replica that made it uses the new calendar
//! at once, and every replica picks up an edit made elsewhere by comparing
//! the calendar's version ([`pick_up_edit`], run by the workers).

use chrono::{DateTime, Utc};
use platform::auth::Caller;
use platform::error::AppError;
use platform::uow::{Begun, CallKey, Units, Work};
use prost::Message;

use super::{Context, Rules};
use crate::domain::calendar::{CalendarEdit, CalendarYear, YearView};
use crate::domain::deadline::DeadlineRules;
use crate::repository::calendar;
use crate::repository::{tasks, tickets, timers};

/// GetCalendar: the listed days of `year`.
///
/// # Errors
/// The database.
pub async fn get_calendar(ctx: &Context, year: i32) -> Result<YearView, AppError> {
    let mut conn = ctx.units.read().await?;
    let (days, edit) = calendar::year(&mut conn, year).await?;
    Ok(YearView { year, days, edit })
}

/// What an edit did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edited {
    pub year: YearView,
    /// Open tickets whose deadline, or a task's, moved.
    pub deadlines_moved: u32,
}

/// SetCalendar: replaces the listed days of `cmd`'s year (the desk only,
/// by `access::POLICY`), then recomputes the deadlines of every open ticket
/// on the new calendar, with their timers, and puts it in force here.
///
/// # Errors
/// The database.
pub async fn set_calendar<A: Message + Default>(
    ctx: &Context,
    caller: &Caller,
    key: CallKey,
    cmd: CalendarYear,
    answer: impl FnOnce(&Edited) -> A,
) -> Result<A, AppError> {
    let mut work = match ctx.units.begin(key).await? {
        Begun::Replay(saved) => return Ok(saved),
        Begun::Fresh(work) => work,
    };
    let now = work.now();
    let edit = CalendarEdit {
        changed_at: now,
        changed_by: caller.subject.clone(),
    };
    calendar::replace_year(work.conn(), &cmd, &edit).await?;
    let (new_calendar, version) = calendar::load(work.conn()).await?;
    let rules = ctx.rules.current().with_calendar(new_calendar.clone());
    let deadlines_moved = move_deadlines(&mut work, &rules, now).await?;
    let (days, edit) = calendar::year(work.conn(), cmd.year).await?;
    let edited = Edited {
        year: YearView {
            year: cmd.year,
            days,
            edit,
        },
        deadlines_moved,
    };
    tracing::info!(
        year = cmd.year,
        days = cmd.days.len(),
        deadlines_moved,
        version,
        "business calendar edited"
    );
    let answer = work.commit(answer(&edited)).await?;
    ctx.rules.use_calendar(new_calendar, version);
    Ok(answer)
}

/// Recomputes the deadlines of every open ticket and its open tasks on
/// `rules`, saving those that moved with the timers they now need.
/// Returns how many tickets moved.
async fn move_deadlines<A: Message>(
    work: &mut Work<A>,
    rules: &DeadlineRules,
    now: DateTime<Utc>,
) -> Result<u32, AppError> {
    let mut moved = 0;
    for id in tickets::open_with_deadlines(work.conn()).await? {
        let Some(mut ticket) = tickets::load_for_update(work.conn(), id).await? else {
            continue;
        };
        let (own, moved_tasks) = ticket.follow_calendar(now, rules);
        if !own && moved_tasks.is_empty() {
            continue;
        }
        moved += 1;
        for task in ticket.tasks.iter().filter(|t| moved_tasks.contains(&t.id)) {
            tasks::update(work.conn(), task).await?;
            let planned = task.timers(ticket.limit, rules, now);
            timers::replace(work.conn(), ticket.id, Some(task.id), &planned).await?;
        }
        if own {
            timers::replace(work.conn(), ticket.id, None, &ticket.timers(rules, now)).await?;
        }
        tickets::update(work.conn(), &ticket).await?;
    }
    Ok(moved)
}

/// Reloads the calendar when its version is newer than the one in force.
///
/// # Errors
/// The database.
pub async fn pick_up_edit(units: &Units, rules: &Rules) -> Result<bool, AppError> {
    let mut conn = units.read().await?;
    if calendar::version(&mut conn).await? <= rules.version() {
        return Ok(false);
    }
    let (calendar, version) = calendar::load(&mut conn).await?;
    tracing::info!(version, "business calendar edit picked up");
    rules.use_calendar(calendar, version);
    Ok(true)
}
