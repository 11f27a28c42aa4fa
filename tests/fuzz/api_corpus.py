#!/usr/bin/env python3
"""Writes the hand-made seed corpus of the API-sequence fuzzer (tests/fuzz/corpus/api/).

Each input is a program for the interpreter in api_seq.c: one byte picks an op (its index in
the `ops` table of api_seq.c, read from there so that the numbering stays in sync), and the
bytes after it are the op's arguments, in the order the op reads them (see each op_* function).
The helpers below spell the common argument patterns. Run from anywhere:

    python3 tests/fuzz/api_corpus.py   # rewrites corpus/api/* and the hand-written regress/api/*
"""
import os
import re

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = open(os.path.join(HERE, "api_seq.c")).read()
TABLE = SRC[SRC.index("static const opdef ops[] = {"):]
TABLE = TABLE[:TABLE.index("};")]
OPS = re.findall(r'\{"(\w+)", op_\w+\}', TABLE)
# Ops added later (TCP, processes) are picked by the bytes from 0xe0 (ops2 in api_seq.c).
TABLE2 = SRC[SRC.index("static const opdef ops2[] = {"):]
TABLE2 = TABLE2[:TABLE2.index("};")]
OPS2 = re.findall(r'\{"(\w+)", op_\w+\}', TABLE2)
OPS2_FROM = 0xe0


def op(name, *args):
    code = OPS.index(name) if name in OPS else OPS2_FROM + OPS2.index(name)
    return [code] + [a & 0xff for a in args]


def flat(*parts):
    out = []
    for p in parts:
        out += p
    return out


# ---- objects (slots fill from 0 in creation order) --------------------------------------
NPORTS = {1: 0, 2: 1, 3: 2, 4: 3, 6: 4}
KINDSEL = {"host": 0, "hub": 3, "sw": 4, "dev": 5}


def HOST(nif=1):
    """A host with nif default interfaces (no options)."""
    return op("host_new", nif << 2) + [0] * nif


def ROUTER(nif=2):
    return op("host_new", 0x02 | (nif << 2))


def HUB(n=3):
    return op("l2_new", 0 | NPORTS[n] << 2, 0)


def SW(n=4, b=0):
    return op("l2_new", 1 | NPORTS[n] << 2, 0, b)


def DEV(n=2, mode=0, script=()):
    """mode bit 0: send each frame back out of its port; bit 1: out of the next port."""
    return op("l2_new", 2 | NPORTS[n] << 2, 0, mode, len(script), *script)


def PORT(kind, slot, port=0):
    return [port, KINDSEL[kind], slot]


def LINK(a, b, params=None):
    return op("link_new", 1 if params else 0, *a, *b, *(params or []))


def ADDR(host, iface, ip, prefix=0):
    """ip: a pick_ip byte (0x00 = 10.0.0.1, 0x01 = 10.0.0.2, 0x08 = 10.0.1.1...)."""
    return op("host", 0x01, host, iface, ip, prefix)


def UDP(host, mode=0x13, script=(), opts=0x00):
    """mode bit 0: drain on READABLE, bit 1: echo, bits 3-4: buffer (2: 600 bytes)."""
    return op("udp_new", 0x00, host, opts, mode, len(script), *script)


def BIND(sock, port=0, ip=None):
    """port: a pick_uport index (0: 7, 2: 53, 4: 1000, 7: ephemeral)."""
    return op("udp", 0x00, sock, 0x00, port) if ip is None else op("udp", 0x00, sock, 0x01, ip, port)


def SENDTO(sock, ip, port=0, size=3):
    """size: index in the length table (3: 100 bytes, 4: 1000, 5: 1472, 6: 1473)."""
    return op("udp", 0x02, sock, 0x01, ip, port, size)


def RUN_FOR(idx=9):
    """idx in the duration table: 6: 1 ms, 8: 250 ms, 9: 1 s, 10: 3 s, 11: 61 s."""
    return op("run_for", idx)


def EVENT(delay_idx, script=(), repeat=None, m=0x00):
    if repeat is not None:
        m |= 0x30
        return op("schedule", m, delay_idx, len(script), *script, repeat)
    return op("schedule", m, delay_idx, len(script), *script)


def WIRE(m, src, dst, plen, tb, cap=11, ib=0x00, ival=0x40, eb=0x00, send=1):
    """A frame builder call (op_wire): m picks the builder (0 eth, 1 ARP, 2 IPv4, 3 ICMP,
    4 UDP, 5 TCP; +8: no Ethernet header); cap, plen: indices in its tables (11: 70000 bytes;
    plen 4: 100 bytes); send bit 0: the first device sends the frame."""
    return op("wire", m, cap, 0x00, eb, src, dst, ib, ival, 0, 0, plen, tb, send, 0)


VIV_TIME_MAX = (1 << 64) - 2  # the last instant


def SEED(s=5):
    return [s << 1]


# Two hosts on one cable, 10.0.0.1 and 10.0.0.2.
def PAIR(params=None):
    return flat(HOST(), HOST(), LINK(PORT("host", 0), PORT("host", 1), params),
                ADDR(0, 0, 0x00), ADDR(1, 0, 0x01))


def INSPECT(host):
    return op("host", 0x0b, host, 0, 0, 5, 5, 5, 5, 5, 3, 5)


PROGRAMS = {
    # UDP: bind, sendto, an echo server, recvfrom, connect, send, errors, netstat.
    "udp_echo": flat(
        SEED(1), PAIR(),
        UDP(1, mode=0x13), BIND(0, port=0),                 # socket 0: echo on B:7
        UDP(0, mode=0x11), BIND(1, port=7),                 # socket 1: A, ephemeral
        SENDTO(1, 0x01, 0, 3), SENDTO(1, 0x01, 0, 5), SENDTO(1, 0x01, 0, 6),
        RUN_FOR(6),
        op("udp", 0x01, 1, 0x01, 0x01, 2),                  # connect A to B:53
        op("udp", 0x0a, 1, 0x00, 0, 3),                     # send to the peer
        RUN_FOR(6),
        op("udp", 0x04, 1), op("udp", 0x05, 1), op("udp", 0x06, 0),
        INSPECT(0), INSPECT(1)),
    # A router between two subnets, routes computed, ping and traceroute across.
    "router_ping_traceroute": flat(
        SEED(2), HOST(), ROUTER(2), HOST(),
        LINK(PORT("host", 0), PORT("host", 1, 0)),
        LINK(PORT("host", 1, 1), PORT("host", 2)),
        op("subnet", 0x00 | (0 << 2)), op("subnet", 0x00 | (1 << 2)),
        op("subnet", 0x05, 0, 1, 0),                        # router eth0 in 10.0.0.0/24
        op("subnet", 0x05, 0, 0, 0),                        # host A
        op("subnet", 0x05, 1, 1, 1),                        # router eth1 in 10.0.1.0/24
        op("subnet", 0x05, 1, 2, 0),                        # host B
        op("subnet", 0x03, 0), op("subnet", 0x03, 1),
        op("compute", 0),
        op("ping", 0x00, 0, 0x62, 0x1b, 3, 0x1b, 0),        # A pings B (10.0.1.2)
        op("traceroute", 0x00, 0, 0x62, 0x1d, 0x03, 0),
        RUN_FOR(11),
        op("ping_query", 0x00, 0),
        INSPECT(0), INSPECT(1), INSPECT(2)),
    # A hub and a switch: flooding, learning, aging, the MAC table.
    "hub_switch": flat(
        SEED(3), HUB(3), SW(4), HOST(), HOST(), HOST(),
        LINK(PORT("hub", 0, 0), PORT("sw", 0, 0)),
        LINK(PORT("host", 0), PORT("hub", 0, 1)),
        LINK(PORT("host", 1), PORT("sw", 0, 1)),
        LINK(PORT("host", 2), PORT("sw", 0, 2)),
        ADDR(0, 0, 0x00), ADDR(1, 0, 0x01), ADDR(2, 0, 0x02),
        op("ping", 0x00, 0, 0x02, 0x09, 3, 0x1b, 0),
        op("ping", 0x00, 1, 0x00, 0x09, 3, 0x1b, 0),
        RUN_FOR(10),
        op("switch", 0x02, 0, 4, 4, 0), op("switch", 0x00, 0, 4),
        RUN_FOR(9), op("switch", 0x02, 0, 4, 4, 0), op("switch", 0x01, 0),
        op("node", 0x02, 4, 0, 1), op("node", 0x00, 3, 0, 0), RUN_FOR(9),
        op("node", 0x01, 3, 0, 1)),
    # A device: raw frames, ARP, UDP and ICMP built by the interpreter, an ARP spray, and
    # a device that sends every frame back.
    "device_frames": flat(
        SEED(4), DEV(2, mode=1), HOST(), LINK(PORT("dev", 0, 0), PORT("host", 0)),
        ADDR(0, 0, 0x00),
        op("dev_send", 0x00, 0, 0, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00),   # ARP request
        op("dev_send", 0x00, 0, 0, 0x02, 0x00, 0x09, 0x00, 0x00, 0x00, 0x00, 0x40, 0x00),
        op("dev_send", 0x00, 0, 0, 0x04, 0x00, 0x09, 0x00, 0x00, 0x00, 0x00, 0x00),
        op("dev_send", 0x00, 0, 0, 0x00, 0x00, 6, *range(64)),
        op("arp_spray", 0, 0, 40, 0x00, 0x00, 0x00, 0x01),
        RUN_FOR(9), INSPECT(0),
        op("dev_send", 0x0c, 0, 0x00, 0x00, 0x00, 0x00),     # a port past the end
        op("dev_send", 0x00, 0, 0, 0x00, 0x00, 1)),          # 13 bytes: too short
    # Link parameters and impairments, cut and restore, drop rules, intercepts, counters.
    "link_faults": flat(
        SEED(5),
        PAIR([0x7f, 5, 3, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 1, 4, 4, 9]),
        UDP(1, mode=0x11), BIND(0, port=0), UDP(0, mode=0x11),
        op("link", 0x06, 0, 0, 0x11, 0x00, 0), op("link", 0x06, 0, 1, 0x01, 0),
        op("link", 0x05, 0, 0, 0x0f, 1, 2, 3, 4, 2, 0),
        SENDTO(1, 0x01, 0, 3), SENDTO(1, 0x01, 0, 4), SENDTO(1, 0x01, 0, 3),
        RUN_FOR(6),
        op("link", 0x04, 0, 2, 0), SENDTO(1, 0x01, 0, 3), RUN_FOR(6),
        op("link", 0x04, 0, 2, 1), op("link", 0x01, 0, 0, 5), op("link", 0x02, 0, 2, 3),
        op("link", 0x03, 0, 1, 6), op("link", 0x00, 0, 2, 0x10, 4, 4, 4),
        SENDTO(1, 0x01, 0, 3), RUN_FOR(9),
        op("link", 0x07, 0, 0), op("link", 0x03, 0, 0, 0)),
    # Events: schedule at and after, repeat, cancel, step, run_until, run with a budget.
    "events": flat(
        SEED(6),
        EVENT(6, op("sim_query", 0x04, 1, 0, 0)),
        EVENT(7, (), repeat=5),
        EVENT(9, op("run_for", 6)),                            # a driver in a callback
        op("schedule", 0x05, 8, 0),                            # schedule_at now + 250 ms
        op("schedule", 0x01, 0, 0),                            # schedule_at in the past
        op("cancel", 0x00, 1), op("cancel", 0x00, 1), op("cancel", 0x02, 0, 0),
        op("cancel", 0x03),
        op("step", 2), op("run_until", 0x04, 6), op("run_until", 0x00, 0),
        op("run", 2), op("sim_query", 0x07, 3, 9),
        EVENT(9, op("step", 0), repeat=3), op("run", 4), RUN_FOR(10)),
    # Objects freed inside their own callbacks and inside other objects' callbacks.
    "free_in_callbacks": flat(
        SEED(7), PAIR(),
        UDP(1, mode=0x11, script=op("self", 0)), BIND(0, port=0),
        UDP(0, mode=0x11), SENDTO(1, 0x01, 0, 3), SENDTO(1, 0x01, 0, 3),
        op("ping", 0x00, 0, 0x01, 0x1b, 3, 0x1b, 2, *op("self", 0)),
        op("link", 0x05, 0, 1, 0x00, 0, 2, *op("self", 0)),
        RUN_FOR(9),
        HOST(), LINK(PORT("host", 0), PORT("host", 2)),
        op("ping", 0x00, 0, 0x01, 0x1b, 3, 0x1b, 2, *op("self", 2)),
        EVENT(9, op("free", 0, 2)),
        RUN_FOR(10), INSPECT(0)),
    # viv_sim_free from inside a callback: the driver frees the simulation as it returns.
    "sim_free_in_callback": flat(
        SEED(8), PAIR(), UDP(0, mode=0x11),
        EVENT(6, op("sim_free", 0x5f)), SENDTO(0, 0x01, 0, 3), RUN_FOR(9)),
    # Captures to /dev/null on ports and links; writes of every kind; a path that fails.
    "pcap": flat(
        SEED(9), PAIR(),
        op("pcap", 0x08, 0), op("pcap", 0x02, 0, 0, 0, 0), op("pcap", 0x03, 0, 0, 2),
        op("pcap", 0x03, 0, 0, 0),                            # again: EEXIST
        op("pcap", 0x40, 0),                                   # /nonexistent: EIO
        op("ping", 0x00, 0, 0x01, 0x0b, 3, 0x1b, 0), RUN_FOR(10),
        op("pcap", 0x0c, 0, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00),
        op("pcap", 0x04, 0, 0xe6, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00),
        op("pcap", 0x24, 0, 6, 0x00, 0x00, 2),
        op("pcap", 0x06, 0), op("pcap", 0x07, 0)),
    # The pure functions: address text, error names, random streams, frame summaries.
    "pure": flat(
        SEED(10),
        op("pure", 0x00, 8, *b"10.0.1.7"), op("pure", 0x00, 11, *b"10.0.1.0/24"),
        op("pure", 0x00, 17, *b"02:00:00:00:00:01"), op("pure", 0x08, 6, *b"1.2.3."),
        op("pure", 0x01, 0x00, 0x05, 4, 0x00, 0x20),
        op("pure", 0x02, 0xf0, 4), op("pure", 0x02, 0x10, 15),
        op("pure", 0x03, 0x02, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x40, 0x00, 4),
        op("pure", 0x04, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10), op("pure", 0x05),
        op("sim_query", 0x3d, 7, 1, 2, 3, 4, 5, 6, 7, 8, 9, 1, 2, 3, 4, 5, 6, 7, 8, 9)),
    # Nodes switched off and on while traffic flows; ports and their counters.
    "node_updown": flat(
        SEED(11), PAIR(), UDP(1, mode=0x11), BIND(0, port=0), UDP(0),
        SENDTO(1, 0x01, 0, 3), op("node", 0x00, 0, 1, 0),
        SENDTO(1, 0x01, 0, 3), RUN_FOR(9),
        op("node", 0x00, 0, 1, 1), SENDTO(1, 0x01, 0, 3), RUN_FOR(9),
        op("node", 0x02, 0, 0, 0), op("node", 0x03, 0, 1, 1), op("node", 0xf2, 0, 0, 0)),
    # Bad arguments everywhere: NULL handles, bad directions, out-of-range values.
    "bad_arguments": flat(
        SEED(12), PAIR(),
        op("host_new", 0xe0), op("l2_new", 0xf0, 0), op("l2_new", 0x1c, 0),
        op("link_new", 0x10, 0, 0, 0), op("link_new", 0x00, 0xff, 0, 0, 0, 0),
        op("link_new", 0x00, 0xfe, 0, 0, 0, 0),
        op("link", 0x00, 0, 3), op("link", 0xc1, 0, 0, 1), op("link", 0x06, 0, 2, 0x80, 4),
        op("host", 0xfb, 0, 0), op("host", 0x0d, 0, 0), op("host", 0x01, 0, 0xff, 0, 0),
        op("host", 0x01, 0, 0, 0x80, 10),
        op("udp_new", 0xf0, 0, 0, 0, 0), op("udp", 0xf0, 0, 0, 0), op("udp", 0x07, 0),
        op("ping", 0xf0, 0, 0, 0, 0, 0, 0), op("ping", 0x00, 0, 0, 0x07, 0, 0x07, 0),
        op("ping_query", 0x01), op("pcap", 0x80, 0), op("pcap", 0x3c, 0),
        op("free", 0xf0), op("compute", 0xff), op("cancel", 0x02, 0),
        op("subnet", 0x28), op("subnet", 0xc0), op("subnet", 0x05, 0, 0, 0)),
    # Times at the end of time: run_until the last instant, events there.
    "time_edges": flat(
        SEED(13), PAIR(),
        op("schedule", 0x05, 0xe2, 0), op("schedule", 0x00, 0xe4, 0),
        op("schedule", 0x00, 0xe2, 0),
        op("run_until", 0x03, 0), op("schedule", 0x00, 0, 0), op("run_for", 0xe3),
        SENDTO(0, 0x01, 0, 3), op("run_until", 0x02, 0), op("step", 3)),
    # A loop of two hubs: a broadcast storm that only the event budget ends.
    "hub_loop_storm": flat(
        SEED(14), HUB(3), HUB(3), HOST(),
        LINK(PORT("hub", 0, 0), PORT("hub", 1, 0)),
        LINK(PORT("hub", 0, 1), PORT("hub", 1, 1)),
        LINK(PORT("host", 0), PORT("hub", 0, 2)), ADDR(0, 0, 0x00),
        op("ping", 0x00, 0, 0x01, 0x09, 3, 0x1b, 0), RUN_FOR(9), op("run", 5)),
    # Static routes, the default gateway, deleting routes and addresses, forwarding.
    "routes": flat(
        SEED(15), HOST(2), ROUTER(2), HOST(),
        LINK(PORT("host", 0, 0), PORT("host", 1, 0)), LINK(PORT("host", 1, 1), PORT("host", 2)),
        ADDR(0, 0, 0x00), ADDR(1, 0, 0x01), ADDR(1, 1, 0x08), ADDR(2, 0, 0x09),
        op("host", 0x07, 0, 0, 0x01), op("host", 0x07, 2, 0, 0x08),
        op("host", 0x05, 0, 0x80, 0x08, 0x00, 0x01, 0, 2),
        op("host", 0x0a, 0, 0, 0x09), op("host", 0x1a, 0, 0, 0x09),
        op("ping", 0x00, 0, 0x09, 0x1b, 3, 0x1b, 0), RUN_FOR(10),
        op("host", 0x08, 0, 0, 0x08, 0), op("host", 0x04, 1, 0, 0x08),
        op("host", 0x09, 1, 0, 0), op("ping", 0x00, 0, 0x09, 0x1b, 3, 0x1b, 0), RUN_FOR(10),
        INSPECT(0), INSPECT(1), op("host", 0x0e, 1, 0)),
    # Frame builders (wire.h): UDP, TCP, ICMP, ARP and raw IPv4 frames, sent by a device;
    # a buffer too small; builders without an Ethernet header.
    "wire_frames": flat(
        SEED(17), DEV(1), HOST(), LINK(PORT("dev", 0, 0), PORT("host", 0)), ADDR(0, 0, 0x00),
        UDP(0, mode=0x11), BIND(0, port=0),
        WIRE(4, src=0x07, dst=0x00, plen=4, tb=0x00),          # UDP to 10.0.0.1:7
        WIRE(5, src=0x07, dst=0x00, plen=0, tb=0x0b, ival=0x01),  # TCP SYN, MSS, TS, wscale
        WIRE(3, src=0x07, dst=0x00, plen=10, tb=0x00),         # ICMP echo request
        WIRE(1, src=0x07, dst=0x00, plen=0, tb=0x00),          # ARP
        WIRE(2, src=0x07, dst=0x00, plen=3, tb=0x00, ib=0x80, ival=99),   # IPv4 proto 99
        WIRE(4, src=0x07, dst=0x00, plen=4, tb=0x00, cap=2),   # 13 bytes: VIV_ENOSPC
        WIRE(4 | 8, src=0x07, dst=0x00, plen=4, tb=0x06, send=0),  # no Ethernet, overrides
        WIRE(5, src=0x07, dst=0x00, plen=4, tb=0x80, eb=0x98, ib=0x0c),  # raw TCP options
        RUN_FOR(6), INSPECT(0)),
    # The testing kit: a recorder on a port and a link, names, trace records, expectations
    # parsed and built, run until, checks, the link timing helpers, fingerprints.
    "recorder_expect": flat(
        SEED(18), PAIR(),
        op("rec", 0x00, 0, 0x04, 0x00), op("rec", 0x01, 0, *PORT("host", 0)),
        op("rec", 0x02, 0, 0, 2), op("rec", 0x03, 0, 0x04),
        op("rec", 0x04, 0, 0, 0x00, 0x00), op("rec", 0x04, 0, 1, 0x01, 0x00),
        op("expect", 0x00, 0), op("expect", 0x01, 0, 0x00, 0), op("expect", 0x01, 0, 0x04, 0),
        op("expect", 0x03, 0, 0x04, 0, 0, 0x23, 0x03, 0, 0),      # a pattern, round trip
        UDP(1, mode=0x13), BIND(0, port=0), UDP(0, mode=0x11),
        SENDTO(1, 0x01, 0, 3),
        op("expect", 0x07, 0, 9, 3),                              # viv_run_until, 1 s
        op("rec", 0x07, 0, 0, 5), op("rec", 0x09, 0, 5),
        op("rec", 0x0a, 0, 0, 0x04, 0, 0, 0, 0x00),
        op("expect", 0x05, 0, 5, 1, 4, 0), op("expect", 0x06, 0, 5, 0, 4, 0),
        op("expect", 0x04, 0, 5, 1),
        SENDTO(1, 0x01, 0, 3), op("rec", 0x0c, 0, 4, 1, 0x04, 0, 0, 0, 0x00),
        op("expect", 0x08, 0, 0x00, 0, 0, 100, 0), op("expect", 0x08, 0, 0x09, 0, 0, 0, 1),
        op("expect", 0x09, 0, 5), op("expect", 0x8a, 0, 0x5c),
        op("rec", 0x06, 0), op("rec", 0x0e, 0), op("expect", 0x0c, 0),
        op("expect", 0x01, 0, 0x01, 12, *b"A>B UDP len "), op("rec", 0x0d, 0),
        op("expect", 0x0b, 0)),
    # Two echo sockets bouncing a datagram for ever: the event budget stops viv_sim_run.
    "echo_forever": flat(
        SEED(16), PAIR(), UDP(0, mode=0x13), BIND(0, port=0), UDP(1, mode=0x13),
        BIND(1, port=0), SENDTO(0, 0x01, 0, 3), op("run", 3), RUN_FOR(11)),
}


# ---- TCP (op_tcp_new, op_tcp) and processes (op_proc) -------------------------------------
# Socket slots fill from 0 in creation order, accepted connections included.
# tcp_new mode bits: 0 drain on READABLE, 1 echo what it reads, 2 read the error on ERROR,
# 3 accept on ACCEPTABLE, 4 send 3000 bytes on WRITABLE or CONNECTED, 5-6 the recv buffer
# (1, 100, 2048, 65536 bytes; bit 6 also makes a close by the script an abort), 7 no callback.
def TCP_NEW(host, mode=0x07, script=(), opts=None):
    if opts is None:
        return op("tcp_new", 0x00, host, mode, len(script), *script)
    return op("tcp_new", 0x01, host, *opts, mode, len(script), *script)


def TSA(ip=None, port=0):
    """ip: a pick_ip byte or None for 0.0.0.0; port: an index (0: 80, 3: 81, 4: 0)."""
    return [port << 2] if ip is None else [(port << 2) | 1, ip]


def TCP(m, sock, *args, b=0):
    """m: 0 bind, 1 listen, 2 connect, 3 send, 4 recv, 5 shutdown, 6 close, 7 abort,
    8 set_opts, 9 getters, 10 accept, 11 set_cb, 12 netstat, 13 tunables, 14 stats, 15 NULLs."""
    return op("tcp", m, b, sock, *args)


def LISTEN(sock, backlog=0):
    return TCP(1, sock, backlog)


def CONNECT(sock, ip, port=0):
    return TCP(2, sock, *TSA(ip, port))


def PROC(m, proc, *args):
    """m: 0 new (proc, host, name), 1 adopt_tcp (proc, sock), 2 adopt_udp, 3 exit (proc,
    code), 4 kill, 5 free, 6 queries, 7 NULLs."""
    return op("proc", m, proc, *args)


TCP_PROGRAMS = {
    # A client and an echo server: handshake, data both ways, half-close, TIME-WAIT ending.
    "tcp_echo": flat(
        SEED(21), PAIR(),
        TCP_NEW(1, 0x4f), TCP(0, 0, *TSA(None, 0)), LISTEN(0),        # socket 0: B:80
        TCP_NEW(0, 0x15), CONNECT(1, 0x01),                            # socket 1: A -> B:80
        RUN_FOR(6), TCP(3, 1, 5), RUN_FOR(9), TCP(9, 1), TCP(9, 2),
        TCP(5, 1, 0), RUN_FOR(9), TCP(4, 1, 3), TCP(9, 1),
        TCP(12, 0, 0, 5, 5, b=0x01), TCP(14, 0, 1), INSPECT(0), INSPECT(1),
        TCP(6, 1), RUN_FOR(11), RUN_FOR(11), TCP(12, 0, 0, 5, 5, b=0x21)),
    # Closing in every way: abort, close with unread data (a reset), linger0, shutdown for
    # reading, both sides at once; a second listen, a bind in use.
    "tcp_close_states": flat(
        SEED(22), PAIR(),
        TCP_NEW(1, 0x08), TCP(0, 0, *TSA(None, 0)), LISTEN(0, 3),      # 0: accepts only
        TCP_NEW(0, 0x05), CONNECT(1, 0x01),
        TCP_NEW(0, 0x05), CONNECT(2, 0x01),
        TCP_NEW(0, 0x05, opts=[0x08, 0, 0, 0]), CONNECT(3, 0x01),     # linger0
        TCP_NEW(0, 0x05), CONNECT(4, 0x01),
        RUN_FOR(6),
        TCP(3, 1, 3), TCP(3, 2, 3), RUN_FOR(6),
        TCP(6, 5),                                                     # close with unread data
        TCP(7, 6),                                                     # abort
        TCP(6, 3), TCP(5, 7, 1), TCP(5, 4, 2), TCP(5, 8, 2),           # both close at once
        RUN_FOR(6), TCP(9, 4), TCP(9, 8),
        TCP_NEW(1, 0x00), TCP(0, 9, *TSA(None, 0)), LISTEN(9),          # EADDRINUSE
        TCP(2, 0, *TSA(0x00, 0)),                                       # connect a listener
        RUN_FOR(9), INSPECT(0), INSPECT(1), RUN_FOR(11), RUN_FOR(11)),
    # Refused (no listener), unreachable (nobody at the address), timed out with short
    # tunables, keepalive and the user timeout on a connection whose peer is switched off.
    "tcp_failures": flat(
        SEED(23), PAIR(),
        TCP(13, 0, 0, 0x2b, 0x22, 0x1b, 0x09, 0x08),                   # sim tunables, small
        TCP_NEW(0, 0x05), CONNECT(0, 0x01, 3),                         # B:81: refused
        TCP_NEW(0, 0x05), CONNECT(1, 0x06),                            # 10.0.0.7: no one
        TCP_NEW(1, 0x0f), TCP(0, 2, *TSA(None, 0)), LISTEN(2),
        TCP_NEW(0, 0x05, opts=[0x04, 0, 0x21, 0x05]), CONNECT(3, 0x01),  # keepalive 1 ms
        RUN_FOR(6), op("node", 0x00, 0, 1, 0),                         # B off
        TCP(3, 3, 4), RUN_FOR(10), TCP(9, 0), TCP(9, 1), TCP(9, 3),
        op("node", 0x00, 0, 1, 1), RUN_FOR(11), TCP(9, 2), TCP(14, 0, 0), TCP(15, 0)),
    # Reading in place (op_tcp's recv with b bit 1): a server that does not drain holds 5000
    # bytes that came in segments of 536 (several runs); viv_tcp_peek's runs are walked, then
    # taken with viv_tcp_consume: more than readable (refused), recv instead, what recv(2048)
    # would copy, all seen; then nothing yet (EAGAIN), the end of the stream, a NULL socket.
    "tcp_peek": flat(
        SEED(26), PAIR(),
        TCP_NEW(1, 0x08), TCP(0, 0, *TSA(None, 0)), LISTEN(0),        # 0: accepts only
        TCP_NEW(0, 0x00, opts=[0x00, 0x04, 0x00, 0x00]), CONNECT(1, 0x01),  # 1: MSS 536
        RUN_FOR(6), TCP(3, 1, 5), RUN_FOR(9),                          # 2: accepted
        TCP(4, 2, 3, b=0x0a), TCP(4, 2, 2, b=0x0e), TCP(4, 2, 3, b=0x02),
        TCP(4, 2, 1, b=0x06), TCP(4, 2, 0, b=0x02),
        TCP(3, 1, 5), RUN_FOR(9), TCP(4, 2, 1, b=0x12), TCP(5, 1, 0), RUN_FOR(9),
        TCP(4, 2, 4, b=0x06), TCP(4, 2, 4, b=0x02), op("tcp", 0xf4, 0x02, 0, 0)),
    # A receiver with a 4096-byte buffer that reads 100 bytes at a time in its callback: the
    # window closes and each read reopens it. The second run reads in place there
    # (viv_tcp_peek, viv_tcp_consume), and the window updates must come alike.
    "tcp_small_window": flat(
        SEED(27), PAIR(),
        TCP_NEW(1, 0x29, opts=[0x00, 0x00, 0x04, 0x00]), TCP(0, 0, *TSA(None, 0)), LISTEN(0),
        TCP_NEW(0, 0x00), CONNECT(1, 0x01),
        RUN_FOR(6), TCP(3, 1, 7), RUN_FOR(9), TCP(9, 2), RUN_FOR(11), TCP(9, 2)),
    # Processes: a server process owns its listener and what it accepts; it exits (its
    # connections close as a kernel closes them); a client process is killed; a host that is
    # switched off ends its processes and leaves its own sockets CLOSED.
    "tcp_processes": flat(
        SEED(24), PAIR(),
        PROC(0, 0, 1, 0), PROC(0, 0, 0, 1),                            # 0 on B, 1 on A
        TCP_NEW(1, 0x0f), TCP(0, 0, *TSA(None, 0)), LISTEN(0), PROC(1, 0, 0),
        TCP_NEW(0, 0x15), CONNECT(1, 0x01), PROC(1, 1, 1),
        TCP_NEW(0, 0x05), CONNECT(2, 0x01),                            # the host's own
        UDP(0, mode=0x11), PROC(2, 1, 0),
        RUN_FOR(6), PROC(6, 0), PROC(6, 1), TCP(12, 0, 1, 5, 5, b=0x01),
        PROC(3, 0, 7), RUN_FOR(6), PROC(6, 0), TCP(9, 1),
        PROC(4, 1), PROC(6, 1), RUN_FOR(9),
        PROC(0, 0, 1, 2), TCP_NEW(1, 0x0f), TCP(0, 0, *TSA(None, 3)), LISTEN(0),
        PROC(1, 0, 0), op("node", 0x00, 0, 1, 0), PROC(6, 0), TCP(9, 0), TCP(9, 2),
        op("node", 0x00, 0, 1, 1), RUN_FOR(9), PROC(5, 0), PROC(5, 1), PROC(7, 0)),
    # Callbacks that close, abort, shut down and free the host from inside; options and
    # tunables changed on live connections; sockets without a callback, then given one.
    "tcp_callbacks": flat(
        SEED(25), PAIR(),
        TCP_NEW(1, 0x0f, script=op("self", 0)), TCP(0, 0, *TSA(None, 0)), LISTEN(0),
        TCP_NEW(0, 0x95), CONNECT(1, 0x01),                            # no callback
        TCP_NEW(0, 0x55, script=op("self", 4)), CONNECT(2, 0x01),
        RUN_FOR(6), TCP(11, 1), TCP(3, 1, 4), TCP(3, 2, 4),
        TCP(8, 2, 0x23, 0x05, 0x02, 0x11, b=0x00), TCP(8, 1, 0x10, 0x07, 0, 0, 1, 2, 3, 4),
        TCP(13, 0, 1, 0x22, 0x2c, 0x1b, 0x09, 0x48, b=0x00),             # host tunables
        RUN_FOR(9), INSPECT(0),
        TCP_NEW(0, 0x0f, script=op("self", 2)), CONNECT(3, 0x01), RUN_FOR(9)),
}


def ARP_FLOOD(rounds):
    """A device sprays ARP requests for 10.0.0.1 (host 0) from 64 new addresses per round;
    the host's replies are cut (link direction B->A) so that they cost no event."""
    out = flat(DEV(1, mode=0x80), HOST(), LINK(PORT("dev", 0, 0), PORT("host", 0)),
               ADDR(0, 0, 0x00), op("link", 0x04, 0, 1, 0))
    for k in range(rounds):
        out += op("arp_spray", 0, 0, 63, 0x00, 0x00, k & 0xff, k >> 8) + RUN_FOR(6)
    return out


# Regressions written by hand (the others in regress/api/ are inputs the fuzzer found).
REGRESS = {
    # (d) 4224 neighbours: the host's ARP cache must stay within its limit (1024 by
    # default; the fuzzer's bound for trees without the option is 4096).
    "d-arp-cache-unbounded": flat(SEED(17), ARP_FLOOD(66), INSPECT(0)),
    # (h) 65535 echo requests from one host (to 10.0.0.255, out of an unplugged interface):
    # its 16-bit IPv4 identification wraps whatever its random start (unless 0).
    "h-ip-ident-wrap-65535-pings": flat(
        SEED(19), HOST(), ADDR(0, 0, 0x00),
        op("ping", 0x00, 0, 0x84, 0x0e, 5, 0x02, 0), RUN_FOR(9)),
    # (q) A UDP socket made outside a run: its callback (WRITABLE, called when the next run
    # starts) stops the run. Then viv_run_until with a deadline of 1 s and nothing due
    # before it: it returns 0 ("the deadline passed") with the clock still at 0.
    "q-kit-run-until-stopped-short": flat(
        SEED(20), HOST(), UDP(0, mode=0x00, script=op("self", 0x03)),
        op("expect", 0x07, 0, 9, 0)),
    # (t) A connection with keepalive (the default 7200 s) made one second before the last
    # instant, then run to the end of time: at VIV_TIME_MAX its keepalive deadline saturates
    # to that same instant and the timer expires and restarts there for ever, raising no
    # socket event. The interpreter's TCP tick must end the run (its budget).
    "t-keepalive-at-the-last-instant": flat(
        SEED(21), PAIR(),
        op("run_for", 0xe1, *(VIV_TIME_MAX - 1000000000).to_bytes(8, "little")),
        TCP_NEW(1, 0x0f), TCP(0, 0, *TSA(None, 0)), LISTEN(0),
        TCP_NEW(0, 0x05, opts=[0x04, 0, 0x00, 0x00]), CONNECT(1, 0x01),
        RUN_FOR(11)),
}


def write(directory, programs):
    os.makedirs(directory, exist_ok=True)
    for name, prog in programs.items():
        with open(os.path.join(directory, name), "wb") as f:
            f.write(bytes(prog))


def main():
    write(os.path.join(HERE, "corpus", "api"), PROGRAMS)
    write(os.path.join(HERE, "corpus", "api"), TCP_PROGRAMS)
    write(os.path.join(HERE, "regress", "api"), REGRESS)
    print("%d corpus and %d regression inputs written (%d ops known)"
          % (len(PROGRAMS) + len(TCP_PROGRAMS), len(REGRESS), len(OPS) + len(OPS2)))


if __name__ == "__main__":
    main()
