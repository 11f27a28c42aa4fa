# Independent computation of the wire test vectors (Python 3, standard library only): the
# expected bytes in test_*.c come from here, not from the code under test.
# Run: python3 gen_vectors.py
import struct

def csum(b):
    if len(b) % 2: b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b)//2), b))
    while s >> 16: s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff

def ip(a): return bytes(int(x) for x in a.split('.'))
def mac(m): return bytes(int(x,16) for x in m.split(':'))
def carr(name, b):
    out = 'static const uint8_t %s[%d] = {\n' % (name, len(b))
    for i in range(0, len(b), 12):
        out += '    ' + ', '.join('0x%02x' % x for x in b[i:i+12]) + ',\n'
    return out + '};\n'
def pseudo(src, dst, proto, l): return ip(src) + ip(dst) + struct.pack('!BBH', 0, proto, l)

A, B = '10.0.0.1', '10.0.0.2'
M1, M2 = '02:00:00:00:00:01', '02:00:00:00:00:02'
# Ethernet
eth = mac(M2) + mac(M1) + struct.pack('!H', 0x0800)
print(carr('ETH_IPV4', eth))
# ARP request and reply
arp = struct.pack('!HHBBH', 1, 0x0800, 6, 4, 1) + mac(M1) + ip(A) + bytes(6) + ip(B)
print(carr('ARP_REQUEST', arp))
# IPv4: dscp 46 ecn 1, ident 0x1234, DF, ttl 64, UDP, payload 12
def ipv4(src, dst, proto, plen, ttl=64, tos=(46<<2)|1, ident=0x1234, ff=0x4000, opts=b''):
    ihl = 5 + len(opts)//4
    h = struct.pack('!BBHHHBBH4s4s', 0x40|ihl, tos, ihl*4+plen, ident, ff, ttl, proto, 0, ip(src), ip(dst)) + opts
    c = csum(h)
    return h[:10] + struct.pack('!H', c) + h[12:], c
h, c = ipv4(A, B, 17, 12)
print('/* IPv4 checksum 0x%04x */' % c); print(carr('IPV4_UDP_HDR', h))
# With options (IHL 6: a NOP NOP NOP EOL word), MF set, offset 1480 bytes (185 units), payload 8.
h, c = ipv4('192.168.1.10', '192.168.1.20', 1, 8, ttl=1, tos=0, ident=0xbeef, ff=0x2000|185, opts=b'\x01\x01\x01\x00')
print('/* IPv4 with options checksum 0x%04x */' % c); print(carr('IPV4_OPTS_PKT', h + bytes(8)))
# ICMP echo request ident 0x1234 seq 7 data "abcdefgh"
def icmp(t, code, rest, data):
    m = struct.pack('!BBH', t, code, 0) + rest + data
    c = csum(m)
    return m[:2] + struct.pack('!H', c) + m[4:], c
m, c = icmp(8, 0, struct.pack('!HH', 0x1234, 7), b'abcdefgh')
print('/* echo checksum 0x%04x */' % c); print(carr('ICMP_ECHO_REQ', m))
quote, _ = ipv4(A, '10.9.9.9', 17, 8, ttl=1, tos=0, ident=1, ff=0)
quote += struct.pack('!HHHH', 40000, 33434, 8, 0)
m, c = icmp(3, 4, struct.pack('!HH', 0, 1400), quote)
print('/* frag needed checksum 0x%04x */' % c); print(carr('ICMP_FRAG_NEEDED', m))
m, c = icmp(11, 0, bytes(4), quote)
print('/* time exceeded checksum 0x%04x */' % c); print(carr('ICMP_TIME_EXCEEDED', m))
m, c = icmp(13, 0, b'', struct.pack('!HHIII', 1, 2, 3, 4, 5))  # timestamp: unknown to vivarium
print('/* timestamp request checksum 0x%04x */' % c); print(carr('ICMP_TIMESTAMP', m))
# UDP 10.0.0.1:5000 -> 10.0.0.2:53 "hello" (odd length)
u = struct.pack('!HHHH', 5000, 53, 13, 0) + b'hello'
c = csum(pseudo(A, B, 17, 13) + u)
print('/* udp checksum 0x%04x */' % c); print(carr('UDP_HELLO', u[:6] + struct.pack('!H', c) + u[8:]))
# TCP SYN 10.0.0.1:40000 -> 10.0.0.2:80, seq 0x01020304, window 64240, Linux option layout:
# MSS 1460, SACK_PERM + TS(tsval 1000, tsecr 0), NOP WS 7.
def tcp(src, dst, sp, dp, seq, ack, flags, win, opts, payload, urg=0):
    hl = 20 + len(opts)
    t = struct.pack('!HHIIBBHHH', sp, dp, seq, ack, (hl//4) << 4, flags, win, 0, urg) + opts + payload
    c = csum(pseudo(src, dst, 6, len(t)) + t)
    return t[:16] + struct.pack('!H', c) + t[18:], c
opts = struct.pack('!BBH', 2, 4, 1460) + struct.pack('!BBBBII', 4, 2, 8, 10, 1000, 0) + bytes([1, 3, 3, 7])
t, c = tcp(A, B, 40000, 80, 0x01020304, 0, 0x02, 64240, opts, b'')
print('/* syn checksum 0x%04x */' % c); print(carr('TCP_SYN', t))
# Data segment: ACK|PSH, NOP NOP TS, NOP NOP SACK 2 blocks, payload "GET /\r\n" (odd: 7 bytes)
opts = bytes([1, 1, 8, 10]) + struct.pack('!II', 2000, 1000) + bytes([1, 1, 5, 18]) + struct.pack('!IIII', 100, 200, 300, 400)
t, c = tcp(B, A, 80, 40000, 0xfffffff0, 0x01020305, 0x18, 502, opts, b'GET /\r\n')
print('/* data checksum 0x%04x */' % c); print(carr('TCP_DATA', t))
# Unknown option (kind 30, len 6) then MSS, then EOL in the middle followed by garbage.
opts = bytes([30, 6, 9, 9, 9, 9]) + struct.pack('!BBH', 2, 4, 1400) + bytes([0, 0xff, 0xff, 0xff])
t, c = tcp(A, B, 1, 2, 5, 6, 0x10, 1000, opts, b'')
print('/* unknown+eol checksum 0x%04x */' % c); print(carr('TCP_UNKNOWN_EOL', t))
# UDP whose checksum computes to 0 (sent as 0xffff): 10.0.0.1:7 -> 10.0.0.2:7, 2-byte payload w.
base = pseudo(A, B, 17, 10) + struct.pack('!HHHH', 7, 7, 10, 0)
s = sum(struct.unpack('!%dH' % (len(base)//2), base))
while s >> 16: s = (s & 0xffff) + (s >> 16)
w = 0xffff - s  # makes the folded sum 0xffff, so the checksum is 0
u = struct.pack('!HHHH', 7, 7, 10, 0) + struct.pack('!H', w)
assert csum(pseudo(A, B, 17, 10) + u) == 0
print('/* udp zero checksum, payload word 0x%04x, sent as 0xffff */' % w)
print(carr('UDP_CKSUM_ZERO', u[:6] + b'\xff\xff' + u[8:]))
