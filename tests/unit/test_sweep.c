/* test_sweep.c - hyperparameter sweeps: the samplers (ranges, equal counts
 * per decade on a log scale), determinism per seed and trial, overrides
 * reaching nested keys and list items, grids, the checks a sweep file gets
 * (with their messages), and the leaderboard's ranking and CSV. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "testutil.h"

#include "../../src/config/config.h"
#include "../../src/sweep/sweep.h"

/* A base config with a list of layers: dense (0), dropout (1), dense (2). */
static const char base_yaml[] = "name: base\n"
                                "data:\n"
                                "  format: csv\n"
                                "  train: {file: nowhere.csv}\n"
                                "model:\n"
                                "  layers:\n"
                                "    - {type: dense, units: 32, activation: relu}\n"
                                "    - {type: dropout, rate: 0.1}\n"
                                "    - {type: dense, units: 3}\n"
                                "train:\n"
                                "  optimizer: {type: adam, lr: 0.001}\n";

/* Writes base.yaml and name (the sweep text) to the temporary folder; returns
 * the sweep's path. */
static const char *write_sweep(const char *name, const char *text)
{
    tu_write(tu_tmp("base.yaml"), base_yaml, (size_t)-1);
    const char *p = tu_tmp(name);
    tu_write(p, text, (size_t)-1);
    return p;
}

static void load_ok(sweep_spec *s, const char *name, const char *text)
{
    dlc_error err = {0};
    if (sweep_load(s, write_sweep(name, text), -1, &err) != DLC_OK) {
        print_error("unexpected error: %s\n", err.msg);
        fail();
    }
}

static void expect_error(const char *text, const char *want1, const char *want2)
{
    sweep_spec s;
    dlc_error err = {0};
    dlc_status st = sweep_load(&s, write_sweep("bad.yaml", text), -1, &err);
    if (st != DLC_EINPUT || !strstr(err.msg, want1) || (want2 && !strstr(err.msg, want2))) {
        print_error("status %d, message: %s\nwanted: %s%s%s\n", (int)st, err.msg, want1,
                    want2 ? " ... " : "", want2 ? want2 : "");
        if (st == DLC_OK)
            sweep_free(&s);
        fail();
    }
    sweep_free(&s); /* freed on failure: harmless again */
}

/* The value of key in trial k's overrides (NULL if absent). */
static const char *value_of(const dlc_strlist *kv, const char *key)
{
    size_t n = strlen(key);
    for (int i = 0; i < kv->n; i++)
        if (strncmp(kv->v[i], key, n) == 0 && kv->v[i][n] == '=')
            return kv->v[i] + n + 1;
    return NULL;
}

static sweep_param param(sweep_dist d, double lo, double hi)
{
    sweep_param p;
    memset(&p, 0, sizeof p);
    p.dist = d;
    p.lo = lo;
    p.hi = hi;
    snprintf(p.key, sizeof p.key, "x");
    return p;
}

/* ---- samplers ---- */

static void test_ranges(void **state)
{
    (void)state;
    dlc_rng r;
    dlc_rng_seed(&r, 1, 0);
    sweep_param u = param(SWEEP_UNIFORM, -2, 3), lu = param(SWEEP_LOG_UNIFORM, 1e-4, 1e-1);
    sweep_param oml = param(SWEEP_ONE_MINUS_LOG, -3, -1), iu = param(SWEEP_INT_UNIFORM, 64, 67);
    int ints[4] = {0};
    double sum = 0;
    enum { N = 20000 };
    for (int i = 0; i < N; i++) {
        double x = sweep_draw(&u, &r);
        assert_true(x >= -2 && x < 3);
        sum += x;
        x = sweep_draw(&lu, &r);
        assert_true(x >= 1e-4 * (1 - 1e-12) && x < 1e-1);
        x = sweep_draw(&oml, &r);
        assert_true(x > 0.9 - 1e-12 && x <= 0.999 + 1e-12);
        x = sweep_draw(&iu, &r);
        assert_true(x == floor(x) && x >= 64 && x <= 67);
        ints[(int)x - 64]++;
    }
    tu_close(sum / N, 0.5, 0.05); /* the middle of [-2, 3) */
    for (int i = 0; i < 4; i++) /* both ends included, each about a quarter */
        assert_true(abs(ints[i] - N / 4) < N / 40);
}

static void test_choice_draws_every_value(void **state)
{
    (void)state;
    sweep_param p = param(SWEEP_CHOICE, 0, 0);
    const char *vals[] = {"32", "64", "128", "256"};
    for (int i = 0; i < 4; i++)
        assert_int_equal(dlc_strlist_push(&p.choices, vals[i], NULL), DLC_OK);
    dlc_rng r;
    dlc_rng_seed(&r, 9, 0);
    int count[4] = {0};
    for (int i = 0; i < 4000; i++) {
        double x = sweep_draw(&p, &r);
        count[(int)x]++;
        char buf[16];
        sweep_format(&p, x, buf, sizeof buf);
        assert_string_equal(buf, vals[(int)x]);
    }
    for (int i = 0; i < 4; i++)
        assert_true(abs(count[i] - 1000) < 100);
    dlc_strlist_clear(&p.choices);
}

/* The notes' point: on a log scale each decade gets the same share.  Drawn
 * the way trials draw (one stream per trial), over 3,000 trials. */
static void test_log_scale_equal_counts_per_decade(void **state)
{
    (void)state;
    sweep_param lr = param(SWEEP_LOG_UNIFORM, 1e-4, 1e-1);
    sweep_param beta = param(SWEEP_ONE_MINUS_LOG, -3, -1);
    snprintf(beta.key, sizeof beta.key, "train.optimizer.beta1");
    int lr_dec[3] = {0}, beta_dec[2] = {0};
    enum { T = 3000 };
    for (int k = 1; k <= T; k++) {
        dlc_rng r;
        sweep_param_rng(&r, 7, k, lr.key);
        double x = sweep_draw(&lr, &r);
        lr_dec[(int)floor(log10(x)) + 4]++;
        sweep_param_rng(&r, 7, k, beta.key);
        double b = sweep_draw(&beta, &r);
        beta_dec[(int)floor(log10(1 - b)) + 3]++;
    }
    for (int d = 0; d < 3; d++) { /* 1e-4..1e-3, 1e-3..1e-2, 1e-2..1e-1: 1,000 each */
        if (abs(lr_dec[d] - T / 3) > T / 3 / 10) {
            print_error("decade 1e%d: %d of %d draws\n", d - 4, lr_dec[d], T);
            fail();
        }
    }
    /* beta in 0.9..0.99 and 0.99..0.999 equally often, not 90% in the first */
    assert_true(abs(beta_dec[0] - T / 2) < T / 20);
    assert_true(abs(beta_dec[1] - T / 2) < T / 20);
}

static void test_format(void **state)
{
    (void)state;
    char buf[64];
    sweep_param p = param(SWEEP_INT_UNIFORM, 1, 9);
    sweep_format(&p, 7, buf, sizeof buf);
    assert_string_equal(buf, "7");
    p = param(SWEEP_LOG_UNIFORM, 1e-4, 1);
    sweep_format(&p, 0.00123456789, buf, sizeof buf);
    assert_string_equal(buf, "0.0012346"); /* within 1e-4 relative */
    /* a beta near 1 keeps the digits of 1 - beta, never rounding to 1 */
    p = param(SWEEP_ONE_MINUS_LOG, -8, -6);
    sweep_format(&p, 1 - 1.2345e-7, buf, sizeof buf);
    double b = strtod(buf, NULL);
    assert_true(b < 1);
    tu_close((1 - b) / 1.2345e-7, 1.0, 1e-4);
}

/* ---- trials ---- */

static const char sweep_text[] = "base: base.yaml\n"
                                 "trials: 50\n"
                                 "seed: 11\n"
                                 "set: {train.epochs: 3}\n"
                                 "params:\n"
                                 "  train.optimizer.lr: {log_uniform: [1e-4, 1e-1]}\n"
                                 "  model.layers.0.units: {int_uniform: [64, 512]}\n"
                                 "  train.batch_size: {choice: [32, 64, 128, 256]}\n"
                                 "  train.optimizer.beta1: {one_minus_log: [-3, -1]}\n";

static void trial(const sweep_spec *s, int k, dlc_strlist *kv)
{
    dlc_error err = {0};
    if (sweep_trial(s, k, kv, &err) != DLC_OK) {
        print_error("%s\n", err.msg);
        fail();
    }
}

static void test_deterministic_per_seed_and_trial(void **state)
{
    (void)state;
    sweep_spec a, b;
    load_ok(&a, "a.yaml", sweep_text);
    load_ok(&b, "b.yaml", sweep_text);
    assert_int_equal(a.trials, 50);
    assert_int_equal(sweep_first_trial(&a), 1);
    dlc_strlist x = {0}, y = {0};
    for (int k = 1; k <= 50; k++) {
        trial(&a, k, &x);
        trial(&b, k, &y);
        assert_int_equal(x.n, 5);
        assert_string_equal(x.v[0], "train.epochs=3"); /* fixed ones first */
        for (int i = 0; i < x.n; i++)
            assert_string_equal(x.v[i], y.v[i]);
        dlc_strlist_clear(&x);
        dlc_strlist_clear(&y);
    }
    /* trials differ from each other */
    trial(&a, 1, &x);
    trial(&a, 2, &y);
    assert_string_not_equal(value_of(&x, "train.optimizer.lr"), value_of(&y, "train.optimizer.lr"));
    dlc_strlist_clear(&y);
    /* another seed gives other values */
    b.seed = 12;
    trial(&b, 1, &y);
    assert_string_not_equal(value_of(&x, "train.optimizer.lr"), value_of(&y, "train.optimizer.lr"));
    dlc_strlist_clear(&x);
    dlc_strlist_clear(&y);
    sweep_free(&a);
    sweep_free(&b);
}

/* A parameter's values depend on its key, not on the others: adding one or
 * reordering leaves the rest of the sweep as it was. */
static void test_params_independent(void **state)
{
    (void)state;
    sweep_spec a, b;
    load_ok(&a, "a.yaml", sweep_text);
    load_ok(&b, "b.yaml",
            "base: base.yaml\n"
            "trials: 50\n"
            "seed: 11\n"
            "set: {train.epochs: 3}\n"
            "params:\n"
            "  train.optimizer.beta1: {one_minus_log: [-3, -1]}\n"
            "  model.layers.1.rate: {uniform: [0, 0.5]}\n"
            "  train.optimizer.lr: {log_uniform: [1e-4, 1e-1]}\n");
    for (int k = 1; k <= 20; k++) {
        dlc_strlist x = {0}, y = {0};
        trial(&a, k, &x);
        trial(&b, k, &y);
        assert_string_equal(value_of(&x, "train.optimizer.lr"), value_of(&y, "train.optimizer.lr"));
        assert_string_equal(value_of(&x, "train.optimizer.beta1"),
                            value_of(&y, "train.optimizer.beta1"));
        dlc_strlist_clear(&x);
        dlc_strlist_clear(&y);
    }
    sweep_free(&a);
    sweep_free(&b);
}

/* The overrides go through `dlc train`'s own --set path and land in nested
 * keys and list items. */
static void test_overrides_reach_nested_keys_and_list_items(void **state)
{
    (void)state;
    sweep_spec s;
    load_ok(&s, "a.yaml", sweep_text);
    for (int k = 1; k <= 10; k++) {
        dlc_strlist kv = {0};
        trial(&s, k, &kv);
        dlc_config c;
        dlc_error err = {0};
        if (config_load(&c, s.base, (const char *const *)kv.v, kv.n, &err) != DLC_OK) {
            print_error("%s\n", err.msg);
            fail();
        }
        tu_close(c.train.optimizer.lr, strtod(value_of(&kv, "train.optimizer.lr"), NULL), 0);
        tu_close(c.train.optimizer.beta1, strtod(value_of(&kv, "train.optimizer.beta1"), NULL), 0);
        assert_int_equal(c.layers[0].units, atoi(value_of(&kv, "model.layers.0.units")));
        assert_int_equal(c.layers[2].units, 3); /* the other layers as they were */
        assert_int_equal(c.train.batch_size, atoi(value_of(&kv, "train.batch_size")));
        assert_int_equal(c.train.epochs, 3);
        assert_true(c.train.optimizer.lr >= 1e-4 && c.train.optimizer.lr <= 1e-1);
        assert_true(c.layers[0].units >= 64 && c.layers[0].units <= 512);
        config_free(&c);
        dlc_strlist_clear(&kv);
    }
    sweep_free(&s);
}

static void test_baseline_and_range(void **state)
{
    (void)state;
    sweep_spec s;
    load_ok(&s, "a.yaml",
            "base: base.yaml\ntrials: 3\nbaseline: true\nset: {train.epochs: 2}\n"
            "params: {train.optimizer.lr: {uniform: [0.001, 0.01]}}\n");
    assert_int_equal(sweep_first_trial(&s), 0);
    dlc_strlist kv = {0};
    trial(&s, 0, &kv);
    assert_int_equal(kv.n, 1); /* the base config with only the fixed overrides */
    assert_string_equal(kv.v[0], "train.epochs=2");
    dlc_strlist_clear(&kv);
    dlc_error err = {0};
    assert_int_equal(sweep_trial(&s, 4, &kv, &err), DLC_EINPUT);
    assert_non_null(strstr(err.msg, "trial 4 is out of range: this sweep has trials 0 to 3"));
    assert_int_equal(sweep_trial(&s, -1, &kv, &err), DLC_EINPUT);
    sweep_free(&s);
}

static void test_grid(void **state)
{
    (void)state;
    sweep_spec s;
    load_ok(&s, "g.yaml",
            "base: base.yaml\nmode: grid\n"
            "params:\n"
            "  train.optimizer.type: [sgd, adam]\n"
            "  model.layers.0.units: {int_uniform: [4, 6]}\n");
    assert_int_equal(s.trials, 6);
    const char *want[6][2] = {{"sgd", "4"},  {"sgd", "5"},  {"sgd", "6"},
                              {"adam", "4"}, {"adam", "5"}, {"adam", "6"}};
    for (int k = 1; k <= 6; k++) {
        dlc_strlist kv = {0};
        trial(&s, k, &kv);
        assert_string_equal(value_of(&kv, "train.optimizer.type"), want[k - 1][0]);
        assert_string_equal(value_of(&kv, "model.layers.0.units"), want[k - 1][1]);
        dlc_strlist_clear(&kv);
    }
    sweep_free(&s);
    /* the same file at random: as many trials as the grid has points */
    dlc_error err = {0};
    assert_int_equal(sweep_load(&s, tu_tmp("g.yaml"), SWEEP_RANDOM, &err), DLC_OK);
    assert_int_equal(s.mode, SWEEP_RANDOM);
    assert_int_equal(s.trials, 6);
    sweep_free(&s);
    /* a random sweep run as a grid ignores its trials: */
    load_ok(&s, "r.yaml",
            "base: base.yaml\ntrials: 20\nparams: {train.batch_size: [16, 32, 64]}\n");
    sweep_free(&s);
    assert_int_equal(sweep_load(&s, tu_tmp("r.yaml"), SWEEP_GRID, &err), DLC_OK);
    assert_int_equal(s.trials, 3);
    assert_int_equal(s.file_mode, SWEEP_RANDOM);
    sweep_free(&s);
}

/* A `sweep:` section inside a config: the config is the base, and loading the
 * config for training ignores the section. */
static void test_sweep_section_in_config(void **state)
{
    (void)state;
    char text[2048];
    snprintf(text, sizeof text,
             "%ssweep:\n  trials: 4\n  metric: dev_loss\n"
             "  params: {model.layers.2.units: [3, 4]}\n",
             base_yaml);
    const char *p = write_sweep("with_sweep.yaml", text);
    sweep_spec s;
    dlc_error err = {0};
    assert_int_equal(sweep_load(&s, p, -1, &err), DLC_OK);
    assert_string_equal(s.base, p);
    assert_string_equal(s.name, "with_sweep");
    assert_string_equal(s.metric->name, "dev_loss");
    assert_false(s.metric->maximize);
    sweep_free(&s);
    dlc_config c;
    assert_int_equal(config_load(&c, p, NULL, 0, &err), DLC_OK);
    assert_int_equal(c.n_layers, 3);
    config_free(&c);
    snprintf(text, sizeof text, "%ssweep:\n  base: other.yaml\n  trials: 2\n", base_yaml);
    tu_write(tu_tmp("with_base.yaml"), text, (size_t)-1);
    assert_int_equal(sweep_load(&s, tu_tmp("with_base.yaml"), -1, &err), DLC_EINPUT);
    assert_non_null(strstr(err.msg, "key 'sweep.base'"));
}

/* ---- errors: exit 2 in the CLI, with file, line and key ---- */

#define HEAD "base: base.yaml\ntrials: 3\nparams:\n"

static void test_errors_unknown_keys(void **state)
{
    (void)state;
    expect_error(HEAD "  train.optimizer.lrr: {log_uniform: [1e-4, 1e-1]}\n",
                 "bad.yaml:4: key 'train.optimizer.lrr': unknown config key",
                 "did you mean 'train.optimizer.lr'?");
    expect_error(HEAD "  model.layers.2.unit: [3, 4]\n", "key 'model.layers.2.unit'",
                 "did you mean 'model.layers.2.units'?");
    expect_error(HEAD "  model.layers.7.units: [3, 4]\n", "index 7 is out of range", NULL);
    /* Keras' name for a key, as the config loader answers it */
    expect_error(HEAD "  train.optimizer.learning_rate: {log_uniform: [1e-4, 1e-1]}\n",
                 "bad.yaml:4: key 'train.optimizer.learning_rate': unknown config key (dlc's name: 'lr')",
                 NULL);
    /* dropout (layer 1) has no units */
    expect_error(HEAD "  model.layers.1.units: [3, 4]\n", "bad.yaml:4: key 'model.layers.1.units'",
                 "which the base config refuses");
    expect_error("base: base.yaml\ntrails: 3\nparams: {train.l2: [0, 1]}\n",
                 "bad.yaml:2: key 'trails': unknown key (did you mean 'trials'?)", NULL);
    expect_error(HEAD "  train.optimizer.lr: {log_unifrom: [1e-4, 1e-1]}\n",
                 "unknown distribution 'log_unifrom'", "did you mean 'log_uniform'?");
    expect_error("base: base.yaml\ntrials: 2\nmetric: dev_acc\nparams: {train.l2: [0, 1]}\n",
                 "key 'metric': expected one of dev_accuracy, dev_loss", NULL);
    expect_error("base: missing.yaml\ntrials: 2\nparams: {train.l2: [0, 1]}\n",
                 "bad.yaml:1: key 'base'", "missing.yaml: cannot open");
    expect_error("data: {format: csv}\n", "not a sweep", NULL);
    expect_error("base: base.yaml\nparams: {train.l2: [0, 1]}\n", "key 'trials': missing", NULL);
    expect_error("base: base.yaml\ntrials: 2\nset: {train.epochs: 2}\nparams: {train.epochs: [1, 2]}\n",
                 "key 'train.epochs': is both fixed (in set:) and swept", NULL);
    expect_error("base: base.yaml\ntrials: 2\nset: {train.epoch: 2}\nparams: {train.l2: [0, 1]}\n",
                 "bad.yaml:3: key 'train.epoch'", "did you mean 'train.epochs'?");
}

static void test_errors_bad_ranges(void **state)
{
    (void)state;
    expect_error(HEAD "  train.optimizer.lr: {log_uniform: [0, 1e-1]}\n",
                 "bad.yaml:4: key 'train.optimizer.lr': log_uniform needs 0 < lo < hi", NULL);
    expect_error(HEAD "  train.optimizer.lr: {log_uniform: [1e-1, 1e-4]}\n", "0 < lo < hi", NULL);
    expect_error(HEAD "  train.optimizer.lr: {uniform: [0.1]}\n", "uniform needs [lo, hi]", NULL);
    expect_error(HEAD "  train.optimizer.lr: {uniform: [0.2, 0.1]}\n", "uniform needs lo < hi",
                 NULL);
    expect_error(HEAD "  train.optimizer.beta1: {one_minus_log: [0.9, 0.999]}\n",
                 "one_minus_log takes a range of r", "e.g. [-3, -1]");
    /* beta1 = 1 - 10^0 = 0 is allowed; uniform up to 1 is not */
    expect_error(HEAD "  train.optimizer.beta1: {uniform: [0.9, 1]}\n",
                 "its range reaches 1, which the base config refuses", "[0, 1)");
    expect_error(HEAD "  train.optimizer.lr: {uniform: [-0.1, 0.1]}\n",
                 "its range starts at -0.1, which the base config refuses", NULL);
    expect_error(HEAD "  model.layers.0.units: {int_uniform: [0, 8]}\n",
                 "its range starts at 0, which the base config refuses", NULL);
    expect_error(HEAD "  model.layers.0.units: {int_uniform: [8, 4]}\n", "lo <= hi", NULL);
    expect_error(HEAD "  model.layers.0.units: {int_uniform: [4.5, 8]}\n", "whole numbers", NULL);
    expect_error(HEAD "  model.layers.0.units: {uniform: [4, 8]}\n",
                 "takes whole numbers: sweep it with int_uniform or choice", NULL);
    expect_error(HEAD "  train.optimizer.type: {uniform: [0, 1]}\n", "is not a number", NULL);
    expect_error(HEAD "  train.optimizer.type: [sgd, adagrad]\n", "it may take adagrad", NULL);
    expect_error(HEAD "  train.optimizer.type: []\n", "choice needs a list of one or more", NULL);
    expect_error(HEAD "  train.batch_size: [32, 32]\n", "listed twice", NULL);
    expect_error(HEAD "  train.batch_size: 32\n", "expected a distribution", NULL);
    expect_error("base: base.yaml\nmode: grid\nparams: {train.optimizer.lr: {uniform: [0.1, 0.2]}}\n",
                 "a grid needs discrete values", NULL);
    expect_error("base: base.yaml\nmode: grid\ntrials: 5\nparams: {train.batch_size: [1, 2]}\n",
                 "a grid runs every combination (2 here), not 5", NULL);
    expect_error("base: base.yaml\ntrials: 0\nparams: {train.batch_size: [1, 2]}\n",
                 "key 'trials': expected a whole number from 1", NULL);
}

/* The sweep file's own keys: name (a folder name), seed, set, base. */
static void test_sweep_own_keys(void **state)
{
    (void)state;
    sweep_spec s;
    load_ok(&s, "named.yaml", "base: base.yaml\nname: lr-search.2\nseed: 7\ntrials: 2\n"
                              "params: {train.batch_size: [1, 2]}\n");
    assert_string_equal(s.name, "lr-search.2");
    assert_int_equal(s.seed, 7);
    sweep_free(&s);
    load_ok(&s, "unnamed.yaml", "base: base.yaml\ntrials: 2\nparams: {train.batch_size: [1, 2]}\n");
    assert_string_equal(s.name, "unnamed"); /* the file's stem */
    assert_int_equal(s.seed, 1);
    sweep_free(&s);
    /* an absolute base path is taken as it is */
    char text[1200];
    snprintf(text, sizeof text, "base: %s\ntrials: 1\nparams: {train.batch_size: [1, 2]}\n",
             tu_tmp("base.yaml"));
    load_ok(&s, "absolute.yaml", text);
    sweep_free(&s);

    expect_error("base: base.yaml\nname: a/b\nparams: {train.batch_size: [1, 2]}\n",
                 "bad.yaml:2: key 'name'", "expected a folder name");
    expect_error("base: base.yaml\nname: ..\nparams: {train.batch_size: [1, 2]}\n", "folder name", NULL);
    expect_error("base: base.yaml\nseed: -3\nparams: {train.batch_size: [1, 2]}\n",
                 "key 'seed': expected a whole number >= 0", NULL);
    expect_error("base: base.yaml\nset: [train.epochs]\nparams: {train.batch_size: [1, 2]}\n",
                 "key 'set': expected a mapping of config keys to values", NULL);
    expect_error("base: base.yaml\nset: {train.epochs: 0}\nparams: {train.batch_size: [1, 2]}\n",
                 "the base config", "refuses these overrides");
    expect_error("base: [base.yaml]\nparams: {train.batch_size: [1, 2]}\n",
                 "key 'base': expected the path of the base config", NULL);
    /* a grid past a million combinations */
    expect_error("base: base.yaml\nmode: grid\nparams:\n"
                 "  train.epochs: {int_uniform: [1, 1000]}\n"
                 "  train.batch_size: {int_uniform: [1, 1000]}\n"
                 "  model.layers.0.units: {int_uniform: [1, 1000]}\n",
                 "the grid has more than 1000000 combinations", NULL);
}

/* ---- the leaderboard ---- */

static void write_report(const char *dir, int k, double dev_acc, double dev_loss)
{
    char tdir[1024], path[1100], text[1024];
    sweep_trial_dir(tdir, sizeof tdir, dir, k);
    mkdir(tdir, 0777);
    snprintf(text, sizeof text,
             "{\n  \"format\": \"dlc-report-1\",\n  \"name\": \"t\",\n  \"loss\": "
             "\"softmax_cross_entropy\",\n  \"epochs_run\": 4,\n  \"best_epoch\": 4,\n"
             "  \"stopped_early\": false,\n  \"seconds\": 1.5,\n"
             "  \"params\": {\"trainable\": 10, \"frozen\": 0},\n  \"splits\": {\n"
             "    \"train\": {\"examples\": 90, \"loss\": 0.1, \"accuracy\": 0.99, \"error\": 0.01},\n"
             "    \"dev\": {\"examples\": 30, \"loss\": %.9g, \"accuracy\": %.9g, \"error\": %.9g},\n"
             "    \"test\": {\"examples\": 30, \"loss\": 0.3, \"accuracy\": 0.9, \"error\": 0.1}\n"
             "  }\n}\n",
             dev_loss, dev_acc, 1 - dev_acc);
    snprintf(path, sizeof path, "%s/report.json", tdir);
    tu_write(path, text, (size_t)-1);
    snprintf(path, sizeof path, "%s/wall_seconds", tdir);
    tu_write(path, "12.5\n", (size_t)-1);
}

static void test_leaderboard(void **state)
{
    (void)state;
    sweep_spec s;
    load_ok(&s, "lb.yaml",
            "base: base.yaml\ntrials: 6\nbaseline: true\nset: {train.epochs: 3}\n"
            "params: {train.optimizer.lr: {log_uniform: [1e-4, 1e-1]}}\n");
    const char *dir = tu_tmp("lb");
    mkdir(dir, 0777);
    write_report(dir, 0, 0.80, 0.50);
    write_report(dir, 1, 0.90, 0.40);
    write_report(dir, 2, 0.70, 0.90);
    write_report(dir, 3, 0.90, 0.30); /* ties trial 1 on accuracy, lower loss */
    char tdir[1024], path[1100];
    mkdir(sweep_trial_dir(tdir, sizeof tdir, dir, 4), 0777);
    snprintf(path, sizeof path, "%s/failed", tdir);
    tu_write(path, "exit 1\n", (size_t)-1);
    mkdir(sweep_trial_dir(tdir, sizeof tdir, dir, 5), 0777); /* interrupted */
    /* trial 6 never started */

    sweep_result *rows;
    int n;
    dlc_error err = {0};
    assert_int_equal(sweep_collect(&s, dir, &rows, &n, &err), DLC_OK);
    assert_int_equal(n, 7);
    int order[7] = {3, 1, 0, 2, 4, 5, 6};
    sweep_status st[7] = {SWEEP_DONE, SWEEP_DONE,   SWEEP_DONE,      SWEEP_DONE,
                          SWEEP_FAILED, SWEEP_UNFINISHED, SWEEP_MISSING};
    for (int i = 0; i < 7; i++) {
        assert_int_equal(rows[i].trial, order[i]);
        assert_int_equal(rows[i].status, st[i]);
    }
    tu_close(rows[0].metric, 0.90, 1e-12);
    tu_close(rows[0].test_acc, 0.9, 1e-12);
    tu_close(rows[0].wall, 12.5, 1e-12);
    assert_int_equal(rows[0].epochs, 4);
    assert_string_equal(rows[2].overrides, "(base config)");
    assert_non_null(strstr(rows[0].overrides, "train.optimizer.lr="));
    assert_null(strstr(rows[0].overrides, "train.epochs")); /* fixed ones left out */
    /* 30 dev examples: 0.90 and 0.80 are 3 apart, within two standard errors;
     * 0.70 against 0.90 is not */
    tu_close(rows[0].dev_n, 30, 0);
    assert_true(sweep_ties_best(&rows[0], &rows[1]));
    assert_true(sweep_ties_best(&rows[0], &rows[2]));
    sweep_result far = rows[2];
    far.dev_n = 3000;
    sweep_result best = rows[0];
    best.dev_n = 3000;
    assert_false(sweep_ties_best(&best, &far));
    tu_close(rows[3].dev_acc, 0.70, 1e-12);
    {
        /* p = (e n + 1) / (n + 2): 4 and 10 errors of 30 */
        double p0 = 4.0 / 32, p3 = 10.0 / 32;
        double noise = 2 * sqrt(p0 * (1 - p0) / 30 + p3 * (1 - p3) / 30);
        assert_true(noise > 0.20 - 1e-12 ? sweep_ties_best(&rows[0], &rows[3])
                                        : !sweep_ties_best(&rows[0], &rows[3]));
    }
    assert_false(sweep_ties_best(&rows[0], &rows[4])); /* failed: no dev accuracy */
    /* a regression's dev MSEs: within two standard errors of their difference */
    {
        sweep_result a = rows[0], b = rows[0];
        assert_true(isnan(a.dev_mse_se)); /* a classifier's report has none */
        assert_false(sweep_ties_best_mse(&a, &b));
        a.dev_loss = 1.00;
        a.dev_mse_se = 0.03;
        b.dev_loss = 1.09;
        b.dev_mse_se = 0.04; /* 2 sqrt(0.0009 + 0.0016) = 0.1 */
        assert_true(sweep_ties_best_mse(&a, &b));
        b.dev_loss = 1.11;
        assert_false(sweep_ties_best_mse(&a, &b));
    }

    assert_int_equal(sweep_write_leaderboard(tu_tmp("lb/leaderboard.csv"), rows, n, &err), DLC_OK);
    char *csv;
    size_t len;
    assert_int_equal(dlc_read_file(tu_tmp("lb/leaderboard.csv"), &csv, &len, &err), DLC_OK);
    assert_true(strncmp(csv, "rank,trial,status,metric,dev_accuracy,dev_loss,", 47) == 0);
    assert_non_null(strstr(csv, "\n1,3,done,0.9,0.9,0.3,0.9,0.3,0.99,0.1,4,12.5,\"train.optimizer.lr="));
    assert_non_null(strstr(csv, "\n,4,failed,,,,,,,,,,\"train.optimizer.lr="));
    assert_non_null(strstr(csv, "\n,6,missing,"));
    free(csv);
    sweep_results_free(rows, n);

    /* by dev loss the order turns around */
    s.metric = &sweep_metrics[1];
    assert_int_equal(sweep_collect(&s, dir, &rows, &n, &err), DLC_OK);
    assert_int_equal(rows[0].trial, 3);
    assert_int_equal(rows[1].trial, 1);
    assert_int_equal(rows[2].trial, 0);
    sweep_results_free(rows, n);

    /* a broken report.json names the file */
    snprintf(path, sizeof path, "%s/trial-002/report.json", dir);
    tu_write(path, "{\"splits\": ", (size_t)-1);
    assert_int_equal(sweep_collect(&s, dir, &rows, &n, &err), DLC_EINPUT);
    assert_non_null(strstr(err.msg, "trial-002/report.json"));
    sweep_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ranges),
        cmocka_unit_test(test_choice_draws_every_value),
        cmocka_unit_test(test_log_scale_equal_counts_per_decade),
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_deterministic_per_seed_and_trial),
        cmocka_unit_test(test_params_independent),
        cmocka_unit_test(test_overrides_reach_nested_keys_and_list_items),
        cmocka_unit_test(test_baseline_and_range),
        cmocka_unit_test(test_grid),
        cmocka_unit_test(test_sweep_section_in_config),
        cmocka_unit_test(test_errors_unknown_keys),
        cmocka_unit_test(test_errors_bad_ranges),
        cmocka_unit_test(test_sweep_own_keys),
        cmocka_unit_test(test_leaderboard),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
