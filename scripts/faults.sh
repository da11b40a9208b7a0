#!/usr/bin/env bash
# The fault suite at full size (`make faults`): the six services (grid
# registry, dispatch, points, video ingest, case review, case exchange) and
# a neighbouring town's exchange node run as their own binaries over a
# PostgreSQL and a NATS server of the suite's own (never the shared ones),
# under at least 10,000 operations, while NATS is killed, kept away longer
# than the streams' duplicate window (shortened to 2 s for the suite),
# PostgreSQL restarted, each service killed at random moments and the two
# exchange nodes partitioned. Prints one table; fails on anything lost,
# applied twice, an unbalanced ledger, a bad code or an event set aside.
# WEIGRID_FAULTS_OPS sets the number of operations. The short form runs in
# `make test` (scripts/test.sh runs the workspace's tests, this one too).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

WEIGRID_TEST_NATS_SERVER="$(scripts/services.sh nats-bin)"
export WEIGRID_TEST_NATS_SERVER RUST_BACKTRACE="${RUST_BACKTRACE:-0}"
jobs="${JOBS:-2}"
# The suite runs the services' own binaries.
cargo build -j"$jobs" --bin grid-registry --bin ticket-dispatch --bin points \
    --bin video-ingest --bin case-review --bin case-exchange
cargo test -j"$jobs" -p fault-suite --test faults -- --ignored --nocapture faults_full_size
