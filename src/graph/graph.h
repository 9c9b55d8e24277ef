/* graph.h - the layer graph: named nodes, shapes checked at build time,
 * forward, reverse-mode backward, and the parameter registry.
 *
 * A graph is built once from an array of layer_spec (what a config file
 * describes), for a fixed batch capacity NMAX; after graph_build nothing is
 * allocated until graph_free.  Every node holds its output (N, size) and the
 * gradient of the loss with respect to that output.  Parameters live in one
 * block, their gradients in another; a layer that names `share:` reuses
 * another layer's parameters (siamese encoders), `trainable: false` freezes a
 * layer (transfer learning), and a graph may have several output nodes, each
 * with its own loss.
 *
 * A forward/backward step:
 *     graph_forward(g, N, 1);           training mode (dropout on, batch stats)
 *     graph_zero_grad(g);               clears node and parameter gradients
 *     ...loss adds dL/dy into graph_node_grad(g, out)...
 *     graph_backward(g, N);
 */
#ifndef DLC_GRAPH_H
#define DLC_GRAPH_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/error.h"
#include "../base/rng.h"
#include "../base/util.h"
#include "../tensor/tensor.h"

/* inputs of one layer: a DenseNet block written as Keras' functional API writes it joins
 * every earlier map in one concat (DenseNet-121's third block joins 25, DenseNet-201's 49) */
#define GRAPH_MAX_INPUTS 64
#define GRAPH_MAX_OUTPUTS 8       /* heads of one model */
#define GRAPH_MAX_PARAMS 8
#define GRAPH_NAME_MAX 64
#define GRAPH_MAX_PIECES 16       /* split: pieces of one axis */
#define GRAPH_SLICE_END INT_MIN   /* slice: an end of null, the end of the axis */
/* layers in one model (after blocks are expanded): the config refuses more */
#define GRAPH_MAX_LAYERS 100000

/* ---- activations (applied by the graph after any op that names one) ---- */
typedef enum {
    ACT_LINEAR,
    ACT_SIGMOID,
    ACT_TANH,
    ACT_RELU,
    ACT_LEAKY_RELU,
    ACT_ELU,
    ACT_GELU,
    ACT_RELU6,
    ACT_SILU,
    ACT_HARDSIGMOID,
    ACT_HARDSWISH,
    ACT_SOFTMAX,
    ACT_COUNT
} act_kind;
extern const char *const graph_act_names[ACT_COUNT + 1]; /* NULL-terminated */

/* ---- weight initialisation ---- */
typedef enum {
    INIT_AUTO,    /* by activation: he for relu-like, xavier otherwise */
    INIT_SMALL,   /* normal * 0.01 */
    INIT_HE,      /* normal * sqrt(2 / n_in) */
    INIT_HE_FAN_OUT, /* normal * sqrt(2 / n_out): PyTorch's kaiming_normal_(mode='fan_out') */
    INIT_XAVIER,  /* normal * sqrt(1 / n_in) */
    INIT_GLOROT,  /* normal * sqrt(2 / (n_in + n_out)) */
    INIT_ZEROS,
    INIT_COUNT
} init_kind;
extern const char *const graph_init_names[INIT_COUNT + 1];

/* ---- convolution and pooling windows ----
 * A window gives one value per spatial axis (n = that many), or one value
 * for every axis (n = 1); n = 0 means "not given" (stride: 1 for convolutions,
 * the kernel for pooling). */
#define GRAPH_MAX_SPATIAL 3
typedef struct {
    int n;
    int v[GRAPH_MAX_SPATIAL];
} layer_window;

typedef enum { PAD_VALID, PAD_SAME, PAD_EXPLICIT, PAD_COUNT } pad_kind;
extern const char *const graph_pad_names[PAD_COUNT + 1]; /* "valid", "same", "explicit" */

/* How a convolution computes its products (src/layers/conv.c): auto picks
 * per layer; the Winograd ones need a 3x3 conv2d with stride 1. */
typedef enum { CONV_AUTO, CONV_IM2COL, CONV_WINOGRAD_2X2, CONV_WINOGRAD_4X4, CONV_ALGO_COUNT } conv_algo;
extern const char *const graph_conv_algo_names[CONV_ALGO_COUNT + 1];

/* ---- what a config file says about one layer ----
 * Which keys an op accepts is listed in its graph_op row; config fills only
 * those (and the common ones: name, type, inputs, activation, alpha,
 * trainable, share). */
typedef struct {
    char name[GRAPH_NAME_MAX];
    char type[32];
    int op;                       /* row of the op table */
    char where[128];              /* "file.yaml:14" for messages, may be "" */
    int n_inputs;                 /* 0: the previous layer (or the model input) */
    char inputs[GRAPH_MAX_INPUTS][GRAPH_NAME_MAX];
    char share[GRAPH_NAME_MAX];   /* "" or the layer whose parameters to reuse */
    int trainable;

    act_kind activation;
    float alpha;                  /* leaky_relu slope, elu alpha */
    float slope, offset;          /* hardsigmoid: max(0, min(1, slope x + offset)) */
    init_kind init;

    int units;                    /* dense */
    int use_bias;                 /* dense */
    float rate;                   /* dropout: probability of dropping */
    float momentum;               /* batchnorm: running = m*running + (1-m)*batch */
    float eps;                    /* batchnorm */
    int axis;                     /* concat: axis of the per-sample shape */
    int target_ndim;              /* reshape */
    int target[TENSOR_MAX_DIMS];  /* reshape; one entry may be -1 */
    int filters;                  /* conv: output channels F */
    layer_window kernel;          /* conv, pool: window size */
    layer_window stride;          /* conv, pool */
    layer_window dilation;        /* conv, maxpool: steps between the window's taps (1: dense) */
    layer_window scale;           /* upsample: each output position per input one, per spatial axis */
    int interp;                   /* upsample: upsample_mode */
    int order;                    /* pixel_shuffle, pixel_unshuffle: shuffle_order */
    int align_corners;            /* upsample, bilinear: 1 maps the corner pixels' centres onto each other
                                   * (PyTorch's align_corners=True), 0 scales the half-pixel grid */
    layer_window output_padding;  /* conv_transpose: positions added at the end of each spatial axis
                                   * (PyTorch's output_padding; 0 or more, below stride or dilation) */
    pad_kind padding;             /* conv, pool: valid, same, or explicit `pad` */
    layer_window pad;             /* conv, pool: zeros added before and after, per axis */
    int algorithm;                /* conv: conv_algo */
    int groups;                   /* conv: channel groups, each filter seeing C / groups channels
                                     (1: dense; C: depthwise) */
    int count_include_pad;        /* avgpool: 1 divides by the whole window (PyTorch's default),
                                     0 by its positions inside the input */
    int ceil_mode;                /* maxpool, avgpool: 1 rounds the output size up (a last window
                                     that starts inside the input may run past its padded end) */

    /* sequence layers (src/layers/embedding.c, recurrent.c) */
    int vocab;                    /* embedding: rows of E; 0 = the data's vocabulary (auto) */
    int pad_id;                   /* embedding: the padding id (-1: none); negative ids always pad */
    char pretrained[256];         /* embedding: "" or a text file of vectors "token v1 .. vE" */
    int return_sequences;         /* recurrent: one output per step (1) or the last state (0) */
    int bidirectional;            /* recurrent: a forward and a backward pass */
    int reverse;                  /* recurrent, one direction: read the sequence from its end */
    int merge;                    /* recurrent: rnn_merge, how the two directions combine */
    int bptt;                     /* recurrent: truncate backpropagation to k steps; 0 = all */
    int nonlinearity;             /* rnn: rnn_cell_act */
    int variant;                  /* gru: gru_variant */
    float forget_bias;            /* lstm: initial forget-gate bias */

    /* slicing and normalization (src/layers/slice.c, norm.c) */
    int start;                    /* slice: first index along axis, Python-style (negative
                                   * counts from the end) */
    int end;                      /* slice: one past the last index, Python-style;
                                   * GRAPH_SLICE_END (null in the config): to the end */
    int n_sizes;                  /* split: number of pieces */
    int sizes[GRAPH_MAX_PIECES];  /* split: length of each piece; one may be -1 (the rest) */
    int generated;                /* 1: a piece made from a split layer by the config
                                   * (written back as the split, not on its own) */
    int axes;                     /* layernorm: trailing axes normalized over; 0 = auto */
    int channels;                 /* layernorm: 1 normalizes each position of (C, S...) over its C
                                   * channels (ConvNeXt's LayerNorm2d) */
    int char_units;               /* word_chars: the size of a byte's vector */
} layer_spec;

/* recurrent layer options (names for the config, NULL-terminated) */
typedef enum { RNN_MERGE_CONCAT, RNN_MERGE_SUM, RNN_MERGE_COUNT } rnn_merge;
typedef enum { RNN_CELL_TANH, RNN_CELL_RELU, RNN_CELL_COUNT } rnn_cell_act;
typedef enum { GRU_FULL, GRU_SIMPLIFIED, GRU_RESET_AFTER, GRU_VARIANT_COUNT } gru_variant;
extern const char *const graph_merge_names[RNN_MERGE_COUNT + 1];
extern const char *const graph_cell_names[RNN_CELL_COUNT + 1];
extern const char *const graph_gru_names[GRU_VARIANT_COUNT + 1];
/* upsample: nearest neighbour, or linear along every spatial axis (bilinear; a 1-D map's linear,
 * a 3-D map's trilinear) */
typedef enum { UPSAMPLE_NEAREST, UPSAMPLE_BILINEAR, UPSAMPLE_MODE_COUNT } upsample_mode;
extern const char *const graph_upsample_names[UPSAMPLE_MODE_COUNT + 1];
/* pixel_shuffle, pixel_unshuffle: which channel of (C r^2) lands at offset (i, j) of an r x r
 * block of channel c: crd c r^2 + i r + j (PyTorch's PixelShuffle, ONNX's DepthToSpace CRD),
 * dcr (i r + j) C + c (TensorFlow's depth_to_space, ONNX's DepthToSpace DCR and SpaceToDepth) */
typedef enum { SHUFFLE_CRD, SHUFFLE_DCR, SHUFFLE_ORDER_COUNT } shuffle_order;
extern const char *const graph_shuffle_order_names[SHUFFLE_ORDER_COUNT + 1];

typedef struct graph graph;
typedef struct graph_node graph_node;

/* What an op's backward reads besides its output gradient (graph_op.saves). */
typedef struct {
    uint64_t inputs;          /* bit k: the output of input k (GRAPH_MAX_INPUTS of them) */
    int out;                  /* its own output */
    int aux;                  /* its aux */
    int other;                /* the output of one more node (not an input), or -1;
                                 forward reads it too, backward or not */
} graph_saves;
_Static_assert(GRAPH_MAX_INPUTS <= 64, "graph_saves.inputs has a bit per input");

/* ---- the op table ---- */
typedef enum {
    OP_INPUT,
    OP_DENSE,
    OP_ACTIVATION,
    OP_DROPOUT,
    OP_BATCHNORM,
    OP_FLATTEN,
    OP_RESHAPE,
    OP_ADD,
    OP_CONCAT,
    OP_CONV1D,
    OP_CONV2D,
    OP_CONV3D,
    OP_MAXPOOL,
    OP_AVGPOOL,
    OP_GLOBAL_AVGPOOL,
    OP_TIME_AVGPOOL,
    OP_TIME_MAXPOOL,
    OP_EMBEDDING,
    OP_RNN,
    OP_GRU,
    OP_LSTM,
    OP_SLICE,
    OP_SPLIT,
    OP_SUBTRACT,
    OP_MULTIPLY,
    OP_ABS,
    OP_SQUARE,
    OP_L2NORMALIZE,
    OP_GRAM,
    OP_LAYERNORM,
    OP_SCALAR_MIX,
    OP_WORD_CHARS,
    OP_CHI_SQUARE,
    OP_CHANNEL_SHUFFLE,
    OP_UPSAMPLE,
    OP_CONV_TRANSPOSE,
    OP_PIXEL_SHUFFLE,
    OP_PIXEL_UNSHUFFLE,
    OP_COUNT
} op_kind;

typedef struct {
    const char *name;
    int min_inputs, max_inputs;
    const char *const *keys;      /* op-specific config keys, NULL-terminated */
    const char *const *required;  /* of those, the ones without a default */
    /* Infers n->shape from the inputs, declares parameters (graph_param_add)
     * and the node's aux / scratch needs.  Returns DLC_EINPUT with a message
     * naming the layer when the inputs do not fit. */
    dlc_status (*build)(graph *g, graph_node *n, dlc_error *err);
    /* Fills parameters (NULL: the op has none or zero init is right). */
    void (*init)(graph *g, graph_node *n, dlc_rng *rng);
    /* out (N, size) from inputs.  Scratch from graph_scratch is valid until
     * the op returns. */
    void (*forward)(graph *g, graph_node *n, int N);
    /* Adds into input grads (when graph_wants_grad) and parameter grads. */
    void (*backward)(graph *g, graph_node *n, int N);
    /* 1: backward can overwrite its input's gradient instead of adding to
     * it, and does so when it is the first consumer of that input to run
     * backward (graph_assigns_grad); graph_backward then skips clearing it. */
    int assigns_input_grad;
    /* What backward reads besides the output gradient, for the memory plan
     * (plan.c): buffers it does not name are reused once forward is done
     * with them.  NULL: everything (every input's output, its own output,
     * its aux), which is always safe and generous with memory. */
    void (*saves)(const graph *g, const graph_node *n, graph_saves *s);
    /* 1: the op copies its one input (flatten, reshape, activation, split).
     * The plan may then give it its input's memory (in place): forward
     * finds out == in[0]->out and copies nothing, backward finds grad ==
     * in[0]->grad and adds nothing. */
    int in_place;
    /* 1: an elementwise sum of its inputs (add).  The plan may give its
     * output one input's memory (forward then adds the others into it) and
     * that input's gradient its own (backward then writes the others);
     * and graph_build may fold a ReLU node after it into it (act_fused,
     * act_slope), the ReLU node then copying nothing. */
    int in_place_sum;
} graph_op;

/* One row per op_kind, indexed by it (registry.c).  Declared unsized so that
 * the definition's element count is its own: a _Static_assert there checks
 * it against OP_COUNT, so a missing last row does not compile. */
extern const graph_op graph_ops[];
/* Op row by name, -1 if unknown (rows without a name are skipped). */
int graph_op_find(const char *name);

/* ---- parameters ---- */
typedef enum { PARAM_WEIGHT, PARAM_BIAS, PARAM_NORM, PARAM_BUFFER } param_role;

typedef struct {
    char name[GRAPH_NAME_MAX + 32]; /* "dense_1.weight" */
    tensor_shape shape;
    size_t n;
    float *data;       /* into the graph's parameter block */
    float *grad;       /* into the gradient block; NULL when not trainable */
    int trainable;     /* 0: frozen (or a buffer) - no gradient, the optimizer skips it */
    int decay;         /* 1: train.l2 and adamw's decay apply (by default the weights, not
                        * biases or norms: train.no_decay decides, model_set_decay) */
    param_role role;   /* what the layer made it: a weight, a bias, a norm's scale or shift */
    int buffer;        /* running statistics: saved, never learned */
    int node;          /* owning node */
} graph_param;

/* 1 when training may change p: a trainable parameter, or a buffer (a
 * batchnorm's running statistics); a frozen parameter stays as it was. */
static inline int graph_param_changes(const graph_param *p)
{
    return p->trainable || p->buffer;
}

struct graph_node {
    layer_spec spec;          /* copy of what the config said */
    int id;
    int n_in;
    int in[GRAPH_MAX_INPUTS]; /* node ids */
    tensor_shape shape;       /* per sample */
    size_t size;              /* elements per sample */
    int n_params;
    int params[GRAPH_MAX_PARAMS]; /* ids into g->params, in the op's order */
    /* Buffers, placed by the memory plan (plan.h): each is valid from the
     * op that writes it to the last that reads it in the current pass, and
     * shares memory with buffers whose lifetimes do not overlap.  The model
     * input's and the output nodes' out and grad are kept whole between
     * passes. */
    float *out;               /* (N, size) */
    float *grad;              /* (N, size), NULL when no gradient flows here */
    float *pre;               /* (N, size) pre-activation, only for gelu, silu, hardswish (NULL when
                               * no backward needs it) */
    float *aux;               /* op state from forward to backward: aux_per_sample per
                               * row of the running plan (g->rows), then aux_fixed */
    size_t aux_per_sample, aux_fixed; /* floats; set by build */
    float *state;             /* state_floats kept from pass to pass (a recurrent
                               * layer's carried state), never shared */
    size_t state_floats;      /* set by build */
    size_t scratch;           /* floats of per-call scratch at NMAX; set by build */
    int needs_grad;           /* a trainable parameter at or before this node */
    int keep_out;             /* 1: its output is kept whole between passes, outside the
                               * plan's arena (read after a pass: model.embedding) */
    int act_fused;            /* set by build: the op applies spec.activation itself, in
                               * forward and (to its output gradient) in backward; on an
                               * activation node whose ReLU its input's op applies
                               * (folded_into of that input), nothing is applied */
    float act_slope;          /* an in_place_sum op's fused (leaky) ReLU: its slope */
    int dx_over_dy;           /* set by build: backward computes its input's gradient value
                               * by value from its own at the same place (batchnorm), so
                               * the plan may give both one memory */
    int folded_into;          /* the ReLU node folded into this in_place_sum op, -1 none */
    int grad_assigned;        /* set by graph_build: the consumer whose backward runs
                               * first (the last in forward order, node assigned_by)
                               * overwrites this node's gradient instead of adding to
                               * it, so it is never cleared (see graph_op); the other
                               * consumers add.  Ops ask graph_assigns_grad. */
    int assigned_by;
    int seq;                  /* axis 0 of the per-sample shape is time, padded at the end as
                                 g->seq_len says (set by build: embedding, recurrent, and the
                                 per-step layers after them) */
};

struct graph {
    int n_nodes;
    graph_node *nodes;        /* topological order; node 0.. are inputs */
    int n_inputs;
    int n_outputs;
    int outputs[GRAPH_MAX_OUTPUTS];
    int n_params;
    graph_param *params;
    size_t n_weights;         /* floats in the parameter block */
    float *param_block;
    /* The gradients of the trainable parameters alone, each 16-float aligned
     * in parameter order: a frozen parameter (and a buffer) has none (its
     * grad is NULL), so fine-tuning the head of a large frozen network pays
     * for the head's gradients only.  An optimizer's state takes this
     * layout: a parameter's state sits at p->grad - grad_block. */
    size_t n_grads;           /* floats in the gradient block */
    float *grad_block;
    int nmax;                 /* batch capacity of a pass a backward may follow */
    int eval_max;             /* batch capacity of graph_forward_eval (>= nmax) */
    int rows;                 /* batch capacity of the running pass's plan (nmax or eval_max) */
    int training;             /* set by graph_forward */
    int last_n;               /* N of the last graph_forward */
    int grad_rows;            /* rows of node gradients that may be non-zero (graph_zero_grad
                               * clears only those) */
    int params_clear;         /* 1: the parameter gradients are all zero (an update that cleared
                               * each gradient after reading it says so), and graph_zero_grad
                               * need not clear them again; it resets this */
    /* Random masks (dropout) are drawn per example: row i of a pass draws
     * from stream noise_row0 + i of noise_seed, so an example's mask does not
     * depend on which batch rows (or which process, src/dist) it shares its
     * step with.  The trainer sets both every step. */
    uint64_t noise_seed;
    long noise_row0;
    /* Data-parallel training (src/dist); all NULL in one process.
     * backward_hook: called after node i's backward pass, so gradients that
     * are complete can be summed across processes while backward goes on.
     * sum_hook: sums buf (n doubles) over every process, in place; batchnorm
     * uses it when sync_bn is set (statistics over the whole global batch). */
    void (*backward_hook)(void *user, int node);
    void (*sum_hook)(void *user, double *buf, int n);
    void *hook_user;
    int sync_bn;
    /* Called after node i's forward pass (and its activation): its buffers
     * are complete now, and may be reused later in the pass (a gradient
     * check hashes which ReLUs were on; the trainer finds where a NaN came
     * from).  NULL: none. */
    void (*forward_hook)(void *user, int node);
    void *forward_user;
    tensor_arena arena;       /* per-call scratch: one workspace, the largest op's */
    struct graph_mem *mem;    /* the memory plans and the arena they place buffers in */
    /* Sequences with padding: valid steps per sample (NMAX), written during
     * graph_forward by an embedding layer from the padding in its ids and read
     * by the recurrent layers after it; seq_valid 0: every step is valid. */
    int *seq_len;
    int seq_valid;
    /* 1: recurrent layers start from the state their previous forward pass
     * ended in, row by row (stateful language models); 0: from zeros.  Set by
     * the caller before graph_forward. */
    int carry;
};

/* How to build a graph (graph_build_opts). */
typedef struct {
    int nmax;                 /* batch capacity of a forward pass a backward may follow */
    int eval_max;             /* wanted capacity of graph_forward_eval (below nmax: nmax) */
    /* 1: eval_max shrinks (not below nmax) until evaluation needs no more
     * planned memory than training does, or than GRAPH_EVAL_FLOOR bytes */
    int eval_fit;
    int layout;               /* graph_layout (plan.h): planned, or every buffer separate */
    int poison;               /* 1: NaN into each planned buffer when its lifetime ends */
    int measure;              /* 1: plan and count only; nothing is allocated and the
                               * graph cannot run (graph_memory_of, dlc summary) */
    int no_fold;              /* 1: a ReLU node after an add runs apart from it (as before
                               * fold_activation, graph.c; DLC_FOLD=0) */
} graph_build_options;
#define GRAPH_EVAL_FLOOR ((size_t)64 << 20)

/* Defaults for batch capacity nmax: eval_max = nmax, the planned layout, no
 * poison; then the debugging switches of the environment: DLC_PLAN=separate
 * gives every buffer its own memory, DLC_POISON=1 poisons, DLC_FOLD=0 keeps
 * ReLU nodes apart from the adds before them. */
void graph_build_defaults(graph_build_options *o, int nmax);

/* Builds a graph.  inputs: the per-sample shape of the model input.
 * outputs: names of output nodes (NULL or n_outputs 0: the last layer).
 * Layers are connected in order unless they name `inputs`.  On error returns
 * DLC_EINPUT and a message naming the layer (and its config line).
 * graph_build takes graph_build_defaults(nmax). */
dlc_status graph_build(graph **out, const tensor_shape *input, const layer_spec *layers,
                       int n_layers, const char *const *outputs, int n_outputs, int nmax,
                       dlc_error *err);
dlc_status graph_build_opts(graph **out, const tensor_shape *input, const layer_spec *layers,
                            int n_layers, const char *const *outputs, int n_outputs,
                            const graph_build_options *o, dlc_error *err);
void graph_free(graph *g);

/* Where a graph's memory goes, in bytes. */
typedef struct {
    size_t params;            /* parameters and buffers (running statistics) */
    size_t grads;             /* the trainable parameters' gradients */
    size_t learned;           /* what training changes: the trainable parameters and the
                               * buffers (a trainer's best-epoch copy and snapshot hold these) */
    size_t arena;             /* the planned block: node outputs, gradients, aux, the larger
                               * of the training and the evaluation plan */
    size_t train_arena, eval_arena;
    size_t kept;              /* what training keeps from forward for backward (live at the loss) */
    size_t peak;              /* the most training buffers live at one step (a lower bound) */
    size_t separate;          /* the training buffers if each had its own memory */
    size_t workspace;         /* per-call scratch: one block, the largest op's */
    size_t fixed;             /* inputs, outputs and their gradients, carried states */
    size_t total;             /* params + grads + arena + workspace + fixed */
    int rows, eval_rows;      /* nmax, eval_max */
} graph_memory;
void graph_memory_of(const graph *g, graph_memory *m);

/* Initialises every parameter from rng (biases zero, norms one). */
void graph_init_params(graph *g, dlc_rng *rng);

/* Input data (eval_max, size of input i) to fill before a forward pass. */
float *graph_input(graph *g, int i);
/* A forward pass that a backward may follow (N <= nmax); training: dropout
 * on, batch statistics.  Afterwards the output nodes' out is valid until the
 * next pass, and whatever backward reads is kept. */
void graph_forward(graph *g, int N, int training);
/* A forward pass in evaluation mode that no backward follows (N <=
 * eval_max), in the evaluation plan: only the output nodes' out is valid
 * afterwards (until the next pass). */
void graph_forward_eval(graph *g, int N);
/* Clears the parameter gradients and the output nodes' (and the input's);
 * the other node gradients are cleared by backward when it reaches them. */
void graph_zero_grad(graph *g);
/* After graph_forward and the loss's dL/dy in the output nodes' grad. */
void graph_backward(graph *g, int N);

/* Freezes the parameters node owns (as `trainable: false` would have) after
 * the graph is built; gradients stop flowing where nothing before needs them,
 * the memory plan drops what only they needed, and the gradient block shrinks
 * to the parameters still trainable (their grad pointers move).  A graph
 * built with eval_fit fits its evaluation capacity (eval_max) to the smaller
 * training plan again, and the arena shrinks to the two plans.  Call it
 * between passes. */
void graph_freeze_node(graph *g, int node);
/* The same for n nodes at once (one new plan, not n). */
void graph_freeze_nodes(graph *g, const int *nodes, int n);

/* Keeps node's output whole between passes (the memory plan otherwise lets
 * later layers reuse it once nothing in the pass reads it), so callers may
 * read it after graph_forward or graph_forward_eval. */
dlc_status graph_keep_output(graph *g, int node, dlc_error *err);

/* Makes gradients flow to the model input (gradient checks, generating
 * inputs by gradient descent): the input node's grad fills in backward and
 * stays until the next pass.  Plans again (and may allocate: DLC_ENOMEM). */
dlc_status graph_set_input_grad(graph *g, int on, dlc_error *err);

/* Node by name, -1 if none. */
int graph_find(const graph *g, const char *name);
/* Output node k. */
graph_node *graph_output(graph *g, int k);

/* Parameter counts: trainable, frozen (buffers not counted). */
void graph_count_params(const graph *g, size_t *trainable, size_t *frozen);
int graph_param_find(const graph *g, const char *name);

/* ---- for op implementations ---- */
/* Declares a parameter of node n during build; returns its id (or, with
 * `share:`, the id of the other layer's parameter of the same local name). */
int graph_param_add(graph *g, graph_node *n, const char *local, const tensor_shape *shape,
                    param_role role, dlc_error *err);
static inline graph_node *graph_in(graph *g, const graph_node *n, int k)
{
    return &g->nodes[n->in[k]];
}
static inline graph_param *graph_p(graph *g, const graph_node *n, int k)
{
    return &g->params[n->params[k]];
}
/* 1 when the k-th input of n needs its gradient. */
static inline int graph_wants_grad(const graph *g, const graph_node *n, int k)
{
    return g->nodes[n->in[k]].needs_grad;
}
/* 1 when n's backward overwrites input k's gradient (it is the first to
 * write it, which was not cleared); 0: it adds to it. */
static inline int graph_assigns_grad(const graph *g, const graph_node *n, int k)
{
    const graph_node *x = &g->nodes[n->in[k]];
    return x->grad_assigned && x->assigned_by == (int)(n - g->nodes);
}
/* For a node whose axis 0 is time (n->seq): the steps holding a token in
 * some sample of the batch (the longest sequence), or all T; later steps are
 * padding everywhere.  -1 for other nodes. */
int graph_seq_steps(const graph *g, const graph_node *n, int N);
/* Per-call scratch; the arena is reset after every op. */
float *graph_scratch(graph *g, size_t n);

/* Formats "where: layer 'name' (type)" for messages into buf. */
const char *graph_node_label(const graph_node *n, char *buf, size_t size);

/* ---- activation kernels (also used by losses and predict) ---- */
/* y (R, D) = act(z); y may equal z.  alpha: leaky_relu's slope, elu's alpha,
 * hardsigmoid's slope; beta: hardsigmoid's offset (others ignore them; see
 * graph_act_alpha). */
void graph_act_forward(act_kind a, float alpha, float beta, float *y, const float *z, size_t R, size_t D);
/* dz (R, D) = dy * act'(.) from y (and z for gelu, silu, hardswish); dz may equal dy. */
void graph_act_backward(act_kind a, float alpha, float *dz, const float *dy, const float *y,
                        const float *z, size_t R, size_t D);
/* The alpha a layer's activation takes: its slope for hardsigmoid, else its alpha. */
static inline float graph_act_alpha(const layer_spec *s)
{
    return s->activation == ACT_HARDSIGMOID ? s->slope : s->alpha;
}
/* 1 when the backward of a needs z, not only y. */
int graph_act_needs_pre(act_kind a);

#endif
