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

dlc_status layer_same_shape_inputs(graph *g, graph_node *n, dlc_error *err)
{
    const graph_node *x0 = graph_in(g, n, 0);
    int seq = x0->seq;
    for (int k = 1; k < n->n_in; k++) {
        const graph_node *xk = graph_in(g, n, k);
        if (!tensor_shape_equal(&x0->shape, &xk->shape)) {
            char a[64], b[64];
            return layer_fail(n, err, "inputs must have equal shapes: '%s' is %s, '%s' is %s",
                              x0->spec.name, tensor_shape_str(&x0->shape, a, sizeof a),
                              xk->spec.name, tensor_shape_str(&xk->shape, b, sizeof b));
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
