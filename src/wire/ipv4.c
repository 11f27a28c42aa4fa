/* IPv4 headers (RFC 791). */
#include "wire.h"

#include <assert.h>
#include <string.h>

#include "core/bytes.h"

enum {
    IPV4_OFF_VER_IHL = 0,
    IPV4_OFF_TOS = 1,
    IPV4_OFF_TOTAL_LEN = 2,
    IPV4_OFF_IDENT = 4,
    IPV4_OFF_FLAGS_FRAG = 6,
    IPV4_OFF_TTL = 8,
    IPV4_OFF_PROTO = 9,
    IPV4_OFF_CKSUM = 10,
    IPV4_OFF_SRC = 12,
    IPV4_OFF_DST = 16,
};

#define IPV4_FLAG_DF 0x4000u
#define IPV4_FLAG_MF 0x2000u
#define IPV4_FRAG_MASK 0x1fffu

static inline int ipv4_parse(const uint8_t *buf, size_t len, struct viv__ipv4_repr *out,
                             bool verify)
{
    if (len < VIV__IPV4_HDR_LEN)
        return VIV__W_TRUNCATED;
    uint8_t ver_ihl = buf[IPV4_OFF_VER_IHL];
    if (ver_ihl >> 4 != 4)
        return VIV__W_MALFORMED;
    size_t hdr_len = (size_t)(ver_ihl & 0x0f) * 4;
    if (hdr_len < VIV__IPV4_HDR_LEN)
        return VIV__W_MALFORMED;
    if (hdr_len > len)
        return VIV__W_TRUNCATED;
    size_t total = viv_rd16be(buf + IPV4_OFF_TOTAL_LEN);
    if (total < hdr_len)
        return VIV__W_MALFORMED;
    if (total > len)
        return VIV__W_TRUNCATED;
    if (verify &&
        (hdr_len == VIV__IPV4_HDR_LEN ? viv__cksum20(buf) : viv__cksum(buf, hdr_len)) != 0)
        return VIV__W_CHECKSUM;

    uint8_t tos = buf[IPV4_OFF_TOS];
    uint16_t ff = viv_rd16be(buf + IPV4_OFF_FLAGS_FRAG);
    out->src = viv_rd32be(buf + IPV4_OFF_SRC);
    out->dst = viv_rd32be(buf + IPV4_OFF_DST);
    out->proto = buf[IPV4_OFF_PROTO];
    out->ttl = buf[IPV4_OFF_TTL];
    out->dscp = tos >> 2;
    out->ecn = tos & 3;
    out->ident = viv_rd16be(buf + IPV4_OFF_IDENT);
    out->dont_frag = (ff & IPV4_FLAG_DF) != 0;
    out->more_frags = (ff & IPV4_FLAG_MF) != 0;
    out->frag_offset = (uint16_t)((ff & IPV4_FRAG_MASK) * 8u);
    out->hdr_len = (uint8_t)hdr_len;
    out->payload_len = (uint16_t)(total - hdr_len);
    out->opts = buf + VIV__IPV4_HDR_LEN;
    out->opts_len = (uint8_t)(hdr_len - VIV__IPV4_HDR_LEN);
    return VIV__W_OK;
}

int viv__ipv4_parse(const uint8_t *buf, size_t len, struct viv__ipv4_repr *out)
{
    return ipv4_parse(buf, len, out, true);
}

int viv__ipv4_parse_trusted(const uint8_t *buf, size_t len, struct viv__ipv4_repr *out)
{
    return ipv4_parse(buf, len, out, false);
}

size_t viv__ipv4_len(const struct viv__ipv4_repr *r)
{
    return VIV__IPV4_HDR_LEN + (size_t)r->opts_len;
}

/* Store v big-endian at p as one 8-byte store where the compiler offers a byte swap (GCC
 * merges viv_wr64be's byte stores only sometimes). */
static inline void wr64be_once(uint8_t *p, uint64_t v)
{
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    v = __builtin_bswap64(v);
    memcpy(p, &v, 8);
#elif defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    memcpy(p, &v, 8);
#else
    viv_wr64be(p, v);
#endif
}

void viv__ipv4_write_fixed(uint8_t *b, uint32_t ihl, uint8_t tos, uint16_t total, uint16_t ident,
                           uint16_t ff, uint8_t ttl, uint8_t proto, viv_ip4_t src, viv_ip4_t dst,
                           uint64_t opt_sum)
{
    uint32_t w0 = (0x40u | ihl) << 8 | tos;
    uint32_t w4 = (uint32_t)ttl << 8 | proto;
    uint64_t acc = opt_sum + w0 + total + ident + ff + w4 + (src >> 16) + (src & 0xffffu) +
                   (dst >> 16) + (dst & 0xffffu);
    uint16_t ck = viv__cksum_finish(acc);
    wr64be_once(b, (uint64_t)w0 << 48 | (uint64_t)total << 32 | (uint64_t)ident << 16 | ff);
    wr64be_once(b + 8, (uint64_t)w4 << 48 | (uint64_t)ck << 32 | src);
    viv_wr32be(b + 16, dst);
}

int viv__ipv4_emit(const struct viv__ipv4_repr *r, uint8_t *buf, size_t len)
{
    if (r->opts_len % 4 != 0 || r->opts_len > VIV__IPOPT_MAX_LEN)
        return VIV__W_MALFORMED;
    size_t hdr_len = viv__ipv4_len(r);
    size_t total = hdr_len + (size_t)r->payload_len;
    if (total > VIV__IPV4_MAX_LEN)
        return VIV__W_MALFORMED;
    if (len != total)
        return VIV__W_TRUNCATED;
    assert(r->frag_offset % 8 == 0);
    uint16_t ff = (uint16_t)((r->frag_offset / 8u) & IPV4_FRAG_MASK);
    if (r->dont_frag)
        ff |= IPV4_FLAG_DF;
    if (r->more_frags)
        ff |= IPV4_FLAG_MF;
    if (r->opts_len && r->opts != buf + VIV__IPV4_HDR_LEN) /* options in place need no copy */
        memmove(buf + VIV__IPV4_HDR_LEN, r->opts, r->opts_len);
    uint64_t opt_sum = r->opts_len ? viv__cksum_add(0, buf + VIV__IPV4_HDR_LEN, r->opts_len) : 0;
    viv__ipv4_write_fixed(buf, (uint32_t)(hdr_len / 4), (uint8_t)((r->dscp & 0x3f) << 2 | (r->ecn & 3)),
                          (uint16_t)total, r->ident, ff, r->ttl, r->proto, r->src, r->dst, opt_sum);
    return VIV__W_OK;
}

void viv__ipv4_fix_cksum(uint8_t *hdr)
{
    size_t hdr_len = (size_t)(hdr[IPV4_OFF_VER_IHL] & 0x0f) * 4;
    viv_wr16be(hdr + IPV4_OFF_CKSUM, 0);
    viv_wr16be(hdr + IPV4_OFF_CKSUM, viv__cksum(hdr, hdr_len));
}

uint8_t viv__ipv4_dec_ttl(uint8_t *hdr)
{
    uint8_t ttl = hdr[IPV4_OFF_TTL];
    if (ttl == 0)
        return 0;
    /* TTL and protocol share the 16-bit word at offset 8. */
    uint16_t old_word = viv_rd16be(hdr + IPV4_OFF_TTL);
    uint16_t new_word = (uint16_t)(old_word - 0x100u);
    hdr[IPV4_OFF_TTL] = (uint8_t)(ttl - 1);
    uint16_t ck = viv_rd16be(hdr + IPV4_OFF_CKSUM);
    viv_wr16be(hdr + IPV4_OFF_CKSUM, viv__cksum_update16(ck, old_word, new_word));
    return (uint8_t)(ttl - 1);
}

enum viv__ipv4_frag viv__ipv4_frag_kind(const struct viv__ipv4_repr *r)
{
    if (r->frag_offset != 0)
        return VIV__IPV4_FRAG_LATER;
    return r->more_frags ? VIV__IPV4_FRAG_FIRST : VIV__IPV4_WHOLE;
}

/* ---- options --------------------------------------------------------------------------- */

/* Within an option: its type, length, pointer and (Timestamp) overflow/flag bytes. */
enum { OPT_TYPE = 0, OPT_LEN = 1, OPT_PTR = 2, OPT_OFLW_FLG = 3 };

static int opt_bad(uint8_t *pp_out, size_t at)
{
    *pp_out = (uint8_t)at;
    return VIV__W_MALFORMED;
}

/* The bytes one entry takes in a Timestamp option: a time, preceded by an address for flags
 * 1 and 3. An unknown flag is checked as flag 0 (Linux does the same). */
static size_t ts_entry_len(uint8_t flag)
{
    return flag == VIV__IPOPT_TS_ADDR || flag == VIV__IPOPT_TS_PRESPEC ? 8 : 4;
}

/* Whether an option with this length and pointer has room for part of an entry but not for a
 * whole one: RFC 791's "some room but not enough room", an error. */
static bool opt_partial_room(size_t len, size_t ptr, size_t entry)
{
    return ptr <= len && ptr + entry - 1 > len;
}

int viv__ipv4_opts_parse(const uint8_t *hdr, size_t hdr_len, bool arriving,
                         struct viv__ipv4_opts *out, uint8_t *pp_out)
{
    out->rr = 0;
    out->ts = 0;
    size_t i = VIV__IPV4_HDR_LEN;
    while (i < hdr_len) {
        const uint8_t *o = hdr + i;
        if (o[OPT_TYPE] == VIV__IPOPT_EOL)
            break; /* whatever follows is padding */
        if (o[OPT_TYPE] == VIV__IPOPT_NOP) {
            i++;
            continue;
        }
        if (i + 1 >= hdr_len)
            return opt_bad(pp_out, i); /* a type byte with no length after it */
        size_t len = o[OPT_LEN];
        if (len < 2 || i + len > hdr_len)
            return opt_bad(pp_out, i);
        if (o[OPT_TYPE] == VIV__IPOPT_RR) {
            if (out->rr)
                return opt_bad(pp_out, i);
            if (len < 3)
                return opt_bad(pp_out, i + OPT_LEN);
            size_t ptr = o[OPT_PTR];
            if (ptr < 4 || opt_partial_room(len, ptr, 4))
                return opt_bad(pp_out, i + OPT_PTR);
            out->rr = (uint8_t)i;
        } else if (o[OPT_TYPE] == VIV__IPOPT_TS) {
            if (out->ts)
                return opt_bad(pp_out, i);
            if (len < 4)
                return opt_bad(pp_out, i + OPT_LEN);
            size_t ptr = o[OPT_PTR];
            uint8_t flag = o[OPT_OFLW_FLG] & 0x0f, oflw = o[OPT_OFLW_FLG] >> 4;
            if (ptr < 5 || opt_partial_room(len, ptr, ts_entry_len(flag)))
                return opt_bad(pp_out, i + OPT_PTR);
            if (arriving && ptr > len && flag != VIV__IPOPT_TS_PRESPEC && oflw == 15)
                return opt_bad(pp_out, i + OPT_OFLW_FLG);
            out->ts = (uint8_t)i;
        }
        i += len;
    }
    return VIV__W_OK;
}

uint32_t viv__ipv4_ts_ms(uint64_t now_ns)
{
    return (uint32_t)((now_ns / 1000000u) % VIV__MS_PER_DAY);
}

int viv__ipv4_opts_stamp(uint8_t *hdr, const struct viv__ipv4_opts *o,
                         const struct viv__ipv4_stamp *s, uint8_t *pp_out)
{
    uint8_t *rr = o->rr ? hdr + o->rr : NULL;
    uint8_t *ts = o->ts ? hdr + o->ts : NULL;
    /* Check everything first, so that a failure leaves the header as it was. */
    if (rr && (rr[OPT_PTR] < 4 || opt_partial_room(rr[OPT_LEN], rr[OPT_PTR], 4)))
        return opt_bad(pp_out, o->rr + OPT_PTR);
    if (ts) {
        size_t len = ts[OPT_LEN], ptr = ts[OPT_PTR];
        uint8_t flag = ts[OPT_OFLW_FLG] & 0x0f;
        if (ptr < 5 || opt_partial_room(len, ptr, ts_entry_len(flag)))
            return opt_bad(pp_out, o->ts + OPT_PTR);
        if (ptr > len && flag != VIV__IPOPT_TS_PRESPEC && s->count_overflow &&
            ts[OPT_OFLW_FLG] >> 4 == 15)
            return opt_bad(pp_out, o->ts + OPT_OFLW_FLG);
    }
    if (rr && rr[OPT_PTR] <= rr[OPT_LEN]) {
        viv_wr32be(rr + rr[OPT_PTR] - 1, s->addr);
        rr[OPT_PTR] = (uint8_t)(rr[OPT_PTR] + 4);
    }
    if (!ts)
        return VIV__W_OK;
    uint8_t flag = ts[OPT_OFLW_FLG] & 0x0f;
    if (ts[OPT_PTR] > ts[OPT_LEN]) { /* full */
        if (flag != VIV__IPOPT_TS_PRESPEC && s->count_overflow)
            ts[OPT_OFLW_FLG] = (uint8_t)(ts[OPT_OFLW_FLG] + 0x10);
        return VIV__W_OK;
    }
    uint8_t *slot = ts + ts[OPT_PTR] - 1; /* room for a whole entry: checked above */
    uint32_t ms = viv__ipv4_ts_ms(s->now_ns);
    switch (flag) {
    case VIV__IPOPT_TS_ONLY:
        viv_wr32be(slot, ms);
        ts[OPT_PTR] = (uint8_t)(ts[OPT_PTR] + 4);
        break;
    case VIV__IPOPT_TS_ADDR:
        viv_wr32be(slot, s->addr);
        viv_wr32be(slot + 4, ms);
        ts[OPT_PTR] = (uint8_t)(ts[OPT_PTR] + 8);
        break;
    case VIV__IPOPT_TS_PRESPEC:
        if (s->is_mine && s->is_mine(s->ctx, viv_rd32be(slot))) {
            viv_wr32be(slot + 4, ms);
            ts[OPT_PTR] = (uint8_t)(ts[OPT_PTR] + 8);
        }
        break;
    default: /* a flag RFC 791 does not define: left as it is */
        break;
    }
    return VIV__W_OK;
}
