#!/usr/bin/env bash
# RaftKV beside Redis on this machine, in one run. Prints figures; never fails on a number.
#   scripts/bench.sh [rounds=3] [requests=200000]
# Targets: a 3-node RaftKV cluster (Release, loopback), redis-server with appendonly yes + appendfsync always (the
# durable single-node reference) and with appendfsync everysec. Each round runs, against each target in turn,
# redis-benchmark -t set,get,incr,lpush,hset -c 50 at -P 1 and -P 16, and -t set -c 1 for latency. The table shows
# the median over rounds and the RaftKV / Redis(always) ratio; latency columns are p50 / p99 in ms.
# Then: leader kill -9 to first acknowledged write, RSS after 1M small keys (RaftKV per node vs Redis, as
# scripts/bench-rss.sh measures it), and the restart time of a RaftKV follower holding them. The machine is shared
# and noisy: compare ratios of one run.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
rounds=${1:-3}
n=${2:-200000}
work=$(mktemp -d /tmp/raftkv-bench.XXXXXX)
export RAFTKV_BASE_PORT=${RAFTKV_BASE_PORT:-17600} RAFTKV_RAFT_BASE_PORT=${RAFTKV_RAFT_BASE_PORT:-18600}
export RAFTKV_GRPC_BASE_PORT=${RAFTKV_GRPC_BASE_PORT:-19600} RAFTKV_CLUSTER_DIR=$work/cluster
cluster="$root/scripts/cluster.sh"
always=17700 everysec=17701
cleanup() {
  "$cluster" stop >/dev/null 2>&1 || true
  redis-cli -p $always shutdown nosave >/dev/null 2>&1 || true
  redis-cli -p $everysec shutdown nosave >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

command -v redis-server >/dev/null && command -v redis-benchmark >/dev/null || { echo "needs redis-server and redis-benchmark (apt-get install redis-server redis-tools)"; exit 0; }
mkdir -p "$work/always" "$work/everysec"
redis-server --port $always --bind 127.0.0.1 --appendonly yes --appendfsync always --save '' --dir "$work/always" --daemonize yes >/dev/null
redis-server --port $everysec --bind 127.0.0.1 --appendonly yes --appendfsync everysec --save '' --dir "$work/everysec" --daemonize yes >/dev/null
"$cluster" start >/dev/null || { echo "RaftKV cluster did not start"; exit 0; }
leader_port() { echo $((RAFTKV_BASE_PORT + $("$cluster" leader 30))); }

# results file: target test value(rps) p50 p99
results=$work/results
run() { # target port label args...
  local target=$1 port=$2 label=$3; shift 3
  redis-benchmark -p "$port" "$@" --csv 2>/dev/null | tr -d '"' | awk -F, -v t="$target" -v l="$label" \
    'NR > 1 && $2 + 0 > 0 { printf "%s %s:%s %s %s %s\n", t, l, $1, $2, $5, $7 }' >>"$results"
}
for ((r = 1; r <= rounds; r++)); do
  for target in raftkv always everysec; do
    case $target in raftkv) port=$(leader_port) ;; always) port=$always ;; everysec) port=$everysec ;; esac
    redis-cli -p "$port" flushall >/dev/null 2>&1
    run "$target" "$port" P1 -t set,get,incr,lpush,hset -n "$n" -c 50 -P 1 -r 100000
    run "$target" "$port" P16 -t set,get,incr,lpush,hset -n "$n" -c 50 -P 16 -r 100000
    run "$target" "$port" c1 -t set -n $((n / 10)) -c 1 -r 100000
  done
  echo "round $r of $rounds done" >&2
done

median() { sort -n | awk '{ a[NR] = $1 } END { if (NR == 0) print "-"; else print a[int((NR + 1) / 2)] }'; }
printf "%-14s %12s %12s %12s %8s %16s %16s\n" test raftkv always everysec ratio "raftkv p50/p99" "always p50/p99"
for test in $(awk '{ print $2 }' "$results" | sort -u); do
  row=()
  for target in raftkv always everysec; do row+=("$(awk -v t="$target" -v x="$test" '$1 == t && $2 == x { print $3 }' "$results" | median)"); done
  lat_k="$(awk -v x="$test" '$1 == "raftkv" && $2 == x { print $4 }' "$results" | median)/$(awk -v x="$test" '$1 == "raftkv" && $2 == x { print $5 }' "$results" | median)"
  lat_a="$(awk -v x="$test" '$1 == "always" && $2 == x { print $4 }' "$results" | median)/$(awk -v x="$test" '$1 == "always" && $2 == x { print $5 }' "$results" | median)"
  ratio=$(awk -v a="${row[0]}" -v b="${row[1]}" 'BEGIN { if (b + 0 > 0) printf "%.2f", a / b; else print "-" }')
  printf "%-14s %12s %12s %12s %8s %16s %16s\n" "$test" "${row[0]}" "${row[1]}" "${row[2]}" "$ratio" "$lat_k" "$lat_a"
done

# Failover: kill -9 the leader, time the first acknowledged write on another node.
leader=$("$cluster" leader 30)
start=$(date +%s%N)
"$cluster" kill "$leader" >/dev/null
done_ms=""
while [[ -z $done_ms ]] && (( ($(date +%s%N) - start) < 30000000000 )); do
  for ((i = 0; i < 3; i++)); do
    ((i == leader)) && continue
    if [[ $(timeout 1 redis-cli -p $((RAFTKV_BASE_PORT + i)) set failover 1 2>/dev/null) == OK ]]; then done_ms=$(((($(date +%s%N) - start) / 1000000))); break; fi
  done
done
echo "failover (leader kill -9 -> first acknowledged write): ${done_ms:-more than 30000} ms"
"$cluster" restart "$leader" >/dev/null
"$cluster" leader 60 >/dev/null

# Memory: 1M small keys, RSS of each RaftKV node (and where it goes) vs redis-server; scripts/bench-rss.sh alone does
# just this, also for older commits.
source "$root/scripts/bench-rss.sh"
port=$(leader_port)
rss_load "$port"
rss_load $always
redis_pid=$(redis-cli -p $always info server | tr -d '\r' | awk -F: '/^process_id/ { print $2 }')
echo "keys: raftkv $(redis-cli -p "$port" dbsize), redis $(redis-cli -p $always dbsize)"
rss_nodes
echo "RSS redis-server (always): $(rss_mib "$redis_pid") MiB"

# Restart of a follower holding that data (its own snapshot + log tail).
f=$(( ($("$cluster" leader 30) + 1) % 3 ))
redis-cli -p $((RAFTKV_BASE_PORT + f)) raftkv.snapshot >/dev/null
redis-cli -p "$port" set after-snapshot 1 >/dev/null
redis-cli -p "$port" set after-snapshot 2 >/dev/null
target=$(redis-cli -p "$port" info raft | tr -d '\r' | awk -F: '/^raft_commit_index/ { print $2 }')
"$cluster" kill "$f" >/dev/null
start=$(date +%s%N)
"$cluster" restart "$f" >/dev/null
while :; do
  applied=$(redis-cli -p $((RAFTKV_BASE_PORT + f)) info raft 2>/dev/null | tr -d '\r' | awk -F: '/^raft_applied_index/ { print $2 }')
  [[ -n $applied && $applied -ge $target ]] && break
  (( ($(date +%s%N) - start) > 300000000000 )) && { echo "restart: not caught up in 300 s"; break; }
  sleep 0.05
done
echo "follower restart with 1M keys (process start to caught up): $((($(date +%s%N) - start) / 1000000)) ms"
