/**
 * @file vivarium.h
 * @brief The umbrella header: include this one to use all of vivarium.
 *
 * It declares nothing of its own: it includes every public header, each of which also
 * compiles alone (from C99 or C++). The rules every function follows (negative `VIV_E*`
 * codes, the message left in the simulation, the allocator hook) are in vivarium/common.h;
 * each function's header states its ownership, callback timing and errors.
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
