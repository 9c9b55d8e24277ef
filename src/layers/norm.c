/* norm.c - normalization: batchnorm (over the batch, per channel),
 * layernorm (per example, over trailing axes), l2normalize (per example, to
 * unit length).
 *
 * Batch normalization over the channel axis:
 *   x (N, C, S) -> y = gamma * (x - mu) / sqrt(var + eps) + beta
 * C is the first per-sample axis (features for (D), channels for (C, H, W)),
 * S the product of the rest (a sequence (T, D) is normalized over its
 * features D instead, its valid steps the rows: bn_seq_forward); mu and var
 * are the batch mean and the mean of squared deviations over N*S values
 * (NB: not the notes' slip).  Training
 * updates running = momentum * running + (1 - momentum) * batch, with the
 * unbiased variance as PyTorch does; evaluation uses the running values.
 * A frozen layer (gamma and beta not trainable: freeze, trainable: false)
 * is frozen whole, as Keras's trainable = False: it normalizes by its running
 * values in training too and leaves them as they are (PyTorch needs .eval()
 * on the layer for that); the gradient to x is then gamma/sigma * dy.
 * aux holds 1/sqrt(var + eps) (C) and the mean used (C); backward
 * recomputes xhat from x, which it keeps (as PyTorch keeps the input, mean
 * and 1/sigma), so forward writes y alone.  A following (leaky)
 * ReLU or ReLU6 (MobileNetV2's) is applied here, in the same pass
 * (graph_node.act_fused; bn_fuse says which), and its derivative from y
 * while dy is read: the same floats as the activation's own pass.  With several processes (src/dist) each
 * normalizes its shard by its own statistics (PyTorch DDP's default) or,
 * with sync_bn, by the whole batch's: the per-channel sums are then summed
 * over the processes. */
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
    const graph_node *x = graph_in(g, n, 0);
    n->shape = x->shape;
    n->seq = x->seq; /* (T, D): normalized over its features, below */
    int C = n->seq ? n->shape.d[n->shape.ndim - 1] : n->shape.d[0];
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
    n->aux_fixed = 2 * (size_t)C; /* 1/sigma, mean */
    n->act_fused = n->spec.activation == ACT_RELU || n->spec.activation == ACT_LEAKY_RELU ||
                   n->spec.activation == ACT_RELU6;
    n->scratch = 2 * (2 * (size_t)C + 1) + (n->seq ? 2 * (size_t)C : 0); /* bn_acc; a sequence's means */
    n->dx_over_dy = !n->seq; /* bn_backward_part reads dy[j] and then writes dx[j]; a
                              * sequence's backward clears dx first */
    return DLC_OK;
}

void batchnorm_init(graph *g, graph_node *n, dlc_rng *rng)
{
    graph_param *gamma = graph_p(g, n, 0), *var = graph_p(g, n, 3);
    tensor_fill(gamma->data, 1.0f, gamma->n);
    tensor_fill(var->data, 1.0f, var->n);
}

/* Sums over a channel's values: 8 float accumulators over blocks of BN_BLOCK
 * values (so the compiler vectorizes them), each block's total added in
 * double (so a channel of a large map still sums in double). */
enum { BN_BLOCK = 512 };

/* sum of x, and of (x - c)^2 when sq */
static inline void bn_sums(const float *restrict x, size_t n, float c, double *sum, double *sq)
{
    const layer_v8 cv = {c, c, c, c, c, c, c, c};
    for (size_t b = 0; b < n; b += BN_BLOCK) {
        size_t e = n - b < BN_BLOCK ? n : b + BN_BLOCK, j = b;
        layer_v8 a = {0}, q = {0};
        for (; j + 8 <= e; j += 8) {
            layer_v8 v;
            memcpy(&v, x + j, sizeof v);
            layer_v8 d = v - cv;
            a += v;
            q += d * d;
        }
        for (; j < e; j++) {
            float d = x[j] - c;
            *sum += x[j];
            *sq += (double)d * d;
        }
        for (int k = 0; k < 8; k++) {
            *sum += a[k];
            *sq += q[k];
        }
    }
}

/* The activation a batchnorm applies itself: none, a (leaky) ReLU of a slope, or ReLU6 */
enum { BN_FUSE_NONE, BN_FUSE_LEAKY, BN_FUSE_RELU6 };

static int bn_fuse(const graph_node *n)
{
    return !n->act_fused ? BN_FUSE_NONE : n->spec.activation == ACT_RELU6 ? BN_FUSE_RELU6 : BN_FUSE_LEAKY;
}

/* y from v = the normalized value, as graph_act_forward computes it (relu6: clamped to [0, 6]) */
static inline float bn_act(float v, float slope, int fused)
{
    if (fused == BN_FUSE_RELU6) {
        float r = v > 0.0f ? v : 0.0f;
        return r < 6.0f ? r : 6.0f;
    }
    float l = slope * v;
    return !fused || v > 0.0f ? v : l;
}

/* dz = dy through a fused activation (bn_fuse) whose output is y: a (leaky) ReLU of this
 * slope, or ReLU6, 0 at its kinks as graph_act_backward (fused is a constant where it is
 * inlined: a loop each, vectorized) */
static inline float bn_dz(const float *restrict dy, const float *restrict y, float slope, size_t j,
                          int fused)
{
    float d = dy[j], l = slope * d;
    if (fused == BN_FUSE_RELU6)
        return (y[j] > 0.0f) & (y[j] < 6.0f) ? d : 0.0f;
    return !fused || y[j] > 0.0f ? d : l;
}

/* sum of dz, and of dz * h, h = (x - mu) * is */
static inline void bn_dot(const float *restrict dy, const float *restrict y, float slope,
                          const float *restrict x, float mu, float is, size_t n, double *sdy,
                          double *sdyh, int fused)
{
    const layer_v8 muv = {mu, mu, mu, mu, mu, mu, mu, mu}, isv = {is, is, is, is, is, is, is, is},
                   zero = {0}, six = {6, 6, 6, 6, 6, 6, 6, 6};
    for (size_t b = 0; b < n; b += BN_BLOCK) {
        size_t e = n - b < BN_BLOCK ? n : b + BN_BLOCK, j = b;
        layer_v8 a = {0}, q = {0};
        for (; j + 8 <= e; j += 8) {
            layer_v8 d, xv;
            memcpy(&d, dy + j, sizeof d);
            memcpy(&xv, x + j, sizeof xv);
            if (fused == BN_FUSE_RELU6) { /* bn_dz, lane by lane */
                layer_v8 yv;
                memcpy(&yv, y + j, sizeof yv);
                layer_v8i on = (yv > zero) & (yv < six);
                d = (layer_v8)(on & (layer_v8i)d);
            } else if (fused) {
                layer_v8 yv, l = slope * d;
                memcpy(&yv, y + j, sizeof yv);
                layer_v8i on = yv > zero;
                d = (layer_v8)((on & (layer_v8i)d) | (~on & (layer_v8i)l));
            }
            a += d;
            q += d * ((xv - muv) * isv);
        }
        for (; j < e; j++) {
            float d = bn_dz(dy, y, slope, j, fused);
            *sdy += d;
            *sdyh += (double)d * ((x[j] - mu) * is);
        }
        for (int k = 0; k < 8; k++) {
            *sdy += a[k];
            *sdyh += q[k];
        }
    }
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

/* 1 when the layer normalizes by the batch's statistics: training, and not
 * frozen */
static int bn_batch_stats(graph *g, const graph_node *n)
{
    return g->training && graph_p(g, n, 0)->trainable;
}

static int bn_synced(graph *g, const graph_node *n)
{
    return bn_batch_stats(g, n) && g->sync_bn && g->sum_hook;
}

/* Channel c normalized by its batch: mean its mean over M values, mu that
 * mean in float and sq the sum of squared deviations from mu.  Updates the
 * running statistics (the unbiased variance, as PyTorch keeps) and returns
 * 1/sqrt(var + eps). */
static float bn_batch_channel(float *rmean, float *rvar, size_t c, double mean, float mu, double sq,
                              double M, float m, float eps)
{
    /* deviations were taken from the float mean: E(x - mu)^2 = var + (mean - mu)^2 */
    double dm = mean - mu, var = sq / M - dm * dm;
    var = var > 0 ? var : 0;
    float is = (float)(1.0 / sqrt(var + eps));
    double unbiased = M > 1 ? var * M / (M - 1) : var;
    rmean[c] = m * rmean[c] + (1.0f - m) * mu;
    rvar[c] = m * rvar[c] + (1.0f - m) * (float)unbiased;
    return is;
}

/* What a pass over a range of channels does: one process runs every phase
 * per channel in one pass (its data still in cache); with synchronized
 * statistics each sum is summed over the processes between the phases. */
enum { BN_SUM = 1, BN_SQ = 2, BN_APPLY = 4, BN_ALL = 7 };

/* One layer's forward or backward, split over the worker threads by channel. */
typedef struct {
    graph *g;
    graph_node *n;
    int N, C;
    size_t S;
    float slope; /* of a fused (leaky) ReLU */
    double *acc; /* training: bn_acc's scratch (forward: sums C, values M,
                  * squares C; backward: sums of dz C, of dz * xhat C, M) */
    int phases;  /* BN_* */
} bn_job;

DLC_HOT
static void bn_forward_part(void *ctx, int part, int parts)
{
    const bn_job *j = ctx;
    graph *g = j->g;
    graph_node *n = j->n;
    const int N = j->N, C = j->C;
    const size_t S = j->S, CS = (size_t)C * S;
    const float *x = graph_in(g, n, 0)->out;
    const float *gamma = graph_p(g, n, 0)->data, *beta = graph_p(g, n, 1)->data;
    float *rmean = graph_p(g, n, 2)->data, *rvar = graph_p(g, n, 3)->data;
    float *inv_std = n->aux, *mean_used = n->aux + C;
    double *acc = j->acc, *sq = acc ? acc + C + 1 : NULL;
    const float m = n->spec.momentum, eps = n->spec.eps;
    const int batch = bn_batch_stats(g, n);
    size_t lo, hi;
    tensor_part_range((size_t)C, 1, part, parts, &lo, &hi);
    for (size_t c = lo; c < hi; c++) {
        float mu, is;
        if (batch) {
            /* two passes: the mean, then the squared deviations from it */
            double unused = 0;
            if (j->phases & BN_SUM) {
                double sum = 0;
                for (int i = 0; i < N; i++)
                    bn_sums(x + (size_t)i * CS + c * S, S, 0.0f, &sum, &unused);
                acc[c] = sum;
            }
            const double M = acc[C];
            if (!(M > 0))
                continue; /* no values anywhere: nothing to normalize or learn */
            const double mean = acc[c] / M;
            const float cm = (float)mean;
            if (j->phases & BN_SQ) {
                double q = 0;
                for (int i = 0; i < N; i++)
                    bn_sums(x + (size_t)i * CS + c * S, S, cm, &unused, &q);
                sq[c] = q;
            }
            if (!(j->phases & BN_APPLY))
                continue;
            mu = cm;
            is = bn_batch_channel(rmean, rvar, c, mean, mu, sq[c], M, m, eps);
        } else {
            mu = rmean[c];
            is = 1.0f / sqrtf(rvar[c] + eps);
        }
        inv_std[c] = is;
        mean_used[c] = mu;
        const float gc = gamma[c], bc = beta[c];
        for (int i = 0; i < N; i++) {
            size_t at = (size_t)i * CS + c * S;
            const float *xr = x + at;
            float *yr = n->out + at;
            if (!n->act_fused) {
                for (size_t s = 0; s < S; s++)
                    yr[s] = gc * ((xr[s] - mu) * is) + bc;
                continue;
            }
            if (bn_fuse(n) == BN_FUSE_RELU6) {
                for (size_t s = 0; s < S; s++)
                    yr[s] = bn_act(gc * ((xr[s] - mu) * is) + bc, 0.0f, BN_FUSE_RELU6);
                continue;
            }
            for (size_t s = 0; s < S; s++) {
                float v = gc * ((xr[s] - mu) * is) + bc, lv = j->slope * v;
                yr[s] = v > 0.0f ? v : lv;
            }
        }
    }
}

/* ---- batch normalization of a sequence: x (N, T, D) -> y (N, T, D) ----
 * Over the features, each step a row of the batch: mu and var of feature d
 * are over the valid steps of every sample (layer_seq_len), as Keras's
 * BatchNormalization(axis=-1) with the embedding's mask, or PyTorch's
 * BatchNorm1d(D) on the (valid steps, D) rows.  Padded steps count in no
 * statistic, output zero (as a recurrent layer's do) and pass no gradient.
 * The features are the rows' last axis, so one pass reads the batch row by
 * row (one thread: sequences are small next to a convolution's maps). */

/* Runs the statement for each valid step of x (N, T, D): `at` is its row's
 * offset in the batch, L its sample's valid steps. */
#define BN_SEQ_ROWS(g, xn, N, T, D, ...)                                           \
    for (int i_ = 0; i_ < (N); i_++) {                                            \
        const int L = layer_seq_len((g), (xn), i_);                               \
        for (int t_ = 0; t_ < L; t_++) {                                          \
            const size_t at = ((size_t)i_ * (size_t)(T) + (size_t)t_) * (size_t)(D); \
            __VA_ARGS__;                                                          \
        }                                                                         \
    }

static void bn_seq_forward(graph *g, graph_node *n, int N)
{
    const graph_node *xn = graph_in(g, n, 0);
    const int T = n->shape.d[0], C = n->shape.d[1];
    const float *x = xn->out;
    const float *gamma = graph_p(g, n, 0)->data, *beta = graph_p(g, n, 1)->data;
    float *rmean = graph_p(g, n, 2)->data, *rvar = graph_p(g, n, 3)->data;
    float *inv_std = n->aux, *mean_used = n->aux + C;
    const float m = n->spec.momentum, eps = n->spec.eps;
    const float slope = n->spec.activation == ACT_LEAKY_RELU ? n->spec.alpha : 0.0f;
    const int fused = bn_fuse(n);
    int apply = 1;
    if (bn_batch_stats(g, n)) {
        /* sums C, the count of valid rows, then squared deviations C */
        double *acc = bn_acc(g, C), *sq = acc + C + 1;
        memset(acc, 0, sizeof(double) * (2 * (size_t)C + 1));
        BN_SEQ_ROWS(g, xn, N, T, C, {
            acc[C] += 1.0;
            for (int c = 0; c < C; c++)
                acc[c] += x[at + c];
        });
        bn_sum(g, acc, C + 1);
        const double M = acc[C];
        for (int c = 0; c < C; c++)
            mean_used[c] = M > 0 ? (float)(acc[c] / M) : 0.0f;
        BN_SEQ_ROWS(g, xn, N, T, C, {
            for (int c = 0; c < C; c++) {
                float d = x[at + c] - mean_used[c];
                sq[c] += (double)d * d;
            }
        });
        bn_sum(g, sq, C);
        apply = M > 0; /* no valid step anywhere: nothing to normalize or learn */
        for (int c = 0; c < C; c++) {
            if (!apply) {
                inv_std[c] = 1.0f;
                continue;
            }
            inv_std[c] = bn_batch_channel(rmean, rvar, (size_t)c, acc[c] / M, mean_used[c], sq[c], M,
                                          m, eps);
        }
    } else {
        for (int c = 0; c < C; c++) {
            mean_used[c] = rmean[c];
            inv_std[c] = 1.0f / sqrtf(rvar[c] + eps);
        }
    }
    memset(n->out, 0, sizeof(float) * (size_t)N * n->size); /* padded steps */
    if (!apply)
        return;
    BN_SEQ_ROWS(g, xn, N, T, C, {
        float *y = n->out + at;
        for (int c = 0; c < C; c++) {
            float v = gamma[c] * ((x[at + c] - mean_used[c]) * inv_std[c]) + beta[c];
            y[c] = bn_act(v, slope, fused);
        }
    });
}

static void bn_seq_backward(graph *g, graph_node *n, int N)
{
    graph_node *xn = graph_in(g, n, 0);
    const int T = n->shape.d[0], C = n->shape.d[1];
    graph_param *gamma = graph_p(g, n, 0), *beta = graph_p(g, n, 1);
    const float *x = xn->out, *inv_std = n->aux, *mean_used = n->aux + C;
    const float *dy = n->grad, *y = n->out;
    const float slope = n->spec.activation == ACT_LEAKY_RELU ? n->spec.alpha : 0.0f;
    const int fused = bn_fuse(n), batch = bn_batch_stats(g, n);
    /* sums of dz C, of dz * xhat C, the count of valid rows */
    double *acc = bn_acc(g, C), *sdy = acc, *sdyh = acc + C;
    memset(acc, 0, sizeof(double) * (2 * (size_t)C + 1));
    BN_SEQ_ROWS(g, xn, N, T, C, {
        acc[2 * C] += 1.0;
        for (int c = 0; c < C; c++) {
            float d = bn_dz(dy + at, y + at, slope, (size_t)c, fused);
            sdy[c] += d;
            sdyh[c] += (double)d * ((x[at + c] - mean_used[c]) * inv_std[c]);
        }
    });
    /* this process's share: the parameter gradients are summed later */
    for (int c = 0; c < C; c++) {
        if (gamma->trainable)
            gamma->grad[c] += (float)sdyh[c];
        if (beta->trainable)
            beta->grad[c] += (float)sdy[c];
    }
    if (!graph_wants_grad(g, n, 0))
        return;
    if (bn_synced(g, n))
        bn_sum(g, acc, 2 * C + 1); /* dx needs the sums over every process */
    const double M = acc[2 * C];
    float *dx = xn->grad;
    if (graph_assigns_grad(g, n, 0)) /* the first to write dx: it was not cleared */
        memset(dx, 0, sizeof(float) * (size_t)N * xn->size);
    if (batch && !(M > 0))
        return;
    /* batch statistics: dx = gamma/sigma * (dz - mean(dz) - xhat * mean(dz * xhat));
     * fixed statistics (evaluation, a frozen layer): gamma/sigma * dz */
    float *mdy = graph_scratch(g, 2 * (size_t)C), *mdyx = mdy + C;
    for (int c = 0; c < C; c++) {
        mdy[c] = batch ? (float)(sdy[c] / M) : 0.0f;
        mdyx[c] = batch ? (float)(sdyh[c] / M) : 0.0f;
    }
    BN_SEQ_ROWS(g, xn, N, T, C, {
        for (int c = 0; c < C; c++) {
            float h = (x[at + c] - mean_used[c]) * inv_std[c];
            float d = bn_dz(dy + at, y + at, slope, (size_t)c, fused);
            dx[at + c] += gamma->data[c] * inv_std[c] * (d - mdy[c] - h * mdyx[c]);
        }
    });
}

void batchnorm_forward(graph *g, graph_node *n, int N)
{
    if (n->seq) {
        bn_seq_forward(g, n, N);
        return;
    }
    bn_job j = {g, n, N, 0, 0, n->spec.activation == ACT_LEAKY_RELU ? n->spec.alpha : 0.0f, NULL, BN_ALL};
    bn_geometry(n, &j.C, &j.S);
    if (!bn_batch_stats(g, n)) {
        tensor_parallel(bn_forward_part, &j);
        return;
    }
    j.acc = bn_acc(g, j.C);
    j.acc[j.C] = (double)N * (double)j.S;
    if (!bn_synced(g, n)) {
        tensor_parallel(bn_forward_part, &j);
        return;
    }
    /* the sums and the value count over every process, then the squares */
    j.phases = BN_SUM;
    tensor_parallel(bn_forward_part, &j);
    bn_sum(g, j.acc, j.C + 1);
    j.phases = BN_SQ;
    tensor_parallel(bn_forward_part, &j);
    bn_sum(g, j.acc + j.C + 1, j.C);
    j.phases = BN_APPLY;
    tensor_parallel(bn_forward_part, &j);
}

DLC_HOT
static void bn_backward_part(void *ctx, int part, int parts)
{
    const bn_job *j = ctx;
    graph *g = j->g;
    graph_node *n = j->n;
    const int N = j->N, C = j->C;
    const size_t S = j->S, CS = (size_t)C * S;
    graph_param *gamma = graph_p(g, n, 0), *beta = graph_p(g, n, 1);
    const float *x = graph_in(g, n, 0)->out, *inv_std = n->aux, *mean_used = n->aux + C;
    const float *dy = n->grad, *y = n->act_fused ? n->out : NULL, slope = j->slope;
    float *dx = graph_wants_grad(g, n, 0) ? graph_in(g, n, 0)->grad : NULL;
    const int assign = graph_assigns_grad(g, n, 0); /* the first to write dx: it was not cleared */
    double *sdy = j->acc, *sdyx = j->acc + C;
    const double M = j->acc[2 * C];
    const int batch = bn_batch_stats(g, n);
    size_t lo, hi;
    tensor_part_range((size_t)C, 1, part, parts, &lo, &hi);
    for (size_t c = lo; c < hi; c++) {
        const float mu = mean_used[c], is = inv_std[c];
        if (j->phases & BN_SUM) {
            double a = 0, b = 0;
            for (int i = 0; i < N; i++) {
                size_t at = (size_t)i * CS + c * S;
                if (y && bn_fuse(n) == BN_FUSE_RELU6)
                    bn_dot(dy + at, y + at, slope, x + at, mu, is, S, &a, &b, BN_FUSE_RELU6);
                else if (y)
                    bn_dot(dy + at, y + at, slope, x + at, mu, is, S, &a, &b, BN_FUSE_LEAKY);
                else
                    bn_dot(dy + at, NULL, slope, x + at, mu, is, S, &a, &b, 0);
            }
            sdy[c] = a;
            sdyx[c] = b;
            /* this process's share: the parameter gradients are summed later */
            if (gamma->trainable)
                gamma->grad[c] += (float)b;
            if (beta->trainable)
                beta->grad[c] += (float)a;
        }
        if (!dx || !(j->phases & BN_APPLY))
            continue;
        if (batch && !(M > 0))
            continue;
        const float gc = gamma->data[c] * is;
        /* batch statistics: dx = gamma/sigma * (dz - mean(dz) - xhat * mean(dz * xhat));
         * fixed statistics (evaluation, a frozen layer): gamma/sigma * dz */
        const float mdy = batch ? (float)(sdy[c] / M) : 0.0f,
                    mdyx = batch ? (float)(sdyx[c] / M) : 0.0f;
         
        for (int i = 0; i < N; i++) {
            size_t at = (size_t)i * CS + c * S;
            const float *dyr = dy + at, *xr = x + at, *yr = y ? y + at : NULL;
            float *dxr = dx + at;
            if (!yr) {
                for (size_t s = 0; s < S; s++)
                    dxr[s] = (assign ? 0.0f : dxr[s]) + gc * (dyr[s] - mdy - ((xr[s] - mu) * is) * mdyx);
                continue;
            }
            if (bn_fuse(n) == BN_FUSE_RELU6) {
                for (size_t s = 0; s < S; s++)
                    dxr[s] = (assign ? 0.0f : dxr[s]) +
                             gc * (bn_dz(dyr, yr, slope, s, BN_FUSE_RELU6) - mdy - ((xr[s] - mu) * is) * mdyx);
                continue;
            }
            for (size_t s = 0; s < S; s++)
                dxr[s] = (assign ? 0.0f : dxr[s]) + gc * (bn_dz(dyr, yr, slope, s, BN_FUSE_LEAKY) - mdy - ((xr[s] - mu) * is) * mdyx);
        }
    }
}

/* x (xhat is recomputed from it), 1/sigma and the mean (aux); a fused
 * ReLU's derivative reads y */
void batchnorm_saves(const graph *g, const graph_node *n, graph_saves *s)
{
    s->inputs = 1;
    s->aux = 1;
    s->out = n->act_fused;
}

void batchnorm_backward(graph *g, graph_node *n, int N)
{
    if (n->seq) {
        bn_seq_backward(g, n, N);
        return;
    }
    bn_job j = {g, n, N, 0, 0, n->spec.activation == ACT_LEAKY_RELU ? n->spec.alpha : 0.0f, NULL, BN_ALL};
    bn_geometry(n, &j.C, &j.S);
    j.acc = bn_acc(g, j.C);
    j.acc[2 * j.C] = (double)N * (double)j.S;
    /* frozen (fixed statistics, gamma and beta learn nothing): dx = gamma / sigma dy
     * needs none of the sums, which are dgamma and dbeta */
    if (!bn_batch_stats(g, n) && !graph_p(g, n, 0)->trainable && !graph_p(g, n, 1)->trainable)
        j.phases = BN_APPLY;
    if (!bn_synced(g, n) || !graph_wants_grad(g, n, 0) || j.phases == BN_APPLY) {
        tensor_parallel(bn_backward_part, &j);
        return;
    }
    /* dx needs the sums over every process */
    j.phases = BN_SUM;
    tensor_parallel(bn_backward_part, &j);
    bn_sum(g, j.acc, 2 * j.C + 1);
    j.phases = BN_APPLY;
    tensor_parallel(bn_backward_part, &j);
}

/* ---- layer normalization (Ba et al.; PyTorch's nn.LayerNorm) ----
 *   x (N, R, D) -> y = gamma * (x - mu) / sqrt(var + eps) + beta
 * per example and per row: D is the product of the last `axes` per-sample
 * axes (PyTorch's normalized_shape), R the product of the others; mu and var
 * are the row's mean and mean of squared deviations.  gamma and beta have
 * the shape of those trailing axes.  `axes: auto` takes every axis but time:
 * the features of (D), each step of a sequence (T, D), the whole (C, H, W)
 * map.  No running statistics: training and evaluation compute the same.
 * On a padded sequence only each sample's valid steps are computed; its
 * padded steps output zero, as dense does.
 * aux holds xhat (N, R, D) then 1/sqrt(var + eps) (N, R).
 * `channels: true` normalizes each position of x (N, C, S) over its C
 * channels instead (ConvNeXt's LayerNorm2d, PyTorch's LayerNorm(C) on
 * x.permute(0, 2, 3, 1)): gamma and beta (C); aux xhat (N, C, S) then
 * 1/sqrt(var + eps) (N, S).  The positions go in blocks of LN_BLOCK, the
 * channels outer, so each pass reads rows of x in order. */

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
    if (n->spec.channels && (n->spec.axes > 0 || x->seq))
        return layer_fail(n, err, "channels: true normalizes each position of a map (C, H, W) over its C "
                                  "channels; %s",
                          x->seq ? "its input is a sequence (normalize its features per step: axes: 1)"
                                 : "leave axes out (it is the trailing axes' form)");
    if (!n->spec.channels && (A > ndim || (x->seq && A > ndim - 1)))
        return layer_fail(n, err, "axes %d: its input %s has %d axes%s", A,
                          tensor_shape_str(&x->shape, shape, sizeof shape), ndim,
                          x->seq ? ", the first of them time (a sequence is normalized per step)" : "");
    n->shape = x->shape;
    n->seq = x->seq;
    tensor_shape ps = {A, {0}};
    for (int i = 0; i < A; i++)
        ps.d[i] = x->shape.d[ndim - A + i];
    if (n->spec.channels)
        ps = (tensor_shape){1, {x->shape.d[0]}};
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

/* The geometry: D values per row, R rows per sample; channels: D channels, R positions. */
static void ln_geometry(graph *g, const graph_node *n, size_t *D, size_t *R)
{
    *D = graph_p(g, n, 0)->n;
    *R = n->size / *D;
}

#define LN_BLOCK 64

/* channels: true, forward: sample i's positions [s0, s0 + B) over its C channels */
static void ln_channels_forward(graph *g, graph_node *n, size_t i, size_t s0, size_t B)
{
    size_t C, S;
    ln_geometry(g, n, &C, &S);
    const float *x = graph_in(g, n, 0)->out + i * C * S + s0;
    const float *gamma = graph_p(g, n, 0)->data, *beta = graph_p(g, n, 1)->data;
    float *xhat = n->aux + i * C * S + s0, *y = n->out + i * C * S + s0;
    float *rstd = n->aux + n->size * (size_t)g->rows + i * S + s0;
    double sum[LN_BLOCK] = {0}, sq[LN_BLOCK] = {0};
    float mu[LN_BLOCK];
    for (size_t c = 0; c < C; c++)
        for (size_t b = 0; b < B; b++)
            sum[b] += x[c * S + b];
    for (size_t b = 0; b < B; b++)
        mu[b] = (float)(sum[b] / (double)C);
    for (size_t c = 0; c < C; c++)
        for (size_t b = 0; b < B; b++) {
            double d = (double)x[c * S + b] - sum[b] / (double)C;
            sq[b] += d * d;
        }
    for (size_t b = 0; b < B; b++)
        rstd[b] = (float)(1.0 / sqrt(sq[b] / (double)C + n->spec.eps));
    for (size_t c = 0; c < C; c++)
        for (size_t b = 0; b < B; b++) {
            float h = (x[c * S + b] - mu[b]) * rstd[b];
            xhat[c * S + b] = h;
            y[c * S + b] = gamma[c] * h + beta[c];
        }
}

/* channels: true, backward over the same block */
static void ln_channels_backward(graph *g, graph_node *n, size_t i, size_t s0, size_t B, float *dx)
{
    size_t C, S;
    ln_geometry(g, n, &C, &S);
    graph_param *gamma = graph_p(g, n, 0), *beta = graph_p(g, n, 1);
    size_t at = i * C * S + s0;
    const float *xhat = n->aux + at, *dy = n->grad + at;
    const float *rstd = n->aux + n->size * (size_t)g->rows + i * S + s0;
    double s[LN_BLOCK] = {0}, sx[LN_BLOCK] = {0};
    for (size_t c = 0; c < C; c++) {
        double dg = 0, db = 0;
        for (size_t b = 0; b < B; b++) {
            double d = dy[c * S + b], dh = d * gamma->data[c];
            dg += d * xhat[c * S + b];
            db += d;
            s[b] += dh;
            sx[b] += dh * xhat[c * S + b];
        }
        if (gamma->trainable)
            gamma->grad[c] += (float)dg;
        if (beta->trainable)
            beta->grad[c] += (float)db;
    }
    if (!dx)
        return;
    dx += at;
    float m[LN_BLOCK], mx[LN_BLOCK];
    for (size_t b = 0; b < B; b++) {
        m[b] = (float)(s[b] / (double)C);
        mx[b] = (float)(sx[b] / (double)C);
    }
    for (size_t c = 0; c < C; c++)
        for (size_t b = 0; b < B; b++)
            dx[c * S + b] += rstd[b] * (dy[c * S + b] * gamma->data[c] - m[b] - xhat[c * S + b] * mx[b]);
}

/* channels: true over N samples, block by block (fwd: forward, else backward into dx) */
static void ln_channels(graph *g, graph_node *n, int N, int fwd, float *dx)
{
    size_t C, S;
    ln_geometry(g, n, &C, &S);
    for (size_t i = 0; i < (size_t)N; i++)
        for (size_t s0 = 0; s0 < S; s0 += LN_BLOCK) {
            size_t B = S - s0 < LN_BLOCK ? S - s0 : LN_BLOCK;
            if (fwd)
                ln_channels_forward(g, n, i, s0, B);
            else
                ln_channels_backward(g, n, i, s0, B, dx);
        }
}

/* Rows of sample i that are computed: all, or a sequence's valid steps. */
static size_t ln_rows(const graph *g, const graph_node *n, int i, size_t R)
{
    return n->seq ? (size_t)layer_seq_len(g, n, i) * (R / (size_t)n->shape.d[0]) : R;
}

void layernorm_forward(graph *g, graph_node *n, int N)
{
    if (n->spec.channels) {
        ln_channels(g, n, N, 1, NULL);
        return;
    }
    size_t D, R;
    ln_geometry(g, n, &D, &R);
    const float *x = graph_in(g, n, 0)->out;
    const float *gamma = graph_p(g, n, 0)->data, *beta = graph_p(g, n, 1)->data;
    float *xhat = n->aux, *rstd = n->aux + n->size * (size_t)g->rows;
    double inv_d = 1.0 / (double)D;
    float eps = n->spec.eps;
    for (int i = 0; i < N; i++) {
        const size_t Re = ln_rows(g, n, i, R);
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

/* xhat and 1/sigma per row (aux) */
void layernorm_saves(const graph *g, const graph_node *n, graph_saves *s)
{
    s->aux = 1;
}

void layernorm_backward(graph *g, graph_node *n, int N)
{
    size_t D, R;
    ln_geometry(g, n, &D, &R);
    graph_param *gamma = graph_p(g, n, 0), *beta = graph_p(g, n, 1);
    const float *xhat = n->aux, *rstd = n->aux + n->size * (size_t)g->rows;
    const float *dy = n->grad;
    float *dx = graph_wants_grad(g, n, 0) ? graph_in(g, n, 0)->grad : NULL;
    if (n->spec.channels) {
        ln_channels(g, n, N, 0, dx);
        return;
    }
    double inv_d = 1.0 / (double)D;
    for (int i = 0; i < N; i++) {
        const size_t Re = ln_rows(g, n, i, R);
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
        return layer_fail(n, err, "'%s' is a sequence (its steps may be padding, which would count "
                                  "in the norm); pool it over time first (time_avgpool, time_maxpool) "
                                  "to get one vector per example",
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

/* x and 1/|x| (aux) */
void l2normalize_saves(const graph *g, const graph_node *n, graph_saves *s)
{
    s->inputs = 1u;
    s->aux = 1;
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
