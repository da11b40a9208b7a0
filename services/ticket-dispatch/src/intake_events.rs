//! Tickets asked for by other services' events: `<context>.ticket.requested`
//! on each configured stream, taken in through the inbox like a CreateTicket
//! call.

use platform::auth::Caller;
use platform::inbox::{ReceivedEvent, TxnEventHandler};
use prost::Message as _;
use proto::dispatch::v1 as pb;
use sqlx::PgConnection;

use crate::api::{ApiError, DispatchApi};

/// Applies `TicketRequested` events.
#[derive(Clone)]
pub struct TicketRequests {
    pub api: DispatchApi,
    /// The service token forwarded to the registry for these tickets.
    pub token: String,
    /// The requesting context, recorded as the actor (e.g. `video`).
    pub source: String,
}

impl TxnEventHandler for TicketRequests {
    async fn handle(&self, _txn: &mut PgConnection, event: &ReceivedEvent) -> anyhow::Result<()> {
        let requested = pb::TicketRequested::decode(event.payload.as_ref())?;
        let mut request = requested.request.unwrap_or_default();
        if request.external_ref.is_empty() && request.idempotency_key.is_empty() {
            // The event's own id makes a redelivered request one ticket.
            request.idempotency_key = event.event_id.to_string();
        }
        let caller = Caller::service(&self.source, &self.token);
        match self.api.intake(caller, request).await {
            Ok(response) => {
                let ticket = response.ticket.unwrap_or_default();
                tracing::info!(source = %self.source, ticket = %ticket.number, "ticket requested by event taken in");
                Ok(())
            }
            // Retrying cannot mend a malformed request; it is recorded and
            // left, loudly, rather than blocking the stream.
            Err(ApiError::InvalidArgument(violations)) => {
                tracing::error!(source = %self.source, event_id = %event.event_id, ?violations, "ticket request refused");
                Ok(())
            }
            Err(err) => Err(anyhow::anyhow!("{err}")),
        }
    }
}
