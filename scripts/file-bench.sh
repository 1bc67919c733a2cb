#!/usr/bin/env bash
# Stores and fetches files between real daemons on loopback and prints one row per size:
#   scripts/file-bench.sh [--nodes N] [--code K+M] [--sizes "1 100 1024"] [--repeat R] [--chunk-bytes B] [--dll PATH] [--port-base P]   (sizes in MiB)
# Node 1 stores each file with 'overlay store', node 2 fetches it with 'overlay fetch'; both are
# timed end to end (wall clock, the CLI's whole process included; *_s) and as the daemon's operation
# alone (from its start to its end, as the daemon reports it; *_op_s), and the copy is compared byte
# for byte. Each size is stored and fetched R times (a new random file each time). The CPU seconds
# (user + system) the daemons spent meanwhile are shown too: the storing node's (store_cpu_own) and
# the other nodes' together (store_cpu_rest), and all nodes' during the fetch (fetch_cpu); on a
# shared host they say more than the wall clock. A command that fails prints its error output and
# its exit code in place of the row, and the script goes on with the next file.
# The nodes run the node as ./overlay publishes it (native, or ReadyToRun), or the build --dll names, with quotas raised so that one file's shards are never refused for
# rate, and no metrics endpoint; they listen on ports the system picks, or on P, P+1, ... with --port-base.
# Everything lives in a temporary directory that is removed at the end.
set -euo pipefail
nodes=5
code=10+4
sizes="1 100"
repeat=1
while [[ $# -gt 0 ]]; do
  case $1 in
    --nodes) nodes=$2; shift 2 ;;
    --code) code=$2; shift 2 ;;
    --sizes) sizes=$2; shift 2 ;;
    --repeat) repeat=$2; shift 2 ;;
    --chunk-bytes) chunk_bytes=$2; shift 2 ;;
    --dll) dll=$2; shift 2 ;;
    --port-base) port_base=$2; shift 2 ;;
    *) echo "usage: $0 [--nodes N] [--code K+M] [--sizes \"MiB ...\"] [--repeat R] [--chunk-bytes B] [--dll Overlay.Node.dll|Overlay.Node] [--port-base P]" >&2; exit 64 ;;
  esac
done

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# The node as ./overlay runs it (built or rebuilt now; OVERLAY_BUILD makes it check the sources), unless --dll
# names another build: a managed Overlay.Node.dll runs with dotnet, any other path is a native executable.
if [[ -z ${dll:-} ]]; then
  OVERLAY_BUILD="${OVERLAY_BUILD:-auto}" "$root/overlay" help >/dev/null
  dll="$root/artifacts/overlay/Overlay.Node.dll"
  [[ -f $dll ]] || dll="$root/artifacts/overlay/Overlay.Node"
fi
if [[ $dll == *.dll ]]; then node=(dotnet "$dll"); else node=("$dll"); fi
work="$(mktemp -d /tmp/overlay-file-bench.XXXXXX)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

# The stripe size is the node's default unless --chunk-bytes sets it.
files_section=
[[ -n ${chunk_bytes:-} ]] && files_section="  \"Files\": { \"ChunkBytes\": $chunk_bytes },
"
cat >"$work/config.json" <<JSON
{
  "Logging": { "LogLevel": { "Default": "Warning", "Overlay.Node.Hosting": "Information", "Overlay.Node.Files": "Information" } },
  "Metrics": { "Listen": "" },
  "Storage": { "CapacityBytes": 68719476736 },
$files_section  "ShardExchange": { "StoresPerMinutePerPeer": 1000000, "StoreBurstPerPeer": 1000000, "MaxBytesPerPeer": 68719476736, "MaxShardsPerPeer": 1000000 }
}
JSON

overlay() { "${node[@]}" "$@"; }
wait_for() { # file, text
  for _ in $(seq 600); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
  echo "timed out waiting for '$2' in $1" >&2; exit 1
}

for i in $(seq 0 $((nodes - 1))); do
  args=(run --data-dir "$work/n$i" --config "$work/config.json" --listen "tcp://127.0.0.1:$(( ${port_base:-0} > 0 ? port_base + i : 0 ))")
  [[ $i -gt 0 ]] && args+=(--bootstrap "$bootstrap")
  "${node[@]}" "${args[@]}" >"$work/n$i.log" 2>&1 &
  pids+=($!)
  if [[ $i -eq 0 ]]; then
    wait_for "$work/n0.log" "Listening on"
    bootstrap="$(grep -m1 -o 'Listening on [^ ]*' "$work/n0.log" | cut -d' ' -f3)"
  else
    wait_for "$work/n$i.log" "DHT joined"
  fi
done
for _ in $(seq 600); do
  contacts="$(overlay status --json --data-dir "$work/n1" | sed -n 's/.*"contacts": \([0-9]*\).*/\1/p' | head -1)"
  [[ ${contacts:-0} -ge $((nodes - 1)) ]] && break
  sleep 0.1
done

echo "dll=$dll"
echo "nodes=$nodes code=$code chunk_bytes=${chunk_bytes:-default} cores=$(nproc) load=$(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-8s %-9s %-10s %-10s %-9s %-10s %-10s %-9s %-14s %-15s %-9s %s\n' MiB store_s store_op_s store_MB/s fetch_s fetch_op_s fetch_MB/s identical store_cpu_own_s store_cpu_rest_s fetch_cpu_s store_phases_ms
# CPU seconds (user + system) a daemon has used so far, from /proc (fields 14 and 15 of its stat, in clock ticks).
ticks=$(getconf CLK_TCK)
cpu_of() { awk -v t="$ticks" '{ sub(/^.*\) /, ""); printf "%.2f", ($12 + $13) / t }' "/proc/$1/stat"; }
cpu_rest() { local sum=0 i; for i in "${!pids[@]}"; do [[ $i -eq 1 ]] || sum=$(awk -v a="$sum" -v b="$(cpu_of "${pids[$i]}")" 'BEGIN { printf "%.2f", a + b }'); done; echo "$sum"; }
# Runs the CLI, its output to $1; on failure shows its error output and exit code and returns non-zero.
run_cli() {
  local out=$1 rc=0; shift
  overlay "$@" >"$out" 2>"$work/cli.err" || rc=$?
  if [[ $rc -ne 0 ]]; then
    echo "overlay $1 failed with exit code $rc:" >&2
    cat "$work/cli.err" "$out" >&2
    echo "last lines of the storing node's log:" >&2
    tail -n 20 "$work/n1.log" >&2
    return 1
  fi
}
# The storing daemon logs each store's phases: stripes placed, manifest placed, content book written.
phases() { grep -o 'stripes placed in [0-9]* ms, manifest in [0-9]* ms, content book in [0-9]* ms' "$work/n1.log" | tail -1 | tr -dc '0-9 ' | awk '{ print $1 "/" $2 "/" $3 }'; }
op_seconds() { sed -n 's/.*"elapsedSeconds": \([0-9.]*\).*/\1/p' "$1" | tail -1; }
failures=0
for mib in $sizes; do
  for _ in $(seq "$repeat"); do
    head -c $((mib * 1048576)) /dev/urandom >"$work/in.bin"
    own0=$(cpu_of "${pids[1]}"); rest0=$(cpu_rest)
    t0=$(date +%s.%N)
    run_cli "$work/store.json" store "$work/in.bin" --code "$code" --json --data-dir "$work/n1" || { failures=$((failures + 1)); continue; }
    t1=$(date +%s.%N)
    own1=$(cpu_of "${pids[1]}"); rest1=$(cpu_rest)
    id="$(sed -n 's/.*"id": "\([0-9a-f]\{64\}\)".*/\1/p' "$work/store.json" | head -1)"
    run_cli "$work/fetch.json" fetch "$id" -o "$work/out.bin" --json --data-dir "$work/n2" || { failures=$((failures + 1)); continue; }
    t2=$(date +%s.%N)
    all2=$(awk -v a="$(cpu_of "${pids[1]}")" -v b="$(cpu_rest)" 'BEGIN { printf "%.2f", a + b }')
    same=no; cmp -s "$work/in.bin" "$work/out.bin" && same=yes
    awk -v m="$mib" -v a="$t0" -v b="$t1" -v c="$t2" -v s="$same" -v so="$(op_seconds "$work/store.json")" -v fo="$(op_seconds "$work/fetch.json")" \
      -v o0="$own0" -v o1="$own1" -v r0="$rest0" -v r1="$rest1" -v a2="$all2" \
      -v ph="$(phases)" 'BEGIN { printf "%-8d %-9.2f %-10.2f %-10.1f %-9.2f %-10.2f %-10.1f %-9s %-14.2f %-15.2f %-9.2f %s\n", m, b - a, so, m * 1.048576 / (b - a), c - b, fo, m * 1.048576 / (c - b), s, o1 - o0, r1 - r0, a2 - o1 - r1, ph }'
    rm -f "$work/in.bin" "$work/out.bin"
  done
done
[[ $failures -eq 0 ]] || { echo "$failures command(s) failed" >&2; exit 1; }
