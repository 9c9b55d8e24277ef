/* report_json.c - report.json of a finished run.
 *
 * Schema "dlc-report-1" (fields are only ever added; README documents it):
 *   {"format": "dlc-report-1", "name": str, "loss": str,
 *    "epochs_run": int, "best_epoch": int (0: no dev split), "stopped_early": bool,
 *    "seconds": num (the whole run's wall time, every --resume included),
 *    "seconds_last": num (the last invocation's), "threads": int (per process),
 *    "products": "onednn"|"openblas" (the library of this process's matrix products),
 *    "processes": int (1, or the ranks of an MPI job),
 *    "mpi": {"steps": int, "seconds": num, "seconds_per_step": num, "buckets": int,
 *            "bytes_per_step": int}   (the last invocation's; only with processes > 1),
 *    "params": {"trainable": int, "frozen": int},
 *    "warnings": [str]  (why figures are null beyond "does not apply": a split
 *               whose loss is not finite, e.g. NaN weights; JSON has no NaN),
 *    "data_notes": [{"kind": "warning"|"note", "message": str}]   (what dlc train said of
 *               the data before training: conversions, classes without examples,
 *               labels that look like numbers or ids, files skipped),
 *    "splits": {"train"|"train_dev"|"dev"|"test":
 *               {"examples": int, "loss": num, "accuracy": num|null, "error": num|null
 *                [, "perplexity": num, "bits_per_char"|"bits_per_word": num]}},
 *               (one split per line, these four keys first: scripts grep them; the
 *               last two for language models, whose loss is per token)
 *    "task": "classification"|"binary"|"multilabel"|"regression"|"detection"|
 *            "embedding",
 *    "classes": [str]          (class names; task or target names for multilabel/regression),
 *    "metrics": {split: {per-split details, see split_details}},
 *    "heads": [{"name": str, "loss": str, "weight": num, "task": str, "classes": [str],
 *               "metrics": {split: {per-split details}}}]   (every output of the model),
 *    "cost": {"latency_ms": num|null, "params": int, "size_mb": num|null},
 *    "metric": {"name": str, "split": str, "value": num|null, "higher_is_better": bool,
 *               "constraints_met": bool,
 *               "constraints": [{"name": str, "min"|"max": num, "value": num|null, "met": bool}],
 *               "weights": {measure: num} (optimize: weighted only)},
 *    "diagnosis": {"human_level_error": num|null, "human_level_used": num,
 *                  "errors": {"train"|...: num|null}, "variance_vs": "train_dev"|"dev"|"test",
 *                  "gaps": {"avoidable_bias"|"variance"|"data_mismatch"|"dev_overfitting": num|null},
 *                  "largest": str|null, "noise": {gap: num|null, ...},
 *                  "no_better_than_mean": bool, "train_mean_mse": num|null,
 *                  "unscaled_targets": bool (data.normalize_targets leads the remedies),
 *                  "no_better_than_majority": bool, "majority_class": str|null,
 *                  "train_majority_error": num|null,
 *                  "within_noise": str|null, "remedies": [str],
 *                  "untold_mismatch_source": str|null (data.sources without train-dev: a
 *                  training source dev lacks, whose mismatch the variance gap holds too)},
 *    "verification": null | {"distance": str, "embedding": str|null, "dim": int,
 *                     "threshold": num|null, "threshold_from": "dev"|"train"|null,
 *                     "splits": {split: {"examples", "classes", "pairs": int, "auc", "eer",
 *                                "eer_threshold", "accuracy" (at threshold), "best_accuracy",
 *                                "one_shot_3way", "one_shot_5way": num|null}},
 *                     "histogram": {"split": str, "bins": int, "lo": num, "hi": num,
 *                                   "same": [int], "different": [int]} | null},
 *    "sources": {split: [{"source": str, "examples": int, "error": num|null}]} | null
 *               (data.sources: what each split took from each source, and the primary
 *                output's error on those examples),
 *    "confused_pairs": [{"true": str, "predicted": str, "count": int}]   (dev, else test),
 *    "error_analysis": {"kind": "misclassified"|"largest_errors"|"detections", "dev_errors": int,
 *                       "sampled": int, "file": str, "images": bool} | null}
 *      (largest_errors: a regression output's dev examples with the largest mean absolute
 *       error; dev_errors then counts the dev examples with a known target; detections: a
 *       detection output's missed objects and false positives, which dev_errors counts)
 * A detection output's split details add "detection": {images, objects, map50, map,
 * score_threshold, missed, false_positives, class_accuracy, mean_iou,
 * objectness_accuracy, landmark_px, landmark_within_2px, landmark_mse,
 * per_class: [{class, objects, ap50, ap}]} (null where a figure does not apply).
 * With several outputs, "splits" gives each split's total loss (sum of weight x output
 * loss) with the primary output's accuracy; task, classes, metrics, confused_pairs,
 * the diagnosis and the metric are the primary output's (report.metric names it, else the
 * first); "heads" has them all.
 * Figures are measured in evaluation mode after training; null = does not apply. */
#include <math.h>

#include "../data/data.h"
#include "../io/io.h"
#include "report.h"
#include "report_internal.h"

static void num(dlc_buf *b, double v)
{
    json_write_number(b, v);
}

static void key_num(dlc_buf *b, const char *sep, const char *key, double v)
{
    dlc_buf_printf(b, "%s\"%s\": ", sep, key);
    num(b, v);
}

/* ", \"k0\": v0, \"k1\": v1, ..." */
static void key_nums(dlc_buf *b, const char *const *keys, const double *v, int n)
{
    for (int i = 0; i < n; i++)
        key_num(b, ", ", keys[i], v[i]);
}

static const char *const prf_keys[3] = {"precision", "recall", "f1"};

static void avg(dlc_buf *b, const char *key, const report_avg *a)
{
    dlc_buf_printf(b, ",\n      \"%s\": {", key);
    key_num(b, "", "precision", a->precision);
    key_nums(b, prf_keys + 1, (const double[2]){a->recall, a->f1}, 2);
    dlc_buf_printf(b, "}");
}

/* A detection head's figures (report_detect.c); null where they do not
 * apply (per_class and mAP for landmarks, the box figures for yolo). */
static void detection_details(dlc_buf *b, const report_head *rep, const report_detect *d,
                              double mse)
{
    dlc_buf_printf(b, ",\n      \"detection\": {\"images\": %ld, \"objects\": %ld", d->images,
                   d->objects);
    key_num(b, ", ", "map50", d->map50);
    key_num(b, ", ", "map", d->map);
    int boxes = d->loss != LOSS_LANDMARKS;
    key_num(b, ",\n        ", "score_threshold", boxes ? d->score : NAN);
    dlc_buf_printf(b, ", \"missed\": ");
    boxes ? dlc_buf_printf(b, "%ld", d->missed) : dlc_buf_printf(b, "null");
    dlc_buf_printf(b, ", \"false_positives\": ");
    boxes ? dlc_buf_printf(b, "%ld", d->false_pos) : dlc_buf_printf(b, "null");
    key_num(b, ",\n        ", "class_accuracy", d->class_accuracy);
    key_num(b, ", ", "mean_iou", d->mean_iou);
    key_num(b, ", ", "objectness_accuracy", d->objectness_accuracy);
    key_num(b, ",\n        ", "landmark_px", d->landmark_px);
    key_num(b, ", ", "landmark_within_2px", d->landmark_within_2px);
    key_num(b, ", ", "landmark_mse", d->loss == LOSS_LANDMARKS ? mse : NAN);
    dlc_buf_printf(b, ",\n        \"per_class\": %s", boxes ? "[" : "null");
    for (int k = 0; boxes && k < rep->K; k++) {
        dlc_buf_printf(b, "%s\n          {\"class\": ", k ? "," : "");
        json_write_string(b, rep->names.v[k]);
        dlc_buf_printf(b, ", \"objects\": %ld", d->n_gt[k]);
        key_num(b, ", ", "ap50", d->ap50[k]);
        key_num(b, ", ", "ap", d->ap[k]);
        dlc_buf_printf(b, "}");
    }
    dlc_buf_printf(b, "%s}", boxes ? "\n        ]" : "");
}

static void split_details(dlc_buf *b, const report_head *rep, const report_split *s)
{
    int K = rep->K;
    dlc_buf_printf(b, "    \"%s\": {\"examples\": %d", s->name, s->n);
    key_num(b, ", ", "loss", s->loss);
    key_num(b, ", ", "accuracy", s->accuracy);
    key_num(b, ", ", "error", s->error);
    if (s->cls) {
        avg(b, "macro", &s->macro);
        avg(b, "weighted", &s->weighted);
        dlc_buf_printf(b, ",\n      \"auc\": ");
        num(b, s->auc);
        dlc_buf_printf(b, ",\n      \"per_class\": [");
        for (int k = 0; k < K; k++) {
            const report_class_stats *c = &s->cls[k];
            dlc_buf_printf(b, "%s\n        {\"class\": ", k ? "," : "");
            json_write_string(b, rep->names.v[k]);
            dlc_buf_printf(b, ", \"support\": %ld, \"predicted\": %ld, \"correct\": %ld", c->support,
                           c->predicted, c->tp);
            key_nums(b, prf_keys, (const double[3]){c->precision, c->recall, c->f1}, 3);
            dlc_buf_printf(b, "}");
        }
        dlc_buf_printf(b, "\n      ],\n      \"confusion\": %s", s->confusion ? "[" : "null");
        for (int a = 0; s->confusion && a < K; a++) {
            dlc_buf_printf(b, "%s\n        [", a ? "," : "");
            for (int p = 0; p < K; p++)
                dlc_buf_printf(b, "%s%ld", p ? ", " : "", s->confusion[(size_t)a * K + p]);
            dlc_buf_printf(b, "]");
        }
        if (s->confusion)
            dlc_buf_printf(b, "\n      ]");
    }
    if (s->tasks) {
        dlc_buf_printf(b, ",\n      \"tasks\": [");
        for (int k = 0; k < K; k++) {
            const report_task_stats *t = &s->tasks[k];
            dlc_buf_printf(b, "%s\n        {\"task\": ", k ? "," : "");
            json_write_string(b, rep->names.v[k]);
            dlc_buf_printf(b, ", \"known\": %ld, \"positives\": %ld, \"predicted\": %ld", t->known,
                           t->positives, t->predicted);
            static const char *const keys[5] = {"accuracy", "precision", "recall", "f1", "auc"};
            key_nums(b, keys, (const double[5]){t->accuracy, t->precision, t->recall, t->f1, t->auc}, 5);
            dlc_buf_printf(b, "}");
        }
        dlc_buf_printf(b, "\n      ]");
    }
    if (rep->task == REPORT_TASK_REGRESSION) {
        key_num(b, ",\n      ", "mse", s->mse);
        key_num(b, ", ", "mae", s->mae);
        key_num(b, ", ", "r2", s->r2);
        key_num(b, ", ", "mean_mse", s->mean_mse);
        key_num(b, ", ", "mse_se", s->mse_se);
    }
    if (s->det)
        detection_details(b, rep, s->det, s->mse);
    if (rep->loss == LOSS_TRIPLET) {
        key_num(b, ",\n      ", "loss_all_triplets", s->loss_all);
        key_num(b, ", ", "active_triplets", s->active);
    }
    dlc_buf_printf(b, "\n    }");
}

static void counts_json(dlc_buf *b, const long *c, int n)
{
    dlc_buf_printf(b, "[");
    for (int i = 0; i < n; i++)
        dlc_buf_printf(b, i ? ", %ld" : "%ld", c[i]);
    dlc_buf_printf(b, "]");
}

/* "verification": {...} or null (see report.h: report_verify) */
static void verify_json(dlc_buf *b, const report_verify *v)
{
    dlc_buf_printf(b, "  \"verification\": ");
    if (!v->present) {
        dlc_buf_printf(b, "null,\n");
        return;
    }
    dlc_buf_printf(b, "{\"distance\": \"%s\", \"embedding\": ", v->distance);
    if (v->embedding[0])
        json_write_string(b, v->embedding);
    else
        dlc_buf_printf(b, "null");
    dlc_buf_printf(b, ", \"dim\": %zu", v->dim);
    key_num(b, ", ", "threshold", v->threshold);
    dlc_buf_printf(b, ", \"threshold_from\": ");
    if (v->threshold_split >= 0)
        dlc_buf_printf(b, "\"%s\"", data_split_names[v->threshold_split]);
    else
        dlc_buf_printf(b, "null");
    dlc_buf_printf(b, ",\n    \"splits\": {");
    int first = 1, hist = report_verify_shown_split(v);
    for (int k = 0; k < DATA_SPLIT_COUNT; k++) {
        const report_verify_split *r = &v->splits[k];
        if (!r->present)
            continue;
        dlc_buf_printf(b, "%s\n      \"%s\": {\"examples\": %d, \"classes\": %d, \"pairs\": %d",
                       first ? "" : ",", data_split_names[k], r->examples, r->classes, r->pairs);
        first = 0;
        static const char *const keys[6] = {"auc", "eer", "eer_threshold", "accuracy",
                                            "best_accuracy", "one_shot_3way"};
        key_nums(b, keys, (const double[6]){r->auc, r->eer, r->eer_threshold, r->accuracy,
                                            r->best_accuracy, r->one_shot[0]}, 6);
        key_num(b, ", ", "one_shot_5way", r->one_shot[1]);
        dlc_buf_printf(b, "}");
    }
    dlc_buf_printf(b, "\n    },\n    \"histogram\": ");
    if (hist >= 0) {
        const report_verify_split *r = &v->splits[hist];
        dlc_buf_printf(b, "{\"split\": \"%s\", \"bins\": %d", data_split_names[hist],
                       REPORT_HIST_BINS);
        key_num(b, ", ", "lo", r->hist_lo);
        key_num(b, ", ", "hi", r->hist_hi);
        dlc_buf_printf(b, ",\n      \"same\": ");
        counts_json(b, r->hist_same, REPORT_HIST_BINS);
        dlc_buf_printf(b, ",\n      \"different\": ");
        counts_json(b, r->hist_diff, REPORT_HIST_BINS);
        dlc_buf_printf(b, "}");
    } else {
        dlc_buf_printf(b, "null");
    }
    dlc_buf_printf(b, "},\n");
}

static void metric_json(dlc_buf *b, const report *rep, const dlc_config *cfg)
{
    const report_metric *m = &rep->metric;
    dlc_buf_printf(b, "  \"metric\": {\"name\": \"%s\", \"split\": \"%s\", \"value\": ", m->name,
                   data_split_names[m->split]);
    num(b, m->value);
    dlc_buf_printf(b, ", \"higher_is_better\": %s, \"constraints_met\": %s,\n    \"constraints\": [",
                   m->higher_is_better ? "true" : "false", m->constraints_met ? "true" : "false");
    for (int i = 0; i < m->n_constraints; i++) {
        const report_constraint *c = &m->c[i];
        dlc_buf_printf(b, "%s{\"name\": \"%s\", \"%s\": ", i ? ", " : "",
                       report_measure_names[c->measure], c->is_min ? "min" : "max");
        num(b, c->bound);
        key_num(b, ", ", "value", c->value);
        dlc_buf_printf(b, ", \"met\": %s}", c->met ? "true" : "false");
    }
    dlc_buf_printf(b, "]");
    if (cfg->report.optimize == REPORT_OPTIMIZE_WEIGHTED) {
        dlc_buf_printf(b, ",\n    \"weights\": {");
        int first = 1;
        for (int k = 0; k < REPORT_MEASURE_COUNT; k++)
            if (cfg->report.weight[k] != 0) {
                key_num(b, first ? "" : ", ", report_measure_names[k], cfg->report.weight[k]);
                first = 0;
            }
        dlc_buf_printf(b, "}");
    }
    dlc_buf_printf(b, "},\n");
}

static void diagnosis_json(dlc_buf *b, const report *rep)
{
    const report_diagnosis *d = &rep->diag;
    dlc_buf_printf(b, "  \"diagnosis\": {");
    key_num(b, "", "human_level_error", d->human);
    key_num(b, ", ", "human_level_used", d->human_used);
    dlc_buf_printf(b, ",\n    \"errors\": {");
    key_num(b, "", "train", d->train);
    key_num(b, ", ", "train_dev", d->train_dev);
    key_num(b, ", ", "dev", d->dev);
    key_num(b, ", ", "test", d->test);
    dlc_buf_printf(b, "}, \"error_measure\": \"%s\", \"variance_vs\": \"%s\",\n    \"gaps\": {",
                   report_error_measure(rep),
                   report_variance_vs_names[d->variance_vs]);
    for (int g = 0; g < REPORT_GAP_COUNT; g++)
        key_num(b, g ? ", " : "", report_gap_names[g], d->gap[g]);
    dlc_buf_printf(b, "},\n    \"largest\": ");
    if (d->largest >= 0)
        dlc_buf_printf(b, "\"%s\"", report_gap_names[d->largest]);
    else
        dlc_buf_printf(b, "null");
    dlc_buf_printf(b, ",\n    \"noise\": {");
    for (int g = 0; g < REPORT_GAP_COUNT; g++)
        key_num(b, g ? ", " : "", report_gap_names[g], d->noise[g]);
    dlc_buf_printf(b, "}, \"no_better_than_mean\": %s", d->no_better_than_mean ? "true" : "false");
    key_num(b, ", ", "train_mean_mse", d->train_mean_mse);
    dlc_buf_printf(b, ", \"unscaled_targets\": %s", d->unscaled_targets ? "true" : "false");
    dlc_buf_printf(b, ", \"no_better_than_majority\": %s, \"majority_class\": ",
                   d->no_better_than_majority ? "true" : "false");
    if (d->majority_class >= 0 && d->majority_class < report_main(rep)->names.n)
        json_write_string(b, report_main(rep)->names.v[d->majority_class]);
    else
        dlc_buf_printf(b, "null");
    key_num(b, ", ", "train_majority_error", d->train_majority_error);
    dlc_buf_printf(b, ", \"within_noise\": ");
    if (d->within_noise >= 0)
        dlc_buf_printf(b, "\"%s\"", report_gap_names[d->within_noise]);
    else
        dlc_buf_printf(b, "null");
    dlc_buf_printf(b, ", \"remedies\": [");
    const char *const *r = report_remedies(d);
    for (int i = 0; r && r[i]; i++) {
        dlc_buf_printf(b, "%s", i ? ", " : "");
        json_write_string(b, r[i]);
    }
    dlc_buf_printf(b, "], \"untold_mismatch_source\": ");
    if (d->untold_source >= 0 && d->untold_source < rep->source_names.n)
        json_write_string(b, rep->source_names.v[d->untold_source]);
    else
        dlc_buf_printf(b, "null");
    dlc_buf_printf(b, "},\n");
}

/* The split whose confusion the analysis reads: dev, else test. */
static const report_split *analysis_split(const report_head *rh)
{
    const report_split *s = report_head_split(rh, DATA_SPLIT_DEV);
    return s ? s : report_head_split(rh, DATA_SPLIT_TEST);
}

static void names_json(dlc_buf *b, const dlc_strlist *names)
{
    dlc_buf_printf(b, "[");
    for (int k = 0; k < names->n; k++) {
        dlc_buf_printf(b, "%s", k ? ", " : "");
        json_write_string(b, names->v[k]);
    }
    dlc_buf_printf(b, "]");
}

/* {"train": {...}, ...} of one head, indented by `indent` */
static void head_metrics(dlc_buf *b, const report_head *rh)
{
    dlc_buf_printf(b, "{\n");
    for (int i = 0; i < rh->n_splits; i++) {
        split_details(b, rh, &rh->splits[i]);
        dlc_buf_printf(b, "%s\n", i + 1 < rh->n_splits ? "," : "");
    }
    dlc_buf_printf(b, "  }");
}

dlc_status report_write_json(const report *rep, const dlc_config *cfg, const report_run_info *run,
                             const char *path, dlc_error *err)
{
    dlc_buf b = {0};
    dlc_buf_printf(&b, "{\n  \"format\": \"dlc-report-1\",\n  \"name\": ");
    json_write_string(&b, cfg->name);
    const report_head *main = report_main(rep);
    dlc_buf_printf(&b, ",\n  \"loss\": \"%s\",\n", loss_names[main->loss]);
    dlc_buf_printf(&b, "  \"epochs_run\": %d,\n  \"best_epoch\": %d,\n  \"stopped_early\": %s,\n",
                   run->epochs_run, run->best_epoch, run->stopped_early ? "true" : "false");
    dlc_buf_printf(&b, "  \"seconds\": %.3f,\n  \"seconds_last\": %.3f,\n  \"threads\": %d,\n",
                   run->seconds, run->seconds_last, run->threads);
    dlc_buf_printf(&b, "  \"products\": \"%s\",\n", tensor_gemm_library_name());
    dlc_buf_printf(&b, "  \"processes\": %d,\n", run->processes > 1 ? run->processes : 1);
    if (run->processes > 1)
        dlc_buf_printf(&b,
                       "  \"mpi\": {\"steps\": %ld, \"seconds\": %.3f, \"seconds_per_step\": %.6f, "
                       "\"buckets\": %d, \"bytes_per_step\": %zu},\n",
                       run->steps, run->mpi_seconds,
                       run->steps > 0 ? run->mpi_seconds / (double)run->steps : 0.0, run->buckets,
                       run->allreduce_bytes);
    dlc_buf_printf(&b, "  \"params\": {\"trainable\": %zu, \"frozen\": %zu},\n",
                   rep->params_trainable, rep->params_frozen);
    dlc_strlist warnings = {0};
    dlc_status st = report_warnings(rep, &warnings, err);
    dlc_buf_printf(&b, "  ");
    json_write_warnings(&b, &warnings);
    dlc_buf_printf(&b, ",\n");
    dlc_strlist_clear(&warnings);
    if (st != DLC_OK) {
        dlc_buf_free(&b);
        return st;
    }
    dlc_buf_printf(&b, "  \"data_notes\": [");
    for (int i = 0; i < rep->data_notes.n; i++) {
        const char *msg = rep->data_notes.v[i];
        const int warning = strncmp(msg, "warning: ", 9) == 0;
        const char *colon = strncmp(msg, "note: ", 6) == 0 ? msg + 6 : warning ? msg + 9 : msg;
        dlc_buf_printf(&b, "%s\n    {\"kind\": \"%s\", \"message\": ", i ? "," : "",
                       warning ? "warning" : "note");
        json_write_string(&b, colon);
        dlc_buf_printf(&b, "}");
    }
    dlc_buf_printf(&b, "%s],\n", rep->data_notes.n ? "\n  " : "");
    dlc_buf_printf(&b, "  \"splits\": {");
    for (int i = 0; i < main->n_splits; i++) {
        const report_split *s = &main->splits[i];
        dlc_buf_printf(&b, "%s\n    \"%s\": {\"examples\": %d, \"loss\": ", i ? "," : "", s->name, s->n);
        num(&b, rep->n_heads > 1 ? rep->total_loss[s->kind] : s->loss);
        dlc_buf_printf(&b, ", \"accuracy\": ");
        num(&b, s->accuracy);
        dlc_buf_printf(&b, ", \"error\": ");
        num(&b, s->error);
        if (cfg->data.format == DATA_TEXT && (cfg->data.text.task == TEXT_LM || cfg->data.text.task == TEXT_BILM)) {
            /* language models (a biLM: both directions' predictions): the per-token
             * loss in nats as perplexity and bits */
            key_num(&b, ", ", "perplexity", exp(s->loss));
            key_num(&b, ", ", cfg->data.text.unit == TEXT_CHARS ? "bits_per_char" : "bits_per_word",
                    s->loss / M_LN2);
        }
        dlc_buf_printf(&b, "}");
    }
    dlc_buf_printf(&b, "\n  },\n  \"task\": \"%s\",\n  \"classes\": ", report_task_names[main->task]);
    names_json(&b, &main->names);
    dlc_buf_printf(&b, ",\n  \"metrics\": ");
    head_metrics(&b, main);
    dlc_buf_printf(&b, ",\n  \"heads\": [");
    for (int h = 0; h < rep->n_heads; h++) {
        const report_head *rh = &rep->heads[h];
        dlc_buf_printf(&b, "%s\n  {\"name\": ", h ? "," : "");
        json_write_string(&b, rh->name);
        dlc_buf_printf(&b, ", \"loss\": \"%s\"", loss_names[rh->loss]);
        key_num(&b, ", ", "weight", rh->weight);
        dlc_buf_printf(&b, ", \"task\": \"%s\", \"classes\": ", report_task_names[rh->task]);
        names_json(&b, &rh->names);
        dlc_buf_printf(&b, ",\n  \"metrics\": ");
        head_metrics(&b, rh);
        dlc_buf_printf(&b, "}");
    }
    dlc_buf_printf(&b, "],\n  \"cost\": {");
    key_num(&b, "", "latency_ms", rep->latency_ms);
    dlc_buf_printf(&b, ", \"params\": %zu", rep->params_trainable + rep->params_frozen);
    key_num(&b, ", ", "size_mb", rep->size_mb);
    dlc_buf_printf(&b, "},\n");
    metric_json(&b, rep, cfg);
    verify_json(&b, &rep->verify);
    diagnosis_json(&b, rep);
    int pairs[2 * 10];
    long counts[10];
    int np = report_confused_pairs(main, analysis_split(main), 10, pairs, counts);
    dlc_buf_printf(&b, "  \"sources\": ");
    if (rep->n_sources > 0) {
        dlc_buf_printf(&b, "{");
        for (int k = 0, first = 1; k < DATA_SPLIT_COUNT; k++) {
            int total = 0;
            for (int j = 0; j < rep->n_sources; j++)
                total += rep->source_count[k][j];
            if (!total)
                continue;
            dlc_buf_printf(&b, "%s\n    \"%s\": [", first ? "" : ",", data_split_names[k]);
            first = 0;
            for (int j = 0; j < rep->n_sources; j++) {
                dlc_buf_printf(&b, "%s{\"source\": ", j ? ", " : "");
                json_write_string(&b, rep->source_names.v[j]);
                dlc_buf_printf(&b, ", \"examples\": %d", rep->source_count[k][j]);
                key_num(&b, ", ", "error", rep->source_error[k][j]);
                dlc_buf_printf(&b, "}");
            }
            dlc_buf_printf(&b, "]");
        }
        dlc_buf_printf(&b, "\n  },\n");
    } else {
        dlc_buf_printf(&b, "null,\n");
    }
    dlc_buf_printf(&b, "  \"confused_pairs\": [");
    for (int i = 0; i < np; i++) {
        dlc_buf_printf(&b, "%s{\"true\": ", i ? ", " : "");
        json_write_string(&b, main->names.v[pairs[2 * i]]);
        dlc_buf_printf(&b, ", \"predicted\": ");
        json_write_string(&b, main->names.v[pairs[2 * i + 1]]);
        dlc_buf_printf(&b, ", \"count\": %ld}", counts[i]);
    }
    dlc_buf_printf(&b, "],\n  \"error_analysis\": ");
    if (rep->dev_errors >= 0)
        dlc_buf_printf(&b, "{\"kind\": \"%s\", \"dev_errors\": %d, \"sampled\": %d, "
                           "\"file\": \"errors/errors.csv\", \"images\": %s}\n}\n",
                       rep->residuals     ? "largest_errors"
                       : rep->det_sampled ? "detections"
                                          : "misclassified",
                       rep->dev_errors,
                       rep->n_sampled, rep->has_images ? "true" : "false");
    else
        dlc_buf_printf(&b, "null\n}\n");
    return report_write_buf(path, &b, err);
}

typedef struct {
    dlc_buf *b;
    const report_head *rh;
    const char *split;
    int with_head;
} confusion_csv;

static void confusion_row(void *ctx, int a, int p, long c)
{
    confusion_csv *w = ctx;
    if (w->with_head) {
        report_csv_field(w->b, w->rh->name);
        dlc_buf_printf(w->b, ",");
    }
    dlc_buf_printf(w->b, "%s,", w->split);
    report_csv_field(w->b, w->rh->names.v[a]);
    dlc_buf_printf(w->b, ",");
    report_csv_field(w->b, w->rh->names.v[p]);
    dlc_buf_printf(w->b, ",%ld\n", c);
}

/* Heads with a confusion matrix: classification and binary. */
static int has_confusion(const report_head *rh)
{
    return rh->task == REPORT_TASK_CLASSES || rh->task == REPORT_TASK_BINARY;
}

dlc_status report_write_confusion(const report *rep, const char *path, dlc_error *err)
{
    int n = 0;
    for (int h = 0; h < rep->n_heads; h++)
        n += has_confusion(&rep->heads[h]);
    if (n == 0)
        return DLC_OK;
    dlc_buf b = {0};
    dlc_buf_printf(&b, "%ssplit,true,predicted,count\n", rep->n_heads > 1 ? "output," : "");
    for (int h = 0; h < rep->n_heads; h++) {
        const report_head *rh = &rep->heads[h];
        if (!has_confusion(rh))
            continue;
        for (int i = 0; i < rh->n_splits; i++) {
            confusion_csv w = {&b, rh, rh->splits[i].name, rep->n_heads > 1};
            report_confusion_cells(rh, &rh->splits[i], 1, confusion_row, &w);
        }
    }
    return report_write_buf(path, &b, err);
}
