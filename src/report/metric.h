/* metric.h - the single-number evaluation metric: one measure to optimize
 * (or a weighted sum of measures) with satisficing bounds, as the config's
 * report.metric says. */
#ifndef DLC_REPORT_METRIC_H
#define DLC_REPORT_METRIC_H

#include "../config/report_config.h"

typedef struct {
    int measure;     /* report_measure */
    int is_min;      /* the bound is a minimum (else a maximum) */
    double bound;
    double value;    /* NaN when it could not be measured: then not met */
    int met;
} report_constraint;

typedef struct {
    char name[80];           /* "accuracy", ..., "weighted", or "head.measure" */
    int split;               /* data_split_kind actually used */
    double value;            /* NaN when it could not be computed */
    int higher_is_better;
    int constraints_met;
    int n_constraints;
    report_constraint c[REPORT_MEASURE_COUNT];
} report_metric;

/* Computes the metric from the measured values v[REPORT_MEASURE_COUNT] (NaN
 * where a measure does not apply) on split `split`; rc->optimize is a
 * measure or weighted (auto is resolved by the caller).  A weighted sum skips
 * measures with weight 0 and is NaN when a weighted measure is NaN. */
void report_metric_compute(report_metric *out, const report_config *rc, const double *v, int split);

#endif
