/* report_html.c - runs/<name>/report.html: one self-contained page (inline
 * CSS and SVG, images as data: URIs, no scripts, nothing fetched) with what
 * to do next, the metric, figures per split, learning curves, the confusion
 * heat map, the per-class table, the bias / variance table, the error
 * sample and the resolved config.
 *
 * Every figure that report.json also holds is written in an element with
 * data-key="<path in report.json>" and data-value="<the same number, %.9g>",
 * so a test (tests/cli/report_html.bats) can check the page against the
 * file. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../io/io.h"
#include "report.h"
#include "report_internal.h"
#include "svg.h"

#define MAX_GALLERY 100
#define MAX_CLASS_ROWS 100

/* ---- metrics.csv: the learning curves ---- */

enum { C_EPOCH, C_LR, C_TRAIN_LOSS, C_TRAIN_ACC, C_DEV_LOSS, C_DEV_ACC, C_COUNT };
static const char *const curve_cols[C_COUNT] = {"epoch", "lr", "train_loss", "train_accuracy",
                                                "dev_loss", "dev_accuracy"};

typedef struct {
    int n;
    double *v[C_COUNT];  /* (n) each; NaN for empty cells */
} curves;

static void curves_free(curves *c)
{
    for (int k = 0; k < C_COUNT; k++)
        free(c->v[k]);
}

/* Reads metrics.csv by column name; a missing file gives no curves, and
 * cells that are not numbers are gaps. */
static dlc_status curves_read(curves *c, const char *path, dlc_error *err)
{
    memset(c, 0, sizeof *c);
    char *text = NULL;
    size_t len = 0;
    if (dlc_read_file(path, &text, &len, NULL) != DLC_OK)
        return DLC_OK;
    int lines = 1, col_of[32], ncols = 0, header = 1;
    for (size_t i = 0; i < len; i++)
        lines += text[i] == '\n';
    for (int k = 0; k < C_COUNT; k++)
        if (!(c->v[k] = malloc(sizeof(double) * (size_t)lines))) {
            free(text);
            curves_free(c);
            return DLC_NOMEM(err);
        }
    char *save = NULL;
    for (char *line = strtok_r(text, "\r\n", &save); line; line = strtok_r(NULL, "\r\n", &save)) {
        double row[C_COUNT];
        for (int k = 0; k < C_COUNT; k++)
            row[k] = NAN;
        int col = 0;
        for (char *p = line; p && col < 32; col++) {
            char *comma = strchr(p, ',');
            if (comma)
                *comma = '\0';
            if (header) {
                col_of[col] = -1;
                for (int k = 0; k < C_COUNT; k++)
                    if (strcmp(p, curve_cols[k]) == 0)
                        col_of[col] = k;
                ncols = col + 1;
            } else if (col < ncols && col_of[col] >= 0) {
                double x;
                if (dlc_parse_double(p, &x) == 0)
                    row[col_of[col]] = x;
            }
            p = comma ? comma + 1 : NULL;
        }
        if (!header && c->n < lines && !isnan(row[C_EPOCH])) {
            for (int k = 0; k < C_COUNT; k++)
                c->v[k][c->n] = row[k];
            c->n++;
        }
        header = 0;
    }
    free(text);
    return DLC_OK;
}

/* ---- figures with their report.json path ---- */

static void attr_num(dlc_buf *b, double v)
{
    if (isfinite(v))
        dlc_buf_printf(b, "%.9g", v);
    else
        dlc_buf_printf(b, "null");
}

/* <td data-key=key data-value=v>text</td>; pct: shown as a percentage. */
static void td_fig(dlc_buf *b, const char *key, double v, int pct)
{
    dlc_buf_printf(b, "<td data-key=\"%s\" data-value=\"", key);
    attr_num(b, v);
    if (!isfinite(v))
        dlc_buf_printf(b, "\">&ndash;</td>");
    else if (pct)
        dlc_buf_printf(b, "\">%.2f%%</td>", 100 * v);
    else
        dlc_buf_printf(b, "\">%.4g</td>", v);
}

/* td_fig for the figures fields[i] = v[i] under report.json path prefix. */
static void td_figs(dlc_buf *b, const char *prefix, const char *const *fields, const double *v, int n,
                    int pct_first)
{
    char key[192];
    for (int i = 0; i < n; i++) {
        snprintf(key, sizeof key, "%s.%s", prefix, fields[i]);
        td_fig(b, key, v[i], pct_first && i == 0);
    }
}

static const char *const prf_fields[3] = {"precision", "recall", "f1"};

static void td_text(dlc_buf *b, const char *s)
{
    dlc_buf_printf(b, "<td>");
    report_html_text(b, s);
    dlc_buf_printf(b, "</td>");
}

static const char *const STYLE =
    "body{font:15px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;color:#222;max-width:1060px;"
    "margin:0 auto;padding:16px 24px 60px}"
    "h1{font-size:24px;margin:8px 0 2px}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #ddd;"
    "padding-bottom:4px}.sub{color:#666;margin:0 0 14px}"
    "table{border-collapse:collapse;margin:6px 0}td,th{padding:3px 10px;text-align:right;"
    "border-bottom:1px solid #eee}th{background:#f5f5f5;font-weight:600}td:first-child,th:first-child"
    "{text-align:left}.next{background:#fff8e1;border-left:5px solid #f0a500;padding:10px 16px;"
    "margin:14px 0}.next h2{border:0;margin:0 0 6px}.metric{font-size:17px}"
    ".ok{color:#1b7f3b}.bad{color:#b3261e;font-weight:600}.largest{background:#fdecea;font-weight:600}"
    ".charts{display:flex;flex-wrap:wrap;gap:10px}svg text{font:12px system-ui,sans-serif;fill:#333}"
    "svg .ct{font-weight:600;font-size:13px}svg .yt{text-anchor:end}svg .xt{text-anchor:middle}"
    "svg .grid{stroke:#e6e6e6}svg .hl{text-anchor:end}svg .hc{text-anchor:middle;font-size:11px}"
    ".gallery{display:flex;flex-wrap:wrap;gap:10px}.gallery figure{margin:0;width:112px;"
    "font-size:12px;text-align:center}.gallery img{width:96px;height:96px;image-rendering:pixelated;"
    "border:1px solid #ccc;object-fit:contain}pre{background:#f7f7f7;padding:10px;overflow:auto;"
    "font-size:12px;max-height:480px}.muted{color:#777}";

static void head(dlc_buf *b, const report *rep, const dlc_config *cfg, const report_run_info *run)
{
    dlc_buf_printf(b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                      "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
                      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
                      "style-src 'unsafe-inline'; img-src data:\"><title>dlc report: ");
    report_html_text(b, cfg->name);
    dlc_buf_printf(b, "</title><style>%s</style></head><body>\n<h1>", STYLE);
    report_html_text(b, cfg->name);
    dlc_buf_printf(b, "</h1><p class=\"sub\">%s &middot; loss %s &middot; "
                      "<span data-key=\"epochs_run\" data-value=\"%d\">%d</span> epochs%s &middot; "
                      "best dev epoch <span data-key=\"best_epoch\" data-value=\"%d\">%d</span> &middot; "
                      "%.1f s on %d thread%s &middot; <span data-key=\"cost.params\" data-value=\"%zu\">%zu</span> parameters</p>\n",
                   report_task_names[report_main(rep)->task], loss_names[report_main(rep)->loss],
                   run->epochs_run, run->epochs_run,
                   run->stopped_early ? " (stopped early)" : "", run->best_epoch, run->best_epoch,
                   run->seconds, run->threads, run->threads == 1 ? "" : "s", rep->params_trainable + rep->params_frozen,
                   rep->params_trainable + rep->params_frozen);
}

static void next_steps(dlc_buf *b, const report *rep)
{
    const report_diagnosis *d = &rep->diag;
    const report_metric *m = &rep->metric;
    dlc_buf_printf(b, "<div class=\"next\" id=\"diagnosis\" data-largest=\"%s\"><h2>What to do next</h2>",
                   d->largest >= 0 ? report_gap_names[d->largest] : "none");
    if (d->no_better_than_mean) {
        dlc_buf_printf(b, "<p>On train the model does no better than predicting the mean target "
                          "(mse %.4g, the mean's %.4g): it has not fit its training data, so "
                          "<b>avoidable bias</b> comes first (its size is unknown without "
                          "report.human_level_error). Try:</p>",
                       d->train, d->train_mean_mse);
    } else if (d->no_better_than_majority) {
        const report_head *rh = report_main(rep);
        dlc_buf_printf(b, "<p>On train the model does no better than always predicting the most "
                          "frequent class, <b>");
        report_html_text(b, d->majority_class < rh->names.n ? rh->names.v[d->majority_class] : "?");
        dlc_buf_printf(b, "</b> (error %.2f%%, the model's %.2f%%): it has not fit its training "
                          "data, so <b>avoidable bias</b> comes first. Try:</p>",
                       100 * d->train_majority_error, 100 * d->train);
    } else if (d->largest >= 0) {
        int noisy = report_larger_within_noise(d), mse = report_error_is_mse(report_main(rep));
        dlc_buf_printf(b, "<p>The largest gap%s is <b>%s</b> (", noisy >= 0 ? " beyond sampling noise" : "",
                       report_gap_titles[d->largest]);
        dlc_buf_printf(b, mse ? "%.4g" : "%.2f%% points", (mse ? 1 : 100) * d->gap[d->largest]);
        if (noisy >= 0) {
            dlc_buf_printf(b, "; %s, ", report_gap_titles[noisy]);
            dlc_buf_printf(b, mse ? "%.4g" : "%.2f%% points", (mse ? 1 : 100) * d->gap[noisy]);
            if (report_gap_noise_unknown(d, noisy)) {
                dlc_buf_printf(b, ", is over a split of one example");
            } else {
                dlc_buf_printf(b, ", is within its noise of &plusmn;");
                dlc_buf_printf(b, mse ? "%.4g" : "%.2f%% points", (mse ? 1 : 100) * d->noise[noisy]);
            }
        }
        dlc_buf_printf(b, "). Try:</p>");
    } else if (d->within_noise >= 0 && report_gap_noise_unknown(d, d->within_noise)) {
        int g = d->within_noise;
        int mse = report_error_is_mse(report_main(rep));
        dlc_buf_printf(b, "<p>No gap stands out from sampling noise: the largest, <b>%s</b> (",
                       report_gap_titles[g]);
        dlc_buf_printf(b, mse ? "%.4g" : "%.2f%% points", (mse ? 1 : 100) * d->gap[g]);
        dlc_buf_printf(b, "), is over a split of one example, whose squared error says nothing of "
                          "its spread. More examples would tell which gap to act on.</p>");
    } else if (d->within_noise >= 0) {
        int g = d->within_noise;
        int mse = report_error_is_mse(report_main(rep));
        dlc_buf_printf(b, "<p>No gap stands out from sampling noise: the largest, <b>%s</b> (",
                       report_gap_titles[g]);
        dlc_buf_printf(b, mse ? "%.4g" : "%.2f%% points", (mse ? 1 : 100) * d->gap[g]);
        dlc_buf_printf(b, "), is within &plusmn;");
        dlc_buf_printf(b, mse ? "%.4g" : "%.2f%% points", (mse ? 1 : 100) * d->noise[g]);
        dlc_buf_printf(b, " (two standard errors of the %s on these splits' examples). "
                          "More dev and train examples would tell which gap to act on.</p>",
                       mse ? "mean squared errors" : "error rates");
    } else {
        dlc_buf_printf(b, "<p>No gap is positive: nothing stands out.</p>");
    }
    char untold[400];
    if (report_untold_mismatch(rep, untold, sizeof untold)) {
        dlc_buf_printf(b, "<p id=\"untold-mismatch\">Note: ");
        report_html_text(b, untold);
        dlc_buf_printf(b, ".</p>");
    }
    if (report_assumed_bayes(rep, untold, sizeof untold)) {
        dlc_buf_printf(b, "<p id=\"assumed-bayes\">Note: ");
        report_html_text(b, untold);
        dlc_buf_printf(b, ".</p>");
    }
    if (d->largest >= 0) {
        dlc_buf_printf(b, "<ul>");
        for (const char *const *r = report_remedies(d); r && *r; r++) {
            dlc_buf_printf(b, "<li>");
            report_html_text(b, *r);
            dlc_buf_printf(b, "</li>");
        }
        dlc_buf_printf(b, "</ul>");
    }
    dlc_buf_printf(b, "<p class=\"metric\" id=\"metric\">Metric: <b>%s</b> on %s = "
                      "<b data-key=\"metric.value\" data-value=\"",
                   m->name, data_split_names[m->split]);
    attr_num(b, m->value);
    dlc_buf_printf(b, "\">");
    if (isfinite(m->value))
        dlc_buf_printf(b, "%.4g", m->value);
    else
        dlc_buf_printf(b, "&ndash;");
    dlc_buf_printf(b, "</b> (%s is better)", m->higher_is_better ? "higher" : "lower");
    if (m->n_constraints > 0) {
        dlc_buf_printf(b, "; constraints <span class=\"%s\" data-key=\"metric.constraints_met\" "
                          "data-value=\"%s\">%s</span>:",
                       m->constraints_met ? "ok" : "bad", m->constraints_met ? "true" : "false",
                       m->constraints_met ? "met" : "NOT met");
        for (int i = 0; i < m->n_constraints; i++) {
            const report_constraint *c = &m->c[i];
            dlc_buf_printf(b, "%s %s %.6g %s %.6g <span class=\"%s\">(%s)</span>", i ? "," : "",
                           report_measure_names[c->measure], c->value, c->is_min ? "&ge;" : "&le;",
                           c->bound, c->met ? "ok" : "bad", c->met ? "ok" : "fails");
        }
    }
    dlc_buf_printf(b, "</p>");
    /* what report.json's warnings say, on the page too */
    dlc_strlist w = {0};
    dlc_error werr = {0};
    if (report_warnings(rep, &w, &werr) == DLC_OK && w.n > 0) {
        dlc_buf_printf(b, "<ul class=\"bad\" id=\"warnings\">");
        for (int i = 0; i < w.n; i++) {
            dlc_buf_printf(b, "<li>Warning: ");
            report_html_text(b, w.v[i]);
            dlc_buf_printf(b, "</li>");
        }
        dlc_buf_printf(b, "</ul>");
    }
    dlc_strlist_clear(&w);
    /* what dlc train said of the data, kept for whoever reads the run later */
    if (rep->data_notes.n > 0) {
        dlc_buf_printf(b, "<p>Of the data, before training:</p><ul id=\"data-notes\">");
        for (int i = 0; i < rep->data_notes.n; i++) {
            const char *msg = rep->data_notes.v[i];
            const int warning = strncmp(msg, "warning: ", 9) == 0;
            dlc_buf_printf(b, "<li class=\"%s\">%s", warning ? "bad" : "muted",
                           warning ? "Warning: " : "Note: ");
            report_html_text(b, strncmp(msg, "note: ", 6) == 0 ? msg + 6 : warning ? msg + 9 : msg);
            dlc_buf_printf(b, "</li>");
        }
        dlc_buf_printf(b, "</ul>");
    }
    dlc_buf_printf(b, "</div>\n");
}

/* A detection output's figures per split (report_detect.c): mAP and the
 * mistakes at its threshold for boxes; the class and the box of the one
 * object for localize; the distance in pixels for landmarks. */
static void detection_table(dlc_buf *b, const report *rep, const report_head *rh, const char *prefix)
{
    char key[160];
    const char *more = prefix ? prefix : "metrics";
    int lm = rh->loss == LOSS_LANDMARKS, loc = rh->loss == LOSS_LOCALIZE;
    dlc_buf_printf(b, "<table%s><tr><th>split</th><th>images</th><th>loss</th>%s</tr>",
                   prefix ? "" : " id=\"splits\"",
                   lm ? "<th>mean distance (px)</th><th>within 2 px</th><th>MSE</th>"
                   : loc ? "<th>accuracy</th><th>class accuracy</th><th>mean IoU</th><th>mAP@0.5</th>"
                           "<th>missed</th><th>false positives</th>"
                         : "<th>mAP@0.5</th><th>mAP@0.5:0.95</th><th>objects</th><th>missed</th>"
                           "<th>false positives</th>");
    for (int i = 0; i < rh->n_splits; i++) {
        const report_split *s = &rh->splits[i];
        const report_detect *d = s->det;
        dlc_buf_printf(b, "<tr><td>%s</td><td>%d</td>", s->name, s->n);
        snprintf(key, sizeof key, "%s.%s.loss", prefix ? prefix : "splits", s->name);
        td_fig(b, key, !prefix && rep->n_heads > 1 ? rep->total_loss[s->kind] : s->loss, 0);
        snprintf(key, sizeof key, "%s.%s.detection", more, s->name);
        if (lm) {
            static const char *const f[3] = {"landmark_px", "landmark_within_2px", "landmark_mse"};
            td_figs(b, key, f, (const double[3]){d->landmark_px, d->landmark_within_2px, s->mse}, 3, 0);
        } else if (loc) {
            snprintf(key, sizeof key, "%s.%s.accuracy", prefix ? prefix : "splits", s->name);
            td_fig(b, key, s->accuracy, 1);
            static const char *const f[3] = {"class_accuracy", "mean_iou", "map50"};
            snprintf(key, sizeof key, "%s.%s.detection", more, s->name);
            td_figs(b, key, f, (const double[3]){d->class_accuracy, d->mean_iou, d->map50}, 3, 0);
        } else {
            static const char *const f[2] = {"map50", "map"};
            td_figs(b, key, f, (const double[2]){d->map50, d->map}, 2, 0);
            dlc_buf_printf(b, "<td>%ld</td>", d->objects);
        }
        if (!lm)
            dlc_buf_printf(b, "<td>%ld</td><td>%ld</td>", d->missed, d->false_pos);
        dlc_buf_printf(b, "</tr>");
    }
    dlc_buf_printf(b, "</table>\n");
    if (!lm)
        dlc_buf_printf(b, "<p class=\"muted\">mAP: PASCAL VOC's all-point interpolated AP per class, "
                          "averaged over the classes, at IoU 0.5 and over IoU 0.50, 0.55, ..., 0.95; "
                          "missed objects and false positives at the output's score threshold %.2f "
                          "and IoU 0.5.</p>\n",
                       rh->n_splits ? (double)rh->splits[0].det->score : 0.0);
}

/* One row per split of head rh.  prefix NULL: the primary head in the
 * report's top-level keys (splits.X for loss (the total of every output),
 * accuracy and error, metrics.X for the rest); else every key under
 * "<prefix>.X" (heads.H.metrics). */
static void split_table(dlc_buf *b, const report *rep, const report_head *rh, const char *prefix)
{
    char key[160];
    if (rh->task == REPORT_TASK_DETECTION) {
        detection_table(b, rep, rh, prefix);
        return;
    }
    int reg = rh->task == REPORT_TASK_REGRESSION, tri = rh->loss == LOSS_TRIPLET;
    const char *top = prefix ? prefix : "splits", *more = prefix ? prefix : "metrics";
    dlc_buf_printf(b, "<table%s><tr><th>split</th><th>examples</th><th>loss</th>%s</tr>",
                   prefix ? "" : " id=\"splits\"",
                   reg ? "<th>MSE</th><th>MAE</th><th>R&sup2;</th>"
                   : tri ? "<th>ordered</th><th>not ordered</th><th>loss over all triplets</th>"
                           "<th>active triplets</th><th></th>"
                         : "<th>accuracy</th><th>error</th><th>macro F1</th><th>weighted F1</th><th>ROC AUC</th>");
    for (int i = 0; i < rh->n_splits; i++) {
        const report_split *s = &rh->splits[i];
        dlc_buf_printf(b, "<tr><td>%s</td><td data-key=\"%s.%s.examples\" data-value=\"%d\">%d</td>",
                       s->name, top, s->name, s->n, s->n);
        snprintf(key, sizeof key, "%s.%s.loss", top, s->name);
        td_fig(b, key, !prefix && rep->n_heads > 1 ? rep->total_loss[s->kind] : s->loss, 0);
        snprintf(key, sizeof key, "%s.%s", more, s->name);
        if (reg) {
            static const char *const fields[3] = {"mse", "mae", "r2"};
            td_figs(b, key, fields, (const double[3]){s->mse, s->mae, s->r2}, 3, 0);
        } else {
            snprintf(key, sizeof key, "%s.%s.accuracy", top, s->name);
            td_fig(b, key, s->accuracy, 1);
            snprintf(key, sizeof key, "%s.%s.error", top, s->name);
            td_fig(b, key, s->error, 1);
            if (tri) {
                snprintf(key, sizeof key, "%s.%s.loss_all_triplets", more, s->name);
                td_fig(b, key, s->loss_all, 0);
                snprintf(key, sizeof key, "%s.%s.active_triplets", more, s->name);
                td_fig(b, key, s->active, 1);
                dlc_buf_printf(b, "<td></td>");
            } else if (s->cls) {
                static const char *const fields[3] = {"macro.f1", "weighted.f1", "auc"};
                snprintf(key, sizeof key, "%s.%s", more, s->name);
                td_figs(b, key, fields, (const double[3]){s->macro.f1, s->weighted.f1, s->auc}, 3, 0);
            } else {
                dlc_buf_printf(b, "<td></td><td></td><td></td>");
            }
        }
        dlc_buf_printf(b, "</tr>");
    }
    dlc_buf_printf(b, "</table>\n");
}

/* The figures per split, then, for a model of several outputs, each output's. */
static void split_tables(dlc_buf *b, const report *rep)
{
    dlc_buf_printf(b, "<h2>Figures per split</h2>");
    if (rep->n_heads > 1) {
        dlc_buf_printf(b, "<p class=\"muted\">Loss: the total of every output (weight &times; "
                          "output loss); the rest: output <b>");
        report_html_text(b, report_main(rep)->name);
        dlc_buf_printf(b, "</b>.</p>");
    }
    split_table(b, rep, report_main(rep), NULL);
    for (int h = 0; rep->n_heads > 1 && h < rep->n_heads; h++) {
        const report_head *rh = &rep->heads[h];
        char prefix[48];
        snprintf(prefix, sizeof prefix, "heads.%d.metrics", h);
        dlc_buf_printf(b, "<h3>Output ");
        report_html_text(b, rh->name);
        dlc_buf_printf(b, " (%s, %s, weight %g)</h3>", report_task_names[rh->task], loss_names[rh->loss],
                       rh->weight);
        split_table(b, rep, rh, prefix);
    }
}

static dlc_status learning_curves(dlc_buf *b, const char *run_dir, dlc_error *err)
{
    char path[4200];
    curves c;
    report_path(path, sizeof path, run_dir, "metrics.csv");
    dlc_status st = curves_read(&c, path, err);
    if (st != DLC_OK)
        return st;
    dlc_buf_printf(b, "<h2>Learning curves</h2>");
    if (c.n == 0) {
        dlc_buf_printf(b, "<p class=\"muted\">metrics.csv has no epochs.</p>\n");
        curves_free(&c);
        return DLC_OK;
    }
    dlc_buf_printf(b, "<div class=\"charts\">");
    svg_series loss[2] = {{"train (training mode)", "#1f77b4", c.v[C_TRAIN_LOSS], 0},
                          {"dev", "#d62728", c.v[C_DEV_LOSS], 1}};
    svg_line_chart(b, "loss", c.v[C_EPOCH], c.n, loss, 2, 0, 0);
    svg_series acc[2] = {{"train (training mode)", "#1f77b4", c.v[C_TRAIN_ACC], 0},
                         {"dev", "#d62728", c.v[C_DEV_ACC], 1}};
    int has_acc = 0;
    for (int i = 0; i < c.n; i++)
        has_acc |= isfinite(c.v[C_TRAIN_ACC][i]);
    if (has_acc)
        svg_line_chart(b, "accuracy", c.v[C_EPOCH], c.n, acc, 2, 0, 1);
    svg_series lr[1] = {{"learning rate", "#2ca02c", c.v[C_LR], 0}};
    svg_line_chart(b, "learning rate", c.v[C_EPOCH], c.n, lr, 1, 1, 0);
    dlc_buf_printf(b, "</div>\n");
    curves_free(&c);
    return DLC_OK;
}

static const report_split *focus_split(const report_head *rep)
{
    const report_split *s = report_head_split(rep, DATA_SPLIT_DEV);
    if (!s)
        s = report_head_split(rep, DATA_SPLIT_TEST);
    return s ? s : &rep->splits[0];
}

static void classes_section(dlc_buf *b, const report_head *rep)
{
    const report_split *s = focus_split(rep);
    char key[160];
    if (s->det && rep->loss != LOSS_LANDMARKS) {
        dlc_buf_printf(b, "<h2>Average precision per class (%s)</h2><table id=\"per-class\">"
                          "<tr><th>class</th><th>objects</th><th>AP@0.5</th><th>AP@0.5:0.95</th></tr>",
                       s->name);
        for (int k = 0; k < rep->K && k < MAX_CLASS_ROWS; k++) {
            dlc_buf_printf(b, "<tr>");
            td_text(b, rep->names.v[k]);
            dlc_buf_printf(b, "<td>%ld</td>", s->det->n_gt[k]);
            static const char *const f[2] = {"ap50", "ap"};
            snprintf(key, sizeof key, "metrics.%s.detection.per_class.%d", s->name, k);
            td_figs(b, key, f, (const double[2]){s->det->ap50[k], s->det->ap[k]}, 2, 0);
            dlc_buf_printf(b, "</tr>");
        }
        dlc_buf_printf(b, "</table>\n");
    }
    if (s->cls) {
        dlc_buf_printf(b, "<h2>Confusion matrix (%s)</h2>", s->name);
        if (s->confusion)
            svg_heatmap(b, s->confusion, rep->K, (const char *const *)rep->names.v);
        else
            dlc_buf_printf(b, "<p>%d classes: too many to draw (confusion.csv lists the non-zero "
                              "cells; the most confused pairs are below).</p>",
                           rep->K);
        dlc_buf_printf(b, "<h2>Per class (%s)</h2><table id=\"per-class\"><tr><th>class</th>"
                          "<th>precision</th><th>recall</th><th>F1</th><th>support</th><th>predicted</th></tr>",
                       s->name);
        for (int k = 0; k < rep->K && k < MAX_CLASS_ROWS; k++) {
            const report_class_stats *c = &s->cls[k];
            dlc_buf_printf(b, "<tr>");
            td_text(b, rep->names.v[k]);
            snprintf(key, sizeof key, "metrics.%s.per_class.%d", s->name, k);
            td_figs(b, key, prf_fields, (const double[3]){c->precision, c->recall, c->f1}, 3, 0);
            dlc_buf_printf(b, "<td>%ld</td><td>%ld</td></tr>", c->support, c->predicted);
        }
        const report_avg *avgs[2] = {&s->macro, &s->weighted};
        const char *an[2] = {"macro", "weighted"};
        for (int i = 0; i < 2; i++) {
            dlc_buf_printf(b, "<tr><th>%s average</th>", an[i]);
            snprintf(key, sizeof key, "metrics.%s.%s", s->name, an[i]);
            td_figs(b, key, prf_fields, (const double[3]){avgs[i]->precision, avgs[i]->recall, avgs[i]->f1},
                    3, 0);
            dlc_buf_printf(b, "<td></td><td></td></tr>");
        }
        dlc_buf_printf(b, "</table>\n");
        int pairs[20];
        long counts[10];
        int np = report_confused_pairs(rep, s, 10, pairs, counts);
        if (np > 0) {
            dlc_buf_printf(b, "<h2>Most confused pairs (%s)</h2><ol>", s->name);
            for (int i = 0; i < np; i++) {
                dlc_buf_printf(b, "<li>");
                report_html_text(b, rep->names.v[pairs[2 * i]]);
                dlc_buf_printf(b, " taken for ");
                report_html_text(b, rep->names.v[pairs[2 * i + 1]]);
                dlc_buf_printf(b, ": %ld</li>", counts[i]);
            }
            dlc_buf_printf(b, "</ol>\n");
        }
    }
    if (s->tasks) {
        dlc_buf_printf(b, "<h2>Per task (%s)</h2><table id=\"per-task\"><tr><th>task</th><th>accuracy</th>"
                          "<th>precision</th><th>recall</th><th>F1</th><th>ROC AUC</th><th>known labels</th></tr>",
                       s->name);
        for (int k = 0; k < rep->K; k++) {
            const report_task_stats *t = &s->tasks[k];
            dlc_buf_printf(b, "<tr>");
            td_text(b, rep->names.v[k]);
            static const char *const fields[5] = {"accuracy", "precision", "recall", "f1", "auc"};
            snprintf(key, sizeof key, "metrics.%s.tasks.%d", s->name, k);
            td_figs(b, key, fields, (const double[5]){t->accuracy, t->precision, t->recall, t->f1, t->auc},
                    5, 1);
            dlc_buf_printf(b, "<td>%ld</td></tr>", t->known);
        }
        dlc_buf_printf(b, "</table>\n");
    }
}

/* Verification on held-out classes: the figures per split and the
 * distances of same and different pairs (report_verify). */
static void verify_section(dlc_buf *b, const report *rep)
{
    const report_verify *v = &rep->verify;
    char key[160];
    if (!v->present)
        return;
    dlc_buf_printf(b, "<h2>Verification</h2><p class=\"muted\">Pairs of examples (half of one class, "
                      "half of two) compared by <b>%s</b>", v->distance);
    if (v->embedding[0]) {
        dlc_buf_printf(b, " of the embedding <b>");
        report_html_text(b, v->embedding);
        dlc_buf_printf(b, "</b> (%zu values)", v->dim);
    }
    dlc_buf_printf(b, "; a pair is called the same below the threshold <span data-key=\"verification."
                      "threshold\" data-value=\"");
    attr_num(b, v->threshold);
    dlc_buf_printf(b, "\">%.4g</span>, chosen on %s for its best accuracy. One-shot N-way: one "
                      "reference example of each of N classes, a query of one of them, right when "
                      "its nearest reference is of its class.</p>",
                   v->threshold, v->threshold_split >= 0 ? data_split_names[v->threshold_split] : "no split");
    dlc_buf_printf(b, "<table id=\"verification\"><tr><th>split</th><th>classes</th><th>pairs</th>"
                      "<th>ROC AUC</th><th>equal error rate</th><th>accuracy at threshold</th>"
                      "<th>one-shot 3-way</th><th>one-shot 5-way</th></tr>");
    int hist = report_verify_shown_split(v);
    for (int k = 0; k < DATA_SPLIT_COUNT; k++) {
        const report_verify_split *r = &v->splits[k];
        if (!r->present)
            continue;
        snprintf(key, sizeof key, "verification.splits.%s", data_split_names[k]);
        dlc_buf_printf(b, "<tr><td>%s</td><td data-key=\"%s.classes\" data-value=\"%d\">%d</td>"
                          "<td data-key=\"%s.pairs\" data-value=\"%d\">%d</td>",
                       data_split_names[k], key, r->classes, r->classes, key, r->pairs, r->pairs);
        static const char *const f1[1] = {"auc"};
        td_figs(b, key, f1, &r->auc, 1, 0);
        static const char *const f2[4] = {"eer", "accuracy", "one_shot_3way", "one_shot_5way"};
        char k2[192];
        for (int i = 0; i < 4; i++) {
            snprintf(k2, sizeof k2, "%s.%s", key, f2[i]);
            const double val[4] = {r->eer, r->accuracy, r->one_shot[0], r->one_shot[1]};
            td_fig(b, k2, val[i], 1);
        }
        dlc_buf_printf(b, "</tr>");
    }
    dlc_buf_printf(b, "</table>\n");
    if (hist >= 0) {
        const report_verify_split *r = &v->splits[hist];
        const long *const counts[2] = {r->hist_same, r->hist_diff};
        static const char *const names[2] = {"same class", "different classes"};
        static const char *const colors[2] = {"#2166ac", "#cb181d"};
        char title[96];
        snprintf(title, sizeof title, "Distances of %s pairs (share of each kind)",
                 data_split_names[hist]);
        svg_histogram(b, title, r->hist_lo, r->hist_hi, REPORT_HIST_BINS, counts, names, colors,
                      v->threshold, "threshold");
    }
}

/* data.sources: each split's examples and error per source. */
static void sources_section(dlc_buf *b, const report *rep)
{
    if (rep->n_sources == 0)
        return;
    dlc_buf_printf(b, "<h2>Errors per data source</h2><table id=\"sources\"><tr><th>split</th>");
    for (int j = 0; j < rep->n_sources; j++) {
        dlc_buf_printf(b, "<th>");
        report_html_text(b, rep->source_names.v[j]);
        dlc_buf_printf(b, "</th>");
    }
    dlc_buf_printf(b, "</tr>");
    for (int k = 0; k < DATA_SPLIT_COUNT; k++) {
        int total = 0;
        for (int j = 0; j < rep->n_sources; j++)
            total += rep->source_count[k][j];
        if (!total)
            continue;
        dlc_buf_printf(b, "<tr><td>%s</td>", data_split_names[k]);
        for (int j = 0; j < rep->n_sources; j++) {
            if (!rep->source_count[k][j]) {
                dlc_buf_printf(b, "<td class=\"muted\">&ndash;</td>");
                continue;
            }
            dlc_buf_printf(b, "<td>");
            if (isfinite(rep->source_error[k][j]))
                dlc_buf_printf(b, "%.2f%% ", 100 * rep->source_error[k][j]);
            dlc_buf_printf(b, "<span class=\"muted\">(%d)</span></td>", rep->source_count[k][j]);
        }
        dlc_buf_printf(b, "</tr>");
    }
    dlc_buf_printf(b, "</table><p class=\"muted\">Error of the primary output on each source's "
                      "examples in each split (examples in brackets).  A train-dev error near "
                      "train's but a dev error far above it is data mismatch: the target domain "
                      "differs from the training mix.</p>\n");
}

static void diagnosis_section(dlc_buf *b, const report *rep)
{
    const report_diagnosis *d = &rep->diag;
    int pct = !report_error_is_mse(report_main(rep));
    char key[96];
    dlc_buf_printf(b, "<h2>Bias / variance / data mismatch</h2><table id=\"bias-variance\">"
                      "<tr><th>level</th><th>%s</th><th>gap</th><th>size</th></tr>",
                   report_error_is_verification(rep) ? "verification error" : pct ? "error" : "MSE");
    dlc_buf_printf(b, "<tr><td>human-level%s</td>",
                   !isnan(d->human) ? "" : isnan(d->human_used) ? " (not set)" : " (not set; 0 assumed)");
    td_fig(b, "diagnosis.human_level_used", d->human_used, pct);
    dlc_buf_printf(b, "<td></td><td></td></tr>");
    const char *names[4] = {"train", "train_dev", "dev", "test"};
    double errs[4] = {d->train, d->train_dev, d->dev, d->test};
    for (int i = 0; i < 4; i++) {
        if (isnan(errs[i]))
            continue;
        int g = report_row_gap(d, i);
        int shown = g >= 0 && !isnan(d->gap[g]);
        dlc_buf_printf(b, "<tr%s><td>%s</td>", shown && d->largest == g ? " class=\"largest\"" : "",
                       names[i]);
        snprintf(key, sizeof key, "diagnosis.errors.%s", names[i]);
        td_fig(b, key, errs[i], pct);
        if (shown) {
            dlc_buf_printf(b, "<td>%s%s", report_gap_titles[g],
                           g != REPORT_GAP_VARIANCE              ? ""
                           : d->variance_vs == REPORT_VS_DEV     ? " (dev &minus; train)"
                           : d->variance_vs == REPORT_VS_TEST    ? " (test &minus; train)"
                                                                 : "");
            if (report_gap_noise_unknown(d, g)) {
                dlc_buf_printf(b, ", noise unknown (one example)");
            } else if (d->gap[g] > 0 && !isnan(d->noise[g]) && !(d->gap[g] > d->noise[g])) {
                dlc_buf_printf(b, ", within noise (&plusmn;");
                dlc_buf_printf(b, pct ? "%.2f%%" : "%.4g", (pct ? 100 : 1) * d->noise[g]);
                dlc_buf_printf(b, ")");
            }
            dlc_buf_printf(b, "</td>");
            snprintf(key, sizeof key, "diagnosis.gaps.%s", report_gap_names[g]);
            td_fig(b, key, d->gap[g], pct);
        } else {
            dlc_buf_printf(b, "<td></td><td></td>");
        }
        dlc_buf_printf(b, "</tr>");
    }
    dlc_buf_printf(b, "</table>\n<p class=\"muted\">Avoidable bias = train &minus; human-level; variance = "
                      "train-dev &minus; train (dev &minus; train without a train-dev split, test &minus; train "
                      "without a dev split: test then stands in for dev); data mismatch = "
                      "dev &minus; train-dev; overfitting to dev = test &minus; dev.</p>\n");
}

static dlc_status gallery(dlc_buf *b, const report *rep, const char *run_dir, dlc_error *err)
{
    if (rep->dev_errors < 0)
        return DLC_OK;
    const report_split *s = report_get_split(rep, DATA_SPLIT_DEV);
    dlc_buf_printf(b, "<h2>Error sample (dev)</h2><p><span data-key=\"error_analysis.sampled\" "
                      "data-value=\"%d\">%d</span> of <span data-key=\"error_analysis.dev_errors\" "
                      "data-value=\"%d\">%d</span> %s are in "
                      "<code>errors/errors.csv</code>: tag them, then run <code>dlc analyze</code>.</p>",
                   rep->n_sampled, rep->n_sampled, rep->dev_errors, rep->dev_errors,
                   rep->residuals     ? "dev examples (the largest errors)"
                   : rep->det_sampled ? "missed objects and false positives of the dev images"
                                      : "misclassified dev examples");
    if (!rep->has_images || !s)
        return DLC_OK;
    dlc_buf_printf(b, "<div class=\"gallery\" id=\"gallery\">");
    for (int k = 0; k < rep->n_sampled && k < MAX_GALLERY; k++) {
        int i = rep->sampled[k];
        char path[4300], name[64];
        char *png = NULL;
        size_t len = 0;
        const report_det_error *e = rep->det_sampled ? &rep->det_sampled[k] : NULL;
        if (e)
            snprintf(name, sizeof name, "errors/%d_%d.png", e->row, e->n);
        else
        {
            char file[48];
            report_sample_image_name(rep, k, file, sizeof file);
            snprintf(name, sizeof name, "errors/%s", file);
        }
        report_path(path, sizeof path, run_dir, name);
        dlc_status st = dlc_read_file(path, &png, &len, err);
        if (st != DLC_OK)
            return st;
        dlc_buf_printf(b, "<figure><img alt=\"example %d\" src=\"data:image/png;base64,", rep->sampled_ids[k]);
        report_base64(b, (const unsigned char *)png, len);
        free(png);
        dlc_buf_printf(b, "\"><figcaption>");
        if (rep->sampled_src && rep->sampled_src[k] < rep->source_names.n) {
            report_html_text(b, rep->source_names.v[rep->sampled_src[k]]);
            dlc_buf_printf(b, " ");
        }
        dlc_buf_printf(b, "#%d<br>", rep->sampled_ids[k]);
        if (e) { /* detection: what kind of mistake, true -> predicted, score */
            const report_head *rh = report_main(rep);
            dlc_buf_printf(b, "%s: ", report_det_kind_names[e->kind]);
            report_html_text(b, e->truth >= 0 ? rh->names.v[e->truth] : "background");
            dlc_buf_printf(b, " &rarr; ");
            report_html_text(b, e->pred >= 0 ? rh->names.v[e->pred] : "background");
            if (!isnan(e->score))
                dlc_buf_printf(b, " (%.2f)", (double)e->score);
            dlc_buf_printf(b, "</figcaption></figure>");
            continue;
        }
        if (rep->residuals) { /* regression: the first target, true and predicted */
            int K = report_main(rep)->K;
            dlc_buf_printf(b, "%.4g &rarr; %.4g</figcaption></figure>",
                           (double)s->reg_true[(size_t)i * K], (double)s->reg_out[(size_t)i * K]);
            continue;
        }
        report_html_text(b, report_main(rep)->names.v[s->truth[i]]);
        dlc_buf_printf(b, " &rarr; ");
        report_html_text(b, report_main(rep)->names.v[s->pred[i]]);
        dlc_buf_printf(b, " (%.0f%%)</figcaption></figure>", 100.0 * s->conf[i]);
    }
    dlc_buf_printf(b, "</div>\n");
    return DLC_OK;
}

static dlc_status config_section(dlc_buf *b, const char *run_dir)
{
    char path[4200], *text = NULL;
    size_t len;
    report_path(path, sizeof path, run_dir, "config.yaml");
    dlc_buf_printf(b, "<h2>Resolved config</h2>");
    if (dlc_read_file(path, &text, &len, NULL) != DLC_OK) {
        dlc_buf_printf(b, "<p class=\"muted\">config.yaml not found.</p>");
        return DLC_OK;
    }
    dlc_buf_printf(b, "<pre id=\"config\">");
    report_html_text(b, text);
    dlc_buf_printf(b, "</pre>\n");
    free(text);
    return DLC_OK;
}

dlc_status report_write_html(const report *rep, const dlc_config *cfg, const report_run_info *run,
                             const char *run_dir, dlc_error *err)
{
    dlc_buf b = {0};
    dlc_status st = DLC_OK;
    char path[4200];
    head(&b, rep, cfg, run);
    next_steps(&b, rep);
    split_tables(&b, rep);
    if ((st = learning_curves(&b, run_dir, err)) != DLC_OK)
        goto done;
    classes_section(&b, report_main(rep));
    verify_section(&b, rep);
    diagnosis_section(&b, rep);
    sources_section(&b, rep);
    if ((st = gallery(&b, rep, run_dir, err)) != DLC_OK)
        goto done;
    config_section(&b, run_dir);
    dlc_buf_printf(&b, "<p class=\"muted\">Written by dlc. Figures per split are measured in evaluation "
                       "mode after training; the curves' train figures are running means in training mode.</p>"
                       "</body></html>\n");
    report_path(path, sizeof path, run_dir, "report.html");
    return report_write_buf(path, &b, err);
done:
    dlc_buf_free(&b);
    return st;
}
