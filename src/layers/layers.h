/* layers.h - the op functions behind the registry table (registry.c).
 * Each layer family has one file with its build/init/forward/backward side by
 * side; this header is private to src/graph and src/layers. */
#ifndef DLC_LAYERS_H
#define DLC_LAYERS_H

#include "../graph/graph.h"

/* Eight floats and eight ints as one AVX vector (GCC's vector extension;
 * clang's too): lanes the compiler keeps in one register where an array of
 * eight accumulators came out as eight scalar adds (batchnorm's sums), and
 * the stride-2 rows of im2col, col2im and max pooling. */
typedef float layer_v8 __attribute__((vector_size(32)));
typedef int layer_v8i __attribute__((vector_size(32)));

#define LAYER_OP_FUNCS(prefix)                                              \
    dlc_status prefix##_build(graph *g, graph_node *n, dlc_error *err);     \
    void prefix##_forward(graph *g, graph_node *n, int N);                  \
    void prefix##_backward(graph *g, graph_node *n, int N)

/* What backward reads (graph_op.saves), for the families whose backward
 * reads more than dy; saves_nothing for those that read dy alone.  Each is
 * written beside its backward. */
#define LAYER_SAVES(prefix) void prefix##_saves(const graph *g, const graph_node *n, graph_saves *s)
LAYER_SAVES(dense);
LAYER_SAVES(dropout);
LAYER_SAVES(batchnorm);
LAYER_SAVES(conv);
LAYER_SAVES(maxpool);
LAYER_SAVES(embedding);
LAYER_SAVES(recurrent);
LAYER_SAVES(multiply);
LAYER_SAVES(unary); /* abs, square: their input */
LAYER_SAVES(l2normalize);
LAYER_SAVES(gram);
LAYER_SAVES(layernorm);
LAYER_SAVES(add);
void saves_nothing(const graph *g, const graph_node *n, graph_saves *s);

LAYER_OP_FUNCS(input);
LAYER_OP_FUNCS(dense);
LAYER_OP_FUNCS(dropout);
LAYER_OP_FUNCS(batchnorm);
dlc_status flatten_build(graph *g, graph_node *n, dlc_error *err);
dlc_status reshape_build(graph *g, graph_node *n, dlc_error *err);
dlc_status activation_build(graph *g, graph_node *n, dlc_error *err);
/* y = x for layers that only change the shape or apply an activation */
void identity_forward(graph *g, graph_node *n, int N);
void identity_backward(graph *g, graph_node *n, int N);
LAYER_OP_FUNCS(add);
LAYER_OP_FUNCS(concat);
LAYER_OP_FUNCS(channel_shuffle);
LAYER_OP_FUNCS(upsample);
LAYER_OP_FUNCS(pixel_shuffle);
LAYER_OP_FUNCS(pixel_unshuffle);
LAYER_OP_FUNCS(conv);
LAYER_OP_FUNCS(conv_transpose);
LAYER_OP_FUNCS(maxpool);
LAYER_OP_FUNCS(avgpool);
LAYER_OP_FUNCS(global_avgpool);
LAYER_OP_FUNCS(time_avgpool);
LAYER_OP_FUNCS(time_maxpool);
void conv_init(graph *g, graph_node *n, dlc_rng *rng);

/* slice.c, elementwise.c, norm.c, gram.c */
LAYER_OP_FUNCS(slice);
dlc_status split_build(graph *g, graph_node *n, dlc_error *err);
LAYER_OP_FUNCS(subtract);
LAYER_OP_FUNCS(chi_square);
LAYER_OP_FUNCS(multiply);
LAYER_OP_FUNCS(abs);
LAYER_OP_FUNCS(square);
LAYER_OP_FUNCS(l2normalize);
LAYER_OP_FUNCS(gram);
LAYER_OP_FUNCS(layernorm);
void layernorm_init(graph *g, graph_node *n, dlc_rng *rng);

LAYER_OP_FUNCS(embedding);
/* rnn, gru and lstm share one implementation (recurrent.c) */
LAYER_OP_FUNCS(recurrent);
/* ELMo's softmax-weighted, scaled sum of layers (mix.c) */
LAYER_OP_FUNCS(scalar_mix);
void scalar_mix_init(graph *g, graph_node *n, dlc_rng *rng);
/* a word's vector joined with a character CNN over its bytes (chars.c) */
LAYER_OP_FUNCS(word_chars);
void word_chars_init(graph *g, graph_node *n, dlc_rng *rng);

/* The row of E an embedding node n reads for input value x, -1 for padding. */
int embedding_id(const graph_node *n, float x);

void dense_init(graph *g, graph_node *n, dlc_rng *rng);
void embedding_init(graph *g, graph_node *n, dlc_rng *rng);
void recurrent_init(graph *g, graph_node *n, dlc_rng *rng);
void batchnorm_init(graph *g, graph_node *n, dlc_rng *rng);

/* Fills w (n values) for a layer with fan_in / fan_out by kind (INIT_AUTO
 * resolved from the activation). */
void layer_init_weights(float *w, size_t n, int fan_in, int fan_out, init_kind kind, act_kind act,
                        dlc_rng *rng);

/* For ops whose inputs all have one shape (add, subtract, multiply): n gets
 * that shape, and is a sequence when every input is one.  DLC_EINPUT naming
 * the first input that differs. */
dlc_status layer_same_shape_inputs(graph *g, graph_node *n, dlc_error *err);

/* Valid steps of sample i of x: its recorded length when x is a sequence
 * whose padding an embedding recorded (g->seq_len), else all of axis 0. */
int layer_seq_len(const graph *g, const graph_node *x, int i);
/* " (what makes them fit)" for maps a and b that differ on an axis other than
 * `free` (-1: none), or "" (sequences, another concat axis) */
void layer_fit_hint(char *buf, size_t len, const graph_node *a, const graph_node *b, int free);

/* DLC_EINPUT when x is a sequence (T, D): layer n, written for (channels,
 * spatial axes...), would take the steps for channels.  what: what it would
 * compute instead; recipe: what to use. */
dlc_status layer_refuse_seq(const graph_node *n, const graph_node *x, const char *what,
                            const char *recipe, dlc_error *err);

/* A per-sample shape seen along `axis` as (outer, axis length, inner). */
void layer_axis_geometry(const tensor_shape *s, int axis, size_t *outer, size_t *inner);

/* Builds an error naming the layer: "<where>: layer 'x' (type): <message>". */
dlc_status layer_fail(const graph_node *n, dlc_error *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
