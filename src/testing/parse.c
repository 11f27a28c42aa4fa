/* The expectation grammar: one line of text to a pattern (viv__kit_parse_line), a pattern back to
 * its canonical text (viv__kit_pattern_write), and the checks a pattern given in C goes through
 * (viv__kit_line_from_pattern). docs/testing.md gives the grammar; the parser follows it token by
 * token and refuses anything else with the column of the token at fault. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "kit.h"

#define U16MAX 65535u
#define U32MAX 4294967295u

/* ---- patterns -------------------------------------------------------------------------------- */

void viv_pattern_init(viv_pattern *p)
{
    if (!p)
        return;
    memset(p, 0, sizeof(*p));
    p->kind = VIV_PATTERN_FRAME;
    p->when = VIV_WHEN_ANY;
    p->proto = VIV_PROTO_ANY;
    p->sport = p->dport = p->port = VIV_ANY;
    p->ethertype = p->ip_proto = p->arp_op = VIV_ANY;
    p->icmp_type = p->icmp_code = p->icmp_id = p->icmp_seq = VIV_ANY;
    p->len = p->tcp_flags = p->seq = p->ack = p->win = VIV_ANY;
    p->mss = p->wscale = p->sack_ok = p->ts = p->ts_val = p->ts_ecr = VIV_ANY;
    p->sack_count = VIV_ANY;
}

/* ---- the cursor ------------------------------------------------------------------------------ */

typedef struct pc {
    const char *s;
    size_t n;
    size_t i;
    char *err;
    size_t errcap;
    size_t col; /* of an error, from 1 */
} pc;

static int fail(pc *c, size_t at, const char *fmt, ...) VIV__PRINTF(3, 4);
static int fail(pc *c, size_t at, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (c->errcap)
        vsnprintf(c->err, c->errcap, fmt, ap);
    va_end(ap);
    c->col = at + 1;
    return -1;
}

static int is_ws(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\r';
}
static int at_end(const pc *c)
{
    return c->i >= c->n || c->s[c->i] == '#';
}
static void skip_ws(pc *c)
{
    while (c->i < c->n && is_ws(c->s[c->i]))
        c->i++;
}

/* Read a run of characters up to a blank, '#', or one of stops; returns its start. */
static size_t atom(pc *c, const char *stops)
{
    size_t start = c->i;
    while (c->i < c->n && !is_ws(c->s[c->i]) && c->s[c->i] != '#' &&
           !(stops && strchr(stops, c->s[c->i])))
        c->i++;
    return start;
}

static char lower(char ch)
{
    return ch >= 'A' && ch <= 'Z' ? (char)(ch - 'A' + 'a') : ch;
}

static int word_is(const char *s, size_t n, const char *kw)
{
    size_t k = strlen(kw);
    if (k != n)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (lower(s[i]) != lower(kw[i]))
            return 0;
    return 1;
}

/* A whole number: decimal, or hexadecimal after 0x. */
static int number(const char *s, size_t n, uint64_t max, uint64_t *out)
{
    uint64_t v = 0;
    size_t i = 0;
    int base = 10;
    if (n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        i = 2;
    }
    if (i >= n)
        return -1;
    for (; i < n; i++) {
        char ch = lower(s[i]);
        int d;
        if (ch >= '0' && ch <= '9')
            d = ch - '0';
        else if (base == 16 && ch >= 'a' && ch <= 'f')
            d = ch - 'a' + 10;
        else
            return -1;
        if (v > (max - (uint64_t)d) / (uint64_t)base)
            return -2;
        v = v * (uint64_t)base + (uint64_t)d;
    }
    *out = v;
    return 0;
}

/* ---- times ----------------------------------------------------------------------------------- */

/* A duration: digits[.digits][s|ms|us|ns] (seconds by default), exact to the nanosecond. */
static int duration(const char *s, size_t n, viv_time_t *out)
{
    size_t i = 0;
    uint64_t ip = 0, frac = 0, fd = 0;
    int digits = 0;
    while (i < n && s[i] >= '0' && s[i] <= '9') {
        /* The digit is part of the bound: 1844674407370955161 * 10 + 6 wraps past 2^64, and
         * a wrapped value would read as a small time. */
        uint64_t d = (uint64_t)(s[i] - '0');
        if (ip > (UINT64_MAX - d) / 10)
            return -2;
        ip = ip * 10 + d;
        i++;
        digits++;
    }
    if (i < n && s[i] == '.') {
        i++;
        while (i < n && s[i] >= '0' && s[i] <= '9') {
            if (fd == 9)
                return -3;
            frac = frac * 10 + (uint64_t)(s[i] - '0');
            fd++;
            i++;
            digits++;
        }
    }
    if (!digits)
        return -1;
    uint64_t unit;
    const char *u = s + i;
    size_t un = n - i;
    if (un == 0 || (un == 1 && u[0] == 's'))
        unit = 1000000000u;
    else if (un == 2 && u[0] == 'm' && u[1] == 's')
        unit = 1000000u;
    else if (un == 2 && u[0] == 'u' && u[1] == 's')
        unit = 1000u;
    else if (un == 2 && u[0] == 'n' && u[1] == 's')
        unit = 1u;
    else
        return -1;
    uint64_t pow10 = 1;
    for (uint64_t k = 0; k < fd; k++)
        pow10 *= 10;
    if ((frac * unit) % pow10)
        return -3;
    if (ip > (VIV_TIME_MAX - frac * unit / pow10) / unit)
        return -2;
    *out = ip * unit + frac * unit / pow10;
    return 0;
}

/* A time constraint: "*", [<=][+]DURATION[~DURATION]. Returns 0, or -1 with the message. */
static int time_spec(pc *c, size_t at, const char *s, size_t n, viv_pattern *p)
{
    if (n == 1 && s[0] == '*') {
        p->when = VIV_WHEN_ANY;
        return 0;
    }
    size_t i = 0;
    p->when = VIV_WHEN_AT;
    if (n >= 2 && s[0] == '<' && s[1] == '=') {
        p->when = VIV_WHEN_BY;
        i = 2;
    }
    p->time_rel = 0;
    if (i < n && s[i] == '+') {
        p->time_rel = 1;
        i++;
    }
    size_t tilde = i;
    while (tilde < n && s[tilde] != '~')
        tilde++;
    int rc = duration(s + i, tilde - i, &p->time_ns);
    if (rc == 0 && tilde < n) {
        if (p->when == VIV_WHEN_BY)
            return fail(c, at + tilde, "a time \"<=T\" takes no tolerance");
        rc = duration(s + tilde + 1, n - tilde - 1, &p->tol_ns);
    }
    p->tol_ns = tilde < n ? p->tol_ns : 0;
    if (rc == -3)
        return fail(c, at, "time \"%.*s\" is finer than a nanosecond", (int)n, s);
    if (rc == -2)
        return fail(c, at, "time \"%.*s\" is too large", (int)n, s);
    if (rc < 0)
        return fail(c, at,
                    "bad time \"%.*s\": expected seconds such as 1.5, +0.010, +0.010~0.002, "
                    "<=+1 or +10ms",
                    (int)n, s);
    return 0;
}

static int looks_like_time(const char *s, size_t n)
{
    return n > 0 && (s[0] == '+' || s[0] == '<' || s[0] == '*' || (s[0] >= '0' && s[0] <= '9'));
}

/* ---- endpoints ------------------------------------------------------------------------------- */

static int mac_shaped(const char *s, size_t n)
{
    if (n != 17)
        return 0;
    for (size_t i = 0; i < 17; i++) {
        char ch = lower(s[i]);
        int hex = (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f');
        if (i % 3 == 2 ? !(ch == ':' || ch == '-') : !hex)
            return 0;
    }
    return 1;
}

int viv__kit_epspec_parse(kit_epspec *out, const char *s, size_t n)
{
    memset(out, 0, sizeof(*out));
    char tmp[VIV_REC_NAME_MAX];
    if (n == 1 && s[0] == '*')
        return 0;
    if (n == 0 || n >= sizeof tmp)
        return -1;
    memcpy(tmp, s, n);
    tmp[n] = 0;
    if (mac_shaped(s, n)) {
        out->kind = KIT_EP_MAC;
        return viv_mac_parse(&out->mac, tmp) == 0 ? 0 : -1;
    }
    if (s[0] >= '0' && s[0] <= '9') {
        out->kind = KIT_EP_IP;
        return viv_ip4_parse(&out->ip, tmp) == 0 ? 0 : -1;
    }
    if (!viv__kit_name_ok(s, n) || viv__kit_is_keyword(s, n))
        return -1;
    out->kind = KIT_EP_NAME;
    memcpy(out->name, tmp, n + 1);
    return 0;
}

/* An endpoint atom: ENDPOINT[:PORT] or a MAC address. */
static int endpoint(pc *c, size_t at, const char *s, size_t n, kit_epspec *ep, int64_t *port,
                    const char *which)
{
    size_t colon = n;
    if (!mac_shaped(s, n))
        for (size_t i = 0; i < n; i++)
            if (s[i] == ':') {
                colon = i;
                break;
            }
    if (viv__kit_epspec_parse(ep, s, colon) < 0)
        return fail(c, at,
                    "bad %s endpoint \"%.*s\": expected a name (A, server...), an IPv4 or MAC "
                    "address, or *",
                    which, (int)colon, s);
    if (colon < n) {
        uint64_t v;
        const char *ps = s + colon + 1;
        size_t pn = n - colon - 1;
        if (pn == 1 && ps[0] == '*')
            return 0;
        if (number(ps, pn, U16MAX, &v) < 0)
            return fail(c, at + colon + 1, "bad port \"%.*s\": expected 0 to 65535 or *", (int)pn,
                        ps);
        *port = (int64_t)v;
    }
    return 0;
}

/* ---- fields ---------------------------------------------------------------------------------- */

/* Set a field once. */
static int set_once(pc *c, size_t at, int64_t *field, int64_t v, const char *what)
{
    if (*field != VIV_ANY && *field != v)
        return fail(c, at, "%s is given twice", what);
    *field = v;
    return 0;
}

/* The number after a keyword. */
static int keyword_number(pc *c, const char *kw, uint64_t max, int64_t *field, const char *what)
{
    skip_ws(c);
    size_t at = atom(c, "<[");
    size_t n = c->i - at;
    uint64_t v;
    if (n == 0)
        return fail(c, at, "expected a number after \"%s\"", kw);
    int rc = number(c->s + at, n, max, &v);
    if (rc == -2)
        return fail(c, at, "%s %.*s is out of range (at most %llu)", what, (int)n, c->s + at,
                    (unsigned long long)max);
    if (rc < 0)
        return fail(c, at, "bad number \"%.*s\" after \"%s\"", (int)n, c->s + at, kw);
    return set_once(c, at, field, (int64_t)v, what);
}

/* Ports: P, P>Q, *>Q, P>* (the '>' may have blanks around it). */
static int ports(pc *c, size_t at, viv_pattern *p)
{
    const char *s = c->s;
    size_t end = c->i;
    size_t gt = at;
    while (gt < end && s[gt] != '>')
        gt++;
    size_t a0 = at, a1 = gt, b0 = 0, b1 = 0;
    int pair = 0;
    if (gt < end) {
        pair = 1;
        b0 = gt + 1;
        b1 = end;
    } else {
        size_t save = c->i;
        skip_ws(c);
        if (c->i < c->n && s[c->i] == '>') {
            c->i++;
            skip_ws(c);
            b0 = atom(c, "<[");
            b1 = c->i;
            pair = 1;
        } else {
            c->i = save;
        }
    }
    uint64_t v;
    if (!pair) {
        if (a1 - a0 == 1 && s[a0] == '*')
            return 0;
        if (number(s + a0, a1 - a0, U16MAX, &v) < 0)
            return fail(c, a0, "bad port \"%.*s\": expected 0 to 65535 or *", (int)(a1 - a0),
                        s + a0);
        return set_once(c, a0, &p->port, (int64_t)v, "the port");
    }
    const size_t st[2] = {a0, b0}, en[2] = {a1, b1};
    int64_t *f[2] = {&p->sport, &p->dport};
    const char *what[2] = {"the source port", "the destination port"};
    for (int k = 0; k < 2; k++) {
        size_t n = en[k] - st[k];
        if (n == 1 && s[st[k]] == '*')
            continue;
        if (n == 0 || number(s + st[k], n, U16MAX, &v) < 0)
            return fail(c, st[k], "bad port \"%.*s\": expected 0 to 65535 or *", (int)n, s + st[k]);
        if (set_once(c, st[k], f[k], (int64_t)v, what[k]) < 0)
            return -1;
    }
    return 0;
}

static int flag_bit(char ch)
{
    switch (ch) {
    case 'F':
        return VIV_TCP_FIN;
    case 'S':
        return VIV_TCP_SYN;
    case 'R':
        return VIV_TCP_RST;
    case 'P':
        return VIV_TCP_PSH;
    case '.':
        return VIV_TCP_ACK;
    case 'U':
        return VIV_TCP_URG;
    case 'E':
        return VIV_TCP_ECE;
    case 'W':
        return VIV_TCP_CWR;
    default:
        return 0;
    }
}

static int all_flags(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!flag_bit(s[i]))
            return 0;
    return n > 0;
}

static int flags(pc *c, size_t at, const char *s, size_t n, viv_pattern *p)
{
    int64_t v = 0;
    if (!word_is(s, n, "none"))
        for (size_t i = 0; i < n; i++) {
            int b = flag_bit(s[i]);
            if (!b)
                return fail(c, at + i,
                            "bad TCP flag '%c' in \"%.*s\": use S, F, R, P, U, E, W and . (ACK)",
                            s[i], (int)n, s);
            v |= b;
        }
    return set_once(c, at, &p->tcp_flags, v, "the flags field");
}

/* START:END(LENGTH); END and LENGTH may be '*', START too. */
static int seqspec(pc *c, size_t at, const char *s, size_t n, viv_pattern *p)
{
    size_t colon = 0, lp = 0;
    while (colon < n && s[colon] != ':')
        colon++;
    lp = colon;
    while (lp < n && s[lp] != '(')
        lp++;
    if (colon == n || lp == n || s[n - 1] != ')' || lp < colon)
        return fail(c, at, "bad sequence \"%.*s\": expected START:END(LENGTH), as in 1:101(100)",
                    (int)n, s);
    const char *part[3] = {s, s + colon + 1, s + lp + 1};
    size_t len[3] = {colon, lp - colon - 1, n - 1 - lp - 1};
    size_t off[3] = {0, colon + 1, lp + 1};
    int64_t v[3];
    for (int k = 0; k < 3; k++) {
        uint64_t x;
        if (len[k] == 1 && part[k][0] == '*') {
            v[k] = VIV_ANY;
            continue;
        }
        if (len[k] == 0 || number(part[k], len[k], U32MAX, &x) < 0)
            return fail(c, at + off[k], "bad number \"%.*s\" in the sequence \"%.*s\"", (int)len[k],
                        part[k], (int)n, s);
        v[k] = (int64_t)x;
    }
    if (v[1] != VIV_ANY) {
        if (v[0] == VIV_ANY || v[2] == VIV_ANY)
            return fail(c, at + off[1], "sequence end %lld needs a start and a length (or write *)",
                        (long long)v[1]);
        if ((uint32_t)((uint64_t)v[0] + (uint64_t)v[2]) != (uint32_t)v[1])
            return fail(c, at + off[1], "sequence end %lld is not start %lld + length %lld",
                        (long long)v[1], (long long)v[0], (long long)v[2]);
    }
    if (v[0] != VIV_ANY && set_once(c, at, &p->seq, v[0], "the sequence number") < 0)
        return -1;
    if (v[2] != VIV_ANY && set_once(c, at + off[2], &p->len, v[2], "the length") < 0)
        return -1;
    return 0;
}

/* One item of a TCP option list. */
static int option(pc *c, size_t at, const char *s, size_t n, viv_pattern *p, int *seen)
{
    /* Split the item into blank-separated words. */
    const char *w[12];
    size_t wn[12], wo[12];
    int k = 0;
    size_t i = 0;
    while (i < n) {
        while (i < n && is_ws(s[i]))
            i++;
        if (i >= n)
            break;
        if (k == 12)
            return fail(c, at + i, "too many words in the option \"%.*s\"", (int)n, s);
        wo[k] = i;
        w[k] = s + i;
        while (i < n && !is_ws(s[i]))
            i++;
        wn[k] = (size_t)(s + i - w[k]);
        k++;
    }
    if (k == 0)
        return fail(c, at, "empty TCP option (two commas in a row?)");
    uint64_t v;
    int star = k == 2 && wn[1] == 1 && w[1][0] == '*';
    int bit = 0;
#define OPT_NUM(field, max, name)                                                                  \
    do {                                                                                           \
        if (k != 2)                                                                                \
            return fail(c, at + wo[0], "option %s takes one number (or *)", name);                 \
        if (star) {                                                                                \
            p->field = VIV_ANY;                                                                    \
        } else {                                                                                   \
            if (number(w[1], wn[1], max, &v) < 0)                                                  \
                return fail(c, at + wo[1], "bad %s \"%.*s\"", name, (int)wn[1], w[1]);             \
            p->field = (int64_t)v;                                                                 \
        }                                                                                          \
    } while (0)
    if (word_is(w[0], wn[0], "nop") || word_is(w[0], wn[0], "eol")) {
        if (k != 1)
            return fail(c, at + wo[1], "option %.*s takes no value", (int)wn[0], w[0]);
        return 0;
    } else if (word_is(w[0], wn[0], "mss")) {
        bit = 1;
        OPT_NUM(mss, U16MAX, "mss");
        /* A recorded MSS of 0 means "no MSS option" (the entry cannot tell an option of 0
         * from none): "mss 0" could never match, so it is refused rather than always failing. */
        if (p->mss == 0)
            return fail(c, at + wo[1],
                        "an MSS of 0 matches nothing: an MSS option of 0 reads as absent (write "
                        "<> or leave mss out)");
    } else if (word_is(w[0], wn[0], "wscale")) {
        bit = 2;
        OPT_NUM(wscale, 255u, "wscale");
    } else if (word_is(w[0], wn[0], "sackOK")) {
        bit = 4;
        if (k > 2 || (k == 2 && !star))
            return fail(c, at + wo[1], "option sackOK takes no value (or *)");
        p->sack_ok = star ? VIV_ANY : 1;
    } else if (word_is(w[0], wn[0], "TS")) {
        bit = 8;
        if (star) {
            p->ts = VIV_ANY;
        } else {
            if (k != 5 || !word_is(w[1], wn[1], "val") || !word_is(w[3], wn[3], "ecr"))
                return fail(c, at + wo[0], "option TS is written \"TS val N ecr N\" (N or *)");
            p->ts = 1;
            int64_t *f[2] = {&p->ts_val, &p->ts_ecr};
            for (int j = 0; j < 2; j++) {
                int x = 2 + 2 * j;
                if (wn[x] == 1 && w[x][0] == '*') {
                    *f[j] = VIV_ANY;
                } else if (number(w[x], wn[x], U32MAX, &v) < 0) {
                    return fail(c, at + wo[x], "bad timestamp \"%.*s\"", (int)wn[x], w[x]);
                } else {
                    *f[j] = (int64_t)v;
                }
            }
        }
    } else if (word_is(w[0], wn[0], "sack")) {
        bit = 16;
        if (star) {
            p->sack_count = VIV_ANY;
        } else {
            if (k < 2 || k > 5)
                return fail(c, at + wo[0], "option sack takes 1 to 4 blocks LEFT:RIGHT");
            for (int j = 1; j < k; j++) {
                size_t colon = 0;
                while (colon < wn[j] && w[j][colon] != ':')
                    colon++;
                uint64_t l, r;
                if (colon == wn[j] || number(w[j], colon, U32MAX, &l) < 0 ||
                    number(w[j] + colon + 1, wn[j] - colon - 1, U32MAX, &r) < 0)
                    return fail(c, at + wo[j], "bad SACK block \"%.*s\": expected LEFT:RIGHT",
                                (int)wn[j], w[j]);
                p->sack[j - 1][0] = (uint32_t)l;
                p->sack[j - 1][1] = (uint32_t)r;
            }
            p->sack_count = k - 1;
        }
    } else {
        return fail(c, at + wo[0],
                    "unknown TCP option \"%.*s\": expected mss, wscale, sackOK, TS, sack, nop "
                    "or eol",
                    (int)wn[0], w[0]);
    }
#undef OPT_NUM
    if (*seen & bit)
        return fail(c, at + wo[0], "option %.*s is given twice", (int)wn[0], w[0]);
    *seen |= bit;
    return 0;
}

/* <OPTION,OPTION...>: the options listed, and no other. */
static int options(pc *c, viv_pattern *p)
{
    size_t open = c->i;
    if (p->mss != VIV_ANY || p->wscale != VIV_ANY || p->sack_ok != VIV_ANY || p->ts != VIV_ANY ||
        p->sack_count != VIV_ANY)
        return fail(c, open, "the TCP options are given twice");
    size_t close = open + 1;
    while (close < c->n && c->s[close] != '>')
        close++;
    if (close >= c->n)
        return fail(c, open, "missing '>' closing the TCP options");
    p->mss = p->wscale = p->sack_ok = p->ts = VIV_ABSENT;
    p->sack_count = 0;
    int seen = 0;
    size_t i = open + 1;
    int empty = 1;
    for (size_t k = i; k < close; k++)
        if (!is_ws(c->s[k]))
            empty = 0;
    while (!empty && i <= close) {
        size_t j = i;
        while (j < close && c->s[j] != ',')
            j++;
        if (option(c, i, c->s + i, j - i, p, &seen) < 0)
            return -1;
        i = j + 1;
    }
    c->i = close + 1;
    return 0;
}

static int proto_word(const char *s, size_t n, viv_proto *out)
{
    static const struct {
        const char *w;
        viv_proto p;
    } t[] = {{"ARP", VIV_PROTO_ARP}, {"IP", VIV_PROTO_IP},   {"ICMP", VIV_PROTO_ICMP},
             {"UDP", VIV_PROTO_UDP}, {"TCP", VIV_PROTO_TCP}, {"ETH", VIV_PROTO_ETH}};
    for (size_t i = 0; i < VIV__ARRAY_LEN(t); i++)
        if (word_is(s, n, t[i].w)) {
            *out = t[i].p;
            return 1;
        }
    return 0;
}

static int icmp_word(const char *s, size_t n, int64_t *type)
{
    static const struct {
        const char *w;
        int t;
    } t[] = {{"echo-request", 8},
             {"echo-reply", 0},
             {"unreachable", 3},
             {"time-exceeded", 11},
             {"param-problem", 12}};
    for (size_t i = 0; i < VIV__ARRAY_LEN(t); i++)
        if (word_is(s, n, t[i].w)) {
            *type = t[i].t;
            return 1;
        }
    return 0;
}

static int all_digits_or_star(const char *s, size_t n)
{
    if (n == 1 && s[0] == '*')
        return 1;
    for (size_t i = 0; i < n; i++)
        if (!(s[i] >= '0' && s[i] <= '9'))
            return 0;
    return n > 0;
}

/* The fields after the protocol word. */
static int proto_fields(pc *c, viv_pattern *p, const char *pname)
{
    for (;;) {
        skip_ws(c);
        if (at_end(c))
            return 0;
        size_t at = c->i;
        char ch = c->s[at];
        if (p->proto == VIV_PROTO_TCP && ch == '[') {
            size_t close = at + 1;
            while (close < c->n && c->s[close] != ']')
                close++;
            if (close >= c->n)
                return fail(c, at, "missing ']' closing the TCP flags");
            if (flags(c, at + 1, c->s + at + 1, close - at - 1, p) < 0)
                return -1;
            c->i = close + 1;
            continue;
        }
        if (p->proto == VIV_PROTO_TCP && ch == '<') {
            if (options(c, p) < 0)
                return -1;
            continue;
        }
        atom(c, "<[");
        const char *w = c->s + at;
        size_t n = c->i - at;
        if (word_is(w, n, "len")) {
            if (p->proto == VIV_PROTO_ARP)
                return fail(c, at, "an ARP line takes no length");
            if (keyword_number(c, "len", U32MAX, &p->len, "the length") < 0)
                return -1;
            continue;
        }
        int rc = 0, known = 1;
        switch (p->proto) {
        case VIV_PROTO_ARP:
            if (word_is(w, n, "request"))
                rc = set_once(c, at, &p->arp_op, 1, "the ARP operation");
            else if (word_is(w, n, "reply"))
                rc = set_once(c, at, &p->arp_op, 2, "the ARP operation");
            else if (word_is(w, n, "op"))
                rc = keyword_number(c, "op", U16MAX, &p->arp_op, "the ARP operation");
            else
                known = 0;
            break;
        case VIV_PROTO_ICMP: {
            int64_t type;
            if (icmp_word(w, n, &type))
                rc = set_once(c, at, &p->icmp_type, type, "the ICMP type");
            else if (word_is(w, n, "type"))
                rc = keyword_number(c, "type", 255u, &p->icmp_type, "the ICMP type");
            else if (word_is(w, n, "code"))
                rc = keyword_number(c, "code", 255u, &p->icmp_code, "the ICMP code");
            else if (word_is(w, n, "id"))
                rc = keyword_number(c, "id", U16MAX, &p->icmp_id, "the ICMP identifier");
            else if (word_is(w, n, "seq"))
                rc = keyword_number(c, "seq", U16MAX, &p->icmp_seq, "the ICMP sequence number");
            else
                known = 0;
            break;
        }
        case VIV_PROTO_UDP:
            if (all_digits_or_star(w, n) || memchr(w, '>', n))
                rc = ports(c, at, p);
            else
                known = 0;
            break;
        case VIV_PROTO_TCP:
            if (word_is(w, n, "ack"))
                rc = keyword_number(c, "ack", U32MAX, &p->ack, "the acknowledgement number");
            else if (word_is(w, n, "win"))
                rc = keyword_number(c, "win", U16MAX, &p->win, "the window");
            else if (memchr(w, ':', n))
                rc = seqspec(c, at, w, n, p);
            else if (all_flags(w, n))
                rc = flags(c, at, w, n, p);
            else if (all_digits_or_star(w, n) || memchr(w, '>', n))
                rc = ports(c, at, p);
            else
                known = 0;
            break;
        case VIV_PROTO_IP:
            if (word_is(w, n, "proto"))
                rc = keyword_number(c, "proto", 255u, &p->ip_proto, "the IP protocol");
            else
                known = 0;
            break;
        case VIV_PROTO_ETH:
            if (word_is(w, n, "type"))
                rc = keyword_number(c, "type", U16MAX, &p->ethertype, "the EtherType");
            else
                known = 0;
            break;
        default:
            known = 0;
            break;
        }
        if (rc < 0)
            return -1;
        if (!known) {
            static const char *const expected[] = {
                "",
                "request, reply or op N",
                "proto N or len N",
                "echo-request, echo-reply, unreachable, time-exceeded, param-problem, type N, "
                "code N, id N, seq N or len N",
                "ports (53, 1025>53) or len N",
                "ports (80, 1025>80), flags ([S.]), START:END(LEN), ack N, win N, <options> or "
                "len N",
                "type N or len N"};
            return fail(c, at, "unexpected \"%.*s\" in a%s %s line: expected %s", (int)n, w,
                        /* "an" before a vowel sound: an ARP, an ICMP, an IP, an ETH */
                        p->proto == VIV_PROTO_ARP || p->proto == VIV_PROTO_ICMP ||
                                p->proto == VIV_PROTO_IP || p->proto == VIV_PROTO_ETH
                            ? "n"
                            : "",
                        pname, expected[p->proto]);
        }
    }
}

/* ---- a line ---------------------------------------------------------------------------------- */

int viv__kit_parse_line(const char *s, size_t n, kit_line *out, int *allow_arp, size_t *col_out,
                        char *err, size_t errcap)
{
    pc c = {s, n, 0, err, errcap, 0};
    memset(out, 0, sizeof(*out));
    viv_pattern *p = &out->p;
    viv_pattern_init(p);
    *col_out = 0;
    skip_ws(&c);
    if (at_end(&c))
        return KIT_PARSE_BLANK;

    size_t at = c.i;
    atom(&c, NULL);
    const char *w = s + at;
    size_t wn = c.i - at;

    /* Directives. */
    if (word_is(w, wn, "allow")) {
        skip_ws(&c);
        size_t a2 = atom(&c, NULL);
        if (word_is(s + a2, c.i - a2, "ARP"))
            *allow_arp = 1;
        else if (word_is(s + a2, c.i - a2, "nothing"))
            *allow_arp = 0;
        else {
            fail(&c, a2, "expected \"allow ARP\" or \"allow nothing\"");
            *col_out = c.col;
            return KIT_PARSE_ERROR;
        }
        skip_ws(&c);
        if (!at_end(&c)) {
            fail(&c, c.i, "unexpected \"%.*s\" after the directive", (int)(n - c.i), s + c.i);
            *col_out = c.col;
            return KIT_PARSE_ERROR;
        }
        return KIT_PARSE_DIRECTIVE;
    }
    if (word_is(w, wn, "nothing")) {
        skip_ws(&c);
        size_t a2 = atom(&c, NULL);
        if (word_is(s + a2, c.i - a2, "else")) {
            skip_ws(&c);
            a2 = atom(&c, NULL);
        }
        if (!word_is(s + a2, c.i - a2, "until")) {
            fail(&c, a2, "expected \"nothing else until TIME\"");
            *col_out = c.col;
            return KIT_PARSE_ERROR;
        }
        skip_ws(&c);
        size_t a3 = atom(&c, NULL);
        if (c.i == a3) {
            fail(&c, a3, "expected a time after \"until\"");
            *col_out = c.col;
            return KIT_PARSE_ERROR;
        }
        if (time_spec(&c, a3, s + a3, c.i - a3, p) < 0) {
            *col_out = c.col;
            return KIT_PARSE_ERROR;
        }
        if (p->when != VIV_WHEN_AT || p->tol_ns) {
            fail(&c, a3, "a \"nothing else until\" time is one instant: no *, <= or ~");
            *col_out = c.col;
            return KIT_PARSE_ERROR;
        }
        p->kind = VIV_PATTERN_QUIET;
        p->when = VIV_WHEN_BY;
        p->allow_arp = *allow_arp;
        skip_ws(&c);
        if (!at_end(&c)) {
            fail(&c, c.i, "unexpected \"%.*s\" after the time", (int)(n - c.i), s + c.i);
            *col_out = c.col;
            return KIT_PARSE_ERROR;
        }
        return KIT_PARSE_LINE;
    }

    /* The time, unless this first word is an endpoint (it is followed by '>'). */
    size_t save = c.i;
    skip_ws(&c);
    int gt_next = c.i < n && s[c.i] == '>';
    c.i = save;
    if (looks_like_time(w, wn) && !gt_next && !memchr(w, '>', wn) && !mac_shaped(w, wn)) {
        if (time_spec(&c, at, w, wn, p) < 0) {
            *col_out = c.col;
            return KIT_PARSE_ERROR;
        }
        skip_ws(&c);
        if (at_end(&c)) {
            p->allow_arp = *allow_arp;
            return KIT_PARSE_LINE;
        }
        at = c.i;
    }
    c.i = at;
    atom(&c, ">");
    w = s + at;
    wn = c.i - at;

    /* The endpoints, unless this word is the protocol. */
    save = c.i;
    skip_ws(&c);
    gt_next = c.i < n && s[c.i] == '>';
    viv_proto proto;
    if (!gt_next) {
        c.i = save;
        if (!proto_word(w, wn, &proto)) {
            if (viv__kit_name_ok(w, wn) && !viv__kit_is_keyword(w, wn) && !memchr(w, ':', wn))
                fail(&c, at,
                     "unknown protocol \"%.*s\": expected ARP, IP, ICMP, UDP, TCP or ETH "
                     "(or a pair of endpoints such as A>B)",
                     (int)wn, w);
            else
                fail(&c, at + wn, "expected '>' after the source endpoint \"%.*s\"", (int)wn, w);
            *col_out = c.col;
            return KIT_PARSE_ERROR;
        }
    } else {
        if (endpoint(&c, at, w, wn, &out->src, &p->sport, "source") < 0) {
            *col_out = c.col;
            return KIT_PARSE_ERROR;
        }
        c.i++; /* the '>' */
        skip_ws(&c);
        size_t at2 = atom(&c, NULL);
        if (c.i == at2) {
            fail(&c, at2, "expected the destination endpoint after '>'");
            *col_out = c.col;
            return KIT_PARSE_ERROR;
        }
        if (endpoint(&c, at2, s + at2, c.i - at2, &out->dst, &p->dport, "destination") < 0) {
            *col_out = c.col;
            return KIT_PARSE_ERROR;
        }
        skip_ws(&c);
        if (at_end(&c)) {
            p->allow_arp = *allow_arp;
            return KIT_PARSE_LINE;
        }
        at = c.i;
        atom(&c, NULL);
        w = s + at;
        wn = c.i - at;
        if (!proto_word(w, wn, &proto)) {
            fail(&c, at, "unknown protocol \"%.*s\": expected ARP, IP, ICMP, UDP, TCP or ETH",
                 (int)wn, w);
            *col_out = c.col;
            return KIT_PARSE_ERROR;
        }
    }
    p->proto = proto;
    if ((p->sport != VIV_ANY || p->dport != VIV_ANY) && proto != VIV_PROTO_UDP &&
        proto != VIV_PROTO_TCP) {
        fail(&c, at, "ports are only for UDP and TCP");
        *col_out = c.col;
        return KIT_PARSE_ERROR;
    }
    static const char *const names[] = {"", "ARP", "IP", "ICMP", "UDP", "TCP", "ETH"};
    if (proto_fields(&c, p, names[proto]) < 0) {
        *col_out = c.col;
        return KIT_PARSE_ERROR;
    }
    p->allow_arp = *allow_arp;
    return KIT_PARSE_LINE;
}

/* ---- a pattern given in C -------------------------------------------------------------------- */

static int range(int64_t v, int64_t lo, int64_t hi)
{
    return v == VIV_ANY || (v >= lo && v <= hi);
}

int viv__kit_line_from_pattern(kit_line *l, const viv_pattern *p, char *err, size_t errcap)
{
    memset(l, 0, sizeof(*l));
    l->p = *p;
    l->p.src = l->p.dst = NULL;
#define BAD(...) return (snprintf(err, errcap, __VA_ARGS__), -1)
    if (p->kind != VIV_PATTERN_FRAME && p->kind != VIV_PATTERN_QUIET)
        BAD("bad pattern kind %d", (int)p->kind);
    if (p->when != VIV_WHEN_ANY && p->when != VIV_WHEN_AT && p->when != VIV_WHEN_BY)
        BAD("bad time constraint %d", (int)p->when);
    if ((unsigned)p->proto > VIV_PROTO_ETH)
        BAD("bad protocol %d", (int)p->proto);
    if (p->time_ns > VIV_TIME_MAX || p->tol_ns > VIV_TIME_MAX)
        BAD("time out of range");
    const char *ep[2] = {p->src, p->dst};
    kit_epspec *spec[2] = {&l->src, &l->dst};
    for (int k = 0; k < 2; k++)
        if (ep[k] && viv__kit_epspec_parse(spec[k], ep[k], strlen(ep[k])) < 0)
            BAD("bad %s endpoint \"%.40s\": expected a name, an IPv4 or MAC address, or *",
                k ? "destination" : "source", ep[k]);
    if (!range(p->sport, 0, U16MAX) || !range(p->dport, 0, U16MAX) || !range(p->port, 0, U16MAX))
        BAD("a port is out of range");
    if (!range(p->ethertype, 0, U16MAX) || !range(p->ip_proto, 0, 255) ||
        !range(p->arp_op, 0, U16MAX) || !range(p->icmp_type, 0, 255) ||
        !range(p->icmp_code, 0, 255) || !range(p->icmp_id, 0, U16MAX) ||
        !range(p->icmp_seq, 0, U16MAX) || !range(p->len, 0, U32MAX) ||
        !range(p->tcp_flags, 0, 255) || !range(p->seq, 0, U32MAX) || !range(p->ack, 0, U32MAX) ||
        !range(p->win, 0, U16MAX) || !range(p->ts_val, 0, U32MAX) || !range(p->ts_ecr, 0, U32MAX))
        BAD("a field is out of range");
    if (!(range(p->mss, 1, U16MAX) || p->mss == VIV_ABSENT) || /* 0: as "mss 0" in option() */
        !(range(p->wscale, 0, 255) || p->wscale == VIV_ABSENT) ||
        !(range(p->sack_ok, 1, 1) || p->sack_ok == VIV_ABSENT) ||
        !(range(p->ts, 1, 1) || p->ts == VIV_ABSENT) || !range(p->sack_count, 0, 4))
        BAD("a TCP option field is out of range");
    int ports_set = p->sport != VIV_ANY || p->dport != VIV_ANY || p->port != VIV_ANY;
    int tcp_set = p->tcp_flags != VIV_ANY || p->seq != VIV_ANY || p->ack != VIV_ANY ||
                  p->win != VIV_ANY || p->mss != VIV_ANY || p->wscale != VIV_ANY ||
                  p->sack_ok != VIV_ANY || p->ts != VIV_ANY || p->ts_val != VIV_ANY ||
                  p->ts_ecr != VIV_ANY || p->sack_count != VIV_ANY;
    int icmp_set = p->icmp_type != VIV_ANY || p->icmp_code != VIV_ANY || p->icmp_id != VIV_ANY ||
                   p->icmp_seq != VIV_ANY;
    if (p->kind == VIV_PATTERN_QUIET) {
        if (p->when == VIV_WHEN_ANY)
            BAD("a \"nothing else until\" pattern needs a time");
        if (p->proto != VIV_PROTO_ANY || l->src.kind || l->dst.kind || ports_set || tcp_set ||
            icmp_set || p->len != VIV_ANY)
            BAD("a \"nothing else until\" pattern takes only a time");
        return 0;
    }
    if (ports_set && p->proto != VIV_PROTO_UDP && p->proto != VIV_PROTO_TCP)
        BAD("ports are only for UDP and TCP");
    if (tcp_set && p->proto != VIV_PROTO_TCP)
        BAD("TCP fields need the protocol TCP");
    if ((p->ts_val != VIV_ANY || p->ts_ecr != VIV_ANY) && p->ts != 1)
        BAD("timestamp values need ts = 1");
    if (icmp_set && p->proto != VIV_PROTO_ICMP)
        BAD("ICMP fields need the protocol ICMP");
    if (p->arp_op != VIV_ANY && p->proto != VIV_PROTO_ARP)
        BAD("an ARP operation needs the protocol ARP");
    if (p->ip_proto != VIV_ANY && p->proto != VIV_PROTO_IP)
        BAD("an IP protocol number needs the protocol IP");
    if (p->ethertype != VIV_ANY && p->proto != VIV_PROTO_ETH)
        BAD("an EtherType needs the protocol ETH");
    if (p->len != VIV_ANY && (p->proto == VIV_PROTO_ANY || p->proto == VIV_PROTO_ARP))
        BAD("a length needs the protocol IP, ICMP, UDP, TCP or ETH");
#undef BAD
    return 0;
}

/* ---- canonical text -------------------------------------------------------------------------- */

static void dur_write(viv__sb *sb, viv_time_t t)
{
    uint64_t s = t / 1000000000u, ns = t % 1000000000u;
    viv__sb_printf(sb, "%llu", (unsigned long long)s);
    if (ns) {
        char frac[10];
        snprintf(frac, sizeof frac, "%09llu", (unsigned long long)ns);
        int k = 9;
        while (k > 0 && frac[k - 1] == '0')
            k--;
        frac[k] = 0;
        viv__sb_printf(sb, ".%s", frac);
    }
}

static void time_write(viv__sb *sb, const viv_pattern *p)
{
    if (p->when == VIV_WHEN_BY)
        viv__sb_printf(sb, "<=");
    if (p->time_rel)
        viv__sb_printf(sb, "+");
    dur_write(sb, p->time_ns);
    if (p->when == VIV_WHEN_AT && p->tol_ns) {
        viv__sb_printf(sb, "~");
        dur_write(sb, p->tol_ns);
    }
}

static void ep_write(viv__sb *sb, const kit_epspec *e)
{
    switch (e->kind) {
    case KIT_EP_NAME:
        viv__sb_printf(sb, "%s", e->name);
        break;
    case KIT_EP_IP: {
        char t[VIV_IP4_STRLEN];
        viv_ip4_format(e->ip, t, sizeof t);
        viv__sb_printf(sb, "%s", t);
        break;
    }
    case KIT_EP_MAC: {
        char t[VIV_MAC_STRLEN];
        viv_mac_format(&e->mac, t, sizeof t);
        viv__sb_printf(sb, "%s", t);
        break;
    }
    default:
        viv__sb_printf(sb, "*");
        break;
    }
}

static void num_write(viv__sb *sb, const char *kw, int64_t v)
{
    if (v != VIV_ANY)
        viv__sb_printf(sb, " %s %lld", kw, (long long)v);
}

static void opts_write(viv__sb *sb, const viv_pattern *p)
{
    if (p->mss == VIV_ANY && p->wscale == VIV_ANY && p->sack_ok == VIV_ANY && p->ts == VIV_ANY &&
        p->sack_count == VIV_ANY)
        return;
    const char *sep = "";
    viv__sb_printf(sb, " <");
#define SEP() (viv__sb_printf(sb, "%s", sep), sep = ",")
    if (p->mss == VIV_ANY)
        (SEP(), viv__sb_printf(sb, "mss *"));
    else if (p->mss != VIV_ABSENT)
        (SEP(), viv__sb_printf(sb, "mss %lld", (long long)p->mss));
    if (p->sack_ok == VIV_ANY)
        (SEP(), viv__sb_printf(sb, "sackOK *"));
    else if (p->sack_ok != VIV_ABSENT)
        (SEP(), viv__sb_printf(sb, "sackOK"));
    if (p->ts == VIV_ANY) {
        (SEP(), viv__sb_printf(sb, "TS *"));
    } else if (p->ts != VIV_ABSENT) {
        SEP();
        viv__sb_printf(sb, "TS val ");
        if (p->ts_val == VIV_ANY)
            viv__sb_printf(sb, "*");
        else
            viv__sb_printf(sb, "%lld", (long long)p->ts_val);
        viv__sb_printf(sb, " ecr ");
        if (p->ts_ecr == VIV_ANY)
            viv__sb_printf(sb, "*");
        else
            viv__sb_printf(sb, "%lld", (long long)p->ts_ecr);
    }
    if (p->wscale == VIV_ANY)
        (SEP(), viv__sb_printf(sb, "wscale *"));
    else if (p->wscale != VIV_ABSENT)
        (SEP(), viv__sb_printf(sb, "wscale %lld", (long long)p->wscale));
    if (p->sack_count == VIV_ANY) {
        (SEP(), viv__sb_printf(sb, "sack *"));
    } else if (p->sack_count > 0) {
        SEP();
        viv__sb_printf(sb, "sack");
        for (int64_t k = 0; k < p->sack_count; k++)
            viv__sb_printf(sb, " %u:%u", p->sack[k][0], p->sack[k][1]);
    }
#undef SEP
    viv__sb_printf(sb, ">");
}

static void ports_write(viv__sb *sb, const viv_pattern *p)
{
    if (p->sport != VIV_ANY || p->dport != VIV_ANY) {
        viv__sb_printf(sb, " ");
        if (p->sport != VIV_ANY)
            viv__sb_printf(sb, "%lld", (long long)p->sport);
        else
            viv__sb_printf(sb, "*");
        viv__sb_printf(sb, ">");
        if (p->dport != VIV_ANY)
            viv__sb_printf(sb, "%lld", (long long)p->dport);
        else
            viv__sb_printf(sb, "*");
    }
    if (p->port != VIV_ANY)
        viv__sb_printf(sb, " %lld", (long long)p->port);
}

void viv__kit_pattern_write(viv__sb *sb, const viv_pattern *p, const kit_epspec *src,
                            const kit_epspec *dst)
{
    if (p->kind == VIV_PATTERN_QUIET) {
        viv__sb_printf(sb, "nothing else until ");
        viv_pattern q = *p;
        q.when = VIV_WHEN_AT;
        q.tol_ns = 0;
        time_write(sb, &q);
        return;
    }
    const char *sep = "";
    if (p->when != VIV_WHEN_ANY) {
        time_write(sb, p);
        sep = " ";
    }
    if (src->kind || dst->kind) {
        viv__sb_printf(sb, "%s", sep);
        ep_write(sb, src);
        viv__sb_printf(sb, ">");
        ep_write(sb, dst);
        sep = " ";
    }
    switch (p->proto) {
    case VIV_PROTO_ARP:
        viv__sb_printf(sb, "%sARP", sep);
        if (p->arp_op == 1 || p->arp_op == 2)
            viv__sb_printf(sb, " %s", p->arp_op == 1 ? "request" : "reply");
        else
            num_write(sb, "op", p->arp_op);
        break;
    case VIV_PROTO_ICMP: {
        viv__sb_printf(sb, "%sICMP", sep);
        static const char *const names[13] = {
            "echo-reply",   NULL, NULL, "unreachable",   NULL,           NULL, NULL, NULL,
            "echo-request", NULL, NULL, "time-exceeded", "param-problem"};
        if (p->icmp_type >= 0 && p->icmp_type < 13 && names[p->icmp_type])
            viv__sb_printf(sb, " %s", names[p->icmp_type]);
        else
            num_write(sb, "type", p->icmp_type);
        num_write(sb, "code", p->icmp_code);
        num_write(sb, "id", p->icmp_id);
        num_write(sb, "seq", p->icmp_seq);
        num_write(sb, "len", p->len);
        break;
    }
    case VIV_PROTO_UDP:
        viv__sb_printf(sb, "%sUDP", sep);
        ports_write(sb, p);
        num_write(sb, "len", p->len);
        break;
    case VIV_PROTO_TCP:
        viv__sb_printf(sb, "%sTCP", sep);
        ports_write(sb, p);
        if (p->tcp_flags != VIV_ANY) {
            viv__sb_printf(sb, " [");
            static const struct {
                int bit;
                char c;
            } order[8] = {{VIV_TCP_FIN, 'F'}, {VIV_TCP_SYN, 'S'}, {VIV_TCP_RST, 'R'},
                          {VIV_TCP_PSH, 'P'}, {VIV_TCP_ACK, '.'}, {VIV_TCP_URG, 'U'},
                          {VIV_TCP_ECE, 'E'}, {VIV_TCP_CWR, 'W'}};
            if (!p->tcp_flags)
                viv__sb_printf(sb, "none");
            for (int k = 0; k < 8; k++)
                if (p->tcp_flags & order[k].bit)
                    viv__sb_printf(sb, "%c", order[k].c);
            viv__sb_printf(sb, "]");
        }
        if (p->seq != VIV_ANY && p->len != VIV_ANY)
            viv__sb_printf(sb, " %lld:%u(%lld)", (long long)p->seq,
                           (uint32_t)((uint64_t)p->seq + (uint64_t)p->len), (long long)p->len);
        else if (p->seq != VIV_ANY)
            viv__sb_printf(sb, " %lld:*(*)", (long long)p->seq);
        num_write(sb, "ack", p->ack);
        num_write(sb, "win", p->win);
        opts_write(sb, p);
        if (p->seq == VIV_ANY)
            num_write(sb, "len", p->len);
        break;
    case VIV_PROTO_IP:
        viv__sb_printf(sb, "%sIP", sep);
        num_write(sb, "proto", p->ip_proto);
        num_write(sb, "len", p->len);
        break;
    case VIV_PROTO_ETH:
        viv__sb_printf(sb, "%sETH", sep);
        if (p->ethertype != VIV_ANY)
            viv__sb_printf(sb, " type 0x%04llx", (unsigned long long)p->ethertype);
        num_write(sb, "len", p->len);
        break;
    default:
        if (!*sep)
            viv__sb_printf(sb, "*");
        break;
    }
}

int viv_pattern_format(const viv_pattern *p, char *buf, size_t cap)
{
    if (!p || (!buf && cap))
        return VIV_EINVAL;
    kit_line l;
    char err[160];
    if (viv__kit_line_from_pattern(&l, p, err, sizeof err) < 0)
        return VIV_EINVAL;
    viv__sb sb;
    viv__sb_init(&sb, buf, cap);
    viv__kit_pattern_write(&sb, &l.p, &l.src, &l.dst);
    return sb.len > INT32_MAX ? VIV_ERANGE : (int)sb.len;
}
