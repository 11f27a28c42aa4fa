set(VIV_SRC_LAYER capture.c frameinfo.c hub.c link.c node.c switch.c device.c)
