/* test_defaults.c - the defaults a user relies on without knowing it, read
 * from configs that set nothing but layer types and sizes: the layers' own
 * (lstm forget-gate bias, batchnorm momentum and eps, leaky-relu slope,
 * embedding padding id, gru form, rnn nonlinearity, recurrent return of every
 * step) and what initialisation makes of them, measured on the built model:
 * He sqrt(2/n_in) for relu-like layers, Xavier sqrt(1/n_in) otherwise and
 * for recurrent weights, N(0, 1) embedding rows with the padding row zero,
 * zero biases, gamma 1; L2 on weights only.  (The optimizer's momentum, betas, rho and eps and
 * the schedules' defaults: test_config.c, test_defaults_filled, from
 * tests/data/config/minimal.yaml.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/train/model.h"
#include "testutil.h"

static void build(model *m, dlc_config *cfg, const char *yaml)
{
    dlc_error err = {0};
    if (config_load_string(cfg, "defaults.yaml", yaml, strlen(yaml), NULL, 0, &err) != DLC_OK ||
        model_build(m, cfg, NULL, 0, 2, &err) != DLC_OK) {
        print_error("%s\n", err.msg);
        fail();
    }
    dlc_rng rng;
    dlc_rng_seed(&rng, 42, 0);
    graph_init_params(m->g, &rng);
}

static const graph_param *param(const model *m, const char *name)
{
    int id = graph_param_find(m->g, name);
    if (id < 0) {
        print_error("no parameter %s\n", name);
        fail();
    }
    return &m->g->params[id];
}

/* Mean near 0 and standard deviation within rel of want. */
static void check_scale(const model *m, const char *name, double want, double rel)
{
    const graph_param *p = param(m, name);
    double s = 0, ss = 0;
    for (size_t i = 0; i < p->n; i++) {
        s += p->data[i];
        ss += (double)p->data[i] * p->data[i];
    }
    double mean = s / (double)p->n, sd = sqrt(ss / (double)p->n - mean * mean);
    if (fabs(sd / want - 1.0) > rel || fabs(mean) > 5 * want / sqrt((double)p->n)) {
        print_error("%s: %zu values, mean %.5f, sd %.5f; want mean 0, sd %.5f (+-%.0f%%)\n", name,
                    p->n, mean, sd, want, rel * 100);
        fail();
    }
}

static void check_fill(const model *m, const char *name, size_t from, size_t to, float v)
{
    const graph_param *p = param(m, name);
    assert_true(to <= p->n);
    for (size_t i = from; i < to; i++)
        if (p->data[i] != v) {
            print_error("%s[%zu] = %g, want %g\n", name, i, (double)p->data[i], (double)v);
            fail();
        }
}

static void test_dense_and_norm_defaults(void **state)
{
    dlc_config cfg;
    model m;
    build(&m, &cfg,
          "data: {format: csv, train: {file: t.csv}}\n"
          "model:\n"
          "  input: [400]\n"
          "  layers:\n"
          "    - {type: dense, units: 300, activation: relu}\n"
          "    - {type: dense, units: 300, activation: tanh}\n"
          "    - {type: dense, units: 300, activation: leaky_relu}\n"
          "    - {type: batchnorm}\n"
          "    - {type: dense, units: 10}\n");
    const layer_spec *l = cfg.layers;
    /* the leaky slope, batchnorm's running-average momentum (PyTorch's 0.1) and eps */
    tu_close(l[2].alpha, 0.01, 1e-9);
    tu_close(l[3].momentum, 0.9, 1e-7);
    tu_close(l[3].eps, 1e-5, 1e-12);
    for (int k = 0; k < 5; k++) {
        assert_int_equal(l[k].init, INIT_AUTO);
        assert_int_equal(l[k].use_bias, k != 3); /* batchnorm has beta instead */
        assert_int_equal(l[k].trainable, 1);
    }
    /* auto initialisation: He after relu and leaky relu, Xavier after tanh
     * and for the linear output (n_in 400, 300, 300, 300) */
    check_scale(&m, "dense_1.weight", sqrt(2.0 / 400), 0.03);
    check_scale(&m, "dense_2.weight", sqrt(1.0 / 300), 0.03);
    check_scale(&m, "dense_3.weight", sqrt(2.0 / 300), 0.03);
    check_scale(&m, "dense_4.weight", sqrt(1.0 / 300), 0.06);
    check_fill(&m, "dense_1.bias", 0, 300, 0.0f);
    check_fill(&m, "dense_4.bias", 0, 10, 0.0f);
    /* batchnorm: gamma 1, beta 0, running mean 0 and variance 1 */
    check_fill(&m, "batchnorm_1.gamma", 0, 300, 1.0f);
    check_fill(&m, "batchnorm_1.beta", 0, 300, 0.0f);
    check_fill(&m, "batchnorm_1.running_mean", 0, 300, 0.0f);
    check_fill(&m, "batchnorm_1.running_var", 0, 300, 1.0f);
    /* L2 (train.l2) shrinks weights only: not biases, gamma, beta; the
     * running statistics are buffers, never learned */
    const char *decayed[] = {"dense_1.weight", "dense_4.weight"};
    const char *kept[] = {"dense_1.bias", "dense_4.bias", "batchnorm_1.gamma", "batchnorm_1.beta"};
    for (int k = 0; k < 2; k++)
        assert_true(param(&m, decayed[k])->decay && param(&m, decayed[k])->trainable);
    for (int k = 0; k < 4; k++)
        assert_true(!param(&m, kept[k])->decay && param(&m, kept[k])->trainable);
    assert_true(param(&m, "batchnorm_1.running_mean")->buffer);
    assert_false(param(&m, "batchnorm_1.running_var")->trainable || param(&m, "batchnorm_1.running_var")->decay);
    model_free(&m);
    config_free(&cfg);
}

/* The initializers a config names, whatever the activation: small (x 0.01),
 * he sqrt(2/n_in), he_fan_out sqrt(2/n_out) (a dense layer's and a
 * convolution's, whose n_out is filters x kernel area, as PyTorch's
 * kaiming_normal_ with mode='fan_out'), xavier sqrt(1/n_in), glorot
 * sqrt(2/(n_in + n_out)), zeros. */
static void test_named_initializers(void **state)
{
    dlc_config cfg;
    model m;
    build(&m, &cfg,
          "data: {format: csv, train: {file: t.csv}}\n"
          "model:\n"
          "  input: [400]\n"
          "  layers:\n"
          "    - {name: small, type: dense, units: 200, init: small, activation: relu}\n"
          "    - {name: he, type: dense, units: 300, init: he, activation: tanh}\n"
          "    - {name: xavier, type: dense, units: 600, init: xavier, activation: relu}\n"
          "    - {name: glorot, type: dense, units: 100, init: glorot}\n"
          "    - {name: fan_out, type: dense, units: 40, init: he_fan_out}\n"
          "    - {name: zeros, type: dense, units: 3, init: zeros}\n");
    check_scale(&m, "small.weight", 0.01, 0.03);
    check_scale(&m, "he.weight", sqrt(2.0 / 200), 0.03);
    check_scale(&m, "xavier.weight", sqrt(1.0 / 300), 0.03);
    check_scale(&m, "glorot.weight", sqrt(2.0 / (600 + 100)), 0.03);
    check_scale(&m, "fan_out.weight", sqrt(2.0 / 40), 0.03);
    check_fill(&m, "zeros.weight", 0, 120, 0.0f);
    model_free(&m);
    config_free(&cfg);
    build(&m, &cfg,
          "data: {format: image_folder, train: {dir: d}}\n"
          "model:\n"
          "  input: [16, 12, 12]\n"
          "  layers:\n"
          "    - {name: conv, type: conv2d, filters: 8, kernel: 5, init: he_fan_out, activation: relu}\n"
          "    - {name: dw, type: conv2d, filters: 8, groups: 8, kernel: 3, init: he_fan_out}\n"
          "    - {type: flatten}\n"
          "    - {type: dense, units: 2}\n");
    check_scale(&m, "conv.weight", sqrt(2.0 / (8 * 25)), 0.05);
    check_scale(&m, "dw.weight", sqrt(2.0 / (8 * 9)), 0.2);
    model_free(&m);
    config_free(&cfg);
}

static void test_sequence_defaults(void **state)
{
    dlc_config cfg;
    model m;
    build(&m, &cfg,
          "data: {format: csv, train: {file: t.csv}}\n"
          "model:\n"
          "  input: [6]\n"
          "  layers:\n"
          "    - {type: embedding, units: 64, vocab: 500}\n"
          "    - {type: lstm, units: 32}\n"
          "    - {type: gru, units: 32}\n"
          "    - {type: rnn, units: 32}\n"
          "    - {type: time_avgpool}\n"
          "    - {type: dense, units: 3}\n");
    const layer_spec *l = cfg.layers;
    assert_int_equal(l[0].pad_id, 0);
    tu_close(l[1].forget_bias, 1.0, 0);
    assert_int_equal(l[2].variant, GRU_FULL);
    assert_int_equal(l[3].nonlinearity, RNN_CELL_TANH);
    for (int k = 1; k <= 3; k++) {
        assert_int_equal(l[k].return_sequences, 1);
        assert_int_equal(l[k].bidirectional, 0);
        assert_int_equal(l[k].merge, RNN_MERGE_CONCAT);
        assert_int_equal(l[k].bptt, 0);
        assert_int_equal(l[k].use_bias, 1);
    }
    /* the gate rows: lstm i, f, g, o; full gru r, u, c~; rnn one */
    assert_int_equal(param(&m, "lstm_1.weight_ih")->shape.d[0], 4 * 32);
    assert_int_equal(param(&m, "gru_1.weight_ih")->shape.d[0], 3 * 32);
    assert_int_equal(param(&m, "rnn_1.weight_ih")->shape.d[0], 32);
    /* the lstm's forget gate starts open: bias rows H..2H are 1, the rest 0 */
    check_fill(&m, "lstm_1.bias", 0, 32, 0.0f);
    check_fill(&m, "lstm_1.bias", 32, 64, 1.0f);
    check_fill(&m, "lstm_1.bias", 64, 128, 0.0f);
    check_fill(&m, "gru_1.bias", 0, 96, 0.0f);
    /* embedding rows N(0, 1) as nn.Embedding, the padding row (id 0) zero */
    check_fill(&m, "embedding_1.weight", 0, 64, 0.0f);
    check_scale(&m, "embedding_1.weight", 1.0, 0.03);
    /* recurrent weights: Xavier sqrt(1 / n_in) for both products */
    check_scale(&m, "lstm_1.weight_ih", sqrt(1.0 / 64), 0.06);
    check_scale(&m, "lstm_1.weight_hh", sqrt(1.0 / 32), 0.06);
    check_scale(&m, "gru_1.weight_hh", sqrt(1.0 / 32), 0.08);
    check_scale(&m, "rnn_1.weight_hh", sqrt(1.0 / 32), 0.15);
    model_free(&m);
    config_free(&cfg);
}

static void test_conv_defaults(void **state)
{
    dlc_config cfg;
    model m;
    build(&m, &cfg,
          "data: {format: csv, train: {file: t.csv}}\n"
          "model:\n"
          "  input: [8, 10, 10]\n"
          "  layers:\n"
          "    - {type: conv2d, filters: 64, kernel: 3, activation: relu}\n"
          "    - {type: conv2d, filters: 64, kernel: 3}\n"
          "    - {type: flatten}\n"
          "    - {type: dense, units: 2}\n");
    const layer_spec *l = cfg.layers;
    assert_int_equal(l[0].padding, PAD_VALID);
    assert_int_equal(l[0].stride.v[0], 1); /* convolutions step by 1 */
    /* He over the window's fan-in C*k*k after relu, Xavier without */
    check_scale(&m, "conv2d_1.weight", sqrt(2.0 / (8 * 9)), 0.05);
    check_scale(&m, "conv2d_2.weight", sqrt(1.0 / (64 * 9)), 0.05);
    check_fill(&m, "conv2d_1.bias", 0, 64, 0.0f);
    model_free(&m);
    config_free(&cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dense_and_norm_defaults),
        cmocka_unit_test(test_named_initializers),
        cmocka_unit_test(test_sequence_defaults),
        cmocka_unit_test(test_conv_defaults),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
