#!/usr/bin/env bash
# Services meet only over gRPC and NATS: no service lists another among its
# normal dependencies, so a release build of one compiles no other (test kits
# that start a neighbour are dev-dependencies or behind `testkit`).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

services=()
for toml in services/*/Cargo.toml; do
  services+=("$(sed -n 's/^name = "\(.*\)"/\1/p' "$toml" | head -1)")
done
failed=0
for service in "${services[@]}"; do
  # Normal edges only, without features: what a release build of it compiles.
  tree=$(cargo tree --offline -e normal -p "$service" --prefix none 2>/dev/null | sed 's/ .*//' | sort -u)
  for other in "${services[@]}"; do
    [ "$other" = "$service" ] && continue
    if grep -qx "$other" <<<"$tree"; then
      echo "check-deps: $service depends on the service $other; reach it over gRPC or NATS" >&2
      failed=1
    fi
  done
done
[ "$failed" = 0 ] && echo "check-deps: no service depends on another (${#services[@]} services)"

# Not even a test build links another service: a test kit runs a neighbour
# as its binary (platform::testing::ServiceProcess, crates/fixtures). Only
# the system tests in tests/ (and tools such as the CLI) link several.
linked=$(cargo metadata --offline --no-deps --format-version 1 | python3 -c '
import json, sys
meta = json.load(sys.stdin)
services = {p["name"] for p in meta["packages"] if "/services/" in p["manifest_path"]}
for p in meta["packages"]:
    if p["name"] not in services:
        continue
    for dep in p["dependencies"]:
        if dep["name"] in services and dep["name"] != p["name"]:
            kind = dep["kind"] or "normal"
            print("%s lists the service %s (%s)" % (p["name"], dep["name"], kind))
')
if [ -n "$linked" ]; then
  while read -r line; do
    echo "check-deps: $line; run it as a process in the test kit (crates/fixtures)" >&2
  done <<<"$linked"
  failed=1
else
  echo "check-deps: no service's tests link another service"
fi

# No test kit in an ordinary build: what `cargo build --workspace --bins`
# compiles (every member's normal edges, features unified across them) turns
# on no crate's `testkit`. Only dev-dependencies do, or a feature a tool is
# built with by name (weigrid-simulate's `replay`).
workspace_tree=$(cargo tree --offline --workspace -e normal,features --prefix none)
kits=$(grep -o '^[a-z0-9_-]* feature "testkit"' <<<"$workspace_tree" | sort -u || true)
if [ -n "$kits" ]; then
  while read -r kit; do
    echo "check-deps: an ordinary workspace build turns on $kit; only dev-dependencies (or an optional dependency behind a non-default feature) may" >&2
  done <<<"$kits"
  failed=1
else
  echo "check-deps: no test kit in an ordinary workspace build"
fi
exit "$failed"
