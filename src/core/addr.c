/* Address text forms. */
#include <stdio.h>
#include <string.h>

#include "core.h"
#include "vivarium/addr.h"

static const char *parse_octet(const char *p, uint32_t *out)
{
    uint32_t v = 0;
    int digits = 0;
    while (*p >= '0' && *p <= '9') {
        v = v * 10 + (uint32_t)(*p - '0');
        if (++digits > 3 || v > 255)
            return NULL;
        p++;
    }
    if (digits == 0)
        return NULL;
    *out = v;
    return p;
}

static const char *parse_ip4(const char *p, viv_ip4_t *out)
{
    uint32_t ip = 0;
    for (int i = 0; i < 4; i++) {
        uint32_t o;
        if (!(p = parse_octet(p, &o)))
            return NULL;
        ip = ip << 8 | o;
        if (i < 3 && *p++ != '.')
            return NULL;
    }
    *out = ip;
    return p;
}

int viv_ip4_parse(viv_ip4_t *out, const char *text)
{
    viv_ip4_t ip;
    if (!out || !text)
        return VIV_EINVAL;
    const char *end = parse_ip4(text, &ip);
    if (!end || *end)
        return VIV_EINVAL;
    *out = ip;
    return 0;
}

int viv_ip4_parse_prefix(viv_ip4_t *ip_out, uint8_t *prefix_len_out, const char *text)
{
    viv_ip4_t ip;
    uint32_t len;
    if (!ip_out || !prefix_len_out || !text)
        return VIV_EINVAL;
    const char *p = parse_ip4(text, &ip);
    if (!p || *p++ != '/' || !(p = parse_octet(p, &len)) || *p || len > 32)
        return VIV_EINVAL;
    *ip_out = ip;
    *prefix_len_out = (uint8_t)len;
    return 0;
}

viv_ip4_t viv_ip4_mask(uint8_t prefix_len)
{
    if (prefix_len == 0)
        return 0;
    if (prefix_len >= 32)
        return 0xffffffffu;
    return (viv_ip4_t)(0xffffffffu << (32 - prefix_len));
}

int viv_ip4_format(viv_ip4_t ip, char *buf, size_t cap)
{
    if (!buf)
        return VIV_EINVAL;
    return snprintf(buf, cap, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 0xff, (ip >> 8) & 0xff,
                    ip & 0xff);
}

int viv_mac_format(const viv_mac_t *mac, char *buf, size_t cap)
{
    if (!mac || !buf)
        return VIV_EINVAL;
    const uint8_t *b = mac->b;
    return snprintf(buf, cap, "%02x:%02x:%02x:%02x:%02x:%02x", b[0], b[1], b[2], b[3], b[4],
                    b[5]);
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int viv_mac_parse(viv_mac_t *out, const char *text)
{
    if (!out || !text)
        return VIV_EINVAL;
    viv_mac_t m;
    const char *p = text;
    for (int i = 0; i < 6; i++) {
        int hi = hexval(p[0]), lo = hi < 0 ? -1 : hexval(p[1]);
        if (hi < 0 || lo < 0)
            return VIV_EINVAL;
        m.b[i] = (uint8_t)(hi << 4 | lo);
        p += 2;
        if (i < 5 && *p != ':' && *p != '-')
            return VIV_EINVAL;
        if (i < 5)
            p++;
    }
    if (*p)
        return VIV_EINVAL;
    *out = m;
    return 0;
}
