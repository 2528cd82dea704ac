#!/usr/bin/env bash
# Two builds of RaftKV (before and after a change) beside redis-server, in one run. Prints figures; never fails on a number.
#   scripts/bench-compare.sh BEFORE_REV [AFTER_REV=HEAD] [rounds=3] [requests=100000]
# Each revision is built from a clean `git archive` into a temporary folder. Each round starts a 3-node cluster of one
# build, runs redis-benchmark against its leader, stops it, then does the same with the other build and with
# redis-server (appendonly yes, appendfsync always: the durable single-node reference), so the builds alternate and
# share the machine's noise. Tests: SET and GET (-c 50 at -P 1 and -P 16), and EVAL of a one-key script that SETs
# (-c 50 -P 1), `EVAL "return redis.call('SET',KEYS[1],ARGV[1])" 1 key:__rand_int__ value`. A build that does not
# know a command shows "-" (redis-benchmark reports no rate for a test whose every reply is an error).
# The table shows the median over rounds; ratios are after/before and after/redis. Compare ratios of one run.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
before=${1:?usage: scripts/bench-compare.sh BEFORE_REV [AFTER_REV=HEAD] [rounds=3] [requests=100000]}
after=${2:-HEAD}
rounds=${3:-3}
n=${4:-100000}
work=$(mktemp -d /tmp/raftkv-compare.XXXXXX)
redis_port=${RAFTKV_COMPARE_REDIS_PORT:-17800}
export RAFTKV_BASE_PORT=${RAFTKV_BASE_PORT:-17810} RAFTKV_RAFT_BASE_PORT=${RAFTKV_RAFT_BASE_PORT:-18810}
export RAFTKV_GRPC_BASE_PORT=${RAFTKV_GRPC_BASE_PORT:-19810}
cluster="$root/scripts/cluster.sh"
cleanup() {
  for label in before after; do RAFTKV_CLUSTER_DIR=$work/$label "$cluster" stop >/dev/null 2>&1 || true; done
  redis-cli -p "$redis_port" shutdown nosave >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

command -v redis-server >/dev/null && command -v redis-benchmark >/dev/null || { echo "needs redis-server and redis-benchmark (apt-get install redis-server redis-tools)"; exit 0; }
for label in before after; do
  rev=$before; [[ $label == after ]] && rev=$after
  mkdir -p "$work/$label/src" "$work/$label/bin"
  git -C "$root" archive "$rev" | tar -x -C "$work/$label/src" || { echo "cannot read revision $rev"; exit 1; }
  echo "building $label ($(git -C "$root" rev-parse --short "$rev"))" >&2
  dotnet build "$work/$label/src/src/Node/RaftKV.Node.csproj" -c Release -o "$work/$label/bin" -nologo -v q >"$work/$label/build.log" 2>&1 \
    || { tail -20 "$work/$label/build.log"; exit 1; }
  touch "$work/$label/bin/RaftKV.Node.dll"
done
mkdir -p "$work/redis"
redis-server --port "$redis_port" --bind 127.0.0.1 --appendonly yes --appendfsync always --save '' --dir "$work/redis" --daemonize yes >/dev/null

results=$work/results
bench() { # target port label args...
  local target=$1 port=$2 label=$3; shift 3
  # CSV with quoted fields: a custom command's name holds commas (EVAL's script); it is reported by its first word.
  redis-benchmark -p "$port" --csv "$@" 2>/dev/null | python3 -c '
import csv, sys
target, label = sys.argv[1], sys.argv[2]
for row in list(csv.reader(sys.stdin))[1:]:
    try:
        rate = float(row[1])
    except (IndexError, ValueError):
        continue
    if rate > 0:
        print(f"{target} {label}:{row[0].split()[0]} {row[1]}")
' "$target" "$label" >>"$results"
}
suite() { # target port
  redis-cli -p "$2" flushall >/dev/null 2>&1
  bench "$1" "$2" P1 -t set,get -n "$n" -c 50 -P 1 -r 100000
  bench "$1" "$2" P16 -t set,get -n "$n" -c 50 -P 16 -r 100000
  bench "$1" "$2" P1 -n $((n / 2)) -c 50 -P 1 -r 100000 EVAL "return redis.call('SET',KEYS[1],ARGV[1])" 1 key:__rand_int__ value
}
for ((r = 1; r <= rounds; r++)); do
  for label in before after; do
    # The root's scripts/cluster.sh runs the binaries in $RAFTKV_CLUSTER_DIR/bin (built above, newer than any source).
    export RAFTKV_CLUSTER_DIR=$work/$label
    "$cluster" start >/dev/null || { echo "$label cluster did not start (logs in $work/$label/node*/node.log)"; continue; }
    leader=$("$cluster" leader 60) || { echo "$label cluster elected no leader"; "$cluster" stop >/dev/null 2>&1; continue; }
    suite "$label" $((RAFTKV_BASE_PORT + leader))
    "$cluster" stop >/dev/null 2>&1
    rm -rf "$work/$label"/node*
  done
  suite redis "$redis_port"
  echo "round $r of $rounds done" >&2
done

median() { sort -n | awk '{ a[NR] = $1 } END { if (NR == 0) print "-"; else print a[int((NR + 1) / 2)] }'; }
echo "before=$(git -C "$root" rev-parse --short "$before") after=$(git -C "$root" rev-parse --short "$after") rounds=$rounds requests=$n (requests per second, median)"
printf "%-22s %12s %12s %12s %14s %14s\n" test before after redis after/before after/redis
for test in $(awk '{ print $2 }' "$results" | sort -u); do
  b=$(awk -v x="$test" '$1 == "before" && $2 == x { print $3 }' "$results" | median)
  a=$(awk -v x="$test" '$1 == "after" && $2 == x { print $3 }' "$results" | median)
  d=$(awk -v x="$test" '$1 == "redis" && $2 == x { print $3 }' "$results" | median)
  ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a + 0 > 0 && b + 0 > 0) printf "%.2f", a / b; else print "-" }'; }
  printf "%-22s %12s %12s %12s %14s %14s\n" "$test" "$b" "$a" "$d" "$(ratio "$a" "$b")" "$(ratio "$a" "$d")"
done
