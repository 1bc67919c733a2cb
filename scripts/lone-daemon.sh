#!/usr/bin/env bash
# What one lone daemon costs to start, measured from outside: starts `overlay run` of the given build on a
# fresh data directory (loopback, kernel-chosen port, no metrics endpoint), waits for its "running" line,
# then reads /proc after WAIT more seconds. Prints one line: seconds to "running", CPU (user + system) at
# "running" and after WAIT, VmRSS, PSS and threads. Repeat it, and alternate builds, to compare them.
#   scripts/lone-daemon.sh artifacts/overlay/Overlay.Node.dll      # a managed build (run with dotnet)
#   scripts/lone-daemon.sh PATH/Overlay.Node                       # a native (NativeAOT) build
set -euo pipefail
if [[ $# -lt 1 ]]; then
  echo "usage: scripts/lone-daemon.sh NODE.dll|NODE-EXECUTABLE [WAIT-SECONDS]" >&2
  exit 2
fi
node=$1
wait_seconds=${2:-10}
if [[ $node == *.dll ]]; then command=(dotnet "$node"); else command=("$node"); fi
data=$(mktemp -d)
trap 'rm -rf "$data"' EXIT
echo '{ "Metrics": { "Listen": "" } }' >"$data/node.config.json"
started=$(date +%s%N)
"${command[@]}" run --data-dir "$data" --listen tcp://127.0.0.1:0 >"$data/log" 2>&1 &
pid=$!
# CPU of the process in clock ticks (USER_HZ, 100 a second): fields 14 and 15 of /proc/PID/stat.
ticks() { awk '{ print $14 + $15 }' "/proc/$pid/stat"; }
until grep -qs ' running$' "$data/log"; do
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "the daemon exited before it was running:" >&2
    cat "$data/log" >&2
    exit 1
  fi
  sleep 0.05
done
running=$(date +%s%N)
at_running=$(ticks)
sleep "$wait_seconds"
after=$(ticks)
rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status")
threads=$(awk '/^Threads:/ { print $2 }' "/proc/$pid/status")
pss=$(awk '/^Pss:/ { print $2 }' "/proc/$pid/smaps_rollup")
kill -TERM "$pid"
wait "$pid" || true
awk -v w="$(( (running - started) / 1000000 ))" -v a="$at_running" -v b="$after" -v s="$wait_seconds" -v r="$rss" -v p="$pss" -v t="$threads" 'BEGIN {
  printf "running after %.2f s; CPU %.2f s at running, %.2f s %d s later; RSS %d MB, PSS %d MB, %d threads\n", w / 1000, a / 100, b / 100, s, r / 1024, p / 1024, t }'
