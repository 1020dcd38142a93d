#!/usr/bin/env bash
# Lighthouse (npm, offline) against `cosmic serve` on localhost with Debian's Chromium, default mobile
# settings. Prints the scores and timings; the full report goes to artifacts/lighthouse/.
# Usage: ./scripts/lighthouse.sh [runs] [page]   (runs: default 3, the median is reported; page: garden
# (default, /), controller (/live) or display (/show/<code> of a show with six layers, made first by
# web/scripts/vj-show.mjs))
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/web.sh

runs="${1:-3}"
page="${2:-garden}"
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
case "$page" in
  garden) path=/ ;;
  controller) path=/live ;;
  display) path="/show/$(node web/scripts/vj-show.mjs "http://127.0.0.1:$port")" ;;
  *) echo "unknown page $page: garden, controller or display" >&2; exit 2 ;;
esac
echo "Lighthouse: $runs runs of http://127.0.0.1:$port$path"

run_lighthouse() {
  npx --yes "lighthouse@$LIGHTHOUSE_VERSION" "http://127.0.0.1:$port$path" \
    --quiet --output=json --output=html --output-path="$out/$page-run-$1" \
    --only-categories=performance,accessibility,best-practices,seo \
    --chrome-flags="--headless=new --no-sandbox --use-angle=swiftshader --enable-unsafe-swiftshader --disable-quic --no-first-run --disable-background-networking --disable-component-update --disable-sync"
}
rm -f "$out/$page"-run-*
for i in $(seq "$runs"); do
  # Lighthouse now and then loses its trace (NO_NAVSTART); such a run is repeated once.
  run_lighthouse "$i" || { echo "run $i failed; repeating it"; run_lighthouse "$i"; }
done
node scripts/lighthouse-summary.mjs "$out/$page"-run-*.report.json
