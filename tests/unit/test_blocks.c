/* test_blocks.c - repeated blocks in configs (src/config/blocks.c): names,
 * parameters, $input, repetition, overrides, errors with lines, and the
 * resolved config reloading to the same layers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/config/config.h"
#include "testutil.h"

#define HEAD                                                                          \
    "data: {format: idx, train: {images: a, labels: b}}\n"                            \
    "model:\n"                                                                        \
    "  input: [2, 8, 8]\n"                                                            \
    "  blocks:\n"                                                                     \
    "    res:\n"                                                                      \
    "      params: {filters: 2, act: relu}\n"                                         \
    "      layers:\n"                                                                 \
    "        - {name: c, type: conv2d, filters: $filters, kernel: 3, padding: same}\n" \
    "        - {name: sum, type: add, inputs: [c, $input], activation: $act}\n"

static dlc_status load(dlc_config *c, const char *text, const char *const *sets, int n_sets,
                       dlc_error *err)
{
    return config_load_string(c, "t.yaml", text, strlen(text), sets, n_sets, err);
}

static void test_expansion(void **state)
{
    const char *text = HEAD "  layers:\n"
                            "    - {type: conv2d, filters: 2, kernel: 1}\n"
                            "    - {type: block, block: res, repeat: 2}\n"
                            "    - {name: mid, type: block, block: res, params: {act: tanh}}\n"
                            "    - {type: flatten}\n";
    dlc_config c;
    dlc_error err = {0};
    if (load(&c, text, NULL, 0, &err) != DLC_OK) {
        print_error("%s\n", err.msg);
        fail();
    }
    assert_int_equal(c.n_layers, 1 + 2 * 2 + 2 + 1);
    assert_string_equal(c.layers[0].name, "conv2d_1"); /* named so the block can refer to it */
    assert_string_equal(c.layers[1].name, "res_1_1_c");
    assert_string_equal(c.layers[2].name, "res_1_1_sum");
    assert_string_equal(c.layers[2].inputs[0], "res_1_1_c");
    assert_string_equal(c.layers[2].inputs[1], "conv2d_1");
    assert_int_equal(c.layers[2].activation, ACT_RELU);
    assert_string_equal(c.layers[3].name, "res_1_2_c");
    assert_string_equal(c.layers[4].inputs[1], "res_1_1_sum"); /* the previous repetition */
    assert_string_equal(c.layers[5].name, "mid_c");
    assert_int_equal(c.layers[5].filters, 2);
    assert_int_equal(c.layers[6].activation, ACT_TANH);
    assert_string_equal(c.layers[7].name, "flatten_1");
    /* messages about an expanded layer point at the block's line */
    assert_non_null(strstr(c.layers[5].where, "t.yaml:8"));

    /* the resolved config has no blocks and reloads to the same layers */
    char *y = NULL;
    assert_int_equal(config_to_yaml(&c, &y, &err), DLC_OK);
    assert_null(strstr(y, "blocks"));
    dlc_config back;
    assert_int_equal(load(&back, y, NULL, 0, &err), DLC_OK);
    assert_int_equal(back.n_layers, c.n_layers);
    for (int i = 0; i < c.n_layers; i++)
        assert_string_equal(back.layers[i].name, c.layers[i].name);
    config_free(&back);
    free(y);
    config_free(&c);

    /* --set reaches a block's defaults and a use's parameters */
    const char *sets[] = {"model.blocks.res.params.filters=4", "model.layers.2.params.act=sigmoid"};
    assert_int_equal(load(&c, text, sets, 2, &err), DLC_OK);
    assert_int_equal(c.layers[1].filters, 4);
    assert_int_equal(c.layers[6].activation, ACT_SIGMOID);
    config_free(&c);

    /* a block first in the list takes the model input */
    const char *first = HEAD "  layers:\n    - {type: block, block: res}\n";
    assert_int_equal(load(&c, first, NULL, 0, &err), DLC_OK);
    assert_string_equal(c.layers[1].inputs[1], "input");
    config_free(&c);
}

/* inputs: [X] on a use: X feeds the block (its first layer and $input), as
 * a Keras block called on X; two branches from one layer */
static void test_use_inputs(void **state)
{
    const char *text = HEAD "  layers:\n"
                            "    - {name: stem, type: conv2d, filters: 2, kernel: 1}\n"
                            "    - {name: left, type: block, block: res, repeat: 2}\n"
                            "    - {name: right, type: block, block: res, inputs: [stem]}\n"
                            "    - {name: other, type: block, block: res, inputs: input}\n"
                            "    - {name: cat, type: concat, inputs: [left_2_sum, right_sum]}\n";
    dlc_config c;
    dlc_error err = {0};
    if (load(&c, text, NULL, 0, &err) != DLC_OK) {
        print_error("%s\n", err.msg);
        fail();
    }
    assert_int_equal(c.n_layers, 1 + 4 + 2 + 2 + 1);
    assert_string_equal(c.layers[5].name, "right_c");
    assert_int_equal(c.layers[5].n_inputs, 1);
    assert_string_equal(c.layers[5].inputs[0], "stem"); /* not left_2_sum, the layer before */
    assert_string_equal(c.layers[6].inputs[1], "stem"); /* $input */
    assert_string_equal(c.layers[7].inputs[0], "input");
    assert_string_equal(c.layers[8].inputs[1], "input");
    config_free(&c);
    /* repeated: the first copy reads X, the next the copy before */
    const char *rep = HEAD "  layers:\n"
                           "    - {name: stem, type: conv2d, filters: 2, kernel: 1}\n"
                           "    - {name: other, type: conv2d, filters: 2, kernel: 1}\n"
                           "    - {name: r, type: block, block: res, repeat: 2, inputs: [stem]}\n";
    assert_int_equal(load(&c, rep, NULL, 0, &err), DLC_OK);
    assert_string_equal(c.layers[2].inputs[0], "stem");
    assert_string_equal(c.layers[3].inputs[1], "stem");
    assert_int_equal(c.layers[4].n_inputs, 0); /* the previous layer: r_1_sum */
    assert_string_equal(c.layers[5].inputs[1], "r_1_sum");
    config_free(&c);
}

static void expect(const char *text, const char *needle)
{
    dlc_config c;
    dlc_error err = {0};
    assert_int_equal(load(&c, text, NULL, 0, &err), DLC_EINPUT);
    if (!strstr(err.msg, needle)) {
        print_error("message '%s' lacks '%s'\n", err.msg, needle);
        fail();
    }
}

static void test_errors(void **state)
{
    expect(HEAD "  layers:\n    - {type: block, block: rse}\n",
           "t.yaml:11: key 'model.layers.0.block': no block is named 'rse' in model.blocks (did you mean 'res'?)");
    expect(HEAD "  layers:\n    - {type: block, block: res, params: {filter: 3}}\n",
           "key 'model.layers.0.params.filter': block 'res' has no parameter 'filter'");
    expect(HEAD "  layers:\n    - {type: block, block: res, repeat: 0}\n",
           "key 'model.layers.0.repeat': expected a positive integer");
    expect(HEAD "  layers:\n    - {type: block, block: res, units: 3}\n",
           "key 'model.layers.0.units': not a key of a block use");
    expect(HEAD "  layers:\n    - {type: block, block: res, inputs: [input, input]}\n",
           "key 'model.layers.0.inputs': a block takes one input");
    expect("data: {format: idx, train: {images: a, labels: b}}\n"
           "model:\n  blocks:\n    b:\n      params: {n: null}\n"
           "      layers: [{type: dense, units: $n}]\n  layers:\n    - {type: block, block: b}\n",
           "parameter 'n' has no default and is not given");
    expect("data: {format: idx, train: {images: a, labels: b}}\n"
           "model:\n  blocks:\n    b:\n      layers: [{type: dense, units: $m}]\n"
           "  layers:\n    - {type: block, block: b}\n",
           "parameter 'm' is not a parameter of the block");
    expect("data: {format: idx, train: {images: a, labels: b}}\n"
           "model:\n  blocks:\n    b:\n      layers: [{type: block, block: b}]\n"
           "  layers:\n    - {type: block, block: b}\n",
           "a block cannot use another block");
    expect("data: {format: idx, train: {images: a, labels: b}}\n"
           "model:\n  blocks:\n    b: {layers: []}\n  layers:\n    - {type: block, block: b}\n",
           "a block needs a non-empty list of layers");
    expect("data: {format: idx, train: {images: a, labels: b}}\n"
           "model:\n  layers:\n    - {type: block, block: b}\n",
           "no block is named 'b'");
    /* a value from a parameter is checked like any other */
    expect(HEAD "  layers:\n    - {type: block, block: res, params: {filters: two}}\n",
           "t.yaml:11: key 'model.layers.0.filters': expected a positive integer, got \"two\""); /* where the value was written */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_expansion),
        cmocka_unit_test(test_use_inputs),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
