#!/usr/bin/env bash
# Installs the node from an unpacked RaftKV tarball (run as root from the tarball's folder): the binaries in
# /opt/raftkv, the unit in /lib/systemd/system, a raftkv user, /var/lib/raftkv for data; /etc/raftkv/raftkv.json is
# created from the example only when absent. Then: edit /etc/raftkv/raftkv.json, systemctl enable --now raftkv.
# RAFTKV_INSTALL_ROOT=/some/dir installs under that directory instead (a staging root, as scripts/package-check.sh
# uses): no user is created, files belong to the caller and systemd is not told.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=${RAFTKV_INSTALL_ROOT:-}
owner=() group=()
if [[ -z $root ]]; then
  id raftkv >/dev/null 2>&1 || useradd --system --home-dir /var/lib/raftkv --shell /usr/sbin/nologin raftkv
  owner=(-o raftkv -g raftkv) group=(-g raftkv)
fi
mkdir -p "$root/opt"
rm -rf "$root/opt/raftkv" && cp -r "$here/opt/raftkv" "$root/opt/raftkv"
install -D -m 644 "$here/lib/systemd/system/raftkv.service" "$root/lib/systemd/system/raftkv.service"
install -d "${owner[@]}" -m 750 "$root/var/lib/raftkv"
install -d -m 755 "$root/etc/raftkv"
[[ -f $root/etc/raftkv/raftkv.json ]] || install -m 640 "${group[@]}" "$here/etc/raftkv/raftkv.json.example" "$root/etc/raftkv/raftkv.json"
if [[ -z $root ]] && command -v systemctl >/dev/null; then systemctl daemon-reload || true; fi
echo "installed${root:+ under $root}; edit $root/etc/raftkv/raftkv.json, then: systemctl enable --now raftkv"
