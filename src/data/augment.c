/* augment.c - training-time augmentation of image examples: a random
 * horizontal flip and a random translation (a crop of the zero-padded
 * image), applied to the raw values while a batch is gathered, before
 * normalization, so "zero" is a black pixel whatever the statistics.
 * Nothing is allocated: each output value is read straight from its source.
 *
 * Letters: (C, H, W) per example, N = count, T = n_targets. */
#include "data.h"

#include <string.h>

int data_augments(const data_config *cfg)
{
    return cfg->hflip || cfg->crop_pad > 0;
}

void data_gather_augment(const data_split *s, const int *order, int start, int count,
                         const data_norm *nm, int hflip, int crop_pad, dlc_rng *rng,
                         float *restrict x, float *restrict t)
{
    const dataset *ds = s->ds;
    const size_t D = ds->dim, T = (size_t)ds->n_targets;
    const int C = ds->shape.d[0], H = ds->shape.d[1], W = ds->shape.d[2];
    const int plain = !nm || nm->kind == NORM_NONE;
    for (int i = 0; i < count; i++) {
        int k = order ? order[start + i] : start + i;
        size_t r = (size_t)s->idx[k];
        int flip = hflip && (dlc_rng_u64(rng) >> 63);
        int dy = crop_pad ? (int)dlc_rng_below(rng, 2 * (uint64_t)crop_pad + 1) - crop_pad : 0;
        int dx = crop_pad ? (int)dlc_rng_below(rng, 2 * (uint64_t)crop_pad + 1) - crop_pad : 0;
        float *y = x + (size_t)i * D;
        const uint8_t *u = ds->u8 ? ds->u8 + r * D : NULL;
        const float *f = ds->f32 ? ds->f32 + r * D : NULL;
        /* y[c, h, w] = src[c, h + dy, w' + dx], w' = flip ? W-1-w : w */
        for (int c = 0; c < C; c++)
            for (int h = 0; h < H; h++) {
                float *yr = y + ((size_t)c * H + (size_t)h) * W;
                int sh = h + dy;
                if (sh < 0 || sh >= H) {
                    memset(yr, 0, sizeof(float) * (size_t)W);
                    continue;
                }
                size_t row = ((size_t)c * H + (size_t)sh) * W;
                for (int w = 0; w < W; w++) {
                    int sw = (flip ? W - 1 - w : w) + dx;
                    yr[w] = sw < 0 || sw >= W ? 0.0f : u ? (float)u[row + (size_t)sw] : f[row + (size_t)sw];
                }
            }
        if (!plain)
            for (size_t j = 0; j < D; j++)
                y[j] = (y[j] - nm->shift[j]) * nm->scale[j];
        if (t)
            memcpy(t + (size_t)i * T, ds->targets + r * T, sizeof(float) * T);
    }
}
