/* test_config.c - config loading: defaults, every enum, shorthands, messages
 * (file:line, key path, suggestion), overrides and the to_yaml round trip. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "../../src/config/config.h"
#include "../../src/config/schema.h"

/* Lines 1-6; text appended to it starts at line 7. */
#define BASE                                       \
    "data:\n"                                      \
    "  format: idx\n"                              \
    "  train: {images: a.gz, labels: b.gz}\n"      \
    "model:\n"                                     \
    "  layers:\n"                                  \
    "    - {type: dense, units: 10}\n"

static dlc_status load(dlc_config *c, const char *yaml, const char *const *ov, int n,
                       dlc_error *err)
{
    return config_load_string(c, "test.yaml", yaml, strlen(yaml), ov, n, err);
}

static void load_ok(dlc_config *c, const char *yaml, const char *const *ov, int n)
{
    dlc_error err = {0};
    dlc_status s = load(c, yaml, ov, n, &err);
    if (s != DLC_OK) {
        print_error("unexpected error: %s\n", err.msg);
        fail();
    }
}

static int is_zeroed(const dlc_config *c)
{
    static const dlc_config zero;
    return memcmp(c, &zero, sizeof zero) == 0;
}

/* Loads and expects EINPUT with every given fragment in the message. */
static void expect_error_ov(const char *yaml, const char *const *ov, int n, const char *want1,
                            const char *want2)
{
    dlc_config c;
    dlc_error err = {0};
    dlc_status s = load(&c, yaml, ov, n, &err);
    if (s != DLC_EINPUT || !strstr(err.msg, want1) || (want2 && !strstr(err.msg, want2))) {
        print_error("status %d, message: %s\nwanted: %s%s%s\n", (int)s, err.msg, want1,
                    want2 ? " ... " : "", want2 ? want2 : "");
        if (s == DLC_OK)
            config_free(&c);
        fail();
    }
    assert_true(is_zeroed(&c)); /* freed on failure */
    config_free(&c);             /* and freeing again is harmless */
}

static void expect_error(const char *yaml, const char *want1, const char *want2)
{
    expect_error_ov(yaml, NULL, 0, want1, want2);
}

/* ---- defaults, enums, shorthands ---- */

static void test_defaults_filled(void **state)
{
    (void)state;
    dlc_config c;
    dlc_error err = {0};
    assert_int_equal(config_load(&c, tu_data("config/minimal.yaml"), NULL, 0, &err), DLC_OK);
    assert_string_equal(c.name, "minimal");
    assert_string_equal(c.path, tu_data("config/minimal.yaml"));
    assert_int_equal(c.seed, 1);
    assert_int_equal(c.threads, 0);
    assert_int_equal(c.data.format, DATA_IDX);
    assert_string_equal(c.data.train.images, "train-images.gz");
    assert_string_equal(c.data.train.file, "");
    assert_int_equal(c.data.train.limit, 0);
    assert_string_equal(c.data.dev.images, "");
    assert_string_equal(c.data.test.labels, "");
    assert_int_equal(c.data.classes.n, 0);
    assert_int_equal(c.data.n_labels, 0);
    assert_int_equal(c.data.unknown_label.n, 2);
    assert_string_equal(c.data.unknown_label.v[0], "");
    assert_string_equal(c.data.unknown_label.v[1], "?");
    assert_int_equal(c.data.features.n, 0);
    assert_true(c.data.split_dev == 0 && c.data.split_test == 0 && c.data.split_train_dev == 0);
    assert_int_equal(c.data.normalize, NORM_STANDARD);
    assert_int_equal(c.input.ndim, 0);
    assert_int_equal(c.n_layers, 1);
    assert_int_equal(c.n_heads, 1); /* the last layer, with the top-level loss */
    assert_string_equal(c.heads[0].layer, c.layers[0].name);
    assert_string_equal(c.heads[0].name, c.layers[0].name);
    assert_int_equal(c.heads[0].loss, LOSS_SOFTMAX_CE);
    tu_close(c.heads[0].weight, 1.0, 0);
    assert_string_equal(c.heads[0].target, "");
    assert_int_equal(c.loss, LOSS_SOFTMAX_CE);
    assert_int_equal(c.report.optimize, REPORT_OPTIMIZE_AUTO);
    assert_string_equal(c.report.metric_head, "");

    const train_config *t = &c.train;
    assert_int_equal(t->epochs, 10);
    assert_int_equal(t->batch_size, 64);
    assert_int_equal(t->shuffle, 1);
    assert_int_equal(t->optimizer.type, OPT_ADAM);
    tu_close(t->optimizer.lr, 0.001, 0);
    tu_close(t->optimizer.momentum, 0, 0); /* 0.9 for type momentum alone */
    tu_close(t->optimizer.beta1, 0.9, 0);
    tu_close(t->optimizer.beta2, 0.999, 0);
    tu_close(t->optimizer.rho, 0.9, 0);
    tu_close(t->optimizer.eps, 1e-8, 0);
    assert_int_equal(t->schedule.type, SCHED_CONSTANT);
    tu_close(t->schedule.decay_rate, 1.0, 0);
    tu_close(t->schedule.base, 0.95, 0);
    tu_close(t->schedule.k, 1.0, 0);
    tu_close(t->schedule.factor, 0.5, 0);
    assert_int_equal(t->schedule.every, 10);
    assert_int_equal(t->schedule.n_points, 0);
    tu_close(t->l2, 0, 0);
    tu_close(t->clip_norm, 0, 0);
    assert_int_equal(t->stop_metric, STOP_DEV_LOSS);
    assert_int_equal(t->patience, 0);
    tu_close(t->min_delta, 0, 0);
    assert_int_equal(t->keep_best, 1);
    assert_int_equal(t->checkpoint_every, 1);
    tu_close(t->grad_vanish, 1e-7, 0);
    tu_close(t->grad_explode, 1000, 0);
    tu_close(c.report.human_level_error, -1, 0);
    assert_int_equal(c.report.error_samples, 100);

    const layer_spec *l = &c.layers[0];
    assert_string_equal(l->name, "dense_1");
    assert_string_equal(l->type, "dense");
    assert_int_equal(l->op, OP_DENSE);
    assert_int_equal(l->units, 10);
    assert_int_equal(l->use_bias, 1);
    assert_int_equal(l->init, INIT_AUTO);
    assert_int_equal(l->activation, ACT_LINEAR);
    tu_close(l->alpha, 0.01, 1e-7);
    assert_int_equal(l->trainable, 1);
    assert_string_equal(l->share, "");
    assert_int_equal(l->n_inputs, 0);
    char where[256];
    snprintf(where, sizeof where, "%s:7", tu_data("config/minimal.yaml"));
    assert_string_equal(l->where, where);
    config_free(&c);

    /* from text, the run name is "config" */
    load_ok(&c, BASE, NULL, 0);
    assert_string_equal(c.name, "config");
    assert_string_equal(c.path, "");
    assert_string_equal(c.layers[0].where, "test.yaml:6");
    config_free(&c);
}

/* Sets key to every name of an enum with an override and checks the index. */
static void check_enum(const char *base, const char *key, const char *const *names, size_t off,
                       const char *extra_ok)
{
    for (int i = 0; names[i]; i++) {
        char ov[128];
        snprintf(ov, sizeof ov, "%s=%s", key, names[i]);
        const char *ovs[2] = {ov, extra_ok};
        dlc_config c;
        load_ok(&c, base, ovs, extra_ok ? 2 : 1);
        int v;
        memcpy(&v, (const char *)&c + off, sizeof v);
        if (v != i) {
            print_error("%s: got %d, want %d\n", ov, v, i);
            fail();
        }
        config_free(&c);
    }
}

static void test_every_enum(void **state)
{
    (void)state;
    check_enum(BASE, "data.normalize", data_norm_names, offsetof(dlc_config, data.normalize), NULL);
    check_enum(BASE, "loss", loss_names, offsetof(dlc_config, loss), NULL);
    check_enum(BASE, "train.optimizer.type", optim_names,
               offsetof(dlc_config, train.optimizer.type), NULL);
    check_enum(BASE, "train.early_stopping.metric", train_stop_metric_names,
               offsetof(dlc_config, train.stop_metric), NULL);
    /* manual needs points, and points are refused by the other types */
    for (int i = 0; sched_names[i]; i++) {
        char ov[128];
        snprintf(ov, sizeof ov, "train.schedule.type=%s", sched_names[i]);
        const char *ovs[2] = {ov, "train.schedule.points=[[1, 0.5]]"};
        dlc_config c;
        load_ok(&c, BASE, ovs, i == SCHED_MANUAL ? 2 : 1);
        assert_int_equal(c.train.schedule.type, i);
        config_free(&c);
    }
    /* data.format: each needs its own files */
    dlc_config c;
    load_ok(&c, BASE, NULL, 0);
    assert_int_equal(c.data.format, DATA_IDX);
    config_free(&c);
    load_ok(&c,
            "data: {format: csv, train: {file: t.csv}}\n"
            "model: {layers: [{type: dense, units: 1}]}\n",
            NULL, 0);
    assert_int_equal(c.data.format, DATA_CSV);
    config_free(&c);
    load_ok(&c,
            "data: {format: image_folder, train: {dir: imgs}, bad_files: skip}\n"
            "model: {input: [3, 32, 32], layers: [{type: conv2d, filters: 2, kernel: 3}]}\n",
            NULL, 0);
    assert_int_equal(c.data.format, DATA_IMAGE_FOLDER);
    assert_int_equal(c.data.bad_files, DATA_BAD_SKIP);
    assert_int_equal(c.data.image_shape.d[1], 32); /* images are read at the model's input size */
    config_free(&c);
    load_ok(&c,
            "data: {format: text, train: {file: t.txt}, text: {task: tag, tokens: words}}\n"
            "model: {layers: [{type: dense, units: 1}]}\n",
            NULL, 0);
    assert_int_equal(c.data.format, DATA_TEXT);
    assert_int_equal(c.data.text.task, TEXT_TAG);
    assert_int_equal(c.data.text.unit, TEXT_WORDS);
    config_free(&c);
    load_ok(&c,
            "data: {format: detection, train: {dir: imgs, labels: lbl}, detection: {names: a.names}}\n"
            "model: {input: [3, 32, 32], layers: [{type: dense, units: 8}]}\n"
            "loss: localize\n",
            NULL, 0);
    assert_int_equal(c.data.format, DATA_DETECTION);
    assert_string_equal(c.data.train.labels, "lbl");
    config_free(&c);
    assert_int_equal(DATA_FORMAT_COUNT, 5);

    /* layer enums */
    for (int i = 0; graph_act_names[i]; i++) {
        char ov[128];
        snprintf(ov, sizeof ov, "model.layers.0.activation=%s", graph_act_names[i]);
        const char *ovs[1] = {ov};
        load_ok(&c, BASE, ovs, 1);
        assert_int_equal(c.layers[0].activation, i);
        config_free(&c);
    }
    for (int i = 0; graph_init_names[i]; i++) {
        char ov[128];
        snprintf(ov, sizeof ov, "model.layers.0.init=%s", graph_init_names[i]);
        const char *ovs[1] = {ov};
        load_ok(&c, BASE, ovs, 1);
        assert_int_equal(c.layers[0].init, i);
        config_free(&c);
    }
    /* a near miss gets a suggestion */
    expect_error(BASE "loss: mse2\n", "test.yaml:7: key 'loss': expected one of", "did you mean 'mse'?");
}

static void test_shorthands(void **state)
{
    (void)state;
    dlc_config c;
    load_ok(&c, BASE "train:\n  optimizer: sgd\n  schedule: exponential\n", NULL, 0);
    assert_int_equal(c.train.optimizer.type, OPT_SGD);
    tu_close(c.train.optimizer.lr, 0.001, 0); /* the rest are defaults */
    assert_int_equal(c.train.schedule.type, SCHED_EXPONENTIAL);
    tu_close(c.train.schedule.base, 0.95, 0);
    config_free(&c);
    expect_error(BASE "train: {optimizer: adan}\n", "test.yaml:7: key 'train.optimizer.type'",
                 "did you mean 'adam'?");
    expect_error(BASE "train: {optimizer: [sgd]}\n", "key 'train.optimizer': expected a mapping or one of sgd",
                 NULL);
    expect_error(BASE "train:\n  optimizer:\n", "test.yaml:8: key 'train.optimizer': expected a mapping or one of sgd, momentum, rmsprop, adam, adamw, got null",
                 NULL);
    expect_error(BASE "report:\n", "test.yaml:7: key 'report': expected a mapping, got null", NULL);
}

static void test_batch_size_full(void **state)
{
    (void)state;
    dlc_config c;
    load_ok(&c, BASE "train: {batch_size: full}\n", NULL, 0);
    assert_int_equal(c.train.batch_size, 0);
    char *y = NULL;
    dlc_error err = {0};
    assert_int_equal(config_to_yaml(&c, &y, &err), DLC_OK);
    assert_non_null(strstr(y, "batch_size: full\n"));
    free(y);
    config_free(&c);
    load_ok(&c, BASE "train: {batch_size: 32}\n", NULL, 0);
    assert_int_equal(c.train.batch_size, 32);
    config_free(&c);
    /* 0 is not a way to say full */
    expect_error(BASE "train: {batch_size: 0}\n",
                 "test.yaml:7: key 'train.batch_size': expected a positive integer or 'full', got 0",
                 NULL);
    expect_error(BASE "train: {batch_size: half}\n", "got \"half\"", NULL);
}

static void test_manual_points(void **state)
{
    (void)state;
    dlc_config c;
    load_ok(&c, BASE "train:\n  schedule:\n    type: manual\n    points: [[1, 0.1], [5, 1e-2], [9, 1]]\n",
            NULL, 0);
    const schedule_config *s = &c.train.schedule;
    assert_int_equal(s->type, SCHED_MANUAL);
    assert_int_equal(s->n_points, 3);
    assert_int_equal(s->point_epoch[0], 1);
    assert_int_equal(s->point_epoch[2], 9);
    tu_close(s->point_lr[1], 0.01, 0);
    tu_close(s->point_lr[2], 1.0, 0);
    config_free(&c);

    expect_error(BASE "train: {schedule: manual}\n",
                 "test.yaml:7: key 'train.schedule.points': missing", NULL);
    expect_error(BASE "train: {schedule: {type: manual, points: [[2, 0.1], [2, 0.05]]}}\n",
                 "key 'train.schedule.points.1.0': epochs must increase", NULL);
    expect_error(BASE "train: {schedule: {type: manual, points: [[0, 0.1]]}}\n",
                 "key 'train.schedule.points.0.0': expected an epoch >= 1, got \"0\"", NULL);
    expect_error(BASE "train: {schedule: {type: manual, points: [[1, 0]]}}\n",
                 "key 'train.schedule.points.0.1': expected a learning rate > 0", NULL);
    expect_error(BASE "train: {schedule: {type: manual, points: [[1, 0.1, 3]]}}\n",
                 "key 'train.schedule.points.0': expected an [epoch, lr] pair", NULL);
    expect_error(BASE "train: {schedule: {type: step, points: [[1, 0.1]]}}\n",
                 "key 'train.schedule.points': not read by schedule type step, which would "
                 "ignore it (it reads: type, factor, every); type manual reads it",
                 NULL);
    /* at most SCHED_MAX_POINTS: that many are read, and written to the run's
     * config.yaml in full */
    char text[4096] = BASE "train: {schedule: {type: manual, points: [", more[sizeof text + 64];
    for (int i = 1; i <= SCHED_MAX_POINTS; i++) {
        size_t len = strlen(text);
        snprintf(text + len, sizeof text - len, "%s[%d, 0.1]", i > 1 ? ", " : "", i);
    }
    snprintf(more, sizeof more, "%s, [%d, 0.1]]}}\n", text, SCHED_MAX_POINTS + 1);
    strcat(text, "]}}\n");
    load_ok(&c, text, NULL, 0);
    assert_int_equal(c.train.schedule.n_points, SCHED_MAX_POINTS);
    char *y = NULL;
    dlc_error err = {0};
    assert_int_equal(config_to_yaml(&c, &y, &err), DLC_OK);
    assert_non_null(strstr(y, "points: [[1, 0.1], [2, 0.1], "));
    assert_non_null(strstr(y, ", [64, 0.1]]"));
    free(y);
    config_free(&c);
    expect_error(more, "at most 64 points", NULL);
}

/* ---- layers ---- */

static void test_layer_default_names(void **state)
{
    (void)state;
    dlc_config c;
    load_ok(&c,
            BASE "    - {type: dropout, rate: 0.5}\n"
                 "    - {name: head, type: dense, units: 4}\n"
                 "    - {type: dense, units: 2}\n"
                 "    - {type: dropout, rate: 0.1}\n",
            NULL, 0);
    assert_int_equal(c.n_layers, 5);
    assert_string_equal(c.layers[0].name, "dense_1");
    assert_string_equal(c.layers[1].name, "dropout_1");
    assert_string_equal(c.layers[2].name, "head");
    assert_string_equal(c.layers[3].name, "dense_3"); /* counts every dense, named or not */
    assert_string_equal(c.layers[4].name, "dropout_2");
    assert_string_equal(c.layers[4].where, "test.yaml:10");
    config_free(&c);

    expect_error(BASE "    - {name: dense_1, type: dense, units: 4}\n",
                 "test.yaml:7: key 'model.layers.1.name': duplicate layer name 'dense_1'", NULL);
    expect_error(BASE "    - {name: a.b, type: dense, units: 4}\n",
                 "key 'model.layers.1.name': expected a layer name", NULL);
    expect_error("data: {format: idx, train: {images: a, labels: b}}\nmodel: {layers: []}\n",
                 "test.yaml:2: key 'model.layers': needs at least one layer", NULL);
}

static void test_outputs(void **state)
{
    (void)state;
    dlc_config c;
#define CSV_BASE                                                                 \
    "data:\n"                                                                     \
    "  format: csv\n"                                                             \
    "  train: {file: t.csv}\n"                                                    \
    "  label: {dense_1: a, aux: b, cls: a, boxes: [c, d]}\n"                      \
    "model:\n"                                                                    \
    "  layers:\n"                                                                 \
    "    - {type: dense, units: 10}\n"
    load_ok(&c, CSV_BASE "    - {name: aux, type: dense, units: 2}\n  outputs: [dense_1, aux]\n",
            NULL, 0);
    assert_int_equal(c.n_heads, 2);
    assert_string_equal(c.heads[1].layer, "aux");
    assert_string_equal(c.heads[1].name, "aux");
    assert_int_equal(c.heads[1].loss, LOSS_SOFTMAX_CE);
    assert_int_equal(config_shares_label(&c), 0); /* csv: each output its label group */
    config_free(&c);
    /* mappings: each head its loss, weight, name and label group; the
     * top-level loss is the default */
    load_ok(&c,
            CSV_BASE "    - {name: box, type: dense, units: 4, inputs: [dense_1]}\n"
                 "  outputs: [{layer: dense_1, name: cls}, {layer: box, loss: mse, weight: 0.5, "
                 "target: boxes}]\nloss: sigmoid_bce\nreport: {metric: {optimize: box.mae}}\n",
            NULL, 0);
    assert_int_equal(c.n_heads, 2);
    assert_string_equal(c.heads[0].name, "cls");
    assert_int_equal(c.heads[0].loss, LOSS_SIGMOID_BCE);
    assert_int_equal(c.heads[1].loss, LOSS_MSE);
    tu_close(c.heads[1].weight, 0.5, 0);
    assert_string_equal(c.heads[1].target, "boxes");
    assert_string_equal(c.report.metric_head, "box");
    assert_int_equal(c.report.optimize, REPORT_M_MAE);
    config_free(&c);
    expect_error(BASE "  outputs: [{layer: dense_1, loss: msee}]\n",
                 "test.yaml:7: key 'model.outputs.0.loss': expected one of softmax_cross_entropy, "
                 "sigmoid_bce, mse, ", /* and the losses added since */
                 "got \"msee\" (did you mean 'mse'?)");
    expect_error(BASE "  outputs: [{layer: dense_1, weigth: 2}]\n",
                 "test.yaml:7: key 'model.outputs.0.weigth': unknown key (did you mean 'weight'?)",
                 NULL);
    expect_error(BASE "  outputs: [{loss: mse}]\n",
                 "test.yaml:7: key 'model.outputs.0.layer': missing (required)", NULL);
    expect_error(BASE "  outputs: [dense_1, {layer: dense_1, name: again}]\n",
                 "key 'model.outputs.1.layer': layer 'dense_1' is already the output of head "
                 "'dense_1'", NULL);
    /* an output's targets: its label group, and a format that has several */
    expect_error(CSV_BASE "    - {name: size, type: dense, units: 1}\n  outputs: [dense_1, size]\n",
                 "test.yaml:9: key 'model.outputs.1': data.label has no group 'size' for this "
                 "output (it has: dense_1, aux, cls, boxes)", NULL);
    /* idx gives one class id per example: outputs that learn from class ids
     * share it (a joint loss), others need csv label groups */
    load_ok(&c, BASE "    - {name: aux, type: dense, units: 2}\n  outputs: [dense_1, aux]\n", NULL, 0);
    assert_int_equal(c.n_heads, 2);
    assert_int_equal(config_shares_label(&c), 1);
    config_free(&c);
    load_ok(&c, BASE "    - {name: emb, type: l2normalize}\n"
                     "  outputs: [{layer: emb, loss: triplet}, dense_1]\n", NULL, 0);
    assert_int_equal(config_shares_label(&c), 1);
    config_free(&c);
    load_ok(&c, BASE, NULL, 0);
    assert_int_equal(config_shares_label(&c), 0);
    config_free(&c);
    expect_error(BASE "    - {name: aux, type: dense, units: 2}\n"
                      "  outputs: [dense_1, {layer: aux, loss: mse}]\n",
                 "test.yaml:8: key 'model.outputs': data.format idx gives one label per example: "
                 "several outputs share it only when each learns from class ids",
                 NULL);
    expect_error(BASE "  outputs: [dense_1, {layer: dense_1, name: again2}]\n",
                 "key 'model.outputs.1.layer': layer 'dense_1' is already the output of head "
                 "'dense_1'", NULL);
    expect_error(BASE "report: {metric: {optimize: boxx.mse}}\n",
                 "key 'report.metric.optimize': no output is named 'boxx'", NULL);
    /* every measure by its name, the table's first (accuracy) and last too */
    for (int m = 0; m < REPORT_MEASURE_COUNT; m++) {
        char text[1024];
        snprintf(text, sizeof text, BASE "report: {metric: {optimize: %s}}\n",
                 report_measure_names[m]);
        load_ok(&c, text, NULL, 0);
        assert_int_equal(c.report.optimize, m);
        config_free(&c);
    }
    expect_error(BASE "  outputs: [dense_1, dense_2]\n",
                 "test.yaml:7: key 'model.outputs.1': no layer is named 'dense_2' (did you mean "
                 "'dense_1'?)",
                 NULL);
    expect_error(BASE "  outputs: [dense_1, dense_1]\n",
                 "key 'model.outputs.1': layer 'dense_1' is already the output of head 'dense_1'",
                 NULL);
}

static void test_activation_shorthand(void **state)
{
    (void)state;
    dlc_config c;
    load_ok(&c, BASE "    - {type: relu}\n    - {type: activation, activation: tanh}\n", NULL, 0);
    const layer_spec *l = &c.layers[1];
    assert_int_equal(l->op, OP_ACTIVATION);
    assert_string_equal(l->type, "activation");
    assert_int_equal(l->activation, ACT_RELU);
    assert_string_equal(l->name, "activation_1");
    assert_string_equal(c.layers[2].name, "activation_2");
    assert_int_equal(c.layers[2].activation, ACT_TANH);
    config_free(&c);

    expect_error(BASE "    - {type: relu, activation: tanh}\n",
                 "test.yaml:7: key 'model.layers.1.activation': 'type: relu' already is the "
                 "activation",
                 NULL);
    expect_error(BASE "    - {type: dense2, units: 3}\n",
                 "test.yaml:7: key 'model.layers.1.type': unknown layer type \"dense2\" (did you "
                 "mean 'dense'?)",
                 NULL);
}

static void test_alpha_default(void **state)
{
    (void)state;
    dlc_config c;
    load_ok(&c,
            BASE "    - {type: leaky_relu}\n"
                 "    - {type: elu}\n"
                 "    - {type: relu}\n"
                 "    - {type: elu, alpha: 0.5}\n"
                 "    - {type: dense, units: 3, activation: elu}\n",
            NULL, 0);
    tu_close(c.layers[1].alpha, 0.01, 1e-7);
    tu_close(c.layers[2].alpha, 1.0, 0);
    tu_close(c.layers[3].alpha, 0.01, 1e-7);
    tu_close(c.layers[4].alpha, 0.5, 0);
    tu_close(c.layers[5].alpha, 1.0, 0);
    config_free(&c);
    expect_error(BASE "    - {type: leaky_relu, alpha: -0.1}\n",
                 "key 'model.layers.1.alpha': expected a number >= 0, got -0.1", NULL);
    /* hardsigmoid's slope and offset: PyTorch's by default, its keys alone */
    load_ok(&c, BASE "    - {type: hardsigmoid}\n    - {type: dense, units: 2, activation: hardsigmoid, slope: 0.2}\n",
            NULL, 0);
    tu_close(c.layers[1].slope, 1.0 / 6.0, 1e-7);
    tu_close(c.layers[1].offset, 0.5, 0);
    tu_close(c.layers[2].slope, 0.2, 1e-7);
    config_free(&c);
    expect_error(BASE "    - {type: dense, units: 2, activation: relu, offset: 0.2}\n",
                 "test.yaml:7: key 'model.layers.1.offset': read by activation hardsigmoid only (this "
                 "layer's is relu)",
                 NULL);
    expect_error(BASE "    - {type: hardsigmoid, slope: -1}\n",
                 "key 'model.layers.1.slope': expected a number >= 0, got -1", NULL);
}

static void round_trip(const dlc_config *c);

/* init_from.rename: a mapping of the source's names to this model's, each taken once. */
static void test_init_rename(void **state)
{
    (void)state;
    dlc_config c;
    load_ok(&c, BASE "init_from: {run: src, rename: {fc1: a, fc2: b}}\n", NULL, 0);
    assert_int_equal(c.init.rename.n, 4);
    assert_string_equal(c.init.rename.v[0], "fc1");
    assert_string_equal(c.init.rename.v[3], "b");
    round_trip(&c);
    config_free(&c);
    expect_error(BASE "init_from: {run: src, rename: {fc1: a, fc2: a}}\n",
                 "key 'init_from.rename.fc2': layer 'a' already takes the weights of 'fc1'", NULL);
    expect_error(BASE "init_from: {run: src, rename: [fc1, a]}\n",
                 "key 'init_from.rename': expected a mapping of the source's layer names to this model's "
                 "({old: new}), got a list",
                 NULL);
    expect_error(BASE "init_from: {run: src, rename: {fc1: [a]}}\n",
                 "key 'init_from.rename.fc1': expected the name of a layer of this model", NULL);
}

static void test_key_of_other_layer_type(void **state)
{
    (void)state;
    expect_error(BASE "    - {type: dropout, rate: 0.5, units: 3}\n",
                 "test.yaml:7: key 'model.layers.1.units': not a key of layer type 'dropout' (it "
                 "has: rate, name, type, inputs, activation, alpha, slope, offset, trainable, share)",
                 NULL);
    expect_error(BASE "    - {type: relu, rate: 0.5}\n",
                 "key 'model.layers.1.rate': not a key of layer type 'relu'", NULL);
    expect_error(BASE "    - {type: dropout}\n",
                 "test.yaml:7: key 'model.layers.1.rate': missing (required for layer type "
                 "'dropout')",
                 NULL);
    expect_error(BASE "    - {type: dropout, rate: 1}\n",
                 "key 'model.layers.1.rate': expected a number in [0, 1), got 1", NULL);
    expect_error(BASE "    - {type: reshape, shape: [-1, 2, -1]}\n",
                 "key 'model.layers.1.shape.2': only one dimension may be -1", NULL);
    char wide[1024] = BASE "    - {type: concat, inputs: [a";
    for (int i = 1; i <= GRAPH_MAX_INPUTS; i++) /* one more than a layer takes */
        snprintf(wide + strlen(wide), sizeof wide - strlen(wide), ", a%d", i);
    strcat(wide, "]}\n");
    expect_error(wide, "key 'model.layers.1.inputs': at most 64 inputs, got 65: join them in steps", NULL);
    expect_error(BASE "    - dense\n",
                 "test.yaml:7: key 'model.layers.1': expected a layer mapping", NULL);

    dlc_config c;
    load_ok(&c, BASE "    - {type: reshape, shape: [2, -1]}\n    - {type: add, inputs: [dense_1, reshape_1]}\n"
                     "    - {type: concat, inputs: add_1, axis: 1}\n",
            NULL, 0);
    assert_int_equal(c.layers[1].target_ndim, 2);
    assert_int_equal(c.layers[1].target[1], -1);
    assert_int_equal(c.layers[2].n_inputs, 2);
    assert_string_equal(c.layers[2].inputs[1], "reshape_1");
    assert_int_equal(c.layers[3].n_inputs, 1); /* a single name is a one-item list */
    assert_string_equal(c.layers[3].inputs[0], "add_1");
    assert_int_equal(c.layers[3].axis, 1);
    assert_int_equal(c.layers[1].units, 0); /* keys of other types stay zero */
    config_free(&c);
}

/* every op key in the layer table is a key the config knows */
static void test_op_keys_known(void **state)
{
    (void)state;
    const char *const *paths = config_key_paths();
    for (int op = 0; op < OP_COUNT; op++) {
        for (const char *const *k = graph_ops[op].keys; *k; k++) {
            char want[96];
            snprintf(want, sizeof want, "model.layers.*.%s", *k);
            int found = 0;
            for (int i = 0; paths[i]; i++)
                found |= strcmp(paths[i], want) == 0;
            if (!found) {
                print_error("op %s key %s not in the schema\n", graph_ops[op].name, *k);
                fail();
            }
        }
    }
}

/* ---- messages ---- */

static void test_unknown_key_suggestion(void **state)
{
    (void)state;
    expect_error(BASE "train:\n  optimizer:\n    type: sgd\n    lrr: 0.1\n",
                 "test.yaml:10: key 'train.optimizer.lrr': unknown key (did you mean 'lr'?)", NULL);
    expect_error(BASE "sed: 3\n", "test.yaml:7: key 'sed': unknown key (did you mean 'seed'?)",
                 NULL);
    expect_error(BASE "train:\n  epoch: 3\n",
                 "test.yaml:8: key 'train.epoch': unknown key (did you mean 'epochs'?)", NULL);
    expect_error(BASE "    - {type: dense, unit: 3}\n",
                 "test.yaml:7: key 'model.layers.1.unit': unknown key (did you mean 'units'?)",
                 NULL);
    /* a key that belongs elsewhere is pointed at */
    expect_error(BASE "train: {lr: 0.1}\n",
                 "key 'train.lr': unknown key", "'train.optimizer.lr'");
    /* nothing close: the valid keys are listed */
    expect_error(BASE "report: {zzzzzzzz: 1}\n",
                 "key 'report.zzzzzzzz': unknown key (valid here: human_level_error, "
                 "error_analysis, metric)",
                 NULL);
}

static void test_wrong_type(void **state)
{
    (void)state;
    expect_error(BASE "train: {epochs: two}\n",
                 "test.yaml:7: key 'train.epochs': expected a positive integer, got \"two\"", NULL);
    expect_error(BASE "train: {epochs: 3.5}\n",
                 "key 'train.epochs': expected a positive integer, got \"3.5\"", NULL);
    expect_error(BASE "train: {epochs: \"3\"}\n", "got \"3\" (quoted, so it is text)", NULL);
    expect_error(BASE "train: {shuffle: yes}\n",
                 "key 'train.shuffle': expected true or false, got \"yes\"", NULL);
    expect_error(BASE "train: {optimizer: {lr: fast}}\n",
                 "key 'train.optimizer.lr': expected a number > 0, got \"fast\"", NULL);
    expect_error(BASE "train: {optimizer: {lr: [1]}}\n",
                 "key 'train.optimizer.lr': expected a number > 0, got a list", NULL);
    expect_error(BASE "train: 3\n", "test.yaml:7: key 'train': expected a mapping, got \"3\"",
                 NULL);
    expect_error(BASE "data2: 1\nseed: -1\n", "key 'data2'", NULL); /* first problem wins */
    expect_error(BASE "seed: -1\n", "key 'seed': expected an integer >= 0, got -1", NULL);
    expect_error(BASE "seed: null\n", "key 'seed': expected an integer >= 0, got null", NULL);
    expect_error(BASE "data2: x\n", "test.yaml:7", NULL);
    expect_error(BASE "name: a/b\n", "key 'name': a run name becomes a folder name", NULL);
    expect_error(BASE "data: {classes: cat}\n", "duplicate key", NULL);

    /* floats take ints and exponents */
    dlc_config c;
    load_ok(&c, BASE "train: {optimizer: {lr: 1e-3, eps: 1}, l2: 2}\n", NULL, 0);
    tu_close(c.train.optimizer.lr, 1e-3, 0);
    tu_close(c.train.optimizer.eps, 1, 0);
    tu_close(c.train.l2, 2, 0);
    config_free(&c);
}

/* Every kind of key says what it expects when given something else. */
static void test_wrong_type_every_kind(void **state)
{
    (void)state;
    static const struct {
        const char *yaml, *want;
    } cases[] = {
        {"model: {input: [1, x], layers: [{type: dense, units: 2}]}\n",
         "key 'model.input.1': expected a list of up to 5 positive integers, got \"x\""},
        {"model: {layers: [{type: reshape, shape: 3}]}\n",
         "expected a list of 1 to 5 positive integers (one of them may be -1)"},
        {"model: {layers: [{type: conv2d, filters: 2, kernel: big}]}\n",
         "expected a positive integer or a list of 1 to 3 of them"},
        {"model: {layers: [{type: conv2d, filters: 2, kernel: 3, padding: wide}]}\n",
         "expected valid, same, an integer >= 0 or a list of 1 to 3 of them"},
        {"model: {layers: [{type: dense, units: many}]}\n",
         "expected a positive integer or 'auto' (from the data)"},
        {"model: {layers: [{type: dense, units: 2, inputs: {a: 1}}]}\n",
         "expected a layer name or a list of layer names"},
        {"model: {layers: 3}\n", "key 'model.layers': expected a list of layer mappings"},
        {"model: {layers: [{type: [dense]}]}\n", "expected a layer type"},
        {"model: {layers: [{type: dense, units: 2, name: [a]}]}\n",
         "a layer name (letters, digits, '_' and '-')"},
        {"model: {layers: [{type: dense, units: 2}]}\ntrain: {batch_size: all}\n",
         "key 'train.batch_size': expected a positive integer or 'full'"},
        {"model: {layers: [{type: dense, units: 2}]}\ntrain: {schedule: {type: manual, points: 3}}\n",
         "expected a list of [epoch, lr] pairs"},
        {"model: {layers: [{type: dense, units: 2}]}\ndata2: {classes: 3}\n", "data2"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char yaml[512];
        snprintf(yaml, sizeof yaml, "data: {format: idx, train: {images: a.gz, labels: b.gz}}\n%s",
                 cases[i].yaml);
        expect_error(yaml, cases[i].want, NULL);
    }
    expect_error("data: {format: csv, train: {file: t.csv}, classes: {a: 1}}\n"
                 "model: {layers: [{type: dense, units: 2}]}\n",
                 "key 'data.classes': expected a list of strings", NULL);
    expect_error("data: {format: csv, train: {file: t.csv}, label: {a: {b: 1}}}\n"
                 "model: {layers: [{type: dense, units: 2}]}\n",
                 "key 'data.label.a': expected a string or a list of strings", NULL);
}

static void test_out_of_range(void **state)
{
    (void)state;
    expect_error(BASE "train: {epochs: 0}\n",
                 "key 'train.epochs': expected a positive integer, got 0", NULL);
    expect_error(BASE "train: {optimizer: {lr: 0}}\n",
                 "key 'train.optimizer.lr': expected a number > 0, got 0", NULL);
    expect_error(BASE "train: {optimizer: {momentum: 1}}\n",
                 "key 'train.optimizer.momentum': expected a number in [0, 1) or null, got 1", NULL);
    expect_error(BASE "train: {schedule: {base: 0}}\n",
                 "key 'train.schedule.base': expected a number in (0, 1], got 0", NULL);
    expect_error(BASE "train: {epochs: 99999999999}\n", "key 'train.epochs'", NULL);
    expect_error(BASE "train: {optimizer: {lr: 1e999}}\n", "key 'train.optimizer.lr'", NULL);
    expect_error(BASE "report: {human_level_error: 1.5}\n",
                 "test.yaml:7: key 'report.human_level_error': expected an error rate in [0, 1] "
                 "for loss softmax_cross_entropy, got 1.5",
                 NULL);
    expect_error(BASE "report: {human_level_error: -0.1}\n",
                 "key 'report.human_level_error': expected a number >= 0 or null, got -0.1", NULL);
    expect_error(BASE "    - {type: dense, units: 0}\n",
                 "key 'model.layers.1.units': expected a positive integer or 'auto' (from the data), got 0", NULL);
    expect_error("data: {format: idx, train: {images: a, labels: b}, split: {dev: 0.5, "
                 "train_dev: 0.5}}\nmodel: {layers: [{type: dense, units: 1}]}\n",
                 "test.yaml:1: key 'data.split': dev + test + train_dev must be less than 1",
                 NULL);
    expect_error(BASE "model: {input: [1, 0]}\n",
                 "test.yaml:7: key 'model': duplicate key (first at line 4)", NULL);
    expect_error("model: {input: [1, 0], layers: [{type: dense, units: 1}]}\n"
                 "data: {format: idx, train: {images: a, labels: b}}\n",
                 "key 'model.input.1': expected a positive integer, got 0", NULL);
    expect_error("model: {input: [1, 2, 3, 4, 5, 6], layers: [{type: dense, units: 1}]}\n"
                 "data: {format: idx, train: {images: a, labels: b}}\n",
                 "key 'model.input': expected 0 to 5 dimensions, got 6", NULL);

    dlc_config c;
    load_ok(&c, BASE "report: {human_level_error: null}\n", NULL, 0);
    tu_close(c.report.human_level_error, -1, 0);
    config_free(&c);
    load_ok(&c, BASE "report: {human_level_error: 0.1}\n", NULL, 0);
    tu_close(c.report.human_level_error, 0.1, 0);
    config_free(&c);
    /* for loss mse the figure is an MSE, in the targets' units: any value >= 0 */
    load_ok(&c, BASE "loss: mse\nreport: {human_level_error: 250}\n", NULL, 0);
    tu_close(c.report.human_level_error, 250, 0);
    config_free(&c);
}

/* dlc computes in float32: a nonzero number it would hold as 0, a denormal or
 * infinity is refused where it is read (lr: 1e-300 used to train at 0), in
 * every kind of number key and in the lists read by hand. */
static void test_float32_range(void **state)
{
    (void)state;
    expect_error(BASE "train: {optimizer: {type: sgd, lr: 1e-300}}\n",
                 "test.yaml:7: key 'train.optimizer.lr': expected a number > 0, got 1e-300, "
                 "which float32 (what dlc computes in) holds as 0",
                 "nonzero magnitudes go from 1.2e-38 to 3.4e38");
    expect_error(BASE "train: {optimizer: {lr: 1e-400}}\n", "got 1e-400, which float32", "as 0");
    expect_error(BASE "train: {optimizer: {lr: 1e-40}}\n", "got 1e-40, which float32",
                 "as a denormal");
    expect_error(BASE "train: {optimizer: {lr: 1e39}}\n", "got 1e39, which float32",
                 "as infinity");
    expect_error(BASE "train: {l2: 1e-300}\n", "key 'train.l2': expected a number >= 0, got 1e-300",
                 "as 0");
    expect_error(BASE "    - {type: dropout, rate: 1e-60}\n",
                 "key 'model.layers.1.rate': expected a number in [0, 1), got 1e-60", "as 0");
    expect_error(BASE "train: {schedule: {type: manual, points: [[1, 1e-300]]}}\n",
                 "key 'train.schedule.points.0.1': expected a learning rate > 0, got 1e-300",
                 "as 0");
    const char *ov[] = {"train.optimizer.lr=-1e-39"};
    expect_error_ov(BASE, ov, 1, "--set train.optimizer.lr=-1e-39", "as a denormal");
    /* the edges of float32's normal range, and zero, are numbers */
    dlc_config c;
    load_ok(&c, BASE "train: {optimizer: {type: sgd, lr: 1.2e-38}, l2: 0.0, clip_norm: 3.4e38}\n",
            NULL, 0);
    tu_close(c.train.optimizer.lr, 1.2e-38, 0);
    config_free(&c);
    /* an integer key says nothing of float32 either */
    expect_error(BASE "train: {epochs: 1e-300}\n",
                 "key 'train.epochs': expected a positive integer, got \"1e-300\"", NULL);
    /* text that is not a number says nothing of float32 */
    expect_error(BASE "train: {optimizer: {lr: inf}}\n", "got \"inf\"", NULL);
}

static void test_missing_required(void **state)
{
    (void)state;
    /* names the key and the line of the mapping that lacks it */
    expect_error("model:\n  layers: [{type: dense, units: 1}]\ndata:\n  train: {images: a, labels: b}\n",
                 "test.yaml:4: key 'data.format': missing (required)", NULL);
    expect_error("data: {format: idx, train: {images: a, labels: b}}\n\nmodel:\n  input: [3]\n",
                 "test.yaml:4: key 'model.layers': missing (required)", NULL);
    expect_error("seed: 3\nmodel: {layers: [{type: dense, units: 1}]}\n",
                 "test.yaml:1: key 'data': missing (required)", NULL);
    expect_error(BASE "    - {units: 3}\n", "test.yaml:7: key 'model.layers.1.type': missing", NULL);
    expect_error(BASE "    - {type: dense}\n",
                 "test.yaml:7: key 'model.layers.1.units': missing (required for layer type "
                 "'dense')",
                 NULL);
    /* files the format needs */
    expect_error("data:\n  format: idx\n  train:\n    images: a.gz\nmodel: {layers: [{type: dense, units: 1}]}\n",
                 "test.yaml:4: key 'data.train.labels': missing (required for format idx)", NULL);
    expect_error("data:\n  format: csv\n  train: {file: t.csv, images: a}\nmodel: {layers: [{type: dense, units: 1}]}\n",
                 "test.yaml:3: key 'data.train.images': is not read by format csv (it reads: file)", NULL);
    expect_error("data:\n  format: idx\n  train: {images: a, labels: b}\n  dev: {file: d.csv}\n"
                 "model: {layers: [{type: dense, units: 1}]}\n",
                 "test.yaml:4: key 'data.dev.file': is not read by format idx (it reads: images, labels)", NULL);
    expect_error("data:\n  format: image_folder\n  train: {file: t.csv}\nmodel: {layers: [{type: dense, units: 1}]}\n",
                 "test.yaml:3: key 'data.train.file': is not read by format image_folder (it reads: dir)", NULL);
    expect_error("data:\n  format: image_folder\n  train: {}\nmodel: {layers: [{type: dense, units: 1}]}\n",
                 "test.yaml:3: key 'data.train.dir': missing (required for format image_folder)", NULL);
    expect_error("data:\n  format: csv\n  train: {file: t.csv}\n  augment: {hflip: true}\n"
                 "model: {layers: [{type: dense, units: 1}]}\n",
                 "test.yaml:4: key 'data.augment': augmentation needs image examples", NULL);
    expect_error(BASE "    - {type: conv2d, filters: 2}\n",
                 "test.yaml:7: key 'model.layers.1.kernel': missing (required for layer type 'conv2d')", NULL);
    expect_error(BASE "    - {type: conv2d, filters: 2, kernel: [3, 0]}\n",
                 "key 'model.layers.1.kernel.1': expected an integer >= 1, got \"0\"", NULL);
    expect_error(BASE "    - {type: maxpool, kernel: 2, padding: full}\n",
                 "key 'model.layers.1.padding': expected valid, same, an integer >= 0", NULL);
    expect_error("data:\n  format: idx\n  train: {images: a, labels: b}\n  dev: {images: c, labels: d}\n"
                 "  split: {dev: 0.1}\nmodel: {layers: [{type: dense, units: 1}]}\n",
                 "test.yaml:5: key 'data.split.dev': data.dev already names files", NULL);
}

static void test_label_scalar_or_list(void **state)
{
    (void)state;
    dlc_config c;
    load_ok(&c,
            "data: {format: csv, train: {file: t.csv}, label: price, features: [a, b]}\n"
            "model: {layers: [{type: dense, units: 1}]}\nloss: mse\n",
            NULL, 0);
    assert_int_equal(c.data.n_labels, 1);
    assert_string_equal(c.data.labels[0].name, "");
    assert_int_equal(c.data.labels[0].columns.n, 1);
    assert_string_equal(c.data.labels[0].columns.v[0], "price");
    assert_int_equal(c.data.features.n, 2);
    assert_string_equal(c.data.features.v[1], "b");
    config_free(&c);
    expect_error("data: {format: csv, train: {file: t.csv}, classes: cat}\n"
                 "model: {layers: [{type: dense, units: 1}]}\n",
                 "key 'data.classes': expected a list of strings, got \"cat\"", NULL);
    expect_error("data: {format: csv, train: {file: t.csv}, label: [a, {b: 1}]}\n"
                 "model: {layers: [{type: dense, units: 1}]}\n",
                 "key 'data.label.1': expected a non-empty string, got a mapping", NULL);
}

static void test_malformed_yaml(void **state)
{
    (void)state;
    expect_error(BASE "train:\n  epochs: [1, 2\n", "test.yaml:", "YAML syntax error");
    expect_error("data:\n  format: idx\n   train: x\n", "test.yaml:3:", "YAML syntax error");
    expect_error("data:\n\tformat: idx\n", "test.yaml:2:1: YAML syntax error",
                 "not tabs");
    expect_error("a: &x 1\nb: *x\n", "test.yaml:1:4: YAML anchors", "not supported");
    expect_error(BASE "---\nseed: 2\n", "test.yaml:7:1:", "one YAML document");
    expect_error(BASE "seed: !!int 3\n", "test.yaml:7:7: YAML tags", NULL);
    expect_error(BASE "? [a]\n: 1\n", "test.yaml:7:", "mapping key must be a plain word");
    expect_error("", "test.yaml: the config is empty", NULL);
    expect_error("# only a comment\n", "test.yaml: the config is empty", NULL);
    expect_error("- a\n- b\n", "test.yaml:1: a config is a mapping of keys", NULL);
    expect_error("seed: \"a\\0b\"\n", "test.yaml:1:7: a NUL character", NULL);
    expect_error("seed: \xff\n", "test.yaml:1:7: YAML syntax error", NULL);
    expect_error(BASE "train: {epochs: 3, epochs: 4}\n",
                 "test.yaml:7: key 'train.epochs': duplicate key (first at line 7)", NULL);

    char deep[400] = "seed: ";
    for (int i = 0; i < 100; i++)
        strcat(deep, "[");
    for (int i = 0; i < 100; i++)
        strcat(deep, "]");
    expect_error(deep, "nesting deeper than 64 levels", NULL);

    dlc_config c;
    dlc_error err = {0};
    assert_int_equal(config_load(&c, tu_data("config/no-such-file.yaml"), NULL, 0, &err),
                     DLC_EINPUT);
    char want[512];
    snprintf(want, sizeof want, "%s: cannot open: No such file or directory",
             tu_data("config/no-such-file.yaml"));
    assert_string_equal(err.msg, want);
    assert_true(is_zeroed(&c));
}

/* ---- overrides ---- */

static void test_overrides(void **state)
{
    (void)state;
    dlc_config c;
    const char *ov[] = {
        "train.epochs=3",                /* scalar, section absent from the file */
        "train.optimizer.lr=0.5",        /* nested, created */
        "model.layers.0.units=512",      /* list item */
        "model.layers.0.activation=relu",/* a key the layer did not have */
        "seed=7",
        "seed=8",                        /* later wins */
        "model.input=[1, 28, 28]",       /* flow value */
        "data.classes=[a, b]",           /* a list (data.label is for CSV files) */
        "name=run-2",
        "data.train.images=x=1.gz",      /* the first '=' ends the key */
    };
    load_ok(&c, BASE, ov, (int)DLC_ARRAY_LEN(ov));
    assert_string_equal(c.data.train.images, "x=1.gz");
    assert_int_equal(c.train.epochs, 3);
    tu_close(c.train.optimizer.lr, 0.5, 0);
    assert_int_equal(c.layers[0].units, 512);
    assert_int_equal(c.layers[0].activation, ACT_RELU);
    assert_int_equal(c.seed, 8);
    assert_int_equal(c.input.ndim, 3);
    assert_int_equal(c.input.d[2], 28);
    assert_int_equal(c.data.classes.n, 2);
    assert_string_equal(c.data.classes.v[1], "b");
    assert_string_equal(c.name, "run-2");
    config_free(&c);

    /* through a shorthand, and replacing a whole layer */
    const char *ov2[] = {"train.optimizer.lr=0.25", "model.layers.0={type: dropout, rate: 0.5}",
                         "data.dev.images=d.gz", "data.dev.labels=e.gz"};
    load_ok(&c, BASE "train: {optimizer: sgd}\n", ov2, 4);
    assert_int_equal(c.train.optimizer.type, OPT_SGD);
    tu_close(c.train.optimizer.lr, 0.25, 0);
    assert_int_equal(c.layers[0].op, OP_DROPOUT);
    assert_string_equal(c.layers[0].where, "--set model.layers.0={type: dropout, rate: 0.5}");
    assert_string_equal(c.data.dev.images, "d.gz");
    config_free(&c);

    /* null takes a shipped file's model.input away: the data's shape is taken */
    const char *ov3[] = {"model.input=null"};
    load_ok(&c, BASE "  input: [3, 224, 224]\n", ov3, 1);
    assert_int_equal(c.input.ndim, 0);
    config_free(&c);
}

static void test_override_errors(void **state)
{
    (void)state;
    const char *bad_path[] = {"train.optimizer.lrr=0.1"};
    expect_error_ov(BASE, bad_path, 1,
                    "--set train.optimizer.lrr=0.1: key 'train.optimizer.lrr': unknown key (did "
                    "you mean 'lr'?)",
                    NULL);
    const char *bad_value[] = {"train.epochs=two"};
    expect_error_ov(BASE, bad_value, 1,
                    "--set train.epochs=two: key 'train.epochs': expected a positive integer, got "
                    "\"two\"",
                    NULL);
    const char *bad_index[] = {"model.layers.3.units=5"};
    expect_error_ov(BASE, bad_index, 1,
                    "--set model.layers.3.units=5: key 'model.layers.3': index 3 is out of range "
                    "('model.layers' has 1 item)",
                    NULL);
    const char *not_index[] = {"model.layers.first.units=5"};
    expect_error_ov(BASE, not_index, 1, "key 'model.layers.first': 'model.layers' is a list", NULL);
    const char *through_scalar[] = {"data.format.x=1"};
    expect_error_ov(BASE, through_scalar, 1,
                    "--set data.format.x=1: key 'data.format.x': 'data.format' is a single value",
                    NULL);
    const char *no_eq[] = {"train.epochs"};
    expect_error_ov(BASE, no_eq, 1, "--set train.epochs: expected key.path=value", NULL);
    const char *empty_comp[] = {"train..epochs=3"};
    expect_error_ov(BASE, empty_comp, 1, "empty key in the path", NULL);
    const char *syntax[] = {"model.input=[1, 2"};
    expect_error_ov(BASE, syntax, 1, "--set model.input=[1, 2: YAML syntax error", NULL);
    const char *wrong_layer_key[] = {"model.layers.0.rate=0.5"};
    expect_error_ov(BASE, wrong_layer_key, 1,
                    "--set model.layers.0.rate=0.5: key 'model.layers.0.rate': not a key of layer "
                    "type 'dense'",
                    NULL);
    const char *unknown_top[] = {"foo=1"};
    expect_error_ov(BASE, unknown_top, 1, "--set foo=1: key 'foo': unknown key", NULL);
    const char *null_value[] = {"train.epochs="};
    expect_error_ov(BASE, null_value, 1, "key 'train.epochs': expected a positive integer, got null",
                    NULL);
}

/* An item of a list of mappings by its `name:` (Keras' get_layer), as written in the file */
#define NAMED                                                   \
    "data:\n"                                                   \
    "  format: idx\n"                                           \
    "  train: {images: a.gz, labels: b.gz}\n"                   \
    "model:\n"                                                  \
    "  layers:\n"                                               \
    "    - {name: hidden, type: dense, units: 10}\n"            \
    "    - {type: dropout, rate: 0.5}\n"                        \
    "    - {name: head, type: dense, units: 3}\n"

static void test_override_by_name(void **state)
{
    (void)state;
    dlc_config c;
    const char *ov[] = {"model.layers.head.units=7", "model.layers.hidden.activation=tanh"};
    load_ok(&c, NAMED, ov, 2);
    assert_int_equal(c.layers[0].units, 10);
    assert_int_equal(c.layers[0].activation, ACT_TANH);
    assert_int_equal(c.layers[2].units, 7);
    config_free(&c);
    /* later messages name the item by its index, as for -1 */
    const char *bad_key[] = {"model.layers.head.rate=0.1"};
    expect_error_ov(NAMED, bad_key, 1, "key 'model.layers.2.rate': not a key of layer type 'dense'", NULL);
    const char *typo[] = {"model.layers.haed.units=7"};
    expect_error_ov(NAMED, typo, 1,
                    "--set model.layers.haed.units=7: key 'model.layers.haed': no item of 'model.layers' "
                    "is named 'haed' (did you mean 'head'?)",
                    NULL);
    const char *unknown[] = {"model.layers.output.units=7"};
    expect_error_ov(NAMED, unknown, 1,
                    "no item of 'model.layers' is named 'output' (its names: hidden, head; or give an index",
                    NULL);
    const char *twice[] = {"model.layers.head.units=7"};
    expect_error_ov(NAMED "    - {name: head, type: dense, units: 2}\n", twice, 1,
                    "two items of 'model.layers' are named 'head' (items 2 and 3): give the item's index",
                    NULL);
}

/* Keys of the blocks, which the schema never sees (blocks are expanded before it reads the
 * config): a use's repeat and params may be added by --set, as may a key a block's layer lacks */
#define BLOCKS                                                                      \
    "data:\n"                                                                       \
    "  format: idx\n"                                                               \
    "  train: {images: a.gz, labels: b.gz}\n"                                       \
    "model:\n"                                                                      \
    "  blocks:\n"                                                                   \
    "    mlp:\n"                                                                    \
    "      params: {units: 4, act: tanh}\n"                                         \
    "      layers:\n"                                                               \
    "        - {name: fc, type: dense, units: $units, activation: $act}\n"          \
    "  layers:\n"                                                                   \
    "    - {name: body, type: block, block: mlp}\n"                                 \
    "    - {name: head, type: dense, units: 3}\n"

static void test_override_blocks(void **state)
{
    (void)state;
    dlc_config c;
    const char *ov[] = {"model.layers.body.repeat=3", "model.layers.body.params.units=6",
                        "model.blocks.mlp.layers.fc.use_bias=false"};
    load_ok(&c, BLOCKS, ov, 3);
    assert_int_equal(c.n_layers, 4);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(c.layers[i].units, 6);
        assert_false(c.layers[i].use_bias);
        assert_int_equal(c.layers[i].activation, ACT_TANH);
    }
    config_free(&c);
    const char *new_param[] = {"model.blocks.mlp.params.act=relu"};
    load_ok(&c, BLOCKS, new_param, 1);
    assert_int_equal(c.layers[0].activation, ACT_RELU);
    config_free(&c);
    /* the blocks still check what they are given; a layer's key is a layer's */
    const char *bad_param[] = {"model.layers.body.params.unit=6"};
    expect_error_ov(BLOCKS, bad_param, 1, "block 'mlp' has no parameter 'unit'", NULL);
    const char *bad_key[] = {"model.blocks.mlp.layers.fc.use_bais=false"};
    expect_error_ov(BLOCKS, bad_key, 1,
                    "key 'model.blocks.mlp.layers.0.use_bais': unknown key (did you mean 'use_bias'?)", NULL);
    const char *not_a_use[] = {"model.layers.head.repeat=2"};
    expect_error_ov(BLOCKS, not_a_use, 1, "key 'model.layers.1.repeat': unknown key", NULL);
}

/* ---- writing back ---- */

static void assert_config_equal(const dlc_config *a, const dlc_config *b)
{
    assert_string_equal(a->name, b->name);
    assert_true(a->seed == b->seed);
    assert_int_equal(a->threads, b->threads);
    const data_config *da = &a->data, *db = &b->data;
    assert_int_equal(da->format, db->format);
    const data_source *sa[] = {&da->train, &da->dev, &da->test};
    const data_source *sb[] = {&db->train, &db->dev, &db->test};
    for (int i = 0; i < 3; i++) {
        assert_string_equal(sa[i]->file, sb[i]->file);
        assert_string_equal(sa[i]->images, sb[i]->images);
        assert_string_equal(sa[i]->labels, sb[i]->labels);
        assert_int_equal(sa[i]->limit, sb[i]->limit);
    }
    assert_int_equal(da->n_labels, db->n_labels);
    for (int i = 0; i < da->n_labels; i++) {
        assert_string_equal(da->labels[i].name, db->labels[i].name);
        assert_int_equal(da->labels[i].columns.n, db->labels[i].columns.n);
        for (int j = 0; j < da->labels[i].columns.n; j++)
            assert_string_equal(da->labels[i].columns.v[j], db->labels[i].columns.v[j]);
    }
    assert_int_equal(a->n_heads, b->n_heads);
    for (int i = 0; i < a->n_heads; i++) {
        assert_string_equal(a->heads[i].name, b->heads[i].name);
        assert_string_equal(a->heads[i].layer, b->heads[i].layer);
        assert_string_equal(a->heads[i].target, b->heads[i].target);
        assert_int_equal(a->heads[i].loss, b->heads[i].loss);
        assert_true(a->heads[i].weight == b->heads[i].weight);
    }
    assert_int_equal(a->report.optimize, b->report.optimize);
    assert_string_equal(a->report.metric_head, b->report.metric_head);
    const dlc_strlist *la[] = {&da->classes, &da->unknown_label, &da->features};
    const dlc_strlist *lb[] = {&db->classes, &db->unknown_label, &db->features};
    for (int i = 0; i < 3; i++) {
        assert_int_equal(la[i]->n, lb[i]->n);
        for (int j = 0; j < la[i]->n; j++)
            assert_string_equal(la[i]->v[j], lb[i]->v[j]);
    }
    assert_true(da->split_dev == db->split_dev && da->split_test == db->split_test &&
                da->split_train_dev == db->split_train_dev);
    assert_int_equal(da->normalize, db->normalize);
    assert_int_equal(a->input.ndim, b->input.ndim);
    for (int i = 0; i < a->input.ndim; i++)
        assert_int_equal(a->input.d[i], b->input.d[i]);
    assert_int_equal(a->n_layers, b->n_layers);
    for (int i = 0; i < a->n_layers; i++) {
        const layer_spec *x = &a->layers[i], *y = &b->layers[i];
        assert_string_equal(x->name, y->name);
        assert_string_equal(x->type, y->type);
        assert_int_equal(x->op, y->op);
        assert_int_equal(x->n_inputs, y->n_inputs);
        for (int j = 0; j < x->n_inputs; j++)
            assert_string_equal(x->inputs[j], y->inputs[j]);
        assert_string_equal(x->share, y->share);
        assert_int_equal(x->trainable, y->trainable);
        assert_int_equal(x->activation, y->activation);
        assert_true(x->alpha == y->alpha);
        assert_int_equal(x->init, y->init);
        assert_int_equal(x->units, y->units);
        assert_int_equal(x->use_bias, y->use_bias);
        assert_true(x->rate == y->rate && x->momentum == y->momentum && x->eps == y->eps);
        assert_int_equal(x->axis, y->axis);
        assert_int_equal(x->filters, y->filters);
        assert_memory_equal(&x->kernel, &y->kernel, sizeof x->kernel);
        assert_memory_equal(&x->stride, &y->stride, sizeof x->stride);
        assert_int_equal(x->padding, y->padding);
        assert_memory_equal(&x->pad, &y->pad, sizeof x->pad);
        assert_int_equal(x->target_ndim, y->target_ndim);
        for (int j = 0; j < x->target_ndim; j++)
            assert_int_equal(x->target[j], y->target[j]);
        assert_int_equal(x->start, y->start);
        assert_int_equal(x->end, y->end);
        assert_int_equal(x->n_sizes, y->n_sizes);
        for (int j = 0; j < x->n_sizes; j++)
            assert_int_equal(x->sizes[j], y->sizes[j]);
        assert_int_equal(x->generated, y->generated);
        assert_int_equal(x->axes, y->axes);
    }
    assert_int_equal(a->loss, b->loss);
    const train_config *ta = &a->train, *tb = &b->train;
    assert_int_equal(ta->epochs, tb->epochs);
    assert_int_equal(ta->batch_size, tb->batch_size);
    assert_int_equal(ta->shuffle, tb->shuffle);
    assert_memory_equal(&ta->optimizer, &tb->optimizer, sizeof ta->optimizer);
    const schedule_config *pa = &ta->schedule, *pb = &tb->schedule;
    assert_int_equal(pa->type, pb->type);
    assert_true(pa->decay_rate == pb->decay_rate && pa->base == pb->base && pa->k == pb->k &&
                pa->factor == pb->factor);
    assert_int_equal(pa->every, pb->every);
    assert_int_equal(pa->n_points, pb->n_points);
    for (int j = 0; j < pa->n_points; j++) {
        assert_int_equal(pa->point_epoch[j], pb->point_epoch[j]);
        assert_true(pa->point_lr[j] == pb->point_lr[j]);
    }
    assert_true(ta->l2 == tb->l2 && ta->clip_norm == tb->clip_norm);
    assert_int_equal(ta->stop_metric, tb->stop_metric);
    assert_int_equal(ta->patience, tb->patience);
    assert_true(ta->min_delta == tb->min_delta);
    assert_int_equal(ta->keep_best, tb->keep_best);
    assert_int_equal(ta->checkpoint_every, tb->checkpoint_every);
    assert_true(ta->grad_vanish == tb->grad_vanish && ta->grad_explode == tb->grad_explode);
    assert_true(a->report.human_level_error == b->report.human_level_error);
    assert_int_equal(a->report.error_samples, b->report.error_samples);
    assert_int_equal(a->report.optimize, b->report.optimize);
    assert_int_equal(a->report.metric_split, b->report.metric_split);
    for (int m = 0; m < REPORT_MEASURE_COUNT; m++)
        assert_true(a->report.bound[m] == b->report.bound[m] && a->report.weight[m] == b->report.weight[m]);
}

static void round_trip(const dlc_config *c)
{
    char *y1 = NULL, *y2 = NULL;
    dlc_error err = {0};
    assert_int_equal(config_to_yaml(c, &y1, &err), DLC_OK);
    dlc_config back;
    if (config_load_string(&back, "resolved.yaml", y1, strlen(y1), NULL, 0, &err) != DLC_OK) {
        print_error("reload failed: %s\n%s\n", err.msg, y1);
        fail();
    }
    assert_config_equal(c, &back);
    assert_int_equal(config_to_yaml(&back, &y2, &err), DLC_OK);
    assert_string_equal(y1, y2);
    config_free(&back);
    free(y1);
    free(y2);
}

/* data.sources: every key written, and read back equal. */
static void test_sources_round_trip(void **state)
{
    (void)state;
    dlc_config c;
    dlc_error err = {0};
    load_ok(&c,
            "data:\n  format: idx\n  sources:\n"
            "    - {name: web, train: {images: a.gz, labels: b.gz}, domain: out}\n"
            "    - {name: phone, format: csv, train: {file: p.csv, limit: 50}, weight: 3,\n"
            "       use: {train: 0.5, dev: 0.25, test: 0.25}}\n"
            "  label: y\n  split: {train_dev: 0.05}\n"
            "model: {layers: [{type: dense, units: 2}]}\n",
            NULL, 0);
    assert_int_equal(c.data.n_sources, 2);
    assert_int_equal(c.data.sources[0].format, DATA_IDX);
    assert_int_equal(c.data.sources[0].domain, DATA_DOMAIN_OUT);
    tu_close(c.data.sources[0].use_train, 1, 0);
    assert_int_equal(c.data.sources[1].format, DATA_CSV);
    assert_string_equal(c.data.sources[1].files.file, "p.csv");
    assert_int_equal(c.data.sources[1].files.limit, 50);
    tu_close(c.data.sources[1].weight, 3, 0);
    tu_close(c.data.sources[1].use_dev, 0.25, 0);
    char *y = NULL;
    assert_int_equal(config_to_yaml(&c, &y, &err), DLC_OK);
    for (const char *const *p = config_key_paths(); *p; p++) {
        if (strncmp(*p, "data.sources.", 13) != 0)
            continue;
        char want[96];
        snprintf(want, sizeof want, "%s:", strrchr(*p, '.') + 1);
        if (!strstr(y, want)) {
            print_error("key %s not written\n%s\n", *p, y);
            fail();
        }
    }
    dlc_config back;
    if (config_load_string(&back, "back.yaml", y, strlen(y), NULL, 0, &err) != DLC_OK) {
        print_error("%s\n%s\n", err.msg, y);
        fail();
    }
    assert_int_equal(back.data.n_sources, 2);
    assert_memory_equal(back.data.sources, c.data.sources, sizeof c.data.sources);
    free(y);
    config_free(&back);
    config_free(&c);
}

/* A key the optimizer or schedule type does not read is an error naming the
 * types that read it (dlc's sgd once ignored a momentum; now it reads one, as
 * PyTorch's, and rmsprop would ignore it); config.yaml writes only the keys
 * the type reads, and one listing every key (written before) still loads,
 * its sgd without the momentum it listed. */
static void test_type_keys(void **state)
{
    (void)state;
    expect_error(BASE "train: {optimizer: {type: rmsprop, lr: 0.1, momentum: 0.9}}\n",
                 "test.yaml:7: key 'train.optimizer.momentum': not read by optimizer type rmsprop, "
                 "which would ignore it (it reads: type, lr, rho, eps); type sgd, momentum reads it",
                 NULL);
    /* PyTorch's Adam(weight_decay=) is L2; AdamW's is decoupled */
    expect_error(BASE "train: {optimizer: {type: adam, weight_decay: 0.01}}\n",
                 "key 'train.optimizer.weight_decay': not read by optimizer type adam",
                 "type adamw reads it (PyTorch's weight_decay on other optimizers is an L2 term in "
                 "the gradient: dlc's is train.l2, which adds (lambda / m) W)");
    /* the combinations torch.optim.SGD refuses */
    expect_error(BASE "train: {optimizer: {type: sgd, nesterov: true}}\n",
                 "test.yaml:7: key 'train.optimizer.nesterov': nesterov needs a momentum above 0",
                 NULL);
    expect_error(BASE "train: {optimizer: {type: sgd, momentum: 0.9, dampening: 0.1, nesterov: true}}\n",
                 "key 'train.optimizer.dampening': nesterov needs dampening 0 (it is 0.1)", NULL);
    expect_error(BASE "train: {optimizer: {type: sgd, dampening: 0.5}}\n",
                 "key 'train.optimizer.dampening': dampening is read only with a momentum above 0",
                 NULL);
    expect_error(BASE "train: {optimizer: {type: rmsprop, amsgrad: true}}\n",
                 "key 'train.optimizer.amsgrad': not read by optimizer type rmsprop", "type adam, adamw reads it");
    expect_error(BASE "train: {optimizer: {type: momentum, nesterov: true}}\n",
                 "key 'train.optimizer.nesterov': not read by optimizer type momentum", "type sgd reads it");
    expect_error(BASE "train: {optimizer: {beta2: 0.99, rho: 0.9}}\n",
                 "key 'train.optimizer.rho': not read by optimizer type adam (the default)",
                 "type rmsprop reads it");
    expect_error(BASE "train: {optimizer: {type: momentum, eps: 1e-7}}\n",
                 "key 'train.optimizer.eps'", "type rmsprop, adam, adamw reads it");
    expect_error(BASE "train: {schedule: {decay_rate: 0.5}}\n",
                 "key 'train.schedule.decay_rate': not read by schedule type constant (the "
                 "default), which would ignore it (it reads: type); type inverse_time reads it",
                 NULL);
    expect_error(BASE "train: {schedule: {type: exponential, k: 2}}\n",
                 "key 'train.schedule.k'", "type inv_sqrt_epoch, inv_sqrt_step reads it");
    const char *const ov[] = {"train.optimizer.type=sgd", "train.optimizer.beta1=0.5"};
    expect_error_ov(BASE, ov, 2, "--set train.optimizer.beta1=0.5: key 'train.optimizer.beta1'",
                    "optimizer type sgd");
    static const char *const opt_keys[] = {"momentum", "beta1",     "beta2",    "rho",
                                           "eps",      "dampening", "nesterov", "weight_decay",
                                           "amsgrad",  NULL};
    static const char *const reads[][6] = {{"momentum", "dampening", "nesterov", NULL},
                                           {"momentum", NULL},
                                           {"rho", "eps", NULL},
                                           {"beta1", "beta2", "eps", "amsgrad", NULL},
                                           {"beta1", "beta2", "eps", "weight_decay", "amsgrad", NULL}};
    _Static_assert(sizeof reads / sizeof *reads == OPT_COUNT, "one row per optimizer");
    for (int t = 0; t < OPT_COUNT; t++) {
        char text[512];
        snprintf(text, sizeof text, BASE "train: {optimizer: %s}\n", optim_names[t]);
        dlc_config c, back;
        dlc_error err = {0};
        load_ok(&c, text, NULL, 0);
        char *y = NULL;
        assert_int_equal(config_to_yaml(&c, &y, &err), DLC_OK);
        for (int k = 0; opt_keys[k]; k++) {
            char want[64];
            snprintf(want, sizeof want, "\n    %s:", opt_keys[k]);
            int read = 0;
            for (int j = 0; reads[t][j]; j++)
                read |= strcmp(reads[t][j], opt_keys[k]) == 0;
            if (!strstr(y, want) != !read) {
                print_error("%s: key %s %s\n%s\n", optim_names[t], opt_keys[k],
                            read ? "not written" : "written", y);
                fail();
            }
        }
        if (config_load_string(&back, "back.yaml", y, strlen(y), NULL, 0, &err) != DLC_OK) {
            print_error("%s\n", err.msg);
            fail();
        }
        assert_memory_equal(&back.train.optimizer, &c.train.optimizer, sizeof c.train.optimizer);
        free(y);
        config_free(&back);
        config_free(&c);
    }
    /* a run's config.yaml from before lists every key at its default */
    dlc_config c;
    load_ok(&c,
            BASE "train:\n  optimizer: {type: sgd, lr: 0.5, momentum: 0.9, beta1: 0.9, "
                 "beta2: 0.999, rho: 0.9, eps: 1e-08}\n  schedule: {type: constant, "
                 "decay_rate: 1, base: 0.95, k: 1, factor: 0.5, every: 10, points: [], "
                 "warmup: 0, final: 0}\n",
            NULL, 0);
    assert_int_equal(c.train.optimizer.type, OPT_SGD);
    /* its momentum was type momentum's default, which sgd did not read */
    tu_close(c.train.optimizer.momentum, 0, 0);
    config_free(&c);
    /* momentum's default: none for sgd (PyTorch's), 0.9 for type momentum */
    static const char *const to_sgd[] = {"train.optimizer.type=sgd"};
    static const char *const to_avg[] = {"train.optimizer.type=momentum"};
    static const char *const both[] = {"train.optimizer.type=sgd", "train.optimizer.momentum=0.5"};
    static const struct {
        const char *optimizer;
        const char *const *ov;
        int n_ov;
        double momentum;
    } cases[] = {
        {"{type: sgd}", NULL, 0, 0},
        {"{type: momentum}", NULL, 0, 0.9},
        /* a type switched by --set between sgd (heavy ball) and momentum (the
         * notes' average) leaves the file's momentum, another number there */
        {"{type: momentum, momentum: 0.8}", to_sgd, 1, 0},
        {"{type: sgd, momentum: 0.8}", to_avg, 1, 0.9},
        /* kept: the file's own type, a momentum given by --set too */
        {"{type: sgd, momentum: 0.8}", to_sgd, 1, 0.8},
        {"{type: momentum, momentum: 0.8}", both, 2, 0.5},
    };
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        char text[256];
        snprintf(text, sizeof text, BASE "train: {optimizer: %s}\n", cases[k].optimizer);
        load_ok(&c, text, cases[k].ov, cases[k].n_ov);
        tu_close(c.train.optimizer.momentum, cases[k].momentum, 0);
        config_free(&c);
    }
    load_ok(&c, BASE "train: {optimizer: {type: adamw}}\n", NULL, 0);
    tu_close(c.train.optimizer.weight_decay, 0.01, 0);
    config_free(&c);
}

/* Keras' and PyTorch's names are answered with dlc's (the nearest-name
 * suggestion found none, or a wrong one: stylize.learning_rate, linear). */
static void test_foreign_names(void **state)
{
    (void)state;
    expect_error(BASE "train: {optimizer: {type: adam, learning_rate: 0.01}}\n",
                 "test.yaml:7: key 'train.optimizer.learning_rate': unknown key (dlc's name: 'lr')",
                 NULL);
    expect_error(BASE "loss: sparse_categorical_crossentropy\n",
                 "got \"sparse_categorical_crossentropy\" (dlc's name: 'softmax_cross_entropy'; "
                 "it reads class labels, no one-hot needed)",
                 NULL);
    expect_error(BASE "loss: BCEWithLogitsLoss\n", "(dlc's name: 'sigmoid_bce'", NULL);
    expect_error(BASE "loss: mean_absolute_error\n", "(dlc's name: 'mse'; dlc has no absolute-error loss",
                 NULL);
    expect_error("data: {format: idx, train: {images: a.gz, labels: b.gz}}\n"
                 "model: {layers: [{type: conv2d, filters: 4, kernel_size: 3}]}\n",
                 "key 'model.layers.0.kernel_size': unknown key (dlc's name: 'kernel')", NULL);
    expect_error("data: {format: idx, train: {images: a.gz, labels: b.gz}}\n"
                 "model: {layers: [{type: MaxPooling2D, kernel: 2}]}\n",
                 "unknown layer type \"MaxPooling2D\" (dlc's name: 'maxpool'", NULL);
    expect_error("data: {format: idx, train: {images: a.gz, labels: b.gz}}\n"
                 "model: {layers: [{type: Linear, units: 3}]}\n",
                 "unknown layer type \"Linear\" (dlc's name: 'dense'; PyTorch's nn.Linear", NULL);
    expect_error(BASE "train: {early_stopping: {metric: val_loss}}\n", "(dlc's name: 'dev_loss')",
                 NULL);
    expect_error(BASE "train: {weight_decay: 0.01}\n", "(dlc's name: 'train.l2'",
                 "AdamW's decoupled decay is train.optimizer.weight_decay with type adamw");
    expect_error(BASE "train: {optimizer: {type: adamw, global_clipnorm: 1}}\n",
                 "(dlc's name: 'train.clip_norm'", NULL);
    const char *const ov[] = {"data.validation_split=0.2"};
    expect_error_ov(BASE, ov, 1, "key 'data.validation_split': unknown key (dlc's name: 'data.split.dev')",
                    NULL);
    const char *const ov3[] = {"data.split.validation=0.1"};
    expect_error_ov(BASE, ov3, 1, "key 'data.split.validation': unknown key (dlc's name: 'dev'", NULL);
    const char *const ov2[] = {"model.layers.0.init=glorot_uniform"};
    expect_error_ov(BASE, ov2, 1, "(dlc's name: 'glorot'; normal, with the same variance)", NULL);
    /* the same word in another letter case is suggested first */
    expect_error("data: {format: idx, train: {images: a.gz, labels: b.gz}}\n"
                 "model: {layers: [{type: conv2d, filters: 4, kernel: 3, activation: ReLU}]}\n",
                 "got \"ReLU\" (did you mean 'relu'?)", NULL);
    expect_error("data: {format: idx, train: {images: a.gz, labels: b.gz}}\n"
                 "model: {layers: [{type: conv2d, filters: 4, kernel: 3, padding: SAME}]}\n",
                 "got \"SAME\" (did you mean 'same'?)", NULL);
    expect_error("data: {format: idx, train: {images: a.gz, labels: b.gz}, augment: {horizontal_flip: true}}\n"
                 "model: {layers: [{type: dense, units: 3}]}\n",
                 "key 'data.augment.horizontal_flip': unknown key (dlc's name: 'hflip')", NULL);
    /* dlc's own lower-case linear is still the identity activation */
    dlc_config c;
    load_ok(&c,
            "data: {format: idx, train: {images: a.gz, labels: b.gz}}\n"
            "model: {layers: [{type: dense, units: 3}, {type: linear}]}\n",
            NULL, 0);
    config_free(&c);
}

/* config_diff: the keys two resolved configs differ at, with both values */
static void test_diff(void **state)
{
    (void)state;
    dlc_config a, b;
    dlc_error err = {0};
    load_ok(&a, BASE "train: {optimizer: {lr: 0.01}}\n", NULL, 0);
    const char *const ov[] = {"train.optimizer.lr=0.1", "seed=5", "model.layers.0.units=7"};
    load_ok(&b, BASE "train: {optimizer: {lr: 0.01}}\n", ov, 3);
    char *ya = NULL, *yb = NULL;
    assert_int_equal(config_to_yaml(&a, &ya, &err), DLC_OK);
    assert_int_equal(config_to_yaml(&b, &yb, &err), DLC_OK);
    dlc_strlist d = {0};
    assert_int_equal(config_diff(ya, yb, 8, &d, &err), DLC_OK);
    assert_int_equal(d.n, 3);
    assert_string_equal(d.v[0], "seed: 1 -> 5");
    assert_string_equal(d.v[1], "model.layers.0.units: 10 -> 7");
    assert_string_equal(d.v[2], "train.optimizer.lr: 0.01 -> 0.1");
    dlc_strlist_clear(&d);
    /* the same text: nothing; at most max, then "..." */
    assert_int_equal(config_diff(ya, ya, 8, &d, &err), DLC_OK);
    assert_int_equal(d.n, 0);
    assert_int_equal(config_diff(ya, yb, 2, &d, &err), DLC_OK);
    assert_int_equal(d.n, 3);
    assert_string_equal(d.v[2], "...");
    dlc_strlist_clear(&d);
    /* a key only one side has, and a list of another length */
    assert_int_equal(config_diff("a: 1\nb: [1, 2]\n", "b: [1]\nc: x\n", 8, &d, &err), DLC_OK);
    assert_int_equal(d.n, 3);
    assert_string_equal(d.v[0], "a: 1 -> (none)");
    assert_string_equal(d.v[1], "b: [...] -> [...]");
    assert_string_equal(d.v[2], "c: (none) -> x");
    dlc_strlist_clear(&d);
    /* a key an old checkpoint's config lacks is no change at its default
     * (train.no_decay came later), and one at another value is */
    assert_int_equal(config_diff("train:\n  l2: 0.1\n", "train:\n  l2: 0.1\n  no_decay: [biases, norms]\n  clip_norm: 0\n",
                                 8, &d, &err), DLC_OK);
    assert_int_equal(d.n, 0);
    assert_int_equal(config_diff("train:\n  l2: 0.1\n", "train:\n  l2: 0.1\n  no_decay: []\n  clip_norm: 1\n", 8, &d, &err),
                     DLC_OK);
    assert_int_equal(d.n, 2);
    assert_string_equal(d.v[0], "train.no_decay: (none) -> [...]");
    assert_string_equal(d.v[1], "train.clip_norm: (none) -> 1");
    dlc_strlist_clear(&d);
    free(ya);
    free(yb);
    config_free(&a);
    config_free(&b);
}

/* data.sampler: each type writes and reads its own keys (classes_per_batch and
 * per_class for triplets, positive_fraction for pairs; mining for every
 * triplet loss), refuses another's, and lets an older config.yaml's full
 * section be while its unread keys hold their defaults. */
static void test_sampler_keys(void **state)
{
    (void)state;
    static const char *const keys[] = {"classes_per_batch", "per_class", "positive_fraction", NULL};
    static const int read[DATA_SAMPLER_COUNT][3] = {{0, 0, 0}, {0, 0, 1}, {1, 1, 0}};
    for (int t = 0; t < DATA_SAMPLER_COUNT; t++) {
        char set[64];
        snprintf(set, sizeof set, "data.sampler.type=%s", data_sampler_names[t]);
        const char *const ov[] = {set};
        dlc_config c, back;
        dlc_error err = {0};
        load_ok(&c, BASE, ov, 1);
        char *y = NULL;
        assert_int_equal(config_to_yaml(&c, &y, &err), DLC_OK);
        /* the sampler's block: up to the next key of data */
        char *blk = strstr(y, "\n  sampler:\n"), *end;
        assert_non_null(blk);
        blk += 12;
        for (end = blk; *end && !(end[0] == '\n' && end[1] == ' ' && end[2] == ' ' && end[3] != ' ');
             end++)
            ;
        char block[512];
        snprintf(block, sizeof block, "%.*s", (int)(end - blk), blk);
        assert_non_null(strstr(block, "\n    mining:"));
        for (int k = 0; keys[k]; k++) {
            char want[64];
            snprintf(want, sizeof want, "\n    %s:", keys[k]);
            if (!strstr(block, want) != !read[t][k]) {
                print_error("%s: key %s %s\n%s\n", data_sampler_names[t], keys[k],
                            read[t][k] ? "not written" : "written", y);
                fail();
            }
        }
        if (config_load_string(&back, "back.yaml", y, strlen(y), NULL, 0, &err) != DLC_OK) {
            print_error("%s\n", err.msg);
            fail();
        }
        assert_int_equal(back.data.sampler.kind, c.data.sampler.kind);
        free(y);
        config_free(&back);
        config_free(&c);
    }
    const char *const pairs_k[] = {"data.sampler={type: pairs, per_class: 4}"};
    expect_error_ov(BASE, pairs_k, 1,
                    "key 'data.sampler.per_class': not read by data.sampler type pairs, which would "
                    "ignore it (it reads: type, mining, positive_fraction); type triplets reads it",
                    NULL);
    const char *const none_p[] = {"data.sampler={classes_per_batch: 4}"};
    expect_error_ov(BASE, none_p, 1, "not read by data.sampler type none (the default)",
                    "type triplets reads it");
    /* every key listed: the unread one at its default passes, at another value not */
    const char *const full[] = {"data.sampler={type: triplets, classes_per_batch: 3, per_class: 2, "
                                "positive_fraction: 0.5, mining: hard}"};
    dlc_config c;
    load_ok(&c, BASE, full, 1);
    assert_int_equal(c.data.sampler.classes_per_batch, 3);
    config_free(&c);
    const char *const full_set[] = {"data.sampler={type: triplets, classes_per_batch: 3, "
                                    "per_class: 2, positive_fraction: 0.3, mining: hard}"};
    expect_error_ov(BASE, full_set, 1,
                    "key 'data.sampler.positive_fraction': not read by data.sampler type triplets",
                    NULL);
}

static void test_to_yaml_round_trip(void **state)
{
    (void)state;
    dlc_config c;
    dlc_error err = {0};
    const char *path = tu_data("config/full.yaml");
    if (config_load(&c, path, NULL, 0, &err) != DLC_OK) {
        print_error("%s\n", err.msg);
        fail();
    }
    /* spot checks that full.yaml says what it should */
    assert_string_equal(c.name, "full_example");
    assert_int_equal(c.seed, 42);
    assert_int_equal(c.data.format, DATA_CSV);
    assert_string_equal(c.data.dev.file, "data/dev set.csv");
    assert_string_equal(c.data.classes.v[5], "ünïcödé");
    assert_string_equal(c.data.classes.v[6], "tab\there");
    assert_int_equal(c.n_layers, 29); /* 26 written, and the split's 3 pieces */
    for (int i = 0; i < c.n_layers; i++) {
        if (strcmp(c.layers[i].name, "rnn1") == 0)
            assert_int_equal(c.layers[i].reverse, 1);
        if (strcmp(c.layers[i].name, "chars") == 0)
            assert_int_equal(c.layers[i].char_units, 6);
        if (strcmp(c.layers[i].name, "avg") == 0)
            assert_int_equal(c.layers[i].count_include_pad, 0);
        if (strcmp(c.layers[i].name, "up") == 0)
            assert_true(c.layers[i].scale.n == 2 && c.layers[i].scale.v[1] == 3);
        if (strcmp(c.layers[i].name, "ps") == 0)
            assert_true(c.layers[i].order == SHUFFLE_DCR && c.layers[i].scale.v[0] == 2);
        if (strcmp(c.layers[i].name, "deconv") == 0)
            assert_true(c.layers[i].output_padding.n == 2 && c.layers[i].output_padding.v[0] == 1 &&
                        c.layers[i].output_padding.v[1] == 0 && c.layers[i].pad.v[0] == 1);
    }
    assert_int_equal(c.layers[11].kernel.n, 2);
    assert_int_equal(c.layers[11].kernel.v[1], 2);
    assert_int_equal(c.layers[11].stride.n, 1);
    assert_int_equal(c.layers[11].padding, PAD_EXPLICIT);
    assert_int_equal(c.layers[11].pad.v[1], 0);
    assert_int_equal(c.layers[12].stride.v[0], 2); /* pooling steps by its kernel */
    assert_int_equal(c.layers[12].padding, PAD_SAME);
    assert_int_equal(c.layers[14].merge, RNN_MERGE_SUM);
    assert_int_equal(c.layers[15].variant, GRU_SIMPLIFIED);
    assert_int_equal(c.layers[16].nonlinearity, RNN_CELL_RELU);
    assert_string_equal(c.layers[3].name, "activation_1");
    assert_int_equal(c.layers[3].activation, ACT_ELU);
    assert_string_equal(c.layers[9].name, "flatten_2"); /* "flat" is flatten 1 */
    assert_string_equal(c.layers[5].share, "fc1");
    assert_int_equal(c.layers[5].activation, ACT_HARDSIGMOID);
    tu_close(c.layers[5].slope, 0.25, 0);
    tu_close(c.layers[5].offset, 0.4, 1e-7);
    assert_int_equal(c.layers[0].trainable, 0);
    assert_int_equal(c.layers[17].start, -3);
    assert_int_equal(c.layers[17].end, -1);
    assert_int_equal(c.layers[18].op, OP_SPLIT);
    /* sizes [1, -1, 2]: pieces [0:1], [1:-2], [-2:] need no axis length */
    const int piece[3][2] = {{0, 1}, {1, -2}, {-2, GRAPH_SLICE_END}};
    for (int k = 0; k < 3; k++) {
        const layer_spec *p = &c.layers[19 + k];
        char name[32];
        snprintf(name, sizeof name, "heads_%d", k);
        assert_string_equal(p->name, name);
        assert_int_equal(p->op, OP_SLICE);
        assert_true(p->generated);
        assert_string_equal(p->inputs[0], "heads");
        assert_int_equal(p->start, piece[k][0]);
        assert_int_equal(p->end, piece[k][1]);
    }
    assert_int_equal(c.layers[22].axes, 2);
    assert_int_equal(c.train.optimizer.type, OPT_RMSPROP);
    assert_int_equal(c.train.schedule.n_points, 3);
    assert_int_equal(c.train.stop_metric, STOP_DEV_ACCURACY);
    assert_true(c.stylize.on);
    assert_int_equal(c.stylize.n_style, 2);
    assert_string_equal(c.stylize.style[1], "pool");
    tu_close(c.stylize.style_weight[1], 2.0, 0);
    assert_int_equal(c.stylize.optimizer, STYLIZE_LBFGS);
    assert_int_equal(c.stylize.init, STYLIZE_INIT_NOISE);
    tu_close(c.stylize.lr, 0.5, 0);
    round_trip(&c);

    /* every key path of the schema (layers aside; the detection keys of
     * outputs in test_detection_keys) is written */
    char *y = NULL;
    assert_int_equal(config_to_yaml(&c, &y, &err), DLC_OK);
    for (const char *const *p = config_key_paths(); *p; p++) {
        if (strncmp(*p, "embed", 5) == 0)
            continue; /* an embed config's: test_embed_config */
        if (strncmp(*p, "data.sources.", 13) == 0)
            continue; /* test_sources_round_trip */
        if ((strncmp(*p, "train.optimizer.", 16) == 0 || strncmp(*p, "train.schedule.", 15) == 0) &&
            !strstr(*p, ".type") && !strstr(*p, ".lr") && !strstr(*p, ".rho") &&
            !strstr(*p, ".eps") && !strstr(*p, ".points"))
            continue; /* keys rmsprop and manual do not read: test_type_keys */
        if (strncmp(*p, "data.sampler.", 13) == 0 && !strstr(*p, ".type") && !strstr(*p, ".mining"))
            continue; /* keys only pairs or triplets read: test_sampler_keys */
        const char *name = strrchr(*p, '.');
        name = name ? name + 1 : *p;
        const config_key *k = config_schema_find(*p);
        if (k && (k->flags & F_LOSS_KEY))
            continue;
        char want[96], want_top[96];
        snprintf(want, sizeof want, " %s:", name);
        snprintf(want_top, sizeof want_top, "\n%s:", name);
        if (!strstr(y, want) && !strstr(y, want_top)) {
            print_error("key %s not written\n", *p);
            fail();
        }
    }
    free(y);
    config_free(&c);

    /* data.text's keys, which a CSV file does not read, on a text classifier */
    if (config_load(&c, tu_data("config/full_text.yaml"), NULL, 0, &err) != DLC_OK) {
        print_error("%s\n", err.msg);
        fail();
    }
    assert_int_equal(c.data.text.task, TEXT_CLASSIFY);
    assert_int_equal(c.data.text.seq_len, 30);
    assert_int_equal(c.data.separator, DATA_SEP_TAB);
    round_trip(&c);
    config_free(&c);

    /* defaults, and odd strings, also survive */
    load_ok(&c, BASE, NULL, 0);
    round_trip(&c);
    config_free(&c);
    load_ok(&c,
            "data: {format: csv, train: {file: \"#x: [y], {z}\"}, "
            "classes: [\"null\", \"true\", \"1e3\", \"-x\", \"a\\\"b\\\\c\", \"\\x01\\u0085\\u2028\", "
            "\"~\", \" lead\", \"trail \", \"multi\\nline\"]}\n"
            "model: {layers: [{type: dense, units: 1}]}\nname: \"weird: name\"\n",
            NULL, 0);
    assert_string_equal(c.data.classes.v[4], "a\"b\\c");
    round_trip(&c);
    config_free(&c);
}

/* Detection: the data keys, the outputs' loss settings with each loss's
 * own default term weights, their checks, and the round trip. */
#define DETECT_BASE                                                          \
    "data:\n"                                                                \
    "  format: detection\n"                                                  \
    "  train: {dir: imgs}\n"                                                 \
    "  detection: {names: s.names, landmarks: 3, flip_index: [0, 2, 1]}\n"   \
    "model:\n"                                                               \
    "  input: [3, 64, 64]\n"                                                 \
    "  layers:\n"                                                            \
    "    - {name: grid, type: conv2d, filters: 16, kernel: 8, stride: 8}\n"  \
    "    - {name: flat, type: flatten, inputs: [grid]}\n"                    \
    "    - {name: box, type: dense, units: 8}\n"                             \
    "  outputs:\n"

static void test_detection_keys(void **state)
{
    (void)state;
    dlc_config c;
    load_ok(&c,
            DETECT_BASE "    - {layer: grid, loss: yolo, anchors: [[0.2, 0.3], [0.5, 0.5]], noobj_weight: 0.25}\n"
                        "    - {layer: box, loss: localize, class_loss: mse, score: 0.3}\n",
            NULL, 0);
    assert_int_equal(c.data.detection.landmarks, 3);
    assert_int_equal(c.data.detection.max_objects, 32);
    assert_int_equal(c.data.detection.n_flip, 3);
    assert_int_equal(c.data.detection.flip[1], 2);
    const head_spec *y = &c.heads[0], *l = &c.heads[1];
    assert_int_equal(y->loss, LOSS_YOLO);
    assert_int_equal(y->opts.n_anchors, 2);
    tu_close(y->opts.anchors[0][1], 0.3, 1e-7);
    tu_close(y->opts.term[LOSS_TERM_COORD], 5.0, 0); /* YOLOv1's weights... */
    tu_close(y->opts.term[LOSS_TERM_NOOBJ], 0.25, 0); /* ...unless given */
    tu_close(y->opts.ignore_iou, 0.6, 1e-7);
    assert_int_equal(y->opts.grid, 0);
    tu_close(y->score, 0.6, 1e-7);
    tu_close(y->nms_iou, 0.5, 1e-7);
    assert_int_equal(l->loss, LOSS_LOCALIZE);
    tu_close(l->opts.term[LOSS_TERM_COORD], 1.0, 0); /* the notes' loss: every term 1 */
    tu_close(l->opts.term[LOSS_TERM_NOOBJ], 1.0, 0);
    assert_int_equal(l->opts.class_loss, LOSS_CLASS_MSE);
    tu_close(l->score, 0.3, 1e-7);
    round_trip(&c);
    char *text = NULL;
    dlc_error err = {0};
    assert_int_equal(config_to_yaml(&c, &text, &err), DLC_OK);
    for (const char *const *p = config_key_paths(); *p; p++) {
        const config_key *k = config_schema_find(*p);
        char want[96];
        snprintf(want, sizeof want, " %s:", config_schema_name(k));
        if ((k->flags & F_LOSS_KEY) && !strstr(text, want)) {
            print_error("key %s not written\n", *p);
            fail();
        }
    }
    free(text);
    config_free(&c);
    /* an output named by its layer alone takes every default */
    load_ok(&c, DETECT_BASE "    - box\nloss: localize\n", NULL, 0);
    tu_close(c.heads[0].score, 0.6, 1e-7);
    tu_close(c.heads[0].opts.term[LOSS_TERM_OBJ], 1.0, 0);
    config_free(&c);

    expect_error(DETECT_BASE "    - {layer: grid, loss: yolo, anchors: [[0.2, 1.5]]}\n",
                 "test.yaml:12: key 'model.outputs.0.anchors.0'", "expected a height in (0, 1]");
    expect_error(DETECT_BASE "    - {layer: grid, loss: yolo, anchors: [0.2, 0.3]}\n",
                 "key 'model.outputs.0.anchors.0'", "expected a [w, h] pair");
    expect_error(DETECT_BASE "    - {layer: box, loss: mse, anchors: [[0.2, 0.3]]}\n",
                 "test.yaml:12: key 'model.outputs.0.anchors'",
                 "only the detection losses (localize, landmarks, yolo) read it; this output's loss is mse");
    expect_error("data: {format: detection, train: {dir: d}, detection: {landmarks: 2, flip_index: [1, 1]}}\n"
                 "model: {layers: [{type: dense, units: 4}]}\nloss: landmarks\n",
                 "key 'data.detection.flip_index.1'", "landmark 1 is listed twice");
    expect_error("data: {format: detection, train: {dir: d}, detection: {landmarks: 3, flip_index: [1, 0]}}\n"
                 "model: {layers: [{type: dense, units: 4}]}\nloss: landmarks\n",
                 "key 'data.detection.flip_index'", "lists 2 landmarks, but data.detection.landmarks is 3");
    expect_error("data: {format: detection, train: {dir: d}, augment: {rotate: {p: 0.5}}}\n"
                 "model: {layers: [{type: dense, units: 4}]}\nloss: localize\n",
                 "key 'data.augment.rotate'", "rotation would leave the boxes and landmarks behind");
    expect_error("data: {format: detection, train: {dir: d, file: x.csv}}\n"
                 "model: {layers: [{type: dense, units: 4}]}\nloss: localize\n",
                 "key 'data.train.file'", "is not read by format detection");
}

static void test_key_paths(void **state)
{
    (void)state;
    const char *const *p = config_key_paths();
    int n = 0, lr = 0, units = 0, nested = 0;
    for (; p[n]; n++) {
        lr |= strcmp(p[n], "train.optimizer.lr") == 0;
        units |= strcmp(p[n], "model.layers.*.units") == 0;
        nested |= strcmp(p[n], "report.error_analysis.samples") == 0;
        for (int j = 0; j < n; j++)
            assert_string_not_equal(p[n], p[j]);
    }
    assert_true(lr && units && nested);
    assert_true(n > 60);
}

static void test_free_safe(void **state)
{
    (void)state;
    config_free(NULL);
    dlc_config c;
    memset(&c, 0, sizeof c);
    config_free(&c);
    config_free(&c);
    /* a failure after layers and lists were allocated frees them (ASan checks) */
    expect_error("data: {format: csv, train: {file: t.csv}, classes: [a, b], label: x}\n"
                 "model: {layers: [{type: dense, units: 1}], outputs: [dense_1]}\n"
                 "train: {epochs: 0}\n",
                 "key 'train.epochs'", NULL);
}

/* An embed: section makes a dlc embed config: no model (nor loss, train,
 * report), its keys checked and written back; a model config has none. */
static void test_embed_config(void **state)
{
    (void)state;
#define EMBED_BASE                                  \
    "data:\n"                                       \
    "  format: text\n"                              \
    "  train: {file: corpus.txt}\n"                 \
    "  text: {tokens: words}\n"
    dlc_config c;
    load_ok(&c, EMBED_BASE "embed: {method: cbow, dim: 50, window: 3}\n", NULL, 0);
    assert_true(c.embed.on);
    assert_int_equal(c.embed.method, EMBED_CBOW);
    assert_int_equal(c.embed.dim, 50);
    assert_int_equal(c.embed.negatives, 5);
    tu_close(c.embed.sample, 1e-3, 0);
    round_trip(&c);
    char *y = NULL;
    dlc_error err = {0};
    assert_int_equal(config_to_yaml(&c, &y, &err), DLC_OK);
    assert_non_null(strstr(y, "\nembed:\n  method: cbow\n"));
    assert_null(strstr(y, "\nmodel:"));
    assert_null(strstr(y, "\ntrain:"));
    for (const char *const *p = config_key_paths(); *p; p++) {
        if (strncmp(*p, "embed.", 6) != 0)
            continue;
        char want[96];
        snprintf(want, sizeof want, "  %s:", strrchr(*p, '.') + 1);
        if (!strstr(y, want)) {
            print_error("key %s not written\n", *p);
            fail();
        }
    }
    free(y);
    config_free(&c);
    load_ok(&c, EMBED_BASE "embed: glove\n", NULL, 0); /* the shorthand names the method */
    assert_int_equal(c.embed.method, EMBED_GLOVE);
    config_free(&c);
    load_ok(&c, BASE, NULL, 0);
    assert_false(c.embed.on);
    assert_int_equal(config_to_yaml(&c, &y, &err), DLC_OK);
    assert_null(strstr(y, "embed:"));
    free(y);
    config_free(&c);

    expect_error(EMBED_BASE "embed: {window: 0}\n", "test.yaml:5: key 'embed.window'",
                 "expected an integer in [1, 1000], got 0");
    expect_error(EMBED_BASE "embed: {method: word2vec}\n", "key 'embed.method'", "skipgram, cbow");
    expect_error(EMBED_BASE "embed: {}\nmodel: {layers: [{type: dense, units: 2}]}\n",
                 "test.yaml:6: key 'model'", "has no model section");
    expect_error(EMBED_BASE "embed: {}\ntrain: {epochs: 3}\n", "test.yaml:6: key 'train'",
                 "has no train section");
    expect_error(EMBED_BASE "embed: {lr: 0.01, min_lr: 0.1}\n", "key 'embed.min_lr'",
                 "must not exceed embed.lr");
    expect_error(EMBED_BASE "embed: {epoch: 3}\n", "key 'embed.epoch'", "did you mean 'epochs'");
    expect_error("data: {format: csv, train: {file: a.csv}}\nembed: {}\n", "key 'data.format'",
                 "from text");
    expect_error(EMBED_BASE, "key 'model': missing (required)", NULL);
#undef EMBED_BASE
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults_filled),
        cmocka_unit_test(test_every_enum),
        cmocka_unit_test(test_shorthands),
        cmocka_unit_test(test_batch_size_full),
        cmocka_unit_test(test_manual_points),
        cmocka_unit_test(test_type_keys),
        cmocka_unit_test(test_sampler_keys),
        cmocka_unit_test(test_foreign_names),
        cmocka_unit_test(test_diff),
        cmocka_unit_test(test_layer_default_names),
        cmocka_unit_test(test_outputs),
        cmocka_unit_test(test_activation_shorthand),
        cmocka_unit_test(test_alpha_default),
        cmocka_unit_test(test_init_rename),
        cmocka_unit_test(test_key_of_other_layer_type),
        cmocka_unit_test(test_op_keys_known),
        cmocka_unit_test(test_unknown_key_suggestion),
        cmocka_unit_test(test_wrong_type),
        cmocka_unit_test(test_wrong_type_every_kind),
        cmocka_unit_test(test_out_of_range),
        cmocka_unit_test(test_float32_range),
        cmocka_unit_test(test_missing_required),
        cmocka_unit_test(test_label_scalar_or_list),
        cmocka_unit_test(test_malformed_yaml),
        cmocka_unit_test(test_overrides),
        cmocka_unit_test(test_override_errors),
        cmocka_unit_test(test_override_by_name),
        cmocka_unit_test(test_override_blocks),
        cmocka_unit_test(test_to_yaml_round_trip),
        cmocka_unit_test(test_detection_keys),
        cmocka_unit_test(test_embed_config),
        cmocka_unit_test(test_sources_round_trip),
        cmocka_unit_test(test_key_paths),
        cmocka_unit_test(test_free_safe),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
