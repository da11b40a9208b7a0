//! GetTicket and ListTickets: queues, filters, cursor pagination; and
//! ListCategories, the taxonomy.

use platform::auth::Caller;
use platform::error::AppError;
use proto::dispatch::v1 as pb;
use proto::dispatch::v1::list_tickets_request::Queue as PbQueue;

use super::{DispatchApi, given, id};
use crate::application::queries::{self, FindTicket, Queue, TicketQuery};
use crate::convert;
use crate::domain::ids::TicketId;

/// Returns the page a ListTickets request asks for.
fn decode_query(request: pb::ListTicketsRequest) -> Result<TicketQuery, AppError> {
    let limit = match request.page_size {
        0 => 50,
        n @ 1..=500 => i64::from(n),
        _ => return Err(AppError::invalid("page_size", "must be between 1 and 500")),
    };
    let after = match request.page_token.as_str() {
        "" => None,
        token => Some(TicketId::parse(token).ok_or_else(|| {
            AppError::invalid(
                "page_token",
                "must be a next_page_token from an earlier response",
            )
        })?),
    };
    let queue = match PbQueue::try_from(request.queue).unwrap_or(PbQueue::All) {
        PbQueue::All => Queue::All,
        PbQueue::Mine => Queue::Mine,
        PbQueue::Desk => Queue::Desk,
        PbQueue::Overdue => Queue::Overdue,
    };
    Ok(TicketQuery {
        queue,
        channels: request
            .channels
            .iter()
            .filter_map(|c| convert::channel_from(*c))
            .collect(),
        states: request
            .states
            .iter()
            .filter_map(|s| convert::state_from(*s))
            .collect(),
        category: given(&request.category_code),
        grid: given(&request.grid_code),
        received_from: request
            .received_from
            .as_ref()
            .and_then(convert::from_timestamp),
        received_to: request
            .received_to
            .as_ref()
            .and_then(convert::from_timestamp),
        limit,
        after,
    })
}

impl DispatchApi {
    pub(super) async fn get_ticket(
        &self,
        caller: Caller,
        request: pb::GetTicketRequest,
    ) -> Result<pb::GetTicketResponse, AppError> {
        let ticket = match request.id.as_str() {
            "" => None,
            raw => Some(id(raw, "id", TicketId::parse)?),
        };
        if ticket.is_none() && request.number.trim().is_empty() {
            return Err(AppError::invalid(
                "number",
                "either id or number is required",
            ));
        }
        let named = if request.number.is_empty() {
            request.id
        } else {
            request.number.clone()
        };
        let find = FindTicket {
            id: ticket,
            number: request.number,
            named,
        };
        let view = queries::get_ticket(&self.ctx, &caller, find).await?;
        Ok(pb::GetTicketResponse {
            ticket: Some(convert::ticket(&view)),
        })
    }

    pub(super) async fn list_tickets(
        &self,
        caller: Caller,
        request: pb::ListTicketsRequest,
    ) -> Result<pb::ListTicketsResponse, AppError> {
        let query = decode_query(request)?;
        let page = queries::list_tickets(&self.ctx, &caller, query).await?;
        Ok(pb::ListTicketsResponse {
            tickets: page.tickets.iter().map(convert::ticket_summary).collect(),
            next_page_token: page.next.map(|id| id.to_string()).unwrap_or_default(),
        })
    }
}

impl DispatchApi {
    pub(super) async fn list_categories(
        &self,
        _caller: Caller,
        request: pb::ListCategoriesRequest,
    ) -> Result<pb::ListCategoriesResponse, AppError> {
        let categories = queries::list_categories(&self.ctx, request.include_inactive).await?;
        Ok(pb::ListCategoriesResponse {
            categories: categories.iter().map(convert::category).collect(),
        })
    }
}
