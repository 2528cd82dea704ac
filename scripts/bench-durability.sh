#!/usr/bin/env bash
# Durability figures for a loaded 3-node cluster (Release build, loopback). Prints figures; never fails on a number.
#   scripts/bench-durability.sh [keys=1000000] [value-bytes=16]
# Measures: load rate, RSS per node, snapshot time and size (RAFTKV.SNAPSHOT on the leader), worst and p99 write
# latency of a single client while that snapshot runs, restart time of a follower from its snapshot + log, and
# the time a wiped follower takes to catch up by InstallSnapshot.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
keys=${1:-1000000}
size=${2:-16}
export RAFTKV_BASE_PORT=${RAFTKV_BASE_PORT:-16500} RAFTKV_RAFT_BASE_PORT=${RAFTKV_RAFT_BASE_PORT:-17500}
export RAFTKV_GRPC_BASE_PORT=${RAFTKV_GRPC_BASE_PORT:-18500} RAFTKV_CLUSTER_DIR=${RAFTKV_CLUSTER_DIR:-$root/.bench-cluster}
# INSTALL=0 skips the InstallSnapshot step (a snapshot above SnapshotInlineBytes is downloaded by the follower over
# HTTP, outside the Raft request timeout; see the README's Snapshots section).
export RAFTKV__SnapshotIntervalEntries=1000000000
cluster="$root/scripts/cluster.sh"
base=$RAFTKV_BASE_PORT
ms() { echo $(( $(date +%s%N) / 1000000 )); }
rss() { awk '/VmRSS/ {printf "%.0f MiB", $2/1024}' "/proc/$(cat "$RAFTKV_CLUSTER_DIR/node$1/pid")/status"; }
info() { redis-cli -p "$1" info "$2" | tr -d '\r' | grep "^$3:" | cut -d: -f2; }
trap '"$cluster" stop >/dev/null 2>&1 || true' EXIT

"$cluster" clean >/dev/null
"$cluster" start >/dev/null
leader=$("$cluster" leader)
lport=$((base + leader))
echo "cluster up, leader node$leader; loading $keys keys of $size-byte values"

value=$(head -c "$size" /dev/zero | tr '\0' 'x')
t0=$(ms)
awk -v n="$keys" -v v="$value" 'BEGIN { for (i = 0; i < n; i++) { k = "key:" i; printf "*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n", length(k), k, length(v), v } }' \
  | redis-cli -p "$lport" --pipe | tail -1
t1=$(ms)
echo "load: $keys keys in $((t1 - t0)) ms ($((keys * 1000 / (t1 - t0 + 1))) SET/s via redis-cli --pipe)"
echo "dbsize: $(redis-cli -p "$lport" dbsize)"
for ((i = 0; i < 3; i++)); do echo "node$i RSS after load: $(rss $i)"; done

# Snapshot on the leader while one client writes; redis-benchmark's latency summary gives p99 and max.
probe=$(mktemp)
redis-benchmark -p "$lport" -t set -c 1 -n "${PROBE_REQUESTS:-8000}" -r 1000 --precision 2 >"$probe" 2>&1 &
probe_pid=$!
sleep 2
before=$(info "$lport" persistence raft_last_snapshot_ms)
for ((i = 0; i < 3; i++)); do ((i == leader)) || redis-cli -p $((base + i)) raftkv.snapshot >/dev/null; done
t0=$(ms)
redis-cli -p "$lport" raftkv.snapshot >/dev/null
t1=$(ms)
wait "$probe_pid" 2>/dev/null || true
echo "snapshot: $(info "$lport" persistence raft_last_snapshot_bytes) bytes written in $(info "$lport" persistence raft_last_snapshot_ms) ms (RAFTKV.SNAPSHOT answered after $((t1 - t0)) ms; previous $before)"
summary=$(tr '\r' '\n' <"$probe" | grep -A2 "latency summary" | tail -1 || true)
echo "single-client SET during snapshot (avg min p50 p95 p99 max, ms): ${summary:-no summary: $(tail -c 300 "$probe" | tr '\r\n' '  ')}"
rm -f "$probe"

# Restart a follower from its own snapshot + log.
f=$(( (leader + 1) % 3 ))
echo "follower node$f snapshot: $(info $((base + f)) persistence raft_last_snapshot_bytes) bytes in $(info $((base + f)) persistence raft_last_snapshot_ms) ms"
"$cluster" kill "$f" >/dev/null
redis-cli -p "$lport" set after-kill 1 >/dev/null
target=$(info "$lport" raft raft_commit_index)
t0=$(ms)
"$cluster" restart "$f" >/dev/null
until [[ $(info $((base + f)) raft raft_applied_index 2>/dev/null || echo 0) -ge $target ]]; do sleep 0.05; done
t1=$(ms)
echo "follower restart (its snapshot + log tail; process start to caught up): $((t1 - t0)) ms, RSS $(rss "$f")"

# A wiped follower catches up by InstallSnapshot of the whole state.
if [[ ${INSTALL:-1} == 0 ]]; then
  d=$(for ((i = 0; i < 3; i++)); do redis-cli -p $((base + i)) debug digest; done | sort -u | wc -l)
  echo "distinct DEBUG DIGEST values across the 3 nodes: $d"
  exit 0
fi
"$cluster" kill "$f" >/dev/null
redis-cli -p "$lport" raftkv.snapshot >/dev/null
rm -rf "$RAFTKV_CLUSTER_DIR/node$f/data"
target=$(info "$lport" raft raft_commit_index)
t0=$(ms)
"$cluster" restart "$f" >/dev/null
deadline=$(( $(ms) + 600000 ))
until [[ $(info $((base + f)) raft raft_applied_index 2>/dev/null || echo 0) -ge $target ]]; do
  (( $(ms) > deadline )) && { echo "install did not finish in 600 s"; break; }
  sleep 0.1
done
t1=$(ms)
echo "wiped follower caught up by InstallSnapshot in $((t1 - t0)) ms (snapshot downloads on it: $(info $((base + f)) persistence raft_snapshot_downloads_completed), bytes $(info $((base + f)) persistence raft_snapshot_bytes_downloaded); RSS $(rss "$f"))"
d=$(for ((i = 0; i < 3; i++)); do redis-cli -p $((base + i)) debug digest; done | sort -u | wc -l)
echo "distinct DEBUG DIGEST values across the 3 nodes: $d"
