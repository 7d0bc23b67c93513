#!/usr/bin/env bash
# make bench-api: the real server on SQLite, driven over HTTPS by 64 clients, 100 watchers, and a 10,000-pod list.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .test-results/pids
export KUBESHARP_TEST_PIDDIR="$PWD/.test-results/pids"
make build >/dev/null
dotnet build bench/Kubesharp.Bench.Api -c Release -nologo -clp:ErrorsOnly
exec dotnet bench/Kubesharp.Bench.Api/bin/Release/net10.0/Kubesharp.Bench.Api.dll out/kubesharp "$@"
