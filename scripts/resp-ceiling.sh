#!/usr/bin/env bash
# How fast .NET can serve RESP on this machine with nothing of RaftKV in the way, beside redis-server and a RaftKV
# leader, in one run. Prints figures; never fails on a number.
#   scripts/resp-ceiling.sh [rounds=3] [requests=300000]
# Targets (scripts/resp-ceiling/Program.cs): a GET/SET-only server on Kestrel's socket transport and pipes (what the
# node uses for RESP), the same with inline socket completions and scheduling (the node's InlineSocketCompletions), on
# .NET's Socket with async receive/send, and on one thread with one epoll set and libc read/write through P/Invoke
# (Redis's event loop in C#); redis-server (appendonly yes, appendfsync always, as
# scripts/bench.sh runs it); the leader of a 3-node RaftKV cluster in its default mode, and of another with
# InlineSocketCompletions on. Each round preloads 100,000 keys with SET, then
# runs redis-benchmark -t get -c 50 at -P 1 and -P 16 against each target in turn. The table shows the median over
# rounds, the ratio to redis-server and the target's CPU per request (user + system, from /proc/PID/stat; for RaftKV
# the leader's). The machine is shared and noisy: compare ratios of one run.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
rounds=${1:-3}
n=${2:-300000}
work=$(mktemp -d /tmp/raftkv-ceiling.XXXXXX)
export RAFTKV_BASE_PORT=${RAFTKV_BASE_PORT:-17800} RAFTKV_RAFT_BASE_PORT=${RAFTKV_RAFT_BASE_PORT:-18800}
export RAFTKV_GRPC_BASE_PORT=${RAFTKV_GRPC_BASE_PORT:-19800} RAFTKV_METRICS_BASE_PORT=${RAFTKV_METRICS_BASE_PORT:-20800}
export RAFTKV_CLUSTER_DIR=$work/cluster
cluster="$root/scripts/cluster.sh"
redis=17900
declare -A ports=([kestrel]=17901 [kestrel-inline]=17904 [sockets]=17902 [epoll]=17903)
pids=()
inline_cluster() { # the second cluster: its own ports and directory, inline socket completions
  RAFTKV_BASE_PORT=$((RAFTKV_BASE_PORT + 10)) RAFTKV_RAFT_BASE_PORT=$((RAFTKV_RAFT_BASE_PORT + 10)) \
    RAFTKV_GRPC_BASE_PORT=$((RAFTKV_GRPC_BASE_PORT + 10)) RAFTKV_METRICS_BASE_PORT=$((RAFTKV_METRICS_BASE_PORT + 10)) \
    RAFTKV_CLUSTER_DIR=$work/cluster-inline RAFTKV__InlineSocketCompletions=true "$cluster" "$@"
}
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
  "$cluster" stop >/dev/null 2>&1 || true
  inline_cluster stop >/dev/null 2>&1 || true
  redis-cli -p $redis shutdown nosave >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

command -v redis-server >/dev/null && command -v redis-benchmark >/dev/null || { echo "needs redis-server and redis-benchmark (apt-get install redis-server redis-tools)"; exit 0; }
dotnet build "$root/scripts/resp-ceiling" -c Release -nologo -v q >/dev/null || { echo "scripts/resp-ceiling did not build"; exit 0; }
dll=$root/scripts/resp-ceiling/bin/Release/net10.0/RaftKV.RespCeiling.dll
mkdir -p "$work/redis"
redis-server --port $redis --bind 127.0.0.1 --appendonly yes --appendfsync always --save '' --dir "$work/redis" --daemonize yes >/dev/null
for mode in kestrel kestrel-inline sockets epoll; do
  dotnet "$dll" "$mode" "${ports[$mode]}" &
  pids+=($!)
done
"$cluster" start >/dev/null || { echo "RaftKV cluster did not start"; exit 0; }
inline_cluster start >/dev/null || { echo "RaftKV cluster (inline) did not start"; exit 0; }
sleep 2

pid_of_port() { ss -ltnp "sport = :$1" 2>/dev/null | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2; }
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
results=$work/results
for ((r = 1; r <= rounds; r++)); do
  leader=$((RAFTKV_BASE_PORT + $("$cluster" leader 30)))
  leader_inline=$((RAFTKV_BASE_PORT + 10 + $(inline_cluster leader 30)))
  for target in redis kestrel kestrel-inline sockets epoll raftkv raftkv-inline; do
    case $target in redis) port=$redis ;; raftkv) port=$leader ;; raftkv-inline) port=$leader_inline ;; *) port=${ports[$target]} ;; esac
    pid=$(pid_of_port "$port")
    redis-benchmark -p "$port" -t set -n 100000 -r 100000 -c 50 -P 16 -q >/dev/null 2>&1
    for p in 1 16; do
      before=$(cpu_ticks "$pid")
      rps=$(redis-benchmark -p "$port" -t get -n "$n" -r 100000 -c 50 -P $p --csv 2>/dev/null | tr -d '"' | awk -F, 'NR > 1 { print $2 }')
      after=$(cpu_ticks "$pid")
      echo "$target P$p ${rps:-0} $(awk -v a="$after" -v b="$before" -v n="$n" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.1f", (a - b) * 1e6 / hz / n }')" >>"$results"
    done
  done
  echo "round $r of $rounds done" >&2
done

median() { sort -n | awk '{ a[NR] = $1 } END { if (NR == 0) print "-"; else print a[int((NR + 1) / 2)] }'; }
printf "%-24s %12s %8s %14s\n" "target, test" "req/s" "ratio" "CPU us/request"
for p in P1 P16; do
  base=$(awk -v x=$p '$1 == "redis" && $2 == x { print $3 }' "$results" | median)
  for target in redis kestrel kestrel-inline sockets epoll raftkv raftkv-inline; do
    rps=$(awk -v t=$target -v x=$p '$1 == t && $2 == x { print $3 }' "$results" | median)
    cpu=$(awk -v t=$target -v x=$p '$1 == t && $2 == x { print $4 }' "$results" | median)
    ratio=$(awk -v a="$rps" -v b="$base" 'BEGIN { if (b + 0 > 0) printf "%.2f", a / b; else print "-" }')
    printf "%-24s %12s %8s %14s\n" "$target, GET -$p" "$rps" "$ratio" "$cpu"
  done
done
