/* batch.c - assembling a batch: gather rows, convert and normalize in one
 * pass.  Runs every training step, so the inner loops are plain and
 * branch-free for the compiler to vectorize.
 *
 * Letters: N = count (batch rows), D = dim, T = n_targets.
 */
#include "data.h"

#include <math.h>
#include <string.h>

enum { BATCH_AHEAD = 2 };   /* rows prefetched ahead */

static void batch_u8(float *restrict y, const uint8_t *restrict x, const float *restrict sh,
                     const float *restrict sc, size_t D)
{
    for (size_t j = 0; j < D; j++)
        y[j] = ((float)x[j] - sh[j]) * sc[j];
}

static void batch_f32(float *restrict y, const float *restrict x, const float *restrict sh,
                      const float *restrict sc, size_t D)
{
    for (size_t j = 0; j < D; j++)
        y[j] = (x[j] - sh[j]) * sc[j];
}

static void batch_u8_plain(float *restrict y, const uint8_t *restrict x, size_t D)
{
    for (size_t j = 0; j < D; j++)
        y[j] = (float)x[j];
}

/* x (N, D), t (N, T) */
typedef struct {
    const data_split *s;
    const int *order;
    int start, count;
    const data_norm *nm;
    float *x, *t;
} gather_job;

/* One example's D values of row r of ds into y, normalized by (sh, sc)
 * (plain: raw values). */
static void gather_row(float *restrict y, const dataset *ds, size_t r, int plain,
                       const float *sh, const float *sc)
{
    const size_t D = ds->dim;
    if (ds->u8) {
        if (plain)
            batch_u8_plain(y, ds->u8 + r * D, D);
        else
            batch_u8(y, ds->u8 + r * D, sh, sc, D);
    } else {
        if (plain)
            memcpy(y, ds->f32 + r * D, sizeof(float) * D);
        else
            batch_f32(y, ds->f32 + r * D, sh, sc, D);
    }
}

/* A band of a pair split's batch: x (N, 2D), t (N, 1) = 1 when the two
 * examples' classes agree. */
static void gather_pairs(const gather_job *j, size_t lo, size_t hi)
{
    const data_split *s = j->s;
    const dataset *ds = s->ds;
    const size_t D = ds->dim, T = (size_t)ds->n_targets;
    const int plain = !j->nm || j->nm->kind == NORM_NONE;
    const float *sh = plain ? NULL : j->nm->shift, *sc = plain ? NULL : j->nm->scale;
    for (size_t i = lo; i < hi; i++) {
        int k = j->order ? j->order[j->start + (int)i] : j->start + (int)i;
        size_t a = (size_t)s->idx[2 * (size_t)k], b = (size_t)s->idx[2 * (size_t)k + 1];
        float *y = j->x + i * 2 * D;
        gather_row(y, ds, a, plain, sh, sc);
        gather_row(y + D, ds, b, plain, plain ? NULL : sh + D, plain ? NULL : sc + D);
        if (j->t) {
            float ya = ds->targets[a * T], yb = ds->targets[b * T];
            j->t[i] = isnan(ya) || isnan(yb) ? NAN : ya == yb ? 1.0f : 0.0f;
        }
    }
}

/* Part i of n of a gather: that band of the batch's rows. */
static void gather_part(void *ctx, int part, int parts)
{
    const gather_job *j = ctx;
    const data_split *s = j->s;
    const int *order = j->order;
    const int start = j->start, count = j->count;
    const data_norm *nm = j->nm;
    float *restrict x = j->x, *restrict t = j->t;
    const dataset *ds = s->ds;
    const size_t D = ds->dim, T = (size_t)ds->n_targets;
    const int plain = !nm || nm->kind == NORM_NONE;
    const size_t row_bytes = D * (ds->u8 ? 1 : sizeof(float));
    size_t lo, hi;
    tensor_part_range((size_t)count, 1, part, parts, &lo, &hi);
    if (s->stack == 2) {
        gather_pairs(j, lo, hi);
        return;
    }
    for (int i = (int)lo; i < (int)hi; i++) {
        int k = order ? order[start + i] : start + i;
        size_t r = (size_t)s->idx[k];
        if (i + BATCH_AHEAD < (int)hi) {
            /* rows come in shuffled order, so the hardware cannot guess the
             * next one: ask for it a few rows early */
            int kn = order ? order[start + i + BATCH_AHEAD] : start + i + BATCH_AHEAD;
            const char *next = ds->u8 ? (const char *)(ds->u8 + (size_t)s->idx[kn] * D)
                                      : (const char *)(ds->f32 + (size_t)s->idx[kn] * D);
            for (size_t off = 0; off < row_bytes; off += 64)
                __builtin_prefetch(next + off, 0, 0);
        }
        gather_row(x + (size_t)i * D, ds, r, plain, plain ? NULL : nm->shift,
                   plain ? NULL : nm->scale);
        if (t)
            memcpy(t + (size_t)i * T, ds->targets + r * T, sizeof(float) * T);
    }
}

void data_gather(const data_split *s, const int *order, int start, int count,
                 const data_norm *nm, float *restrict x, float *restrict t)
{
    gather_job j = {s, order, start, count, nm, x, t};
    /* a batch of a few thousand values is not worth waking a thread for */
    if ((size_t)count * s->ds->dim * (s->stack == 2 ? 2 : 1) >= 16384)
        tensor_parallel(gather_part, &j);
    else
        gather_part(&j, 0, 1);
}
