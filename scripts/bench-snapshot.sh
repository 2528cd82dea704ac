#!/usr/bin/env bash
# Write latency while a snapshot is written (issue 6, Scale), for this working tree and optionally older commits in the
# same run. Prints figures; never fails on a number.
#   scripts/bench-snapshot.sh [keys=1000000] [value-bytes=16]
#   SNAP_REVS="<commit> ..." also measures each commit, built from `git archive` in a temp folder (before vs after).
# One-node cluster (the leader's own applies are what a snapshot can stall; followers' do not delay commits), snapshots
# only on demand. Loads keys of mixed types, a fifth each: string, hash of 4 fields, list of 4, set of 4, zset of 4,
# every value or element value-bytes long (16: about 1M keys in 100 MB; 300: about 1 GB of snapshot). Then a
# single-client SET probe (scripts/latency-probe.py) runs while RAFTKV.SNAPSHOT writes a snapshot; it prints the probe's
# p50/p99/max before and during the snapshot, the snapshot's time, size and copied-on-write keys, RSS (now and peak),
# and the restart time after kill -9 (process start to the first GET served).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
keys=${1:-1000000}
size=${2:-16}
export RAFTKV_NODES=1 RAFTKV_BASE_PORT=${RAFTKV_BASE_PORT:-16600} RAFTKV_RAFT_BASE_PORT=${RAFTKV_RAFT_BASE_PORT:-17600}
export RAFTKV_GRPC_BASE_PORT=${RAFTKV_GRPC_BASE_PORT:-18600}
export RAFTKV__SnapshotIntervalEntries=1000000000
# The working tree's cluster (binaries and data) goes to RAFTKV_CLUSTER_DIR when set; older commits' to temp folders.
tree_cluster=${RAFTKV_CLUSTER_DIR:-$root/.bench-snapshot}
cluster="$root/scripts/cluster.sh"
port=$RAFTKV_BASE_PORT
ms() { echo $(( $(date +%s%N) / 1000000 )); }
status() { awk -v k="$2" '$1 == k":" {printf "%.0f MiB", $2/1024}' "/proc/$(cat "$RAFTKV_CLUSTER_DIR/node0/pid")/status"; }
info() { redis-cli -p "$port" info "$1" | tr -d '\r' | grep "^$2:" | cut -d: -f2; }
trap '"$cluster" stop >/dev/null 2>&1 || true' EXIT

load() {
  local value; value=$(head -c "$size" /dev/zero | tr '\0' 'x')
  awk -v n="$keys" -v v="$value" 'function bulk(s) { return sprintf("$%d\r\n%s\r\n", length(s), s) }
    BEGIN {
      for (i = 0; i < n; i++) {
        k = "key:" i; t = i % 5
        if (t == 0) printf "*3\r\n$3\r\nSET\r\n%s%s", bulk(k), bulk(v)
        else if (t == 1) printf "*10\r\n$4\r\nHSET\r\n%s%s%s%s%s%s%s%s%s", bulk(k), bulk("f0"), bulk(v), bulk("f1"), bulk(v), bulk("f2"), bulk(v), bulk("f3"), bulk(v)
        else if (t == 2) printf "*6\r\n$5\r\nRPUSH\r\n%s%s%s%s%s", bulk(k), bulk(v), bulk(v), bulk(v), bulk(v)
        else if (t == 3) printf "*6\r\n$4\r\nSADD\r\n%s%s%s%s%s", bulk(k), bulk("0" v), bulk("1" v), bulk("2" v), bulk("3" v)
        else printf "*10\r\n$4\r\nZADD\r\n%s%s%s%s%s%s%s%s%s", bulk(k), bulk("1"), bulk("0" v), bulk("2"), bulk("1" v), bulk("3"), bulk("2" v), bulk("4"), bulk("3" v)
      }
    }' | redis-cli -p "$port" --pipe | tail -1
}

measure() {
  local label=$1
  export RAFTKV_CLUSTER_DIR=$2
  "$cluster" clean >/dev/null
  "$cluster" start >/dev/null
  until [[ $(redis-cli -p "$port" set ready 1 2>/dev/null) == OK ]]; do sleep 0.2; done
  echo "== $label: loading $keys keys of mixed types, $size-byte values"
  local t0 t1; t0=$(ms); load; t1=$(ms)
  echo "load: $((t1 - t0)) ms; dbsize $(redis-cli -p "$port" dbsize); RSS $(status 0 VmRSS)"

  # Two snapshots: the first one's allocations also promote the freshly loaded data to the old generation, which costs
  # GC pauses of up to ~100 ms that any allocation would trigger (they show in the probe before the snapshot too); the
  # second shows a snapshot of a settled heap.
  local round
  for round in 1 2; do
    local probe; probe=$(mktemp)
    "$root/scripts/latency-probe.py" --port "$port" --out "$probe" &
    local probe_pid=$!
    sleep 3
    local from; from=$(date +%s%N); t0=$(ms)
    redis-cli -p "$port" raftkv.snapshot >/dev/null
    local to; to=$(date +%s%N); t1=$(ms)
    sleep 2
    kill -TERM "$probe_pid"; wait "$probe_pid" || true
    echo "snapshot $round: $(info persistence raft_last_snapshot_bytes) bytes in $(info persistence raft_last_snapshot_ms) ms," \
      "$(info persistence raft_last_snapshot_cow_keys || echo n/a) keys copied on write, longest slice" \
      "$(info persistence raft_last_snapshot_longest_slice_us || echo n/a) us (RAFTKV.SNAPSHOT answered after $((t1 - t0)) ms)"
    echo "  writer allocated $(info persistence raft_last_snapshot_allocated_bytes || echo n/a) bytes; GC meanwhile:" \
      "gen0,gen1,gen2 collections $(info persistence raft_last_snapshot_gc_collections || echo n/a)," \
      "paused $(info persistence raft_last_snapshot_gc_pause_us || echo n/a) us in all," \
      "longest pause $(info persistence raft_last_snapshot_gc_longest_pause_us || echo n/a) us"
    "$root/scripts/latency-probe.py" --summarize "$probe" --from "$from" --to "$to" | sed 's/^/  single-client SET /'
    rm -f "$probe"
  done
  echo "RSS after snapshots $(status 0 VmRSS), peak $(status 0 VmHWM); on disk: log $(du -smc "$RAFTKV_CLUSTER_DIR"/node0/data/log "$RAFTKV_CLUSTER_DIR"/node0/data/wal 2>/dev/null | tail -n 1 | cut -f1) MiB, snapshots $(du -sm "$RAFTKV_CLUSTER_DIR/node0/data/snapshots" | cut -f1) MiB"

  # A killed process with a large heap takes a while to go, and cluster.sh does not start a node whose pid still runs.
  local pid; pid=$(cat "$RAFTKV_CLUSTER_DIR/node0/pid")
  "$cluster" kill 0 >/dev/null
  while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
  t0=$(ms)
  "$cluster" restart 0 >/dev/null
  until [[ -n $(redis-cli -p "$port" get key:0 2>/dev/null | grep -v -e '^$' -e ERR -e CLUSTERDOWN || true) ]]; do sleep 0.05; done
  t1=$(ms)
  echo "restart after kill -9 (process start to first GET served, includes a 1-2 s election): $((t1 - t0)) ms; RSS $(status 0 VmRSS)"
  "$cluster" clean >/dev/null
}

for rev in ${SNAP_REVS:-}; do
  dir=$(mktemp -d)
  echo "building RaftKV.Node at $rev ($(git -C "$root" rev-parse --short "$rev"))" >&2
  git -C "$root" archive "$rev" src protos Directory.Build.props Directory.Packages.props global.json | tar -x -C "$dir"
  dotnet build "$dir/src/Node/RaftKV.Node.csproj" -c Release -nologo -v q -o "$dir/cluster/bin" >&2
  touch "$dir/cluster/bin/RaftKV.Node.dll"  # newer than the working tree: cluster.sh keeps this build
  measure "commit $(git -C "$root" rev-parse --short "$rev")" "$dir/cluster"
  rm -rf "$dir"
done
measure "working tree" "$tree_cluster"
