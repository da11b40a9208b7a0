#!/usr/bin/env bash
# The supply chain: cargo deny over the workspace with deny.toml (licences,
# bans, sources; advisories where the database can be fetched), with the
# pinned cargo-deny (scripts/cargo-tool.sh).
#
# The advisories come from the RustSec advisory database, a git repository
# on GitHub. This project's machines and CI reach only the package
# registries, so there the advisories cannot be checked: the run says so
# plainly and checks the rest. Wherever GitHub answers, the advisories are
# checked too, and a vulnerable or unmaintained crate fails the run.
# Usage: scripts/deny.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

readonly ADVISORY_DB=https://github.com/RustSec/advisory-db
deny="$(scripts/cargo-tool.sh cargo-deny)"
checks=(licenses bans sources)
if timeout 20 git ls-remote --exit-code --heads "$ADVISORY_DB" >/dev/null 2>&1; then
  checks+=(advisories)
else
  echo "deny: the RustSec advisory database ($ADVISORY_DB) cannot be reached from here:" \
    "advisories are NOT checked in this run; licences, bans and sources are" >&2
fi
echo "deny: $("$deny" --version), checking ${checks[*]}" >&2
"$deny" --config deny.toml --workspace --locked check --hide-inclusion-graph "${checks[@]}"
