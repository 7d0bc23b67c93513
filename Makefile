# Kubesharp: the two set-up commands are `make run` (a cluster on the embedded store) and `make test`.
SHELL := /bin/bash
CONFIG ?= Release
NODES ?= 2
DATA_DIR ?= $(if $(filter 0,$(shell id -u)),/var/lib/kubesharp,$(HOME)/.kubesharp)

.PHONY: all build test run cluster cluster-down runtime-up runtime-down bench-storage bench-api bench-controllers bench-scheduler bench-kubelet bench-proxy format format-check clean

all: build

## build: everything in Release; the executable lands at out/kubesharp, with out/kubesharp-node (the node commands, Native AOT) beside it
build:
	dotnet build Kubesharp.slnx -c $(CONFIG) -nologo -clp:ErrorsOnly
	dotnet publish src/Kubesharp/Kubesharp.csproj -c $(CONFIG) -o out -nologo -clp:ErrorsOnly --no-build
	CONFIG=$(CONFIG) scripts/build-node.sh out
	@echo "built out/kubesharp ($$(out/kubesharp --version)) and out/kubesharp-node (Native AOT)"

## test: every test project; installs and starts what the tests need; prints "N passed, N failed[, N skipped]"
test:
	scripts/test.sh

## run: installs what is missing, builds, starts the container runtime and `kubesharp server` (SQLite store in $(DATA_DIR), its own node); Ctrl-C stops it
run:
	DATA_DIR=$(DATA_DIR) CONFIG=$(CONFIG) scripts/run.sh

## cluster: one server and NODES agents on this machine, each node in its own network namespace with its own containerd (root; NODES=2 by default)
cluster: build
	NODES=$(NODES) scripts/cluster.sh up

## cluster-down: removes that cluster (daemons, namespaces, the bridge, its directory)
cluster-down:
	scripts/cluster.sh down

## runtime-up: a private containerd (/run/kubesharp/containerd/containerd.sock), the registry on 127.0.0.1:5000, the pause and busybox images (idempotent; root)
runtime-up:
	scripts/runtime.sh up

## runtime-down: stops that containerd and everything it ran, the registry, and removes cni0 and the CNI-* chains
runtime-down:
	scripts/runtime.sh down

## bench-storage: the same workload against SQLite, etcd and memory in one run
bench-storage:
	scripts/bench-storage.sh

## bench-api: the server on SQLite under 64 clients, a 10,000-pod list and 100 watchers
bench-api:
	scripts/bench-api.sh

## bench-controllers: 1,000 Deployments of 10 replicas against the server on SQLite, created then deleted (DEPLOYMENTS, REPLICAS to change)
bench-controllers:
	scripts/bench-controllers.sh $(DEPLOYMENTS) $(REPLICAS)

## bench-scheduler: scheduler_perf-like: 5,000 nodes and 10,000 pods, topology spread and anti-affinity on 1,000 nodes, the bind ceiling (NODES, FEATURE_NODES, INIT_PODS, PODS, WORKLOADS to change)
bench-scheduler:
	scripts/bench-scheduler.sh

## bench-kubelet: pod startup latency on one node with its images present (100 pods at 5/s, then 100 at once) and the raw CRI baseline
bench-kubelet:
	scripts/bench-kubelet.sh

## bench-proxy: kube-proxy full sync of 1,000 and 10,000 services (10 endpoints each; render vs rule tool split), EndpointSlice change to rules p99 at one change per second on the large size (and back to back), in a network namespace (root; MODE=iptables|nftables, LARGE, CHANGES, CHANGE_SERVICES), and cluster DNS queries per second
bench-proxy:
	scripts/bench-proxy.sh

format:
	dotnet format Kubesharp.slnx

format-check:
	dotnet format Kubesharp.slnx --verify-no-changes

clean:
	rm -rf out .test-results
	dotnet clean Kubesharp.slnx -nologo -v q
