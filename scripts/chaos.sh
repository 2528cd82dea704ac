#!/usr/bin/env bash
# Runs the chaos harness (chaos/RaftKV.Chaos) against a fresh RaftKV cluster and prints its verdict last.
#   scripts/chaos.sh [--workload register,list-append,counter,set] [--nemesis kill,kill-leader,kill-majority,pause,
#                    partition-leader,partition-half,partition-ring] [--nodes 3|5] [--duration SECONDS] [--seed N]
#                    [--mode netns|loopback|auto] [--out DIR] [more: scripts/chaos.sh --help]
# Builds RaftKV.Node and the harness in Release (skip with CHAOS_NO_BUILD=1), copies the node binaries to a private
# folder so a rebuild during the run cannot change them, and exits with the harness's code: 0 only for VALID.
# netns mode (partitions) needs root, iproute2 and iptables.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
out=chaos/out
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  [[ ${args[i]} == --out && $((i + 1)) -lt ${#args[@]} ]] && out=${args[i + 1]}
done

if [[ ${CHAOS_NO_BUILD:-0} != 1 ]]; then
  echo "chaos: building RaftKV.Node and RaftKV.Chaos (Release)" >&2
  dotnet build src/Node/RaftKV.Node.csproj -c Release -nologo -v q >&2
  dotnet build chaos/RaftKV.Chaos/RaftKV.Chaos.csproj -c Release -nologo -v q >&2
fi

mkdir -p "$out"
bin=$(mktemp -d "$out/.node-bin.XXXXXX")
trap 'rm -rf "$bin"' EXIT
cp -r src/Node/bin/Release/net10.0/. "$bin/"

status=0
dotnet chaos/RaftKV.Chaos/bin/Release/net10.0/RaftKV.Chaos.dll run --node-dll "$bin/RaftKV.Node.dll" "$@" || status=$?
exit $status
