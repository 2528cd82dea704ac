#!/usr/bin/env bash
# Leader kill -9 -> first successful write, as real clients see it, on the local cluster from scripts/cluster.sh (must
# be running). Measures, per round, each client:
#   se        StackExchange.Redis, default options, given every node (scripts/client-failover/, a console program)
#   se-load   the same, with a write started every 100 ms after the kill (an application under load) instead of one
#             after another, where a write queued for the dead leader waits out the client's 5 s timeout
#   py        redis-py, redis.sentinel.Sentinel([...every node...]).master_for("raftkv")
#   io        ioredis, new Redis({ sentinels: [...every node...], name: "raftkv" })
#   nr        node-redis, createSentinel({ name: "raftkv", sentinelRootNodes: [...every node...] })
#             (io and nr: tests/Integration.Tests/Clients/node/sentinel-failover.js, after npm ci in that folder)
# The client kills the leader itself (SIGKILL to its pid) and times from the kill to its first acknowledged write; the
# killed node is restarted and rejoins before the next measurement. Prints every sample and the median per client;
# never fails on a number.
#   scripts/client-failover.sh [rounds=3] [clients="se se-load py"]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cluster=${RAFTKV_CLUSTER_SCRIPT:-$root/scripts/cluster.sh}
base=${RAFTKV_BASE_PORT:-6379}
nodes=${RAFTKV_NODES:-3}
dir=${RAFTKV_CLUSTER_DIR:-$root/.cluster}
rounds=${1:-3}
clients=${2:-se se-load py}
probe=$dir/client-failover

endpoints=$(for ((i = 0; i < nodes; i++)); do echo "127.0.0.1:$((base + i))"; done | paste -sd,)

if [[ " $clients " == *" se"* ]]; then
  echo "building scripts/client-failover into $probe" >&2
  dotnet build "$root/scripts/client-failover/ClientFailover.csproj" -c Release -o "$probe" -nologo -v q >&2
fi

# Every node up, exactly one reporting role:master and the others a live link to it.
settled() {
  local masters=0 i info
  for ((i = 0; i < nodes; i++)); do
    info=$(timeout 2 redis-cli -p $((base + i)) INFO replication 2>/dev/null | tr -d '\r') || return 1
    if grep -q '^role:master' <<< "$info"; then masters=$((masters + 1));
    elif ! grep -q '^master_link_status:up' <<< "$info"; then return 1; fi
  done
  ((masters == 1))
}

wait_settled() {
  local deadline=$((SECONDS + 90))
  until settled; do
    ((SECONDS < deadline)) || { echo "cluster did not settle within 90 s" >&2; return 1; }
    sleep 0.5
  done
}

declare -A samples
for ((round = 1; round <= rounds; round++)); do
  for client in $clients; do
    wait_settled
    leader=$("$cluster" leader 30)
    pid=$(cat "$dir/node$leader/pid")
    case $client in
      se) result=$(dotnet "$probe/ClientFailover.dll" "$endpoints" "$pid" 2>/tmp/client-failover.$$.err) || true ;;
      se-load) result=$(CLIENT_FAILOVER_EVERY_MS=100 dotnet "$probe/ClientFailover.dll" "$endpoints" "$pid" 2>/tmp/client-failover.$$.err) || true ;;
      py) result=$(/usr/bin/python3 "$root/scripts/client-failover.py" "$endpoints" "$pid" 2>/tmp/client-failover.$$.err) || true ;;
      io | nr)
        kind=ioredis; [[ $client == nr ]] && kind=node-redis
        ports=$(tr ',' '\n' <<< "$endpoints" | sed 's/.*://' | paste -sd,)
        result=$(node "$root/tests/Integration.Tests/Clients/node/sentinel-failover.js" "$kind" "$ports" 90 "pid:$pid" 2>/tmp/client-failover.$$.err \
          | awk '$1 == "after" { print $3 " wrote through port " $2 } $1 == "FAILED:" { print "n/a: " $0 }') || true ;;
      *) echo "unknown client $client (se, se-load, py, io, nr)" >&2; exit 2 ;;
    esac
    ms=${result%% *}
    sed 's/^/    /' /tmp/client-failover.$$.err | head -3
    if [[ $ms == n/a:* ]]; then
      echo "round $round $client: $result"
      continue
    fi
    [[ $ms =~ ^[0-9]+$ ]] || ms=90000
    echo "round $round $client: leader node$leader killed; first write after $ms ms (${result#* })"
    samples[$client]+="$ms "
    "$cluster" restart "$leader" >/dev/null
  done
done
rm -f /tmp/client-failover.$$.err

for client in $clients; do
  [[ -n ${samples[$client]:-} ]] || { echo "$client: no sample (the client never wrote before a kill)"; continue; }
  sorted=$(tr ' ' '\n' <<< "${samples[$client]}" | grep . | sort -n | tr '\n' ' ')
  median=$(tr ' ' '\n' <<< "$sorted" | grep . | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : int((a[NR / 2] + a[NR / 2 + 1]) / 2) }')
  echo "$client: median $median ms over $rounds rounds (sorted: $sorted)"
done
