#!/usr/bin/env bash
# Interop checks of the edge against a running stack (run by scripts/test.sh,
# so by `make test`):
#   - schemathesis against the edge's OpenAPI document (/api/v1/openapi.json):
#     every operation, with valid and invalid input, every check (no server
#     error, status codes, headers, content types and bodies as documented,
#     input the document forbids refused, authentication not ignored, …), as
#     a signed-in resident. All but positive_data_acceptance, which holds an
#     API to accept whatever the document's shapes allow: the edge refuses,
#     with a 400 naming the field, what is well-formed but breaks a rule no
#     schema states (a category that does not exist, a login code WeChat
#     never gave, a place at 0,0, a photo not uploaded);
#   - Open311 GeoReport v2 read by georeport, a PyPI client, and posted to
#     form-encoded as the specification gives it, with and without the API
#     key (scripts/interop/open311_georeport.py).
# The stack is the grid registry and video ingest (with Langxia's data set
# and cameras, `weigrid seed langxia`), ticket dispatch, points and the edge, each its own process on a free loopback port, with
# databases and a NATS subject prefix of this run's own, on the PostgreSQL
# and NATS of scripts/services.sh; everything is stopped and the databases
# dropped at the end. The Python tools are installed at the versions of
# scripts/interop/requirements.txt and constraints.txt into
# .data/interop/venv, once (from PyPI; later runs need no network).
#
# Usage: scripts/interop.sh   (the binaries are built first, in
# CARGO_TARGET_DIR or target/)
# Environment: INTEROP_MAX_EXAMPLES (default 50) test cases per operation
# and phase, INTEROP_SEED (default 1311) schemathesis' seed, so that a run
# is repeatable; logs of the services and schemathesis' JUnit report go to
# .data/interop/run/.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

say() { printf '\033[1minterop:\033[0m %s\n' "$*"; }

readonly DATA=.data/interop
readonly VENV="$DATA/venv"
readonly RUN="$DATA/run"
bin="${CARGO_TARGET_DIR:-target}/debug"

# --- tools ------------------------------------------------------------------
install_tools() {
  local marker="$VENV/.installed" wanted
  wanted=$(cat scripts/interop/requirements.txt scripts/interop/constraints.txt | sha256sum)
  if [[ -x "$VENV/bin/schemathesis" && "$(cat "$marker" 2>/dev/null)" == "$wanted" ]]; then
    return
  fi
  say "installing schemathesis and georeport into $VENV (scripts/interop/requirements.txt)"
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
    -r scripts/interop/requirements.txt -c scripts/interop/constraints.txt
  echo "$wanted" > "$marker"
}
install_tools

say "building the services (cargo build -j2)"
cargo build -j2 --bin grid-registry --bin ticket-dispatch --bin points --bin video-ingest --bin edge --bin weigrid

# --- the stack ----------------------------------------------------------------
scripts/services.sh up >/dev/null
eval "$(scripts/services.sh env)"
pg_url="${DATABASE_URL%/postgres}"

free_ports() {
  python3 - "$1" <<'PY'
import socket, sys
sockets = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in sockets:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in sockets))
PY
}
read -r registry_port dispatch_port points_port video_port sip_port edge_port <<<"$(free_ports 6)"
run_id="interop_$$_$(date +%s)"
rm -rf "$RUN"
mkdir -p "$RUN/photos"

pids=()
databases=("${run_id}_registry" "${run_id}_dispatch" "${run_id}_points" "${run_id}_video")
cleanup() {
  local status=$?
  trap - EXIT INT TERM
  if ((${#pids[@]})); then
    kill -TERM "${pids[@]}" 2>/dev/null || true
    wait "${pids[@]}" 2>/dev/null || true
  fi
  for database in "${databases[@]}"; do
    psql "$DATABASE_URL" -qc "DROP DATABASE IF EXISTS \"$database\" WITH (FORCE)" >/dev/null 2>&1 || true
  done
  if ((status != 0)); then
    for log in "$RUN"/*.log; do
      [[ -e "$log" ]] || continue
      echo "--- last lines of $log"
      tail -n 20 "$log"
    done
  fi
  exit "$status"
}
trap cleanup EXIT INT TERM

export WEIGRID__AUTH__MODE=dev
export WEIGRID__NATS__PREFIX="$run_id"
export WEIGRID__TELEMETRY__FORMAT=json
export RUST_LOG=warn
# serves SERVICE PREFIX PORT: the service's gRPC on PORT, no metrics, its
# own database of this run.
serves() {
  export "WEIGRID_$2__GRPC__LISTEN=127.0.0.1:$3" "WEIGRID_$2__METRICS__ENABLED=false" \
    "WEIGRID_$2__DATABASE__URL=$pg_url/${run_id}_$1"
}
serves registry REGISTRY "$registry_port"
serves dispatch DISPATCH "$dispatch_port"
serves points POINTS "$points_port"
serves video VIDEO "$video_port"
export WEIGRID_DISPATCH__CLIENTS__REGISTRY__ENDPOINT="http://127.0.0.1:$registry_port"
export WEIGRID_VIDEO__SIP__LISTEN="127.0.0.1:$sip_port"
export WEIGRID_VIDEO__CLIENTS__REGISTRY__ENDPOINT="http://127.0.0.1:$registry_port"
export WEIGRID_REGISTRY_URL="http://127.0.0.1:$registry_port"
export WEIGRID_VIDEO_URL="http://127.0.0.1:$video_port"
export WEIGRID_DISPATCH_URL="http://127.0.0.1:$dispatch_port"
export WEIGRID_POINTS_URL="http://127.0.0.1:$points_port"

for service in grid-registry ticket-dispatch points video-ingest; do
  "$bin/$service" migrate > "$RUN/$service-migrate.log" 2>&1
  "$bin/$service" > "$RUN/$service.log" 2>&1 &
  pids+=($!)
done
# The edge: no NATS (its configuration refuses the key), rate limits far
# above what the checks send, photos in this run's directory.
env -u WEIGRID__NATS__URL -u WEIGRID__NATS__PREFIX \
  WEIGRID_EDGE__HTTP__LISTEN="127.0.0.1:$edge_port" \
  WEIGRID_EDGE__METRICS__ENABLED=false \
  WEIGRID_EDGE__CLIENTS__POINTS__ENDPOINT="http://127.0.0.1:$points_port" \
  WEIGRID_EDGE__CLIENTS__DISPATCH__ENDPOINT="http://127.0.0.1:$dispatch_port" \
  WEIGRID_EDGE__CLIENTS__REGISTRY__ENDPOINT="http://127.0.0.1:$registry_port" \
  WEIGRID_EDGE__CLIENTS__VIDEO__ENDPOINT="http://127.0.0.1:$video_port" \
  WEIGRID_EDGE__PHOTOS__LOCAL_DIR="$RUN/photos" \
  WEIGRID_EDGE__LIMITS__PER_RESIDENT_PER_MINUTE=100000 \
  WEIGRID_EDGE__LIMITS__PER_ADDRESS_PER_MINUTE=100000 \
  WEIGRID_EDGE__LIMITS__UPLOADS_PER_RESIDENT_PER_MINUTE=100000 \
  "$bin/edge" > "$RUN/edge.log" 2>&1 &
pids+=($!)
edge="http://127.0.0.1:$edge_port"

up() {
  "$bin/weigrid" grid list --level town >/dev/null 2>&1 &&
    "$bin/weigrid" ticket list --limit 1 >/dev/null 2>&1 &&
    "$bin/weigrid" points catalog >/dev/null 2>&1 &&
    "$bin/video-ingest" probe "$WEIGRID_VIDEO_URL" >/dev/null 2>&1 &&
    curl -fsS "$edge/readyz" >/dev/null 2>&1
}
for _ in $(seq 1 120); do
  up && break
  for pid in "${pids[@]}"; do
    kill -0 "$pid" 2>/dev/null || { say "a service exited"; exit 1; }
  done
  sleep 0.5
done
up || { say "the stack did not come up in 60 s"; exit 1; }
say "stack up: registry :$registry_port, dispatch :$dispatch_port, points :$points_port, video :$video_port, edge $edge"
"$bin/weigrid" seed langxia > "$RUN/seed.log" 2>&1
"$bin/weigrid" points catalog --put SOAP-500G --name 洗衣皂 --kind daily-goods --cost 20 --stock 200 >/dev/null

# --- schemathesis ----------------------------------------------------------
# A signed-in resident of Langxia's LX-V02, through the local stand-in for
# WeChat, whose session every authenticated operation is called with.
token=$(curl -fsS -XPOST "$edge/api/v1/residents" -H 'content-type: application/json' \
  -d '{"login_code":"local:interop-resident","name":"张三","phone":"13800138000","village_code":"LX-V02"}' |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])')

status=0
say "schemathesis against $edge/api/v1/openapi.json"
# From the run's directory, where schemathesis keeps its cache.
venv=$PWD/$VENV
(cd "$RUN" && "$venv/bin/schemathesis" run "$edge/api/v1/openapi.json" \
  --checks all \
  --exclude-checks positive_data_acceptance \
  --mode all \
  --phases examples,coverage,fuzzing,stateful \
  --max-examples "${INTEROP_MAX_EXAMPLES:-50}" \
  --seed "${INTEROP_SEED:-1311}" \
  --workers 2 \
  --request-timeout 15 \
  --header "Authorization: Bearer $token" \
  --suppress-health-check too_slow \
  --report junit --report-dir schemathesis \
  --no-color) || status=1

# --- Open311 -----------------------------------------------------------------
say "Open311 GeoReport v2 with georeport"
"$VENV/bin/python" scripts/interop/open311_georeport.py "$edge/open311/v2" langxia.jinshan.sh.cn \
  weigrid-open311-development-key || status=1

exit "$status"
