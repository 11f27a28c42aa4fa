set(VIV_SRC_LAYER demux.c netstat.c sock.c tcp.c udp.c)
