#!/usr/bin/env bash
# What one address can take: a guest, then a registered player, each try 30 worlds of 5,000 bodies at 60 Hz;
# then 300 guest accounts are asked for. Prints the answers and, 10 s later, the default world's tick overruns
# and lag. Run it with the quotas as configured, then with COSMIC_QUOTAS__* overrides to see the server without
# them (docs/BENCHMARKS.md, "Quotas"). Usage: COSMIC_BIN=target/release/cosmic scripts/quota-attack.sh
set -u
port=${PORT:-18191}; dir=$(mktemp -d)
COSMIC_SERVER__LISTEN=127.0.0.1:$port COSMIC_SERVER__DATA_DIR=$dir ${COSMIC_BIN:-target/debug/cosmic} serve >"$dir/server.log" 2>&1 &
pid=$!
for _ in $(seq 100); do curl -fs http://127.0.0.1:$port/health/ready >/dev/null && break; sleep 0.2; done
try() { # token
  for i in $(seq 30); do
    curl -s -o /dev/null -w '%{http_code}\n' -X POST http://127.0.0.1:$port/api/worlds -H "authorization: Bearer $1" \
      -H 'content-type: application/json' -d "{\"name\":\"w$i\",\"bodies\":5000,\"tick_rate\":60}"
  done | sort | uniq -c | tr '\n' ' '; echo
}
g=$(curl -s -X POST http://127.0.0.1:$port/api/auth/guest | python3 -c 'import sys,json;print(json.load(sys.stdin)["access_token"])')
echo "guest: $(try "$g")"
p=$(curl -s -X POST http://127.0.0.1:$port/api/auth/register -H 'content-type: application/json' \
  -d '{"username":"attacker","email":"a@example.com","password":"correct horse battery"}' | python3 -c 'import sys,json;print(json.load(sys.stdin)["access_token"])')
echo "player: $(try "$p")"
start=$(date +%s.%N)
guests=0; for i in $(seq 300); do c=$(curl -s -o /dev/null -w '%{http_code}' -X POST http://127.0.0.1:$port/api/auth/guest); [ "$c" = 201 ] && guests=$((guests+1)); done
echo "guests created of 300 tries: $guests in $(python3 -c "print(round($(date +%s.%N)-$start,1))") s"
sleep 10
curl -s http://127.0.0.1:$port/health | python3 -c 'import sys,json;d=json.load(sys.stdin);print("worlds:",len(d["worlds"]),"default world:",d["worlds"][0])'
kill $pid; wait $pid 2>/dev/null; rm -rf "$dir"
