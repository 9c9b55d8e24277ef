/* norm.c - normalization: batchnorm (over the batch, per channel),
 * layernorm (per example, over trailing axes), l2normalize (per example, to
 * unit length).
 *
 * Batch normalization over the channel axis:
 *   x (N, C, S) -> y = gamma * (x - mu) / sqrt(var + eps) + beta
 * C is the first per-sample axis (features for (D), channels for (C, H, W)),
 * S the product of the rest; mu and var are the batch mean and the mean of
 * squared deviations over N*S values (NB: not the notes' slip).  Training
 * updates running = momentum * running + (1 - momentum) * batch, with the
 * unbiased variance as PyTorch does; evaluation uses the running values.
 * aux holds xhat (N, C, S) and 1/sqrt(var + eps) (C).  With several
 * processes (src/dist) each normalizes its shard by its own statistics
 * (PyTorch DDP's default) or, with sync_bn, by the whole batch's: the
 * per-channel sums are then summed over the processes. */
#include <math.h>
#include <string.h>

#include "layers.h"

static void bn_geometry(const graph_node *n, int *C, size_t *S)
{
    *C = n->shape.d[0];
    *S = n->size / (size_t)*C;
}

dlc_status batchnorm_build(graph *g, graph_node *n, dlc_error *err)
{
    n->shape = graph_in(g, n, 0)->shape;
    int C = n->shape.d[0];
    tensor_shape cs = {1, {C}};
    if (!(n->spec.momentum >= 0.0f && n->spec.momentum < 1.0f))
        return layer_fail(n, err, "momentum must be in [0, 1), got %g", n->spec.momentum);
    if (!(n->spec.eps > 0.0f))
        return layer_fail(n, err, "eps must be positive, got %g", n->spec.eps);
    if (graph_param_add(g, n, "gamma", &cs, PARAM_NORM, err) < 0 ||
        graph_param_add(g, n, "beta", &cs, PARAM_NORM, err) < 0 ||
        graph_param_add(g, n, "running_mean", &cs, PARAM_BUFFER, err) < 0 ||
        graph_param_add(g, n, "running_var", &cs, PARAM_BUFFER, err) < 0)
        return err->status;
    n->aux_per_sample = tensor_shape_size(&n->shape);
    n->aux_fixed = (size_t)C;
    n->scratch = 2 * (2 * (size_t)C + 1); /* bn_acc */
    return DLC_OK;
}

void batchnorm_init(graph *g, graph_node *n, dlc_rng *rng)
{
    graph_param *gamma = graph_p(g, n, 0), *var = graph_p(g, n, 3);
    tensor_fill(gamma->data, 1.0f, gamma->n);
    tensor_fill(var->data, 1.0f, var->n);
}

/* Per-call scratch: 2C + 1 doubles (per-channel sums, the value count, then
 * per-channel sums again). */
static double *bn_acc(graph *g, int C)
{
    return (double *)(void *)graph_scratch(g, 2 * (2 * (size_t)C + 1));
}

/* With several processes and synchronized statistics (graph.h: sync_bn),
 * buf is summed over them; otherwise left as it is. */
static void bn_sum(graph *g, double *buf, int n)
{
    if (g->sync_bn && g->sum_hook)
        g->sum_hook(g->hook_user, buf, n);
}

void batchnorm_forward(graph *g, graph_node *n, int N)
{
    int C;
    size_t S;
    bn_geometry(n, &C, &S);
    const float *x = graph_in(g, n, 0)->out;
    const float *gamma = graph_p(g, n, 0)->data, *beta = graph_p(g, n, 1)->data;
    float *rmean = graph_p(g, n, 2)->data, *rvar = graph_p(g, n, 3)->data;
    float *xhat = n->aux, *inv_std = n->aux + n->aux_per_sample * (size_t)g->nmax;
    size_t CS = (size_t)C * S;
    float m = n->spec.momentum, eps = n->spec.eps;
    /* training: the batch's statistics, in two passes (the mean, then the
     * squared deviations from it), each summed over the processes when
     * they are synchronized: acc = sums (C), values M, squares (C) */
    double *acc = g->training ? bn_acc(g, C) : NULL, *sq = acc ? acc + C + 1 : NULL;
    if (g->training) {
        for (int c = 0; c < C; c++) {
            double sum = 0;
            for (int i = 0; i < N; i++) {
                const float *xc = x + (size_t)i * CS + (size_t)c * S;
                for (size_t s = 0; s < S; s++)
                    sum += xc[s];
            }
            acc[c] = sum;
        }
        acc[C] = (double)N * (double)S;
        bn_sum(g, acc, C + 1);
        for (int c = 0; c < C; c++) {
            double mean = acc[C] > 0 ? acc[c] / acc[C] : 0, q = 0;
            for (int i = 0; i < N; i++) {
                const float *xc = x + (size_t)i * CS + (size_t)c * S;
                for (size_t s = 0; s < S; s++) {
                    double d = xc[s] - mean;
                    q += d * d;
                }
            }
            sq[c] = q;
        }
        bn_sum(g, sq, C);
    }
    for (int c = 0; c < C; c++) {
        float mu, is;
        if (g->training) {
            double M = acc[C];
            if (!(M > 0))
                continue; /* no values anywhere: nothing to normalize or learn */
            double mean = acc[c] / M, var = sq[c] / M;
            mu = (float)mean;
            is = (float)(1.0 / sqrt(var + eps));
            double unbiased = M > 1 ? var * M / (M - 1) : var;
            rmean[c] = m * rmean[c] + (1 - m) * (float)mean;
            rvar[c] = m * rvar[c] + (1 - m) * (float)unbiased;
        } else {
            mu = rmean[c];
            is = 1.0f / sqrtf(rvar[c] + eps);
        }
        inv_std[c] = is;
        for (int i = 0; i < N; i++) {
            size_t at = (size_t)i * CS + (size_t)c * S;
            for (size_t s = 0; s < S; s++) {
                float h = (x[at + s] - mu) * is;
                xhat[at + s] = h;
                n->out[at + s] = gamma[c] * h + beta[c];
            }
        }
    }
}

void batchnorm_backward(graph *g, graph_node *n, int N)
{
    int C;
    size_t S;
    bn_geometry(n, &C, &S);
    graph_param *gamma = graph_p(g, n, 0), *beta = graph_p(g, n, 1);
    const float *xhat = n->aux, *inv_std = n->aux + n->aux_per_sample * (size_t)g->nmax;
    const float *dy = n->grad;
    float *dx = graph_wants_grad(g, n, 0) ? graph_in(g, n, 0)->grad : NULL;
    size_t CS = (size_t)C * S;
    /* acc: sums of dy (C), of dy * xhat (C), values M */
    double *acc = bn_acc(g, C), *sdyx = acc + C;
    for (int c = 0; c < C; c++) {
        double a = 0, b = 0;
        for (int i = 0; i < N; i++) {
            size_t at = (size_t)i * CS + (size_t)c * S;
            for (size_t s = 0; s < S; s++) {
                a += dy[at + s];
                b += (double)dy[at + s] * xhat[at + s];
            }
        }
        acc[c] = a;
        sdyx[c] = b;
        /* this process's share: the parameter gradients are summed later */
        if (gamma->trainable)
            gamma->grad[c] += (float)b;
        if (beta->trainable)
            beta->grad[c] += (float)a;
    }
    if (!dx)
        return;
    acc[2 * C] = (double)N * (double)S;
    if (g->training)
        bn_sum(g, acc, 2 * C + 1);
    double M = acc[2 * C];
    for (int c = 0; c < C; c++) {
        float gc = gamma->data[c] * inv_std[c];
        if (g->training) {
            if (!(M > 0))
                continue;
            /* dx = gamma/sigma * (dy - mean(dy) - xhat * mean(dy * xhat)) */
            float mdy = (float)(acc[c] / M), mdyx = (float)(sdyx[c] / M);
            for (int i = 0; i < N; i++) {
                size_t at = (size_t)i * CS + (size_t)c * S;
                for (size_t s = 0; s < S; s++)
                    dx[at + s] += gc * (dy[at + s] - mdy - xhat[at + s] * mdyx);
            }
        } else {
            for (int i = 0; i < N; i++) {
                size_t at = (size_t)i * CS + (size_t)c * S;
                for (size_t s = 0; s < S; s++)
                    dx[at + s] += gc * dy[at + s];
            }
        }
    }
}

/* ---- layer normalization (Ba et al.; PyTorch's nn.LayerNorm) ----
 *   x (N, R, D) -> y = gamma * (x - mu) / sqrt(var + eps) + beta
 * per example and per row: D is the product of the last `axes` per-sample
 * axes (PyTorch's normalized_shape), R the product of the others; mu and var
 * are the row's mean and mean of squared deviations.  gamma and beta have
 * the shape of those trailing axes.  `axes: auto` takes every axis but time:
 * the features of (D), each step of a sequence (T, D), the whole (C, H, W)
 * map.  No running statistics: training and evaluation compute the same.
 * On a sequence only the steps up to the batch's longest are computed; later
 * steps output zero, as dense does.
 * aux holds xhat (N, R, D) then 1/sqrt(var + eps) (N, R). */

/* Trailing axes normalized over, resolved from `axes`. */
static int ln_axes(const graph_node *x, const layer_spec *s)
{
    if (s->axes > 0)
        return s->axes;
    return x->seq ? x->shape.ndim - 1 : x->shape.ndim;
}

dlc_status layernorm_build(graph *g, graph_node *n, dlc_error *err)
{
    const graph_node *x = graph_in(g, n, 0);
    int A = ln_axes(x, &n->spec), ndim = x->shape.ndim;
    char shape[64];
    if (!(n->spec.eps > 0.0f))
        return layer_fail(n, err, "eps must be positive, got %g", n->spec.eps);
    if (A > ndim || (x->seq && A > ndim - 1))
        return layer_fail(n, err, "axes %d: its input %s has %d axes%s", A,
                          tensor_shape_str(&x->shape, shape, sizeof shape), ndim,
                          x->seq ? ", the first of them time (a sequence is normalized per step)" : "");
    n->shape = x->shape;
    n->seq = x->seq;
    tensor_shape ps = {A, {0}};
    for (int i = 0; i < A; i++)
        ps.d[i] = x->shape.d[ndim - A + i];
    if (graph_param_add(g, n, "gamma", &ps, PARAM_NORM, err) < 0 ||
        graph_param_add(g, n, "beta", &ps, PARAM_NORM, err) < 0)
        return err->status;
    size_t size = tensor_shape_size(&n->shape);
    n->aux_per_sample = size + size / tensor_shape_size(&ps); /* xhat, then 1/sigma per row */
    return DLC_OK;
}

void layernorm_init(graph *g, graph_node *n, dlc_rng *rng)
{
    graph_param *gamma = graph_p(g, n, 0);
    tensor_fill(gamma->data, 1.0f, gamma->n);
}

/* Rows of one sample that are computed (all, or the sequence steps in use),
 * and the geometry: D values per row, R rows per sample. */
static size_t ln_geometry(graph *g, const graph_node *n, int N, size_t *D, size_t *R)
{
    *D = graph_p(g, n, 0)->n;
    *R = n->size / *D;
    int Te = graph_seq_steps(g, n, N);
    return Te >= 0 ? (size_t)Te * (*R / (size_t)n->shape.d[0]) : *R;
}

void layernorm_forward(graph *g, graph_node *n, int N)
{
    size_t D, R, Re = ln_geometry(g, n, N, &D, &R);
    const float *x = graph_in(g, n, 0)->out;
    const float *gamma = graph_p(g, n, 0)->data, *beta = graph_p(g, n, 1)->data;
    float *xhat = n->aux, *rstd = n->aux + n->size * (size_t)g->nmax;
    double inv_d = 1.0 / (double)D;
    float eps = n->spec.eps;
    for (int i = 0; i < N; i++) {
        for (size_t r = 0; r < Re; r++) {
            size_t row = (size_t)i * R + r, at = row * D;
            const float *xr = x + at;
            double sum = 0, sq = 0;
            for (size_t j = 0; j < D; j++)
                sum += xr[j];
            double mean = sum * inv_d;
            for (size_t j = 0; j < D; j++) {
                double d = xr[j] - mean;
                sq += d * d;
            }
            float is = (float)(1.0 / sqrt(sq * inv_d + eps)), mu = (float)mean;
            rstd[row] = is;
            for (size_t j = 0; j < D; j++) {
                float h = (xr[j] - mu) * is;
                xhat[at + j] = h;
                n->out[at + j] = gamma[j] * h + beta[j];
            }
        }
        size_t pad = (R - Re) * D; /* padded steps: zero */
        memset(n->out + ((size_t)i * R + Re) * D, 0, sizeof(float) * pad);
    }
}

void layernorm_backward(graph *g, graph_node *n, int N)
{
    size_t D, R, Re = ln_geometry(g, n, N, &D, &R);
    graph_param *gamma = graph_p(g, n, 0), *beta = graph_p(g, n, 1);
    const float *xhat = n->aux, *rstd = n->aux + n->size * (size_t)g->nmax;
    const float *dy = n->grad;
    float *dx = graph_wants_grad(g, n, 0) ? graph_in(g, n, 0)->grad : NULL;
    double inv_d = 1.0 / (double)D;
    for (int i = 0; i < N; i++) {
        for (size_t r = 0; r < Re; r++) {
            size_t row = (size_t)i * R + r, at = row * D;
            if (gamma->trainable)
                for (size_t j = 0; j < D; j++)
                    gamma->grad[j] += dy[at + j] * xhat[at + j];
            if (beta->trainable)
                tensor_axpy(beta->grad, 1.0f, dy + at, D);
            if (!dx)
                continue;
            /* dxhat = dy * gamma; dx = rstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)) */
            double s = 0, sx = 0;
            for (size_t j = 0; j < D; j++) {
                double dh = (double)dy[at + j] * gamma->data[j];
                s += dh;
                sx += dh * xhat[at + j];
            }
            float m = (float)(s * inv_d), mx = (float)(sx * inv_d), is = rstd[row];
            for (size_t j = 0; j < D; j++)
                dx[at + j] += is * (dy[at + j] * gamma->data[j] - m - xhat[at + j] * mx);
        }
    }
}

/* ---- l2normalize: each example scaled to unit length (FaceNet's embeddings) ----
 *   x (N, S) -> y = x / sqrt(sum x^2 + eps), the sum over all S values of the example
 *   dx = (dy - y * sum(dy * y)) / sqrt(sum x^2 + eps)
 * aux holds 1/sqrt(sum x^2 + eps) (N).  A sequence is refused: pool over time
 * first, so padding never counts. */
dlc_status l2normalize_build(graph *g, graph_node *n, dlc_error *err)
{
    const graph_node *x = graph_in(g, n, 0);
    if (!(n->spec.eps > 0.0f))
        return layer_fail(n, err, "eps must be positive, got %g", n->spec.eps);
    if (x->seq)
        return layer_fail(n, err, "'%s' is a sequence with padding; pool it over time first "
                                  "(time_avgpool, time_maxpool) to get one vector per example",
                          x->spec.name);
    n->shape = x->shape;
    n->aux_per_sample = 1;
    return DLC_OK;
}

void l2normalize_forward(graph *g, graph_node *n, int N)
{
    const float *x = graph_in(g, n, 0)->out;
    float *inv = n->aux;
    for (int i = 0; i < N; i++) {
        const float *xi = x + (size_t)i * n->size;
        float *y = n->out + (size_t)i * n->size;
        inv[i] = (float)(1.0 / sqrt(tensor_sumsq(xi, n->size) + n->spec.eps));
        for (size_t j = 0; j < n->size; j++)
            y[j] = xi[j] * inv[i];
    }
}

void l2normalize_backward(graph *g, graph_node *n, int N)
{
    if (!graph_wants_grad(g, n, 0))
        return;
    const float *inv = n->aux;
    graph_node *in = graph_in(g, n, 0);
    for (int i = 0; i < N; i++) {
        /* y from x, not n->out: an activation may have been applied to that */
        size_t at = (size_t)i * n->size;
        const float *x = in->out + at, *dy = n->grad + at;
        float *dx = in->grad + at;
        double dot = 0;
        for (size_t j = 0; j < n->size; j++)
            dot += (double)dy[j] * x[j];
        float d = (float)dot * inv[i];
        for (size_t j = 0; j < n->size; j++)
            dx[j] += inv[i] * (dy[j] - x[j] * inv[i] * d);
    }
}
