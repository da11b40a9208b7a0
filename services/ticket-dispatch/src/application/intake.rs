//! Intake: CreateTicket, and tickets other services ask for by event.
//! Both check the request, look for the ticket it may already be, and ask
//! the registry where it lies ([`prepare`], before any transaction); then
//! take it in inside their unit of work ([`take_in`]): the call's, or the
//! event's inbox row.

use chrono::{DateTime, TimeDelta, Utc};
use platform::auth::Caller;
use platform::error::AppError;
use platform::nearby::Around;
use platform::uow::{Begun, CallKey, Work};
use prost::Message;
use sqlx::PgConnection;

use super::{Context, access, record, save_move, view_of};
use crate::config::Duplicates;
use crate::domain::calendar::year_in_shanghai;
use crate::domain::grid::LatLng;
use crate::domain::ids::TicketId;
use crate::domain::intake::{Intake, TicketRequest};
use crate::domain::ticket::{Stamp, Ticket, TicketView};
use crate::repository::{categories, tickets, timers};

/// How long a duplicate window is when the configured one is out of range.
const DEFAULT_WINDOW: TimeDelta = TimeDelta::days(3);

/// A request checked and placed, before its unit of work.
#[derive(Debug, Clone)]
pub enum Prepared {
    /// The same order was taken in before: this is its ticket.
    Existing(Box<Ticket>),
    /// A new ticket to take in.
    New(Box<Intake>),
}

/// Checks `request` (and the category it names), looks for the ticket the
/// same order already is, and asks the registry where it lies. With the
/// registry unreachable the ticket is accepted all the same, unrouted.
///
/// # Errors
/// INVALID_ARGUMENT naming every broken rule, or the database.
pub async fn prepare(ctx: &Context, request: TicketRequest) -> Result<Prepared, AppError> {
    let mut conn = ctx.units.read().await?;
    let category = categories::get(&mut conn, request.category_code.trim()).await?;
    let new = request.check(category)?;
    if let Some(reference) = &new.reference
        && let Some(existing) = tickets::by_reference(&mut conn, new.channel, reference).await?
    {
        return Ok(Prepared::Existing(Box::new(existing)));
    }
    drop(conn);
    let placement = match new.location {
        None => Ok(None),
        Some(at) => ctx.registry.resolve(at).await,
    };
    let (placement, unrouted) = match placement {
        Ok(placement) => (placement, false),
        Err(err) => {
            tracing::warn!(error = %err, "ticket accepted unrouted");
            (None, true)
        }
    };
    Ok(Prepared::New(Box::new(Intake {
        ticket: new,
        placement,
        unrouted,
    })))
}

/// Takes a prepared ticket in inside `work`: numbers it, links it to the
/// open ticket it repeats, records and publishes its intake, and sends a
/// simple case straight to its micro-grid. Returns the ticket as the
/// caller sees it (the existing one when the same order won a race).
///
/// # Errors
/// The existing ticket lies outside the caller's scope (PERMISSION_DENIED),
/// or the database.
pub async fn take_in<A: Message>(
    work: &mut Work<A>,
    ctx: &Context,
    caller: &Caller,
    intake: Intake,
) -> Result<TicketView, AppError> {
    let rules = ctx.rules.current();
    let now = work.now();
    let number = tickets::next_number(work.conn(), "LX", year_in_shanghai(now)).await?;
    let original = match intake.place_to_compare() {
        Some(at) => find_original(work.conn(), ctx.policy.duplicates, &intake, at, now).await?,
        None => None,
    };
    let stamp = Stamp::new(&caller.subject, now);
    let (mut ticket, received) = Ticket::receive(
        TicketId::generate(),
        number,
        &intake,
        original.as_ref(),
        &ctx.policy.limits,
        &stamp,
        &rules,
    );
    if !tickets::insert(work.conn(), &ticket).await? {
        // The same order arrived twice at once; the first one won.
        let reference = ticket.external_ref.as_deref().unwrap_or_default();
        let existing = tickets::by_reference(work.conn(), ticket.channel, reference)
            .await?
            .ok_or_else(|| anyhow::anyhow!("ticket vanished after a conflicting insert"))?;
        access::may_see_existing(caller, &existing)?;
        return view_of(work.conn(), existing).await;
    }
    record(work, &ticket, &received).await?;
    if ticket.clock_running() {
        // The desk's leg: warned and escalated like any unit's.
        timers::replace(work.conn(), ticket.id, None, &ticket.timers(&rules, now)).await?;
    }
    if let Some(unit) = intake
        .placement
        .as_ref()
        .and_then(|p| ticket.simple_case_unit(p))
    {
        let reason = Some("simple case: to its micro-grid".to_owned());
        let dispatched = ticket.dispatch(unit, reason, &Stamp::system(now), &rules)?;
        save_move(work, &rules, &ticket, &dispatched).await?;
    }
    tracing::info!(ticket = %ticket.number, state = ticket.state.as_str(), unrouted = ticket.unrouted, "ticket received");
    view_of(work.conn(), ticket).await
}

/// CreateTicket: takes a ticket in from any channel; the same order twice
/// is one ticket (by the channel's reference, else the client's key).
///
/// # Errors
/// INVALID_ARGUMENT naming every broken rule; PERMISSION_DENIED when the
/// order is a ticket outside the caller's scope; the database.
pub async fn create_ticket<A: Message + Default>(
    ctx: &Context,
    caller: &Caller,
    key: CallKey,
    request: TicketRequest,
    answer: impl FnOnce(&TicketView) -> A,
) -> Result<A, AppError> {
    if let Some(channel) = request.channel {
        access::may_file(caller, channel)?;
    }
    let intake = match prepare(ctx, request).await? {
        Prepared::Existing(existing) => {
            access::may_see_existing(caller, &existing)?;
            let mut conn = ctx.units.read().await?;
            return Ok(answer(&view_of(&mut conn, *existing).await?));
        }
        Prepared::New(intake) => intake,
    };
    let mut work = match ctx.units.begin(key).await? {
        Begun::Replay(saved) => return Ok(saved),
        Begun::Fresh(work) => work,
    };
    let view = take_in(&mut work, ctx, caller, *intake).await?;
    work.commit(answer(&view)).await
}

/// Returns the open ticket a new report at `at` repeats: the same category,
/// within the configured distance, received within the window.
async fn find_original(
    conn: &mut PgConnection,
    duplicates: Duplicates,
    intake: &Intake,
    at: LatLng,
    now: DateTime<Utc>,
) -> Result<Option<Ticket>, AppError> {
    let around = Around {
        lat: at.lat,
        lng: at.lng,
        radius_m: duplicates.radius_m,
    };
    if around.radius_m <= 0.0 {
        return Ok(None);
    }
    let since = now - TimeDelta::from_std(duplicates.window).unwrap_or(DEFAULT_WINDOW);
    let candidates = tickets::open_nearby(
        conn,
        &intake.ticket.category.code,
        at,
        around.box_degrees(),
        since,
    )
    .await?;
    Ok(around.nearest(candidates, |t| t.location.map(|l| (l.lat, l.lng))))
}
