#!/usr/bin/env bash
# The cargo subcommands the checks use, each pinned: installed on first use
# with `cargo install --locked` (crates.io, the versions' own lock files)
# into .tools/cargo/<tool>-<version>/ (gitignored); later runs reuse them and
# need no network. A new pin installs beside the old one. Prints the path.
# Usage: scripts/cargo-tool.sh cargo-deny|cargo-fuzz
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

declare -A PINS=(
  [cargo-deny]=0.20.2 # licences, bans, sources, advisories (deny.toml)
  [cargo-fuzz]=0.13.2 # the libFuzzer targets under fuzz/
)

tool="${1:-}"
version="${PINS[$tool]:-}"
if [ -z "$version" ]; then
  echo "usage: scripts/cargo-tool.sh ${!PINS[*]}" >&2
  exit 2
fi
dir="$root/.tools/cargo/$tool-$version"
bin="$dir/bin/$tool"
if [ ! -x "$bin" ]; then
  echo "cargo-tool: installing $tool $version into .tools/cargo (once, a few minutes)" >&2
  # Its own target directory, removed after: the tool's build never mixes
  # with the workspace's.
  CARGO_TARGET_DIR="$dir/build" cargo install --locked --quiet -j "${JOBS:-2}" \
    --version "=$version" --root "$dir" "$tool" >&2
  rm -rf "$dir/build"
fi
echo "$bin"
