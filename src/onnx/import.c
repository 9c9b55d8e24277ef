/* import.c - an ONNX model made of ops dlc has, as a dlc model: the layers
 * of a config (YAML) and their weights (see onnx.h, onnx_import).
 *
 * The graph is walked in its (topological) order.  Each ONNX value becomes
 * one of: a dlc layer's output, a constant (initializer, Constant), a shape
 * computation or a tensor of zeros made from one (what PyTorch writes for a
 * recurrent layer's initial state, which dlc starts from zeros anyway), or a
 * view of a recurrent layer (its input made time-major, its Y or Y_h).  Ops
 * map to layers: Conv -> conv1d/2d/3d (of a globally pooled vector -> dense),
 * Gemm and MatMul (+ Add of a constant) -> dense, MaxPool/AveragePool,
 * GlobalAveragePool (+ Flatten), BatchNormalization, Relu/Sigmoid/Tanh/LeakyRelu/
 * Elu/Softmax/HardSigmoid/HardSwish (folded into the layer before when it is the
 * only consumer; x * Sigmoid(x) and x * HardSigmoid(x) are silu and hardswish),
 * Add/Sum, Concat, Flatten, Reshape, Dropout, Mul of a map by a pooled gate ->
 * multiply (squeeze-and-excitation),
 * Gather of a table -> embedding, LSTM/GRU/RNN -> lstm/gru/rnn with the gate
 * order and signs export.c writes, undone; Slice and Split -> slice, the
 * channel shuffle's Reshape/Transpose/Reshape -> channel_shuffle, Pad folded
 * into the Conv or AveragePool after it, shape arithmetic on known shapes
 * folded to constants; a map made channels-last by Transpose (ConvNeXt's)
 * through LayerNormalization -> layernorm over channels, MatMul -> 1x1 conv,
 * activations and Add, back by Transpose, a Mul by a per-channel constant
 * (layer_scale) folded into the linear layer before.  A leading Sub and Mul by
 * constants on the input (dlc's own exports) become the normalization.
 * Anything else is refused, listing every op dlc lacks. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../io/io.h"
#include "onnx.h"

#define IMP_MAX_LAYERS 4096
#define KV_MAX (2 * ONNX_MAX_DIMS) /* the entries of a shape computed at import (a Pad's pads) */

typedef enum {
    V_NONE, V_LAYER, V_CONST, V_SHAPE, V_ZEROS, V_TIME_MAJOR, V_RNN_Y, V_RNN_YSQ, V_RNN_YH, V_RNN_YC,
    V_RNN_Y_NT,  /* Y batch-major, (N, T, dirs, H): a layout=1 layer's, or Transpose (2, 0, 1, 3) of Y */
    V_RNN_YH_N,  /* Y_h batch-major, (N, dirs, H): layout=1's, or Transpose (1, 0, 2) of Y_h */
    V_RNN_Y_TN,  /* Y time-major with its directions last, (T, N, dirs, H): Transpose (0, 2, 1, 3)
                  * of Y, as PyTorch writes a bidirectional layer's sequence */
    /* the steps of gelu before opset 20, x * (1 + erf(x / sqrt 2)) * 0.5 (dlc's exports, PyTorch's
     * nn.GELU): x / sqrt 2, its erf, 1 + that, x times that; `layer` and `src` are x's */
    V_GELU_SCALED, V_GELU_ERF, V_GELU_ERF1, V_GELU_PRODUCT,
    /* the steps of layer normalization below opset 17 (PyTorch's nn.LayerNorm, dlc's exports):
     * mean, x - mean, its square, their mean (var), var + eps, sqrt, (x - mean) / that, times
     * gamma (then + beta); `layer` and `src` are x's, `axes` the trailing axes, `eps` */
    V_LN_MEAN, V_LN_CENTERED, V_LN_SQ, V_LN_VAR, V_LN_VAREPS, V_LN_STD, V_LN_NORM, V_LN_SCALED,
    /* a channel shuffle (ShuffleNet's): x (N, C, S...) viewed as (N, G, C/G, S...), then those two
     * axes swapped; `layer` x's, `groups` G */
    V_SHUFFLE_GROUPED, V_SHUFFLE_SWAPPED,
    /* a pixel unshuffle (PyTorch's nn.PixelUnshuffle(r)): x (N, C, H, W) viewed as (N, C, H/r, r,
     * W/r, r), then Transpose (0, 1, 3, 5, 2, 4); `layer` x's, `groups` r */
    V_UNSHUFFLE_BLOCKS, V_UNSHUFFLE_MOVED,
    V_PADDED,   /* `layer`'s output zero-padded (Pad) for a convolution or average pool: `src` the
                 * unpadded value, kv its spatial pads (begins, then ends) */
    /* Sigmoid(x) or HardSigmoid(x) whose one consumer is Mul(x, it): silu or hardswish of x
     * (PyTorch's nn.SiLU, and nn.Hardswish below opset 14); `src` is x, `act` the one it makes */
    V_GATE_OF_SELF,
    /* one channel of the model input, x[:, c] (Gather), times `aff[0]` plus `aff[1]` (Mul, Add, Sub,
     * Div by scalar constants): torchvision's transform_input (GoogLeNet, Inception v3) before
     * the Concat of every channel in order that makes it a per-channel affine of the input,
     * folded into the normalization; `groups` is c, `flat` whether its axis is back (Unsqueeze) */
    V_CHANNEL,
    /* a sequence (N, T, D) transposed to (N, D, T) (PyTorch's x.transpose(1, 2), dlc's exports)
     * for a BatchNormalization of its features; `layer` the sequence's */
    V_FEATURES_FIRST,
    /* the steps of scalar_mix as dlc exports it: Softmax of its weights (`c`), times gamma
     * (`c2`), coefficient `groups` of that (Gather), input `layer` times it; then Sum */
    V_MIX_SOFT, V_MIX_COEF, V_MIX_COEF_J, V_MIX_TERM,
    /* `layer`'s map (N, C, S...) with its channels made last, (N, S..., C): Transpose (0, 2, ...,
     * r-1, 1), as ConvNeXt's LayerNorm2d and blocks write it (`rank` r; `flat` as V_LAYER's).
     * Read by LayerNormalization over the last axis (-> layernorm, channels: true), MatMul by a
     * constant (C, K) (-> a 1x1 convolution), elementwise activations, and the Transpose back */
    V_CHANNELS_LAST
} vkind;

typedef struct {
    const char *name;           /* the ONNX value (borrowed from the model) */
    vkind kind;
    int layer;                  /* -1: the model input */
    const onnx_tensor *c;       /* V_CONST; V_MIX_*: the mix's weights */
    const onnx_tensor *c2;      /* V_MIX_*: its gamma */
    int tr;                     /* V_CONST: the matrix c transposed */
    int flat;                   /* V_LAYER: dlc's value is (C) where ONNX has (N, C, 1, 1) */
    const char *src;            /* V_GELU_*: the value x gelu is of (borrowed), and whether */
    int alone;                  /* gelu's two nodes are its only consumers */
    int axes;                   /* V_LN_*: the trailing axes normalized */
    int rank;                   /* V_CHANNELS_LAST, and V_LN_* of one: ONNX's rank (else 0) */
    act_kind act;               /* V_GATE_OF_SELF: silu or hardswish */
    float eps;                  /* V_LN_VAREPS on: the variance's epsilon */
    int batch;                  /* V_SHAPE: SHAPE_OF_BATCH_FIRST the shape of a layer's output
                                 * (entry 0 the batch size), SHAPE_BATCH that entry (N or [N]) */
    int nk;                     /* V_SHAPE: its nk entries are known, kv (SHAPE_N the batch size), */
    int rows;                   /* as a vector (rows 0) or a matrix of `rows` rows */
    int64_t kv[KV_MAX];
    int groups;                 /* V_SHUFFLE_*; V_CHANNEL: the channel */
    double aff[2];              /* V_CHANNEL: its factor and offset */
    int uses;
} ival;

enum { SHAPE_OF_BATCH_FIRST = 1, SHAPE_BATCH = 2 };

typedef struct {
    char name[GRAPH_NAME_MAX];
    char type[16];
    int n_in;
    int in[GRAPH_MAX_INPUTS];   /* layer ids, -1 the input */
    act_kind act;
    float alpha, beta;          /* leaky_relu's, elu's alpha; hardsigmoid's slope and offset */
    dlc_buf keys;               /* ", key: value" of the type's keys */
    int seq_used, last_used;    /* recurrent: Y or Y_h consumed */
    int batch_first;            /* recurrent: layout=1, Y (N, T, dirs, H) and Y_h (N, dirs, H);
                                 * else Y (T, dirs, N, H) and Y_h (dirs, N, H) */
} ilayer;

typedef struct {
    int layer;
    char local[32];             /* "weight", "bias", ... */
    float *v;                   /* owned */
    size_t n;
} iweight;

typedef struct {
    const onnx_model *m;
    dlc_error *err;
    const char *path;
    ival *v;
    int nv;
    ilayer *l;
    int nl;
    iweight *w;
    int nw, capw;
    float *shift, *scale;       /* a normalization found in the graph (owned) */
    size_t norm_n;
    float *pre;                 /* (2, C) a per-channel affine of the input, after its
                                 * normalization: factors, then offsets (owned) */
    tensor_shape in;            /* the model input, per sample */
    int64_t in_batch;           /* the input's batch size when the file fixes it, else 0 */
    int n_cumulative;           /* BatchNormalizations of momentum 1, and the first's name */
    char cumulative[64];
    onnx_tensor *made;          /* (n_made) shapes computed at import, as [0, -1, ...] (owned) */
    int n_made;
} imp;

static const char *const supported[] = {
    "Conv", "Relu", "Sigmoid", "Tanh", "LeakyRelu", "Elu", "Softmax", "MaxPool", "AveragePool",
    "GlobalAveragePool", "Flatten", "Reshape", "Gemm", "MatMul", "Add", "Sum", "Concat",
    "BatchNormalization", "Dropout", "Identity", "Gather", "LSTM", "GRU", "RNN", "Transpose",
    "Squeeze", "Unsqueeze", "Constant", "Shape", "ConstantOfShape", "Cast", "Round", "Sub", "Mul",
    "Gelu", "ReduceMean", "ReduceSum", "Erf", "Div", "LayerNormalization", "Pow", "Sqrt", "Slice", "Clip",
    "Pad", "Split", "HardSigmoid", "HardSwish", "Resize", "ConvTranspose", "DepthToSpace", "SpaceToDepth",
    NULL,
};

/* A node's domain, "" for ONNX's own (empty or "ai.onnx"). */
static const char *op_domain(const onnx_node *n)
{
    return !n->domain || !strcmp(n->domain, "ai.onnx") ? "" : n->domain;
}

/* A node's name for messages: its own, else its first output's. */
static const char *node_name(const onnx_node *n)
{
    return n->name && n->name[0] ? n->name : n->n_out > 0 ? n->out[0] : "?";
}

static int same_op(const onnx_node *a, const onnx_node *b)
{
    return !strcmp(a->op, b->op) && !strcmp(op_domain(a), op_domain(b));
}

/* 1 when dlc has no layer for the node's op. */
static int op_missing(const onnx_node *n)
{
    if (op_domain(n)[0])
        return 1;
    for (int s = 0; supported[s]; s++)
        if (!strcmp(supported[s], n->op))
            return 0;
    return 1;
}

static dlc_status fail_at(imp *k, const onnx_node *n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static dlc_status fail_at(imp *k, const onnx_node *n, const char *fmt, ...)
{
    char msg[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return dlc_fail(k->err, DLC_EINPUT, "%s: node '%s' (%s): %s", k->path, node_name(n), n->op, msg);
}

/* ---- values ---- */

static ival *val(imp *k, const char *name)
{
    for (int i = k->nv - 1; i >= 0; i--)
        if (strcmp(k->v[i].name, name) == 0)
            return &k->v[i];
    return NULL;
}

static ival *new_val(imp *k, const char *name, vkind kind, int layer)
{
    ival *x = &k->v[k->nv++];
    memset(x, 0, sizeof *x);
    x->name = name;
    x->kind = kind;
    x->layer = layer;
    return x;
}

/* Node n's output as layer L's, in the view x is in: a layer output (flat or
 * not) or channels-last (an elementwise step keeps the layout). */
static dlc_status same_view(imp *k, const onnx_node *n, const ival *x, int L)
{
    ival *y = new_val(k, n->out[0], x->kind == V_CHANNELS_LAST ? V_CHANNELS_LAST : V_LAYER, L);
    y->flat = x->flat;
    y->rank = x->rank;
    return DLC_OK;
}

/* A constant input (initializer or Constant), or NULL. */
static const onnx_tensor *cst(imp *k, const onnx_node *n, int i)
{
    if (i >= n->n_in || !n->in[i][0])
        return NULL;
    ival *x = val(k, n->in[i]);
    return x && x->kind == V_CONST && !x->tr ? x->c : NULL; /* a transposed one: only dense reads it */
}

/* The batch size in a shape computed at import (no arithmetic is done on it). */
#define SHAPE_N INT64_MIN

/* Input i as known integers (*cnt of them, into v): a constant, or a shape
 * whose entries are known (see shape_step); 0 when it is neither. */
static int known_ints(imp *k, const onnx_node *n, int i, int64_t *v, int *cnt)
{
    ival *x = i < n->n_in && n->in[i][0] ? val(k, n->in[i]) : NULL;
    if (x && x->kind == V_SHAPE && x->nk > 0) {
        memcpy(v, x->kv, sizeof *v * (size_t)x->nk);
        *cnt = x->nk;
        return 1;
    }
    const onnx_tensor *c = cst(k, n, i);
    if (!c || !c->i || c->n < 1 || c->n > KV_MAX)
        return 0;
    memcpy(v, c->i, sizeof *v * c->n);
    *cnt = (int)c->n;
    return 1;
}

/* A Reshape's shape input i: a constant, or a known shape whose batch size
 * is its first entry (x.view(x.size(0), g, c // g, h, w)), made a constant
 * with 0 there (copy the batch axis); else NULL. */
static const onnx_tensor *shape_input(imp *k, const onnx_node *n, int i)
{
    const onnx_tensor *c = cst(k, n, i);
    ival *x = i < n->n_in && n->in[i][0] ? val(k, n->in[i]) : NULL;
    if (c || !x || x->kind != V_SHAPE || x->nk < 1 || x->rows)
        return c;
    if (x->c) /* made before: each value once, so k->made (one per node) is enough */
        return x->c;
    for (int j = 1; j < x->nk; j++)
        if (x->kv[j] == SHAPE_N)
            return NULL;
    if (k->n_made > k->m->n_nodes)
        return NULL;
    onnx_tensor *t = &k->made[k->n_made];
    if (!(t->i = calloc((size_t)x->nk, sizeof *t->i)))
        return NULL;
    k->n_made++;
    t->dtype = 7;
    t->ndim = 1;
    t->dims[0] = t->n = (size_t)x->nk;
    for (int j = 0; j < x->nk; j++)
        t->i[j] = x->kv[j] == SHAPE_N ? 0 : x->kv[j];
    x->c = t;
    return t;
}

/* A scalar float constant input i near v (relative 1e-6), else 0. */
static int const_near(imp *k, const onnx_node *n, int i, double v)
{
    const onnx_tensor *c = cst(k, n, i);
    return c && c->f && c->n == 1 && fabs(c->f[0] - v) <= 1e-6 * fabs(v);
}

/* The first node after n that takes value `name` as input i and has op `op`
 * (with its other input, for a binary op, `other`: NULL any), or NULL. */
static const onnx_node *consumer(const imp *k, const onnx_node *n, const char *name, const char *op, int i,
                                 const char *other)
{
    for (int q = (int)(n - k->m->nodes) + 1; q < k->m->n_nodes; q++) {
        const onnx_node *c = &k->m->nodes[q];
        if (!strcmp(c->op, op) && c->n_in > i && !strcmp(c->in[i], name) &&
            (!other || (c->n_in == 2 && !strcmp(c->in[1 - i], other))))
            return c;
    }
    return NULL;
}

/* ---- layers and weights ---- */

/* A layer name from an ONNX value name: letters, digits and '_' kept,
 * others '_', leading '_' dropped, unique. */
static void layer_name(imp *k, const char *from, char *out)
{
    char base[GRAPH_NAME_MAX - 8];
    size_t j = 0;
    /* dlc's exports write "NAME/out" for a layer named as a graph output
     * ("logits", "output", ...): the layer gets its own name back */
    size_t len = strlen(from);
    if (len > 4 && !strcmp(from + len - 4, "/out"))
        len -= 4;
    for (const char *p = from; p < from + len && j + 1 < sizeof base; p++) {
        char c = *p;
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
        if (!ok && (j == 0 || base[j - 1] == '_'))
            continue;
        base[j++] = ok ? c : '_';
    }
    while (j > 0 && base[j - 1] == '_')
        j--;
    base[j] = '\0';
    if (j == 0 || strcmp(base, "input") == 0)
        snprintf(base, sizeof base, "layer");
    snprintf(out, GRAPH_NAME_MAX, "%s", base);
    for (int n = 2;; n++) {
        int clash = 0;
        for (int i = 0; i < k->nl; i++)
            clash |= strcmp(k->l[i].name, out) == 0;
        if (!clash)
            return;
        snprintf(out, GRAPH_NAME_MAX, "%.48s_%d", base, n);
    }
}

/* Layer id takes the name of value (the value it makes now). */
static void rename_layer(imp *k, int id, const char *value)
{
    char renamed[GRAPH_NAME_MAX];
    k->l[id].name[0] = '\0'; /* its old name is free again */
    layer_name(k, value, renamed);
    snprintf(k->l[id].name, sizeof k->l[id].name, "%s", renamed);
}

static int add_layer(imp *k, const char *type, const char *value, const int *in, int n_in)
{
    if (k->nl >= IMP_MAX_LAYERS)
        return -1;
    ilayer *L = &k->l[k->nl];
    memset(L, 0, sizeof *L);
    layer_name(k, value, L->name);
    snprintf(L->type, sizeof L->type, "%s", type);
    L->n_in = n_in;
    memcpy(L->in, in, sizeof(int) * (size_t)n_in);
    L->act = ACT_LINEAR;
    L->alpha = 0.01f;
    return k->nl++;
}

static dlc_status add_weight(imp *k, int layer, const char *local, float *v, size_t n)
{
    if (!v)
        return DLC_NOMEM(k->err);
    if (k->nw == k->capw) {
        int cap = k->capw ? 2 * k->capw : 64;
        iweight *w = realloc(k->w, sizeof *w * (size_t)cap);
        if (!w) {
            free(v);
            return DLC_NOMEM(k->err);
        }
        k->w = w;
        k->capw = cap;
    }
    iweight *w = &k->w[k->nw++];
    w->layer = layer;
    snprintf(w->local, sizeof w->local, "%s", local);
    w->v = v;
    w->n = n;
    return DLC_OK;
}

static float *copy_floats(const onnx_tensor *t)
{
    float *v = malloc(sizeof *v * (t->n ? t->n : 1));
    for (size_t i = 0; v && i < t->n; i++)
        v[i] = t->f ? t->f[i] : (float)t->i[i];
    return v;
}

/* The layer input a value stands for (a layer, or -1 the model input). */
static dlc_status layer_in(imp *k, const onnx_node *n, int i, int *layer)
{
    ival *x = i < n->n_in ? val(k, n->in[i]) : NULL;
    if (x && x->kind == V_CHANNELS_LAST)
        return fail_at(k, n, "input %d ('%s') is a map made channels-last (Transpose perm (0, 2, ..., 1)); dlc "
                             "reads one only in a layer normalization over its last axis, a MatMul by a "
                             "constant, an elementwise activation, a sum of such maps and the Transpose back "
                             "(perm (0, %d, 1, ...)): "
                             "do this op before the Transpose or after the one back",
                       i, n->in[i], x->rank - 1);
    if (!x || x->kind != V_LAYER)
        return fail_at(k, n, "input %d ('%s') is not a tensor dlc computes (a constant, a shape, or "
                             "a recurrent layer's state used in a way dlc's layers have no form for)",
                       i, i < n->n_in ? n->in[i] : "");
    *layer = x->layer;
    return DLC_OK;
}

static void keyf(imp *k, int layer, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void keyf(imp *k, int layer, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    dlc_buf_printf(&k->l[layer].keys, ", %s", buf);
}

static void key_list(imp *k, int layer, const char *key, const int64_t *v, int n)
{
    dlc_buf *b = &k->l[layer].keys;
    dlc_buf_printf(b, ", %s: [", key);
    for (int i = 0; i < n; i++)
        dlc_buf_printf(b, i ? ", %lld" : "%lld", (long long)v[i]);
    dlc_buf_printf(b, "]");
}

static dlc_status config_text(imp *k, const tensor_shape *in, int out, const char *loss, int text_ids,
                              int normalized, const char *name, dlc_buf *y);

/* The per-sample output shape of layer id (-1: the input), by building the
 * layers so far as dlc would; seq (may be NULL): whether dlc reads it as a
 * sequence (T, D), time first (graph_node.seq). */
static dlc_status layer_shape_seq(imp *k, int id, tensor_shape *s, int *seq)
{
    if (seq)
        *seq = 0;
    if (id < 0) {
        *s = k->in;
        return DLC_OK;
    }
    dlc_buf y = {0};
    dlc_config cfg;
    graph *g = NULL;
    int nl = k->nl;
    k->nl = id + 1;
    dlc_status st = config_text(k, &k->in, id, "softmax_cross_entropy", 0, 0, "shape", &y);
    k->nl = nl;
    if (st == DLC_OK && (st = config_load_string(&cfg, "imported config", y.s, y.len, NULL, 0, k->err)) == DLC_OK) {
        if ((st = graph_build(&g, &k->in, cfg.layers, id + 1, NULL, 0, 1, k->err)) == DLC_OK) {
            *s = g->nodes[g->n_nodes - 1].shape;
            if (seq)
                *seq = g->nodes[g->n_nodes - 1].seq;
        }
        graph_free(g);
        config_free(&cfg);
    }
    dlc_buf_free(&y);
    return st;
}

static dlc_status layer_shape(imp *k, int id, tensor_shape *s)
{
    return layer_shape_seq(k, id, s, NULL);
}

/* ---- op converters ---- */

/* kernel, stride, dilation and padding keys from a Conv or pool node */
static dlc_status window_keys(imp *k, const onnx_node *n, int layer, const int64_t *kernel, int nsp)
{
    const onnx_attr *st = onnx_attr_get(n, "strides"), *pd = onnx_attr_get(n, "pads"),
                    *dl = onnx_attr_get(n, "dilations");
    const onnx_attr *ap = onnx_attr_get(n, "auto_pad");
    const char *auto_pad = ap && ap->s ? ap->s : "NOTSET";
    int64_t s[3], p[3], d[3], dilated = 0;
    if (dl && dl->n_ints != nsp)
        return fail_at(k, n, "dilations has %d values for %d spatial axes", dl->n_ints, nsp);
    for (int i = 0; i < nsp; i++) {
        s[i] = st && i < st->n_ints ? st->ints[i] : 1;
        p[i] = 0;
        d[i] = dl ? dl->ints[i] : 1;
        if (d[i] < 1)
            return fail_at(k, n, "dilations must be at least 1");
        dilated |= d[i] != 1;
    }
    if (dilated && !strcmp(n->op, "AveragePool"))
        return fail_at(k, n, "dilations on an average pool (dlc's avgpool windows are dense)");
    key_list(k, layer, "kernel", kernel, nsp);
    key_list(k, layer, "stride", s, nsp);
    if (dilated)
        key_list(k, layer, "dilation", d, nsp);
    if (!strcmp(auto_pad, "SAME_UPPER")) {
        keyf(k, layer, "padding: same");
        return DLC_OK;
    }
    if (strcmp(auto_pad, "NOTSET") != 0 && strcmp(auto_pad, "VALID") != 0)
        return fail_at(k, n, "auto_pad %s (dlc's `same` pads the odd one after, SAME_UPPER)", auto_pad);
    if (pd && !strcmp(auto_pad, "NOTSET")) {
        if (pd->n_ints != 2 * nsp)
            return fail_at(k, n, "pads has %d values for %d spatial axes", pd->n_ints, nsp);
        int sym = 1, same = 1;
        for (int i = 0; i < nsp; i++) {
            sym &= pd->ints[i] == pd->ints[nsp + i];
            p[i] = pd->ints[i];
        }
        if (!sym) { /* dlc's `same` (the odd one after) on this input's size? */
            tensor_shape x;
            dlc_status e = layer_shape(k, k->l[layer].in[0], &x);
            if (e)
                return e;
            for (int i = 0; i < nsp; i++) {
                int64_t nin = x.d[x.ndim - nsp + i], out = (nin + s[i] - 1) / s[i];
                int64_t total = (out - 1) * s[i] + d[i] * (kernel[i] - 1) + 1 - nin;
                total = total < 0 ? 0 : total;
                same &= pd->ints[i] == total / 2 && pd->ints[nsp + i] == total - total / 2;
            }
            if (!same)
                return fail_at(k, n, "asymmetric pads other than `same` (dlc pads both sides of an axis "
                                     "alike, or as `same` does: the odd one after)");
            keyf(k, layer, "padding: same");
            return DLC_OK;
        }
    }
    key_list(k, layer, "padding", p, nsp);
    return DLC_OK;
}

/* A Conv of a globally pooled (N, C, 1, 1) value, dlc's (C) (a squeeze-and-excitation block's
 * squeeze and excite): a 1x1 kernel without padding is a dense layer of F units, W (F, C, 1, 1)
 * already dlc's (OUT, IN); its output stays (N, F, 1, 1) in ONNX (flat). */
static dlc_status conv_of_pooled(imp *k, const onnx_node *n, int in, int C, const onnx_tensor *W,
                                 const onnx_tensor *B, int64_t groups)
{
    const onnx_attr *pd = onnx_attr_get(n, "pads"), *ap = onnx_attr_get(n, "auto_pad");
    int padded = ap && ap->s && strcmp(ap->s, "NOTSET") != 0 && strcmp(ap->s, "VALID") != 0;
    for (int i = 0; pd && i < pd->n_ints; i++)
        padded |= pd->ints[i] != 0;
    int one = 1;
    for (int i = 2; i < W->ndim; i++)
        one &= W->dims[i] == 1;
    if (!one || padded || groups != 1 || W->dims[1] != C)
        return fail_at(k, n, "its input is a globally pooled vector of %d channels, which dlc convolves only "
                             "as a dense layer: a 1x1 kernel without padding or groups (this one is %s)",
                       C, !one ? "wider than 1x1" : padded ? "padded" : groups != 1 ? "grouped" : "of other channels");
    int L = add_layer(k, "dense", n->out[0], &in, 1);
    if (L < 0)
        return fail_at(k, n, "too many layers");
    keyf(k, L, "units: %lld", (long long)W->dims[0]);
    keyf(k, L, "use_bias: %s", B ? "true" : "false");
    dlc_status st = add_weight(k, L, "weight", copy_floats(W), W->n);
    if (st == DLC_OK && B)
        st = add_weight(k, L, "bias", copy_floats(B), B->n);
    if (st)
        return st;
    new_val(k, n->out[0], V_LAYER, L)->flat = 1;
    return DLC_OK;
}

/* A Conv's or ConvTranspose's input layer, its constant weight W (1 to 3
 * spatial axes), bias B (NULL: none) and group, which must divide W's first
 * axis (the `what` it counts). */
static dlc_status conv_operands(imp *k, const onnx_node *n, const char *what, int *in, const onnx_tensor **W,
                                const onnx_tensor **B, int64_t *groups)
{
    *W = cst(k, n, 1);
    *B = cst(k, n, 2);
    dlc_status st = layer_in(k, n, 0, in);
    if (st)
        return st;
    if (!*W || !(*W)->f || (*W)->ndim < 3 || (*W)->ndim > 5)
        return fail_at(k, n, "the weight is not a constant of 1 to 3 spatial axes");
    const onnx_attr *grp = onnx_attr_get(n, "group");
    *groups = grp ? grp->i : 1;
    if (*groups < 1 || (*W)->dims[0] % *groups)
        return fail_at(k, n, "group %lld does not divide the %lld %s", (long long)*groups, (long long)(*W)->dims[0],
                       what);
    return DLC_OK;
}

static dlc_status op_conv(imp *k, const onnx_node *n)
{
    const onnx_tensor *W, *B;
    int in;
    int64_t groups;
    dlc_status st = conv_operands(k, n, "filters", &in, &W, &B, &groups);
    if (st)
        return st;
    int nsp = W->ndim - 2;
    tensor_shape xs;
    dlc_status shp = layer_shape(k, in, &xs);
    ival *x = val(k, n->in[0]);
    if (shp == DLC_OK && xs.ndim == 1 && x->flat)
        return conv_of_pooled(k, n, in, xs.d[0], W, B, groups);
    if (shp == DLC_OK && xs.ndim == 1)
        return fail_at(k, n, "its input is a vector of %d, (N, %d) in ONNX: a convolution needs spatial axes",
                       xs.d[0], xs.d[0]);
    if (shp == DLC_OK && xs.ndim == nsp + 1 && xs.d[0] != W->dims[1] * groups)
        return fail_at(k, n, "its weight (%lld filters of %lld channels) in %lld group%s takes %lld input channels, "
                             "the input has %d",
                       (long long)W->dims[0], (long long)W->dims[1], (long long)groups, groups == 1 ? "" : "s",
                       (long long)(W->dims[1] * groups), xs.d[0]);
    const char *type = nsp == 1 ? "conv1d" : nsp == 2 ? "conv2d" : "conv3d";
    int L = add_layer(k, type, n->out[0], &in, 1);
    if (L < 0)
        return fail_at(k, n, "too many layers");
    keyf(k, L, "filters: %lld", (long long)W->dims[0]);
    if (groups > 1)
        keyf(k, L, "groups: %lld", (long long)groups);
    if ((st = window_keys(k, n, L, W->dims + 2, nsp)))
        return st;
    keyf(k, L, "use_bias: %s", B ? "true" : "false");
    if ((st = add_weight(k, L, "weight", copy_floats(W), W->n)))
        return st;
    if (B && (st = add_weight(k, L, "bias", copy_floats(B), B->n)))
        return st;
    new_val(k, n->out[0], V_LAYER, L);
    return DLC_OK;
}

/* floor(a / 2) for any sign */
static int64_t half_down(int64_t a)
{
    return a >= 0 ? a / 2 : -((-a + 1) / 2);
}

/* The output is the window [lo, lo + L) of the full transposed output
 * (L = (n - 1) s + kd - lo - hi + output_padding for pads (lo, hi)); dlc's
 * padding p with output padding o is the window [p, p + (n - 1) s + kd - 2 p
 * + o), so pads (lo, hi) with output_padding op are padding lo with output
 * padding op + lo - hi (PyTorch writes lo = hi).  output_shape and auto_pad
 * SAME give the total crop, split as ONNX's reference does. */
const char *onnx_conv_transpose_window(const onnx_node *n, int nsp, int i, int64_t nin, int64_t k, int64_t *stride,
                                       int64_t *dilation, int64_t *pad, int64_t *out_pad, int *same)
{
    const onnx_attr *st = onnx_attr_get(n, "strides"), *pd = onnx_attr_get(n, "pads"),
                    *dl = onnx_attr_get(n, "dilations"), *opd = onnx_attr_get(n, "output_padding"),
                    *ap = onnx_attr_get(n, "auto_pad"), *os = onnx_attr_get(n, "output_shape");
    const char *auto_pad = ap && ap->s ? ap->s : "NOTSET";
    if ((st && st->n_ints != nsp) || (dl && dl->n_ints != nsp) || (opd && opd->n_ints != nsp) ||
        (pd && pd->n_ints != 2 * nsp) || (os && os->n_ints != nsp))
        return "strides, dilations, output_padding, pads or output_shape without a value per spatial axis";
    int64_t s = st ? st->ints[i] : 1, d = dl ? dl->ints[i] : 1, op = opd ? opd->ints[i] : 0;
    if (s < 1 || d < 1 || op < 0)
        return "a stride or dilation below 1, or a negative output_padding";
    int64_t kd = d * (k - 1) + 1, full = s * (nin - 1) + kd + op, lo = 0, hi = 0;
    if (os || !strcmp(auto_pad, "SAME_UPPER") || !strcmp(auto_pad, "SAME_LOWER")) {
        int64_t total = full - (os ? os->ints[i] : nin * s);
        lo = !strcmp(auto_pad, "SAME_UPPER") ? half_down(total) : total - half_down(total);
        hi = total - lo;
    } else if (strcmp(auto_pad, "VALID") && pd) {
        lo = pd->ints[i];
        hi = pd->ints[nsp + i];
    } else if (strcmp(auto_pad, "VALID") && strcmp(auto_pad, "NOTSET")) {
        return "an auto_pad other than NOTSET, VALID, SAME_UPPER or SAME_LOWER";
    }
    *stride = s;
    *dilation = d;
    *pad = lo;
    *out_pad = op + lo - hi;
    /* conv_transpose's same: crop max(kd - s, 0), half before (rounded down), output n s */
    *same = lo == (kd > s ? kd - s : 0) / 2 && full - lo - hi == nin * s;
    if (lo < 0 || *out_pad < 0 || (*out_pad >= s && *out_pad >= d))
        return "a crop dlc cannot express (it crops padding p from both ends and adds an output_padding below the "
               "stride or dilation at the end)";
    return NULL;
}

/* ConvTranspose, W (C, F/G, k...) as conv_transpose keeps it. */
static dlc_status op_conv_transpose(imp *k, const onnx_node *n)
{
    const onnx_tensor *W, *B;
    int in;
    int64_t groups;
    dlc_status st = conv_operands(k, n, "input channels", &in, &W, &B, &groups);
    if (st)
        return st;
    int nsp = W->ndim - 2;
    tensor_shape xs;
    if ((st = layer_shape(k, in, &xs)))
        return st;
    if (xs.ndim != nsp + 1 || xs.d[0] != W->dims[0])
        return fail_at(k, n, "its weight takes (%lld, %d spatial axes), its input is %d axes of %d channels",
                       (long long)W->dims[0], nsp, xs.ndim - 1, xs.d[0]);
    int64_t s[3], p[3], d[3], o[3];
    int dilated = 0, padded = 0, same = 1, explicit = 1;
    const char *why = NULL;
    for (int i = 0; i < nsp; i++) {
        int sm;
        const char *w = onnx_conv_transpose_window(n, nsp, i, xs.d[1 + i], W->dims[2 + i], &s[i], &d[i], &p[i],
                                                   &o[i], &sm);
        if (w && !why)
            why = w;
        explicit &= !w;
        same &= sm;
        dilated |= d[i] != 1;
        padded |= o[i] != 0;
    }
    if (!explicit && !same)
        return fail_at(k, n, "%s", why);
    int L = add_layer(k, "conv_transpose", n->out[0], &in, 1);
    if (L < 0)
        return fail_at(k, n, "too many layers");
    keyf(k, L, "filters: %lld", (long long)(W->dims[1] * groups));
    if (groups > 1)
        keyf(k, L, "groups: %lld", (long long)groups);
    key_list(k, L, "kernel", W->dims + 2, nsp);
    key_list(k, L, "stride", s, nsp);
    if (!explicit)
        keyf(k, L, "padding: same");
    else
        key_list(k, L, "padding", p, nsp);
    if (explicit && padded)
        key_list(k, L, "output_padding", o, nsp);
    if (dilated)
        key_list(k, L, "dilation", d, nsp);
    keyf(k, L, "use_bias: %s", B ? "true" : "false");
    if ((st = add_weight(k, L, "weight", copy_floats(W), W->n)))
        return st;
    if (B && (st = add_weight(k, L, "bias", copy_floats(B), B->n)))
        return st;
    new_val(k, n->out[0], V_LAYER, L);
    return DLC_OK;
}

/* DepthToSpace (mode DCR, ONNX's default, or CRD, PyTorch's nn.PixelShuffle) to
 * pixel_shuffle, SpaceToDepth (DCR) to pixel_unshuffle */
static dlc_status op_depth_space(imp *k, const onnx_node *n)
{
    int in;
    dlc_status st = layer_in(k, n, 0, &in);
    if (st)
        return st;
    const onnx_attr *bs = onnx_attr_get(n, "blocksize"), *md = onnx_attr_get(n, "mode");
    const char *mode = md && md->s ? md->s : "DCR";
    if (!bs || bs->i < 1 || bs->i > 1 << 10)
        return fail_at(k, n, "blocksize is missing or not a positive number");
    if (strcmp(mode, "DCR") && strcmp(mode, "CRD"))
        return fail_at(k, n, "mode '%s' (DCR or CRD)", mode);
    int L = add_layer(k, !strcmp(n->op, "DepthToSpace") ? "pixel_shuffle" : "pixel_unshuffle", n->out[0], &in, 1);
    if (L < 0)
        return fail_at(k, n, "too many layers");
    keyf(k, L, "scale: %lld", (long long)bs->i);
    keyf(k, L, "order: %s", !strcmp(mode, "CRD") ? "crd" : "dcr");
    new_val(k, n->out[0], V_LAYER, L);
    return DLC_OK;
}

static dlc_status op_pool(imp *k, const onnx_node *n)
{
    int avg = !strcmp(n->op, "AveragePool"), in;
    dlc_status st = layer_in(k, n, 0, &in);
    if (st)
        return st;
    const onnx_attr *ks = onnx_attr_get(n, "kernel_shape");
    if (!ks || ks->n_ints < 1 || ks->n_ints > 3)
        return fail_at(k, n, "kernel_shape is missing or not 1 to 3 axes");
    const onnx_attr *cip = onnx_attr_get(n, "count_include_pad");
    if (n->n_out > 1 && n->out[1][0])
        return fail_at(k, n, "the Indices output (dlc's max pooling has none)");
    int L = add_layer(k, avg ? "avgpool" : "maxpool", n->out[0], &in, 1);
    if (L < 0)
        return fail_at(k, n, "too many layers");
    if ((st = window_keys(k, n, L, ks->ints, ks->n_ints)))
        return st;
    if (avg) /* ONNX's default is 0, PyTorch's and dlc's 1 */
        keyf(k, L, "count_include_pad: %s", cip && cip->i ? "true" : "false");
    const onnx_attr *cm = onnx_attr_get(n, "ceil_mode");
    if (cm && cm->i)
        keyf(k, L, "ceil_mode: true");
    new_val(k, n->out[0], V_LAYER, L);
    return DLC_OK;
}

static dlc_status op_simple(imp *k, const onnx_node *n, const char *type)
{
    int in;
    dlc_status st = layer_in(k, n, 0, &in);
    if (st)
        return st;
    int L = add_layer(k, type, n->out[0], &in, 1);
    if (L < 0)
        return fail_at(k, n, "too many layers");
    new_val(k, n->out[0], V_LAYER, L)->flat = !strcmp(type, "global_avgpool");
    return DLC_OK;
}

/* ReduceMean over every spatial axis of (N, C, spatial...) is global_avgpool
 * (PyTorch's x.mean([2, 3]); kept dims: GlobalAveragePool's (N, C, 1, 1));
 * over the steps of (N, T, D), without kept dims, time_avgpool (x.mean(1)). */
static dlc_status op_reduce_mean(imp *k, const onnx_node *n)
{
    ival *x = val(k, n->in[0]);
    const onnx_attr *ax = onnx_attr_get(n, "axes"), *kd = onnx_attr_get(n, "keepdims");
    const onnx_tensor *ax_in = cst(k, n, 1); /* opset 18: the axes an input */
    int keep = !kd || kd->i != 0;
    tensor_shape s;
    int sq = x && x->kind == V_LN_SQ; /* a layer normalization's variance */
    if (x && (x->kind == V_CHANNELS_LAST || (sq && x->rank))) {
        /* of a channels-last map over its last axis: a layer normalization's mean or variance */
        int last = ax ? ax->n_ints == 1 && (ax->ints[0] == -1 || ax->ints[0] == x->rank - 1)
                      : ax_in && ax_in->i && ax_in->n == 1 && (ax_in->i[0] == -1 || ax_in->i[0] == x->rank - 1);
        ival *y = NULL;
        if (keep && last && sq)
            y = new_val(k, n->out[0], V_LN_VAR, x->layer);
        else if (keep && last && x->uses >= 2 && consumer(k, n, n->out[0], "Sub", 1, x->name))
            y = new_val(k, n->out[0], V_LN_MEAN, x->layer);
        if (!y)
            return fail_at(k, n, "a mean of a channels-last map other than a layer normalization's over its "
                                 "last axis (its channels)");
        y->src = sq ? x->src : x->name;
        y->axes = 1;
        y->rank = x->rank;
        return DLC_OK;
    }
    if (!x || (x->kind != V_LAYER && !sq) || x->flat || layer_shape(k, x->layer, &s) != DLC_OK)
        return fail_at(k, n, "a mean of a value dlc has no layer output for");
    const int64_t *a = ax ? ax->ints : ax_in && ax_in->i ? ax_in->i : NULL;
    int na = ax ? ax->n_ints : ax_in && ax_in->i ? (int)ax_in->n : 0, r = s.ndim + 1; /* ONNX's rank */
    unsigned mask = 0;
    for (int i = 0; i < na; i++) {
        int64_t v = a[i] < 0 ? a[i] + r : a[i];
        if (v < 0 || v >= r)
            return fail_at(k, n, "axis %lld is outside a value of rank %d", (long long)a[i], r);
        mask |= 1u << v;
    }
    /* over trailing axes, dims kept: a layer normalization's mean (x - it follows) or variance */
    int A = __builtin_popcount(mask);
    if (keep && na > 0 && A < r && mask == (((1u << r) - 1) & ~((1u << (r - A)) - 1))) {
        ival *y = NULL;
        if (sq && A == x->axes)
            y = new_val(k, n->out[0], V_LN_VAR, x->layer);
        else if (!sq && x->uses >= 2 && consumer(k, n, n->out[0], "Sub", 1, x->name))
            y = new_val(k, n->out[0], V_LN_MEAN, x->layer);
        if (y) {
            y->src = sq ? x->src : x->name;
            y->axes = A;
            return DLC_OK;
        }
    }
    if (sq)
        return fail_at(k, n, "a mean of a layer normalization's squares over other axes than its mean's");
    unsigned spatial = r >= 3 ? ((1u << r) - 1) & ~3u : 0; /* axes 2 .. r-1 */
    if (na > 0 && mask == spatial) {
        int in;
        dlc_status st = layer_in(k, n, 0, &in);
        if (st)
            return st;
        int L = add_layer(k, "global_avgpool", n->out[0], &in, 1);
        if (L < 0)
            return fail_at(k, n, "too many layers");
        new_val(k, n->out[0], V_LAYER, L)->flat = keep;
        return DLC_OK;
    }
    if (r == 3 && mask == 2u && !keep)
        return op_simple(k, n, "time_avgpool");
    return fail_at(k, n, "a mean over %s (dlc's are over every spatial axis of (N, C, ...), as "
                         "global_avgpool, or over the steps of (N, T, D) without kept dims, as "
                         "time_avgpool)", na ? "other axes" : "every axis, the batch's too");
}

static dlc_status op_flatten(imp *k, const onnx_node *n)
{
    const onnx_attr *ax = onnx_attr_get(n, "axis");
    if (ax && ax->i != 1)
        return fail_at(k, n, "axis %lld (dlc flattens everything but the batch axis)", (long long)ax->i);
    ival *x = val(k, n->in[0]);
    if (x && x->kind == V_LAYER && x->flat) { /* (N, C, 1, 1) -> (N, C): dlc's is (C) already */
        if (x->uses == 1) { /* the pool takes the flat value's name */
            char renamed[GRAPH_NAME_MAX];
            k->l[x->layer].name[0] = '\0';
            layer_name(k, n->out[0], renamed);
            snprintf(k->l[x->layer].name, sizeof k->l[x->layer].name, "%s", renamed);
        }
        ival *y = new_val(k, n->out[0], V_LAYER, x->layer);
        y->flat = 0;
        return DLC_OK;
    }
    return op_simple(k, n, "flatten");
}

const char *onnx_resize_mode(const onnx_node *n, int *align_corners)
{
    const onnx_attr *mode = onnx_attr_get(n, "mode"), *ct = onnx_attr_get(n, "coordinate_transformation_mode"),
                    *nm = onnx_attr_get(n, "nearest_mode");
    const char *m = mode && mode->s ? mode->s : "nearest", *c = ct && ct->s ? ct->s : "half_pixel",
               *r = nm && nm->s ? nm->s : "round_prefer_floor";
    int half = !strcmp(c, "half_pixel") || !strcmp(c, "pytorch_half_pixel");
    *align_corners = 0;
    if (!strcmp(m, "linear")) {
        if (!half && strcmp(c, "align_corners"))
            return "mode 'linear' with coordinate_transformation_mode other than half_pixel, pytorch_half_pixel or "
                   "align_corners (dlc's bilinear upsample places its samples at half-pixel centres, or with "
                   "align_corners: true at the corners)";
        *align_corners = !half;
        return NULL;
    }
    if (strcmp(m, "nearest"))
        return "a mode other than nearest and linear (dlc's upsample is nearest neighbour or bilinear, by "
               "whole factors)";
    if (!(half && !strncmp(r, "round_prefer_", 13)) && (strcmp(c, "asymmetric") || strcmp(r, "floor")))
        return "nearest with coordinate_transformation_mode and nearest_mode other than asymmetric with floor, or "
               "half_pixel with a rounding nearest_mode (dlc's nearest upsample reads input floor(o / f))";
    return NULL;
}

/* Resize of a map by whole factors, nearest neighbour: upsample.  PyTorch's
 * nn.Upsample(mode='nearest') and dlc's export write scales (1, 1, f...) with
 * asymmetric coordinates and floor: output o reads input floor(o / f).  With
 * half_pixel coordinates it reads round((o + 0.5) / f - 0.5), which for a
 * whole f is floor(o / f) too when nearest_mode rounds (o / f plus a part in
 * (-0.5, 0.5), never a tie), not when it is floor or ceil.  Sizes instead of
 * scales give the factors as multiples of the input's size. */
static dlc_status op_resize(imp *k, const onnx_node *n)
{
    int align = 0;
    const char *why = onnx_resize_mode(n, &align);
    if (why)
        return fail_at(k, n, "%s", why);
    int in;
    dlc_status st = layer_in(k, n, 0, &in);
    tensor_shape xs;
    if (st || (st = layer_shape(k, in, &xs)))
        return st;
    const onnx_tensor *sc = cst(k, n, 2), *sz = cst(k, n, 3);
    int64_t f[GRAPH_MAX_SPATIAL];
    int nsp = xs.ndim - 1, ok = nsp >= 1 && nsp <= GRAPH_MAX_SPATIAL;
    if (ok && sc && sc->f && sc->n == (size_t)xs.ndim + 1) {
        ok = sc->f[0] == 1.0f && sc->f[1] == 1.0f;
        for (int i = 0; i < nsp && ok; i++) {
            float v = sc->f[2 + i];
            ok = v >= 1.0f && v <= 1 << 20 && v == (float)(int64_t)v;
            f[i] = ok ? (int64_t)v : 0;
        }
    } else if (ok && sz && sz->i && sz->n == (size_t)xs.ndim + 1) {
        ok = sz->i[1] == xs.d[0];
        for (int i = 0; i < nsp && ok; i++) {
            ok = sz->i[2 + i] >= xs.d[1 + i] && sz->i[2 + i] % xs.d[1 + i] == 0;
            f[i] = ok ? sz->i[2 + i] / xs.d[1 + i] : 0;
        }
    } else {
        ok = 0;
    }
    if (!ok)
        return fail_at(k, n, "scales or sizes other than whole factors of a map's spatial axes, given as "
                             "constants (dlc's upsample)");
    int L = add_layer(k, "upsample", n->out[0], &in, 1);
    if (L < 0)
        return fail_at(k, n, "too many layers");
    key_list(k, L, "scale", f, nsp);
    const onnx_attr *mode = onnx_attr_get(n, "mode");
    if (mode && mode->s && !strcmp(mode->s, "linear")) {
        keyf(k, L, "mode: bilinear");
        if (align)
            keyf(k, L, "align_corners: true");
    }
    new_val(k, n->out[0], V_LAYER, L);
    return DLC_OK;
}

/* A recurrent layer's output made batch-major (V_RNN_Y_NT, V_RNN_YH_N, or
 * layout=1's Y and Y_h): the value (N, T, dirs, H) or (N, dirs, H) with its
 * dirs axis (2 or 1), else -1. */
static int rnn_dirs_axis(const imp *k, const ival *x)
{
    int bf = x->layer >= 0 && k->l[x->layer].batch_first;
    if (x->kind == V_RNN_Y_NT || (x->kind == V_RNN_Y && bf))
        return 2;
    return x->kind == V_RNN_YH_N || (x->kind == V_RNN_YH && bf) ? 1 : -1;
}

/* The layer's sequence (dirs axis 2) or last state (1) as its output; sum:
 * the directions summed (merge: sum). */
static dlc_status rnn_output(imp *k, const onnx_node *n, const ival *x, int dirs_axis, int sum)
{
    ilayer *L = &k->l[x->layer];
    if (sum && !strstr(L->keys.s, "bidirectional: true"))
        return fail_at(k, n, "a sum over the directions of a layer of one direction");
    if (sum && strstr(L->keys.s, "merge: sum") == NULL)
        keyf(k, x->layer, "merge: sum");
    if (dirs_axis == 2)
        L->seq_used = 1;
    else
        L->last_used = 1;
    /* the layer takes its output's name (a dlc export's value is the layer's own) */
    char renamed[GRAPH_NAME_MAX];
    L->name[0] = '\0';
    layer_name(k, n->out[0], renamed);
    snprintf(L->name, sizeof L->name, "%s", renamed);
    new_val(k, n->out[0], V_LAYER, x->layer);
    return DLC_OK;
}

/* ReduceSum: only over the directions of a batch-major recurrent output. */
static dlc_status op_reduce_sum(imp *k, const onnx_node *n)
{
    ival *x = val(k, n->in[0]);
    const onnx_attr *ax = onnx_attr_get(n, "axes"), *kd = onnx_attr_get(n, "keepdims");
    const onnx_tensor *ax_in = cst(k, n, 1);
    int na = ax ? ax->n_ints : ax_in && ax_in->i ? (int)ax_in->n : 0;
    int64_t a = ax ? (na ? ax->ints[0] : -99) : ax_in && ax_in->i && na ? ax_in->i[0] : -99;
    int d = x ? rnn_dirs_axis(k, x) : -1;
    if (d < 0 || na != 1 || a != d || !kd || kd->i != 0)
        return fail_at(k, n, "a sum other than over the two directions of a recurrent layer");
    return rnn_output(k, n, x, d, 1);
}

static dlc_status op_reshape(imp *k, const onnx_node *n)
{
    const onnx_tensor *s = shape_input(k, n, 1);
    ival *x = val(k, n->in[0]);
    int d = x ? rnn_dirs_axis(k, x) : -1;
    /* (N, T, dirs, H) -> (N, T, dirs * H): [0, 0, -1]; (N, dirs, H) -> (N, dirs * H): [0, -1] */
    if (d > 0 && s && s->i && (int)s->n == d + 1 && s->i[0] == 0 && s->i[d] == -1 && (d == 1 || s->i[1] == 0))
        return rnn_output(k, n, x, d, 0);
    /* (T, N, dirs, H) -> (T, N, dirs * H): the sequence, time-major (made batch-first by a Transpose after) */
    if (x && x->kind == V_RNN_Y_TN && s && s->i && s->n == 3 && s->i[0] == 0 && s->i[1] == 0 &&
        s->i[2] == -1) {
        new_val(k, n->out[0], V_RNN_YSQ, x->layer);
        return DLC_OK;
    }
    if (!s || !s->i || s->n < 2)
        return fail_at(k, n, "the shape is not a constant keeping the batch axis, nor [x.size(0), "
                             "constants...] (as x.view(x.size(0), -1) writes)");
    /* a file exported at one batch size (no dynamic axis) writes it here: the same N keeps each example */
    if (s->i[0] != 0 && s->i[0] != -1 && !(k->in_batch > 0 && s->i[0] == k->in_batch))
        return fail_at(k, n, "the shape fixes the batch axis at %lld", (long long)s->i[0]);
    if (x && x->kind == V_LAYER && x->flat && s->n == 2) {
        new_val(k, n->out[0], V_LAYER, x->layer);
        return DLC_OK;
    }
    for (size_t i = 1; i < s->n; i++)
        if (s->i[i] == 0 || s->i[i] < -1)
            return fail_at(k, n, "a 0 (copy a dim) in the shape");
    int in;
    dlc_status st = layer_in(k, n, 0, &in);
    if (st)
        return st;
    int L = add_layer(k, "reshape", n->out[0], &in, 1);
    if (L < 0)
        return fail_at(k, n, "too many layers");
    key_list(k, L, "shape", s->i + 1, (int)s->n - 1);
    new_val(k, n->out[0], V_LAYER, L);
    return DLC_OK;
}

/* Gemm and MatMul: dense with W (OUT, IN); MatMul of a channels-last map
 * (PyTorch's nn.Linear on x.permute(0, 2, 3, 1)): a 1x1 convolution of OUT
 * filters, W its (F, C, 1, 1), the output channels-last still */
static dlc_status op_dense(imp *k, const onnx_node *n)
{
    int gemm = !strcmp(n->op, "Gemm"), in;
    ival *bv = n->n_in > 1 ? val(k, n->in[1]) : NULL, *xv = val(k, n->in[0]);
    const onnx_tensor *B = bv && bv->kind == V_CONST ? bv->c : NULL, *C = gemm ? cst(k, n, 2) : NULL;
    int cl = !gemm && xv && xv->kind == V_CHANNELS_LAST;
    dlc_status st = cl ? (in = xv->layer, DLC_OK) : layer_in(k, n, 0, &in);
    if (st)
        return st;
    if (!B || !B->f || B->ndim != 2)
        return fail_at(k, n, "the weight is not a constant matrix (dlc's dense has one)");
    int tb = gemm && onnx_attr_get(n, "transB") ? (int)onnx_attr_get(n, "transB")->i : 0;
    tb ^= bv->tr;
    if (gemm && onnx_attr_get(n, "transA") && onnx_attr_get(n, "transA")->i)
        return fail_at(k, n, "transA=1");
    float alpha = gemm && onnx_attr_get(n, "alpha") ? onnx_attr_get(n, "alpha")->f : 1.0f;
    float beta = gemm && onnx_attr_get(n, "beta") ? onnx_attr_get(n, "beta")->f : 1.0f;
    int OUT = (int)B->dims[tb ? 0 : 1], IN = (int)B->dims[tb ? 1 : 0];
    if (C && C->n != (size_t)OUT && C->n != 1)
        return fail_at(k, n, "a bias that is not one value per output unit");
    tensor_shape xs = {0, {0}};
    if (cl && (st = layer_shape(k, in, &xs)))
        return st;
    if (cl && xs.d[0] != IN)
        return fail_at(k, n, "a channels-last map of %d channels times a weight of %d rows", xs.d[0], IN);
    static const char *const types[] = {"dense", "dense", "conv1d", "conv2d", "conv3d"};
    if (xs.ndim > 4)
        return fail_at(k, n, "a channels-last map of %d spatial axes (dlc's convolutions have 1 to 3)", xs.ndim - 1);
    int L = add_layer(k, types[xs.ndim], n->out[0], &in, 1);
    if (L < 0)
        return fail_at(k, n, "too many layers");
    float *w = malloc(sizeof *w * (size_t)OUT * IN);
    for (int o = 0; w && o < OUT; o++)
        for (int i = 0; i < IN; i++)
            w[(size_t)o * IN + i] = alpha * (tb ? B->f[(size_t)o * IN + i] : B->f[(size_t)i * OUT + o]);
    keyf(k, L, xs.ndim > 1 ? "filters: %d, kernel: 1" : "units: %d", OUT);
    keyf(k, L, "use_bias: %s", C ? "true" : "false");
    if ((st = add_weight(k, L, "weight", w, (size_t)OUT * IN)))
        return st;
    if (C) {
        float *b = malloc(sizeof *b * (size_t)OUT);
        for (int o = 0; b && o < OUT; o++)
            b[o] = beta * (C->n == 1 ? C->f[0] : C->f[o]);
        if ((st = add_weight(k, L, "bias", b, (size_t)OUT)))
            return st;
    }
    return cl ? same_view(k, n, xv, L) : (new_val(k, n->out[0], V_LAYER, L), DLC_OK);
}

/* Add: of layers (a residual sum), or of a constant to a MatMul's dense
 * without a bias (MatMul + Add, as exporters write a linear layer) */
static dlc_status op_add(imp *k, const onnx_node *n)
{
    for (int c = 0; c < 2 && !strcmp(n->op, "Add"); c++) {
        const onnx_tensor *b = cst(k, n, c);
        ival *x = val(k, n->in[1 - c]);
        if (!b)
            continue;
        /* a MatMul of a channels-last map is a 1x1 convolution (op_dense) */
        int cl = x && x->kind == V_CHANNELS_LAST;
        const char *ty = x && x->layer >= 0 ? k->l[x->layer].type : "";
        int linear = !strcmp(ty, "dense") || (cl && !strncmp(ty, "conv", 4));
        if (!x || (x->kind != V_LAYER && !cl) || !linear ||
            strstr(k->l[x->layer].keys.s, "use_bias: false") == NULL || x->uses != 1)
            return fail_at(k, n, "adds a constant to something other than a linear layer's product");
        tensor_shape ys;
        dlc_status sst = layer_shape(k, x->layer, &ys);
        if (sst)
            return sst;
        /* a dense layer's units are its last axis (a sequence's features), a 1x1 convolution's
         * filters its first */
        int units = cl && !x->flat ? ys.d[0] : ys.d[ys.ndim - 1];
        if (b->n != (size_t)units)
            return fail_at(k, n, "adds %zu values to a linear layer of %d outputs", b->n, units);
        ilayer *L = &k->l[x->layer];
        char *at = strstr(L->keys.s, "use_bias: false");
        memcpy(at, "use_bias: true ", 15); /* same length: the buffer stays valid */
        dlc_status st = add_weight(k, x->layer, "bias", copy_floats(b), b->n);
        if (st)
            return st;
        return same_view(k, n, x, x->layer);
    }
    int in[GRAPH_MAX_INPUTS];
    if (n->n_in < 2 || n->n_in > GRAPH_MAX_INPUTS)
        return fail_at(k, n, "%d inputs (dlc's add takes 2 to %d)", n->n_in, GRAPH_MAX_INPUTS);
    /* channels-last maps of one layout: the sum stays channels-last */
    const ival *x0 = val(k, n->in[0]);
    int cl = x0 && x0->kind == V_CHANNELS_LAST;
    for (int i = 0; i < n->n_in; i++) {
        const ival *xi = val(k, n->in[i]);
        dlc_status st = cl && xi && xi->kind == V_CHANNELS_LAST && xi->rank == x0->rank && xi->flat == x0->flat
                            ? (in[i] = xi->layer, DLC_OK)
                            : layer_in(k, n, i, &in[i]);
        if (st)
            return st;
    }
    int L = add_layer(k, "add", n->out[0], in, n->n_in);
    if (L < 0)
        return fail_at(k, n, "too many layers");
    return cl ? same_view(k, n, x0, L) : (new_val(k, n->out[0], V_LAYER, L), DLC_OK);
}

static dlc_status op_concat(imp *k, const onnx_node *n)
{
    int in[GRAPH_MAX_INPUTS], shapes = 1;
    for (int i = 0; i < n->n_in; i++) {
        ival *x = val(k, n->in[i]);
        shapes &= x && (x->kind == V_SHAPE || x->kind == V_CONST);
    }
    if (shapes) { /* a shape computation */
        /* [x.size(0), constants...] (x.view(x.size(0), -1)): the shape [0, constants...] */
        ival *first = val(k, n->in[0]);
        size_t len = 1;
        int batch_first = first->kind == V_SHAPE && first->batch == SHAPE_BATCH && n->n_in > 1;
        for (int i = 1; i < n->n_in && batch_first; i++) {
            const onnx_tensor *c = cst(k, n, i);
            batch_first = c && c->i && c->ndim <= 1 && c->n <= ONNX_MAX_DIMS;
            len += batch_first ? c->n : 0;
        }
        if (!batch_first || len > ONNX_MAX_DIMS) {
            new_val(k, n->out[0], V_SHAPE, -1);
            return DLC_OK;
        }
        onnx_tensor *t = &k->made[k->n_made];
        if (!(t->i = calloc(len, sizeof *t->i)))
            return DLC_NOMEM(k->err);
        k->n_made++;
        t->dtype = 7;
        t->ndim = 1;
        t->dims[0] = (int64_t)len;
        for (int i = 1; i < n->n_in; i++) {
            const onnx_tensor *c = cst(k, n, i);
            memcpy(t->i + t->n + 1, c->i, c->n * sizeof *c->i);
            t->n += c->n;
        }
        t->n++; /* the batch entry, 0: keep it */
        new_val(k, n->out[0], V_CONST, -1)->c = t;
        return DLC_OK;
    }
    const onnx_attr *ax = onnx_attr_get(n, "axis");
    if (!ax || ax->i < 1)
        return fail_at(k, n, "axis %lld (dlc concatenates along an axis of the sample, >= 1)",
                       ax ? (long long)ax->i : 0LL);
    if (n->n_in == 1) { /* torch.cat([x]), as DenseNet's first layer of a block writes: x */
        dlc_status st = layer_in(k, n, 0, &in[0]);
        if (st == DLC_OK)
            new_val(k, n->out[0], V_LAYER, in[0]);
        return st;
    }
    /* more inputs than a dlc concat takes (DenseNet's blocks join up to 49): concats of the
     * first ones, each the first input of the next (the same values, copied once more) */
    int L = -1, m = 0;
    for (int i = 0; i < n->n_in; i++) {
        dlc_status st = layer_in(k, n, i, &in[m++]);
        if (st)
            return st;
        if (m < GRAPH_MAX_INPUTS && i + 1 < n->n_in)
            continue;
        char part[GRAPH_NAME_MAX];
        snprintf(part, sizeof part, "%.40s_part%d", n->out[0], k->nl);
        L = add_layer(k, "concat", i + 1 < n->n_in ? part : n->out[0], in, m);
        if (L < 0)
            return fail_at(k, n, "too many layers");
        keyf(k, L, "axis: %lld", (long long)ax->i - 1);
        in[0] = L;
        m = 1;
    }
    new_val(k, n->out[0], V_LAYER, L);
    return DLC_OK;
}

/* One int64 of a Slice node: attribute `attr` (before opset 10) or constant
 * input i; 1 when found (absent steps and axes default to 1 and 0). */
static int slice_int(imp *k, const onnx_node *n, const char *attr, int i, int64_t *v, int *count)
{
    const onnx_attr *a = onnx_attr_get(n, attr);
    if (a) {
        *count = a->n_ints;
        if (a->n_ints == 1)
            *v = a->ints[0];
        return a->n_ints == 1;
    }
    int64_t kv[KV_MAX]; /* a constant, or computed from shapes (torch.chunk's bounds) */
    const onnx_tensor *c = cst(k, n, i);
    *count = c ? (int)c->n : 0;
    if (!known_ints(k, n, i, kv, count) || *count != 1 || kv[0] == SHAPE_N)
        return 0;
    *v = kv[0];
    return 1;
}

/* Slice of one axis of the sample by constants, step 1: a slice layer
 * (dlc's own exports of slice and split write these). */
static dlc_status op_slice(imp *k, const onnx_node *n)
{
    int in, cs = 0, ce = 0, ca = 0, ct = 0;
    dlc_status st = layer_in(k, n, 0, &in);
    if (st)
        return st;
    int64_t start = 0, end = 0, axis = 0, step = 1;
    if (!slice_int(k, n, "starts", 1, &start, &cs) || !slice_int(k, n, "ends", 2, &end, &ce))
        return fail_at(k, n, "starts and ends other than one constant each (%d and %d values)", cs, ce);
    if ((slice_int(k, n, "axes", 3, &axis, &ca) || !ca) == 0)
        return fail_at(k, n, "%d axes (dlc's slice cuts one)", ca);
    if ((slice_int(k, n, "steps", 4, &step, &ct) || !ct) == 0 || step != 1)
        return fail_at(k, n, "steps other than 1");
    tensor_shape sh;
    if ((st = layer_shape(k, in, &sh)) != DLC_OK)
        return st;
    axis += axis < 0 ? sh.ndim + 1 : 0;
    if (axis < 1 || axis > sh.ndim)
        return fail_at(k, n, "axis %lld (dlc slices an axis of the sample, >= 1)", (long long)axis);
    /* ONNX clamps out-of-range starts and ends to the axis; dlc's layer refuses them */
    int64_t L = sh.d[axis - 1];
    start += start < 0 ? L : 0;
    end += end < 0 ? L : 0;
    start = start < 0 ? 0 : start > L ? L : start;
    end = end < 0 ? 0 : end > L ? L : end;
    if (end <= start)
        return fail_at(k, n, "an empty slice [%lld:%lld] of an axis of %lld", (long long)start,
                       (long long)end, (long long)L);
    int Ly = add_layer(k, "slice", n->out[0], &in, 1);
    if (Ly < 0)
        return fail_at(k, n, "too many layers");
    keyf(k, Ly, "axis: %lld, start: %lld, end: %lld", (long long)axis - 1, (long long)start, (long long)end);
    new_val(k, n->out[0], V_LAYER, Ly);
    return DLC_OK;
}

/* The number of values of layer's output in its A trailing axes, 0 when it has fewer. */
static size_t trailing_size(imp *k, int layer, int A)
{
    tensor_shape s;
    if (layer_shape(k, layer, &s) != DLC_OK || A < 1 || A > s.ndim)
        return 0;
    size_t D = 1;
    for (int i = s.ndim - A; i < s.ndim; i++)
        D *= (size_t)s.d[i];
    return D;
}

/* The values a layer normalization's step `a` (V_LN_*) normalizes over:
 * its trailing axes', or a channels-last map's channels. */
static size_t ln_size(imp *k, const ival *a)
{
    tensor_shape s;
    if (a->rank)
        return layer_shape(k, a->layer, &s) == DLC_OK ? (size_t)s.d[0] : 0;
    return trailing_size(k, a->layer, a->axes);
}

/* A layernorm of `layer`'s output over its A trailing axes as node n's
 * output; gamma and beta constants of their values, or NULL (ones, zeros).
 * cl: the channels-last map (V_CHANNELS_LAST) normalized over its channels,
 * which dlc holds first (channels: true), else NULL. */
static dlc_status add_layernorm(imp *k, const onnx_node *n, int layer, int A, float eps,
                                const onnx_tensor *gamma, const onnx_tensor *beta, const ival *cl)
{
    tensor_shape xs;
    size_t D = cl ? (layer_shape(k, layer, &xs) == DLC_OK ? (size_t)xs.d[0] : 0) : trailing_size(k, layer, A);
    if (!D)
        return fail_at(k, n, "normalizes %d axes of a value that has fewer", A);
    int L = add_layer(k, "layernorm", n->out[0], &layer, 1);
    if (L < 0)
        return fail_at(k, n, "too many layers");
    if (cl)
        keyf(k, L, "channels: true");
    else
        keyf(k, L, "axes: %d", A);
    keyf(k, L, "eps: %.9g", eps);
    float *g = gamma && gamma->f ? copy_floats(gamma) : malloc(D * sizeof *g);
    float *b = beta && beta->f ? copy_floats(beta) : calloc(D, sizeof *b);
    for (size_t i = 0; g && !(gamma && gamma->f) && i < D; i++)
        g[i] = 1.0f;
    dlc_status st = add_weight(k, L, "gamma", g, D);
    if (st == DLC_OK)
        st = add_weight(k, L, "beta", b, D);
    else
        free(b);
    if (st)
        return st;
    return cl ? same_view(k, n, cl, L) : (new_val(k, n->out[0], V_LAYER, L), DLC_OK);
}

/* The channels-last map a layer normalization's step `a` is of, else NULL. */
static const ival *ln_view(imp *k, const ival *a)
{
    return a->rank ? val(k, a->src) : NULL;
}

/* A constant input i of D float values, else NULL. */
static const onnx_tensor *const_of(imp *k, const onnx_node *n, int i, size_t D)
{
    const onnx_tensor *c = cst(k, n, i);
    return c && c->f && c->n == D ? c : NULL;
}

/* One step of layer normalization as written below opset 17 (V_LN_*; its
 * first, the mean, is op_reduce_mean's): 1 when node n is one (*st its
 * outcome), 0 when not. */
static int ln_step(imp *k, const onnx_node *n, dlc_status *st)
{
    ival *a = n->n_in > 0 ? val(k, n->in[0]) : NULL, *b = n->n_in > 1 ? val(k, n->in[1]) : NULL;
    ival *y = NULL;
    *st = DLC_OK;
    if (!a)
        return 0;
    const char *op = n->op;
    if (!strcmp(op, "Sub") && b && b->kind == V_LN_MEAN && (a->kind == V_LAYER || a->kind == V_CHANNELS_LAST) &&
        !strcmp(a->name, b->src)) {
        y = new_val(k, n->out[0], V_LN_CENTERED, b->layer);
    } else if (((!strcmp(op, "Pow") && const_near(k, n, 1, 2.0)) ||
                (!strcmp(op, "Mul") && b && !strcmp(n->in[0], n->in[1]))) && a->kind == V_LN_CENTERED) {
        y = new_val(k, n->out[0], V_LN_SQ, a->layer);
    } else if (!strcmp(op, "Add") && b && (a->kind == V_LN_VAR || b->kind == V_LN_VAR)) {
        const onnx_tensor *e = cst(k, n, a->kind == V_LN_VAR ? 1 : 0);
        ival *v = a->kind == V_LN_VAR ? a : b;
        if (e && e->f && e->n == 1) {
            y = new_val(k, n->out[0], V_LN_VAREPS, v->layer);
            y->eps = e->f[0];
            a = v;
        }
    } else if (!strcmp(op, "Sqrt") && a->kind == V_LN_VAREPS) {
        y = new_val(k, n->out[0], V_LN_STD, a->layer);
        y->eps = a->eps;
    } else if (!strcmp(op, "Div") && b && a->kind == V_LN_CENTERED && b->kind == V_LN_STD &&
               !strcmp(a->src, b->src)) {
        /* normalized: gamma and beta follow, or it is the layer's output */
        size_t D = ln_size(k, a);
        const onnx_node *mul = consumer(k, n, n->out[0], "Mul", 0, NULL);
        if (!mul || !const_of(k, mul, 1, D)) {
            *st = add_layernorm(k, n, a->layer, a->axes, b->eps, NULL, NULL, ln_view(k, a));
            return 1;
        }
        y = new_val(k, n->out[0], V_LN_NORM, a->layer);
        y->eps = b->eps;
    } else if (!strcmp(op, "Mul") && b && a->kind == V_LN_NORM) {
        size_t D = ln_size(k, a);
        const onnx_tensor *gamma = const_of(k, n, 1, D);
        const onnx_node *add = consumer(k, n, n->out[0], "Add", 0, NULL);
        if (!gamma)
            return 0;
        if (!add || !const_of(k, add, 1, D)) {
            *st = add_layernorm(k, n, a->layer, a->axes, a->eps, gamma, NULL, ln_view(k, a));
            return 1;
        }
        y = new_val(k, n->out[0], V_LN_SCALED, a->layer);
        y->eps = a->eps;
        y->c = gamma;
    } else if (!strcmp(op, "Add") && b && a->kind == V_LN_SCALED) {
        const onnx_tensor *beta = const_of(k, n, 1, ln_size(k, a));
        if (!beta)
            return 0;
        *st = add_layernorm(k, n, a->layer, a->axes, a->eps, a->c, beta, ln_view(k, a));
        return 1;
    }
    if (!y)
        return 0;
    if (!y->src) {
        const ival *prev = a->kind >= V_LN_MEAN && a->kind <= V_LN_SCALED ? a : b;
        y->src = prev->src;
        y->axes = prev->axes;
        y->rank = prev->rank;
    }
    return 1;
}

/* LayerNormalization over the axes from `axis` on: dlc's layernorm over that
 * many trailing axes, Scale and B its gamma and beta. */
static dlc_status op_layernorm(imp *k, const onnx_node *n)
{
    ival *x = val(k, n->in[0]);
    tensor_shape s;
    if (x && x->kind == V_CHANNELS_LAST) {
        /* over its last axis, the channels (ConvNeXt's LayerNorm2d): dlc's layernorm over channels */
        const onnx_attr *ax = onnx_attr_get(n, "axis"), *e = onnx_attr_get(n, "epsilon");
        if (ax && ax->i != -1 && ax->i != x->rank - 1)
            return fail_at(k, n, "normalizes a channels-last map from axis %lld (dlc normalizes each position "
                                 "over its channels, the last axis alone)", (long long)ax->i);
        dlc_status st = layer_shape(k, x->layer, &s);
        if (st)
            return st;
        const onnx_tensor *gamma = const_of(k, n, 1, (size_t)s.d[0]), *beta = const_of(k, n, 2, (size_t)s.d[0]);
        if (!gamma || (n->n_in > 2 && n->in[2][0] && !beta))
            return fail_at(k, n, "Scale or B is not a constant of the map's %d channels", s.d[0]);
        return add_layernorm(k, n, x->layer, 1, e ? e->f : 1e-5f, gamma, beta, x);
    }
    if (!x || x->kind != V_LAYER || x->flat || layer_shape(k, x->layer, &s) != DLC_OK)
        return fail_at(k, n, "normalizes a value dlc has no layer output for");
    for (int o = 1; o < n->n_out; o++)
        if (n->out[o][0])
            return fail_at(k, n, "its Mean or InvStdDev output is used (dlc's layernorm has neither)");
    const onnx_attr *ax = onnx_attr_get(n, "axis"), *e = onnx_attr_get(n, "epsilon");
    int r = s.ndim + 1;
    int64_t axis = ax ? ax->i : -1;
    axis = axis < 0 ? axis + r : axis;
    if (axis < 1 || axis >= r)
        return fail_at(k, n, "axis %lld (dlc normalizes each example over its trailing axes, not the batch)",
                       ax ? (long long)ax->i : -1LL);
    int A = r - (int)axis;
    size_t D = 1;
    for (int i = s.ndim - A; i < s.ndim; i++)
        D *= (size_t)s.d[i];
    const onnx_tensor *gamma = cst(k, n, 1), *beta = cst(k, n, 2);
    int has_b = n->n_in > 2 && n->in[2][0];
    if (!gamma || !gamma->f || gamma->n != D || (has_b && (!beta || !beta->f || beta->n != D)))
        return fail_at(k, n, "Scale or B is not a constant of the normalized axes' %zu values", D);
    return add_layernorm(k, n, x->layer, A, e ? e->f : 1e-5f, gamma, beta, NULL);
}

static dlc_status op_batchnorm(imp *k, const onnx_node *n)
{
    int in, seq;
    tensor_shape xs;
    const ival *xv = val(k, n->in[0]);
    /* of a sequence's features (N, D, T): dlc's batchnorm of the sequence */
    int features = xv && xv->kind == V_FEATURES_FIRST;
    dlc_status st = features ? (in = xv->layer, DLC_OK) : layer_in(k, n, 0, &in);
    if (st)
        return st;
    if ((st = layer_shape_seq(k, in, &xs, &seq)))
        return st;
    if (seq && !features)
        /* ONNX normalizes axis 1 of (N, T, D): the steps, as channels */
        return fail_at(k, n, "on a sequence (N, %d steps, %d features) it normalizes each step as a "
                             "channel (PyTorch's BatchNorm1d(%d) on it); dlc's batchnorm normalizes a "
                             "sequence's features (BatchNorm1d(%d) between two transposes): imported, "
                             "it would compute another thing",
                       xs.d[0], xs.d[1], xs.d[0], xs.d[1]);
    const onnx_tensor *t[4];
    for (int i = 0; i < 4; i++)
        if (!(t[i] = cst(k, n, 1 + i)) || !t[i]->f)
            return fail_at(k, n, "a statistic or scale is not a constant");
    int L = add_layer(k, "batchnorm", n->out[0], &in, 1);
    if (L < 0)
        return fail_at(k, n, "too many layers");
    const onnx_attr *e = onnx_attr_get(n, "epsilon"), *mo = onnx_attr_get(n, "momentum");
    keyf(k, L, "eps: %.9g", e ? e->f : 1e-5f);
    float m = mo ? mo->f : 0.9f; /* ONNX's default */
    if (!(m >= 0.0f && m <= 1.0f))
        return fail_at(k, n, "momentum %g (ONNX's is the share of the running statistics kept, in [0, 1])", m);
    if (m == 1.0f) {
        /* PyTorch's momentum=None (a cumulative average) exports 1: the running statistics are
         * the file's, and training after import updates them as dlc's default does */
        if (k->n_cumulative++ == 0)
            snprintf(k->cumulative, sizeof k->cumulative, "%s", node_name(n));
        m = 0.9f;
    }
    keyf(k, L, "momentum: %.9g", m);
    static const char *const names[4] = {"gamma", "beta", "running_mean", "running_var"};
    for (int i = 0; i < 4; i++)
        if ((st = add_weight(k, L, names[i], copy_floats(t[i]), t[i]->n)))
            return st;
    new_val(k, n->out[0], features ? V_FEATURES_FIRST : V_LAYER, L);
    return DLC_OK;
}

/* Activation a on x (a layer's output) as node n's output: folded into x's
 * layer when the activation's nodes are x's only consumers (alone) and the
 * layer has none, else an activation layer. */
static dlc_status apply_act(imp *k, const onnx_node *n, const ival *x, int alone, act_kind a, float alpha,
                            float beta)
{
    if (x->layer >= 0 && alone && k->l[x->layer].act == ACT_LINEAR) {
        /* the layer before takes the activation and this value's name */
        ilayer *L = &k->l[x->layer];
        L->act = a;
        L->alpha = alpha;
        L->beta = beta;
        rename_layer(k, x->layer, n->out[0]);
        return same_view(k, n, x, x->layer);
    }
    int L = add_layer(k, "activation", n->out[0], &x->layer, 1);
    if (L < 0)
        return fail_at(k, n, "too many layers");
    k->l[L].act = a;
    k->l[L].alpha = alpha;
    k->l[L].beta = beta;
    return same_view(k, n, x, L);
}

/* One step of gelu as written before opset 20 (see V_GELU_*): 1 when node n
 * is one (*st its outcome), 0 when it is not. */
static int gelu_step(imp *k, const onnx_node *n, dlc_status *st)
{
    if (n->n_in != 2 && strcmp(n->op, "Erf") != 0)
        return 0;
    ival *a = val(k, n->in[0]), *b = n->n_in > 1 ? val(k, n->in[1]) : NULL;
    *st = DLC_OK;
    if (!a)
        return 0;
    ival *y = NULL;
    if (!strcmp(n->op, "Erf")) {
        if (a->kind == V_GELU_SCALED)
            y = new_val(k, n->out[0], V_GELU_ERF, a->layer);
    } else if (!strcmp(n->op, "Div") || !strcmp(n->op, "Mul")) {
        int div = !strcmp(n->op, "Div");
        /* x / sqrt 2 (x used by this node and by x * (1 + erf)) */
        for (int i = 0; i < (div ? 1 : 2) && !y; i++) {
            ival *x = i ? b : a;
            if (x && (x->kind == V_LAYER || x->kind == V_CHANNELS_LAST) && !x->flat && x->uses >= 2 &&
                const_near(k, n, 1 - i, div ? 1.4142135623730951 : 0.7071067811865476)) {
                y = new_val(k, n->out[0], V_GELU_SCALED, x->layer);
                y->src = x->name;
                y->alone = x->uses == 2;
            }
        }
        /* x * (1 + erf(...)) */
        for (int i = 0; i < 2 && !y && !div && b; i++) {
            ival *e = i ? a : b, *x = i ? b : a;
            if (e->kind == V_GELU_ERF1 && (x->kind == V_LAYER || x->kind == V_CHANNELS_LAST) &&
                !strcmp(x->name, e->src)) {
                y = new_val(k, n->out[0], V_GELU_PRODUCT, x->layer);
                y->src = e->src;
                y->alone = e->alone;
            }
        }
        /* that * 0.5: gelu of x */
        for (int i = 0; i < 2 && !y && !div && b; i++) {
            ival *p = i ? b : a;
            if (p->kind == V_GELU_PRODUCT && const_near(k, n, 1 - i, 0.5)) {
                *st = apply_act(k, n, val(k, p->src), p->alone, ACT_GELU, 0.01f, 0.5f);
                return 1;
            }
        }
    } else if (!strcmp(n->op, "Add")) {
        for (int i = 0; i < 2 && !y && b; i++)
            if ((i ? b : a)->kind == V_GELU_ERF && const_near(k, n, 1 - i, 1.0))
                y = new_val(k, n->out[0], V_GELU_ERF1, (i ? b : a)->layer);
    }
    if (!y)
        return 0;
    if (!y->src) { /* Erf, Add: x is the step before's */
        const ival *prev = a->kind >= V_GELU_SCALED && a->kind <= V_GELU_PRODUCT ? a : b;
        y->src = prev->src;
        y->alone = prev->alone;
    }
    return 1;
}

/* Clip's bound i (1 min, 2 max): an input from opset 11, an attribute
 * before; *has 0 when it is not given.  0 when it is not a constant. */
static int clip_bound(imp *k, const onnx_node *n, int i, int *has, double *v)
{
    const onnx_attr *at = onnx_attr_get(n, i == 1 ? "min" : "max");
    *has = 0;
    if (i < n->n_in && n->in[i][0]) {
        const onnx_tensor *c = cst(k, n, i);
        if (!c || !c->f || c->n != 1)
            return 0;
        *has = 1;
        *v = c->f[0];
    } else if (at) {
        *has = 1;
        *v = at->f;
    }
    return 1;
}

/* Clip(x, 0, 6) is relu6 (PyTorch's ReLU6, MobileNet's), Clip(x, 0) relu;
 * other bounds have no dlc layer. */
static dlc_status op_clip(imp *k, const onnx_node *n, act_kind *a)
{
    int has_lo, has_hi;
    double lo = 0, hi = 0;
    if (!clip_bound(k, n, 1, &has_lo, &lo) || !clip_bound(k, n, 2, &has_hi, &hi))
        return fail_at(k, n, "Clip's bounds are not scalar constants");
    if (has_lo && lo == 0 && has_hi && hi == 6)
        *a = ACT_RELU6;
    else if (has_lo && lo == 0 && !has_hi)
        *a = ACT_RELU;
    else
        return fail_at(k, n, "Clip to [%g, %g] (dlc has relu6, Clip to [0, 6], and relu, [0, inf))",
                       has_lo ? lo : -INFINITY, has_hi ? hi : INFINITY);
    return DLC_OK;
}

/* How many nodes after n (and graph outputs) read value `name`. */
static int later_uses(const imp *k, const onnx_node *n, const char *name)
{
    int u = 0;
    for (int q = (int)(n - k->m->nodes) + 1; q < k->m->n_nodes; q++)
        for (int r = 0; r < k->m->nodes[q].n_in; r++)
            u += !strcmp(k->m->nodes[q].in[r], name);
    for (int q = 0; q < k->m->n_outputs; q++)
        u += !strcmp(k->m->outputs[q].name, name);
    return u;
}

/* HardSigmoid's slope and offset (ONNX's defaults 0.2, 0.5: Keras' hard_sigmoid; PyTorch's
 * 1/6, 1/2) into *alpha, *beta; *pytorch whether they are PyTorch's (hardswish's gate). */
static dlc_status hard_sigmoid_attrs(imp *k, const onnx_node *n, float *alpha, float *beta, int *pytorch)
{
    const onnx_attr *al = onnx_attr_get(n, "alpha"), *be = onnx_attr_get(n, "beta");
    *alpha = al ? al->f : 0.2f;
    *beta = be ? be->f : 0.5f;
    if (!(*alpha >= 0.0f && isfinite(*alpha) && isfinite(*beta)))
        return fail_at(k, n, "HardSigmoid with alpha %g, beta %g (dlc's hardsigmoid, max(0, min(1, alpha x + "
                             "beta)), takes a finite slope alpha >= 0)",
                       *alpha, *beta);
    *pytorch = fabsf(*alpha - 1.0f / 6.0f) <= 1e-6f && fabsf(*beta - 0.5f) <= 1e-6f;
    return DLC_OK;
}

static dlc_status op_activation(imp *k, const onnx_node *n)
{
    act_kind a = !strcmp(n->op, "Relu")      ? ACT_RELU
                 : !strcmp(n->op, "Clip")    ? ACT_RELU6
                 : !strcmp(n->op, "HardSigmoid") ? ACT_HARDSIGMOID
                 : !strcmp(n->op, "HardSwish") ? ACT_HARDSWISH
                 : !strcmp(n->op, "Sigmoid") ? ACT_SIGMOID
                 : !strcmp(n->op, "Tanh")    ? ACT_TANH
                 : !strcmp(n->op, "LeakyRelu") ? ACT_LEAKY_RELU
                 : !strcmp(n->op, "Elu")     ? ACT_ELU
                 : !strcmp(n->op, "Gelu")    ? ACT_GELU
                                             : ACT_SOFTMAX;
    const onnx_attr *al = onnx_attr_get(n, "alpha");
    float alpha = al ? al->f : a == ACT_ELU ? 1.0f : 0.01f;
    const onnx_attr *approx = onnx_attr_get(n, "approximate");
    if (a == ACT_GELU && approx && approx->s && strcmp(approx->s, "none") != 0)
        return fail_at(k, n, "the tanh approximation of gelu (dlc's is the exact erf form)");
    if (a == ACT_RELU6) {
        dlc_status st = op_clip(k, n, &a);
        if (st)
            return st;
    }
    if (a == ACT_SOFTMAX) {
        /* ONNX's default axis: the last from opset 13, 1 before (softmax over the input flattened
         * from that axis on); either is dlc's softmax when it is the last axis (PyTorch's dim=1
         * on (N, C)) */
        const onnx_attr *ax = onnx_attr_get(n, "axis");
        int64_t axis = ax ? ax->i : k->m->opset > 0 && k->m->opset < 13 ? 1 : -1;
        ival *x = val(k, n->in[0]);
        tensor_shape xs;
        int last = -1;
        if (x && x->kind == V_LAYER && !x->flat && layer_shape(k, x->layer, &xs) == DLC_OK)
            last = xs.ndim;
        if (axis != -1 && axis != last && last > 0)
            return fail_at(k, n, "softmax over axis %lld (dlc's is over the last axis, %d here)",
                           (long long)axis, last);
        if (axis != -1 && axis != last)
            return fail_at(k, n, "softmax over axis %lld (dlc's is over the last axis)", (long long)axis);
    }
    float beta = 0.5f;
    int pytorch = 1;
    if (a == ACT_HARDSIGMOID) {
        dlc_status st = hard_sigmoid_attrs(k, n, &alpha, &beta, &pytorch);
        if (st)
            return st;
    }
    ival *x = val(k, n->in[0]);
    if (!x || (x->kind != V_LAYER && (x->kind != V_CHANNELS_LAST || a == ACT_SOFTMAX)))
        return layer_in(k, n, 0, &(int){0}); /* its message */
    /* x * Sigmoid(x), x * HardSigmoid(x): the gate waits for its Mul, which makes silu or hardswish */
    if ((a == ACT_SIGMOID || (a == ACT_HARDSIGMOID && pytorch)) && later_uses(k, n, n->out[0]) == 1 &&
        (consumer(k, n, n->out[0], "Mul", 0, x->name) || consumer(k, n, n->out[0], "Mul", 1, x->name))) {
        ival *y = new_val(k, n->out[0], V_GATE_OF_SELF, x->layer);
        y->src = x->name;
        y->alone = x->uses == 2;
        y->act = a == ACT_SIGMOID ? ACT_SILU : ACT_HARDSWISH;
        return DLC_OK;
    }
    return apply_act(k, n, x, x->uses == 1, a, alpha, beta);
}

static dlc_status op_gather(imp *k, const onnx_node *n)
{
    ival *data = val(k, n->in[0]), *idx = n->n_in > 1 ? val(k, n->in[1]) : NULL;
    const onnx_attr *ax = onnx_attr_get(n, "axis");
    int64_t axis = ax ? ax->i : 0;
    if (data && (data->kind == V_SHAPE || (data->kind == V_CONST && idx && idx->kind == V_CONST))) {
        const onnx_tensor *at = cst(k, n, 1);
        ival *y = new_val(k, n->out[0], V_SHAPE, -1); /* an entry of a shape */
        if (data->kind == V_SHAPE && data->batch == SHAPE_OF_BATCH_FIRST && axis == 0 && at && at->i &&
            at->n == 1 && at->i[0] == 0)
            y->batch = SHAPE_BATCH; /* x.size(0) */
        return DLC_OK;
    }
    const onnx_tensor *sel = cst(k, n, 1);
    if (data && data->kind == V_RNN_YH && axis == k->l[data->layer].batch_first && sel && sel->i && sel->n == 1 &&
        (sel->i[0] == 0 || sel->i[0] == -1)) {
        /* h[-1] of a one-direction layer: its last state */
        ilayer *L = &k->l[data->layer];
        if (strstr(L->keys.s, "bidirectional: true"))
            return fail_at(k, n, "one direction's state of a bidirectional layer (dlc gives both, joined)");
        L->last_used = 1;
        new_val(k, n->out[0], V_LAYER, data->layer);
        return DLC_OK;
    }
    const onnx_tensor *table = cst(k, n, 0);
    if (!table || !table->f || table->ndim != 2 || axis != 0)
        return fail_at(k, n, "not a lookup of rows in a constant matrix (dlc's embedding)");
    int in;
    dlc_status st = layer_in(k, n, 1, &in);
    if (st)
        return st;
    int L = add_layer(k, "embedding", n->out[0], &in, 1);
    if (L < 0)
        return fail_at(k, n, "too many layers");
    keyf(k, L, "vocab: %lld", (long long)table->dims[0]);
    keyf(k, L, "units: %lld", (long long)table->dims[1]);
    keyf(k, L, "pad_id: -1"); /* every id is a token: no masking the source model did not do */
    if ((st = add_weight(k, L, "weight", copy_floats(table), table->n)))
        return st;
    new_val(k, n->out[0], V_LAYER, L);
    return DLC_OK;
}

void onnx_rnn_weights(const char *op, const onnx_tensor *W, const onnx_tensor *R, const onnx_tensor *B, int d,
                      float *wih, float *whh, float *b, float *bhn)
{
    /* dlc's gate g is ONNX's gate src[g] times sign[g]: LSTM i,o,f,c -> i,f,g,o;
     * GRU z,r,h -> r, u = -z (dlc's h = u c~ + (1 - u) h_prev), c */
    static const int lstm_src[4] = {0, 2, 3, 1}, gru_src[3] = {1, 0, 2}, rnn_src[1] = {0};
    static const float lstm_sign[4] = {1, 1, 1, 1}, gru_sign[3] = {1, -1, 1}, rnn_sign[1] = {1};
    int lstm = !strcmp(op, "LSTM"), gru = !strcmp(op, "GRU"), G = lstm ? 4 : gru ? 3 : 1;
    const int *src = lstm ? lstm_src : gru ? gru_src : rnn_src;
    const float *sign = lstm ? lstm_sign : gru ? gru_sign : rnn_sign;
    int H = (int)R->dims[2], D = (int)W->dims[2];
    size_t GH = (size_t)G * H;
    for (int g = 0; g < G; g++)
        for (int j = 0; j < H; j++) {
            size_t row = (size_t)d * GH + (size_t)src[g] * H + j, to = (size_t)g * H + j;
            for (int i = 0; i < D; i++)
                wih[to * D + i] = sign[g] * W->f[row * D + i];
            for (int i = 0; i < H; i++)
                whh[to * H + i] = sign[g] * R->f[row * H + i];
            /* one bias per gate: Wb + Rb; with linear_before_reset=1 (bhn given) the h gate's
             * Rb is b_hn, inside r * (...) */
            float wb = B ? B->f[(size_t)d * 2 * GH + (size_t)src[g] * H + j] : 0.0f;
            float rb = B ? B->f[(size_t)d * 2 * GH + GH + (size_t)src[g] * H + j] : 0.0f;
            b[to] = sign[g] * (bhn && gru && g == 2 ? wb : wb + rb);
            if (bhn && gru && g == 2)
                bhn[j] = rb;
        }
}

static dlc_status op_recurrent(imp *k, const onnx_node *n)
{
    int lstm = !strcmp(n->op, "LSTM"), gru = !strcmp(n->op, "GRU");
    ival *x = val(k, n->in[0]);
    const onnx_attr *lay = onnx_attr_get(n, "layout");
    int layout = lay ? (int)lay->i : 0;
    if (!x || !((layout == 0 && x->kind == V_TIME_MAJOR) || (layout == 1 && x->kind == V_LAYER)))
        return fail_at(k, n, "its input is not a batch-first tensor made time-major by Transpose "
                             "(perm 1, 0, 2), nor batch-first with layout=1");
    const onnx_tensor *W = cst(k, n, 1), *R = cst(k, n, 2), *B = cst(k, n, 3);
    if (!W || !R || !W->f || !R->f || W->ndim != 3 || R->ndim != 3)
        return fail_at(k, n, "W and R are not constants");
    for (int i = 4; i < n->n_in; i++) {
        ival *o = n->in[i][0] ? val(k, n->in[i]) : NULL;
        if (o && o->kind != V_ZEROS)
            return fail_at(k, n, "%s (dlc starts from zero states, over whole sequences)",
                           i == 4 ? "sequence_lens" : i == 7 ? "peepholes" : "a non-zero initial state");
    }
    const onnx_attr *dir = onnx_attr_get(n, "direction"), *acts = onnx_attr_get(n, "activations");
    const char *d = dir && dir->s ? dir->s : "forward";
    if (!strcmp(d, "reverse"))
        return fail_at(k, n, "direction reverse alone");
    if (onnx_attr_get(n, "clip") || (lstm && onnx_attr_get(n, "input_forget") && onnx_attr_get(n, "input_forget")->i))
        return fail_at(k, n, "clip or input_forget");
    /* linear_before_reset=1 (PyTorch's nn.GRU) is dlc's reset_after */
    int lbr = gru && onnx_attr_get(n, "linear_before_reset") && onnx_attr_get(n, "linear_before_reset")->i;
    int relu = 0;
    for (int i = 0; acts && i < acts->n_strings; i++) {
        const char *a = acts->strings[i];
        if (!lstm && !gru && (!strcmp(a, "Relu") || !strcmp(a, "Tanh")))
            relu = !strcmp(a, "Relu");
        else if (!((lstm || gru) && (i % (lstm ? 3 : 2) == 0 ? !strcmp(a, "Sigmoid") : !strcmp(a, "Tanh"))))
            return fail_at(k, n, "activations other than the defaults");
    }
    int dirs = !strcmp(d, "bidirectional") ? 2 : 1, G = lstm ? 4 : gru ? 3 : 1;
    int H = (int)R->dims[2], D = (int)W->dims[2];
    if (W->dims[0] != dirs || W->dims[1] != (int64_t)G * H || R->dims[1] != (int64_t)G * H)
        return fail_at(k, n, "W or R has the wrong shape");
    int L = add_layer(k, lstm ? "lstm" : gru ? "gru" : "rnn", n->out[0], &x->layer, 1);
    if (L < 0)
        return fail_at(k, n, "too many layers");
    k->l[L].batch_first = layout == 1;
    keyf(k, L, "units: %d", H);
    keyf(k, L, "bidirectional: %s", dirs == 2 ? "true" : "false");
    keyf(k, L, "use_bias: true");
    if (gru)
        keyf(k, L, "variant: %s", lbr ? "reset_after" : "full");
    if (!lstm && !gru)
        keyf(k, L, "nonlinearity: %s", relu ? "relu" : "tanh");
    for (int dd = 0; dd < dirs; dd++) {
        float *wih = malloc(sizeof(float) * (size_t)G * H * D), *whh = malloc(sizeof(float) * (size_t)G * H * H);
        float *b = malloc(sizeof(float) * (size_t)G * H), *bhn = lbr ? malloc(sizeof(float) * (size_t)H) : NULL;
        if (!wih || !whh || !b || (lbr && !bhn)) {
            free(wih);
            free(whh);
            free(b);
            free(bhn);
            return DLC_NOMEM(k->err);
        }
        onnx_rnn_weights(n->op, W, R, B && B->f ? B : NULL, dd, wih, whh, b, bhn);
        dlc_status st;
        if ((st = add_weight(k, L, dd ? "weight_ih_reverse" : "weight_ih", wih, (size_t)G * H * D)) ||
            (st = add_weight(k, L, dd ? "weight_hh_reverse" : "weight_hh", whh, (size_t)G * H * H)) ||
            (st = add_weight(k, L, dd ? "bias_reverse" : "bias", b, (size_t)G * H)))
            return st;
        if (lbr && (st = add_weight(k, L, dd ? "bias_hn_reverse" : "bias_hn", bhn, (size_t)H)))
            return st;
    }
    static const vkind outs[3] = {V_RNN_Y, V_RNN_YH, V_RNN_YC};
    for (int o = 0; o < n->n_out && o < 3; o++)
        if (n->out[o][0])
            new_val(k, n->out[o], outs[o], L);
    return DLC_OK;
}

/* Transpose, Squeeze, Unsqueeze: views of recurrent layers, or shape computations */
static dlc_status op_view(imp *k, const onnx_node *n)
{
    ival *x = val(k, n->in[0]);
    if (!x)
        return fail_at(k, n, "unknown input '%s'", n->in[0]);
    const onnx_attr *perm = onnx_attr_get(n, "perm"), *axes = onnx_attr_get(n, "axes");
    if (x->kind == V_CONST && !strcmp(n->op, "Transpose") && x->c->ndim == 2 &&
        (!perm || (perm->n_ints == 2 && perm->ints[0] == 1))) {
        ival *y = new_val(k, n->out[0], V_CONST, -1); /* a weight matrix transposed */
        y->c = x->c;
        y->tr = !x->tr;
        return DLC_OK;
    }
    if (x->kind == V_SHAPE || x->kind == V_CONST) {
        ival *y = new_val(k, n->out[0], V_SHAPE, -1);
        /* [N] from N */
        if (x->kind == V_SHAPE && x->batch == SHAPE_BATCH && !strcmp(n->op, "Unsqueeze"))
            y->batch = SHAPE_BATCH;
        return DLC_OK;
    }
    /* a map's channels made last (ConvNeXt's LayerNorm2d and blocks), and back */
    if (!strcmp(n->op, "Transpose") && perm && perm->n_ints >= 3 &&
        (x->kind == V_LAYER || x->kind == V_CHANNELS_LAST)) {
        int r = perm->n_ints, to_last = 1, to_first = 1;
        for (int i = 0; i < r; i++) {
            to_last &= perm->ints[i] == (i == 0 ? 0 : i == r - 1 ? 1 : i + 1);
            to_first &= perm->ints[i] == (i == 0 ? 0 : i == 1 ? r - 1 : i - 1);
        }
        if (x->kind == V_CHANNELS_LAST && to_first && r == x->rank) {
            if (x->layer >= 0 && !strcmp(k->l[x->layer].type, "layernorm"))
                rename_layer(k, x->layer, n->out[0]); /* dlc's exports: the layernorm's own name */
            new_val(k, n->out[0], V_LAYER, x->layer)->flat = x->flat;
            return DLC_OK;
        }
        tensor_shape xs;
        int seq = 0;
        dlc_status st = x->kind == V_LAYER && to_last ? layer_shape_seq(k, x->layer, &xs, &seq) : DLC_EINPUT;
        if (st == DLC_OK && !seq && (x->flat || xs.ndim + 1 == r)) {
            ival *y = new_val(k, n->out[0], V_CHANNELS_LAST, x->layer);
            y->flat = x->flat;
            y->rank = r;
            return DLC_OK;
        }
        if (x->kind == V_CHANNELS_LAST)
            return fail_at(k, n, "a Transpose of a channels-last map other than the one back (perm (0, %d, 1, "
                                 "...))", x->rank - 1);
    }
    const onnx_tensor *ax_in = cst(k, n, 1);
    int64_t axis = axes && axes->n_ints == 1 ? axes->ints[0] : ax_in && ax_in->i && ax_in->n == 1 ? ax_in->i[0] : -99;
    int swap01 = perm && perm->n_ints == 3 && perm->ints[0] == 1 && perm->ints[1] == 0 && perm->ints[2] == 2;
    /* dlc's exports: Y (T, dirs, N, H) and Y_h (dirs, N, H) made batch-major,
     * then reshaped to (N, T, dirs * H) and (N, dirs * H), or summed over dirs */
    int y_nt = perm && perm->n_ints == 4 && perm->ints[0] == 2 && perm->ints[1] == 0 && perm->ints[2] == 1 &&
               perm->ints[3] == 3;
    if (!strcmp(n->op, "Transpose") && ((y_nt && x->kind == V_RNN_Y) || (swap01 && x->kind == V_RNN_YH)) &&
        !k->l[x->layer].batch_first) {
        new_val(k, n->out[0], x->kind == V_RNN_Y ? V_RNN_Y_NT : V_RNN_YH_N, x->layer);
        return DLC_OK;
    }
    int y_tn = perm && perm->n_ints == 4 && perm->ints[0] == 0 && perm->ints[1] == 2 && perm->ints[2] == 1 &&
               perm->ints[3] == 3;
    if (!strcmp(n->op, "Transpose") && y_tn && x->kind == V_RNN_Y && !k->l[x->layer].batch_first) {
        new_val(k, n->out[0], V_RNN_Y_TN, x->layer);
        return DLC_OK;
    }
    /* (N, T, D) <-> (N, D, T) around a BatchNormalization of a sequence's features */
    int swap12 = perm && perm->n_ints == 3 && perm->ints[0] == 0 && perm->ints[1] == 2 && perm->ints[2] == 1;
    if (!strcmp(n->op, "Transpose") && swap12 && x->kind == V_FEATURES_FIRST) {
        rename_layer(k, x->layer, n->out[0]); /* dlc's exports: the batchnorm's own name */
        new_val(k, n->out[0], V_LAYER, x->layer);
        return DLC_OK;
    }
    if (!strcmp(n->op, "Transpose") && swap12 && x->kind == V_LAYER && x->layer >= 0) {
        tensor_shape xs;
        int seq = 0;
        dlc_status st = layer_shape_seq(k, x->layer, &xs, &seq);
        if (st)
            return st;
        if (seq && consumer(k, n, n->out[0], "BatchNormalization", 0, NULL) && later_uses(k, n, n->out[0]) == 1) {
            new_val(k, n->out[0], V_FEATURES_FIRST, x->layer);
            return DLC_OK;
        }
    }
    if (!strcmp(n->op, "Transpose") && swap01 && x->kind == V_LAYER) {
        new_val(k, n->out[0], V_TIME_MAJOR, x->layer);
        return DLC_OK;
    }
    if (!strcmp(n->op, "Transpose") && swap01 && x->kind == V_RNN_YSQ) {
        k->l[x->layer].seq_used = 1; /* (T, N, H) -> (N, T, H): the layer's sequence output */
        new_val(k, n->out[0], V_LAYER, x->layer);
        return DLC_OK;
    }
    /* the direction axis of one direction: Y's 1 (2 batch-first), Y_h's 0 (1) */
    int bf = x->kind == V_RNN_Y || x->kind == V_RNN_YH ? k->l[x->layer].batch_first : 0;
    if (!strcmp(n->op, "Squeeze") && x->kind == V_RNN_Y && axis == 1 + bf &&
        !strstr(k->l[x->layer].keys.s, "bidirectional: true")) {
        if (bf) { /* (N, T, H) already */
            k->l[x->layer].seq_used = 1;
            new_val(k, n->out[0], V_LAYER, x->layer);
        } else {
            new_val(k, n->out[0], V_RNN_YSQ, x->layer);
        }
        return DLC_OK;
    }
    if (!strcmp(n->op, "Squeeze") && x->kind == V_RNN_YH && axis == bf &&
        !strstr(k->l[x->layer].keys.s, "bidirectional: true")) {
        k->l[x->layer].last_used = 1;
        new_val(k, n->out[0], V_LAYER, x->layer);
        return DLC_OK;
    }
    return fail_at(k, n, "a %s dlc's layers have no form for (only the time-major views around "
                         "recurrent layers are read)", n->op);
}

/* ---- shape arithmetic, channel shuffle, padding, Split ----
 * torchvision's ShuffleNetV2 computes its views' shapes from x.size() (Shape,
 * Gather, Div, Unsqueeze, Concat) and torch.chunk's bounds the same way (Add,
 * Div, Mul).  The shape of a layer's output is known here (its batch size
 * SHAPE_N), so these fold to constants: shape_step keeps the entries (kv),
 * and Reshape and Slice read them.  An arithmetic step on the batch size gives
 * an unknown shape, as before (only a Reshape's leading entry may be it). */

/* The ONNX shape of x (N first) into v: its rank, 0 when not known here (a
 * sequence's, whose views differ; a pool's (N, C, 1, 1), which dlc keeps as (C)). */
static int shape_of(imp *k, const ival *x, int64_t *v)
{
    tensor_shape s;
    int seq;
    if (x->kind != V_LAYER || x->flat || layer_shape_seq(k, x->layer, &s, &seq) != DLC_OK || seq ||
        s.ndim + 1 > ONNX_MAX_DIMS)
        return 0;
    v[0] = SHAPE_N;
    for (int i = 0; i < s.ndim; i++)
        v[i + 1] = s.d[i];
    return s.ndim + 1;
}

/* Node n as a step of shape arithmetic on known values: 1 when it is one (*st its outcome). */
static int shape_step(imp *k, const onnx_node *n, dlc_status *st)
{
    const char *op = n->op;
    int64_t a[KV_MAX], b[KV_MAX], y[KV_MAX];
    int na = 0, nb = 0, ny = 0, unknown = 0, rows = 0;
    ival *x = n->n_in > 0 && n->in[0][0] ? val(k, n->in[0]) : NULL;
    int x_known = x && x->kind == V_SHAPE && x->nk > 0;
    *st = DLC_OK;
    if (!x)
        return 0;
    if (!strcmp(op, "Shape")) {
        int r = shape_of(k, x, a);
        if (!r)
            return 0;
        const onnx_attr *s0 = onnx_attr_get(n, "start"), *s1 = onnx_attr_get(n, "end");
        int64_t from = s0 ? s0->i : 0, to = s1 ? s1->i : r;
        from += from < 0 ? r : 0;
        to += to < 0 ? r : 0;
        from = from < 0 ? 0 : from > r ? r : from;
        to = to < 0 ? 0 : to > r ? r : to;
        if (to <= from)
            return 0;
        for (int64_t i = from; i < to; i++)
            y[ny++] = a[i];
    } else if (!strcmp(op, "Gather") && x_known && !x->rows) {
        const onnx_attr *ax = onnx_attr_get(n, "axis");
        if ((ax && ax->i != 0) || !known_ints(k, n, 1, b, &nb))
            return 0;
        for (int i = 0; i < nb; i++) {
            int64_t j = b[i] < 0 && b[i] != SHAPE_N ? b[i] + x->nk : b[i];
            if (j < 0 || j >= x->nk) {
                *st = fail_at(k, n, "index %lld is outside a shape of %d entries", (long long)b[i], x->nk);
                return 1;
            }
            y[ny++] = x->kv[j];
        }
    } else if (x_known && (!strcmp(op, "Unsqueeze") || !strcmp(op, "Squeeze") || !strcmp(op, "Cast") ||
                           !strcmp(op, "Identity") || !strcmp(op, "Round"))) {
        if (x->rows && strcmp(op, "Cast") && strcmp(op, "Identity"))
            return 0;
        ny = x->nk;
        rows = x->rows;
        memcpy(y, x->kv, sizeof *y * (size_t)ny);
    } else if (!strcmp(op, "ConstantOfShape") && known_ints(k, n, 0, a, &na) && na == 1 && !(x_known && x->rows) &&
               a[0] >= 1 && a[0] <= KV_MAX) {
        /* integers only (a float one is a recurrent layer's zero state) */
        const onnx_attr *v = onnx_attr_get(n, "value");
        if (!v || !v->t || !v->t->i || v->t->n != 1)
            return 0;
        for (ny = 0; ny < a[0]; ny++)
            y[ny] = v->t->i[0];
        if (!ny)
            return 0;
    } else if (!strcmp(op, "Reshape") && x_known && known_ints(k, n, 1, b, &nb) && nb <= 2) {
        /* PyTorch's pads list, (l, r, t, b, ...) to ONNX's begins then ends: reshaped to
         * (-1, 2), rows reversed, transposed, flattened */
        int64_t c0 = nb == 2 ? b[1] : -1;
        if (nb == 2 && (c0 < 1 || x->nk % c0 || (b[0] != -1 && b[0] * c0 != x->nk)))
            return 0;
        if (nb == 1 && b[0] != -1 && b[0] != x->nk)
            return 0;
        ny = x->nk;
        rows = nb == 2 ? (int)(x->nk / c0) : 0;
        memcpy(y, x->kv, sizeof *y * (size_t)ny);
    } else if (!strcmp(op, "Transpose") && x_known && x->rows) {
        const onnx_attr *p = onnx_attr_get(n, "perm");
        if (p && (p->n_ints != 2 || p->ints[0] != 1))
            return 0;
        int R = x->rows, C = x->nk / R;
        for (int i = 0; i < C; i++)
            for (int j = 0; j < R; j++)
                y[ny++] = x->kv[j * C + i];
        rows = C;
    } else if (!strcmp(op, "Add") || !strcmp(op, "Sub") || !strcmp(op, "Mul") || !strcmp(op, "Div")) {
        ival *w = n->n_in == 2 ? val(k, n->in[1]) : NULL;
        if (!(x_known || (w && w->kind == V_SHAPE && w->nk > 0)) || (x_known && x->rows) ||
            (w && w->kind == V_SHAPE && w->rows) || !known_ints(k, n, 0, a, &na) ||
            !known_ints(k, n, 1, b, &nb) || (na != nb && na != 1 && nb != 1))
            return 0;
        ny = na > nb ? na : nb;
        for (int i = 0; i < ny; i++) {
            int64_t u = a[na == 1 ? 0 : i], v = b[nb == 1 ? 0 : i];
            unknown |= u == SHAPE_N || v == SHAPE_N;
            if (op[0] == 'D' && v == 0 && !unknown) {
                *st = fail_at(k, n, "a division of shape entries by 0");
                return 1;
            }
            y[i] = unknown ? 0 : op[0] == 'A' ? u + v : op[0] == 'S' ? u - v : op[0] == 'M' ? u * v : u / v;
        }
    } else if (!strcmp(op, "Concat")) {
        int any = 0;
        for (int i = 0; i < n->n_in; i++) {
            ival *e = val(k, n->in[i]);
            any |= e && e->kind == V_SHAPE && e->nk > 0;
            if (!known_ints(k, n, i, a, &na) || ny + na > KV_MAX || (e && e->kind == V_SHAPE && e->rows))
                return 0;
            memcpy(y + ny, a, sizeof *a * (size_t)na);
            ny += na;
        }
        if (!any)
            return 0;
    } else if (!strcmp(op, "Slice") && x_known) {
        /* of axis 0 (a vector's entries, a matrix's rows), any step, as ONNX clamps */
        int64_t ax[KV_MAX] = {0}, step[KV_MAX] = {1};
        int c0, c1, c2 = 1, c3 = 1, R = x->rows ? x->rows : x->nk, C = x->rows ? x->nk / x->rows : 1;
        if (!known_ints(k, n, 1, a, &c0) || !known_ints(k, n, 2, b, &c1) || c0 != 1 || c1 != 1 ||
            (n->n_in > 3 && n->in[3][0] && (!known_ints(k, n, 3, ax, &c2) || c2 != 1 || ax[0] != 0)) ||
            (n->n_in > 4 && n->in[4][0] && (!known_ints(k, n, 4, step, &c3) || c3 != 1 || step[0] == 0)))
            return 0;
        int64_t s0 = a[0] < 0 ? a[0] + R : a[0], e0 = b[0] < 0 ? b[0] + R : b[0], st0 = step[0];
        if (st0 > 0) {
            s0 = s0 < 0 ? 0 : s0 > R ? R : s0;
            e0 = e0 < 0 ? 0 : e0 > R ? R : e0;
        } else {
            s0 = s0 < 0 ? 0 : s0 > R - 1 ? R - 1 : s0;
            e0 = e0 < -1 ? -1 : e0 > R - 1 ? R - 1 : e0;
        }
        for (int64_t i = s0; st0 > 0 ? i < e0 : i > e0; i += st0, rows++)
            for (int j = 0; j < C; j++)
                y[ny++] = x->kv[i * C + j];
        rows = x->rows ? rows : 0;
        if (!ny)
            return 0;
    } else {
        return 0;
    }
    ival *o = new_val(k, n->out[0], V_SHAPE, -1);
    if (unknown)
        return 1;
    o->nk = ny;
    o->rows = rows;
    memcpy(o->kv, y, sizeof *y * (size_t)ny);
    if (y[0] == SHAPE_N) /* as the forms read before shapes were known */
        o->batch = ny == 1 ? SHAPE_BATCH : SHAPE_OF_BATCH_FIRST;
    return 1;
}

/* perm of a rank-r Transpose: (0, 2, 1, 3, ...), the channel shuffle's swap */
static int swaps_groups(const onnx_node *t, int r)
{
    const onnx_attr *p = onnx_attr_get(t, "perm");
    if (!p || p->n_ints != r || r < 3 || p->ints[0] != 0 || p->ints[1] != 2 || p->ints[2] != 1)
        return 0;
    for (int i = 3; i < r; i++)
        if (p->ints[i] != i)
            return 0;
    return 1;
}

/* A Reshape's shape s (the batch first: 0, or the batch size a file without
 * a dynamic axis fixes) fits the dims d (0 and -1 as ONNX reads them): 1 when so. */
static int reshapes_to(const imp *k, const onnx_tensor *s, const int64_t *d, int r)
{
    int64_t known = 1, total = 1, free_at = -1;
    if (!s || !s->i || (int)s->n != r || (s->i[0] != 0 && !(k->in_batch > 0 && s->i[0] == k->in_batch)))
        return 0;
    for (int i = 1; i < r; i++) {
        total *= d[i];
        if (s->i[i] == -1 && free_at < 0)
            free_at = i;
        else if (s->i[i] == d[i] || s->i[i] == 0)
            known *= d[i];
        else
            return 0;
    }
    return free_at < 0 || total / known == d[free_at];
}

/* The channel shuffle as PyTorch writes it, x.view(N, g, C // g, H, W).transpose(1, 2)
 * .reshape(N, C, H, W): Reshape, Transpose (0, 2, 1, ...), Reshape, one
 * channel_shuffle layer.  1 when n is one of its steps (*st its outcome). */
static int shuffle_step(imp *k, const onnx_node *n, dlc_status *st)
{
    ival *x = n->n_in > 0 && n->in[0][0] ? val(k, n->in[0]) : NULL;
    int reshape = !strcmp(n->op, "Reshape");
    tensor_shape xs;
    int seq;
    *st = DLC_OK;
    if (!x || (x->kind == V_LAYER && !reshape) ||
        (x->kind != V_LAYER && x->kind != V_SHUFFLE_GROUPED && x->kind != V_SHUFFLE_SWAPPED) ||
        x->flat || layer_shape_seq(k, x->layer, &xs, &seq) != DLC_OK || seq)
        return 0;
    int r = xs.ndim + 2, C = xs.d[0];
    int64_t d[TENSOR_MAX_DIMS + 2] = {0};
    if (reshape && x->kind == V_LAYER) {
        /* (N, C, S...) -> (N, G, C/G, S...), only when the swap follows */
        const onnx_tensor *s = shape_input(k, n, 1);
        const onnx_node *t = consumer(k, n, n->out[0], "Transpose", 0, NULL);
        if (!s || !s->i || (int)s->n != r || !t || !swaps_groups(t, r))
            return 0;
        int64_t G = s->i[1] > 0 ? s->i[1] : s->i[2] > 0 && C % s->i[2] == 0 ? C / s->i[2] : 0;
        if (G < 1 || C % G)
            return 0;
        d[1] = G;
        d[2] = C / G;
        for (int i = 1; i < xs.ndim; i++)
            d[i + 2] = xs.d[i];
        if (!reshapes_to(k, s, d, r))
            return 0;
        ival *y = new_val(k, n->out[0], V_SHUFFLE_GROUPED, x->layer);
        y->groups = (int)G;
        return 1;
    }
    if (x->kind == V_SHUFFLE_GROUPED) {
        if (strcmp(n->op, "Transpose") != 0 || !swaps_groups(n, r)) {
            *st = fail_at(k, n, "a map's channels split into %d groups, then other than swapped with "
                                "them (Transpose perm (0, 2, 1, ...), a channel shuffle)", x->groups);
            return 1;
        }
        new_val(k, n->out[0], V_SHUFFLE_SWAPPED, x->layer)->groups = x->groups;
        return 1;
    }
    if (x->kind != V_SHUFFLE_SWAPPED)
        return 0;
    d[1] = C;
    for (int i = 1; i < xs.ndim; i++)
        d[i + 1] = xs.d[i];
    if (!reshape || !reshapes_to(k, shape_input(k, n, 1), d, r - 1)) {
        *st = fail_at(k, n, "a channel shuffle in %d groups not reshaped back to its input's shape "
                            "(N, %d, ...)", x->groups, C);
        return 1;
    }
    int L = add_layer(k, "channel_shuffle", n->out[0], &x->layer, 1);
    if (L < 0) {
        *st = fail_at(k, n, "too many layers");
        return 1;
    }
    keyf(k, L, "groups: %d", x->groups);
    new_val(k, n->out[0], V_LAYER, L);
    return 1;
}

/* perm (0, 1, 3, 5, 2, 4): the r x r offsets of each block before the block positions */
static int moves_blocks(const onnx_node *t)
{
    static const int64_t want[6] = {0, 1, 3, 5, 2, 4};
    const onnx_attr *p = onnx_attr_get(t, "perm");
    return p && p->n_ints == 6 && !memcmp(p->ints, want, sizeof want);
}

/* reshapes_to, also for a batch of -1 with every other dim given (PyTorch's
 * nn.PixelUnshuffle writes (-1, C, H/r, r, W/r, r)) */
static int reshapes_batch(const imp *k, const onnx_tensor *s, const int64_t *d, int r)
{
    if (!s || !s->i || (int)s->n != r || r > 8 || s->i[0] != -1)
        return reshapes_to(k, s, d, r);
    int64_t v[8];
    onnx_tensor t = *s;
    memcpy(v, s->i, sizeof *v * (size_t)r);
    v[0] = 0;
    for (int i = 1; i < r; i++)
        if (v[i] == -1)
            return 0;
    t.i = v;
    return reshapes_to(k, &t, d, r);
}

/* PyTorch's nn.PixelUnshuffle(r) (and dlc's export of pixel_unshuffle, order crd):
 * Reshape to (N, C, H/r, r, W/r, r), Transpose (0, 1, 3, 5, 2, 4), Reshape to
 * (N, C r^2, H/r, W/r), one pixel_unshuffle layer.  1 when n is one of its steps. */
static int unshuffle_step(imp *k, const onnx_node *n, dlc_status *st)
{
    ival *x = n->n_in > 0 && n->in[0][0] ? val(k, n->in[0]) : NULL;
    int reshape = !strcmp(n->op, "Reshape");
    tensor_shape xs;
    int seq;
    *st = DLC_OK;
    if (!x || (x->kind != V_LAYER && x->kind != V_UNSHUFFLE_BLOCKS && x->kind != V_UNSHUFFLE_MOVED) ||
        (x->kind == V_LAYER && !reshape) || x->flat || layer_shape_seq(k, x->layer, &xs, &seq) != DLC_OK || seq ||
        xs.ndim != 3)
        return 0;
    const int C = xs.d[0], H = xs.d[1], W = xs.d[2];
    if (x->kind == V_LAYER) {
        const onnx_tensor *s = shape_input(k, n, 1);
        const onnx_node *t = consumer(k, n, n->out[0], "Transpose", 0, NULL);
        if (!s || !s->i || s->n != 6 || !t || !moves_blocks(t) || s->i[3] < 1 || s->i[3] != s->i[5])
            return 0;
        int64_t r = s->i[3], d[6] = {0, C, H / r, r, W / r, r};
        if (H % r || W % r || !reshapes_batch(k, s, d, 6))
            return 0;
        new_val(k, n->out[0], V_UNSHUFFLE_BLOCKS, x->layer)->groups = (int)r;
        return 1;
    }
    if (x->kind == V_UNSHUFFLE_BLOCKS) {
        if (strcmp(n->op, "Transpose") != 0 || !moves_blocks(n)) {
            *st = fail_at(k, n, "a map cut into %d x %d blocks, then other than moved to channels (Transpose perm "
                                "(0, 1, 3, 5, 2, 4), a pixel unshuffle)", x->groups, x->groups);
            return 1;
        }
        new_val(k, n->out[0], V_UNSHUFFLE_MOVED, x->layer)->groups = x->groups;
        return 1;
    }
    int r = x->groups;
    int64_t d[4] = {0, (int64_t)C * r * r, H / r, W / r};
    if (!reshape || !reshapes_batch(k, shape_input(k, n, 1), d, 4)) {
        *st = fail_at(k, n, "a pixel unshuffle by %d not reshaped to (N, %lld, %d, %d)", r, (long long)d[1], H / r,
                      W / r);
        return 1;
    }
    int L = add_layer(k, "pixel_unshuffle", n->out[0], &x->layer, 1);
    if (L < 0) {
        *st = fail_at(k, n, "too many layers");
        return 1;
    }
    keyf(k, L, "scale: %d", r);
    new_val(k, n->out[0], V_LAYER, L);
    return 1;
}

/* Pad with zeros of a map's spatial axes, read by convolutions and average
 * pools only (PyTorch writes F.avg_pool2d(x, 3, 1, padding=1) as Pad +
 * AveragePool): their own zero padding, added to theirs (pad_window). */
static dlc_status op_pad(imp *k, const onnx_node *n)
{
    ival *x = val(k, n->in[0]);
    const onnx_attr *mode = onnx_attr_get(n, "mode"), *pa = onnx_attr_get(n, "pads"),
                    *va = onnx_attr_get(n, "value");
    const onnx_tensor *cv = cst(k, n, 2);
    int64_t p[2 * ONNX_MAX_DIMS], xd[ONNX_MAX_DIMS];
    int np = 0, r;
    if (mode && mode->s && strcmp(mode->s, "constant") != 0)
        return fail_at(k, n, "mode %s (dlc pads with zeros only, inside a convolution or an average pool)",
                       mode->s);
    if ((va && va->f != 0.0f) || (cv && cv->n >= 1 && (cv->f ? cv->f[0] != 0.0f : cv->i && cv->i[0] != 0)))
        return fail_at(k, n, "a padding value other than 0 (dlc pads with zeros only)");
    if (n->n_in > 3 && n->in[3][0])
        return fail_at(k, n, "an axes input (dlc reads pads of every axis)");
    ival unpadded = x ? *x : (ival){0}; /* a Pad of a Pad: the two added */
    unpadded.kind = x && x->kind == V_PADDED ? V_LAYER : unpadded.kind;
    if (!x || !(r = shape_of(k, &unpadded, xd)))
        return fail_at(k, n, "its input is not a map dlc computes");
    if (pa) {
        np = pa->n_ints <= 2 * ONNX_MAX_DIMS ? pa->n_ints : 0;
        memcpy(p, pa->ints, sizeof *p * (size_t)np);
    } else if (!known_ints(k, n, 1, p, &np)) {
        return fail_at(k, n, "its pads are not constants");
    }
    int nsp = r - 2, zero = 1;
    if (np != 2 * r || nsp < 1 || nsp > 3)
        return fail_at(k, n, "%d pads for a value of rank %d (dlc pads the 1 to 3 spatial axes of (N, C, ...))",
                       np, r);
    for (int i = 0; i < np; i++) {
        if (p[i] < 0)
            return fail_at(k, n, "a negative pad (a crop)");
        if ((i % r < 2) && p[i])
            return fail_at(k, n, "pads the batch or channel axis (dlc pads spatial axes only)");
        zero &= p[i] == 0;
    }
    if (zero) { /* F.avg_pool2d(x, 2) at opset 13 pads by nothing */
        ival *y = new_val(k, n->out[0], x->kind, x->layer);
        y->src = x->src;
        y->nk = x->nk;
        memcpy(y->kv, x->kv, sizeof y->kv);
        return DLC_OK;
    }
    for (int q = (int)(n - k->m->nodes) + 1; q < k->m->n_nodes; q++) {
        const onnx_node *c = &k->m->nodes[q];
        for (int i = 0; i < c->n_in; i++)
            if (!strcmp(c->in[i], n->out[0]) &&
                (i != 0 || (strcmp(c->op, "Conv") && strcmp(c->op, "AveragePool") && strcmp(c->op, "Pad"))))
                return fail_at(k, n, "zero padding read by '%s' (%s): dlc has no pad layer; it pads inside a "
                                     "convolution or an average pool, whose padding it becomes",
                               node_name(c), c->op);
    }
    ival *y = new_val(k, n->out[0], V_PADDED, x->layer);
    y->src = x->kind == V_PADDED ? x->src : x->name;
    y->nk = 2 * nsp;
    for (int i = 0; i < nsp; i++) {
        y->kv[i] = p[2 + i] + (x->kind == V_PADDED ? x->kv[i] : 0);
        y->kv[nsp + i] = p[r + 2 + i] + (x->kind == V_PADDED ? x->kv[nsp + i] : 0);
    }
    return DLC_OK;
}

/* A Conv or AveragePool of a V_PADDED value: the node with the Pad's pads
 * added to its own, on the unpadded input (an average pool counts the zeros:
 * count_include_pad). */
static dlc_status pad_window(imp *k, const onnx_node *n, const ival *x)
{
    int avg = !strcmp(n->op, "AveragePool"), nsp = x->nk / 2;
    const onnx_attr *pd = onnx_attr_get(n, "pads"), *ap = onnx_attr_get(n, "auto_pad"),
                    *cip = onnx_attr_get(n, "count_include_pad");
    if (ap && ap->s && strcmp(ap->s, "NOTSET") != 0)
        return fail_at(k, n, "auto_pad %s after a Pad", ap->s);
    if (pd && pd->n_ints != 2 * nsp)
        return fail_at(k, n, "pads has %d values for %d spatial axes", pd->n_ints, nsp);
    int own = 0;
    for (int i = 0; pd && i < pd->n_ints; i++)
        own |= pd->ints[i] != 0;
    if (avg && own && (!cip || !cip->i))
        return fail_at(k, n, "its own padding not counted (count_include_pad=0) after a Pad's zeros, "
                             "which it counts: dlc's avgpool counts both or neither");
    int64_t pads[6];
    for (int i = 0; i < 2 * nsp; i++)
        pads[i] = x->kv[i] + (pd ? pd->ints[i] : 0);
    onnx_attr *at = calloc((size_t)n->n_attr + 2, sizeof *at);
    char **in = calloc((size_t)n->n_in, sizeof *in);
    if (!at || !in) {
        free(at);
        free(in);
        return DLC_NOMEM(k->err);
    }
    int m = 0;
    for (int i = 0; i < n->n_attr; i++)
        if (strcmp(n->attr[i].name, "pads") && strcmp(n->attr[i].name, "count_include_pad"))
            at[m++] = n->attr[i];
    at[m++] = (onnx_attr){.name = "pads", .type = 7, .n_ints = 2 * nsp, .ints = pads};
    if (avg)
        at[m++] = (onnx_attr){.name = "count_include_pad", .type = 2, .i = 1};
    memcpy(in, n->in, sizeof *in * (size_t)n->n_in);
    in[0] = (char *)x->src;
    onnx_node padded = *n;
    padded.attr = at;
    padded.n_attr = m;
    padded.in = in;
    dlc_status st = avg ? op_pool(k, &padded) : op_conv(k, &padded);
    free(at);
    free(in);
    return st;
}

/* Pad, and what reads its output: 1 when n is either (*st its outcome). */
static int pad_step(imp *k, const onnx_node *n, dlc_status *st)
{
    ival *x = n->n_in > 0 && n->in[0][0] ? val(k, n->in[0]) : NULL;
    if (!strcmp(n->op, "Pad"))
        *st = op_pad(k, n);
    else if (x && x->kind == V_PADDED)
        *st = pad_window(k, n, x);
    else
        return 0;
    return 1;
}

/* Split of one axis of the sample (torch.split, torch.chunk at opset 18):
 * a slice layer per piece. */
static dlc_status op_split(imp *k, const onnx_node *n)
{
    const onnx_attr *ax = onnx_attr_get(n, "axis"), *sa = onnx_attr_get(n, "split");
    int64_t sizes[ONNX_MAX_DIMS * 8], xd[ONNX_MAX_DIMS];
    int ns = 0, in;
    dlc_status st = layer_in(k, n, 0, &in);
    if (st)
        return st;
    int r = shape_of(k, val(k, n->in[0]), xd);
    int64_t axis = ax ? ax->i : 0;
    axis += axis < 0 ? r : 0;
    if (!r || axis < 1 || axis >= r)
        return fail_at(k, n, "axis %lld (dlc splits an axis of a map or vector's sample, >= 1)",
                       ax ? (long long)ax->i : 0LL);
    if (n->n_out > (int)(sizeof sizes / sizeof *sizes))
        return fail_at(k, n, "%d pieces", n->n_out);
    if (sa) {
        ns = sa->n_ints <= n->n_out ? sa->n_ints : 0;
        memcpy(sizes, sa->ints, sizeof *sizes * (size_t)ns);
    } else if (n->n_in > 1 && n->in[1][0]) {
        const onnx_tensor *c = cst(k, n, 1);
        if (!c || !c->i || c->n != (size_t)n->n_out)
            return fail_at(k, n, "its sizes are not a constant of one per output");
        ns = (int)c->n;
        memcpy(sizes, c->i, sizeof *sizes * c->n);
    } else { /* equal pieces, the last smaller (opset 18's num_outputs) */
        int64_t each = (xd[axis] + n->n_out - 1) / n->n_out;
        for (ns = 0; ns < n->n_out; ns++)
            sizes[ns] = ns + 1 < n->n_out ? each : xd[axis] - each * (n->n_out - 1);
    }
    int64_t at = 0;
    for (int i = 0; i < ns; i++)
        at += sizes[i] > 0 ? sizes[i] : -xd[axis] - 1;
    if (ns != n->n_out || at != xd[axis])
        return fail_at(k, n, "%d pieces (the outputs: %d) that do not add up to the axis's %lld", ns, n->n_out,
                       (long long)xd[axis]);
    at = 0;
    for (int i = 0; i < ns; i++) {
        if (n->out[i][0]) {
            int L = add_layer(k, "slice", n->out[i], &in, 1);
            if (L < 0)
                return fail_at(k, n, "too many layers");
            keyf(k, L, "axis: %lld, start: %lld, end: %lld", (long long)axis - 1, (long long)at,
                 (long long)(at + sizes[i]));
            new_val(k, n->out[i], V_LAYER, L);
        }
        at += sizes[i];
    }
    return DLC_OK;
}

/* Sub and Mul by constants of the input's size, straight on the input: the
 * normalization (x - shift) * scale that dlc's exports begin with. */
/* Whether layer L's output reaches one node alone: its values (the layer's
 * output and views of it, a bias added) each read once, by the next. */
static int layer_alone(const imp *k, int L)
{
    int vals = 0, uses = 0;
    for (int i = 0; i < k->nv; i++)
        if (k->v[i].layer == L && (k->v[i].kind == V_LAYER || k->v[i].kind == V_CHANNELS_LAST)) {
            vals++;
            uses += k->v[i].uses;
        }
    return uses == vals;
}

/* Mul of a linear layer's map by a constant of one value per channel (ConvNeXt's
 * layer_scale, a (C, 1, 1) parameter after its block's channels-last MatMul) or
 * of one value: folded into the layer's weight and bias, each filter's times its
 * channel's value (fine-tuning then trains their product).  1 when node n is one
 * (*st its outcome), 0 when not. */
static int scale_step(imp *k, const onnx_node *n, dlc_status *st)
{
    *st = DLC_OK;
    if (strcmp(n->op, "Mul") != 0 || n->n_in != 2)
        return 0;
    for (int ci = 0; ci < 2; ci++) {
        const onnx_tensor *c = cst(k, n, ci);
        ival *x = val(k, n->in[1 - ci]);
        if (!c || !c->f || !x || (x->kind != V_LAYER && x->kind != V_CHANNELS_LAST) || x->layer < 0 || x->flat)
            continue;
        tensor_shape xs;
        if ((*st = layer_shape(k, x->layer, &xs)))
            return 1;
        int d0 = 0; /* its dims without leading 1s: (C, 1, ...) over a map's axes, (C) channels-last */
        while (d0 < c->ndim && c->dims[d0] == 1)
            d0++;
        int per_channel = c->n == (size_t)xs.d[0] && d0 < c->ndim && c->dims[d0] == xs.d[0] &&
                          c->ndim - d0 == (x->kind == V_CHANNELS_LAST ? 1 : xs.ndim);
        if (!per_channel && c->n != 1)
            return 0;
        ilayer *L = &k->l[x->layer];
        int linear = !strcmp(L->type, "dense") || !strncmp(L->type, "conv", 4);
        if (!linear || L->act != ACT_LINEAR || !layer_alone(k, x->layer)) {
            *st = fail_at(k, n, "multiplies '%s' by a constant per channel; dlc folds that into the dense or "
                                "convolution layer before it, and this is %s (%s)%s: multiply before the activation "
                                "or the sum, or leave the scale out",
                          x->name, L->name, L->type,
                          !linear ? "" : L->act != ACT_LINEAR ? " after its activation" : ", which other nodes read too");
            return 1;
        }
        size_t F = (size_t)xs.d[0];
        for (int w = 0; w < k->nw; w++) {
            iweight *iw = &k->w[w];
            if (iw->layer != x->layer || iw->n % F)
                continue;
            size_t per = iw->n / F; /* weight (F, ...) or bias (F) */
            for (size_t i = 0; i < iw->n; i++)
                iw->v[i] *= c->f[c->n == 1 ? 0 : i / per];
        }
        *st = same_view(k, n, x, x->layer);
        return 1;
    }
    return 0;
}

static dlc_status op_norm(imp *k, const onnx_node *n)
{
    ival *x = val(k, n->in[0]);
    const onnx_tensor *c = cst(k, n, 1);
    int sub = !strcmp(n->op, "Sub");
    ival *y = n->n_in == 2 ? val(k, n->in[1]) : NULL;
    for (int i = 0; i < 2 && !sub && x && y; i++) {
        ival *gate = i ? x : y, *of = i ? y : x;
        if (gate->kind == V_GATE_OF_SELF && !strcmp(gate->src, of->name))
            return apply_act(k, n, of, gate->alone, gate->act, 0.01f, 0.5f);
    }
    if (x && y && x->kind == V_LAYER && y->kind == V_LAYER) {
        /* of two tensors: dlc's subtract and multiply (its exports chain a
         * multiply of several inputs as Muls of two); a map (N, C, ...) times a globally
         * pooled (N, C, 1, 1), dlc's (C), is a multiply by a gate (squeeze-and-excitation) */
        tensor_shape xs, ys;
        dlc_status st;
        if ((st = layer_shape(k, x->layer, &xs)) || (st = layer_shape(k, y->layer, &ys)))
            return st;
        const ival *vec = xs.ndim == 1 && ys.ndim > 1 ? x : ys.ndim == 1 && xs.ndim > 1 ? y : NULL;
        if (vec && !vec->flat)
            return fail_at(k, n, "'%s' is (N, %d), which ONNX broadcasts against the trailing axes of the "
                                 "other input (N, %d, ...), not its channels (dlc multiplies a map by a gate "
                                 "of one value per channel, (N, C, 1, ...) in ONNX)",
                           vec->name, (vec == x ? xs : ys).d[0], (vec == x ? ys : xs).d[0]);
        int in[2] = {x->layer, y->layer};
        int L = add_layer(k, sub ? "subtract" : "multiply", n->out[0], in, 2);
        if (L < 0)
            return fail_at(k, n, "too many layers");
        new_val(k, n->out[0], V_LAYER, L)->flat = x->flat && y->flat;
        return DLC_OK;
    }
    dlc_status fst;
    if (scale_step(k, n, &fst))
        return fst;
    if (!x || x->kind != V_LAYER || x->layer != -1 || !c || !c->f || x->uses != 1 || k->pre ||
        (sub && k->shift) || (!sub && k->scale) || (k->norm_n && c->n != k->norm_n))
        return fail_at(k, n, "%s other than the input's normalization", n->op);
    float *v = copy_floats(c);
    if (!v)
        return DLC_NOMEM(k->err);
    if (sub)
        k->shift = v;
    else
        k->scale = v;
    k->norm_n = c->n;
    new_val(k, n->out[0], V_LAYER, -1);
    return DLC_OK;
}

/* ---- a per-channel affine of the input (torchvision's transform_input) ----
 * GoogLeNet and Inception v3 with transform_input=True (their pretrained form)
 * begin with, for each channel c, x[:, c].unsqueeze(1) * a_c + b_c, joined by
 * torch.cat: Gather, Unsqueeze, Mul, Add, then Concat.  That is the input
 * times a per channel plus b, which composes with the normalization before it
 * into one normalization: nothing is left to compute at run time. */

/* Node n's scalar float constant input i into *v: 0 when it is not one. */
static int scalar_const(imp *k, const onnx_node *n, int i, double *v)
{
    const onnx_tensor *c = cst(k, n, i);
    if (!c || !c->f || c->n != 1)
        return 0;
    *v = c->f[0];
    return 1;
}

static dlc_status channel_concat(imp *k, const onnx_node *n)
{
    const onnx_attr *ax = onnx_attr_get(n, "axis");
    int C = k->in.d[0];
    if (!ax || (ax->i != 1 && ax->i != 1 - (k->in.ndim + 1)))
        return fail_at(k, n, "a Concat of channels of the input picked by Gather along axis %lld (a "
                             "per-channel affine of the input joins them along axis 1)",
                       ax ? (long long)ax->i : 0LL);
    if (n->n_in != C || k->pre)
        return fail_at(k, n, "a Concat of %d picks of the input's %d channels (dlc folds a per-channel "
                             "affine of the input into its normalization when every channel is "
                             "picked once, in order)", n->n_in, C);
    float *pre = malloc(sizeof *pre * 2 * (size_t)C);
    if (!pre)
        return DLC_NOMEM(k->err);
    for (int c = 0; c < C; c++) {
        const ival *x = val(k, n->in[c]);
        const char *why = x->kind != V_CHANNEL ? "is not a pick of an input channel"
                          : x->groups != c      ? "is another channel (dlc's normalization does not reorder channels)"
                          : !x->flat            ? "has lost its channel axis (no Unsqueeze)"
                          : x->uses != 1        ? "is used elsewhere too"
                          : x->aff[0] == 0.0    ? "multiplies the channel by 0"
                                                : NULL;
        if (why) {
            free(pre);
            return fail_at(k, n, "a Concat of the input's channels whose input %d ('%s') %s", c, n->in[c], why);
        }
        pre[c] = (float)x->aff[0];
        pre[C + c] = (float)x->aff[1];
    }
    k->pre = pre;
    new_val(k, n->out[0], V_LAYER, -1);
    return DLC_OK;
}

/* One step of a per-channel affine of the input: 1 when node n is one (*st its outcome). */
static int channel_step(imp *k, const onnx_node *n, dlc_status *st)
{
    *st = DLC_OK;
    ival *x = n->n_in > 0 ? val(k, n->in[0]) : NULL, *y = n->n_in > 1 ? val(k, n->in[1]) : NULL;
    int picks = 0;
    for (int i = 0; i < n->n_in; i++) {
        const ival *v = n->in[i][0] ? val(k, n->in[i]) : NULL;
        picks += v && v->kind == V_CHANNEL;
    }
    if (!strcmp(n->op, "Gather") && x && x->kind == V_LAYER && x->layer == -1 && k->in.ndim >= 1) {
        const onnx_attr *ax = onnx_attr_get(n, "axis");
        const onnx_tensor *ix = cst(k, n, 1);
        int64_t axis = ax ? ax->i : 0, C = k->in.d[0];
        if (axis != 1 && axis != 1 - (k->in.ndim + 1)) {
            *st = fail_at(k, n, "a Gather of the input along axis %lld (dlc reads Gather as an embedding's "
                                "lookup of rows in a constant matrix, or as a pick of one channel x[:, c] "
                                "of the input, axis 1, in a per-channel affine of it)",
                          (long long)axis);
            return 1;
        }
        if (!ix || !ix->i || ix->n != 1 || ix->ndim > 1 || ix->i[0] < -C || ix->i[0] >= C) {
            *st = fail_at(k, n, "a Gather of the input's channels by indices other than one constant in "
                                "[-%lld, %lld)", (long long)C, (long long)C);
            return 1;
        }
        if (x->uses != C) {
            *st = fail_at(k, n, "a pick of an input channel, where the input is read by %d nodes (dlc folds "
                                "a per-channel affine of the input when its %lld channels' picks are all "
                                "that read it)", x->uses, (long long)C);
            return 1;
        }
        ival *v = new_val(k, n->out[0], V_CHANNEL, -1);
        v->groups = (int)(ix->i[0] < 0 ? ix->i[0] + C : ix->i[0]);
        v->flat = ix->ndim == 1; /* a 1-element index keeps the axis */
        v->aff[0] = 1.0;
        return 1;
    }
    if (!picks)
        return 0;
    if (!strcmp(n->op, "Concat")) {
        *st = picks == n->n_in ? channel_concat(k, n)
                               : fail_at(k, n, "a Concat of picks of the input's channels (Gather) with "
                                               "other tensors (dlc folds only a per-channel affine of the "
                                               "whole input)");
        return 1;
    }
    const char *what = NULL;
    double c = 0;
    if (x && x->kind == V_CHANNEL && x->uses != 1) {
        what = "uses a pick of an input channel that is used elsewhere too";
    } else if (!strcmp(n->op, "Unsqueeze") && x->kind == V_CHANNEL && !x->flat) {
        const onnx_attr *axes = onnx_attr_get(n, "axes");
        const onnx_tensor *ai = cst(k, n, 1);
        int64_t axis = axes && axes->n_ints == 1 ? axes->ints[0] : ai && ai->i && ai->n == 1 ? ai->i[0] : -99;
        if (axis == 1 || axis == -k->in.ndim - 1) {
            ival *v = new_val(k, n->out[0], V_CHANNEL, -1);
            *v = *x;
            v->name = n->out[0];
            v->flat = 1;
            return 1;
        }
        what = "an Unsqueeze of a pick of an input channel other than back at axis 1";
    } else if (n->n_in == 2 && (!strcmp(n->op, "Mul") || !strcmp(n->op, "Add") ||
                                              !strcmp(n->op, "Sub") || !strcmp(n->op, "Div"))) {
        int i = x->kind == V_CHANNEL ? 0 : 1; /* the pick's side */
        ival *p = i ? y : x;
        if (picks == 2)
            what = "combines two picks of input channels";
        else if (p->uses != 1)
            what = "uses a pick of an input channel that is used elsewhere too";
        else if (!scalar_const(k, n, 1 - i, &c))
            what = "combines a pick of an input channel with something other than a scalar constant";
        else if (!strcmp(n->op, "Div") && (i == 1 || c == 0.0))
            what = "divides by a pick of an input channel, or by 0";
        if (!what) {
            ival *v = new_val(k, n->out[0], V_CHANNEL, -1);
            *v = *p;
            v->name = n->out[0];
            if (!strcmp(n->op, "Mul")) {
                v->aff[0] *= c;
                v->aff[1] *= c;
            } else if (!strcmp(n->op, "Div")) {
                v->aff[0] /= c;
                v->aff[1] /= c;
            } else if (!strcmp(n->op, "Add")) {
                v->aff[1] += c;
            } else if (i == 0) { /* x - c */
                v->aff[1] -= c;
            } else { /* c - x */
                v->aff[0] = -v->aff[0];
                v->aff[1] = c - v->aff[1];
            }
            return 1;
        }
    }
    *st = fail_at(k, n, "%s (dlc reads picks of the input's channels, x[:, c], only as a per-channel "
                        "affine of the input: Unsqueeze at axis 1, Mul, Add, Sub or Div by scalar "
                        "constants, then a Concat of every channel in order)",
                  what ? what : "an op on a pick of an input channel");
    return 1;
}

/* ---- scalar_mix as dlc exports it ----
 * Softmax(weight, axis 0) * gamma, each input times its coefficient (Gather), then Sum:
 * one scalar_mix layer.  1 when node n is a step of it (*st its outcome). */
static int mix_step(imp *k, const onnx_node *n, dlc_status *st)
{
    *st = DLC_OK;
    ival *a = n->n_in > 0 ? val(k, n->in[0]) : NULL, *b = n->n_in > 1 ? val(k, n->in[1]) : NULL;
    if (!a)
        return 0;
    if (!strcmp(n->op, "Softmax") && a->kind == V_CONST && a->c->f && a->c->ndim == 1 && a->c->n >= 2 &&
        a->c->n <= GRAPH_MAX_INPUTS) {
        const onnx_attr *ax = onnx_attr_get(n, "axis");
        if (ax && ax->i != 0 && ax->i != -1) {
            *st = fail_at(k, n, "a Softmax of a constant vector along axis %lld", (long long)ax->i);
            return 1;
        }
        new_val(k, n->out[0], V_MIX_SOFT, -1)->c = a->c;
        return 1;
    }
    if (!strcmp(n->op, "Mul") && b) {
        for (int i = 0; i < 2; i++) {
            ival *s = i ? b : a;
            const onnx_tensor *g = cst(k, n, 1 - i);
            if (s->kind == V_MIX_SOFT && g && g->f && g->n == 1) {
                ival *y = new_val(k, n->out[0], V_MIX_COEF, -1);
                y->c = s->c;
                y->c2 = g;
                return 1;
            }
            ival *x = i ? a : b;
            if (s->kind == V_MIX_COEF_J && x->kind == V_LAYER) {
                ival *y = new_val(k, n->out[0], V_MIX_TERM, x->layer);
                y->c = s->c;
                y->c2 = s->c2;
                y->groups = s->groups;
                return 1;
            }
        }
    }
    if (!strcmp(n->op, "Gather") && a->kind == V_MIX_COEF) {
        const onnx_tensor *j = cst(k, n, 1);
        const onnx_attr *ax = onnx_attr_get(n, "axis");
        if (!j || !j->i || j->n != 1 || j->ndim != 0 || j->i[0] < 0 || (size_t)j->i[0] >= a->c->n ||
            (ax && ax->i != 0)) {
            *st = fail_at(k, n, "a Gather of a scalar mix's coefficients other than one of them by a constant");
            return 1;
        }
        ival *y = new_val(k, n->out[0], V_MIX_COEF_J, -1);
        y->c = a->c;
        y->c2 = a->c2;
        y->groups = (int)j->i[0];
        return 1;
    }
    if ((strcmp(n->op, "Sum") && strcmp(n->op, "Add")) || a->kind != V_MIX_TERM)
        return 0;
    /* every coefficient once, in order: input j times coefficient j */
    int in[GRAPH_MAX_INPUTS];
    int ok = (size_t)n->n_in == a->c->n;
    for (int j = 0; j < n->n_in && ok; j++) {
        const ival *t = val(k, n->in[j]);
        ok = t && t->kind == V_MIX_TERM && t->c == a->c && t->c2 == a->c2 && t->groups == j;
        if (ok)
            in[j] = t->layer;
    }
    if (!ok) {
        *st = fail_at(k, n, "a %s of inputs times a scalar mix's coefficients other than each of its %zu "
                            "once, in order (dlc's scalar_mix)", n->op, a->c->n);
        return 1;
    }
    int L = add_layer(k, "scalar_mix", n->out[0], in, n->n_in);
    if (L < 0) {
        *st = fail_at(k, n, "too many layers");
        return 1;
    }
    if ((*st = add_weight(k, L, "weight", copy_floats(a->c), a->c->n)) == DLC_OK)
        *st = add_weight(k, L, "gamma", copy_floats(a->c2), 1);
    if (*st == DLC_OK)
        new_val(k, n->out[0], V_LAYER, L);
    return 1;
}

static dlc_status convert(imp *k, const onnx_node *n)
{
    const char *op = n->op;
    if (n->n_out < 1)
        return fail_at(k, n, "no output");
    if (!strcmp(op, "Constant")) {
        const onnx_attr *a = onnx_attr_get(n, "value");
        if (!a || !a->t)
            return fail_at(k, n, "a constant other than a tensor");
        new_val(k, n->out[0], V_CONST, -1)->c = a->t;
        return DLC_OK;
    }
    dlc_status gst;
    if (shape_step(k, n, &gst) || channel_step(k, n, &gst) || mix_step(k, n, &gst) ||
        shuffle_step(k, n, &gst) || unshuffle_step(k, n, &gst) || pad_step(k, n, &gst))
        return gst;
    if (!strcmp(op, "Split"))
        return op_split(k, n);
    if (!strcmp(op, "Shape")) {
        ival *x = val(k, n->in[0]);
        const onnx_attr *start = onnx_attr_get(n, "start");
        ival *y = new_val(k, n->out[0], V_SHAPE, -1);
        if (x && x->kind == V_LAYER && (!start || start->i == 0))
            y->batch = SHAPE_OF_BATCH_FIRST;
        return DLC_OK;
    }
    if (!strcmp(op, "ConstantOfShape")) {
        const onnx_attr *a = onnx_attr_get(n, "value");
        int zero = !a || !a->t || a->t->n == 0 || (a->t->f ? a->t->f[0] == 0.0f : a->t->i[0] == 0);
        if (!zero)
            return fail_at(k, n, "a constant other than zeros");
        new_val(k, n->out[0], V_ZEROS, -1);
        return DLC_OK;
    }
    if (!strcmp(op, "Identity") || !strcmp(op, "Cast") || !strcmp(op, "Round")) {
        ival *x = val(k, n->in[0]);
        if (!x)
            return fail_at(k, n, "unknown input");
        ival *y = new_val(k, n->out[0], x->kind, x->layer);
        y->c = x->c;
        y->flat = x->flat;
        y->batch = x->batch;
        y->rank = x->rank;
        return DLC_OK;
    }
    if (!strcmp(op, "Dropout")) {
        int in;
        dlc_status st = layer_in(k, n, 0, &in);
        if (st)
            return st;
        const onnx_attr *r = onnx_attr_get(n, "ratio");
        const onnx_tensor *rt = cst(k, n, 1);
        float rate = r ? r->f : rt && rt->f ? rt->f[0] : 0.5f;
        int L = add_layer(k, "dropout", n->out[0], &in, 1);
        if (L < 0)
            return fail_at(k, n, "too many layers");
        keyf(k, L, "rate: %.9g", rate);
        new_val(k, n->out[0], V_LAYER, L);
        return DLC_OK;
    }
    if (gelu_step(k, n, &gst) || ln_step(k, n, &gst))
        return gst;
    if (!strcmp(op, "Erf") || !strcmp(op, "Div") || !strcmp(op, "Pow") || !strcmp(op, "Sqrt"))
        return fail_at(k, n, "%s other than in gelu's x * (1 + erf(x / sqrt 2)) / 2 or a layer "
                             "normalization's (x - mean) / sqrt(var + eps)", op);
    if (!strcmp(op, "Conv"))
        return op_conv(k, n);
    if (!strcmp(op, "ConvTranspose"))
        return op_conv_transpose(k, n);
    if (!strcmp(op, "DepthToSpace") || !strcmp(op, "SpaceToDepth"))
        return op_depth_space(k, n);
    if (!strcmp(op, "MaxPool") || !strcmp(op, "AveragePool"))
        return op_pool(k, n);
    if (!strcmp(op, "GlobalAveragePool"))
        return op_simple(k, n, "global_avgpool");
    if (!strcmp(op, "ReduceMean"))
        return op_reduce_mean(k, n);
    if (!strcmp(op, "ReduceSum"))
        return op_reduce_sum(k, n);
    if (!strcmp(op, "Flatten"))
        return op_flatten(k, n);
    if (!strcmp(op, "Reshape"))
        return op_reshape(k, n);
    if (!strcmp(op, "Gemm") || !strcmp(op, "MatMul"))
        return op_dense(k, n);
    if (!strcmp(op, "Add") || !strcmp(op, "Sum"))
        return op_add(k, n);
    if (!strcmp(op, "Concat"))
        return op_concat(k, n);
    if (!strcmp(op, "Resize"))
        return op_resize(k, n);
    if (!strcmp(op, "Slice"))
        return op_slice(k, n);
    if (!strcmp(op, "BatchNormalization"))
        return op_batchnorm(k, n);
    if (!strcmp(op, "LayerNormalization"))
        return op_layernorm(k, n);
    if (!strcmp(op, "Gather"))
        return op_gather(k, n);
    if (!strcmp(op, "LSTM") || !strcmp(op, "GRU") || !strcmp(op, "RNN"))
        return op_recurrent(k, n);
    if (!strcmp(op, "Transpose") || !strcmp(op, "Squeeze") || !strcmp(op, "Unsqueeze"))
        return op_view(k, n);
    if (!strcmp(op, "Sub") || !strcmp(op, "Mul"))
        return op_norm(k, n);
    return op_activation(k, n);
}

/* ---- the config and the model ---- */

static void yaml_str(dlc_buf *b, const char *s)
{
    json_write_string(b, s); /* a JSON string is a YAML double-quoted scalar */
}

static const char *layer_ref(const imp *k, int id)
{
    return id < 0 ? "input" : k->l[id].name;
}

static dlc_status config_text(imp *k, const tensor_shape *in, int out, const char *loss, int text_ids,
                              int normalized, const char *name, dlc_buf *y)
{
    dlc_buf_printf(y, "name: ");
    yaml_str(y, name);
    int image = !text_ids && in->ndim == 3 && (in->d[0] == 1 || in->d[0] == 3);
    /* data to fine-tune on is the user's: a placeholder of the right kind */
    if (image)
        dlc_buf_printf(y, "\ndata:\n  format: image_folder\n  train: {dir: train}\n");
    else
        dlc_buf_printf(y, "\ndata:\n  format: csv\n  train: {file: train.csv}\n  label: label\n");
    dlc_buf_printf(y, "  normalize: %s\nmodel:\n  input: [", normalized ? "standard" : "none");
    for (int i = 0; i < in->ndim; i++)
        dlc_buf_printf(y, i ? ", %d" : "%d", in->d[i]);
    dlc_buf_printf(y, "]\n  layers:\n");
    for (int i = 0; i < k->nl; i++) {
        const ilayer *L = &k->l[i];
        dlc_buf_printf(y, "    - {name: ");
        yaml_str(y, L->name);
        dlc_buf_printf(y, ", type: %s, inputs: [", L->type);
        for (int j = 0; j < L->n_in; j++) {
            dlc_buf_printf(y, j ? ", " : "");
            yaml_str(y, layer_ref(k, L->in[j]));
        }
        dlc_buf_printf(y, "], activation: %s", graph_act_names[L->act]);
        if (L->act == ACT_LEAKY_RELU || L->act == ACT_ELU)
            dlc_buf_printf(y, ", alpha: %.9g", L->alpha);
        if (L->act == ACT_HARDSIGMOID)
            dlc_buf_printf(y, ", slope: %.9g, offset: %.9g", L->alpha, L->beta);
        if (!strcmp(L->type, "lstm") || !strcmp(L->type, "gru") || !strcmp(L->type, "rnn"))
            dlc_buf_printf(y, ", return_sequences: %s", L->seq_used ? "true" : "false");
        dlc_buf_printf(y, "%s}\n", L->keys.s ? L->keys.s : "");
    }
    dlc_buf_printf(y, "  outputs: [");
    yaml_str(y, k->l[out].name);
    dlc_buf_printf(y, "]\nloss: %s\n", loss);
    return y->failed ? DLC_NOMEM(k->err) : DLC_OK;
}

static void imp_free(imp *k)
{
    for (int i = 0; i < k->nl; i++)
        dlc_buf_free(&k->l[i].keys);
    for (int i = 0; i < k->nw; i++)
        free(k->w[i].v);
    free(k->l);
    free(k->v);
    free(k->w);
    free(k->shift);
    free(k->scale);
    free(k->pre);
    for (int i = 0; i < k->n_made; i++)
        onnx_tensor_clear(&k->made[i]);
    free(k->made);
}

dlc_status onnx_import(model *m, const char *path, const onnx_import_opts *o, char *note, size_t note_len,
                       dlc_error *err)
{
    onnx_model *om = NULL;
    imp k = {.err = err, .path = path};
    dlc_buf yaml = {0}, missing = {0};
    dlc_config cfg;
    int have_cfg = 0;
    char *resolved = NULL;
    memset(m, 0, sizeof *m);
    dlc_status st = onnx_read_file(&om, path, err);
    if (st)
        return st;
    k.m = om;
    /* every op dlc has no layer for, listed at once, each with how many
     * nodes use it and the first one's name (another domain's op by domain) */
    int n_missing = 0;
    for (int i = 0; i < om->n_nodes; i++) {
        const onnx_node *n = &om->nodes[i];
        if (!op_missing(n))
            continue;
        int seen = 0, count = 1;
        for (int j = 0; j < i && !seen; j++)
            seen = op_missing(&om->nodes[j]) && same_op(&om->nodes[j], n);
        if (seen)
            continue;
        for (int j = i + 1; j < om->n_nodes; j++)
            count += op_missing(&om->nodes[j]) && same_op(&om->nodes[j], n);
        const char *dom = op_domain(n), *name = node_name(n);
        if (count > 1)
            dlc_buf_printf(&missing, "%s%s%s%s (%d nodes, the first '%s')", n_missing ? ", " : "", dom,
                           *dom ? "." : "", n->op, count, name);
        else
            dlc_buf_printf(&missing, "%s%s%s%s (node '%s')", n_missing ? ", " : "", dom, *dom ? "." : "",
                           n->op, name);
        n_missing++;
    }
    if (n_missing) {
        st = dlc_fail(err, DLC_EINPUT, "%s: %d op%s dlc has no layer for: %s", path, n_missing,
                      n_missing > 1 ? "s" : "", missing.s ? missing.s : "");
        goto done;
    }
    size_t n_outs = 0; /* a Split has as many as it likes */
    for (int i = 0; i < om->n_nodes; i++)
        n_outs += (size_t)om->nodes[i].n_out;
    k.v = calloc((size_t)(om->n_inits + om->n_inputs + 3 * om->n_nodes + 1) + n_outs, sizeof *k.v);
    k.l = calloc(IMP_MAX_LAYERS, sizeof *k.l);
    k.made = calloc((size_t)om->n_nodes + 1, sizeof *k.made);
    if (!k.v || !k.l || !k.made) {
        st = DLC_NOMEM(err);
        goto done;
    }
    for (int i = 0; i < om->n_inits; i++)
        new_val(&k, om->inits[i].name ? om->inits[i].name : "", V_CONST, -1)->c = &om->inits[i];
    /* the model input: the one graph input that is not an initializer */
    const onnx_value *gin = NULL;
    for (int i = 0; i < om->n_inputs; i++)
        if (!onnx_init_get(om, om->inputs[i].name)) {
            if (gin) {
                st = dlc_fail(err, DLC_EINPUT, "%s: the graph has several inputs ('%s', '%s'); a dlc "
                              "model has one", path, gin->name, om->inputs[i].name);
                goto done;
            }
            gin = &om->inputs[i];
        }
    if (!gin || !gin->has_shape || gin->ndim < 2 || gin->ndim > TENSOR_MAX_DIMS) {
        st = dlc_fail(err, DLC_EINPUT, "%s: the graph input has no shape of (batch, ...) dlc can read", path);
        goto done;
    }
    tensor_shape in = {gin->ndim - 1, {0}};
    k.in.ndim = 0;
    if (o->n_input && o->n_input != gin->ndim - 1) {
        st = dlc_fail(err, DLC_EINPUT, "%s: --input gives %d dims, but input '%s' has %d besides the batch",
                      path, o->n_input, gin->name, gin->ndim - 1);
        goto done;
    }
    for (int i = 1; i < gin->ndim; i++) {
        if (o->n_input && gin->dims[i] > 0 && gin->dims[i] != o->input[i - 1]) {
            st = dlc_fail(err, DLC_EINPUT, "%s: --input gives dimension %d as %d, but input '%s' fixes it "
                          "at %lld", path, i, o->input[i - 1], gin->name, (long long)gin->dims[i]);
            goto done;
        }
        if (gin->dims[i] < 1 && !o->n_input) {
            st = dlc_fail(err, DLC_EINPUT, "%s: input '%s' has a dimension %d that is not fixed; dlc "
                          "models take inputs of one shape: give it with --input (the example's "
                          "shape, e.g. --input 3,224,224)", path, gin->name, i);
            goto done;
        }
        in.d[i - 1] = o->n_input ? o->input[i - 1] : (int)gin->dims[i];
    }
    int text_ids = gin->dtype == 7 || gin->dtype == 6;
    k.in = in;
    k.in_batch = gin->dims[0] > 0 ? gin->dims[0] : 0;
    new_val(&k, gin->name, V_LAYER, -1);
    /* the output: "logits" when present (dlc's exports), else the first */
    const char *oname = om->n_outputs ? om->outputs[0].name : NULL;
    for (int i = 0; i < om->n_outputs; i++)
        if (!strcmp(om->outputs[i].name, "logits"))
            oname = om->outputs[i].name;
    /* only the nodes the output needs (a dlc export's probabilities are the loss's link) */
    char *needed = calloc((size_t)om->n_nodes + 1, 1);
    if (!needed) {
        st = DLC_NOMEM(err);
        goto done;
    }
    for (int i = om->n_nodes - 1; i >= 0; i--) {
        const onnx_node *n = &om->nodes[i];
        for (int u = 0; u < n->n_out && !needed[i]; u++) {
            needed[i] |= oname && !strcmp(n->out[u], oname);
            for (int q = i + 1; q < om->n_nodes && !needed[i]; q++)
                for (int r = 0; r < om->nodes[q].n_in && needed[q]; r++)
                    needed[i] |= n->out[u][0] && !strcmp(om->nodes[q].in[r], n->out[u]);
        }
    }
    for (int i = 0; i < om->n_nodes && st == DLC_OK; i++) {
        const onnx_node *n = &om->nodes[i];
        if (!needed[i])
            continue;
        for (int j = 0; j < n->n_in; j++) {
            ival *x = n->in[j][0] ? val(&k, n->in[j]) : NULL;
            if (n->in[j][0] && !x) {
                st = fail_at(&k, n, "input '%s' is used before it is computed", n->in[j]);
                break;
            }
        }
        if (st)
            break;
        /* uses of each input value by the graph (and its outputs): the nodes before this one
         * too, which read it as it was (an activation folded into its layer would change it
         * under them: torch.split's piece split again, then relu'd) */
        for (int j = 0; j < n->n_in; j++) {
            ival *x = n->in[j][0] ? val(&k, n->in[j]) : NULL;
            if (!x)
                continue;
            x->uses = 0;
            for (int q = 0; q < om->n_nodes; q++)
                for (int r = 0; r < om->nodes[q].n_in && needed[q]; r++)
                    x->uses += !strcmp(om->nodes[q].in[r], x->name);
            for (int q = 0; q < om->n_outputs; q++)
                x->uses += !strcmp(om->outputs[q].name, x->name);
        }
        st = convert(&k, n);
    }
    free(needed);
    if (st)
        goto done;
    ival *ov = oname ? val(&k, oname) : NULL;
    if (!ov || ov->kind != V_LAYER || ov->layer < 0) {
        st = dlc_fail(err, DLC_EINPUT, "%s: the output '%s' is not computed by a layer", path, oname ? oname : "?");
        goto done;
    }
    for (int i = 0; i < k.nl; i++)
        if (k.l[i].seq_used && k.l[i].last_used) {
            st = dlc_fail(err, DLC_EINPUT, "%s: recurrent layer '%s': both its sequence and its last state "
                          "are used (a dlc layer gives one)", path, k.l[i].name);
            goto done;
        }
    /* the loss: the file's (dlc's exports), else by the output: a map (C, H, W)
     * with no softmax or sigmoid of its own is a feature extractor's (VGG's
     * features) or a dense predictor's, whose classes, if any, are ONNX's
     * channels, not dlc's last axis: its values (mse), which predict prints
     * as they are, not as probabilities; else the output's activation */
    const char *loss = onnx_meta_get(om, "loss");
    act_kind out_act = k.l[ov->layer].act;
    tensor_shape os;
    int out_seq = 0;
    if (!loss || loss_find(loss) < 0) {
        if (out_act != ACT_SIGMOID && out_act != ACT_SOFTMAX &&
            layer_shape_seq(&k, ov->layer, &os, &out_seq) == DLC_OK && os.ndim >= 3 && !out_seq)
            loss = "mse";
        else
            loss = out_act == ACT_SIGMOID ? "sigmoid_bce" : "softmax_cross_entropy";
    }
    /* the normalization: the file's, or --scale/--mean/--std */
    size_t D = tensor_shape_size(&in);
    int from_flags = o->scale > 0 || o->n_mean > 0 || o->n_std > 0;
    if ((k.shift || k.scale) && from_flags) {
        st = dlc_fail(err, DLC_EINPUT, "%s: the model normalizes its input itself; --scale, --mean and "
                      "--std would do it twice", path);
        goto done;
    }
    int C = in.ndim >= 2 ? in.d[0] : 1;
    if ((o->n_mean > 1 && o->n_mean != C) || (o->n_std > 1 && o->n_std != C)) {
        st = dlc_fail(err, DLC_EINPUT, "--mean and --std take one value or one per channel (%d)", C);
        goto done;
    }
    if ((k.shift && k.norm_n != D) || (k.scale && k.norm_n != D)) {
        st = dlc_fail(err, DLC_EINPUT, "%s: the input's normalization has %zu values for %zu inputs", path,
                      k.norm_n, D);
        goto done;
    }
    char rname[GRAPH_NAME_MAX];
    snprintf(rname, sizeof rname, "%s", o->name && *o->name ? o->name : "imported");
    int normalized = k.shift || k.scale || from_flags || k.pre;
    if ((st = config_text(&k, &in, ov->layer, loss, text_ids, normalized, rname, &yaml)))
        goto done;
    if ((st = config_load_string(&cfg, "imported config", yaml.s, yaml.len, NULL, 0, err))) {
        dlc_error_prefix(err, "%s: the layers dlc made of it do not load", path);
        goto done;
    }
    have_cfg = 1;
    const char *cls = onnx_meta_get(om, "classes");
    json_value *cj = NULL;
    if (cls && json_parse(&cj, cls, strlen(cls), NULL) == DLC_OK && cj->type == JSON_ARRAY)
        for (int i = 0; i < cj->n && st == DLC_OK; i++)
            if (cj->items[i]->type == JSON_STRING)
                st = dlc_strlist_push(&m->heads[0].classes, cj->items[i]->string, err);
    json_free(cj);
    if (st)
        goto done;
    dlc_strlist keep = m->heads[0].classes;
    if ((st = model_build(m, &cfg, &in, 0, 1, err))) {
        dlc_strlist_clear(&keep);
        dlc_error_prefix(err, "%s", path);
        goto done;
    }
    m->heads[0].classes = keep;
    /* a CSV model's feature columns (dlc export writes them): predict reads rows by name */
    const char *feat = onnx_meta_get(om, "features");
    json_value *fj = NULL;
    if (feat && json_parse(&fj, feat, strlen(feat), NULL) == DLC_OK && fj->type == JSON_ARRAY &&
        (size_t)fj->n == D)
        for (int i = 0; i < fj->n && st == DLC_OK; i++)
            st = fj->items[i]->type == JSON_STRING
                     ? dlc_strlist_push(&m->features, fj->items[i]->string, err)
                     : dlc_fail(err, DLC_EINPUT, "%s: metadata 'features': item %d is not a name",
                                path, i);
    json_free(fj);
    if (st)
        goto done;
    for (int i = 0; i < m->g->n_params && st == DLC_OK; i++) {
        graph_param *p = &m->g->params[i];
        const iweight *w = NULL;
        for (int j = 0; j < k.nw; j++) {
            char full[GRAPH_NAME_MAX + 40];
            snprintf(full, sizeof full, "%s.%s", k.l[k.w[j].layer].name, k.w[j].local);
            if (!strcmp(full, p->name))
                w = &k.w[j];
        }
        if (!w || w->n != p->n)
            st = dlc_fail(err, DLC_EINPUT, "%s: parameter %s: %s", path, p->name,
                          w ? "its size differs from the layer's" : "not found in the file");
        else
            memcpy(p->data, w->v, sizeof(float) * p->n);
    }
    if (st)
        goto done;
    if ((st = data_norm_init(&m->norm, normalized ? NORM_STANDARD : NORM_NONE, D, err)))
        goto done;
    for (size_t j = 0; j < D; j++) {
        if (k.shift)
            m->norm.shift[j] = k.shift[j];
        if (k.scale)
            m->norm.scale[j] = k.scale[j];
        if (from_flags) {
            int c = (int)(j / (D / (size_t)C));
            float s = o->scale > 0 ? o->scale : 1.0f;
            float mean = o->n_mean ? o->mean[o->n_mean > 1 ? c : 0] : 0.0f;
            float sd = o->n_std ? o->std[o->n_std > 1 ? c : 0] : 1.0f;
            /* (x s - mean) / sd = (x - mean / s) * (s / sd) */
            m->norm.shift[j] = mean / s;
            m->norm.scale[j] = s / sd;
        }
        if (k.pre) { /* then a x + b: (x - shift) scale a + b = (x - (shift - b / (scale a))) (scale a) */
            int c = (int)(j / (D / (size_t)k.in.d[0]));
            float sa = m->norm.scale[j] * k.pre[c];
            m->norm.shift[j] -= k.pre[k.in.d[0] + c] / sa;
            m->norm.scale[j] = sa;
        }
    }
    if ((st = config_to_yaml(&cfg, &resolved, err)))
        goto done;
    m->config_yaml = resolved;
    resolved = NULL;
    if (note_len)
        note[0] = '\0';
    if (k.n_cumulative && note_len)
        snprintf(note, note_len, "%d batch norm%s of ONNX momentum 1 (PyTorch's momentum=None, a cumulative "
                 "average; the first '%s') keep%s the file's running statistics; training after import "
                 "updates them with dlc's momentum 0.9 (PyTorch's 0.1): set model.layers.N.momentum to change it",
                 k.n_cumulative, k.n_cumulative > 1 ? "s" : "", k.cumulative, k.n_cumulative > 1 ? "" : "s");
    /* outputs left out: not the imported one, nor a view of it or of the value it is an
     * Identity of (its probabilities: a dlc export's heads are Identity and Softmax of one value) */
    char left[200] = "";
    int n_left = 0;
    const char *src = oname;
    for (int i = 0; i < om->n_nodes; i++)
        if (om->nodes[i].n_out == 1 && om->nodes[i].n_in == 1 && !strcmp(om->nodes[i].op, "Identity") &&
            !strcmp(om->nodes[i].out[0], oname))
            src = om->nodes[i].in[0];
    for (int q = 0; q < om->n_outputs; q++) {
        const char *qn = om->outputs[q].name;
        int view = !strcmp(qn, oname);
        for (int i = 0; i < om->n_nodes && !view; i++)
            for (int u = 0; u < om->nodes[i].n_out; u++)
                if (!strcmp(om->nodes[i].out[u], qn))
                    for (int j = 0; j < om->nodes[i].n_in; j++)
                        view |= !strcmp(om->nodes[i].in[j], oname) || !strcmp(om->nodes[i].in[j], src);
        if (!view && n_left++ < 4)
            snprintf(left + strlen(left), sizeof left - strlen(left), "%s'%s'", n_left > 1 ? ", " : "", qn);
    }
    if (n_left && note_len) {
        size_t at = strlen(note);
        snprintf(note + at, note_len - at, "%s%s has %d output%s besides '%s', left out: %s%s (dlc import "
                 "reads one output: the run predicts and fine-tunes that one alone)", at ? "; " : "", path, n_left,
                 n_left > 1 ? "s" : "", oname, left, n_left > 4 ? ", ..." : "");
    }
done:
    if (st && m->g)
        model_free(m);
    if (have_cfg)
        config_free(&cfg);
    free(resolved);
    dlc_buf_free(&yaml);
    dlc_buf_free(&missing);
    imp_free(&k);
    onnx_model_free(om);
    return st;
}
