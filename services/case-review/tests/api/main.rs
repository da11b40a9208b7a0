//! The case-review API tests: each runs case review over its own database
//! and NATS prefix, through the test kit's typed client. (The flow through
//! dispatch runs in the workspace's `tests/`.)

mod panels;
mod policy;
mod referrals;
mod reviews;
mod stored;
mod worklists;
