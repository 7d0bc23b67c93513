#!/usr/bin/env bash
# make bench-controllers: the real server on SQLite, the workload controllers in the benchmark process;
# 1,000 Deployments of 10 replicas created at once, then deleted. Arguments: [deployments] [replicas].
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .test-results/pids
export KUBESHARP_TEST_PIDDIR="$PWD/.test-results/pids"
make build >/dev/null
dotnet build bench/Kubesharp.Bench.Controllers -c Release -nologo -clp:ErrorsOnly
exec dotnet bench/Kubesharp.Bench.Controllers/bin/Release/net10.0/Kubesharp.Bench.Controllers.dll out/kubesharp "$@"
