#!/usr/bin/env bash
# The operations console's front end and its browser test's tools.
#
#   scripts/console.sh assets    npm ci from services/edge/console/package-lock.json,
#                                then the served directory target/console/ (the
#                                console's own modules and the pinned ECharts build)
#   scripts/console.sh browser   what the browser test needs and is missing:
#                                Debian's chromium and the WenQuanYi Micro Hei font
#                                (so Chinese renders), apt-get as root; prints the
#                                chromium path
#
# The edge serves the directory named by `console.assets_dir` (default
# target/console, what `make run` builds; an image copies it to its own path).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

src=services/edge/console
out="${WEIGRID_CONSOLE_ASSETS:-target/console}"

assets() {
  command -v npm >/dev/null || { echo "console: npm is required (apt-get install npm)" >&2; exit 1; }
  # npm ci installs exactly what the lock file pins; skipped while the
  # lock file is the one the last install was made from.
  local stamp="$src/node_modules/.weigrid-lock.sha256"
  local lock
  lock="$(sha256sum "$src/package-lock.json" | cut -d' ' -f1)"
  if [ "$(cat "$stamp" 2>/dev/null)" != "$lock" ]; then
    (cd "$src" && npm ci --no-audit --no-fund --loglevel=error) >&2
    echo "$lock" > "$stamp"
  fi
  rm -rf "$out.tmp"
  mkdir -p "$out.tmp/vendor"
  cp -R "$src/static/." "$out.tmp/"
  cp "$src/node_modules/echarts/dist/echarts.esm.min.js" "$out.tmp/vendor/echarts.esm.min.js"
  cp "$src/node_modules/echarts/LICENSE" "$out.tmp/vendor/echarts.LICENSE"
  rm -rf "$out"
  mv "$out.tmp" "$out"
  echo "$out"
}

browser() {
  local missing=()
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  fc-list 2>/dev/null | grep -qi 'WenQuanYi Micro Hei' || missing+=(fonts-wqy-microhei)
  if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ]; then
      echo "console: the browser test needs ${missing[*]}; run as root: apt-get install -y ${missing[*]}" >&2
      exit 1
    fi
    echo "console: installing ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
  fi
  echo /usr/bin/chromium
}

case "${1:-}" in
  assets) assets ;;
  browser) browser ;;
  *) echo "usage: scripts/console.sh assets|browser" >&2; exit 2 ;;
esac
