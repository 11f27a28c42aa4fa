set(VIV_SRC_LAYER pcap.c)
