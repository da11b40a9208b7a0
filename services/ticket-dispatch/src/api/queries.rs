//! GetTicket and ListTickets: queues, filters, cursor pagination.

use platform::auth::{Caller, Role};
use proto::dispatch::v1 as pb;
use proto::dispatch::v1::list_tickets_request::Queue;
use uuid::Uuid;

use super::{ApiError, DispatchApi, convert};
use crate::repository::tickets::{self, Filter};

impl DispatchApi {
    pub(super) async fn get_ticket(
        &self,
        caller: Caller,
        request: pb::GetTicketRequest,
    ) -> Result<pb::GetTicketResponse, ApiError> {
        let id = match request.id.as_str() {
            "" => None,
            id => Some(
                id.parse::<Uuid>()
                    .map_err(|_| ApiError::invalid("id", "must be a UUID"))?,
            ),
        };
        if id.is_none() && request.number.trim().is_empty() {
            return Err(ApiError::invalid(
                "number",
                "either id or number is required",
            ));
        }
        let what = if request.number.is_empty() {
            request.id.clone()
        } else {
            request.number.clone()
        };
        let mut conn = self.pool.acquire().await?;
        let ticket = tickets::find(&mut conn, id, request.number.trim())
            .await?
            .ok_or_else(|| ApiError::NotFound(format!("ticket {what}")))?;
        let tasks = crate::repository::tasks::of_ticket(&mut conn, ticket.ticket_id).await?;
        // A co-handler of a multi-department case sees the case it works on.
        let co_handler = caller
            .scope
            .as_deref()
            .is_some_and(|scope| tasks.iter().any(|t| t.unit_code == scope));
        if !super::may_see(&caller, &ticket) && !co_handler {
            return Err(ApiError::NotFound(format!("ticket {what}")));
        }
        let history = tickets::history(&mut conn, ticket.ticket_id).await?;
        Ok(pb::GetTicketResponse {
            ticket: Some(convert::ticket(&ticket, &history, &tasks)),
        })
    }

    pub(super) async fn list_tickets(
        &self,
        caller: Caller,
        request: pb::ListTicketsRequest,
    ) -> Result<pb::ListTicketsResponse, ApiError> {
        let limit = match request.page_size {
            0 => 50,
            n @ 1..=500 => i64::from(n),
            _ => return Err(ApiError::invalid("page_size", "must be between 1 and 500")),
        };
        let before = match request.page_token.as_str() {
            "" => None,
            token => Some(token.parse::<Uuid>().map_err(|_| {
                ApiError::invalid(
                    "page_token",
                    "must be a next_page_token from an earlier response",
                )
            })?),
        };
        let mut filter = Filter {
            channels: request
                .channels
                .iter()
                .filter_map(|c| convert::channel_from(*c))
                .map(|c| c.as_str().to_owned())
                .collect(),
            states: request
                .states
                .iter()
                .filter_map(|s| convert::state_from(*s))
                .map(|s| s.as_str().to_owned())
                .collect(),
            category: Some(request.category_code.trim().to_owned()).filter(|c| !c.is_empty()),
            received_from: request
                .received_from
                .as_ref()
                .and_then(convert::from_timestamp),
            received_to: request
                .received_to
                .as_ref()
                .and_then(convert::from_timestamp),
            before,
            ..Default::default()
        };
        if !request.grid_code.trim().is_empty() {
            filter.grids = Some(vec![request.grid_code.trim().to_owned()]);
        }
        // Scoped callers see their own part of the town, whatever they ask.
        match (caller.role, caller.scope.clone()) {
            (Role::TownOperator | Role::Service | Role::Reviewer, _) => {}
            (Role::DepartmentOfficer, Some(scope)) => filter.assignees = Some(vec![scope]),
            (Role::WorkstationStaff | Role::MicroGridLeader | Role::Member, Some(scope)) => {
                filter.grids = Some(vec![scope]);
            }
            _ => {
                return Err(ApiError::PermissionDenied(format!(
                    "the {} role has no ticket queue",
                    caller.role
                )));
            }
        }
        match Queue::try_from(request.queue).unwrap_or(Queue::All) {
            Queue::All => {}
            Queue::Mine => {
                let unit = match caller.role {
                    Role::TownOperator => "TOWN_CENTRE".to_owned(),
                    _ => caller.scope.clone().ok_or_else(|| {
                        ApiError::PermissionDenied("a queue needs a scope in the token".into())
                    })?,
                };
                filter.assignees = Some(vec![unit]);
            }
            Queue::Desk => filter.desk = true,
            Queue::Overdue => filter.overdue_at = Some(self.clock.now()),
        }
        let mut conn = self.pool.acquire().await?;
        let rows = tickets::page(&mut conn, &filter, limit).await?;
        let next_page_token = match rows.last() {
            Some(last) if rows.len() as i64 == limit => last.ticket_id.to_string(),
            _ => String::new(),
        };
        Ok(pb::ListTicketsResponse {
            tickets: rows.iter().map(|t| convert::ticket(t, &[], &[])).collect(),
            next_page_token,
        })
    }
}
