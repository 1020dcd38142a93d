#!/usr/bin/env bash
# Runs every check and test of the project, as CI does. Usage: ./scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "Services: PostgreSQL and Redis for the storage and cache tests"
source scripts/services.sh
ensure_services

step "Formatting"
cargo fmt --all --check

step "Lints (clippy, warnings are errors)"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "Benchmark smoke runs (figures from --quick are not recorded)"
cargo run --release --locked --bin cosmic -- bench gravity --quick --json | tail -n 1
cargo run --release --locked --bin cosmic -- bench codec --quick --json | tail -n 1

step "Doc tests"
cargo test --workspace --locked --doc

# Last, so the test runner's summary closes the output.
step "Tests"
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --workspace --locked --no-fail-fast
else
  cargo test --workspace --locked --no-fail-fast
fi
