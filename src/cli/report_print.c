/* report_print.c - a report on the terminal: figures per split, per-class
 * table, the single-number metric, and the bias / variance diagnosis with
 * what to do next.  Shared by `dlc train` and `dlc eval`. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "report_print.h"

#define MAX_CLASS_ROWS 30

/* v as text with printf format f (scaled by scale), or "-" for NaN. */
static const char *num(char *buf, size_t size, const char *f, double scale, double v)
{
    if (isnan(v))
        snprintf(buf, size, "-");
    else
        snprintf(buf, size, f, scale * v);
    return buf;
}

static const char *pct(char *buf, size_t size, double v)
{
    return num(buf, size, "%.2f%%", 100.0, v);
}

static const char *fig(char *buf, size_t size, double v)
{
    return num(buf, size, "%.4g", 1.0, v);
}

static const char *fig6(char *buf, size_t size, double v)
{
    return num(buf, size, "%.6g", 1.0, v);
}

/* A detection output: mAP and the mistakes at its threshold; the class and
 * box of localize; the distance of landmarks. */
static void print_detection_splits(const report_head *rep)
{
    char a[32], b[32], c[32], d[32];
    int lm = rep->loss == LOSS_LANDMARKS, loc = rep->loss == LOSS_LOCALIZE;
    if (lm)
        printf("%-10s %9s %10s %14s %12s\n", "split", "images", "loss", "distance (px)", "within 2px");
    else if (loc)
        printf("%-10s %9s %10s %10s %10s %9s %9s %8s %9s\n", "split", "images", "loss", "accuracy",
               "class acc", "mean IoU", "mAP@0.5", "missed", "false pos");
    else
        printf("%-10s %9s %10s %9s %12s %8s %8s %9s\n", "split", "images", "loss", "mAP@0.5",
               "mAP@.5:.95", "objects", "missed", "false pos");
    for (int i = 0; i < rep->n_splits; i++) {
        const report_split *s = &rep->splits[i];
        const report_detect *dt = s->det;
        printf("%-10s %9d %10.4f", s->name, s->n, s->loss);
        if (lm)
            printf(" %14s %12s\n", num(a, sizeof a, "%.3f", 1, dt->landmark_px),
                   pct(b, sizeof b, dt->landmark_within_2px));
        else if (loc)
            printf(" %10s %10s %9s %9s %8ld %9ld\n", pct(a, sizeof a, s->accuracy),
                   pct(b, sizeof b, dt->class_accuracy), num(c, sizeof c, "%.4f", 1, dt->mean_iou),
                   num(d, sizeof d, "%.4f", 1, dt->map50), dt->missed, dt->false_pos);
        else
            printf(" %9s %12s %8ld %8ld %9ld\n", num(a, sizeof a, "%.4f", 1, dt->map50),
                   num(b, sizeof b, "%.4f", 1, dt->map), dt->objects, dt->missed, dt->false_pos);
    }
    if (!lm && rep->n_splits)
        printf("(missed and false positives at score >= %.2f, IoU 0.5)\n",
               (double)rep->splits[0].det->score);
}

static void print_splits(const report_head *rep)
{
    char a[32], b[32], c[32], d[32];
    if (rep->task == REPORT_TASK_DETECTION) {
        print_detection_splits(rep);
        return;
    }
    if (rep->task == REPORT_TASK_REGRESSION) {
        printf("%-10s %9s %10s %10s %10s %10s\n", "split", "examples", "loss", "mse", "mae", "r2");
        int constant = 0;
        for (int i = 0; i < rep->n_splits; i++) {
            const report_split *s = &rep->splits[i];
            printf("%-10s %9d %10s %10s %10s %10s\n", s->name, s->n,
                   num(d, sizeof d, "%.4f", 1.0, s->loss), fig(a, sizeof a, s->mse), fig(b, sizeof b, s->mae), fig(c, sizeof c, s->r2));
            constant |= isnan(s->r2) && isfinite(s->mse);
        }
        if (constant)
            printf("(r2 -: the split's target is constant, so there is no variance to explain)\n");
        return;
    }
    if (rep->loss == LOSS_TRIPLET) {
        /* the loss column is the configured mean; both are shown */
        printf("%-10s %9s %10s %10s %10s %10s\n", "split", "examples", "loss+", "loss_all",
               "active", "ordered");
        for (int i = 0; i < rep->n_splits; i++) {
            const report_split *s = &rep->splits[i];
            printf("%-10s %9d %10s %10s %10s %10s\n", s->name, s->n, fig(a, sizeof a, s->loss),
                   fig(b, sizeof b, s->loss_all), pct(c, sizeof c, s->active),
                   pct(d, sizeof d, s->accuracy));
        }
        printf("(loss+: the mean over triplets with a positive loss; loss_all: over every "
               "triplet;\n active: the share with a positive loss; ordered: anchor-positive "
               "pairs nearer than every negative)\n");
        return;
    }
    int with_f1 = rep->splits[0].cls || rep->splits[0].tasks;
    printf("%-10s %9s %10s %10s %10s%s\n", "split", "examples", "loss", "accuracy", "error",
           with_f1 ? "   macro F1" : "");
    for (int i = 0; i < rep->n_splits; i++) {
        const report_split *s = &rep->splits[i];
        printf("%-10s %9d %10s %10s %10s", s->name, s->n, num(d, sizeof d, "%.4f", 1.0, s->loss),
               pct(a, sizeof a, s->accuracy), pct(b, sizeof b, s->error));
        if (s->cls)
            printf(" %10s", fig(c, sizeof c, s->macro.f1));
        printf("\n");
    }
}

static void print_classes(const report_head *rep, const report_split *s)
{
    char a[32], b[32], c[32], name[96];
    if (s->det && rep->loss != LOSS_LANDMARKS) {
        printf("\nper class (%s):\n%-20s %9s %9s %12s\n", s->name, "class", "objects", "AP@0.5",
               "AP@.5:.95");
        for (int k = 0; k < rep->K && k < MAX_CLASS_ROWS; k++)
            printf("%s %9ld %9s %12s\n", dlc_cell(name, sizeof name, rep->names.v[k], 20, 0),
                   s->det->n_gt[k],
                   num(a, sizeof a, "%.4f", 1, s->det->ap50[k]), num(b, sizeof b, "%.4f", 1, s->det->ap[k]));
        if (rep->K > MAX_CLASS_ROWS)
            printf("... %d more classes in report.json\n", rep->K - MAX_CLASS_ROWS);
    }
    if (s->cls) {
        printf("\nper class (%s):\n%-20s %9s %9s %9s %9s\n", s->name, "class", "precision", "recall",
               "f1", "support");
        for (int k = 0; k < rep->K && k < MAX_CLASS_ROWS; k++) {
            const report_class_stats *r = &s->cls[k];
            printf("%s %9.3f %9.3f %9.3f %9ld%s\n",
                   dlc_cell(name, sizeof name, rep->names.v[k], 20, 0), r->precision, r->recall,
                   r->f1, r->support, r->predicted == 0 && r->support > 0 ? "  (never predicted)" : "");
        }
        if (rep->K > MAX_CLASS_ROWS)
            printf("... %d more classes in report.json\n", rep->K - MAX_CLASS_ROWS);
        printf("%-20s %9.3f %9.3f %9.3f\n%-20s %9.3f %9.3f %9.3f\n", "macro avg", s->macro.precision,
               s->macro.recall, s->macro.f1, "weighted avg", s->weighted.precision,
               s->weighted.recall, s->weighted.f1);
        if (!isnan(s->auc))
            printf("ROC AUC %.4f\n", s->auc);
    }
    if (s->tasks) {
        printf("\nper task (%s):\n%-20s %9s %9s %9s %9s %9s %9s\n", s->name, "task", "accuracy",
               "precision", "recall", "f1", "auc", "known");
        for (int k = 0; k < rep->K && k < MAX_CLASS_ROWS; k++) {
            const report_task_stats *t = &s->tasks[k];
            printf("%s %9s %9.3f %9.3f %9.3f %9s %9ld\n",
                   dlc_cell(name, sizeof name, rep->names.v[k], 20, 0),
                   pct(a, sizeof a, t->accuracy), t->precision, t->recall, t->f1,
                   fig(b, sizeof b, t->auc), t->known);
        }
    }
    (void)c;
}

/* Verification on held-out classes (report_verify). */
static void print_verify(const report *rep)
{
    const report_verify *v = &rep->verify;
    char a[6][32];
    if (!v->present)
        return;
    printf("\nverification (distance %s", v->distance);
    if (v->embedding[0])
        printf(" of embedding '%s', %zu values", v->embedding, v->dim);
    printf("; threshold %s", fig6(a[0], sizeof a[0], v->threshold));
    if (v->threshold_split >= 0)
        printf(" chosen on %s", data_split_names[v->threshold_split]);
    printf("):\n%-10s %8s %8s %8s %8s %10s %9s %9s\n", "split", "classes", "pairs", "auc", "eer",
           "accuracy", "1-shot 3", "1-shot 5");
    for (int k = 0; k < DATA_SPLIT_COUNT; k++) {
        const report_verify_split *r = &v->splits[k];
        if (!r->present)
            continue;
        printf("%-10s %8d %8d %8s %8s %10s %9s %9s\n", data_split_names[k], r->classes, r->pairs,
               fig(a[0], sizeof a[0], r->auc), pct(a[1], sizeof a[1], r->eer),
               pct(a[2], sizeof a[2], r->accuracy), pct(a[3], sizeof a[3], r->one_shot[0]),
               pct(a[4], sizeof a[4], r->one_shot[1]));
    }
}

static void print_metric(const report *rep)
{
    const report_metric *m = &rep->metric;
    char a[32], b[32];
    const char *(*f)(char *, size_t, double) = fig6;
    printf("\nmetric: %s on %s = %s (%s is better)", m->name, data_split_names[m->split],
           fig(a, sizeof a, m->value), m->higher_is_better ? "higher" : "lower");
    if (m->n_constraints == 0) {
        printf("\n");
        return;
    }
    printf("; constraints %s:", m->constraints_met ? "met" : "NOT met");
    for (int i = 0; i < m->n_constraints; i++) {
        const report_constraint *c = &m->c[i];
        printf("%s %s %s %s %s (%s)", i ? "," : "", report_measure_names[c->measure],
               f(a, sizeof a, c->value), c->is_min ? ">=" : "<=", f(b, sizeof b, c->bound),
               c->met ? "ok" : "fails");
    }
    printf("\n");
}

static void gap_row(const report_diagnosis *d, const char *split, double err, int gap, int pct_units)
{
    char a[32], b[32];
    const char *(*f)(char *, size_t, double) = pct_units ? pct : fig;
    if (gap < 0 || isnan(d->gap[gap])) {
        printf("  %-12s %9s\n", split, f(a, sizeof a, err));
        return;
    }
    const char *title = report_gap_titles[gap];
    if (gap == REPORT_GAP_VARIANCE && d->variance_vs != REPORT_VS_TRAIN_DEV)
        title = d->variance_vs == REPORT_VS_DEV ? "variance (dev - train)" : "variance (test - train)";
    char noise[48] = "";
    if (report_gap_noise_unknown(d, gap))
        snprintf(noise, sizeof noise, "  noise unknown (one example)");
    else if (d->gap[gap] > 0 && !isnan(d->noise[gap]) && !(d->gap[gap] > d->noise[gap]))
        snprintf(noise, sizeof noise, "  within noise (+-%s)", f(b, sizeof b, d->noise[gap]));
    printf("  %-12s %9s   %-24s %9s%s%s\n", split, f(a, sizeof a, err), title,
           f(b, sizeof b, d->gap[gap]), d->largest == gap ? "  <- largest" : "", noise);
}

static void print_diagnosis(const report *rep)
{
    const report_diagnosis *d = &rep->diag;
    int pct_units = !report_error_is_mse(report_main(rep));
    char a[32];
    printf("\nbias / variance (%s):\n",
           report_error_is_verification(rep)
               ? rep->verify.threshold_split == DATA_SPLIT_TRAIN
                     ? "verification error: pairs at the threshold chosen on train"
                     : "verification error: pairs at the dev threshold"
           : pct_units ? "error"
                       : "mse");
    if (isnan(d->human))
        printf("  %-12s %9s   (not set: report.human_level_error%s)\n", "human-level", "-",
               isnan(d->human_used) ? "" : "; 0 assumed");
    else
        printf("  %-12s %9s\n", "human-level", (pct_units ? pct : fig)(a, sizeof a, d->human));
    const char *rows[4] = {"train", "train-dev", "dev", "test"};
    double errs[4] = {d->train, d->train_dev, d->dev, d->test};
    for (int i = 0; i < 4; i++)
        if (!isnan(errs[i]))
            gap_row(d, rows[i], errs[i], report_row_gap(d, i), pct_units);
    if (d->variance_vs == REPORT_VS_TEST)
        printf("  (no dev split: test stands in for dev; choices made by its figure make it\n"
               "  optimistic, so hold out a dev split, data.split.dev, to keep test unbiased)\n");
    char b[32];
    if (d->no_better_than_mean) {
        printf("diagnosis: on train the model does no better than predicting the mean target (mse "
               "%s, the mean's %s):\n  it has not fit its training data, so avoidable bias comes "
               "first (its size is unknown without\n  report.human_level_error); try:\n",
               fig(a, sizeof a, d->train), fig(b, sizeof b, d->train_mean_mse));
    } else if (d->no_better_than_majority) {
        const report_head *rh = report_main(rep);
        printf("diagnosis: on train the model does no better than always predicting the most "
               "frequent class,\n  '%s' (error %s, the model's %s): it has not fit its training "
               "data, so avoidable bias\n  comes first%s; try:\n",
               d->majority_class < rh->names.n ? rh->names.v[d->majority_class] : "?",
               pct(a, sizeof a, d->train_majority_error), pct(b, sizeof b, d->train),
               d->train_majority_error < 0.25 ? " (with classes this unequal, macro F1 tells more "
                                                "than accuracy: report.metric; data.balance: classes\n"
                                                "  draws every class equally often)" : "");
    } else if (d->largest < 0 && d->within_noise >= 0 && report_gap_noise_unknown(d, d->within_noise)) {
        int g = d->within_noise;
        printf("diagnosis: no gap stands out from sampling noise: the largest, %s (%s), is over a "
               "split of one\n  example, whose squared error says nothing of its spread; more "
               "examples would tell which gap to act on\n",
               report_gap_titles[g], (pct_units ? pct : fig)(a, sizeof a, d->gap[g]));
    } else if (d->largest < 0 && d->within_noise >= 0) {
        int g = d->within_noise;
        printf("diagnosis: no gap stands out from sampling noise: the largest, %s (%s), is within "
               "+-%s\n  (two standard errors of the %s on these splits' examples);\n"
               "  more dev and train examples would tell which gap to act on\n",
               report_gap_titles[g], (pct_units ? pct : fig)(a, sizeof a, d->gap[g]),
               (pct_units ? pct : fig)(b, sizeof b, d->noise[g]),
               pct_units ? "error rates" : "mean squared errors");
    } else if (d->largest < 0) {
        printf("diagnosis: no gap is positive; nothing stands out\n");
    } else {
        /* a larger gap within its noise: the named one is the largest beyond it */
        int noisy = report_larger_within_noise(d);
        char within[160] = "";
        if (noisy >= 0) {
            char c1[32], c2[32];
            if (report_gap_noise_unknown(d, noisy))
                snprintf(within, sizeof within, "; %s, %s, is over a split of one example",
                         report_gap_titles[noisy], (pct_units ? pct : fig)(c1, sizeof c1, d->gap[noisy]));
            else
                snprintf(within, sizeof within, "; %s, %s, is within its noise of +-%s",
                         report_gap_titles[noisy], (pct_units ? pct : fig)(c1, sizeof c1, d->gap[noisy]),
                         (pct_units ? pct : fig)(c2, sizeof c2, d->noise[noisy]));
        }
        printf("diagnosis: %s is the largest gap%s%s (%s%s%s); try:\n", report_gap_titles[d->largest],
               isnan(d->human_used) ? " measured" : "", noisy >= 0 ? " beyond sampling noise" : "",
               (pct_units ? pct : fig)(a, sizeof a, d->gap[d->largest]),
               isnan(d->human_used) ? "; avoidable bias is unknown without report.human_level_error"
                                    : "",
               within);
    }
    for (const char *const *r = report_remedies(d); r && *r; r++)
        printf("  - %s\n", *r);
    char untold[400];
    if (report_untold_mismatch(rep, untold, sizeof untold))
        printf("  note: %s\n", untold);
    if (report_assumed_bayes(rep, untold, sizeof untold))
        printf("  note: %s\n", untold);
}

void cli_print_report(const report *rep, int focus_kind, const char *run_dir)
{
    const report_head *main = report_main(rep);
    char source[96];
    if (main->n_splits == 0)
        return;
    for (int h = 0; h < rep->n_heads; h++) {
        const report_head *rh = &rep->heads[h];
        if (rep->n_heads > 1)
            printf("%soutput %s (%s, weight %g):\n", h ? "\n" : "", rh->name, loss_names[rh->loss],
                   rh->weight);
        print_splits(rh);
        const report_split *focus = report_head_split(rh, focus_kind);
        if (focus)
            print_classes(rh, focus);
    }
    if (rep->n_heads > 1) {
        printf("\ntotal loss (sum of weight x output loss):");
        for (int i = 0; i < main->n_splits; i++)
            printf(" %s %.4f", main->splits[i].name, rep->total_loss[main->splits[i].kind]);
        printf("\n");
    }
    print_verify(rep);
    print_metric(rep);
    print_diagnosis(rep);
    /* what report.json's warnings say, said here too */
    dlc_strlist warnings = {0};
    dlc_error werr = {0};
    if (report_warnings(rep, &warnings, &werr) == DLC_OK && warnings.n > 0) {
        printf("\n");
        for (int i = 0; i < warnings.n; i++)
            printf("warning: %s\n", warnings.v[i]);
    }
    dlc_strlist_clear(&warnings);
    if (rep->n_sources > 0) {
        printf("\nerror per data source (examples):\n%-10s", "split");
        for (int j = 0; j < rep->n_sources; j++)
            printf(" %s", dlc_cell(source, sizeof source, rep->source_names.v[j], 18, 1));
        printf("\n");
        for (int k = 0; k < DATA_SPLIT_COUNT; k++) {
            int total = 0;
            for (int j = 0; j < rep->n_sources; j++)
                total += rep->source_count[k][j];
            if (!total)
                continue;
            printf("%-10s", data_split_names[k]);
            for (int j = 0; j < rep->n_sources; j++) {
                char cell[40];
                if (!rep->source_count[k][j])
                    snprintf(cell, sizeof cell, "-");
                else if (isnan(rep->source_error[k][j]))
                    snprintf(cell, sizeof cell, "(%d)", rep->source_count[k][j]);
                else
                    snprintf(cell, sizeof cell, "%.2f%% (%d)", 100 * rep->source_error[k][j],
                             rep->source_count[k][j]);
                printf(" %18s", cell);
            }
            printf("\n");
        }
    }
    if (run_dir && rep->kept_tags[0])
        printf("\nnote: the earlier errors.csv had tags; it is kept as %s/errors/%s\n", run_dir,
               rep->kept_tags);
    if (run_dir && rep->dev_errors == 0 && !rep->residuals)
        printf("\nerror analysis: no %s, nothing to tag\n",
               rep->det_sampled ? "missed objects or false positives in the dev images"
                                : "misclassified dev examples");
    else if (run_dir && rep->dev_errors >= 0)
        printf("\nerror analysis: %d of %d %s in %s/errors/errors.csv;\n"
               "  tag them (mislabeled, blurry, tags...), then run: dlc analyze %s\n",
               rep->n_sampled, rep->dev_errors,
               rep->residuals     ? "dev examples, those with the largest errors,"
               : rep->det_sampled ? "missed objects and false positives of the dev images"
                                  : "misclassified dev examples",
               run_dir, run_dir);
    if (run_dir)
        printf("report: %s/report.html\n", run_dir);
}
