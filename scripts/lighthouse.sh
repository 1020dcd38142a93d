#!/usr/bin/env bash
# Lighthouse (npm, offline) against `cosmic serve` on localhost with Debian's Chromium, default mobile
# settings. Prints the scores and timings; the full report goes to artifacts/lighthouse/.
# Usage: ./scripts/lighthouse.sh [runs]   (default 3; the median performance run is reported)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/web.sh

runs="${1:-3}"
LIGHTHOUSE_VERSION=12.8.2
export CHROME_PATH="${CHROMIUM_PATH:-/usr/bin/chromium}"
ensure_chromium
web_build
bin="${COSMIC_BIN:-target/release/cosmic}"
[ -x "$bin" ] || cargo build --release --locked --bin cosmic

port=18480
data="$(mktemp -d)"
out=artifacts/lighthouse
mkdir -p "$out"
"$bin" serve --listen "127.0.0.1:$port" --data-dir "$data" --web-dir web/dist >"$data/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$data"' EXIT
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/health/ready" >/dev/null && break; sleep 0.2; done

run_lighthouse() {
  npx --yes "lighthouse@$LIGHTHOUSE_VERSION" "http://127.0.0.1:$port/" \
    --quiet --output=json --output=html --output-path="$out/run-$1" \
    --only-categories=performance,accessibility,best-practices,seo \
    --chrome-flags="--headless=new --no-sandbox --use-angle=swiftshader --enable-unsafe-swiftshader --disable-quic --no-first-run --disable-background-networking --disable-component-update --disable-sync"
}
rm -f "$out"/run-*
for i in $(seq "$runs"); do
  # Lighthouse now and then loses its trace (NO_NAVSTART); such a run is repeated once.
  run_lighthouse "$i" || { echo "run $i failed; repeating it"; run_lighthouse "$i"; }
done
node scripts/lighthouse-summary.mjs "$out"/run-*.report.json
