/* Big- and little-endian field access on byte buffers.
 *
 * Wire code never casts a byte pointer to a header struct: every field is read and written
 * through these helpers at a named offset, so alignment and aliasing never matter. */
#ifndef VIV_CORE_BYTES_H
#define VIV_CORE_BYTES_H

#include <stdint.h>

static inline uint16_t viv_rd16be(const uint8_t *p)
{
    return (uint16_t)((uint16_t)p[0] << 8 | p[1]);
}

static inline uint32_t viv_rd32be(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline uint64_t viv_rd64be(const uint8_t *p)
{
    return (uint64_t)viv_rd32be(p) << 32 | viv_rd32be(p + 4);
}

static inline void viv_wr16be(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static inline void viv_wr32be(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static inline void viv_wr64be(uint8_t *p, uint64_t v)
{
    viv_wr32be(p, (uint32_t)(v >> 32));
    viv_wr32be(p + 4, (uint32_t)v);
}

static inline uint16_t viv_rd16le(const uint8_t *p)
{
    return (uint16_t)((uint16_t)p[1] << 8 | p[0]);
}

static inline uint32_t viv_rd32le(const uint8_t *p)
{
    return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

static inline uint64_t viv_rd64le(const uint8_t *p)
{
    return (uint64_t)viv_rd32le(p + 4) << 32 | viv_rd32le(p);
}

static inline void viv_wr16le(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static inline void viv_wr32le(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

#endif
