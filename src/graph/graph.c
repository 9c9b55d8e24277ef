/* graph.c - building the layer graph (topological order, shape inference,
 * one block for parameters and one for gradients), forward and backward. */
#include "graph.h"

#include "plan.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const graph_act_names[ACT_COUNT + 1] = {
    "linear", "sigmoid", "tanh", "relu", "leaky_relu", "elu", "gelu", "relu6", "silu", "hardsigmoid",
    "hardswish", "softmax", NULL,
};

const char *const graph_pad_names[PAD_COUNT + 1] = {"valid", "same", "explicit", NULL};

const char *const graph_init_names[INIT_COUNT + 1] = {
    "auto", "small", "he", "he_fan_out", "xavier", "glorot", "zeros", NULL,
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
    p->role = role;
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

/* Floats of parameter p in a block of 16-float aligned tensors. */
static size_t aligned_floats(const graph_param *p)
{
    return (p->n + 15) & ~(size_t)15;
}

/* The gradient block for the parameters trainable now, in parameter order;
 * the others' grad NULL.  The old block goes; when a smaller one cannot be
 * had, the old one (never smaller) takes the new layout. */
static dlc_status layout_grads(graph *g, int measure, dlc_error *err)
{
    size_t total = 0;
    for (int i = 0; i < g->n_params; i++)
        total += g->params[i].trainable ? aligned_floats(&g->params[i]) : 0;
    if (!measure && (!g->grad_block || total < g->n_grads)) {
        float *b = tensor_alloc(total);
        if (!b && !g->grad_block)
            return DLC_NOMEM(err);
        if (b) {
            tensor_free(g->grad_block);
            g->grad_block = b;
        }
    }
    g->n_grads = total;
    size_t off = 0;
    for (int i = 0; i < g->n_params; i++) {
        graph_param *p = &g->params[i];
        p->grad = p->trainable && !measure ? g->grad_block + off : NULL;
        off += p->trainable ? aligned_floats(p) : 0;
    }
    return DLC_OK;
}

/* The parameter block, 64-byte aligned tensors, and the gradient block. */
static dlc_status allocate_params(graph *g, int measure, dlc_error *err)
{
    size_t total = 0;
    for (int i = 0; i < g->n_params; i++)
        total += aligned_floats(&g->params[i]);
    g->n_weights = total;
    if (!measure) {
        if (!(g->param_block = tensor_alloc(total)))
            return DLC_NOMEM(err);
        size_t off = 0;
        for (int i = 0; i < g->n_params; i++) {
            g->params[i].data = g->param_block + off;
            off += aligned_floats(&g->params[i]);
        }
    }
    return layout_grads(g, measure, err);
}

/* Floats of the buffers kept whole between passes (plan.h: PLAN_FIXED). */
static size_t fixed_floats(const graph *g, int k, int i)
{
    const graph_node *n = &g->nodes[i];
    return (size_t)(k == PLAN_OUT ? g->eval_max : g->nmax) * n->size;
}

/* Allocates what plan p keeps whole and does not have yet (an input's
 * gradient once it is wanted). */
static dlc_status allocate_fixed(graph *g, const graph_plan *p, dlc_error *err)
{
    for (int i = 0; i < g->n_nodes; i++)
        for (int k = 0; k < PLAN_KINDS; k++) {
            size_t at = (size_t)i * PLAN_KINDS + (size_t)k;
            if (p->store_of[at] != PLAN_FIXED || g->mem->fixed[at])
                continue;
            if (!(g->mem->fixed[at] = tensor_alloc(fixed_floats(g, k, i))))
                return DLC_NOMEM(err);
        }
    return DLC_OK;
}

/* The arena, at least floats; what it held is lost. */
static dlc_status arena_reserve(graph *g, size_t floats, dlc_error *err)
{
    struct graph_mem *m = g->mem;
    if (floats <= m->arena_floats && m->arena)
        return DLC_OK;
    tensor_free(m->arena);
    m->arena_floats = 0;
    if (!(m->arena = tensor_alloc(floats)))
        return DLC_NOMEM(err);
    m->arena_floats = floats;
    return DLC_OK;
}

/* The training plan for g's current gradient flow, its fixed buffers and
 * room in the arena; node pointers follow it. */
static dlc_status plan_training(graph *g, dlc_error *err)
{
    struct graph_mem *m = g->mem;
    graph_plan p;
    dlc_status st = plan_make(&p, g, g->nmax, 1, m->layout, err);
    if (st != DLC_OK)
        return st;
    if (!m->measure && ((st = allocate_fixed(g, &p, err)) != DLC_OK ||
                        (st = arena_reserve(g, p.floats > m->eval.floats ? p.floats : m->eval.floats,
                                            err)) != DLC_OK)) {
        plan_free(&p);
        return st;
    }
    plan_free(&m->train);
    m->train = p;
    if (!m->measure)
        plan_apply(g, &m->train);
    return DLC_OK;
}

/* The evaluation plan at the largest capacity (from nmax up to the present
 * one) whose memory fits the training plan's or GRAPH_EVAL_FLOOR bytes:
 * plans grow with the rows.  g->eval_max follows; on failure the plan is
 * left as it was. */
static dlc_status fit_eval(graph *g, dlc_error *err)
{
    struct graph_mem *m = g->mem;
    const size_t floor = GRAPH_EVAL_FLOOR / sizeof(float);
    size_t budget = m->train.floats > floor ? m->train.floats : floor;
    if (m->eval.floats <= budget)
        return DLC_OK;
    int lo = g->nmax, hi = g->eval_max - 1;
    dlc_status st;
    graph_plan p;
    while (lo < hi) {
        int mid = lo + (hi - lo + 1) / 2;
        if ((st = plan_make(&p, g, mid, 0, m->layout, err)) != DLC_OK)
            return st;
        if (p.floats <= budget)
            lo = mid;
        else
            hi = mid - 1;
        plan_free(&p);
    }
    if ((st = plan_make(&p, g, lo, 0, m->layout, err)) != DLC_OK)
        return st;
    plan_free(&m->eval);
    m->eval = p;
    g->eval_max = lo;
    return DLC_OK;
}

/* Both plans, the evaluation capacity, and the memory they need. */
static dlc_status allocate(graph *g, const graph_build_options *o, dlc_error *err)
{
    struct graph_mem *m = g->mem;
    dlc_status st;
    if ((st = allocate_params(g, o->measure, err)) != DLC_OK)
        return st;
    size_t scratch = 0;
    for (int i = 0; i < g->n_nodes; i++) {
        /* each allocation is rounded to 16 floats in the arena */
        size_t s = g->nodes[i].scratch + 16 * 8;
        scratch = s > scratch ? s : scratch;
    }
    g->arena.cap = scratch;
    if ((st = plan_make(&m->train, g, g->nmax, 1, m->layout, err)) != DLC_OK ||
        (st = plan_make(&m->eval, g, g->eval_max, 0, m->layout, err)) != DLC_OK)
        return st;
    m->eval_fit = o->eval_fit;
    if (o->eval_fit && (st = fit_eval(g, err)) != DLC_OK)
        return st;
    if (o->measure)
        return DLC_OK;
    if (!(g->seq_len = calloc((size_t)g->eval_max, sizeof *g->seq_len)) ||
        !(m->fixed = calloc((size_t)g->n_nodes * PLAN_KINDS, sizeof *m->fixed)))
        return DLC_NOMEM(err);
    for (int i = 0; i < g->n_nodes; i++) {
        graph_node *n = &g->nodes[i];
        if (n->state_floats && !(n->state = tensor_alloc(n->state_floats)))
            return DLC_NOMEM(err);
    }
    if ((st = allocate_fixed(g, &m->train, err)) != DLC_OK ||
        (st = allocate_fixed(g, &m->eval, err)) != DLC_OK ||
        (st = arena_reserve(g, m->train.floats > m->eval.floats ? m->train.floats : m->eval.floats,
                            err)) != DLC_OK ||
        (st = tensor_arena_init(&g->arena, scratch, err)) != DLC_OK)
        return st;
    plan_apply(g, &m->train);
    return DLC_OK;
}

void graph_memory_of(const graph *g, graph_memory *m)
{
    const struct graph_mem *gm = g->mem;
    memset(m, 0, sizeof *m);
    m->params = sizeof(float) * g->n_weights;
    m->grads = sizeof(float) * g->n_grads;
    for (int i = 0; i < g->n_params; i++)
        m->learned += graph_param_changes(&g->params[i]) ? sizeof(float) * g->params[i].n : 0;
    m->train_arena = sizeof(float) * gm->train.floats;
    m->eval_arena = sizeof(float) * gm->eval.floats;
    m->arena = m->train_arena > m->eval_arena ? m->train_arena : m->eval_arena;
    m->kept = sizeof(float) * gm->train.kept;
    m->peak = sizeof(float) * gm->train.peak;
    m->separate = sizeof(float) * gm->train.separate;
    m->workspace = sizeof(float) * g->arena.cap;
    for (int i = 0; i < g->n_nodes; i++) {
        m->fixed += sizeof(float) * g->nodes[i].state_floats;
        for (int k = 0; k < PLAN_KINDS; k++) {
            size_t at = (size_t)i * PLAN_KINDS + (size_t)k;
            if (gm->train.store_of[at] == PLAN_FIXED ||
                (k == PLAN_OUT && gm->eval.store_of[at] == PLAN_FIXED))
                m->fixed += sizeof(float) * fixed_floats(g, k, i);
        }
    }
    m->total = m->params + m->grads + m->arena + m->workspace + m->fixed;
    m->rows = g->nmax;
    m->eval_rows = g->eval_max;
}

/* A node whose gradient the first consumer to run backward overwrites needs
 * no clearing: the largest gradients (a conv output read only by its
 * pooling, a residual block's input read by its first convolution and its
 * add) are then written once per step instead of cleared and then added to.
 * That consumer is the last in forward order; it must read the node once
 * (an add of x and x adds twice), and the node must not be a model output
 * (the loss writes those first).  Every consumer runs backward when the
 * node needs a gradient (needs_grad flows forward), and an op that assigns
 * writes all of its input's gradient. */
static void mark_assigned_grads(graph *g)
{
    for (int i = 0; i < g->n_nodes; i++) {
        g->nodes[i].grad_assigned = 0;
        g->nodes[i].assigned_by = -1;
    }
    for (int j = 0; j < g->n_nodes; j++) /* the last consumer in forward order */
        for (int q = 0; q < g->nodes[j].n_in; q++)
            g->nodes[g->nodes[j].in[q]].assigned_by = j;
    for (int k = 0; k < g->n_outputs; k++)
        g->nodes[g->outputs[k]].assigned_by = -1; /* the loss writes it first */
    for (int i = 0; i < g->n_nodes; i++) {
        graph_node *x = &g->nodes[i];
        const graph_node *c = x->assigned_by >= 0 ? &g->nodes[x->assigned_by] : NULL;
        if (!c || !graph_ops[c->spec.op].assigns_input_grad)
            continue;
        int edges = 0;
        for (int q = 0; q < c->n_in; q++)
            edges += c->in[q] == i;
        x->grad_assigned = edges == 1;
    }
}

/* A ReLU (or leaky ReLU) node whose input is an add read by it alone: the
 * add applies the activation in its own passes (graph_op.in_place_sum), so
 * a residual block's "add, relu" reads and writes its map once each way
 * instead of twice; the ReLU node then copies (in place: nothing).  Not
 * when the add is a model output (the loss reads it before the ReLU), nor
 * once its output is read after passes (graph_keep_output undoes it). */
static void fold_activation(graph *g, int c)
{
    graph_node *a = &g->nodes[c];
    if (a->spec.op != OP_ACTIVATION || a->n_in != 1 ||
        (a->spec.activation != ACT_RELU && a->spec.activation != ACT_LEAKY_RELU))
        return;
    graph_node *x = &g->nodes[a->in[0]];
    if (!graph_ops[x->spec.op].in_place_sum || x->spec.activation != ACT_LINEAR || x->keep_out)
        return;
    for (int k = 0; k < g->n_outputs; k++)
        if (g->outputs[k] == x->id)
            return;
    for (int j = 0; j < g->n_nodes; j++)
        for (int q = 0; q < g->nodes[j].n_in; q++)
            if (g->nodes[j].in[q] == x->id && j != c)
                return;
    x->act_fused = 1;
    x->act_slope = a->spec.activation == ACT_RELU ? 0.0f : a->spec.alpha;
    x->folded_into = c;
    a->act_fused = 1;
}

static void unfold_activation(graph *g, graph_node *x)
{
    if (x->folded_into < 0)
        return;
    g->nodes[x->folded_into].act_fused = 0;
    x->act_fused = 0;
    x->folded_into = -1;
}

void graph_build_defaults(graph_build_options *o, int nmax)
{
    memset(o, 0, sizeof *o);
    o->nmax = o->eval_max = nmax;
    o->layout = GRAPH_LAYOUT_PLANNED;
    const char *plan = getenv("DLC_PLAN"), *poison = getenv("DLC_POISON"), *fold = getenv("DLC_FOLD");
    if (plan && strcmp(plan, "separate") == 0)
        o->layout = GRAPH_LAYOUT_SEPARATE;
    o->poison = poison && strcmp(poison, "1") == 0;
    o->no_fold = fold && strcmp(fold, "0") == 0;
}

dlc_status graph_build(graph **out, const tensor_shape *input, const layer_spec *layers,
                       int n_layers, const char *const *outputs, int n_outputs, int nmax,
                       dlc_error *err)
{
    graph_build_options o;
    graph_build_defaults(&o, nmax);
    return graph_build_opts(out, input, layers, n_layers, outputs, n_outputs, &o, err);
}

dlc_status graph_build_opts(graph **out, const tensor_shape *input, const layer_spec *layers,
                            int n_layers, const char *const *outputs, int n_outputs,
                            const graph_build_options *o, dlc_error *err)
{
    *out = NULL;
    dlc_status st = DLC_OK;
    int *order = NULL, *node_of = NULL; /* node_of: spec index -> node id */
    int nmax = o->nmax;
    dlc_index ix = {0};
    graph *g = calloc(1, sizeof *g);
    if (!g || !(g->mem = calloc(1, sizeof *g->mem))) {
        free(g);
        return DLC_NOMEM(err);
    }
    g->mem->layout = o->layout;
    g->mem->poison = o->poison;
    g->mem->measure = o->measure;
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
    /* while the ops build, nmax is the largest batch any pass takes, so
     * that per-call scratch suits evaluation's larger batches too */
    g->eval_max = o->eval_max > nmax ? o->eval_max : nmax;
    g->nmax = g->eval_max;
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
        if (n->size > INT_MAX) { /* as model.input: buffers are indexed per example in int */
            st = dlc_fail(err, DLC_EINPUT, "%s: output of %zu values per example is too large "
                          "(at most %d)", graph_node_label(n, label, sizeof label), n->size, INT_MAX);
            goto fail;
        }
        n->needs_grad = node_needs_grad(g, n);
        g->n_nodes++;
    }

    if (n_outputs > 0) {
        if (n_outputs > GRAPH_MAX_OUTPUTS) {
            st = dlc_fail(err, DLC_EINPUT, "at most %d outputs", GRAPH_MAX_OUTPUTS);
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
    g->nmax = nmax;
    for (int i = 0; i < g->n_nodes; i++)
        g->nodes[i].folded_into = -1;
    for (int i = g->n_inputs; i < g->n_nodes && !o->no_fold; i++)
        fold_activation(g, i);
    mark_assigned_grads(g);
    if ((st = allocate(g, o, err)) != DLC_OK)
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
    struct graph_mem *m = g->mem;
    if (m) {
        for (size_t i = 0; m->fixed && i < (size_t)g->n_nodes * PLAN_KINDS; i++)
            tensor_free(m->fixed[i]);
        free(m->fixed);
        tensor_free(m->arena);
        plan_free(&m->train);
        plan_free(&m->eval);
        free(m);
    }
    /* nodes allocated but not counted (a failed build) hold no buffers */
    for (int i = 0; i < g->n_nodes; i++)
        tensor_free(g->nodes[i].state);
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
    graph_freeze_nodes(g, &node, 1);
}

void graph_freeze_nodes(graph *g, const int *nodes, int n)
{
    char *frozen = calloc((size_t)g->n_nodes, 1);
    if (!frozen)
        return; /* nothing frozen: the plan for more stays valid */
    for (int j = 0; j < n; j++)
        frozen[nodes[j]] = 1;
    for (int k = 0; k < g->n_params; k++)
        if (frozen[g->params[k].node])
            g->params[k].trainable = 0;
    free(frozen);
    /* cannot fail: a graph built has a block at least this large */
    (void)layout_grads(g, g->mem->measure, NULL);
    for (int i = g->n_inputs; i < g->n_nodes; i++)
        g->nodes[i].needs_grad = node_needs_grad(g, &g->nodes[i]);
    /* fewer gradients and fewer saves: the plan made for more stays valid
     * when the new one does not fit its arena (it never needs more memory
     * in principle; a placement may still come out larger) */
    graph_plan p;
    struct graph_mem *m = g->mem;
    if (plan_make(&p, g, g->nmax, 1, m->layout, NULL) != DLC_OK)
        return;
    if (!m->measure && (p.floats > m->arena_floats || allocate_fixed(g, &p, NULL) != DLC_OK)) {
        plan_free(&p);
        return;
    }
    plan_free(&m->train);
    m->train = p;
    /* evaluation was fitted to the larger training plan: it fits this one,
     * and the arena shrinks to the two (it holds nothing between passes;
     * kept buffers sized by the capacity have rows no pass touches now) */
    if (m->eval_fit)
        (void)fit_eval(g, NULL); /* on failure evaluation keeps its plan, which fits */
    size_t need = m->train.floats > m->eval.floats ? m->train.floats : m->eval.floats;
    float *smaller = m->measure || need >= m->arena_floats ? NULL : tensor_alloc(need);
    if (smaller) {
        tensor_free(m->arena);
        m->arena = smaller;
        m->arena_floats = need;
    }
    if (!m->measure)
        plan_apply(g, &m->train);
}

dlc_status graph_keep_output(graph *g, int node, dlc_error *err)
{
    struct graph_mem *m = g->mem;
    if (g->nodes[node].keep_out)
        return DLC_OK;
    g->nodes[node].keep_out = 1;
    unfold_activation(g, &g->nodes[node]); /* read as it is, before the ReLU */
    graph_plan e;
    dlc_status st = plan_make(&e, g, g->eval_max, 0, m->layout, err);
    if (st != DLC_OK)
        return st;
    if (!m->measure && (st = allocate_fixed(g, &e, err)) != DLC_OK) {
        plan_free(&e);
        return st;
    }
    plan_free(&m->eval);
    m->eval = e;
    return plan_training(g, err); /* room in the arena for both, pointers on the new plan */
}

dlc_status graph_set_input_grad(graph *g, int on, dlc_error *err)
{
    for (int i = 0; i < g->n_inputs; i++)
        g->nodes[i].needs_grad = on;
    for (int i = g->n_inputs; i < g->n_nodes; i++)
        g->nodes[i].needs_grad = node_needs_grad(g, &g->nodes[i]);
    return plan_training(g, err);
}

/* ---- running ---- */

/* Node pointers follow plan p (switching from the other plan ends its pass). */
static void use_plan(graph *g, const graph_plan *p)
{
    assert(!g->mem->measure);
    if (g->mem->active != p)
        plan_apply(g, p);
}

static void forward_pass(graph *g, const graph_plan *p, int N, int training)
{
    use_plan(g, p);
    g->training = training;
    g->last_n = N;
    g->seq_valid = 0;
    const int poison = g->mem->poison;
    for (int i = g->n_inputs; i < g->n_nodes; i++) {
        graph_node *n = &g->nodes[i];
        tensor_arena_reset(&g->arena);
        graph_ops[n->spec.op].forward(g, n, N);
        if (n->spec.activation != ACT_LINEAR && !n->act_fused) {
            size_t D = n->shape.d[n->shape.ndim - 1];
            size_t R = (size_t)N * n->size / D;
            if (n->pre)
                memcpy(n->pre, n->out, sizeof(float) * (size_t)N * n->size);
            graph_act_forward(n->spec.activation, graph_act_alpha(&n->spec), n->spec.offset, n->out, n->out, R, D);
        }
        if (g->forward_hook)
            g->forward_hook(g->forward_user, i);
        if (poison)
            plan_poison(g, p, plan_step_forward(i));
    }
    tensor_arena_reset(&g->arena);
}

void graph_forward(graph *g, int N, int training)
{
    assert(N >= 0 && N <= g->nmax); /* 0: a process with no rows of this batch (src/dist) */
    if (N > g->grad_rows)
        g->grad_rows = N;
    forward_pass(g, &g->mem->train, N, training);
}

void graph_forward_eval(graph *g, int N)
{
    assert(N >= 1 && N <= g->eval_max);
    forward_pass(g, &g->mem->eval, N, 0);
}

/* Part i of n of clearing the parameter gradients. */
static void zero_part(void *ctx, int i, int n)
{
    graph *g = ctx;
    size_t lo, hi;
    tensor_part_range(g->n_grads, 16, i, n, &lo, &hi);
    memset(g->grad_block + lo, 0, sizeof(float) * (hi - lo));
}

void graph_zero_grad(graph *g)
{
    /* the gradients kept whole (outputs, the input); only rows a pass since
     * the last clear can have touched */
    const graph_plan *p = &g->mem->train;
    for (int i = 0; i < g->n_nodes; i++)
        if (p->store_of[(size_t)i * PLAN_KINDS + PLAN_GRAD] == PLAN_FIXED)
            memset(g->mem->fixed[(size_t)i * PLAN_KINDS + PLAN_GRAD], 0,
                   sizeof(float) * (size_t)g->grad_rows * g->nodes[i].size);
    if (!g->params_clear)
        tensor_parallel(zero_part, g);
    g->params_clear = 0;
    g->grad_rows = g->last_n; /* the loss and backward of that pass write these next */
}

void graph_backward(graph *g, int N)
{
    const graph_plan *p = &g->mem->train;
    assert(g->mem->active == p && N <= g->nmax);
    if (N > g->grad_rows)
        g->grad_rows = N;
    const int poison = g->mem->poison;
    for (int i = g->n_nodes - 1; i >= g->n_inputs; i--) {
        graph_node *n = &g->nodes[i];
        const int step = plan_step_backward(g->n_nodes, i);
        plan_clear(g, p, step, N);
        if (n->needs_grad) {
            tensor_arena_reset(&g->arena);
            if (n->spec.activation != ACT_LINEAR && !n->act_fused) {
                size_t D = n->shape.d[n->shape.ndim - 1];
                size_t R = (size_t)N * n->size / D;
                graph_act_backward(n->spec.activation, graph_act_alpha(&n->spec), n->grad, n->grad, n->out,
                                   n->pre, R, D);
            }
            graph_ops[n->spec.op].backward(g, n, N);
            if (g->backward_hook)
                g->backward_hook(g->hook_user, i);
        }
        if (poison)
            plan_poison(g, p, step);
    }
    tensor_arena_reset(&g->arena);
}
