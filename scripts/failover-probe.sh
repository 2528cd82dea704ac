#!/usr/bin/env bash
# Measures leader kill -9 -> first acknowledged write on a new leader, under redis-benchmark load,
# on the local cluster from scripts/cluster.sh (must be running). Prints figures; never fails on a number.
#   scripts/failover-probe.sh [requests=100000] [clients=50]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
base=${RAFTKV_BASE_PORT:-6379}
nodes=${RAFTKV_NODES:-3}
n=${1:-100000}
c=${2:-50}

leader=$("$root/scripts/cluster.sh" leader 30)
port=$((base + leader))
echo "leader node$leader on $port; starting redis-benchmark -t set -n $n -c $c"
timeout 120 redis-benchmark -p "$port" -t set -n "$n" -c "$c" -r 1000000 -q >/dev/null 2>&1 &
bench=$!
sleep 3
start=$(date +%s%N)
"$root/scripts/cluster.sh" kill "$leader"
while :; do
  for ((i = 0; i < nodes; i++)); do
    ((i == leader)) && continue
    if [[ $(timeout 1 redis-cli -p $((base + i)) set failover-probe "$start" 2>/dev/null) == OK ]]; then
      end=$(date +%s%N)
      echo "first acknowledged write after kill -9: $(((end - start) / 1000000)) ms (via node$i)"
      kill "$bench" 2>/dev/null || true
      "$root/scripts/cluster.sh" restart "$leader" >/dev/null
      exit 0
    fi
  done
  if (( ($(date +%s%N) - start) > 30000000000 )); then echo "no write acknowledged within 30 s"; exit 0; fi
done
