//! StreamAnalyticEvents (client and server streaming, by hand: the platform
//! macro names the stream type, the handler runs the batches), and the
//! incidents.

use futures::stream::BoxStream;
use platform::auth::Caller;
use platform::error::AppError;
use proto::video::v1 as pb;
use tokio_stream::wrappers::ReceiverStream;
use tonic::Status;

use super::{VideoApi, gb_id, page_size};
use crate::application::{Context, analytics, incidents};
use crate::convert;
use crate::domain::ids::IncidentId;
use crate::domain::incident::AnalyticEvent;

/// The acknowledgements of a StreamAnalyticEvents call, one per batch.
pub type AckStream = BoxStream<'static, Result<pb::StreamAnalyticEventsResponse, Status>>;

/// Acknowledgements waiting to be sent before the next batch is read: a
/// sender that stops reading them slows its own stream, no one else's.
const ACKS_BUFFERED: usize = 4;

/// Decodes one batch: 1..=`max` events, each checked.
fn batch(
    request: pb::StreamAnalyticEventsRequest,
    max: usize,
) -> Result<Vec<AnalyticEvent>, AppError> {
    if request.events.is_empty() || request.events.len() > max {
        return Err(AppError::invalid(
            "events",
            format!("must hold 1 to {max} events"),
        ));
    }
    let mut broken = Vec::new();
    let mut events = Vec::with_capacity(request.events.len());
    for (i, event) in request.events.into_iter().enumerate() {
        match convert::event_draft(event).check(&format!("events[{i}]")) {
            Ok(event) => events.push(event),
            Err(violations) => broken.extend(violations),
        }
    }
    if broken.is_empty() {
        Ok(events)
    } else {
        Err(AppError::InvalidArgument(broken))
    }
}

/// Reads batches until the sender ends, acknowledging each once stored;
/// the first refusal ends the stream with its status.
async fn run_batches(
    ctx: Context,
    caller: Caller,
    mut inbound: tonic::Streaming<pb::StreamAnalyticEventsRequest>,
    acks: tokio::sync::mpsc::Sender<Result<pb::StreamAnalyticEventsResponse, Status>>,
) {
    loop {
        let request = match inbound.message().await {
            Ok(Some(request)) => request,
            Ok(None) => return,
            Err(status) => {
                let _ = acks.send(Err(status)).await;
                return;
            }
        };
        let number = request.batch;
        let stored = match batch(request, ctx.analytics.max_batch) {
            Ok(events) => analytics::stream_analytic_events(&ctx, &caller, events).await,
            Err(err) => Err(err),
        };
        let answer = stored.map(|s| pb::StreamAnalyticEventsResponse {
            batch: number,
            stored: s.stored,
            duplicates: s.duplicates,
        });
        let failed = answer.is_err();
        if let Err(err) = &answer {
            tracing::info!(batch = number, error = %err, "analytic batch refused");
        }
        if acks.send(answer.map_err(Status::from)).await.is_err() || failed {
            return;
        }
    }
}

impl VideoApi {
    pub(super) async fn stream_analytic_events(
        &self,
        caller: Caller,
        inbound: tonic::Streaming<pb::StreamAnalyticEventsRequest>,
    ) -> Result<AckStream, AppError> {
        let (acks, out) = tokio::sync::mpsc::channel(ACKS_BUFFERED);
        tokio::spawn(run_batches(self.ctx.clone(), caller, inbound, acks));
        Ok(Box::pin(ReceiverStream::new(out)))
    }

    pub(super) async fn list_incidents(
        &self,
        _caller: Caller,
        request: pb::ListIncidentsRequest,
    ) -> Result<pb::ListIncidentsResponse, AppError> {
        let channel = match request.channel_id.trim() {
            "" => None,
            id => Some(gb_id(id, "channel_id")?),
        };
        let kind = convert::incident_kind_from(request.kind);
        let limit = page_size(request.page_size, 50, 500);
        let found = incidents::list_incidents(&self.ctx, channel, kind, limit).await?;
        Ok(pb::ListIncidentsResponse {
            incidents: found
                .iter()
                .map(|i| convert::incident(i, &[], &[]))
                .collect(),
        })
    }

    pub(super) async fn get_incident(
        &self,
        _caller: Caller,
        request: pb::GetIncidentRequest,
    ) -> Result<pb::GetIncidentResponse, AppError> {
        let id = IncidentId::parse(&request.incident_id)
            .ok_or_else(|| AppError::invalid("incident_id", "must be a UUID"))?;
        let view = incidents::get_incident(&self.ctx, id).await?;
        Ok(pb::GetIncidentResponse {
            incident: Some(convert::incident(
                &view.incident,
                &view.history,
                &view.tickets,
            )),
        })
    }
}
