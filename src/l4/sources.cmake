set(VIV_SRC_LAYER demux.c netstat.c process.c sock.c tcp.c tcp_cc.c tcp_cubic.c tcp_in.c tcp_out.c
    tcp_sack.c tcp_timer.c udp.c)
