# Web client helpers, sourced by scripts/serve.sh and scripts/test.sh.

# Fails with instructions when Node.js (20.19 or newer) and npm are missing.
ensure_node() {
  if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    echo "Node.js 20.19+ and npm are needed to build the web client (Debian: apt-get install nodejs npm)." >&2
    exit 1
  fi
}

# Installs web/node_modules from the lock file when it is missing or older than the lock file.
web_install() {
  ensure_node
  if [ ! -f web/node_modules/.package-lock.json ] || [ web/package-lock.json -nt web/node_modules/.package-lock.json ]; then
    npm --prefix web ci --no-audit --no-fund
  fi
}

# Type-checks and builds web/dist (hashed, precompressed assets; fails over the JavaScript budget).
web_build() {
  web_install
  npm --prefix web run build
}

# Makes sure Debian's Chromium is there for the browser tests, installing it when we can.
ensure_chromium() {
  local chromium="${CHROMIUM_PATH:-/usr/bin/chromium}"
  if [ -x "$chromium" ]; then
    return
  fi
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "Installing Debian's chromium for the browser tests…"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null ||
      { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }
  fi
  if [ ! -x "$chromium" ]; then
    echo "The browser tests need Chromium at $chromium: install Debian's chromium (apt-get install chromium) or set CHROMIUM_PATH." >&2
    exit 1
  fi
}
