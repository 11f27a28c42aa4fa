/**
 * @file vivarium/rng.h
 * @brief Seeded random streams: reproducible draws for experiments and for the library.
 *
 * @defgroup viv_rng Random streams
 * @brief Deterministic random numbers, one independent stream per component.
 *
 * Every random choice vivarium makes (losses, jitter, ISNs, ephemeral ports) comes from a
 * stream derived from the simulation seed and the component's **name**: a node's name, and
 * for a link the names and port numbers of its two ends, one stream per direction. Within a
 * host each consumer has its own stream (IPv4 identification and echo identifiers,
 * ephemeral UDP ports, and later TCP's ports and initial sequence numbers), so one never
 * shifts another's draws. So:
 * - components you name keep their draws whatever else exists, made before or after them;
 * - made-up names ("host3", "sw1") count within their kind, so components of other kinds,
 *   or of the same kind made later, change nothing; hosts made *before* an unnamed host
 *   rename it, and change its draws: name what you want to keep fixed;
 * - a name given twice is fine: the k-th component with a name gets a stream of its own
 *   derived from the name and k.
 * Programs can draw from their own streams the same way with viv_sim_rng().
 *
 * **The algorithm, so that runs can be reproduced elsewhere.** A stream is xoshiro256**
 * (Blackman and Vigna, 2018). Its state is seeded by SplitMix64: with `mix(z)` the SplitMix64
 * output function (`z ^= z >> 30; z *= 0xbf58476d1ce4e5b9; z ^= z >> 27;
 * z *= 0x94d049bb133111eb; z ^= z >> 31`), the generator state starts at
 * `g = seed ^ mix(stream ^ 0x5851f42d4c957f2d)`, and each of the four state words is
 * `mix(g += 0x9e3779b97f4a7c15)` in turn.
 * - viv_rng_uniform() is `(next >> 11) * 2^-53`, in [0, 1).
 * - viv_rng_below(n) rejects draws below `2^64 mod n`, then returns `draw mod n` (unbiased).
 * - viv_rng_exp(mean) is `-mean * ln(1 - u)` with u from viv_rng_uniform() and a natural
 *   logarithm computed by vivarium itself from IEEE-754 additions, multiplications and
 *   divisions only (no libm; a 128-entry table and short polynomials, see src/core/rng.c),
 *   so the result is bit-identical on every machine.
 *
 * Stream ids with the top bit set (`>= 2^63`) are reserved for the library's components.
 * @{
 */
#ifndef VIVARIUM_RNG_H
#define VIVARIUM_RNG_H

#include "sim.h"

#ifdef __cplusplus
extern "C" {
#endif

/** One random stream. A small value: copy it, embed it, keep it on the stack. */
typedef struct viv_rng {
    uint64_t s[4]; /**< xoshiro256** state; treat as opaque. */
} viv_rng_t;

/** Stream ids from here up are the library's own. */
#define VIV_RNG_STREAM_LIBRARY (UINT64_C(1) << 63)

/**
 * Seed a stream from a seed and a stream id, with no simulation.
 * @param[out] out the stream to initialise (the caller's memory); NULL is a no-op.
 * @param seed the seed.
 * @param stream the stream id.
 */
VIV_API void viv_rng_init(viv_rng_t *out, uint64_t seed, uint64_t stream);

/**
 * Seed a stream from a simulation's seed and a stream id.
 * The stream is the caller's value: it depends on nothing but the seed and @p stream, and
 * drawing from it changes no stream of the simulation; it may outlive the simulation.
 * @param[out] out the stream to initialise; untouched on error.
 * @param sim the simulation whose seed is used.
 * @param stream the stream id; below ::VIV_RNG_STREAM_LIBRARY for a program's own streams
 *               (not checked: a library id gives the same draws as the component's).
 * @return 0, or VIV_EINVAL (NULL argument).
 */
VIV_API int viv_sim_rng(viv_rng_t *out, const viv_sim_t *sim, uint64_t stream);

/**
 * The next 64 random bits.
 * @param r the stream, advanced; not NULL (not checked).
 * @return the draw.
 */
VIV_API uint64_t viv_rng_u64(viv_rng_t *r);

/**
 * A uniform draw in [0, 1) with 53 random bits.
 * @param r the stream, advanced; not NULL (not checked).
 * @return the draw.
 */
VIV_API double viv_rng_uniform(viv_rng_t *r);

/**
 * A uniform integer in [0, @p bound), without bias.
 * @param r the stream, advanced; not NULL (not checked).
 * @param bound the exclusive upper bound; 0 gives 0 and draws nothing.
 * @return the draw.
 */
VIV_API uint64_t viv_rng_below(viv_rng_t *r, uint64_t bound);

/**
 * An exponentially distributed draw.
 * @param r the stream, advanced; not NULL (not checked).
 * @param mean the mean (> 0 and finite; a mean <= 0 or NaN gives 0 and draws nothing, an
 *             infinite one gives +inf or NaN).
 * @return the draw, >= 0.
 */
VIV_API double viv_rng_exp(viv_rng_t *r, double mean);

/**
 * The natural logarithm as viv_rng_exp() computes it: bit-identical on every IEEE-754
 * machine, accurate to about one unit in the last place.
 * @param x the argument (> 0; 0 gives -HUGE_VAL, +inf gives +inf, a negative or NaN
 *          argument gives NaN).
 * @return ln(@p x).
 */
VIV_API double viv_ln(double x);

#ifdef __cplusplus
}
#endif
/** @} */
#endif
