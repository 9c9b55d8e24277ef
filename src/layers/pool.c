/* pool.c - max and average pooling over every spatial axis of (C, ...),
 * global average pooling (C, ...) -> (C), and pooling over time for
 * sequences (T, C) -> (C).  No parameters.
 *
 * maxpool, avgpool and global_avgpool refuse a sequence (graph_node.seq):
 * its axis 0 is time, not channels, so they would pool over the features of
 * each step; the refusal names the time pools and the reshape that gives a
 * window over time.
 *
 *   x (N, C, D, H, W) -> y (N, C, OD, OH, OW)   (1 to 3 spatial axes, see window.h)
 *
 * Max pooling ignores padded positions and keeps, in aux, the index of each
 * output's winner inside its sample's channel (int32), so backward routes
 * dy to it.  Average pooling divides by the whole window, padding included
 * (PyTorch's default count_include_pad), or with count_include_pad: false by
 * the window's positions inside the input.  The stride defaults to the kernel.
 * ceil_mode: true rounds the output size up, as PyTorch's and ONNX's
 * ceil_mode: a last window that starts inside the input (or its left
 * padding) but runs past the padded end counts, over the positions it
 * covers (the padded ones too when count_include_pad).
 * Each (sample, channel) map is independent: large layers split the maps
 * over the worker threads (pool_run). */
#include <float.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "window.h"

/* A window over time on a sequence (T, D), Keras's MaxPooling1D and
 * AveragePooling1D, is a window over the first axis of the map (1, T, D). */
static dlc_status pool_refuse_seq(const graph_node *n, const graph_node *x, dlc_error *err)
{
    if (!x->seq)
        return DLC_OK;
    int avg = n->spec.op == OP_AVGPOOL, T = x->shape.d[0], D = x->shape.d[1];
    char recipe[400];
    snprintf(recipe, sizeof recipe,
             "for the %s of each feature over all the steps (Keras's Global%sPooling1D) use "
             "%s, which skips the padding; for a window of K steps (Keras's %sPooling1D) "
             "reshape to [1, %d, %d] and use %s with kernel [K, 1] (the padding then counts)",
             avg ? "mean" : "largest value", avg ? "Average" : "Max",
             avg ? "time_avgpool" : "time_maxpool", avg ? "Average" : "Max", T, D,
             avg ? "an avgpool" : "a maxpool");
    return layer_refuse_seq(n, x, "slide its window over the features", recipe, err);
}

static dlc_status pool_build(graph *g, graph_node *n, dlc_error *err)
{
    const graph_node *x = graph_in(g, n, 0);
    layer_geom geo;
    if (pool_refuse_seq(n, x, err) != DLC_OK)
        return err->status;
    dlc_status st = layer_geom_build(&geo, n, &x->shape, x->shape.ndim - 1, 1, err);
    if (st != DLC_OK)
        return st;
    for (int i = 0; i < 3; i++)
        if (2 * geo.lo[i] > geo.k[i] || 2 * geo.hi[i] > geo.k[i])
            return layer_fail(n, err, "padding %d is more than half the kernel (%d)",
                              geo.lo[i] > geo.hi[i] ? geo.lo[i] : geo.hi[i], geo.k[i]);
    n->shape = x->shape;
    for (int i = 0; i < geo.nsp; i++)
        n->shape.d[1 + i] = geo.out[3 - geo.nsp + i];
    return DLC_OK;
}

dlc_status maxpool_build(graph *g, graph_node *n, dlc_error *err)
{
    dlc_status st = pool_build(g, n, err);
    n->aux_per_sample = tensor_shape_size(&n->shape); /* winners, int32 */
    return st;
}

dlc_status avgpool_build(graph *g, graph_node *n, dlc_error *err)
{
    return pool_build(g, n, err);
}

/* Calls body(o, i) for every output o of one channel and every input i of
 * its window that lies inside the input (i = -1 is never passed). */
#define POOL_LOOP(geo, body_start, body_in, body_end)                                         \
    do {                                                                                      \
        size_t o_ = 0;                                                                        \
        for (int od = 0; od < (geo)->out[0]; od++)                                            \
            for (int oh = 0; oh < (geo)->out[1]; oh++)                                        \
                for (int ow = 0; ow < (geo)->out[2]; ow++, o_++) {                            \
                    body_start;                                                               \
                    for (int kd = 0; kd < (geo)->k[0]; kd++) {                                \
                        int id = od * (geo)->s[0] - (geo)->lo[0] + kd * (geo)->d[0];          \
                        if (id < 0 || id >= (geo)->in[0])                                     \
                            continue;                                                         \
                        for (int kh = 0; kh < (geo)->k[1]; kh++) {                            \
                            int ih = oh * (geo)->s[1] - (geo)->lo[1] + kh * (geo)->d[1];      \
                            if (ih < 0 || ih >= (geo)->in[1])                                 \
                                continue;                                                     \
                            for (int kw = 0; kw < (geo)->k[2]; kw++) {                        \
                                int iw = ow * (geo)->s[2] - (geo)->lo[2] + kw * (geo)->d[2];  \
                                if (iw < 0 || iw >= (geo)->in[2])                             \
                                    continue;                                                 \
                                size_t i_ = ((size_t)id * (geo)->in[1] + (size_t)ih) *        \
                                                (geo)->in[2] + (size_t)iw;                    \
                                body_in;                                                      \
                            }                                                                 \
                        }                                                                     \
                    }                                                                         \
                    body_end;                                                                 \
                }                                                                             \
    } while (0)

/* 2x2 windows, stride 2, no padding on either side, on 2-D maps: the common
 * case, unrolled.  (`same` on an odd size pads after, and ceil_mode adds a
 * window there: the last window would reach past the map, so those take the
 * general loop.) */
static int pool_is_2x2(const layer_geom *geo)
{
    return geo->k[0] == 1 && geo->k[1] == 2 && geo->k[2] == 2 && geo->s[1] == 2 &&
           geo->s[2] == 2 && geo->lo[0] == 0 && geo->lo[1] == 0 && geo->lo[2] == 0 &&
           geo->hi[0] == 0 && geo->hi[1] == 0 && geo->hi[2] == 0 && 2 * geo->out[1] <= geo->in[1] &&
           2 * geo->out[2] <= geo->in[2] && geo->d[1] == 1 && geo->d[2] == 1;
}

static void maxpool_2x2(float *restrict y, int32_t *restrict arg, const float *restrict x,
                        const layer_geom *geo)
{
    const int W = geo->in[2], OH = geo->out[1], OW = geo->out[2];
    for (int oh = 0; oh < OH; oh++) {
        const float *r0 = x + (size_t)(2 * oh) * W, *r1 = r0 + W;
        for (int ow = 0; ow < OW; ow++) {
            /* selects, not branches: which of four wins is a coin toss the
             * branch predictor loses half the time */
            int c = 2 * ow, i0 = 2 * oh * W + c, i1 = i0 + W;
            float m = r0[c], v;
            int32_t a = i0;
            v = r0[c + 1];
            a = v > m ? i0 + 1 : a;
            m = v > m ? v : m;
            v = r1[c];
            a = v > m ? i1 : a;
            m = v > m ? v : m;
            v = r1[c + 1];
            a = v > m ? i1 + 1 : a;
            m = v > m ? v : m;
            y[(size_t)oh * OW + ow] = m;
            arg[(size_t)oh * OW + ow] = a;
        }
    }
}

/* Any other window on a 2-D map without dilation (ResNet's 3x3 stride 2
 * with padding 1 among them): each window clamped to the map first, then
 * scanned with selects, in the general loop's order (the first of equal
 * maxima wins, as there).  Padding is at most half the kernel, so every
 * window holds at least one position. */
static int pool_is_2d(const layer_geom *geo)
{
    return geo->k[0] == 1 && geo->in[0] == 1 && geo->d[1] == 1 && geo->d[2] == 1;
}

/* The windows of outputs [ow, ow + 8) of row [h0, h1) at stride 2, none
 * clamped (the caller checked; the 16 floats each row load reads lie in the
 * map): the scalar loop's scan, eight outputs at a time, one per lane. */
static inline void maxpool_s2_x8(float *restrict y, int32_t *restrict arg, const float *restrict x,
                                 int W, int h0, int h1, int w0, int k)
{
    layer_v8 m = {0};
    layer_v8i a = {0};
    for (int h = h0; h < h1; h++)
        for (int w = w0; w < w0 + k; w++) {
            layer_v8 v;
            layer_even8(&v, x + (size_t)h * W + w);
            layer_v8i i = h * W + w + (layer_v8i){0, 2, 4, 6, 8, 10, 12, 14};
            if (h == h0 && w == w0) {
                m = v;
                a = i;
                continue;
            }
            layer_v8i gt = v > m;
            a = (gt & i) | (~gt & a);
            m = (layer_v8)(((layer_v8i)v & gt) | ((layer_v8i)m & ~gt));
        }
    memcpy(y, &m, sizeof m);
    memcpy(arg, &a, sizeof a);
}

DLC_HOT
static void maxpool_2d(float *restrict y, int32_t *restrict arg, const float *restrict x,
                       const layer_geom *geo)
{
    const int H = geo->in[1], W = geo->in[2], OH = geo->out[1], OW = geo->out[2];
    const int k = geo->k[2], lo = geo->lo[2];
    /* stride 2: the outputs whose windows lie inside the row, eight at a
     * time while the next output's window does too (so each load's 16
     * floats are in the row) */
    int v0 = OW, v1 = OW;
    if (geo->s[2] == 2) {
        v0 = (lo + 1) / 2;
        v1 = W - k + lo >= 0 ? (W - k + lo) / 2 + 1 : 0;
        v1 = v1 < OW ? v1 : OW;
        v0 = v0 < v1 ? v0 : v1;
    }
    for (int oh = 0; oh < OH; oh++) {
        int h0 = oh * geo->s[1] - geo->lo[1], h1 = h0 + geo->k[1];
        h0 = h0 > 0 ? h0 : 0;
        h1 = h1 < H ? h1 : H;
        for (int ow = 0; ow < OW; ow++) {
            if (ow >= v0 && ow + 8 < v1) {
                maxpool_s2_x8(y + (size_t)oh * OW + ow, arg + (size_t)oh * OW + ow, x, W, h0, h1,
                              2 * ow - lo, k);
                ow += 7;
                continue;
            }
            int w0 = ow * geo->s[2] - geo->lo[2], w1 = w0 + geo->k[2];
            w0 = w0 > 0 ? w0 : 0;
            w1 = w1 < W ? w1 : W;
            int32_t a = h0 * W + w0;
            float m = x[a];
            for (int h = h0; h < h1; h++)
                for (int w = w0; w < w1; w++) {
                    int32_t i = h * W + w;
                    float v = x[i];
                    a = v > m ? i : a;
                    m = v > m ? v : m;
                }
            y[(size_t)oh * OW + ow] = m;
            arg[(size_t)oh * OW + ow] = a;
        }
    }
}

/* ---- running a pass over the maps [r0, r1) of a batch, on the workers ---- */

typedef struct {
    graph *g;
    graph_node *n;
    layer_geom geo;
    size_t r0, r1; /* (sample, channel) maps of this part */
} pool_rows;

typedef void (*pool_pass)(pool_rows *p);

typedef struct {
    pool_pass pass;
    pool_rows all;
} pool_task;

static void pool_part(void *ctx, int i, int parts)
{
    const pool_task *t = ctx;
    pool_rows p = t->all;
    tensor_part_range(t->all.r1, 1, i, parts, &p.r0, &p.r1);
    if (p.r0 < p.r1)
        t->pass(&p);
}

/* Below this many input values a pass is not worth waking the workers. */
#define POOL_PARALLEL_MIN 32768

static void pool_run(pool_pass pass, graph *g, graph_node *n, int N)
{
    pool_task t = {pass, {g, n, {0}, 0, (size_t)N}};
    layer_geom_of(&t.all.geo, g, n);
    t.all.r1 *= (size_t)t.all.geo.C;
    if (t.all.r1 * t.all.geo.I < POOL_PARALLEL_MIN || tensor_pool_threads() < 2)
        pass(&t.all);
    else
        tensor_parallel(pool_part, &t);
}

static void maxpool_forward_rows(pool_rows *p)
{
    const layer_geom geo = p->geo;
    const graph_node *x = graph_in(p->g, p->n, 0), *n = p->n;
    int32_t *arg = (int32_t *)(void *)n->aux; /* (N, C, P) */
    const int fast = pool_is_2x2(&geo), flat = pool_is_2d(&geo);
    for (size_t r = p->r0; r < p->r1; r++) {
        const float *xc = x->out + r * geo.I;
        float *yc = n->out + r * geo.P;
        int32_t *ac = arg + r * geo.P;
        if (fast) {
            maxpool_2x2(yc, ac, xc, &geo);
            continue;
        }
        if (flat) {
            maxpool_2d(yc, ac, xc, &geo);
            continue;
        }
        float m = 0;
        int32_t a = 0;
        POOL_LOOP(&geo, (m = -FLT_MAX, a = -1),
                  if (a < 0 || xc[i_] > m) {
                      m = xc[i_];
                      a = (int32_t)i_;
                  },
                  (yc[o_] = a < 0 ? 0.0f : m, ac[o_] = a)); /* a dilated window may miss the input */
    }
}

void maxpool_forward(graph *g, graph_node *n, int N)
{
    pool_run(maxpool_forward_rows, g, n, N);
}

/* dx of one 2x2 map when this layer is dx's only consumer: every input
 * position is written (dy at the winner, 0 elsewhere), so dx needs no
 * clearing first. */
static void maxpool_2x2_assign(float *restrict dx, const float *restrict dy,
                               const int32_t *restrict arg, const layer_geom *geo)
{
    const int H = geo->in[1], W = geo->in[2], OH = geo->out[1], OW = geo->out[2];
    for (int oh = 0; oh < OH; oh++) {
        float *r0 = dx + (size_t)(2 * oh) * W, *r1 = r0 + W;
        for (int ow = 0; ow < OW; ow++) {
            r0[2 * ow] = r0[2 * ow + 1] = r1[2 * ow] = r1[2 * ow + 1] = 0.0f;
            dx[arg[(size_t)oh * OW + ow]] = dy[(size_t)oh * OW + ow];
        }
        for (int w = 2 * OW; w < W; w++) /* an odd last column */
            r0[w] = r1[w] = 0.0f;
    }
    for (int h = 2 * OH; h < H; h++) /* an odd last row */
        memset(dx + (size_t)h * W, 0, sizeof(float) * (size_t)W);
}

static void maxpool_backward_rows(pool_rows *p)
{
    const layer_geom geo = p->geo;
    const graph_node *n = p->n;
    graph_node *x = graph_in(p->g, p->n, 0);
    const int assign = graph_assigns_grad(p->g, n, 0); /* the first to write dx: it was not cleared */
    const int fast = assign && pool_is_2x2(&geo);
    const int32_t *arg = (const int32_t *)(const void *)n->aux;
    for (size_t r = p->r0; r < p->r1; r++) {
        float *dx = x->grad + r * geo.I;
        const float *dy = n->grad + r * geo.P;
        const int32_t *ac = arg + r * geo.P;
        if (fast) {
            maxpool_2x2_assign(dx, dy, ac, &geo);
            continue;
        }
        if (assign)
            memset(dx, 0, sizeof(float) * geo.I);
        for (size_t o = 0; o < geo.P; o++)
            if (ac[o] >= 0)
                dx[ac[o]] += dy[o];
    }
}

/* dy goes to each window's winner (aux); time_maxpool keeps its winning
 * steps there too */
void maxpool_saves(const graph *g, const graph_node *n, graph_saves *s)
{
    s->aux = 1;
}

void maxpool_backward(graph *g, graph_node *n, int N)
{
    if (graph_wants_grad(g, n, 0))
        pool_run(maxpool_backward_rows, g, n, N);
}

/* Positions of output (od, oh, ow)'s window that lie inside the input, or
 * with padded inside the padded input [-lo, in + hi) (at least one: padding
 * is at most half the kernel, and a ceil_mode window starts inside). */
static int window_inside(const layer_geom *g, int padded, int od, int oh, int ow)
{
    const int o[3] = {od, oh, ow};
    int n = 1;
    for (int a = 0; a < 3; a++) {
        int start = o[a] * g->s[a] - g->lo[a], end = start + g->k[a];
        int lo = padded ? -g->lo[a] : 0, hi = padded ? g->in[a] + g->hi[a] : g->in[a];
        n *= (end < hi ? end : hi) - (start > lo ? start : lo);
    }
    return n;
}

/* 1 / the divisor of output (od, oh, ow): the whole window (count_include_pad
 * without ceil_mode), else its positions inside the (padded) input */
static float window_inv(const layer_geom *g, int whole, int ceil_mode, int od, int oh, int ow)
{
    if (whole && !ceil_mode)
        return 1.0f / (float)g->K;
    return 1.0f / (float)window_inside(g, whole, od, oh, ow);
}

static void avgpool_forward_rows(pool_rows *p)
{
    const layer_geom geo = p->geo;
    const graph_node *x = graph_in(p->g, p->n, 0);
    const int whole = p->n->spec.count_include_pad, ceil_mode = p->n->spec.ceil_mode;
    for (size_t r = p->r0; r < p->r1; r++) {
        const float *xc = x->out + r * geo.I;
        float *yc = p->n->out + r * geo.P;
        float s = 0;
        POOL_LOOP(&geo, s = 0, s += xc[i_], yc[o_] = s * window_inv(&geo, whole, ceil_mode, od, oh, ow));
    }
}

void avgpool_forward(graph *g, graph_node *n, int N)
{
    pool_run(avgpool_forward_rows, g, n, N);
}

static void avgpool_backward_rows(pool_rows *p)
{
    const layer_geom geo = p->geo;
    graph_node *x = graph_in(p->g, p->n, 0);
    const int whole = p->n->spec.count_include_pad, ceil_mode = p->n->spec.ceil_mode;
    for (size_t r = p->r0; r < p->r1; r++) {
        float *dx = x->grad + r * geo.I;
        const float *dy = p->n->grad + r * geo.P;
        float d = 0;
        POOL_LOOP(&geo, d = dy[o_] * window_inv(&geo, whole, ceil_mode, od, oh, ow), dx[i_] += d, (void)0);
    }
}

void avgpool_backward(graph *g, graph_node *n, int N)
{
    if (graph_wants_grad(g, n, 0))
        pool_run(avgpool_backward_rows, g, n, N);
}

/* ---- global average pooling: (C, ...) -> (C) ---- */

dlc_status global_avgpool_build(graph *g, graph_node *n, dlc_error *err)
{
    const graph_node *x = graph_in(g, n, 0);
    char shape[64];
    if (x->shape.ndim < 2)
        return layer_fail(n, err, "needs an input of (channels, spatial axes...), got %s",
                          tensor_shape_str(&x->shape, shape, sizeof shape));
    if (x->seq) {
        char what[96];
        snprintf(what, sizeof what, "average the features of each step, giving (%d) instead of (%d)",
                 x->shape.d[0], x->shape.d[1]);
        return layer_refuse_seq(n, x, what,
                                "for the mean of each feature over the steps (Keras's "
                                "GlobalAveragePooling1D) use time_avgpool, which skips the padding",
                                err);
    }
    n->shape.ndim = 1;
    n->shape.d[0] = x->shape.d[0];
    return DLC_OK;
}

void global_avgpool_forward(graph *g, graph_node *n, int N)
{
    const graph_node *x = graph_in(g, n, 0);
    size_t S = x->size / n->size;
    for (size_t r = 0; r < (size_t)N * n->size; r++) {
        const float *xc = x->out + r * S;
        double s = 0;
        for (size_t i = 0; i < S; i++)
            s += xc[i];
        n->out[r] = (float)(s / (double)S);
    }
}

void global_avgpool_backward(graph *g, graph_node *n, int N)
{
    if (!graph_wants_grad(g, n, 0))
        return;
    graph_node *x = graph_in(g, n, 0);
    size_t S = x->size / n->size;
    for (size_t r = 0; r < (size_t)N * n->size; r++) {
        float d = n->grad[r] / (float)S;
        float *dx = x->grad + r * S;
        for (size_t i = 0; i < S; i++)
            dx[i] += d;
    }
}

/* ---- pooling over time: (T, C) -> (C) ----
 * For sequences laid out steps first, as the embedding and recurrent layers
 * give them (Keras' GlobalAveragePooling1D / GlobalMaxPooling1D with a
 * mask).  When the input carries padding (graph_node.seq and recorded
 * lengths), only a sample's valid steps count: the mean divides by its
 * length and the max never picks a padded step.  A sample with no valid
 * step gives zeros.  Max pooling keeps each output's winning step in aux
 * (int32) for backward. */

static dlc_status time_pool_build(graph *g, graph_node *n, dlc_error *err)
{
    const graph_node *x = graph_in(g, n, 0);
    char shape[64];
    if (x->shape.ndim != 2)
        return layer_fail(n, err,
                          "needs an input of (steps, features), as an embedding or a recurrent "
                          "layer with return_sequences gives; got %s",
                          tensor_shape_str(&x->shape, shape, sizeof shape));
    n->shape.ndim = 1;
    n->shape.d[0] = x->shape.d[1];
    return DLC_OK;
}

dlc_status time_avgpool_build(graph *g, graph_node *n, dlc_error *err)
{
    return time_pool_build(g, n, err);
}

dlc_status time_maxpool_build(graph *g, graph_node *n, dlc_error *err)
{
    dlc_status st = time_pool_build(g, n, err);
    n->aux_per_sample = n->shape.d[0]; /* winning steps, int32 */
    return st;
}

void time_avgpool_forward(graph *g, graph_node *n, int N)
{
    const graph_node *x = graph_in(g, n, 0);
    const size_t C = n->size;
    for (int i = 0; i < N; i++) {
        const int L = layer_seq_len(g, x, i);
        const float *xi = x->out + (size_t)i * x->size;
        float *y = n->out + (size_t)i * C;
        memset(y, 0, sizeof(float) * C);
        for (int t = 0; t < L; t++)
            for (size_t c = 0; c < C; c++)
                y[c] += xi[(size_t)t * C + c];
        const float inv = L > 0 ? 1.0f / (float)L : 0.0f;
        for (size_t c = 0; c < C; c++)
            y[c] *= inv;
    }
}

void time_avgpool_backward(graph *g, graph_node *n, int N)
{
    if (!graph_wants_grad(g, n, 0))
        return;
    graph_node *x = graph_in(g, n, 0);
    const size_t C = n->size;
    for (int i = 0; i < N; i++) {
        const int L = layer_seq_len(g, x, i);
        if (L == 0)
            continue;
        const float inv = 1.0f / (float)L;
        const float *dy = n->grad + (size_t)i * C;
        float *dx = x->grad + (size_t)i * x->size;
        for (int t = 0; t < L; t++)
            for (size_t c = 0; c < C; c++)
                dx[(size_t)t * C + c] += dy[c] * inv;
    }
}

void time_maxpool_forward(graph *g, graph_node *n, int N)
{
    const graph_node *x = graph_in(g, n, 0);
    const size_t C = n->size;
    int32_t *arg = (int32_t *)(void *)n->aux; /* (N, C) */
    for (int i = 0; i < N; i++) {
        const int L = layer_seq_len(g, x, i);
        const float *xi = x->out + (size_t)i * x->size;
        float *y = n->out + (size_t)i * C;
        int32_t *a = arg + (size_t)i * C;
        for (size_t c = 0; c < C; c++) {
            y[c] = L > 0 ? xi[c] : 0.0f;
            a[c] = L > 0 ? 0 : -1;
        }
        for (int t = 1; t < L; t++)
            for (size_t c = 0; c < C; c++) {
                float v = xi[(size_t)t * C + c];
                a[c] = v > y[c] ? t : a[c];
                y[c] = v > y[c] ? v : y[c];
            }
    }
}

void time_maxpool_backward(graph *g, graph_node *n, int N)
{
    if (!graph_wants_grad(g, n, 0))
        return;
    graph_node *x = graph_in(g, n, 0);
    const size_t C = n->size;
    const int32_t *arg = (const int32_t *)(const void *)n->aux;
    for (int i = 0; i < N; i++) {
        const float *dy = n->grad + (size_t)i * C;
        const int32_t *a = arg + (size_t)i * C;
        float *dx = x->grad + (size_t)i * x->size;
        for (size_t c = 0; c < C; c++)
            if (a[c] >= 0)
                dx[(size_t)a[c] * C + c] += dy[c];
    }
}
