//! The `weigrid` command-line client, as a library.
//!
//! - `cli`: the global options, the command groups and the dispatch from a
//!   parsed line to the group that runs it;
//! - `cmd`: one module per command group (grid, seed, ticket, stats, points,
//!   video, exchange, review, worklist, token, completions), each with its clap definitions and typed values;
//! - `connect`: clients for each service that send a bearer token;
//! - `document`: the printable work list and responsibility book (HTML);
//! - `load`: the Langxia data set loaded through the registry's public API,
//!   resuming whatever an earlier load left out;
//! - `load_video`: the data set's cameras loaded through video ingest's
//!   public API, the same way;
//! - `args`, `render`, `output`: shared argument parsers, and answers for
//!   people (text) and scripts (`--output json`).

pub mod args;
pub mod cli;
pub mod cmd;
pub mod connect;
pub mod document;
pub mod load;
pub mod load_video;
pub mod output;
pub mod render;

pub use cmd::{points, ticket};
