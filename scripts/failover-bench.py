#!/usr/bin/env python3
"""Failover time of cluster mode: three `cosmic serve` nodes on a fresh PostgreSQL database and Redis
(loopback only); KILLS times, SIGKILL the node that runs world 1 and time until another node's world 1
ticks again; the killed node is started again before the next kill. Prints one line per kill (stderr)
and a JSON summary (stdout): median and worst, in seconds.

Usage: scripts/failover-bench.py [KILLS] [LEASE_TTL_SECS]
Environment: COSMIC_BIN (default target/release/cosmic), DATABASE_BASE (default
postgres://127.0.0.1/postgres), REDIS_URL (default redis://127.0.0.1:6379).
"""

import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

KILLS = int(sys.argv[1]) if len(sys.argv) > 1 else 5
TTL = int(sys.argv[2]) if len(sys.argv) > 2 else 4
BIN = os.environ.get("COSMIC_BIN", "target/release/cosmic")
BASE = os.environ.get("DATABASE_BASE", "postgres://127.0.0.1/postgres")
REDIS = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379")
SECRET = "failover-bench-secret-0123456789abcdef"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get_json(port, path, timeout=1.0):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=timeout) as r:
            return json.load(r)
    except Exception:
        return None


class Node:
    def __init__(self, name, work, database, namespace):
        self.name, self.work, self.database, self.namespace = name, work, database, namespace
        self.proc = None
        self.port = None

    def start(self):
        self.port = free_port()
        env = dict(os.environ)
        for var in ("DATABASE_URL", "REDIS_URL"):
            env.pop(var, None)
        env.update({
            "COSMIC_CLUSTER__ENABLED": "true",
            "COSMIC_CLUSTER__NODE_ID": self.name,
            "COSMIC_CLUSTER__LEASE_TTL_SECS": str(TTL),
            "COSMIC_CACHE__NAMESPACE": self.namespace,
            "COSMIC_AUTH__JWT_SECRET": SECRET,
            "RUST_LOG": "warn",
        })
        data = os.path.join(self.work, self.name)
        os.makedirs(data, exist_ok=True)
        log = open(os.path.join(self.work, f"{self.name}.log"), "ab")
        self.proc = subprocess.Popen(
            [BIN, "serve", "--listen", f"127.0.0.1:{self.port}", "--database-url", self.database,
             "--redis-url", REDIS, "--data-dir", data, "--world-bodies", "400"],
            env=env, stdout=subprocess.DEVNULL, stderr=log)
        deadline = time.monotonic() + 60
        while get_json(self.port, "/health") is None:
            if self.proc.poll() is not None or time.monotonic() > deadline:
                sys.exit(f"{self.name} did not start; see {log.name}")
            time.sleep(0.1)

    def ticks(self, world):
        d = get_json(self.port, "/health/detailed")
        if not d:
            return None
        owned = [o["world"] for o in (d.get("cluster") or {}).get("owned", [])]
        if world not in owned:
            return None
        for w in d.get("worlds", []):
            if w["id"] == world:
                return w["ticks"]
        return None


def main():
    name = "cosmic_failover_%06x" % random.getrandbits(24)
    subprocess.run(["psql", BASE, "-qc", f"CREATE DATABASE {name}"], check=True)
    database = BASE.rsplit("/", 1)[0] + "/" + name
    work = tempfile.mkdtemp(prefix="cosmic-failover-")
    nodes = [Node(f"node-{c}", work, database, name) for c in "abc"]
    times = []
    try:
        for n in nodes:
            n.start()
        for kill in range(1, KILLS + 1):
            deadline = time.monotonic() + 30
            owner = None
            while owner is None:
                owner = next((n for n in nodes if (n.ticks(1) or 0) > 0), None)
                if time.monotonic() > deadline:
                    sys.exit("no node runs world 1")
                time.sleep(0.1)
            owner.proc.send_signal(signal.SIGKILL)
            owner.proc.wait()
            killed = time.monotonic()
            others = [n for n in nodes if n is not owner]
            while True:
                if any((n.ticks(1) or 0) > 0 for n in others):
                    break
                if time.monotonic() - killed > 60:
                    sys.exit("world 1 did not come back within 60 s")
                time.sleep(0.02)
            took = time.monotonic() - killed
            new = next(n for n in others if (n.ticks(1) or 0) > 0)
            times.append(took)
            print(f"kill {kill}: {owner.name} killed, world 1 ticks on {new.name} after {took:.2f} s",
                  file=sys.stderr)
            owner.start()
    finally:
        for n in nodes:
            if n.proc and n.proc.poll() is None:
                n.proc.send_signal(signal.SIGKILL)
                n.proc.wait()
        subprocess.run(["psql", BASE, "-qc", f"DROP DATABASE IF EXISTS {name}"], check=False)
    print(json.dumps({
        "kills": KILLS,
        "lease_ttl_secs": TTL,
        "median_s": round(statistics.median(times), 3),
        "worst_s": round(max(times), 3),
        "all_s": [round(t, 3) for t in times],
    }))


if __name__ == "__main__":
    main()
