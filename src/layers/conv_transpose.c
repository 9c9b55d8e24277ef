/* conv_transpose.c - the transposed convolution (Keras' Conv1D/2D/3DTranspose,
 * PyTorch's nn.ConvTranspose1d/2d/3d, ONNX's ConvTranspose) over the spatial
 * axes its input has (1 to 3).
 *
 *   x (N, C, S...) -> y (N, F, L...)          W (C, F/G, k...) and b (F), PyTorch's layout
 *
 * It is the adjoint of a convolution from y's shape to x's: forward is that
 * convolution's backward-data, backward-data its forward, so both run the
 * convolution's kernels (conv.c's im2col, col2im and products, window.h):
 *   forward   col (F K, P) = W^T x,  y = col2im(col) + b
 *   backward  col = im2col(dy),  dx (C, P) = W col,  dW (C, F/G K) += x col^T,  db += sum dy
 * with P = x's positions and the geometry that of the convolution y -> x.
 *
 * Per axis, with kd = dilation (k - 1) + 1 the positions the taps span, the
 * output is PyTorch's
 *   L = (n - 1) stride - lo - hi + kd + output_padding
 * where padding p (PyTorch's integer) crops lo = hi = p;  `same` gives
 * L = n stride (Keras' and TensorFlow's: it crops max(kd - stride, 0), the
 * odd one at the end, and adds max(stride - kd, 0) at the end);  `valid`
 * crops nothing (L = n stride + max(kd - stride, 0)).  The convolution
 * y -> x it is the adjoint of pads lo before and hi - output_padding after.
 * Samples are split over the worker threads, each with its own col (and in
 * backward its own dW and db, added up after the join). */
#include <string.h>

#include "window.h"

/* Fills geo with the convolution y -> x (geo->in: y's positions, geo->out:
 * x's, geo->C: F) for node n over input shape xs, and op (may be NULL) with
 * the output padding per lifted axis; checks the window and names the key
 * to change (err NULL: already checked). */
static dlc_status ct_geom(layer_geom *geo, int op_out[3], const graph_node *n, const tensor_shape *xs,
                          dlc_error *err)
{
    const layer_spec *s = &n->spec;
    char shape[64];
    int nsp = xs->ndim - 1;
    memset(geo, 0, sizeof *geo);
    if (nsp < 1 || nsp > GRAPH_MAX_SPATIAL)
        return layer_fail(n, err, "needs an input of (channels, 1 to 3 spatial axes), got %s%s",
                          tensor_shape_str(xs, shape, sizeof shape),
                          nsp < 1 ? " (a vector: reshape it to a map first, e.g. shape: [C, 1, 1])" : "");
    const layer_window *ws[5] = {&s->kernel, &s->stride, &s->pad, &s->dilation, &s->output_padding};
    const char *names[5] = {"kernel", "stride", "padding", "dilation", "output_padding"};
    for (int q = 0; q < 5; q++)
        if (ws[q]->n > 1 && ws[q]->n != nsp)
            return layer_fail(n, err, "%s has %d entries but its input %s has %d spatial axes (give 1 or %d)",
                              names[q], ws[q]->n, tensor_shape_str(xs, shape, sizeof shape), nsp, nsp);
    if (s->kernel.n == 0)
        return layer_fail(n, err, "kernel is missing");
    geo->nsp = nsp;
    geo->C = n->spec.filters;
    geo->K = geo->P = geo->I = 1;
    for (int i = 0; i < 3; i++) {
        int a = i - (3 - nsp); /* the spatial axis, < 0: a lifted one */
        int nin = 1, k = 1, st = 1, d = 1, op = 0, lo = 0, hi = 0;
        long L = 1;
        if (a >= 0) {
#define AT(w, dflt) ((w).n == 0 ? (dflt) : (w).v[(w).n == 1 ? 0 : a])
            nin = xs->d[1 + a];
            k = AT(s->kernel, 1);
            st = AT(s->stride, 1);
            d = AT(s->dilation, 1);
            op = AT(s->output_padding, 0);
            int p = AT(s->pad, 0);
#undef AT
            long kd = (long)d * (k - 1) + 1;
            if (kd > 1 << 20)
                return layer_fail(n, err, "kernel %d with dilation %d spans %ld positions (at most %d)", k, d,
                                  kd, 1 << 20);
            if (s->padding != PAD_EXPLICIT && op != 0)
                return layer_fail(n, err,
                                  "output_padding %d with padding: %s (padding: %s gives %s; output_padding "
                                  "goes with an integer padding, PyTorch's)",
                                  op, graph_pad_names[s->padding], graph_pad_names[s->padding],
                                  s->padding == PAD_SAME ? "input x stride" : "(input - 1) x stride + kernel");
            if (op >= st && op >= d)
                return layer_fail(n, err,
                                  "output_padding %d must be smaller than stride %d or dilation %d along spatial "
                                  "axis %d (it adds positions at the end that the last input position does not "
                                  "reach; set output_padding to at most %d, or raise padding to crop instead)",
                                  op, st, d, a + 1, (st > d ? st : d) - 1);
            if (s->padding == PAD_EXPLICIT) {
                lo = hi = p;
            } else if (s->padding == PAD_SAME) {
                int total = kd > st ? (int)(kd - st) : 0;
                lo = total / 2;
                hi = total - lo;
                op = st > kd ? st - (int)kd : 0;
            } else {
                op = st > kd ? st - (int)kd : 0;
            }
            L = (long)(nin - 1) * st - lo - hi + kd + op;
            if (L < 1)
                return layer_fail(n, err,
                                  "output size (n - 1) stride - 2 padding + dilation (kernel - 1) + "
                                  "output_padding + 1 = (%d - 1) %d - %d + %ld + %d = %ld along spatial axis %d "
                                  "is less than 1: lower padding",
                                  nin, st, lo + hi, kd, op, L, a + 1);
            if (L > 1 << 20)
                return layer_fail(n, err, "output size %ld along spatial axis %d (at most %d)", L, a + 1,
                                  1 << 20);
        }
        if (op_out)
            op_out[i] = op;
        geo->in[i] = (int)L;
        geo->out[i] = nin;
        geo->k[i] = k;
        geo->s[i] = st;
        geo->d[i] = d;
        geo->lo[i] = lo;
        geo->hi[i] = hi - op;
        geo->K *= (size_t)k;
        geo->P *= (size_t)nin;
        geo->I *= (size_t)L;
    }
    return DLC_OK;
}

void conv_transpose_geom(layer_geom *geo, int op[3], graph *g, const graph_node *n)
{
    dlc_status st = ct_geom(geo, op, n, &graph_in(g, n, 0)->shape, NULL);
    (void)st; /* checked when the graph was built */
}

static int ct_groups(const graph_node *n)
{
    return n->spec.groups > 1 ? n->spec.groups : 1;
}

/* One thread's buffers: col (F K, P), and dW (C, F/G K), db (F) */
static size_t ct_per_thread(const layer_geom *geo, int C, int G)
{
    size_t FK = (size_t)geo->C * geo->K;
    return (FK * geo->P + (size_t)C * (FK / (size_t)G) + (size_t)geo->C + 15) & ~(size_t)15;
}

dlc_status conv_transpose_build(graph *g, graph_node *n, dlc_error *err)
{
    const graph_node *x = graph_in(g, n, 0);
    char shape[64];
    if (x->seq)
        return layer_fail(n, err,
                          "its input '%s' is a sequence %s; conv_transpose takes a map (channels, 1 to 3 "
                          "spatial axes) and would take the steps for channels",
                          x->spec.name, tensor_shape_str(&x->shape, shape, sizeof shape));
    int F = n->spec.filters, G = ct_groups(n);
    if (F < 1)
        return layer_fail(n, err, "filters must be at least 1");
    layer_geom geo;
    dlc_status st = ct_geom(&geo, NULL, n, &x->shape, err);
    if (st != DLC_OK)
        return st;
    int C = x->shape.d[0];
    if (C % G || F % G)
        return layer_fail(n, err, "groups %d must divide both the input's %d channels and the %d filters", G, C,
                          F);
    n->shape.ndim = geo.nsp + 1;
    n->shape.d[0] = F;
    for (int i = 0; i < geo.nsp; i++)
        n->shape.d[1 + i] = geo.in[3 - geo.nsp + i];
    tensor_shape ws = {geo.nsp + 2, {C, F / G}}, bs = {1, {F}};
    for (int i = 0; i < geo.nsp; i++)
        ws.d[2 + i] = geo.k[3 - geo.nsp + i];
    if (graph_param_add(g, n, "weight", &ws, PARAM_WEIGHT, err) < 0)
        return err->status;
    if (n->spec.use_bias && graph_param_add(g, n, "bias", &bs, PARAM_BIAS, err) < 0)
        return err->status;
    n->scratch = ct_per_thread(&geo, C, G) * (size_t)tensor_get_threads() + 32;
    return DLC_OK;
}

typedef struct {
    layer_geom geo;
    graph *g;
    graph_node *n, *x;
    graph_param *w, *b;
    float *buf;
    size_t per;
    int N, C, G, backward, want_dx, assign_dx;
} ct_job;

static void ct_part(void *ctx, int part, int parts)
{
    const ct_job *c = ctx;
    const layer_geom *geo = &c->geo;
    const int F = geo->C, CKg = (int)((size_t)F / (size_t)c->G * geo->K), P = (int)geo->P;
    const size_t I = geo->I;
    float *col = c->buf + (size_t)part * c->per;                 /* (F K, P) */
    float *dw = col + (size_t)F * geo->K * geo->P, *db = dw + (size_t)c->C * (size_t)CKg; /* (C, CKg), (F) */
    graph_node *n = c->n, *x = c->x;
    size_t lo, hi;
    tensor_part_range((size_t)c->N, 1, part, parts, &lo, &hi);
    if (c->backward)
        memset(dw, 0, sizeof(float) * ((size_t)c->C * CKg + (size_t)F));
    for (size_t i = lo; i < hi; i++) {
        const float *xi = x->out + i * x->size;
        if (!c->backward) {
            float *y = n->out + i * n->size; /* (F, I) */
            layer_conv_products(2, c->G, c->C, CKg, P, c->w->data, xi, 0.0f, col);
            memset(y, 0, sizeof(float) * n->size);
            layer_col2im(y, col, (size_t)P, geo);
            if (c->b)
                for (int f = 0; f < F; f++)
                    for (size_t q = 0; q < I; q++)
                        y[(size_t)f * I + q] += c->b->data[f];
            continue;
        }
        const float *dy = n->grad + i * n->size;
        if (c->b && c->b->trainable)
            for (int f = 0; f < F; f++)
                db[f] += (float)tensor_sum(dy + (size_t)f * I, I);
        if (!c->w->trainable && !c->want_dx)
            continue;
        layer_im2col(col, (size_t)P, dy, geo);
        if (c->w->trainable)
            layer_conv_products(1, c->G, c->C, CKg, P, xi, col, 1.0f, dw);
        if (c->want_dx)
            layer_conv_products(0, c->G, c->C, CKg, P, c->w->data, col, c->assign_dx ? 0.0f : 1.0f,
                                x->grad + i * x->size);
    }
}

static void ct_run(graph *g, graph_node *n, int N, int backward)
{
    ct_job c = {.g = g, .n = n, .x = graph_in(g, n, 0), .w = graph_p(g, n, 0), .N = N, .G = ct_groups(n),
                .backward = backward};
    conv_transpose_geom(&c.geo, NULL, g, n);
    c.b = n->spec.use_bias ? graph_p(g, n, 1) : NULL;
    c.C = c.x->shape.d[0];
    c.want_dx = backward && graph_wants_grad(g, n, 0);
    c.assign_dx = backward && graph_assigns_grad(g, n, 0);
    c.per = ct_per_thread(&c.geo, c.C, c.G);
    /* every part of the pool gets a buffer (parts past N take no samples) */
    int parts = tensor_pool_threads();
    if (N < 2 || parts < 1 || n->scratch < c.per * (size_t)parts)
        parts = 1;
    c.buf = graph_scratch(g, c.per * (size_t)parts);
    if (parts > 1)
        tensor_parallel(ct_part, &c);
    else
        ct_part(&c, 0, 1);
    if (!backward)
        return;
    /* the threads' dW and db, added in their order */
    size_t nw = c.w->n, F = (size_t)c.geo.C;
    for (int t = 0; t < parts; t++) {
        const float *dw = c.buf + (size_t)t * c.per + F * c.geo.K * c.geo.P, *db = dw + nw;
        if (c.w->trainable)
            for (size_t k = 0; k < nw; k++)
                c.w->grad[k] += dw[k];
        if (c.b && c.b->trainable)
            for (size_t f = 0; f < F; f++)
                c.b->grad[f] += db[f];
    }
}

void conv_transpose_forward(graph *g, graph_node *n, int N)
{
    ct_run(g, n, N, 0);
}

void conv_transpose_backward(graph *g, graph_node *n, int N)
{
    ct_run(g, n, N, 1);
}
