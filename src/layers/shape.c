/* shape.c - layers that only move data: input, flatten, reshape, activation
 * (the activation itself is applied by the graph), add, concat,
 * channel_shuffle, upsample (nearest and bilinear), pixel_shuffle, pixel_unshuffle. */
#include <stdio.h>
#include <string.h>

#include "layers.h"

/* ---- input: the caller fills out ---- */
dlc_status input_build(graph *g, graph_node *n, dlc_error *err)
{
    return DLC_OK;
}

void input_forward(graph *g, graph_node *n, int N)
{
}

void input_backward(graph *g, graph_node *n, int N)
{
}

/* ---- identity copies: flatten, reshape, activation, split ----
 * In place when the memory plan gives y its input's memory (graph_op.in_place):
 * then there is nothing to copy, and dy is already dx. */
void identity_forward(graph *g, graph_node *n, int N)
{
    const graph_node *x = graph_in(g, n, 0);
    if (n->out != x->out)
        memcpy(n->out, x->out, sizeof(float) * (size_t)N * n->size);
}

void identity_backward(graph *g, graph_node *n, int N)
{
    graph_node *x = graph_in(g, n, 0);
    if (graph_wants_grad(g, n, 0) && x->grad != n->grad)
        tensor_axpy(x->grad, 1.0f, n->grad, (size_t)N * n->size);
}

/* Backward reads nothing but dy (the graph's activation reads y itself). */
void saves_nothing(const graph *g, const graph_node *n, graph_saves *s)
{
}

dlc_status flatten_build(graph *g, graph_node *n, dlc_error *err)
{
    const graph_node *x = graph_in(g, n, 0);
    n->shape.ndim = 1;
    n->shape.d[0] = (int)x->size;
    return DLC_OK;
}


dlc_status reshape_build(graph *g, graph_node *n, dlc_error *err)
{
    const graph_node *x = graph_in(g, n, 0);
    const layer_spec *s = &n->spec;
    if (s->target_ndim < 1 || s->target_ndim > TENSOR_MAX_DIMS)
        return layer_fail(n, err, "shape must have 1 to %d entries", TENSOR_MAX_DIMS);
    size_t known = 1;
    int free_axis = -1;
    for (int i = 0; i < s->target_ndim; i++) {
        if (s->target[i] == -1 && free_axis < 0)
            free_axis = i;
        else if (s->target[i] >= 1)
            known *= (size_t)s->target[i];
        else
            return layer_fail(n, err, "shape entries must be positive (one may be -1)");
    }
    n->shape.ndim = s->target_ndim;
    for (int i = 0; i < s->target_ndim; i++)
        n->shape.d[i] = s->target[i];
    if (free_axis >= 0) {
        if (x->size % known)
            return layer_fail(n, err, "cannot reshape %zu values: not a multiple of %zu", x->size, known);
        n->shape.d[free_axis] = (int)(x->size / known);
    }
    if (tensor_shape_size(&n->shape) != x->size) {
        char a[64], b[64];
        return layer_fail(n, err, "cannot reshape %s (%zu values) from '%s' to %s",
                          tensor_shape_str(&x->shape, a, sizeof a), x->size, x->spec.name,
                          tensor_shape_str(&n->shape, b, sizeof b));
    }
    return DLC_OK;
}


dlc_status activation_build(graph *g, graph_node *n, dlc_error *err)
{
    n->shape = graph_in(g, n, 0)->shape;
    n->seq = graph_in(g, n, 0)->seq;
    return DLC_OK;
}


/* ---- add: y = x0 + x1 + ... (residual connections) ----
 * With a ReLU or leaky ReLU (its own activation, or the ReLU node after it
 * that graph_build folded in: graph_op.in_place_sum) applied in the same
 * pass, and its derivative applied to dy while dy is handed to the inputs.
 * The plan may give y one input's memory and dy one input's gradient's
 * (graph_op.in_place_sum): that input is then neither read again nor
 * written. */
dlc_status add_build(graph *g, graph_node *n, dlc_error *err)
{
    if (n->spec.activation == ACT_RELU || n->spec.activation == ACT_LEAKY_RELU) {
        n->act_fused = 1;
        n->act_slope = n->spec.activation == ACT_RELU ? 0.0f : n->spec.alpha;
    }
    return layer_same_shape_inputs(g, n, err);
}

void add_saves(const graph *g, const graph_node *n, graph_saves *s)
{
    s->out = n->act_fused; /* the ReLU's derivative, from y's sign */
}

/* A forward or backward pass over the (N, size) values, split over the
 * worker threads when it is large (a residual add of a big map), and
 * worked in blocks that stay in the cache between the steps of a pass. */
typedef struct {
    graph *g;
    graph_node *n;
    size_t len;
    int backward;
} add_job;

enum { ADD_BLOCK = 2048 };

/* v <- y > 0 ? v : slope v (y may be v) */
static void add_relu(float *v, const float *y, size_t len, float slope)
{
    for (size_t i = 0; i < len; i++) {
        float d = v[i], l = slope * d;
        v[i] = y[i] > 0.0f ? d : l;
    }
}

static void add_block_backward(graph *g, graph_node *n, size_t lo, size_t len)
{
    float *dz = n->grad + lo;
    if (n->act_fused)
        add_relu(dz, n->out + lo, len, n->act_slope);
    for (int k = 0; k < n->n_in; k++) {
        graph_node *x = graph_in(g, n, k);
        if (!graph_wants_grad(g, n, k) || x->grad == n->grad) /* in place: dz is its gradient */
            continue;
        if (graph_assigns_grad(g, n, k)) /* the first to write dx: it was not cleared */
            memcpy(x->grad + lo, dz, sizeof(float) * len);
        else
            tensor_axpy(x->grad + lo, 1.0f, dz, len);
    }
}

static void add_block_forward(graph *g, graph_node *n, size_t lo, size_t len)
{
    /* the first two inputs in one pass (y may be either: the plan puts it
     * on no other), then any others */
    float *y = n->out + lo;
    const float *a = graph_in(g, n, 0)->out + lo, *b = graph_in(g, n, 1)->out + lo;
    for (size_t i = 0; i < len; i++)
        y[i] = a[i] + b[i];
    for (int k = 2; k < n->n_in; k++)
        tensor_axpy(y, 1.0f, graph_in(g, n, k)->out + lo, len);
    if (n->act_fused)
        add_relu(y, y, len, n->act_slope);
}

static void add_part(void *ctx, int part, int parts)
{
    const add_job *j = ctx;
    size_t lo, hi;
    tensor_part_range(j->len, 16, part, parts, &lo, &hi);
    for (size_t b = lo; b < hi; b += ADD_BLOCK) {
        size_t len = hi - b < ADD_BLOCK ? hi - b : ADD_BLOCK;
        if (j->backward)
            add_block_backward(j->g, j->n, b, len);
        else
            add_block_forward(j->g, j->n, b, len);
    }
}

static void add_run(graph *g, graph_node *n, int N, int backward)
{
    add_job j = {g, n, (size_t)N * n->size, backward};
    if (j.len >= (1u << 15))
        tensor_parallel(add_part, &j);
    else
        add_part(&j, 0, 1);
}

void add_forward(graph *g, graph_node *n, int N)
{
    add_run(g, n, N, 0);
}

void add_backward(graph *g, graph_node *n, int N)
{
    add_run(g, n, N, 1);
}

/* ---- concat along `axis` of the per-sample shape (channels: axis 0) ----
 * Each sample is viewed as (outer, axis length, inner).  Sequences (T, D)
 * joined along their features (axis 1) stay a sequence, so pooling over
 * time and recurrent layers after the join still skip the padding (Keras's
 * Concatenate(axis=-1) keeps the mask).  Joined along time (axis 0) they
 * are not one any more: the first input's padding lies between the steps,
 * as the bilm task lays out its two directions' predictions (like a
 * reshape, the layout is then the model's to know). */
dlc_status concat_build(graph *g, graph_node *n, dlc_error *err)
{
    const graph_node *x0 = graph_in(g, n, 0);
    int axis = n->spec.axis;
    if (axis < 0 || axis >= x0->shape.ndim)
        return layer_fail(n, err, "axis %d is outside the %d axes of its inputs (the example's axes, channels "
                          "first: axis 0 joins the channels of (C, H, W) maps, Keras' axis=-1 or 3 of "
                          "channels-last ones)", axis, x0->shape.ndim);
    n->shape = x0->shape;
    n->seq = 0;
    for (int k = 0; k < n->n_in && axis > 0; k++)
        n->seq |= graph_in(g, n, k)->seq;
    for (int k = 1; k < n->n_in; k++) {
        const graph_node *xk = graph_in(g, n, k);
        int ok = xk->shape.ndim == x0->shape.ndim;
        for (int i = 0; ok && i < x0->shape.ndim; i++)
            if (i != axis && xk->shape.d[i] != x0->shape.d[i])
                ok = 0;
        if (!ok) {
            char a[64], b[64], hint[400];
            layer_fit_hint(hint, sizeof hint, x0, xk, axis);
            return layer_fail(n, err, "inputs must agree on every axis but %d: '%s' is %s, '%s' is %s%s",
                              axis, x0->spec.name, tensor_shape_str(&x0->shape, a, sizeof a),
                              xk->spec.name, tensor_shape_str(&xk->shape, b, sizeof b), hint);
        }
        n->shape.d[axis] += xk->shape.d[axis];
    }
    return DLC_OK;
}

void concat_forward(graph *g, graph_node *n, int N)
{
    size_t outer, inner;
    layer_axis_geometry(&n->shape, n->spec.axis, &outer, &inner);
    size_t rows = (size_t)N * outer, out_row = (size_t)n->shape.d[n->spec.axis] * inner;
    size_t at = 0;
    for (int k = 0; k < n->n_in; k++) {
        const graph_node *x = graph_in(g, n, k);
        size_t len = (size_t)x->shape.d[n->spec.axis] * inner;
        for (size_t r = 0; r < rows; r++)
            memcpy(n->out + r * out_row + at, x->out + r * len, sizeof(float) * len);
        at += len;
    }
}

void concat_backward(graph *g, graph_node *n, int N)
{
    size_t outer, inner;
    layer_axis_geometry(&n->shape, n->spec.axis, &outer, &inner);
    size_t rows = (size_t)N * outer, out_row = (size_t)n->shape.d[n->spec.axis] * inner;
    size_t at = 0;
    for (int k = 0; k < n->n_in; k++) {
        graph_node *x = graph_in(g, n, k);
        size_t len = (size_t)x->shape.d[n->spec.axis] * inner;
        if (graph_wants_grad(g, n, k))
            for (size_t r = 0; r < rows; r++)
                tensor_axpy(x->grad + r * len, 1.0f, n->grad + r * out_row + at, len);
        at += len;
    }
}

/* ---- channel_shuffle: ShuffleNet's mixing of grouped convolutions' channels ----
 * x (N, C, S...) seen as (N, G, K, S) with K = C / G  ->  y (N, K, G, S):
 * output channel j*G + i is input channel i*K + j (PyTorch's
 * x.view(N, G, K, H, W).transpose(1, 2).reshape(N, C, H, W)).  Backward sends
 * each dy channel back to the channel it came from. */
dlc_status channel_shuffle_build(graph *g, graph_node *n, dlc_error *err)
{
    const graph_node *x = graph_in(g, n, 0);
    char shape[64];
    if (x->seq)
        return layer_fail(n, err, "its input '%s' is a sequence; channel_shuffle takes a map "
                                  "(channels, ...)", x->spec.name);
    int G = n->spec.groups, C = x->shape.d[0];
    if (G < 1 || C % G)
        return layer_fail(n, err, "groups %d does not divide the %d channels of '%s' %s", G, C,
                          x->spec.name, tensor_shape_str(&x->shape, shape, sizeof shape));
    n->shape = x->shape;
    return DLC_OK;
}

/* The channel geometry: G groups of K channels of S values each. */
static void shuffle_dims(graph *g, const graph_node *n, int *G, int *K, size_t *S)
{
    const graph_node *x = graph_in(g, n, 0);
    *G = n->spec.groups;
    *K = x->shape.d[0] / *G;
    *S = x->size / (size_t)x->shape.d[0];
}

void channel_shuffle_forward(graph *g, graph_node *n, int N)
{
    const graph_node *x = graph_in(g, n, 0);
    int G, K;
    size_t S;
    shuffle_dims(g, n, &G, &K, &S);
    for (int b = 0; b < N; b++) {
        const float *xb = x->out + (size_t)b * n->size; /* (G, K, S) */
        float *yb = n->out + (size_t)b * n->size;       /* (K, G, S) */
        for (int i = 0; i < G; i++)
            for (int j = 0; j < K; j++)
                memcpy(yb + ((size_t)j * G + i) * S, xb + ((size_t)i * K + j) * S, sizeof(float) * S);
    }
}

void channel_shuffle_backward(graph *g, graph_node *n, int N)
{
    if (!graph_wants_grad(g, n, 0))
        return;
    graph_node *x = graph_in(g, n, 0);
    int G, K;
    size_t S;
    shuffle_dims(g, n, &G, &K, &S);
    for (int b = 0; b < N; b++) {
        float *dx = x->grad + (size_t)b * n->size;
        const float *dy = n->grad + (size_t)b * n->size;
        for (int i = 0; i < G; i++)
            for (int j = 0; j < K; j++)
                tensor_axpy(dx + ((size_t)i * K + j) * S, 1.0f, dy + ((size_t)j * G + i) * S, S);
    }
}

/* ---- upsample: enlargement of a map by whole factors ----
 * x (N, C, S...) -> y (N, C, S_i * f_i ...) with 1 to 3 spatial axes.
 * mode nearest: y[c, o] = x[c, floor(o / f)] along each axis (Keras'
 * UpSampling2D, PyTorch's nn.Upsample(scale_factor=f, mode='nearest'),
 * ONNX's Resize with mode nearest, coordinate_transformation_mode
 * asymmetric, nearest_mode floor).  Backward adds each block of
 * f_1 * ... * f_k dy values into the one input value they copy.
 * mode bilinear: linear along every spatial axis (PyTorch's 'linear',
 * 'bilinear', 'trilinear' by the map's axes; Keras' interpolation=
 * "bilinear"): output o sits at input coordinate (o + 0.5) / f - 0.5
 * (half-pixel centres, PyTorch's align_corners=False, ONNX's half_pixel),
 * or with align_corners at o (n - 1) / (n f - 1) (the corner pixels' centres
 * onto each other); clamped to [0, n - 1], it reads the two inputs around
 * it, weighted by the distance; backward adds dy back with those weights.
 * Shorter maps are lifted to 3-D, (D, H, W), with leading axes of size 1. */
const char *const graph_upsample_names[UPSAMPLE_MODE_COUNT + 1] = {"nearest", "bilinear", NULL};

dlc_status upsample_build(graph *g, graph_node *n, dlc_error *err)
{
    const graph_node *x = graph_in(g, n, 0);
    const layer_window *f = &n->spec.scale;
    char shape[64];
    int nsp = x->shape.ndim - 1;
    if (x->seq || nsp < 1 || nsp > GRAPH_MAX_SPATIAL)
        return layer_fail(n, err, "its input '%s' is %s%s; upsample takes a map (channels, 1 to 3 spatial "
                          "axes)%s", x->spec.name, x->seq ? "a sequence " : "",
                          tensor_shape_str(&x->shape, shape, sizeof shape),
                          nsp < 1 ? ": a vector has no axis to enlarge (reshape it to a map first)" : "");
    if (f->n != 1 && f->n != nsp)
        return layer_fail(n, err, "scale has %d entries but '%s' %s has %d spatial axes (give 1 or %d)", f->n,
                          x->spec.name, tensor_shape_str(&x->shape, shape, sizeof shape), nsp, nsp);
    if (n->spec.align_corners && n->spec.interp != UPSAMPLE_BILINEAR)
        return layer_fail(n, err, "align_corners: true with mode: %s (it places bilinear's samples; set mode: "
                          "bilinear, or drop align_corners)", graph_upsample_names[n->spec.interp]);
    n->shape = x->shape;
    for (int i = 0; i < nsp; i++) {
        long long o = (long long)x->shape.d[1 + i] * f->v[f->n == 1 ? 0 : i];
        if (o > 1 << 20)
            return layer_fail(n, err, "scale makes spatial axis %d %lld long (at most %d)", i + 1, o, 1 << 20);
        n->shape.d[1 + i] = (int)o;
    }
    return DLC_OK;
}

/* The geometry lifted to 3-D: input (D, H, W), factors, C channels. */
static void upsample_dims(graph *g, const graph_node *n, int in[3], int fac[3], int *C)
{
    const graph_node *x = graph_in(g, n, 0);
    int nsp = x->shape.ndim - 1;
    const layer_window *f = &n->spec.scale;
    for (int i = 0; i < 3; i++) {
        int a = i - (3 - nsp); /* the spatial axis, < 0: a lifted one */
        in[i] = a < 0 ? 1 : x->shape.d[1 + a];
        fac[i] = a < 0 ? 1 : f->v[f->n == 1 ? 0 : a];
    }
    *C = x->shape.d[0];
}

/* Along one axis of n inputs enlarged f times: output o reads inputs *i0 and
 * *i1 with weights 1 - *w and *w. */
static inline void upsample_taps(int o, int n, int f, int align, int *i0, int *i1, float *w)
{
    int out = n * f;
    double src = align ? (out > 1 ? (double)o * (n - 1) / (out - 1) : 0.0) : ((double)o + 0.5) / f - 0.5;
    if (src < 0.0)
        src = 0.0;
    int a = (int)src < n - 1 ? (int)src : n - 1;
    *i0 = a;
    *i1 = a < n - 1 ? a + 1 : a;
    *w = (float)(src - a);
}

/* The bilinear forward (dx NULL) or backward, plane by plane (N C planes) */
static void upsample_linear(float *y, const float *x, float *dx, const float *dy, const int in[3],
                            const int f[3], int align, size_t planes)
{
    const int OD = in[0] * f[0], OH = in[1] * f[1], OW = in[2] * f[2];
    const size_t I = (size_t)in[0] * in[1] * in[2], O = (size_t)OD * OH * OW;
    for (size_t p = 0; p < planes; p++) {
        for (int od = 0; od < OD; od++) {
            int d[2];
            float wd;
            upsample_taps(od, in[0], f[0], align, &d[0], &d[1], &wd);
            for (int oh = 0; oh < OH; oh++) {
                int h[2];
                float wh;
                upsample_taps(oh, in[1], f[1], align, &h[0], &h[1], &wh);
                size_t r[4]; /* the input rows (d, h) of the four corners, and their weights */
                float rw[4] = {(1 - wd) * (1 - wh), (1 - wd) * wh, wd * (1 - wh), wd * wh};
                for (int c = 0; c < 4; c++)
                    r[c] = p * I + ((size_t)d[c >> 1] * in[1] + (size_t)h[c & 1]) * in[2];
                size_t at = p * O + ((size_t)od * OH + (size_t)oh) * OW;
                for (int ow = 0; ow < OW; ow++) {
                    int w0, w1;
                    float ww;
                    upsample_taps(ow, in[2], f[2], align, &w0, &w1, &ww);
                    if (!dx) {
                        float v = 0.0f;
                        for (int c = 0; c < 4; c++)
                            v += rw[c] * ((1 - ww) * x[r[c] + (size_t)w0] + ww * x[r[c] + (size_t)w1]);
                        y[at + (size_t)ow] = v;
                        continue;
                    }
                    float g = dy[at + (size_t)ow];
                    for (int c = 0; c < 4; c++) {
                        dx[r[c] + (size_t)w0] += rw[c] * (1 - ww) * g;
                        dx[r[c] + (size_t)w1] += rw[c] * ww * g;
                    }
                }
            }
        }
    }
}

void upsample_forward(graph *g, graph_node *n, int N)
{
    const graph_node *x = graph_in(g, n, 0);
    int in[3], f[3], C;
    upsample_dims(g, n, in, f, &C);
    if (n->spec.interp == UPSAMPLE_BILINEAR) {
        upsample_linear(n->out, x->out, NULL, NULL, in, f, n->spec.align_corners, (size_t)N * C);
        return;
    }
    int OH = in[1] * f[1], OW = in[2] * f[2];
    for (size_t p = 0; p < (size_t)N * C; p++) { /* one plane (D, H, W) -> (OD, OH, OW) */
        const float *xp = x->out + p * x->size / (size_t)C;
        float *yp = n->out + p * n->size / (size_t)C;
        for (int od = 0; od < in[0] * f[0]; od++)
            for (int oh = 0; oh < OH; oh++) {
                const float *xr = xp + ((size_t)(od / f[0]) * in[1] + (size_t)(oh / f[1])) * in[2];
                float *yr = yp + ((size_t)od * OH + (size_t)oh) * OW;
                for (int ow = 0; ow < OW; ow++)
                    yr[ow] = xr[ow / f[2]];
            }
    }
}

void upsample_backward(graph *g, graph_node *n, int N)
{
    if (!graph_wants_grad(g, n, 0))
        return;
    graph_node *x = graph_in(g, n, 0);
    int in[3], f[3], C;
    upsample_dims(g, n, in, f, &C);
    if (n->spec.interp == UPSAMPLE_BILINEAR) {
        upsample_linear(NULL, NULL, x->grad, n->grad, in, f, n->spec.align_corners, (size_t)N * C);
        return;
    }
    int OH = in[1] * f[1], OW = in[2] * f[2];
    for (size_t p = 0; p < (size_t)N * C; p++) {
        float *dxp = x->grad + p * x->size / (size_t)C;
        const float *dyp = n->grad + p * n->size / (size_t)C;
        for (int od = 0; od < in[0] * f[0]; od++)
            for (int oh = 0; oh < OH; oh++) {
                float *dxr = dxp + ((size_t)(od / f[0]) * in[1] + (size_t)(oh / f[1])) * in[2];
                const float *dyr = dyp + ((size_t)od * OH + (size_t)oh) * OW;
                for (int ow = 0; ow < OW; ow++)
                    dxr[ow / f[2]] += dyr[ow];
            }
    }
}

/* ---- pixel_shuffle, pixel_unshuffle: channels to space and back ----
 * pixel_shuffle x (N, C r^2, H, W) -> y (N, C, H r, W r) (PyTorch's
 * nn.PixelShuffle(r), ESPCN's sub-pixel convolution; ONNX's DepthToSpace):
 *   y[c, h r + i, w r + j] = x[k(c, i, j), h, w]
 * with k = c r^2 + i r + j (order crd) or (i r + j) C + c (order dcr,
 * TensorFlow's depth_to_space); pixel_unshuffle is its inverse (PyTorch's
 * nn.PixelUnshuffle, ONNX's SpaceToDepth, which is dcr).  Each moves every
 * value once, so backward moves dy back (adding, as the input's other
 * consumers do). */
const char *const graph_shuffle_order_names[SHUFFLE_ORDER_COUNT + 1] = {"crd", "dcr", NULL};

/* big (C, H r, W r) <-> small (C r^2, H, W), one sample: to_big copies small
 * into big, else big into small; add: adds instead of copying. */
static void pixel_move(float *big, float *small, int C, int H, int W, int r, int dcr, int to_big, int add)
{
    const size_t BW = (size_t)W * r, BHW = (size_t)H * r * BW, HW = (size_t)H * W;
    for (int c = 0; c < C; c++)
        for (int i = 0; i < r; i++)
            for (int j = 0; j < r; j++) {
                size_t k = dcr ? ((size_t)i * r + j) * C + c : ((size_t)c * r + i) * r + j;
                float *s = small + k * HW;
                for (int h = 0; h < H; h++) {
                    float *b = big + c * BHW + ((size_t)h * r + i) * BW + j, *sr = s + (size_t)h * W;
                    for (int w = 0; w < W; w++) {
                        float *bv = b + (size_t)w * r;
                        if (to_big)
                            *bv = add ? *bv + sr[w] : sr[w];
                        else
                            sr[w] = add ? sr[w] + *bv : *bv;
                    }
                }
            }
}

/* r from scale: one value (or the same for both axes) of at least 1 */
static dlc_status pixel_scale(const graph_node *n, int *r, dlc_error *err)
{
    const layer_window *f = &n->spec.scale;
    if (f->n < 1 || f->n > 2 || (f->n == 2 && f->v[0] != f->v[1]))
        return layer_fail(n, err, "scale must be one number r (an r x r block per pixel), got %d values", f->n);
    *r = f->v[0];
    return DLC_OK;
}

static dlc_status pixel_input(const graph_node *n, const graph_node *x, dlc_error *err)
{
    char shape[64];
    if (x->seq || x->shape.ndim != 3)
        return layer_fail(n, err,
                          "its input '%s' is %s%s; %s takes a 2-D map (channels, height, width)%s", x->spec.name,
                          x->seq ? "a sequence " : "", tensor_shape_str(&x->shape, shape, sizeof shape),
                          n->spec.type,
                          x->shape.ndim == 2 ? " (a 1-D map (C, L): reshape it to (C, 1, L) first)"
                          : x->shape.ndim == 1 ? " (a vector: reshape it to a map first)"
                                               : "");
    return DLC_OK;
}

dlc_status pixel_shuffle_build(graph *g, graph_node *n, dlc_error *err)
{
    const graph_node *x = graph_in(g, n, 0);
    int r = 1;
    dlc_status st = pixel_input(n, x, err);
    if (st == DLC_OK)
        st = pixel_scale(n, &r, err);
    if (st != DLC_OK)
        return st;
    int C = x->shape.d[0], rr = r * r;
    if (C % rr) {
        int lo = C / rr * rr, hi = lo + rr;
        char either[48] = "";
        if (lo > 0)
            snprintf(either, sizeof either, "%d or ", lo);
        return layer_fail(n, err,
                          "its input '%s' has %d channels, not a multiple of scale^2 = %d (each output channel "
                          "takes %d of them into a %d x %d block); give '%s' %s%d channels, or change scale",
                          x->spec.name, C, rr, rr, r, r, x->spec.name, either, hi);
    }
    if ((long long)x->shape.d[1] * r > 1 << 20 || (long long)x->shape.d[2] * r > 1 << 20)
        return layer_fail(n, err, "scale %d makes the map larger than %d along an axis", r, 1 << 20);
    n->shape = x->shape;
    n->shape.d[0] = C / rr;
    n->shape.d[1] *= r;
    n->shape.d[2] *= r;
    return DLC_OK;
}

dlc_status pixel_unshuffle_build(graph *g, graph_node *n, dlc_error *err)
{
    const graph_node *x = graph_in(g, n, 0);
    int r = 1;
    char shape[64];
    dlc_status st = pixel_input(n, x, err);
    if (st == DLC_OK)
        st = pixel_scale(n, &r, err);
    if (st != DLC_OK)
        return st;
    if (x->shape.d[1] % r || x->shape.d[2] % r)
        return layer_fail(n, err,
                          "its input '%s' %s has a height or width that scale %d does not divide (each r x r "
                          "block becomes r^2 channels of one pixel)",
                          x->spec.name, tensor_shape_str(&x->shape, shape, sizeof shape), r);
    if ((long long)x->shape.d[0] * r * r > 1 << 20)
        return layer_fail(n, err, "scale %d makes more than %d channels", r, 1 << 20);
    n->shape = x->shape;
    n->shape.d[0] *= r * r;
    n->shape.d[1] /= r;
    n->shape.d[2] /= r;
    return DLC_OK;
}

/* the geometry of the small side (C r^2, H, W) as C, H, W, r */
static void pixel_dims(const graph_node *small, const graph_node *n, int *C, int *H, int *W, int *r)
{
    *r = n->spec.scale.v[0];
    *C = small->shape.d[0] / (*r * *r);
    *H = small->shape.d[1];
    *W = small->shape.d[2];
}

void pixel_shuffle_forward(graph *g, graph_node *n, int N)
{
    graph_node *x = graph_in(g, n, 0);
    int C, H, W, r;
    pixel_dims(x, n, &C, &H, &W, &r);
    for (int i = 0; i < N; i++)
        pixel_move(n->out + (size_t)i * n->size, x->out + (size_t)i * x->size, C, H, W, r,
                   n->spec.order == SHUFFLE_DCR, 1, 0);
}

void pixel_shuffle_backward(graph *g, graph_node *n, int N)
{
    if (!graph_wants_grad(g, n, 0))
        return;
    graph_node *x = graph_in(g, n, 0);
    int C, H, W, r;
    pixel_dims(x, n, &C, &H, &W, &r);
    for (int i = 0; i < N; i++)
        pixel_move(n->grad + (size_t)i * n->size, x->grad + (size_t)i * x->size, C, H, W, r,
                   n->spec.order == SHUFFLE_DCR, 0, 1);
}

void pixel_unshuffle_forward(graph *g, graph_node *n, int N)
{
    graph_node *x = graph_in(g, n, 0);
    int C, H, W, r;
    pixel_dims(n, n, &C, &H, &W, &r);
    for (int i = 0; i < N; i++)
        pixel_move(x->out + (size_t)i * x->size, n->out + (size_t)i * n->size, C, H, W, r,
                   n->spec.order == SHUFFLE_DCR, 0, 0);
}

void pixel_unshuffle_backward(graph *g, graph_node *n, int N)
{
    if (!graph_wants_grad(g, n, 0))
        return;
    graph_node *x = graph_in(g, n, 0);
    int C, H, W, r;
    pixel_dims(n, n, &C, &H, &W, &r);
    for (int i = 0; i < N; i++)
        pixel_move(x->grad + (size_t)i * x->size, n->grad + (size_t)i * n->size, C, H, W, r,
                   n->spec.order == SHUFFLE_DCR, 1, 1);
}
