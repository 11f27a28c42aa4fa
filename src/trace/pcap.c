/* The pcap writer: classic pcap with nanosecond timestamps, every field little-endian.
 *
 * File header (24 bytes): magic 0xa1b23c4d, version 2.4, thiszone 0, sigfigs 0, snaplen,
 * link type. Record header (16 bytes): seconds, nanoseconds, captured length, original
 * length; then the captured bytes. */
#include "pcap.h"

#include <stdio.h>
#include <string.h>

#include "core/bytes.h"

#define PCAP_MAGIC_NS 0xa1b23c4du
#define PCAP_VERSION_MAJOR 2
#define PCAP_VERSION_MINOR 4
#define PCAP_LINKTYPE_ETHERNET 1
#define PCAP_FILE_HDR_LEN 24
#define PCAP_REC_HDR_LEN 16
/* The stdio buffer: frames are small and many, so write in large blocks. */
#define PCAP_BUF_SIZE (256u * 1024u)

enum {
    PCAP_OFF_MAGIC = 0,
    PCAP_OFF_VMAJOR = 4,
    PCAP_OFF_VMINOR = 6,
    PCAP_OFF_THISZONE = 8,
    PCAP_OFF_SIGFIGS = 12,
    PCAP_OFF_SNAPLEN = 16,
    PCAP_OFF_LINKTYPE = 20,
};

enum {
    PCAP_REC_OFF_SEC = 0,
    PCAP_REC_OFF_NSEC = 4,
    PCAP_REC_OFF_INCL = 8,
    PCAP_REC_OFF_ORIG = 12,
};

struct viv_pcap {
    viv__obj obj; /* first: the simulation's registry links captures through it */
    viv_sim_t *sim;
    FILE *f;
    char *path;
    size_t path_size;
    uint8_t *buf; /* the stdio buffer, PCAP_BUF_SIZE bytes from the simulation's allocator */
    uint32_t snaplen;
    uint64_t frames;
    int err; /* 0, or VIV_EIO once the file has failed */
    /* Set by whoever attached the capture somewhere: removes it from there on close. */
    void (*detach)(viv_sim_t *sim, void *cap);
};

/* Release everything; the capture is already out of the registry. */
static void pcap_destroy(viv__obj *obj)
{
    viv_pcap_t *cap = (viv_pcap_t *)obj;
    viv_sim_t *sim = cap->sim;
    cap->obj.magic = VIV__MAGIC_DEAD;
    if (cap->f)
        fclose(cap->f); /* before its buffer is freed */
    viv__free(sim, cap->buf, PCAP_BUF_SIZE);
    viv__free(sim, cap->path, cap->path_size);
    viv__free(sim, cap, sizeof(*cap));
}

static int pcap_fail(viv_pcap_t *cap, const char *what)
{
    cap->err = VIV_EIO;
    return viv__err(cap->sim, VIV_EIO, "pcap: %s '%s'", what, cap->path);
}

int viv_pcap_open(viv_pcap_t **out, viv_sim_t *sim, const char *path, const viv_pcap_opts *opts)
{
    VIV__HANDLE(sim, SIM);
    VIV__CHECK(sim, out != NULL, "out is NULL");
    VIV__CHECK(sim, sim != NULL, "sim is NULL");
    VIV__CHECK(sim, path != NULL, "path is NULL");
    uint32_t snaplen = opts && opts->snaplen ? opts->snaplen : VIV_PCAP_SNAPLEN_DEFAULT;
    VIV__CHECK(sim, snaplen <= VIV_PCAP_SNAPLEN_MAX, "snaplen is larger than 262144");

    viv_pcap_t *cap = viv__zalloc(sim, sizeof(*cap));
    if (!cap)
        return viv__err(sim, VIV_ENOMEM, "viv_pcap_open: out of memory");
    cap->sim = sim;
    cap->snaplen = snaplen;
    cap->path_size = strlen(path) + 1;
    cap->path = viv__alloc(sim, cap->path_size);
    cap->buf = viv__alloc(sim, PCAP_BUF_SIZE);
    if (!cap->path || !cap->buf) {
        pcap_destroy(&cap->obj);
        return viv__err(sim, VIV_ENOMEM, "viv_pcap_open: out of memory");
    }
    memcpy(cap->path, path, cap->path_size);

    cap->f = fopen(path, "wb");
    if (!cap->f) {
        int rc = pcap_fail(cap, "cannot create");
        pcap_destroy(&cap->obj);
        return rc;
    }
    setvbuf(cap->f, (char *)cap->buf, _IOFBF, PCAP_BUF_SIZE);

    uint8_t h[PCAP_FILE_HDR_LEN];
    viv_wr32le(h + PCAP_OFF_MAGIC, PCAP_MAGIC_NS);
    viv_wr16le(h + PCAP_OFF_VMAJOR, PCAP_VERSION_MAJOR);
    viv_wr16le(h + PCAP_OFF_VMINOR, PCAP_VERSION_MINOR);
    viv_wr32le(h + PCAP_OFF_THISZONE, 0);
    viv_wr32le(h + PCAP_OFF_SIGFIGS, 0);
    viv_wr32le(h + PCAP_OFF_SNAPLEN, snaplen);
    viv_wr32le(h + PCAP_OFF_LINKTYPE, PCAP_LINKTYPE_ETHERNET);
    if (fwrite(h, 1, sizeof h, cap->f) != sizeof h || fflush(cap->f) != 0) {
        int rc = pcap_fail(cap, "cannot write");
        pcap_destroy(&cap->obj);
        return rc;
    }
    viv__obj_register(sim, &cap->obj, pcap_destroy);
    cap->obj.magic = VIV__MAGIC_CAPTURE;
    *out = cap;
    return 0;
}

/* Append one record; the arguments are valid. */
static int pcap_record(viv_pcap_t *cap, viv_time_t t, const uint8_t *frame, uint32_t len)
{
    if (cap->err)
        return viv__err(cap->sim, VIV_EIO, "pcap: an earlier write to '%s' failed", cap->path);
    uint64_t sec = t / 1000000000u;
    if (sec > UINT32_MAX)
        return viv__err(cap->sim, VIV_ERANGE, "viv_pcap_write: time %llu ns is too large",
                        (unsigned long long)t);
    uint32_t incl = len < cap->snaplen ? len : cap->snaplen;
    uint8_t h[PCAP_REC_HDR_LEN];
    viv_wr32le(h + PCAP_REC_OFF_SEC, (uint32_t)sec);
    viv_wr32le(h + PCAP_REC_OFF_NSEC, (uint32_t)(t % 1000000000u));
    viv_wr32le(h + PCAP_REC_OFF_INCL, incl);
    viv_wr32le(h + PCAP_REC_OFF_ORIG, len);
    if (fwrite(h, 1, sizeof h, cap->f) != sizeof h ||
        (incl && fwrite(frame, 1, incl, cap->f) != incl))
        return pcap_fail(cap, "cannot write");
    cap->frames++;
    return 0;
}

int viv_pcap_write(viv_pcap_t *cap, viv_time_t t, const uint8_t *frame, size_t len)
{
    VIV__HANDLE(cap, CAPTURE);
    VIV__CHECK(NULL, cap != NULL, "cap is NULL");
    VIV__CHECK(cap->sim, frame != NULL || len == 0, "frame is NULL");
    VIV__CHECK(cap->sim, len <= UINT32_MAX, "frame is 4 GiB or longer");
    return pcap_record(cap, t, frame, (uint32_t)len);
}

uint64_t viv_pcap_frames(const viv_pcap_t *cap)
{
    VIV__HANDLE(cap, CAPTURE);
    return cap ? cap->frames : 0;
}

int viv_pcap_flush(viv_pcap_t *cap)
{
    VIV__HANDLE(cap, CAPTURE);
    VIV__CHECK(NULL, cap != NULL, "cap is NULL");
    if (cap->err)
        return viv__err(cap->sim, VIV_EIO, "pcap: an earlier write to '%s' failed", cap->path);
    if (fflush(cap->f) != 0)
        return pcap_fail(cap, "cannot write");
    return 0;
}

void viv_pcap_close(viv_pcap_t *cap)
{
    VIV__HANDLE(cap, CAPTURE);
    if (!cap)
        return;
    viv__obj_unregister(cap->sim, &cap->obj);
    if (cap->detach)
        cap->detach(cap->sim, cap);
    pcap_destroy(&cap->obj);
}

void viv__pcap_set_detach(viv_pcap_t *cap, void (*detach)(viv_sim_t *sim, void *cap))
{
    cap->detach = detach;
}

void viv__pcap_tap(void *ctx, viv_time_t t, const uint8_t *bytes, uint32_t len, int dir)
{
    (void)dir;
    viv_pcap_t *cap = ctx;
    /* A tap has no caller to tell: a capture in error, or a time the format cannot hold,
     * drops the frame without touching the simulation's error message again. */
    if (cap->err || t / 1000000000u > UINT32_MAX)
        return;
    pcap_record(cap, t, bytes, len);
}

int viv__pcap_error(const viv_pcap_t *cap)
{
    return cap->err;
}

viv_sim_t *viv__pcap_sim(const viv_pcap_t *cap)
{
    return cap->sim;
}
