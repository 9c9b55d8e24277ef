/* metrics.h - metric functions on counts and scores, with no knowledge of
 * models or files: the confusion matrix and what it gives (per-class
 * precision, recall and F1, macro and weighted averages), ROC AUC, the
 * verification threshold and equal error rate, and the bias / variance /
 * data-mismatch diagnosis.
 *
 * Conventions, as scikit-learn's defaults (zero_division=0): a class never
 * predicted has precision 0, a class never present has recall 0, and F1 is 0
 * when precision + recall is 0.  Macro averages weigh every class equally
 * among those present in the split or predicted (a class with neither, such
 * as <pad> in a character model, is left out, as scikit-learn's labels are
 * those of y_true and y_pred); weighted averages weigh by support.
 */
#ifndef DLC_REPORT_METRICS_H
#define DLC_REPORT_METRICS_H

#include "../base/error.h"

typedef struct {
    long support;     /* examples whose true class it is */
    long predicted;   /* examples predicted as it */
    long tp;          /* both */
    double precision, recall, f1;
} report_class_stats;

typedef struct {
    double precision, recall, f1;
} report_avg;

/* From a confusion matrix conf (K, K) (rows true class, columns predicted):
 * per-class figures into cls (K), averages, and accuracy (trace / total; NaN
 * for an empty matrix).  macro, weighted and accuracy may be NULL. */
void report_class_metrics(const long *conf, int K, report_class_stats *cls, report_avg *macro,
                          report_avg *weighted, double *accuracy);
/* The same from per-class counts already in cls (K): support, predicted and
 * tp set, the figures filled in (for many classes, without a K x K matrix). */
void report_class_metrics_counted(report_class_stats *cls, int K, report_avg *macro,
                                  report_avg *weighted, double *accuracy);

/* Area under the ROC curve of scores against 0/1 labels (n), by ranks (ties
 * get the mean rank): the chance a random positive outscores a random
 * negative.  NaN when either class is absent.  ENOMEM only. */
dlc_status report_roc_auc(double *auc, const float *score, const float *label, long n,
                          dlc_error *err);

/* ---- verification: distances of pairs against same (1) / different (0) ----
 * A pair is called "same" when its distance is below a threshold t. */

typedef struct {
    double threshold;   /* best accuracy: between two neighbouring distances */
    double accuracy;
    double eer;         /* equal error rate: where the false accept rate (different
                         * pairs below t) meets the false reject rate (same pairs at or
                         * above t), their mean there */
    double eer_threshold;
} report_verify_point;

/* The threshold of best accuracy and the equal error rate of n pairs
 * (distances d, labels same).  NaN figures when either kind of pair is
 * absent.  ENOMEM only. */
dlc_status report_verify_points(report_verify_point *out, const double *d, const float *same,
                                long n, dlc_error *err);

/* The share of n pairs called right at threshold t (NaN for n = 0). */
double report_verify_accuracy(const double *d, const float *same, long n, double t);

/* ---- the standard error of a mean squared error ---- */

/* Per-example sums for the standard error of mse = sum(s_i) / sum(c_i), with
 * s_i an example's summed squared errors over its c_i known targets (a ratio
 * estimator: examples are the independent draws, not target values). */
typedef struct {
    double s, c, ss, sc, cc; /* sums of s_i, c_i, s_i^2, s_i c_i, c_i^2 */
    long n;                  /* examples with c_i > 0 */
} report_se_sums;

/* Adds one example's squared errors s over c known targets (c = 0: none). */
void report_se_add(report_se_sums *a, double s, double c);

/* sqrt(sum (s_i - mse c_i)^2 * n / (n - 1)) / sum c_i: for one target per
 * example the sample standard deviation of the squared errors over sqrt(n).
 * NaN below 2 examples (one example says nothing of the spread). */
double report_mse_se(const report_se_sums *a);

/* ---- bias / variance / data mismatch ---- */

typedef enum {
    REPORT_GAP_AVOIDABLE_BIAS, /* train - human-level */
    REPORT_GAP_VARIANCE,       /* train-dev - train (dev - train without a train-dev split) */
    REPORT_GAP_DATA_MISMATCH,  /* dev - train-dev */
    REPORT_GAP_DEV_OVERFIT,    /* test - dev */
    REPORT_GAP_COUNT
} report_gap;

/* The split variance is measured on: train-dev when there is one, else dev,
 * else test (no dev split: test stands in for it, and test - dev is unknown) */
typedef enum { REPORT_VS_TRAIN_DEV, REPORT_VS_DEV, REPORT_VS_TEST } report_variance_vs;
extern const char *const report_variance_vs_names[3];   /* "train_dev", "dev", "test" */

extern const char *const report_gap_names[REPORT_GAP_COUNT + 1];   /* "avoidable_bias", ... */
extern const char *const report_gap_titles[REPORT_GAP_COUNT];      /* "avoidable bias", ... */

typedef struct {
    double human;          /* as given; NaN when not given */
    double human_used;     /* the proxy used: human, or 0 when not given */
    double train, train_dev, dev, test;   /* errors; NaN for an absent split */
    double gap[REPORT_GAP_COUNT];          /* NaN when its splits are absent */
    report_variance_vs variance_vs;   /* the split the variance gap is measured on */
    int largest;           /* the largest positive gap (beyond its noise when that is
                            * known), -1 when none is */
    /* sampling noise (report_diagnose_noise, _se): two standard errors of each
     * gap, from the splits' sizes (error rates) or their squared errors'
     * spread (regression); NaN when not known (not measured, an absent gap) */
    double noise[REPORT_GAP_COUNT];
    int within_noise;      /* the largest positive gap when no gap is beyond its
                            * noise (largest is then -1); else -1 */
    int noise_measured;    /* report_diagnose_noise(_se) ran: the NaN noise of a
                            * present gap is then that of a split of fewer than 2
                            * examples, which cannot be told from chance */
    /* regression without a human-level figure: the train mse is no lower
     * than train_mean_mse, that of predicting the mean target; largest is then
     * avoidable bias, of unknown size (its gap stays NaN) */
    int no_better_than_mean;
    double train_mean_mse;
    /* regression of targets far from 1 in scale (train mse over 100) learned
     * raw (data.normalize_targets: none), no better on train than the mean
     * target: the outputs never reached the targets' scale, and the first
     * remedy is data.normalize_targets: standard */
    int unscaled_targets;
    /* classification: the train error is no lower than train_majority_error,
     * that of always predicting train's most frequent class (majority_class;
     * a 90/10 split's 10%); largest is then avoidable bias.  -1 / NaN when not
     * measured */
    int no_better_than_majority;
    int majority_class;
    double train_majority_error;
    /* data.sources without a train-dev split: a source the training mix
     * draws on and dev does not (the first), whose difference from dev's
     * data the variance gap (dev - train) holds as well; -1 when none */
    int untold_source;
} report_diagnosis;

/* The gap shown on the row of split i of a diagnosis table (0 train, 1
 * train-dev, 2 dev, 3 test): the gap ending at that split, -1 for none. */
int report_row_gap(const report_diagnosis *d, int split);

/* Fills d from the errors of each split (NaN for absent splits) and the
 * human-level error (negative or NaN: not given, 0 is used). */
void report_diagnose(report_diagnosis *d, double human, double train, double train_dev, double dev,
                     double test);

/* Error rates measured on n_* examples (0: the split is absent) are
 * binomial estimates: each gap's noise is two standard errors of the
 * difference, sqrt(sum p(1 - p) / n) over its splits with p = (errors + 1) /
 * (n + 2) (a split without errors is not certain), the human-level figure
 * taken as exact.  The largest gap is then chosen among those beyond their
 * noise: on 36 dev examples one error is 2.8% and tells nothing, so a gap of
 * that size is named within_noise and no remedy is given. */
void report_diagnose_noise(report_diagnosis *d, long n_train, long n_train_dev, long n_dev,
                           long n_test);

/* The same from each split's error's standard error (0 for an absent split;
 * NaN: a split of fewer than 2 examples, whose spread is unknown: a gap over
 * it is never named beyond noise, as one example tells nothing of it), as
 * regression's mean squared errors have (report_mse_se).  Each gap's noise is
 * two standard errors of the difference, the human-level figure exact. */
void report_diagnose_noise_se(report_diagnosis *d, double se_train, double se_train_dev,
                              double se_dev, double se_test);

/* The largest gap larger than d->largest but within its noise (the named
 * one is then the largest *beyond* noise), or -1. */
int report_larger_within_noise(const report_diagnosis *d);

/* 1 when gap g is positive and its noise could not be measured: a split of
 * fewer than 2 examples (report_diagnose_noise_se), not a gap without a
 * noise figure at all (landmark detection). */
int report_gap_noise_unknown(const report_diagnosis *d, int g);

/* The remedies the notes give for a gap, NULL-terminated. */
const char *const *report_gap_remedies(int gap);
/* The remedies for d's largest gap: report_gap_remedies', led by
 * data.normalize_targets when d->unscaled_targets. */
const char *const *report_remedies(const report_diagnosis *d);

/* Dev error corrected for mislabeled examples: dev_error * (1 - share),
 * share = mislabeled errors / sampled errors (10% with 6% -> 9.4%). */
double report_corrected_error(double dev_error, double mislabeled_share);

#endif
