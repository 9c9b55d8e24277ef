/* common.c - what several layer families share: error messages that name the
 * layer, shape checks, and weight initialisation. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>

#include "layers.h"

dlc_status layer_fail(const graph_node *n, dlc_error *err, const char *fmt, ...)
{
    char label[256], msg[700];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return dlc_fail(err, DLC_EINPUT, "%s: %s", graph_node_label(n, label, sizeof label), msg);
}

/* What makes two maps (C, S...) fit, for the message of a layer that needs them
 * equal along every axis but `free` (-1: none; concat's axis).  Spatial sizes
 * first: r times larger on every spatial axis is a pooling or an upsample by r;
 * then channels: a 1x1 convolution (a dense layer for vectors) on b. */
void layer_fit_hint(char *buf, size_t len, const graph_node *a, const graph_node *b, int free)
{
    const tensor_shape *sa = &a->shape, *sb = &b->shape;
    buf[0] = '\0';
    if (a->seq || b->seq || free > 0)
        return;
    if (sa->ndim != sb->ndim) {
        snprintf(buf, len, " (flatten both, or reshape one to the other's shape)");
        return;
    }
    int r = 0, even = 1, spatial = 0;
    const graph_node *big = a, *small = b;
    for (int i = 1; i < sa->ndim; i++)
        if (sa->d[i] != sb->d[i]) {
            spatial = 1;
            int hi = sa->d[i] > sb->d[i] ? sa->d[i] : sb->d[i], lo = sa->d[i] + sb->d[i] - hi;
            if ((sa->d[i] > sb->d[i]) != (big == a) && r)
                even = 0;
            big = sa->d[i] > sb->d[i] ? a : b;
            small = big == a ? b : a;
            even = even && hi % lo == 0 && (!r || r == hi / lo);
            r = hi / lo;
        } else {
            even = 0; /* one axis of the same size: no one factor */
        }
    if (spatial && even && r > 1)
        snprintf(buf, len, " ('%s' is %d times the size of '%s' along each axis after the channels: a maxpool "
                 "with kernel: %d on '%s', or an upsample with scale: %d on '%s', makes them one size)",
                 big->spec.name, r, small->spec.name, r, big->spec.name, r, small->spec.name);
    else if (spatial)
        snprintf(buf, len, " (make them one size along the axes after the channels: padding: same keeps a "
                 "convolution's size; a pooling or a stride shrinks it, an upsample enlarges it)");
    else if (free != 0 && sa->d[0] != sb->d[0] && sa->ndim >= 2 && sa->ndim <= 4 &&
             b->spec.op == OP_CONV1D + sa->ndim - 2)
        snprintf(buf, len, " (filters: %d on '%s', or a conv%dd with filters: %d, kernel: 1 after it as "
                 "ResNet's projection shortcut, makes the channels match)", sa->d[0], b->spec.name, sa->ndim - 1,
                 sa->d[0]);
    else if (free != 0 && sa->d[0] != sb->d[0] && sa->ndim >= 2 && sa->ndim <= 4)
        snprintf(buf, len, " (a conv%dd with filters: %d, kernel: 1 after '%s', as ResNet's projection "
                 "shortcut, makes the channels match)", sa->ndim - 1, sa->d[0], b->spec.name);
    else if (free != 0 && sa->ndim == 1 && b->spec.op == OP_DENSE)
        snprintf(buf, len, " (units: %d on '%s', or a dense layer with units: %d after it, makes them match)",
                 sa->d[0], b->spec.name, sa->d[0]);
    else if (free != 0 && sa->ndim == 1)
        snprintf(buf, len, " (a dense layer with units: %d after '%s' makes them match)", sa->d[0], b->spec.name);
}

dlc_status layer_same_shape_inputs(graph *g, graph_node *n, dlc_error *err)
{
    const graph_node *x0 = graph_in(g, n, 0);
    int seq = x0->seq;
    for (int k = 1; k < n->n_in; k++) {
        const graph_node *xk = graph_in(g, n, k);
        if (!tensor_shape_equal(&x0->shape, &xk->shape)) {
            char a[64], b[64], hint[400];
            layer_fit_hint(hint, sizeof hint, x0, xk, -1);
            return layer_fail(n, err, "inputs must have equal shapes: '%s' is %s, '%s' is %s%s",
                              x0->spec.name, tensor_shape_str(&x0->shape, a, sizeof a),
                              xk->spec.name, tensor_shape_str(&xk->shape, b, sizeof b), hint);
        }
        seq = seq && xk->seq;
    }
    n->shape = x0->shape;
    n->seq = seq;
    return DLC_OK;
}

int layer_seq_len(const graph *g, const graph_node *x, int i)
{
    int T = x->shape.d[0];
    if (!x->seq || !g->seq_valid)
        return T;
    return g->seq_len[i] < T ? g->seq_len[i] : T;
}

dlc_status layer_refuse_seq(const graph_node *n, const graph_node *x, const char *what,
                            const char *recipe, dlc_error *err)
{
    if (!x->seq)
        return DLC_OK;
    return layer_fail(n, err,
                      "its input '%s' is a sequence (%d steps, %d features), but %s takes "
                      "(channels, spatial axes...) and would %s, with each step as a channel; %s",
                      x->spec.name, x->shape.d[0], x->shape.d[1], graph_ops[n->spec.op].name,
                      what, recipe);
}

void layer_axis_geometry(const tensor_shape *s, int axis, size_t *outer, size_t *inner)
{
    *outer = 1;
    *inner = 1;
    for (int i = 0; i < axis; i++)
        *outer *= (size_t)s->d[i];
    for (int i = axis + 1; i < s->ndim; i++)
        *inner *= (size_t)s->d[i];
}

void layer_init_weights(float *w, size_t n, int fan_in, int fan_out, init_kind kind, act_kind act,
                        dlc_rng *rng)
{
    if (kind == INIT_AUTO) {
        /* the notes: He for ReLU-like units, Xavier for tanh (and the rest) */
        int relu_like = act == ACT_RELU || act == ACT_LEAKY_RELU || act == ACT_ELU || act == ACT_GELU ||
                        act == ACT_RELU6 || act == ACT_SILU || act == ACT_HARDSWISH;
        kind = relu_like ? INIT_HE : INIT_XAVIER;
    }
    double scale = 0;
    switch (kind) {
    case INIT_SMALL:
        scale = 0.01;
        break;
    case INIT_HE:
        scale = sqrt(2.0 / fan_in);
        break;
    case INIT_HE_FAN_OUT:
        scale = sqrt(2.0 / fan_out);
        break;
    case INIT_XAVIER:
        scale = sqrt(1.0 / fan_in);
        break;
    case INIT_GLOROT:
        scale = sqrt(2.0 / (fan_in + fan_out));
        break;
    case INIT_ZEROS:
    case INIT_AUTO:
    case INIT_COUNT:
        scale = 0;
        break;
    }
    for (size_t i = 0; i < n; i++)
        w[i] = scale ? (float)(dlc_rng_normal(rng) * scale) : 0.0f;
}
