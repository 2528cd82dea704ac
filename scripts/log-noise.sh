#!/usr/bin/env bash
# Measures how much the surviving nodes log about a dead peer (issue 18): starts a 3-node cluster with
# scripts/cluster.sh, kills one follower with kill -9, waits RAFTKV_NOISE_SECONDS (60), and counts the lines each
# surviving node's log gained meanwhile. Prints "node<i> lines=<n> bytes=<b>" per survivor and "total lines=<n>".
#   RAFTKV_CLUSTER_DIR=/tmp/x RAFTKV_BASE_PORT=... scripts/log-noise.sh
# Uses cluster.sh's port variables; stops and removes the cluster at the end.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
seconds=${RAFTKV_NOISE_SECONDS:-60}
dir=${RAFTKV_CLUSTER_DIR:-$root/.cluster}
cluster="$root/scripts/cluster.sh"
export RAFTKV_NODES=3
"$cluster" clean >/dev/null
"$cluster" start >/dev/null
leader=$("$cluster" leader 60)
victim=$(( (leader + 1) % 3 ))
declare -A lines bytes
for i in 0 1 2; do
  [[ $i == "$victim" ]] && continue
  lines[$i]=$(wc -l < "$dir/node$i/node.log"); bytes[$i]=$(wc -c < "$dir/node$i/node.log")
done
"$cluster" kill "$victim" >/dev/null
sleep "$seconds"
total=0
for i in 0 1 2; do
  [[ $i == "$victim" ]] && continue
  l=$(( $(wc -l < "$dir/node$i/node.log") - lines[$i] )); b=$(( $(wc -c < "$dir/node$i/node.log") - bytes[$i] ))
  echo "node$i lines=$l bytes=$b"
  total=$((total + l))
done
echo "killed node$victim (leader node$leader) for ${seconds}s: total lines=$total"
"$cluster" stop >/dev/null
