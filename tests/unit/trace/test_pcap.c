/* The pcap writer: real frames built with the wire module, read back by tshark; the file
 * format byte by byte; bad arguments; captures closed by viv_sim_free. */
#define _POSIX_C_SOURCE 200809L
#include "viv_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/bytes.h"
#include "core/core.h"
#include "trace/pcap.h"
#include "vivarium/pcap.h"
#include "wire/wire.h"

#define MAC_A ((viv_mac_t){{0x02, 0x00, 0x00, 0x00, 0x00, 0x0a}})
#define MAC_B ((viv_mac_t){{0x02, 0x00, 0x00, 0x00, 0x00, 0x0b}})
#define MAC_BCAST ((viv_mac_t){{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}})
#define IP_A VIV_IP4(192, 168, 7, 10)
#define IP_B VIV_IP4(192, 168, 7, 11)

enum { ETH = VIV__ETH_HDR_LEN, IP = VIV__IPV4_HDR_LEN };

static void tmp_path(char *buf, size_t cap, const char *name)
{
    snprintf(buf, cap, "%s/%s", VIV_TEST_TMPDIR, name);
}

/* Pad a frame with zeros to the Ethernet minimum; returns the padded length. */
static size_t eth_pad(uint8_t *frame, size_t len)
{
    size_t pad = viv__eth_pad_len(len - ETH);
    memset(frame + len, 0, pad);
    return len + pad;
}

/* Write Ethernet and IPv4 headers in front of an l4len-byte transport message already at
 * frame + 34; returns the frame length. */
static size_t eth_ipv4(uint8_t *frame, viv_mac_t dst_mac, viv_mac_t src_mac, viv_ip4_t src,
                       viv_ip4_t dst, uint8_t proto, size_t l4len, uint16_t ident)
{
    struct viv__eth_repr e = {dst_mac, src_mac, VIV__ETHERTYPE_IPV4};
    struct viv__ipv4_repr ip;
    memset(&ip, 0, sizeof ip);
    ip.src = src;
    ip.dst = dst;
    ip.proto = proto;
    ip.ttl = 64;
    ip.ident = ident;
    ip.dont_frag = true;
    ip.payload_len = (uint16_t)l4len;
    assert_int_equal(viv__ipv4_emit(&ip, frame + ETH, IP + l4len), VIV__W_OK);
    assert_int_equal(viv__eth_emit(&e, frame, ETH + IP + l4len), VIV__W_OK);
    return eth_pad(frame, ETH + IP + l4len);
}

static size_t frame_arp(uint8_t *f)
{
    struct viv__eth_repr e = {MAC_BCAST, MAC_A, VIV__ETHERTYPE_ARP};
    struct viv__arp_repr a = {VIV__ARP_OP_REQUEST, MAC_A, IP_A, {{0}}, IP_B};
    assert_int_equal(viv__arp_emit(&a, f + ETH, VIV__ARP_LEN), VIV__W_OK);
    assert_int_equal(viv__eth_emit(&e, f, ETH + VIV__ARP_LEN), VIV__W_OK);
    return eth_pad(f, ETH + VIV__ARP_LEN);
}

static size_t frame_echo(uint8_t *f, uint8_t type, viv_mac_t dm, viv_mac_t sm, viv_ip4_t s,
                         viv_ip4_t d)
{
    uint8_t data[32];
    for (int i = 0; i < 32; i++)
        data[i] = (uint8_t)('a' + i % 26);
    struct viv__icmp_repr m;
    memset(&m, 0, sizeof m);
    m.type = type;
    m.ident = 0x4242;
    m.seq = 3;
    m.data = data;
    m.data_len = sizeof data;
    size_t n = viv__icmp_len(&m);
    assert_int_equal(viv__icmp_emit(&m, f + ETH + IP, n), VIV__W_OK);
    return eth_ipv4(f, dm, sm, s, d, VIV__IP_PROTO_ICMP, n, 1);
}

static size_t frame_udp(uint8_t *f)
{
    static const char msg[] = "hello, vivarium"; /* 15 bytes: an odd length */
    struct viv__udp_repr u = {40001, 40002, sizeof msg - 1};
    memcpy(f + ETH + IP + VIV__UDP_HDR_LEN, msg, sizeof msg - 1);
    size_t n = VIV__UDP_HDR_LEN + u.payload_len;
    assert_int_equal(viv__udp_emit(&u, IP_A, IP_B, f + ETH + IP, n), VIV__W_OK);
    return eth_ipv4(f, MAC_B, MAC_A, IP_A, IP_B, VIV__IP_PROTO_UDP, n, 2);
}

static size_t frame_tcp(uint8_t *f, const struct viv__tcp_repr *t, const char *payload,
                        viv_mac_t dm, viv_mac_t sm, viv_ip4_t s, viv_ip4_t d)
{
    size_t hl = viv__tcp_len(t);
    memcpy(f + ETH + IP + hl, payload, t->payload_len);
    assert_int_equal(viv__tcp_emit(t, s, d, f + ETH + IP, hl + t->payload_len), VIV__W_OK);
    return eth_ipv4(f, dm, sm, s, d, VIV__IP_PROTO_TCP, hl + t->payload_len, 3);
}

/* The conversation written by the main test, with the time of each frame. */
#define NFRAMES 8
static const viv_time_t TIMES[NFRAMES] = {
    VIV_NS(1),               /* ARP request */
    VIV_S(1) + 123456789u,   /* echo request */
    VIV_S(1) + 223456789u,   /* echo reply */
    VIV_S(2),                /* UDP */
    VIV_S(3) + 999999999u,   /* SYN */
    VIV_S(4) + 1u,           /* SYN-ACK */
    VIV_S(4) + 500000000u,   /* data */
    VIV_S(4000000000u) + 7u, /* ACK, far in time (year 2096) */
};

static size_t build_frames(uint8_t frames[NFRAMES][200], size_t lens[NFRAMES])
{
    lens[0] = frame_arp(frames[0]);
    lens[1] = frame_echo(frames[1], VIV__ICMP_ECHO_REQUEST, MAC_B, MAC_A, IP_A, IP_B);
    lens[2] = frame_echo(frames[2], VIV__ICMP_ECHO_REPLY, MAC_A, MAC_B, IP_B, IP_A);
    lens[3] = frame_udp(frames[3]);

    struct viv__tcp_repr syn;
    memset(&syn, 0, sizeof syn);
    syn.src_port = 43210;
    syn.dst_port = 7000;
    syn.seq = 0xfffffff0u; /* the data segment wraps around 2^32 */
    syn.flags = VIV__TCP_SYN;
    syn.window = 65535;
    syn.mss = 1460;
    syn.sack_permitted = true;
    syn.ts_present = true;
    syn.tsval = 100;
    syn.wscale_present = true;
    syn.wscale = 7;
    lens[4] = frame_tcp(frames[4], &syn, "", MAC_B, MAC_A, IP_A, IP_B);

    struct viv__tcp_repr synack = syn;
    synack.src_port = 7000;
    synack.dst_port = 43210;
    synack.seq = 0x12345678u;
    synack.ack = syn.seq + 1;
    synack.flags = VIV__TCP_SYN | VIV__TCP_ACK;
    synack.mss = 1400;
    synack.tsval = 5000;
    synack.tsecr = 100;
    synack.wscale = 9;
    lens[5] = frame_tcp(frames[5], &synack, "", MAC_A, MAC_B, IP_B, IP_A);

    struct viv__tcp_repr data;
    memset(&data, 0, sizeof data);
    data.src_port = 43210;
    data.dst_port = 7000;
    data.seq = syn.seq + 1;
    data.ack = synack.seq + 1;
    data.flags = VIV__TCP_ACK | VIV__TCP_PSH;
    data.window = 502;
    data.ts_present = true;
    data.tsval = 101;
    data.tsecr = 5000;
    data.payload_len = 33; /* crosses 2^32 in sequence space */
    lens[6] =
        frame_tcp(frames[6], &data, "0123456789abcdefghijklmnopqrstuvw", MAC_B, MAC_A, IP_A, IP_B);

    struct viv__tcp_repr ack;
    memset(&ack, 0, sizeof ack);
    ack.src_port = 7000;
    ack.dst_port = 43210;
    ack.seq = synack.seq + 1;
    ack.ack = data.seq + 33;
    ack.flags = VIV__TCP_ACK;
    ack.window = 1000;
    ack.ts_present = true;
    ack.tsval = 5001;
    ack.tsecr = 101;
    lens[7] = frame_tcp(frames[7], &ack, "", MAC_A, MAC_B, IP_B, IP_A);
    return NFRAMES;
}

static void write_conversation(viv_sim_t *sim, const char *path)
{
    uint8_t frames[NFRAMES][200];
    size_t lens[NFRAMES];
    build_frames(frames, lens);
    viv_pcap_t *cap = NULL;
    assert_int_equal(viv_pcap_open(&cap, sim, path, NULL), 0);
    for (int i = 0; i < NFRAMES; i++)
        assert_int_equal(viv_pcap_write(cap, TIMES[i], frames[i], lens[i]), 0);
    assert_int_equal(viv_pcap_frames(cap), NFRAMES);
    assert_int_equal(viv_pcap_flush(cap), 0);
    viv_pcap_close(cap);
}

#define TSHARK_CHECKS                                                                              \
    "-o ip.check_checksum:TRUE -o tcp.check_checksum:TRUE -o udp.check_checksum:TRUE "             \
    "-o tcp.relative_sequence_numbers:FALSE "

/* Read a whole file (test helper; plain malloc, not the simulation's allocator). */
static uint8_t *slurp(const char *path, size_t *len_out)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    uint8_t *buf = malloc(1 << 16);
    assert_non_null(buf);
    *len_out = fread(buf, 1, 1 << 16, f);
    fclose(f);
    return buf;
}

/* tshark's output without the warning it prints on stderr when run as root (the test support
 * merges stderr into the output). NULL when tshark is not installed. */
static const char *tshark(const char *path, const char *args)
{
    const char *out = viv_test_tshark(path, args);
    static const char root_warning[] = "Running as user \"root\"";
    if (out && strncmp(out, root_warning, sizeof root_warning - 1) == 0) {
        const char *nl = strchr(out, '\n');
        out = nl ? nl + 1 : out + strlen(out);
    }
    return out;
}

static void test_pcap__tshark_reads_back_what_was_written(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    char path[512];
    tmp_path(path, sizeof path, "test_pcap_conversation.pcap");
    write_conversation(sim, path);

    const char *out =
        tshark(path, TSHARK_CHECKS "-T fields -E separator=, "
                                   "-e frame.number -e frame.time_epoch -e frame.len "
                                   "-e frame.cap_len -e eth.dst -e eth.src -e eth.type");
    if (!out)
        skip();
    /* Every frame, at its nanosecond timestamp, padded to 60 bytes where short. */
    assert_string_equal(
        out, "1,0.000000001,60,60,ff:ff:ff:ff:ff:ff,02:00:00:00:00:0a,0x0806\n"
             "2,1.123456789,74,74,02:00:00:00:00:0b,02:00:00:00:00:0a,0x0800\n"
             "3,1.223456789,74,74,02:00:00:00:00:0a,02:00:00:00:00:0b,0x0800\n"
             "4,2.000000000,60,60,02:00:00:00:00:0b,02:00:00:00:00:0a,0x0800\n"
             "5,3.999999999,74,74,02:00:00:00:00:0b,02:00:00:00:00:0a,0x0800\n"
             "6,4.000000001,74,74,02:00:00:00:00:0a,02:00:00:00:00:0b,0x0800\n"
             "7,4.500000000,99,99,02:00:00:00:00:0b,02:00:00:00:00:0a,0x0800\n"
             "8,4000000000.000000007,66,66,02:00:00:00:00:0a,02:00:00:00:00:0b,0x0800\n");

    /* Checksum status 1 is "Good" (IP, ICMP, UDP, TCP). */
    out = tshark(path, TSHARK_CHECKS "-T fields -E separator=, -e ip.checksum.status "
                                     "-e icmp.checksum.status -e udp.checksum.status "
                                     "-e tcp.checksum.status");
    assert_string_equal(out, ",,,\n"
                             "1,1,,\n"
                             "1,1,,\n"
                             "1,,1,\n"
                             "1,,,1\n"
                             "1,,,1\n"
                             "1,,,1\n"
                             "1,,,1\n");

    /* ARP, IPv4 and ICMP fields. */
    out =
        tshark(path, TSHARK_CHECKS "-T fields -E separator=, -e arp.opcode "
                                   "-e arp.src.hw_mac -e arp.src.proto_ipv4 -e arp.dst.proto_ipv4 "
                                   "-e ip.src -e ip.dst -e ip.proto -e ip.ttl -e ip.id "
                                   "-e ip.flags.df -e icmp.type -e icmp.ident -e icmp.seq "
                                   "-e data.len");
    assert_string_equal(out, "1,02:00:00:00:00:0a,192.168.7.10,192.168.7.11,,,,,,,,,,\n"
                             ",,,,192.168.7.10,192.168.7.11,1,64,0x0001,1,8,16962,3,32\n"
                             ",,,,192.168.7.11,192.168.7.10,1,64,0x0001,1,0,16962,3,32\n"
                             ",,,,192.168.7.10,192.168.7.11,17,64,0x0002,1,,,,15\n"
                             ",,,,192.168.7.10,192.168.7.11,6,64,0x0003,1,,,,\n"
                             ",,,,192.168.7.11,192.168.7.10,6,64,0x0003,1,,,,\n"
                             ",,,,192.168.7.10,192.168.7.11,6,64,0x0003,1,,,,\n"
                             ",,,,192.168.7.11,192.168.7.10,6,64,0x0003,1,,,,\n");

    /* UDP and TCP fields, options included (sequence numbers raw; 0x4242 = 16962). */
    out = tshark(path, TSHARK_CHECKS "-Y \"udp or tcp\" -T fields -E separator=, "
                                     "-e udp.srcport -e udp.dstport -e udp.length -e tcp.srcport "
                                     "-e tcp.dstport -e tcp.seq_raw -e tcp.ack_raw -e tcp.flags "
                                     "-e tcp.window_size_value -e tcp.len -e tcp.options.mss_val "
                                     "-e tcp.options.sack_perm -e tcp.options.wscale.shift "
                                     "-e tcp.options.timestamp.tsval "
                                     "-e tcp.options.timestamp.tsecr");
    assert_string_equal(out,
                        "40001,40002,23,,,,,,,,,,,,\n"
                        ",,,43210,7000,4294967280,0,0x0002,65535,0,1460,0402,7,100,0\n"
                        ",,,7000,43210,305419896,4294967281,0x0012,65535,0,1400,0402,9,5000,100\n"
                        ",,,43210,7000,4294967281,305419897,0x0018,502,33,,,,101,5000\n"
                        ",,,7000,43210,305419897,18,0x0010,1000,0,,,,5001,101\n");

    /* Nothing malformed, no expert note or worse; only the two "Chat" remarks on the SYNs. */
    out = tshark(path, TSHARK_CHECKS "-Y \"_ws.malformed || "
                                     "_ws.expert.severity >= 0x00400000\"");
    assert_string_equal(out, "");
    out = tshark(path, TSHARK_CHECKS "-Y _ws.expert -T fields -E separator=, "
                                     "-e frame.number -e _ws.expert.severity");
    assert_string_equal(out, "5,2097152\n6,2097152\n");

    /* The frame count. */
    out = tshark(path, "-T fields -e frame.number");
    size_t lines = 0;
    for (const char *c = out; *c; c++)
        lines += *c == '\n';
    assert_int_equal(lines, NFRAMES);
}

static void test_pcap__file_format_bytes_and_determinism(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    char p1[512], p2[512];
    tmp_path(p1, sizeof p1, "test_pcap_det1.pcap");
    tmp_path(p2, sizeof p2, "test_pcap_det2.pcap");
    write_conversation(sim, p1);
    write_conversation(sim, p2);
    size_t n1, n2;
    uint8_t *a = slurp(p1, &n1), *b = slurp(p2, &n2);
    assert_int_equal(n1, n2);
    assert_memory_equal(a, b, n1);

    /* File header: magic a1b23c4d, 2.4, zone 0, sigfigs 0, snaplen 65535, Ethernet. */
    static const uint8_t hdr[24] = {0x4d, 0x3c, 0xb2, 0xa1, 2,    0,    4, 0, 0, 0, 0, 0,
                                    0,    0,    0,    0,    0xff, 0xff, 0, 0, 1, 0, 0, 0};
    assert_memory_equal(a, hdr, 24);
    /* First record: 0 s, 1 ns, 60 bytes kept of 60. */
    static const uint8_t rec[16] = {0, 0, 0, 0, 1, 0, 0, 0, 60, 0, 0, 0, 60, 0, 0, 0};
    assert_memory_equal(a + 24, rec, 16);
    assert_int_equal(a[24 + 16], 0xff); /* the broadcast destination */
    /* The last record: 4000000000 s and 7 ns. */
    uint8_t frames[NFRAMES][200];
    size_t lens[NFRAMES], total = 24;
    build_frames(frames, lens);
    for (int i = 0; i < NFRAMES; i++) {
        assert_memory_equal(a + total + 16, frames[i], lens[i]);
        total += 16 + lens[i];
    }
    assert_int_equal(n1, total);
    const uint8_t *last = a + total - 16 - lens[NFRAMES - 1];
    assert_int_equal(viv_rd32le(last), 4000000000u);
    assert_int_equal(viv_rd32le(last + 4), 7);
    free(a);
    free(b);
}

static void test_pcap__snaplen_truncates_and_keeps_the_original_length(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    char path[512];
    tmp_path(path, sizeof path, "test_pcap_snaplen.pcap");
    uint8_t frames[NFRAMES][200];
    size_t lens[NFRAMES];
    build_frames(frames, lens);
    viv_pcap_opts o = VIV_PCAP_OPTS_INIT;
    o.snaplen = 64;
    viv_pcap_t *cap = NULL;
    assert_int_equal(viv_pcap_open(&cap, sim, path, &o), 0);
    assert_int_equal(viv_pcap_write(cap, VIV_MS(1), frames[6], lens[6]), 0); /* 99 bytes */
    assert_int_equal(viv_pcap_write(cap, VIV_MS(2), frames[0], lens[0]), 0); /* 60 bytes */
    assert_int_equal(viv_pcap_write(cap, VIV_MS(3), NULL, 0), 0);            /* empty */
    assert_int_equal(viv_pcap_frames(cap), 3);
    viv_pcap_close(cap);

    size_t n;
    uint8_t *a = slurp(path, &n);
    assert_int_equal(n, 24 + 16 + 64 + 16 + 60 + 16);
    assert_int_equal(viv_rd32le(a + 16), 64); /* the snaplen field */
    assert_int_equal(viv_rd32le(a + 24 + 8), 64);
    assert_int_equal(viv_rd32le(a + 24 + 12), 99);
    assert_memory_equal(a + 24 + 16, frames[6], 64);
    assert_int_equal(viv_rd32le(a + 24 + 80 + 4), 2000000); /* 2 ms in ns */
    assert_int_equal(viv_rd32le(a + 24 + 80 + 8), 60);
    assert_int_equal(viv_rd32le(a + 24 + 80 + 12), 60);
    free(a);

    const char *out = tshark(path, "-c 2 -T fields -E separator=, -e frame.len "
                                   "-e frame.cap_len");
    if (!out)
        skip();
    assert_string_equal(out, "99,64\n60,60\n");
}

static void test_pcap__bad_arguments(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    char path[512];
    tmp_path(path, sizeof path, "test_pcap_args.pcap");
    viv_pcap_t *cap = (viv_pcap_t *)(uintptr_t)1; /* must stay untouched on failure */
    assert_int_equal(viv_pcap_open(NULL, sim, path, NULL), VIV_EINVAL);
    assert_int_equal(viv_pcap_open(&cap, NULL, path, NULL), VIV_EINVAL);
    assert_int_equal(viv_pcap_open(&cap, sim, NULL, NULL), VIV_EINVAL);
    assert_non_null(strstr(viv_sim_errmsg(sim), "path"));
    viv_pcap_opts o = VIV_PCAP_OPTS_INIT;
    o.snaplen = VIV_PCAP_SNAPLEN_MAX + 1;
    assert_int_equal(viv_pcap_open(&cap, sim, path, &o), VIV_EINVAL);
    assert_ptr_equal(cap, (viv_pcap_t *)(uintptr_t)1);

    /* A file in a directory that does not exist, and an empty path. */
    const char *bad = VIV_TEST_TMPDIR "/no-such-directory/x.pcap";
    assert_int_equal(viv_pcap_open(&cap, sim, bad, NULL), VIV_EIO);
    assert_non_null(strstr(viv_sim_errmsg(sim), bad));
    assert_int_equal(viv_pcap_open(&cap, sim, "", NULL), VIV_EIO);
    assert_ptr_equal(cap, (viv_pcap_t *)(uintptr_t)1);
    /* A device that takes no data: the file header cannot be written. */
    FILE *full = fopen("/dev/full", "wb");
    if (full) {
        fclose(full);
        assert_int_equal(viv_pcap_open(&cap, sim, "/dev/full", NULL), VIV_EIO);
        assert_non_null(strstr(viv_sim_errmsg(sim), "/dev/full"));
    }

    o.snaplen = VIV_PCAP_SNAPLEN_MAX; /* the largest is fine */
    assert_int_equal(viv_pcap_open(&cap, sim, path, &o), 0);
    const uint8_t f[1] = {0};
    assert_int_equal(viv_pcap_write(NULL, 0, f, 1), VIV_EINVAL);
    assert_int_equal(viv_pcap_write(cap, 0, NULL, 1), VIV_EINVAL);
    assert_int_equal(viv_pcap_write(cap, VIV_S(UINT64_C(1) << 32), f, 1), VIV_ERANGE);
    assert_int_equal(viv_pcap_write(cap, VIV_S(UINT32_MAX) + 999999999u, f, 1), 0);
    assert_int_equal(viv_pcap_frames(cap), 1);
    assert_int_equal(viv_pcap_frames(NULL), 0);
    assert_int_equal(viv_pcap_flush(NULL), VIV_EINVAL);
    assert_int_equal(viv_pcap_flush(cap), 0);
    viv_pcap_close(cap);
    viv_pcap_close(NULL);
}

static void test_pcap__left_open_is_closed_by_sim_free(void **state)
{
    (void)state;
    viv_test_alloc a;
    viv_sim_t *sim = viv_test_sim_new(&a, 5);
    char path[512];
    tmp_path(path, sizeof path, "test_pcap_left_open.pcap");
    uint8_t frames[NFRAMES][200];
    size_t lens[NFRAMES];
    build_frames(frames, lens);
    viv_pcap_t *cap, *cap2;
    assert_int_equal(viv_pcap_open(&cap, sim, path, NULL), 0);
    char path2[512];
    tmp_path(path2, sizeof path2, "test_pcap_left_open2.pcap");
    assert_int_equal(viv_pcap_open(&cap2, sim, path2, NULL), 0);
    assert_true(a.live_bytes > 256 * 1024); /* the stdio buffer is the simulation's memory */
    for (int i = 0; i < 3; i++)
        assert_int_equal(viv_pcap_write(cap, TIMES[i], frames[i], lens[i]), 0);
    viv_test_sim_free(sim, &a); /* asserts that nothing is left */

    size_t n;
    uint8_t *bytes = slurp(path, &n); /* the buffered frames reached the file */
    assert_int_equal(n, 24 + 3 * 16 + lens[0] + lens[1] + lens[2]);
    free(bytes);
    bytes = slurp(path2, &n);
    assert_int_equal(n, 24);
    free(bytes);
}

static void test_pcap__out_of_memory_leaves_nothing(void **state)
{
    (void)state;
    char path[512];
    tmp_path(path, sizeof path, "test_pcap_nomem.pcap");
    for (uint64_t fail_at = 1;; fail_at++) {
        viv_test_alloc a;
        viv_sim_t *sim = viv_test_sim_new(&a, 1);
        a.fail_at = a.calls + fail_at;
        viv_pcap_t *cap = NULL;
        int rc = viv_pcap_open(&cap, sim, path, NULL);
        if (rc == 0) {
            assert_true(fail_at > 3); /* the capture, its path and its buffer */
            viv_test_sim_free(sim, &a);
            break;
        }
        assert_int_equal(rc, VIV_ENOMEM);
        assert_null(cap);
        viv_test_sim_free(sim, &a);
    }
}

static void test_pcap__tap_records_frames(void **state)
{
    viv_sim_t *sim = VIV_TEST_SIM(state);
    char path[512];
    tmp_path(path, sizeof path, "test_pcap_tap.pcap");
    uint8_t frames[NFRAMES][200];
    size_t lens[NFRAMES];
    build_frames(frames, lens);
    viv_pcap_t *cap;
    assert_int_equal(viv_pcap_open(&cap, sim, path, NULL), 0);
    assert_ptr_equal(viv__pcap_sim(cap), sim);
    viv__pcap_tap(cap, VIV_US(10), frames[1], (uint32_t)lens[1], 0);
    viv__pcap_tap(cap, VIV_US(20), frames[2], (uint32_t)lens[2], 1);
    viv__pcap_tap(cap, VIV_S(UINT64_C(1) << 33), frames[2], (uint32_t)lens[2], 1); /* dropped */
    assert_int_equal(viv_pcap_frames(cap), 2);
    assert_int_equal(viv__pcap_error(cap), 0);
    viv_pcap_close(cap);
    size_t n;
    uint8_t *bytes = slurp(path, &n);
    assert_int_equal(n, 24 + 32 + lens[1] + lens[2]);
    assert_int_equal(viv_rd32le(bytes + 24 + 4), 10000);
    free(bytes);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, viv_test_sim_setup, viv_test_sim_teardown)
        T(test_pcap__tshark_reads_back_what_was_written),
        T(test_pcap__file_format_bytes_and_determinism),
        T(test_pcap__snaplen_truncates_and_keeps_the_original_length),
        T(test_pcap__bad_arguments),
        cmocka_unit_test(test_pcap__left_open_is_closed_by_sim_free),
        cmocka_unit_test(test_pcap__out_of_memory_leaves_nothing),
        T(test_pcap__tap_records_frames),
#undef T
    };
    return cmocka_run_group_tests_name("trace/pcap", tests, NULL, NULL);
}
