set(VIV_SRC_LAYER arp.c compute.c host.c icmp.c ipv4.c ping.c route.c subnet.c)
