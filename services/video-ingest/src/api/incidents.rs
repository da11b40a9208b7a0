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

/// The trailer of a RESOURCE_EXHAUSTED refusal: the milliseconds to wait
/// before sending the refused batch again.
pub const RETRY_AFTER_MS: &str = "retry-after-ms";
/// The trailer naming the batch a refusal is for.
pub const REFUSED_BATCH: &str = "refused-batch";

/// Returns the status a refused batch ends its stream with: the error's,
/// naming the batch, and for a refusal that waiting mends, the time to
/// wait as a trailer.
fn refusal_status(number: u64, refused: analytics::BatchRefused) -> Status {
    let mut status = Status::from(refused.error);
    let metadata = status.metadata_mut();
    metadata.insert(REFUSED_BATCH, number.into());
    if let Some(wait) = refused.retry_after {
        let millis = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX);
        metadata.insert(RETRY_AFTER_MS, millis.into());
    }
    status
}

/// Reads batches until the sender ends, acknowledging each once stored;
/// the first refusal ends the stream with its status (the batches before
/// it stay acknowledged; the sender sends the refused one and the rest on
/// a new stream, after the wait a RESOURCE_EXHAUSTED names).
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
            Err(err) => Err(err.into()),
        };
        if let Err(refused) = &stored {
            tracing::info!(batch = number, error = %refused.error, retry_after = ?refused.retry_after, "analytic batch refused");
        }
        let answer = stored
            .map(|s| pb::StreamAnalyticEventsResponse {
                batch: number,
                stored: s.stored,
                duplicates: s.duplicates,
            })
            .map_err(|refused| refusal_status(number, refused));
        let failed = answer.is_err();
        if acks.send(answer).await.is_err() || failed {
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
