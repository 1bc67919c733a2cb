#!/usr/bin/env bash
# Overlay.Erasure beside Go's klauspost/reedsolomon, as Debian packages it
# (golang-github-klauspost-reedsolomon-dev, built with Debian's golang-go; installed here when run as root).
#
#   scripts/erasure-anchor.sh [ROUNDS]     single-core throughput, both sides alternating (default 5 rounds)
#   scripts/erasure-anchor.sh crosscheck   both libraries on the same stripes: identical parity and rebuilt data
#
# Throughput: each round runs the Go harness (scripts/erasure-anchor/main.go, GOMAXPROCS=1, one goroutine)
# and `Overlay.Benchmarks.dll erasure-cpu tsv`, in alternating order; each prints GB/s of data per
# figure (median of 9 batches timed by process CPU time). The table gives the median over rounds of
# each side and their ratio; the whole-process CPU time of every run is printed as it finishes.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$root/scripts/prerequisites.sh"
overlay_require_prerequisites

packages=(golang-go golang-github-klauspost-reedsolomon-dev)
gopath=/usr/share/gocode
if ! command -v go >/dev/null 2>&1 || [ ! -d "$gopath/src/github.com/klauspost/reedsolomon" ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "erasure-anchor: installing ${packages[*]} from Debian's packages..." >&2
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${packages[@]}") >/dev/null
  else
    echo "erasure-anchor: needs Debian's ${packages[*]}; install them with 'sudo apt-get install ${packages[*]}'." >&2
    exit 1
  fi
fi

work="$(mktemp -d -t erasure-anchor.XXXXXX)"
trap 'rm -rf "$work"' EXIT
# GOPATH mode against the packaged sources: nothing is downloaded.
(cd "$root/scripts/erasure-anchor" && GO111MODULE=off GOPATH="$gopath" GOCACHE="$work/gocache" GOFLAGS= go build -o "$work/erasure-anchor" .)
dotnet build "$root/benchmarks" -c Release --nologo -v quiet >/dev/null
bench=("dotnet" "$root/artifacts/bin/Benchmarks/release/Overlay.Benchmarks.dll")
echo "go: $(go version | cut -d' ' -f3), klauspost/reedsolomon $(dpkg-query -W -f='${Version}' golang-github-klauspost-reedsolomon-dev); dotnet: $(dotnet --version); $(nproc) cores; load: $(cut -d' ' -f1-3 /proc/loadavg)"

if [ "${1:-}" = "crosscheck" ]; then
  mkdir -p "$work/cases"
  "$work/erasure-anchor" crosscheck "$work/cases"
  "${bench[@]}" erasure-crosscheck "$work/cases"
  exit
fi

rounds="${1:-5}"
results="$work/results.tsv"
TIMEFORMAT='%U user + %S sys seconds of CPU, %R s wall'
run_go() { echo -n "round $1 go:     "; { time GOMAXPROCS=1 "$work/erasure-anchor" bench 2>/dev/null >>"$results"; } 2>&1; }
run_dotnet() { echo -n "round $1 dotnet: "; { time "${bench[@]}" erasure-cpu tsv >>"$results"; } 2>&1; }
for round in $(seq 1 "$rounds"); do
  if [ $((round % 2)) -eq 1 ]; then run_go "$round"; run_dotnet "$round"; else run_dotnet "$round"; run_go "$round"; fi
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"

# side, operation, code, shard bytes, gap, GB/s → one row per figure: medians over rounds and all rounds' values.
awk -F'\t' -v rounds="$rounds" '
  function median(list,   n, a, i, j, t) {
    n = split(list, a, " ")
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
  }
  {
    key = $2 "\t" $3 "\t" $4 "\t" $5
    if (!(key in seen)) { seen[key] = 1; order[++count] = key }
    values[$1, key] = values[$1, key] " " $6
  }
  END {
    printf "| Operation | Code | Shard | Gap | Go GB/s (median of %d) | .NET GB/s (median of %d) | .NET / Go | Go rounds | .NET rounds |\n", rounds, rounds
    print "|---|---|---:|---:|---:|---:|---:|---|---|"
    for (i = 1; i <= count; i++) {
      split(order[i], f, "\t")
      go = median(values["go", order[i]]); net = median(values["dotnet", order[i]])
      printf "| %s | %s | %d KiB | %d | %.2f | %.2f | %.2f | %s | %s |\n", f[1], f[2], f[3] / 1024, f[4], go, net, net / go, values["go", order[i]], values["dotnet", order[i]]
    }
  }' "$results"
