//! The client of a peer's port: mutual TLS with this node's certificate,
//! trusting the peer's CA for the peer's TLS name, one channel per peer
//! (the platform's client channel). It takes and returns domain types, so
//! the application never sees generated code.

use std::path::PathBuf;
use std::time::Duration;

use platform::config::{ClientConfig, ClientTlsConfig};
use proto::exchange::v1 as pb;
use proto::exchange::v1::peer_service_client::PeerServiceClient;
use tonic::Code;
use tonic::transport::Channel;

use crate::convert;
use crate::domain::envelope::{Attempt, Receipt};
use crate::pki::PeerLink;

/// Why a delivery did not get its receipt.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// The peer is away, or did not answer in time: try again later.
    #[error("peer away: {0}")]
    Away(String),
    /// The peer refused the envelope: sending it again cannot help.
    #[error("refused by the peer: {0}")]
    Refused(String),
}

/// A peer's port.
#[derive(Clone)]
pub struct PeerClient {
    client: PeerServiceClient<Channel>,
}

impl PeerClient {
    /// Returns a lazily connected client of the peer `link`, presenting the
    /// certificate `cert_path` and key `key_path`.
    ///
    /// # Errors
    /// A malformed endpoint or unreadable TLS files.
    pub fn connect(
        link: &PeerLink,
        cert_path: PathBuf,
        key_path: PathBuf,
        connect_timeout: Duration,
        request_timeout: Duration,
    ) -> anyhow::Result<Self> {
        let config = ClientConfig {
            endpoint: link.endpoint.clone(),
            connect_timeout,
            request_timeout,
            max_attempts: 1,
            tls: Some(ClientTlsConfig {
                ca_path: link.ca_path.clone(),
                domain: link.tls_name.clone(),
                cert_path: Some(cert_path),
                key_path: Some(key_path),
            }),
        };
        let channel = platform::grpc::client::channel(&config)?;
        Ok(Self {
            client: PeerServiceClient::new(channel),
        })
    }

    /// Delivers the signed envelope `wire` (as the delivery queue keeps
    /// it) in `attempt` and returns the peer's receipt.
    ///
    /// # Errors
    /// The peer is away, or refused the envelope.
    pub async fn deliver(&self, wire: &[u8], attempt: &Attempt) -> Result<Receipt, SendError> {
        let envelope = convert::envelope_from_bytes(wire).map_err(|err| {
            SendError::Refused(format!("the queued envelope is unreadable: {err}"))
        })?;
        let answer = self
            .client
            .clone()
            .deliver(pb::DeliverRequest {
                envelope: Some(envelope),
                attempted_at: Some(platform::time::timestamp(attempt.attempted_at)),
                attempt_signature: attempt.signature.clone(),
            })
            .await;
        match answer {
            Ok(response) => {
                let receipt = response
                    .into_inner()
                    .receipt
                    .ok_or_else(|| SendError::Away("an answer without a receipt".into()))?;
                convert::receipt_of(receipt).map_err(SendError::Away)
            }
            Err(status) => match status.code() {
                Code::PermissionDenied | Code::FailedPrecondition | Code::InvalidArgument => {
                    Err(SendError::Refused(status.message().to_owned()))
                }
                _ => Err(SendError::Away(format!(
                    "{:?}: {}",
                    status.code(),
                    status.message()
                ))),
            },
        }
    }
}
