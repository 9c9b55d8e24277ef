/* verify.c - how a model compares two examples, and its embeddings (see
 * infer.h).  The examples arrive normalized; a pair model's input stacks
 * two of them (first axis doubled), so one example is embedded by stacking
 * it with itself and reading the embedding layer of either branch.
 *
 * Letters: n examples, D values per example, E values per embedding,
 * NMAX the graph's batch capacity.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "infer.h"

const char *const infer_distance_names[INFER_VERIFY_COUNT + 2] = {"squared_l2", "1 - p(same)",
                                                                  "contrastive |v|^2", NULL};

tensor_shape infer_example_shape(const model *m)
{
    tensor_shape s = m->data_shape;
    if (m->stack > 1 && s.ndim > 0)
        s.d[0] /= m->stack;
    return s;
}

void infer_example_norm(const model *m, data_norm *view)
{
    *view = m->norm;
    view->dim = m->norm.dim / (size_t)(m->stack > 1 ? m->stack : 1);
}

dlc_status infer_load_images(const model *m, const char *const *files, int n, float *x,
                             dlc_error *err)
{
    tensor_shape one = infer_example_shape(m);
    char shape[64];
    if (m->text || one.ndim != 3 || (one.d[0] != 1 && one.d[0] != 3))
        return dlc_fail(err, DLC_EINPUT,
                        "the model compares examples of shape %s, not images (1 or 3 channels, "
                        "height, width)",
                        tensor_shape_str(&one, shape, sizeof shape));
    const size_t D = tensor_shape_size(&one);
    uint8_t *pix = malloc(D);
    if (!pix)
        return DLC_NOMEM(err);
    dlc_status st = DLC_OK;
    for (int i = 0; i < n && st == DLC_OK; i++) {
        st = data_image_load(files[i], 0, &one, pix, err);
        for (size_t j = 0; st == DLC_OK && j < D; j++)
            x[(size_t)i * D + j] = (float)pix[j];
    }
    free(pix);
    if (st == DLC_OK)
        infer_normalize_examples(m, x, n);
    return st;
}

void infer_normalize_examples(const model *m, float *x, int n)
{
    data_norm view;
    infer_example_norm(m, &view);
    data_norm_apply(&view, x, (size_t)n);
}

dlc_status infer_set_embedding(model *m, const char *layer, dlc_error *err)
{
    int node = graph_find(m->g, layer);
    if (node < 0) {
        /* the nearest name, else the layers there are (the first few) */
        const char **names = malloc(sizeof *names * ((size_t)m->g->n_nodes + 1));
        if (!names)
            return DLC_NOMEM(err);
        char list[300] = "";
        for (int i = 0, at = 0; i < m->g->n_nodes; i++) {
            names[i] = m->g->nodes[i].spec.name;
            if (i < 8 && at < (int)sizeof list)
                at += snprintf(list + at, sizeof list - (size_t)at, "%s'%.40s'%s", i ? ", " : "",
                               names[i], i == 7 && m->g->n_nodes > 8 ? ", ..." : "");
        }
        names[m->g->n_nodes] = NULL;
        const char *near = dlc_nearest(layer, names);
        dlc_status st;
        if (near)
            st = dlc_fail(err, DLC_EINPUT, "--embedding: the model has no layer '%s' (did you mean "
                          "'%s'?)", layer, near);
        else
            st = dlc_fail(err, DLC_EINPUT, "--embedding: the model has no layer '%s' (its %d "
                          "layers: %s)", layer, m->g->n_nodes, list);
        free(names);
        return st;
    }
    dlc_status st = graph_keep_output(m->g, node, err); /* read after each pass */
    if (st != DLC_OK)
        return st;
    /* the run's own embedding layer keeps the threshold chosen on it: by
     * model.embedding, or a triplet output's layer when that is unset */
    const char *own = m->embedding;
    if (!own[0] && m->heads[0].loss == LOSS_TRIPLET)
        own = graph_output(m->g, 0)->spec.name;
    if (strcmp(own, layer) != 0 || m->stack > 1)
        m->verify_threshold = NAN;
    dlc_strlcpy(m->embedding, layer, sizeof m->embedding);
    m->verify_by_embedding = 1;
    return DLC_OK;
}

dlc_status infer_verifier_init(infer_verifier *v, const model *m, dlc_error *err)
{
    const graph *g = m->g;
    tensor_shape one = infer_example_shape(m);
    memset(v, 0, sizeof *v);
    v->node = -1;
    v->D = tensor_shape_size(&one);
    if (m->embedding[0]) {
        v->node = graph_find(g, m->embedding);
        if (v->node < 0)
            return dlc_fail(err, DLC_EINPUT, "model.embedding: no layer is named '%s'",
                            m->embedding);
    } else if (m->heads[0].loss == LOSS_TRIPLET) {
        v->node = (int)(graph_output((graph *)g, 0) - g->nodes);
    }
    if (v->node >= 0)
        v->dim = g->nodes[v->node].size;
    if (m->stack == 2 && !m->verify_by_embedding) {
        const graph_node *o = graph_output((graph *)g, 0);
        v->kind = INFER_VERIFY_PAIR;
        if (m->heads[0].loss == LOSS_CONTRASTIVE) {
            v->distance = infer_distance_names[2];
        } else if (m->heads[0].loss == LOSS_SIGMOID_BCE && o->size == 1) {
            v->distance = infer_distance_names[1];
        } else {
            return dlc_fail(err, DLC_EINPUT,
                            "a pair model compares with its first output: one sigmoid_bce unit "
                            "(p(same)) or a contrastive difference vector; this one has %s with "
                            "%zu values",
                            loss_names[m->heads[0].loss], o->size);
        }
        return DLC_OK;
    }
    if (v->node < 0)
        return dlc_fail(err, DLC_EINPUT,
                        "the model has no embedding to compare examples with: name a layer "
                        "(a classifier's last hidden layer, say: dlc summary lists them) with "
                        "--embedding LAYER or in model.embedding, or train with loss triplet or "
                        "data.sampler pairs");
    v->kind = INFER_VERIFY_EMBED;
    v->distance = infer_distance_names[0];
    return DLC_OK;
}

/* Row i of the graph's input: example a, then (pair models) example b. */
static void put_input(model *m, const infer_verifier *v, int i, const float *a, const float *b)
{
    float *in = graph_input(m->g, 0) + (size_t)i * v->D * (size_t)m->stack; /* (N, stack * D) */
    memcpy(in, a, sizeof(float) * v->D);
    if (m->stack == 2)
        memcpy(in + v->D, b, sizeof(float) * v->D);
}

dlc_status infer_embed(model *m, const infer_verifier *v, const float *x, int n, float *e,
                       dlc_error *err)
{
    graph *g = m->g;
    if (v->node < 0)
        return dlc_fail(err, DLC_EINPUT, "the model has no embedding layer: name one in "
                                         "model.embedding when training");
    const graph_node *node = &g->nodes[v->node];
    for (int start = 0; start < n; start += g->nmax) {
        int N = n - start < g->nmax ? n - start : g->nmax;
        for (int i = 0; i < N; i++) {
            const float *xi = x + (size_t)(start + i) * v->D;
            put_input(m, v, i, xi, xi);
        }
        graph_forward(g, N, 0);
        memcpy(e + (size_t)start * v->dim, node->out, sizeof(float) * (size_t)N * v->dim);
    }
    return DLC_OK;
}

static double sqdist(const float *a, const float *b, size_t E)
{
    double s = 0;
    for (size_t k = 0; k < E; k++) {
        double t = (double)a[k] - b[k];
        s += t * t;
    }
    return s;
}

/* The distance a pair model's first output gives pair row i. */
static double pair_distance(const model *m, const infer_verifier *v, int i)
{
    const graph_node *o = graph_output(m->g, 0);
    const float *out = o->out + (size_t)i * o->size;
    if (m->heads[0].loss == LOSS_CONTRASTIVE)
        return tensor_sumsq(out, o->size);
    double z = out[0];
    double p = z >= 0 ? 1.0 / (1.0 + exp(-z)) : exp(z) / (1.0 + exp(z));
    return 1.0 - p;
}

dlc_status infer_distances(model *m, const infer_verifier *v, const float *x, const float *e,
                           const int *ia, const int *ib, int np, double *d, dlc_error *err)
{
    graph *g = m->g;
    if (v->kind == INFER_VERIFY_EMBED && e) {
        for (int k = 0; k < np; k++)
            d[k] = sqdist(e + (size_t)ia[k] * v->dim, e + (size_t)ib[k] * v->dim, v->dim);
        return DLC_OK;
    }
    if (v->kind == INFER_VERIFY_EMBED) {
        /* both examples of a pair in one batch: a-rows first, then b-rows */
        const graph_node *node = &g->nodes[v->node];
        int per = g->nmax / 2 > 0 ? g->nmax / 2 : 1;
        if (g->nmax < 2)
            return dlc_fail(err, DLC_EINPUT, "comparing needs a batch of at least 2");
        for (int start = 0; start < np; start += per) {
            int N = np - start < per ? np - start : per;
            for (int k = 0; k < N; k++) {
                const float *a = x + (size_t)ia[start + k] * v->D, *b = x + (size_t)ib[start + k] * v->D;
                put_input(m, v, k, a, a);
                put_input(m, v, N + k, b, b);
            }
            graph_forward(g, 2 * N, 0);
            for (int k = 0; k < N; k++)
                d[start + k] = sqdist(node->out + (size_t)k * v->dim,
                                      node->out + (size_t)(N + k) * v->dim, v->dim);
        }
        return DLC_OK;
    }
    for (int start = 0; start < np; start += g->nmax) {
        int N = np - start < g->nmax ? np - start : g->nmax;
        for (int k = 0; k < N; k++)
            put_input(m, v, k, x + (size_t)ia[start + k] * v->D, x + (size_t)ib[start + k] * v->D);
        graph_forward(g, N, 0);
        for (int k = 0; k < N; k++)
            d[start + k] = pair_distance(m, v, k);
    }
    return DLC_OK;
}
