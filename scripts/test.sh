#!/usr/bin/env bash
# Runs every test project and prints one totals line: "N passed, N failed[, N skipped]".
# Installs what the tests need (etcd); the tests start their own daemons on free loopback ports and
# write their PIDs to $KUBESHARP_TEST_PIDDIR, so that anything left behind is stopped here by PID.
# As root, brings up the container runtime (scripts/runtime.sh up) before the tests and takes it down after
# them, unless it was already running.
set -uo pipefail
cd "$(dirname "$0")/.."

CONFIG=${CONFIG:-Release}
results=.test-results
rm -rf "$results"
mkdir -p "$results/pids"
export KUBESHARP_TEST_PIDDIR="$PWD/$results/pids"

if scripts/deps.sh etcd; then
  # etcd is here: its tests must run, never be skipped.
  export KUBESHARP_REQUIRE_ETCD=1
fi

if command -v kubectl >/dev/null 2>&1; then
  # kubectl is part of these machines (it cannot come from apt: Debian's package conflicts with it).
  export KUBESHARP_REQUIRE_KUBECTL=1
fi

runtime_started=0
cleanup() {
  if [ "$runtime_started" -eq 1 ]; then
    scripts/runtime.sh down || echo "scripts/runtime.sh down failed"
  fi
  for f in "$KUBESHARP_TEST_PIDDIR"/*; do
    [ -f "$f" ] || continue
    pid=$(cat "$f")
    if kill -0 "$pid" 2>/dev/null; then
      echo "stopping leftover process $pid ($(basename "$f"))"
      kill -9 "$pid" 2>/dev/null || true
    fi
  done
}
trap cleanup EXIT

echo "building ($CONFIG)..."
if ! dotnet build Kubesharp.slnx -c "$CONFIG" -nologo -clp:ErrorsOnly; then
  echo "build failed"
  echo "0 passed, 1 failed"
  exit 1
fi

# kubesharp-node beside the kubesharp the tests run, so that their agents run as users' do (ahead of time compiled).
echo "building kubesharp-node (Native AOT)..."
if ! CONFIG="$CONFIG" scripts/build-node.sh "tests/Kubesharp.Tests/bin/$CONFIG/net10.0"; then
  echo "kubesharp-node build failed"
  echo "0 passed, 1 failed"
  exit 1
fi

if [ "$(id -u)" -eq 0 ]; then
  if ! scripts/runtime.sh status >/dev/null 2>&1; then
    runtime_started=1
  fi
  # The kubesharp binary just built beside the tests writes the images (no need for out/).
  bin="tests/Kubesharp.Tests/bin/$CONFIG/net10.0/kubesharp"
  if [ -x "$bin" ]; then
    export KUBESHARP_BIN="$PWD/$bin"
  fi
  if scripts/runtime.sh up; then
    # The runtime is here: tests that need containerd must run, never be skipped.
    export KUBESHARP_REQUIRE_RUNTIME=1
  else
    echo "scripts/runtime.sh up failed: tests that need containerd will be skipped"
  fi
fi

status=0
# The kubesharp binary's tests (tests/Kubesharp.Tests: the runtime smoke test, the multi-node cluster tests in Cluster/,
# the end-to-end tests in EndToEnd/ -- walkthrough, restarts, HA on etcd) run on their own afterwards, one at a time, so
# that their load and their containerds never overlap the single-node runtime tests (one of which stops containerd).
dotnet test Kubesharp.slnx -c "$CONFIG" --no-build -nologo \
  --filter "FullyQualifiedName!~Kubesharp.Tests." \
  --logger "trx" --logger "console;verbosity=normal" \
  --results-directory "$results" || status=$?
dotnet test tests/Kubesharp.Tests/Kubesharp.Tests.csproj -c "$CONFIG" --no-build -nologo \
  --logger "trx;LogFileName=cluster.trx" --logger "console;verbosity=normal" \
  --results-directory "$results" || status=$?

passed=0 failed=0 skipped=0 files=0
for trx in "$results"/*.trx; do
  [ -f "$trx" ] || continue
  files=$((files + 1))
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
  get() { echo "$counters" | grep -o " $1=\"[0-9]*\"" | grep -o '[0-9]*'; }
  passed=$((passed + $(get passed)))
  failed=$((failed + $(get failed) + $(get error) + $(get timeout) + $(get aborted)))
  skipped=$((skipped + $(get notExecuted)))
done

# Name every test that did not pass, so that the end of the log says which.
for trx in "$results"/*.trx; do
  [ -f "$trx" ] || continue
  # The test's name, then the first lines of its message (XML-escaped as the trx holds it).
  awk '
    /<UnitTestResult / { failed = 0 }
    /<UnitTestResult [^>]*outcome="(Failed|Error|Timeout|Aborted)"/ {
      match($0, /testName="[^"]*"/); print "FAILED: " substr($0, RSTART + 10, RLENGTH - 11); failed = 1; shown = 0
    }
    failed && /<Message>/ { inmsg = 1; sub(/.*<Message>/, "") }
    failed && inmsg {
      done = sub(/<\/Message>.*/, "")
      if (shown < 60) { print "    " $0; shown++ }
      if (done) { inmsg = 0; failed = 0 }
    }
  ' "$trx"
done

projects=$(find tests -name '*.csproj' -exec grep -l '<IsTestProject>true</IsTestProject>' {} + | wc -l)
if [ "$files" -lt "$projects" ]; then
  echo "only $files of $projects test projects reported results (a test host crashed?)"
  failed=$((failed + projects - files))
fi
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  echo "dotnet test exited with $status"
  failed=1
fi

line="$passed passed, $failed failed"
if [ "$skipped" -gt 0 ]; then
  line="$line, $skipped skipped"
fi
echo "$line"
[ "$failed" -eq 0 ]
