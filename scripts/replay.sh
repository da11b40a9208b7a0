#!/usr/bin/env bash
# A year in Langxia: replays the town's ticket traffic through the real
# services (in one process, on databases of its own, over the PostgreSQL and
# NATS of `make run`, started when missing), on the same plan with
# supervision and without it, and prints the two annual reports side by side.
# Arguments go to weigrid-year, e.g. `scripts/replay.sh --scale 2`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/services.sh up
eval "$(scripts/services.sh env)"
export DATABASE_URL WEIGRID__NATS__URL
cargo run -j2 --quiet -p weigrid-simulate --features replay --bin weigrid-year -- "$@"
