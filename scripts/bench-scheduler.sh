#!/usr/bin/env bash
# make bench-scheduler: after upstream's scheduler_perf; per workload a fresh server on SQLite and the scheduler as
# child processes; 5,000 nodes, 1,000 initial pods, 10,000 measured pods; topology spread and required anti-affinity
# on 1,000 nodes; the API server's bind ceiling. Scale down with NODES, FEATURE_NODES, INIT_PODS, PODS, WORKLOADS
# (basic,spread,antiaffinity), e.g. `NODES=500 PODS=1000 make bench-scheduler`.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .test-results/pids
export KUBESHARP_TEST_PIDDIR="$PWD/.test-results/pids"
make build >/dev/null
dotnet build bench/Kubesharp.Bench.Scheduler -c Release -nologo -clp:ErrorsOnly
exec dotnet bench/Kubesharp.Bench.Scheduler/bin/Release/net10.0/Kubesharp.Bench.Scheduler.dll out/kubesharp "$@"
