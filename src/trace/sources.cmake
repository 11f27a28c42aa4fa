set(VIV_SRC_LAYER ladder.c pcap.c)
