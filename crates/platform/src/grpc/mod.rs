//! The gRPC scaffold: one tower layer for trace context, metrics and
//! authentication; a server with health, reflection, deadlines, size limits,
//! TLS and graceful shutdown; client channels to other services.

pub mod client;
pub mod layer;
pub mod server;

pub use layer::PlatformLayer;
pub use server::{Chassis, Health, ServerHandle, run, serve};

/// Implements a generated tonic service trait by delegating each RPC to an
/// inherent method of the same name taking the authenticated caller and the
/// decoded request, and returning `Result<Response, E>` where `E` converts
/// into `tonic::Status`:
///
/// ```ignore
/// platform::delegate_rpcs! {
///     RegistryService for RegistryApi {
///         get_grid: pb::GetGridRequest => pb::GetGridResponse;
///     }
/// }
/// ```
///
/// An RPC whose client streams (`stream Req`) and whose server streams
/// back follows the unary ones, naming the trait's associated stream type
/// and the type it is: the inherent method takes the caller and the
/// `tonic::Streaming<Req>` and returns that stream.
///
/// ```ignore
/// platform::delegate_rpcs! {
///     VideoService for VideoApi {
///         get_camera: pb::GetCameraRequest => pb::GetCameraResponse;
///     }
///     streaming {
///         stream_events: pb::Batch => StreamEventsStream = AckStream;
///     }
/// }
/// ```
#[macro_export]
macro_rules! delegate_rpcs {
    ($service:ident for $api:ty { $($rpc:ident: $req:ty => $res:ty;)+ }) => {
        $crate::delegate_rpcs! { $service for $api { $($rpc: $req => $res;)+ } streaming {} }
    };
    ($service:ident for $api:ty { $($rpc:ident: $req:ty => $res:ty;)+ }
     streaming { $($srpc:ident: $sreq:ty => $assoc:ident = $stream:ty;)* }) => {
        #[tonic::async_trait]
        impl $service for $api {
            $(
                async fn $rpc(
                    &self,
                    request: tonic::Request<$req>,
                ) -> Result<tonic::Response<$res>, tonic::Status> {
                    let caller = $crate::auth::caller(&request)?;
                    Ok(tonic::Response::new(<$api>::$rpc(self, caller, request.into_inner()).await?))
                }
            )+
            $(
                type $assoc = $stream;

                async fn $srpc(
                    &self,
                    request: tonic::Request<tonic::Streaming<$sreq>>,
                ) -> Result<tonic::Response<Self::$assoc>, tonic::Status> {
                    let caller = $crate::auth::caller(&request)?;
                    Ok(tonic::Response::new(<$api>::$srpc(self, caller, request.into_inner()).await?))
                }
            )*
        }
    };
}
