# Plots the table written by 'Overlay.Sim trust --tsv': placements on malicious peers and shards lost
# against the malicious share, one panel per threat model, trust on (solid) and off (dashed).
# Usage: gnuplot -e "data='threat-models.tsv'; outdir='.'" threat-models.gp
set terminal svg size 1000,760 dynamic font "sans,12"
set datafile separator "\t"
set key top left
set grid
set xrange [0.05:0.75]
set xtics ("10%%" 0.1, "20%%" 0.2, "30%%" 0.3, "40%%" 0.4, "50%%" 0.5, "60%%" 0.6, "70%%" 0.7)
set xlabel "malicious peers"
models = "A B C D"
titles = "'A: independent' 'B: collective' 'C: camouflage (f = 0.5)' 'D: spies (25 %)'"
# The rows of one model with trust on or off, in file order (ascending malicious share).
rows(m, t) = sprintf("< awk -F'\t' '$1 == \"%s\" && $3 == \"%s\"' '%s'", m, t, data)

# Columns: 2 malicious share, 9 placements on malicious, 10 on misbehaving, 11 shards lost.
set output outdir."/placements-on-malicious.svg"
set multiplot layout 2,2 title "Replicas placed on malicious peers (1,000 peers, r = 3, seed 1)"
set yrange [0:100]
set ylabel "share of replicas (%)"
do for [i=1:4] {
  m = word(models, i)
  set title word(titles, i)
  if (m eq "D") {
    plot rows(m, "on") using 2:($9*100) with linespoints lw 2 pt 7 lc rgb "#1b7837" title "trust on", \
         rows(m, "off") using 2:($9*100) with linespoints lw 2 pt 5 dt 2 lc rgb "#b2182b" title "trust off (uniform)", \
         rows(m, "on") using 2:($10*100) with linespoints lw 1 pt 6 lc rgb "#5aae61" title "trust on, on shard droppers"
  } else {
    plot rows(m, "on") using 2:($9*100) with linespoints lw 2 pt 7 lc rgb "#1b7837" title "trust on", \
         rows(m, "off") using 2:($9*100) with linespoints lw 2 pt 5 dt 2 lc rgb "#b2182b" title "trust off (uniform)"
  }
}
unset multiplot

set output outdir."/shards-lost.svg"
set multiplot layout 2,2 title "Objects whose every replica was dropped (1,000 peers, r = 3, seed 1; none lost is drawn at 0.001 %)"
set logscale y
set yrange [0.001:100]
set ylabel "share of objects (%)"
do for [i=1:4] {
  m = word(models, i)
  set title word(titles, i)
  plot rows(m, "on") using 2:($11 > 0 ? $11*100 : 0.001) with linespoints lw 2 pt 7 lc rgb "#1b7837" title "trust on", \
       rows(m, "off") using 2:($11 > 0 ? $11*100 : 0.001) with linespoints lw 2 pt 5 dt 2 lc rgb "#b2182b" title "trust off (uniform)"
}
unset multiplot
