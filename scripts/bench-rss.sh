#!/usr/bin/env bash
# RSS of each RaftKV node beside redis-server after 1M small keys (issue 7: "RSS for 1M small keys <= 2x Redis's"),
# with where each node's RSS goes. Prints figures; never fails on a number.
#   scripts/bench-rss.sh
#   RSS_REVS="<commit> ..."        also measures each commit, built from `git archive` in a temp folder (before vs after)
#   RSS_VARIANTS="A=1,B=2 C=3 ..."  also measures the working tree with each comma-separated list of environment
#                                   settings (DOTNET_GC..., RAFTKV__...), e.g. GC knobs, one cluster per variant
# Load: `redis-benchmark -t set -r 1000000 -n 2000000 -c 50 -P 16` (3-byte values; about 865k distinct keys) against the
# leader and against redis-server (appendonly yes, appendfsync always), then 10 s to settle (snapshots, GC). Per node:
# VmRSS, split by /proc/PID/smaps into anonymous memory (managed heap, runtime, stacks), mapped WAL chunk files, mapped
# code (.dll and .so) and the runtime's double-mapped JIT code (memfd doublemapper), and the GC's own figures (INFO
# memory). Sourced (by bench.sh), it only defines the rss_* functions.

# Loads the small keys into the server on port $1 (emptied first).
rss_load() {
  redis-cli -p "$1" flushall >/dev/null
  redis-benchmark -p "$1" -t set -r 1000000 -n 2000000 -c 50 -P 16 -q >/dev/null 2>&1
}

# VmRSS of process $1 in MiB.
rss_mib() { awk '/^VmRSS/ { printf "%.0f", $2 / 1024 }' "/proc/$1/status"; }

# Where the RSS of process $1 goes, from its smaps, in MiB.
rss_breakdown() {
  awk '/^[0-9a-f]+-[0-9a-f]+ / {
      path = ""; for (i = 6; i <= NF; i++) path = path (i > 6 ? " " : "") $i
      if (path ~ /\/wal\//) c = "wal"
      else if (path ~ /doublemapper|memfd/) c = "jit-doublemap"
      else if (path ~ /\.(so|dll)([. ]|$)/ || path ~ /\/(dotnet|redis-server)$/) c = "code"
      else if (path == "" || path ~ /^\[(heap|stack|anon)/) c = "anon"
      else c = "other"
      next
    }
    /^Rss:/ { rss[c] += $2 }
    END { printf "anon %.0f, wal %.0f, code %.0f, jit-doublemap %.0f, other %.0f MiB",
      rss["anon"] / 1024, rss["wal"] / 1024, rss["code"] / 1024, rss["jit-doublemap"] / 1024, rss["other"] / 1024 }' "/proc/$1/smaps"
}

# The managed heap of the RaftKV node on port $1 (INFO memory), in MiB.
rss_gc() {
  redis-cli -p "$1" info memory | tr -d '\r' | awk -F: '
    /^raftkv_gc_heap_bytes/ { h = $2 } /^raftkv_gc_fragmented_bytes/ { f = $2 } /^raftkv_gc_committed_bytes/ { c = $2 }
    END { if (h != "") printf "gc heap %.0f (fragmented %.0f), committed %.0f MiB", h / 1048576, f / 1048576, c / 1048576 }'
}

# One line per node of the cluster in $RAFTKV_CLUSTER_DIR (RESP ports from $RAFTKV_BASE_PORT).
rss_nodes() {
  local i pid
  for ((i = 0; i < ${RAFTKV_NODES:-3}; i++)); do
    pid=$(cat "$RAFTKV_CLUSTER_DIR/node$i/pid")
    echo "RSS raftkv node$i: $(rss_mib "$pid") MiB ($(rss_breakdown "$pid"); $(rss_gc $((RAFTKV_BASE_PORT + i))))"
  done
}

[[ ${BASH_SOURCE[0]} != "$0" ]] && return 0

set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
export RAFTKV_BASE_PORT=${RAFTKV_BASE_PORT:-36600} RAFTKV_RAFT_BASE_PORT=${RAFTKV_RAFT_BASE_PORT:-37600}
export RAFTKV_GRPC_BASE_PORT=${RAFTKV_GRPC_BASE_PORT:-38600} RAFTKV_NODES=3
redis_port=${RSS_REDIS_PORT:-36700}
cluster="$root/scripts/cluster.sh"
work=$(mktemp -d /tmp/raftkv-bench-rss.XXXXXX)
cleanup() {
  "$cluster" stop >/dev/null 2>&1 || true
  redis-cli -p "$redis_port" shutdown nosave >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
command -v redis-server >/dev/null && command -v redis-benchmark >/dev/null || { echo "needs redis-server and redis-benchmark (apt-get install redis-server redis-tools)"; exit 0; }

measure() { # label cluster-dir [VAR=value ...]
  local label=$1
  export RAFTKV_CLUSTER_DIR=$2
  shift 2
  (
    for setting in "$@"; do export "${setting?}"; done
    "$cluster" clean >/dev/null
    "$cluster" start >/dev/null || { echo "== $label: the cluster did not start"; exit 0; }
    local port=$((RAFTKV_BASE_PORT + $("$cluster" leader 30)))
    rss_load "$port"
    sleep 10
    echo "== $label: $(redis-cli -p "$port" dbsize) keys, snapshot index $(redis-cli -p "$port" info raft | tr -d '\r' | awk -F: '/^raft_snapshot_index/ { print $2 }')"
    rss_nodes
    "$cluster" clean >/dev/null
  )
}

mkdir -p "$work/redis"
redis-server --port "$redis_port" --bind 127.0.0.1 --appendonly yes --appendfsync always --save '' --dir "$work/redis" --daemonize yes >/dev/null
rss_load "$redis_port"
redis_pid=$(redis-cli -p "$redis_port" info server | tr -d '\r' | awk -F: '/^process_id/ { print $2 }')
echo "== redis-server (appendfsync always): $(redis-cli -p "$redis_port" dbsize) keys"
echo "RSS redis-server: $(rss_mib "$redis_pid") MiB ($(rss_breakdown "$redis_pid"); used_memory $(redis-cli -p "$redis_port" info memory | tr -d '\r' | awk -F: '/^used_memory:/ { printf "%.0f", $2 / 1048576 }') MiB)"
redis-cli -p "$redis_port" shutdown nosave >/dev/null 2>&1

for rev in ${RSS_REVS:-}; do
  dir=$work/$rev
  mkdir -p "$dir"
  echo "building RaftKV.Node at $rev ($(git -C "$root" rev-parse --short "$rev"))" >&2
  git -C "$root" archive "$rev" src protos Directory.Build.props Directory.Packages.props global.json | tar -x -C "$dir"
  dotnet build "$dir/src/Node/RaftKV.Node.csproj" -c Release -nologo -v q -o "$dir/cluster/bin" >&2
  touch "$dir/cluster/bin/RaftKV.Node.dll"  # newer than the working tree: cluster.sh keeps this build
  measure "commit $(git -C "$root" rev-parse --short "$rev")" "$dir/cluster"
done
measure "working tree" "$work/tree"
for variant in ${RSS_VARIANTS:-}; do
  IFS=, read -ra settings <<<"$variant"
  # The working tree's build, reused: cluster.sh rebuilds only when a source is newer than the binaries.
  mkdir -p "$work/variant"
  [[ -d $work/variant/bin ]] || cp -r "$work/tree/bin" "$work/variant/bin"
  measure "working tree with $variant" "$work/variant" "${settings[@]}"
done
