#!/usr/bin/env bash
# Measures a node's start: milliseconds from launching the process to its first +PONG and to /health/ready 200
# (a one-node cluster on a fresh data directory elects itself), the CPU time (user + system) the process used until
# ready (what the start costs, less sensitive than the wall time to other load on the machine), and its resident
# set size (VmRSS) once ready and after 5 s idle. Runs RAFTKV_RUNS (5) times and prints each run and the medians.
#   scripts/start-time.sh [node-folder]
# node-folder holds a published node: a self-contained one (RaftKV.Node executable) or a framework-dependent one
# (RaftKV.Node.dll, run with dotnet). Without it, publishes a self-contained node for linux-x64 into
# .package/start-time (several minutes). Ports: loopback ports below the ephemeral range, locked the way the tests'
# allocator locks them (/tmp/raftkv-test-ports), so a parallel test run does not take them.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
runs=${RAFTKV_RUNS:-5}
bin=${1:-}
if [[ -z $bin ]]; then
  bin=$root/.package/start-time
  dotnet publish "$root/src/Node/RaftKV.Node.csproj" -c Release -r linux-x64 --self-contained -o "$bin" -nologo -v q >/dev/null
fi
if [[ -x $bin/RaftKV.Node ]]; then launch=("$bin/RaftKV.Node"); else launch=(dotnet "$bin/RaftKV.Node.dll"); fi

lockdir=/tmp/raftkv-test-ports
mkdir -p "$lockdir"
ports=()
port=$((20000 + RANDOM % 8000))
while (( ${#ports[@]} < 4 )); do
  port=$((port + 1))
  exec {fd}>"$lockdir/$port.lock"
  if flock -n "$fd" && ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then ports+=("$port"); else exec {fd}>&-; fi
done
resp=${ports[0]} raft=${ports[1]} metrics=${ports[2]} snap=${ports[3]}

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
clk=$(getconf CLK_TCK)
cpu_ms() { awk -v clk="$clk" '{ printf "%.0f", ($14 + $15) * 1000 / clk }' "/proc/$1/stat"; }
rss_mb() { awk '/VmRSS/ { printf "%.0f", $2 / 1024 }' "/proc/$1/status"; }
pong() { (exec 3<>"/dev/tcp/127.0.0.1/$resp" && printf 'PING\r\n' >&3 && IFS= read -r -t 1 line <&3 && [[ $line == +PONG* ]]) 2>/dev/null; }
ready() { [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "http://127.0.0.1:$metrics/health/ready") == 200 ]]; }

work=$(mktemp -d)
pid=
trap '[[ -n $pid ]] && kill "$pid" 2>/dev/null; rm -rf "$work"' EXIT
pongs=() readies=() cpus=() rss_ready=() rss_idle=()
for run in $(seq 1 "$runs"); do
  rm -rf "$work/data"
  start=$(now_ms)
  "${launch[@]}" --RaftKV:RespEndpoint="127.0.0.1:$resp" --RaftKV:RaftEndpoint="127.0.0.1:$raft" \
    --RaftKV:MetricsEndpoint="127.0.0.1:$metrics" --RaftKV:SnapshotTransferEndpoint="127.0.0.1:$snap" \
    --RaftKV:DataDirectory="$work/data" >"$work/node.log" 2>&1 &
  pid=$!
  p= r=
  while [[ -z $r ]]; do
    kill -0 "$pid" 2>/dev/null || { echo "the node exited; log:"; cat "$work/node.log"; exit 1; }
    (( $(now_ms) - start > 120000 )) && { echo "not ready within 120 s; log:"; cat "$work/node.log"; exit 1; }
    [[ -z $p ]] && pong && p=$(( $(now_ms) - start ))
    [[ -n $p ]] && ready && r=$(( $(now_ms) - start ))
    [[ -z $r ]] && sleep 0.01
  done
  c=$(cpu_ms "$pid"); m1=$(rss_mb "$pid"); sleep 5; m2=$(rss_mb "$pid")
  kill -TERM "$pid"; wait "$pid" || true; pid=
  echo "run $run: pong_ms=$p ready_ms=$r cpu_ms=$c rss_ready_mb=$m1 rss_idle_mb=$m2"
  pongs+=("$p") readies+=("$r") cpus+=("$c") rss_ready+=("$m1") rss_idle+=("$m2")
done
median() { printf '%s\n' "$@" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
echo "median of $runs (${launch[*]}): pong_ms=$(median "${pongs[@]}") ready_ms=$(median "${readies[@]}") cpu_ms=$(median "${cpus[@]}") rss_ready_mb=$(median "${rss_ready[@]}") rss_idle_mb=$(median "${rss_idle[@]}")"
