/* test_plan_random.c - the memory plan and the graph builder on random
 * graphs: DAGs of the registry's layers (convolutions of every kernel,
 * stride and padding, transposed ones, pools, batchnorm, in-place activations and flattens,
 * dropout, add / concat / slice / split / scalar_mix / multiply / subtract,
 * shared and frozen layers, layers read by many consumers, long skips,
 * several outputs, an inner output kept whole), each built from a seed and
 * run two training steps with an evaluation pass between:
 *   (a) planned against every buffer in its own memory: every output, the
 *       evaluation outputs, every parameter gradient, the running
 *       statistics and the input's gradient are the same numbers;
 *   (b) with every buffer poisoned (NaN) when its live range ends, planned
 *       and separate: the same again, so nothing read a dead buffer;
 *   (c) on some graphs, central differences against backprop.
 * Also: no two stores live at once share a byte.
 *
 * DLC_PLAN_GRAPHS=N runs N graphs (default 1000, DLC_TEST_QUICK 40) from
 * DLC_PLAN_SEED (default 1); a failure names the seed that rebuilds it, and
 * DLC_PLAN_VERBOSE=1 prints each graph, DLC_PLAN_THREADS=N runs the kernels on N
 * threads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/config/config.h"
#include "../../src/graph/plan.h"
#include "../../src/train/gradcheck.h"
#include "graphtest.h"
#include "testutil.h"

#define RG_MAX 40 /* layers of one graph, pieces of a split included */

typedef struct {
    layer_spec s[RG_MAX];
    int n;
    tensor_shape in;
    char outputs[4][GRAPH_NAME_MAX];
    int n_out;
    int frozen_after[RG_MAX]; /* spec indices frozen after the build (transfer's freeze) */
    int n_frozen_after;
    int keep;                 /* spec index whose output is kept whole, or -1 */
    int input_grad;
    int N, eval_rows;
    int vocab;                /* > 0: the input is token ids (0 pads the end), an embedding first */
    int seq_layers;           /* batchnorms and concats over a padded sequence (T, D) */
} rg_graph;

static int below(dlc_rng *r, int n)
{
    return (int)dlc_rng_below(r, (uint64_t)n);
}

static layer_window win1(int v)
{
    return (layer_window){1, {v, 0, 0}};
}

/* Shapes of g's layers so far, from a counting build of them (the
 * builder's own shape inference); 0 when the builder refuses them. */
static int shapes_of(const rg_graph *g, int n, tensor_shape *shape, char *msg, size_t msg_size)
{
    graph *b = NULL;
    dlc_error err = {0};
    graph_build_options o;
    memset(&o, 0, sizeof o);
    o.nmax = o.eval_max = g->N;
    o.measure = 1;
    const char *names[1] = {g->s[n - 1].name};
    if (graph_build_opts(&b, &g->in, g->s, n, names, 1, &o, &err) != DLC_OK) {
        if (msg)
            snprintf(msg, msg_size, "%s", err.msg);
        return 0;
    }
    shape[0] = g->in;
    for (int i = 0; i < n; i++)
        shape[i + 1] = b->nodes[graph_find(b, g->s[i].name)].shape;
    graph_free(b);
    return 1;
}

/* node k of the graph so far: 0 the input, i + 1 spec i */
static const char *node_name(const rg_graph *g, int k)
{
    return k == 0 ? "input" : g->s[k - 1].name;
}

static act_kind random_act(dlc_rng *r)
{
    static const act_kind acts[] = {ACT_RELU, ACT_SIGMOID, ACT_TANH, ACT_LEAKY_RELU,
                                    ACT_ELU,  ACT_GELU,    ACT_SOFTMAX, ACT_RELU6, ACT_SILU,
                                    ACT_HARDSIGMOID, ACT_HARDSWISH};
    return below(r, 2) ? ACT_LINEAR : acts[below(r, (int)(sizeof acts / sizeof acts[0]))];
}

/* A recent node most of the time, any earlier one (a long skip) else. */
static int pick_input(dlc_rng *r, int nodes)
{
    if (below(r, 10) < 6)
        return nodes - 1 - below(r, nodes < 2 ? 1 : 2);
    return below(r, nodes);
}

static int same_shape(const tensor_shape *a, const tensor_shape *b)
{
    return tensor_shape_equal(a, b);
}

/* a per-channel gate (C) of a map (C, ...) a multiply takes (not of a text model's (T, D)
 * sequences, whose first axis is time) */
static int gate_of(const tensor_shape *gs, const tensor_shape *map, const rg_graph *g)
{
    return !g->vocab && map->ndim >= 2 && gs->ndim == 1 && gs->d[0] == map->d[0];
}

/* same shape but along axis */
static int concat_fits(const tensor_shape *a, const tensor_shape *b, int axis)
{
    if (a->ndim != b->ndim)
        return 0;
    for (int d = 0; d < a->ndim; d++)
        if (d != axis && a->d[d] != b->d[d])
            return 0;
    return 1;
}

typedef enum {
    G_CONV, G_BN, G_ACT, G_MAXPOOL, G_AVGPOOL, G_GAP, G_DROPOUT, G_FLATTEN, G_SLICE, G_SPLIT,
    G_CONCAT, G_ADD, G_MULTIPLY, G_SUBTRACT, G_MIX, G_LAYERNORM, G_ABS, G_SQUARE, G_DENSE,
    G_L2, G_GRAM, G_RESHAPE, G_RECURRENT, G_TIMEPOOL, G_KINDS
} rg_kind;

/* Adds a random layer (a split adds itself and its pieces) reading the
 * nodes so far; returns the layers added (0: refused, try another). */
static int add_layer(rg_graph *g, dlc_rng *r, const tensor_shape *shape, int id, int smooth)
{
    const int nodes = g->n + 1;
    int x = pick_input(r, nodes);
    const tensor_shape *xs = &shape[x];
    const int spatial = xs->ndim == 3;
    /* parameter layers and merges more often than the rest */
    static const int weight[G_KINDS] = {[G_CONV] = 6, [G_BN] = 3, [G_ACT] = 3, [G_MAXPOOL] = 2,
                                        [G_AVGPOOL] = 2, [G_GAP] = 1, [G_DROPOUT] = 1, [G_FLATTEN] = 1,
                                        [G_SLICE] = 1, [G_SPLIT] = 1, [G_CONCAT] = 2, [G_ADD] = 3,
                                        [G_MULTIPLY] = 1, [G_SUBTRACT] = 1, [G_MIX] = 1,
                                        [G_LAYERNORM] = 1, [G_ABS] = 1, [G_SQUARE] = 1, [G_DENSE] = 4,
                                        [G_L2] = 1, [G_GRAM] = 1, [G_RESHAPE] = 1,
                                        [G_RECURRENT] = 4, [G_TIMEPOOL] = 2};
    int total = 0;
    for (int k = 0; k < G_KINDS; k++)
        total += weight[k];
    int pick = below(r, total);
    rg_kind kind = (rg_kind)0;
    while (pick >= weight[kind])
        pick -= weight[kind++];
    layer_spec s;
    char name[24];
    snprintf(name, sizeof name, "l%d", id);
    int added = 1;
    switch (kind) {
    case G_CONV: {
        if (xs->ndim == 1)
            return 0;
        if (below(r, 5) == 0) { /* the adjoint: its dW reads x, its dx W and dy alone */
            s = gt_spec("conv_transpose", name);
            s.filters = 1 + below(r, 4);
            s.kernel = win1(1 + below(r, 3));
            s.stride = win1(1 + (below(r, 3) == 0));
            s.padding = (pad_kind)below(r, PAD_COUNT);
            if (s.padding == PAD_EXPLICIT) {
                s.pad = win1(below(r, s.kernel.v[0] / 2 + 1));
                s.output_padding = win1(s.stride.v[0] == 2 ? below(r, 2) : 0);
            }
            s.use_bias = below(r, 2);
            break;
        }
        s = gt_spec(spatial ? "conv2d" : "conv1d", name); /* conv1d after a reshape to (C, L) */
        s.filters = 1 + below(r, 4);
        int k = 1 + below(r, 3);
        s.kernel = below(r, 4) ? win1(k) : (layer_window){2, {k, 1 + below(r, 3), 0}};
        s.stride = win1(1 + below(r, 2));
        s.padding = (pad_kind)below(r, PAD_COUNT);
        if (s.padding == PAD_EXPLICIT)
            s.pad = win1(below(r, k / 2 + 1));
        if (below(r, 4) == 0)
            s.dilation = win1(2);
        s.use_bias = below(r, 2);
        /* the Winograd forms where they apply (3x3, stride 1, undilated) */
        if (!spatial)
            s.kernel = win1(k);
        if (spatial && k == 3 && s.kernel.n == 1 && s.stride.v[0] == 1 && s.dilation.n == 0 && below(r, 2))
            s.algorithm = below(r, 2) ? CONV_WINOGRAD_2X2 : CONV_WINOGRAD_4X4;
        else if (spatial && xs->ndim == 3 && below(r, 4) == 0) { /* depthwise, 1 or 2 filters a channel */
            s.groups = xs->d[0];
            s.filters = xs->d[0] * (1 + below(r, 2));
        }
        break;
    }
    case G_BN: {
        /* for the gradient check, statistics over at least 6 values: over
         * fewer, 1/sigma grows so large that float32 loses the gradient */
        int per_channel = xs->ndim == 1 ? 1 : (int)(tensor_shape_size(xs) / (size_t)xs->d[0]);
        if (smooth && g->N * per_channel < 6)
            return 0;
        s = gt_spec("batchnorm", name);
        break;
    }
    case G_ACT:
        s = gt_spec("activation", name);
        break;
    case G_MAXPOOL:
    case G_AVGPOOL:
        if (xs->ndim == 1)
            return 0;
        s = gt_spec(kind == G_MAXPOOL ? "maxpool" : "avgpool", name);
        s.kernel = win1(2 + below(r, 2));
        s.stride = win1(1 + below(r, 2));
        if (below(r, 3) == 0) {
            s.padding = PAD_EXPLICIT;
            s.pad = win1(1);
        } else if (below(r, 3) == 0) {
            s.padding = PAD_SAME;
        }
        s.ceil_mode = below(r, 4) == 0;
        if (kind == G_AVGPOOL)
            s.count_include_pad = below(r, 2);
        break;
    case G_GAP:
        if (xs->ndim == 1)
            return 0;
        s = gt_spec("global_avgpool", name);
        break;
    case G_DROPOUT:
        s = gt_spec("dropout", name);
        s.rate = 0.3f;
        break;
    case G_FLATTEN:
        if (!spatial)
            return 0;
        s = gt_spec("flatten", name);
        break;
    case G_RESHAPE:
        if (!spatial)
            return 0;
        s = gt_spec("reshape", name); /* (C, H, W) -> (C * H, W) */
        s.target_ndim = 2;
        s.target[0] = -1;
        s.target[1] = xs->d[2];
        break;
    case G_SLICE: {
        s = gt_spec("slice", name);
        s.axis = below(r, xs->ndim);
        int len = xs->d[s.axis];
        if (len < 2)
            return 0;
        s.start = below(r, len - 1);
        s.end = below(r, 3) == 0 ? GRAPH_SLICE_END : s.start + 1 + below(r, len - s.start);
        if (below(r, 3) == 0)
            s.start -= len; /* counted from the end */
        break;
    }
    case G_SPLIT: {
        /* the split and its pieces, as the config makes them */
        if (xs->d[0] < 2 || g->n + 3 > RG_MAX)
            return 0;
        s = gt_spec("split", name);
        s.n_sizes = 2;
        s.sizes[0] = 1 + below(r, xs->d[0] - 1);
        s.sizes[1] = -1;
        break;
    }
    case G_CONCAT:
    case G_ADD:
    case G_MULTIPLY:
    case G_SUBTRACT:
    case G_MIX: {
        static const char *types[] = {[G_CONCAT] = "concat", [G_ADD] = "add", [G_MULTIPLY] = "multiply",
                                      [G_SUBTRACT] = "subtract", [G_MIX] = "scalar_mix"};
        s = gt_spec(types[kind], name);
        /* (T, D) sequences join their features (and stay sequences) or their steps */
        int axis = xs->ndim == 2 && g->vocab && below(r, 3) ? 1 : 0;
        int cand[RG_MAX + 1], nc = 0;
        for (int k = 0; k < nodes; k++)
            if (kind == G_CONCAT ? concat_fits(&shape[k], xs, axis)
                                 : same_shape(&shape[k], xs) || (kind == G_MULTIPLY && gate_of(&shape[k], xs, g)))
                cand[nc++] = k;
        int want = kind == G_SUBTRACT ? 2 : 2 + below(r, 2);
        s.n_inputs = 0;
        strcpy(s.inputs[s.n_inputs++], node_name(g, x));
        for (int q = 1; q < want; q++) { /* a node may come twice: its gradient sums both */
            int y = cand[below(r, nc)];
            if (kind == G_SUBTRACT && y == x) /* x - x is 0: a batchnorm after it divides by sqrt(eps) */
                return 0;
            strcpy(s.inputs[s.n_inputs++], node_name(g, y));
        }
        if (kind == G_CONCAT)
            s.axis = axis;
        break;
    }
    case G_LAYERNORM:
        s = gt_spec("layernorm", name);
        break;
    case G_ABS:
        if (smooth)
            return 0;
        s = gt_spec("abs", name);
        break;
    case G_SQUARE:
        s = gt_spec("square", name);
        break;
    case G_DENSE: {
        s = gt_spec("dense", name);
        s.units = 1 + below(r, 6);
        s.use_bias = below(r, 4) != 0;
        /* share an earlier dense of the same shape now and then (siamese) */
        for (int i = 0; i < g->n && below(r, 3) == 0; i++)
            if (g->s[i].op == OP_DENSE && !g->s[i].share[0] && g->s[i].units == s.units &&
                g->s[i].use_bias == s.use_bias)
                snprintf(s.share, sizeof s.share, "%s", g->s[i].name);
        break;
    }
    case G_RECURRENT: {
        /* on a sequence (T, D): the builder refuses other inputs */
        if (xs->ndim != 2)
            return 0;
        static const char *types[] = {"rnn", "gru", "lstm"};
        s = gt_spec(types[below(r, 3)], name);
        s.units = 1 + below(r, 4);
        s.return_sequences = below(r, 3) != 0;
        s.bidirectional = below(r, 3) == 0;
        s.merge = below(r, RNN_MERGE_COUNT);
        s.reverse = !s.bidirectional && below(r, 4) == 0;
        s.forget_bias = 1.0f;
        if (s.op == OP_GRU)
            s.variant = below(r, GRU_VARIANT_COUNT);
        if (s.op == OP_RNN)
            s.nonlinearity = smooth ? RNN_CELL_TANH : below(r, RNN_CELL_COUNT);
        if (!smooth && below(r, 4) == 0) /* truncated: not the full gradient on purpose */
            s.bptt = 1 + below(r, 2);
        break;
    }
    case G_TIMEPOOL:
        if (xs->ndim != 2)
            return 0;
        s = gt_spec(below(r, 2) ? "time_avgpool" : "time_maxpool", name);
        break;
    case G_L2:
        if (xs->ndim != 1)
            return 0;
        s = gt_spec("l2normalize", name);
        break;
    case G_GRAM:
        if (!spatial)
            return 0;
        s = gt_spec("gram", name);
        break;
    default:
        return 0;
    }
    if (s.n_inputs == 0) {
        s.n_inputs = 1;
        snprintf(s.inputs[0], sizeof s.inputs[0], "%s", node_name(g, x));
    }
    s.activation = random_act(r);
    /* the gradient check's graphs are smooth: relu, leaky relu and the hard ones have
     * kinks, elu a jump in curvature that biases central differences */
    if (smooth && (s.activation == ACT_RELU || s.activation == ACT_LEAKY_RELU || s.activation == ACT_ELU ||
                   s.activation == ACT_RELU6 || s.activation == ACT_HARDSIGMOID ||
                   s.activation == ACT_HARDSWISH))
        s.activation = ACT_TANH;
    if (below(r, 7) == 0)
        s.trainable = 0;
    g->s[g->n] = s;
    if (s.op == OP_SPLIT) {
        for (int p = 0; p < 2; p++) {
            char piece_name[48];
            snprintf(piece_name, sizeof piece_name, "%s_%d", name, p);
            layer_spec piece = gt_spec("slice", piece_name);
            piece.n_inputs = 1;
            snprintf(piece.inputs[0], sizeof piece.inputs[0], "%s", name);
            piece.start = p ? s.sizes[0] : 0;
            piece.end = p ? GRAPH_SLICE_END : s.sizes[0];
            piece.generated = 1;
            g->s[g->n + 1 + p] = piece;
        }
        added = 3;
    }
    return added;
}

/* A random graph from seed: 3 to 16 layers on a small image or a vector. */
static void rg_make(rg_graph *g, uint64_t seed, int smooth)
{
    dlc_rng r;
    dlc_rng_seed(&r, seed, 77);
    memset(g, 0, sizeof *g);
    g->N = smooth ? 6 + below(&r, 3) : 2 + below(&r, 3);
    g->eval_rows = g->N + below(&r, 3);
    int family = below(&r, 8);
    if (family < 5)
        g->in = (tensor_shape){3, {1 + below(&r, 3), 4 + below(&r, 4), 4 + below(&r, 4)}};
    else if (family < 7)
        g->in = (tensor_shape){1, {2 + below(&r, 6)}};
    else
        g->in = (tensor_shape){1, {3 + below(&r, 4)}};
    int want = 3 + below(&r, 14), id = 0;
    tensor_shape shape[RG_MAX + 1];
    shape[0] = g->in;
    if (family == 7) {
        /* token ids: an embedding of the ids or of a slice of them (then a
         * recurrent layer's backward reads that slice: graph_saves.other) */
        g->vocab = 5 + below(&r, 4);
        const char *from = "input";
        if (below(&r, 3) == 0) {
            layer_spec cut = gt_spec("slice", "ids");
            cut.n_inputs = 1;
            strcpy(cut.inputs[0], "input");
            cut.start = 0;
            cut.end = -1;
            g->s[g->n++] = cut;
            from = "ids";
        }
        layer_spec e = gt_spec("embedding", "emb");
        e.units = 2 + below(&r, 3);
        e.vocab = g->vocab;
        e.pad_id = 0;
        e.n_inputs = 1;
        strcpy(e.inputs[0], from);
        g->s[g->n++] = e;
        assert_true(shapes_of(g, g->n, shape, NULL, 0));
    }
    for (int tries = 0; g->n < want && tries < 400; tries++) {
        int before = g->n;
        int k = add_layer(g, &r, shape, id, smooth);
        if (k == 0)
            continue;
        g->n += k;
        if (!shapes_of(g, g->n, shape, NULL, 0)) {
            g->n = before; /* a shape the builder refuses: another layer */
            continue;
        }
        /* for the gradient check, no constant outputs (a softmax or an
         * l2normalize of one value is 1, a layernorm's is beta): a batchnorm after them divides
         * by sqrt(eps), which float32's gradient does not survive */
        const layer_spec *last = &g->s[before];
        const tensor_shape *ls = &shape[before + 1];
        /* after the embedding every (T, D) is a sequence (no reshape makes one) but a
         * concat along time */
        if (g->vocab && ls->ndim == 2 && (last->op == OP_BATCHNORM || (last->op == OP_CONCAT && last->axis)))
            g->seq_layers++;
        if (smooth && ls->d[ls->ndim - 1] == 1 &&
            (last->activation == ACT_SOFTMAX || last->op == OP_L2NORMALIZE || last->op == OP_LAYERNORM)) {
            g->n = before;
            continue;
        }
        id++;
    }
    /* outputs: the layers nobody reads (up to 3), now and then an inner one */
    char read[RG_MAX] = {0};
    for (int i = 0; i < g->n; i++)
        for (int q = 0; q < g->s[i].n_inputs; q++)
            for (int j = 0; j < g->n; j++)
                if (strcmp(g->s[i].inputs[q], g->s[j].name) == 0)
                    read[j] = 1;
    for (int j = g->n - 1; j >= 0 && g->n_out < 3; j--)
        if (!read[j] && g->s[j].op != OP_SPLIT)
            strcpy(g->outputs[g->n_out++], g->s[j].name);
    int inner = below(&r, g->n);
    if (g->n_out < 4 && read[inner] && g->s[inner].op != OP_SPLIT && below(&r, 3) == 0)
        strcpy(g->outputs[g->n_out++], g->s[inner].name);
    if (g->n_out == 0)
        strcpy(g->outputs[g->n_out++], g->s[g->n - 1].name);
    for (int i = 0; i < g->n; i++)
        if (below(&r, 8) == 0)
            g->frozen_after[g->n_frozen_after++] = i;
    g->keep = below(&r, 4) == 0 ? below(&r, g->n) : -1;
    g->input_grad = !g->vocab && below(&r, 4) != 0;
}

static void rg_print(const rg_graph *g, uint64_t seed)
{
    char buf[64];
    fprintf(stderr, "graph seed %llu: input %s, N %d, eval %d, input grad %d\n",
            (unsigned long long)seed, tensor_shape_str(&g->in, buf, sizeof buf), g->N, g->eval_rows,
            g->input_grad);
    for (int i = 0; i < g->n; i++) {
        const layer_spec *s = &g->s[i];
        fprintf(stderr, "  %s: %s(", s->name, s->type);
        for (int q = 0; q < s->n_inputs; q++)
            fprintf(stderr, "%s%s", q ? ", " : "", s->inputs[q]);
        fprintf(stderr, ") act %s%s%s%s", graph_act_names[s->activation], s->trainable ? "" : " frozen",
                s->share[0] ? " share " : "", s->share);
        if (s->op == OP_CONV2D || s->op == OP_CONV1D)
            fprintf(stderr, " f%d k%dx%d s%d %s p%d d%d algo %d", s->filters, s->kernel.v[0],
                    s->kernel.n == 2 ? s->kernel.v[1] : s->kernel.v[0], s->stride.v[0],
                    graph_pad_names[s->padding], s->pad.v[0], s->dilation.n ? s->dilation.v[0] : 1,
                    s->algorithm);
        if (s->op == OP_MAXPOOL || s->op == OP_AVGPOOL)
            fprintf(stderr, " k%d s%d %s p%d ceil %d", s->kernel.v[0], s->stride.v[0],
                    graph_pad_names[s->padding], s->pad.v[0], s->ceil_mode);
        if (s->op == OP_SLICE)
            fprintf(stderr, " axis %d [%d:%d]", s->axis, s->start, s->end);
        if (s->op == OP_DENSE || s->op == OP_EMBEDDING)
            fprintf(stderr, " units %d", s->units);
        if (s->op == OP_RNN || s->op == OP_GRU || s->op == OP_LSTM)
            fprintf(stderr, " units %d seq %d bidir %d merge %d reverse %d bptt %d", s->units,
                    s->return_sequences, s->bidirectional, s->merge, s->reverse, s->bptt);
        fprintf(stderr, "\n");
    }
    fprintf(stderr, "  outputs:");
    for (int k = 0; k < g->n_out; k++)
        fprintf(stderr, " %s", g->outputs[k]);
    fprintf(stderr, "; frozen after build:");
    for (int k = 0; k < g->n_frozen_after; k++)
        fprintf(stderr, " %s", g->s[g->frozen_after[k]].name);
    fprintf(stderr, "; kept: %s\n", g->keep >= 0 ? g->s[g->keep].name : "-");
}

/* Builds g in a layout, with what the build leaves to callers (frozen
 * layers, a kept output, the input's gradient) done as a user's run does. */
static graph *rg_build(const rg_graph *g, int layout, int poison, int no_fold)
{
    graph_build_options o;
    memset(&o, 0, sizeof o);
    o.nmax = g->N;
    o.eval_max = g->eval_rows;
    o.layout = layout;
    o.poison = poison;
    o.no_fold = no_fold;
    const char *outs[4];
    for (int k = 0; k < g->n_out; k++)
        outs[k] = g->outputs[k];
    graph *b = NULL;
    dlc_error err = {0};
    if (graph_build_opts(&b, &g->in, g->s, g->n, outs, g->n_out, &o, &err) != DLC_OK) {
        print_error("%s\n", err.msg);
        fail();
    }
    dlc_rng rng;
    dlc_rng_seed(&rng, 11, 0);
    graph_init_params(b, &rng);
    /* biases and norms off their constants, so their gradients mean something */
    for (int k = 0; k < b->n_params; k++)
        if (!b->params[k].buffer)
            for (size_t i = 0; i < b->params[k].n; i++)
                b->params[k].data[i] += (float)(0.1 * dlc_rng_normal(&rng));
    if (g->n_frozen_after) {
        int nodes[RG_MAX];
        for (int k = 0; k < g->n_frozen_after; k++)
            nodes[k] = graph_find(b, g->s[g->frozen_after[k]].name);
        graph_freeze_nodes(b, nodes, g->n_frozen_after);
    }
    if (g->keep >= 0)
        assert_int_equal(graph_keep_output(b, graph_find(b, g->s[g->keep].name), NULL), DLC_OK);
    if (g->input_grad)
        assert_int_equal(graph_set_input_grad(b, 1, NULL), DLC_OK);
    return b;
}

/* Everything two training steps and an evaluation pass produce. */
typedef struct {
    float *v;
    size_t n;
} rg_result;

static void push(rg_result *r, const float *x, size_t n)
{
    float *nv = realloc(r->v, sizeof(float) * (r->n + n + 1));
    assert_non_null(nv);
    r->v = nv;
    memcpy(r->v + r->n, x, sizeof(float) * n);
    r->n += n;
}

/* Normal values, or token ids with each row's padding at its end. */
static void rg_fill_input(graph *b, const rg_graph *g, int rows, dlc_rng *rng)
{
    float *x = graph_input(b, 0);
    const size_t T = b->nodes[0].size;
    for (size_t i = 0; i < (size_t)rows; i++) {
        size_t len = 1 + dlc_rng_below(rng, T);
        for (size_t t = 0; t < T; t++)
            x[i * T + t] = !g->vocab ? (float)dlc_rng_normal(rng)
                           : t < len ? (float)(1 + dlc_rng_below(rng, (uint64_t)g->vocab - 1))
                                     : 0.0f;
    }
}

static void rg_run(graph *b, const rg_graph *g, rg_result *r)
{
    dlc_rng rng;
    dlc_rng_seed(&rng, 12, 0);
    const int N = g->N;
    graph_node *kept = g->keep >= 0 ? &b->nodes[graph_find(b, g->s[g->keep].name)] : NULL;
    for (int step = 0; step < 2; step++) {
        rg_fill_input(b, g, g->eval_rows, &rng);
        if (step == 1) {
            graph_forward_eval(b, g->eval_rows);
            for (int h = 0; h < b->n_outputs; h++)
                push(r, graph_output(b, h)->out, (size_t)g->eval_rows * graph_output(b, h)->size);
            if (kept)
                push(r, kept->out, (size_t)g->eval_rows * kept->size);
        }
        b->noise_seed = 5 + (uint64_t)step;
        graph_forward(b, N, 1);
        graph_zero_grad(b);
        for (int h = 0; h < b->n_outputs; h++) {
            graph_node *o = graph_output(b, h);
            for (size_t j = 0; j < (size_t)N * o->size; j++)
                o->grad[j] = (float)dlc_rng_normal(&rng);
        }
        graph_backward(b, N);
        for (int h = 0; h < b->n_outputs; h++)
            push(r, graph_output(b, h)->out, (size_t)N * graph_output(b, h)->size);
        if (kept)
            push(r, kept->out, (size_t)N * kept->size);
    }
    push(r, b->grad_block, b->n_grads);
    push(r, b->param_block, b->n_weights);
    if (g->input_grad)
        push(r, b->nodes[0].grad, (size_t)N * b->nodes[0].size);
}

/* The same numbers (a zero's sign aside: an in-place layer passes -0 on
 * where a separate one adds it to +0), all finite. */
static int rg_same(const rg_result *a, const rg_result *b, size_t *at)
{
    if (a->n != b->n) {
        *at = (size_t)-1;
        return 0;
    }
    for (size_t i = 0; i < a->n; i++)
        if (!isfinite(a->v[i]) || !isfinite(b->v[i]) ||
            (memcmp(&a->v[i], &b->v[i], sizeof(float)) != 0 && a->v[i] != b->v[i])) {
            *at = i;
            return 0;
        }
    return 1;
}

/* No two stores live at one step share a byte, and each lies in the arena. */
static int placement_sound(const graph_plan *p)
{
    for (int a = 0; a < p->n_stores; a++) {
        const plan_store *x = &p->stores[a];
        if (x->offset % 16 || x->offset + x->floats > p->floats)
            return 0;
        for (int c = a + 1; c < p->n_stores; c++) {
            const plan_store *y = &p->stores[c];
            if (x->first <= y->last && y->first <= x->last && x->floats && y->floats &&
                x->offset < y->offset + y->floats && y->offset < x->offset + x->floats)
                return 0;
        }
    }
    return 1;
}

/* One graph through (a) and (b); 0 and a message when it fails. */
static int rg_check(const rg_graph *g, char *why, size_t why_size, int *folds)
{
    /* the reference runs every ReLU node apart; the others fold those after
     * an add into it (fold_activation) */
    static const struct {
        int layout, poison, no_fold;
        const char *name;
    } runs[4] = {{GRAPH_LAYOUT_SEPARATE, 0, 1, "separate"},
                 {GRAPH_LAYOUT_PLANNED, 0, 0, "planned"},
                 {GRAPH_LAYOUT_SEPARATE, 1, 0, "separate, poisoned"},
                 {GRAPH_LAYOUT_PLANNED, 1, 0, "planned, poisoned"}};
    rg_result res[4] = {{0}};
    int ok = 1;
    for (int k = 0; k < 4 && ok; k++) {
        graph *b = rg_build(g, runs[k].layout, runs[k].poison, runs[k].no_fold);
        for (int i = 0; i < b->n_nodes; i++)
            *folds += b->nodes[i].folded_into >= 0;
        if (!placement_sound(&b->mem->train) || !placement_sound(&b->mem->eval)) {
            snprintf(why, why_size, "%s: two stores live at once share memory", runs[k].name);
            ok = 0;
        }
        rg_run(b, g, &res[k]);
        graph_free(b);
        size_t at = 0;
        if (ok && k > 0 && !rg_same(&res[0], &res[k], &at)) {
            snprintf(why, why_size, "%s differs from separate at value %zu of %zu: %.9g vs %.9g",
                     runs[k].name, at, res[0].n, at < res[k].n ? res[k].v[at] : 0.0,
                     at < res[0].n ? res[0].v[at] : 0.0);
            ok = 0;
        }
        if (ok && k == 0) {
            size_t at0 = 0;
            if (!rg_same(&res[0], &res[0], &at0)) {
                snprintf(why, why_size, "separate: value %zu of %zu is not finite", at0, res[0].n);
                ok = 0;
            }
        }
    }
    for (int k = 0; k < 4; k++)
        free(res[k].v);
    return ok;
}

static uint64_t env_u64(const char *name, uint64_t def)
{
    const char *v = getenv(name);
    return v && *v ? strtoull(v, NULL, 10) : def;
}

/* (a) and (b) on many graphs. */
static void test_random_graphs(void **state)
{
    const uint64_t count = env_u64("DLC_PLAN_GRAPHS", tu_quick() ? 40 : 1000);
    const uint64_t seed0 = env_u64("DLC_PLAN_SEED", 1);
    const int verbose = getenv("DLC_PLAN_VERBOSE") != NULL;
    int failures = 0, layers = 0, outs = 0, seq_layers = 0, folds = 0;
    for (uint64_t seed = seed0; seed < seed0 + count; seed++) {
        rg_graph g;
        rg_make(&g, seed, 0);
        layers += g.n;
        outs += g.n_out;
        seq_layers += g.seq_layers;
        if (verbose)
            rg_print(&g, seed);
        char why[512];
        if (!rg_check(&g, why, sizeof why, &folds)) {
            rg_print(&g, seed);
            print_error("graph seed %llu: %s\n", (unsigned long long)seed, why);
            if (++failures >= 5)
                break;
        }
    }
    print_message("%llu random graphs, %d layers, %d outputs, %d batchnorms and concats over "
                  "padded sequences, %d ReLUs folded into adds (in 3 runs each)\n",
                  (unsigned long long)count, layers, outs, seq_layers, folds);
    assert_int_equal(failures, 0);
    if (count >= 200) {
        assert_true(seq_layers > 0);
        assert_true(folds > 0);
    }
}

/* (c) central differences on graphs without kinks (tanh for relu, no abs;
 * max pools stay: the check steps around their ties). */
typedef struct {
    float *r[4];
} rg_proj;

static double rg_loss(void *user, graph *b, int N, int with_grad)
{
    rg_proj *p = user;
    graph_forward(b, N, 1);
    double L = 0;
    for (int h = 0; h < b->n_outputs; h++) {
        graph_node *o = graph_output(b, h);
        for (size_t i = 0; i < (size_t)N * o->size; i++)
            L += (double)p->r[h][i] * o->out[i];
    }
    if (with_grad) {
        graph_zero_grad(b);
        for (int h = 0; h < b->n_outputs; h++) {
            graph_node *o = graph_output(b, h);
            for (size_t i = 0; i < (size_t)N * o->size; i++)
                o->grad[i] = p->r[h][i];
        }
        graph_backward(b, N);
    }
    return L;
}

/* Set by the forward hook: the smallest variance a batchnorm (over a
 * channel) or a layernorm (over a row) normalizes by. */
typedef struct {
    graph *g;
    int N;
    double min_var;
} rg_cond;

static double variance(const float *x, size_t n, size_t stride, size_t count)
{
    double m = 0, q = 0;
    for (size_t i = 0; i < count; i++)
        m += x[(i / n) * stride + i % n];
    m /= (double)count;
    for (size_t i = 0; i < count; i++) {
        double d = x[(i / n) * stride + i % n] - m;
        q += d * d;
    }
    return q / (double)count;
}

static void cond_hook(void *user, int node)
{
    rg_cond *c = user;
    const graph_node *nd = &c->g->nodes[node];
    if (nd->spec.op != OP_BATCHNORM && nd->spec.op != OP_LAYERNORM)
        return;
    const graph_node *x = &c->g->nodes[nd->in[0]];
    if (nd->spec.op == OP_BATCHNORM) {
        if (!c->g->params[nd->params[0]].trainable)
            return; /* running statistics */
        size_t C = (size_t)nd->shape.d[0], S = nd->size / C;
        for (size_t ch = 0; ch < C; ch++) {
            double v = variance(x->out + ch * S, S, nd->size, (size_t)c->N * S);
            c->min_var = v < c->min_var ? v : c->min_var;
        }
    } else {
        size_t D = c->g->params[nd->params[0]].n;
        for (size_t row = 0; row < (size_t)c->N * nd->size / D; row++) {
            double v = variance(x->out + row * D, D, D, D);
            c->min_var = v < c->min_var ? v : c->min_var;
        }
    }
}

/* 1 when a normalization in g divides by the root of a variance near 0 (a
 * channel made constant by the graph, as a softmax of one value): its
 * gradient is then huge terms cancelling, which float32 cannot check. */
static int ill_conditioned(graph *b, int N)
{
    rg_cond c = {b, N, INFINITY};
    b->forward_hook = cond_hook;
    b->forward_user = &c;
    graph_forward(b, N, 1);
    b->forward_hook = NULL;
    b->forward_user = NULL;
    return c.min_var < 1e-3;
}

/* 1: checked and passed, 0: failed (why says how), -1: ill-conditioned */
static int rg_gradcheck(const rg_graph *g, int layout, double eps, char *why, size_t why_size)
{
    graph *b = rg_build(g, layout, 0, 0);
    dlc_rng rng;
    dlc_rng_seed(&rng, 13, 0);
    rg_fill_input(b, g, g->N, &rng);
    rg_proj p = {{0}};
    for (int h = 0; h < b->n_outputs; h++) {
        size_t n = (size_t)g->N * graph_output(b, h)->size;
        p.r[h] = malloc(sizeof(float) * n);
        assert_non_null(p.r[h]);
        for (size_t i = 0; i < n; i++)
            p.r[h][i] = (float)dlc_rng_normal(&rng);
    }
    if (ill_conditioned(b, g->N)) {
        for (int h = 0; h < 4; h++)
            free(p.r[h]);
        graph_free(b);
        return -1;
    }
    gradcheck_opts o = {eps, 1e-4, 12, g->input_grad, 3, 5e-2};
    gradcheck_result res[64];
    int k = gradcheck_graph(b, g->N, rg_loss, &p, &o, res, 64);
    int ok = 1;
    /* float32 noise: a gradient the graph makes zero (a bias before a
     * batchnorm, a layernorm of two values) has a numerical estimate of
     * about 1e-4; a wrong gradient is off by far more than 2e-3 */
    for (int i = 0; i < k && ok; i++)
        for (int f = 0; f < res[i].failed && f < GRADCHECK_MAX_FAILS && ok; f++) {
            const gradcheck_fail *x = &res[i].fails[f];
            if (fabs(x->analytic - x->numeric) > 2e-3) {
                snprintf(why, why_size, "%.96s: %d values off, worst at %d: analytic %.6g, numeric %.6g",
                         res[i].name, res[i].failed, x->index, x->analytic, x->numeric);
                ok = 0;
            }
        }
    for (int h = 0; h < 4; h++)
        free(p.r[h]);
    graph_free(b);
    return ok;
}

static void test_random_gradcheck(void **state)
{
    const uint64_t count = env_u64("DLC_PLAN_GRADCHECKS", tu_quick() ? 4 : 60);
    const uint64_t seed0 = env_u64("DLC_PLAN_SEED", 1);
    int failures = 0, skipped = 0;
    for (uint64_t seed = seed0; seed < seed0 + count; seed++) {
        rg_graph g;
        rg_make(&g, seed, 1);
        char why[512], why2[512];
        /* a wrong gradient is wrong at any step; a step too large for the
         * curvature (many terms summed) or too small for float32 noise only
         * at one of these */
        int ok = rg_gradcheck(&g, GRAPH_LAYOUT_PLANNED, 3e-3, why, sizeof why);
        if (ok < 0) {
            skipped++;
            continue;
        }
        if (!ok && !rg_gradcheck(&g, GRAPH_LAYOUT_PLANNED, 1e-2, why2, sizeof why2)) {
            rg_print(&g, seed);
            print_error("graph seed %llu (smooth): %s\n", (unsigned long long)seed, why2);
            print_error("  at the smaller step: %s\n", why);
            if (++failures >= 3)
                break;
        }
    }
    print_message("%llu random graphs checked by central differences, %d of them skipped "
                  "(a normalization of a near-constant channel)\n", (unsigned long long)count, skipped);
    assert_true(skipped <= (int)count / 4 + 1);
    assert_int_equal(failures, 0);
}

/* Found by test_random_graphs (seed 14): a recurrent layer after a small
 * embedding looks its tokens up in the embedding's input in forward, not
 * only in backward.  When that input is a layer of the plan (a slice of the
 * ids) and not the model input, the evaluation plan (and a training plan
 * where the recurrent layer learns nothing) let other buffers reuse it once
 * the embedding had read it: the layer read poisoned or overwritten ids. */
static void test_recurrent_reads_embedding_input(void **state)
{
    rg_graph g;
    memset(&g, 0, sizeof g);
    g.in = (tensor_shape){1, {4}};
    g.N = 4;
    g.eval_rows = 6;
    g.vocab = 6;
    g.keep = -1;
    g.s[0] = gt_spec("slice", "ids");
    g.s[0].n_inputs = 1;
    strcpy(g.s[0].inputs[0], "input");
    g.s[0].end = -1;
    g.s[1] = gt_spec("embedding", "emb");
    g.s[1].units = 4;
    g.s[1].vocab = g.vocab;
    g.s[2] = gt_spec("gru", "gru");
    g.s[2].units = 2;
    g.s[2].return_sequences = 1;
    g.s[3] = gt_spec("batchnorm", "bn");
    g.s[3].n_inputs = 1;
    strcpy(g.s[3].inputs[0], "emb");
    g.n = 4;
    g.n_out = 2;
    strcpy(g.outputs[0], "gru");
    strcpy(g.outputs[1], "bn");
    char why[512];
    int folds = 0;
    if (!rg_check(&g, why, sizeof why, &folds)) {
        print_error("%s\n", why);
        fail();
    }
    /* the recurrent layer frozen: no backward reads the ids, forward does */
    g.s[2].trainable = 0;
    if (!rg_check(&g, why, sizeof why, &folds)) {
        print_error("frozen: %s\n", why);
        fail();
    }
}

/* The run folder's config.yaml rebuilds the graph dlc eval and predict
 * use: a key the resolved config drops (a pool's ceil_mode, a recurrent
 * layer's reverse, a split's sizes) would score another model in silence.
 * Each random graph's layers, written by config_to_yaml and read back, are
 * the same layers, and so is a second round. */
/* A field of layer_spec and the config key that sets it ("" for the keys
 * every layer has). */
typedef struct {
    const char *key;
    const char *field;
    size_t off, size;
} rt_field;
#define RT(k, f) {k, #f, offsetof(layer_spec, f), sizeof(((layer_spec *)0)->f)}
static const rt_field rt_fields[] = {
    RT("", name), RT("", type), RT("", op), RT("", n_inputs), RT("", inputs), RT("", share),
    RT("", trainable), RT("", activation), RT("units", units), RT("use_bias", use_bias),
    RT("init", init), RT("rate", rate), RT("momentum", momentum), RT("eps", eps), RT("axis", axis),
    RT("shape", target_ndim), RT("shape", target), RT("filters", filters), RT("kernel", kernel),
    RT("stride", stride), RT("dilation", dilation), RT("padding", padding), RT("padding", pad),
    RT("algorithm", algorithm), RT("count_include_pad", count_include_pad),
    RT("ceil_mode", ceil_mode), RT("vocab", vocab), RT("pad_id", pad_id),
    RT("pretrained", pretrained), RT("return_sequences", return_sequences),
    RT("bidirectional", bidirectional), RT("reverse", reverse), RT("merge", merge),
    RT("bptt", bptt), RT("nonlinearity", nonlinearity), RT("variant", variant),
    RT("forget_bias", forget_bias), RT("start", start), RT("end", end), RT("sizes", n_sizes),
    RT("sizes", sizes), RT("axes", axes), RT("char_units", char_units),
    RT("output_padding", output_padding),
};
#undef RT

static int op_reads(int op, const char *key)
{
    if (!key[0])
        return 1;
    for (const char *const *k = graph_ops[op].keys; *k; k++)
        if (strcmp(*k, key) == 0)
            return 1;
    return 0;
}

/* a and b are one layer: every field the layer's type reads (the others are
 * not written to config.yaml and not read back) */
/* field x of a and b hold the same value: strings up to their end, lists
 * up to their length, windows up to their count of values */
static int same_field(const rt_field *x, const layer_spec *a, const layer_spec *b)
{
    const char *p = (const char *)a + x->off, *q = (const char *)b + x->off;
    if (x->off == offsetof(layer_spec, name) || x->off == offsetof(layer_spec, type) ||
        x->off == offsetof(layer_spec, share) || x->off == offsetof(layer_spec, pretrained))
        return strcmp(p, q) == 0;
    if (x->off == offsetof(layer_spec, inputs)) {
        for (int k = 0; k < a->n_inputs; k++)
            if (strcmp(a->inputs[k], b->inputs[k]) != 0)
                return 0;
        return 1;
    }
    if (x->off == offsetof(layer_spec, target))
        return memcmp(a->target, b->target, sizeof(int) * (size_t)a->target_ndim) == 0;
    if (x->off == offsetof(layer_spec, sizes))
        return memcmp(a->sizes, b->sizes, sizeof(int) * (size_t)a->n_sizes) == 0;
    if (x->size == sizeof(layer_window) &&
        (x->off == offsetof(layer_spec, kernel) || x->off == offsetof(layer_spec, stride) ||
         x->off == offsetof(layer_spec, dilation) || x->off == offsetof(layer_spec, pad))) {
        const layer_window *u = (const layer_window *)p, *v = (const layer_window *)q;
        return u->n == v->n && memcmp(u->v, v->v, sizeof(int) * (size_t)u->n) == 0;
    }
    return memcmp(p, q, x->size) == 0;
}

static int same_spec(const layer_spec *a, const layer_spec *b, char *why, size_t why_size)
{
    for (size_t f = 0; f < sizeof rt_fields / sizeof *rt_fields; f++) {
        const rt_field *x = &rt_fields[f];
        if (!op_reads(a->op, x->key) || same_field(x, a, b))
            continue;
        snprintf(why, why_size, "layer '%s' (%s): %s differs after the round trip", a->name, a->type,
                 x->field);
        return 0;
    }
    /* alpha: the slope of leaky_relu and elu */
    if ((a->activation == ACT_LEAKY_RELU || a->activation == ACT_ELU) && a->alpha != b->alpha) {
        snprintf(why, why_size, "layer '%s': alpha differs after the round trip", a->name);
        return 0;
    }
    return 1;
}

static int rg_roundtrip(const rg_graph *g, char *why, size_t why_size)
{
    static const char *base = "name: rt\n"
                              "data: {format: csv, train: {file: a.csv}, label: y}\n"
                              "model:\n"
                              "  input: [1]\n"
                              "  layers:\n"
                              "    - {type: dense, units: 1}\n";
    dlc_config c, back, again;
    dlc_error err = {0};
    assert_int_equal(config_load_string(&c, "rt.yaml", base, strlen(base), NULL, 0, &err), DLC_OK);
    layer_spec *mine = malloc(sizeof *mine * (size_t)g->n);
    assert_non_null(mine);
    memcpy(mine, g->s, sizeof *mine * (size_t)g->n);
    for (int i = 0; i < g->n; i++) { /* windows not given, as the config resolves them */
        layer_spec *q = &mine[i];
        int pool = q->op == OP_MAXPOOL || q->op == OP_AVGPOOL;
        if (q->stride.n == 0)
            q->stride = pool ? q->kernel : (layer_window){1, {1, 0, 0}};
        if (q->dilation.n == 0)
            q->dilation = (layer_window){1, {1, 0, 0}};
        if (q->output_padding.n == 0)
            q->output_padding = (layer_window){1, {0, 0, 0}};
        for (int j = 0; q->generated && j < i; j++) /* a split's pieces: as the split */
            if (strcmp(mine[j].name, q->inputs[0]) == 0)
                q->trainable = mine[j].trainable;
    }
    free(c.layers);
    c.layers = mine;
    c.n_layers = g->n;
    c.input = g->in;
    for (int h = 0; h < c.n_heads; h++) { /* the base's head named its own layer */
        snprintf(c.heads[h].layer, sizeof c.heads[h].layer, "%s", g->outputs[0]);
        snprintf(c.heads[h].name, sizeof c.heads[h].name, "%s", g->outputs[0]);
    }
    char *y = NULL, *y2 = NULL;
    int ok = 1;
    if (config_to_yaml(&c, &y, &err) != DLC_OK) {
        snprintf(why, why_size, "config_to_yaml fails: %.400s", err.msg);
        ok = 0;
    } else if (config_load_string(&back, "config.yaml", y, strlen(y), NULL, 0, &err) != DLC_OK) {
        snprintf(why, why_size, "the resolved config does not load: %.400s", err.msg);
        ok = 0;
    } else {
        for (int i = 0; ok && i < g->n; i++)
            ok = i < back.n_layers && same_spec(&c.layers[i], &back.layers[i], why, why_size);
        if (ok && back.n_layers != g->n) {
            snprintf(why, why_size, "%d layers came back of %d", back.n_layers, g->n);
            ok = 0;
        }
        if (ok && (config_to_yaml(&back, &y2, &err) != DLC_OK ||
                   config_load_string(&again, "config.yaml", y2, strlen(y2), NULL, 0, &err) != DLC_OK)) {
            snprintf(why, why_size, "the second round fails: %.400s", err.msg);
            ok = 0;
        } else if (ok) {
            if (strcmp(y, y2) != 0) {
                snprintf(why, why_size, "the second round writes another text");
                ok = 0;
            }
            config_free(&again);
        }
        config_free(&back);
    }
    if (!ok && y)
        fprintf(stderr, "%s\n", y);
    free(y);
    free(y2);
    config_free(&c);
    return ok;
}

static void test_random_config_roundtrip(void **state)
{
    const uint64_t count = env_u64("DLC_PLAN_GRAPHS", tu_quick() ? 40 : 1000);
    const uint64_t seed0 = env_u64("DLC_PLAN_SEED", 1);
    int failures = 0;
    for (uint64_t seed = seed0; seed < seed0 + count && failures < 3; seed++) {
        rg_graph g;
        rg_make(&g, seed, seed % 2);
        char why[512];
        if (!rg_roundtrip(&g, why, sizeof why)) {
            rg_print(&g, seed);
            print_error("graph seed %llu: %s\n", (unsigned long long)seed, why);
            failures++;
        }
    }
    assert_int_equal(failures, 0);
}

int main(void)
{
    /* DLC_PLAN_THREADS=N: the kernels on N threads (the pool's parts) */
    tensor_set_threads((int)env_u64("DLC_PLAN_THREADS", 0));
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_recurrent_reads_embedding_input),
        cmocka_unit_test(test_random_graphs),
        cmocka_unit_test(test_random_gradcheck),
        cmocka_unit_test(test_random_config_roundtrip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
