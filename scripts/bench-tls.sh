#!/usr/bin/env bash
# The cost of TLS on the RESP port: redis-benchmark SET/GET against one RaftKV node, plaintext and TLS, in one run.
#   scripts/bench-tls.sh [rounds=3] [requests=100000]
# One single-node cluster (same binary, same data directory) is restarted between the modes: plaintext, then with
# RaftKV:Tls:Resp on (a throwaway CA and node certificate made with openssl, as the README shows), alternating for
# each round so both modes share the machine's noise. Tests: SET and GET, -c 50 at -P 1 and -P 16, random keys.
# The table shows the median rate (requests/s) per mode and TLS/plaintext. Prints figures; never fails on a number.
# Ports: RAFTKV_BENCH_PORT (RESP, default 17950), +1 Raft, +2 snapshots.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
rounds=${1:-3}
n=${2:-100000}
port=${RAFTKV_BENCH_PORT:-17950}
work=$(mktemp -d /tmp/raftkv-bench-tls.XXXXXX)
pid=
cleanup() {
  [[ -n $pid ]] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

command -v redis-benchmark >/dev/null && command -v openssl >/dev/null || { echo "needs redis-benchmark and openssl (apt-get install redis-tools openssl)"; exit 0; }
redis-benchmark --help 2>&1 | grep -q -- '--tls' || { echo "this redis-benchmark was built without TLS (--tls missing from its --help)"; exit 0; }

echo "building RaftKV.Node (Release)" >&2
dotnet build "$root/src/Node/RaftKV.Node.csproj" -c Release -o "$work/bin" -nologo -v q >"$work/build.log" 2>&1 || { tail -20 "$work/build.log"; exit 1; }

# A test CA and a node certificate for 127.0.0.1, as in the README.
mkdir -p "$work/tls" && cd "$work/tls"
{
  openssl req -x509 -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 -days 2 -subj "/CN=RaftKV bench CA" -keyout ca.key -out ca.pem
  printf '%s\n' 'basicConstraints=CA:FALSE' 'keyUsage=critical,digitalSignature,keyAgreement' \
    'extendedKeyUsage=serverAuth,clientAuth' 'subjectAltName=IP:127.0.0.1,DNS:localhost' > node.ext
  openssl req -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 -subj "/CN=node1" -keyout node1.key -out node1.csr
  openssl x509 -req -in node1.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -extfile node.ext -out node1.pem
} >"$work/openssl.log" 2>&1 || { cat "$work/openssl.log"; exit 1; }
cd "$root"

start() { # mode
  local args=(--RaftKV:RespEndpoint=127.0.0.1:$port --RaftKV:RaftEndpoint=127.0.0.1:$((port + 1))
    --RaftKV:SnapshotTransferEndpoint=127.0.0.1:$((port + 2)) --RaftKV:DataDirectory="$work/data" --RaftKV:MetricsEndpoint=)
  [[ $1 == tls ]] && args+=(--RaftKV:Tls:Resp=true --RaftKV:Tls:CertificatePath="$work/tls/node1.pem"
    --RaftKV:Tls:KeyPath="$work/tls/node1.key" --RaftKV:Tls:CaPath="$work/tls/ca.pem" --RaftKV:Tls:RespClientAuth=No)
  dotnet "$work/bin/RaftKV.Node.dll" "${args[@]}" >>"$work/node.log" 2>&1 &
  pid=$!
  local tls_args=(); [[ $1 == tls ]] && tls_args=(--tls --cacert "$work/tls/ca.pem")
  for _ in $(seq 1 300); do
    [[ $(redis-cli -p "$port" "${tls_args[@]}" ping 2>/dev/null) == PONG ]] && return 0
    sleep 0.2
  done
  echo "the node did not answer PING ($1); log:" && tail -20 "$work/node.log" && exit 1
}

stop() { kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; pid=; }

results=$work/results
bench() { # mode label args...
  local mode=$1 label=$2; shift 2
  local tls_args=(); [[ $mode == tls ]] && tls_args=(--tls --cacert "$work/tls/ca.pem")
  redis-benchmark -p "$port" "${tls_args[@]}" --csv -t set,get -n "$n" -c 50 -r 100000 "$@" 2>/dev/null \
    | tr -d '"' | awk -F, -v m="$mode" -v l="$label" 'NR > 1 && $2 > 0 { print m, l ":" $1, $2 }' >>"$results"
}

for ((r = 1; r <= rounds; r++)); do
  for mode in plain tls; do
    echo "round $r/$rounds: $mode" >&2
    start "$mode"
    bench "$mode" P1 -P 1
    bench "$mode" P16 -P 16
    stop
  done
done

echo "redis-benchmark -n $n -c 50 -r 100000 -t set,get, one RaftKV node, median of $rounds rounds (requests/s)"
python3 - "$results" <<'PY'
import sys, statistics
rates = {}
for line in open(sys.argv[1]):
    mode, test, rate = line.split()
    rates.setdefault(test, {}).setdefault(mode, []).append(float(rate))
print(f"{'test':<10}{'plaintext':>12}{'TLS':>12}{'TLS/plain':>11}")
for test in sorted(rates, key=lambda t: (t.split(':')[0], t.split(':')[1] != 'SET')):
    plain = statistics.median(rates[test].get('plain', [0]))
    tls = statistics.median(rates[test].get('tls', [0]))
    ratio = f"{tls / plain:.2f}" if plain else "-"
    print(f"{test:<10}{plain:>12.0f}{tls:>12.0f}{ratio:>11}")
PY
