/* report.c - building a report: the model run over every split, figures per
 * split, the model's cost, the diagnosis and the single-number metric. */
#include "report.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../data/data.h"
#include "report_internal.h"

const char *const report_task_names[REPORT_TASK_COUNT + 1] = {
    "classification", "binary", "multilabel", "regression", "detection", "embedding", NULL};
const char *const report_det_kind_names[REPORT_DET_KINDS] = {
    "", "missed", "background", "misplaced", "wrong_class", "duplicate"};

const report_split *report_head_split(const report_head *h, int kind)
{
    for (int i = 0; i < h->n_splits; i++)
        if (h->splits[i].kind == kind)
            return &h->splits[i];
    return NULL;
}

const report_split *report_get_split(const report *rep, int kind)
{
    return report_head_split(report_main(rep), kind);
}

/* Classes train has that a dev or test split lacks: a dev set of one class
 * (a separate file, a small split of sorted data) scores that class's
 * recall and can show no confusion between the others.  Class tasks of up
 * to 100 classes (a word vocabulary always lacks some). */
static dlc_status class_coverage_warnings(const report *rep, dlc_strlist *w, dlc_error *err)
{
    const report_head *rh = report_main(rep);
    const report_split *tr = report_get_split(rep, DATA_SPLIT_TRAIN);
    if ((rh->task != REPORT_TASK_CLASSES && rh->task != REPORT_TASK_BINARY) || !tr || !tr->cls ||
        rh->K > 100)
        return DLC_OK;
    int in_train = 0;
    for (int k = 0; k < rh->K; k++)
        in_train += tr->cls[k].support > 0;
    const int kinds[2] = {DATA_SPLIT_DEV, DATA_SPLIT_TEST};
    for (int i = 0; i < 2; i++) {
        const report_split *s = report_get_split(rep, kinds[i]);
        if (!s || !s->cls || s->n == 0)
            continue;
        int have = 0, listed = 0;
        char missing[160] = "";
        for (int k = 0; k < rh->K; k++) {
            if (s->cls[k].support > 0) {
                have++;
            } else if (tr->cls[k].support > 0) {
                size_t len = strlen(missing);
                if (listed++ < 6 && len < sizeof missing)
                    snprintf(missing + len, sizeof missing - len, "%s%.32s", listed > 1 ? ", " : "",
                             rh->names.n > k ? rh->names.v[k] : "?");
                else if (listed == 7 && len < sizeof missing)
                    snprintf(missing + len, sizeof missing - len, ", ...");
            }
        }
        if (listed == 0)
            continue;
        char msg[400];
        snprintf(msg, sizeof msg,
                 "split %s has examples of %d of the %d classes train has (none of %s): its "
                 "figures say nothing about those%s",
                 s->name, have, in_train, missing,
                 have == 1 ? ", and its accuracy is one class's recall" : "");
        dlc_status st = dlc_strlist_push(w, msg, err);
        if (st != DLC_OK)
            return st;
    }
    return DLC_OK;
}

dlc_status report_warnings(const report *rep, dlc_strlist *w, dlc_error *err)
{
    dlc_status st = DLC_OK;
    char msg[384];
    for (int h = 0; h < rep->n_heads; h++) {
        const report_head *rh = &rep->heads[h];
        for (int i = 0; i < rh->n_splits && st == DLC_OK; i++) {
            const report_split *s = &rh->splits[i];
            if (s->n > 0 && s->unlabelled) {
                snprintf(msg, sizeof msg,
                         "%s%s%ssplit %s has %s: its loss and figures are null",
                         rep->n_heads > 1 ? "output " : "", rep->n_heads > 1 ? rh->name : "",
                         rep->n_heads > 1 ? ", " : "", s->name,
                         rh->loss == LOSS_TRIPLET
                             ? "no triplet (an anchor, a positive of its class and a negative of "
                               "another class in one batch)"
                             : "no known label (every value unknown: an empty cell or "
                               "data.unknown_label)");
                st = dlc_strlist_push(w, msg, err);
            } else if (s->n > 0 && !isfinite(s->loss)) {
                snprintf(msg, sizeof msg,
                         "%s%s%ssplit %s: the loss is %s: the model's outputs are not finite (are "
                         "its weights?); every figure computed from them is null",
                         rep->n_heads > 1 ? "output " : "", rep->n_heads > 1 ? rh->name : "",
                         rep->n_heads > 1 ? ", " : "", s->name, isnan(s->loss) ? "NaN" : "infinite");
                st = dlc_strlist_push(w, msg, err);
            }
            /* background images only: AP averages over the classes that have objects */
            const report_detect *d = s->det;
            if (st == DLC_OK && d && d->images > 0 && d->objects == 0 && d->loss != LOSS_LANDMARKS) {
                snprintf(msg, sizeof msg,
                         "%s%s%ssplit %s has no objects (%ld background images): its mAP is "
                         "undefined (null); its figure is the %ld false positives at score %.2g",
                         rep->n_heads > 1 ? "output " : "", rep->n_heads > 1 ? rh->name : "",
                         rep->n_heads > 1 ? ", " : "", s->name, d->images, d->false_pos,
                         (double)d->score);
                st = dlc_strlist_push(w, msg, err);
            }
        }
    }
    if (st == DLC_OK && rep->n_heads > 0)
        st = class_coverage_warnings(rep, w, err);
    if (st == DLC_OK && rep->n_heads > 0 && !isfinite(rep->metric.value)) {
        const report_split *m = report_get_split(rep, rep->metric.split);
        const report_verify_split *vs = &rep->verify.splits[rep->metric.split];
        if (m && m->n > 0 && report_error_is_verification(rep) && !vs->present) {
            snprintf(msg, sizeof msg, "metric %s on %s: null: comparing examples needs 2 classes "
                     "there, and it has %d", rep->metric.name,
                     data_split_names[rep->metric.split], vs->classes);
            st = dlc_strlist_push(w, msg, err);
        } else if (m && m->n > 0 && m->unlabelled) {
            snprintf(msg, sizeof msg, "metric %s on %s: null, as its split has no known label",
                     rep->metric.name, data_split_names[rep->metric.split]);
            st = dlc_strlist_push(w, msg, err);
        } else if (m && m->n > 0 && !isfinite(m->loss)) {
            snprintf(msg, sizeof msg, "metric %s on %s: null, as its split's loss is not finite",
                     rep->metric.name, data_split_names[rep->metric.split]);
            st = dlc_strlist_push(w, msg, err);
        }
    }
    for (int i = 0; i < rep->model_warnings.n && st == DLC_OK; i++)
        st = dlc_strlist_push(w, rep->model_warnings.v[i], err);
    return st;
}

static void split_free(report_split *s)
{
    free(s->confusion);
    free(s->mistakes);
    free(s->cls);
    free(s->tasks);
    free(s->truth);
    free(s->pred);
    free(s->conf);
    free(s->reg_out);
    free(s->reg_true);
    report_detect_free(s->det);
}

void report_free(report *rep)
{
    if (!rep)
        return;
    for (int h = 0; h < rep->n_heads; h++) {
        for (int i = 0; i < rep->heads[h].n_splits; i++)
            split_free(&rep->heads[h].splits[i]);
        dlc_strlist_clear(&rep->heads[h].names);
    }
    dlc_strlist_clear(&rep->source_names);
    dlc_strlist_clear(&rep->data_notes);
    dlc_strlist_clear(&rep->model_warnings);
    free(rep->sampled);
    free(rep->sampled_ids);
    free(rep->sampled_src);
    free(rep->det_sampled);
    memset(rep, 0, sizeof *rep);
}

/* ---- the pass over a split ---- */

/* One head's pass. */
typedef struct {
    report_head *rh;
    report_split *s;
    model *m;
    int h;                /* the head (graph output h) */
    int K, rows;          /* rows per example (softmax over a sequence: several) */
    loss_stats st;
    float *score, *label; /* AUC inputs: (n * rows) binary, (K, n) multi-label */
    long n_scored;
    double se, ae, n_reg; /* regression sums */
    report_se_sums sq;    /* regression: per example, for mse's standard error */
    double *tstat;        /* regression, (3, K): per target its known values, sum, sum of squares */
    float *values;        /* regression with data.normalize_targets: (eval_max, K) the outputs
                           * in the targets' units (model_head_values) */
    const uint8_t *source; /* data.sources: the split's dataset's, else NULL */
    const int *idx;        /* the split's rows */
} pass;

/* Counts a known prediction of split row r for its source. */
static void count_source(pass *p, int r, int wrong)
{
    if (!p->source || r < 0)
        return; /* one source, or a stateful model's runs (no row order) */
    int src = p->source[p->idx[r]];
    p->s->src_known[src]++;
    p->s->src_wrong[src] += wrong;
}

static float sigmoid(float z)
{
    return z >= 0 ? 1.0f / (1.0f + expf(-z)) : expf(z) / (1.0f + expf(z));
}

/* One example (or row) of true class y predicted as arg. */
static void count_class(report_split *s, int K, int y, int arg)
{
    if (s->confusion) {
        s->confusion[(size_t)y * K + arg]++;
        return;
    }
    s->cls[y].support++;
    s->cls[arg].predicted++;
    if (y == arg)
        s->cls[y].tp++;
    else /* room for every row was reserved */
        s->mistakes[s->n_mistakes++] = (uint64_t)y * (uint64_t)K + (uint64_t)arg;
}

static int by_key(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void pass_classes(pass *p, const float *out, const float *t, const int *rows, int N)
{
    int K = p->K;
    for (int i = 0; i < N; i++) {
        for (int r = 0; r < p->rows; r++) {
            const float *z = out + ((size_t)i * p->rows + r) * K;
            float y = t[(size_t)i * p->rows + r];
            int arg = 0;
            for (int j = 1; j < K; j++)
                if (z[j] > z[arg])
                    arg = j;
            int known = !isnan(y) && y >= 0 && y < K;
            if (known) {
                count_class(p->s, K, (int)y, arg);
                count_source(p, rows ? rows[i] : -1, (int)y != arg);
            }
            if (p->rows > 1 && K != 2)
                continue; /* per-token outputs: no confidence or score is kept */
            double s = 0;
            for (int j = 0; j < K; j++)
                s += exp((double)z[j] - z[arg]);
            if (p->rows == 1) {
                p->s->truth[rows[i]] = known ? (int)y : -1;
                p->s->pred[rows[i]] = arg;
                p->s->conf[rows[i]] = (float)(1.0 / s);
            }
            if (K == 2 && known) {
                p->score[p->n_scored] = (float)(exp((double)z[1] - z[arg]) / s);
                p->label[p->n_scored++] = y;
            }
        }
    }
}

static void pass_binary(pass *p, const float *out, const float *t, const int *rows, int N)
{
    for (int i = 0; i < N; i++) {
        float prob = sigmoid(out[i]), y = t[i];
        int pred = out[i] > 0, known = !isnan(y);
        if (known) {
            p->s->confusion[(size_t)(y > 0.5f) * 2 + pred]++;
            count_source(p, rows ? rows[i] : -1, (y > 0.5f) != pred);
            p->score[p->n_scored] = prob;
            p->label[p->n_scored++] = y;
        }
        p->s->truth[rows[i]] = known ? y > 0.5f : -1;
        p->s->pred[rows[i]] = pred;
        p->s->conf[rows[i]] = pred ? prob : 1.0f - prob;
    }
}

static void pass_multilabel(pass *p, const float *out, const float *t, const int *rows, int N)
{
    int K = p->K, n = p->s->n;
    for (int i = 0; i < N; i++)
        for (int k = 0; k < K; k++) {
            float z = out[(size_t)i * K + k], y = t[(size_t)i * K + k];
            size_t at = (size_t)k * n + (size_t)rows[i];
            p->score[at] = sigmoid(z);
            p->label[at] = y;
            if (isnan(y))
                continue;
            report_task_stats *ts = &p->s->tasks[k];
            int pos = y > 0.5f, pred = z > 0;
            ts->known++;
            ts->positives += pos;
            ts->predicted += pred;
            ts->tp += pos && pred;
            ts->correct += pos == pred;
        }
}

static void pass_regression(pass *p, const float *out, const float *t, const int *rows, int N)
{
    size_t n = (size_t)N * p->K;
    for (int i = 0; p->s->reg_out && rows && i < N; i++) {
        memcpy(p->s->reg_out + (size_t)rows[i] * p->K, out + (size_t)i * p->K,
               sizeof(float) * p->K);
        memcpy(p->s->reg_true + (size_t)rows[i] * p->K, t + (size_t)i * p->K,
               sizeof(float) * p->K);
    }
    double ex_se = 0, ex_known = 0; /* the current example's */
    for (size_t i = 0; i < n; i++) {
        size_t k = i % (size_t)p->K;
        if (!isnan(t[i])) {
            double d = (double)out[i] - t[i];
            p->se += d * d;
            p->ae += fabs(d);
            p->n_reg++;
            ex_se += d * d;
            ex_known++;
            if (p->tstat) {
                p->tstat[k] += 1;
                p->tstat[p->K + k] += t[i];
                p->tstat[2 * p->K + k] += (double)t[i] * t[i];
            }
        }
        if (k + 1 == (size_t)p->K) {
            report_se_add(&p->sq, ex_se, ex_known);
            ex_se = ex_known = 0;
        }
    }
}

/* The passes of every head over one split. */
typedef struct {
    model *m;
    pass p[MODEL_MAX_HEADS];
} split_pass;

static void pass_head(pass *p, model *m, const float *t_all, const int *rows, int N)
{
    graph_node *o = graph_output(m->g, p->h);
    const float *out = o->out, *t = model_head_targets(m, p->h, t_all, N);
    model_head_loss(m, p->h, t_all, N, NULL, 1.0f, &p->st);
    switch (p->rh->task) {
    case REPORT_TASK_CLASSES:
        pass_classes(p, out, t, rows, N);
        break;
    case REPORT_TASK_BINARY:
        pass_binary(p, out, t, rows, N);
        break;
    case REPORT_TASK_MULTILABEL:
        pass_multilabel(p, out, t, rows, N);
        break;
    case REPORT_TASK_DETECTION:
        report_detect_batch(p->s, m, p->h, out, t, N);
        break;
    case REPORT_TASK_EMBEDDING:
        break; /* the loss only; comparisons are report_verify's */
    default:
        /* figures in the targets' units, whatever the head learned them in */
        if (p->values) {
            memcpy(p->values, out, sizeof(float) * (size_t)N * (size_t)p->K);
            model_head_values(m, p->h, p->values, N);
            out = p->values;
        }
        pass_regression(p, out, model_head_targets_raw(m, p->h, t_all, N), rows, N);
        break;
    }
}

static void pass_batch(void *user, const float *t, const int *rows, int N)
{
    split_pass *sp = user;
    for (int h = 0; h < sp->m->n_heads; h++)
        pass_head(&sp->p[h], sp->m, t, rows, N);
}

static double ratio_nan(double a, double b)
{
    return b > 0 ? a / b : NAN;
}

/* AUC of the multi-label task k from the (K, n) score and label arrays,
 * unknown labels dropped (compacted in place). */
static dlc_status task_auc(pass *p, int k, dlc_error *err)
{
    long n = p->s->n, kept = 0;
    float *sc = p->score + (size_t)k * n, *lb = p->label + (size_t)k * n;
    for (long i = 0; i < n; i++)
        if (!isnan(lb[i])) {
            sc[kept] = sc[i];
            lb[kept++] = lb[i];
        }
    return report_roc_auc(&p->s->tasks[k].auc, sc, lb, kept, err);
}

/* Sets up head pass p over a split of n examples. */
static dlc_status pass_begin(pass *p, model *m, int n, dlc_error *err)
{
    report_head *rh = p->rh;
    report_split *s = p->s;
    int K = rh->K;
    p->K = K;
    p->rows = 1;
    graph_node *o = graph_output(m->g, p->h);
    if (rh->task == REPORT_TASK_CLASSES)
        p->rows = (int)(tensor_shape_size(&o->shape) / (size_t)K);
    size_t n_scores = rh->task == REPORT_TASK_MULTILABEL ? (size_t)K * n : (size_t)n * p->rows;
    s->auc = NAN;
    s->mse = s->mse_se = s->mae = s->mean_mse = s->r2 = NAN;
    if (rh->task == REPORT_TASK_REGRESSION && !(p->tstat = calloc((size_t)K * 3, sizeof *p->tstat)))
        return DLC_NOMEM(err);
    if (rh->task == REPORT_TASK_REGRESSION && m->tshift &&
        !(p->values = malloc(sizeof(float) * (size_t)m->g->eval_max * (size_t)K)))
        return DLC_NOMEM(err);
    int classes = rh->task == REPORT_TASK_CLASSES || rh->task == REPORT_TASK_BINARY;
    if (classes) {
        if (K <= REPORT_DENSE_MAX)
            s->confusion = calloc((size_t)K * K, sizeof *s->confusion);
        else
            s->mistakes = malloc(sizeof *s->mistakes * ((size_t)n * p->rows + 1));
        s->cls = calloc((size_t)K, sizeof *s->cls);
        if (!(s->confusion || s->mistakes) || !s->cls)
            return DLC_NOMEM(err);
    }
    if (rh->per_example) {
        s->truth = malloc(sizeof(int) * (size_t)(n ? n : 1));
        s->pred = malloc(sizeof(int) * (size_t)(n ? n : 1));
        s->conf = malloc(sizeof(float) * (size_t)(n ? n : 1));
        if (!s->truth || !s->pred || !s->conf)
            return DLC_NOMEM(err);
    }
    if (rh->task == REPORT_TASK_MULTILABEL && !(s->tasks = calloc((size_t)K, sizeof *s->tasks)))
        return DLC_NOMEM(err);
    if (rh->task == REPORT_TASK_REGRESSION && s->kind == DATA_SPLIT_DEV) {
        s->reg_out = malloc(sizeof(float) * ((size_t)n * K + 1));
        s->reg_true = malloc(sizeof(float) * ((size_t)n * K + 1));
        if (!s->reg_out || !s->reg_true)
            return DLC_NOMEM(err);
    }
    s->loss_all = s->active = NAN;
    if (rh->task == REPORT_TASK_DETECTION)
        return report_detect_begin(s, m, p->h, s->kind == DATA_SPLIT_DEV, err);
    if (rh->task != REPORT_TASK_REGRESSION && rh->task != REPORT_TASK_EMBEDDING) {
        p->score = malloc(sizeof(float) * (n_scores ? n_scores : 1));
        p->label = malloc(sizeof(float) * (n_scores ? n_scores : 1));
        if (!p->score || !p->label)
            return DLC_NOMEM(err);
    }
    return DLC_OK;
}

/* Turns head pass p's counts into its split's figures. */
static dlc_status pass_end(pass *p, dlc_error *err)
{
    report_head *rh = p->rh;
    report_split *s = p->s;
    int K = rh->K;
    int classes = rh->task == REPORT_TASK_CLASSES || rh->task == REPORT_TASK_BINARY;
    dlc_status st = DLC_OK;
    /* loss_mean, as training reports it: a triplet split whose every
     * triplet meets the margin has loss 0, not NaN */
    s->loss = loss_mean(&p->st);
    s->unlabelled = !(p->st.count > 0 || p->st.judged > 0);
    s->accuracy = ratio_nan(p->st.correct, p->st.judged);
    s->error = 1.0 - s->accuracy;
    if (rh->loss == LOSS_TRIPLET) {
        s->loss_all = p->st.judged > 0 ? p->st.sum / p->st.judged : NAN;
        s->active = p->st.judged > 0 ? p->st.positive / p->st.judged : NAN;
    }
    if (rh->task == REPORT_TASK_EMBEDDING) {
        return DLC_OK;
    } else if (classes && s->confusion) {
        report_class_metrics(s->confusion, K, s->cls, &s->macro, &s->weighted, NULL);
        if (K == 2)
            st = report_roc_auc(&s->auc, p->score, p->label, p->n_scored, err);
    } else if (classes) {
        report_class_metrics_counted(s->cls, K, &s->macro, &s->weighted, NULL);
        qsort(s->mistakes, (size_t)s->n_mistakes, sizeof *s->mistakes, by_key);
    } else if (rh->task == REPORT_TASK_MULTILABEL) {
        for (int k = 0; k < K && st == DLC_OK; k++) {
            report_task_stats *ts = &s->tasks[k];
            ts->accuracy = ratio_nan((double)ts->correct, (double)ts->known);
            ts->precision = ts->predicted > 0 ? (double)ts->tp / (double)ts->predicted : 0;
            ts->recall = ts->positives > 0 ? (double)ts->tp / (double)ts->positives : 0;
            ts->f1 = ts->precision + ts->recall > 0
                         ? 2 * ts->precision * ts->recall / (ts->precision + ts->recall)
                         : 0;
            st = task_auc(p, k, err);
        }
    } else if (rh->task == REPORT_TASK_DETECTION) {
        st = report_detect_end(s, p->m, p->h, err);
    } else {
        s->mse = ratio_nan(p->se, p->n_reg);
        s->mse_se = report_mse_se(&p->sq);
        s->mae = ratio_nan(p->ae, p->n_reg);
        double sst = 0;
        for (int k = 0; p->tstat && k < K; k++) {
            double c = p->tstat[k], sum = p->tstat[K + k], sq = p->tstat[2 * K + k];
            if (c > 0)
                sst += fmax(sq - sum * sum / c, 0.0);
        }
        s->mean_mse = ratio_nan(sst, p->n_reg);
        /* a constant target has no variance to explain: r2 is undefined,
         * not -inf (and float sums of a constant leave a rounding residue) */
        double scale = 0;
        for (int k = 0; p->tstat && k < K; k++)
            scale += p->tstat[2 * K + k];
        s->r2 = sst > 1e-12 * scale && p->n_reg > 0 ? 1.0 - p->se / sst : NAN;
    }
    if (s->n > 0 && !isfinite(s->loss)) {
        /* outputs that are not finite (NaN weights) have no argmax: figures
         * counted from them would be made up, so they are unknown (null in
         * JSON, with report_warnings saying why) */
        const report_avg none = {NAN, NAN, NAN};
        s->accuracy = s->error = s->auc = s->mse = s->mse_se = s->mae = s->r2 = NAN;
        s->macro = s->weighted = none;
        for (int k = 0; s->cls && k < K; k++)
            s->cls[k].precision = s->cls[k].recall = s->cls[k].f1 = NAN;
    }
    return st;
}

/* Every head's figures on split kind of data, in one run of the model. */
static dlc_status evaluate_split(report *rep, model *m, const data_split *ds, int kind,
                                 float *targets, dlc_error *err)
{
    split_pass sp;
    memset(&sp, 0, sizeof sp);
    sp.m = m;
    dlc_status st = DLC_OK;
    for (int h = 0; h < rep->n_heads && st == DLC_OK; h++) {
        report_head *rh = &rep->heads[h];
        report_split *s = &rh->splits[rh->n_splits++];
        s->name = data_split_names[kind];
        s->kind = kind;
        s->n = ds->n;
        sp.p[h] = (pass){.rh = rh, .s = s, .m = m, .h = h,
                         .source = ds->ds ? ds->ds->source : NULL, .idx = ds->idx};
        st = pass_begin(&sp.p[h], m, ds->n, err);
    }
    if (st == DLC_OK)
        model_run(m, ds, targets, pass_batch, &sp);
    loss_stats total[MODEL_MAX_HEADS];
    for (int h = 0; h < rep->n_heads; h++) {
        if (st == DLC_OK)
            st = pass_end(&sp.p[h], err);
        total[h] = sp.p[h].st;
        free(sp.p[h].score);
        free(sp.p[h].label);
        free(sp.p[h].tstat);
        free(sp.p[h].values);
    }
    rep->total_loss[kind] = model_total_loss(m, total);
    return st;
}

/* Head rh's K names: the model's class names (classification, binary), its
 * task or target names (several outputs), else numbers. */
static dlc_status set_names(report_head *rh, const model_head *mh, dlc_error *err)
{
    const dlc_strlist *given = rh->task == REPORT_TASK_MULTILABEL ||
                                       rh->task == REPORT_TASK_REGRESSION
                                   ? &mh->tasks
                                   : &mh->classes;
    if (given->n == rh->K)
        return dlc_strlist_copy(&rh->names, given, err);
    const char *fmt = rh->task == REPORT_TASK_MULTILABEL   ? "task_%d"
                      : rh->task == REPORT_TASK_REGRESSION ? "target_%d"
                                                           : "%d";
    for (int k = 0; k < rh->K; k++) {
        char name[32];
        snprintf(name, sizeof name, fmt, k);
        dlc_status s = dlc_strlist_push(&rh->names, name, err);
        if (s != DLC_OK)
            return s;
    }
    return DLC_OK;
}

/* What kind of figures head h of m gets. */
static void head_task(report_head *rh, model *m, int h)
{
    const model_head *mh = &m->heads[h];
    graph_node *o = graph_output(m->g, h);
    size_t out_size = tensor_shape_size(&o->shape);
    dlc_strlcpy(rh->name, mh->name, sizeof rh->name);
    rh->loss = mh->loss;
    rh->weight = mh->weight;
    if (loss_get(mh->loss)->embedding) {
        rh->task = REPORT_TASK_EMBEDDING;
        rh->K = mh->classes.n; /* the classes of the examples compared */
        return;
    }
    switch (loss_get(mh->loss)->target) {
    case LOSS_TARGET_CLASS:
        rh->task = REPORT_TASK_CLASSES;
        rh->K = o->shape.d[o->shape.ndim - 1];
        rh->per_example = out_size == (size_t)rh->K;
        break;
    case LOSS_TARGET_BINARY:
        rh->task = out_size == 1 ? REPORT_TASK_BINARY : REPORT_TASK_MULTILABEL;
        rh->K = out_size == 1 ? 2 : (int)out_size;
        rh->per_example = out_size == 1;
        break;
    case LOSS_TARGET_OBJECTS:
        rh->task = REPORT_TASK_DETECTION;
        rh->K = mh->opts.classes;
        break;
    default:
        rh->task = REPORT_TASK_REGRESSION;
        rh->K = (int)out_size;
        break;
    }
}

/* data.sources: each split's examples and error per source, from the
 * primary head's predictions (per example, or per token of a per-step
 * output; none for multi-label and regression heads, or a stateful language
 * model, whose runs lose the row order). */
static dlc_status source_errors(report *rep, const data_bundle *data, dlc_error *err)
{
    rep->n_sources = data->n_sources;
    memcpy(rep->source_count, data->source_count, sizeof rep->source_count);
    const report_head *rh = report_main(rep);
    for (int k = 0; k < DATA_SPLIT_COUNT; k++) {
        const report_split *s = report_head_split(rh, k);
        for (int j = 0; j < DATA_MAX_SOURCES; j++)
            rep->source_error[k][j] = s && s->src_known[j] > 0
                                          ? (double)s->src_wrong[j] / (double)s->src_known[j]
                                          : NAN;
    }
    return dlc_strlist_copy(&rep->source_names, &data->source_names, err);
}

/* rep->data_notes: data_notes' messages, then the files skipped as unreadable. */
static dlc_status report_data_notes(report *rep, const data_bundle *data, const dlc_config *cfg,
                                    dlc_error *err)
{
    dlc_status st = data_notes(data, &cfg->data, cfg->input.ndim > 0, &rep->data_notes, err);
    if (st != DLC_OK || data->skipped_files.n == 0)
        return st;
    char msg[2048];
    int at = snprintf(msg, sizeof msg, "warning: skipped %d unreadable file%s (data.bad_files: skip): ",
                      data->skipped_files.n, data->skipped_files.n == 1 ? "" : "s");
    for (int i = 0; i < data->skipped_files.n && i < 10 && at < (int)sizeof msg; i++)
        at += snprintf(msg + at, sizeof msg - (size_t)at, "%s%s", i ? "; " : "",
                       data->skipped_files.v[i]);
    if (data->skipped_files.n > 10 && at < (int)sizeof msg)
        snprintf(msg + at, sizeof msg - (size_t)at, "; and %d more", data->skipped_files.n - 10);
    return dlc_strlist_push(&rep->data_notes, msg, err);
}

dlc_status report_evaluate(report *rep, model *m, const data_bundle *data, const dlc_config *cfg,
                           dlc_error *err)
{
    return report_evaluate_until(rep, m, data, cfg, NULL, err);
}

dlc_status report_evaluate_until(report *rep, model *m, const data_bundle *data,
                                 const dlc_config *cfg, const atomic_int *stop, dlc_error *err)
{
    memset(rep, 0, sizeof *rep);
    rep->latency_ms = NAN;
    rep->size_mb = NAN;
    rep->dev_errors = -1;
    rep->human_level_error = -1;
    rep->n_heads = m->n_heads;
    dlc_status st = DLC_OK;
    for (int h = 0; h < m->n_heads && st == DLC_OK; h++) {
        head_task(&rep->heads[h], m, h);
        st = set_names(&rep->heads[h], &m->heads[h], err);
        if (cfg->report.metric_head[0] && strcmp(cfg->report.metric_head, m->heads[h].name) == 0)
            rep->primary = h;
    }
    for (int i = 0; i < DATA_SPLIT_COUNT; i++)
        rep->total_loss[i] = NAN;
    float *targets = tensor_alloc((size_t)m->g->eval_max * m->n_targets);
    if (!targets && st == DLC_OK)
        st = DLC_NOMEM(err);
    for (int i = 0; i < DATA_SPLIT_COUNT && st == DLC_OK; i++) {
        const data_split *ds = &data->split[i];
        if (ds->n > 0 && stop && atomic_load(stop))
            st = dlc_fail(err, DLC_EINTR, "interrupted while the trained model was measured on "
                                          "every split for the report (before %s)",
                          data_split_names[i]);
        else if (ds->n > 0)
            st = evaluate_split(rep, m, ds, i, targets, err);
    }
    tensor_free(targets);
    if (st == DLC_OK)
        st = report_verify_evaluate(&rep->verify, m, data, cfg->seed, err);
    if (st == DLC_OK && data->n_sources > 0)
        st = source_errors(rep, data, err);
    if (st == DLC_OK)
        st = report_data_notes(rep, data, cfg, err);
    if (st != DLC_OK)
        report_free(rep);
    return st;
}

/* ---- cost ---- */

/* The split the metric is measured on: the configured one, else dev, test,
 * train in that order of preference. */
static int metric_split(const report *rep, const dlc_config *cfg)
{
    int want = cfg->report.metric_split;
    if (report_get_split(rep, want))
        return want;
    const int fallback[] = {DATA_SPLIT_DEV, DATA_SPLIT_TEST, DATA_SPLIT_TRAIN};
    for (int i = 0; i < 3; i++)
        if (report_get_split(rep, fallback[i]))
            return fallback[i];
    return want;
}

void report_measure_cost(report *rep, model *m, const data_bundle *data, const dlc_config *cfg,
                         const char *model_path)
{
    graph_count_params(m->g, &rep->params_trainable, &rep->params_frozen);
    struct stat sb;
    if (model_path && stat(model_path, &sb) == 0)
        rep->size_mb = (double)sb.st_size / 1e6;
    const data_split *s = &data->split[metric_split(rep, cfg)];
    if (s->n == 0)
        s = &data->split[DATA_SPLIT_TRAIN];
    if (s->n == 0)
        return;
    /* one example at a time, as a deployed model would see them: a few
     * warm-up calls, then up to 200 examples or a quarter second */
    graph *g = m->g;
    double total = 0;
    int timed = 0;
    for (int i = 0; i < 203 && total < 0.25; i++) {
        double t0 = dlc_now();
        data_gather(s, NULL, i % s->n, 1, &m->norm, graph_input(g, 0), NULL);
        graph_forward_eval(g, 1);
        double dt = dlc_now() - t0;
        if (i >= 3) {
            total += dt;
            timed++;
        }
    }
    if (timed > 0)
        rep->latency_ms = 1000.0 * total / timed;
}

/* ---- conclusions ---- */

int report_error_is_mse(const report_head *rh)
{
    return rh->task == REPORT_TASK_REGRESSION ||
           (rh->task == REPORT_TASK_DETECTION && rh->loss == LOSS_LANDMARKS);
}

int report_error_is_verification(const report *rep)
{
    return report_main(rep)->task == REPORT_TASK_EMBEDDING && rep->verify.present;
}

const char *report_error_measure(const report *rep)
{
    return report_error_is_verification(rep)       ? "verification_error"
           : report_error_is_mse(report_main(rep)) ? "mse"
                                                    : "error";
}

static double split_error(const report *rep, int kind)
{
    const report_split *s = report_get_split(rep, kind);
    if (!s)
        return NAN;
    if (report_error_is_verification(rep)) {
        const report_verify_split *v = &rep->verify.splits[kind];
        return v->present && !isnan(v->accuracy) ? 1.0 - v->accuracy : NAN;
    }
    return report_error_is_mse(report_main(rep)) ? s->mse : s->error;
}

/* The measure `optimize: auto` stands for: accuracy for classification,
 * mse for regression, the mean AUC of the tasks of a multi-label head;
 * mAP@0.5 for yolo, the mean landmark distance for landmarks. */
static int auto_measure(const report_head *rh)
{
    switch (rh->task) {
    case REPORT_TASK_REGRESSION:
        return REPORT_M_MSE;
    case REPORT_TASK_MULTILABEL:
    case REPORT_TASK_EMBEDDING:
        return REPORT_M_AUC;
    case REPORT_TASK_DETECTION:
        return rh->loss == LOSS_YOLO        ? REPORT_M_MAP50
               : rh->loss == LOSS_LANDMARKS ? REPORT_M_LANDMARK_PX
                                            : REPORT_M_ACCURACY;
    default:
        return REPORT_M_ACCURACY;
    }
}

/* The predictions a split's error rate counts (examples, or tokens of a
 * per-step output): its classes' support; 0 for an absent split, -1 when the
 * split has no per-class counts (a detection head).  A multi-label head's
 * error is over its known labels, which an example's tasks share: its noise
 * is taken over examples, the most known labels of one task (fewer than the
 * examples with any known label), so that a gap is never judged beyond noise
 * on labels that are not independent draws (p(1 - p) / n bounds the variance
 * of a mean of per-example error shares in [0, 1]). */
static long known_predictions(const report *rep, int kind)
{
    const report_split *s = report_get_split(rep, kind);
    if (!s)
        return 0;
    if (s->tasks) {
        long most = 0;
        for (int k = 0; k < report_main(rep)->K; k++)
            most = s->tasks[k].known > most ? s->tasks[k].known : most;
        return most;
    }
    if (!s->cls)
        return -1;
    long n = 0;
    for (int k = 0; k < report_main(rep)->K; k++)
        n += s->cls[k].support;
    return n;
}

/* The classification floor: a model whose train error is no lower than that
 * of always predicting train's most frequent class has not learned (90%
 * accuracy on a 90/10 split is no achievement), whatever human-level says. */
static void majority_floor(report *rep)
{
    const report_head *rh = report_main(rep);
    const report_split *tr = report_get_split(rep, DATA_SPLIT_TRAIN);
    report_diagnosis *d = &rep->diag;
    if ((rh->task != REPORT_TASK_CLASSES && rh->task != REPORT_TASK_BINARY) || !tr || !tr->cls ||
        rh->K < 2 || isnan(d->train))
        return;
    long total = 0, most = 0;
    for (int k = 0; k < rh->K; k++) {
        total += tr->cls[k].support;
        if (tr->cls[k].support > most) {
            most = tr->cls[k].support;
            d->majority_class = k;
        }
    }
    if (total <= 0)
        return;
    d->train_majority_error = 1.0 - (double)most / (double)total;
    if (d->train >= d->train_majority_error) {
        d->no_better_than_majority = 1;
        d->largest = REPORT_GAP_AVOIDABLE_BIAS;
        d->within_noise = -1;
    }
}

int report_untold_mismatch(const report *rep, char *buf, size_t size)
{
    const report_diagnosis *d = &rep->diag;
    int named = d->largest == REPORT_GAP_VARIANCE ||
                (d->largest < 0 && d->within_noise == REPORT_GAP_VARIANCE);
    buf[0] = '\0';
    if (!named || d->untold_source < 0 || d->untold_source >= rep->source_names.n || d->no_better_than_mean ||
        d->no_better_than_majority)
        return 0;
    snprintf(buf, size, "dev has no examples of source '%s', which train draws on: the variance gap "
                        "holds their data mismatch too; a train-dev split (data.split.train_dev) "
                        "tells the two apart",
             rep->source_names.v[d->untold_source]);
    return 1;
}

int report_assumed_bayes(const report *rep, char *buf, size_t size)
{
    const report_diagnosis *d = &rep->diag;
    buf[0] = '\0';
    if (d->largest != REPORT_GAP_AVOIDABLE_BIAS || !isnan(d->human) || d->human_used != 0 ||
        d->no_better_than_majority || d->no_better_than_mean)
        return 0;
    snprintf(buf, size, "avoidable bias is measured against an error of 0, as "
                        "report.human_level_error is not set: if people (or the best possible "
                        "model) err on some of these examples too - noisy labels, ambiguous "
                        "inputs - that part of the gap cannot be removed; set the key to their "
                        "error, and only the gap above it is avoidable");
    return 1;
}

void report_conclude(report *rep, const dlc_config *cfg)
{
    const report_head *rh = report_main(rep);
    rep->human_level_error = cfg->report.human_level_error;
    /* held-out test classes were never trained on: their gap to dev measures
     * how the model carries to new classes, not overfitting to dev */
    double test_error = data_class_splitting(&cfg->data) && cfg->data.class_split[DATA_CLASS_TEST].n
                            ? NAN
                            : split_error(rep, DATA_SPLIT_TEST);
    report_diagnose(&rep->diag, cfg->report.human_level_error, split_error(rep, DATA_SPLIT_TRAIN),
                    split_error(rep, DATA_SPLIT_TRAIN_DEV), split_error(rep, DATA_SPLIT_DEV),
                    test_error);
    report_diagnosis *d = &rep->diag;
    const report_split *s_tr = report_get_split(rep, DATA_SPLIT_TRAIN);
    const report_split *s_dev = report_get_split(rep, DATA_SPLIT_DEV);
    for (int i = 0; i < rep->n_sources && d->variance_vs == REPORT_VS_DEV && s_tr && s_dev; i++)
        if (s_tr->src_known[i] > 0 && s_dev->src_known[i] == 0 && d->untold_source < 0)
            d->untold_source = i;
    int mse_no_human = report_error_is_mse(rh) && cfg->report.human_level_error < 0;
    if (mse_no_human) {
        /* squared error has the data's units: 0 is no proxy for Bayes error,
         * so without a human-level figure there is no avoidable bias */
        d->human_used = NAN;
        d->gap[REPORT_GAP_AVOIDABLE_BIAS] = NAN;
        d->largest = -1;
        for (int g = 0; g < REPORT_GAP_COUNT; g++)
            if (d->gap[g] > 0 && (d->largest < 0 || d->gap[g] > d->gap[d->largest]))
                d->largest = g;
    }
    const int kinds[4] = {DATA_SPLIT_TRAIN, DATA_SPLIT_TRAIN_DEV, DATA_SPLIT_DEV, DATA_SPLIT_TEST};
    if (!report_error_is_mse(rh)) {
        /* error rates counted over predictions: their sampling noise */
        long n[4];
        int counted = 1;
        for (int i = 0; i < 4; i++)
            counted &= (n[i] = known_predictions(rep, kinds[i])) >= 0;
        if (isnan(test_error))
            n[3] = 0;
        if (counted)
            report_diagnose_noise(d, n[0], n[1], n[2], n[3]);
    } else if (rh->task == REPORT_TASK_REGRESSION) {
        /* mean squared errors over examples: theirs, from the squared errors' spread */
        double se[4];
        for (int i = 0; i < 4; i++) {
            const report_split *sp = report_get_split(rep, kinds[i]);
            se[i] = sp ? sp->mse_se : 0;
        }
        report_diagnose_noise_se(d, se[0], se[1], se[2], se[3]);
    }
    if (mse_no_human) {
        /* no human-level figure, but a floor all the same: a model that does
         * no better on its own training data than the mean target has not
         * learned, and a dev gap on top of that is no sign of variance */
        const report_split *tr = report_get_split(rep, DATA_SPLIT_TRAIN);
        if (rh->task == REPORT_TASK_REGRESSION && tr && tr->mse >= tr->mean_mse) {
            d->no_better_than_mean = 1;
            d->train_mean_mse = tr->mean_mse;
            d->largest = REPORT_GAP_AVOIDABLE_BIAS;
            d->within_noise = -1;
        }
    }
    const report_split *s_train = report_get_split(rep, DATA_SPLIT_TRAIN);
    d->unscaled_targets = rh->task == REPORT_TASK_REGRESSION && !cfg->data.normalize_targets &&
                          s_train && s_train->mse >= s_train->mean_mse && s_train->mse > 100;
    majority_floor(rep);
    int kind = metric_split(rep, cfg);
    const report_split *s = report_get_split(rep, kind);
    double *v = rep->measures;
    for (int k = 0; k < REPORT_MEASURE_COUNT; k++)
        v[k] = NAN;
    if (s) {
        v[REPORT_M_ACCURACY] = s->accuracy;
        v[REPORT_M_ERROR] = s->error;
        /* the loss training minimizes, unless the metric names one head */
        v[REPORT_M_LOSS] = cfg->report.metric_head[0] ? s->loss : rep->total_loss[kind];
        if (s->cls)
            v[REPORT_M_F1] = s->macro.f1;
        v[REPORT_M_AUC] = s->auc;
        if (s->tasks) {
            double f1 = 0, auc = 0;
            for (int k = 0; k < rh->K; k++) {
                f1 += s->tasks[k].f1;
                auc += s->tasks[k].auc;
            }
            v[REPORT_M_F1] = f1 / rh->K;
            v[REPORT_M_AUC] = auc / rh->K;
        }
        v[REPORT_M_MSE] = s->mse;
        v[REPORT_M_MAE] = s->mae;
        if (s->det) {
            v[REPORT_M_MAP50] = s->det->map50;
            v[REPORT_M_MAP] = s->det->map;
            v[REPORT_M_IOU] = s->det->mean_iou;
            v[REPORT_M_LANDMARK_PX] = s->det->landmark_px;
        }
    }
    /* an embedding's AUC is its verification AUC on the split */
    if (rh->task == REPORT_TASK_EMBEDDING && rep->verify.present)
        v[REPORT_M_AUC] = rep->verify.splits[kind].auc;
    v[REPORT_M_LATENCY_MS] = rep->latency_ms;
    v[REPORT_M_PARAMS] = (double)(rep->params_trainable + rep->params_frozen);
    v[REPORT_M_SIZE_MB] = rep->size_mb;
    report_config rc = cfg->report;
    if (rc.optimize == REPORT_OPTIMIZE_AUTO)
        rc.optimize = auto_measure(rh);
    report_metric_compute(&rep->metric, &rc, v, kind);
}

void report_confusion_cells(const report_head *rh, const report_split *s, int zeros,
                            void (*fn)(void *ctx, int truth, int pred, long count), void *ctx)
{
    const int K = rh->K;
    if (s->confusion) {
        for (int a = 0; a < K; a++)
            for (int b = 0; b < K; b++) {
                long c = s->confusion[(size_t)a * K + b];
                if (zeros || c)
                    fn(ctx, a, b, c);
            }
        return;
    }
    if (!s->mistakes)
        return;
    long m = 0;
    for (int a = 0; a < K; a++) {
        long diag = s->cls[a].tp; /* the diagonal, placed in column order */
        while (m < s->n_mistakes && s->mistakes[m] / (uint64_t)K == (uint64_t)a) {
            uint64_t key = s->mistakes[m];
            int b = (int)(key % (uint64_t)K);
            long c = 0;
            for (; m < s->n_mistakes && s->mistakes[m] == key; m++)
                c++;
            if (diag && a < b) {
                fn(ctx, a, a, diag);
                diag = 0;
            }
            fn(ctx, a, b, c);
        }
        if (diag)
            fn(ctx, a, a, diag);
    }
}

typedef struct {
    int cap, n;
    int *pairs;
    long *counts;
} top_pairs;

/* Insertion into a short list sorted by count, most first. */
static void top_pair_add(void *ctx, int a, int b, long c)
{
    top_pairs *t = ctx;
    if (a == b || c == 0)
        return;
    int at = t->n < t->cap ? t->n : t->cap;
    while (at > 0 && t->counts[at - 1] < c)
        at--;
    if (at >= t->cap)
        return;
    int last = t->n < t->cap ? t->n : t->cap - 1;
    for (int j = last; j > at; j--) {
        t->counts[j] = t->counts[j - 1];
        t->pairs[2 * j] = t->pairs[2 * (j - 1)];
        t->pairs[2 * j + 1] = t->pairs[2 * (j - 1) + 1];
    }
    t->counts[at] = c;
    t->pairs[2 * at] = a;
    t->pairs[2 * at + 1] = b;
    if (t->n < t->cap)
        t->n++;
}

int report_confused_pairs(const report_head *rh, const report_split *s, int cap, int *pairs,
                          long *counts)
{
    top_pairs t = {cap, 0, pairs, counts};
    if (s && cap > 0)
        report_confusion_cells(rh, s, 0, top_pair_add, &t);
    return t.n;
}

/* ---- files ---- */

dlc_status report_write_all(report *rep, const data_bundle *data, const dlc_config *cfg,
                            const report_run_info *run, const char *run_dir, dlc_error *err)
{
    char path[4200];
    dlc_status s;
    if ((s = report_write_errors(rep, data, cfg, run_dir, err)) != DLC_OK)
        return s;
    report_path(path, sizeof path, run_dir, "confusion.csv");
    if ((s = report_write_confusion(rep, path, err)) != DLC_OK)
        return s;
    report_path(path, sizeof path, run_dir, "report.json");
    if ((s = report_write_json(rep, cfg, run, path, err)) != DLC_OK)
        return s;
    return report_write_html(rep, cfg, run, run_dir, err);
}
