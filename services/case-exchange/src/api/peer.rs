//! The peer port: `weigrid.exchange.v1.PeerService`, served by mutual TLS
//! only. The client certificate says which allow-listed peer is calling;
//! the envelope must be that peer's.

use platform::time::from_timestamp;
use proto::exchange::v1 as pb;
use proto::exchange::v1::peer_service_server::PeerService;
use tonic::{Request, Response, Status};

use crate::application::Context;
use crate::application::intake::{self, IntakeError};
use crate::convert;
use crate::domain::envelope::Attempt;
use crate::domain::node::NodeId;
use crate::domain::trust::Refusal;

/// The peer gRPC service.
#[derive(Clone)]
pub struct PeerApi {
    ctx: Context,
}

impl PeerApi {
    /// Returns the service over `ctx`.
    pub fn new(ctx: Context) -> Self {
        Self { ctx }
    }

    /// Returns the allow-listed peer whose client certificate `request`
    /// came with.
    fn tls_peer<T>(&self, request: &Request<T>) -> Result<NodeId, String> {
        let certs = request
            .peer_certs()
            .ok_or_else(|| "no client certificate".to_owned())?;
        let leaf = certs
            .first()
            .ok_or_else(|| "no client certificate".to_owned())?;
        self.ctx.identity.peer_of_certificate(leaf.as_ref())
    }
}

/// Returns the status a refusal is answered with.
fn refused(refusal: &Refusal) -> Status {
    let message = format!("{}: {refusal}", refusal.code());
    match refusal {
        Refusal::Stale { .. } => Status::failed_precondition(message),
        Refusal::Malformed(_) => Status::invalid_argument(message),
        _ => Status::permission_denied(message),
    }
}

#[tonic::async_trait]
impl PeerService for PeerApi {
    async fn deliver(
        &self,
        request: Request<pb::DeliverRequest>,
    ) -> Result<Response<pb::DeliverResponse>, Status> {
        let tls_peer = self.tls_peer(&request);
        let request = request.into_inner();
        let wire = request.envelope.unwrap_or_default();
        let (id, sender) = (wire.message_id.clone(), wire.sender.clone());
        let envelope = match convert::envelope_of(wire) {
            Ok(envelope) => envelope,
            Err(err) => {
                return Err(answer(
                    intake::refuse(&self.ctx, &id, &sender, Refusal::Malformed(err)).await,
                ));
            }
        };
        let Some(attempted_at) = request.attempted_at.as_ref().and_then(from_timestamp) else {
            let refusal = Refusal::Malformed("attempted_at is missing".into());
            return Err(answer(
                intake::refuse(&self.ctx, &id, &sender, refusal).await,
            ));
        };
        let attempt = Attempt {
            envelope_hash: envelope.hash(),
            attempted_at,
            signature: request.attempt_signature,
        };
        match intake::deliver(&self.ctx, envelope, attempt, tls_peer).await {
            Ok(receipt) => Ok(Response::new(pb::DeliverResponse {
                receipt: Some(convert::receipt(&receipt)),
            })),
            Err(err) => Err(answer(err)),
        }
    }
}

fn answer(err: IntakeError) -> Status {
    match err {
        IntakeError::Refused(refusal) => refused(&refusal),
        IntakeError::App(err) => err.into(),
    }
}
