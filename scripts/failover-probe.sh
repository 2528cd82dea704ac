#!/usr/bin/env bash
# Measures leader kill -9 -> first acknowledged write on a new leader, under redis-benchmark load,
# on the local cluster from scripts/cluster.sh (must be running). Prints figures; never fails on a number.
#   scripts/failover-probe.sh [requests=100000] [clients=50] [rounds=1]
# With several rounds the killed leader is restarted and rejoins before the next round; prints every sample and the
# median.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
base=${RAFTKV_BASE_PORT:-6379}
nodes=${RAFTKV_NODES:-3}
n=${1:-100000}
c=${2:-50}
rounds=${3:-1}
samples=()

for ((round = 1; round <= rounds; round++)); do
  leader=$("$root/scripts/cluster.sh" leader 30)
  port=$((base + leader))
  echo "round $round: leader node$leader on $port; starting redis-benchmark -t set -n $n -c $c"
  timeout 120 redis-benchmark -p "$port" -t set -n "$n" -c "$c" -r 1000000 -q >/dev/null 2>&1 &
  bench=$!
  sleep 3
  start=$(date +%s%N)
  "$root/scripts/cluster.sh" kill "$leader"
  ports=$(for ((i = 0; i < nodes; i++)); do ((i == leader)) || echo $((base + i)); done | paste -sd,)
  if result=$(python3 "$root/scripts/first-write.py" --since "$start" --ports "$ports"); then
    ms=${result% *}
    echo "first acknowledged write after kill -9: $ms ms (via port ${result#* })"
  else
    echo "$result"; ms=30000
  fi
  samples+=("$ms")
  kill "$bench" 2>/dev/null || true
  wait "$bench" 2>/dev/null || true
  "$root/scripts/cluster.sh" restart "$leader" >/dev/null
  sleep 3
done

if ((rounds > 1)); then
  sorted=$(printf '%s\n' "${samples[@]}" | sort -n | tr '\n' ' ')
  median=$(printf '%s\n' "${samples[@]}" | sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : int((a[NR / 2] + a[NR / 2 + 1]) / 2) }')
  echo "failover over $rounds rounds: median $median ms (samples, sorted: $sorted)"
fi
