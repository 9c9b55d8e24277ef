/* sweep.h - hyperparameter sweeps: which config keys to vary and how, turned
 * into the `--set` overrides of trial K, and the leaderboard of a sweep's run
 * folders.  The shell scripts (scripts/sweep.sh, scripts/sweep-trial.sh) only
 * orchestrate: every decision about values and ranking is made here, so it
 * is the same on a laptop, over GNU parallel and in a Slurm job array.
 *
 * A sweep is a separate YAML file naming its base config, or a `sweep:`
 * section inside a config (then the config is the base; `dlc train` ignores
 * the section):
 *
 *   base: ../fashion_mnist_mlp.yaml      # relative to the sweep file
 *   trials: 20                           # random mode: trials 1..20
 *   seed: 7                              # sampling seed (the trials train with the base's seed)
 *   metric: dev_accuracy                 # what the leaderboard ranks by (sweep_metrics)
 *   mode: random                         # random | grid
 *   baseline: true                       # also trial 0: the base with only `set:`
 *   set: {data.train.limit: 30000}       # fixed overrides for every trial
 *   params:
 *     train.optimizer.lr: {log_uniform: [1e-4, 1e-1]}
 *     model.layers.1.units: {int_uniform: [64, 512]}
 *     train.batch_size: {choice: [32, 64, 128, 256]}   # or just [32, 64, 128, 256]
 *     train.optimizer.beta1: {one_minus_log: [-3, -1]} # beta = 1 - 10^r, r in [-3, -1]
 *
 * Loading checks every key against the config schema and every range's end
 * points (each choice) by loading the base config with them, so a sweep that
 * loads never hands `dlc train` a value it refuses.
 */
#ifndef DLC_SWEEP_H
#define DLC_SWEEP_H

#include <stddef.h>
#include <stdint.h>

#include "../base/error.h"
#include "../base/rng.h"
#include "../base/util.h"

typedef enum {
    SWEEP_CHOICE,        /* one of a list of values, equally likely */
    SWEEP_INT_UNIFORM,   /* an integer in [lo, hi], both ends included */
    SWEEP_UNIFORM,       /* a number in [lo, hi) */
    SWEEP_LOG_UNIFORM,   /* 10^r, r uniform in [log10 lo, log10 hi): equal odds per decade */
    SWEEP_ONE_MINUS_LOG, /* 1 - 10^r, r uniform in [lo, hi) (lo < hi <= 0): for betas */
    SWEEP_DIST_COUNT
} sweep_dist;

extern const char *const sweep_dist_names[]; /* by sweep_dist, NULL-terminated */

typedef enum { SWEEP_RANDOM, SWEEP_GRID } sweep_mode;
extern const char *const sweep_mode_names[]; /* NULL-terminated */

/* A figure of report.json a sweep can rank by.  Adding one (such as the
 * reports issue's single-number metric) is one row in sweep.c. */
typedef struct {
    const char *name;      /* as a sweep file's `metric:` names it */
    const char *json_path; /* dotted path into report.json: "splits.dev.accuracy" */
    int maximize;          /* 1: higher is better, 0: lower; -1: as report.json's
                              metric.higher_is_better says, and runs that meet
                              the metric's constraints rank first */
} sweep_metric;

extern const sweep_metric sweep_metrics[]; /* NULL-name terminated */

typedef struct {
    char key[256];        /* config key path, list items by index: model.layers.1.units */
    sweep_dist dist;
    double lo, hi;        /* int_uniform, uniform, log_uniform: values; one_minus_log: r */
    dlc_strlist choices;  /* choice: the values as written */
    int line;             /* in the sweep file */
} sweep_param;

typedef struct {
    char path[1024];      /* the sweep file */
    char base[1024];      /* the base config (the sweep file itself for a `sweep:` section) */
    char name[128];       /* default output folder runs/sweeps/<name> */
    sweep_mode mode;
    sweep_mode file_mode; /* the file's own mode (mode differs when overridden) */
    int trials;           /* trials are numbered 1..trials (grid: the grid's size) */
    int baseline;         /* 1: trial 0 is the base config with only the fixed overrides */
    uint64_t seed;
    const sweep_metric *metric; /* borrowed from sweep_metrics */
    dlc_strlist fixed;    /* "key=value" from `set:`, in file order */
    int n_params;
    sweep_param *params;  /* owned */
} sweep_spec;

/* Reads and validates a sweep file.  mode: -1 for the file's own, else a
 * sweep_mode that replaces it (grid requires choice/int_uniform only, and
 * then `trials` is the grid's size).  Errors are EINPUT
 * "file:line: key 'path': message"; on failure s is left freed. */
dlc_status sweep_load(sweep_spec *s, const char *path, int mode, dlc_error *err);
void sweep_free(sweep_spec *s);

/* The first trial number (0 with a baseline, else 1); the last is s->trials. */
int sweep_first_trial(const sweep_spec *s);

/* The overrides of trial k ("key=value": the fixed ones, then one per
 * parameter in file order), appended to out.  Random mode: each parameter's
 * value depends only on (seed, k, key), so adding a parameter to a sweep
 * leaves the others' values unchanged.  Grid mode: trial k is combination
 * k - 1, the last parameter varying fastest.  EINPUT for k out of range. */
dlc_status sweep_trial(const sweep_spec *s, int k, dlc_strlist *out, dlc_error *err);

/* ---- the pieces sweep_trial is made of (exposed for tests) ---- */

/* The stream parameter `key` draws from in trial k. */
void sweep_param_rng(dlc_rng *r, uint64_t seed, int k, const char *key);
/* One draw: the value (choice: the index of the choice). */
double sweep_draw(const sweep_param *p, dlc_rng *r);
/* A drawn value as override text into buf: integers as integers, choices as
 * written, numbers with as few digits as keep it within 1e-4 relative (for
 * one_minus_log: of 1 - value). */
void sweep_format(const sweep_param *p, double v, char *buf, size_t size);
/* Number of values a grid gives p (0 for continuous distributions). */
long sweep_grid_count(const sweep_param *p);

/* ---- the leaderboard (leaderboard.c) ---- */

typedef enum {
    SWEEP_DONE,       /* report.json is there */
    SWEEP_FAILED,     /* training failed (the trial folder holds a `failed` note) */
    SWEEP_UNFINISHED, /* a folder without a result: running or interrupted */
    SWEEP_MISSING,    /* not started */
    SWEEP_STALE,      /* trained with other overrides than the sweep gives the trial now
                       * (its overrides.txt), or another config than they give on the
                       * base config now (its config.yaml): an edit since; not ranked */
    SWEEP_REFUSED,    /* dlc train refused to start it (exit 2; a `refused` note): bad
                       * input for its overrides, retried when the sweep runs again */
    SWEEP_STATUS_COUNT
} sweep_status;

extern const char *const sweep_status_names[];

typedef struct {
    int trial;
    sweep_status status;
    double metric;               /* NAN when absent */
    int higher_is_better;        /* the metric's direction (from report.json for score) */
    int constraints_met;         /* 0 when the single-number metric's constraints fail */
    double dev_acc, dev_loss, test_acc, test_loss, train_acc, train_loss; /* NAN when absent */
    double dev_n;                /* dev examples; NAN when absent */
    double dev_mse_se;           /* a regression whose loss is its MSE: the dev MSE's
                                  * standard error (report.json metrics.dev.mse_se); else NAN */
    int loss_units;              /* a regression: 1 when its dev loss is its dev MSE in the
                                  * targets' units, -1 when it is not (the targets were learned
                                  * standardized: data.normalize_targets); 0 otherwise */
    int epochs;                  /* run (report.json; unfinished: metrics.csv's rows); -1 when absent */
    double wall;                 /* seconds; NAN when unknown */
    char *overrides;             /* the trial's overrides less the fixed ones, space-separated; owned */
    char *reason;                /* failed, refused: why (the note's last line); stale after an
                                  * edit of the base config: what changed; else NULL; owned */
} sweep_result;

/* The trial folder of trial k under dir ("dir/trial-007") into buf. */
const char *sweep_trial_dir(char *buf, size_t size, const char *dir, int k);

/* Reads every trial's folder under dir: one row per trial of the sweep, best
 * first (by the sweep's metric, then trial number), finished trials before
 * failed, unfinished, missing, stale and refused ones.  A report.json that does not parse is
 * an EINPUT error naming the file.  Free with sweep_results_free. */
dlc_status sweep_collect(const sweep_spec *s, const char *dir, sweep_result **rows, int *n,
                         dlc_error *err);
void sweep_results_free(sweep_result *rows, int n);

/* 1 when r's dev accuracy is within two standard errors of best's, each an
 * error rate on its dev examples (p = (errors + 1) / (n + 2), as the report's
 * gap noise): on 36 dev examples, 97.2% and 100% are one example apart and
 * tell nothing.  0 when either lacks a dev accuracy or its size. */
int sweep_ties_best(const sweep_result *best, const sweep_result *r);
/* The same for a regression ranked by its dev loss, its MSE: 1 when r's is
 * within two standard errors of the difference of best's (each the dev MSE's
 * own, dev_mse_se); 0 when either lacks them. */
int sweep_ties_best_mse(const sweep_result *best, const sweep_result *r);

/* Writes rows (as sweep_collect orders them) to path as CSV:
 * rank,trial,status,metric,dev_accuracy,dev_loss,test_accuracy,test_loss,
 * train_accuracy,train_loss,epochs,wall_seconds,overrides
 * (empty cells for absent figures; rank only for finished trials). */
dlc_status sweep_write_leaderboard(const char *path, const sweep_result *rows, int n,
                                   dlc_error *err);

#endif
