#!/usr/bin/env bash
# `make run`: from a fresh Debian 12 machine with the .NET SDK to a running single-node cluster.
#
#   1. checks the machine (the .NET SDK, root, the API server's port);
#   2. installs the Debian packages the node needs when they are missing (scripts/deps.sh runtime; root);
#   3. builds kubesharp into out/ (as `make build`);
#   4. starts the container runtime (scripts/runtime.sh up: a private containerd, the local registry, the pause and
#      busybox images), unless it already runs;
#   5. starts `kubesharp server` on the embedded SQLite store in $DATA_DIR with its own node agent (logs in
#      $DATA_DIR/server.log);
#   6. waits for the API server and the node, then prints the kubeconfig's path and the first commands to try.
# It then stays in the foreground. Ctrl-C (or SIGTERM) stops what it started: the server (by its PID) and the runtime
# when this script started it. The cluster's state stays in $DATA_DIR, so the next `make run` finds it as it was left.
#
# Environment: DATA_DIR (default /var/lib/kubesharp as root, else ~/.kubesharp), CONFIG (Release),
# KUBESHARP_PORT (6443), KUBESHARP_SERVER_ARGS (more `kubesharp server` flags), KUBESHARP_RUN_TIMEOUT (seconds to wait
# for the API server and for the node, default 180 each).
# Without root there is no container runtime: the server then runs without its node agent (pods stay Pending).
set -uo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
# shellcheck source=scripts/pids.sh
. "$repo/scripts/pids.sh"

if [ "$(id -u)" -eq 0 ]; then root=1; else root=0; fi
data_dir=${DATA_DIR:-$([ "$root" -eq 1 ] && echo /var/lib/kubesharp || echo "$HOME/.kubesharp")}
config=${CONFIG:-Release}
port=${KUBESHARP_PORT:-6443}
timeout=${KUBESHARP_RUN_TIMEOUT:-180}
read -r -a extra_args <<<"${KUBESHARP_SERVER_ARGS:-}"
kubesharp=$repo/out/kubesharp
kubeconfig=$data_dir/admin.kubeconfig
log=$data_dir/server.log
pidfile=$data_dir/server.pid
steps=6
[ "$root" -eq 1 ] || steps=4

n=0
step() {
  n=$((n + 1))
  printf '\n==> [%d/%d] %s\n' "$n" "$steps" "$*"
}
# fail WHAT TODO: says what failed and what to do about it, then stops what was started.
fail() {
  printf '\nmake run: %s\n  what to do: %s\n' "$1" "$2" >&2
  stop_started
  exit 1
}

server_pid=
runtime_started=0
# The server is this script's own child: kill -0 is enough (its PID cannot be reused before it is reaped).
running() { [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; }
stop_started() {
  if running; then
    echo "stopping kubesharp server (pid $server_pid)..."
    stop_pid "$server_pid"
  fi
  server_pid=
  rm -f "$pidfile"
  if [ "$runtime_started" -eq 1 ]; then
    echo "stopping the container runtime this run started..."
    scripts/runtime.sh down || echo "scripts/runtime.sh down failed: run it again to clean up"
    runtime_started=0
  fi
}
on_signal() {
  trap - INT TERM
  printf '\n'
  stop_started
  echo "stopped; the cluster's state stays in $data_dir (make run starts it again)"
  exit 0
}
trap on_signal INT TERM

# kubectl against the new cluster, bounded in time.
kc() { timeout 20 kubectl --kubeconfig "$kubeconfig" --request-timeout=10s "$@" 2>/dev/null; }

step "checking this machine"
command -v dotnet >/dev/null 2>&1 ||
  fail "the .NET SDK is not installed" "install the .NET 10 SDK (https://dotnet.microsoft.com/download) and run make run again"
echo "dotnet $(dotnet --version)"
old=$(pid_of "$pidfile")
if [ -n "$old" ] && alive "$old" "$data_dir"; then
  fail "a kubesharp server from an earlier make run still runs on $data_dir (pid $old)" \
    "use it (export KUBECONFIG=$kubeconfig), or stop it with: kill $old"
fi
if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
  fail "port $port is already taken on this host" \
    "stop what listens there, or choose another port: make run KUBESHARP_PORT=6444"
fi
if [ "$root" -eq 1 ]; then
  echo "running as root: the server gets its own node on containerd"
else
  echo "not root: no container runtime, so the server runs without a node (pods stay Pending); run make run as root for one"
  extra_args+=(--disable-agent)
fi
command -v kubectl >/dev/null 2>&1 || echo "kubectl is not installed: the cluster works, but the commands printed at the end need it"

if [ "$root" -eq 1 ]; then
  step "installing missing Debian packages (containerd, runc, CNI plugins, iptables, registry...)"
  scripts/deps.sh runtime ||
    fail "installing the Debian packages failed" "check the network access to the Debian mirror (apt-get update), then run make run again"
  echo "all there"
fi

step "building kubesharp ($config) into out/"
# Only the binary and what it needs (make build also builds the tests and benchmarks).
dotnet publish src/Kubesharp/Kubesharp.csproj -c "$config" -o out -nologo -clp:ErrorsOnly -v q ||
  fail "the build failed (errors above)" "fix the build errors above, or check that NuGet is reachable (dotnet restore); make build shows the whole output"
echo "built $("$kubesharp" --version)"

if [ "$root" -eq 1 ]; then
  step "starting the container runtime (containerd, the local registry, the pause and busybox images)"
  if scripts/runtime.sh status >/dev/null 2>&1; then
    echo "already running; left as it is"
  else
    runtime_started=1
    KUBESHARP_BIN=$kubesharp scripts/runtime.sh up ||
      fail "starting the container runtime failed (output above)" \
        "read /run/kubesharp/containerd/containerd.log; scripts/runtime.sh down cleans up before another try"
  fi
fi

step "starting kubesharp server (SQLite store in $data_dir)"
mkdir -p "$data_dir"
args=(server --data-dir "$data_dir" --bind-address 0.0.0.0 --port "$port" "${extra_args[@]}")
echo "$kubesharp ${args[*]}"
echo "logs: $log"
# setsid: Ctrl-C reaches this script only, which then stops the server in order.
setsid "$kubesharp" "${args[@]}" </dev/null >>"$log" 2>&1 &
server_pid=$!
echo "$server_pid" >"$pidfile"
deadline=$((SECONDS + timeout))
until [ -f "$kubeconfig" ] && (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
  if ! running; then
    tail -n 30 "$log" >&2
    fail "kubesharp server stopped while starting (its last lines above)" "read $log; the message names the cause"
  fi
  [ "$SECONDS" -lt "$deadline" ] || fail "the API server did not answer in ${timeout} s" "read $log"
  sleep 0.5
done
echo "API server listening on port $port (pid $server_pid)"

if [ "$root" -eq 1 ] && command -v kubectl >/dev/null 2>&1; then
  step "waiting for the node to be Ready"
  node=
  ready=
  last=
  while :; do
    if ! running; then
      tail -n 30 "$log" >&2
      fail "kubesharp server stopped (its last lines above)" "read $log"
    fi
    node=${node:-$(kc get nodes -o 'jsonpath={.items[0].metadata.name}')}
    if [ -n "$node" ]; then
      ready=$(kc get node "$node" -o 'jsonpath={.status.conditions[?(@.type=="Ready")].status}')
      [ "$ready" = "True" ] && break
      now="node $node: Ready=${ready:-?}"
    else
      now="no node registered yet"
    fi
    [ "$now" = "$last" ] || echo "$now"
    last=$now
    [ "$SECONDS" -lt "$deadline" ] ||
      fail "the node was not Ready in ${timeout} s ($now)" "read $log (the kubelet's lines) and /run/kubesharp/containerd/containerd.log"
    sleep 1
  done
  echo "node $node is Ready"
fi

address=$(ip -4 route get 1.1.1.1 2>/dev/null | sed -n 's/.* src \([0-9.]*\).*/\1/p')
cat <<EOF

kubesharp is running (server pid $server_pid; logs: $log).

  export KUBECONFIG=$kubeconfig
  kubectl get nodes
  kubectl run hello --image=127.0.0.1:5000/library/busybox:1.35 -- sleep 3600
  kubectl get pods -o wide
  kubectl apply -f examples/        # a web app, a job, a cron job, a stateful set: examples/README.md

Another host joins as a node with (the token is in $data_dir/node-token):
  kubesharp agent --server https://${address:-THIS-HOST}:$port --token TOKEN

Press Ctrl-C to stop it; the cluster's state stays in $data_dir.
EOF

wait "$server_pid"
code=$?
server_pid=
tail -n 30 "$log" >&2
fail "kubesharp server exited with $code (its last lines above)" "read $log; make run starts it again"
