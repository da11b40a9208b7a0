//! # points
//!
//! Villagers' reports that the town verifies as true earn points, which they
//! exchange for daily goods, farm supplies or public services; the points
//! also count in village honours. The ledger is money-like: it never pays
//! twice, never goes negative and never loses an entry.
//!
//! This crate holds the domain so far: award rules with daily and monthly
//! caps ([`domain::rules`]), the append-only ledger ([`domain::ledger`]) with
//! first-in-first-out expiry, and the checks on report photos
//! ([`domain::photos`]). The gRPC service, its database, the reports'
//! tickets and the catalogue follow (see the open issue).

pub mod domain;
