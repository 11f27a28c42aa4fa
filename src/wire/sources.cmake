set(VIV_SRC_LAYER arp.c cksum.c eth.c icmp.c ipv4.c tcp.c udp.c)
