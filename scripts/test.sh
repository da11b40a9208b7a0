#!/usr/bin/env bash
# Runs every Rust test against real PostgreSQL and NATS: the ones already
# reachable on the default ports, or private ones started under .data/.
# Each test makes its own database (#[sqlx::test]) and NATS subject prefix;
# tests that stop NATS start a private server of their own. Then the interop
# checks of the edge on a stack of its own (scripts/interop.sh: schemathesis
# against its OpenAPI document, georeport against its Open311 endpoint).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

scripts/services.sh up
# sipp plays the GB/T 28181 device in video-ingest's gateway tests.
WEIGRID_SIPP="$(scripts/sipp.sh --install)"
export WEIGRID_SIPP
eval "$(scripts/services.sh env)"
WEIGRID_TEST_NATS_SERVER="$(scripts/services.sh nats-bin)"
export WEIGRID_TEST_NATS_SERVER RUST_BACKTRACE="${RUST_BACKTRACE:-0}"

# The operations console's browser test (tests/tests/edge_http/console.rs)
# needs the front end from its lock file, Debian's chromium and a CJK font;
# installed here when missing. It is skipped only when
# WEIGRID_SKIP_BROWSER_TEST=1 says so, never because something is missing.
if [ "${WEIGRID_SKIP_BROWSER_TEST:-}" = 1 ]; then
  echo "test: the console's browser test is skipped (WEIGRID_SKIP_BROWSER_TEST=1)" >&2
else
  scripts/console.sh assets >/dev/null
  scripts/console.sh browser >/dev/null
fi

jobs="${JOBS:-2}"
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run -j"$jobs" --build-jobs "$jobs" --workspace --no-fail-fast
else
  cargo test -j"$jobs" --workspace --lib --bins --tests --no-fail-fast
fi
if [ "${WEIGRID_SKIP_BROWSER_TEST:-}" != 1 ]; then
  echo "test: the console's screenshots are in ${CARGO_TARGET_DIR:-target}/console-screenshots/" >&2
fi
scripts/interop.sh
