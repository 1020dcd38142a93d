#!/usr/bin/env bash
# Runs every check and test of the project, as CI does. Usage: ./scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "Services: PostgreSQL and Redis for the storage and cache tests"
source scripts/services.sh
source scripts/web.sh
ensure_services

step "Formatting"
cargo fmt --all --check

step "Layout: no module cycles in any crate, and the gateway depends on no application"
python3 scripts/module-cycles.py
if grep -Eq '^(sim|garden|live|server)[[:space:]]*=' crates/gateway/Cargo.toml; then
  echo "crates/gateway depends on an application crate: the gateway knows no application" >&2
  exit 1
fi

step "Lints (clippy, warnings are errors)"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "Web client: install, type-check, build (fails over the initial JavaScript budget)"
web_build
if COSMIC_JS_BUDGET=1024 node web/scripts/budget.mjs >/dev/null 2>&1; then
  echo "the JavaScript budget check passed a 1 KiB budget: it does not enforce anything" >&2
  exit 1
fi

step "Web client unit tests (vitest)"
npm --prefix web test

step "Build (the dev profile optimises dependencies; one build serves the smoke runs and the tests)"
cargo build --workspace --all-targets --locked

step "Benchmark smoke runs (dev profile, --quick: they check the suites run, figures are not recorded)"
for suite in gravity codec api observability; do
  cargo run --locked --bin cosmic -- bench "$suite" --quick --json | tail -n 1
done

step "Live-session load smoke: cosmic-loadgen --app live, 50 displays for 3 s (dev build; checks it runs end to end)"
COSMIC_BIN=target/debug/cosmic LOADGEN_BIN=target/debug/cosmic-loadgen CHECK=1 ./scripts/live-load.sh 50 3

step "Browser tests: Debian's Chromium with playwright-core against cosmic serve (screenshots in artifacts/e2e)"
ensure_chromium
npm --prefix web run e2e

step "Doc tests"
cargo test --workspace --locked --doc

step "Fuzzing: every decoder of untrusted bytes, 30 s per target on the corpus in fuzz/corpus (nightly, cargo-fuzz)"
./scripts/fuzz.sh 30

step "API contract: schemathesis against cosmic serve, 90 s without and 90 s with a token (no 5xx, nothing undocumented)"
./scripts/schemathesis.sh 90

# Last, so the test runner's summary closes the output.
step "Tests"
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --workspace --locked --no-fail-fast
else
  cargo test --workspace --locked --no-fail-fast
fi
