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
