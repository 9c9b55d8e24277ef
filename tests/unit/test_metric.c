/* test_metric.c - metric learning: the triplet and contrastive losses
 * against PyTorch (tests/data/make_reference_metric.py) and a hand-worked
 * batch, how the triplet loss mines; the samplers (P classes x K examples
 * batches, pairs) and held-out classes; shared weights against two copies
 * whose gradients are added by hand; the verification threshold and equal
 * error rate. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/data/data.h"
#include "../../src/loss/loss.h"
#include "../../src/report/metrics.h"
#include "graphtest.h"
#include "testutil.h"

/* ---- losses against PyTorch ---- */

static double run_loss(loss_kind k, const float *out, const float *t, int N, int D,
                       const loss_opts *o, float *grad, loss_stats *st)
{
    tensor_shape shape = {1, {D}};
    loss_call c = {out, t, N, &shape, 1.0f, grad, o, NULL};
    memset(st, 0, sizeof *st);
    loss_run(k, &c, st);
    return loss_mean(st);
}

static void test_triplet_reference(void **state)
{
    tu_ref *r = tu_ref_load("metric");
    size_t n;
    const float *f = tu_ref_get(r, "triplet_f", &n), *y = tu_ref_get(r, "triplet_y", NULL);
    const int N = 8, D = 3;
    assert_int_equal(n, (size_t)N * D);
    const char *mining[2] = {"hard", "semi_hard"}, *average[2] = {"positive", "all"};
    const loss_mining mk[2] = {LOSS_MINE_HARD, LOSS_MINE_SEMI_HARD};
    for (int m = 0; m < 2; m++)
        for (int a = 0; a < 2; a++) {
            loss_opts o = {.margin = 0.5, .mining = mk[m], .average = (loss_average)a, .seed = 0};
            float grad[24] = {0};
            loss_stats st;
            double loss = run_loss(LOSS_TRIPLET, f, y, N, D, &o, grad, &st);
            char key[64];
            snprintf(key, sizeof key, "triplet_%s_%s_loss", mining[m], average[a]);
            tu_close(loss, tu_ref_get(r, key, NULL)[0], 1e-5);
            snprintf(key, sizeof key, "triplet_%s_%s_grad", mining[m], average[a]);
            tu_assert_close(key, grad, tu_ref_get(r, key, NULL), n, 1e-6, 1e-5);
            /* both means are in the stats whichever drives the gradient */
            tu_close(st.sum / st.judged * (a == LOSS_AVG_ALL ? 1 : st.judged / st.positive),
                     loss, 1e-9);
        }
    tu_ref_free(r);
}

static void test_contrastive_reference(void **state)
{
    tu_ref *r = tu_ref_load("metric");
    size_t n;
    const float *v = tu_ref_get(r, "contrastive_v", &n);
    float grad[24] = {0};
    loss_opts o = {.margin = 1.5, .mining = LOSS_MINE_HARD, .average = LOSS_AVG_POSITIVE, .seed = 0};
    loss_stats st;
    double loss = run_loss(LOSS_CONTRASTIVE, v, tu_ref_get(r, "contrastive_same", NULL), 6, 4, &o,
                           grad, &st);
    tu_close(loss, tu_ref_get(r, "contrastive_loss", NULL)[0], 1e-5);
    tu_assert_close("contrastive grad", grad, tu_ref_get(r, "contrastive_grad", NULL), n, 1e-6,
                    1e-5);
    tu_ref_free(r);
}

/* ---- the triplet loss by hand ---- */

/* One-value embeddings 0, 2 (class 0) and 1, 5 (class 1), margin 0.5:
 * squared distances (0,1) 4, (0,2) 1, (0,3) 25, (1,2) 1, (1,3) 9, (2,3) 16.
 * Hard negatives: anchors 0 and 1 take example 2 (3.5 each), anchor 2 takes
 * 0 (the first of a tie at 1: 15.5), anchor 3 takes 1 (7.5).  Semi-hard:
 * only anchor 2 has no negative beyond its positive, so it takes the
 * farthest (0 again, 15.5); the others meet the margin (0). */
static void test_triplet_by_hand(void **state)
{
    const float f[4] = {0, 2, 1, 5}, y[4] = {0, 0, 1, 1};
    loss_stats st;
    loss_opts hard = {.margin = 0.5, .mining = LOSS_MINE_HARD, .average = LOSS_AVG_POSITIVE, .seed = 0};
    tu_close(run_loss(LOSS_TRIPLET, f, y, 4, 1, &hard, NULL, &st), 7.5, 1e-12);
    tu_close(st.judged, 4, 0);
    tu_close(st.positive, 4, 0);
    tu_close(st.correct, 0, 0); /* no positive is nearer than every negative */
    loss_opts semi = {.margin = 0.5, .mining = LOSS_MINE_SEMI_HARD, .average = LOSS_AVG_POSITIVE, .seed = 0};
    tu_close(run_loss(LOSS_TRIPLET, f, y, 4, 1, &semi, NULL, &st), 15.5, 1e-12);
    tu_close(st.positive, 1, 0);
    semi.average = LOSS_AVG_ALL;
    tu_close(run_loss(LOSS_TRIPLET, f, y, 4, 1, &semi, NULL, &st), 15.5 / 4, 1e-12);
    /* a margin nothing violates: mean 0 (not NaN) over no positive triplet */
    const float far[4] = {0, 0.1f, 10, 10.1f};
    tu_close(run_loss(LOSS_TRIPLET, far, y, 4, 1, &hard, NULL, &st), 0.0, 0);
    tu_close(st.correct, 4, 0);
    /* unknown labels take no part: as if the example were absent */
    const float f5[5] = {0, 2, 1, 5, -3}, y5[5] = {0, 0, 1, 1, NAN};
    tu_close(run_loss(LOSS_TRIPLET, f5, y5, 5, 1, &hard, NULL, &st), 7.5, 1e-12);
    /* a batch of one class has no triplet */
    const float one[3] = {0, 0, 0};
    assert_true(isnan(run_loss(LOSS_TRIPLET, f, one, 3, 1, &hard, NULL, &st)));
}

/* Semi-hard mining against a search done here over random batches: for each
 * anchor and positive, the nearest negative farther than the positive, else
 * the farthest (the first of equals); the sum of the triplets over the margin
 * and their count.  (tests/mutation/sample.py found a search that never
 * picked example 0 as the negative.) */
static void test_semi_hard_search(void **state)
{
    enum { N = 7, D = 2 };
    dlc_rng r;
    dlc_rng_seed(&r, 9, 0);
    loss_opts semi = {.margin = 0.3, .mining = LOSS_MINE_SEMI_HARD, .average = LOSS_AVG_POSITIVE, .seed = 0};
    for (int trial = 0; trial < 200; trial++) {
        float f[N * D], y[N];
        for (int i = 0; i < N * D; i++)
            f[i] = (float)dlc_rng_normal(&r);
        for (int i = 0; i < N; i++)
            y[i] = (float)(int)(dlc_rng_uniform(&r) * 3);
        double d[N][N], sum = 0, positive = 0, judged = 0;
        for (int i = 0; i < N; i++)
            for (int j = 0; j < N; j++)
                d[i][j] = pow((double)f[i * D] - f[j * D], 2) + pow((double)f[i * D + 1] - f[j * D + 1], 2);
        for (int a = 0; a < N; a++)
            for (int p = 0; p < N; p++) {
                if (p == a || y[p] != y[a])
                    continue;
                int semi_n = -1, far_n = -1;
                for (int n = 0; n < N; n++) {
                    if (y[n] == y[a])
                        continue;
                    if (d[a][n] > d[a][p] && (semi_n < 0 || d[a][n] < d[a][semi_n]))
                        semi_n = n;
                    if (far_n < 0 || d[a][n] > d[a][far_n])
                        far_n = n;
                }
                int n = semi_n >= 0 ? semi_n : far_n;
                if (n < 0)
                    continue;
                judged++;
                double l = d[a][p] - d[a][n] + semi.margin;
                if (l > 0) {
                    sum += l;
                    positive++;
                }
            }
        loss_stats st;
        run_loss(LOSS_TRIPLET, f, y, N, D, &semi, NULL, &st);
        tu_close(st.judged, judged, 0);
        tu_close(st.positive, positive, 0);
        tu_close(st.sum, sum, 1e-5 * (1 + sum));
    }
}

/* Contrastive pairs with an unknown label take no part: the batch scores
 * as the batch without them, wherever they sit (sample.py found a check of
 * the wrong pair's label). */
static void test_contrastive_unknown(void **state)
{
    enum { D = 3 };
    const float v[5 * D] = {0.5f, -1, 2, 0.1f, 0.2f, -0.3f, 1.5f, 0.5f, 0, -0.2f, 0.1f, 0.9f, 0.3f, 0.3f, -0.4f};
    const float t[5] = {NAN, 1, 0, NAN, 0}, known_t[3] = {1, 0, 0};
    const float known_v[3 * D] = {0.1f, 0.2f, -0.3f, 1.5f, 0.5f, 0, 0.3f, 0.3f, -0.4f};
    loss_stats st, want;
    loss_opts o = {.margin = 1.0};
    double all = run_loss(LOSS_CONTRASTIVE, v, t, 5, D, &o, NULL, &st);
    double sub = run_loss(LOSS_CONTRASTIVE, known_v, known_t, 3, D, &o, NULL, &want);
    tu_close(all, sub, 1e-12);
    tu_close(st.sum, want.sum, 1e-12);
    tu_close(st.count, want.count, 0);
}

/* Random mining picks a negative of another class, the same one for the
 * same seed (a gradient check sees one draw), and different ones across
 * seeds. */
static void test_random_mining(void **state)
{
    /* anchor 0 and positive 1 at distance 0; negatives 2..9 at distances
     * 1, 4, 9, ...: with a large margin every triplet counts, and the mean
     * over all says which negatives were drawn */
    float f[10], y[10];
    f[0] = f[1] = 0;
    y[0] = y[1] = 0;
    for (int j = 2; j < 10; j++) {
        f[j] = (float)(j - 1);
        y[j] = 1 + (j % 2);  /* two other classes */
    }
    int seen[10] = {0}, distinct = 0;
    for (uint64_t seed = 1; seed <= 40; seed++) {
        loss_opts o = {.margin = 1000, .mining = LOSS_MINE_RANDOM, .average = LOSS_AVG_ALL, .seed = seed};
        loss_stats st;
        float g1[10] = {0}, g2[10] = {0};
        run_loss(LOSS_TRIPLET, f, y, 10, 1, &o, g1, &st);
        run_loss(LOSS_TRIPLET, f, y, 10, 1, &o, g2, &st);
        assert_memory_equal(g1, g2, sizeof g1);
        /* anchor 0 / positive 1 (and the reverse) push their negatives: the
         * gradient is non-zero on exactly the negatives drawn for anchors 0, 1 */
        for (int j = 2; j < 10; j++)
            if (g1[j] != 0 && !seen[j]++)
                distinct++;
        assert_true(g1[0] != 0);
    }
    assert_true(distinct >= 6);
}

/* ---- every loss's gradient against central differences ---- */

static double mean_of(loss_kind k, const float *out, const float *t, int N, int D,
                      const loss_opts *o)
{
    loss_stats st;
    return run_loss(k, out, t, N, D, o, NULL, &st);
}

static void check_loss_grad(const char *what, loss_kind k, float *out, const float *t, int N, int D,
                            const loss_opts *o)
{
    size_t n = (size_t)N * D;
    float *grad = calloc(n, sizeof(float));
    assert_non_null(grad);
    loss_stats st;
    run_loss(k, out, t, N, D, o, grad, &st);
    const float eps = 1e-3f;
    for (size_t i = 0; i < n; i++) {
        float keep = out[i];
        out[i] = keep + eps;
        double up = mean_of(k, out, t, N, D, o);
        out[i] = keep - eps;
        double down = mean_of(k, out, t, N, D, o);
        out[i] = keep;
        double num = (up - down) / (2.0 * (double)eps);
        double den = fmax(fmax(fabs(num), fabs(grad[i])), 1e-2);
        if (fabs(num - grad[i]) / den > 2e-2) {
            print_error("%s: value %zu: analytic %.6g, numeric %.6g\n", what, i, (double)grad[i], num);
            fail();
        }
    }
    free(grad);
}

static void test_loss_gradients(void **state)
{
    int checked[LOSS_COUNT] = {0};
    float z[24], t[24];
    for (int i = 0; i < 24; i++)
        z[i] = (float)(sin(1.3 * i) * 0.8);
    /* softmax: 6 rows of 4 classes */
    for (int i = 0; i < 6; i++)
        t[i] = (float)(i % 4);
    check_loss_grad("softmax_cross_entropy", LOSS_SOFTMAX_CE, z, t, 6, 4, NULL);
    checked[LOSS_SOFTMAX_CE] = 1;
    for (int i = 0; i < 24; i++)
        t[i] = i % 5 == 0 ? NAN : (float)(i % 2);
    check_loss_grad("sigmoid_bce", LOSS_SIGMOID_BCE, z, t, 6, 4, NULL);
    checked[LOSS_SIGMOID_BCE] = 1;
    for (int i = 0; i < 24; i++)
        t[i] = i % 7 == 0 ? NAN : (float)cos(i);
    check_loss_grad("mse", LOSS_MSE, z, t, 6, 4, NULL);
    checked[LOSS_MSE] = 1;
    /* triplet: 8 embeddings of 3 values, 3 classes; every mining and mean */
    const float y[8] = {0, 1, 2, 0, 1, 2, 0, 1};
    for (int m = 0; m < LOSS_MINE_COUNT; m++)
        for (int a = 0; a < LOSS_AVG_COUNT; a++) {
            loss_opts o = {.margin = 0.3, .mining = (loss_mining)m, .average = (loss_average)a, .seed = 99};
            char what[64];
            snprintf(what, sizeof what, "triplet %s %s", loss_mining_names[m], loss_average_names[a]);
            check_loss_grad(what, LOSS_TRIPLET, z, y, 8, 3, &o);
        }
    checked[LOSS_TRIPLET] = 1;
    /* contrastive: pairs inside and outside the margin, of both kinds */
    const float same[6] = {1, 0, 1, 0, 0, 1};
    loss_opts o = {.margin = 1.2, .mining = LOSS_MINE_HARD, .average = LOSS_AVG_POSITIVE, .seed = 0};
    check_loss_grad("contrastive", LOSS_CONTRASTIVE, z, same, 6, 4, &o);
    checked[LOSS_CONTRASTIVE] = 1;
    /* style transfer's rows: test_loss.c's test_gradients */
    checked[LOSS_CONTENT] = checked[LOSS_STYLE] = checked[LOSS_TOTAL_VARIATION] = 1;
    /* the detection losses (they read object slots) are checked in test_detect_loss.c */
    for (int k = 0; k < LOSS_COUNT; k++)
        if (!checked[k] && loss_get((loss_kind)k)->target != LOSS_TARGET_OBJECTS) {
            print_error("loss '%s' has no gradient check in test_metric.c\n", loss_names[k]);
            fail();
        }
}

/* ---- samplers ---- */

/* A dataset of n examples (one value each, its row number) with class
 * labels y[i] = cls(i). */
static dataset *toy_dataset(int n, int (*cls)(int))
{
    dataset *d = calloc(1, sizeof *d);
    assert_non_null(d);
    strcpy(d->path, "toy");
    d->n = n;
    d->shape = (tensor_shape){1, {1}};
    d->dim = 1;
    d->n_targets = 1;
    d->f32 = malloc(sizeof(float) * (size_t)n);
    d->targets = malloc(sizeof(float) * (size_t)n);
    assert_true(d->f32 && d->targets);
    for (int i = 0; i < n; i++) {
        d->f32[i] = (float)i;
        d->targets[i] = (float)cls(i);
    }
    return d;
}

static int five_classes(int i)
{
    /* uneven classes: 0 has 40, 1 30, 2 20, 3 7, 4 3 */
    return i < 40 ? 0 : i < 70 ? 1 : i < 90 ? 2 : i < 97 ? 3 : 4;
}

static void test_pk_batches(void **state)
{
    dataset *d = toy_dataset(100, five_classes);
    data_split s = {d, 100, malloc(sizeof(int) * 100), 0};
    for (int i = 0; i < 100; i++)
        s.idx[i] = i;
    data_bundle b;
    memset(&b, 0, sizeof b);
    b.sampler = (data_sampler){DATA_SAMPLER_TRIPLETS, 3, 5, 0.5, 0, ""};
    assert_int_equal(data_plan_batch(&b, 64), 15);
    int order[100], starts[101];
    dlc_rng rng;
    int total_batches = 0;
    for (int epoch = 0; epoch < 5; epoch++) {
        dlc_rng_seed(&rng, 3, (uint64_t)epoch);
        int nb = data_plan(&b, &s, 64, &rng, order, starts);
        /* runs of 5: class 0 has 8, 1 has 6, 2 has 4, 3 has 1, 4 none:
         * 19 runs, at most 6 batches of 3 different classes */
        assert_true(nb >= 4 && nb <= 6);
        total_batches += nb;
        int used[100] = {0};
        for (int k = 0; k < nb; k++) {
            assert_int_equal(starts[k + 1] - starts[k], 15);
            int per[5] = {0};
            for (int i = starts[k]; i < starts[k + 1]; i++) {
                assert_int_equal(used[order[i]]++, 0); /* once an epoch */
                per[five_classes(order[i])]++;
            }
            int classes = 0;
            for (int c = 0; c < 5; c++) {
                assert_true(per[c] == 0 || per[c] == 5);
                classes += per[c] == 5;
            }
            assert_int_equal(classes, 3);
        }
    }
    assert_true(total_batches > 0);
    /* the same seed, the same plan */
    int again[100], starts2[101];
    dlc_rng_seed(&rng, 3, 4);
    int nb = data_plan(&b, &s, 64, &rng, again, starts2);
    assert_memory_equal(again, order, sizeof(int) * (size_t)starts2[nb]);
    free(s.idx);
    data_dataset_free(d);
}

/* ---- pairs and held-out classes, through data_load ---- */

static void write_classes_csv(const char *path, int n)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "v,w,kind\n");
    for (int i = 0; i < n; i++)
        fprintf(f, "%d,%d,k%d\n", i, 2 * i, i % 6);
    assert_int_equal(fclose(f), 0);
}

static dlc_strlist names_of(const char *a, const char *b, const char *c)
{
    dlc_strlist l = {0};
    const char *v[3] = {a, b, c};
    for (int i = 0; i < 3; i++)
        if (v[i])
            assert_int_equal(dlc_strlist_push(&l, v[i], NULL), DLC_OK);
    return l;
}

static void class_config(data_config *c, const char *train)
{
    memset(c, 0, sizeof *c);
    c->format = DATA_CSV;
    dlc_strlcpy(c->train.file, train, sizeof c->train.file);
    c->n_labels = 1;
    c->labels[0].columns = names_of("kind", NULL, NULL);
    c->normalize = NORM_STANDARD;
    c->split_dev = 0.2;
}

static void class_config_free(data_config *c)
{
    dlc_strlist_clear(&c->labels[0].columns);
    for (int k = 0; k < DATA_CLASS_SPLITS; k++)
        dlc_strlist_clear(&c->class_split[k]);
}

static int row_class(const data_split *s, int i)
{
    return (int)s->ds->targets[s->idx[i]];
}

static void test_class_split(void **state)
{
    write_classes_csv(tu_tmp("kinds.csv"), 120);
    data_config cfg;
    class_config(&cfg, tu_tmp("kinds.csv"));
    cfg.class_split[DATA_CLASS_TEST] = names_of("k4", "k5", NULL);
    strcpy(cfg.class_split_where[DATA_CLASS_TEST], "m.yaml:7");
    data_bundle b;
    dlc_error err = {0};
    assert_int_equal(data_load(&b, &cfg, DATA_TARGET_CLASS, 1, &err), DLC_OK);
    const dlc_strlist *names = &b.heads[0].class_names;
    int k4 = dlc_strlist_find(names, "k4"), k5 = dlc_strlist_find(names, "k5");
    /* test: every example of k4 and k5; train and dev: the other classes */
    assert_int_equal(b.split[DATA_SPLIT_TEST].n, 40);
    for (int i = 0; i < b.split[DATA_SPLIT_TEST].n; i++) {
        int c = row_class(&b.split[DATA_SPLIT_TEST], i);
        assert_true(c == k4 || c == k5);
    }
    int k = DATA_SPLIT_TRAIN;
    assert_int_equal(b.split[DATA_SPLIT_TRAIN].n + b.split[DATA_SPLIT_DEV].n, 80);
    for (; k <= DATA_SPLIT_DEV; k++)
        for (int i = 0; i < b.split[k].n; i++) {
            int c = row_class(&b.split[k], i);
            assert_true(c != k4 && c != k5);
        }
    data_free(&b);
    /* a class the data lacks: file, line and key */
    dlc_strlist_clear(&cfg.class_split[DATA_CLASS_TEST]);
    cfg.class_split[DATA_CLASS_TEST] = names_of("k4", "k9", NULL);
    assert_int_equal(data_load(&b, &cfg, DATA_TARGET_CLASS, 1, &err), DLC_EINPUT);
    assert_non_null(strstr(err.msg, "m.yaml:7: key 'data.class_split.test'"));
    assert_non_null(strstr(err.msg, "'k9'"));
    /* one held-out class cannot be verified against another */
    dlc_strlist_clear(&cfg.class_split[DATA_CLASS_TEST]);
    cfg.class_split[DATA_CLASS_TEST] = names_of("k4", NULL, NULL);
    assert_int_equal(data_load(&b, &cfg, DATA_TARGET_CLASS, 1, &err), DLC_EINPUT);
    assert_non_null(strstr(err.msg, "at least 2"));
    class_config_free(&cfg);
}

static void test_pairs(void **state)
{
    write_classes_csv(tu_tmp("kinds.csv"), 600);
    data_config cfg;
    class_config(&cfg, tu_tmp("kinds.csv"));
    cfg.sampler = (data_sampler){DATA_SAMPLER_PAIRS, 2, 2, 0.3, 0, "m.yaml:9"};
    data_bundle b;
    dlc_error err = {0};
    assert_int_equal(data_load(&b, &cfg, DATA_TARGET_CLASS, 1, &err), DLC_OK);
    /* one input stacks two examples of 2 values: (4), normalized per half */
    assert_int_equal(b.stack, 2);
    assert_int_equal(b.dim, 4);
    assert_int_equal(b.shape.d[0], 4);
    assert_int_equal(b.norm.dim, 4);
    tu_close(b.norm.shift[2], b.norm.shift[0], 0);
    assert_string_equal(b.heads[0].class_names.v[1], "same");
    data_split *tr = &b.split[DATA_SPLIT_TRAIN];
    assert_int_equal(tr->stack, 2);
    assert_int_equal(tr->n, b.single[DATA_SPLIT_TRAIN].n);
    float *x = malloc(sizeof(float) * 4 * (size_t)tr->n), *t = malloc(sizeof(float) * (size_t)tr->n);
    assert_true(x && t);
    data_gather(tr, NULL, 0, tr->n, NULL, x, t);
    int same = 0;
    for (int i = 0; i < tr->n; i++) {
        /* raw values: the first example is example i of the single split */
        int a = (int)x[4 * i], p = (int)x[4 * i + 2];
        assert_int_equal(a, b.single[DATA_SPLIT_TRAIN].idx[i]);
        assert_int_equal((int)x[4 * i + 3], 2 * p);
        int agree = a % 6 == p % 6;
        tu_close(t[i], agree, 0);
        if (agree)
            assert_true(a != p); /* another example of the class */
        same += agree;
    }
    /* positive_fraction 0.3 of ~384 pairs */
    assert_true(same > 0.2 * tr->n && same < 0.4 * tr->n);
    /* the next epoch draws other partners; dev pairs stay as loaded */
    int *before = malloc(sizeof(int) * 2 * (size_t)tr->n);
    assert_non_null(before);
    memcpy(before, tr->idx, sizeof(int) * 2 * (size_t)tr->n);
    dlc_rng rng;
    dlc_rng_seed(&rng, 1, 2);
    data_epoch(&b, &rng);
    assert_true(memcmp(before, tr->idx, sizeof(int) * 2 * (size_t)tr->n) != 0);
    for (int i = 0; i < tr->n; i++)
        assert_int_equal(before[2 * i], tr->idx[2 * i]); /* the first examples stay */
    data_bundle again;
    assert_int_equal(data_load(&again, &cfg, DATA_TARGET_CLASS, 1, &err), DLC_OK);
    assert_memory_equal(again.split[DATA_SPLIT_DEV].idx, b.split[DATA_SPLIT_DEV].idx,
                        sizeof(int) * 2 * (size_t)b.split[DATA_SPLIT_DEV].n);
    data_free(&again);
    free(before);
    free(x);
    free(t);
    data_free(&b);
    class_config_free(&cfg);
}

static void test_pk_too_large(void **state)
{
    write_classes_csv(tu_tmp("kinds.csv"), 60);
    data_config cfg;
    class_config(&cfg, tu_tmp("kinds.csv"));
    cfg.sampler = (data_sampler){DATA_SAMPLER_TRIPLETS, 7, 4, 0.5, 0, "m.yaml:11"};
    data_bundle b;
    dlc_error err = {0};
    assert_int_equal(data_load(&b, &cfg, DATA_TARGET_CLASS, 1, &err), DLC_EINPUT);
    assert_non_null(strstr(err.msg, "m.yaml:11: key 'data.sampler'"));
    assert_non_null(strstr(err.msg, "classes_per_batch 7"));
    cfg.sampler.classes_per_batch = 6;
    cfg.sampler.per_class = 20; /* 120 per batch, 48 train examples */
    assert_int_equal(data_load(&b, &cfg, DATA_TARGET_CLASS, 1, &err), DLC_EINPUT);
    assert_non_null(strstr(err.msg, "120 examples per batch"));
    cfg.sampler.per_class = 4;
    assert_int_equal(data_load(&b, &cfg, DATA_TARGET_CLASS, 1, &err), DLC_OK);
    data_free(&b);
    class_config_free(&cfg);
}

/* ---- shared weights: one set of weights, gradients of both branches ---- */

/* A siamese pair over a (2, 3) input: rows sliced into two branches that
 * run the same dense encoder (`share:`), then |e1 - e2|.  The same net with
 * two independent copies of the encoder (equal weights) must give the
 * shared weight the sum of the copies' gradients. */
static void test_share_equals_two_copies(void **state)
{
    tensor_shape in = {2, {2, 3}};
    layer_spec s[6] = {gt_spec("slice", "a"),     gt_spec("dense", "enc"),
                       gt_spec("slice", "b"),     gt_spec("dense", "enc2"),
                       gt_spec("subtract", "d"),  gt_spec("abs", "dist")};
    s[0].start = 0;
    s[0].end = 1;
    gt_inputs(&s[0], "input", NULL);
    s[1].units = 4;
    s[1].activation = ACT_TANH;
    s[2].start = 1;
    s[2].end = 2;
    gt_inputs(&s[2], "input", NULL);
    s[3].units = 4;
    s[3].activation = ACT_TANH;
    gt_inputs(&s[3], "b", NULL);
    gt_inputs(&s[4], "enc", "enc2");
    layer_spec copies[6];
    memcpy(copies, s, sizeof s);
    strcpy(s[3].share, "enc");
    graph *shared = gt_build(&in, s, 6, 5), *two = gt_build(&in, copies, 6, 5);
    assert_int_equal(shared->n_params, 2);
    assert_int_equal(two->n_params, 4);
    dlc_rng rng;
    dlc_rng_seed(&rng, 5, 1);
    graph_init_params(shared, &rng);
    graph_node *enc = &two->nodes[graph_find(two, "enc")], *enc2 = &two->nodes[graph_find(two, "enc2")];
    for (int p = 0; p < 2; p++) {
        memcpy(graph_p(two, enc, p)->data, shared->params[p].data, sizeof(float) * shared->params[p].n);
        memcpy(graph_p(two, enc2, p)->data, shared->params[p].data, sizeof(float) * shared->params[p].n);
    }
    graph *gs[2] = {shared, two};
    for (int k = 0; k < 2; k++) {
        graph *g = gs[k];
        for (int i = 0; i < 5 * 6; i++)
            graph_input(g, 0)[i] = (float)sin(0.9 * i + 0.3);
        graph_forward(g, 5, 1);
        graph_zero_grad(g);
        graph_node *o = graph_output(g, 0);
        for (size_t i = 0; i < 5 * o->size; i++)
            o->grad[i] = (float)cos(0.7 * i);
        graph_backward(g, 5);
    }
    tu_assert_close("outputs", graph_output(shared, 0)->out, graph_output(two, 0)->out, 5 * 4, 0, 0);
    for (int p = 0; p < 2; p++) {
        const graph_param *ps = &shared->params[p];
        const graph_param *a = graph_p(two, enc, p), *b = graph_p(two, enc2, p);
        float *sum = malloc(sizeof(float) * ps->n);
        assert_non_null(sum);
        for (size_t i = 0; i < ps->n; i++)
            sum[i] = a->grad[i] + b->grad[i];
        tu_assert_close(ps->name, ps->grad, sum, ps->n, 1e-7, 1e-6);
        /* and the sum is not one branch's alone */
        assert_true(fabsf(ps->grad[0] - a->grad[0]) > 1e-6f);
        free(sum);
    }
    graph_free(shared);
    graph_free(two);
}

/* ---- the verification threshold and equal error rate ---- */

static void test_verify_points(void **state)
{
    /* sorted distances: same, same, different, same, different, different */
    const double d[6] = {0.4, 0.1, 0.5, 0.3, 0.2, 0.6};
    const float same[6] = {1, 1, 0, 0, 1, 0};
    report_verify_point pt;
    assert_int_equal(report_verify_points(&pt, d, same, 6, NULL), DLC_OK);
    /* cutting after 0.2 or after 0.4 both call 5 of 6 right: the first wins */
    tu_close(pt.accuracy, 5.0 / 6, 1e-12);
    tu_close(pt.threshold, 0.25, 1e-12);
    /* after 0.3: false accepts 1/3, false rejects 1/3 */
    tu_close(pt.eer, 1.0 / 3, 1e-12);
    tu_close(pt.eer_threshold, 0.35, 1e-12);
    tu_close(report_verify_accuracy(d, same, 6, 0.35), 4.0 / 6, 1e-12);
    tu_close(report_verify_accuracy(d, same, 6, pt.threshold), pt.accuracy, 1e-12);
    /* ties: a cut between equal distances does not exist */
    const double tied[4] = {1, 1, 1, 2};
    const float ts[4] = {1, 0, 1, 0};
    assert_int_equal(report_verify_points(&pt, tied, ts, 4, NULL), DLC_OK);
    tu_close(pt.accuracy, 0.75, 1e-12);
    tu_close(pt.threshold, 1.5, 1e-12);
    /* one kind of pair only: nothing to choose */
    const float all_same[4] = {1, 1, 1, 1};
    assert_int_equal(report_verify_points(&pt, tied, all_same, 4, NULL), DLC_OK);
    assert_true(isnan(pt.threshold) && isnan(pt.eer));
}

/* report_verify_points against a search over every cut done here: below
 * all distances, between each two distinct ones, above all; accuracy and the
 * equal error rate at the first best cut.  Random pairs with ties, some
 * where calling every pair "different" (a cut below all) is best.  (Found
 * by tests/mutation/sample.py: a search that never tried the cut below all
 * distances went unnoticed.) */
static void test_verify_points_search(void **state)
{
    dlc_rng r;
    dlc_rng_seed(&r, 5, 0);
    for (int trial = 0; trial < 300; trial++) {
        int n = 1 + (int)(dlc_rng_uniform(&r) * 9);
        double d[10], cuts[12];
        float same[10];
        for (int i = 0; i < n; i++) {
            d[i] = floor(dlc_rng_uniform(&r) * 6) / 4; /* ties */
            same[i] = dlc_rng_uniform(&r) < (trial % 3 == 0 ? 0.2 : 0.5);
        }
        double pos = 0, sorted[10];
        for (int i = 0; i < n; i++) {
            pos += same[i] > 0.5f;
            sorted[i] = d[i];
        }
        for (int i = 1; i < n; i++)
            for (int k = i; k > 0 && sorted[k] < sorted[k - 1]; k--) {
                double t = sorted[k];
                sorted[k] = sorted[k - 1];
                sorted[k - 1] = t;
            }
        int nc = 0;
        cuts[nc++] = sorted[0] - 1;
        for (int i = 1; i < n; i++)
            if (sorted[i] > sorted[i - 1])
                cuts[nc++] = 0.5 * (sorted[i - 1] + sorted[i]);
        cuts[nc++] = sorted[n - 1] + 1;
        double best = -1, eer = NAN, gap = INFINITY, neg = n - pos;
        for (int c = 0; c < nc; c++) {
            double right = 0, fa = 0, fr = 0;
            for (int i = 0; i < n; i++) {
                right += (d[i] < cuts[c]) == (same[i] > 0.5f);
                fa += d[i] < cuts[c] && !(same[i] > 0.5f);
                fr += !(d[i] < cuts[c]) && same[i] > 0.5f;
            }
            if (right / n > best)
                best = right / n;
            if (fabs(fa / neg - fr / pos) < gap) {
                gap = fabs(fa / neg - fr / pos);
                eer = 0.5 * (fa / neg + fr / pos);
            }
        }
        report_verify_point pt;
        assert_int_equal(report_verify_points(&pt, d, same, n, NULL), DLC_OK);
        if (pos == 0 || neg == 0) {
            assert_true(isnan(pt.accuracy) && isnan(pt.eer));
            continue;
        }
        tu_close(pt.accuracy, best, 1e-12);
        tu_close(pt.eer, eer, 1e-12);
        double right = 0;
        for (int i = 0; i < n; i++)
            right += (d[i] < pt.threshold) == (same[i] > 0.5f);
        tu_close(right / n, best, 1e-12);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_verify_points_search),
        cmocka_unit_test(test_triplet_reference),
        cmocka_unit_test(test_contrastive_reference),
        cmocka_unit_test(test_triplet_by_hand),
        cmocka_unit_test(test_semi_hard_search),
        cmocka_unit_test(test_contrastive_unknown),
        cmocka_unit_test(test_random_mining),
        cmocka_unit_test(test_loss_gradients),
        cmocka_unit_test(test_pk_batches),
        cmocka_unit_test(test_class_split),
        cmocka_unit_test(test_pairs),
        cmocka_unit_test(test_pk_too_large),
        cmocka_unit_test(test_share_equals_two_copies),
        cmocka_unit_test(test_verify_points),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
