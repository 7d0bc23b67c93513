#!/usr/bin/env bash
# Captures what the real kubectl sends as protobuf, with the JSON that kubectl itself prints for the same
# object (--dry-run=client -o json, Go's encoding/json): the golden pairs of ProtobufGoldenTests.
#
# Usage: KUBECONFIG=... tests/Kubesharp.Api.Tests/Protobuf/Golden/capture.sh
# against a running server (out/kubesharp server --datastore memory ...). The bodies are read from kubectl's
# -v=10 log, which hex-dumps binary request bodies; the server's answer does not matter (some kinds are not
# served yet: the request is still logged).
set -euo pipefail
cd "$(dirname "$0")"
kubectl=${KUBECTL:-kubectl}
ns=protobuf-capture
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

"$kubectl" create namespace "$ns" --dry-run=client -o json | "$kubectl" apply -f - >/dev/null
"$kubectl" -n "$ns" delete cronjob rich --ignore-not-found >/dev/null
"$kubectl" -n "$ns" create -f rich-cronjob.json >/dev/null
"$kubectl" -n "$ns" create deployment hpa-target --image=nginx --dry-run=client -o json | "$kubectl" -n "$ns" apply -f - >/dev/null
printf '\x00\x01\xfe\xffbinary' > "$scratch/blob.bin"
printf 'from a file\n' > "$scratch/note.txt"

hexdump_body() {
  # The first hex-dumped request body of a -v=10 log, as raw bytes.
  python3 -c '
import re, sys
out, inside = bytearray(), False
for line in sys.stdin:
    if "\"Request Body\"" in line and line.rstrip().endswith("body=<"):
        if out: break
        inside = True
        continue
    if inside:
        m = re.match(r"\s+[0-9a-f]{8}  ([0-9a-f ]+?)\s*\|", line)
        if not m: inside = False; continue
        out += bytes.fromhex(m.group(1).replace(" ", ""))
sys.stdout.buffer.write(out)'
}

capture() {
  # Flags go before a "--" that starts a container command.
  local name=$1; shift
  local args=() rest=()
  while [ $# -gt 0 ] && [ "$1" != "--" ]; do args+=("$1"); shift; done
  rest=("$@")
  "$kubectl" -n "$ns" "${args[@]}" -v=10 "${rest[@]}" 2>&1 >/dev/null | hexdump_body > "$name.pb" || true
  if [ ! -s "$name.pb" ]; then echo "no protobuf body for $name" >&2; exit 1; fi
  if [ "${NOJSON:-}" != 1 ]; then
    "$kubectl" -n "$ns" "${args[@]}" --dry-run=client -o json "${rest[@]}" > "$name.json"
  fi
  echo "$name: $(wc -c < "$name.pb") bytes"
}

capture configmap create configmap cm1 --from-literal=a=b --from-literal=empty= --from-file=blob="$scratch/blob.bin" --from-file=note="$scratch/note.txt"
capture configmap-empty create configmap cm2
capture secret-generic create secret generic s1 --from-literal=a=b --from-literal=empty= --type=Opaque
capture secret-docker-registry create secret docker-registry d1 --docker-server=registry.local --docker-username=u --docker-password=p --docker-email=u@example.com
capture deployment create deployment d1 --image=nginx:1.25 --image=busybox --port=80 --replicas=3
capture deployment-zero-replicas create deployment d2 --image=nginx --replicas=0
capture service-clusterip create service clusterip s1 --tcp=80:8080 --tcp=443
capture service-headless create service clusterip h1 --clusterip=None
capture service-nodeport create service nodeport n1 --tcp=80:8080 --node-port=30080
capture service-loadbalancer create service loadbalancer lb1 --tcp=80
capture service-externalname create service externalname e1 --external-name=example.com
capture namespace create namespace ns1
capture serviceaccount create serviceaccount sa1
capture job create job j1 --image=busybox -- echo hi
capture job-from-cronjob create job rich-run --from=cronjob/rich
capture cronjob create cronjob cj1 --image=busybox --schedule="*/5 * * * *" --restart=Never -- date
capture role create role r1 --verb=get,list --resource=pods,deployments.apps --resource-name=x
capture rolebinding create rolebinding rb1 --role=r1 --user=u --group=g --serviceaccount=other:sa
capture clusterrole create clusterrole cr1 --verb=get,watch --resource=pods,pods/log
capture clusterrole-nonresource create clusterrole cr2 --verb=get --non-resource-url=/logs/*
capture clusterrole-aggregation create clusterrole cr3 --aggregation-rule=a=b
capture clusterrolebinding create clusterrolebinding crb1 --clusterrole=cr1 --user=u --serviceaccount=other:sa
capture quota create quota q1 --hard=pods=2,requests.cpu=500m,limits.memory=1Gi --scopes=BestEffort
capture priorityclass create priorityclass pc1 --value=0 --description=d --preemption-policy=Never
capture priorityclass-default create priorityclass pc2 --value=1000 --global-default=true
capture pdb create poddisruptionbudget pdb1 --selector=a=b --min-available=50%
capture pdb-max-unavailable create poddisruptionbudget pdb2 --selector=a=b --max-unavailable=1
capture ingress create ingress ing1 --class=nginx --rule="foo.com/bar*=svc1:8080,tls=secret1" --annotation=a=b
capture horizontalpodautoscaler autoscale deployment hpa-target --min=1 --max=3 --cpu-percent=80
NOJSON=1 capture tokenrequest create token default --duration=10m --audience=vault
NOJSON=1 capture selfsubjectaccessreview auth can-i get pods
