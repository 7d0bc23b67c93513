#!/usr/bin/env bash
# make bench-storage: SQLite, etcd and memory under the same workload in one run; then the SQLite snapshot methods
# (`scripts/bench-storage.sh snapshot` runs only those).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh etcd || echo "(etcd missing: the etcd column will be empty)"
mkdir -p .test-results/pids
export KUBESHARP_TEST_PIDDIR="$PWD/.test-results/pids"
dotnet build bench/Kubesharp.Bench.Storage -c Release -nologo -clp:ErrorsOnly
exec dotnet bench/Kubesharp.Bench.Storage/bin/Release/net10.0/Kubesharp.Bench.Storage.dll "$@"
