/* Error codes: names and messages from the one table in vivarium/common.h. */
#include <stdio.h>

#include "core.h"

/* The enum in common.h and the table must agree: each entry must name its own value. */
#define XX(name, val, msg) typedef char viv__errno_check_##name[(VIV_##name == (val)) ? 1 : -1];
VIV_ERRNO_MAP(XX)
#undef XX

int viv_version(void)
{
    return VIV_VERSION_MAJOR * 10000 + VIV_VERSION_MINOR * 100 + VIV_VERSION_PATCH;
}

const char *viv_strerror(int err)
{
    switch (err) {
    case 0:
        return "success";
#define XX(name, val, msg)                                                                 \
    case val:                                                                              \
        return msg;
        VIV_ERRNO_MAP(XX)
#undef XX
    default:
        return "unknown error";
    }
}

const char *viv_err_name(int err)
{
    switch (err) {
    case 0:
        return "VIV_OK";
#define XX(name, val, msg)                                                                 \
    case val:                                                                              \
        return "VIV_" #name;
        VIV_ERRNO_MAP(XX)
#undef XX
    default:
        return "VIV_EUNKNOWN";
    }
}

int viv__err(viv_sim_t *sim, int err, const char *fmt, ...)
{
    if (sim) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(sim->errmsg, sizeof(sim->errmsg), fmt, ap);
        va_end(ap);
        sim->errmsg_lit = NULL;
    }
    return err;
}

const char *viv_sim_errmsg(const viv_sim_t *sim)
{
    VIV__HANDLE(sim, SIM);
    if (!sim)
        return "";
    return sim->errmsg_lit ? sim->errmsg_lit : sim->errmsg;
}

void viv__sb_printf(viv__sb *sb, const char *fmt, ...)
{
    char dummy[1];
    char *dst = sb->len < sb->cap ? sb->buf + sb->len : dummy;
    size_t room = sb->len < sb->cap ? sb->cap - sb->len : 0;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(room ? dst : dummy, room ? room : sizeof dummy, fmt, ap);
    va_end(ap);
    if (n > 0)
        sb->len += (size_t)n;
}
