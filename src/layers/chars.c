/* chars.c - word_chars: a word's vector joined with character features, for
 * taggers that must guess the words they never saw (Ma and Hovy 2016's
 * character CNN):
 *
 *   x (T, 1 + C): per step the word id, then the word's first C bytes
 *                 as ids 1..256 (byte + 1; 0 = no byte), as text data with
 *                 data.text.chars: C gives them
 *   y (T, E + F) = [ E[word] ; max over the word's bytes c of tanh(conv_c) ]
 *   conv_c (F) = b + sum_{j < k} W[:, j, :] Q[byte at c + j - k/2]
 *
 * E (V, E) "weight" (as embedding's, so pretrained: and init_from fill it),
 * Q (257, Dc) "char_weight" the byte vectors, W (F, k, Dc) "conv_weight",
 * b (F) "conv_bias".  Bytes outside the word are zero vectors (the window's
 * "same" padding); the max runs over the word's own bytes only.  A padding
 * step (word id 0) outputs zeros, and the layer records each sample's length
 * as an embedding does, so recurrent layers after it skip the padding.
 *
 * Letters: T steps, C bytes per word, E word vector, F filters, k width,
 * Dc byte vector.
 */
#include <math.h>
#include <string.h>

#include "layers.h"

enum { CHAR_IDS = 257 }; /* 0: no byte, 1..256: byte + 1 */

typedef struct {
    int T, C, E, F, k, Dc;
} wc_geo;

static wc_geo geometry(const graph *g, const graph_node *n)
{
    const graph_node *x = &g->nodes[n->in[0]];
    wc_geo q = {x->shape.d[0], x->shape.ndim == 2 ? x->shape.d[1] - 1 : 0, n->spec.units,
                n->spec.filters, n->spec.kernel.v[0], n->spec.char_units};
    return q;
}

dlc_status word_chars_build(graph *g, graph_node *n, dlc_error *err)
{
    const graph_node *x = graph_in(g, n, 0);
    char sh[64];
    if (x->shape.ndim != 2 || x->shape.d[1] < 2)
        return layer_fail(n, err, "expects per step a word id and its bytes (T, 1 + C), got %s from "
                                  "'%s' (data.text.chars: C gives them)",
                          tensor_shape_str(&x->shape, sh, sizeof sh), x->spec.name);
    if (n->spec.vocab < 1)
        return layer_fail(n, err, "vocab: auto takes the vocabulary size from text data "
                                  "(data.format: text); give a number otherwise");
    if (n->spec.kernel.n != 1 || n->spec.kernel.v[0] < 1 || n->spec.kernel.v[0] % 2 == 0)
        return layer_fail(n, err, "kernel: the width of the byte window, one odd number");
    wc_geo q = geometry(g, n);
    n->shape.ndim = 2;
    n->shape.d[0] = q.T;
    n->shape.d[1] = q.E + q.F;
    n->seq = 1;
    tensor_shape ws = {2, {n->spec.vocab, q.E}}, cs = {2, {CHAR_IDS, q.Dc}},
                 cw = {3, {q.F, q.k, q.Dc}}, cb = {1, {q.F}};
    if (graph_param_add(g, n, "weight", &ws, PARAM_WEIGHT, err) < 0 ||
        graph_param_add(g, n, "char_weight", &cs, PARAM_WEIGHT, err) < 0 ||
        graph_param_add(g, n, "conv_weight", &cw, PARAM_WEIGHT, err) < 0 ||
        graph_param_add(g, n, "conv_bias", &cb, PARAM_BIAS, err) < 0)
        return err->status;
    n->aux_per_sample = (size_t)q.T * q.F; /* the byte each filter's max came from, -1: none */
    return DLC_OK;
}

void word_chars_init(graph *g, graph_node *n, dlc_rng *rng)
{
    wc_geo q = geometry(g, n);
    graph_param *E = graph_p(g, n, 0), *Q = graph_p(g, n, 1), *W = graph_p(g, n, 2);
    init_kind k = n->spec.init == INIT_AUTO ? INIT_XAVIER : n->spec.init;
    layer_init_weights(E->data, E->n, 1, q.E, k, ACT_LINEAR, rng);
    layer_init_weights(Q->data, Q->n, 1, q.Dc, k, ACT_LINEAR, rng);
    layer_init_weights(W->data, W->n, q.k * q.Dc, q.F, INIT_XAVIER, ACT_TANH, rng);
    memset(E->data, 0, sizeof(float) * (size_t)q.E);  /* <pad> */
    memset(Q->data, 0, sizeof(float) * (size_t)q.Dc); /* no byte */
}

static int byte_id(float v)
{
    int id = (int)floorf(v + 0.5f);
    return id > 0 && id < CHAR_IDS ? id : 0;
}

/* bytes of the word at x (1 + C values): how many before the first 0 */
static int word_bytes(const float *x, int C)
{
    int len = 0;
    while (len < C && byte_id(x[1 + len]) > 0)
        len++;
    return len;
}

/* conv at byte c of a word (ids (C)) into z (F) */
static void conv_at(float *restrict z, const int *ids, int len, int c, const wc_geo *q,
                    const float *Q, const float *W, const float *b)
{
    for (int f = 0; f < q->F; f++) {
        float s = b[f];
        for (int j = 0; j < q->k; j++) {
            int p = c + j - q->k / 2;
            if (p < 0 || p >= len)
                continue;
            const float *qv = Q + (size_t)ids[p] * q->Dc, *w = W + ((size_t)f * q->k + j) * q->Dc;
            for (int i = 0; i < q->Dc; i++)
                s += w[i] * qv[i];
        }
        z[f] = s;
    }
}

void word_chars_forward(graph *g, graph_node *n, int N)
{
    const graph_node *x = graph_in(g, n, 0);
    wc_geo q = geometry(g, n);
    const graph_param *E = graph_p(g, n, 0), *Q = graph_p(g, n, 1), *W = graph_p(g, n, 2),
                      *B = graph_p(g, n, 3);
    const int Y = q.E + q.F, K = q.C + 1;
    float *z = graph_scratch(g, (size_t)q.F);
    int ids[256];
    for (int i = 0; i < N; i++) {
        int last = 0;
        for (int t = 0; t < q.T; t++) {
            const float *xt = x->out + ((size_t)i * q.T + t) * K;
            float *y = n->out + ((size_t)i * q.T + t) * Y;
            float *arg = n->aux + ((size_t)i * q.T + t) * q.F;
            int w = embedding_id(n, xt[0]);
            memset(y, 0, sizeof(float) * (size_t)Y);
            for (int f = 0; f < q.F; f++)
                arg[f] = -1.0f;
            if (w < 0)
                continue;
            last = t + 1;
            memcpy(y, E->data + (size_t)w * q.E, sizeof(float) * (size_t)q.E);
            int len = word_bytes(xt, q.C < 256 ? q.C : 256);
            for (int c = 0; c < len; c++)
                ids[c] = byte_id(xt[1 + c]);
            float *h = y + q.E;
            for (int c = 0; c < len; c++) {
                conv_at(z, ids, len, c, &q, Q->data, W->data, B->data);
                for (int f = 0; f < q.F; f++)
                    if (arg[f] < 0 || z[f] > h[f]) {
                        h[f] = z[f];
                        arg[f] = (float)c;
                    }
            }
            for (int f = 0; f < q.F; f++)
                h[f] = len > 0 ? tanhf(h[f]) : 0.0f;
        }
        g->seq_len[i] = last;
    }
    g->seq_valid = 1;
}

void word_chars_backward(graph *g, graph_node *n, int N)
{
    const graph_node *x = graph_in(g, n, 0);
    wc_geo q = geometry(g, n);
    graph_param *E = graph_p(g, n, 0), *Q = graph_p(g, n, 1), *W = graph_p(g, n, 2),
                *B = graph_p(g, n, 3);
    const int Y = q.E + q.F, K = q.C + 1;
    int ids[256];
    for (int i = 0; i < N; i++)
        for (int t = 0; t < q.T; t++) {
            const float *xt = x->out + ((size_t)i * q.T + t) * K;
            const float *y = n->out + ((size_t)i * q.T + t) * Y;
            const float *dy = n->grad + ((size_t)i * q.T + t) * Y;
            const float *arg = n->aux + ((size_t)i * q.T + t) * q.F;
            int w = embedding_id(n, xt[0]);
            if (w < 0)
                continue;
            if (E->trainable)
                tensor_axpy(E->grad + (size_t)w * q.E, 1.0f, dy, (size_t)q.E);
            int len = word_bytes(xt, q.C < 256 ? q.C : 256);
            for (int c = 0; c < len; c++)
                ids[c] = byte_id(xt[1 + c]);
            for (int f = 0; f < q.F; f++) {
                if (arg[f] < 0)
                    continue;
                float h = y[q.E + f], dz = dy[q.E + f] * (1.0f - h * h);
                int c = (int)arg[f];
                if (B->trainable)
                    B->grad[f] += dz;
                for (int j = 0; j < q.k; j++) {
                    int p = c + j - q.k / 2;
                    if (p < 0 || p >= len)
                        continue;
                    size_t wo = ((size_t)f * q.k + j) * q.Dc, qo = (size_t)ids[p] * q.Dc;
                    if (W->trainable)
                        tensor_axpy(W->grad + wo, dz, Q->data + qo, (size_t)q.Dc);
                    if (Q->trainable)
                        tensor_axpy(Q->grad + qo, dz, W->data + wo, (size_t)q.Dc);
                }
            }
        }
}
