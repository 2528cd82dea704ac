#!/usr/bin/env bash
# Builds a self-contained tarball of a RaftKV node for Linux x64 (no .NET install needed on the target):
#   scripts/package.sh [out-dir]      -> out-dir/raftkv-<version>-linux-x64.tar.gz (default: .package/)
# The tarball holds opt/raftkv (the node, README, deploy files), etc/raftkv/raftkv.json.example and
# lib/systemd/system/raftkv.service; install it with its install.sh (README: Installing on three hosts).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root/.package}
rid=${RAFTKV_RID:-linux-x64}
version=$(sed -n 's/.*RaftKvVersion = "\(.*\)".*/\1/p' "$root/src/Node/Server/ServerInfo.cs")
stage=$out/stage/raftkv-$version-$rid
rm -rf "$stage" && mkdir -p "$stage/opt/raftkv" "$stage/etc/raftkv" "$stage/lib/systemd/system"
dotnet publish "$root/src/Node/RaftKV.Node.csproj" -c Release -r "$rid" --self-contained -o "$stage/opt/raftkv" -nologo -v q
rm -f "$stage/opt/raftkv/appsettings.Development.json"
cp "$root/README.md" "$root/docs/metrics.md" "$stage/opt/raftkv/"
cp -r "$root/deploy/monitoring" "$stage/opt/raftkv/"
cp "$root/deploy/systemd/raftkv.service" "$stage/lib/systemd/system/"
cp "$root/deploy/systemd/raftkv.json.example" "$stage/etc/raftkv/"
install -m 755 "$root/deploy/systemd/install.sh" "$stage/install.sh"
tar -C "$out/stage" -czf "$out/raftkv-$version-$rid.tar.gz" "raftkv-$version-$rid"
echo "$out/raftkv-$version-$rid.tar.gz"
