#!/usr/bin/env bash
# make bench-kubelet: pod startup latency through a watch on one node (the images present), 100 pods at 5 pods/s, then
# 100 at once, and the raw CRI sandbox+create+start time in the same run; the agent's RSS. Brings the container runtime
# up (scripts/runtime.sh). Scale with PACED_PODS, BURST_PODS, RAW_PODS; WARM_PODS=N warms up with N pods at the paced rate (default 1 pod).
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .test-results/pids
export KUBESHARP_TEST_PIDDIR="$PWD/.test-results/pids"
dotnet publish src/Kubesharp/Kubesharp.csproj -c Release -o out -nologo -clp:ErrorsOnly >/dev/null
# The agent runs as kubesharp-node (Native AOT) when it is beside out/kubesharp, as after make build (docs/adr/0023).
scripts/build-node.sh out >/dev/null
scripts/runtime.sh up >/dev/null
dotnet build bench/Kubesharp.Bench.Kubelet -c Release -nologo -clp:ErrorsOnly
exec dotnet bench/Kubesharp.Bench.Kubelet/bin/Release/net10.0/Kubesharp.Bench.Kubelet.dll out/kubesharp "$@"
