//! System tests: whole-town and cross-service flows, with the services
//! running in this process over real PostgreSQL and NATS. The tests live in
//! `tests/`; this library is empty.
