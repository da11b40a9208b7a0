#!/usr/bin/env bash
# Runs the benchmarks (release build) against PostgreSQL and NATS, started
# when missing. Each prints its own numbers beside a baseline measured in the
# same run.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/services.sh up
eval "$(scripts/services.sh env)"
cargo bench -j2 -p grid-registry --bench resolve
