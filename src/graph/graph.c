/* graph.c - building the layer graph (topological order, shape inference,
 * one block for parameters and one for gradients), forward and backward. */
#include "graph.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const graph_act_names[ACT_COUNT + 1] = {
    "linear", "sigmoid", "tanh", "relu", "leaky_relu", "elu", "gelu", "softmax", NULL,
};

const char *const graph_pad_names[PAD_COUNT + 1] = {"valid", "same", "explicit", NULL};

const char *const graph_init_names[INIT_COUNT + 1] = {
    "auto", "small", "he", "xavier", "glorot", "zeros", NULL,
};

const char *graph_node_label(const graph_node *n, char *buf, size_t size)
{
    if (n->spec.where[0])
        snprintf(buf, size, "%s: layer '%s' (%s)", n->spec.where, n->spec.name, n->spec.type);
    else
        snprintf(buf, size, "layer '%s' (%s)", n->spec.name, n->spec.type);
    return buf;
}

int graph_find(const graph *g, const char *name)
{
    for (int i = 0; i < g->n_nodes; i++)
        if (strcmp(g->nodes[i].spec.name, name) == 0)
            return i;
    return -1;
}

int graph_param_find(const graph *g, const char *name)
{
    for (int i = 0; i < g->n_params; i++)
        if (strcmp(g->params[i].name, name) == 0)
            return i;
    return -1;
}

graph_node *graph_output(graph *g, int k)
{
    assert(k >= 0 && k < g->n_outputs);
    return &g->nodes[g->outputs[k]];
}

float *graph_input(graph *g, int i)
{
    assert(i >= 0 && i < g->n_inputs);
    return g->nodes[i].out;
}

int graph_seq_steps(const graph *g, const graph_node *n, int N)
{
    if (!n->seq)
        return -1;
    int T = n->shape.d[0];
    if (!g->seq_valid)
        return T;
    int m = 0;
    for (int i = 0; i < N; i++)
        m = g->seq_len[i] > m ? g->seq_len[i] : m;
    return m < T ? m : T;
}

float *graph_scratch(graph *g, size_t n)
{
    return tensor_arena_alloc(&g->arena, n);
}

void graph_count_params(const graph *g, size_t *trainable, size_t *frozen)
{
    size_t t = 0, f = 0;
    for (int i = 0; i < g->n_params; i++) {
        const graph_param *p = &g->params[i];
        if (p->buffer)
            continue;
        if (p->trainable)
            t += p->n;
        else
            f += p->n;
    }
    if (trainable)
        *trainable = t;
    if (frozen)
        *frozen = f;
}

int graph_param_add(graph *g, graph_node *n, const char *local, const tensor_shape *shape,
                    param_role role, dlc_error *err)
{
    char label[256], want[64], have[64];
    if (n->n_params >= GRAPH_MAX_PARAMS) {
        dlc_fail(err, DLC_ERUN, "%s: too many parameters", graph_node_label(n, label, sizeof label));
        return -1;
    }
    if (n->spec.share[0]) {
        char full[GRAPH_NAME_MAX + 32];
        snprintf(full, sizeof full, "%s.%s", n->spec.share, local);
        int id = graph_param_find(g, full);
        if (id < 0) {
            dlc_fail(err, DLC_EINPUT, "%s: shares parameters with '%s', which has no parameter '%s'",
                     graph_node_label(n, label, sizeof label), n->spec.share, local);
            return -1;
        }
        if (!tensor_shape_equal(&g->params[id].shape, shape)) {
            dlc_fail(err, DLC_EINPUT, "%s: shares '%s' of shape %s but needs shape %s",
                     graph_node_label(n, label, sizeof label), full,
                     tensor_shape_str(&g->params[id].shape, have, sizeof have),
                     tensor_shape_str(shape, want, sizeof want));
            return -1;
        }
        n->params[n->n_params++] = id;
        return id;
    }
    graph_param *np = realloc(g->params, sizeof *np * (size_t)(g->n_params + 1));
    if (!np) {
        DLC_NOMEM(err);
        return -1;
    }
    g->params = np;
    graph_param *p = &g->params[g->n_params];
    memset(p, 0, sizeof *p);
    snprintf(p->name, sizeof p->name, "%s.%s", n->spec.name, local);
    p->shape = *shape;
    p->n = tensor_shape_size(shape);
    p->buffer = role == PARAM_BUFFER;
    p->trainable = !p->buffer && n->spec.trainable;
    p->decay = role == PARAM_WEIGHT;
    p->node = n->id;
    n->params[n->n_params++] = g->n_params;
    return g->n_params++;
}

/* ---- building ---- */

/* Layers are found by name through an index (names -> spec indices) built
 * once by check_names, so building is linear in the number of layers: a
 * scan per lookup made 40,000 layers take 13 s. */

/* Layer dependencies as spec indices; -1 stands for the model input. */
static dlc_status spec_deps(const layer_spec *specs, int n, const dlc_index *ix, int i, int *deps,
                            int *n_deps, dlc_error *err)
{
    const layer_spec *s = &specs[i];
    *n_deps = 0;
    if (s->n_inputs == 0) {
        deps[(*n_deps)++] = i - 1; /* the previous layer, or the input for the first */
    } else {
        for (int k = 0; k < s->n_inputs; k++) {
            int j = strcmp(s->inputs[k], "input") == 0 ? -1 : dlc_index_get(ix, s->inputs[k]);
            if (j == -1 && strcmp(s->inputs[k], "input") != 0) {
                const char **names = malloc(sizeof *names * ((size_t)n + 2));
                if (!names)
                    return DLC_NOMEM(err);
                for (int q = 0; q < n; q++)
                    names[q] = specs[q].name;
                names[n] = "input";
                names[n + 1] = NULL;
                const char *near = dlc_nearest(s->inputs[k], names);
                dlc_fail(err, DLC_EINPUT, "%s%slayer '%s': input '%s' is not a layer%s%s%s", s->where,
                         s->where[0] ? ": " : "", s->name, s->inputs[k],
                         near ? " (did you mean '" : "", near ? near : "", near ? "'?)" : "");
                free(names);
                return DLC_EINPUT;
            }
            deps[(*n_deps)++] = j;
        }
    }
    if (s->share[0]) {
        int j = dlc_index_get(ix, s->share);
        if (j < 0 || j == i)
            return dlc_fail(err, DLC_EINPUT, "%s%slayer '%s': share: '%s' is not another layer",
                            s->where, s->where[0] ? ": " : "", s->name, s->share);
        deps[(*n_deps)++] = j;
    }
    return DLC_OK;
}

/* Depth-first topological sort; order[] receives spec indices. */
static dlc_status topo_sort(const layer_spec *specs, int n, const dlc_index *ix, int *order,
                            dlc_error *err)
{
    int *state = calloc((size_t)n, sizeof *state); /* 0 new, 1 on stack, 2 done */
    int *stack = malloc(sizeof *stack * (size_t)n);
    int *next = calloc((size_t)n, sizeof *next);
    dlc_status st = DLC_OK;
    int count = 0;
    if (!state || !stack || !next) {
        st = DLC_NOMEM(err);
        goto cleanup;
    }
    for (int root = 0; root < n; root++) {
        if (state[root])
            continue;
        int sp = 0;
        stack[sp++] = root;
        state[root] = 1;
        while (sp) {
            int i = stack[sp - 1];
            int deps[GRAPH_MAX_INPUTS + 1], nd;
            if ((st = spec_deps(specs, n, ix, i, deps, &nd, err)) != DLC_OK)
                goto cleanup;
            if (next[i] < nd) {
                int j = deps[next[i]++];
                if (j < 0 || state[j] == 2)
                    continue;
                if (state[j] == 1) {
                    st = dlc_fail(err, DLC_EINPUT, "%s%slayer '%s': its inputs form a cycle through '%s'",
                                  specs[i].where, specs[i].where[0] ? ": " : "", specs[i].name,
                                  specs[j].name);
                    goto cleanup;
                }
                state[j] = 1;
                stack[sp++] = j;
            } else {
                state[i] = 2;
                order[count++] = i;
                sp--;
            }
        }
    }
cleanup:
    free(state);
    free(stack);
    free(next);
    return st;
}

/* Names present, unique, not 'input'; types known.  Fills ix (name -> spec). */
static dlc_status check_names(const layer_spec *specs, int n, dlc_index *ix, dlc_error *err)
{
    for (int i = 0; i < n; i++) {
        if (!specs[i].name[0])
            return dlc_fail(err, DLC_EINPUT, "%s%slayer %d has no name", specs[i].where,
                            specs[i].where[0] ? ": " : "", i + 1);
        if (strcmp(specs[i].name, "input") == 0)
            return dlc_fail(err, DLC_EINPUT, "%s%s'input' is reserved for the model input",
                            specs[i].where, specs[i].where[0] ? ": " : "");
        if (dlc_index_put(ix, specs[i].name, i) != -1)
            return dlc_fail(err, DLC_EINPUT, "%s%slayer name '%s' is used twice", specs[i].where,
                            specs[i].where[0] ? ": " : "", specs[i].name);
        if (specs[i].op < 0 || specs[i].op >= OP_COUNT || specs[i].op == OP_INPUT)
            return dlc_fail(err, DLC_EINPUT, "%s%slayer '%s': unknown type '%s'", specs[i].where,
                            specs[i].where[0] ? ": " : "", specs[i].name, specs[i].type);
    }
    return DLC_OK;
}

/* A gradient flows through n when it learns or something before it does. */
static int node_needs_grad(const graph *g, const graph_node *n)
{
    for (int q = 0; q < n->n_params; q++)
        if (g->params[n->params[q]].trainable)
            return 1;
    for (int q = 0; q < n->n_in; q++)
        if (g->nodes[n->in[q]].needs_grad)
            return 1;
    return 0;
}

static dlc_status allocate(graph *g, dlc_error *err)
{
    size_t total = 0;
    for (int i = 0; i < g->n_params; i++)
        total += (g->params[i].n + 15) & ~(size_t)15; /* 64-byte aligned tensors */
    g->n_weights = total;
    g->param_block = tensor_alloc(total);
    g->grad_block = tensor_alloc(total);
    if (!g->param_block || !g->grad_block)
        return DLC_NOMEM(err);
    size_t off = 0;
    for (int i = 0; i < g->n_params; i++) {
        graph_param *p = &g->params[i];
        p->data = g->param_block + off;
        p->grad = p->buffer ? NULL : g->grad_block + off;
        off += (p->n + 15) & ~(size_t)15;
    }
    size_t scratch = 0, widest = 0;
    for (int i = 0; i < g->n_nodes; i++) {
        graph_node *n = &g->nodes[i];
        size_t rows = (size_t)g->nmax * n->size;
        n->out = tensor_alloc(rows);
        n->grad = tensor_alloc(rows);
        if (!n->out || !n->grad)
            return DLC_NOMEM(err);
        if (graph_act_needs_pre(n->spec.activation) && !(n->pre = tensor_alloc(rows)))
            return DLC_NOMEM(err);
        size_t aux = n->aux_per_sample * (size_t)g->nmax + n->aux_fixed;
        if (aux && !(n->aux = tensor_alloc(aux)))
            return DLC_NOMEM(err);
        /* each allocation is rounded to 16 floats in the arena */
        size_t s = n->scratch + 16 * 8;
        if (s > scratch)
            scratch = s;
        if (n->size > widest)
            widest = n->size;
    }
    (void)widest;
    if (!(g->seq_len = calloc((size_t)g->nmax, sizeof *g->seq_len)))
        return DLC_NOMEM(err);
    return tensor_arena_init(&g->arena, scratch, err);
}

/* A node whose only consumer overwrites its gradient needs no clearing:
 * the largest gradients (a conv output read only by its pooling) are then
 * written once per step instead of cleared and then added to. */
static dlc_status mark_assigned_grads(graph *g, dlc_error *err)
{
    /* consumers counted in one pass over the edges (linear in the layers) */
    int *consumers = calloc((size_t)g->n_nodes, sizeof *consumers);
    int *by = malloc(sizeof *by * (size_t)g->n_nodes);
    if (!consumers || !by) {
        free(consumers);
        free(by);
        return DLC_NOMEM(err);
    }
    for (int i = 0; i < g->n_nodes; i++)
        by[i] = -1;
    for (int j = 0; j < g->n_nodes; j++)
        for (int q = 0; q < g->nodes[j].n_in; q++) {
            consumers[g->nodes[j].in[q]]++;
            by[g->nodes[j].in[q]] = j;
        }
    for (int k = 0; k < g->n_outputs; k++)
        consumers[g->outputs[k]]++; /* the loss writes an output's gradient */
    for (int i = 0; i < g->n_nodes; i++)
        g->nodes[i].grad_assigned = consumers[i] == 1 && by[i] >= 0 &&
                                    graph_ops[g->nodes[by[i]].spec.op].assigns_input_grad;
    free(consumers);
    free(by);
    return DLC_OK;
}

dlc_status graph_build(graph **out, const tensor_shape *input, const layer_spec *layers,
                       int n_layers, const char *const *outputs, int n_outputs, int nmax,
                       dlc_error *err)
{
    *out = NULL;
    dlc_status st = DLC_OK;
    int *order = NULL, *node_of = NULL; /* node_of: spec index -> node id */
    dlc_index ix = {0};
    graph *g = calloc(1, sizeof *g);
    if (!g)
        return DLC_NOMEM(err);
    if (n_layers < 1) {
        st = dlc_fail(err, DLC_EINPUT, "the model has no layers");
        goto fail;
    }
    if (nmax < 1) {
        st = dlc_fail(err, DLC_EINPUT, "batch capacity must be at least 1");
        goto fail;
    }
    if (n_layers > GRAPH_MAX_LAYERS) {
        st = dlc_fail(err, DLC_EINPUT, "the model has %d layers; at most %d are allowed", n_layers,
                      GRAPH_MAX_LAYERS);
        goto fail;
    }
    if ((st = dlc_index_init(&ix, (size_t)n_layers, err)) != DLC_OK ||
        (st = check_names(layers, n_layers, &ix, err)) != DLC_OK)
        goto fail;
    order = malloc(sizeof *order * (size_t)n_layers);
    node_of = malloc(sizeof *node_of * (size_t)n_layers);
    g->nodes = calloc((size_t)n_layers + 1, sizeof *g->nodes);
    if (!order || !node_of || !g->nodes) {
        st = DLC_NOMEM(err);
        goto fail;
    }
    if ((st = topo_sort(layers, n_layers, &ix, order, err)) != DLC_OK)
        goto fail;
    g->nmax = nmax;
    g->n_inputs = 1;
    g->n_nodes = 1;

    graph_node *in = &g->nodes[0];
    dlc_strlcpy(in->spec.name, "input", sizeof in->spec.name);
    dlc_strlcpy(in->spec.type, "input", sizeof in->spec.type);
    in->spec.op = OP_INPUT;
    in->shape = *input;
    in->size = tensor_shape_size(input);
    if (input->ndim < 1 || in->size == 0) {
        st = dlc_fail(err, DLC_EINPUT, "the model input shape is empty");
        goto fail;
    }

    for (int k = 0; k < n_layers; k++) {
        int si = order[k];
        graph_node *n = &g->nodes[g->n_nodes];
        n->spec = layers[si];
        n->id = g->n_nodes;
        const graph_op *op = &graph_ops[n->spec.op];
        int deps[GRAPH_MAX_INPUTS + 1], nd;
        if ((st = spec_deps(layers, n_layers, &ix, si, deps, &nd, err)) != DLC_OK)
            goto fail;
        n->n_in = n->spec.n_inputs ? n->spec.n_inputs : 1;
        for (int q = 0; q < n->n_in; q++)
            n->in[q] = deps[q] < 0 ? 0 : node_of[deps[q]]; /* built before: topological order */
        node_of[si] = n->id;
        char label[256];
        if (n->n_in < op->min_inputs || n->n_in > op->max_inputs) {
            st = dlc_fail(err, DLC_EINPUT, "%s: takes %d to %d inputs, got %d",
                          graph_node_label(n, label, sizeof label), op->min_inputs, op->max_inputs,
                          n->n_in);
            goto fail;
        }
        if ((st = op->build(g, n, err)) != DLC_OK)
            goto fail;
        n->size = tensor_shape_size(&n->shape);
        if (n->size == 0) {
            st = dlc_fail(err, DLC_EINPUT, "%s: output is empty", graph_node_label(n, label, sizeof label));
            goto fail;
        }
        n->needs_grad = node_needs_grad(g, n);
        g->n_nodes++;
    }

    if (n_outputs > 0) {
        if (n_outputs > GRAPH_MAX_INPUTS) {
            st = dlc_fail(err, DLC_EINPUT, "at most %d outputs", GRAPH_MAX_INPUTS);
            goto fail;
        }
        for (int k = 0; k < n_outputs; k++) {
            int id = graph_find(g, outputs[k]);
            if (id <= 0) {
                st = dlc_fail(err, DLC_EINPUT, "model.outputs: '%s' is not a layer", outputs[k]);
                goto fail;
            }
            g->outputs[g->n_outputs++] = id;
        }
    } else {
        g->outputs[g->n_outputs++] = node_of[n_layers - 1];
    }
    if ((st = mark_assigned_grads(g, err)) != DLC_OK || (st = allocate(g, err)) != DLC_OK)
        goto fail;
    free(order);
    free(node_of);
    dlc_index_free(&ix);
    *out = g;
    return DLC_OK;
fail:
    free(order);
    free(node_of);
    dlc_index_free(&ix);
    graph_free(g);
    return st;
}

void graph_free(graph *g)
{
    if (!g)
        return;
    for (int i = 0; i < g->n_nodes; i++) {
        graph_node *n = &g->nodes[i];
        tensor_free(n->out);
        tensor_free(n->grad);
        tensor_free(n->pre);
        tensor_free(n->aux);
    }
    /* nodes allocated but not counted (a failed build) hold no buffers */
    free(g->nodes);
    free(g->params);
    free(g->seq_len);
    tensor_free(g->param_block);
    tensor_free(g->grad_block);
    tensor_arena_free(&g->arena);
    free(g);
}

void graph_init_params(graph *g, dlc_rng *rng)
{
    memset(g->param_block, 0, sizeof(float) * g->n_weights);
    for (int i = 0; i < g->n_nodes; i++) {
        graph_node *n = &g->nodes[i];
        const graph_op *op = &graph_ops[n->spec.op];
        if (op->init && !n->spec.share[0])
            op->init(g, n, rng);
    }
}

void graph_freeze_node(graph *g, int node)
{
    for (int k = 0; k < g->n_params; k++)
        if (g->params[k].node == node)
            g->params[k].trainable = 0;
    for (int i = g->n_inputs; i < g->n_nodes; i++)
        g->nodes[i].needs_grad = node_needs_grad(g, &g->nodes[i]);
}

void graph_set_input_grad(graph *g, int on)
{
    for (int i = 0; i < g->n_inputs; i++)
        g->nodes[i].needs_grad = on;
    for (int i = g->n_inputs; i < g->n_nodes; i++)
        g->nodes[i].needs_grad = node_needs_grad(g, &g->nodes[i]);
}

/* ---- running ---- */

void graph_forward(graph *g, int N, int training)
{
    assert(N >= 0 && N <= g->nmax); /* 0: a process with no rows of this batch (src/dist) */
    g->training = training;
    g->last_n = N;
    if (N > g->grad_rows)
        g->grad_rows = N;
    g->seq_valid = 0;
    for (int i = g->n_inputs; i < g->n_nodes; i++) {
        graph_node *n = &g->nodes[i];
        tensor_arena_reset(&g->arena);
        graph_ops[n->spec.op].forward(g, n, N);
        if (n->spec.activation != ACT_LINEAR && !n->act_fused) {
            size_t D = n->shape.d[n->shape.ndim - 1];
            size_t R = (size_t)N * n->size / D;
            if (n->pre)
                memcpy(n->pre, n->out, sizeof(float) * (size_t)N * n->size);
            graph_act_forward(n->spec.activation, n->spec.alpha, n->out, n->out, R, D);
        }
    }
    tensor_arena_reset(&g->arena);
}

/* Part i of n of clearing the parameter gradients. */
static void zero_part(void *ctx, int i, int n)
{
    graph *g = ctx;
    size_t lo, hi;
    tensor_part_range(g->n_weights, 16, i, n, &lo, &hi);
    memset(g->grad_block + lo, 0, sizeof(float) * (hi - lo));
}

void graph_zero_grad(graph *g)
{
    /* only rows a forward or backward pass since the last clear can have
     * touched: a batch of 64 in a graph built for 256 clears a quarter */
    for (int i = 0; i < g->n_nodes; i++)
        if (!g->nodes[i].grad_assigned)
            memset(g->nodes[i].grad, 0, sizeof(float) * (size_t)g->grad_rows * g->nodes[i].size);
    tensor_parallel(zero_part, g);
    g->grad_rows = g->last_n; /* the loss and backward of that pass write these next */
}

void graph_backward(graph *g, int N)
{
    if (N > g->grad_rows)
        g->grad_rows = N;
    for (int i = g->n_nodes - 1; i >= g->n_inputs; i--) {
        graph_node *n = &g->nodes[i];
        if (!n->needs_grad)
            continue;
        tensor_arena_reset(&g->arena);
        if (n->spec.activation != ACT_LINEAR && !n->act_fused) {
            size_t D = n->shape.d[n->shape.ndim - 1];
            size_t R = (size_t)N * n->size / D;
            graph_act_backward(n->spec.activation, n->spec.alpha, n->grad, n->grad, n->out, n->pre,
                               R, D);
        }
        graph_ops[n->spec.op].backward(g, n, N);
        if (g->backward_hook)
            g->backward_hook(g->hook_user, i);
    }
    tensor_arena_reset(&g->arena);
}
