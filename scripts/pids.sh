# Daemon bookkeeping shared by runtime.sh and cluster.sh (sourced): daemons are stopped by their PID, never by name.

# True when PID $1 is alive and its command line contains $2 (a pid file may outlive its process and the PID be
# reused by another one).
alive() {
  local pid=$1 marker=$2
  [ -n "$pid" ] && { tr '\0' ' ' <"/proc/$pid/cmdline"; } 2>/dev/null | grep -qF -- "$marker"
}

# The PID recorded in file $1, or nothing.
pid_of() { [ -f "$1" ] && cat "$1" || true; }

# Sends SIGTERM to PID $1, waits up to 10 s, then SIGKILL.
stop_pid() {
  local pid=$1
  kill -TERM "$pid" 2>/dev/null || return 0
  for _ in $(seq 100); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
}
