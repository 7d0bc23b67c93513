#!/usr/bin/env bash
# A cluster of one server and NODES agents on this machine, each node in its own network namespace with its own
# containerd (issue 8; RUNTIME.md "Several nodes on one machine").
#
# Usage: scripts/cluster.sh up|down|status
#
#   up      a host bridge ksbr0 (10.77.0.1/24, the server's address); per node i (1..NODES) a network namespace
#           ks-node<i> with a veth into the bridge (10.77.0.<10+i>/24, default route via 10.77.0.1, ip_forward on) and a
#           private containerd started inside it (scripts/runtime.sh with KUBESHARP_RUNTIME_NETNS), whose CRI pulls
#           127.0.0.1:5000/... images through 10.77.0.1:5000 (a socat relay to the host's registry); then
#           `kubesharp server --disable-agent` on the host bound to 10.77.0.1, and `kubesharp agent` per node inside
#           its namespace, joined with the server's node token. Waits until every node is Ready with a pod CIDR, adds
#           the host's routes to the pod CIDRs (via each node's address, proto 66, metric 100: a connected route to the
#           same CIDR on this host wins) and prints the admin kubeconfig's path. Idempotent: what runs is left alone.
#   down    stops the agents, the server and the relay by PID, each node's containerd (runtime.sh down), deletes the
#           namespaces, veths, the bridge (and with it the host's routes through it) and the cluster directory. Images
#           stay in the containerd roots under /var/lib/kubesharp, so the next up is fast.
#   status  prints what runs; exit 3 when something is missing.
#
# Environment:
#   NODES                   the number of agents (default 2, at most 200).
#   KUBESHARP_CLUSTER_DIR   the cluster's directory (default /run/kubesharp/cluster): server/ (its data directory:
#                           admin.kubeconfig, node-token), node<i>/ (containerd/, agent/, agent.log), pid files, logs.
#   KUBESHARP_BIN           the kubesharp binary (default out/kubesharp; published there when missing).
#   KUBESHARP_CLUSTER_TIMEOUT  seconds to wait for the server and for the nodes (default 120 each).
#   KUBESHARP_CLUSTER_PROXY_MODES  kube-proxy's mode per node, as a list used in turn (default "iptables"; the
#                           end-to-end tests use "iptables nftables": node 1 in iptables mode, node 2 in nftables mode).
#   KUBESHARP_CLUSTER_CIDR  the cluster's pod CIDR (default 10.44.0.0/16: not k3s's 10.42.0.0/16, which a single-node
#                           server on this host (make run) uses for its cni0 bridge; host routes to the same CIDR through
#                           both would clash); each node's /24 comes from it.
#   KUBESHARP_CLUSTER_SERVER_ARGS  extra flags for `kubesharp server`, split on spaces (e.g. "--node-monitor-grace-period
#                           20s --node-monitor-period 1s", as the node failure test sets them). A running server started
#                           with other extra flags is restarted with these.
# Only this script's own bridge, namespaces and veths are touched; daemons are stopped by their PID, never by name.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
nodes=${NODES:-2}
dir=${KUBESHARP_CLUSTER_DIR:-/run/kubesharp/cluster}
dir=${dir%/}
kubesharp=${KUBESHARP_BIN:-$repo/out/kubesharp}
timeout=${KUBESHARP_CLUSTER_TIMEOUT:-120}
read -r -a proxy_modes <<<"${KUBESHARP_CLUSTER_PROXY_MODES:-iptables}"

bridge=ksbr0
subnet_prefix=10.77.0
server_ip=$subnet_prefix.1
server_port=6443
server_dir=$dir/server
kubeconfig=$server_dir/admin.kubeconfig
registry=127.0.0.1:5000
relay_pidfile=$dir/registry-relay.pid
server_pidfile=$dir/server.pid
server_argsfile=$dir/server.args
cluster_cidr=${KUBESHARP_CLUSTER_CIDR:-10.44.0.0/16}
read -r -a server_args <<<"${KUBESHARP_CLUSTER_SERVER_ARGS:-}"

say() { echo "cluster: $*"; }
die() { echo "cluster: $*" >&2; exit 1; }

node_name() { echo "ks-node$1"; }
node_ip() { echo "$subnet_prefix.$((10 + $1))"; }
node_netns() { echo "/var/run/netns/$(node_name "$1")"; }
node_dir() { echo "$dir/node$1"; }
node_veth() { echo "ksveth$1"; }

# shellcheck source=scripts/pids.sh
. "$repo/scripts/pids.sh"

in_node() {
  local i=$1
  shift
  nsenter --net="$(node_netns "$i")" -- "$@"
}

runtime() {
  local i=$1
  shift
  KUBESHARP_RUNTIME_DIR=$(node_dir "$i")/containerd \
    KUBESHARP_RUNTIME_NETNS=$(node_netns "$i") \
    KUBESHARP_RUNTIME_REGISTRY_MIRROR=http://$server_ip:5000 \
    KUBESHARP_BIN=$kubesharp \
    "$repo/scripts/runtime.sh" "$@" 8>&-
}

kubectl_() { KUBECONFIG=$kubeconfig HOME=$dir/home kubectl --request-timeout=10s "$@"; }

ensure_kubesharp() {
  [ -x "$kubesharp" ] && return
  [ -z "${KUBESHARP_BIN:-}" ] || die "KUBESHARP_BIN=$kubesharp is not an executable"
  say "building out/kubesharp (dotnet publish, log $dir/build.log)"
  if ! dotnet publish "$repo/src/Kubesharp/Kubesharp.csproj" -c Release -o "$repo/out" -nologo >"$dir/build.log" 2>&1; then
    tail -n 30 "$dir/build.log" >&2
    die "building out/kubesharp failed (log $dir/build.log)"
  fi
}

up_bridge() {
  if ! ip link show "$bridge" >/dev/null 2>&1; then
    ip link add "$bridge" type bridge
    say "created bridge $bridge"
  fi
  ip -4 addr show dev "$bridge" | grep -qF "inet $server_ip/24" || ip addr add "$server_ip/24" dev "$bridge"
  ip link set "$bridge" up
  sysctl -qw net.ipv4.ip_forward=1
}

up_node_network() {
  local i=$1 name veth ip
  name=$(node_name "$i")
  veth=$(node_veth "$i")
  ip=$(node_ip "$i")
  if [ ! -e "$(node_netns "$i")" ]; then
    ip netns add "$name"
    say "created network namespace $name"
  fi
  if ! ip link show "$veth" >/dev/null 2>&1; then
    # A veth whose peer is eth0 inside the node's namespace.
    in_node "$i" ip link delete eth0 2>/dev/null || true
    ip link add "$veth" type veth peer name eth0 netns "$name"
  fi
  ip link set "$veth" master "$bridge" up
  in_node "$i" ip link set lo up
  in_node "$i" ip -4 addr show dev eth0 | grep -qF "inet $ip/24" || in_node "$i" ip addr add "$ip/24" dev eth0
  in_node "$i" ip link set eth0 up
  in_node "$i" ip route replace default via "$server_ip" dev eth0
  in_node "$i" sysctl -qw net.ipv4.ip_forward=1
}

# The registry listens on the host's loopback only (runtime.sh); the nodes reach it through this relay on the bridge.
up_relay() {
  local pid
  pid=$(pid_of "$relay_pidfile")
  if alive "$pid" "bind=$server_ip"; then
    return
  fi
  setsid socat "TCP-LISTEN:5000,bind=$server_ip,reuseaddr,fork" "TCP:$registry" </dev/null >>"$dir/registry-relay.log" 2>&1 8>&- &
  echo $! >"$relay_pidfile"
  say "registry relay $server_ip:5000 -> $registry (pid $!)"
}

server_ready() { [ -f "$kubeconfig" ] && kubectl_ get --raw /readyz >/dev/null 2>&1; }

up_server() {
  local pid
  pid=$(pid_of "$server_pidfile")
  if alive "$pid" "$server_dir" && [ "$(cat "$server_argsfile" 2>/dev/null)" != "${server_args[*]}" ]; then
    stop_pid "$pid"
    say "stopped server (pid $pid): its extra flags were '$(cat "$server_argsfile" 2>/dev/null)', not '${server_args[*]}'"
  elif alive "$pid" "$server_dir" && server_ready; then
    say "server already running (pid $pid)"
    return
  fi
  mkdir -p "$server_dir"
  rm -f "$kubeconfig"
  setsid "$kubesharp" server --disable-agent --data-dir "$server_dir" --bind-address "$server_ip" --port "$server_port" \
    --scheduler-secure-port 0 --cluster-cidr "$cluster_cidr" "${server_args[@]}" </dev/null >>"$dir/server.log" 2>&1 8>&- &
  pid=$!
  echo "$pid" >"$server_pidfile"
  echo "${server_args[*]}" >"$server_argsfile"
  say "starting server (pid $pid, https://$server_ip:$server_port, log $dir/server.log)"
  for _ in $(seq $((timeout * 5))); do
    if server_ready && [ -s "$server_dir/node-token" ]; then
      return
    fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.2
  done
  tail -n 20 "$dir/server.log" >&2 || true
  die "the server did not become ready within ${timeout}s (log $dir/server.log)"
}

up_agent() {
  local i=$1 ndir pidfile pid
  ndir=$(node_dir "$i")
  pidfile=$ndir/agent.pid
  pid=$(pid_of "$pidfile")
  if alive "$pid" "--node-name $(node_name "$i") "; then
    return
  fi
  mkdir -p "$ndir/agent"
  setsid nsenter --net="$(node_netns "$i")" -- "$kubesharp" agent --server "https://$server_ip:$server_port" \
    --token "$(cat "$server_dir/node-token")" --node-name "$(node_name "$i")" --node-ip "$(node_ip "$i")" \
    --containerd-socket "$ndir/containerd/containerd.sock" --data-dir "$ndir/agent" \
    --proxy-mode "${proxy_modes[$(((i - 1) % ${#proxy_modes[@]}))]}" --cluster-cidr "$cluster_cidr" \
    </dev/null >>"$ndir/agent.log" 2>&1 8>&- &
  echo $! >"$pidfile"
  say "starting agent $(node_name "$i") (pid $!, log $ndir/agent.log)"
}

# "NAME READY PODCIDR" per node, from the API.
node_lines() {
  kubectl_ get nodes -o jsonpath='{range .items[*]}{.metadata.name} {.status.conditions[?(@.type=="Ready")].status} {.spec.podCIDR}{"\n"}{end}' 2>/dev/null
}

wait_nodes() {
  local lines ready i
  for _ in $(seq $((timeout * 2))); do
    lines=$(node_lines || true)
    ready=0
    for i in $(seq "$nodes"); do
      awk -v n="$(node_name "$i")" '$1 == n && $2 == "True" && $3 != "" { f = 1 } END { exit !f }' <<<"$lines" && ready=$((ready + 1))
    done
    if [ "$ready" -eq "$nodes" ]; then
      return
    fi
    for i in $(seq "$nodes"); do
      kill -0 "$(pid_of "$(node_dir "$i")/agent.pid")" 2>/dev/null || {
        tail -n 20 "$(node_dir "$i")/agent.log" >&2 || true
        die "the agent of $(node_name "$i") exited (log $(node_dir "$i")/agent.log)"
      }
    done
    sleep 0.5
  done
  echo "$lines" >&2
  die "not every node was Ready with a pod CIDR within ${timeout}s (logs in $dir)"
}

# The host is not a node: it reaches the pods through each node's address. metric 100 so that a connected route of this
# host to the same CIDR (another test's cni0) is neither replaced nor refused.
host_routes() {
  local i cidr
  for i in $(seq "$nodes"); do
    cidr=$(node_lines | awk -v n="$(node_name "$i")" '$1 == n { print $3 }')
    [ -n "$cidr" ] || continue
    ip route replace "$cidr" via "$(node_ip "$i")" dev "$bridge" proto 66 metric 100
  done
}

up() {
  [[ $nodes =~ ^[0-9]+$ ]] && [ "$nodes" -ge 1 ] && [ "$nodes" -le 200 ] || die "NODES=$nodes: a number from 1 to 200"
  command -v socat >/dev/null || "$repo/scripts/deps.sh" runtime
  mkdir -p "$dir" "$dir/home"
  echo "$nodes" >"$dir/nodes"
  ensure_kubesharp
  up_bridge
  for i in $(seq "$nodes"); do
    up_node_network "$i"
  done
  for i in $(seq "$nodes"); do
    runtime "$i" up | sed "s/^/$(node_name "$i") /"
  done
  up_relay
  up_server
  for i in $(seq "$nodes"); do
    up_agent "$i"
  done
  wait_nodes
  host_routes
  node_lines | sed 's/^/cluster: node /'
  say "ready: $nodes node(s); export KUBECONFIG=$kubeconfig"
  echo "$kubeconfig"
}

# The node numbers to take down: those recorded under the cluster directory and every ks-node<i> namespace left.
known_nodes() {
  {
    for d in "$dir"/node*; do
      [ -d "$d" ] && echo "${d##*/node}"
    done
    ip netns list 2>/dev/null | awk '{ print $1 }' | sed -n 's/^ks-node\([0-9][0-9]*\)$/\1/p'
  } | grep -E '^[0-9]+$' | sort -un
}

down() {
  local i pid ndir
  local all
  all=$(known_nodes)
  for i in $all; do
    ndir=$(node_dir "$i")
    pid=$(pid_of "$ndir/agent.pid")
    if alive "$pid" "--node-name $(node_name "$i") "; then
      stop_pid "$pid"
      say "stopped agent $(node_name "$i") (pid $pid)"
    fi
  done
  pid=$(pid_of "$server_pidfile")
  if alive "$pid" "$server_dir"; then
    stop_pid "$pid"
    say "stopped server (pid $pid)"
  fi
  pid=$(pid_of "$relay_pidfile")
  if alive "$pid" "bind=$server_ip"; then
    stop_pid "$pid"
    say "stopped registry relay (pid $pid)"
  fi
  for i in $all; do
    if [ -d "$(node_dir "$i")/containerd" ]; then
      runtime "$i" down | sed "s/^/$(node_name "$i") /"
    fi
  done
  for i in $all; do
    ip link delete "$(node_veth "$i")" 2>/dev/null || true
    if [ -e "$(node_netns "$i")" ]; then
      ip netns delete "$(node_name "$i")"
      say "deleted network namespace $(node_name "$i")"
    fi
  done
  if ip link show "$bridge" >/dev/null 2>&1; then
    # Its routes (the host's to the pod CIDRs) go with it.
    ip link delete "$bridge"
    say "deleted bridge $bridge"
  fi
  if [ -d "$dir" ]; then
    # The kubelets' volume mounts (tmpfs for secrets and tokens) before the files.
    { findmnt -rn -o TARGET | grep -F "$dir/" || true; } | sort -r | while IFS= read -r target; do
      umount -l "$target" 2>/dev/null || true
    done
    rm -rf "$dir"
    say "removed $dir"
  fi
}

status() {
  local code=0 i pid lines
  if ip link show "$bridge" >/dev/null 2>&1; then say "bridge $bridge up ($server_ip/24)"; else say "bridge $bridge missing"; code=3; fi
  pid=$(pid_of "$server_pidfile")
  if alive "$pid" "$server_dir"; then say "server running (pid $pid, https://$server_ip:$server_port)"; else say "server not running"; code=3; fi
  pid=$(pid_of "$relay_pidfile")
  if alive "$pid" "bind=$server_ip"; then say "registry relay running (pid $pid)"; else say "registry relay not running"; code=3; fi
  lines=$(node_lines || true)
  for i in $(known_nodes); do
    pid=$(pid_of "$(node_dir "$i")/agent.pid")
    if alive "$pid" "--node-name $(node_name "$i") "; then
      say "$(node_name "$i"): agent running (pid $pid), $(awk -v n="$(node_name "$i")" '$1 == n { print "Ready=" $2 ", podCIDR " $3 }' <<<"$lines")"
    else
      say "$(node_name "$i"): agent not running"
      code=3
    fi
  done
  [ -f "$kubeconfig" ] && say "kubeconfig $kubeconfig"
  return $code
}

[ $# -eq 1 ] || die "usage: $0 up|down|status"
[ "$(id -u)" -eq 0 ] || die "needs root (namespaces, bridge, containerd)"
mkdir -p /run/kubesharp
# One up or down of this cluster at a time.
exec 8>"/run/kubesharp/cluster.lock"
flock 8
case "$1" in
  up) up ;;
  down) down ;;
  status) status ;;
  *) die "usage: $0 up|down|status" ;;
esac
