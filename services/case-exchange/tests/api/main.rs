//! The case-exchange API tests: three nodes (Langxia, Guangchen, Xindai) on
//! loopback, each over its own database and NATS prefix, by mutual TLS and
//! signed envelopes, through the test kit's typed clients.

mod alerts;
mod checks;
mod deadlines;
mod emergency;
mod flow;
mod partition;
mod policy;
mod refusals;
mod risks;
mod stored;
