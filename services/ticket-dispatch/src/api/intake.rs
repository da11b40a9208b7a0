//! CreateTicket: intake from every channel.

use platform::auth::Caller;
use platform::error::AppError;
use platform::uow::CallKey;
use proto::dispatch::v1 as pb;

use super::DispatchApi;
use crate::application::intake;
use crate::convert;

impl DispatchApi {
    #[tracing::instrument(skip_all, fields(channel = request.channel, external_ref = %request.external_ref))]
    pub(super) async fn create_ticket(
        &self,
        caller: Caller,
        request: pb::CreateTicketRequest,
    ) -> Result<pb::CreateTicketResponse, AppError> {
        convert::check_priority(request.priority)?;
        let key = CallKey::new(&caller, &request.idempotency_key, &request);
        // The request is checked by intake, with the category it names: the
        // caller hears of every broken rule at once.
        let ticket = convert::ticket_request(request);
        intake::create_ticket(&self.ctx, &caller, key, ticket, |view| {
            pb::CreateTicketResponse {
                ticket: Some(convert::ticket(view)),
            }
        })
        .await
    }
}
