/* conv.c - convolution over 1, 2 or 3 spatial axes, by im2col and one sgemm,
 * or for 3x3 stride-1 conv2d layers by Winograd's minimal filtering
 * (winograd.c; `algorithm:` and conv_algo_of say which).
 *
 *   x (N, C, D, H, W) -> y (N, F, OD, OH, OW)      (conv1d: (N, C, W), conv2d: (N, C, H, W))
 *   W (F, C, kd, kh, kw) and b (F), PyTorch's layout, so weights read the same.
 *
 * A chunk of n samples is unfolded into col (C*K, n*P): row (c, kd, kh, kw),
 * column (sample, output position).  Then
 *   forward   Y (F, n*P)   = W (F, C*K) col
 *   backward  dW (F, C*K) += dY (F, n*P) col^T,   dcol (C*K, n*P) = W^T dY,
 *             dx += col2im(dcol)
 * for a chunk of as many samples as fit CONV_CHUNK_FLOATS of scratch (at
 * least one: small layers batch several samples into one product, and split
 * a chunk's per-sample passes over the worker threads; large ones go one
 * sample at a time, straight into the output, each thread taking whole
 * samples with its own col, dW and db (conv_whole); a map of few positions
 * chunks samples enough for a wide product, CONV_NARROW_COLS).  Scratch is
 * sized when the graph is built, so nothing is allocated while running;
 * col is recomputed in backward instead of kept, which keeps a large
 * model's memory to its activations.  A following (leaky) ReLU is fused
 * into the copy out and the copy of dy in (graph_node.act_fused).  A 1x1
 * convolution with stride 1 and no padding (pointwise) has its input as its
 * col: its products read the input and write dx in place.
 *
 * Grouped convolution (`groups: G`, PyTorch's and ONNX's group; G = C is
 * depthwise, MobileNet's): W is (F, C/G, k...), and filters [g F/G, (g+1) F/G)
 * see channels [g C/G, (g+1) C/G) only, whose rows of col are contiguous, so
 * each product above is G products of one group's rows (conv_products).
 * A depthwise layer (groups = C: each filter sees one channel) is a sum of K
 * shifted rows, which its products (one row of W against K rows of col) ran
 * at a few percent of the machine: it runs directly (conv_depthwise: no col,
 * the taps added row by row, threads taking whole channels); other grouped
 * layers run im2col. */
#include <string.h>

#include "winograd.h"

const char *const graph_conv_algo_names[CONV_ALGO_COUNT + 1] = {"auto", "im2col", "winograd_2x2",
                                                                 "winograd_4x4", NULL};

/* Scratch per chunk: small enough that col and the product stay in cache
 * between the unfolding, the product and the copy out (memory bandwidth,
 * not arithmetic, is what a chunk of many samples ran into), large enough
 * for the products of small layers to stay efficient. */
enum { CONV_CHUNK_FLOATS = 64 << 10 };

/* A layer whose output map has fewer than CONV_NARROW_P positions (7x7 and
 * below) would run products of that few columns a sample, which the sgemm
 * kernels run slowly (oneDNN, one thread: 512 x 49 x 2048 at 178 GFLOP/s,
 * 512 x 392 x 2048 at 243; the transposed 2048 x 49 x 512 at 127 and 201),
 * so it puts samples enough for CONV_NARROW_COLS columns in one chunk, and
 * its products are split over the threads by rows instead of by sample. */
enum { CONV_NARROW_P = 128, CONV_NARROW_COLS = 384 };

/* ---- geometry (shared with pool.c) ---- */

static int op_spatial(int op, int in_ndim)
{
    switch (op) {
    case OP_CONV1D:
        return 1;
    case OP_CONV2D:
        return 2;
    case OP_CONV3D:
        return 3;
    default:
        return in_ndim - 1; /* pooling: every axis after the channels */
    }
}

/* The most positions a window's taps may span (kernel and dilation): the
 * config's bound on each, so padding and sizes stay within int. */
enum { WINDOW_SPAN_MAX = 1 << 20 };

static int window_at(const layer_window *w, int nsp, int i, int dflt)
{
    if (w->n == 0)
        return dflt;
    return w->n == 1 ? w->v[0] : w->v[i - (3 - nsp)];
}

dlc_status layer_geom_build(layer_geom *geo, const graph_node *n, const tensor_shape *x, int nsp,
                            int default_stride_is_kernel, dlc_error *err)
{
    const layer_spec *s = &n->spec;
    char shape[64];
    memset(geo, 0, sizeof *geo);
    if (nsp < 1 || nsp > 3 || x->ndim != nsp + 1)
        return layer_fail(n, err, "needs an input of %s, got %s",
                          nsp == 1   ? "(channels, length)"
                          : nsp == 2 ? "(channels, height, width)"
                          : nsp == 3 ? "(channels, depth, height, width)"
                                     : "(channels, 1 to 3 spatial axes)",
                          tensor_shape_str(x, shape, sizeof shape));
    const layer_window *ws[4] = {&s->kernel, &s->stride, &s->pad, &s->dilation};
    const char *names[4] = {"kernel", "stride", "pad", "dilation"};
    for (int q = 0; q < 4; q++) {
        if (ws[q]->n > 1 && ws[q]->n != nsp)
            return layer_fail(n, err, "%s has %d entries but the layer has %d spatial axes (give 1 or %d)",
                              names[q], ws[q]->n, nsp, nsp);
        if (q == 2 && s->padding != PAD_EXPLICIT)
            continue;
        for (int i = 0; i < ws[q]->n; i++)
            if (ws[q]->v[i] < (q == 2 ? 0 : 1))
                return layer_fail(n, err, "%s must be %s, got %d", names[q],
                                  q == 2 ? "0 or more" : "at least 1", ws[q]->v[i]);
    }
    if (s->kernel.n == 0)
        return layer_fail(n, err, "kernel is missing");
    geo->nsp = nsp;
    geo->C = x->d[0];
    geo->K = geo->P = geo->I = 1;
    for (int i = 0; i < 3; i++) {
        int real = i >= 3 - nsp;
        int nin = real ? x->d[1 + i - (3 - nsp)] : 1;
        int k = real ? window_at(&s->kernel, nsp, i, 1) : 1;
        int st = real ? window_at(&s->stride, nsp, i, default_stride_is_kernel ? k : 1) : 1;
        int d = real ? window_at(&s->dilation, nsp, i, 1) : 1;
        long kd = (long)d * (k - 1) + 1; /* the positions the taps span */
        int lo = 0, hi = 0, out;
        if (kd > WINDOW_SPAN_MAX)
            return layer_fail(n, err, "kernel %d with dilation %d spans %ld positions along spatial axis %d "
                                      "(at most %d)",
                              k, d, kd, i - (3 - nsp) + 1, WINDOW_SPAN_MAX);
        if (real && s->padding == PAD_SAME) {
            out = (nin + st - 1) / st;
            int total = (int)((out - 1) * st + kd - nin);
            if (total < 0)
                total = 0;
            lo = total / 2;
            hi = total - lo;
        } else if (real && s->padding == PAD_EXPLICIT) {
            lo = hi = window_at(&s->pad, nsp, i, 0);
        }
        long span = (long)nin + lo + hi - kd;
        out = span < 0 ? 0 : (int)(span / st + 1);
        if (span >= 0 && s->ceil_mode && span % st) /* pools: a last partial window */
            out += (long)out * st < (long)nin + lo; /* that starts inside the input or its left padding */
        if (out < 1)
            return layer_fail(n, err,
                              "output size floor((n + 2p - f) / s) + 1 = floor((%d + %d - %ld) / %d) + 1 "
                              "is less than 1 along spatial axis %d of input %s: the kernel is larger "
                              "than the padded input",
                              nin, lo + hi, kd, st, i - (3 - nsp) + 1,
                              tensor_shape_str(x, shape, sizeof shape));
        geo->in[i] = nin;
        geo->out[i] = out;
        geo->k[i] = k;
        geo->s[i] = st;
        geo->d[i] = d;
        geo->lo[i] = lo;
        geo->hi[i] = hi;
        geo->K *= (size_t)k;
        geo->P *= (size_t)out;
        geo->I *= (size_t)nin;
    }
    return DLC_OK;
}

void layer_geom_of(layer_geom *geo, graph *g, const graph_node *n)
{
    const graph_node *x = graph_in(g, n, 0);
    int op = n->spec.op;
    int conv = op == OP_CONV1D || op == OP_CONV2D || op == OP_CONV3D;
    dlc_status st = layer_geom_build(geo, n, &x->shape, op_spatial(op, x->shape.ndim), !conv, NULL);
    (void)st; /* checked when the graph was built */
}

/* ---- im2col / col2im over a lifted 3-D window ----
 * col rows are (c, kd, kh, kw); row r of sample j starts at col + r*ld + j*P. */

/* Output columns [ow0, ow1) whose input column ow * s + off lies inside
 * [0, W); the others read padding. */
static void inside_columns(const layer_geom *g, int off, int *ow0, int *ow1)
{
    int W = g->in[2], OW = g->out[2], sw = g->s[2];
    int a = off >= 0 ? 0 : (-off + sw - 1) / sw;
    int b = W - off <= 0 ? 0 : (W - off + sw - 1) / sw;
    if (b > OW)
        b = OW;
    *ow0 = a > b ? b : a;
    *ow1 = b;
}

/* dst[0, n) = src[0], src[2], ... src[2 (n - 1)]: eight at a time */
static inline void gather_even(float *restrict dst, const float *restrict src, int n)
{
    int i = 0;
    for (; i + 8 < n; i += 8) { /* + 8 < n: the 16th float lies inside */
        layer_v8 e;
        layer_even8(&e, src + 2 * i);
        memcpy(dst + i, &e, sizeof e);
    }
    for (; i < n; i++)
        dst[i] = src[2 * i];
}

/* dst[0], dst[2], ... dst[2 (n - 1)] += src[0, n): eight at a time, the odd
 * lanes between them added 0 (all 16 floats must be readable) */
static inline void scatter_add_even(float *restrict dst, const float *restrict src, int n)
{
    int i = 0;
    const layer_v8 zero = {0};
    for (; i + 8 < n; i += 8) {
        layer_v8 a, b, v;
        memcpy(&a, dst + 2 * i, sizeof a);
        memcpy(&b, dst + 2 * i + 8, sizeof b);
        memcpy(&v, src + i, sizeof v);
#ifdef __clang__
        a += __builtin_shufflevector(v, zero, 0, 8, 1, 8, 2, 8, 3, 8);
        b += __builtin_shufflevector(v, zero, 4, 8, 5, 8, 6, 8, 7, 8);
#else
        a += __builtin_shuffle(v, zero, (layer_v8i){0, 8, 1, 8, 2, 8, 3, 8});
        b += __builtin_shuffle(v, zero, (layer_v8i){4, 8, 5, 8, 6, 8, 7, 8});
#endif
        memcpy(dst + 2 * i, &a, sizeof a);
        memcpy(dst + 2 * i + 8, &b, sizeof b);
    }
    for (; i < n; i++)
        dst[2 * i] += src[i];
}

/* Output rows [oh0, oh1) of every output plane (a block of rows: a 2-D or
 * 1-D layer, OD 1; the whole map is 0, OH). */
DLC_HOT
static void im2col(float *restrict col, size_t ld, const float *restrict x, const layer_geom *g, int oh0,
                   int oh1)
{
    const int D = g->in[0], H = g->in[1], W = g->in[2];
    const int OD = g->out[0], OW = g->out[2];
    size_t r = 0;
    for (int c = 0; c < g->C; c++) {
        const float *xc = x + (size_t)c * g->I;
        for (int kd = 0; kd < g->k[0]; kd++)
            for (int kh = 0; kh < g->k[1]; kh++)
                for (int kw = 0; kw < g->k[2]; kw++, r++) {
                    float *dst = col + r * ld;
                    int sw = g->s[2], off = kw * g->d[2] - g->lo[2], ow0, ow1;
                    inside_columns(g, off, &ow0, &ow1);
                    for (int od = 0; od < OD; od++) {
                        int id = od * g->s[0] - g->lo[0] + kd * g->d[0];
                        for (int oh = oh0; oh < oh1; oh++, dst += OW) {
                            int ih = oh * g->s[1] - g->lo[1] + kh * g->d[1];
                            if (id < 0 || id >= D || ih < 0 || ih >= H) {
                                memset(dst, 0, sizeof(float) * (size_t)OW);
                                continue;
                            }
                            const float *src = xc + ((size_t)id * H + (size_t)ih) * W + off;
                            for (int ow = 0; ow < ow0; ow++)
                                dst[ow] = 0.0f;
                            if (sw == 1) {
                                memcpy(dst + ow0, src + ow0, sizeof(float) * (size_t)(ow1 - ow0));
                            } else if (sw == 2) {
                                gather_even(dst + ow0, src + 2 * (size_t)ow0, ow1 - ow0);
                            } else {
                                for (int ow = ow0; ow < ow1; ow++)
                                    dst[ow] = src[(size_t)ow * sw];
                            }
                            for (int ow = ow1; ow < OW; ow++)
                                dst[ow] = 0.0f;
                        }
                    }
                }
    }
}

DLC_HOT
static void col2im(float *restrict dx, const float *restrict col, size_t ld, const layer_geom *g)
{
    const int D = g->in[0], H = g->in[1], W = g->in[2];
    const int OD = g->out[0], OH = g->out[1], OW = g->out[2];
    size_t r = 0;
    for (int c = 0; c < g->C; c++) {
        float *xc = dx + (size_t)c * g->I;
        for (int kd = 0; kd < g->k[0]; kd++)
            for (int kh = 0; kh < g->k[1]; kh++)
                for (int kw = 0; kw < g->k[2]; kw++, r++) {
                    const float *src = col + r * ld;
                    int sw = g->s[2], off = kw * g->d[2] - g->lo[2], ow0, ow1;
                    inside_columns(g, off, &ow0, &ow1);
                    for (int od = 0; od < OD; od++) {
                        int id = od * g->s[0] - g->lo[0] + kd * g->d[0];
                        for (int oh = 0; oh < OH; oh++, src += OW) {
                            int ih = oh * g->s[1] - g->lo[1] + kh * g->d[1];
                            if (id < 0 || id >= D || ih < 0 || ih >= H)
                                continue;
                            float *dst = xc + ((size_t)id * H + (size_t)ih) * W + off;
                            if (sw == 1) {
                                for (int ow = ow0; ow < ow1; ow++)
                                    dst[ow] += src[ow];
                            } else if (sw == 2) {
                                scatter_add_even(dst + 2 * (size_t)ow0, src + ow0, ow1 - ow0);
                            } else {
                                for (int ow = ow0; ow < ow1; ow++)
                                    dst[(size_t)ow * sw] += src[ow];
                            }
                        }
                    }
                }
    }
}

/* ---- the layer ---- */

/* y = x + b, then (slope < 1) the leaky ReLU with that slope. */
DLC_HOT
static void bias_act_copy(float *restrict y, const float *restrict x, float b, float slope, int P)
{
    if (slope == 1.0f) {
        for (int p = 0; p < P; p++)
            y[p] = x[p] + b;
        return;
    }
    for (int p = 0; p < P; p++) {
        float v = x[p] + b, m = slope * v;
        y[p] = v > 0.0f ? v : m;
    }
}

/* y += b, then the leaky ReLU (slope < 1), in place */
DLC_HOT
static void bias_act_inplace(float *y, float b, float slope, int P)
{
    if (slope == 1.0f && b == 0.0f)
        return; /* no bias, no ReLU (a convolution before a batchnorm): no pass */
    if (slope == 1.0f) {
        for (int p = 0; p < P; p++)
            y[p] += b;
        return;
    }
    for (int p = 0; p < P; p++) {
        float v = y[p] + b, m = slope * v;
        y[p] = v > 0.0f ? v : m;
    }
}

/* dz = dy * act'(.) from the output y of a (leaky) ReLU; dz may be dy */
DLC_HOT
static void act_grad_copy(float *dz, const float *dy, const float *restrict y, float slope, int P)
{
    for (int p = 0; p < P; p++) {
        float d = dy[p], m = slope * d;
        dz[p] = y[p] > 0.0f ? d : m;
    }
}

/* The slope of a fused (leaky) ReLU below zero as the kernels take it:
 * forward 1 when none is fused (bias_act's identity), backward the
 * derivative's (act_grad_copy reads it only for a fused layer). */
static float conv_slope(const graph_node *n, int backward)
{
    if (backward)
        return n->spec.activation == ACT_LEAKY_RELU ? n->spec.alpha : 0.0f;
    return !n->act_fused ? 1.0f : n->spec.activation == ACT_RELU ? 0.0f : n->spec.alpha;
}

/* Samples per chunk for a layer with this geometry and F filters. */
static int conv_chunk(const layer_geom *geo, int F, int nmax)
{
    size_t per = ((size_t)geo->C * geo->K + (size_t)F) * geo->P;
    size_t c = per ? CONV_CHUNK_FLOATS / per : 1;
    if (geo->P > 0 && geo->P < CONV_NARROW_P && c * geo->P < CONV_NARROW_COLS)
        c = (CONV_NARROW_COLS + geo->P - 1) / geo->P;
    if (c < 1)
        c = 1;
    if (c > (size_t)nmax)
        c = (size_t)nmax;
    return (int)c;
}

/* 1 for a 1x1 convolution with stride 1 and no padding: a sample's input
 * (C, P) is already its col, so products read it in place. */
static int conv_pointwise(const layer_geom *geo)
{
    return geo->K == 1 && geo->P == geo->I;
}

/* The three products of a chunk of ld columns, group by group (G = 1: one
 * product): CKg = W's row length (C/G * K) and Fg = F/G, so group g's rows
 * of W, col, Y and dY are contiguous blocks.
 *   CONV_Y    Y (F, ld) = W col, plus beta Y
 *   CONV_DW   dW (F, CKg) += dY (F, ld) col^T
 *   CONV_DCOL dcol (C K, ld) = W^T dY, plus beta dcol */
typedef enum { CONV_Y, CONV_DW, CONV_DCOL } conv_product;

static int conv_groups(const graph_node *n)
{
    return n->spec.groups > 1 ? n->spec.groups : 1;
}

static void conv_products(conv_product kind, int G, int F, int CKg, int ld, const float *m,
                          const float *a, float beta, float *out)
{
    const int Fg = F / G;
    for (int g = 0; g < G; g++) {
        const size_t w_at = (size_t)g * Fg * CKg, f_at = (size_t)g * Fg * ld, c_at = (size_t)g * CKg * ld;
        switch (kind) {
        case CONV_Y: /* m = W, a = col */
            tensor_gemm(0, 0, Fg, ld, CKg, 1.0f, m + w_at, a + c_at, beta, out + f_at);
            break;
        case CONV_DW: /* m = dY, a = col, out = dW */
            tensor_gemm(0, 1, Fg, CKg, ld, 1.0f, m + f_at, a + c_at, 1.0f, out + w_at);
            break;
        case CONV_DCOL: /* m = W, a = dY */
            tensor_gemm(1, 0, CKg, ld, Fg, 1.0f, m + w_at, a + f_at, beta, out + c_at);
            break;
        }
    }
}

/* ---- depthwise, direct ----
 * Filter f sees channel c = f / M (M = F / C filters a channel), through
 * taps t = (kd, kh, kw) of weight w[f K + t]. */

enum { DW_TAPS_MAX = 256 }; /* taps summed in double on the stack; larger kernels run im2col */

/* 1 when the layer runs the direct depthwise form: groups = channels, and
 * `algorithm: auto` (im2col stays available by name) */
static int conv_depthwise(const graph_node *n, const layer_geom *geo)
{
    return n->spec.groups > 1 && n->spec.groups == geo->C && n->spec.algorithm == CONV_AUTO &&
           geo->K <= DW_TAPS_MAX;
}

/* Runs body for every tap (tap_, the index of its weight) and every output
 * row whose input row lies inside the input: the output row starts at yr and
 * the input row at xr of their planes, and output columns [ow0, ow1) read
 * input columns ow * s + off (the others read padding). */
#define DW_ROWS(g, body)                                                                           \
    do {                                                                                           \
        int tap_ = 0;                                                                              \
        for (int kd = 0; kd < (g)->k[0]; kd++)                                                     \
            for (int kh = 0; kh < (g)->k[1]; kh++)                                                 \
                for (int kw = 0; kw < (g)->k[2]; kw++, tap_++) {                                   \
                    int off = kw * (g)->d[2] - (g)->lo[2], ow0, ow1;                               \
                    inside_columns((g), off, &ow0, &ow1);                                          \
                    for (int od = 0; od < (g)->out[0]; od++) {                                     \
                        int id = od * (g)->s[0] - (g)->lo[0] + kd * (g)->d[0];                     \
                        if (id < 0 || id >= (g)->in[0])                                            \
                            continue;                                                              \
                        for (int oh = 0; oh < (g)->out[1]; oh++) {                                 \
                            int ih = oh * (g)->s[1] - (g)->lo[1] + kh * (g)->d[1];                 \
                            if (ih < 0 || ih >= (g)->in[1])                                        \
                                continue;                                                          \
                            size_t yr = ((size_t)od * (g)->out[1] + oh) * (g)->out[2];            \
                            size_t xr = ((size_t)id * (g)->in[1] + ih) * (g)->in[2];              \
                            body;                                                                  \
                        }                                                                          \
                    }                                                                              \
                }                                                                                  \
    } while (0)

/* dst[ow ds] += w src[ow ss], ow in [ow0, ow1): a tap's row forward (ds 1,
 * ss the stride) or scattered back (ds the stride, ss 1).  Inlined into the
 * plane functions below, which are built per CPU. */
static inline void dw_row_axpy(float *restrict dst, int ds, const float *restrict src, int ss, float w,
                               int ow0, int ow1)
{
    if (ds == 1 && ss == 1) {
        for (int ow = ow0; ow < ow1; ow++)
            dst[ow] += w * src[ow];
    } else {
        for (int ow = ow0; ow < ow1; ow++)
            dst[(size_t)ow * ds] += w * src[(size_t)ow * ss];
    }
}

/* sum of dz[ow] x[ow s] over [ow0, ow1) */
static inline float dw_row_dot(const float *restrict dz, const float *restrict x, int s, int ow0, int ow1)
{
    float a = 0.0f;
    if (s == 1) {
        for (int ow = ow0; ow < ow1; ow++)
            a += dz[ow] * x[ow];
    } else {
        for (int ow = ow0; ow < ow1; ow++)
            a += dz[ow] * x[(size_t)ow * s];
    }
    return a;
}

/* y (P) = the taps wf (K) over channel plane x, before bias and activation */
DLC_HOT
static void dw_plane_forward(float *restrict y, const float *restrict x, const float *restrict wf,
                             const layer_geom *geo)
{
    const int s = geo->s[2];
    memset(y, 0, sizeof(float) * geo->P);
    DW_ROWS(geo, dw_row_axpy(y + yr, 1, x + xr + off, s, wf[tap_], ow0, ow1));
}

/* acc[t] += the sum of dz against the inputs tap t reads (K taps) */
DLC_HOT
static void dw_plane_dw(double *restrict acc, const float *restrict dz, const float *restrict x,
                        const layer_geom *geo)
{
    const int s = geo->s[2];
    DW_ROWS(geo, acc[tap_] += dw_row_dot(dz + yr, x + xr + off, s, ow0, ow1));
}

/* dx (channel plane) += the taps wf scattered from dz */
DLC_HOT
static void dw_plane_dx(float *restrict dx, const float *restrict dz, const float *restrict wf,
                        const layer_geom *geo)
{
    const int s = geo->s[2];
    DW_ROWS(geo, dw_row_axpy(dx + xr + off, s, dz + yr, 1, wf[tap_], ow0, ow1));
}

/* ---- depthwise backward on a padded plane ----
 * A 2-D stride-1 layer's rows are short on small maps (7 to 14 columns), too
 * short for dW's sums to vectorize, so its backward copies each channel into a
 * zero-padded plane Hp x Wp (the rows and columns its taps read) and places dz
 * on a wide grid OH x Wp, zeros past OW: each tap is then one loop over the
 * whole plane, dW[t] += dz_w . xp[i + kh dh Wp + kw dw] and dxp[i + ...] += w dz_w[i]. */
typedef struct {
    int Hp, Wp;
    size_t xp, yw; /* floats of the padded plane (with a row's overhang) and of the grid */
} dw_wide;

/* 1 (and *w) when the layer computes on padded planes */
static int dw_wide_of(const layer_geom *g, dw_wide *w)
{
    if (g->in[0] != 1 || g->k[0] != 1 || g->s[1] != 1 || g->s[2] != 1)
        return 0;
    w->Hp = g->out[1] + (g->k[1] - 1) * g->d[1];
    w->Wp = g->out[2] + (g->k[2] - 1) * g->d[2];
    w->xp = ((size_t)w->Hp * w->Wp + (size_t)(g->k[2] - 1) * g->d[2] + 15) & ~(size_t)15;
    w->yw = ((size_t)g->out[1] * w->Wp + 15) & ~(size_t)15;
    return 1;
}

/* Floats of one thread's buffers: the padded plane, its gradient, dz's grid */
static size_t dw_wide_floats(const dw_wide *w)
{
    return 2 * w->xp + w->yw;
}

/* xp (Hp x Wp) = channel plane x at rows r - lo_h, columns c - lo_w, zero outside */
static void dw_wide_fill(float *restrict xp, const float *restrict x, const layer_geom *g, const dw_wide *w)
{
    const int H = g->in[1], W = g->in[2], lh = g->lo[1], lw = g->lo[2];
    const int c0 = lw > 0 ? lw : 0, c1 = W + lw < w->Wp ? W + lw : w->Wp; /* columns of xp inside x */
    memset(xp, 0, sizeof(float) * w->xp);
    for (int r = 0; r < w->Hp; r++) {
        int ir = r - lh;
        if (ir >= 0 && ir < H && c1 > c0)
            memcpy(xp + (size_t)r * w->Wp + c0, x + (size_t)ir * W + (c0 - lw), sizeof(float) * (size_t)(c1 - c0));
    }
}

/* the offset in xp of tap t */
static inline size_t dw_wide_tap(const layer_geom *g, const dw_wide *w, int t)
{
    return (size_t)(t / g->k[2]) * g->d[1] * w->Wp + (size_t)(t % g->k[2]) * g->d[2];
}

/* With dz (OH x OW) placed on the grid zw (zeros past OW): acc[t] += dz . the
 * inputs tap t read (when acc), dxp += the taps wf scattered back (when dxp) */
DLC_HOT
static void dw_wide_backward(double *restrict acc, float *restrict dxp, float *restrict zw,
                             const float *restrict dz, const float *restrict xp, const float *restrict wf,
                             const layer_geom *g, const dw_wide *w)
{
    const size_t n = (size_t)g->out[1] * w->Wp;
    const int OW = g->out[2];
    for (int oh = 0; oh < g->out[1]; oh++) {
        memcpy(zw + (size_t)oh * w->Wp, dz + (size_t)oh * OW, sizeof(float) * (size_t)OW);
        memset(zw + (size_t)oh * w->Wp + OW, 0, sizeof(float) * (size_t)(w->Wp - OW));
    }
    for (int t = 0; t < (int)g->K; t++) {
        const size_t off = dw_wide_tap(g, w, t);
        if (acc) { /* eight sums in one vector, each added in double */
            layer_v8 a = {0};
            size_t i = 0;
            for (; i + 8 <= n; i += 8) {
                layer_v8 z, x;
                memcpy(&z, zw + i, sizeof z);
                memcpy(&x, xp + off + i, sizeof x);
                a += z * x;
            }
            double sum = 0;
            for (; i < n; i++)
                sum += (double)zw[i] * xp[off + i];
            for (int k = 0; k < 8; k++)
                sum += a[k];
            acc[t] += sum;
        }
        if (dxp) {
            float *dst = dxp + off;
            const float wt = wf[t];
            for (size_t i = 0; i < n; i++)
                dst[i] += wt * zw[i];
        }
    }
}

/* dx (channel plane) = (assign) or += the inside of dxp */
static void dw_wide_dx(float *restrict dx, const float *restrict dxp, int assign, const layer_geom *g,
                       const dw_wide *w)
{
    const int H = g->in[1], W = g->in[2], lh = g->lo[1], lw = g->lo[2];
    for (int ir = 0; ir < H; ir++) {
        float *row = dx + (size_t)ir * W;
        int r = ir + lh;
        if (assign)
            memset(row, 0, sizeof(float) * (size_t)W);
        if (r < 0 || r >= w->Hp)
            continue;
        for (int ic = 0; ic < W; ic++) {
            int c = ic + lw;
            if (c >= 0 && c < w->Wp)
                row[ic] += dxp[(size_t)r * w->Wp + c];
        }
    }
}

typedef struct {
    const layer_geom *geo;
    graph *g;
    graph_node *n;
    graph_node *x;
    graph_param *w, *b;
    float *wide;      /* dw_wide_floats per part, or NULL: row by row */
    dw_wide pw;
    int N, F, backward, want_dx, assign_dx;
    float slope; /* forward: the fused activation's slope (1: none); backward: its derivative's */
} dw_job;

/* Channels [lo, hi) of every sample: their filters' outputs (forward), or
 * their filters' dW and db and the channels' dx (backward): no two threads
 * write the same memory. */
static void dw_part(void *ctx, int part, int parts)
{
    const dw_job *c = ctx;
    const layer_geom *geo = c->geo;
    const int C = geo->C, M = c->F / C, K = (int)geo->K, P = (int)geo->P;
    graph_node *n = c->n, *x = c->x;
    const float *w = c->w->data;
    size_t lo, hi;
    tensor_part_range((size_t)C, 1, part, parts, &lo, &hi);
    float *xp = c->wide ? c->wide + (size_t)part * dw_wide_floats(&c->pw) : NULL;
    float *dxp = xp ? xp + c->pw.xp : NULL, *grid = xp ? dxp + c->pw.xp : NULL;
    for (int i = 0; i < c->N; i++)
        for (size_t ch = lo; ch < hi; ch++) {
            const float *xc = x->out + (size_t)i * x->size + ch * geo->I;
            float *dxc = c->want_dx ? x->grad + (size_t)i * x->size + ch * geo->I : NULL;
            if (xp) {
                dw_wide_fill(xp, xc, geo, &c->pw);
                if (dxc)
                    memset(dxp, 0, sizeof(float) * c->pw.xp);
            } else if (dxc && c->assign_dx) { /* the first to write dx: it was not cleared */
                memset(dxc, 0, sizeof(float) * geo->I);
            }
            for (int m = 0; m < M; m++) {
                const size_t f = ch * (size_t)M + (size_t)m;
                const float *wf = w + f * (size_t)K;
                float *y = n->out + (size_t)i * n->size + f * (size_t)P;
                if (!c->backward) {
                    dw_plane_forward(y, xc, wf, geo);
                    bias_act_inplace(y, c->b ? c->b->data[f] : 0.0f, c->slope, P);
                    continue;
                }
                float *dz = n->grad + (size_t)i * n->size + f * (size_t)P; /* in place */
                if (n->act_fused)
                    act_grad_copy(dz, dz, y, c->slope, P);
                if (c->b && c->b->trainable)
                    c->b->grad[f] += (float)tensor_sum(dz, (size_t)P);
                double acc[DW_TAPS_MAX] = {0};
                if (xp)
                    dw_wide_backward(c->w->trainable ? acc : NULL, dxc ? dxp : NULL, grid, dz, xp, wf, geo,
                                     &c->pw);
                else if (c->w->trainable)
                    dw_plane_dw(acc, dz, xc, geo);
                if (c->w->trainable) {
                    float *dwf = c->w->grad + f * (size_t)K;
                    for (int t = 0; t < K; t++)
                        dwf[t] += (float)acc[t];
                }
                if (dxc && !xp)
                    dw_plane_dx(dxc, dz, wf, geo);
            }
            if (dxc && xp)
                dw_wide_dx(dxc, dxp, c->assign_dx, geo, &c->pw);
        }
}

static void conv_depthwise_run(graph *g, graph_node *n, const layer_geom *geo, int N, int backward)
{
    graph_param *w = graph_p(g, n, 0);
    dw_job c = {geo, g, n, (graph_node *)graph_in(g, n, 0), w, n->spec.use_bias ? graph_p(g, n, 1) : NULL,
                NULL, {0}, N, w->shape.d[0], backward, backward && graph_wants_grad(g, n, 0),
                backward && graph_assigns_grad(g, n, 0), 1.0f};
    /* backward on padded planes where the layer allows them and the scratch reserved at
     * build holds one set a thread (more threads than at build: row by row).  Forward
     * stays row by row: measured, the planes' copies cost what the long loops saved
     * (MobileNetV2's 112x112 layer 3.1 -> 8.1 ms), while backward's sums of dW, whose
     * rows were too short to vectorize, ran 2.5x faster */
    size_t per = backward && dw_wide_of(geo, &c.pw) ? dw_wide_floats(&c.pw) : 0;
    if (per && n->scratch >= per * (size_t)tensor_get_threads())
        c.wide = graph_scratch(g, per * (size_t)tensor_get_threads());
    c.slope = conv_slope(n, backward);
    tensor_parallel(dw_part, &c);
}

/* Floats of one thread's buffers when a layer runs whole samples per thread
 * (conv_whole): col (CK, P) (none for a pointwise layer), dW (F, CK) and db
 * (F), 64-byte aligned. */
static size_t whole_scratch(const layer_geom *geo, int F)
{
    size_t CK = (size_t)geo->C * geo->K;
    return ((conv_pointwise(geo) ? 0 : CK * geo->P) + (size_t)F * CK + (size_t)F + 15) & ~(size_t)15;
}

/* The algorithm a layer runs: the configured one, or for `auto` Winograd's
 * F(4x4, 3x3) where it applies with at least 64 channels in and out and an
 * output map of at least 8x8, else im2col (which for a pointwise layer
 * reads its input in place).  Measured by bench/conv_paths.c (forward and
 * backward, one thread, CPU time; README, Speed), with OpenBLAS's AVX2 and
 * its AVX-512 kernels: F(4x4) took 0.45-0.8 of im2col's time on the 3x3
 * layers of ResNet-50 and VGG-16 from 14x14 up; on 7x7 maps (4 tiles a
 * sample: the transform of the weights, once per call, weighs more) it
 * lost with the AVX-512 products (1.1x im2col's time) and barely won with
 * AVX2; with 1 or 3 channels in (a product with K = 9 is cheap to unfold)
 * im2col won by 2-4x.  On B2's and the Fashion-MNIST CNN's 32 -> 64 layer
 * at 14x14 F(4x4) took 0.9-0.95 of im2col's time, but a gain that small
 * does not pay for its rounding there: `dlc gradcheck` on the CNN config
 * (tests/cli/correctness.bats, seed 1) then fails its float32 bound on
 * batchnorm_2's tiny gradients (by 1-13%, at 1 seed of 44 tried; im2col
 * at none), so 32-channel layers keep im2col.  F(2x2) never beat F(4x4)
 * by more than noise. */
static conv_algo conv_algo_of(const graph_node *n, const layer_geom *geo, int F)
{
    if (n->spec.algorithm != CONV_AUTO)
        return (conv_algo)n->spec.algorithm;
    if (conv_groups(n) > 1 || !wino_applies(geo) || geo->C < 64 || F < 64 || geo->out[1] < 8 || geo->out[2] < 8)
        return CONV_IM2COL;
    return CONV_WINOGRAD_4X4;
}

static wino_tile conv_tile(conv_algo a)
{
    return a == CONV_WINOGRAD_2X2 ? WINO_F2 : WINO_F4;
}

dlc_status conv_build(graph *g, graph_node *n, dlc_error *err)
{
    const graph_node *x = graph_in(g, n, 0);
    layer_geom geo;
    if (x->seq && n->spec.op == OP_CONV1D)
        /* (steps, features): axis 0 would be taken for channels, so the
         * kernel would slide over the features with each step a channel */
        return layer_fail(n, err,
                          "its input '%s' is a sequence (%d steps, %d features), but conv1d takes "
                          "(channels, length) and would slide over the features with each step as "
                          "a channel; for a convolution over time (Keras's Conv1D) reshape to "
                          "[1, %d, %d] and use a conv2d with kernel [K, %d] (then a maxpool whose "
                          "kernel spans the steps left, [%d - K + 1, 1], takes the max over time)",
                          x->spec.name, x->shape.d[0], x->shape.d[1], x->shape.d[0], x->shape.d[1],
                          x->shape.d[1], x->shape.d[0]);
    dlc_status st = layer_geom_build(&geo, n, &x->shape, op_spatial(n->spec.op, 0), 0, err);
    if (st != DLC_OK)
        return st;
    int F = n->spec.filters, G = conv_groups(n);
    if (F < 1)
        return layer_fail(n, err, "filters must be at least 1");
    if (geo.C % G || F % G)
        return layer_fail(n, err,
                          "groups %d must divide both the input's %d channels and the %d filters "
                          "(each filter sees C / groups channels; groups = C and filters = C is depthwise)",
                          G, geo.C, F);
    n->shape.ndim = geo.nsp + 1;
    n->shape.d[0] = F;
    for (int i = 0; i < geo.nsp; i++)
        n->shape.d[1 + i] = geo.out[3 - geo.nsp + i];
    tensor_shape ws = {geo.nsp + 2, {F, geo.C / G}}, bs = {1, {F}};
    for (int i = 0; i < geo.nsp; i++)
        ws.d[2 + i] = geo.k[3 - geo.nsp + i];
    if (graph_param_add(g, n, "weight", &ws, PARAM_WEIGHT, err) < 0)
        return err->status;
    if (n->spec.use_bias && graph_param_add(g, n, "bias", &bs, PARAM_BIAS, err) < 0)
        return err->status;
    /* ReLU is applied while the product is copied out, and its derivative
     * while dy is copied in: two passes over the largest tensors saved */
    n->act_fused = n->spec.activation == ACT_RELU || n->spec.activation == ACT_LEAKY_RELU;
    conv_algo algo = conv_algo_of(n, &geo, F);
    if (algo == CONV_WINOGRAD_2X2 || algo == CONV_WINOGRAD_4X4) {
        if (G > 1)
            return layer_fail(n, err, "algorithm: %s with groups %d (grouped convolutions run im2col)",
                              graph_conv_algo_names[algo], G);
        if (!wino_applies(&geo))
            return layer_fail(n, err,
                              "algorithm: %s needs a conv2d with a 3x3 kernel and stride 1 (and no dilation)",
                              graph_conv_algo_names[algo]);
        n->scratch = wino_scratch(conv_tile(algo), &geo, F, g->nmax) + 32;
        return DLC_OK;
    }
    if (conv_depthwise(n, &geo)) {
        dw_wide pw;
        n->scratch = (dw_wide_of(&geo, &pw) ? dw_wide_floats(&pw) * (size_t)tensor_get_threads() : 0) + 32;
        return DLC_OK;
    }
    int chunk = conv_chunk(&geo, F, g->nmax);
    n->scratch = ((size_t)geo.C * geo.K + (size_t)F) * geo.P * (size_t)chunk + 32;
    /* one sample per chunk: batches run by whole samples (conv_whole), with
     * room for each worker thread's own buffers */
    size_t whole = whole_scratch(&geo, F) * (size_t)tensor_get_threads() + 32;
    if (chunk == 1 && g->nmax > 1 && whole > n->scratch)
        n->scratch = whole;
    return DLC_OK;
}

void conv_init(graph *g, graph_node *n, dlc_rng *rng)
{
    graph_param *w = graph_p(g, n, 0);
    int F = w->shape.d[0];
    size_t CK = w->n / (size_t)F, K = CK / (size_t)w->shape.d[1];
    layer_init_weights(w->data, w->n, (int)CK, (int)((size_t)F * K), n->spec.init,
                       n->spec.activation, rng);
}

/* The per-sample passes of a chunk (unfolding, the output's layout with bias
 * and activation, folding back), split over the worker threads by sample:
 * each sample owns its columns of col and its rows of out and dx. */
typedef enum { PASS_IM2COL, PASS_OUTPUT, PASS_DY, PASS_COL2IM } conv_pass;

typedef struct {
    conv_pass pass;
    const layer_geom *geo;
    graph_node *n;
    const graph_node *x;
    float *col, *y;     /* chunk buffers: (CK, ld) and (F, ld) (backward: dy) */
    int n0, cn, F, P;
    const float *b;
    float slope;
    int assign_dx; /* backward: the first to write dx, which was not cleared */
} conv_job;

static void conv_samples(void *ctx, int part, int parts)
{
    const conv_job *c = ctx;
    size_t lo, hi, ld = (size_t)c->cn * c->P, P = (size_t)c->P;
    tensor_part_range((size_t)c->cn, 1, part, parts, &lo, &hi);
    for (size_t j = lo; j < hi; j++) {
        size_t row = (size_t)c->n0 + j;
        switch (c->pass) {
        case PASS_IM2COL:
            im2col(c->col + j * P, ld, c->x->out + row * c->x->size, c->geo, 0, c->geo->out[1]);
            break;
        case PASS_OUTPUT:
            /* (F, cn, P) -> (cn, F, P), adding the bias (and a fused ReLU) */
            for (int f = 0; f < c->F; f++) {
                float *o = c->n->out + row * c->n->size + (size_t)f * P;
                const float *src = c->y + (size_t)f * ld + j * P;
                if (src == o)
                    bias_act_inplace(o, c->b ? c->b[f] : 0.0f, c->slope, c->P);
                else
                    bias_act_copy(o, src, c->b ? c->b[f] : 0.0f, c->slope, c->P);
            }
            break;
        case PASS_DY:
            /* the output gradient (cn, F, P) -> (F, cn, P), through a fused ReLU */
            for (int f = 0; f < c->F; f++) {
                size_t at = row * c->n->size + (size_t)f * P;
                float *dst = c->y + (size_t)f * ld + j * P;
                if (c->n->act_fused)
                    act_grad_copy(dst, c->n->grad + at, c->n->out + at, c->slope, c->P);
                else if (dst != c->n->grad + at)
                    memcpy(dst, c->n->grad + at, sizeof(float) * P);
            }
            break;
        case PASS_COL2IM: {
            float *dx = c->x->grad + row * c->x->size;
            if (c->assign_dx)
                memset(dx, 0, sizeof(float) * c->x->size);
            col2im(dx, c->col + j * P, ld, c->geo);
            break;
        }
        }
    }
}

/* Runs one pass over the chunk's samples, on the workers when it is big enough. */
static void conv_pass_run(conv_job *c, conv_pass pass)
{
    c->pass = pass;
    if (c->cn > 1 && (size_t)c->cn * c->P * (size_t)c->F >= 16384)
        tensor_parallel(conv_samples, c);
    else
        conv_samples(c, 0, 1);
}

/* ---- whole samples per thread ----
 * A layer too large for two samples in a chunk would have nothing to split
 * but its products, one fork and join each.  Instead each thread takes whole samples
 * with its own buffers: col (CK, P), and in backward its own dW and db,
 * added up after the join. */
typedef struct {
    const layer_geom *geo;
    graph *g;
    graph_node *n;
    graph_node *x;
    graph_param *w, *b;
    float *buf; /* parts x whole_scratch */
    size_t per;
    int N, F, G, CK, P, backward, want_dx; /* CK: W's row length, C/G * K */
    float slope;
    int assign_dx; /* the first to write dx, which was not cleared */
    int parts;     /* threads that ran the samples (conv_whole_sum) */
    int rows;      /* > 0: output rows a block of columns is unfolded and multiplied at a time
                    * (conv_rows_block), 0: whole samples */
    int dw_t;      /* 1: each thread keeps dW^T (C K, F), the faster product when F < C K
                    * (one group; sgemm's blocking favours the longer side as rows:
                    * 0.73-0.88 of dW's time on ResNet-50's reducing 1x1 and strided
                    * layers, bench/sgemm shapes at one thread) */
} whole_job;

/* Part i of n of adding the threads' dW and db into the parameters'
 * gradients: a range of dW's values (db with the last part), each summed
 * over the threads in their order (the same floats at any split). */
static void conv_whole_sum(void *ctx, int i, int n)
{
    const whole_job *c = ctx;
    const size_t F = (size_t)c->F, CK = (size_t)c->CK, FCK = F * CK,
                 col = conv_pointwise(c->geo) ? 0 : (size_t)c->geo->C * c->geo->K * c->geo->P;
    size_t lo, hi;
    /* dW's rows (f) when the threads kept dW^T: each part reads its
     * columns of dW^T and writes its rows of dW, in 16 x 16 tiles */
    tensor_part_range(c->dw_t ? F : FCK, 16, i, n, &lo, &hi);
    for (int t = 0; t < c->parts; t++) {
        const float *dw = c->buf + (size_t)t * c->per + col, *db = dw + FCK;
        if (c->w->trainable && c->dw_t)
            for (size_t f0 = lo; f0 < hi; f0 += 16)
                for (size_t k0 = 0; k0 < CK; k0 += 16)
                    for (size_t f = f0; f < f0 + 16 && f < hi; f++)
                        for (size_t k = k0; k < k0 + 16 && k < CK; k++)
                            c->w->grad[f * CK + k] += dw[k * F + f];
        else if (c->w->trainable)
            for (size_t k = lo; k < hi; k++)
                c->w->grad[k] += dw[k];
        if (i == n - 1 && c->b && c->b->trainable)
            for (size_t f = 0; f < F; f++)
                c->b->grad[f] += db[f];
    }
}

static void conv_whole_part(void *ctx, int part, int parts)
{
    const whole_job *c = ctx;
    const size_t P = (size_t)c->P, CK = (size_t)c->CK, rows = (size_t)c->geo->C * c->geo->K;
    const int pointwise = conv_pointwise(c->geo);
    float *col = c->buf + (size_t)part * c->per; /* (C K, P); none for a pointwise layer */
    float *dw = col + (pointwise ? 0 : rows * P), *db = dw + (size_t)c->F * CK;
    size_t lo, hi;
    tensor_part_range((size_t)c->N, 1, part, parts, &lo, &hi);
    graph_node *n = c->n, *x = c->x;
    if (c->backward) {
        memset(dw, 0, sizeof(float) * ((size_t)c->F * CK + (size_t)c->F));
    }
    const int OH = c->geo->out[1], OW = c->geo->out[2], R = c->rows ? c->rows : OH;
    for (size_t i = lo; i < hi; i++) {
        const float *xi = x->out + i * x->size;
        if (!c->backward) {
            float *out = n->out + i * n->size;
            if (c->rows) /* by blocks of output rows, each block's columns still in the cache */
                for (int oh = 0; oh < OH; oh += R) {
                    const int oe = OH - oh < R ? OH : oh + R, pb = (oe - oh) * OW;
                    im2col(col, (size_t)pb, xi, c->geo, oh, oe);
                    tensor_sgemm(0, 0, c->F, pb, c->CK, 1.0f, c->w->data, c->CK, col, pb, 0.0f,
                                 out + (size_t)oh * OW, c->P);
                }
            else if (!pointwise)
                im2col(col, P, xi, c->geo, 0, OH);
            if (!c->rows)
                conv_products(CONV_Y, c->G, c->F, c->CK, c->P, c->w->data, pointwise ? xi : col, 0.0f, out);
            const float *bias = c->b ? c->b->data : NULL;
            for (int f = 0; f < c->F; f++)
                bias_act_inplace(out + (size_t)f * P, bias ? bias[f] : 0.0f, c->slope, c->P);
            continue;
        }
        float *dy = n->grad + i * n->size; /* (F, P): the sample's own layout */
        if (n->act_fused)
            for (int f = 0; f < c->F; f++)
                act_grad_copy(dy + (size_t)f * P, dy + (size_t)f * P, n->out + i * n->size + (size_t)f * P,
                              c->slope, c->P);
        if (c->b && c->b->trainable)
            for (int f = 0; f < c->F; f++)
                db[f] += (float)tensor_sum(dy + (size_t)f * P, P);
        if (c->w->trainable && c->rows) {
            for (int oh = 0; oh < OH; oh += R) {
                const int oe = OH - oh < R ? OH : oh + R, pb = (oe - oh) * OW;
                const float *dyb = dy + (size_t)oh * OW;
                im2col(col, (size_t)pb, xi, c->geo, oh, oe);
                if (c->dw_t)
                    tensor_sgemm(0, 1, c->CK, c->F, pb, 1.0f, col, pb, dyb, c->P, 1.0f, dw, c->F);
                else
                    tensor_sgemm(0, 1, c->F, c->CK, pb, 1.0f, dyb, c->P, col, pb, 1.0f, dw, c->CK);
            }
        } else if (c->w->trainable) {
            if (!pointwise)
                im2col(col, P, xi, c->geo, 0, OH);
            if (c->dw_t) /* dW^T (C K, F) += col dy^T */
                tensor_gemm(0, 1, c->CK, c->F, c->P, 1.0f, pointwise ? xi : col, dy, 1.0f, dw);
            else
                conv_products(CONV_DW, c->G, c->F, c->CK, c->P, dy, pointwise ? xi : col, 1.0f, dw);
        }
        if (c->want_dx && pointwise) { /* dx (C, P) = W^T dy, added unless it is ours alone */
            conv_products(CONV_DCOL, c->G, c->F, c->CK, c->P, c->w->data, dy, c->assign_dx ? 0.0f : 1.0f,
                          x->grad + i * x->size);
        } else if (c->want_dx) {
            conv_products(CONV_DCOL, c->G, c->F, c->CK, c->P, c->w->data, dy, 0.0f, col);
            float *dx = x->grad + i * x->size;
            if (c->assign_dx) /* the first to write dx: it was not cleared */
                memset(dx, 0, sizeof(float) * x->size);
            col2im(dx, col, P, c->geo);
        }
    }
}

/* Output rows per block when a sample's unfolded input is large next to
 * the cache (over CONV_ROWS_FLOATS) but its C K rows are few, so a block of
 * at least CONV_ROWS_COLS columns fits in it: a stem (ResNet's 7x7 on RGB, a
 * VGG's first 3x3), whose unfolding then stays in the cache for the product
 * instead of going to memory and back (one thread, CPU time, `CPU=1 PLAIN=1
 * ONLY=im2col KERNEL=7 STRIDE=2 conv_paths 1 7 8 3 64 224`: ResNet-50's stem
 * 52.6 -> 49.6 ms a step, VGG-16's first layer 60.3 -> 58.9).  0: whole
 * samples. */
enum { CONV_ROWS_FLOATS = 256 << 10, CONV_ROWS_COLS = 1024 };

static int conv_rows_block(const layer_geom *geo)
{
    const size_t CK = (size_t)geo->C * geo->K, OW = (size_t)geo->out[2];
    if (conv_pointwise(geo) || geo->out[0] != 1 || CK * geo->P <= CONV_ROWS_FLOATS ||
        CK * CONV_ROWS_COLS > CONV_ROWS_FLOATS)
        return 0;
    size_t r = CONV_ROWS_FLOATS / CK / (OW ? OW : 1);
    return r < 1 ? 1 : r >= (size_t)geo->out[1] ? 0 : (int)r;
}

/* Runs the layer's forward or backward by whole samples, on as many threads
 * as there are (one included); 0 when the layer does not run this way (chunks
 * of several samples, which conv_pass_run splits instead, a single sample,
 * or more threads than the buffers reserved at build). */
static int conv_whole(graph *g, graph_node *n, const layer_geom *geo, int N, int backward)
{
    graph_param *w = graph_p(g, n, 0);
    const int F = w->shape.d[0], CK = (int)(w->n / (size_t)F);
    const int parts = tensor_get_threads();
    const size_t per = whole_scratch(geo, F);
    if (N < 2 || conv_chunk(geo, F, g->nmax) != 1 || n->scratch < per * (size_t)parts)
        return 0;
    whole_job c = {geo, g, n, (graph_node *)graph_in(g, n, 0), w,
                   n->spec.use_bias ? graph_p(g, n, 1) : NULL,
                   graph_scratch(g, per * (size_t)parts), per, N, F, conv_groups(n), CK, (int)geo->P, backward,
                   backward && graph_wants_grad(g, n, 0), 0.0f, backward && graph_assigns_grad(g, n, 0), 0, 0, 0};
    c.slope = conv_slope(n, backward);
    c.dw_t = backward && c.G == 1 && F < CK;
    c.rows = c.G == 1 ? conv_rows_block(geo) : 0;
    tensor_parallel(conv_whole_part, &c);
    if (backward && (w->trainable || (c.b && c.b->trainable))) {
        c.parts = parts;
        tensor_parallel(conv_whole_sum, &c);
    }
    return 1;
}

void conv_forward(graph *g, graph_node *n, int N)
{
    layer_geom geo;
    layer_geom_of(&geo, g, n);
    const graph_node *x = graph_in(g, n, 0);
    const graph_param *w = graph_p(g, n, 0);
    const float *b = n->spec.use_bias ? graph_p(g, n, 1)->data : NULL;
    const int F = w->shape.d[0], CK = (int)(w->n / (size_t)F), P = (int)geo.P;
    const int chunk = conv_chunk(&geo, F, g->nmax);
    const float slope = conv_slope(n, 0);
    const conv_algo algo = conv_algo_of(n, &geo, F);
    if (algo == CONV_WINOGRAD_2X2 || algo == CONV_WINOGRAD_4X4) {
        wino_tile m = conv_tile(algo);
        wino_forward(n->out, x->out, w->data, b, slope, &geo, N, F, g->nmax, m,
                     graph_scratch(g, wino_scratch(m, &geo, F, g->nmax)));
        return;
    }
    if (conv_depthwise(n, &geo)) {
        conv_depthwise_run(g, n, &geo, N, 0);
        return;
    }
    if (conv_whole(g, n, &geo, N, 0))
        return;
    float *col = graph_scratch(g, (size_t)geo.C * geo.K * P * chunk);  /* (C K, cn*P) */
    float *y = graph_scratch(g, (size_t)F * P * chunk);     /* (F, cn*P) */
    conv_job job = {.geo = &geo, .n = n, .x = x, .col = col, .F = F, .P = P, .b = b, .slope = slope};
    for (int n0 = 0; n0 < N; n0 += chunk) {
        int cn = N - n0 < chunk ? N - n0 : chunk;
        size_t ld = (size_t)cn * P;
        job.n0 = n0;
        job.cn = cn;
        conv_pass_run(&job, PASS_IM2COL);
        /* one sample: (F, 1*P) is already its output's layout */
        job.y = cn == 1 ? n->out + (size_t)n0 * n->size : y;
        conv_products(CONV_Y, conv_groups(n), F, CK, (int)ld, w->data, col, 0.0f, job.y);
        conv_pass_run(&job, PASS_OUTPUT);
    }
}

/* dW unfolds x again (col is not kept); dx needs W and dy alone; a fused
 * ReLU's derivative reads y */
void conv_saves(const graph *g, const graph_node *n, graph_saves *s)
{
    s->inputs = g->params[n->params[0]].trainable ? 1u : 0u;
    s->out = n->act_fused;
}

void conv_backward(graph *g, graph_node *n, int N)
{
    layer_geom geo;
    layer_geom_of(&geo, g, n);
    graph_node *x = graph_in(g, n, 0);
    graph_param *w = graph_p(g, n, 0);
    graph_param *bp = n->spec.use_bias ? graph_p(g, n, 1) : NULL;
    const int F = w->shape.d[0], CK = (int)(w->n / (size_t)F), P = (int)geo.P;
    const int chunk = conv_chunk(&geo, F, g->nmax);
    const int want_dx = graph_wants_grad(g, n, 0);
    const float slope = conv_slope(n, 1);
    const conv_algo algo = conv_algo_of(n, &geo, F);
    if (algo == CONV_WINOGRAD_2X2 || algo == CONV_WINOGRAD_4X4) {
        wino_tile m = conv_tile(algo);
        wino_backward(want_dx ? x->grad : NULL, graph_assigns_grad(g, n, 0), w->trainable ? w->grad : NULL,
                      bp && bp->trainable ? bp->grad : NULL, n->grad, n->act_fused ? n->out : NULL,
                      slope, x->out, w->data, &geo, N, F, g->nmax, m,
                      graph_scratch(g, wino_scratch(m, &geo, F, g->nmax)));
        return;
    }
    if (conv_depthwise(n, &geo)) {
        conv_depthwise_run(g, n, &geo, N, 1);
        return;
    }
    if (conv_whole(g, n, &geo, N, 1))
        return;
    float *col = graph_scratch(g, (size_t)geo.C * geo.K * P * chunk); /* (C K, cn*P), then dcol */
    float *dy = graph_scratch(g, (size_t)F * P * chunk);   /* (F, cn*P) */
    conv_job job = {.geo = &geo, .n = n, .x = x, .col = col, .F = F, .P = P, .slope = slope,
                    .assign_dx = graph_assigns_grad(g, n, 0)};
    for (int n0 = 0; n0 < N; n0 += chunk) {
        int cn = N - n0 < chunk ? N - n0 : chunk;
        size_t ld = (size_t)cn * P;
        /* one sample: dy is its gradient in place (backward may overwrite it) */
        float *dyc = cn == 1 ? n->grad + (size_t)n0 * n->size : dy;
        job.n0 = n0;
        job.cn = cn;
        job.y = dyc;
        conv_pass_run(&job, PASS_DY);
        if (bp && bp->trainable)
            for (int f = 0; f < F; f++)
                bp->grad[f] += (float)tensor_sum(dyc + (size_t)f * ld, ld);
        if (w->trainable) {
            conv_pass_run(&job, PASS_IM2COL);
            conv_products(CONV_DW, conv_groups(n), F, CK, (int)ld, dyc, col, 1.0f, w->grad);
        }
        if (want_dx) {
            conv_products(CONV_DCOL, conv_groups(n), F, CK, (int)ld, w->data, dyc, 0.0f, col);
            conv_pass_run(&job, PASS_COL2IM);
        }
    }
}

/* ---- entry points for conv_transpose.c (window.h): the kernels above, whole samples ---- */

void layer_im2col(float *col, size_t ld, const float *x, const layer_geom *g)
{
    im2col(col, ld, x, g, 0, g->out[1]);
}

void layer_col2im(float *dx, const float *col, size_t ld, const layer_geom *g)
{
    col2im(dx, col, ld, g);
}

void layer_conv_products(int kind, int G, int F, int CKg, int ld, const float *m, const float *a, float beta,
                         float *out)
{
    conv_products((conv_product)kind, G, F, CKg, ld, m, a, beta, out);
}
