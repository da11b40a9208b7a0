//! The fault suite: the six services (grid registry, dispatch, points,
//! video ingest, case review and Langxia's case exchange node) and the
//! exchange node of a neighbouring town run as their own binaries over a
//! private PostgreSQL and a private NATS server, under a steady load of
//! ticket intake, villagers' reports carried through to their awards, an
//! edge box's analytic events, cross-border cases and referrals to review,
//! while NATS is killed, kept away longer than JetStream's duplicate
//! window, PostgreSQL is restarted, each service is killed at random
//! moments and the two exchange nodes are partitioned. After each fault it
//! counts, from the databases, what was accepted and lost, what was
//! applied twice, whether every ledger sums to its balance and which
//! callers saw a code other than success, UNAVAILABLE or another retryable
//! one, and prints one table.
//!
//! The suite lives in `tests/suite/`: `make faults` runs it at full size,
//! `make test` a short form. This library is empty.
