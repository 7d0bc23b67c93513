#!/usr/bin/env bash
# Builds kubesharp-node (src/Kubesharp.NodeHost: the agent, kubelet and kube-proxy compiled ahead of time with Native
# AOT, docs/adr/0023) and puts the executable in each directory given, beside a `kubesharp` that then runs it for
# `kubesharp agent` and `kubesharp kubelet`. Needs a C toolchain (gcc or clang; Debian's base image has gcc).
set -euo pipefail
cd "$(dirname "$0")/.."
CONFIG=${CONFIG:-Release}
[ $# -gt 0 ] || { echo "usage: $0 DIR..." >&2; exit 2; }
stage=src/Kubesharp.NodeHost/bin/$CONFIG/publish
scripts/deps.sh aot
dotnet publish src/Kubesharp.NodeHost/Kubesharp.NodeHost.csproj -c "$CONFIG" -o "$stage" -nologo -clp:ErrorsOnly
for dir in "$@"; do
  mkdir -p "$dir"
  # Replace, not overwrite in place: a running agent keeps its executable open.
  cp "$stage/kubesharp-node" "$dir/kubesharp-node.new"
  mv -f "$dir/kubesharp-node.new" "$dir/kubesharp-node"
done
