# tutorial_sweep.gp: plots what examples/tutorial_sweep prints (tutorial, chapter 6).
#
#   tutorial_sweep > sweep.csv && gnuplot -p tutorial_sweep.gp
#   gnuplot -e "out='sweep.png'" tutorial_sweep.gp         (writes a PNG instead)
#
# Block 1 of sweep.csv (gnuplot's "index 1"): loss, answered_pct, answered_ci95,
# answered_theory, latency_ms, latency_ci95, latency_theory. The measured means are drawn
# with their 95% confidence intervals, the theory as a line.
if (!exists("data")) data = 'sweep.csv'
if (exists("out")) set terminal pngcairo size 1000,420; set output out
set datafile separator ","
set datafile commentschars "#"
set key left bottom
set grid
set xrange [-0.02:0.52]
set multiplot layout 1,2 title "A query with 4 attempts, 100 ms apart, over a lossy cable (10 seeds)"
set xlabel "loss rate, each way"
set ylabel "questions answered (%)"
set yrange [60:101]
plot data index 1 every ::1 using 1:2:3 with yerrorbars title "measured", \
     data index 1 every ::1 using 1:4 with lines title "theory"
set key left top
set ylabel "mean latency of the answered (ms)"
set yrange [0:*]
plot data index 1 every ::1 using 1:5:6 with yerrorbars title "measured", \
     data index 1 every ::1 using 1:7 with lines title "theory"
unset multiplot
