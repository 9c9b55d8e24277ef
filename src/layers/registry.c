/* registry.c - the one table of layer kinds: name, inputs, config keys and
 * functions.  The config loader finds layers here by name; the gradient-check
 * test walks it, so a kind without a check fails the suite. */
#include <string.h>

#include "layers.h"

#define KEYS(...) ((const char *const[]){__VA_ARGS__, NULL})
#define NO_KEYS ((const char *const[]){NULL})
#define RECURRENT_KEYS \
    "return_sequences", "bidirectional", "reverse", "merge", "bptt", "use_bias", "init"

const graph_op graph_ops[] = {
    [OP_INPUT] = {"input", 0, 0, NO_KEYS, NO_KEYS, input_build, NULL, input_forward, input_backward},
    [OP_DENSE] = {"dense", 1, 1, KEYS("units", "use_bias", "init"), KEYS("units"), dense_build,
                  dense_init, dense_forward, dense_backward, .saves = dense_saves},
    [OP_ACTIVATION] = {"activation", 1, 1, NO_KEYS, NO_KEYS, activation_build, NULL,
                       identity_forward, identity_backward, .saves = saves_nothing, .in_place = 1},
    [OP_DROPOUT] = {"dropout", 1, 1, KEYS("rate"), KEYS("rate"), dropout_build, NULL,
                    dropout_forward, dropout_backward, .saves = dropout_saves},
    [OP_BATCHNORM] = {"batchnorm", 1, 1, KEYS("momentum", "eps"), NO_KEYS, batchnorm_build,
                      batchnorm_init, batchnorm_forward, batchnorm_backward, 1,
                      .saves = batchnorm_saves},
    [OP_FLATTEN] = {"flatten", 1, 1, NO_KEYS, NO_KEYS, flatten_build, NULL, identity_forward,
                    identity_backward, .saves = saves_nothing, .in_place = 1},
    [OP_RESHAPE] = {"reshape", 1, 1, KEYS("shape"), KEYS("shape"), reshape_build, NULL,
                    identity_forward, identity_backward, .saves = saves_nothing, .in_place = 1},
    [OP_ADD] = {"add", 2, GRAPH_MAX_INPUTS, NO_KEYS, NO_KEYS, add_build, NULL, add_forward,
                add_backward, 1, .saves = add_saves, .in_place_sum = 1},
    [OP_CONCAT] = {"concat", 2, GRAPH_MAX_INPUTS, KEYS("axis"), NO_KEYS, concat_build, NULL,
                   concat_forward, concat_backward, .saves = saves_nothing},
#define CONV_ROW(name) {name, 1, 1, KEYS("filters", "kernel", "stride", "padding", "dilation", "groups", "use_bias", "init", \
                             "algorithm"), \
                        KEYS("filters", "kernel"), conv_build, conv_init, conv_forward, conv_backward, 1, \
                        conv_saves}
    [OP_CONV1D] = CONV_ROW("conv1d"),
    [OP_CONV2D] = CONV_ROW("conv2d"),
    [OP_CONV3D] = CONV_ROW("conv3d"),
    [OP_MAXPOOL] = {"maxpool", 1, 1, KEYS("kernel", "stride", "padding", "dilation", "ceil_mode"), KEYS("kernel"),
                    maxpool_build, NULL, maxpool_forward, maxpool_backward, 1, maxpool_saves},
    [OP_AVGPOOL] = {"avgpool", 1, 1, KEYS("kernel", "stride", "padding", "count_include_pad", "ceil_mode"), KEYS("kernel"),
                    avgpool_build, NULL, avgpool_forward, avgpool_backward, .saves = saves_nothing},
    [OP_GLOBAL_AVGPOOL] = {"global_avgpool", 1, 1, NO_KEYS, NO_KEYS, global_avgpool_build, NULL,
                           global_avgpool_forward, global_avgpool_backward, .saves = saves_nothing},
    [OP_TIME_AVGPOOL] = {"time_avgpool", 1, 1, NO_KEYS, NO_KEYS, time_avgpool_build, NULL,
                         time_avgpool_forward, time_avgpool_backward, .saves = saves_nothing},
    [OP_TIME_MAXPOOL] = {"time_maxpool", 1, 1, NO_KEYS, NO_KEYS, time_maxpool_build, NULL,
                         time_maxpool_forward, time_maxpool_backward, .saves = maxpool_saves},
    [OP_EMBEDDING] = {"embedding", 1, 1, KEYS("units", "vocab", "pad_id", "pretrained", "init"),
                      KEYS("units"), embedding_build, embedding_init, embedding_forward,
                      embedding_backward, .saves = embedding_saves},
    [OP_RNN] = {"rnn", 1, 1, KEYS("units", "nonlinearity", RECURRENT_KEYS), KEYS("units"),
                recurrent_build, recurrent_init, recurrent_forward, recurrent_backward,
                .saves = recurrent_saves},
    [OP_GRU] = {"gru", 1, 1, KEYS("units", "variant", RECURRENT_KEYS), KEYS("units"),
                recurrent_build, recurrent_init, recurrent_forward, recurrent_backward,
                .saves = recurrent_saves},
    [OP_LSTM] = {"lstm", 1, 1, KEYS("units", "forget_bias", RECURRENT_KEYS), KEYS("units"),
                 recurrent_build, recurrent_init, recurrent_forward, recurrent_backward,
                 .saves = recurrent_saves},
    [OP_SLICE] = {"slice", 1, 1, KEYS("axis", "start", "end"), NO_KEYS, slice_build, NULL,
                  slice_forward, slice_backward, .saves = saves_nothing},
    [OP_SPLIT] = {"split", 1, 1, KEYS("axis", "sizes"), KEYS("sizes"), split_build, NULL,
                  identity_forward, identity_backward, .saves = saves_nothing, .in_place = 1},
    [OP_SUBTRACT] = {"subtract", 2, 2, NO_KEYS, NO_KEYS, subtract_build, NULL, subtract_forward,
                     subtract_backward, .saves = saves_nothing},
    [OP_MULTIPLY] = {"multiply", 2, GRAPH_MAX_INPUTS, NO_KEYS, NO_KEYS, multiply_build, NULL,
                     multiply_forward, multiply_backward, .saves = multiply_saves},
    [OP_ABS] = {"abs", 1, 1, NO_KEYS, NO_KEYS, abs_build, NULL, abs_forward, abs_backward,
                .saves = unary_saves},
    [OP_SQUARE] = {"square", 1, 1, NO_KEYS, NO_KEYS, square_build, NULL, square_forward,
                   square_backward, .saves = unary_saves},
    [OP_L2NORMALIZE] = {"l2normalize", 1, 1, KEYS("eps"), NO_KEYS, l2normalize_build, NULL,
                        l2normalize_forward, l2normalize_backward, .saves = l2normalize_saves},
    [OP_GRAM] = {"gram", 1, 1, NO_KEYS, NO_KEYS, gram_build, NULL, gram_forward, gram_backward,
                 .saves = gram_saves},
    [OP_LAYERNORM] = {"layernorm", 1, 1, KEYS("axes", "eps", "channels"), NO_KEYS, layernorm_build,
                      layernorm_init, layernorm_forward, layernorm_backward,
                      .saves = layernorm_saves},
    [OP_SCALAR_MIX] = {"scalar_mix", 2, GRAPH_MAX_INPUTS, NO_KEYS, NO_KEYS, scalar_mix_build,
                       scalar_mix_init, scalar_mix_forward, scalar_mix_backward},
    [OP_WORD_CHARS] = {"word_chars", 1, 1,
                       KEYS("units", "vocab", "pad_id", "pretrained", "filters", "kernel",
                            "char_units", "init"),
                       KEYS("units", "filters", "kernel"), word_chars_build, word_chars_init,
                       word_chars_forward, word_chars_backward},
    [OP_CHI_SQUARE] = {"chi_square", 2, 2, KEYS("eps"), NO_KEYS, chi_square_build, NULL,
                       chi_square_forward, chi_square_backward},
    [OP_CHANNEL_SHUFFLE] = {"channel_shuffle", 1, 1, KEYS("groups"), KEYS("groups"), channel_shuffle_build,
                            NULL, channel_shuffle_forward, channel_shuffle_backward, .saves = saves_nothing},
    [OP_UPSAMPLE] = {"upsample", 1, 1, KEYS("scale", "mode", "align_corners"), NO_KEYS, upsample_build, NULL, upsample_forward,
                     upsample_backward, .saves = saves_nothing},
    [OP_PIXEL_SHUFFLE] = {"pixel_shuffle", 1, 1, KEYS("scale", "order"), NO_KEYS, pixel_shuffle_build, NULL,
                          pixel_shuffle_forward, pixel_shuffle_backward, .saves = saves_nothing},
    [OP_PIXEL_UNSHUFFLE] = {"pixel_unshuffle", 1, 1, KEYS("scale", "order"), NO_KEYS, pixel_unshuffle_build, NULL,
                            pixel_unshuffle_forward, pixel_unshuffle_backward, .saves = saves_nothing},
    /* the convolution's adjoint: its dW reads x, its dx needs W and dy alone, as conv's */
    [OP_CONV_TRANSPOSE] = {"conv_transpose", 1, 1,
                           KEYS("filters", "kernel", "stride", "padding", "output_padding", "dilation", "groups",
                                "use_bias", "init"),
                           KEYS("filters", "kernel"), conv_transpose_build, conv_init, conv_transpose_forward,
                           conv_transpose_backward, 1, conv_saves},
};

/* The rows are designated, so the table is as long as its highest row: a
 * missing last row fails here, and a missing row in between is an empty row
 * that graph_op_find skips and the registry test (test_gradcheck.c) names. */
_Static_assert(sizeof graph_ops / sizeof graph_ops[0] == OP_COUNT,
               "graph_ops needs one row per op_kind (up to OP_COUNT)");

int graph_op_find(const char *name)
{
    for (int i = 0; i < OP_COUNT; i++)
        if (graph_ops[i].name && strcmp(graph_ops[i].name, name) == 0)
            return i;
    return -1;
}
