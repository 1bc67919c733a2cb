#!/usr/bin/env bash
# Plots availability over virtual time from the CSV files `Overlay.Sim churn --csv FILE` writes: the share
# of shards whose owner is present that some present node still keeps (column owned_available), one line
# per file. Needs gnuplot (Debian: apt-get install gnuplot-nox).
#   scripts/plot-availability.sh - FILE.csv TITLE [FILE.csv TITLE]...        text plot on stdout
#   scripts/plot-availability.sh OUT.svg FILE.csv TITLE [FILE.csv TITLE]...  SVG file
set -euo pipefail
usage="usage: plot-availability.sh OUT.svg|- FILE.csv TITLE [FILE.csv TITLE]..."
out="${1:?$usage}"
shift
[ $# -ge 2 ] && [ $(( $# % 2 )) -eq 0 ] || { echo "$usage" >&2; exit 2; }
command -v gnuplot >/dev/null || { echo "gnuplot is not installed (apt-get install gnuplot-nox)" >&2; exit 1; }

plots=""
low=100
while [ $# -gt 0 ]; do
  csv="$1"
  title="$2"
  shift 2
  [ -f "$csv" ] || { echo "$csv does not exist" >&2; exit 2; }
  plots+="'$csv' using 1:(100 * \$6) with linespoints title '${title//\'/}', "
  # The y axis starts a little below the lowest sample of all files, and shows the 99.9 % bar.
  low=$(awk -F, -v low="$low" 'NR > 1 && 100 * $6 < low { low = 100 * $6 } END { print low }' "$csv")
done
bottom=$(awk -v low="$low" 'BEGIN { b = low - (100 - low) * 0.25 - 0.01; if (b > 99.8) b = 99.8; print (b < 0 ? 0 : b) }')

if [ "$out" = "-" ]; then
  terminal="set terminal dumb size 100,30"
else
  terminal="set terminal svg size 720,480; set output '$out'"
fi

gnuplot <<GP
$terminal
set datafile separator ','
set xlabel 'virtual time (h)'
set ylabel 'shards of present owners kept by a present node (%)'
set yrange [$bottom:100.005]
set key bottom left
plot ${plots}99.9 with lines dashtype 2 title '99.9 %'
GP
