#!/usr/bin/env bash
# Fuzzing with cargo fuzz (libFuzzer): every target under fuzz/ (each a
# decoder or validator of outside input), one after another, each for
# FUZZ_SECONDS. A panic, an input slower than FUZZ_TIMEOUT seconds, or one
# that takes more than 2 GB fails the target; the run goes on with the rest
# and fails at the end, naming the input it saved under fuzz/artifacts/.
#
# Each target starts from its seeds (fuzz/seeds/<target>/, and for the SIP
# gateway the golden corpus of wire messages in
# services/video-ingest/tests/corpus/) and its regressions
# (fuzz/regressions/<target>/: inputs that once failed, kept after the fix),
# all of which it replays first; what it finds new goes to fuzz/corpus/
# (gitignored) and is the start of the next run.
#
# Built with the nightly toolchain (rustup's `nightly`), without a
# sanitizer (the workspace forbids unsafe code; the checks that count here
# are panics, overflow and timeouts) and with debug assertions, so an
# arithmetic overflow is a failure too.
#
# Usage: scripts/fuzz.sh [--list] [--no-build] [TARGET…]   (default: every
#        target; --no-build runs what an earlier build left)
# Environment: FUZZ_SECONDS (default 600) per target; FUZZ_TIMEOUT (10) s
# per input; FUZZ_TARGET_DIR (fuzz/target) for the build.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

seconds="${FUZZ_SECONDS:-600}"
per_input="${FUZZ_TIMEOUT:-10}"
target_dir="${FUZZ_TARGET_DIR:-$PWD/fuzz/target}"
fuzz_bin="$(scripts/cargo-tool.sh cargo-fuzz)"
export PATH="$(dirname "$fuzz_bin"):$PATH"
if ! rustup toolchain list | grep -q '^nightly'; then
  echo "fuzz: cargo fuzz needs the nightly toolchain: rustup toolchain install nightly --profile minimal" >&2
  exit 1
fi
fuzz() { CARGO_TARGET_DIR="$target_dir" cargo +nightly fuzz "$@"; }

if [ "${1:-}" = "--list" ]; then
  fuzz list
  exit 0
fi
build=true
if [ "${1:-}" = "--no-build" ]; then
  build=false
  shift
fi
if [ "$#" -gt 0 ]; then
  targets=("$@")
else
  mapfile -t targets < <(fuzz list)
fi

if [ "$build" = true ]; then
  echo "fuzz: building with $(rustc +nightly --version)" >&2
  CARGO_BUILD_JOBS="${JOBS:-2}" fuzz build --sanitizer none --debug-assertions
fi
bin_dir="$target_dir/$(rustc +nightly -vV | sed -n 's/^host: //p')/release"

failed=()
for target in "${targets[@]}"; do
  corpus="fuzz/corpus/$target"
  seeds="fuzz/seeds/$target"
  regressions="fuzz/regressions/$target"
  artifacts="fuzz/artifacts/$target"
  mkdir -p "$corpus" "$seeds" "$regressions" "$artifacts"
  if [ "$target" = sip_message ]; then
    cp services/video-ingest/tests/corpus/*.sip "$corpus/"
  fi
  echo "fuzz: $target for ${seconds}s (an input slower than ${per_input}s fails)" >&2
  # The built target itself (what `cargo fuzz run` starts), given the
  # corpus directories: new inputs go to the first.
  if ! "$bin_dir/$target" "$corpus" "$seeds" "$regressions" \
    -max_total_time="$seconds" -timeout="$per_input" -rss_limit_mb=2048 \
    -artifact_prefix="$artifacts/" -print_final_stats=1 2>"$artifacts/log.txt"; then
    tail -n 40 "$artifacts/log.txt" >&2
    failed+=("$target")
    continue
  fi
  grep -E '^stat::number_of_executed_units|^Done ' "$artifacts/log.txt" | tr '\n' ' ' >&2
  echo >&2
done

if [ "${#failed[@]}" -gt 0 ]; then
  echo "fuzz: FAILED: ${failed[*]}; the inputs are in fuzz/artifacts/<target>/." >&2
  echo "fuzz: replay one with: cargo +nightly fuzz run -s none -a <target> <file>;" \
    "after the fix, keep it in fuzz/regressions/<target>/" >&2
  exit 1
fi
echo "fuzz: ${#targets[@]} targets, ${seconds}s each, no failure" >&2
