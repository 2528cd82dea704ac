#!/usr/bin/env bash
# A local RaftKV cluster on 127.0.0.1.
#   scripts/cluster.sh start|stop|status|leader|kill N|restart N|add N|remove N|clean
# add N starts node N (ports base+N like the others) with an empty data directory in Join mode, adds it through the
# leader (RAFTKV.MEMBER.ADD) and returns once it is a voting member; remove N removes it through the leader and stops
# it. stop, status and clean cover added nodes too.
# RAFTKV_NODES=3 (or 5), RAFTKV_BASE_PORT=6379 (RESP ports base..base+n-1), RAFTKV_RAFT_BASE_PORT=7379,
# RAFTKV_GRPC_BASE_PORT=50051, RAFTKV_METRICS_BASE_PORT=base+3000 (9379: /metrics and /health/*),
# RAFTKV_CLUSTER_DIR=.cluster (binaries, data, logs, pids; gitignored).
# Extra node settings pass through the environment as RAFTKV__Name=value.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
nodes=${RAFTKV_NODES:-3}
base=${RAFTKV_BASE_PORT:-6379}
raft_base=${RAFTKV_RAFT_BASE_PORT:-7379}
grpc_base=${RAFTKV_GRPC_BASE_PORT:-50051}
metrics_base=${RAFTKV_METRICS_BASE_PORT:-$((base + 3000))}
dir=${RAFTKV_CLUSTER_DIR:-$root/.cluster}
bin=$dir/bin

members() {
  local list="" i
  for ((i = 0; i < nodes; i++)); do list+="${list:+,}127.0.0.1:$((raft_base + i))"; done
  echo "$list"
}

build() {
  if [[ ! -f $bin/RaftKV.Node.dll || -n $(find "$root/src" -newer "$bin/RaftKV.Node.dll" -name '*.cs' -o -newer "$bin/RaftKV.Node.dll" -name '*.csproj' -o -newer "$bin/RaftKV.Node.dll" -name '*.json' | head -1) ]]; then
    echo "building RaftKV.Node (Release) into $bin" >&2
    dotnet build "$root/src/Node/RaftKV.Node.csproj" -c Release -o "$bin" -nologo -v q >&2
    touch "$bin/RaftKV.Node.dll"  # an up-to-date incremental build keeps the old timestamp
  fi
}

# Sends one inline command over bash's /dev/tcp and prints the raw reply (no redis-cli needed); over openssl s_client
# when the nodes run RESP over TLS (RAFTKV__Tls__Resp=true, the CA in RAFTKV__Tls__CaPath).
resp() {
  local port=$1; shift
  local wait=${RESP_TIMEOUT:-2}
  if [[ ${RAFTKV__Tls__Resp:-false} == true ]]; then
    printf '%s\r\nQUIT\r\n' "$*" | timeout "$wait" openssl s_client -quiet -connect "127.0.0.1:$port" -CAfile "${RAFTKV__Tls__CaPath:-}" 2>/dev/null || true
    return
  fi
  timeout "$wait" bash -c "exec 3<>/dev/tcp/127.0.0.1/$port && printf '%s\r\nQUIT\r\n' \"$*\" >&3 && cat <&3" 2>/dev/null || true
}

# Every node this cluster has: the first $nodes, and any added with "add N" (a node directory with a join file).
node_ids() {
  local ids=() i d
  for ((i = 0; i < nodes; i++)); do ids+=("$i"); done
  for d in "$dir"/node*; do
    [[ -f $d/join ]] || continue
    i=${d##*/node}
    [[ " ${ids[*]} " == *" $i "* ]] || ids+=("$i")
  done
  printf '%s\n' "${ids[@]}" | sort -n
}

pid_of() { cat "$dir/node$1/pid" 2>/dev/null || true; }

running() { local pid; pid=$(pid_of "$1"); [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; }

start_node() {
  local i=$1 n=$dir/node$1
  if running "$i"; then return; fi
  mkdir -p "$n"
  local -a member_args=()
  if [[ -f $n/join ]]; then
    # Added with "add N": waits to be added (its stored membership takes over once it has one).
    member_args+=("--RaftKV:Join=true")
  else
    local list; list=$(members)
    local j=0
    IFS=, read -ra all <<< "$list"
    for m in "${all[@]}"; do member_args+=("--RaftKV:Members:$j=$m"); j=$((j + 1)); done
  fi
  # DOTNET_GCgen0size: the gen0 budget (README, Configuration: runtime settings); only the environment sets it.
  (cd "$n" && export DOTNET_GCgen0size="${DOTNET_GCgen0size:-0x4000000}" && exec nohup dotnet "$bin/RaftKV.Node.dll" \
      --RaftKV:NodeId="node$i" \
      --RaftKV:RespEndpoint="127.0.0.1:$((base + i))" \
      --RaftKV:RaftEndpoint="127.0.0.1:$((raft_base + i))" \
      --RaftKV:GrpcEndpoint="127.0.0.1:$((grpc_base + i))" \
      --RaftKV:MetricsEndpoint="127.0.0.1:$((metrics_base + i))" \
      --RaftKV:DataDirectory="$n/data" \
      "${member_args[@]}" >>"$n/node.log" 2>&1 &
    echo $! > "$n/pid")
}

leader() {
  local i
  for i in $(node_ids); do
    running "$i" || continue
    if resp $((base + i)) "INFO replication" | grep -q 'role:master'; then echo "$i"; return 0; fi
  done
  return 1
}

# Sends a membership command to the leader (found again after a leader change) and prints its reply line.
on_leader() {
  local l reply
  l=$(wait_leader 60) || return 1
  reply=$(RESP_TIMEOUT=${MEMBERSHIP_TIMEOUT:-90} resp $((base + l)) "$*" | head -1 | tr -d '\r')
  echo "$reply"
  [[ $reply == +OK ]]
}

members_count() { resp $((base + $1)) "INFO raft" | grep -o 'raft_members_count:[0-9]*' | cut -d: -f2; }

add_node() {
  local i=$1 n=$dir/node$1
  if running "$i"; then echo "node$i is already running" >&2; return 1; fi
  if [[ -d $n/data && -n $(ls -A "$n/data" 2>/dev/null) ]]; then
    echo "node$i has data in $n/data: a new member starts empty (remove the directory first)" >&2
    return 1
  fi
  build
  mkdir -p "$n"
  touch "$n/join"
  start_node "$i"
  local k
  for ((k = 0; k < 300; k++)); do
    [[ $(resp $((base + i)) PING) == *PONG* ]] && break
    sleep 0.2
  done
  echo "adding node$i (raft 127.0.0.1:$((raft_base + i)), RESP 127.0.0.1:$((base + i)))"
  if ! on_leader "RAFTKV.MEMBER.ADD 127.0.0.1:$((raft_base + i)) 127.0.0.1:$((base + i))"; then
    echo "adding node$i failed; it is still running in Join mode (logs: $n/node.log)" >&2
    return 1
  fi
  # +OK means the configuration with node N is committed; wait until node N has applied it too.
  local want; want=$(members_count "$(wait_leader 30)")
  for ((k = 0; k < 300; k++)); do
    [[ $(members_count "$i") == "$want" ]] && { echo "node$i is a voting member ($want members)"; return 0; }
    sleep 0.2
  done
  echo "node$i was added but has not applied the new membership yet" >&2
  return 1
}

remove_node() {
  local i=$1
  echo "removing node$i (raft 127.0.0.1:$((raft_base + i)))"
  on_leader "RAFTKV.MEMBER.REMOVE 127.0.0.1:$((raft_base + i))" || { echo "removing node$i failed" >&2; return 1; }
  # The removed node learns it (from the committed change, or by asking the others' leader) and marks its data
  # directory so that it is never reused; give it a moment to do so before stopping it.
  local k
  for ((k = 0; k < 100; k++)); do
    [[ -f $dir/node$i/data/REMOVED ]] && break
    running "$i" || break
    sleep 0.2
  done
  stop_node "$i"
  echo "node$i removed and stopped"
}

stop_node() {
  local i=$1 k
  if running "$i"; then kill -TERM "$(pid_of "$i")"; fi
  for ((k = 0; k < 100; k++)); do running "$i" || break; sleep 0.1; done
  if running "$i"; then kill -KILL "$(pid_of "$i")"; fi
  rm -f "$dir/node$i/pid"
}

wait_leader() {
  local deadline=$((SECONDS + ${1:-60}))
  while ((SECONDS < deadline)); do
    if l=$(leader); then echo "$l"; return 0; fi
    sleep 0.3
  done
  echo "no leader elected within ${1:-60}s; logs are in $dir/node*/node.log" >&2
  return 1
}

status() {
  local i
  for i in $(node_ids); do
    local state="stopped" role=""
    if running "$i"; then
      state="running (pid $(pid_of "$i"))"
      role=$(resp $((base + i)) "INFO replication" | grep -o 'role:[a-z]*' | head -1 || true)
    fi
    echo "node$i resp=127.0.0.1:$((base + i)) raft=127.0.0.1:$((raft_base + i)) grpc=127.0.0.1:$((grpc_base + i)) metrics=http://127.0.0.1:$((metrics_base + i))/metrics $state $role"
  done
}

case "${1:-}" in
  start)
    build
    for ((i = 0; i < nodes; i++)); do start_node "$i"; done
    l=$(wait_leader 90)
    status
    echo "leader: node$l (RESP 127.0.0.1:$((base + l)))"
    ;;
  stop)
    ids=$(node_ids)
    for i in $ids; do if running "$i"; then kill -TERM "$(pid_of "$i")"; fi; done
    for ((k = 0; k < 100; k++)); do
      alive=0
      for i in $ids; do if running "$i"; then alive=1; fi; done
      ((alive == 0)) && break
      sleep 0.1
    done
    for i in $ids; do if running "$i"; then kill -KILL "$(pid_of "$i")"; fi; rm -f "$dir/node$i/pid"; done
    echo "stopped"
    ;;
  status) status ;;
  leader) wait_leader "${2:-30}" ;;
  kill)
    [[ -n ${2:-} ]] || { echo "usage: $0 kill N" >&2; exit 2; }
    if running "$2"; then kill -KILL "$(pid_of "$2")"; echo "killed node$2"; fi
    ;;
  restart)
    [[ -n ${2:-} ]] || { echo "usage: $0 restart N" >&2; exit 2; }
    build
    if running "$2"; then
      kill -KILL "$(pid_of "$2")"
      # A large heap takes a while to exit; start_node would skip a node whose process is still there.
      for _ in $(seq 1 100); do running "$2" || break; sleep 0.1; done
      if running "$2"; then echo "node$2 did not exit after kill -9" >&2; exit 1; fi
    fi
    start_node "$2"
    echo "restarted node$2"
    ;;
  add)
    [[ -n ${2:-} ]] || { echo "usage: $0 add N" >&2; exit 2; }
    add_node "$2"
    ;;
  remove)
    [[ -n ${2:-} ]] || { echo "usage: $0 remove N" >&2; exit 2; }
    remove_node "$2"
    ;;
  clean)
    "$0" stop >/dev/null
    rm -rf "$dir"/node*
    echo "removed cluster data under $dir"
    ;;
  *)
    echo "usage: $0 start|stop|status|leader|kill N|restart N|add N|remove N|clean" >&2
    exit 2
    ;;
esac
