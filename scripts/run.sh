#!/usr/bin/env bash
# `make run`: PostgreSQL and NATS (started when not already reachable), a
# build, the grid registry in the foreground with readable logs, the Langxia
# data set loaded once through the public API. Ctrl-C stops everything this
# script started, and nothing else.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

say() { printf '\033[1mweigrid:\033[0m %s\n' "$*"; }

scripts/services.sh up
eval "$(scripts/services.sh env)"
pg_url="${DATABASE_URL%/postgres}"

say "building (cargo build -j2; the first build takes a few minutes)"
cargo build -j2 --bin grid-registry --bin ticket-dispatch --bin weigrid
bin=target/debug

pids=()
stop() {
  trap - INT TERM EXIT
  if [ ${#pids[@]} -gt 0 ]; then
    say "stopping services"
    kill -TERM "${pids[@]}" 2>/dev/null || true
    wait "${pids[@]}" 2>/dev/null || true
  fi
  scripts/services.sh down
}
trap stop INT TERM EXIT

export WEIGRID__NATS__URL
WEIGRID_REGISTRY__DATABASE__URL="$pg_url/weigrid_registry" "$bin/grid-registry" &
pids+=($!)
WEIGRID_DISPATCH__DATABASE__URL="$pg_url/weigrid_dispatch" "$bin/ticket-dispatch" &
pids+=($!)

for _ in $(seq 1 120); do
  if "$bin/weigrid" grid list --level town >/dev/null 2>&1 && "$bin/weigrid" ticket list --limit 1 >/dev/null 2>&1; then
    break
  fi
  for pid in "${pids[@]}"; do
    if ! kill -0 "$pid" 2>/dev/null; then say "a service exited; see its log above"; exit 1; fi
  done
  sleep 0.5
done

say "loading the Langxia data set (once; skipped when already there)"
"$bin/weigrid" seed langxia

cat <<MSG

$(say "running")
  grid-registry    gRPC 127.0.0.1:50051   metrics http://127.0.0.1:9101/metrics   database weigrid_registry
  ticket-dispatch  gRPC 127.0.0.1:50052   metrics http://127.0.0.1:9102/metrics   database weigrid_dispatch
  PostgreSQL       ${pg_url#postgres://}    NATS ${WEIGRID__NATS__URL}

Try, in another terminal:
  $bin/weigrid grid resolve 30.80 121.19
  $bin/weigrid ticket create --channel HOTLINE_12345 --reference 12345-0001 --category SANITATION --title 垃圾堆放 --at 30.80,121.19
  scripts/grpcurl.sh -plaintext 127.0.0.1:50051 list     # any gRPC client, by reflection

Ctrl-C stops everything.
MSG

wait "${pids[@]}"
