//! The services the edge calls, one channel each (lazily connected, with
//! the configured timeouts). A call made for a resident carries the
//! resident's own token, so points limits them to themselves; what no
//! caller's identity covers (finding and registering a resident at sign-in,
//! Open311's API-key clients) goes with the edge's own service token, which
//! the channel adds when the request carries none.

use platform::grpc::client::{self, Outgoing};
use proto::dispatch::v1::dispatch_service_client::DispatchServiceClient;
use proto::points::v1::points_service_client::PointsServiceClient;
use proto::registry::v1::registry_service_client::RegistryServiceClient;
use proto::video::v1::video_service_client::VideoServiceClient;
use tonic::Request;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

use crate::error::ApiError;

type Intercepted = InterceptedService<Channel, Outgoing>;

/// The dispatch client.
pub type Dispatch = DispatchServiceClient<Intercepted>;

/// The clients of points, dispatch, the registry and video ingest.
#[derive(Clone)]
pub struct Neighbours {
    pub points: PointsServiceClient<Intercepted>,
    pub dispatch: DispatchServiceClient<Intercepted>,
    pub registry: RegistryServiceClient<Intercepted>,
    pub video: VideoServiceClient<Intercepted>,
    /// Attempts for reads (the points client's `max_attempts`).
    pub attempts: u32,
}

impl Neighbours {
    /// Returns the clients, each sending `service_token` unless a request
    /// carries a caller's token.
    ///
    /// # Errors
    /// A malformed endpoint or TLS files, or a token not valid in a header.
    pub fn new(
        clients: &crate::config::Clients,
        service_token: &str,
        max_message_bytes: usize,
    ) -> anyhow::Result<Self> {
        let outgoing = Outgoing::bearer(service_token)?;
        let (points, dispatch, registry) = (&clients.points, &clients.dispatch, &clients.registry);
        Ok(Self {
            points: PointsServiceClient::with_interceptor(
                client::channel(points)?,
                outgoing.clone(),
            )
            .max_decoding_message_size(max_message_bytes),
            dispatch: DispatchServiceClient::with_interceptor(
                client::channel(dispatch)?,
                outgoing.clone(),
            )
            .max_decoding_message_size(max_message_bytes),
            registry: RegistryServiceClient::with_interceptor(
                client::channel(registry)?,
                outgoing.clone(),
            )
            .max_decoding_message_size(max_message_bytes),
            video: VideoServiceClient::with_interceptor(client::channel(&clients.video)?, outgoing)
                .max_decoding_message_size(max_message_bytes),
            attempts: points.max_attempts,
        })
    }
}

/// Returns `message` as a request carrying the caller's `token`.
///
/// # Errors
/// 401 when the token cannot be sent (it was verified, so this is rare).
pub fn as_caller<T>(message: T, token: &str) -> Result<Request<T>, ApiError> {
    client::as_caller(message, token).map_err(ApiError::from)
}

/// Returns `message` as a request sent with the edge's own token.
pub fn as_edge<T>(message: T) -> Request<T> {
    Request::new(message)
}
