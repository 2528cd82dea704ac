#!/usr/bin/env bash
# RSS of each RaftKV node beside redis-server after 1M small keys (issue 7: "RSS for 1M small keys <= 2x Redis's"),
# with where each node's RSS goes. Prints figures; never fails on a number.
#   scripts/bench-rss.sh
#   RSS_REVS="<commit> ..."        also measures each commit, built from `git archive` in a temp folder (before vs after)
#   RSS_VARIANTS="A=1,B=2 C=3 ..."  also measures the working tree with each comma-separated list of environment
#                                   settings (DOTNET_GC..., RAFTKV__...), e.g. GC knobs, one cluster per variant
# Every target is built before the first is measured, the working tree from a copy: edits made during a run do not
# change what it measures.
# Load: `redis-benchmark -t set -r 1000000 -n 2000000 -c 50 -P 16` (3-byte values; about 865k distinct keys) against the
# leader and against redis-server (appendonly yes, appendfsync always), then 10 s to settle (snapshots, GC). Per node:
# VmRSS, split by /proc/PID/smaps into anonymous memory (managed heap, runtime, stacks), mapped WAL chunk files, mapped
# code (.dll and .so) and the runtime's double-mapped JIT code (memfd doublemapper), and the GC's own figures (INFO
# memory). Sourced (by bench.sh), it only defines the rss_* functions.

# Loads the small keys into the server on port $1 (emptied first). redis-benchmark stops at the first error reply (a
# leader change on a busy machine: fewer keys); that reply goes to $RSS_LOG.
rss_load() {
  redis-cli -p "$1" flushall >/dev/null
  redis-benchmark -p "$1" -t set -r 1000000 -n 2000000 -c 50 -P 16 -q 2>&1 | tr '\r' '\n' \
    | awk '/rror/ && errors++ < 3 { print }' >>"${RSS_LOG:-/dev/null}"
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
work=$(mktemp -d /tmp/raftkv-bench-rss.XXXXXX)
export RSS_LOG=$work/load.log
cleanup() {
  for dir in "$work"/target*; do RAFTKV_CLUSTER_DIR=$dir/cluster "$dir/scripts/cluster.sh" stop >/dev/null 2>&1 || true; done
  redis-cli -p "$redis_port" shutdown nosave >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
command -v redis-server >/dev/null && command -v redis-benchmark >/dev/null || { echo "needs redis-server and redis-benchmark (apt-get install redis-server redis-tools)"; exit 0; }

measure() { # label target-dir [VAR=value ...]
  local label=$1 cluster=$2/scripts/cluster.sh
  export RAFTKV_CLUSTER_DIR=$2/cluster
  shift 2
  (
    for setting in "$@"; do export "${setting?}"; done
    "$cluster" clean >/dev/null
    "$cluster" start >/dev/null || { echo "== $label: the cluster did not start"; exit 0; }
    local port=$((RAFTKV_BASE_PORT + $("$cluster" leader 30)))
    : >"$RSS_LOG"
    rss_load "$port"
    sleep 10
    [[ -s $RSS_LOG ]] && { echo "== $label: the load stopped at an error (fewer keys):"; cat "$RSS_LOG"; }
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

# Builds a target: the tree in $2 (sources and cluster.sh), its binaries where cluster.sh looks for them.
build() {
  echo "building RaftKV.Node: $1" >&2
  dotnet build "$2/src/Node/RaftKV.Node.csproj" -c Release -nologo -v q -o "$2/cluster/bin" >&2
  touch "$2/cluster/bin/RaftKV.Node.dll"  # newer than its sources: cluster.sh keeps this build
}
targets=()
labels=()
for rev in ${RSS_REVS:-}; do
  dir=$work/target${#targets[@]}
  mkdir -p "$dir"
  git -C "$root" archive "$rev" src protos scripts/cluster.sh Directory.Build.props Directory.Packages.props global.json | tar -x -C "$dir"
  build "$rev" "$dir"
  targets+=("$dir")
  labels+=("commit $(git -C "$root" rev-parse --short "$rev")")
done
tree=$work/target${#targets[@]}
mkdir -p "$tree/scripts"
(cd "$root" && tar -c --exclude=bin --exclude=obj src protos Directory.Build.props Directory.Packages.props global.json) | tar -x -C "$tree"
cp "$root/scripts/cluster.sh" "$tree/scripts/"
build "working tree" "$tree"

for ((t = 0; t < ${#targets[@]}; t++)); do measure "${labels[t]}" "${targets[t]}"; done
measure "working tree" "$tree"
for variant in ${RSS_VARIANTS:-}; do
  IFS=, read -ra settings <<<"$variant"
  measure "working tree with $variant" "$tree" "${settings[@]}"
done
