/**
 * @file vivarium.h
 * @brief The umbrella header: include this one to use all of vivarium.
 */
#ifndef VIVARIUM_H
#define VIVARIUM_H

#include "vivarium/common.h"
#include "vivarium/sim.h"
#include "vivarium/rng.h"
#include "vivarium/addr.h"
#include "vivarium/frame.h"
#include "vivarium/node.h"
#include "vivarium/link.h"
#include "vivarium/hub.h"
#include "vivarium/switch.h"
#include "vivarium/sys/device.h"
#include "vivarium/host.h"
#include "vivarium/router.h"
#include "vivarium/icmp.h"
#include "vivarium/socket.h"
#include "vivarium/udp.h"
#include "vivarium/tcp.h"
#include "vivarium/tcp_cc.h"
#include "vivarium/process.h"
#include "vivarium/pcap.h"
#include "vivarium/trace.h"
#include "vivarium/ladder.h"
#include "vivarium/wire.h"
#include "vivarium/testing.h"

#endif
