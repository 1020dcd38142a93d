# Sourced by scripts/test.sh: makes sure PostgreSQL and Redis answer on loopback and exports the URLs the
# tests read. Starts a stopped local service where this machine has it installed; fails loudly otherwise.

: "${TEST_DATABASE_URL:=postgres://postgres@127.0.0.1:5432/test}"
: "${TEST_REDIS_URL:=redis://127.0.0.1:6379}"
export TEST_DATABASE_URL TEST_REDIS_URL

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_port() {
  local port=$1 name=$2
  for _ in $(seq 1 30); do
    port_open "$port" && return 0
    sleep 1
  done
  echo "error: $name is not reachable on 127.0.0.1:$port (tests need it; see docs/DEVELOPING.md)" >&2
  return 1
}

ensure_services() {
  if ! port_open 5432 && command -v pg_ctlcluster >/dev/null 2>&1; then
    echo "starting PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n 1)" main start || true
  fi
  if ! port_open 6379 && command -v redis-server >/dev/null 2>&1; then
    echo "starting Redis"
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
      --dir /tmp --logfile /tmp/cosmic-ci-redis.log || true
  fi
  wait_port 5432 PostgreSQL
  wait_port 6379 Redis
  echo "PostgreSQL: $TEST_DATABASE_URL"
  echo "Redis:      $TEST_REDIS_URL"
}
