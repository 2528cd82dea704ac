#!/usr/bin/env bash
# Runs Redis's own Tcl test suite (external-server mode, unmodified) against a 3-node RaftKV cluster and against a
# reference redis-server in the same run, and reports how much of what redis-server passes RaftKV passes.
#   scripts/redis-suite.sh REDIS_SRC_DIR [unit ...]
# REDIS_SRC_DIR is an unpacked Redis 7.0.15 source tree (its tests/ and runtest are used in place; never copy it into
# this repository). Units are names under tests/unit without .tcl (type/string, keyspace, ...); the default is the
# list below.
# Needs: the .NET SDK (global.json), tclsh 8.5+ and redis-server 7.0.x on PATH, ss (iproute2), GNU timeout:
#   apt-get install tcl redis-server
# Environment:
#   RAFTKV_SUITE_DIR=.suite            work dir: cluster (binaries, data), redis-server dir, runs/ (gitignored)
#   RAFTKV_SUITE_OUT=<dir>/runs/<time> where raw logs, summary.txt and failing.txt go
#   RAFTKV_SUITE_UNIT_TIMEOUT=3600     hard limit in seconds per unit and server (the whole run is bounded by it)
#   RAFTKV_SUITE_STALL=1200            runtest --timeout: abort a unit after this many seconds without progress; 1200 is
#                                      the suite's own default (test_helper.tcl), the yardstick the issue names
#   REDIS_SERVER=redis-server          the reference server binary
#   RAFTKV__ElectionTimeoutMinMs=2000, RAFTKV__ElectionTimeoutMaxMs=4000, RAFTKV__RaftRequestTimeoutMs=1500
#                                      longer than the node defaults: the suite measures command compatibility, and an
#                                      election on a loaded machine turns every test it overlaps into CLUSTERDOWN
#   RAFTKV_SUITE_RUNTEST_ARGS=""       extra runtest flags for both servers, e.g. --durable (an error inside a test
#                                      fails that test instead of aborting the unit) or --verbose
# A RaftKV test counts as passed only if the same test (by name) also passed on redis-server.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
if [[ $# -lt 1 || ! -f ${1:-}/tests/test_helper.tcl ]]; then
  echo "usage: $0 REDIS_SRC_DIR [unit ...]   (REDIS_SRC_DIR must contain tests/test_helper.tcl)" >&2
  exit 2
fi
src=$(cd "$1" && pwd); shift
default_units=(type/string type/incr type/hash type/list type/list-2 type/list-3 type/set type/zset type/stream
  type/stream-cgroups keyspace expire scan sort other info-command protocol introspection introspection-2 bitops geo
  hyperloglog querybuf latency-monitor dump lazyfree info)
if [[ $# -gt 0 ]]; then units=("$@"); else units=("${default_units[@]}"); fi
for u in "${units[@]}"; do
  [[ -f $src/tests/unit/$u.tcl ]] || { echo "no such unit: $src/tests/unit/$u.tcl" >&2; exit 2; }
done

dir=${RAFTKV_SUITE_DIR:-$root/.suite}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
out=${RAFTKV_SUITE_OUT:-$dir/runs/$(date +%Y%m%d-%H%M%S)}
unit_timeout=${RAFTKV_SUITE_UNIT_TIMEOUT:-3600}
stall=${RAFTKV_SUITE_STALL:-1200}
# runtest's own test server listens on a free port in baseport-32..baseport-1 (probing that port + 10000 too); a
# random baseport keeps two concurrent runs (or another checkout's) from racing for the same port.
runtest_baseport=$((22000 + RANDOM % 8000))
read -ra extra_args <<< "${RAFTKV_SUITE_RUNTEST_ARGS:-}"
redis_server=${REDIS_SERVER:-redis-server}
tclsh=$(command -v tclsh8.7 || command -v tclsh8.6 || command -v tclsh8.5 || command -v tclsh || true)
[[ -n $tclsh ]] || { echo "tclsh not found (apt-get install tcl)" >&2; exit 2; }
command -v "$redis_server" >/dev/null || { echo "$redis_server not found (apt-get install redis-server)" >&2; exit 2; }
mkdir -p "$out"
out=$(cd "$out" && pwd)

# Finds N consecutive free loopback ports in 10000-17999 (below Linux's ephemeral range, 32768-60999 by default, where
# a node's own outgoing connections took the port chosen for redis-server once: "Address already in use"; away from
# runtest's own 21079-21110, 22000-29999 and 31079-31110, and leaving room for cluster.sh's metrics ports, RESP + 3000)
# that are not already handed out in this run.
taken=" "
free_ports() {
  local n=$1 base k busy listening
  listening=$(ss -Hltn 2>/dev/null | awk '{print $4}' | sed 's/.*://' | sort -u)
  for _ in $(seq 1 200); do
    base=$((10000 + RANDOM % 8000))
    busy=0
    for ((k = 0; k < n; k++)); do
      if grep -qx "$((base + k))" <<< "$listening" || [[ $taken == *" $((base + k)) "* ]]; then busy=1; break; fi
    done
    if ((busy == 0)); then
      for ((k = 0; k < n; k++)); do taken+="$((base + k)) "; done
      echo "$base"; return 0
    fi
  done
  echo "no free port block of $n found" >&2
  return 1
}

export RAFTKV_NODES=3
export RAFTKV__ElectionTimeoutMinMs=${RAFTKV__ElectionTimeoutMinMs:-2000}
export RAFTKV__ElectionTimeoutMaxMs=${RAFTKV__ElectionTimeoutMaxMs:-4000}
export RAFTKV__RaftRequestTimeoutMs=${RAFTKV__RaftRequestTimeoutMs:-1500}
export RAFTKV_CLUSTER_DIR=$dir/cluster
RAFTKV_BASE_PORT=$(free_ports 3); export RAFTKV_BASE_PORT
RAFTKV_RAFT_BASE_PORT=$(free_ports 3); export RAFTKV_RAFT_BASE_PORT
RAFTKV_GRPC_BASE_PORT=$(free_ports 3); export RAFTKV_GRPC_BASE_PORT
redis_port=$(free_ports 1)
cluster="$root/scripts/cluster.sh"

redis_pid=""
runtest_pid=""
stop_redis() {
  if [[ -n $redis_pid ]]; then
    kill -TERM "$redis_pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$redis_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$redis_pid" 2>/dev/null || true
    wait "$redis_pid" 2>/dev/null || true
  fi
  redis_pid=""
}
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [[ -n $runtest_pid ]]; then kill -TERM "$runtest_pid" 2>/dev/null || true; wait "$runtest_pid" 2>/dev/null || true; fi
  stop_redis
  "$cluster" stop >/dev/null 2>&1 || true
  exit "$rc"
}
trap cleanup EXIT
trap 'echo "interrupted" >&2; exit 130' INT TERM

resp_ping() { timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1 && printf 'PING\r\n' >&3 && head -c 7 <&3" 2>/dev/null | grep -q PONG; }

start_redis() {
  rm -rf "$dir/redis"
  mkdir -p "$dir/redis"
  # The flags of redis's own external-server CI job (.github/workflows/external.yml), without persistence.
  (cd "$dir/redis" && exec "$redis_server" --port "$redis_port" --bind 127.0.0.1 --dir "$dir/redis" \
      --save '' --appendonly no --enable-protected-configs yes --enable-debug-command yes \
      --enable-module-command yes --logfile "$dir/redis/redis.log") &
  redis_pid=$!
  for _ in $(seq 1 100); do resp_ping "$redis_port" && return 0; sleep 0.1; done
  echo "redis-server did not answer PING on $redis_port; see $dir/redis/redis.log" >&2
  return 1
}

"$cluster" clean >/dev/null
"$cluster" start >&2
echo "RaftKV RESP ports $RAFTKV_BASE_PORT-$((RAFTKV_BASE_PORT + 2)), redis-server $redis_port, logs in $out" >&2

# Runs one unit against one server; the log is $out/<target>/<unit>.log and ends with "### exit <code>".
run_unit() {
  local target=$1 port=$2 unit=$3 log
  log=$out/$target/$unit.log
  mkdir -p "$(dirname "$log")"
  # GNU timeout signals its whole process group, which includes the test client runtest spawns.
  (cd "$src" && exec timeout -k 10 "$unit_timeout" "$tclsh" tests/test_helper.tcl --host 127.0.0.1 --port "$port" \
      --singledb --ignore-encoding --ignore-digest --tags -needs:repl --single "unit/$unit" --timeout "$stall" \
      --baseport "$runtest_baseport" ${extra_args[@]+"${extra_args[@]}"} </dev/null >"$log" 2>&1) &
  runtest_pid=$!
  local rc=0
  wait "$runtest_pid" || rc=$?
  runtest_pid=""
  echo "### exit $rc" >>"$log"
}

# Keeps the cluster whole between units: a node that exited is reported and restarted.
check_cluster() {
  local i notes=""
  for ((i = 0; i < 3; i++)); do
    if ! kill -0 "$(cat "$RAFTKV_CLUSTER_DIR/node$i/pid" 2>/dev/null || echo 0)" 2>/dev/null; then
      notes+="node$i exited; "
      "$cluster" restart "$i" >/dev/null 2>&1 || true
    fi
  done
  echo "$notes"
}

declare -A node_notes
for u in "${units[@]}"; do
  # A fresh redis-server per unit: a unit cut short by a timeout can leave a config it changed (appendonly yes) or a
  # stuck background rewrite behind, which would fail every later unit.
  stop_redis
  start_redis
  echo "[$u] redis-server ..." >&2
  run_unit redis "$redis_port" "$u"
  # A fresh RaftKV cluster per unit too, for the same reason (a unit aborted half way through its maxmemory or
  # CONFIG SET tests left them set on the cluster, and every later unit failed on them).
  if ((${#units[@]} > 1)); then
    "$cluster" clean >/dev/null
    "$cluster" start >/dev/null 2>&1 || echo "[$u] RaftKV cluster did not start" >&2
  fi
  leader=$("$cluster" leader 60 2>/dev/null) || leader=0
  echo "[$u] RaftKV (leader node$leader) ..." >&2
  run_unit raftkv $((RAFTKV_BASE_PORT + leader)) "$u"
  node_notes[$u]=$(check_cluster)
done

# Names of tests with the given status in a log ("ok" or "err"), one per line, sorted (duplicates kept).
names() {
  sed 's/\x1b\[[0-9;]*m//g' "$2" | awk -v s="$1" '
    s == "ok"  && /^\[ok\]: /  { l = substr($0, 7); sub(/ \([0-9]+ ms\)$/, "", l); print l }
    s == "err" && /^\[err\]: / { l = substr($0, 8); sub(/ in tests\/unit\/[^ ]*\.tcl$/, "", l); print l }' | LC_ALL=C sort
}

# Why a run stopped early, or empty if it ran to the end.
abort_reason() {
  local log=$1 clean rc
  clean=$(sed 's/\x1b\[[0-9;]*m//g' "$log")
  rc=$(grep -o '^### exit [0-9]*' <<< "$clean" | tail -1 | awk '{print $3}')
  if grep -q '^\[exception\]' <<< "$clean"; then
    grep -m1 '^\[exception\]' <<< "$clean" | sed 's/^\[exception\]: Executing test client: //' | cut -c1-150
  elif [[ $rc == 124 || $rc == 137 ]]; then
    echo "killed after ${unit_timeout}s (hard per-unit timeout)"
  elif grep -q '^\[TIMEOUT\]' <<< "$clean"; then
    echo "no progress for ${stall}s: $(grep -m1 -A1 '^\[TIMEOUT\]' <<< "$clean" | tail -1 | cut -c1-120)"
  elif ! grep -q 'All tests passed\|tests failed' <<< "$clean"; then
    echo "exit $rc: $(grep -v '^### exit' <<< "$clean" | grep -v '^\s*$' | tail -1 | cut -c1-140)"
  fi
}

summary=$out/summary.txt
failing=$out/failing.txt
: >"$failing"
total_redis=0 total_both=0 total_fail=0 total_missed=0 aborted_units=0
{
  # raftkv_ok: passed on both; not_run: passed on redis-server, neither passed nor failed on RaftKV (not reached).
  printf '%-22s %8s %8s %9s %9s %7s  %s\n' unit redis_ok redis_err raftkv_ok raftkv_err not_run "aborted (reason)"
  for u in "${units[@]}"; do
    r_log=$out/redis/$u.log k_log=$out/raftkv/$u.log
    r_ok=$(names ok "$r_log") k_ok=$(names ok "$k_log") k_err=$(names err "$k_log")
    n_r_ok=$(grep -c . <<< "$r_ok" || true)
    n_r_err=$(names err "$r_log" | grep -c . || true)
    both=$(LC_ALL=C comm -12 <(echo "$r_ok") <(echo "$k_ok") | grep -c . || true)
    n_k_err=$(grep -c . <<< "$k_err" || true)
    missed=$(LC_ALL=C comm -23 <(echo "$r_ok") <(echo "$k_ok") | LC_ALL=C comm -23 - <(echo "$k_err") | grep . || true)
    n_missed=$(grep -c . <<< "$missed" || true)
    reason=$(abort_reason "$k_log")
    r_reason=$(abort_reason "$r_log")
    [[ -n $r_reason ]] && reason+="${reason:+; }redis-server run also aborted: $r_reason"
    [[ -n ${node_notes[$u]} ]] && reason+="${reason:+; }${node_notes[$u]}"
    # Tests that failed because the cluster had no leader say nothing about compatibility; say how many there were.
    unavailable=$(sed 's/\x1b\[[0-9;]*m//g' "$k_log" | grep -A2 '^\[err\]' | grep -c '^CLUSTERDOWN' || true)
    ((unavailable > 0)) && reason+="${reason:+; }$unavailable failed with CLUSTERDOWN (no leader)"
    [[ -n $reason ]] && aborted_units=$((aborted_units + 1))
    printf '%-22s %8d %8d %9d %9d %7d  %s\n' "$u" "$n_r_ok" "$n_r_err" "$both" "$n_k_err" "$n_missed" "${reason:--}"
    total_redis=$((total_redis + n_r_ok)) total_both=$((total_both + both)) total_fail=$((total_fail + n_k_err))
    total_missed=$((total_missed + n_missed))
    {
      echo "## $u${reason:+ (aborted: $reason)}"
      [[ -n $k_err ]] && sed 's/^/FAIL /' <<< "$k_err"
      # Passed on redis-server but not on RaftKV without an [err]: not reached (abort) or skipped.
      [[ -n $missed ]] && sed 's/^/MISS /' <<< "$missed"
      true
    } >>"$failing"
  done
  pct=0
  ((total_redis > 0)) && pct=$(awk -v a="$total_both" -v b="$total_redis" 'BEGIN { printf "%.1f", 100 * a / b }')
  printf '%-22s %8d %8s %9d %9d %7d  %d of %d units aborted on RaftKV\n' TOTAL "$total_redis" "" "$total_both" \
    "$total_fail" "$total_missed" "$aborted_units" "${#units[@]}"
  echo "RaftKV passes $total_both of the $total_redis tests redis-server passes: $pct%"
} | tee "$summary"
echo "raw logs: $out/{redis,raftkv}/<unit>.log; table: $summary; failing/missed tests per unit: $failing"
