//! The GB/T 28181 device gateway: SIP over UDP and TCP on one port, so
//! that cameras and NVRs register without adapters. Like `api/` for gRPC,
//! it decodes (the SIP message in [`message`], its MANSCDP body in
//! [`manscdp`]), calls one use case of `application::gateway` and encodes
//! the answer ([`handler`]); [`server`] runs the sockets and the server
//! transactions that absorb a device's retransmissions.

pub mod handler;
pub mod manscdp;
pub mod message;
pub mod server;

pub use server::Gateway;

/// The `X-GB-Ver` of the 2022 edition, sent on everything the platform
/// sends.
pub const GB_VERSION: &str = "3.0";
