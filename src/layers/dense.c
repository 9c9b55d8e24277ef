/* dense.c - fully connected layer over the last axis.
 *   x (R, IN) -> y (R, OUT) = x W^T + b, R = N * (leading per-sample dims)
 *   W (OUT, IN) in PyTorch's layout, so weights read the same in both. */
#include <string.h>

#include "layers.h"

dlc_status dense_build(graph *g, graph_node *n, dlc_error *err)
{
    const graph_node *x = graph_in(g, n, 0);
    int IN = x->shape.d[x->shape.ndim - 1];
    int OUT = n->spec.units;
    if (OUT == 0)
        return layer_fail(n, err, "units: auto takes the number of classes from the data, which "
                                  "only the output layer of a softmax_cross_entropy model has; "
                                  "give the number of values it predicts (an mse or sigmoid_bce "
                                  "output: one per label column, units: 1 for one data.label)");
    if (OUT < 1)
        return layer_fail(n, err, "units must be at least 1");
    n->shape = x->shape;
    n->shape.d[n->shape.ndim - 1] = OUT;
    n->seq = x->seq && x->shape.ndim == 2;
    tensor_shape ws = {2, {OUT, IN}}, bs = {1, {OUT}};
    if (graph_param_add(g, n, "weight", &ws, PARAM_WEIGHT, err) < 0)
        return err->status;
    if (n->spec.use_bias && graph_param_add(g, n, "bias", &bs, PARAM_BIAS, err) < 0)
        return err->status;
    return DLC_OK;
}

void dense_init(graph *g, graph_node *n, dlc_rng *rng)
{
    graph_param *w = graph_p(g, n, 0);
    int OUT = w->shape.d[0], IN = w->shape.d[1];
    layer_init_weights(w->data, w->n, IN, OUT, n->spec.init, n->spec.activation, rng);
}

/* Over padded sequences (T, IN): the valid steps of each sample, as N
 * products; its padded steps output zero, as the embedding's and the
 * recurrent layers' do, whatever the other samples of the batch (a flatten
 * after the layer reads them), and pass no gradient. */
static void dense_forward_steps(graph *g, graph_node *n, int N)
{
    const graph_node *x = graph_in(g, n, 0);
    const graph_param *w = graph_p(g, n, 0);
    int OUT = w->shape.d[0], IN = w->shape.d[1], T = n->shape.d[0];
    const float *b = n->spec.use_bias ? graph_p(g, n, 1)->data : NULL;
    for (int i = 0; i < N; i++) {
        const int L = layer_seq_len(g, n, i);
        float *y = n->out + (size_t)i * T * OUT;
        for (int t = 0; t < L; t++)
            for (int j = 0; j < OUT; j++)
                y[(size_t)t * OUT + j] = b ? b[j] : 0.0f;
        tensor_gemm(0, 1, L, OUT, IN, 1.0f, x->out + (size_t)i * T * IN, w->data, 1.0f, y);
        memset(y + (size_t)L * OUT, 0, sizeof(float) * (size_t)(T - L) * OUT);
    }
}

static void dense_backward_steps(graph *g, graph_node *n, int N)
{
    graph_node *x = graph_in(g, n, 0);
    graph_param *w = graph_p(g, n, 0);
    int OUT = w->shape.d[0], IN = w->shape.d[1], T = n->shape.d[0];
    graph_param *b = n->spec.use_bias ? graph_p(g, n, 1) : NULL;
    for (int i = 0; i < N; i++) {
        const int L = layer_seq_len(g, n, i);
        const float *dy = n->grad + (size_t)i * T * OUT, *xi = x->out + (size_t)i * T * IN;
        if (w->trainable)
            tensor_gemm(1, 0, OUT, IN, L, 1.0f, dy, xi, 1.0f, w->grad);
        if (b && b->trainable)
            tensor_sum_rows(b->grad, dy, L, OUT);
        if (graph_wants_grad(g, n, 0))
            tensor_gemm(0, 0, L, IN, OUT, 1.0f, dy, w->data, 1.0f, x->grad + (size_t)i * T * IN);
    }
}

/* 1 when some sample of the batch has padded steps: the products then run
 * per sample */
static int dense_padded(const graph *g, const graph_node *n, int N)
{
    if (!n->seq)
        return 0;
    for (int i = 0; i < N; i++)
        if (layer_seq_len(g, n, i) < n->shape.d[0])
            return 1;
    return 0;
}

void dense_forward(graph *g, graph_node *n, int N)
{
    const graph_node *x = graph_in(g, n, 0);
    const graph_param *w = graph_p(g, n, 0);
    int OUT = w->shape.d[0], IN = w->shape.d[1];
    int R = (int)((size_t)N * x->size / (size_t)IN);
    if (dense_padded(g, n, N)) {
        dense_forward_steps(g, n, N);
        return;
    }
    if (n->spec.use_bias) {
        /* start every row at the bias, then accumulate x W^T on top */
        const float *b = graph_p(g, n, 1)->data;
        for (int r = 0; r < R; r++)
            for (int j = 0; j < OUT; j++)
                n->out[(size_t)r * OUT + j] = b[j];
        tensor_gemm(0, 1, R, OUT, IN, 1.0f, x->out, w->data, 1.0f, n->out);
    } else {
        tensor_gemm(0, 1, R, OUT, IN, 1.0f, x->out, w->data, 0.0f, n->out);
    }
}

/* dW needs x; dx and db need dy alone. */
void dense_saves(const graph *g, const graph_node *n, graph_saves *s)
{
    s->inputs = g->params[n->params[0]].trainable ? 1u : 0u;
}

void dense_backward(graph *g, graph_node *n, int N)
{
    graph_node *x = graph_in(g, n, 0);
    graph_param *w = graph_p(g, n, 0);
    int OUT = w->shape.d[0], IN = w->shape.d[1];
    int R = (int)((size_t)N * x->size / (size_t)IN);
    if (dense_padded(g, n, N)) {
        dense_backward_steps(g, n, N);
        return;
    }
    const float *dy = n->grad; /* (R, OUT) */
    if (w->trainable)
        tensor_gemm(1, 0, OUT, IN, R, 1.0f, dy, x->out, 1.0f, w->grad); /* dW += dy^T x */
    if (n->spec.use_bias) {
        graph_param *b = graph_p(g, n, 1);
        if (b->trainable)
            tensor_sum_rows(b->grad, dy, R, OUT);
    }
    if (graph_wants_grad(g, n, 0))
        tensor_gemm(0, 0, R, IN, OUT, 1.0f, dy, w->data, 1.0f, x->grad); /* dx += dy W */
}
