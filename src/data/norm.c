/* norm.c - input normalization x' = (x - shift) * scale, fitted on train.
 *
 * standard: shift = mean, scale = 1 / std (population std);
 * minmax:   shift = min,  scale = 1 / (max - min).
 * Statistics are per channel when examples are (C, H, W) images (over every
 * H*W position of the channel), otherwise per feature; either way they are
 * stored expanded to one shift and scale per input value, so applying them
 * is one loop.  A constant channel or feature keeps scale 1.  Sums are in
 * double.
 *
 * Letters: n examples, D values per example (dim), C channels, P = H*W.
 */
#include "data.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *const data_norm_names[NORM_COUNT + 1] = {"none", "standard", "minmax", NULL};

dlc_status data_norm_init(data_norm *nm, norm_kind kind, size_t dim, dlc_error *err)
{
    memset(nm, 0, sizeof *nm);
    nm->kind = kind;
    nm->dim = dim;
    nm->shift = malloc(sizeof(float) * (dim ? dim : 1));   /* (D) */
    nm->scale = malloc(sizeof(float) * (dim ? dim : 1));   /* (D) */
    if (!nm->shift || !nm->scale) {
        data_norm_free(nm);
        return DLC_NOMEM(err);
    }
    for (size_t j = 0; j < dim; j++) {
        nm->shift[j] = 0.0f;
        nm->scale[j] = 1.0f;
    }
    return DLC_OK;
}

void data_norm_free(data_norm *nm)
{
    if (!nm)
        return;
    free(nm->shift);
    free(nm->scale);
    free(nm->fill);
    memset(nm, 0, sizeof *nm);
}

/* row r of ds as doubles into v (D) */
static void norm_row(const dataset *ds, int r, double *restrict v)
{
    size_t D = ds->dim, base = (size_t)r * D;
    if (ds->u8)
        for (size_t j = 0; j < D; j++)
            v[j] = (double)ds->u8[base + j];
    else
        for (size_t j = 0; j < D; j++)
            v[j] = (double)ds->f32[base + j];
}

/* 1 / spread, or 1 when the spread is zero (or too small to invert in float,
 * or only rounding noise next to the centre). */
static float norm_inverse(double spread, double centre)
{
    if (!(spread > 0.0) || spread <= 10.0 * DBL_EPSILON * fabs(centre))
        return 1.0f;
    double inv = 1.0 / spread;
    if (!(inv <= FLT_MAX))
        return 1.0f;
    return (float)inv;
}

dlc_status data_norm_fit(data_norm *nm, norm_kind kind, const data_split *train, dlc_error *err)
{
    dlc_status st;
    const dataset *ds = train->ds;
    double *a = NULL, *b = NULL, *v = NULL;
    if (!ds)
        return dlc_fail(err, DLC_EINPUT, "normalization: no training data");
    if ((st = data_norm_init(nm, kind, ds->dim, err)))
        return st;
    if (kind == NORM_NONE)
        return DLC_OK;
    if (train->n <= 0) {
        data_norm_free(nm);
        return dlc_fail(err, DLC_EINPUT, "%s: normalization: the train split is empty", ds->path);
    }

    /* G groups of P values: channels of an image, or single features */
    size_t D = ds->dim, G = D, P = 1;
    if (ds->shape.ndim == 3) {
        G = (size_t)ds->shape.d[0];
        P = D / G;
    }
    a = calloc(G, sizeof *a);   /* (G) mean, or min */
    b = calloc(G, sizeof *b);   /* (G) sum of squared deviations, or max */
    v = malloc(sizeof *v * (D ? D : 1));   /* (D) one row */
    if (!a || !b || !v) {
        st = DLC_NOMEM(err);
        goto cleanup;
    }
    double count = (double)train->n * (double)P;

    if (kind == NORM_STANDARD) {
        /* two passes: the mean, then squared deviations from it */
        for (int i = 0; i < train->n; i++) {
            norm_row(ds, train->idx[i], v);
            for (size_t g = 0; g < G; g++) {
                double s = 0.0;
                for (size_t p = 0; p < P; p++)
                    s += v[g * P + p];
                a[g] += s;
            }
        }
        for (size_t g = 0; g < G; g++)
            a[g] /= count;
        for (int i = 0; i < train->n; i++) {
            norm_row(ds, train->idx[i], v);
            for (size_t g = 0; g < G; g++) {
                double s = 0.0, m = a[g];
                for (size_t p = 0; p < P; p++)
                    s += (v[g * P + p] - m) * (v[g * P + p] - m);
                b[g] += s;
            }
        }
        for (size_t j = 0; j < D; j++) {
            size_t g = j / P;
            nm->shift[j] = (float)a[g];
            nm->scale[j] = norm_inverse(sqrt(b[g] / count), a[g]);
        }
    } else {
        for (size_t g = 0; g < G; g++) {
            a[g] = INFINITY;
            b[g] = -INFINITY;
        }
        for (int i = 0; i < train->n; i++) {
            norm_row(ds, train->idx[i], v);
            for (size_t g = 0; g < G; g++)
                for (size_t p = 0; p < P; p++) {
                    double x = v[g * P + p];
                    a[g] = x < a[g] ? x : a[g];
                    b[g] = x > b[g] ? x : b[g];
                }
        }
        for (size_t j = 0; j < D; j++) {
            size_t g = j / P;
            nm->shift[j] = (float)a[g];
            nm->scale[j] = norm_inverse(b[g] - a[g], a[g]);
        }
    }
    st = DLC_OK;

cleanup:
    if (st)
        data_norm_free(nm);
    free(a);
    free(b);
    free(v);
    return st;
}

void data_norm_apply(const data_norm *nm, float *x, size_t n)
{
    const size_t D = nm->dim;
    const float *restrict sh = nm->shift, *restrict sc = nm->scale;
    for (size_t i = 0; i < n; i++) {
        float *restrict row = x + i * D;
        for (size_t j = 0; j < D; j++)
            row[j] = (row[j] - sh[j]) * sc[j];
    }
}
