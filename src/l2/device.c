/* Devices: a program's own node, raw frames in and out. */
#include "l2.h"
#include "vivarium/sys/device.h"

struct viv_device {
    struct viv_node node;
    viv_device_rx_cb rx;
    void *user;
};

static void device_rx(struct viv_node *n, struct viv_port *in, viv__frame *f)
{
    struct viv_device *dev = (struct viv_device *)n;
    viv_sim_t *sim = n->sim;
    if (dev->rx) {
        viv_frame_info info;
        viv_frame_info_parse(&info, viv__frame_bytes(f), f->len);
        /* The callback may free the device: touch neither dev nor in afterwards. */
        dev->rx(dev, in->index, viv__frame_bytes(f), f->len, &info, dev->user);
    }
    viv__frame_unref(sim, f);
}

static void device_destroy(struct viv_node *n) { viv__node_free(n, sizeof(struct viv_device)); }

static const viv__node_ops device_ops = {"dev", device_rx, NULL, device_destroy, NULL};

int viv_device_new(viv_device_t **out, viv_sim_t *sim, uint32_t nports,
                   const viv_device_opts *opts)
{
    VIV__HANDLE(sim, SIM);
    VIV__CHECK(sim, sim != NULL, "NULL simulation");
    VIV__CHECK(sim, out != NULL, "NULL out");
    VIV__CHECK(sim, nports >= 1 && nports <= 4096, "a device has 1..4096 ports");
    struct viv_device *d = viv__zalloc(sim, sizeof(*d));
    if (!d)
        return viv__err(sim, VIV_ENOMEM, "viv_device_new: out of memory");
    if (viv__node_init(&d->node, sim, &device_ops, nports, opts ? opts->name : NULL) < 0) {
        viv__free(sim, d, sizeof(*d));
        return viv__err(sim, VIV_ENOMEM, "viv_device_new: out of memory");
    }
    if (opts) {
        d->rx = opts->rx;
        d->user = opts->user;
    }
    d->node.obj.magic = VIV__MAGIC_DEVICE;
    *out = d;
    return 0;
}

void viv_device_free(viv_device_t *dev)
{
    VIV__HANDLE(dev, DEVICE);
    if (dev)
        device_destroy(&dev->node);
}

viv_node_t *viv_device_node(viv_device_t *dev)
{
    VIV__HANDLE(dev, DEVICE);
    return dev ? &dev->node : NULL;
}

viv_port_t *viv_device_port(viv_device_t *dev, uint32_t index)
{
    VIV__HANDLE(dev, DEVICE);
    return dev ? viv_node_port(&dev->node, index) : NULL;
}

/* Copy len bytes into a frame and send it out of a port; the caller checked the length. */
static int device_send(viv_device_t *dev, uint32_t port, const uint8_t *frame, size_t len,
                       const char *fn)
{
    viv_sim_t *sim = dev->node.sim;
    viv__frame *f = viv__frame_from(sim, 0, frame, (uint32_t)len);
    if (!f)
        return viv__err(sim, VIV_ENOMEM, "%s: out of memory", fn);
    viv__port_send(dev->node.ports[port], f);
    return 0;
}

int viv_device_send(viv_device_t *dev, uint32_t port, const uint8_t *frame, size_t len)
{
    VIV__HANDLE(dev, DEVICE);
    if (!dev)
        return VIV_EINVAL;
    viv_sim_t *sim = dev->node.sim;
    VIV__CHECK(sim, frame != NULL, "NULL frame");
    VIV__CHECK(sim, port < dev->node.nports, "no such port");
    if (len < 14 || len > 65535)
        return viv__err(sim, VIV_EINVAL,
                        "viv_device_send: a frame of %zu bytes (an Ethernet frame has 14..65535; "
                        "viv_device_send_raw sends any length)",
                        len);
    return device_send(dev, port, frame, len, "viv_device_send");
}

int viv_device_send_raw(viv_device_t *dev, uint32_t port, const uint8_t *frame, size_t len)
{
    VIV__HANDLE(dev, DEVICE);
    if (!dev)
        return VIV_EINVAL;
    viv_sim_t *sim = dev->node.sim;
    VIV__CHECK(sim, frame != NULL || len == 0, "NULL frame");
    VIV__CHECK(sim, port < dev->node.nports, "no such port");
    if (len > VIV_DEVICE_RAW_MAX)
        return viv__err(sim, VIV_EINVAL,
                        "viv_device_send_raw: a frame of %zu bytes (at most %u)", len,
                        VIV_DEVICE_RAW_MAX);
    return device_send(dev, port, frame, len, "viv_device_send_raw");
}
