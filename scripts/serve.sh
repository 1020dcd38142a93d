#!/usr/bin/env bash
# Builds the web client and runs the server with it on the embedded defaults (SQLite, in-process cache):
# http://127.0.0.1:8080. Extra arguments go to `cosmic serve`. Usage: ./scripts/serve.sh [--listen …]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/web.sh

echo "==> Web client (web/dist)"
web_build
echo "==> Server"
exec cargo run --release --locked --bin cosmic -- serve "$@"
