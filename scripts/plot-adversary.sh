#!/usr/bin/env bash
# Plots the success curve that `Overlay.Sim adversary --csv FILE` writes: lookups that reached the honest
# node closest to an attacked key, against the malicious fraction m, one measured line per path count d
# and, in the SVG, the S/Kademlia estimate beside it (dashed). Needs gnuplot (Debian: apt-get install gnuplot-nox).
#   scripts/plot-adversary.sh FILE.csv            text plot on stdout (as in docs/BENCHMARKS.md)
#   scripts/plot-adversary.sh FILE.csv OUT.svg    SVG file
set -euo pipefail
csv="${1:?usage: plot-adversary.sh FILE.csv [OUT.svg]}"
out="${2:-}"
command -v gnuplot >/dev/null || { echo "gnuplot is not installed (apt-get install gnuplot-nox)" >&2; exit 1; }

# One block per path count, as gnuplot's `index` wants them: "m measured formula" rows, blank lines between.
data="$(mktemp -t adversary-plot.XXXXXX)"
trap 'rm -f "$data"' EXIT
paths=$(awk -F, 'NR > 1 { print $2 }' "$csv" | sort -n -u)
for d in $paths; do
  awk -F, -v d="$d" 'NR > 1 && $2 == d { printf "%g %g %g\n", 100 * $1, 100 * $3, 100 * $4 }' "$csv" | sort -n
  printf '\n\n'
done > "$data"

# The text plot has too few distinct marks for eight lines: it shows the measured ones only.
plots=""
i=0
for d in $paths; do
  plots+="'$data' index $i using 1:2 with linespoints title 'd=$d measured', "
  if [ -n "$out" ]; then
    plots+="'$data' index $i using 1:3 with lines dashtype 2 title 'd=$d formula', "
  fi
  i=$((i + 1))
done

if [ -n "$out" ]; then
  terminal="set terminal svg size 720,480; set output '$out'"
else
  terminal="set terminal dumb size 100,30"
fi

gnuplot <<EOF
$terminal
set xlabel 'malicious nodes (%)'
set ylabel 'lookups reaching the closest honest node (%)'
set yrange [0:105]
set key bottom left
plot ${plots%, }
EOF
