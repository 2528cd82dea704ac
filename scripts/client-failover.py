#!/usr/bin/python3
"""Measures how long redis-py takes to write again after the leader is killed (SIGKILL by this script, so the clock
starts at the kill itself), through redis.sentinel.Sentinel([...every node...]).master_for(name) with default options.
Used by scripts/client-failover.sh; prints one line "<ms> <outcome>".
    client-failover.py <host:port,host:port,...> <leader-pid> [service-name=raftkv]
Debian's python3 (python3-redis installs redis-py there)."""
import os
import signal
import sys
import time

from redis.exceptions import RedisError
from redis.sentinel import Sentinel


def main():
    nodes = [(h, int(p)) for h, p in (e.rsplit(":", 1) for e in sys.argv[1].split(","))]
    pid = int(sys.argv[2])
    name = sys.argv[3] if len(sys.argv) > 3 else "raftkv"
    master = Sentinel(nodes).master_for(name)

    # Writes before the kill, so the client is in its steady state (connected to the primary).
    warm_until = time.monotonic() + 2
    i = ok = 0
    while time.monotonic() < warm_until:
        try:
            master.set("client-failover", i)
            ok += 1
        except (RedisError, OSError) as e:
            print(f"write before the kill failed: {type(e).__name__}: {e}", file=sys.stderr)
            time.sleep(0.1)
        i += 1
    if ok == 0:
        print("n/a: no write succeeded before the kill (leader not killed)")
        return 1

    os.kill(pid, signal.SIGKILL)
    start = time.monotonic()
    failures = 0
    while time.monotonic() - start < 90:
        try:
            master.set("client-failover", f"after-kill-{failures}")
            print(f"{int((time.monotonic() - start) * 1000)} ok after {failures} failed writes")
            return 0
        except (RedisError, OSError) as e:
            if failures == 0:
                print(f"first failure after the kill: {type(e).__name__}: {e}", file=sys.stderr)
            failures += 1
            time.sleep(0.01)
    print(f"{int((time.monotonic() - start) * 1000)} no successful write within 90 s ({failures} failed writes)")
    return 1


if __name__ == "__main__":
    sys.exit(main())
