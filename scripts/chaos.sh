#!/usr/bin/env bash
# Runs the chaos harness (chaos/RaftKV.Chaos) against a fresh RaftKV cluster and prints its verdict last.
#   scripts/chaos.sh [--workload register,list-append,counter,set,lock,redis-lock,bank] [--nemesis kill,kill-leader,kill-majority,pause,
#                    partition-leader,partition-half,partition-ring] [--nodes 3|5] [--duration SECONDS] [--seed N]
#                    [--mode netns|loopback|auto] [--out DIR] [more: scripts/chaos.sh --help]
# Builds RaftKV.Node and the harness in Release (skip with CHAOS_NO_BUILD=1; CHAOS_NODE_REV=<commit> builds the node
# from that commit instead of the working tree; CHAOS_BUILD_ONLY=1 stops after the node's build), copies the node
# binaries to a private folder so a rebuild during the run cannot change them, and exits with the harness's code:
# 0 VALID, 1 INVALID, 2 UNKNOWN, 3 harness error.
# netns mode (partitions) needs root, iproute2 and iptables.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
out=chaos/out
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  [[ ${args[i]} == --out && $((i + 1)) -lt ${#args[@]} ]] && out=${args[i + 1]}
done

mkdir -p "$out"
bin=$(mktemp -d "$out/.node-bin.XXXXXX")
tree=""
trap 'rm -rf "$bin" ${tree:+"$tree"}' EXIT
if [[ -n ${CHAOS_NODE_REV:-} ]]; then
  # Test a commit rather than the working tree: export it and build the node there. The sources go to a folder of
  # their own, not under the output folder: the SDK leaves out of the compilation every file under its output path.
  echo "chaos: building RaftKV.Node at $CHAOS_NODE_REV ($(git rev-parse --short "$CHAOS_NODE_REV"))" >&2
  tree=$(mktemp -d "$out/.node-src.XXXXXX")
  git archive "$CHAOS_NODE_REV" src protos Directory.Build.props Directory.Packages.props global.json | tar -x -C "$tree"
  dotnet build "$tree/src/Node/RaftKV.Node.csproj" -c Release -nologo -v q -o "$bin" >&2
elif [[ ${CHAOS_NO_BUILD:-0} != 1 ]]; then
  echo "chaos: building RaftKV.Node (Release)" >&2
  dotnet build src/Node/RaftKV.Node.csproj -c Release -nologo -v q >&2
fi
if [[ -z ${CHAOS_NODE_REV:-} ]]; then
  cp -r src/Node/bin/Release/net10.0/. "$bin/"
fi
if [[ ${CHAOS_BUILD_ONLY:-0} == 1 ]]; then
  # The node's build alone, checked and then removed: no harness, no run (the script's own test uses it).
  [[ -f $bin/RaftKV.Node.dll ]] || { echo "chaos: RaftKV.Node.dll was not built" >&2; exit 3; }
  echo "chaos: RaftKV.Node built"
  exit 0
fi
if [[ ${CHAOS_NO_BUILD:-0} != 1 ]]; then
  dotnet build chaos/RaftKV.Chaos/RaftKV.Chaos.csproj -c Release -nologo -v q >&2
fi

# One run at a time per machine: runs share namespace names, the bridge and the leftover sweep. The lock is held
# by this script only (closed for the harness and the nodes), so orphans of a crashed run never hold it.
exec 9>"${TMPDIR:-/tmp}/rkvc.lock"
if ! flock -w "${CHAOS_LOCK_WAIT:-1800}" 9; then
  echo "UNKNOWN: another chaos run holds ${TMPDIR:-/tmp}/rkvc.lock"
  exit 3
fi

# Run in the background and pass SIGINT/SIGTERM on, so the harness always gets to clean up (nodes, namespaces).
mkdir -p "$bin/harness"
cp -r chaos/RaftKV.Chaos/bin/Release/net10.0/. "$bin/harness/"
dotnet "$bin/harness/RaftKV.Chaos.dll" run --node-dll "$bin/RaftKV.Node.dll" "$@" 9>&- &
pid=$!
# (Background jobs of a script ignore SIGINT, so both become SIGTERM, which the harness handles the same way.)
trap 'kill -TERM $pid 2>/dev/null' INT TERM
status=0
wait $pid || status=$?
# A trapped signal interrupts wait; wait again for the harness to finish its cleanup.
while kill -0 $pid 2>/dev/null; do wait $pid || status=$?; done
exit $status
