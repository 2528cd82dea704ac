#!/usr/bin/env bash
# Checks the README's operator path ("Installing on three hosts") on this machine, bounded in time, leaving nothing
# behind: builds the tarball with scripts/package.sh, unpacks it and runs its install.sh into a temporary root
# (RAFTKV_INSTALL_ROOT), checks the installed unit with `systemd-analyze verify` (any message fails it), edits the
# installed raftkv.json to a one-node cluster on free loopback ports, starts the node the way the unit does (its
# ExecStart, Environment and WorkingDirectory, paths under the root), then asks PING and /health/ready and stops it
# with SIGTERM. The last line is "package check: passed" or "package check: FAILED (<step>)"; exit status 0 when passed.
#   scripts/package-check.sh [work-dir]    (default: a new temporary directory, removed at the end)
#   RAFTKV_PACKAGE_TARBALL=path            checks that tarball instead of building one
# Needs the .NET SDK, python3 (the configuration edit) and systemd-analyze (Debian: apt-get install systemd).
set -uo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
work=${1:-$(mktemp -d /tmp/raftkv-package-check.XXXXXX)}
own_work=$(( $# == 0 ))
node_pid=""

cleanup() {
  if [[ -n $node_pid ]] && kill -0 "$node_pid" 2>/dev/null; then
    kill -KILL "$node_pid" 2>/dev/null
    wait "$node_pid" 2>/dev/null
  fi
  ((own_work)) && rm -rf "$work"
}
trap cleanup EXIT

fail() {
  echo "package check: FAILED ($1)"
  exit 1
}

# Sets variable $1 to a loopback port nobody listens on, below the usual ephemeral range, not one set before.
taken=" "
pick_port() {
  local port
  while :; do
    port=$((20000 + RANDOM % 10000))
    [[ $taken == *" $port "* ]] && continue
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && continue
    taken+="$port "
    printf -v "$1" '%s' "$port"
    return
  done
}

mkdir -p "$work"
tarball=${RAFTKV_PACKAGE_TARBALL:-}
if [[ -z $tarball ]]; then
  echo "== scripts/package.sh (a self-contained publish: several minutes on a busy machine)"
  tarball=$(timeout 1800 "$repo/scripts/package.sh" "$work/out" | tail -1) || fail "scripts/package.sh"
fi
[[ -f $tarball ]] || fail "no tarball at '$tarball'"
echo "$tarball: $(du -h "$tarball" | cut -f1)"

echo "== tar xzf ... && install.sh, into $work/root"
root=$work/root
mkdir -p "$work/host" "$root"
tar -C "$work/host" -xzf "$tarball" || fail "tar xzf"
folder=$(basename "$tarball" .tar.gz)
RAFTKV_INSTALL_ROOT=$root "$work/host/$folder/install.sh" || fail "install.sh"
unit=$root/lib/systemd/system/raftkv.service
for f in "$unit" "$root/opt/raftkv/RaftKV.Node" "$root/etc/raftkv/raftkv.json"; do
  [[ -e $f ]] || fail "install.sh did not install $f"
done

echo "== systemd-analyze verify"
command -v systemd-analyze >/dev/null || fail "systemd-analyze not found"
# verify resolves the unit's dependencies (sysinit.target, ...) inside the root: give it this machine's system units.
mkdir -p "$root/usr/lib/systemd"
cp -r /usr/lib/systemd/system "$root/usr/lib/systemd/" 2>/dev/null
# Without a console log target it sends its warnings (unknown keys, bad values) to the journal and still exits 0.
verify=$(SYSTEMD_LOG_TARGET=console timeout 120 systemd-analyze verify --root="$root" raftkv.service 2>&1)
code=$?
[[ -n $verify ]] && echo "$verify"
((code == 0)) && [[ -z $verify ]] || fail "systemd-analyze verify"
rm -rf "$root/usr"

echo "== raftkv.json for one node on loopback"
pick_port resp; pick_port raft; pick_port metrics
python3 - "$root/etc/raftkv/raftkv.json" "$resp" "$raft" "$metrics" <<'PY' || fail "editing raftkv.json"
import json, sys
path, resp, raft, metrics = sys.argv[1:]
with open(path) as f:
    config = json.load(f)
node = config["RaftKV"]
node["RespEndpoint"] = f"127.0.0.1:{resp}"
node["RaftEndpoint"] = f"127.0.0.1:{raft}"
node["MetricsEndpoint"] = f"127.0.0.1:{metrics}"
node["Members"] = [f"127.0.0.1:{raft}"]
with open(path, "w") as f:
    json.dump(config, f, indent=2)
PY

echo "== start as the unit does"
exec_start=$(sed -n 's/^ExecStart=//p' "$unit")
working_dir=$(sed -n 's/^WorkingDirectory=//p' "$unit")
[[ -n $exec_start && -n $working_dir ]] || fail "unit has no ExecStart or WorkingDirectory"
# The unit's absolute paths, moved under the root: /opt/raftkv and /var/lib/raftkv.
under_root() { sed -e "s#/opt/raftkv#$root/opt/raftkv#g" -e "s#/var/lib/raftkv#$root/var/lib/raftkv#g" <<<"$1"; }
read -ra command <<<"$(under_root "$exec_start")"
environment=()
while IFS= read -r line; do environment+=("$line"); done < <(sed -n 's/^Environment=//p' "$unit")
log=$work/node.log
(cd "$(under_root "$working_dir")" && exec env "${environment[@]}" RAFTKV_CONFIG_FILE="$root/etc/raftkv/raftkv.json" \
   "${command[@]}") >"$log" 2>&1 &
node_pid=$!

reply=""
for _ in $(seq 120); do
  kill -0 "$node_pid" 2>/dev/null || { cat "$log"; fail "the node exited"; }
  if { exec 3<>"/dev/tcp/127.0.0.1/$resp"; } 2>/dev/null; then
    printf 'PING\r\n' >&3
    IFS= read -r -t 10 reply <&3
    exec 3>&-
    [[ $reply == "+PONG"* ]] && break
  fi
  sleep 1
done
echo "PING on 127.0.0.1:$resp: ${reply%$'\r'}"
[[ $reply == "+PONG"* ]] || { cat "$log"; fail "no PONG within 120 s"; }

status=""
for _ in $(seq 60); do
  if { exec 3<>"/dev/tcp/127.0.0.1/$metrics"; } 2>/dev/null; then
    printf 'GET /health/ready HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3
    IFS= read -r -t 10 status <&3
    exec 3>&-
    [[ $status == *" 200 "* ]] && break
  fi
  sleep 1
done
echo "GET /health/ready: ${status%$'\r'}"
[[ $status == *" 200 "* ]] || { cat "$log"; fail "/health/ready not 200 within 60 s"; }

kill -TERM "$node_pid"
for _ in $(seq 30); do kill -0 "$node_pid" 2>/dev/null || break; sleep 1; done
kill -0 "$node_pid" 2>/dev/null && { cat "$log"; fail "the node ignored SIGTERM for 30 s"; }
wait "$node_pid"
exit_code=$?
node_pid=""
((exit_code == 0)) || { cat "$log"; fail "the node exited with $exit_code after SIGTERM"; }
echo "package check: passed"
