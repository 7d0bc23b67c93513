#!/usr/bin/env python3
"""Where the machine's CPU goes during one phase of a benchmark, per process class (issue 7).

Usage (root): scripts/cpu-account.py [--start REGEX] [--end REGEX] [--burst] [--symbols] [--out DIR] [--freq HZ] -- COMMAND...

Runs COMMAND, passes its output through, and between the first output line matching --start and the first one
matching --end (by default the 5 pods/s phase of `make bench-kubelet`: after the warm-up pod, until the paced pods
are Ready; --burst: the 100-at-once phase) samples every CPU with `perf record -e cpu-clock -a` (idle shows as "idle"), and records every exec and
every process exit. Prints, after COMMAND ends, CPU-seconds per process class (from the samples), exec counts per
program, and, as a cross-check without sampling, the utime+stime of the long-lived processes (containerd, the shims,
the kubesharp server and agent, the driver) read from /proc at both ends, with the CPU of the children they reaped
(cutime+cstime: containerd reaps the CNI plugins, a shim reaps its runc invocations).

Short-lived processes are sampled like any other: a 5 ms runc invocation is in the figures statistically (about
N/freq seconds for N samples), which /proc and BSD process accounting (10 ms granularity per process) cannot give.
"""
import argparse
import collections
import os
import re
import signal
import subprocess
import sys
import threading
import time

TICK = os.sysconf("SC_CLK_TCK")


def read_procs():
    """pid -> (comm, cmdline, utime+stime, cutime+cstime) in seconds, for every process now."""
    procs = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmdline = f.read().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:
            continue
        comm = stat[stat.index("(") + 1:stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2:].split()
        # fields[0] is state (field 3); utime is field 14, stime 15, cutime 16, cstime 17.
        utime, stime, cutime, cstime = (int(fields[i]) for i in (11, 12, 13, 14))
        procs[int(entry)] = (comm, cmdline, (utime + stime) / TICK, (cutime + cstime) / TICK)
    return procs


def role(comm, cmdline):
    """A long-lived process's class from its command line (None for the ones classed by comm alone)."""
    if comm == "kubesharp" or "/kubesharp " in cmdline + " ":
        words = cmdline.split()
        if len(words) > 1 and words[1] in ("server", "agent", "kubelet", "proxy"):
            # The benchmark's own run under its temporary directory; others on the machine are told apart.
            return f"kubesharp {words[1]}" + ("" if "kubesharp-bench-" in cmdline else " (not this benchmark's)")
    if "Kubesharp.Bench" in cmdline:
        return "bench driver (dotnet)"
    return None


def classify(name):
    if name in ("swapper", "idle"):
        return "idle"
    if name.startswith("containerd-shim"):
        return "containerd-shim-runc-v2"
    if name.startswith("runc"):
        return "runc (create/start/state/kill/delete, runc init)"
    if name in ("bridge", "host-local", "portmap", "loopback", "bandwidth", "firewall", "tuning"):
        return f"CNI {name}"
    if name.startswith(("kworker", "ksoftirqd", "rcu_", "migration", "kdamond", "kcompactd", "jbd2", "kswapd")):
        return "kernel threads"
    if name in ("iptables", "iptables-restor", "iptables-save", "ip6tables", "ip6tables-resto", "xtables-nft-mu", "nft",
                "xtables-legacy-"):
        return f"iptables/nft ({name})"
    return name


PHASES = {
    "paced": (r"kubelet-bench: paced: creating \d+ pods", r"kubelet-bench: paced: \d+ pods Ready"),
    "burst": (r"kubelet-bench: burst: creating \d+ pods", r"kubelet-bench: burst: \d+ pods Ready"),
}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--phases", default="paced,burst", help="of make bench-kubelet: paced, burst (default both)")
    parser.add_argument("--start", help="a phase of another command: from the first line matching this")
    parser.add_argument("--end", help="... to the first line matching this")
    parser.add_argument("--out", default=".test-results/cpu-account")
    parser.add_argument("--freq", type=int, default=499)
    parser.add_argument("--symbols", action="store_true",
                        help="also the hottest functions of the kubesharp processes and the driver (set "
                             "DOTNET_PerfMapEnabled=1 in COMMAND's environment for .NET names)")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no command")
    os.makedirs(args.out, exist_ok=True)
    wanted = {"phase": (args.start, args.end)} if args.start and args.end else \
        {name: PHASES[name] for name in args.phases.split(",")}
    phases = [{"name": name, "start": re.compile(a), "end": re.compile(b), "phase": "before", "perf": None,
               "data": os.path.join(args.out, f"{name}.perf.data")} for name, (a, b) in wanted.items()]
    lock = threading.Lock()

    def begin(state):
        state["s0"] = read_procs()
        data = state["data"]
        if os.path.exists(data):
            os.remove(data)
        state["perf"] = subprocess.Popen(
            ["perf", "record", "-q", "-e", "cpu-clock", "-a", "-F", str(args.freq), "-o", data],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        # perf writes its header once it records; the phase's first moments are lost until then.
        for _ in range(100):
            if os.path.exists(data) and os.path.getsize(data) > 0:
                break
            time.sleep(0.01)
        state["t0"] = time.monotonic()
        state["phase"] = "in"

    def finish(state):
        state["perf"].send_signal(signal.SIGINT)
        state["t1"] = time.monotonic()
        state["s1"] = read_procs()
        state["perf"].wait()
        state["phase"] = "after"

    def on_line(line):
        with lock:
            for state in phases:
                if state["phase"] == "before" and state["start"].search(line):
                    begin(state)
                elif state["phase"] == "in" and state["end"].search(line):
                    finish(state)

    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1)

    def pump(src, dst):
        for line in src:
            dst.write(line)
            dst.flush()
            on_line(line)

    pumps = [threading.Thread(target=pump, args=(child.stdout, sys.stdout)),
             threading.Thread(target=pump, args=(child.stderr, sys.stderr))]
    for t in pumps:
        t.start()
    code = child.wait()
    for t in pumps:
        t.join()
    for state in phases:
        if state["phase"] == "in":
            finish(state)
        if state["phase"] == "before":
            print(f"cpu-account: {state['name']}: the start marker never came", file=sys.stderr)
            code = code or 1
            continue
        print(f"cpu-account: === {state['name']} ===")
        report(args, state["data"], state)
    return code


def report(args, data, state):
    s0, s1 = state["s0"], state["s1"]
    wall = state["t1"] - state["t0"]
    roles = {}
    for snap in (s0, s1):
        for pid, (comm, cmdline, _, _) in snap.items():
            r = role(comm, cmdline)
            if r:
                roles[pid] = r

    out = subprocess.run(["perf", "script", "-i", data, "-F", "comm,pid,tid,ip,dso", "--show-task-events"],
                         capture_output=True, text=True).stdout
    main_comm = {}
    samples = collections.Counter()
    execs = collections.Counter()
    sample_re = re.compile(r"^\s*(.*?)\s+(-?\d+)/(-?\d+)\s+[0-9a-f]+\s+\((.*)\)\s*$")
    jit = collections.Counter()
    comm_re = re.compile(r"PERF_RECORD_COMM( exec)?: (.*):(\d+)/(\d+)$")
    total = 0
    for line in out.splitlines():
        if "PERF_RECORD_" in line:
            m = comm_re.search(line)
            if m:
                name, pid, tid = m.group(2), int(m.group(3)), int(m.group(4))
                if pid == tid:
                    main_comm[pid] = name
                if m.group(1):
                    execs[name] += 1
            continue
        m = sample_re.match(line)
        if not m:
            continue
        comm, pid, tid, dso = m.group(1), int(m.group(2)), int(m.group(3)), m.group(4)
        if dso.endswith("libclrjit.so"):
            jit[pid] += 1
        if pid == tid:
            main_comm[pid] = comm
        total += 1
        if pid == 0:
            key = "idle"
        elif pid in roles:
            key = roles[pid]
        else:
            key = classify(main_comm.get(pid, comm))
        samples[key] += 1

    cores = os.cpu_count()
    per_sample = 1.0 / args.freq
    print(f"cpu-account: phase {wall:.1f} s wall x {cores} cores = {wall * cores:.1f} CPU-s; {total} samples at "
          f"{args.freq} Hz per core ({total * per_sample:.1f} CPU-s sampled, idle included)")
    busy = sum(n for k, n in samples.items() if k != "idle") * per_sample
    # An idle CPU is not always sampled (tickless idle): idle is what the busy samples leave of wall x cores.
    print(f"cpu-account: busy {busy:.1f} CPU-s, idle {wall * cores - busy:.1f} CPU-s")
    samples.pop("idle", None)
    print(f"  {'class':<52} {'CPU-s':>7} {'of busy':>7}")
    for key, n in samples.most_common():
        print(f"  {key:<52} {n * per_sample:7.2f} {n * per_sample / busy if busy else 0:6.1%}")
    print("cpu-account: .NET processes: CPU-s in the JIT (libclrjit.so) of their own")
    for pid, n in jit.most_common():
        print(f"  {roles.get(pid, main_comm.get(pid, str(pid))):<40} pid {pid:<7} {n * per_sample:6.2f}")
    print("cpu-account: execs during the phase (program name as the kernel saw it at exec)")
    for name, n in execs.most_common(25):
        print(f"  {name:<30} {n:6d}")

    print("cpu-account: long-lived processes from /proc (utime+stime delta; children reaped = cutime+cstime delta)")
    groups = collections.defaultdict(lambda: [0.0, 0.0, 0])
    for pid, (comm, cmdline, cpu1, child1) in s1.items():
        cpu0, child0 = (s0[pid][2], s0[pid][3]) if pid in s0 and s0[pid][0] == comm else (0.0, 0.0)
        key = roles.get(pid) or classify(comm)
        if key in ("containerd", "containerd-shim-runc-v2") or key.startswith(("kubesharp", "bench")):
            g = groups[key]
            g[0] += cpu1 - cpu0
            g[1] += child1 - child0
            g[2] += 1
    for key, (own, children, n) in sorted(groups.items()):
        print(f"  {key:<40} own {own:7.2f}  children {children:7.2f}  ({n} processes alive at the end)")

    if args.symbols:
        for pid, r in sorted(roles.items(), key=lambda x: x[1]):
            if pid not in s1:
                continue
            print(f"cpu-account: hottest functions of {r} (pid {pid})")
            top = subprocess.run(["perf", "report", "-i", data, "--pid", str(pid), "--sort", "dso,sym", "--stdio",
                                  "--percent-limit", "0.7"], capture_output=True, text=True).stdout
            for line in top.splitlines():
                if line and not line.startswith("#"):
                    print("  " + line.strip()[:150])


if __name__ == "__main__":
    sys.exit(main())
