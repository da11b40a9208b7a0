//! Reports: taken in, checked for duplicates, and forwarded to dispatch as
//! VILLAGER_APP tickets through the outbox (kept, and sent when dispatch
//! and NATS can take them); then followed through dispatch's ticket events:
//! verification posts the award once, reopening as untrue takes it back.

use chrono::{DateTime, TimeDelta, Utc};
use platform::auth::Caller;
use platform::error::{AppError, FieldViolation};
use platform::uow::{Begun, CallKey, Work};
use prost::Message;
use sqlx::PgConnection;

use super::{Context, Policy, access, ledger};
use crate::domain::contact::ContactRead;
use crate::domain::ids::{ReportId, ResidentId};
use crate::domain::report::{Cursor, Due, Report, SubmitReport, TicketUpdate};
use crate::domain::rules::{AwardRule, Awarded};
use crate::events;
use crate::repository::{contacts, reports, residents, rules};

/// Refuses a report of a bad shape: its violations, and its category's
/// when it is not one that takes reports.
pub async fn refuse(ctx: &Context, mut shape: Vec<FieldViolation>, category: &str) -> AppError {
    let checked: Result<(), AppError> = async {
        let mut conn = ctx.units.read().await?;
        if rules::active(&mut conn, category).await?.is_none() {
            shape.push(unknown_category(&mut conn).await?);
        }
        Ok(())
    }
    .await;
    match checked {
        Ok(()) => AppError::InvalidArgument(shape),
        Err(err) => err,
    }
}

/// Returns the violation of a category that takes no reports.
async fn unknown_category(conn: &mut PgConnection) -> Result<FieldViolation, AppError> {
    let known = rules::categories(conn).await?;
    Ok(FieldViolation::new(
        "category_code",
        format!("must be one of {}", known.join(", ")),
    ))
}

/// Takes a report in for its resident: a duplicate of a report close by of
/// the same category within the window, from anyone, earns nothing; every
/// report, duplicates too, asks dispatch for its ticket.
///
/// # Errors
/// INVALID_ARGUMENT for a category that takes no reports; NOT_FOUND for a
/// resident the caller may not act for; FAILED_PRECONDITION for a
/// deactivated one.
pub async fn submit<A: Message + Default>(
    ctx: &Context,
    caller: &Caller,
    key: CallKey,
    cmd: SubmitReport,
    answer: impl FnOnce(&Report) -> A,
) -> Result<A, AppError> {
    // A retried call answers as the first did, whatever changed since.
    let mut work = match ctx.units.begin(key).await? {
        Begun::Replay(saved) => return Ok(saved),
        Begun::Fresh(work) => work,
    };
    let Some(rule) = rules::active(work.conn(), &cmd.category_code).await? else {
        let violation = unknown_category(work.conn()).await?;
        return Err(AppError::InvalidArgument(vec![violation]));
    };
    let resident = access::resident_for(work.conn(), caller, cmd.resident).await?;
    resident.require_active()?;
    // Reports of one category are checked for duplicates one at a time:
    // two reports of one fire at the same moment are not both originals.
    reports::lock_category(work.conn(), &rule.category_code).await?;
    let now = work.now();
    let original = original_of(work.conn(), &ctx.policy, &rule, &cmd, now).await?;
    let report = Report::submit(
        cmd,
        &resident,
        &rule,
        original.as_ref(),
        access::operator_of(caller),
        now,
        ctx.policy.offset,
    );
    reports::insert(work.conn(), &report).await?;
    work.publish(events::report_submitted(&report, &caller.subject, now));
    // Duplicates are forwarded too: the town sees every report, and
    // dispatch links it to the ticket it repeats.
    work.publish(events::ticket_requested(&report, &caller.subject, now));
    let answer = work.commit(answer(&report)).await?;
    tracing::info!(report = %report.id, status = report.status.as_str(), "report submitted");
    Ok(answer)
}

/// Returns the earlier report `cmd` repeats: the nearest of its category
/// within the configured distance and window, from anyone.
async fn original_of(
    conn: &mut PgConnection,
    policy: &Policy,
    rule: &AwardRule,
    cmd: &SubmitReport,
    now: DateTime<Utc>,
) -> Result<Option<Report>, AppError> {
    let around = platform::nearby::Around {
        lat: cmd.lat,
        lng: cmd.lng,
        radius_m: policy.duplicates.radius_m,
    };
    if around.radius_m <= 0.0 {
        return Ok(None);
    }
    let since = now - TimeDelta::from_std(policy.duplicates.window).unwrap_or(TimeDelta::days(3));
    let candidates = reports::nearby(
        conn,
        &rule.category_code,
        (cmd.lat, cmd.lng),
        around.box_degrees(),
        since,
    )
    .await?;
    Ok(around.nearest(candidates, |r| Some((r.lat, r.lng))))
}

/// Returns a report, to who may act for its reporter.
///
/// # Errors
/// NOT_FOUND (also for a report the caller may not see).
pub async fn get(ctx: &Context, caller: &Caller, id: ReportId) -> Result<Report, AppError> {
    let mut conn = ctx.units.read().await?;
    let report = reports::by_id(&mut conn, id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("report {id}")))?;
    // Only who may act for its reporter sees it; a failure of the database
    // stays what it is (UNAVAILABLE, to be tried again), never NOT_FOUND.
    access::resident_for(&mut conn, caller, report.resident)
        .await
        .map_err(|err| match err {
            AppError::NotFound(_) => AppError::NotFound(format!("report {id}")),
            other => other,
        })?;
    Ok(report)
}

/// A page of a resident's reports, newest first.
#[derive(Debug, Clone)]
pub struct Page {
    pub reports: Vec<Report>,
    /// Where the next page starts; `None` on the last.
    pub next: Option<Cursor>,
}

/// Returns `size` of `resident`'s reports after `after`, newest first.
///
/// # Errors
/// NOT_FOUND, or the database failing.
pub async fn list(
    ctx: &Context,
    caller: &Caller,
    resident: ResidentId,
    size: u32,
    after: Option<Cursor>,
) -> Result<Page, AppError> {
    let mut conn = ctx.units.read().await?;
    let resident = access::resident_for(&mut conn, caller, resident).await?;
    let size = size.max(1) as usize;
    let mut reports = reports::of_resident(&mut conn, resident.id, after, size as i64 + 1).await?;
    let next = (reports.len() > size).then(|| Cursor::after(&reports[size - 1]));
    reports.truncate(size);
    Ok(Page { reports, next })
}

/// Applies one of dispatch's ticket events to the report it concerns,
/// inside the event's unit of work. A report's ticket is the VILLAGER_APP
/// ticket whose channel reference is the report's id. Verification posts
/// the award, once (`award:<report>`); reopening as REPORT_UNTRUE reverses
/// it with a compensating entry (`reverse:<report>`).
///
/// # Errors
/// The database fails.
pub async fn follow_ticket(
    work: &mut Work,
    policy: &Policy,
    update: TicketUpdate,
) -> Result<(), AppError> {
    let Some(mut report) = reports::lock(work.conn(), update.report).await? else {
        // Another villager front's ticket, not one of ours.
        return Ok(());
    };
    let at = update.at.unwrap_or(work.now());
    match report.follow(update.ticket, &update.step, at) {
        Due::Nothing => {}
        Due::Award => award(work, policy, &mut report, at).await?,
        Due::TakeBack => ledger::take_back(work, &mut report, at).await?,
    }
    reports::update(work.conn(), &report).await?;
    Ok(())
}

/// Posts a verified report's points within the caps, once.
async fn award(
    work: &mut Work,
    policy: &Policy,
    report: &mut Report,
    at: DateTime<Utc>,
) -> Result<(), AppError> {
    // Awards to one resident are capped one at a time.
    residents::lock(work.conn(), report.resident).await?;
    let (today, this_month) =
        reports::awarded_around(work.conn(), report.resident, report.local_day, report.id).await?;
    let awarded = Awarded {
        today: u32::try_from(today.max(0)).unwrap_or(u32::MAX),
        this_month: u32::try_from(this_month.max(0)).unwrap_or(u32::MAX),
    };
    let points = report.points_due(awarded, policy.caps);
    if points == 0 {
        tracing::info!(report = %report.id, day = %report.local_day, "report verified; the resident's cap is reached");
        report.verified(None);
        return Ok(());
    }
    let posted = ledger::post_and_settle(work, report.award(points, at)).await?;
    report.verified(Some(posted.entry()));
    Ok(())
}

/// GetReporterContact: the contact of the resident who made `report`, for
/// `purpose` (already checked). Granted or refused, the read is recorded
/// in the contact access log, in the same unit of work as its answer.
///
/// # Errors
/// NOT_FOUND for an unknown report or a resident no longer active (recorded
/// as not granted); the database.
pub async fn reporter_contact(
    ctx: &Context,
    caller: &Caller,
    report: ReportId,
    purpose: String,
) -> Result<Contact, AppError> {
    let mut work = ctx.units.begin_job::<()>().await?;
    let found = match reports::by_id(work.conn(), report).await? {
        Some(r) => residents::find(work.conn(), residents::Lookup::Id(r.resident))
            .await?
            .filter(|resident| resident.active),
        None => None,
    };
    let read = ContactRead {
        id: uuid::Uuid::now_v7(),
        subject: caller.subject.clone(),
        role: caller.role.as_str().to_owned(),
        report,
        purpose,
        granted: found.is_some(),
        at: work.now(),
    };
    contacts::record(work.conn(), &read).await?;
    work.commit(()).await?;
    tracing::info!(report = %report, granted = read.granted, subject = %caller.subject, "reporter contact read");
    let resident = found.ok_or_else(|| AppError::NotFound(format!("report {report}")))?;
    Ok(Contact {
        report,
        name_masked: platform::mask::name(&resident.name),
        phone: resident.phone,
    })
}

/// How to reach a report's resident.
#[derive(Debug, Clone)]
pub struct Contact {
    pub report: ReportId,
    pub name_masked: String,
    pub phone: String,
}
