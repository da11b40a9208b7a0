//! MergeTickets and SplitTicket: the desk links a repeated report to the
//! open ticket it repeats, or unlinks it.

use platform::auth::Caller;
use platform::error::AppError;
use platform::uow::CallKey;
use proto::dispatch::v1 as pb;

use super::{DispatchApi, given, id};
use crate::application::tickets::{self, Merge, Split};
use crate::convert;
use crate::domain::ids::TicketId;

impl DispatchApi {
    pub(super) async fn merge_tickets(
        &self,
        caller: Caller,
        request: pb::MergeTicketsRequest,
    ) -> Result<pb::MergeTicketsResponse, AppError> {
        let ticket = id(&request.ticket_id, "ticket_id", TicketId::parse)?;
        let into = id(&request.into_ticket_id, "into_ticket_id", TicketId::parse)?;
        if ticket == into {
            return Err(AppError::invalid(
                "into_ticket_id",
                "must be another ticket",
            ));
        }
        let Some(reason) = given(&request.reason) else {
            return Err(AppError::invalid("reason", "is required to merge"));
        };
        let key = CallKey::new(&caller, &request.idempotency_key, &request);
        let cmd = Merge {
            ticket,
            into,
            reason,
        };
        tickets::merge_tickets(&self.ctx, &caller, key, cmd, |view| {
            pb::MergeTicketsResponse {
                ticket: Some(convert::ticket(view)),
            }
        })
        .await
    }

    pub(super) async fn split_ticket(
        &self,
        caller: Caller,
        request: pb::SplitTicketRequest,
    ) -> Result<pb::SplitTicketResponse, AppError> {
        let ticket = id(&request.ticket_id, "ticket_id", TicketId::parse)?;
        let Some(reason) = given(&request.reason) else {
            return Err(AppError::invalid("reason", "is required to split"));
        };
        let key = CallKey::new(&caller, &request.idempotency_key, &request);
        let cmd = Split { ticket, reason };
        tickets::split_ticket(&self.ctx, &caller, key, cmd, |view| {
            pb::SplitTicketResponse {
                ticket: Some(convert::ticket(view)),
            }
        })
        .await
    }
}
