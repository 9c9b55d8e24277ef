/* augment.c - training-time augmentation of image examples: a random
 * horizontal flip and a random translation (a crop of the zero-padded
 * image), applied to the raw values while a batch is gathered, before
 * normalization, so "zero" is a black pixel whatever the statistics.
 * Nothing is allocated: each output value is read straight from its source.
 *
 * Letters: (C, H, W) per example, N = count, T = n_targets. */
#include "data.h"

#include <math.h>
#include <string.h>

#include "../detect/detect.h"

/* Detection targets (one example's row) follow its pixels: output column w
 * reads source column (flip ? W-1-w : w) + dx and row h source row h + dy,
 * so a source point u (a fraction of the width) lands at 1 - u + dx/W
 * flipped, else u - dx/W, and v at v - dy/H.  Boxes are clipped to the
 * image; an object with less than half of its box left inside is dropped.
 * Objects stay at the front of the row, in order. */
static void move_objects(const dataset *ds, float *row, int flip, int dy, int dx)
{
    const int K = ds->landmarks, stride = detect_obj_stride(K);
    const float W = (float)ds->shape.d[2], H = (float)ds->shape.d[1];
    const float ox = (float)dx / W, oy = (float)dy / H;
    float tmp[DETECT_FIELDS + 2 * DATA_MAX_LANDMARKS];
    int kept = 0;
    for (int m = 0; m < ds->objects; m++) {
        float *o = row + (size_t)m * stride;
        if (!(o[0] >= 0))
            continue;
        memcpy(tmp, o, sizeof(float) * (size_t)stride);
        float cx = flip ? 1.0f - o[1] + ox : o[1] - ox, cy = o[2] - oy;
        float x1 = fmaxf(0.0f, cx - 0.5f * o[3]), x2 = fminf(1.0f, cx + 0.5f * o[3]);
        float y1 = fmaxf(0.0f, cy - 0.5f * o[4]), y2 = fminf(1.0f, cy + 0.5f * o[4]);
        if (!(x2 > x1 && y2 > y1) || (x2 - x1) * (y2 - y1) < 0.5f * o[3] * o[4] * (1.0f - 1e-5f))
            continue; /* mostly out of the picture (half exactly stays, whatever the rounding) */
        tmp[1] = 0.5f * (x1 + x2);
        tmp[2] = 0.5f * (y1 + y2);
        tmp[3] = x2 - x1;
        tmp[4] = y2 - y1;
        for (int k = 0; k < K; k++) {
            int from = flip && ds->n_flip ? ds->flip[k] : k; /* landmark k of the flipped image */
            float x = o[DETECT_FIELDS + 2 * from], y = o[DETECT_FIELDS + 2 * from + 1];
            tmp[DETECT_FIELDS + 2 * k] = flip ? 1.0f - x + ox : x - ox;
            tmp[DETECT_FIELDS + 2 * k + 1] = y - oy;
        }
        memcpy(row + (size_t)kept++ * stride, tmp, sizeof(float) * (size_t)stride);
    }
    for (int m = kept; m < ds->objects; m++) {
        float *o = row + (size_t)m * stride;
        memset(o, 0, sizeof(float) * (size_t)stride);
        o[0] = -1.0f;
    }
}

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
        if (t) {
            memcpy(t + (size_t)i * T, ds->targets + r * T, sizeof(float) * T);
            if (ds->objects > 0 && (flip || dy || dx))
                move_objects(ds, t + (size_t)i * T, flip, dy, dx);
        }
    }
}
