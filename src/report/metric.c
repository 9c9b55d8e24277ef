/* metric.c - the single-number evaluation metric (see metric.h). */
#include "metric.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>

void report_metric_compute(report_metric *out, const report_config *rc, const double *v, int split)
{
    snprintf(out->name, sizeof out->name, "%s%s%s", rc->metric_head, rc->metric_head[0] ? "." : "",
             report_optimize_names[rc->optimize]);
    out->split = split;
    out->higher_is_better = report_measure_higher_is_better(rc->optimize);
    if (rc->optimize == REPORT_OPTIMIZE_WEIGHTED) {
        double sum = 0;
        for (int m = 0; m < REPORT_MEASURE_COUNT; m++)
            if (rc->weight[m] != 0)
                sum += rc->weight[m] * v[m];
        out->value = sum;
    } else {
        out->value = v[rc->optimize];
    }
    out->constraints_met = 1;
    out->n_constraints = 0;
    for (int m = 0; m < REPORT_MEASURE_COUNT; m++) {
        if (rc->bound[m] < 0)
            continue;
        report_constraint *c = &out->c[out->n_constraints++];
        c->measure = m;
        c->is_min = report_measure_higher_is_better(m);
        c->bound = rc->bound[m];
        c->value = v[m];
        c->met = !isnan(v[m]) && (c->is_min ? v[m] >= c->bound : v[m] <= c->bound);
        out->constraints_met &= c->met;
    }
}
