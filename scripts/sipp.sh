#!/usr/bin/env bash
# sipp, the SIP traffic generator the GB/T 28181 gateway is tested against
# (it plays the camera or NVR). Installed on first use from Debian's
# `sip-tester` package, pinned to the 3.6 series the scenarios were written
# for; as root through apt-get, otherwise it names the command to run.
# Usage: scripts/sipp.sh --install   installs (or checks) and prints the path
#        scripts/sipp.sh [sipp arguments]
set -euo pipefail
WANT_SERIES="3.6"

find_sipp() { command -v sipp 2>/dev/null || true; }

series_of() { { "$1" -v 2>&1 || true; } | sed -n 's/.*SIPp v\([0-9]*\.[0-9]*\).*/\1/p' | head -n1; }

install_sipp() {
  if [ "$(id -u)" != 0 ]; then
    echo "sipp: not installed; run: sudo apt-get update && sudo apt-get install -y sip-tester" >&2
    exit 1
  fi
  echo "sipp: installing Debian's sip-tester (once)" >&2
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
  local version
  # The newest 3.6.x the archive has: the scenarios use 3.6's syntax.
  version="$(apt-cache madison sip-tester | awk -v s="$WANT_SERIES" '$3 ~ "^(1:)?"s"\\." {print $3; exit}')"
  if [ -z "$version" ]; then
    echo "sipp: no sip-tester $WANT_SERIES.x in the archive; found: $(apt-cache madison sip-tester | awk '{print $3}' | tr '\n' ' ')" >&2
    exit 1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "sip-tester=$version" >/dev/null
}

binary="$(find_sipp)"
if [ -z "$binary" ]; then
  install_sipp
  binary="$(find_sipp)"
fi
[ -n "$binary" ] || { echo "sipp: sip-tester installed but no sipp on PATH" >&2; exit 1; }
series="$(series_of "$binary")"
if [ "$series" != "$WANT_SERIES" ]; then
  echo "sipp: $binary is $series, the scenarios need $WANT_SERIES.x" >&2
  exit 1
fi
if [ "${1:-}" = "--install" ]; then
  echo "$binary"
  exit 0
fi
exec "$binary" "$@"
