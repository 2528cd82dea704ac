#!/usr/bin/env bash
# SIGSTOP the leader of the local cluster (scripts/cluster.sh, must be running) and measure the time until a
# write is acknowledged by another node; then SIGCONT it. Prints figures; never fails on a number.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
base=${RAFTKV_BASE_PORT:-6379}
nodes=${RAFTKV_NODES:-3}
dir=${RAFTKV_CLUSTER_DIR:-$root/.cluster}
leader=$("$root/scripts/cluster.sh" leader 30)
pid=$(cat "$dir/node$leader/pid")
start=$(date +%s%N)
kill -STOP "$pid"
trap 'kill -CONT "$pid" 2>/dev/null || true' EXIT
while :; do
  for ((i = 0; i < nodes; i++)); do
    ((i == leader)) && continue
    if [[ $(timeout 1 redis-cli -p $((base + i)) set pause-probe "$start" 2>/dev/null) == OK ]]; then
      echo "leader node$leader paused: first acknowledged write after $((($(date +%s%N) - start) / 1000000)) ms (via node$i)"
      exit 0
    fi
  done
  if (( ($(date +%s%N) - start) > 20000000000 )); then echo "leader node$leader paused: no write acknowledged within 20 s"; exit 0; fi
done
