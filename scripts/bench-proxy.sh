#!/usr/bin/env bash
# make bench-proxy: kube-proxy's full sync (render + apply, with the render / rule tool split) of 1,000 and 10,000
# Services with 10 endpoints each, and the time from an EndpointSlice change to the rules applied (p99 over CHANGES
# changes, through an in-process API server, informers and the sync runner at upstream's 1 s minimum interval, with
# CHANGE_SERVICES Services of 10 endpoints: by default LARGE in nftables mode, 1,000 (or LARGE if smaller) in iptables mode; once at a steady
# one change per second, the headline, and once back to back), inside a network namespace it creates and deletes
# (root); then the cluster DNS server's answered queries per second over UDP on loopback (10,000 services), with
# dnsperf as the load generator (and in-process clients as a baseline).
# MODE=iptables|nftables (default iptables); LARGE=N replaces the 10,000 of the second sync size; CHANGES; CHANGE_SERVICES.
# Ends with: proxy-bench: sync_1k_ms=<n> sync_10k_ms=<n> change_to_rules_p99_ms=<n> dns_qps=<n>
set -euo pipefail
cd "$(dirname "$0")/.."
# dnsperf is the DNS load generator; without it (not root, no mirror) the in-process clients' figure is reported.
scripts/deps.sh bench || echo "bench-proxy: dnsperf missing, the DNS figure comes from in-process clients" >&2
dotnet build bench/Kubesharp.Bench.Proxy -c Release -nologo -clp:ErrorsOnly
dotnet build bench/Kubesharp.Bench.Dns -c Release -nologo -clp:ErrorsOnly
out=$(mktemp)
trap 'rm -f "$out"' EXIT
dotnet bench/Kubesharp.Bench.Proxy/bin/Release/net10.0/Kubesharp.Bench.Proxy.dll --mode "${MODE:-iptables}" \
  --changes "${CHANGES:-100}" --large "${LARGE:-10000}" ${CHANGE_SERVICES:+--change-services "$CHANGE_SERVICES"} | tee "$out"
dotnet bench/Kubesharp.Bench.Dns/bin/Release/net10.0/Kubesharp.Bench.Dns.dll | tee -a "$out"
proxy=$(grep '^proxy-bench:' "$out" | tail -n 1)
dns=$(grep '^dns_qps=' "$out" | tail -n 1)
echo "$proxy $dns"
