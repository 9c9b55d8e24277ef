/* leaderboard.c - a sweep's trial folders -> rows ranked by its metric.
 *
 * A trial folder (dir/trial-007) is what `dlc train --out` wrote (report.json
 * and the rest) plus what scripts/sweep-trial.sh adds: overrides.txt (one
 * key=value per line, as trained), wall_seconds, and `failed` when training
 * failed.  The figures come from report.json, whose format is documented in
 * src/train/report_json.c.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../config/config.h"
#include "../io/io.h"
#include "sweep.h"

const char *const sweep_status_names[] = {"done",    "failed", "unfinished", "missing",
                                          "stale",   "refused", NULL};
_Static_assert(sizeof sweep_status_names / sizeof *sweep_status_names == SWEEP_STATUS_COUNT + 1,
               "a name per status");

const char *sweep_trial_dir(char *buf, size_t size, const char *dir, int k)
{
    snprintf(buf, size, "%s/trial-%03d", dir, k);
    return buf;
}

static int exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* A number at a dotted path ("splits.dev.accuracy"); NAN when absent or null. */
static double json_number_at(const json_value *v, const char *path)
{
    char part[64];
    const char *p = path;
    while (v && *p) {
        const char *dot = strchr(p, '.');
        size_t n = dot ? (size_t)(dot - p) : strlen(p);
        if (n >= sizeof part)
            return NAN;
        memcpy(part, p, n);
        part[n] = '\0';
        v = json_get(v, part);
        p = dot ? dot + 1 : p + n;
    }
    return v && v->type == JSON_NUMBER ? v->number : NAN;
}

static dlc_status read_report(sweep_result *r, const sweep_spec *s, const char *path,
                              dlc_error *err)
{
    char *text = NULL;
    size_t len = 0;
    json_value *j = NULL;
    dlc_status st = dlc_read_file(path, &text, &len, err);
    if (st != DLC_OK)
        return st;
    st = json_parse(&j, text, len, err);
    free(text);
    if (st != DLC_OK) {
        dlc_error_prefix(err, "%s", path);
        return st;
    }
    r->metric = json_number_at(j, s->metric->json_path);
    r->higher_is_better = s->metric->maximize;
    r->constraints_met = 1;
    if (s->metric->maximize < 0) {
        const json_value *m = json_get(j, "metric");
        const json_value *hib = json_get(m, "higher_is_better");
        const json_value *met = json_get(m, "constraints_met");
        r->higher_is_better = !(hib && hib->type == JSON_BOOL && hib->number == 0);
        r->constraints_met = !(met && met->type == JSON_BOOL && met->number == 0);
    }
    r->dev_acc = json_number_at(j, "splits.dev.accuracy");
    r->dev_loss = json_number_at(j, "splits.dev.loss");
    r->test_acc = json_number_at(j, "splits.test.accuracy");
    r->test_loss = json_number_at(j, "splits.test.loss");
    r->train_acc = json_number_at(j, "splits.train.accuracy");
    r->train_loss = json_number_at(j, "splits.train.loss");
    r->dev_n = json_number_at(j, "splits.dev.examples");
    /* the MSE's standard error says how far apart two dev losses must be, when
     * the loss is that MSE (one mse output) */
    double mse = json_number_at(j, "metrics.dev.mse");
    if (fabs(mse - r->dev_loss) <= 1e-6 * fmax(1.0, fabs(mse)))
        r->dev_mse_se = json_number_at(j, "metrics.dev.mse_se");
    r->loss_units = !isfinite(mse) || !isfinite(r->dev_loss) ? 0 : isfinite(r->dev_mse_se) ? 1 : -1;
    double e = json_number_at(j, "epochs_run");
    r->epochs = isfinite(e) ? (int)e : -1;
    json_free(j);
    return DLC_OK;
}

static int is_fixed(const sweep_spec *s, const char *kv)
{
    return dlc_strlist_find(&s->fixed, kv) >= 0;
}

/* The lines of a trial's overrides.txt into kv. */
static dlc_status read_override_lines(dlc_strlist *kv, const char *path, dlc_error *err)
{
    char *text = NULL;
    size_t len = 0;
    dlc_status st = dlc_read_file(path, &text, &len, err);
    for (char *line = text, *next; st == DLC_OK && line && *line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        if (*line)
            st = dlc_strlist_push(kv, line, err);
    }
    free(text);
    return st;
}

/* A small file's text (NULL when absent or unreadable); owned. */
static char *small_file(const char *dir, const char *name)
{
    char path[2200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    char *text = NULL;
    size_t len;
    if (dlc_read_file(path, &text, &len, NULL) != DLC_OK)
        return NULL;
    return text;
}

/* 1 for a config_diff line ("key: old -> new") that is no change of setting:
 * the digest of an init_from run, which dlc train adds, and a key only one
 * side has (a dlc of another version: config.yaml lists every key). */
static int same_setting(const char *line)
{
    return strncmp(line, "init_from.sha256:", 17) == 0 || strstr(line, ": (none) -> ") ||
           (strlen(line) > 10 && strcmp(line + strlen(line) - 10, " -> (none)") == 0);
}

/* What the trial's config.yaml (the config it trained with) and the base
 * config with the trial's overrides now differ in: the base config was
 * edited since, so the trial is not what the sweep would train.  Sets
 * r->reason ("train.epochs: 3 -> 5, ...") and r->status to stale when they
 * differ; a trial without a config.yaml, or one that does not parse (an older
 * dlc's), is left alone.  Paths are compared as dlc train records them,
 * absolute against the working folder (sweep.sh runs its trials there). */
static dlc_status check_config(sweep_result *r, const sweep_spec *s, const dlc_strlist *kv,
                               const char *tdir, dlc_error *err)
{
    char *old = small_file(tdir, "config.yaml");
    if (!old)
        return DLC_OK;
    dlc_config c;
    char *now = NULL;
    dlc_strlist changes = {0};
    dlc_error e = {0};
    dlc_status st = config_load(&c, s->base, (const char *const *)kv->v, kv->n, &e);
    if (st == DLC_OK) {
        /* as dlc train records them: data paths absolute */
        if ((st = config_absolute_paths(&c, s->base, &e)) == DLC_OK)
            st = config_to_yaml(&c, &now, &e);
        config_free(&c);
    }
    if (st == DLC_OK)
        st = config_diff(old, now, 64, &changes, &e);
    dlc_buf b = {0};
    int shown = 0;
    for (int i = 0; st == DLC_OK && i < changes.n; i++)
        if (!same_setting(changes.v[i]) && shown++ < 3)
            dlc_buf_printf(&b, "%s%s", shown > 1 ? ", " : "", changes.v[i]);
    if (shown > 3)
        dlc_buf_printf(&b, ", ...");
    if (st == DLC_ENOMEM) {
        dlc_fail(err, st, "%s", e.msg);
    } else if (st == DLC_OK && shown) {
        if (b.failed) {
            st = DLC_NOMEM(err);
        } else {
            free(r->reason);
            r->reason = b.s;
            b.s = NULL;
            r->status = SWEEP_STALE;
        }
    } else {
        st = DLC_OK; /* not comparable: say nothing */
    }
    dlc_buf_free(&b);
    dlc_strlist_clear(&changes);
    free(now);
    free(old);
    return st;
}

/* The trial's overrides less the sweep's fixed ones: from overrides.txt when
 * the trial ran (what it trained with), else what the sweep gives it.  A
 * trial that ran with other overrides than the sweep gives it now (the sweep
 * file was edited, and the same folder reused), or with another config than
 * they give on the base config now (the base was edited), is marked stale: its
 * figures are not those of the sweep's trial. */
static dlc_status read_overrides(sweep_result *r, const sweep_spec *s, const char *tdir,
                                 dlc_error *err)
{
    char path[2200];
    snprintf(path, sizeof path, "%s/overrides.txt", tdir);
    dlc_strlist kv = {0}, now = {0};
    dlc_status st = sweep_trial(s, r->trial, &now, err);
    if (st == DLC_OK && exists(path)) {
        st = read_override_lines(&kv, path, err);
        if (st == DLC_OK && !dlc_strlist_equal(&kv, &now)) {
            r->status = SWEEP_STALE;
            free(r->reason); /* its failure, if any, is not this trial's */
            r->reason = NULL;
        } else if (st == DLC_OK && (r->status == SWEEP_DONE || r->status == SWEEP_FAILED)) {
            /* (an unfinished trial resumes with the config as it is now) */
            st = check_config(r, s, &kv, tdir, err);
        }
    } else if (st == DLC_OK) {
        kv = now;
        now = (dlc_strlist){0};
    }
    dlc_buf b = {0};
    for (int i = 0; st == DLC_OK && i < kv.n; i++)
        if (!is_fixed(s, kv.v[i]))
            dlc_buf_printf(&b, "%s%s", b.len ? " " : "", kv.v[i]);
    if (st == DLC_OK && !b.len)
        dlc_buf_printf(&b, "(base config)");
    dlc_strlist_clear(&kv);
    dlc_strlist_clear(&now);
    if (st == DLC_OK && b.failed)
        st = DLC_NOMEM(err);
    if (st != DLC_OK) {
        dlc_buf_free(&b);
        return st;
    }
    r->overrides = b.s;
    return DLC_OK;
}

static double read_wall(const char *tdir)
{
    char path[2200];
    snprintf(path, sizeof path, "%s/wall_seconds", tdir);
    /* through dlc_read_file: a FIFO or device of that name is not read */
    char *text = NULL, *end;
    size_t len;
    double w = NAN;
    if (dlc_read_file(path, &text, &len, NULL) == DLC_OK) {
        w = strtod(text, &end);
        if (end == text)
            w = NAN;
    }
    free(text);
    return w;
}

/* A failed or refused trial's reason: the last non-empty line of its note
 * (sweep-trial.sh writes "exit 1" or "exit 2", then dlc's error line). */
static char *note_reason(const char *tdir, const char *note)
{
    char *text = small_file(tdir, note), *last = NULL;
    for (char *line = text, *next; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        if (*line)
            last = line;
    }
    char *r = last ? strdup(last) : NULL; /* NULL on ENOMEM too: the table says "see its train.log" */
    free(text);
    return r;
}

/* The epochs an unfinished trial's metrics.csv holds (its rows after the header). */
static int epochs_logged(const char *tdir)
{
    char *text = small_file(tdir, "metrics.csv");
    int lines = 0;
    for (const char *c = text; c && *c; c++)
        lines += *c == '\n';
    free(text);
    return lines > 1 ? lines - 1 : 0;
}

/* < 0 when a ranks above b: finished before failed, unfinished, missing,
 * stale and refused (those in trial order); then by the metric (absent
 * last), the dev loss, the trial number. */
static int compare_rows(const sweep_spec *s, const sweep_result *a, const sweep_result *b)
{
    if (a->status != b->status)
        return (int)a->status - (int)b->status;
    if (a->status != SWEEP_DONE) /* not ranked: in trial order */
        return a->trial - b->trial;
    if (a->constraints_met != b->constraints_met)
        return b->constraints_met - a->constraints_met;
    int na = isnan(a->metric), nb = isnan(b->metric);
    if (na != nb)
        return na - nb;
    if (!na && a->metric != b->metric)
        return (a->higher_is_better ? a->metric > b->metric : a->metric < b->metric) ? -1 : 1;
    /* equal accuracy on a small dev set is common: the lower dev loss first */
    if (isfinite(a->dev_loss) && isfinite(b->dev_loss) && a->dev_loss != b->dev_loss)
        return a->dev_loss < b->dev_loss ? -1 : 1;
    return a->trial - b->trial;
}

/* insertion sort: leaderboards are small, and qsort would need the sweep
 * (the metric's direction) in a global */
static void sort_rows(const sweep_spec *s, sweep_result *rows, int n)
{
    for (int i = 1; i < n; i++) {
        sweep_result r = rows[i];
        int j = i;
        for (; j > 0 && compare_rows(s, &r, &rows[j - 1]) < 0; j--)
            rows[j] = rows[j - 1];
        rows[j] = r;
    }
}

static double rate_var(double acc, double n)
{
    double p = ((1 - acc) * n + 1) / (n + 2);
    return p * (1 - p) / n;
}

int sweep_ties_best(const sweep_result *best, const sweep_result *r)
{
    if (!isfinite(best->dev_acc) || !isfinite(r->dev_acc) || !(best->dev_n > 0) || !(r->dev_n > 0))
        return 0;
    double noise = 2 * sqrt(rate_var(best->dev_acc, best->dev_n) + rate_var(r->dev_acc, r->dev_n));
    return fabs(best->dev_acc - r->dev_acc) <= noise;
}

int sweep_ties_best_mse(const sweep_result *best, const sweep_result *r)
{
    double a = best->dev_mse_se, b = r->dev_mse_se;
    if (!isfinite(best->dev_loss) || !isfinite(r->dev_loss) || !isfinite(a) || !isfinite(b))
        return 0;
    return fabs(best->dev_loss - r->dev_loss) <= 2 * sqrt(a * a + b * b);
}

void sweep_results_free(sweep_result *rows, int n)
{
    if (!rows)
        return;
    for (int i = 0; i < n; i++) {
        free(rows[i].overrides);
        free(rows[i].reason);
    }
    free(rows);
}

dlc_status sweep_collect(const sweep_spec *s, const char *dir, sweep_result **out, int *n_out,
                         dlc_error *err)
{
    *out = NULL;
    *n_out = 0;
    int first = sweep_first_trial(s), n = s->trials - first + 1;
    sweep_result *rows = calloc((size_t)n, sizeof *rows);
    if (!rows)
        return DLC_NOMEM(err);
    dlc_status st = DLC_OK;
    for (int i = 0; i < n && st == DLC_OK; i++) {
        sweep_result *r = &rows[i];
        r->trial = first + i;
        r->metric = r->dev_acc = r->dev_loss = r->test_acc = r->test_loss = r->dev_n = NAN;
        r->dev_mse_se = NAN;
        r->constraints_met = 1;
        r->higher_is_better = s->metric->maximize != 0;
        r->train_acc = r->train_loss = NAN;
        r->epochs = -1;
        char tdir[2048], path[2200];
        sweep_trial_dir(tdir, sizeof tdir, dir, r->trial);
        snprintf(path, sizeof path, "%s/report.json", tdir);
        if (exists(path)) {
            r->status = SWEEP_DONE;
            st = read_report(r, s, path, err);
        } else {
            snprintf(path, sizeof path, "%s/failed", tdir);
            char refused[2200];
            snprintf(refused, sizeof refused, "%s/refused", tdir);
            r->status = exists(path)      ? SWEEP_FAILED
                        : exists(refused) ? SWEEP_REFUSED
                        : exists(tdir)    ? SWEEP_UNFINISHED
                                          : SWEEP_MISSING;
            if (r->status == SWEEP_FAILED || r->status == SWEEP_REFUSED)
                r->reason = note_reason(tdir, r->status == SWEEP_FAILED ? "failed" : "refused");
            if (r->status == SWEEP_UNFINISHED)
                r->epochs = epochs_logged(tdir);
        }
        r->wall = read_wall(tdir);
        if (st == DLC_OK)
            st = read_overrides(r, s, tdir, err);
    }
    if (st != DLC_OK) {
        sweep_results_free(rows, n);
        return st;
    }
    sort_rows(s, rows, n);
    *out = rows;
    *n_out = n;
    return DLC_OK;
}

static void cell(dlc_buf *b, double v)
{
    if (isfinite(v))
        dlc_buf_printf(b, ",%.6g", v);
    else
        dlc_buf_printf(b, ",");
}

dlc_status sweep_write_leaderboard(const char *path, const sweep_result *rows, int n,
                                   dlc_error *err)
{
    dlc_buf b = {0};
    dlc_buf_printf(&b, "rank,trial,status,metric,dev_accuracy,dev_loss,test_accuracy,test_loss,"
                       "train_accuracy,train_loss,epochs,wall_seconds,overrides\n");
    int rank = 0;
    for (int i = 0; i < n; i++) {
        const sweep_result *r = &rows[i];
        if (r->status == SWEEP_DONE)
            dlc_buf_printf(&b, "%d", ++rank);
        dlc_buf_printf(&b, ",%d,%s", r->trial, sweep_status_names[r->status]);
        cell(&b, r->metric);
        cell(&b, r->dev_acc);
        cell(&b, r->dev_loss);
        cell(&b, r->test_acc);
        cell(&b, r->test_loss);
        cell(&b, r->train_acc);
        cell(&b, r->train_loss);
        if (r->epochs >= 0)
            dlc_buf_printf(&b, ",%d", r->epochs);
        else
            dlc_buf_printf(&b, ",");
        if (isfinite(r->wall))
            dlc_buf_printf(&b, ",%.1f", r->wall);
        else
            dlc_buf_printf(&b, ",");
        /* RFC 4180: quoted, with quotes doubled */
        dlc_buf_printf(&b, ",\"");
        for (const char *c = r->overrides ? r->overrides : ""; *c; c++)
            dlc_buf_printf(&b, *c == '"' ? "\"\"" : "%c", *c);
        dlc_buf_printf(&b, "\"\n");
    }
    if (b.failed) {
        dlc_buf_free(&b);
        return DLC_NOMEM(err);
    }
    dlc_status st = io_write_file(path, b.s, b.len, err);
    dlc_buf_free(&b);
    return st;
}
