/* embedding.c - token ids to vectors: the embedding matrix E looked up by id,
 * which is E times a one-hot vector without building the one-hot.
 *   ids (N, T) (floats holding whole numbers) -> y (N, T, E) = E[id]
 *   E (V, E), "weight", in PyTorch's nn.Embedding layout.
 * Padding: a negative id, or pad_id when it is >= 0, gives a zero vector and
 * no gradient (as PyTorch's padding_idx); an id >= V is treated the same
 * (the data module never produces one).  For 1-D ids the layer also records
 * each sample's length (one past its last non-padding id) in g->seq_len, so
 * the recurrent layers after it skip the padding at the end of a sequence. */
#include <math.h>
#include <string.h>

#include "layers.h"

int embedding_id(const graph_node *n, float x)
{
    int V = n->spec.vocab, pad = n->spec.pad_id;
    if (!(x > -0.5f) || x >= (float)V - 0.5f)
        return -1;
    int id = (int)floorf(x + 0.5f);
    return id == pad ? -1 : id;
}

dlc_status embedding_build(graph *g, graph_node *n, dlc_error *err)
{
    const graph_node *x = graph_in(g, n, 0);
    int V = n->spec.vocab, E = n->spec.units;
    if (V < 1)
        return layer_fail(n, err, "vocab: auto takes the vocabulary size from text data "
                                  "(data.format: text); give a number otherwise");
    if (E < 1)
        return layer_fail(n, err, "units (the vector size) must be at least 1");
    if (x->shape.ndim >= TENSOR_MAX_DIMS)
        return layer_fail(n, err, "its input has %d axes; at most %d", x->shape.ndim,
                          TENSOR_MAX_DIMS - 1);
    n->shape = x->shape;
    n->shape.d[n->shape.ndim++] = E;
    n->seq = x->shape.ndim == 1;
    tensor_shape ws = {2, {V, E}};
    if (graph_param_add(g, n, "weight", &ws, PARAM_WEIGHT, err) < 0)
        return err->status;
    return DLC_OK;
}

void embedding_init(graph *g, graph_node *n, dlc_rng *rng)
{
    graph_param *w = graph_p(g, n, 0);
    int V = w->shape.d[0], E = w->shape.d[1];
    /* auto: N(0, 1) as PyTorch's nn.Embedding (xavier with fan-in 1) */
    init_kind k = n->spec.init == INIT_AUTO ? INIT_XAVIER : n->spec.init;
    layer_init_weights(w->data, w->n, 1, E, k, ACT_LINEAR, rng);
    if (n->spec.pad_id >= 0 && n->spec.pad_id < V)
        memset(w->data + (size_t)n->spec.pad_id * E, 0, sizeof(float) * (size_t)E);
}

void embedding_forward(graph *g, graph_node *n, int N)
{
    const graph_node *x = graph_in(g, n, 0);
    const graph_param *w = graph_p(g, n, 0);
    int E = w->shape.d[1];
    size_t T = x->size; /* ids per sample */
    for (int i = 0; i < N; i++) {
        const float *ids = x->out + (size_t)i * T;
        float *y = n->out + (size_t)i * T * E;
        int len = 0;
        for (size_t t = 0; t < T; t++) {
            int id = embedding_id(n, ids[t]);
            if (id < 0) {
                memset(y + t * E, 0, sizeof(float) * (size_t)E);
            } else {
                memcpy(y + t * E, w->data + (size_t)id * E, sizeof(float) * (size_t)E);
                len = (int)t + 1;
            }
        }
        if (x->shape.ndim == 1)
            g->seq_len[i] = len;
    }
    if (x->shape.ndim == 1)
        g->seq_valid = 1;
}

/* dE adds dy at the ids' rows */
void embedding_saves(const graph *g, const graph_node *n, graph_saves *s)
{
    s->inputs = g->params[n->params[0]].trainable ? 1u : 0u;
}

void embedding_backward(graph *g, graph_node *n, int N)
{
    const graph_node *x = graph_in(g, n, 0);
    graph_param *w = graph_p(g, n, 0);
    if (!w->trainable)
        return; /* ids have no gradient */
    int E = w->shape.d[1];
    size_t rows = (size_t)N * x->size;
    for (size_t r = 0; r < rows; r++) {
        int id = embedding_id(n, x->out[r]);
        if (id >= 0)
            tensor_axpy(w->grad + (size_t)id * E, 1.0f, n->grad + r * E, (size_t)E);
    }
}
