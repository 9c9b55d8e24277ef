/* export.c - a model's graph as an ONNX ModelProto (see onnx.h).
 *
 * One exporter per layer kind, in a table indexed like the layer registry
 * (onnx_rows): a new layer adds a row, and a kind whose row has no exporter
 * is refused by name before anything is written.  Each exporter emits the
 * ONNX nodes computing its layer's output from its inputs' values and
 * returns the name of the value holding that output; the graph's activation
 * (any layer may name one) is added after it by the driver.
 *
 * Values are named after their layer ("dense_1"), intermediate ones
 * "<layer>/<what>", and parameters keep their model.safetensors names
 * ("dense_1.weight"), so the file reads like the run's config.  Errors are
 * sticky: helpers record the first failure in ctx.st and hand back "", and
 * the driver checks once per layer.
 *
 * How each layer maps (the math in src/layers/ decides; N is the batch):
 *   dense          Gemm (transB) on (N, IN); MatMul + Add over sequences
 *                  (dense, layernorm and batchnorm on a padded sequence: times
 *                  the mask, so padded steps are 0 as in dlc)
 *   conv1d/2d/3d   Conv with explicit pads (lo..., hi...), `same` resolved
 *   maxpool        MaxPool (padding never wins, as in dlc)
 *   avgpool        AveragePool, count_include_pad as the layer's
 *                  (both pools: ceil_mode as the layer's)
 *   global_avgpool GlobalAveragePool + Flatten
 *   batchnorm      BatchNormalization with the running statistics; over a
 *                  sequence's features between Transposes, padded steps 0
 *   dropout        nothing (inference)
 *   embedding      Gather of the table, its padding row zero; with a pad_id
 *                  the sequence lengths (one past the last non-padding id),
 *                  which the recurrent layers and time pools after it use
 *   rnn, gru, lstm the ONNX RNN/GRU/LSTM ops on (T, N, D) with sequence_lens:
 *                  direction forward, reverse (a `reverse` layer: ONNX too
 *                  starts each sequence at its own last valid step) or
 *                  bidirectional; gates reordered (LSTM i,f,g,o -> i,o,f,c); dlc's GRU
 *                  h = u c~ + (1 - u) h_prev is ONNX's with z = 1 - u, so
 *                  the update rows are negated (sigmoid(-a) = 1 - sigmoid(a));
 *                  the full GRU applies r before the product: linear_before_reset
 *                  = 0; the simplified GRU has no r: its r rows are zero with
 *                  bias 100, so sigmoid gives exactly 1.0f
 *   time pools     ReduceMean / ReduceMax over steps, masked by the lengths
 *   slice, split   Slice of the axis; a split is its input (its pieces are slices)
 *   subtract, multiply, abs, square   Sub, Mul (chained), Abs, Mul(x, x)
 *   l2normalize    x / Sqrt(ReduceSum(x * x) + eps) over the example
 *   gram           Reshape to (N, C, S), MatMul by its Transpose, Mul by 1/(C S)
 *   channel_shuffle  Reshape to (N, G, C/G, S...), Transpose (0, 2, 1, ...),
 *                  Reshape to (N, C, S...): PyTorch's form, which import reads back
 *   pixel_shuffle  DepthToSpace (CRD or DCR); pixel_unshuffle SpaceToDepth (dcr) or
 *                  Reshape, Transpose, Reshape (crd: PyTorch's nn.PixelUnshuffle export)
 *   conv_transpose ConvTranspose (pads, output_padding, dilations, group), the weight as it is
 *   upsample       Resize by scales (1, 1, f...), nearest, asymmetric, floor: PyTorch's
 *                  nn.Upsample(mode='nearest') export, which import reads back; bilinear
 *                  as mode linear with pytorch_half_pixel or align_corners, as PyTorch's
 *   layernorm      LayerNormalization (opset 17 on), else its ReduceMean form;
 *                  channels: true between Transposes to channels last and back
 *   scalar_mix     Softmax(weight) * gamma, then Sum of each input times its
 *                  coefficient (Gather of one)
 *   word_chars     the word's vector by Gather (a padding or out-of-range id
 *                  gives zeros, as dlc); the bytes before the first
 *                  non-byte (CumSum of the misses is 0) by Gather of the byte
 *                  table, Conv over each word (pads k/2), ReduceMax over
 *                  its bytes only (the others -FLT_MAX), Tanh, zeros for a
 *                  word without bytes; Concat; and the sequence lengths
 */
#include <assert.h>
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../io/io.h"
#include "../layers/window.h" /* the conv/pool geometry, so pads match the layers exactly */
#include "onnx.h"
#include "pb.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "raw_data is written from memory: ONNX wants little-endian floats"
#endif

/* TensorProto.DataType */
enum { ONNX_FLOAT = 1, ONNX_INT32 = 6, ONNX_INT64 = 7, ONNX_BOOL = 9 };
/* AttributeProto.AttributeType */
enum { ATTR_FLOAT = 1, ATTR_INT = 2, ATTR_STRING = 3, ATTR_FLOATS = 6, ATTR_INTS = 7, ATTR_STRINGS = 8 };

/* A float initializer written straight from memory (weights). */
typedef struct {
    const char *name;
    int ndim;
    int64_t dims[TENSOR_MAX_DIMS + 1];
    const float *data; /* borrowed, or == owned */
    float *owned;
    size_t n;
} onnx_big;

typedef struct {
    model *m;
    graph *g;
    int opset;
    dlc_error *err;
    dlc_status st;      /* first failure; helpers do nothing after it */
    onnx_pb nodes;      /* GraphProto.node entries */
    onnx_pb small;      /* GraphProto.initializer entries of constants */
    onnx_pb cur;        /* the node being built */
    int building;       /* 1 between node_begin and node_end */
    onnx_pb attr;       /* the attribute being built */
    onnx_big *big;
    int n_big, cap_big;
    dlc_strlist names;  /* owns every generated name */
    const char **val;   /* per graph node: its float output value */
    const char **ids;   /* per graph node: an int64 form of it, or NULL */
    char *param_done;   /* per parameter: its initializer is emitted */
    /* lengths of the current padded sequences (int64 (N)), set by an embedding
     * with a pad_id, as g->seq_len is; with forms derived from them */
    const char *len, *len32, *mask_b, *mask_f;
    int T;              /* their steps */
} onnx_ctx;

static const char *const reserved[] = {"input", "input_ids", "logits", "probabilities", "output", NULL};

/* ---- names ---- */

static const char *name(onnx_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static const char *name(onnx_ctx *c, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (c->st)
        return "";
    if ((c->st = dlc_strlist_push(&c->names, buf, c->err)) != DLC_OK)
        return "";
    return c->names.v[c->names.n - 1];
}

static void fail_nomem(onnx_ctx *c)
{
    if (!c->st)
        c->st = DLC_NOMEM(c->err);
}

/* ---- nodes and attributes ---- */

/* Nodes are built one at a time in c->cur: whatever adds a node (a Cast, a
 * mask) must run before node_begin of the node that uses it. */
static void node_begin(onnx_ctx *c, const char *op, const char *node_name)
{
    assert(!c->building);
    c->building = 1;
    c->cur.len = 0;
    onnx_pb_string(&c->cur, 4, op);
    onnx_pb_string(&c->cur, 3, node_name);
}

static void node_in(onnx_ctx *c, const char *v)
{
    onnx_pb_string(&c->cur, 1, v);
}

static void node_out(onnx_ctx *c, const char *v)
{
    onnx_pb_string(&c->cur, 2, v);
}

static void node_end(onnx_ctx *c)
{
    c->building = 0;
    onnx_pb_msg(&c->nodes, 1, &c->cur);
    if (c->cur.failed || c->nodes.failed)
        fail_nomem(c);
}

static void attr_begin(onnx_ctx *c, const char *key, int type)
{
    c->attr.len = 0;
    onnx_pb_string(&c->attr, 1, key);
    onnx_pb_int(&c->attr, 20, type);
}

static void attr_end(onnx_ctx *c)
{
    onnx_pb_msg(&c->cur, 5, &c->attr);
}

static void attr_int(onnx_ctx *c, const char *key, int64_t v)
{
    attr_begin(c, key, ATTR_INT);
    onnx_pb_int(&c->attr, 3, v);
    attr_end(c);
}

static void attr_float(onnx_ctx *c, const char *key, float v)
{
    attr_begin(c, key, ATTR_FLOAT);
    onnx_pb_float(&c->attr, 2, v);
    attr_end(c);
}

static void attr_string(onnx_ctx *c, const char *key, const char *s)
{
    attr_begin(c, key, ATTR_STRING);
    onnx_pb_string(&c->attr, 4, s);
    attr_end(c);
}

/* Repeated scalars unpacked, as proto2 declares them. */
static void attr_ints(onnx_ctx *c, const char *key, const int64_t *v, int n)
{
    attr_begin(c, key, ATTR_INTS);
    for (int i = 0; i < n; i++)
        onnx_pb_int(&c->attr, 8, v[i]);
    attr_end(c);
}

static void attr_strings(onnx_ctx *c, const char *key, const char *s, int n)
{
    attr_begin(c, key, ATTR_STRINGS);
    for (int i = 0; i < n; i++)
        onnx_pb_string(&c->attr, 9, s);
    attr_end(c);
}

/* One-input and two-input nodes, named after their output. */
static const char *op1(onnx_ctx *c, const char *op, const char *x, const char *out)
{
    node_begin(c, op, out);
    node_in(c, x);
    node_out(c, out);
    node_end(c);
    return out;
}

static const char *op2(onnx_ctx *c, const char *op, const char *a, const char *b, const char *out)
{
    node_begin(c, op, out);
    node_in(c, a);
    node_in(c, b);
    node_out(c, out);
    node_end(c);
    return out;
}

static const char *cast(onnx_ctx *c, const char *x, int to, const char *out)
{
    node_begin(c, "Cast", out);
    node_in(c, x);
    node_out(c, out);
    attr_int(c, "to", to);
    node_end(c);
    return out;
}

/* out = cond ? a : b (broadcast) */
static const char *where(onnx_ctx *c, const char *cond, const char *a, const char *b, const char *out)
{
    node_begin(c, "Where", out);
    node_in(c, cond);
    node_in(c, a);
    node_in(c, b);
    node_out(c, out);
    node_end(c);
    return out;
}

/* ---- constants ---- */

static void tensor_header(onnx_pb *t, const char *nm, int dtype, const int64_t *dims, int ndim)
{
    for (int i = 0; i < ndim; i++)
        onnx_pb_int(t, 1, dims[i]);
    onnx_pb_int(t, 2, dtype);
    onnx_pb_string(t, 8, nm);
}

/* A small initializer (int64 or float constants the exporters need). */
static const char *constant(onnx_ctx *c, const char *nm, int dtype, const void *data, size_t bytes,
                            const int64_t *dims, int ndim)
{
    onnx_pb t = {0};
    tensor_header(&t, nm, dtype, dims, ndim);
    onnx_pb_bytes(&t, 9, data, bytes);
    onnx_pb_msg(&c->small, 5, &t);
    if (t.failed || c->small.failed)
        fail_nomem(c);
    onnx_pb_free(&t);
    return nm;
}

static const char *const_ints(onnx_ctx *c, const char *nm, const int64_t *v, int n)
{
    int64_t dims[1] = {n};
    return constant(c, nm, ONNX_INT64, v, sizeof *v * (size_t)n, dims, 1);
}

static const char *scalar_i64(onnx_ctx *c, const char *nm, int64_t v)
{
    return constant(c, nm, ONNX_INT64, &v, sizeof v, NULL, 0);
}

static const char *scalar_f32(onnx_ctx *c, const char *nm, float v)
{
    return constant(c, nm, ONNX_FLOAT, &v, sizeof v, NULL, 0);
}

/* x[start:end] along axis (of the ONNX value, batch axis 0), its constants
 * named after out */
static const char *slice_axis(onnx_ctx *c, const char *x, int64_t start, int64_t end, int64_t axis,
                              const char *out)
{
    const char *s = const_ints(c, name(c, "%s/starts", out), &start, 1);
    const char *e = const_ints(c, name(c, "%s/ends", out), &end, 1);
    const char *a = const_ints(c, name(c, "%s/axes", out), &axis, 1);
    node_begin(c, "Slice", out);
    node_in(c, x);
    node_in(c, s);
    node_in(c, e);
    node_in(c, a);
    node_out(c, out);
    node_end(c);
    return out;
}

/* A weight-sized float initializer; owned (may be NULL) is freed with ctx. */
static const char *big_tensor(onnx_ctx *c, const char *nm, const int64_t *dims, int ndim,
                              const float *data, float *owned)
{
    if (c->st) {
        free(owned);
        return "";
    }
    if (c->n_big == c->cap_big) {
        int cap = c->cap_big ? 2 * c->cap_big : 32;
        onnx_big *b = realloc(c->big, sizeof *b * (size_t)cap);
        if (!b) {
            free(owned);
            fail_nomem(c);
            return "";
        }
        c->big = b;
        c->cap_big = cap;
    }
    onnx_big *b = &c->big[c->n_big++];
    memset(b, 0, sizeof *b);
    b->name = nm;
    b->ndim = ndim;
    b->n = 1;
    for (int i = 0; i < ndim; i++) {
        b->dims[i] = dims[i];
        b->n *= (size_t)dims[i];
    }
    b->data = data;
    b->owned = owned;
    return nm;
}

/* A model parameter under its own name (once, however many layers share it). */
static const char *param(onnx_ctx *c, const graph_node *n, int k)
{
    int id = n->params[k];
    const graph_param *p = &c->g->params[id];
    if (!c->param_done[id]) {
        int64_t dims[TENSOR_MAX_DIMS];
        for (int i = 0; i < p->shape.ndim; i++)
            dims[i] = p->shape.d[i];
        big_tensor(c, p->name, dims, p->shape.ndim, p->data, NULL);
        c->param_done[id] = 1;
    }
    return p->name;
}

/* A float buffer for a derived initializer (reordered gates, ...). */
static float *new_floats(onnx_ctx *c, size_t n)
{
    float *p = c->st ? NULL : calloc(n ? n : 1, sizeof(float));
    if (!p)
        fail_nomem(c);
    return p;
}

/* ---- opset-dependent forms ---- */

/* ReduceSum takes axes as an input from opset 13, ReduceMean/ReduceMax from 18. */
static const char *reduce_axes(onnx_ctx *c, const char *op, const char *x, const int64_t *axes, int n,
                               int keepdims, const char *out)
{
    int as_input = strcmp(op, "ReduceSum") == 0 || c->opset >= 18;
    const char *ax = as_input ? const_ints(c, name(c, "%s/axes", out), axes, n) : NULL;
    node_begin(c, op, out);
    node_in(c, x);
    if (as_input)
        node_in(c, ax);
    node_out(c, out);
    if (!as_input)
        attr_ints(c, "axes", axes, n);
    attr_int(c, "keepdims", keepdims);
    node_end(c);
    return out;
}

static const char *reduce(onnx_ctx *c, const char *op, const char *x, int64_t axis, int keepdims,
                          const char *out)
{
    return reduce_axes(c, op, x, &axis, 1, keepdims, out);
}

static const char *reshape(onnx_ctx *c, const char *x, const int64_t *shape, int n, const char *out)
{
    return op2(c, "Reshape", x, const_ints(c, name(c, "%s/shape", out), shape, n), out);
}

static const char *transpose(onnx_ctx *c, const char *x, const int64_t *perm, int n, const char *out)
{
    node_begin(c, "Transpose", out);
    node_in(c, x);
    node_out(c, out);
    attr_ints(c, "perm", perm, n);
    node_end(c);
    return out;
}

/* ---- values ---- */

static const char *in_val(onnx_ctx *c, const graph_node *n, int k)
{
    return c->val[n->in[k]];
}

/* The int64 form of node id's output: token ids (Round: dlc rounds ids). */
static const char *ids_val(onnx_ctx *c, int id)
{
    if (!c->ids[id]) {
        const char *v = c->val[id];
        const char *r = op1(c, "Round", v, name(c, "%s/round", v));
        c->ids[id] = cast(c, r, ONNX_INT64, name(c, "%s/ids", v));
    }
    return c->ids[id];
}

/* ---- sequence lengths (see embedding) ---- */

static const char *len32(onnx_ctx *c)
{
    if (!c->len32)
        c->len32 = cast(c, c->len, ONNX_INT32, name(c, "%s32", c->len));
    return c->len32;
}

/* (N, T, 1) bool: step t of sample i is one of its valid steps */
static const char *mask_b(onnx_ctx *c)
{
    if (!c->mask_b) {
        int64_t *pos = malloc(sizeof *pos * (size_t)c->T), dims[2] = {1, c->T}, col[2] = {-1, 1},
                nt1[3] = {0, 0, 1};
        if (!pos) {
            fail_nomem(c);
            return "";
        }
        for (int t = 0; t < c->T; t++)
            pos[t] = t;
        const char *p = constant(c, name(c, "%s/steps", c->len), ONNX_INT64, pos, sizeof *pos * (size_t)c->T,
                                 dims, 2);
        free(pos);
        const char *lc = reshape(c, c->len, col, 2, name(c, "%s/column", c->len));
        const char *m = op2(c, "Less", p, lc, name(c, "%s/mask2", c->len));
        c->mask_b = reshape(c, m, nt1, 3, name(c, "%s/mask", c->len));
    }
    return c->mask_b;
}

static const char *mask_f(onnx_ctx *c)
{
    if (!c->mask_f)
        c->mask_f = cast(c, mask_b(c), ONNX_FLOAT, name(c, "%s/maskf", c->len));
    return c->mask_f;
}

/* Whether node x's steps are masked by recorded lengths, as the layers decide
 * (graph_node.seq with a padding-aware embedding before it). */
static int masked(const onnx_ctx *c, const graph_node *x)
{
    return x->seq && c->len != NULL;
}

/* ---- exporters, one per layer kind ---- */

typedef const char *(*onnx_export_fn)(onnx_ctx *c, graph_node *n, const char *out);

static const char *ex_alias(onnx_ctx *c, graph_node *n, const char *out)
{
    return in_val(c, n, 0); /* dropout, activation: the graph applies the activation */
}

/* Begins op(x, weight, bias if the layer has one) -> out; the caller adds
 * the attributes and ends the node. */
static void weighted_begin(onnx_ctx *c, const char *op, graph_node *n, const char *out)
{
    const char *x = in_val(c, n, 0), *w = param(c, n, 0);
    const char *b = n->spec.use_bias ? param(c, n, 1) : NULL;
    node_begin(c, op, out);
    node_in(c, x);
    node_in(c, w);
    if (b)
        node_in(c, b);
    node_out(c, out);
}

/* The layers that give zeros on a padded sequence's padded steps (dense,
 * layernorm and batchnorm working step by step) write their values to
 * steps_out's name, then zero_padding multiplies them by the mask into out
 * (when the input is not masked, steps_out is out and nothing is added). */
static const char *steps_out(onnx_ctx *c, const graph_node *n, const char *out)
{
    return masked(c, graph_in(c->g, n, 0)) ? name(c, "%s/all_steps", n->spec.name) : out;
}

static const char *zero_padding(onnx_ctx *c, const char *y, const char *out)
{
    return y == out ? out : op2(c, "Mul", y, mask_f(c), out);
}

static const char *ex_dense(onnx_ctx *c, graph_node *n, const char *out)
{
    if (graph_in(c->g, n, 0)->shape.ndim == 1) {
        weighted_begin(c, "Gemm", n, out);
        attr_int(c, "transB", 1);
        node_end(c);
        return out;
    }
    const char *x = in_val(c, n, 0), *w = param(c, n, 0);
    const char *b = n->spec.use_bias ? param(c, n, 1) : NULL;
    /* over the last axis of (N, ..., IN) */
    int64_t perm[2] = {1, 0};
    const char *wt = transpose(c, w, perm, 2, name(c, "%s/weight_t", n->spec.name));
    const char *o = steps_out(c, n, out);
    if (!b)
        return zero_padding(c, op2(c, "MatMul", x, wt, o), out);
    const char *y = op2(c, "MatMul", x, wt, name(c, "%s/matmul", n->spec.name));
    return zero_padding(c, op2(c, "Add", y, b, o), out);
}

/* A sequence (N, T, D) is normalized over its features: BatchNormalization
 * takes channels at axis 1, so (N, D, T) between two Transposes, and padded
 * steps give 0 as in dlc. */
static const char *ex_batchnorm(onnx_ctx *c, graph_node *n, const char *out)
{
    const char *xv = in_val(c, n, 0), *nm = n->spec.name, *y = out;
    static const int64_t swap12[3] = {0, 2, 1};
    if (n->seq) {
        xv = transpose(c, xv, swap12, 3, name(c, "%s/features_first", nm));
        y = name(c, "%s/normalized", nm);
    }
    node_begin(c, "BatchNormalization", y);
    node_in(c, xv);
    for (int k = 0; k < 4; k++) /* gamma, beta, running mean, running var */
        node_in(c, param(c, n, k));
    node_out(c, y);
    attr_float(c, "epsilon", n->spec.eps);
    node_end(c);
    if (!n->seq)
        return out;
    return zero_padding(c, transpose(c, y, swap12, 3, steps_out(c, n, out)), out);
}

static const char *ex_flatten(onnx_ctx *c, graph_node *n, const char *out)
{
    node_begin(c, "Flatten", out);
    node_in(c, in_val(c, n, 0));
    node_out(c, out);
    attr_int(c, "axis", 1);
    node_end(c);
    return out;
}

static const char *ex_reshape(onnx_ctx *c, graph_node *n, const char *out)
{
    int64_t shape[TENSOR_MAX_DIMS + 1] = {0}; /* 0: keep the batch axis */
    for (int i = 0; i < n->shape.ndim; i++)
        shape[1 + i] = n->shape.d[i];
    return reshape(c, in_val(c, n, 0), shape, n->shape.ndim + 1, out);
}

static const char *ex_add(onnx_ctx *c, graph_node *n, const char *out)
{
    node_begin(c, n->n_in == 2 ? "Add" : "Sum", out);
    for (int k = 0; k < n->n_in; k++)
        node_in(c, in_val(c, n, k));
    node_out(c, out);
    node_end(c);
    return out;
}

static const char *ex_concat(onnx_ctx *c, graph_node *n, const char *out)
{
    node_begin(c, "Concat", out);
    for (int k = 0; k < n->n_in; k++)
        node_in(c, in_val(c, n, k));
    node_out(c, out);
    attr_int(c, "axis", n->spec.axis + 1);
    node_end(c);
    return out;
}

/* kernel_shape, strides and pads of a conv or pool node */
static void window_attrs(onnx_ctx *c, graph_node *n)
{
    layer_geom geo;
    layer_geom_of(&geo, c->g, n);
    int64_t k[3], s[3], d[3], pads[6];
    int ns = geo.nsp, dilated = 0;
    for (int i = 0; i < ns; i++) {
        int a = 3 - ns + i;
        k[i] = geo.k[a];
        s[i] = geo.s[a];
        d[i] = geo.d[a];
        dilated |= d[i] != 1;
        pads[i] = geo.lo[a];
        pads[ns + i] = geo.hi[a];
    }
    attr_ints(c, "kernel_shape", k, ns);
    attr_ints(c, "strides", s, ns);
    attr_ints(c, "pads", pads, 2 * ns);
    if (dilated)
        attr_ints(c, "dilations", d, ns);
}

static const char *ex_conv(onnx_ctx *c, graph_node *n, const char *out)
{
    weighted_begin(c, "Conv", n, out);
    window_attrs(c, n);
    if (n->spec.groups > 1)
        attr_int(c, "group", n->spec.groups);
    node_end(c);
    return out;
}

/* ConvTranspose with the layer's weight (C, F/G, k...) as it is: ONNX's and
 * PyTorch's layout.  pads crop lo before and hi + output_padding after (the
 * layer's `same` may crop one more at the end), output_padding adds back. */
static const char *ex_conv_transpose(onnx_ctx *c, graph_node *n, const char *out)
{
    layer_geom geo;
    int op[3];
    conv_transpose_geom(&geo, op, c->g, n);
    int64_t k[3], s[3], d[3], o[3], pads[6];
    int ns = geo.nsp, dilated = 0, padded = 0;
    for (int i = 0; i < ns; i++) {
        int a = 3 - ns + i;
        k[i] = geo.k[a];
        s[i] = geo.s[a];
        d[i] = geo.d[a];
        o[i] = op[a];
        dilated |= d[i] != 1;
        padded |= o[i] != 0;
        pads[i] = geo.lo[a];
        pads[ns + i] = geo.hi[a] + op[a];
    }
    weighted_begin(c, "ConvTranspose", n, out);
    attr_ints(c, "kernel_shape", k, ns);
    attr_ints(c, "strides", s, ns);
    attr_ints(c, "pads", pads, 2 * ns);
    if (dilated)
        attr_ints(c, "dilations", d, ns);
    if (padded)
        attr_ints(c, "output_padding", o, ns);
    if (n->spec.groups > 1)
        attr_int(c, "group", n->spec.groups);
    node_end(c);
    return out;
}

static const char *ex_pool(onnx_ctx *c, graph_node *n, const char *out)
{
    int avg = n->spec.op == OP_AVGPOOL;
    node_begin(c, avg ? "AveragePool" : "MaxPool", out);
    node_in(c, in_val(c, n, 0));
    node_out(c, out);
    window_attrs(c, n);
    if (avg)
        attr_int(c, "count_include_pad", n->spec.count_include_pad);
    if (n->spec.ceil_mode)
        attr_int(c, "ceil_mode", 1);
    node_end(c);
    return out;
}

static const char *ex_global_avgpool(onnx_ctx *c, graph_node *n, const char *out)
{
    const char *p = op1(c, "GlobalAveragePool", in_val(c, n, 0), name(c, "%s/pool", n->spec.name));
    node_begin(c, "Flatten", out);
    node_in(c, p);
    node_out(c, out);
    attr_int(c, "axis", 1);
    node_end(c);
    return out;
}

static const char *ex_time_avgpool(onnx_ctx *c, graph_node *n, const char *out)
{
    const char *x = in_val(c, n, 0), *nm = n->spec.name;
    if (!masked(c, graph_in(c->g, n, 0)))
        return reduce(c, "ReduceMean", x, 1, 0, out);
    /* the sum of the valid steps over max(length, 1) (0 steps: zeros) */
    const char *xm = op2(c, "Mul", x, mask_f(c), name(c, "%s/masked", nm));
    const char *s = reduce(c, "ReduceSum", xm, 1, 0, name(c, "%s/sum", nm));
    const char *l = op2(c, "Max", c->len, scalar_i64(c, name(c, "%s/one", nm), 1), name(c, "%s/len", nm));
    int64_t col[2] = {-1, 1};
    const char *lf = cast(c, reshape(c, l, col, 2, name(c, "%s/lencol", nm)), ONNX_FLOAT,
                          name(c, "%s/lenf", nm));
    return op2(c, "Div", s, lf, out);
}

static const char *ex_time_maxpool(onnx_ctx *c, graph_node *n, const char *out)
{
    const char *x = in_val(c, n, 0), *nm = n->spec.name;
    if (!masked(c, graph_in(c->g, n, 0)))
        return reduce(c, "ReduceMax", x, 1, 0, out);
    /* padded steps never win; a sample with no valid step gives zeros */
    const char *xm = where(c, mask_b(c), x, scalar_f32(c, name(c, "%s/lowest", nm), -FLT_MAX),
                           name(c, "%s/masked", nm));
    const char *r = reduce(c, "ReduceMax", xm, 1, 0, name(c, "%s/max", nm));
    int64_t col[2] = {-1, 1};
    const char *any = op2(c, "Greater", reshape(c, c->len, col, 2, name(c, "%s/lencol", nm)),
                          scalar_i64(c, name(c, "%s/zero_i", nm), 0), name(c, "%s/any", nm));
    return where(c, any, r, scalar_f32(c, name(c, "%s/zero", nm), 0.0f), out);
}

/* The lengths every later masked layer uses, from tok (N, T) bool (step t
 * holds a token): one past the last token, as g->seq_len. */
static void set_lengths(onnx_ctx *c, const char *tok, int T, const char *nm)
{
    int64_t *pos = malloc(sizeof *pos * (size_t)T);
    if (!pos) {
        fail_nomem(c);
        return;
    }
    for (int t = 0; t < T; t++)
        pos[t] = t + 1;
    const char *steps = const_ints(c, name(c, "%s/steps1", nm), pos, T);
    free(pos);
    const char *ti = cast(c, tok, ONNX_INT64, name(c, "%s/tokens", nm));
    const char *at = op2(c, "Mul", ti, steps, name(c, "%s/token_end", nm));
    c->len = reduce(c, "ReduceMax", at, 1, 0, name(c, "%s/lengths", nm));
    c->T = T;
}

static const char *ex_embedding(onnx_ctx *c, graph_node *n, const char *out)
{
    const graph_node *x = graph_in(c->g, n, 0);
    const char *ids = ids_val(c, n->in[0]);
    const graph_param *p = graph_p(c->g, n, 0);
    int V = p->shape.d[0], E = p->shape.d[1], pad = n->spec.pad_id;
    const char *table = p->name;
    int pad_row_set = 0;
    if (pad >= 0 && pad < V)
        for (int j = 0; j < E; j++)
            pad_row_set |= p->data[(size_t)pad * E + j] != 0.0f;
    if (pad_row_set) {
        /* dlc gives the padding id a zero vector whatever its row holds */
        float *w = new_floats(c, p->n);
        if (!w)
            return "";
        memcpy(w, p->data, sizeof *w * p->n);
        memset(w + (size_t)pad * E, 0, sizeof *w * (size_t)E);
        int64_t dims[2] = {V, E};
        table = big_tensor(c, name(c, "%s.weight_padded", n->spec.name), dims, 2, w, w);
    } else {
        table = param(c, n, 0);
    }
    op2(c, "Gather", table, ids, out);
    if (x->shape.ndim != 1)
        return out;
    c->len = c->len32 = c->mask_b = c->mask_f = NULL;
    if (pad < 0)
        return out; /* only out-of-range ids pad then: every valid step counts */
    const char *nm = n->spec.name;
    const char *is_pad = op2(c, "Equal", ids, scalar_i64(c, name(c, "%s/pad_id", nm), pad),
                             name(c, "%s/is_pad", nm));
    set_lengths(c, op1(c, "Not", is_pad, name(c, "%s/is_token", nm)), x->shape.d[0], nm);
    return out;
}

/* y (N, T, E + F) = [E[word]; tanh(max over the word's bytes of the byte
 * CNN)] from ids (N, T, 1 + C), as src/layers/chars.c computes it */
static const char *ex_word_chars(onnx_ctx *c, graph_node *n, const char *out)
{
    const graph_node *x = graph_in(c->g, n, 0);
    const char *nm = n->spec.name, *ids = ids_val(c, n->in[0]);
    const graph_param *E = graph_p(c->g, n, 0);
    int T = x->shape.d[0], K = x->shape.d[1], V = E->shape.d[0], F = n->spec.filters,
        k = n->spec.kernel.v[0], pad = n->spec.pad_id;
    int64_t nt[2] = {0, 0}, nt1[3] = {0, 0, 1}, ntc1[4] = {0, 0, 0, 1};
    const char *zero_i = scalar_i64(c, name(c, "%s/zero_i", nm), 0),
               *zero_f = scalar_f32(c, name(c, "%s/zero", nm), 0.0f);

    /* the word: a padding or out-of-range id is no word (zeros, and not counted) */
    const char *word = reshape(c, slice_axis(c, ids, 0, 1, 2, name(c, "%s/word3", nm)), nt, 2,
                               name(c, "%s/word", nm));
    const char *tok = op2(c, "And", op2(c, "Greater", word, scalar_i64(c, name(c, "%s/minus1", nm), -1),
                                        name(c, "%s/word_ge0", nm)),
                          op2(c, "Less", word, scalar_i64(c, name(c, "%s/V", nm), V), name(c, "%s/word_ltV", nm)),
                          name(c, "%s/word_in_range", nm));
    if (pad >= 0 && pad < V) {
        const char *is_pad = op2(c, "Equal", word, scalar_i64(c, name(c, "%s/pad_id", nm), pad),
                                 name(c, "%s/is_pad", nm));
        tok = op2(c, "And", tok, op1(c, "Not", is_pad, name(c, "%s/not_pad", nm)), name(c, "%s/is_word", nm));
    }
    const char *tok3 = reshape(c, tok, nt1, 3, name(c, "%s/is_word3", nm));
    const char *wv = op2(c, "Gather", param(c, n, 0), where(c, tok, word, zero_i, name(c, "%s/word_safe", nm)),
                         name(c, "%s/word_rows", nm));
    const char *word_vec = where(c, tok3, wv, zero_f, name(c, "%s/word_vec", nm));

    /* the bytes: ids 1..256 up to the first other value (c < the word's length) */
    const char *bytes = slice_axis(c, ids, 1, K, 2, name(c, "%s/bytes", nm));
    const char *is_byte = op2(c, "And", op2(c, "Greater", bytes, zero_i, name(c, "%s/byte_gt0", nm)),
                              op2(c, "Less", bytes, scalar_i64(c, name(c, "%s/b257", nm), 257),
                                  name(c, "%s/byte_lt257", nm)),
                              name(c, "%s/is_byte", nm));
    const char *miss = cast(c, op1(c, "Not", is_byte, name(c, "%s/not_byte", nm)), ONNX_INT64,
                            name(c, "%s/misses", nm));
    const char *cs = op2(c, "CumSum", miss, scalar_i64(c, name(c, "%s/axis2s", nm), 2), name(c, "%s/misses_before", nm));
    const char *inw = op2(c, "Equal", cs, zero_i, name(c, "%s/in_word", nm)); /* (N, T, C) */
    const char *qv = op2(c, "Gather", param(c, n, 1), where(c, inw, bytes, zero_i, name(c, "%s/bytes_safe", nm)),
                         name(c, "%s/byte_rows", nm));
    const char *qw = where(c, reshape(c, inw, ntc1, 4, name(c, "%s/in_word4", nm)), qv, zero_f,
                           name(c, "%s/byte_vecs", nm));

    /* the CNN over each word: (N T, Dc, C) -> (N T, F, C), "same" pads */
    int64_t words_shape[3] = {-1, K - 1, n->spec.char_units}, perm[3] = {0, 2, 1};
    const char *bt = transpose(c, reshape(c, qw, words_shape, 3, name(c, "%s/words", nm)), perm, 3,
                               name(c, "%s/channels", nm));
    const char *wt = transpose(c, param(c, n, 2), perm, 3, name(c, "%s/conv_weight_t", nm));
    const char *bias = param(c, n, 3);
    const char *z = name(c, "%s/conv", nm);
    node_begin(c, "Conv", z);
    node_in(c, bt);
    node_in(c, wt);
    node_in(c, bias);
    node_out(c, z);
    int64_t ks = k, pads[2] = {k / 2, k / 2};
    attr_ints(c, "kernel_shape", &ks, 1);
    attr_ints(c, "pads", pads, 2);
    node_end(c);
    /* the max over the word's own bytes */
    int64_t ntc_shape[3] = {-1, 1, K - 1}, ntf[3] = {-1, T, F};
    const char *zw = where(c, reshape(c, inw, ntc_shape, 3, name(c, "%s/in_word_r", nm)), z,
                           scalar_f32(c, name(c, "%s/lowest", nm), -FLT_MAX), name(c, "%s/conv_in_word", nm));
    const char *mx = reduce(c, "ReduceMax", zw, 2, 0, name(c, "%s/max", nm));
    const char *th = op1(c, "Tanh", reshape(c, mx, ntf, 3, name(c, "%s/max3", nm)), name(c, "%s/tanh", nm));
    /* zeros for a step without a word or without bytes */
    const char *has = op2(c, "And", tok3, slice_axis(c, inw, 0, 1, 2, name(c, "%s/first_byte", nm)),
                          name(c, "%s/has_bytes", nm));
    const char *char_vec = where(c, has, th, zero_f, name(c, "%s/char_vec", nm));

    node_begin(c, "Concat", out);
    node_in(c, word_vec);
    node_in(c, char_vec);
    node_out(c, out);
    attr_int(c, "axis", 2);
    node_end(c);
    c->len = c->len32 = c->mask_b = c->mask_f = NULL;
    set_lengths(c, tok, T, nm);
    return out;
}

/* ---- the general-graph layers (src/layers/slice.c, elementwise.c, gram.c, norm.c) ---- */

static const char *ex_slice(onnx_ctx *c, graph_node *n, const char *out)
{
    const graph_node *x = graph_in(c->g, n, 0);
    int L = x->shape.d[n->spec.axis];
    int64_t s = n->spec.start, e = n->spec.end == GRAPH_SLICE_END ? L : n->spec.end, ax = n->spec.axis + 1;
    s += s < 0 ? L : 0; /* as slice.c resolves them */
    e += e < 0 ? L : 0;
    return slice_axis(c, in_val(c, n, 0), s, e, ax, out);
}

/* Input k of node n; a multiply's gate (N, C) reshaped to (N, C, 1, ...), which ONNX's
 * broadcast lines up with the map (N, C, spatial...).  Told by its axes, not its size:
 * on a 1 x 1 map (MobileNetV3's last blocks at 32 x 32) the gate has the map's size,
 * and ONNX broadcasts (N, C) against the map's last axes */
static const char *binary_in(onnx_ctx *c, const graph_node *n, int k)
{
    const char *v = in_val(c, n, k);
    if (graph_in(c->g, n, k)->shape.ndim == n->shape.ndim)
        return v;
    int64_t shape[TENSOR_MAX_DIMS + 1] = {0, n->shape.d[0]};
    for (int i = 2; i <= n->shape.ndim; i++)
        shape[i] = 1;
    return reshape(c, v, shape, n->shape.ndim + 1, name(c, "%s/gate%d", n->spec.name, k));
}

/* subtract, multiply (a chain for several inputs) */
static const char *ex_binary(onnx_ctx *c, graph_node *n, const char *out)
{
    const char *op = n->spec.op == OP_SUBTRACT ? "Sub" : "Mul", *v = binary_in(c, n, 0);
    for (int k = 1; k < n->n_in; k++)
        v = op2(c, op, v, binary_in(c, n, k), k + 1 == n->n_in ? out : name(c, "%s/%d", n->spec.name, k));
    return v;
}

static const char *ex_abs(onnx_ctx *c, graph_node *n, const char *out)
{
    return op1(c, "Abs", in_val(c, n, 0), out);
}

static const char *ex_square(onnx_ctx *c, graph_node *n, const char *out)
{
    const char *x = in_val(c, n, 0);
    return op2(c, "Mul", x, x, out);
}

/* y = (a - b)^2 / (|a| + |b| + eps), as elementwise.c */
static const char *ex_chi_square(onnx_ctx *c, graph_node *n, const char *out)
{
    const char *a = in_val(c, n, 0), *b = in_val(c, n, 1), *nm = n->spec.name;
    const char *u = op2(c, "Sub", a, b, name(c, "%s/diff", nm));
    const char *u2 = op2(c, "Mul", u, u, name(c, "%s/diff2", nm));
    const char *s = op2(c, "Add", op1(c, "Abs", a, name(c, "%s/abs_a", nm)),
                        op1(c, "Abs", b, name(c, "%s/abs_b", nm)), name(c, "%s/sum", nm));
    const char *se = op2(c, "Add", s, scalar_f32(c, name(c, "%s/eps", nm), n->spec.eps),
                         name(c, "%s/sum_eps", nm));
    return op2(c, "Div", u2, se, out);
}

/* The per-sample axes from `first` on of node x, as ONNX axes (after the batch's). */
static int sample_axes(const graph_node *x, int first, int64_t *axes)
{
    int k = 0;
    for (int i = first; i < x->shape.ndim; i++)
        axes[k++] = i + 1;
    return k;
}

/* y = x / sqrt(sum of the example's squares + eps) */
static const char *ex_l2normalize(onnx_ctx *c, graph_node *n, const char *out)
{
    const graph_node *x = graph_in(c->g, n, 0);
    const char *v = in_val(c, n, 0), *nm = n->spec.name;
    const char *sq = op2(c, "Mul", v, v, name(c, "%s/squares", nm));
    int64_t axes[TENSOR_MAX_DIMS];
    int na = sample_axes(x, 0, axes);
    const char *sum = reduce_axes(c, "ReduceSum", sq, axes, na, 1, name(c, "%s/sum", nm));
    const char *se = op2(c, "Add", sum, scalar_f32(c, name(c, "%s/eps", nm), n->spec.eps),
                         name(c, "%s/sum_eps", nm));
    return op2(c, "Div", v, op1(c, "Sqrt", se, name(c, "%s/norm", nm)), out);
}

/* G (N, C, C) = F F^T / (C S), F the example's map as (C, S) */
static const char *ex_gram(onnx_ctx *c, graph_node *n, const char *out)
{
    const graph_node *x = graph_in(c->g, n, 0);
    const char *nm = n->spec.name;
    int64_t shape[3] = {0, x->shape.d[0], -1}, perm[3] = {0, 2, 1};
    const char *f = reshape(c, in_val(c, n, 0), shape, 3, name(c, "%s/F", nm));
    const char *ft = transpose(c, f, perm, 3, name(c, "%s/Ft", nm));
    const char *g = op2(c, "MatMul", f, ft, name(c, "%s/FFt", nm));
    return op2(c, "Mul", g, scalar_f32(c, name(c, "%s/scale", nm), 1.0f / (float)x->size), out);
}

/* x (N, C, S...) as (N, G, K, S...), G and K swapped, back to (N, C, S...) */
static const char *ex_channel_shuffle(onnx_ctx *c, graph_node *n, const char *out)
{
    const graph_node *x = graph_in(c->g, n, 0);
    const char *nm = n->spec.name;
    int r = x->shape.ndim, G = n->spec.groups;
    int64_t grouped[TENSOR_MAX_DIMS + 2] = {0, G, x->shape.d[0] / G}, perm[TENSOR_MAX_DIMS + 2] = {0, 2, 1},
            back[TENSOR_MAX_DIMS + 1] = {0, x->shape.d[0]};
    for (int i = 1; i < r; i++) {
        grouped[i + 2] = back[i + 1] = x->shape.d[i];
        perm[i + 2] = i + 2;
    }
    const char *v = reshape(c, in_val(c, n, 0), grouped, r + 2, name(c, "%s/grouped", nm));
    v = transpose(c, v, perm, r + 2, name(c, "%s/swapped", nm));
    return reshape(c, v, back, r + 1, out);
}

/* DepthToSpace with the layer's order (CRD: PyTorch's nn.PixelShuffle export) */
static const char *ex_pixel_shuffle(onnx_ctx *c, graph_node *n, const char *out)
{
    node_begin(c, "DepthToSpace", out);
    node_in(c, in_val(c, n, 0));
    node_out(c, out);
    attr_int(c, "blocksize", n->spec.scale.v[0]);
    attr_string(c, "mode", n->spec.order == SHUFFLE_DCR ? "DCR" : "CRD");
    node_end(c);
    return out;
}

/* dcr: SpaceToDepth; crd: Reshape (N, C, H/r, r, W/r, r), Transpose (0, 1, 3, 5, 2, 4),
 * Reshape (N, C r^2, H/r, W/r), PyTorch's export of nn.PixelUnshuffle */
static const char *ex_pixel_unshuffle(onnx_ctx *c, graph_node *n, const char *out)
{
    const graph_node *x = graph_in(c->g, n, 0);
    const char *nm = n->spec.name;
    int r = n->spec.scale.v[0];
    if (n->spec.order == SHUFFLE_DCR) {
        node_begin(c, "SpaceToDepth", out);
        node_in(c, in_val(c, n, 0));
        node_out(c, out);
        attr_int(c, "blocksize", r);
        node_end(c);
        return out;
    }
    int64_t blocks[6] = {0, x->shape.d[0], x->shape.d[1] / r, r, x->shape.d[2] / r, r},
            perm[6] = {0, 1, 3, 5, 2, 4}, back[4] = {0, n->shape.d[0], n->shape.d[1], n->shape.d[2]};
    const char *v = reshape(c, in_val(c, n, 0), blocks, 6, name(c, "%s/blocks", nm));
    v = transpose(c, v, perm, 6, name(c, "%s/moved", nm));
    return reshape(c, v, back, 4, out);
}

/* y[c, o] = x[c, floor(o / f)] per spatial axis */
static const char *ex_upsample(onnx_ctx *c, graph_node *n, const char *out)
{
    const graph_node *x = graph_in(c->g, n, 0);
    const layer_window *f = &n->spec.scale;
    int r = x->shape.ndim;
    float scales[TENSOR_MAX_DIMS + 1] = {1.0f, 1.0f};
    for (int i = 1; i < r; i++)
        scales[i + 1] = (float)f->v[f->n == 1 ? 0 : i - 1];
    int64_t dims[1] = {r + 1};
    const char *s = constant(c, name(c, "%s/scales", n->spec.name), ONNX_FLOAT, scales,
                             sizeof *scales * (size_t)(r + 1), dims, 1);
    node_begin(c, "Resize", out);
    node_in(c, in_val(c, n, 0));
    node_in(c, ""); /* no roi */
    node_in(c, s);
    node_out(c, out);
    if (n->spec.interp == UPSAMPLE_BILINEAR) { /* PyTorch's export of align_corners False, True */
        attr_string(c, "mode", "linear");
        attr_string(c, "coordinate_transformation_mode", n->spec.align_corners ? "align_corners" : "pytorch_half_pixel");
        node_end(c);
        return out;
    }
    attr_string(c, "mode", "nearest");
    attr_string(c, "coordinate_transformation_mode", "asymmetric");
    attr_string(c, "nearest_mode", "floor");
    node_end(c);
    return out;
}

/* over the trailing axes the layer normalizes (its gamma's shape); over a
 * map's channels (channels: true) between Transposes that make them last and
 * back, as PyTorch writes ConvNeXt's LayerNorm2d */
static const char *ex_layernorm(onnx_ctx *c, graph_node *n, const char *out)
{
    const graph_node *x = graph_in(c->g, n, 0);
    const graph_param *gp = graph_p(c->g, n, 0);
    int r = x->shape.ndim, cl = n->spec.channels && r > 1;
    int A = cl ? 1 : gp->shape.ndim, first = r - A;
    const char *v = in_val(c, n, 0), *gamma = param(c, n, 0), *beta = param(c, n, 1), *nm = n->spec.name;
    int64_t last[TENSOR_MAX_DIMS + 1] = {0}, back[TENSOR_MAX_DIMS + 1] = {0, r};
    for (int i = 1; i < r; i++) {
        last[i] = i + 1;
        back[i + 1] = i;
    }
    last[r] = 1;
    if (cl)
        v = transpose(c, v, last, r + 1, name(c, "%s/channels_last", nm));
    const char *o = cl ? name(c, "%s/normalized_last", nm) : steps_out(c, n, out);
    if (c->opset >= 17) {
        node_begin(c, "LayerNormalization", o);
        node_in(c, v);
        node_in(c, gamma);
        node_in(c, beta);
        node_out(c, o);
        attr_int(c, "axis", first + 1);
        attr_float(c, "epsilon", n->spec.eps);
        node_end(c);
    } else {
        /* below opset 17: (x - mean) / sqrt(var + eps) * gamma + beta */
        int64_t axes[TENSOR_MAX_DIMS];
        int na = sample_axes(x, first, axes);
        const char *mean = reduce_axes(c, "ReduceMean", v, axes, na, 1, name(c, "%s/mean", nm));
        const char *d = op2(c, "Sub", v, mean, name(c, "%s/centered", nm));
        const char *d2 = op2(c, "Mul", d, d, name(c, "%s/squares", nm));
        const char *var = reduce_axes(c, "ReduceMean", d2, axes, na, 1, name(c, "%s/var", nm));
        const char *ve = op2(c, "Add", var, scalar_f32(c, name(c, "%s/eps", nm), n->spec.eps),
                             name(c, "%s/var_eps", nm));
        const char *h = op2(c, "Div", d, op1(c, "Sqrt", ve, name(c, "%s/std", nm)), name(c, "%s/normalized", nm));
        op2(c, "Add", op2(c, "Mul", h, gamma, name(c, "%s/scaled", nm)), beta, o);
    }
    return cl ? transpose(c, o, back, r + 1, out) : zero_padding(c, o, out);
}

/* y = sum_j (gamma softmax(w)_j) x_j */
static const char *ex_scalar_mix(onnx_ctx *c, graph_node *n, const char *out)
{
    const char *nm = n->spec.name;
    node_begin(c, "Softmax", name(c, "%s/s", nm));
    node_in(c, param(c, n, 0));
    node_out(c, name(c, "%s/s", nm));
    attr_int(c, "axis", 0);
    node_end(c);
    const char *coef = op2(c, "Mul", name(c, "%s/s", nm), param(c, n, 1), name(c, "%s/coef", nm));
    const char *terms[GRAPH_MAX_INPUTS];
    for (int j = 0; j < n->n_in; j++) {
        const char *cj = op2(c, "Gather", coef, scalar_i64(c, name(c, "%s/j%d", nm, j), j),
                             name(c, "%s/coef%d", nm, j));
        terms[j] = op2(c, "Mul", in_val(c, n, j), cj, name(c, "%s/term%d", nm, j));
    }
    node_begin(c, "Sum", out);
    for (int j = 0; j < n->n_in; j++)
        node_in(c, terms[j]);
    node_out(c, out);
    node_end(c);
    return out;
}

/* dlc's gate rows -> ONNX's, per cell: source gate (-1: the constant-one
 * reset gate of the simplified GRU) and sign. */
typedef struct {
    const char *op;
    int G;              /* ONNX gates */
    int src[4];
    float sign[4];
} rnn_map;

static const rnn_map rnn_maps[] = {
    {"RNN", 1, {0}, {1}},                              /* h */
    {"GRU", 3, {0, -1, 1}, {-1, 1, 1}},                /* simplified u, c -> z = -u, r = 1, h = c */
    {"GRU", 3, {1, 0, 2}, {-1, 1, 1}},                 /* full r, u, c -> z = -u, r, h = c */
    {"LSTM", 4, {0, 3, 1, 2}, {1, 1, 1, 1}},           /* i, f, g, o -> i, o, f, c */
};

static const char *ex_recurrent(onnx_ctx *c, graph_node *n, const char *out)
{
    const layer_spec *s = &n->spec;
    const graph_node *x = graph_in(c->g, n, 0);
    const char *nm = s->name;
    int cell = s->op == OP_RNN ? 0 : s->op == OP_LSTM ? 3 : s->variant == GRU_SIMPLIFIED ? 1 : 2;
    const rnn_map *map = &rnn_maps[cell];
    int dirs = s->bidirectional ? 2 : 1, H = s->units, D = x->shape.d[1], GH = map->G * H;
    int ra = cell == 2 && s->variant == GRU_RESET_AFTER; /* b_hn: Rb of the h gate */
    int np = s->use_bias ? (ra ? 4 : 3) : 2;
    int need_b = s->use_bias || cell == 1;
    float *W = new_floats(c, (size_t)dirs * GH * D), *R = new_floats(c, (size_t)dirs * GH * H);
    float *B = new_floats(c, (size_t)dirs * 2 * GH);
    if (!W || !R || !B) {
        free(W);
        free(R);
        free(B);
        return "";
    }
    for (int d = 0; d < dirs; d++) {
        const graph_param *wih = graph_p(c->g, n, d * np), *whh = graph_p(c->g, n, d * np + 1);
        const graph_param *b = s->use_bias ? graph_p(c->g, n, d * np + 2) : NULL;
        for (int k = 0; k < map->G; k++) {
            int src = map->src[k];
            float sg = map->sign[k];
            float *wk = W + ((size_t)d * GH + (size_t)k * H) * D, *rk = R + ((size_t)d * GH + (size_t)k * H) * H;
            float *bk = B + (size_t)d * 2 * GH + (size_t)k * H; /* Wb; Rb stays zero */
            for (int j = 0; j < H; j++) {
                if (src < 0) {
                    bk[j] = 100.0f; /* sigmoid(100) is 1.0f: the reset gate is off */
                    continue;
                }
                for (int i = 0; i < D; i++)
                    wk[(size_t)j * D + i] = sg * wih->data[((size_t)src * H + j) * D + i];
                for (int i = 0; i < H; i++)
                    rk[(size_t)j * H + i] = sg * whh->data[((size_t)src * H + j) * H + i];
                if (b)
                    bk[j] = sg * b->data[(size_t)src * H + j];
            }
        }
        if (ra && s->use_bias)
            memcpy(B + (size_t)d * 2 * GH + GH + 2 * (size_t)H, graph_p(c->g, n, d * np + 3)->data,
                   sizeof(float) * (size_t)H);
    }
    int64_t wd[3] = {dirs, GH, D}, rd[3] = {dirs, GH, H}, bd[2] = {dirs, 2 * GH};
    const char *wn = big_tensor(c, name(c, "%s.W", nm), wd, 3, W, W);
    const char *rn = big_tensor(c, name(c, "%s.R", nm), rd, 3, R, R);
    const char *bn = "";
    if (need_b)
        bn = big_tensor(c, name(c, "%s.B", nm), bd, 2, B, B);
    else
        free(B);
    int64_t tnd[3] = {1, 0, 2};
    const char *xt = transpose(c, in_val(c, n, 0), tnd, 3, name(c, "%s/time_major", nm));
    const char *y = name(c, "%s/Y", nm), *yh = name(c, "%s/Y_h", nm);
    const char *lens = masked(c, x) ? len32(c) : NULL; /* before the node: it adds a node */
    node_begin(c, map->op, name(c, "%s/%s", nm, map->op));
    node_in(c, xt);
    node_in(c, wn);
    node_in(c, rn);
    node_in(c, bn);
    if (lens)
        node_in(c, lens);
    node_out(c, y);
    node_out(c, yh);
    attr_int(c, "hidden_size", H);
    attr_string(c, "direction", dirs == 2 ? "bidirectional" : s->reverse ? "reverse" : "forward");
    if (cell == 0)
        attr_strings(c, "activations", s->nonlinearity == RNN_CELL_RELU ? "Relu" : "Tanh", dirs);
    if (cell == 1 || cell == 2)
        attr_int(c, "linear_before_reset", s->variant == GRU_RESET_AFTER);
    node_end(c);
    int sum = dirs == 2 && s->merge == RNN_MERGE_SUM;
    if (s->return_sequences) {
        /* Y (T, dirs, N, H) -> (N, T, dirs, H) -> (N, T, dirs*H) or summed */
        int64_t perm[4] = {2, 0, 1, 3}, flat[3] = {0, 0, -1};
        const char *yt = transpose(c, y, perm, 4, name(c, "%s/batch_major", nm));
        return sum ? reduce(c, "ReduceSum", yt, 2, 0, out) : reshape(c, yt, flat, 3, out);
    }
    /* Y_h (dirs, N, H) -> (N, dirs, H) -> (N, dirs*H) or summed */
    int64_t perm[3] = {1, 0, 2}, flat[2] = {0, -1};
    const char *ht = transpose(c, yh, perm, 3, name(c, "%s/last", nm));
    return sum ? reduce(c, "ReduceSum", ht, 1, 0, out) : reshape(c, ht, flat, 2, out);
}

/* The table: one row per layer kind; a row without an exporter says why. */
typedef struct {
    onnx_export_fn fn;
    const char *why_not;
} onnx_row;

static const onnx_row onnx_rows[OP_COUNT] = {
    [OP_INPUT] = {ex_alias, NULL},
    [OP_DENSE] = {ex_dense, NULL},
    [OP_ACTIVATION] = {ex_alias, NULL},
    [OP_DROPOUT] = {ex_alias, NULL},
    [OP_BATCHNORM] = {ex_batchnorm, NULL},
    [OP_FLATTEN] = {ex_flatten, NULL},
    [OP_RESHAPE] = {ex_reshape, NULL},
    [OP_ADD] = {ex_add, NULL},
    [OP_CONCAT] = {ex_concat, NULL},
    [OP_CONV1D] = {ex_conv, NULL},
    [OP_CONV2D] = {ex_conv, NULL},
    [OP_CONV3D] = {ex_conv, NULL},
    [OP_MAXPOOL] = {ex_pool, NULL},
    [OP_AVGPOOL] = {ex_pool, NULL},
    [OP_GLOBAL_AVGPOOL] = {ex_global_avgpool, NULL},
    [OP_TIME_AVGPOOL] = {ex_time_avgpool, NULL},
    [OP_TIME_MAXPOOL] = {ex_time_maxpool, NULL},
    [OP_EMBEDDING] = {ex_embedding, NULL},
    [OP_RNN] = {ex_recurrent, NULL},
    [OP_GRU] = {ex_recurrent, NULL},
    [OP_LSTM] = {ex_recurrent, NULL},
    [OP_SLICE] = {ex_slice, NULL},
    [OP_SPLIT] = {ex_alias, NULL}, /* y = x; its pieces are slice nodes */
    [OP_SUBTRACT] = {ex_binary, NULL},
    [OP_MULTIPLY] = {ex_binary, NULL},
    [OP_ABS] = {ex_abs, NULL},
    [OP_SQUARE] = {ex_square, NULL},
    [OP_L2NORMALIZE] = {ex_l2normalize, NULL},
    [OP_GRAM] = {ex_gram, NULL},
    [OP_LAYERNORM] = {ex_layernorm, NULL},
    [OP_SCALAR_MIX] = {ex_scalar_mix, NULL},
    [OP_WORD_CHARS] = {ex_word_chars, NULL},
    [OP_CHI_SQUARE] = {ex_chi_square, NULL},
    [OP_CHANNEL_SHUFFLE] = {ex_channel_shuffle, NULL},
    [OP_UPSAMPLE] = {ex_upsample, NULL},
    [OP_CONV_TRANSPOSE] = {ex_conv_transpose, NULL},
    [OP_PIXEL_SHUFFLE] = {ex_pixel_shuffle, NULL},
    [OP_PIXEL_UNSHUFFLE] = {ex_pixel_unshuffle, NULL},
};

const char *onnx_op_unsupported(int op)
{
    if (op < 0 || op >= OP_COUNT)
        return "not a layer kind";
    if (onnx_rows[op].fn)
        return NULL;
    return onnx_rows[op].why_not ? onnx_rows[op].why_not : "no ONNX exporter has been written for it";
}

/* ---- activations ---- */

/* HardSigmoid, max(0, min(1, alpha x + beta)): PyTorch's is alpha 1/6, beta 1/2 */
static const char *hard_sigmoid(onnx_ctx *c, const char *x, float alpha, float beta, const char *out)
{
    node_begin(c, "HardSigmoid", out);
    node_in(c, x);
    node_out(c, out);
    attr_float(c, "alpha", alpha);
    attr_float(c, "beta", beta);
    node_end(c);
    return out;
}

static const char *activation(onnx_ctx *c, const graph_node *n, const char *x, const char *out)
{
    const char *nm = n->spec.name;
    switch (n->spec.activation) {
    case ACT_SIGMOID:
        return op1(c, "Sigmoid", x, out);
    case ACT_TANH:
        return op1(c, "Tanh", x, out);
    case ACT_RELU:
        return op1(c, "Relu", x, out);
    case ACT_LEAKY_RELU:
    case ACT_ELU:
        node_begin(c, n->spec.activation == ACT_ELU ? "Elu" : "LeakyRelu", out);
        node_in(c, x);
        node_out(c, out);
        attr_float(c, "alpha", n->spec.alpha);
        node_end(c);
        return out;
    case ACT_GELU:
        if (c->opset >= 20)
            return op1(c, "Gelu", x, out);
        else {
            /* the exact form dlc uses: 0.5 x (1 + erf(x / sqrt 2)) */
            const char *a = op2(c, "Mul", x, scalar_f32(c, name(c, "%s/rsqrt2", nm), (float)M_SQRT1_2),
                                name(c, "%s/scaled", nm));
            const char *e = op1(c, "Erf", a, name(c, "%s/erf", nm));
            const char *p = op2(c, "Add", e, scalar_f32(c, name(c, "%s/one", nm), 1.0f), name(c, "%s/erf1", nm));
            const char *xp = op2(c, "Mul", x, p, name(c, "%s/xerf1", nm));
            return op2(c, "Mul", xp, scalar_f32(c, name(c, "%s/half", nm), 0.5f), out);
        }
    case ACT_RELU6:
        node_begin(c, "Clip", out);
        node_in(c, x);
        node_in(c, scalar_f32(c, name(c, "%s/zero", nm), 0.0f));
        node_in(c, scalar_f32(c, name(c, "%s/six", nm), 6.0f));
        node_out(c, out);
        node_end(c);
        return out;
    case ACT_SILU: /* x * Sigmoid(x), as PyTorch exports nn.SiLU */
        return op2(c, "Mul", x, op1(c, "Sigmoid", x, name(c, "%s/sigmoid", nm)), out);
    case ACT_HARDSIGMOID:
        return hard_sigmoid(c, x, n->spec.slope, n->spec.offset, out);
    case ACT_HARDSWISH: /* HardSwish from opset 14; before, x * HardSigmoid(x), as PyTorch 1.13 writes it */
        if (c->opset >= 14)
            return op1(c, "HardSwish", x, out);
        return op2(c, "Mul", x, hard_sigmoid(c, x, 1.0f / 6.0f, 0.5f, name(c, "%s/hardsigmoid", nm)), out);
    case ACT_SOFTMAX:
        node_begin(c, "Softmax", out);
        node_in(c, x);
        node_out(c, out);
        attr_int(c, "axis", -1);
        node_end(c);
        return out;
    case ACT_LINEAR:
    case ACT_COUNT:
        break;
    }
    return x;
}

/* ---- the graph's inputs and outputs ---- */

static void value_info(onnx_pb *dst, int field, const char *nm, int dtype, const tensor_shape *s)
{
    onnx_pb vi = {0}, type = {0}, tt = {0}, shape = {0}, dim = {0};
    onnx_pb_string(&dim, 2, "N");
    onnx_pb_msg(&shape, 1, &dim);
    for (int i = 0; i < s->ndim; i++) {
        dim.len = 0;
        onnx_pb_int(&dim, 1, s->d[i]);
        onnx_pb_msg(&shape, 1, &dim);
    }
    onnx_pb_int(&tt, 1, dtype);
    onnx_pb_msg(&tt, 2, &shape);
    onnx_pb_msg(&type, 1, &tt);
    onnx_pb_string(&vi, 1, nm);
    onnx_pb_msg(&vi, 2, &type);
    onnx_pb_msg(dst, field, &vi);
    if (vi.failed || type.failed || tt.failed || shape.failed || dim.failed)
        dst->failed = 1;
    onnx_pb_free(&vi);
    onnx_pb_free(&type);
    onnx_pb_free(&tt);
    onnx_pb_free(&shape);
    onnx_pb_free(&dim);
}

/* 1 when node v's values reach only embeddings (and word_chars), directly or
 * through slices, flattens and reshapes, which move ids without changing
 * them; *used is set when some consumer reads them. */
static int feeds_only_ids(const graph *g, int v, int *used)
{
    for (int i = g->n_inputs; i < g->n_nodes; i++)
        for (int k = 0; k < g->nodes[i].n_in; k++) {
            if (g->nodes[i].in[k] != v)
                continue;
            int op = g->nodes[i].spec.op;
            if (op == OP_EMBEDDING || op == OP_WORD_CHARS)
                *used = 1;
            else if (!((op == OP_SLICE || op == OP_FLATTEN || op == OP_RESHAPE) &&
                       feeds_only_ids(g, i, used)))
                return 0;
        }
    return 1;
}

/* 1 when the model input feeds only embeddings (and word_chars), perhaps
 * through slices (a word-id column), and is not normalized: it is token ids
 * (and byte ids), given as int64 */
static int input_is_ids(const onnx_ctx *c)
{
    const data_norm *nm = &c->m->norm;
    int used = 0;
    for (size_t j = 0; j < nm->dim; j++)
        if (nm->shift[j] != 0.0f || nm->scale[j] != 1.0f)
            return 0;
    return feeds_only_ids(c->g, 0, &used) && used;
}

/* The input, normalized and shaped as the model's first node takes it. */
static void export_input(onnx_ctx *c, onnx_pb *io)
{
    model *m = c->m;
    const tensor_shape *ds = &m->data_shape;
    if (input_is_ids(c)) {
        value_info(io, 11, "input_ids", ONNX_INT64, ds);
        c->ids[0] = "input_ids";
        c->val[0] = cast(c, "input_ids", ONNX_FLOAT, "input/float");
        return;
    }
    value_info(io, 11, "input", ONNX_FLOAT, ds);
    const char *v = "input";
    int identity = 1;
    for (size_t j = 0; j < m->norm.dim; j++)
        identity &= m->norm.shift[j] == 0.0f && m->norm.scale[j] == 1.0f;
    if (!identity) {
        /* x' = (x - shift) * scale, constants in the data's shape */
        int64_t dims[TENSOR_MAX_DIMS];
        for (int i = 0; i < ds->ndim; i++)
            dims[i] = ds->d[i];
        const char *sh = big_tensor(c, "norm.shift", dims, ds->ndim, m->norm.shift, NULL);
        const char *sc = big_tensor(c, "norm.scale", dims, ds->ndim, m->norm.scale, NULL);
        v = op2(c, "Mul", op2(c, "Sub", v, sh, "input/centered"), sc, "input/normalized");
    }
    if (!tensor_shape_equal(ds, &m->input)) {
        int64_t shape[TENSOR_MAX_DIMS + 1] = {0};
        for (int i = 0; i < m->input.ndim; i++)
            shape[1 + i] = m->input.d[i];
        v = reshape(c, v, shape, m->input.ndim + 1, "input/reshaped");
    }
    c->val[0] = v;
}

/* Head h's outputs: "logits" and "probabilities" through its loss's link, or
 * "output" (mse); with several heads "<head>.logits" and so on. */
static void export_head(onnx_ctx *c, onnx_pb *io, int h)
{
    const model_head *mh = &c->m->heads[h];
    graph_node *o = graph_output(c->g, h);
    const char *v = c->val[o->id], *pre = c->m->n_heads > 1 ? mh->name : "", *dot = *pre ? "." : "";
    int link = loss_get(mh->loss)->link;
    if (link == ACT_LINEAR && c->m->tshift && mh->loss == LOSS_MSE) {
        /* data.normalize_targets: back to the targets' units, o / scale + shift */
        int64_t dims[TENSOR_MAX_DIMS];
        for (int i = 0; i < o->shape.ndim; i++)
            dims[i] = o->shape.d[i];
        float *unscale = malloc(sizeof(float) * mh->n_targets);
        if (!unscale) {
            fail_nomem(c);
            return;
        }
        for (size_t k = 0; k < mh->n_targets; k++)
            unscale[k] = 1.0f / c->m->tscale[mh->target_off + k];
        const char *sc = big_tensor(c, name(c, "%s%starget.unscale", pre, dot), dims, o->shape.ndim,
                                    unscale, unscale);
        const char *sh = big_tensor(c, name(c, "%s%starget.shift", pre, dot), dims, o->shape.ndim,
                                    c->m->tshift + mh->target_off, NULL);
        v = op2(c, "Add", op2(c, "Mul", v, sc, name(c, "%s%soutput/scaled", pre, dot)), sh,
                name(c, "%s%soutput/shifted", pre, dot));
    }
    if (link == ACT_LINEAR) {
        const char *out = op1(c, "Identity", v, name(c, "%s%soutput", pre, dot));
        value_info(io, 12, out, ONNX_FLOAT, &o->shape);
        return;
    }
    const char *logits = op1(c, "Identity", v, name(c, "%s%slogits", pre, dot));
    graph_node link_node = *o; /* the link as the activation of a copy of the output node */
    link_node.spec.activation = (act_kind)link;
    const char *probs = activation(c, &link_node, v, name(c, "%s%sprobabilities", pre, dot));
    value_info(io, 12, logits, ONNX_FLOAT, &o->shape);
    value_info(io, 12, probs, ONNX_FLOAT, &o->shape);
}

/* ---- writing ---- */

static size_t big_header(const onnx_big *b, onnx_pb *h)
{
    h->len = 0;
    tensor_header(h, b->name, ONNX_FLOAT, b->dims, b->ndim);
    size_t raw = b->n * sizeof(float);
    onnx_pb_tag(h, 9, PB_LEN);
    onnx_pb_varint(h, raw);
    return h->len + raw; /* the TensorProto's size */
}

static int ir_version(int opset)
{
    return opset <= 14 ? 7 : opset <= 18 ? 8 : opset <= 20 ? 9 : 10;
}

static void meta(onnx_pb *model_pb, const char *key, const char *value)
{
    onnx_pb e = {0};
    onnx_pb_string(&e, 1, key);
    onnx_pb_string(&e, 2, value);
    onnx_pb_msg(model_pb, 14, &e);
    if (e.failed)
        model_pb->failed = 1;
    onnx_pb_free(&e);
}

/* The model's fields but the graph, the graph's fields but its weights,
 * then the weights streamed: graph length = its small part + every weight
 * TensorProto, known before a byte is written. */
static dlc_status write_model(onnx_ctx *c, const onnx_pb *io, const char *path, const onnx_export_opts *o)
{
    model *m = c->m;
    dlc_status st = DLC_OK;
    onnx_pb head = {0}, graph_small = {0}, h = {0}, opset = {0};
    dlc_buf classes = {0}, vocab = {0}, shape = {0}, doc = {0}, heads = {0}, features = {0};
    io_atomic a = {0};

    onnx_pb_int(&head, 1, ir_version(c->opset));
    onnx_pb_string(&head, 2, "dlc");
    onnx_pb_string(&head, 3, o->producer_version ? o->producer_version : "");
    onnx_pb_int(&opset, 2, c->opset);
    onnx_pb_msg(&head, 8, &opset);
    dlc_buf_printf(&doc, "exported by dlc%s%s", o->source ? " from " : "", o->source ? o->source : "");
    json_write_strings(&classes, &m->heads[0].classes);
    json_write_strings(&vocab, &m->vocab);
    json_write_strings(&features, &m->features);
    model_heads_json(&heads, m);
    dlc_buf_printf(&shape, "[");
    for (int i = 0; i < m->data_shape.ndim; i++)
        dlc_buf_printf(&shape, i ? ",%d" : "%d", m->data_shape.d[i]);
    dlc_buf_printf(&shape, "]");
    if (doc.failed || classes.failed || vocab.failed || shape.failed || heads.failed ||
        features.failed) {
        st = DLC_NOMEM(c->err);
        goto cleanup;
    }
    onnx_pb_string(&head, 6, doc.s);
    meta(&head, "classes", classes.s);
    if (m->vocab.n > 0)
        meta(&head, "vocab", vocab.s);
    /* a CSV model's feature columns: dlc import gives them back, so that
     * dlc predict reads rows of CSV files by name as the source run does */
    if (m->features.n > 0)
        meta(&head, "features", features.s);
    meta(&head, "loss", loss_names[m->heads[0].loss]);
    meta(&head, "heads", heads.s);
    meta(&head, "input_shape", shape.s);
    if (m->config_yaml)
        meta(&head, "dlc_config", m->config_yaml);

    onnx_pb_raw(&graph_small, c->nodes.p, c->nodes.len);
    onnx_pb_string(&graph_small, 2, c->m->g->nodes[graph_output(c->g, 0)->id].spec.name);
    onnx_pb_raw(&graph_small, c->small.p, c->small.len);
    onnx_pb_raw(&graph_small, io->p, io->len);
    if (head.failed || graph_small.failed || opset.failed) {
        st = DLC_NOMEM(c->err);
        goto cleanup;
    }
    size_t glen = graph_small.len;
    for (int i = 0; i < c->n_big; i++)
        glen += onnx_pb_len_field(5, big_header(&c->big[i], &h));
    if (head.len + onnx_pb_len_field(7, glen) > (size_t)INT32_MAX) {
        /* protobuf's own limit; ONNX's way past it (external data files) is not written */
        st = dlc_fail(c->err, DLC_EINPUT, "%s: the model takes %.2f GB, and an ONNX file holds at most 2 GB",
                      path, (double)glen / 1e9);
        goto cleanup;
    }
    onnx_pb_tag(&head, 7, PB_LEN);
    onnx_pb_varint(&head, glen);
    if (head.failed || h.failed) {
        st = DLC_NOMEM(c->err);
        goto cleanup;
    }

    if ((st = io_atomic_begin(&a, path, c->err)) != DLC_OK)
        goto cleanup;
    int ok = fwrite(head.p, 1, head.len, a.f) == head.len &&
             fwrite(graph_small.p, 1, graph_small.len, a.f) == graph_small.len;
    for (int i = 0; i < c->n_big && ok; i++) {
        const onnx_big *b = &c->big[i];
        onnx_pb f = {0};
        size_t tlen = big_header(b, &h);
        onnx_pb_tag(&f, 5, PB_LEN);
        onnx_pb_varint(&f, tlen);
        ok = !f.failed && !h.failed && fwrite(f.p, 1, f.len, a.f) == f.len &&
             fwrite(h.p, 1, h.len, a.f) == h.len && fwrite(b->data, sizeof(float), b->n, a.f) == b->n;
        onnx_pb_free(&f);
    }
    if (!ok) {
        st = dlc_fail(c->err, DLC_EIO, "%s: write failed", path);
        goto cleanup;
    }
    st = io_atomic_commit(&a, c->err);
cleanup:
    io_atomic_abort(&a);
    onnx_pb_free(&head);
    onnx_pb_free(&graph_small);
    onnx_pb_free(&h);
    onnx_pb_free(&opset);
    dlc_buf_free(&classes);
    dlc_buf_free(&vocab);
    dlc_buf_free(&shape);
    dlc_buf_free(&doc);
    dlc_buf_free(&heads);
    dlc_buf_free(&features);
    return st;
}

/* The value name of a layer's output: its own name, unless that is one of
 * the graph's input or output names. */
static const char *layer_value(onnx_ctx *c, const graph_node *n, const char *suffix)
{
    int clash = 0;
    for (int i = 0; reserved[i]; i++)
        clash |= strcmp(n->spec.name, reserved[i]) == 0;
    return name(c, "%s%s%s", n->spec.name, clash ? "/out" : "", suffix);
}

dlc_status onnx_export(model *m, const char *path, const onnx_export_opts *opts, dlc_error *err)
{
    graph *g = m->g;
    char label[256];
    if (opts->opset < ONNX_OPSET_MIN || opts->opset > ONNX_OPSET_MAX)
        return dlc_fail(err, DLC_EINPUT, "--opset %d: dlc writes opsets %d to %d", opts->opset,
                        ONNX_OPSET_MIN, ONNX_OPSET_MAX);
    for (int i = g->n_inputs; i < g->n_nodes; i++) {
        const char *why = onnx_op_unsupported(g->nodes[i].spec.op);
        if (why)
            return dlc_fail(err, DLC_EINPUT, "%s cannot be exported to ONNX: %s",
                            graph_node_label(&g->nodes[i], label, sizeof label), why);
    }
    onnx_ctx c = {.m = m, .g = g, .opset = opts->opset, .err = err};
    onnx_pb io = {0};
    c.val = calloc((size_t)g->n_nodes, sizeof *c.val);
    c.ids = calloc((size_t)g->n_nodes, sizeof *c.ids);
    c.param_done = calloc((size_t)g->n_params + 1, 1);
    if (!c.val || !c.ids || !c.param_done) {
        fail_nomem(&c);
        goto cleanup;
    }
    export_input(&c, &io);
    for (int i = g->n_inputs; i < g->n_nodes && !c.st; i++) {
        graph_node *n = &g->nodes[i];
        int act = n->spec.activation != ACT_LINEAR;
        const char *want = layer_value(&c, n, act ? "/pre" : "");
        const char *v = onnx_rows[n->spec.op].fn(&c, n, want);
        if (act)
            v = activation(&c, n, v, layer_value(&c, n, ""));
        c.val[i] = v;
    }
    for (int h = 0; h < m->n_heads; h++)
        export_head(&c, &io, h);
    if (io.failed)
        fail_nomem(&c);
    if (!c.st)
        c.st = write_model(&c, &io, path, opts);
cleanup:;
    dlc_status st = c.st;
    for (int i = 0; i < c.n_big; i++)
        free(c.big[i].owned);
    free(c.big);
    free(c.val);
    free(c.ids);
    free(c.param_done);
    onnx_pb_free(&c.nodes);
    onnx_pb_free(&c.small);
    onnx_pb_free(&c.cur);
    onnx_pb_free(&c.attr);
    onnx_pb_free(&io);
    dlc_strlist_clear(&c.names);
    return st;
}
