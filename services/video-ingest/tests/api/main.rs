//! The video-ingest API tests: each runs video-ingest beside a grid
//! registry over its own databases and NATS prefix; the gateway's tests
//! play the device with sipp.

mod cameras;
mod corpus;
mod disclosure;
mod evidence;
mod gateway;
mod incidents;
mod policy;
mod stored;
