/* test_report.c - the report's arithmetic against cases worked out by hand:
 * confusion-matrix figures (a class never predicted included), ROC AUC, the
 * bias / variance gaps and their remedies, the mislabeled-data correction,
 * the single-number metric, the report.metric config keys, reading a
 * tagged errors.csv (good files and malformed ones), and the sparse form of
 * the confusion matrix that many classes use. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "../../src/config/config.h"
#include "../../src/report/metric.h"
#include "../../src/report/metrics.h"
#include "../../src/report/report.h"
#include "../../src/report/tags.h"
#include "testutil.h"

/* ---- confusion matrix ---- */

static void test_class_metrics_never_predicted(void **state)
{
    /* rows true A, B, C; columns predicted.  C is never predicted. */
    const long conf[9] = {3, 1, 0,
                          1, 2, 0,
                          1, 1, 0};
    report_class_stats c[3];
    report_avg macro, weighted;
    double acc;
    report_class_metrics(conf, 3, c, &macro, &weighted, &acc);
    tu_close(acc, 5.0 / 9, 1e-12);
    assert_int_equal(c[0].support, 4);
    assert_int_equal(c[0].predicted, 5);
    assert_int_equal(c[2].predicted, 0);
    tu_close(c[0].precision, 0.6, 1e-12);
    tu_close(c[0].recall, 0.75, 1e-12);
    tu_close(c[0].f1, 2.0 / 3, 1e-12);
    tu_close(c[1].precision, 0.5, 1e-12);
    tu_close(c[1].recall, 2.0 / 3, 1e-12);
    tu_close(c[1].f1, 4.0 / 7, 1e-12);
    /* never predicted: precision 0 (not NaN), so F1 0 */
    tu_close(c[2].precision, 0, 0);
    tu_close(c[2].recall, 0, 0);
    tu_close(c[2].f1, 0, 0);
    tu_close(macro.precision, 1.1 / 3, 1e-12);
    tu_close(macro.recall, (0.75 + 2.0 / 3) / 3, 1e-12);
    tu_close(macro.f1, (2.0 / 3 + 4.0 / 7) / 3, 1e-12);
    tu_close(weighted.precision, (0.6 * 4 + 0.5 * 3) / 9, 1e-12);
    tu_close(weighted.recall, 5.0 / 9, 1e-12);
    tu_close(weighted.f1, (2.0 / 3 * 4 + 4.0 / 7 * 3) / 9, 1e-12);
}

static void test_class_metrics_empty_and_absent(void **state)
{
    /* a class with no examples and no predictions, and an empty matrix */
    const long conf[4] = {5, 0, 0, 0};
    report_class_stats c[2];
    report_avg macro, weighted;
    double acc;
    report_class_metrics(conf, 2, c, &macro, &weighted, &acc);
    tu_close(acc, 1, 0);
    tu_close(c[1].precision, 0, 0);
    tu_close(c[1].recall, 0, 0);
    tu_close(macro.f1, 1, 1e-12); /* the absent class is no label of the split (scikit-learn) */
    tu_close(weighted.f1, 1, 1e-12);
    const long zero[4] = {0, 0, 0, 0};
    report_class_metrics(zero, 2, c, &macro, &weighted, &acc);
    assert_true(isnan(acc));
    tu_close(macro.f1, 0, 0);
    tu_close(weighted.precision, 0, 0);
}

/* ---- many classes: counts and sorted mistakes instead of K x K ---- */

typedef struct {
    int n;
    int cell[64][2];
    long count[64];
} cell_log;

static void log_cell(void *ctx, int a, int b, long c)
{
    cell_log *l = ctx;
    assert_true(l->n < 64);
    l->cell[l->n][0] = a;
    l->cell[l->n][1] = b;
    l->count[l->n++] = c;
}

/* The same matrix held both ways gives the same cells, figures and pairs. */
static void test_sparse_confusion(void **state)
{
    enum { K = 5 };
    const long conf[K * K] = {4, 0, 2, 0, 1, /* row 0: mistakes on both sides of the diagonal */
                              0, 0, 0, 3, 0, /* row 1: no diagonal at all */
                              1, 1, 6, 0, 0, /* row 2 */
                              0, 0, 0, 0, 0, /* row 3: empty */
                              0, 0, 0, 2, 5};
    report_head rep;
    memset(&rep, 0, sizeof rep);
    rep.K = K;
    report_split dense, sparse;
    memset(&dense, 0, sizeof dense);
    memset(&sparse, 0, sizeof sparse);
    report_class_stats dcls[K], scls[K];
    memset(scls, 0, sizeof scls);
    uint64_t mistakes[32];
    long nm = 0;
    dense.confusion = (long *)conf;
    dense.cls = dcls;
    sparse.cls = scls;
    sparse.mistakes = mistakes;
    /* mistakes in sorted order, as report.c leaves them */
    for (int a = 0; a < K; a++)
        for (int b = 0; b < K; b++) {
            long c = conf[a * K + b];
            scls[a].support += c;
            scls[b].predicted += c;
            if (a == b)
                scls[a].tp = c;
            else
                for (long i = 0; i < c; i++)
                    mistakes[nm++] = (uint64_t)a * K + (uint64_t)b;
        }
    sparse.n_mistakes = nm;
    report_avg dm, dw, sm, sw;
    double da, sa;
    report_class_metrics(conf, K, dcls, &dm, &dw, &da);
    report_class_metrics_counted(scls, K, &sm, &sw, &sa);
    tu_close(sa, da, 0);
    tu_close(sm.f1, dm.f1, 0);
    tu_close(sw.precision, dw.precision, 0);
    for (int k = 0; k < K; k++) {
        tu_close(scls[k].f1, dcls[k].f1, 0);
        tu_close(scls[k].recall, dcls[k].recall, 0);
    }
    cell_log ld = {0}, ls = {0};
    report_confusion_cells(&rep, &dense, 0, log_cell, &ld);
    report_confusion_cells(&rep, &sparse, 0, log_cell, &ls);
    assert_int_equal(ld.n, 9); /* the non-zero cells, row by row, columns in order */
    assert_int_equal(ls.n, ld.n);
    assert_memory_equal(ls.cell, ld.cell, sizeof(int) * 2 * (size_t)ld.n);
    assert_memory_equal(ls.count, ld.count, sizeof(long) * (size_t)ld.n);
    cell_log all = {0};
    report_confusion_cells(&rep, &dense, 1, log_cell, &all);
    assert_int_equal(all.n, K * K);
    int pd[8], ps[8];
    long cd[4], cs[4];
    int nd = report_confused_pairs(&rep, &dense, 4, pd, cd);
    int ns = report_confused_pairs(&rep, &sparse, 4, ps, cs);
    assert_int_equal(nd, 4);
    assert_int_equal(ns, nd);
    assert_memory_equal(ps, pd, sizeof pd);
    assert_memory_equal(cs, cd, sizeof cd);
    /* by count, ties in row order: 1->3 (3), 0->2 (2), 4->3 (2), 0->4 (1) */
    const int want[8] = {1, 3, 0, 2, 4, 3, 0, 4};
    assert_memory_equal(pd, want, sizeof want);
}

static void test_binary_metrics(void **state)
{
    /* tn 50, fp 10, fn 5, tp 35 */
    const long conf[4] = {50, 10, 5, 35};
    report_class_stats c[2];
    double acc;
    report_class_metrics(conf, 2, c, NULL, NULL, &acc);
    tu_close(acc, 0.85, 1e-12);
    tu_close(c[1].precision, 35.0 / 45, 1e-12);
    tu_close(c[1].recall, 35.0 / 40, 1e-12);
    tu_close(c[1].f1, 70.0 / 85, 1e-12);
}

/* ---- ROC AUC ---- */

static void test_roc_auc(void **state)
{
    double auc;
    const float s1[4] = {0.1f, 0.4f, 0.35f, 0.8f}, l1[4] = {0, 0, 1, 1};
    assert_int_equal(report_roc_auc(&auc, s1, l1, 4, NULL), DLC_OK);
    tu_close(auc, 0.75, 1e-12);
    /* ties count half */
    const float s2[4] = {0.5f, 0.5f, 0.5f, 0.5f}, l2[4] = {0, 1, 0, 1};
    report_roc_auc(&auc, s2, l2, 4, NULL);
    tu_close(auc, 0.5, 1e-12);
    const float s3[5] = {0.2f, 0.9f, 0.6f, 0.6f, 0.1f}, l3[5] = {0, 1, 1, 0, 0};
    /* pairs (pos, neg): 0.9 beats all 3; 0.6 beats 0.2 and 0.1, ties 0.6 -> 2.5; 5.5 / 6 */
    report_roc_auc(&auc, s3, l3, 5, NULL);
    tu_close(auc, 5.5 / 6, 1e-12);
    /* one class only: undefined */
    const float l4[4] = {1, 1, 1, 1};
    report_roc_auc(&auc, s1, l4, 4, NULL);
    assert_true(isnan(auc));
    report_roc_auc(&auc, s1, l1, 0, NULL);
    assert_true(isnan(auc));
}

/* ---- bias / variance ---- */

static int has_remedy(int gap, const char *words)
{
    for (const char *const *r = report_gap_remedies(gap); r && *r; r++)
        if (strstr(*r, words))
            return 1;
    return 0;
}

static void test_diagnosis_bias(void **state)
{
    report_diagnosis d;
    /* the notes' example: human 1%, train 8%, dev 10% -> avoidable bias 7% */
    report_diagnose(&d, 0.01, 0.08, NAN, 0.10, NAN);
    tu_close(d.gap[REPORT_GAP_AVOIDABLE_BIAS], 0.07, 1e-12);
    tu_close(d.gap[REPORT_GAP_VARIANCE], 0.02, 1e-12);
    assert_int_equal(d.variance_vs, REPORT_VS_DEV);
    assert_true(isnan(d.gap[REPORT_GAP_DATA_MISMATCH]));
    assert_true(isnan(d.gap[REPORT_GAP_DEV_OVERFIT]));
    assert_int_equal(d.largest, REPORT_GAP_AVOIDABLE_BIAS);
    assert_string_equal(report_gap_names[d.largest], "avoidable_bias");
    assert_true(has_remedy(d.largest, "bigger network"));
    assert_true(has_remedy(d.largest, "train longer"));
    assert_true(has_remedy(d.largest, "optimizer"));
}

static void test_diagnosis_variance(void **state)
{
    report_diagnosis d;
    /* human 7.5%, train 8%, dev 10%: variance 2% beats bias 0.5% */
    report_diagnose(&d, 0.075, 0.08, NAN, 0.10, NAN);
    tu_close(d.gap[REPORT_GAP_AVOIDABLE_BIAS], 0.005, 1e-12);
    assert_int_equal(d.largest, REPORT_GAP_VARIANCE);
    assert_true(has_remedy(d.largest, "more training data"));
    assert_true(has_remedy(d.largest, "L2"));
    assert_true(has_remedy(d.largest, "dropout"));
    assert_true(has_remedy(d.largest, "augment"));
    /* with a train-dev split the variance is train-dev - train */
    report_diagnose(&d, 0.0, 0.01, 0.09, 0.10, NAN);
    assert_int_equal(d.variance_vs, REPORT_VS_TRAIN_DEV);
    tu_close(d.gap[REPORT_GAP_VARIANCE], 0.08, 1e-12);
    tu_close(d.gap[REPORT_GAP_DATA_MISMATCH], 0.01, 1e-12);
    assert_int_equal(d.largest, REPORT_GAP_VARIANCE);
    /* no dev split: test stands in for dev (train 0%, test 6%: a variance
     * gap, not "nothing stands out"); test - dev is unknown */
    report_diagnose(&d, NAN, 0.0, NAN, NAN, 0.06);
    assert_int_equal(d.variance_vs, REPORT_VS_TEST);
    tu_close(d.gap[REPORT_GAP_VARIANCE], 0.06, 1e-12);
    assert_true(isnan(d.gap[REPORT_GAP_DEV_OVERFIT]));
    assert_int_equal(d.largest, REPORT_GAP_VARIANCE);
    assert_int_equal(report_row_gap(&d, 3), REPORT_GAP_VARIANCE);
    assert_int_equal(report_row_gap(&d, 2), REPORT_GAP_DATA_MISMATCH);
    report_diagnose_noise(&d, 500, 0, 0, 5000);
    assert_int_equal(d.largest, REPORT_GAP_VARIANCE);
    assert_true(d.noise[REPORT_GAP_VARIANCE] < 0.02);
    /* with a dev split, test keeps its own row (overfitting to dev) */
    report_diagnose(&d, NAN, 0.0, NAN, 0.05, 0.06);
    assert_int_equal(d.variance_vs, REPORT_VS_DEV);
    assert_int_equal(report_row_gap(&d, 3), REPORT_GAP_DEV_OVERFIT);
}

static void test_diagnosis_mismatch_and_dev(void **state)
{
    report_diagnosis d;
    /* train 1%, train-dev 1.5%, dev 10%: data mismatch 8.5% */
    report_diagnose(&d, 0.005, 0.01, 0.015, 0.10, 0.105);
    tu_close(d.gap[REPORT_GAP_DATA_MISMATCH], 0.085, 1e-12);
    tu_close(d.gap[REPORT_GAP_DEV_OVERFIT], 0.005, 1e-12);
    assert_int_equal(d.largest, REPORT_GAP_DATA_MISMATCH);
    assert_true(has_remedy(d.largest, "more like dev/test"));
    assert_true(has_remedy(d.largest, "collect more data"));
    assert_true(has_remedy(d.largest, "synthesis"));
    /* test much worse than dev: the dev set was overfit */
    report_diagnose(&d, 0.01, 0.02, 0.025, 0.03, 0.09);
    assert_int_equal(d.largest, REPORT_GAP_DEV_OVERFIT);
    assert_true(has_remedy(d.largest, "bigger dev set"));
}

/* A gap no larger than its sampling noise is not named: one error in 36 dev
 * examples is 2.8% and says nothing about variance. */
static void test_diagnosis_noise(void **state)
{
    report_diagnosis d;
    report_diagnose(&d, -1, 0.0, NAN, 1.0 / 36, 0.0);
    assert_int_equal(d.largest, REPORT_GAP_VARIANCE);
    assert_true(isnan(d.noise[REPORT_GAP_VARIANCE])); /* not measured yet */
    report_diagnose_noise(&d, 106, 0, 36, 36);
    assert_int_equal(d.largest, -1);
    assert_int_equal(d.within_noise, REPORT_GAP_VARIANCE);
    /* p = (e n + 1) / (n + 2): train 1/108, dev 2/38 */
    double pt = 1.0 / 108, pd = 2.0 / 38;
    tu_close(d.noise[REPORT_GAP_VARIANCE], 2 * sqrt(pt * (1 - pt) / 106 + pd * (1 - pd) / 36), 1e-12);
    tu_close(d.noise[REPORT_GAP_AVOIDABLE_BIAS], 2 * sqrt(pt * (1 - pt) / 106), 1e-12);
    assert_true(isnan(d.noise[REPORT_GAP_DATA_MISMATCH]));
    assert_null(report_gap_remedies(d.largest));
    /* the same rates on 100 times the examples: the gap stands out */
    report_diagnose(&d, -1, 0.0, NAN, 1.0 / 36, 0.0);
    report_diagnose_noise(&d, 10600, 0, 3600, 3600);
    assert_int_equal(d.largest, REPORT_GAP_VARIANCE);
    assert_int_equal(d.within_noise, -1);
    /* a gap beyond its noise is named before a larger one within it:
     * bias 20% on 1000 train examples, variance 30% on 5 dev examples */
    report_diagnose(&d, 0.0, 0.2, NAN, 0.5, NAN);
    report_diagnose_noise(&d, 1000, 0, 5, 0);
    assert_int_equal(d.largest, REPORT_GAP_AVOIDABLE_BIAS);
    assert_int_equal(d.within_noise, -1);
    assert_true(d.gap[REPORT_GAP_VARIANCE] <= d.noise[REPORT_GAP_VARIANCE]);
    /* the larger gap within its noise is named next to it */
    assert_int_equal(report_larger_within_noise(&d), REPORT_GAP_VARIANCE);
    report_diagnose(&d, 0.0, 0.2, NAN, 0.25, NAN);
    report_diagnose_noise(&d, 1000, 0, 1000, 0);
    assert_int_equal(d.largest, REPORT_GAP_AVOIDABLE_BIAS);
    assert_int_equal(report_larger_within_noise(&d), -1); /* variance 5% is smaller */
}

/* The standard error of a mean squared error, over examples: one target
 * each, the sample standard deviation of the squared errors over sqrt(n);
 * several targets, the examples (not the values) are the draws; and the
 * regression gaps' noise from it. */
static void test_mse_standard_error(void **state)
{
    (void)state;
    report_se_sums a = {0};
    const double sq[5] = {1, 4, 0, 9, 1}; /* mean 3, sample variance 13.5 */
    report_se_add(&a, sq[0], 1);
    assert_true(isnan(report_mse_se(&a))); /* one example: no spread */
    for (int i = 1; i < 5; i++)
        report_se_add(&a, sq[i], 1);
    report_se_add(&a, 123, 0);            /* no known target: not an example */
    assert_int_equal(a.n, 5);
    tu_close(report_mse_se(&a), sqrt(13.5 / 5), 1e-12);
    /* two targets per example: mse = sum / 2n, its se that of the examples'
     * own mean squared errors (1, 2 and 5) */
    report_se_sums b = {0};
    report_se_add(&b, 2, 2);
    report_se_add(&b, 4, 2);
    report_se_add(&b, 10, 2);
    double means[3] = {1, 2, 5}, m = 8.0 / 3, v = 0;
    for (int i = 0; i < 3; i++)
        v += (means[i] - m) * (means[i] - m) / 2;
    tu_close(report_mse_se(&b), sqrt(v / 3), 1e-12);
    /* one target unknown in an example: the ratio estimator's delta-method
     * form, sqrt(sum (s_i - mse c_i)^2 n / (n - 1)) / sum c_i */
    report_se_sums c = {0};
    report_se_add(&c, 2, 2);
    report_se_add(&c, 3, 1);
    report_se_add(&c, 10, 2);
    double mc = 15.0 / 5, r = (2 - 2 * mc) * (2 - 2 * mc) + (3 - mc) * (3 - mc) +
                               (10 - 2 * mc) * (10 - 2 * mc);
    tu_close(report_mse_se(&c), sqrt(r * 3 / 2) / 5, 1e-12);
    /* the gaps' noise: two standard errors of the difference; human-level exact */
    report_diagnosis d;
    report_diagnose(&d, 0.1, 0.5, NAN, 0.8, 0.9);
    report_diagnose_noise_se(&d, 0.1, 0, 0.2, 0.05);
    tu_close(d.noise[REPORT_GAP_AVOIDABLE_BIAS], 0.2, 1e-12);
    tu_close(d.noise[REPORT_GAP_VARIANCE], 2 * sqrt(0.01 + 0.04), 1e-12);
    tu_close(d.noise[REPORT_GAP_DEV_OVERFIT], 2 * sqrt(0.04 + 0.0025), 1e-12);
    assert_true(isnan(d.noise[REPORT_GAP_DATA_MISMATCH]));
    assert_int_equal(d.largest, REPORT_GAP_AVOIDABLE_BIAS); /* 0.4 > 0.2; variance 0.3 < 0.447 */
    assert_int_equal(report_larger_within_noise(&d), -1);
    /* a noise not known (one dev example) is not beyond it: one example's
     * squared error tells nothing of its split's spread */
    report_diagnose(&d, 0.4, 0.5, NAN, 0.8, NAN);
    report_diagnose_noise_se(&d, 0.01, 0, NAN, 0);
    assert_true(isnan(d.noise[REPORT_GAP_VARIANCE]));
    assert_int_equal(d.largest, REPORT_GAP_AVOIDABLE_BIAS); /* 0.1 > 0.02 */
    assert_true(report_gap_noise_unknown(&d, REPORT_GAP_VARIANCE));
    assert_int_equal(report_larger_within_noise(&d), REPORT_GAP_VARIANCE);
    report_diagnose(&d, 0.49, 0.5, NAN, 0.8, NAN);
    report_diagnose_noise_se(&d, 0.01, 0, NAN, 0);
    assert_int_equal(d.largest, -1);
    assert_int_equal(d.within_noise, REPORT_GAP_VARIANCE);
    /* a gap without any noise figure (landmark detection) is judged by size */
    report_diagnose(&d, 0.4, 0.5, NAN, 0.8, NAN);
    assert_false(report_gap_noise_unknown(&d, REPORT_GAP_VARIANCE));
    assert_int_equal(d.largest, REPORT_GAP_VARIANCE);
}

static void test_diagnosis_defaults(void **state)
{
    report_diagnosis d;
    /* no human-level error: 0 is the proxy, the gap is the train error */
    report_diagnose(&d, -1, 0.2, NAN, 0.21, NAN);
    assert_true(isnan(d.human));
    tu_close(d.human_used, 0, 0);
    tu_close(d.gap[REPORT_GAP_AVOIDABLE_BIAS], 0.2, 1e-12);
    assert_int_equal(d.largest, REPORT_GAP_AVOIDABLE_BIAS);
    /* no positive gap: nothing named */
    report_diagnose(&d, 0.05, 0.04, NAN, 0.03, 0.03);
    assert_int_equal(d.largest, -1);
    assert_null(report_gap_remedies(-1));
}

static void test_corrected_error(void **state)
{
    /* the notes: 10% dev error, 6% of the errors mislabeled -> 9.4% */
    tu_close(report_corrected_error(0.10, 0.06), 0.094, 1e-12);
    tu_close(report_corrected_error(0.10, 0.0), 0.10, 0);
    tu_close(report_corrected_error(0.10, 1.0), 0.0, 1e-15);
}

/* ---- the single-number metric ---- */

static report_config metric_config(int optimize)
{
    report_config rc = {.human_level_error = -1, .error_samples = 100, .optimize = optimize,
                        .metric_split = DATA_SPLIT_DEV};
    for (int m = 0; m < REPORT_MEASURE_COUNT; m++)
        rc.bound[m] = -1;
    return rc;
}

static void test_metric(void **state)
{
    double v[REPORT_MEASURE_COUNT];
    for (int m = 0; m < REPORT_MEASURE_COUNT; m++)
        v[m] = NAN;
    v[REPORT_M_ACCURACY] = 0.92;
    v[REPORT_M_ERROR] = 0.08;
    v[REPORT_M_LATENCY_MS] = 80;
    v[REPORT_M_PARAMS] = 2e6;
    report_metric out;
    report_config rc = metric_config(REPORT_M_ACCURACY);
    report_metric_compute(&out, &rc, v, DATA_SPLIT_DEV);
    assert_string_equal(out.name, "accuracy");
    tu_close(out.value, 0.92, 0);
    assert_true(out.higher_is_better);
    assert_true(out.constraints_met);
    assert_int_equal(out.n_constraints, 0);
    /* maximize accuracy subject to latency <= 100 ms and params <= 1e6 */
    rc.bound[REPORT_M_LATENCY_MS] = 100;
    report_metric_compute(&out, &rc, v, DATA_SPLIT_DEV);
    assert_true(out.constraints_met);
    rc.bound[REPORT_M_PARAMS] = 1e6;
    report_metric_compute(&out, &rc, v, DATA_SPLIT_DEV);
    assert_false(out.constraints_met);
    assert_int_equal(out.n_constraints, 2);
    assert_true(out.c[0].met);
    assert_false(out.c[1].met);
    assert_false(out.c[1].is_min);
    /* a minimum on accuracy; a bound on an unmeasured figure is not met */
    rc = metric_config(REPORT_M_ERROR);
    rc.bound[REPORT_M_ACCURACY] = 0.9;
    report_metric_compute(&out, &rc, v, DATA_SPLIT_DEV);
    assert_false(out.higher_is_better);
    assert_true(out.c[0].is_min && out.c[0].met);
    rc.bound[REPORT_M_AUC] = 0.5;
    report_metric_compute(&out, &rc, v, DATA_SPLIT_DEV);
    assert_false(out.constraints_met);
    /* weighted: accuracy - 0.5 * latency in seconds */
    rc = metric_config(REPORT_OPTIMIZE_WEIGHTED);
    rc.weight[REPORT_M_ACCURACY] = 1;
    rc.weight[REPORT_M_LATENCY_MS] = -0.0005;
    report_metric_compute(&out, &rc, v, DATA_SPLIT_DEV);
    assert_string_equal(out.name, "weighted");
    tu_close(out.value, 0.92 - 0.5 * 0.080, 1e-12);
    assert_true(out.higher_is_better);
}

static void test_metric_config(void **state)
{
    static const char base[] = "data: {format: csv, train: {file: x.csv}}\n"
                               "model: {layers: [{type: dense, units: 3}]}\n";
    char yaml[1024];
    dlc_config c;
    dlc_error err = {0};
    snprintf(yaml, sizeof yaml, "%sreport:\n  metric:\n    optimize: f1\n    split: test\n"
                                "    satisfice: {latency_ms: 100, params: {max: 1e6}, accuracy: {min: 0.9}}\n"
                                "    weights: {accuracy: 1, latency_ms: -0.0005}\n", base);
    assert_int_equal(config_load_string(&c, "t.yaml", yaml, strlen(yaml), NULL, 0, &err), DLC_OK);
    assert_int_equal(c.report.optimize, REPORT_M_F1);
    assert_int_equal(c.report.metric_split, DATA_SPLIT_TEST);
    tu_close(c.report.bound[REPORT_M_LATENCY_MS], 100, 0);
    tu_close(c.report.bound[REPORT_M_PARAMS], 1e6, 0);
    tu_close(c.report.bound[REPORT_M_ACCURACY], 0.9, 0);
    assert_true(c.report.bound[REPORT_M_ERROR] < 0);
    tu_close(c.report.weight[REPORT_M_LATENCY_MS], -0.0005, 0);
    config_free(&c);
    /* `metric: weighted` is the optimize shorthand; defaults: auto (accuracy here) on dev */
    snprintf(yaml, sizeof yaml, "%sreport: {metric: weighted}\n", base);
    assert_int_equal(config_load_string(&c, "t.yaml", yaml, strlen(yaml), NULL, 0, &err), DLC_OK);
    assert_int_equal(c.report.optimize, REPORT_OPTIMIZE_WEIGHTED);
    config_free(&c);
    assert_int_equal(config_load_string(&c, "t.yaml", base, strlen(base), NULL, 0, &err), DLC_OK);
    assert_int_equal(c.report.optimize, REPORT_OPTIMIZE_AUTO);
    assert_int_equal(c.report.metric_split, DATA_SPLIT_DEV);
    config_free(&c);
    /* a bound in the wrong direction names the right one */
    snprintf(yaml, sizeof yaml, "%sreport: {metric: {satisfice: {accuracy: {max: 0.9}}}}\n", base);
    assert_int_equal(config_load_string(&c, "t.yaml", yaml, strlen(yaml), NULL, 0, &err), DLC_EINPUT);
    assert_non_null(strstr(err.msg, "report.metric.satisfice.accuracy.max"));
    assert_non_null(strstr(err.msg, "min"));
    snprintf(yaml, sizeof yaml, "%sreport: {metric: {satisfice: {latency: 3}}}\n", base);
    assert_int_equal(config_load_string(&c, "t.yaml", yaml, strlen(yaml), NULL, 0, &err), DLC_EINPUT);
    assert_non_null(strstr(err.msg, "latency_ms"));
    snprintf(yaml, sizeof yaml, "%sreport: {metric: {optimize: speed}}\n", base);
    assert_int_equal(config_load_string(&c, "t.yaml", yaml, strlen(yaml), NULL, 0, &err), DLC_EINPUT);
    snprintf(yaml, sizeof yaml, "%sreport: {metric: {satisfice: {error: 1.5}}}\n", base);
    assert_int_equal(config_load_string(&c, "t.yaml", yaml, strlen(yaml), NULL, 0, &err), DLC_EINPUT);
}

/* ---- tags ---- */

static void parse_ok(report_tally *t, const char *text)
{
    dlc_error err = {0};
    if (report_tags_parse(t, "errors.csv", text, strlen(text), &err) != DLC_OK) {
        print_error("unexpected error: %s\n", err.msg);
        fail();
    }
}

static const report_tag *tag(const report_tally *t, const char *name)
{
    for (int k = 0; k < t->n_tags; k++)
        if (strcmp(t->tags[k].name, name) == 0)
            return &t->tags[k];
    return NULL;
}

static void test_tags_tally(void **state)
{
    /* 10 sampled errors: 6 blurry, 3 with the free word "dark", 1 mislabeled
     * (as the notes' 100-error example, scaled), 2 untagged */
    report_tally t;
    parse_ok(&t, "\xEF\xBB\xBFid,true,predicted,confidence,image,mislabeled,blurry,tags\r\n"
                 "1,cat,dog,0.9,1.png,,x,\r\n"
                 "2,cat,dog,0.8,2.png,,X,dark\r\n"
                 "3,dog,cat,0.7,3.png,yes,,\r\n"
                 "4,dog,cat,0.7,4.png,,1,\"dark; small\"\r\n"
                 "5,dog,cat,0.7,5.png,,true,\r\n"
                 "6,dog,cat,0.7,6.png,0,x,\r\n"
                 "\r\n"
                 "7,dog,cat,0.7,7.png,no,,dark\r\n"
                 "8,dog,cat,0.7,8.png,,x,Dark\r\n"
                 "9,dog,cat,0.7,9.png,,,\r\n"
                 "10,\"a, b\",cat,0.7,10.png,,,\r\n");
    report_tally_finish(&t, 0.10);
    assert_int_equal(t.rows, 10);
    assert_int_equal(t.untagged, 2);
    assert_int_equal(tag(&t, "blurry")->count, 6);
    assert_int_equal(tag(&t, "dark")->count, 4); /* words match without regard to case */
    assert_int_equal(tag(&t, "small")->count, 1);
    assert_int_equal(tag(&t, "mislabeled")->count, 1);
    tu_close(tag(&t, "blurry")->share, 0.6, 1e-12);
    tu_close(tag(&t, "blurry")->ceiling, 0.06, 1e-12);
    /* sorted by ceiling */
    assert_string_equal(t.tags[0].name, "blurry");
    assert_string_equal(t.tags[1].name, "dark");
    for (int k = 1; k < t.n_tags; k++)
        assert_true(t.tags[k - 1].ceiling >= t.tags[k].ceiling);
    tu_close(t.mislabeled_share, 0.1, 1e-12);
    tu_close(t.corrected_error, 0.09, 1e-12);
    tu_close(t.error_from_mislabels, 0.01, 1e-12);
    report_tally_free(&t);
}

static void test_tags_notes_example(void **state)
{
    /* 100 sampled errors, 6 mislabeled, dev error 10% -> 9.4% */
    char text[8192];
    size_t n = (size_t)snprintf(text, sizeof text, "id,true,predicted,mislabeled\n");
    for (int i = 0; i < 100; i++)
        n += (size_t)snprintf(text + n, sizeof text - n, "%d,a,b,%s\n", i, i < 6 ? "x" : "");
    report_tally t;
    parse_ok(&t, text);
    report_tally_finish(&t, 0.10);
    tu_close(t.corrected_error, 0.094, 1e-12);
    tu_close(t.error_from_mislabels, 0.006, 1e-12);
    assert_int_equal(t.untagged, 94);
    report_tally_free(&t);
    /* no tags at all: a header and rows only */
    parse_ok(&t, "id,true,predicted\n3,a,b\n");
    report_tally_finish(&t, NAN);
    assert_int_equal(t.n_tags, 0);
    assert_int_equal(t.untagged, 1);
    report_tally_free(&t);
}

static void expect_tags_error(const char *text, const char *want)
{
    report_tally t;
    dlc_error err = {0};
    dlc_status s = report_tags_parse(&t, "errors.csv", text, strlen(text), &err);
    if (s != DLC_EINPUT || !strstr(err.msg, want)) {
        print_error("status %d, message: %s\nwanted: %s\n", (int)s, err.msg, want);
        if (s == DLC_OK)
            report_tally_free(&t);
        fail();
    }
}

static void test_tags_malformed(void **state)
{
    expect_tags_error("", "errors.csv: empty");
    expect_tags_error("\n\n", "errors.csv: empty");
    expect_tags_error("true,predicted,blurry\n", "errors.csv:1: no 'id' column");
    expect_tags_error("id,true,blurry\n", "no 'predicted' column");
    expect_tags_error("id,true,predicted,blurry,Blurry\n", "errors.csv:1: column 'Blurry' appears twice");
    expect_tags_error("id,true,predicted,blurry\n1,a,b\n", "errors.csv:2: 3 fields, but the header has 4");
    expect_tags_error("id,true,predicted,blurry\n1,a,b,x,y\n", "errors.csv:2: 5 fields");
    expect_tags_error("id,true,predicted,blurry\n1,a,b,x\n2,\"a,b,x\n", "errors.csv:3: a quoted field is never closed");
    expect_tags_error("id,true,predicted,blurry\n1,a,b,maybe\n",
                      "errors.csv:2: column 'blurry': 'maybe' is not a mark");
    expect_tags_error("id,true,predicted\nseven,a,b\n", "errors.csv:2: id 'seven' is not an example number");
    expect_tags_error("id,true,predicted\n-1,a,b\n", "id '-1'");
    expect_tags_error("id,true,predicted\n4,a,b\n4,a,c\n", "errors.csv: id 4 appears twice");
    expect_tags_error("id,true,predicted\n4,a\"b,c\n", "a quote inside an unquoted field");
    expect_tags_error("id,true,predicted\n4,\"a\"b,c\n", "text after a closing quote");
    expect_tags_error("id,true,predicted,\n4,a,b,x\n", "column 4 has no name");
    static const char nul[] = "id,true,predicted\n4,a\0,b\n";
    report_tally t;
    dlc_error err = {0};
    assert_int_equal(report_tags_parse(&t, "errors.csv", nul, sizeof nul - 1, &err), DLC_EINPUT);
    assert_non_null(strstr(err.msg, "NUL"));
}

/* Per-class figures and averages against scikit-learn's on the same
 * predictions (tests/data/make_metrics_reference.py): classes that occur in
 * neither the truth nor the predictions stay out of the macro average. */
static void check_sklearn(const char *name)
{
    tu_ref *r = tu_ref_load(name);
    assert_non_null(r);
    size_t n, nt;
    int K = (int)tu_ref_get(r, "K", NULL)[0];
    const float *yt = tu_ref_get(r, "y_true", &n), *yp = tu_ref_get(r, "y_pred", &nt);
    assert_int_equal(n, nt);
    long *conf = calloc((size_t)K * K, sizeof *conf);
    report_class_stats *cls = calloc((size_t)K, sizeof *cls);
    assert_true(conf && cls);
    for (size_t i = 0; i < n; i++)
        conf[(size_t)yt[i] * K + (size_t)yp[i]]++;
    report_avg macro, weighted;
    double acc;
    report_class_metrics(conf, K, cls, &macro, &weighted, &acc);
    const float *m = tu_ref_get(r, "macro", NULL), *w = tu_ref_get(r, "weighted", NULL);
    const float *pc = tu_ref_get(r, "per_class", NULL);
    tu_close(macro.precision, m[0], 1e-6);
    tu_close(macro.recall, m[1], 1e-6);
    tu_close(macro.f1, m[2], 1e-6);
    tu_close(weighted.precision, w[0], 1e-6);
    tu_close(weighted.recall, w[1], 1e-6);
    tu_close(weighted.f1, w[2], 1e-6);
    tu_close(acc, tu_ref_get(r, "accuracy", NULL)[0], 1e-6);
    for (int k = 0; k < K; k++) {
        tu_close(cls[k].precision, pc[4 * k], 1e-6);
        tu_close(cls[k].recall, pc[4 * k + 1], 1e-6);
        tu_close(cls[k].f1, pc[4 * k + 2], 1e-6);
        assert_int_equal(cls[k].support, (long)pc[4 * k + 3]);
    }
    free(conf);
    free(cls);
    tu_ref_free(r);
}

static void test_sklearn_averages(void **state)
{
    (void)state;
    check_sklearn("metrics_absent");
    check_sklearn("metrics_all");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sklearn_averages),
        cmocka_unit_test(test_class_metrics_never_predicted),
        cmocka_unit_test(test_class_metrics_empty_and_absent),
        cmocka_unit_test(test_sparse_confusion),
        cmocka_unit_test(test_binary_metrics),
        cmocka_unit_test(test_roc_auc),
        cmocka_unit_test(test_diagnosis_bias),
        cmocka_unit_test(test_diagnosis_variance),
        cmocka_unit_test(test_diagnosis_mismatch_and_dev),
        cmocka_unit_test(test_diagnosis_noise),
        cmocka_unit_test(test_mse_standard_error),
        cmocka_unit_test(test_diagnosis_defaults),
        cmocka_unit_test(test_corrected_error),
        cmocka_unit_test(test_metric),
        cmocka_unit_test(test_metric_config),
        cmocka_unit_test(test_tags_tally),
        cmocka_unit_test(test_tags_notes_example),
        cmocka_unit_test(test_tags_malformed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
