#!/usr/bin/env bash
# `make run`: PostgreSQL and NATS (started when not already reachable), a
# build, the grid registry in the foreground with readable logs, the Langxia
# data set loaded through the public API: whatever an earlier, interrupted
# run left out is added, so a second `make run` completes the data set.
# Ctrl-C stops everything this script started, and nothing else.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

say() { printf '\033[1mweigrid:\033[0m %s\n' "$*"; }

scripts/services.sh up
eval "$(scripts/services.sh env)"
pg_url="${DATABASE_URL%/postgres}"

say "the console's front end (npm ci from services/edge/console/package-lock.json into target/console)"
scripts/console.sh assets >/dev/null

say "building (cargo build -j2; the first build takes a few minutes)"
cargo build -j2 --bin grid-registry --bin ticket-dispatch --bin points --bin video-ingest --bin case-review --bin case-exchange --bin edge --bin weigrid
bin="${CARGO_TARGET_DIR:-target}/debug"

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
# Development tokens (`weigrid token`, the CLI's default) on this machine
# only: every service listens on loopback.
export WEIGRID__AUTH__MODE=dev
export WEIGRID_REGISTRY__DATABASE__URL="$pg_url/weigrid_registry"
export WEIGRID_DISPATCH__DATABASE__URL="$pg_url/weigrid_dispatch"
export WEIGRID_POINTS__DATABASE__URL="$pg_url/weigrid_points"
export WEIGRID_VIDEO__DATABASE__URL="$pg_url/weigrid_video"
export WEIGRID_EXCHANGE__DATABASE__URL="$pg_url/weigrid_exchange"
export WEIGRID_REVIEW__DATABASE__URL="$pg_url/weigrid_review"
# Langxia's exchange node: the development CA and the three towns' keys,
# certificates and allow-lists, made once under .dev/exchange/.
if [ ! -f .dev/exchange/langxia/peers.toml ]; then
  say "making the development PKI of the exchange nodes (.dev/exchange)"
  "$bin/case-exchange" dev-pki .dev/exchange
fi
# Migrations are a step of their own, as in a cluster (the chart's Job).
for service in grid-registry ticket-dispatch points video-ingest case-review case-exchange; do
  "$bin/$service" migrate
done
"$bin/grid-registry" &
pids+=($!)
"$bin/ticket-dispatch" &
pids+=($!)
"$bin/points" &
pids+=($!)
"$bin/video-ingest" &
pids+=($!)
"$bin/case-review" &
pids+=($!)
"$bin/case-exchange" &
pids+=($!)
# The HTTP edge: the mini-program API and Open311, signing villagers in
# through the local stand-in for WeChat (login codes `local:<name>`). It
# speaks no NATS, so the services' shared NATS address is not its setting.
env -u WEIGRID__NATS__URL "$bin/edge" &
pids+=($!)

for _ in $(seq 1 120); do
    if "$bin/weigrid" grid list --level town >/dev/null 2>&1 && "$bin/weigrid" ticket list --limit 1 >/dev/null 2>&1 &&
    "$bin/weigrid" points catalog >/dev/null 2>&1 && "$bin/video-ingest" probe >/dev/null 2>&1 &&
    "$bin/case-review" probe >/dev/null 2>&1 && "$bin/weigrid" exchange peers >/dev/null 2>&1 &&
    curl -fsS http://127.0.0.1:8080/readyz >/dev/null 2>&1; then
    break
  fi
  for pid in "${pids[@]}"; do
    if ! kill -0 "$pid" 2>/dev/null; then say "a service exited; see its log above"; exit 1; fi
  done
  sleep 0.5
done

say "loading the Langxia data set (adds what is missing; quick when complete)"
"$bin/weigrid" seed langxia
if [ -z "$("$bin/weigrid" points catalog)" ]; then
  say "stocking the points catalogue"
  "$bin/weigrid" points catalog --put SOAP-500G --name 洗衣皂 --kind daily-goods --cost 20 --stock 200 >/dev/null
  "$bin/weigrid" points catalog --put OIL-5L --name 食用油5升 --kind daily-goods --cost 120 --stock 50 >/dev/null
  "$bin/weigrid" points catalog --put FERT-25KG --name 复合肥25公斤 --kind farm-supplies --cost 150 --stock 40 >/dev/null
  "$bin/weigrid" points catalog --put HAIRCUT --name 老人理发服务 --kind public-service --cost 30 --stock 100 >/dev/null
fi


cat <<MSG

$(say "running")
  grid-registry    gRPC 127.0.0.1:50051   metrics http://127.0.0.1:9101/metrics   database weigrid_registry
  ticket-dispatch  gRPC 127.0.0.1:50052   metrics http://127.0.0.1:9102/metrics   database weigrid_dispatch
  points           gRPC 127.0.0.1:50055   metrics http://127.0.0.1:9105/metrics   database weigrid_points
  video-ingest     gRPC 127.0.0.1:50053   metrics http://127.0.0.1:9103/metrics   database weigrid_video
                   GB/T 28181 SIP udp+tcp 127.0.0.1:5060 (platform id 31011600002000000001)
  case-exchange    gRPC 127.0.0.1:50056   metrics http://127.0.0.1:9106/metrics   database weigrid_exchange
                   Langxia's node; peer port 127.0.0.1:50156 (mutual TLS, keys in .dev/exchange)
  case-review      gRPC 127.0.0.1:50054   metrics http://127.0.0.1:9104/metrics   database weigrid_review
  edge             HTTP http://127.0.0.1:8080  metrics http://127.0.0.1:9108/metrics   no database
                   mini-program API http://127.0.0.1:8080/api/v1/ (OpenAPI: /api/v1/openapi.json)
                   Open311 GeoReport v2 http://127.0.0.1:8080/open311/v2/discovery.json
                   operations console http://127.0.0.1:8080/console/ (开发登录: the development sign-in)
  PostgreSQL       ${pg_url#postgres://}    NATS ${WEIGRID__NATS__URL}

Try, in another terminal:
  $bin/weigrid grid resolve 30.80 121.19
  $bin/weigrid ticket create --channel HOTLINE_12345 --reference 12345-0001 --category SANITATION --title 垃圾堆放 --at 30.80,121.19
  $bin/weigrid points register --name 张三 --phone 13812345678 --village LX-V02 --role workstation_staff --scope LX-V02
  $bin/weigrid video health
  $bin/weigrid exchange peers
  curl -s -XPOST http://127.0.0.1:8080/api/v1/sessions -H 'content-type: application/json' -d '{"login_code":"local:zhang-san"}'
  curl -s http://127.0.0.1:8080/open311/v2/services.json
  scripts/grpcurl.sh -plaintext 127.0.0.1:50051 list     # any gRPC client, by reflection
  (README: the neighbours' nodes beside Langxia's, and flow 7 from the CLI)

Ctrl-C stops everything.
MSG

wait "${pids[@]}"
