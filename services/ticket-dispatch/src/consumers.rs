//! Tickets asked for by other services' events: `<context>.ticket.requested`
//! on each configured stream, taken in through the inbox like a
//! CreateTicket call. The event's inbox row is the key: the request's
//! reference or key, else the event id, makes it one ticket however often
//! it arrives.

use platform::auth::Caller;
use platform::error::AppError;
use platform::inbox::{EventHandler, HandlerError, ReceivedEvent};
use platform::uow::Work;
use prost::Message as _;
use proto::dispatch::v1 as pb;

use crate::application::Context;
use crate::application::intake::{self, Prepared};
use crate::convert;

/// Applies `TicketRequested` events from one source.
#[derive(Clone)]
pub struct TicketRequests {
    pub ctx: Context,
    /// The service token forwarded to the registry for these tickets.
    pub token: String,
    /// The requesting context, recorded as the actor (e.g. `video`).
    pub source: String,
}

/// A request, checked and placed, or refused.
pub enum Requested {
    /// Take the ticket in (or find it taken in already).
    Take(Caller, Prepared),
    /// Retrying cannot mend a malformed request: it is recorded in the
    /// inbox and left, loudly, rather than blocking the stream.
    Refused,
}

impl EventHandler for TicketRequests {
    type Event = Requested;

    async fn prepare(&self, event: &ReceivedEvent) -> Result<Option<Requested>, HandlerError> {
        let requested = pb::TicketRequested::decode(event.payload.as_ref())?;
        let mut request = requested.request.unwrap_or_default();
        if request.external_ref.is_empty() && request.idempotency_key.is_empty() {
            // The event's own id makes a redelivered request one ticket.
            request.idempotency_key = event.event_id.to_string();
        }
        let caller = Caller::service(&self.source, &self.token);
        match intake::prepare(&self.ctx, &caller, convert::ticket_request(request)).await {
            Ok(prepared) => Ok(Some(Requested::Take(caller, prepared))),
            Err(AppError::InvalidArgument(violations)) => {
                tracing::error!(source = %self.source, event_id = %event.event_id, ?violations, "ticket request refused");
                Ok(Some(Requested::Refused))
            }
            Err(err) => Err(err.into()),
        }
    }

    async fn apply(&self, work: &mut Work, event: Requested) -> Result<(), HandlerError> {
        let number = match event {
            Requested::Refused => return Ok(()),
            Requested::Take(_, Prepared::Existing(ticket)) => ticket.number,
            Requested::Take(caller, Prepared::New(new)) => {
                intake::take_in(work, &self.ctx, &caller, *new)
                    .await?
                    .ticket
                    .number
            }
        };
        tracing::info!(source = %self.source, ticket = %number, "ticket requested by event taken in");
        Ok(())
    }
}
