set(VIV_SRC_LAYER frameinfo.c hub.c link.c node.c switch.c device.c)
