#!/usr/bin/env bash
# Installs the node from an unpacked RaftKV tarball (run as root from the tarball's folder): the binaries in
# /opt/raftkv, the unit in /lib/systemd/system, a raftkv user, /var/lib/raftkv for data; /etc/raftkv/raftkv.json is
# created from the example only when absent. Then: edit /etc/raftkv/raftkv.json, systemctl enable --now raftkv.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
id raftkv >/dev/null 2>&1 || useradd --system --home-dir /var/lib/raftkv --shell /usr/sbin/nologin raftkv
rm -rf /opt/raftkv && cp -r "$here/opt/raftkv" /opt/raftkv
install -m 644 "$here/lib/systemd/system/raftkv.service" /lib/systemd/system/raftkv.service
install -d -o raftkv -g raftkv -m 750 /var/lib/raftkv
install -d -m 755 /etc/raftkv
[[ -f /etc/raftkv/raftkv.json ]] || install -m 640 -g raftkv "$here/etc/raftkv/raftkv.json.example" /etc/raftkv/raftkv.json
command -v systemctl >/dev/null && systemctl daemon-reload || true
echo "installed; edit /etc/raftkv/raftkv.json, then: systemctl enable --now raftkv"
