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
#[macro_export]
macro_rules! delegate_rpcs {
    ($service:ident for $api:ty { $($rpc:ident: $req:ty => $res:ty;)+ }) => {
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
        }
    };
}
