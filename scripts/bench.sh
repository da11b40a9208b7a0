#!/usr/bin/env bash
# Runs the benchmarks (release build) against PostgreSQL and NATS, started
# when missing. Each prints its own numbers beside baselines measured in the
# same run. `scripts/bench.sh resolve`, `intake`, `ledger`, `exchange` or `video`
# runs one. At the end, one table: each path beside its baseline, the ratio
# and its aim, with the commit settings both ran under.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
log="$(mktemp -t weigrid-bench.XXXXXX)"
exec 3>&1 4>&2
exec > >(tee "$log") 2>&1
tee_pid=$!
table() {
  exec 1>&3 2>&4
  wait "$tee_pid" 2>/dev/null || true
  python3 scripts/bench-table.py "$log" || true
  rm -f "$log"
}
trap table EXIT
scripts/services.sh up
eval "$(scripts/services.sh env)"
export DATABASE_URL WEIGRID__NATS__URL
which="${1:-all}"
if [ "$which" = all ] || [ "$which" = resolve ]; then
  cargo bench -j2 -p grid-registry --bench resolve
fi
if [ "$which" = all ] || [ "$which" = intake ]; then
  # Dispatch's registry runs as its own release binary.
  cargo build --release -j2 --bin grid-registry
  cargo bench -j2 -p ticket-dispatch --bench intake
fi
if [ "$which" = all ] || [ "$which" = ledger ]; then
  cargo bench -j2 -p points --bench ledger
fi
if [ "$which" = all ] || [ "$which" = exchange ]; then
  cargo bench -j2 -p case-exchange --bench envelopes
fi
if [ "$which" = all ] || [ "$which" = video ]; then
  # The registry and dispatch run as their own release binaries beside
  # video ingest.
  cargo build --release -j2 --bin grid-registry --bin ticket-dispatch
  cargo bench -j2 -p video-ingest --bench ingest
fi
