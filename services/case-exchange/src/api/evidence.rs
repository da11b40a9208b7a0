//! The message log, its verification, deliveries and refusals.

use platform::auth::Caller;
use platform::error::{AppError, Violations};
use platform::time::timestamp;
use proto::exchange::v1 as pb;

use super::{ExchangeApi, optional_node, page_size};
use crate::application::evidence;
use crate::convert;
use crate::domain::delivery::DeliveryState;

impl ExchangeApi {
    pub(super) async fn list_messages(
        &self,
        _caller: Caller,
        request: pb::ListMessagesRequest,
    ) -> Result<pb::ListMessagesResponse, AppError> {
        let entries =
            evidence::list_messages(&self.ctx, request.after_seq, page_size(request.page_size))
                .await?;
        Ok(pb::ListMessagesResponse {
            entries: entries.iter().map(convert::log_entry).collect(),
        })
    }

    pub(super) async fn verify_log(
        &self,
        _caller: Caller,
        _request: pb::VerifyLogRequest,
    ) -> Result<pb::VerifyLogResponse, AppError> {
        let verdict = evidence::verify_log(&self.ctx).await?;
        let (broken_seq, problem) = verdict.broken.clone().unwrap_or_default();
        Ok(pb::VerifyLogResponse {
            checked: verdict.checked,
            intact: verdict.broken.is_none(),
            broken_seq,
            problem,
        })
    }

    pub(super) async fn list_deliveries(
        &self,
        _caller: Caller,
        request: pb::ListDeliveriesRequest,
    ) -> Result<pb::ListDeliveriesResponse, AppError> {
        let mut v = Violations::new();
        let peer = optional_node(&request.peer_node, "peer_node", &mut v);
        let states: Vec<Option<DeliveryState>> =
            request.states().map(convert::delivery_state_of).collect();
        v.check(
            states.iter().all(Option::is_some),
            "states",
            "must not be UNSPECIFIED",
        );
        v.finish()?;
        let states: Vec<DeliveryState> = states.into_iter().flatten().collect();
        let found =
            evidence::list_deliveries(&self.ctx, peer, &states, page_size(request.page_size))
                .await?;
        Ok(pb::ListDeliveriesResponse {
            deliveries: found.iter().map(convert::delivery).collect(),
        })
    }

    pub(super) async fn list_refusals(
        &self,
        _caller: Caller,
        request: pb::ListRefusalsRequest,
    ) -> Result<pb::ListRefusalsResponse, AppError> {
        let found = evidence::list_refusals(&self.ctx, page_size(request.page_size)).await?;
        Ok(pb::ListRefusalsResponse {
            refusals: found
                .into_iter()
                .map(|r| pb::Refusal {
                    message_id: r.message_id,
                    claimed_sender: r.claimed_sender,
                    reason: r.reason,
                    detail: r.detail,
                    refused_at: Some(timestamp(r.refused_at)),
                })
                .collect(),
        })
    }
}
