/* kernels.h - the inner steps of word2vec and GloVe, private to src/embed.
 *
 * They are static inline so that each DLC_HOT loop that calls them (one
 * sentence, one chunk of co-occurrences) gets them built for AVX2 too; the
 * tests reach them through embed_ns_step and embed_glove_step (embed.h).
 *
 * Letters: D vector size, V vocabulary.
 */
#ifndef DLC_EMBED_KERNELS_H
#define DLC_EMBED_KERNELS_H

#include <math.h>
#include <stdint.h>

#include "../tensor/tensor.h"

/* a . b over n; eight partial sums so the compiler can keep them in one
 * vector register (a float sum is not reordered otherwise) */
static inline float vec_dot(const float *restrict a, const float *restrict b, int n)
{
    float acc[8] = {0};
    int i = 0;
    for (; i + 8 <= n; i += 8)
        for (int k = 0; k < 8; k++)
            acc[k] += a[i + k] * b[i + k];
    float s = 0.0f;
    for (; i < n; i++)
        s += a[i] * b[i];
    return s + ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
}

/* y += a x */
static inline void vec_axpy(float *restrict y, float a, const float *restrict x, int n)
{
    for (int i = 0; i < n; i++)
        y[i] += a * x[i];
}

/* 1 / (1 + e^-f), by the vectorizable exponential: exact enough that the
 * step is the objective's gradient (no lookup table, no clipping at +-6) */
static inline float vec_sigmoid(float f)
{
    return 1.0f / (1.0f + tensor_expf(-f));
}

/* -log sigmoid(f) in double, stable for large |f| */
static inline double vec_softplus_neg(double f)
{
    return f > 0 ? log1p(exp(-f)) : -f + log1p(exp(f));
}

/* Negative sampling for one input vector h (D) against targets t[0]
 * (label 1) and t[1..k] (label 0), rows of U (V, D): the loss
 *   L = -log s(h.u_t0) - sum_k log s(-h.u_tk)
 * is lowered by one SGD step of size lr on the output rows (in place) while
 * dh (D) receives -lr dL/dh, to be added to h (or to the context rows) by
 * the caller once all targets are done, as word2vec does.  A negative equal
 * to t[0] is skipped.  Returns L (0 when want_loss is 0). */
static inline double ns_step(const float *restrict h, float *restrict U, const int *t, int k,
                             float lr, float *restrict dh, int D, int want_loss)
{
    double loss = 0.0;
    for (int i = 0; i < D; i++)
        dh[i] = 0.0f;
    for (int d = 0; d <= k; d++) {
        if (d > 0 && t[d] == t[0])
            continue;
        float *restrict u = U + (size_t)t[d] * D;
        float f = vec_dot(h, u, D);
        float label = d == 0 ? 1.0f : 0.0f;
        float g = (label - vec_sigmoid(f)) * lr;
        if (want_loss)
            loss += vec_softplus_neg(d == 0 ? f : -f);
        vec_axpy(dh, g, u, D);
        vec_axpy(u, g, h, D);
    }
    return loss;
}

/* One GloVe co-occurrence (i, j) with weight fx = f(X_ij) and log X_ij:
 *   J = 1/2 f (w_i . v_j + b_i + c_j - log X)^2
 * stepped by AdaGrad as the reference implementation does: each parameter
 * moves by lr g / sqrt(G) and then G += (lr g)^2, G starting at 1.
 * w, v (D) and their accumulators gw, gv (D); b, c and gb, gc scalars.
 * Returns J. */
static inline double glove_step(float *restrict w, float *restrict v, float *restrict gw,
                                float *restrict gv, float *b, float *c, float *gb, float *gc,
                                float fx, float logx, float lr, int D)
{
    float diff = vec_dot(w, v, D) + *b + *c - logx;
    float fdiff = fx * diff;
    double cost = 0.5 * (double)fdiff * diff;
    fdiff *= lr;
    for (int i = 0; i < D; i++) {
        float g1 = fdiff * v[i], g2 = fdiff * w[i];
        w[i] -= g1 / sqrtf(gw[i]);
        v[i] -= g2 / sqrtf(gv[i]);
        gw[i] += g1 * g1;
        gv[i] += g2 * g2;
    }
    *b -= fdiff / sqrtf(*gb);
    *c -= fdiff / sqrtf(*gc);
    *gb += fdiff * fdiff;
    *gc += fdiff * fdiff;
    return cost;
}

/* xorshift64: a thread's own stream of draws (state never 0) */
static inline uint64_t embed_rand(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *s = x;
}

#endif
