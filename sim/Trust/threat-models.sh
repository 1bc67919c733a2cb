#!/usr/bin/env bash
# Runs the EigenTrust threat models A–D at 10–70 % malicious peers, trust on and off, on the placement
# library driven by simulated interactions (1,000 peers, PlanetLab latencies, seed 1), writes the table to
# docs/placement/threat-models.tsv and plots it to docs/placement/*.svg with gnuplot (Debian: gnuplot-nox).
# Takes about 5 minutes of CPU time. Extra arguments go to 'Overlay.Sim trust'.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
if ! command -v gnuplot >/dev/null; then
  echo "gnuplot is missing; install it with: apt-get install gnuplot-nox" >&2
  exit 1
fi

out="$root/docs/placement"
mkdir -p "$out"
dotnet build sim -c Release --nologo -v quiet
dotnet artifacts/bin/Sim/release/Overlay.Sim.dll trust --peers 1000 --rounds 48 --seed 1 \
  --latency "$root/../shared/testdata/latency/PlanetLabData_1" --tsv "$out/threat-models.tsv" "$@"
gnuplot -e "data='$out/threat-models.tsv'; outdir='$out'" "$root/sim/Trust/threat-models.gp"
echo "wrote $out/threat-models.tsv, $out/placements-on-malicious.svg, $out/shards-lost.svg"
