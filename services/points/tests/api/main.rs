//! The points API tests: each runs points over its own database and NATS
//! prefix, through the test kit's typed client. (The flows through dispatch
//! run in the workspace's `tests/`.)

mod contact;
mod ledger;
mod ledger_properties;
mod policy;
mod reports;
mod stored;
