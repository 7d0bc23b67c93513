#!/usr/bin/env bash
# The container runtime the kubelet needs on this machine, brought up and down with one command (issue 7).
#
# Usage: scripts/runtime.sh up|down|status
#
#   up      installs the missing Debian packages (scripts/deps.sh runtime); starts a private containerd
#           (socket $KUBESHARP_RUNTIME_DIR/containerd.sock) with the settings of RUNTIME.md; starts the local
#           registry on 127.0.0.1:5000 (shared by every instance); builds the pause and busybox images with
#           `kubesharp image build`, imports them into containerd's k8s.io namespace and pushes them to the
#           registry. Idempotent: what already runs or is already there is left alone.
#   down    stops this instance's containers, then containerd, removes its state directory, the network
#           leftovers of its pods (CNI iptables chains, host-local IP leases) and, when no other instance
#           runs, the registry, the cni0 bridge and every CNI-* chain. Images stay in containerd's root and the
#           registry's directory, so the next `up` is fast.
#   status  prints what runs.
#
# Environment:
#   KUBESHARP_RUNTIME_DIR   this instance's directory (default /run/kubesharp/containerd): socket, config, log,
#                           pid file, state, and net.d/ (the CNI configuration directory: the kubelet writes its
#                           conflist into <directory of the socket>/net.d).
#   KUBESHARP_RUNTIME_ROOT  containerd's root (images, snapshots); default /var/lib/kubesharp/containerd for the
#                           default directory, /var/lib/kubesharp/containerd-<directory with / as _> otherwise.
#   KUBESHARP_BIN           the kubesharp binary that writes the images (default out/kubesharp; published
#                           there, as `make build` does, when missing).
#   KUBESHARP_RUNTIME_NETNS a network namespace (/var/run/netns/NAME) to run this containerd in, for a node of a
#                           cluster on one machine (scripts/cluster.sh): containerd, and so its pods' CNI, start with
#                           `nsenter --net=PATH`, and down removes the CNI chains and the cni0 bridge inside that
#                           namespace. Unset (the default): the calling process's namespace, as before.
#   KUBESHARP_RUNTIME_REGISTRY_MIRROR  a URL (http://10.77.0.1:5000) the CRI pulls 127.0.0.1:5000/... images from,
#                           for a containerd whose namespace cannot reach the registry on the host's loopback.
# Daemons are stopped by their PID, never by name.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
base=/run/kubesharp
dir=${KUBESHARP_RUNTIME_DIR:-$base/containerd}
dir=${dir%/}
if [ "$dir" = "$base/containerd" ]; then
  default_root=/var/lib/kubesharp/containerd
else
  default_root=/var/lib/kubesharp/containerd-$(echo "${dir#/}" | tr '/' '_')
fi
root=${KUBESHARP_RUNTIME_ROOT:-$default_root}
sock=$dir/containerd.sock
config=$dir/config.toml
pidfile=$dir/containerd.pid
log=$dir/containerd.log
state=$dir/state
netd=$dir/net.d

netns=${KUBESHARP_RUNTIME_NETNS:-}
registry_mirror=${KUBESHARP_RUNTIME_REGISTRY_MIRROR:-}
registry_addr=127.0.0.1:5000
registry_dir=/var/lib/kubesharp/registry
registry_pidfile=$base/registry.pid
registry_log=$base/registry.log
images_dir=/var/lib/kubesharp/images
instances=$base/instances
instance_record=$instances/$(echo "${dir#/}" | tr '/' '_')

pause_ref=$registry_addr/library/pause:3.10
busybox_ref=$registry_addr/library/busybox:1.35
kubesharp=${KUBESHARP_BIN:-$repo/out/kubesharp}

say() { echo "runtime: $*"; }
die() { echo "runtime: $*" >&2; exit 1; }

# shellcheck source=scripts/pids.sh
. "$repo/scripts/pids.sh"

ctr_() { ctr --address "$sock" "$@"; }

# Runs a command in the namespace whose rules are being cleaned ($rules_netns: this instance's namespace, or empty for
# the calling process's).
rules_netns=
in_ns() {
  if [ -n "$rules_netns" ]; then
    nsenter --net="$rules_netns" -- "$@"
  else
    "$@"
  fi
}

containerd_running() { alive "$(pid_of "$pidfile")" "$config"; }

write_config() {
  # Version 2 of containerd's configuration (containerd 1.6). Every path is this instance's own, so instances
  # coexist with each other and with a system containerd.
  cat <<EOF
version = 2
root = "$root"
state = "$state"
oom_score = 0

[grpc]
  address = "$sock"

[ttrpc]
  address = ""

[debug]
  address = ""

[metrics]
  address = ""

[plugins."io.containerd.grpc.v1.cri"]
  # Root here lacks CAP_SYS_RESOURCE: runc cannot lower the sandbox's oom_score_adj (RUNTIME.md).
  restrict_oom_score_adj = true
  sandbox_image = "$pause_ref"
  # Streaming (exec, attach, port-forward) on loopback, on a port the kernel picks.
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  # Network namespaces under this instance's state directory, so that down finds and unmounts its own.
  netns_mounts_under_state_dir = true

  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"

    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"

      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        # cgroupfs driver: cgroups v1 and no systemd here.
        SystemdCgroup = false

  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    # The kubelet writes its conflist into <directory of the socket>/net.d.
    conf_dir = "$netd"
    max_conf_num = 1
EOF
  if [ -n "$registry_mirror" ]; then
    cat <<EOF

  # The registry is on the host's loopback, which this instance's network namespace does not reach: the same image
  # names are pulled through the host's address instead.
  [plugins."io.containerd.grpc.v1.cri".registry.mirrors."$registry_addr"]
    endpoint = ["$registry_mirror"]
EOF
  fi
}

start_containerd() {
  mkdir -p "$dir" "$netd" "$root" "$state"
  local new
  new=$(write_config)
  if containerd_running; then
    if [ "$new" != "$(cat "$config")" ]; then
      say "containerd (pid $(pid_of "$pidfile")) runs with an older $config; run '$0 down' then '$0 up' to apply the new one"
    fi
    say "containerd already running (pid $(pid_of "$pidfile"), $sock)"
    echo "$dir" >"$instance_record"
    return
  fi
  echo "$new" >"$config"
  rm -f "$sock"
  # setsid: the daemon outlives the shell, test host or make that started it, and never holds their output open.
  # nsenter (never `ip netns exec`, which remounts /sys and hides the cgroup mounts from runc: RUNTIME.md) execs
  # containerd, so $! is containerd's PID either way.
  local enter=()
  if [ -n "$netns" ]; then
    [ -e "$netns" ] || die "network namespace $netns does not exist"
    enter=(nsenter --net="$netns" --)
  fi
  setsid "${enter[@]}" containerd --config "$config" </dev/null >>"$log" 2>&1 9>&- &
  local pid=$!
  echo "$pid" >"$pidfile"
  say "starting containerd (pid $pid, $sock, log $log)"
  for _ in $(seq 200); do
    if ctr_ version >/dev/null 2>&1; then
      echo "$dir" >"$instance_record"
      return
    fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  tail -n 20 "$log" >&2 || true
  die "containerd did not answer on $sock (log $log)"
}

registry_answers() { curl -fsS -o /dev/null --max-time 2 "http://$registry_addr/v2/" 2>/dev/null; }

start_registry() {
  local pid
  pid=$(pid_of "$registry_pidfile")
  if alive "$pid" "$registry_dir/config.yml" && registry_answers; then
    say "registry already running (pid $pid, $registry_addr)"
    return
  fi
  if registry_answers; then
    say "a registry not started here answers on $registry_addr; using it"
    return
  fi
  mkdir -p "$registry_dir/data" "$base"
  cat >"$registry_dir/config.yml" <<EOF
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $registry_dir/data
  delete:
    enabled: true
http:
  addr: $registry_addr
  # One registry, no load balancer: a fixed secret only silences the warning about a generated one.
  secret: kubesharp-local-registry
EOF
  setsid docker-registry serve "$registry_dir/config.yml" </dev/null >>"$registry_log" 2>&1 9>&- &
  pid=$!
  echo "$pid" >"$registry_pidfile"
  say "starting registry (pid $pid, $registry_addr, log $registry_log)"
  for _ in $(seq 200); do
    registry_answers && return
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  tail -n 20 "$registry_log" >&2 || true
  die "the registry did not answer on $registry_addr (log $registry_log)"
}

ensure_kubesharp() {
  if [ -x "$kubesharp" ]; then
    return
  fi
  [ -z "${KUBESHARP_BIN:-}" ] || die "KUBESHARP_BIN=$kubesharp is not an executable"
  # What `make build` puts in out/, without building the tests and benchmarks of the whole solution.
  say "building out/kubesharp (dotnet publish, log $images_dir/build.log)"
  if ! dotnet publish "$repo/src/Kubesharp/Kubesharp.csproj" -c Release -o "$repo/out" -nologo >"$images_dir/build.log" 2>&1; then
    tail -n 30 "$images_dir/build.log" >&2
    die "building out/kubesharp failed (log $images_dir/build.log)"
  fi
}

# Builds the archive $images_dir/$1.tar from the rootfs that function build_rootfs_$1 makes, unless it exists and
# is newer than every input named after it.
build_image() {
  local name=$1 ref=$2
  shift 2
  local archive=$images_dir/$name.tar
  local inputs=("$@")
  if [ -f "$archive" ]; then
    local stale=0
    for input in "${inputs[@]}"; do
      [ "$input" -nt "$archive" ] && stale=1
    done
    [ "$stale" -eq 0 ] && return
  fi
  ensure_kubesharp
  local work=$images_dir/$name.build
  rm -rf "$work"
  mkdir -p "$work/rootfs"
  "build_rootfs_$name" "$work/rootfs"
  "$kubesharp" image build --rootfs "$work/rootfs" --name "$ref" --output "$archive" "${image_args[@]}" >/dev/null
  rm -rf "$work"
  say "built $ref ($archive)"
}

build_rootfs_pause() {
  gcc -static -O2 -s -o "$1/pause" "$repo/scripts/pause.c"
}

build_rootfs_busybox() {
  local rootfs=$1
  mkdir -p "$rootfs"/{bin,sbin,usr/bin,usr/sbin,etc,root,dev,proc,sys,var}
  mkdir -m 1777 "$rootfs/tmp"
  cp /bin/busybox "$rootfs/bin/busybox"
  chroot "$rootfs" /bin/busybox --install -s
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$rootfs/etc/passwd"
  printf 'root:x:0:\nnobody:x:65534:\n' >"$rootfs/etc/group"
}

manifest_digest() { tar -xOf "$1" index.json | grep -o '"digest":"sha256:[0-9a-f]*"' | head -n 1 | cut -d'"' -f4; }

# Imports archive $2 as $1 into containerd's k8s.io namespace unless that image already has the archive's digest.
import_image() {
  local ref=$1 archive=$2 digest
  digest=$(manifest_digest "$archive")
  if ctr_ -n k8s.io images ls | awk -v r="$ref" -v d="$digest" '$1 == r && $3 == d { found = 1 } END { exit !found }'; then
    return
  fi
  ctr_ -n k8s.io images import "$archive" >/dev/null
  say "imported $ref into containerd ($digest)"
}

# Pushes archive $2 as $1 to the registry unless the registry already has that manifest under that tag. The layer
# is pushed as it is (uncompressed, --preserve-digests), so that a pull gives the digest the import gave.
push_image() {
  local ref=$1 archive=$2 digest path tag have
  digest=$(manifest_digest "$archive")
  path=${ref#"$registry_addr"/}
  tag=${path##*:}
  path=${path%:*}
  have=$(curl -fsS -I --max-time 5 \
    -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
    -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
    "http://$registry_addr/v2/$path/manifests/$tag" 2>/dev/null |
    tr -d '\r' | awk 'tolower($1) == "docker-content-digest:" { print $2 }') || true
  if [ "$have" = "$digest" ]; then
    return
  fi
  skopeo copy --quiet --preserve-digests --dest-tls-verify=false "oci-archive:$archive" "docker://$ref" >/dev/null
  say "pushed $ref to $registry_addr"
}

up() {
  scripts_dir=$repo/scripts
  "$scripts_dir/deps.sh" runtime
  start_registry
  start_containerd
  mkdir -p "$images_dir"
  image_args=(--entrypoint /pause)
  build_image pause "$pause_ref" "$repo/scripts/pause.c"
  image_args=(--cmd sh --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin)
  build_image busybox "$busybox_ref" /bin/busybox
  for image in "pause $pause_ref" "busybox $busybox_ref"; do
    set -- $image
    import_image "$2" "$images_dir/$1.tar"
    push_image "$2" "$images_dir/$1.tar"
  done
  say "ready: containerd on $sock (CNI configuration in $netd), registry on $registry_addr"
}

# The container ids of this instance's CRI namespace: the sandboxes among them own CNI leftovers.
sandbox_ids() {
  ctr_ -n k8s.io containers ls -q 2>/dev/null || true
}

# Stops every task and removes every container of this instance, in every namespace, through containerd.
remove_containers() {
  local ns ids id
  for ns in $(ctr_ namespaces ls -q 2>/dev/null); do
    ids=$(ctr_ -n "$ns" tasks ls -q 2>/dev/null || true)
    for id in $ids; do
      ctr_ -n "$ns" tasks kill -a -s SIGKILL "$id" >/dev/null 2>&1 || true
    done
    for id in $ids; do
      for _ in $(seq 50); do
        ctr_ -n "$ns" tasks ls 2>/dev/null | awk -v i="$id" '$1 == i && $3 != "STOPPED" { r = 1 } END { exit !r }' || break
        sleep 0.1
      done
      ctr_ -n "$ns" tasks rm -f "$id" >/dev/null 2>&1 || true
    done
    ids=$(ctr_ -n "$ns" containers ls -q 2>/dev/null || true)
    if [ -n "$ids" ]; then
      # shellcheck disable=SC2086
      ctr_ -n "$ns" containers rm $ids >/dev/null 2>&1 || true
      say "removed $(echo "$ids" | wc -w) container(s) in namespace $ns"
    fi
  done
}

# Kills (by PID) the shims of this instance that are still alive, and the processes under them: a shim started with
# `-address SOCK` belongs to this instance.
kill_shims() {
  local pid cmd child
  for pid in $(ls /proc | grep -E '^[0-9]+$'); do
    cmd=$({ tr '\0' ' ' <"/proc/$pid/cmdline"; } 2>/dev/null) || continue
    case "$cmd" in
      *containerd-shim*"-address $sock "*)
        for child in $(cat "/proc/$pid/task/"*/children 2>/dev/null); do
          kill -KILL "$child" 2>/dev/null || true
        done
        kill -KILL "$pid" 2>/dev/null || true
        say "killed leftover shim (pid $pid)"
        ;;
    esac
  done
}

# Deletes the iptables rules that CNI plugins added for the given sandbox ids (their comments carry `id: "ID"`), and
# the per-pod chains they jump to; with no id, every rule that jumps to a CNI-* chain and every CNI-* chain.
remove_cni_rules() {
  local table line chain target
  for table in nat filter; do
    local rules chains=()
    rules=$(in_ns iptables -t "$table" -S 2>/dev/null) || continue
    while IFS= read -r line; do
      [[ $line == "-A "* ]] || continue
      chain=${line#-A }
      chain=${chain%% *}
      target=$(sed -n 's/.* -j \(CNI-[^ ]*\).*/\1/p' <<<"$line")
      local match=0
      if [ $# -eq 0 ]; then
        [[ -n $target && $chain != CNI-* ]] && match=1
      else
        for id in "$@"; do
          [[ $line == *"id: \\\"$id\\\""* ]] && match=1
        done
        [[ $match -eq 1 && -n $target && $target != CNI-HOSTPORT-* ]] && chains+=("$target")
      fi
      if [ "$match" -eq 1 ]; then
        eval "in_ns iptables -t $table -D ${line#-A }" 2>/dev/null || true
      fi
    done <<<"$rules"
    if [ $# -eq 0 ]; then
      while IFS= read -r line; do
        [[ $line == "-N CNI-"* ]] && chains+=("${line#-N }")
      done <<<"$rules"
    fi
    for chain in "${chains[@]}"; do
      in_ns iptables -t "$table" -F "$chain" 2>/dev/null || true
    done
    for chain in "${chains[@]}"; do
      in_ns iptables -t "$table" -X "$chain" 2>/dev/null || true
    done
  done
}

# Frees the host-local IPAM leases of the given sandbox ids (a file per address holding the container id).
remove_ip_leases() {
  local file owner id
  for file in /var/lib/cni/networks/*/*; do
    [ -f "$file" ] || continue
    owner=$(head -n 1 "$file" 2>/dev/null) || continue
    for id in "$@"; do
      if [ "$owner" = "$id" ]; then
        rm -f "$file"
        break
      fi
    done
  done
}

unmount_under() {
  local target
  { findmnt -rn -o TARGET | grep -F "$1/" || true; } | sort -r | while IFS= read -r target; do
    umount -l "$target" 2>/dev/null || true
    say "unmounted $target"
  done
}

other_instances_running() {
  local record other
  for record in "$instances"/*; do
    [ -f "$record" ] && [ "$record" != "$instance_record" ] || continue
    other=$(cat "$record")
    if alive "$(pid_of "$other/containerd.pid")" "$other/config.toml"; then
      return 0
    fi
    rm -f "$record"
  done
  return 1
}

down() {
  local ids=() pid
  if containerd_running; then
    mapfile -t ids < <(sandbox_ids)
    remove_containers
    pid=$(pid_of "$pidfile")
    stop_pid "$pid"
    say "stopped containerd (pid $pid)"
  else
    say "containerd not running ($sock)"
  fi
  kill_shims
  if [ ${#ids[@]} -gt 0 ]; then
    rules_netns=$netns remove_cni_rules "${ids[@]}"
    remove_ip_leases "${ids[@]}"
  fi
  if [ -n "$netns" ] && [ -e "$netns" ]; then
    # The namespace is this instance's alone: every CNI chain and the bridge in it are its leftovers.
    rules_netns=$netns remove_cni_rules
    if nsenter --net="$netns" -- ip link show cni0 >/dev/null 2>&1; then
      nsenter --net="$netns" -- ip link delete cni0
      say "removed the cni0 bridge in $netns"
    fi
  fi
  unmount_under "$state"
  unmount_under "$root"
  rm -rf "$state" "$netd" "$pidfile" "$sock" "$sock.ttrpc"
  rm -f "$instance_record"

  if other_instances_running; then
    say "other instances run: the registry, cni0 and the shared CNI chains stay"
    return
  fi
  pid=$(pid_of "$registry_pidfile")
  if alive "$pid" "$registry_dir/config.yml"; then
    stop_pid "$pid"
    say "stopped registry (pid $pid)"
  fi
  rm -f "$registry_pidfile"
  remove_cni_rules
  if ip link show cni0 >/dev/null 2>&1; then
    ip link delete cni0
    say "removed the cni0 bridge"
  fi
}

status() {
  local pid code=0
  if containerd_running; then
    pid=$(pid_of "$pidfile")
    say "containerd running (pid $pid, $sock, $(ctr_ version 2>/dev/null | awk '/Server:/ { s = 1 } s && /Version:/ { print $2; exit }'))"
    say "images in k8s.io: $(ctr_ -n k8s.io images ls -q 2>/dev/null | grep -v '^sha256:' | tr '\n' ' ')"
    say "tasks: $(ctr_ -n k8s.io tasks ls -q 2>/dev/null | wc -l) in k8s.io"
  else
    say "containerd not running ($sock)"
    code=3
  fi
  pid=$(pid_of "$registry_pidfile")
  if alive "$pid" "$registry_dir/config.yml"; then
    say "registry running (pid $pid, $registry_addr)"
  elif registry_answers; then
    say "a registry not started here answers on $registry_addr"
  else
    say "registry not running ($registry_addr)"
    code=3
  fi
  return $code
}

[ $# -eq 1 ] || die "usage: $0 up|down|status"
[ "$(id -u)" -eq 0 ] || die "needs root (containerd, mounts, iptables)"
mkdir -p "$base" "$instances"
# One up or down at a time on this machine: the registry, the images and the CNI chains are shared.
exec 9>"$base/runtime.lock"
flock 9
case "$1" in
  up) up ;;
  down) down ;;
  status) status ;;
  *) die "usage: $0 up|down|status" ;;
esac
