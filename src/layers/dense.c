/* dense.c - fully connected layer over the last axis.
 *   x (R, IN) -> y (R, OUT) = x W^T + b, R = N * (leading per-sample dims)
 *   W (OUT, IN) in PyTorch's layout, so weights read the same in both. */
#include "layers.h"

dlc_status dense_build(graph *g, graph_node *n, dlc_error *err)
{
    const graph_node *x = graph_in(g, n, 0);
    int IN = x->shape.d[x->shape.ndim - 1];
    int OUT = n->spec.units;
    if (OUT == 0)
        return layer_fail(n, err, "units: auto takes the number of classes from the data, which "
                                  "only the output layer of a softmax_cross_entropy model has");
    if (OUT < 1)
        return layer_fail(n, err, "units must be at least 1");
    n->shape = x->shape;
    n->shape.d[n->shape.ndim - 1] = OUT;
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

void dense_forward(graph *g, graph_node *n, int N)
{
    const graph_node *x = graph_in(g, n, 0);
    const graph_param *w = graph_p(g, n, 0);
    int OUT = w->shape.d[0], IN = w->shape.d[1];
    int R = (int)((size_t)N * x->size / (size_t)IN);
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

void dense_backward(graph *g, graph_node *n, int N)
{
    graph_node *x = graph_in(g, n, 0);
    graph_param *w = graph_p(g, n, 0);
    int OUT = w->shape.d[0], IN = w->shape.d[1];
    int R = (int)((size_t)N * x->size / (size_t)IN);
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
