#!/usr/bin/env bash
# Instructions per unit of every benchmark target (callgrind, differences of two run lengths,
# so set-up cancels): tests/bench/ircount.sh [path to a Release viv_bench]. Minutes; on demand.
B=${1:-build-rel/tests/bench/viv_bench}
ir() { valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" 2>&1 >/dev/null | awk '/Collected :/{print $4}'; }
d() { echo "scale=1; ($2 - $1) / $3" | bc; }
a=$(ir $B hold --pending 1000 --events 1000000); b=$(ir $B hold --pending 1000 --events 3000000); echo "hold1e3 $(d $a $b 2000000)"
a=$(ir $B lan --per-host 1000); b=$(ir $B lan --per-host 3000); echo "lan $(d $a $b 64000)"
a=$(ir $B hub --seconds 2); b=$(ir $B hub --seconds 10); echo "hub $(d $a $b 80000)"
a=$(ir $B lan --hosts 32 --per-host 2000); b=$(ir $B lan --hosts 32 --per-host 3000); echo "lan32 $(d $a $b 32000)"
a=$(ir $B lan --hosts 256 --per-host 2000); b=$(ir $B lan --hosts 256 --per-host 3000); echo "lan256 $(d $a $b 256000)"
a=$(ir $B fanout --ifaces 10 --count 1000); b=$(ir $B fanout --ifaces 10 --count 3000); echo "fanout10 $(d $a $b 20000)"
a=$(ir $B fanout --ifaces 4000 --count 10); b=$(ir $B fanout --ifaces 4000 --count 30); echo "fanout4000 $(d $a $b 80000)"
a=$(ir $B scale --subnets 4 --per-subnet 250 --count 0 --sockets 2 --compute 0); b=$(ir $B scale --subnets 4 --per-subnet 250 --count 1 --sockets 2 --compute 0); echo "scale4 $(d $a $b 1000)"
ips() {
  for n in 5000000 20000000; do
    valgrind --tool=callgrind --callgrind-out-file=/dev/null $B tcp --bytes $n "$@" 2>&1 |
      sed -n 's/.*data_segments=\([0-9]*\).*/s \1/p; s/.*Collected : \([0-9]*\).*/i \1/p'
  done | awk '$1 == "s" { s[++ns] = $2 } $1 == "i" { i[++ni] = $2 }
              END { printf "%.1f\n", (i[2] - i[1]) / (s[2] - s[1]) }'
}
echo "tcp0 $(ips)"; echo "tcp1 $(ips --loss 0.01)"
# As ns-3's BulkSend and PacketSink (compare.sh's pairs): no copy in, none read out.
echo "tcp0_bulk $(ips --write source --read count)"; echo "tcp1_bulk $(ips --loss 0.01 --write source --read count)"
