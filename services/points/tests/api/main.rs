//! The points API tests: each runs points over its own database and NATS
//! prefix; the flows through dispatch run dispatch and a registry beside it.

mod flow;
mod ledger;
mod reports;
mod support;
