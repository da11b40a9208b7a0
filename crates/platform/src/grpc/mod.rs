//! The gRPC scaffold: one tower layer for trace context, metrics and
//! authentication; a server with health, reflection, deadlines, size limits,
//! TLS and graceful shutdown; client channels to other services.

pub mod client;
pub mod layer;
pub mod server;

pub use layer::PlatformLayer;
pub use server::{Health, ServerHandle, serve};
