//! GetTicket and ListTickets: queues, filters, cursor pages, each caller's
//! part of the town.

use chrono::{DateTime, Utc};
use platform::auth::Caller;
use platform::error::AppError;

use super::access::{self, TicketScope};
use super::{Context, view_of};
use crate::domain::category::Category;
use crate::domain::channel::Channel;
use crate::domain::ids::TicketId;
use crate::domain::state::TicketState;
use crate::domain::ticket::{Ticket, TicketView};
use crate::repository::categories;
use crate::repository::tickets::{self, Filter};

/// A ticket asked for by id or number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FindTicket {
    pub id: Option<TicketId>,
    pub number: String,
    /// How the caller named it, for the answer that it is not found.
    pub named: String,
}

/// GetTicket: a ticket with its history and tasks, for a caller who may
/// see it (a co-handler sees the case it works on).
///
/// # Errors
/// NOT_FOUND (also outside the caller's scope), or the database.
pub async fn get_ticket(
    ctx: &Context,
    caller: &Caller,
    find: FindTicket,
) -> Result<TicketView, AppError> {
    let not_found = || AppError::NotFound(format!("ticket {}", find.named));
    let mut conn = ctx.units.read().await?;
    let ticket = tickets::find(&mut conn, find.id, find.number.trim())
        .await?
        .ok_or_else(not_found)?;
    if !access::may_see(caller, &ticket) && !access::works_on(caller, &ticket) {
        return Err(not_found());
    }
    view_of(&mut conn, ticket).await
}

/// Which tickets a list shows first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Queue {
    #[default]
    All,
    /// Those the caller's unit holds.
    Mine,
    /// Those waiting at the desk (or to be routed).
    Desk,
    /// Those whose running clock ran out.
    Overdue,
}

/// A page of tickets asked for.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TicketQuery {
    pub queue: Queue,
    pub channels: Vec<Channel>,
    pub states: Vec<TicketState>,
    pub category: Option<String>,
    pub grid: Option<String>,
    pub received_from: Option<DateTime<Utc>>,
    pub received_to: Option<DateTime<Utc>>,
    /// Tickets per page.
    pub limit: i64,
    /// Continue after this ticket.
    pub after: Option<TicketId>,
}

/// A page of tickets, newest first.
#[derive(Debug, Clone, PartialEq)]
pub struct TicketPage {
    pub tickets: Vec<Ticket>,
    /// Where the next page starts, when there may be one.
    pub next: Option<TicketId>,
}

/// ListTickets: a page of the tickets in the caller's part of the town.
///
/// # Errors
/// PERMISSION_DENIED for a role without a queue, or the database.
pub async fn list_tickets(
    ctx: &Context,
    caller: &Caller,
    query: TicketQuery,
) -> Result<TicketPage, AppError> {
    let mut filter = Filter {
        channels: query.channels,
        states: query.states,
        category: query.category,
        grids: query.grid.map(|g| vec![g]),
        received_from: query.received_from,
        received_to: query.received_to,
        before: query.after,
        ..Filter::default()
    };
    // Scoped callers see their own part of the town, whatever they ask.
    match access::ticket_scope(caller)? {
        TicketScope::Town => {}
        TicketScope::Assignee(unit) => filter.assignees = Some(vec![unit]),
        TicketScope::Grid(grid) => filter.grids = Some(vec![grid]),
    }
    match query.queue {
        Queue::All => {}
        Queue::Mine => filter.assignees = Some(vec![access::own_queue(caller)?]),
        Queue::Desk => filter.desk = true,
        Queue::Overdue => filter.overdue_at = Some(ctx.units.now()),
    }
    let mut conn = ctx.units.read().await?;
    let tickets = tickets::page(&mut conn, &filter, query.limit).await?;
    let next = match tickets.last() {
        Some(last) if tickets.len() as i64 == query.limit => Some(last.id),
        _ => None,
    };
    Ok(TicketPage { tickets, next })
}

/// ListCategories: the taxonomy, by code.
///
/// # Errors
/// The database.
pub async fn list_categories(
    ctx: &Context,
    include_inactive: bool,
) -> Result<Vec<Category>, AppError> {
    let mut conn = ctx.units.read().await?;
    Ok(categories::list(&mut conn, include_inactive).await?)
}
