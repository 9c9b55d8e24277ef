/* metrics.c - confusion-matrix figures, ROC AUC, and the bias / variance
 * diagnosis with the notes' remedies. */
#include "metrics.h"

#include <math.h>
#include <stdlib.h>

static double ratio(double a, double b)
{
    return b > 0 ? a / b : 0.0;
}

void report_class_metrics_counted(report_class_stats *cls, int K, report_avg *macro,
                                  report_avg *weighted, double *accuracy)
{
    double total = 0, trace = 0, present = 0;
    report_avg ma = {0, 0, 0}, wa = {0, 0, 0};
    for (int c = 0; c < K; c++) {
        report_class_stats *s = &cls[c];
        s->precision = ratio((double)s->tp, (double)s->predicted);
        s->recall = ratio((double)s->tp, (double)s->support);
        s->f1 = ratio(2 * s->precision * s->recall, s->precision + s->recall);
        total += (double)s->support;
        trace += (double)s->tp;
        /* as scikit-learn: a class neither present nor predicted is not a label of the
         * split, and stays out of the macro average */
        if (s->support > 0 || s->predicted > 0) {
            present++;
            ma.precision += s->precision;
            ma.recall += s->recall;
            ma.f1 += s->f1;
        }
        wa.precision += s->precision * (double)s->support;
        wa.recall += s->recall * (double)s->support;
        wa.f1 += s->f1 * (double)s->support;
    }
    if (macro)
        *macro = (report_avg){ratio(ma.precision, present), ratio(ma.recall, present),
                              ratio(ma.f1, present)};
    if (weighted)
        *weighted = (report_avg){ratio(wa.precision, total), ratio(wa.recall, total),
                                 ratio(wa.f1, total)};
    if (accuracy)
        *accuracy = total > 0 ? trace / total : NAN;
}

void report_class_metrics(const long *conf, int K, report_class_stats *cls, report_avg *macro,
                          report_avg *weighted, double *accuracy)
{
    for (int c = 0; c < K; c++) {
        report_class_stats s = {0, 0, conf[(size_t)c * K + c], 0, 0, 0};
        for (int j = 0; j < K; j++) {
            s.support += conf[(size_t)c * K + j];
            s.predicted += conf[(size_t)j * K + c];
        }
        cls[c] = s;
    }
    report_class_metrics_counted(cls, K, macro, weighted, accuracy);
}

typedef struct {
    float score;
    float label;
} scored;

static int by_score(const void *a, const void *b)
{
    float x = ((const scored *)a)->score, y = ((const scored *)b)->score;
    return (x > y) - (x < y);
}

dlc_status report_roc_auc(double *auc, const float *score, const float *label, long n,
                          dlc_error *err)
{
    *auc = NAN;
    if (n <= 0)
        return DLC_OK;
    scored *v = malloc(sizeof *v * (size_t)n);
    if (!v)
        return DLC_NOMEM(err);
    for (long i = 0; i < n; i++)
        v[i] = (scored){isnan(score[i]) ? -INFINITY : score[i], label[i]};
    qsort(v, (size_t)n, sizeof *v, by_score);
    /* Mann-Whitney U: sum of the positives' ranks (1-based, ties averaged) */
    double pos = 0, rank_sum = 0;
    for (long i = 0; i < n;) {
        long j = i;
        while (j < n && v[j].score == v[i].score)
            j++;
        double mean_rank = (double)(i + 1 + j) / 2.0; /* ranks i+1 .. j */
        for (long k = i; k < j; k++)
            if (v[k].label > 0.5f) {
                pos++;
                rank_sum += mean_rank;
            }
        i = j;
    }
    double neg = (double)n - pos;
    if (pos > 0 && neg > 0)
        *auc = (rank_sum - pos * (pos + 1) / 2.0) / (pos * neg);
    free(v);
    return DLC_OK;
}

/* ---- verification ---- */

typedef struct {
    double d;
    float same;
} pair_d;

static int by_distance(const void *a, const void *b)
{
    double x = ((const pair_d *)a)->d, y = ((const pair_d *)b)->d;
    return (x > y) - (x < y);
}

/* Between sorted distances i - 1 and i (the ends: a step outside). */
static double cut_between(const pair_d *v, long n, long i)
{
    if (i == 0)
        return v[0].d - 1e-6 * (fabs(v[0].d) + 1);
    if (i == n)
        return v[n - 1].d + 1e-6 * (fabs(v[n - 1].d) + 1);
    return 0.5 * (v[i - 1].d + v[i].d);
}

dlc_status report_verify_points(report_verify_point *out, const double *d, const float *same,
                                long n, dlc_error *err)
{
    *out = (report_verify_point){NAN, NAN, NAN, NAN};
    double pos = 0;
    for (long i = 0; i < n; i++)
        pos += same[i] > 0.5f;
    double neg = (double)n - pos;
    if (!(pos > 0 && neg > 0))
        return DLC_OK;
    pair_d *v = malloc(sizeof *v * (size_t)n);
    if (!v)
        return DLC_NOMEM(err);
    for (long i = 0; i < n; i++)
        v[i] = (pair_d){isnan(d[i]) ? INFINITY : d[i], same[i]};
    qsort(v, (size_t)n, sizeof *v, by_distance);
    /* cut before sorted pair i: the first i are called same */
    double same_below = 0, diff_below = 0, best_gap = INFINITY;
    for (long i = 0; i <= n; i++) {
        if (i > 0) {
            same_below += v[i - 1].same > 0.5f;
            diff_below += v[i - 1].same <= 0.5f;
        }
        if (i > 0 && i < n && v[i].d == v[i - 1].d)
            continue; /* a cut inside a tie does not exist */
        double acc = (same_below + (neg - diff_below)) / (double)n;
        if (isnan(out->accuracy) || acc > out->accuracy) {
            out->accuracy = acc;
            out->threshold = cut_between(v, n, i);
        }
        double far = diff_below / neg, frr = (pos - same_below) / pos;
        if (fabs(far - frr) < best_gap) {
            best_gap = fabs(far - frr);
            out->eer = 0.5 * (far + frr);
            out->eer_threshold = cut_between(v, n, i);
        }
    }
    free(v);
    return DLC_OK;
}

double report_verify_accuracy(const double *d, const float *same, long n, double t)
{
    if (n <= 0)
        return NAN;
    double right = 0;
    for (long i = 0; i < n; i++)
        right += (d[i] < t) == (same[i] > 0.5f);
    return right / (double)n;
}

/* ---- the standard error of a mean squared error ---- */

void report_se_add(report_se_sums *a, double s, double c)
{
    if (!(c > 0))
        return;
    a->s += s;
    a->c += c;
    a->ss += s * s;
    a->sc += s * c;
    a->cc += c * c;
    a->n++;
}

double report_mse_se(const report_se_sums *a)
{
    if (a->n < 2)
        return NAN;
    double m = a->s / a->c;
    double dev2 = fmax(a->ss - 2.0 * m * a->sc + m * m * a->cc, 0.0);
    return sqrt(dev2 * (double)a->n / (double)(a->n - 1)) / a->c;
}

/* ---- diagnosis ---- */

const char *const report_variance_vs_names[3] = {"train_dev", "dev", "test"};

const char *const report_gap_names[REPORT_GAP_COUNT + 1] = {
    "avoidable_bias", "variance", "data_mismatch", "dev_overfitting", NULL};
const char *const report_gap_titles[REPORT_GAP_COUNT] = {
    "avoidable bias", "variance", "data mismatch", "overfitting to dev"};

static const char *const remedies_bias[] = {
    "train a bigger network (more units or layers)",
    "train longer",
    "use a better optimizer (momentum, RMSprop, Adam)",
    "try another architecture or hyperparameters",
    NULL};
static const char *const remedies_variance[] = {
    "get more training data",
    "add regularization: L2 (train.l2) or dropout",
    "augment the training data",
    "try another architecture or hyperparameters",
    NULL};
static const char *const remedies_mismatch[] = {
    "study how training data differs from dev/test (error analysis by hand)",
    "make the training data more like dev/test (e.g. artificial data synthesis)",
    "collect more data like dev/test",
    NULL};
static const char *const remedies_dev[] = {
    "get a bigger dev set",
    NULL};

const char *const *report_gap_remedies(int gap)
{
    static const char *const *const all[REPORT_GAP_COUNT] = {remedies_bias, remedies_variance,
                                                             remedies_mismatch, remedies_dev};
    return gap >= 0 && gap < REPORT_GAP_COUNT ? all[gap] : NULL;
}

/* Adam's steps of about lr a weight cannot carry an output to targets in the
 * hundreds or thousands in any number of epochs a bigger network would get:
 * 100 epochs on a table of prices near 75,000 ended with train R2 -14, and
 * standardized targets gave 0.97 */
static const char *const remedies_bias_unscaled[] = {
    "data.normalize_targets: standard (the targets are far from 1 in scale, and the outputs "
    "start near 0: learned standardized, they are given back in their units)",
    "train a bigger network (more units or layers)",
    "train longer",
    "use a better optimizer (momentum, RMSprop, Adam)",
    "try another architecture or hyperparameters",
    NULL};

const char *const *report_remedies(const report_diagnosis *d)
{
    if (d->unscaled_targets && d->largest == REPORT_GAP_AVOIDABLE_BIAS)
        return remedies_bias_unscaled;
    return report_gap_remedies(d->largest);
}

void report_diagnose(report_diagnosis *d, double human, double train, double train_dev, double dev,
                     double test)
{
    d->human = human >= 0 ? human : NAN;
    d->human_used = human >= 0 ? human : 0.0;
    d->train = train;
    d->train_dev = train_dev;
    d->dev = dev;
    d->test = test;
    d->variance_vs = !isnan(train_dev)            ? REPORT_VS_TRAIN_DEV
                     : !isnan(dev) || isnan(test) ? REPORT_VS_DEV
                                                  : REPORT_VS_TEST;
    double vs[] = {[REPORT_VS_TRAIN_DEV] = train_dev, [REPORT_VS_DEV] = dev, [REPORT_VS_TEST] = test};
    d->gap[REPORT_GAP_AVOIDABLE_BIAS] = train - d->human_used;
    d->gap[REPORT_GAP_VARIANCE] = vs[d->variance_vs] - train;
    d->gap[REPORT_GAP_DATA_MISMATCH] = dev - train_dev;
    d->gap[REPORT_GAP_DEV_OVERFIT] = test - dev;
    d->largest = -1;
    d->within_noise = -1;
    d->noise_measured = 0;
    d->no_better_than_mean = 0;
    d->train_mean_mse = NAN;
    d->unscaled_targets = 0;
    d->no_better_than_majority = 0;
    d->majority_class = -1;
    d->train_majority_error = NAN;
    d->untold_source = -1;
    for (int g = 0; g < REPORT_GAP_COUNT; g++) {
        d->noise[g] = NAN;
        if (d->gap[g] > 0 && (d->largest < 0 || d->gap[g] > d->gap[d->largest]))
            d->largest = g;
    }
}

int report_row_gap(const report_diagnosis *d, int split)
{
    switch (split) {
    case 0: return REPORT_GAP_AVOIDABLE_BIAS;
    case 1: return d->variance_vs == REPORT_VS_TRAIN_DEV ? REPORT_GAP_VARIANCE : -1;
    case 2: return d->variance_vs == REPORT_VS_DEV ? REPORT_GAP_VARIANCE : REPORT_GAP_DATA_MISMATCH;
    case 3: return d->variance_vs == REPORT_VS_TEST ? REPORT_GAP_VARIANCE : REPORT_GAP_DEV_OVERFIT;
    default: return -1;
    }
}

/* p(1 - p) / n of an error rate over n examples, add-one smoothed; 0 for an
 * absent split */
static double rate_variance(double err, long n)
{
    if (n <= 0 || isnan(err))
        return 0;
    double p = (err * (double)n + 1.0) / ((double)n + 2.0);
    return p * (1.0 - p) / (double)n;
}

void report_diagnose_noise_se(report_diagnosis *d, double se_train, double se_train_dev,
                              double se_dev, double se_test)
{
    double v_train = se_train * se_train, v_td = se_train_dev * se_train_dev,
           v_dev = se_dev * se_dev, v_test = se_test * se_test;
    double var[REPORT_GAP_COUNT] = {
        [REPORT_GAP_AVOIDABLE_BIAS] = v_train,
        [REPORT_GAP_VARIANCE] = (d->variance_vs == REPORT_VS_TRAIN_DEV ? v_td
                                 : d->variance_vs == REPORT_VS_DEV     ? v_dev
                                                                       : v_test) + v_train,
        [REPORT_GAP_DATA_MISMATCH] = v_dev + v_td,
        [REPORT_GAP_DEV_OVERFIT] = v_test + v_dev,
    };
    d->largest = -1;
    d->within_noise = -1;
    d->noise_measured = 1;
    for (int g = 0; g < REPORT_GAP_COUNT; g++) {
        d->noise[g] = isnan(d->gap[g]) ? NAN : 2.0 * sqrt(var[g]);
        if (!(d->gap[g] > 0))
            continue;
        /* a noise not known (a split of one example) is not beyond: one
         * example's squared error says nothing of the split's spread */
        if (d->gap[g] > d->noise[g]) {
            if (d->largest < 0 || d->gap[g] > d->gap[d->largest])
                d->largest = g;
        } else if (d->within_noise < 0 || d->gap[g] > d->gap[d->within_noise]) {
            d->within_noise = g;
        }
    }
    if (d->largest >= 0)
        d->within_noise = -1;
}

void report_diagnose_noise(report_diagnosis *d, long n_train, long n_train_dev, long n_dev,
                           long n_test)
{
    report_diagnose_noise_se(d, sqrt(rate_variance(d->train, n_train)),
                             sqrt(rate_variance(d->train_dev, n_train_dev)),
                             sqrt(rate_variance(d->dev, n_dev)), sqrt(rate_variance(d->test, n_test)));
}

int report_larger_within_noise(const report_diagnosis *d)
{
    int noisy = -1;
    for (int g = 0; d->largest >= 0 && g < REPORT_GAP_COUNT; g++)
        if (d->gap[g] > d->gap[d->largest] &&
            (report_gap_noise_unknown(d, g) || (!isnan(d->noise[g]) && !(d->gap[g] > d->noise[g]))) &&
            (noisy < 0 || d->gap[g] > d->gap[noisy]))
            noisy = g;
    return noisy;
}

int report_gap_noise_unknown(const report_diagnosis *d, int g)
{
    return d->noise_measured && d->gap[g] > 0 && isnan(d->noise[g]);
}

double report_corrected_error(double dev_error, double mislabeled_share)
{
    return dev_error * (1.0 - mislabeled_share);
}
