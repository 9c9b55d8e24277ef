/* rng.h - a small, fast, seedable random number generator (xoshiro256**).
 *
 * There is no global generator: every user owns a dlc_rng and passes it in.
 * dlc_rng_seed(r, seed, stream) derives independent streams from one run seed
 * (e.g. one stream per purpose and epoch), so a resumed run draws exactly the
 * numbers an uninterrupted one would.
 */
#ifndef DLC_RNG_H
#define DLC_RNG_H

#include <stdint.h>

typedef struct {
    uint64_t s[4];
    int has_spare;   /* Box-Muller produces normals in pairs */
    double spare;
} dlc_rng;

void dlc_rng_seed(dlc_rng *r, uint64_t seed, uint64_t stream);
uint64_t dlc_rng_u64(dlc_rng *r);
/* uniform in [0, 1) */
double dlc_rng_uniform(dlc_rng *r);
/* uniform integer in [0, n), n > 0, without modulo bias */
uint64_t dlc_rng_below(dlc_rng *r, uint64_t n);
/* standard normal */
double dlc_rng_normal(dlc_rng *r);
/* Fisher-Yates shuffle of idx[0..n) */
void dlc_rng_shuffle(dlc_rng *r, int *idx, int n);

/* Stream ids: purpose in the high bits, an index (epoch, trial) in the low. */
#define DLC_STREAM(purpose, index) (((uint64_t)(purpose) << 32) | (uint32_t)(index))
enum {
    DLC_STREAM_INIT = 1,
    DLC_STREAM_SPLIT,
    DLC_STREAM_SHUFFLE,
    DLC_STREAM_DROPOUT,
    DLC_STREAM_SAMPLE,
    DLC_STREAM_AUGMENT,
    DLC_STREAM_GRADCHECK,
    DLC_STREAM_SWEEP,
    DLC_STREAM_PAIRS,      /* metric learning: the train pairs of an epoch */
    DLC_STREAM_MINING,     /* metric learning: random triplet mining, per step */
    DLC_STREAM_VERIFY,     /* verification figures: examples, pairs, episodes per split */
    DLC_STREAM_EVAL_ORDER  /* the order a triplet model's split is evaluated in */
};

#endif
