#!/usr/bin/env bash
# Runs every fuzz target in fuzz/ (cargo-fuzz, libFuzzer, nightly) for SECONDS each, starting from the
# corpus kept in fuzz/corpus/<target> (read only: new inputs go to a temporary directory). A crash fails
# the script and leaves its input under fuzz/artifacts/<target>/. Prints one line per target with its
# executions, and a JSON summary as the last stdout line.
#
#   scripts/fuzz.sh [SECONDS=30] [TARGET...]
#
# Needs the nightly toolchain and cargo-fuzz (installed here when missing: `cargo install cargo-fuzz`).
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-30}
shift || true
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "fuzz: installing cargo-fuzz" >&2
  cargo install cargo-fuzz --locked >&2
fi
if ! rustup run nightly rustc --version >/dev/null 2>&1; then
  echo "fuzz: the nightly toolchain is missing (rustup toolchain install nightly)" >&2
  exit 1
fi
# The fuzz build (sanitizers, coverage) is kept between runs: the config target builds the whole server.
build_dir=${COSMIC_FUZZ_TARGET_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/cosmic/fuzz-target}
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  mapfile -t targets < <(cargo +nightly fuzz list --fuzz-dir fuzz)
fi
echo "fuzz: building ${targets[*]}" >&2
cargo +nightly fuzz build --fuzz-dir fuzz --target-dir "$build_dir" >&2
summary="{"
for t in "${targets[@]}"; do
  work=$(mktemp -d)
  mkdir -p "fuzz/corpus/$t"
  log=$(mktemp)
  echo "fuzz: $t for ${seconds} s" >&2
  if ! cargo +nightly fuzz run --fuzz-dir fuzz --target-dir "$build_dir" "$t" "$work" "fuzz/corpus/$t" -- \
    -max_total_time="$seconds" -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 >"$log" 2>&1; then
    tail -n 40 "$log" >&2
    echo "fuzz: $t FAILED (input saved under fuzz/artifacts/$t/)" >&2
    rm -rf "$work"
    exit 1
  fi
  runs=$(grep -o 'Done [0-9]* runs' "$log" | tail -n 1 | grep -o '[0-9]*' || echo 0)
  echo "fuzz: $t: $runs executions in ${seconds} s, no crash" >&2
  summary+="\"$t\":$runs,"
  rm -rf "$work" "$log"
done
echo "${summary%,}}"
