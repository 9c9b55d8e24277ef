/* sweep.c - `dlc sample SWEEP` (the overrides of a trial, for any shell,
 * scheduler or script) and `dlc leaderboard SWEEP` (the ranked results).
 * scripts/sweep.sh drives both. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../base/util.h"
#include "../sweep/sweep.h"
#include "cli.h"

static const cli_opt sample_opts[] = {
    {"--trial", 1, "K", "only trial K (default: every trial, one line each: K, a tab, overrides)"},
    {"--lines", 0, NULL, "one key=value per line instead of --set words (for scripts)"},
    {"--info", 0, NULL, "print the sweep's settings as key=value lines (for scripts)"},
    {"--mode", 1, "random|grid", "override the sweep's mode"},
    {NULL, 0, NULL, NULL},
};

static const cli_opt board_opts[] = {
    {"--dir", 1, "DIR", "the sweep's output folder (default: runs/sweeps/<name>)"},
    {"--top", 1, "N", "rows to print (default 5; the CSV has every trial)"},
    {"--mode", 1, "random|grid", "the mode the sweep ran in (as given to sweep.sh)"},
    {NULL, 0, NULL, NULL},
};

/* Loads SWEEP honouring --mode; returns 0 or an exit code. */
static int load(const cli_command *c, const cli_args *a, sweep_spec *s)
{
    if (a->n_pos != 1)
        return cli_usage_error(c, "expected one SWEEP file, got %d arguments", a->n_pos);
    int mode = -1;
    const char *m = cli_get(c, a, "--mode");
    if (m) {
        for (int i = 0; sweep_mode_names[i]; i++)
            if (strcmp(m, sweep_mode_names[i]) == 0)
                mode = i;
        if (mode < 0)
            return cli_usage_error(c, "--mode is random or grid, got '%s'", m);
    }
    dlc_error err = {0};
    if (sweep_load(s, a->pos[0], mode, &err) != DLC_OK)
        return cli_fail(&err);
    return 0;
}

/* runs/sweeps/<name>, with -<mode> when --mode asked for another mode than
 * the file's, so a grid run of a random sweep never resumes into its trials. */
static void default_dir(char *buf, size_t size, const sweep_spec *s)
{
    int other = s->mode != s->file_mode;
    snprintf(buf, size, "runs/sweeps/%s%s%s", s->name, other ? "-" : "",
             other ? sweep_mode_names[s->mode] : "");
}

/* Prints "--set key=value" quoted for a POSIX shell when it needs it. */
static void print_set(const char *kv)
{
    int plain = *kv != '\0';
    for (const char *p = kv; *p; p++)
        plain &= strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-+=:/,@%",
                        *p) != NULL;
    if (plain) {
        printf("--set %s", kv);
        return;
    }
    printf("--set '");
    for (const char *p = kv; *p; p++)
        if (*p == '\'')
            printf("'\\''");
        else
            putchar(*p);
    putchar('\'');
}

static void print_trial(const dlc_strlist *kv, int lines, int k, int with_k)
{
    for (int i = 0; i < kv->n; i++) {
        if (lines) {
            if (with_k)
                printf("%d\t", k);
            printf("%s\n", kv->v[i]);
            continue;
        }
        if (i == 0 && with_k)
            printf("%d\t", k);
        if (i)
            putchar(' ');
        print_set(kv->v[i]);
    }
    if (!lines)
        putchar('\n');
}

static int run_sample(const cli_args *a)
{
    const cli_command *c = &cli_sample_cmd;
    sweep_spec s;
    int rc = load(c, a, &s);
    if (rc)
        return rc;
    if (cli_get(c, a, "--info")) {
        char dir[1200];
        default_dir(dir, sizeof dir, &s);
        printf("name=%s\nbase=%s\nmode=%s\nfirst=%d\ntrials=%d\nseed=%llu\nmetric=%s\n"
               "goal=%s\nout=%s\n",
               s.name, s.base, sweep_mode_names[s.mode], sweep_first_trial(&s), s.trials,
               (unsigned long long)s.seed, s.metric->name,
               s.metric->maximize < 0 ? "report" : s.metric->maximize ? "max" : "min", dir);
        sweep_free(&s);
        return 0;
    }
    int lines = cli_get(c, a, "--lines") != NULL;
    int first = sweep_first_trial(&s), last = s.trials;
    const char *t = cli_get(c, a, "--trial");
    if (t) {
        long k;
        if (dlc_parse_long(t, &k) != 0 || k < first || k > last) {
            rc = cli_usage_error(c, "--trial needs a trial number from %d to %d, got '%s'", first,
                                 last, t);
            goto done;
        }
        first = last = (int)k;
    }
    for (int k = first; k <= last; k++) {
        dlc_strlist kv = {0};
        dlc_error err = {0};
        if (sweep_trial(&s, k, &kv, &err) != DLC_OK) {
            rc = cli_fail(&err);
            dlc_strlist_clear(&kv);
            goto done;
        }
        print_trial(&kv, lines, k, !t);
        dlc_strlist_clear(&kv);
    }
done:
    sweep_free(&s);
    return rc;
}

/* A figure in the table's 9 columns: a loss in the hundreds of thousands
 * (a regression's MSE, a diverged trial) in e-notation, so the columns stay
 * lined up with their names. */
static void fmt(char *buf, size_t size, double v)
{
    if (isfinite(v) && fabs(v) >= 99999.5)
        snprintf(buf, size, "%.3e", v);
    else if (isfinite(v))
        snprintf(buf, size, "%.4f", v);
    else
        snprintf(buf, size, "-");
}

/* The trials the table leaves out, with why: failed and refused (the reason
 * the trial script kept), not finished (the epochs its metrics.csv holds),
 * stale. */
static void print_unranked(const sweep_result *rows, int n, const char *dir)
{
    for (int i = 0; i < n; i++) {
        const sweep_result *r = &rows[i];
        char tdir[2048];
        sweep_trial_dir(tdir, sizeof tdir, dir, r->trial);
        if (r->status == SWEEP_FAILED)
            printf("failed: trial %d: %s\n", r->trial, r->reason ? r->reason : "see its train.log");
        else if (r->status == SWEEP_UNFINISHED)
            printf("not finished: trial %d, %d epoch%s in %s/metrics.csv (run the sweep again "
                   "to resume it)\n",
                   r->trial, r->epochs, r->epochs == 1 ? "" : "s", tdir);
        else if (r->status == SWEEP_REFUSED)
            printf("refused: trial %d: %s (dlc train exited 2: fix the sweep or its base config, "
                   "then run the sweep again to retry it)\n",
                   r->trial, r->reason ? r->reason : "see its train.log");
        else if (r->status == SWEEP_STALE && r->reason)
            printf("stale: trial %d ran with another config than the base config gives it now "
                   "(its config.yaml -> now): %s\n", r->trial, r->reason);
        else if (r->status == SWEEP_STALE)
            printf("stale: trial %d ran with %s\n", r->trial, r->overrides);
    }
}

static int run_leaderboard(const cli_args *a)
{
    const cli_command *c = &cli_leaderboard_cmd;
    sweep_spec s;
    int rc = load(c, a, &s);
    if (rc)
        return rc;
    long top = 5;
    const char *t = cli_get(c, a, "--top");
    if (t && (dlc_parse_long(t, &top) != 0 || top < 0)) {
        sweep_free(&s);
        return cli_usage_error(c, "--top needs a whole number >= 0, got '%s'", t);
    }
    char dir[1200], csv[1300];
    dlc_error err = {0};
    const char *d = cli_get(c, a, "--dir");
    if (d && dlc_strlcpy(dir, d, sizeof dir) >= sizeof dir) {
        sweep_free(&s);
        return cli_usage_error(c, "--dir is %zu characters long; at most %zu are accepted",
                               strlen(d), sizeof dir - 1);
    }
    if (!d)
        default_dir(dir, sizeof dir, &s);
    snprintf(csv, sizeof csv, "%s/leaderboard.csv", dir);
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        /* writing leaderboard.csv there said "cannot create temporary file" (exit 1) */
        dlc_fail(&err, DLC_EINPUT, "%s: %s: the sweep has not run %s (scripts/sweep.sh %s%s), or "
                 "its trials are elsewhere: give --dir OUT",
                 dir, stat(dir, &st) != 0 ? "no such folder" : "not a folder",
                 d ? "into it" : "with its default output folder", a->pos[0],
                 d ? " -o DIR" : "");
        sweep_free(&s);
        return cli_fail(&err);
    }

    sweep_result *rows = NULL;
    int n = 0;
    if (sweep_collect(&s, dir, &rows, &n, &err) != DLC_OK ||
        sweep_write_leaderboard(csv, rows, n, &err) != DLC_OK) {
        rc = cli_fail(&err);
        goto done;
    }
    /* dev losses in the targets' units beside standardized ones (a sweep over
     * data.normalize_targets) cannot be ranked together: 0.4 standard
     * deviations squared would beat an MSE of 2000 */
    int units = 0, scaled = 0;
    dlc_buf which = {0};
    for (int i = 0; i < n; i++)
        if (rows[i].status == SWEEP_DONE) {
            units += rows[i].loss_units > 0;
            if (rows[i].loss_units < 0 && scaled++ < 8)
                dlc_buf_printf(&which, "%s%d", which.len ? ", " : "", rows[i].trial);
        }
    if (units && scaled && strcmp(s.metric->name, "score") != 0) {
        dlc_fail(&err, DLC_EINPUT,
                 "%s: the trials' dev losses are in different units: trial%s %s%s learned "
                 "standardized targets (data.normalize_targets: standard), so %s loss is in "
                 "standard deviations squared, the other %d trial%s in the targets' units: "
                 "ranked together they would say nothing; set metric: score in %s (the dev MSE "
                 "in the targets' units, every trial's)",
                 dir, scaled == 1 ? "" : "s", which.failed ? "?" : which.s,
                 scaled > 8 ? ", ..." : "", scaled == 1 ? "its" : "their", units,
                 units == 1 ? "'s" : "s'", a->pos[0]);
        dlc_buf_free(&which);
        rc = cli_fail(&err);
        goto done;
    }
    dlc_buf_free(&which);
    int count[SWEEP_STATUS_COUNT] = {0};
    for (int i = 0; i < n; i++)
        count[rows[i].status]++;
    printf("%s: %d of %d trials done", csv, count[SWEEP_DONE], n);
    if (count[SWEEP_FAILED])
        printf(", %d failed", count[SWEEP_FAILED]);
    if (count[SWEEP_UNFINISHED] + count[SWEEP_MISSING])
        printf(", %d not finished", count[SWEEP_UNFINISHED] + count[SWEEP_MISSING]);
    if (count[SWEEP_STALE])
        printf(", %d stale", count[SWEEP_STALE]);
    if (count[SWEEP_REFUSED])
        printf(", %d refused by dlc train", count[SWEEP_REFUSED]);
    /* finished trials none of which has the metric (dev_accuracy of a
     * regression) are ranked by their dev loss: say so, not the metric */
    int with_metric = 0;
    for (int i = 0; i < n; i++)
        with_metric += rows[i].status == SWEEP_DONE && isfinite(rows[i].metric);
    int by_acc = strcmp(s.metric->name, "dev_accuracy") == 0 || strcmp(s.metric->name, "dev_error") == 0;
    if (count[SWEEP_DONE] > 0 && with_metric == 0 && by_acc)
        printf("; ranked by dev loss: no trial has a %s (a regression has no accuracy; set "
               "metric: dev_loss or score in %s)\n",
               s.metric->name, a->pos[0]);
    else if (s.metric->maximize < 0)
        printf("; ranked by the single-number metric (constraints met first)\n");
    else
        printf("; ranked by %s (%s is better)\n", s.metric->name,
               s.metric->maximize ? "higher" : "lower");
    printf("%4s %5s %9s %9s %9s %9s %7s  %s\n", "rank", "trial", "metric", "dev_acc", "dev_loss",
           "test_acc", "wall_s", "overrides");
    /* ranks by a dev accuracy, or a regression's dev loss (its MSE): which
     * trials the best one is not told apart from */
    int by_loss = strcmp(s.metric->name, "dev_loss") == 0 || (by_acc && with_metric == 0);
    int ties = 0;
    for (int i = 0; i < n && i < top && rows[i].status == SWEEP_DONE; i++) {
        const sweep_result *r = &rows[i];
        int tie = i > 0 && (by_loss ? sweep_ties_best_mse(&rows[0], r)
                                    : by_acc && sweep_ties_best(&rows[0], r));
        ties += tie;
        char m[32], da[32], dl[32], ta[32], w[32];
        fmt(m, sizeof m, r->metric);
        fmt(da, sizeof da, r->dev_acc);
        fmt(dl, sizeof dl, r->dev_loss);
        fmt(ta, sizeof ta, r->test_acc);
        if (isfinite(r->wall))
            snprintf(w, sizeof w, "%.1f", r->wall);
        else
            snprintf(w, sizeof w, "-");
        printf("%3d%c %5d %9s %9s %9s %9s %7s  %s\n", i + 1, tie ? '~' : ' ', r->trial, m, da, dl,
               ta, w, r->overrides);
    }
    if (ties && by_loss)
        printf("~: dev MSE within two standard errors of the difference from the best trial's "
               "(%.0f dev examples): not told apart from it on this dev set (%d trial%s)\n",
               rows[0].dev_n, ties, ties == 1 ? "" : "s");
    else if (ties)
        printf("~: dev accuracy within two standard errors of the best trial's (%.0f dev examples): "
               "not told apart from it on this dev set (%d trial%s)\n",
               rows[0].dev_n, ties, ties == 1 ? "" : "s");
    /* trials whose dev sets differ (a sweep over data.missing, data.split or
     * the train file) are ranked on different examples: said, not hidden */
    double lo = NAN, hi = NAN;
    for (int i = 0; i < n; i++)
        if (rows[i].status == SWEEP_DONE && isfinite(rows[i].dev_n)) {
            lo = isnan(lo) || rows[i].dev_n < lo ? rows[i].dev_n : lo;
            hi = isnan(hi) || rows[i].dev_n > hi ? rows[i].dev_n : hi;
        }
    if (lo < hi)
        printf("warning: the trials were scored on dev sets of different sizes (%.0f to %.0f "
               "examples): they are ranked on different examples (do the overrides change which "
               "rows dev holds, as data.missing and data.split do?)\n", lo, hi);
    if (n > 0 && rows[0].status == SWEEP_DONE) {
        char tdir[2048];
        printf("best: trial %d, run folder %s (its config.yaml is the resolved config)\n",
               rows[0].trial, sweep_trial_dir(tdir, sizeof tdir, dir, rows[0].trial));
    }
    print_unranked(rows, n, dir);
    if (count[SWEEP_STALE]) {
        /* results of another sweep under this one's trial numbers: ranking
         * them beside the others would credit the wrong overrides */
        dlc_buf b = {0};
        for (int i = 0; i < n; i++)
            if (rows[i].status == SWEEP_STALE)
                dlc_buf_printf(&b, "%s%d", b.len ? ", " : "", rows[i].trial);
        dlc_fail(&err, DLC_EINPUT,
                 "%s: trial%s %s ran with other settings than %s gives %s now (listed above; "
                 "was the sweep file or its base config edited?), so %s left out of the ranking "
                 "(status stale in leaderboard.csv): run the sweep into another folder (-o DIR), "
                 "or remove %s trial folder%s to train %s again",
                 dir, count[SWEEP_STALE] == 1 ? "" : "s", b.failed ? "?" : b.s, a->pos[0],
                 count[SWEEP_STALE] == 1 ? "it" : "them", count[SWEEP_STALE] == 1 ? "it is" : "they are",
                 count[SWEEP_STALE] == 1 ? "its" : "their", count[SWEEP_STALE] == 1 ? "" : "s",
                 count[SWEEP_STALE] == 1 ? "it" : "them");
        dlc_buf_free(&b);
        rc = cli_fail(&err);
    }
done:
    sweep_results_free(rows, n);
    sweep_free(&s);
    return rc;
}

const cli_command cli_sample_cmd = {
    "sample", "SWEEP [--trial K] [options]",
    "Print the --set overrides of a sweep's trials (deterministic per seed and trial), e.g. "
    "dlc train BASE $(dlc sample SWEEP --trial 3).",
    sample_opts, run_sample,
};

const cli_command cli_leaderboard_cmd = {
    "leaderboard", "SWEEP [--dir DIR] [--top N]",
    "Rank a sweep's trials by its metric: write DIR/leaderboard.csv and print the top rows.",
    board_opts, run_leaderboard,
};
