set(VIV_SRC_LAYER netstat.c sock.c udp.c)
