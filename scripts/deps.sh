#!/usr/bin/env bash
# Installs the Debian packages the tests and benchmarks need, when missing. Idempotent.
# Usage: scripts/deps.sh etcd|runtime|aot|bench...
set -euo pipefail

installed() {
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

need=()
for what in "$@"; do
  case "$what" in
    etcd) command -v etcd >/dev/null 2>&1 || need+=(etcd-server etcd-client) ;;
    # What scripts/runtime.sh needs: a private containerd with runc and the CNI plugins, the tools the CNI plugins
    # call, busybox and a static C toolchain for the two local images, a registry and skopeo to push to it.
    runtime)
      for pkg in containerd runc containernetworking-plugins iptables nftables conntrack busybox-static \
        docker-registry skopeo socat curl gcc libc6-dev; do
        installed "$pkg" || need+=("$pkg")
      done
      ;;
    # What Native AOT links kubesharp-node with (scripts/build-node.sh): a C compiler driver and the C library's files.
    aot)
      for pkg in gcc libc6-dev; do
        installed "$pkg" || need+=("$pkg")
      done
      ;;
    # What the benchmarks use beside the runtime: DNS-OARC's dnsperf as the DNS load generator (make bench-proxy).
    bench) installed dnsperf || need+=(dnsperf) ;;
    *) echo "deps.sh: unknown dependency $what" >&2; exit 2 ;;
  esac
done

if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "deps.sh: missing ${need[*]}; run as root to install them (tests that need them will be skipped)" >&2
  exit 1
fi

echo "installing ${need[*]} (apt-get)..."
export DEBIAN_FRONTEND=noninteractive
for attempt in 1 2 3; do
  if apt-get update -qq && apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null; then
    exit 0
  fi
  echo "deps.sh: apt-get failed (attempt $attempt), retrying..." >&2
  sleep $((attempt * 5))
done
echo "deps.sh: could not install ${need[*]}" >&2
exit 1
