/* train.c - `dlc train CONFIG`: train, evaluate, write the run folder. */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../base/util.h"
#include "../io/io.h"
#include "../report/report.h"
#include "../train/train.h"
#include "cli.h"
#include "report_print.h"

static const cli_opt opts[] = {
    {"--set", 1, "KEY=VALUE", "override a config key, e.g. train.optimizer.lr=0.01 (repeatable)"},
    {"--seed", 1, "N", "the run's seed (same as --set seed=N)"},
    {"--out", 1, "DIR", "run folder (default: runs/<name>)"},
    {"--resume", 0, NULL, "continue an interrupted run from its last checkpoint"},
    {"--force", 0, NULL, "overwrite an existing run folder"},
    {NULL, 0, NULL, NULL},
};

typedef struct {
    int tty;
    int quiet;
    double last_draw;
    int drawn;   /* a live line is on screen */
    /* the report, built by on_finished before the model is freed */
    const dlc_config *cfg;
    const char *run_dir;
    report rep;
    int have_report;
    const atomic_int *stop; /* borrowed: Ctrl-C's flag */
    int reporting;          /* training ended: the model is saved, the report is being made */
    cli_loading *loading;   /* the "reading data" line, until the first output after the load */
    int clean_old;          /* --force (rank 0): the old run's files go once the new one loads */
} progress;

static void clear_line(progress *p)
{
    cli_loading_stop(p->loading);
    p->loading = NULL;
    if (p->drawn) {
        fprintf(stderr, "\r\033[K");
        p->drawn = 0;
    }
}

static void on_progress(void *user, int epoch, int epochs, int batch, int n_batches, double loss,
                        double sps, double eta)
{
    progress *p = user;
    if (!p->tty || p->quiet)
        return;
    if (p->loading)
        clear_line(p);
    double now = dlc_now();
    if (batch != n_batches && now - p->last_draw < 0.1)
        return;
    p->last_draw = now;
    fprintf(stderr, "\r\033[Kepoch %d/%d  batch %d/%d  loss %.4f  %.0f samples/s  ETA %.0fs", epoch,
            epochs, batch, n_batches, loss, sps, eta);
    fflush(stderr);
    p->drawn = 1;
}

static void fmt_metric(char *buf, size_t size, const char *label, double v, int pct)
{
    if (isnan(v))
        buf[0] = '\0';
    else if (pct)
        snprintf(buf, size, "  %s %.2f%%", label, 100.0 * v);
    else
        snprintf(buf, size, "  %s %.4f", label, v);
}

static void on_epoch(void *user, const train_epoch *e)
{
    progress *p = user;
    clear_line(p);
    if (p->quiet)
        return;
    char ta[48], dl[48], da[48];
    /* a yolo output's accuracy is the objects found (its mAP comes after training) */
    int found = p->cfg && p->cfg->n_heads > 0 && p->cfg->heads[0].loss == LOSS_YOLO;
    fmt_metric(ta, sizeof ta, found ? "found" : "acc", e->train_acc, 1);
    fmt_metric(dl, sizeof dl, "dev_loss", e->dev_loss, 0);
    fmt_metric(da, sizeof da, found ? "dev_found" : "dev_acc", e->dev_acc, 1);
    printf("epoch %3d  lr %.3g  loss %.4f%s%s%s  %.1fs  %.0f samples/s%s\n", e->epoch, e->lr,
           e->train_loss, ta, dl, da, e->seconds, e->samples_per_s, e->best ? "  *" : "");
    fflush(stdout);
}

static void on_message(void *user, const char *msg)
{
    progress *p = user;
    clear_line(p);
    if (p->quiet && strncmp(msg, "warning", 7) != 0)
        return;
    char text[2048];
    fprintf(stderr, "%s\n", dlc_escape(text, sizeof text, msg, DLC_ESC_KEEP_LINES));
}

static dlc_status on_finished(void *user, model *m, const data_bundle *data,
                              const struct train_result *res, dlc_error *err)
{
    progress *p = user;
    char path[2300];
    p->reporting = 1;
    /* Ctrl-C here stops before the next split is measured (a large train
     * split takes a third of an epoch) and writes no report */
    dlc_status s = report_evaluate_until(&p->rep, m, data, p->cfg, p->stop, err);
    if (s == DLC_OK && res->model_note[0])
        s = dlc_strlist_push(&p->rep.model_warnings, res->model_note, err);
    if (s != DLC_OK)
        return s;
    p->have_report = 1;
    snprintf(path, sizeof path, "%s/model.safetensors", p->run_dir);
    /* the verification threshold chosen on dev goes with the model, for dlc verify */
    if (p->rep.verify.present && isfinite(p->rep.verify.threshold)) {
        m->verify_threshold = p->rep.verify.threshold;
        if ((s = model_save(m, path, err)) != DLC_OK)
            return s;
    }
    report_measure_cost(&p->rep, m, data, p->cfg, path);
    report_conclude(&p->rep, p->cfg);
    if (atomic_load(p->stop))
        return dlc_fail(err, DLC_EINTR, "interrupted before the report was written");
    report_run_info run = {res->epochs_run, res->best_epoch, res->stopped_early, res->seconds,
                           res->seconds_this, tensor_get_threads(), res->ranks, res->steps,
                           res->mpi_seconds, res->buckets, res->allreduce_floats * sizeof(float)};
    return report_write_all(&p->rep, data, p->cfg, &run, p->run_dir, err);
}

/* --force: the old run's files, removed once the new run's data and model
 * have loaded, so a mistake in the config (a label column misspelt) leaves
 * the old run as it was; they were removed first, and such a mistake lost a
 * trained model.  An old checkpoint must not be resumed into the new run by
 * mistake, and a model.onnx that `dlc export` wrote of the old weights must
 * not be taken for the new ones'. */
static void remove_old_run(const char *run_dir)
{
    char probe[2200];
    const char *old[] = {"checkpoint.safetensors", "model.safetensors", "metrics.csv", "gradnorms.csv",
                         "report.json", "confusion.csv", "report.html", "model.onnx"};
    for (size_t i = 0; i < DLC_ARRAY_LEN(old); i++) {
        snprintf(probe, sizeof probe, "%s/%s", run_dir, old[i]);
        unlink(probe);
    }
}

static void on_started(void *user)
{
    progress *p = user;
    clear_line(user);
    if (p->clean_old)
        remove_old_run(p->run_dir);
    cli_catch_stop();
}

static int exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* After a failed run: where it can go on from, and the command.  A stop
 * request or a failed write (a full disk) leaves the checkpoint on disk
 * whole, as files are replaced by rename; the last checkpoint's write ends
 * after the model and the report, so it may fail after they were written. */
static void go_on_hint(const progress *p, const train_result *res, dlc_status why,
                       const char *config, const char *run_dir, int epochs, const char *sets)
{
    int stopped = why == DLC_EINTR;
    const char *fixed = stopped ? "" : "once the cause is fixed, ";
    char ckpt[2300];
    snprintf(ckpt, sizeof ckpt, "%s/checkpoint.safetensors", run_dir);
    if (!stopped && why != DLC_EIO)
        return;
    if (res->finished) {
        fprintf(stderr, "training ended: %s/model.safetensors and the report are written; only the "
                        "last checkpoint (to train on with --resume and more epochs) was not: %s "
                        "holds epoch %d of %d\n", run_dir, ckpt, res->checkpoint_epoch, epochs);
        return;
    }
    if (res->checkpoint_epoch > 0 && !exists(ckpt)) {
        fprintf(stderr, "%s is gone (was the run folder removed?), so there is nothing to resume; "
                        "start again with: dlc train %s --out %s --force%s\n",
                ckpt, config, run_dir, sets);
        return;
    }
    if (p->reporting && res->checkpoint_epoch == 0) {
        fprintf(stderr, "training had ended: %s/model.safetensors is saved, but no checkpoint was "
                        "written, so the report needs the run again; %sstart it with: dlc train "
                        "%s --out %s --force%s\n", run_dir, fixed, config, run_dir, sets);
        return;
    }
    if (p->reporting) {
        char again[160] = "nothing is trained again";
        if (res->checkpoint_epoch < res->epochs_run)
            snprintf(again, sizeof again, "the checkpoint holds epoch %d of %d: the epochs after "
                     "it are trained again, to the same weights", res->checkpoint_epoch,
                     res->epochs_run);
        fprintf(stderr, "training had ended: %s/model.safetensors is saved; %sto write the report "
                        "(%s):\n  dlc train %s --out %s --resume%s\n", run_dir, fixed, again,
                config, run_dir, sets);
        return;
    }
    if (res->checkpoint_epoch > 0)
        fprintf(stderr, "the last checkpoint, %s, holds epoch %d of %d; %scontinue with:\n  dlc "
                        "train %s --out %s --resume%s\n", ckpt, res->checkpoint_epoch, epochs,
                fixed, config, run_dir, sets);
    else if (stopped)
        fprintf(stderr, "no epoch was finished, so there is no checkpoint to resume from; start "
                        "again with: dlc train %s --out %s --force\n", config, run_dir);
    else
        fprintf(stderr, "no checkpoint was written, so there is nothing to resume; once the cause "
                        "is fixed, start again with: dlc train %s --out %s --force%s\n", config,
                run_dir, sets);
}

/* The run folder before training: rank 0's alone under MPI.  Takes the
 * lock (one process per run folder, for the whole run: taken before
 * anything in the folder is looked at or removed), removes temporaries of
 * killed runs, and checks the folder against --resume / --force. */
static dlc_status prepare_run_dir(const char *run_dir, int resume, int force, int quiet,
                                  int *lock_fd, dlc_error *err)
{
    char probe[2300];
    if (!resume || exists(run_dir)) {
        if ((!resume && dlc_mkdirs(run_dir, err) != DLC_OK) ||
            io_run_lock(run_dir, lock_fd, err) != DLC_OK)
            return err->status;
        int stale = io_remove_stale_tmp(run_dir);
        if (stale && !quiet)
            fprintf(stderr, "removed %d temporary file%s left by killed runs in %s\n", stale,
                    stale == 1 ? "" : "s", run_dir);
    }
    snprintf(probe, sizeof probe, "%s/checkpoint.safetensors", run_dir);
    int has_ckpt = exists(probe);
    snprintf(probe, sizeof probe, "%s/model.safetensors", run_dir);
    int has_model = exists(probe);
    if (!resume && !force && (has_ckpt || has_model))
        return dlc_fail(err, DLC_EINPUT,
                        "%s already holds a %s run; use --resume to continue it or --force to "
                        "start over (or --out DIR)",
                        run_dir, has_model ? "finished" : "interrupted");
    if (resume && !has_ckpt) {
        /* say why, and what to do: a run stopped in its first epoch (or
         * before its first checkpoint was written) leaves a folder that looks
         * started but cannot be resumed */
        snprintf(probe, sizeof probe, "%s/config.yaml", run_dir);
        if (!exists(run_dir))
            return dlc_fail(err, DLC_EINPUT, "%s: no checkpoint to resume from (no such folder)",
                            run_dir);
        if (exists(probe))
            return dlc_fail(err, DLC_EINPUT,
                            "%s: no checkpoint to resume from: the run there stopped before its "
                            "first checkpoint was written; start it again with --force",
                            run_dir);
        return dlc_fail(err, DLC_EINPUT, "%s: no checkpoint to resume from (no run was trained into it)",
                        run_dir);
    }
    return DLC_OK; /* --force removes the old run's files once the new one loads (on_started) */
}

static int run(const cli_args *a)
{
    const cli_command *c = &cli_train_cmd;
    const double started = dlc_now();
    if (a->n_pos != 1)
        return cli_usage_error(c, "expected one CONFIG file, got %d arguments", a->n_pos);
    dlc_error err = {0};
    /* under mpirun or srun: one of several processes (ranks but 0 print
     * nothing); a failure any rank meets before training fails them all */
    dist_world *world;
    if (dist_init(&world, &err) != DLC_OK)
        return cli_fail(&err);
    dlc_config cfg;
    dlc_status cs = cli_load_config(&cfg, a->pos[0], a, &err);
    /* a style transfer config trains nothing: said before a run folder is made */
    if (cs == DLC_OK && cfg.no_data) {
        cs = model_load_data(NULL, &cfg, &err);
        config_free(&cfg);
        if (cs == DLC_OK)
            cs = dlc_fail(&err, DLC_EINPUT, "%s: nothing to train", a->pos[0]);
    }
    if (dist_agree(world, cs, &err) != DLC_OK) {
        if (cs == DLC_OK)
            config_free(&cfg);
        int code = cli_fail(&err);
        dist_finalize(world); /* after rank 0 has said why */
        return code;
    }
    int rc = 0, lock_fd = -1;
    char *yaml = NULL;
    progress p = {0};
    char run_dir[2048];
    const char *out = cli_get(c, a, "--out");
    if (out && !*out) {
        rc = cli_usage_error(c, "--out needs a folder name (empty given)");
        goto done;
    }
    int n = out ? snprintf(run_dir, sizeof run_dir, "%s", out)
                : snprintf(run_dir, sizeof run_dir, "runs/%s", cfg.name);
    if (n < 0 || (size_t)n >= sizeof run_dir) {
        rc = cli_usage_error(c, "the run folder's path is %d characters long; at most %zu are "
                             "accepted", n, sizeof run_dir - 1);
        goto done;
    }
    int resume = cli_get(c, a, "--resume") != NULL, force = cli_get(c, a, "--force") != NULL;
    /* a run's own config.yaml resumed without --out: the run meant is its
     * folder, not runs/<name> */
    const char *slash = strrchr(a->pos[0], '/');
    if (resume && !out && slash && strcmp(slash + 1, "config.yaml") == 0) {
        char own[2300], mine[2300];
        int dir_len = (int)(slash - a->pos[0]);
        snprintf(own, sizeof own, "%.*s/checkpoint.safetensors", dir_len, a->pos[0]);
        snprintf(mine, sizeof mine, "%s/checkpoint.safetensors", run_dir);
        if (exists(own) && !exists(mine)) {
            rc = cli_usage_error(c, "%s is the config of the run in %.*s, but without --out the "
                                 "run folder is %s, which has no checkpoint; to continue that "
                                 "run: dlc train %s --out %.*s --resume", a->pos[0], dir_len,
                                 a->pos[0], run_dir, a->pos[0], dir_len, a->pos[0]);
            goto done;
        }
    }
    if (resume && force) {
        rc = cli_usage_error(c, "--resume and --force contradict each other");
        goto done;
    }
    dlc_status ps = DLC_OK;
    if (dist_rank(world) == 0)
        ps = prepare_run_dir(run_dir, resume, force, cli_quiet(c, a), &lock_fd, &err);
    if (dist_agree(world, ps, &err) != DLC_OK) {
        rc = cli_fail(&err);
        goto done;
    }
    /* the run records which weights it started from */
    if (cfg.init.run[0] && !cfg.init.sha256[0] &&
        model_source_digest(&cfg, cfg.init.sha256, &err) != DLC_OK) {
        rc = cli_fail(&err);
        goto done;
    }
    if (config_to_yaml(&cfg, &yaml, &err) != DLC_OK) {
        rc = cli_fail(&err);
        goto done;
    }
    /* ranks on one machine share its cores */
    int threads = cfg.threads;
    if (threads <= 0 && dist_local_size(world) > 1) {
        long cores = cli_usable_cores();
        threads = cores > dist_local_size(world) ? (int)(cores / dist_local_size(world)) : 1;
    }
    cli_set_threads(cli_get(c, a, "--threads"), threads);
    p.tty = isatty(STDERR_FILENO);
    p.quiet = cli_quiet(c, a);
    p.cfg = &cfg;
    p.run_dir = run_dir;
    p.clean_old = force && dist_rank(world) == 0;
    train_hooks hooks = {&p, on_progress, on_epoch, on_message, on_finished, on_started};
    /* Ctrl-C ends dlc while the data load, and stops at the next batch once
     * they are loaded (on_started) */
    cli_exit_on_stop();
    train_options opt = {run_dir, resume, cli_stop_flag(), yaml, world};
    p.stop = opt.stop;
    train_result res;
    if (!p.quiet)
        fprintf(stderr, "training %s -> %s\n", cfg.name, run_dir);
    p.loading = cli_loading_start(&cfg.data, p.tty, p.quiet);
    if (train_run(&cfg, &opt, &hooks, &res, &err) != DLC_OK) {
        clear_line(&p);
        rc = cli_fail(&err);
        go_on_hint(&p, &res, err.status, a->pos[0], run_dir, cfg.train.epochs,
                   a->n_sets ? " (and the same --set options)" : "");
        goto done;
    }
    cli_print_report(&p.rep, DATA_SPLIT_DEV, run_dir);
    printf("%d epoch%s%s in %.1fs; ", res.epochs_run, res.epochs_run == 1 ? "" : "s",
           res.stopped_early ? " (stopped early)" : "", res.seconds);
    if (resume || res.seconds_this < res.seconds - 0.05)
        printf("(%.1fs in this invocation) ", res.seconds_this);
    /* the whole process against its epochs: the rest is data, setup, the
     * final evaluation and the reports */
    printf("this process %.1fs, its epochs %.1fs; ", dlc_now() - started, res.epoch_seconds);
    if (res.best_epoch > 0)
        printf("best dev epoch %d; ", res.best_epoch);
    printf("run folder %s\n", run_dir);
    if (res.ranks > 1)
        printf("%d processes: %.2fs in MPI calls (%.2f ms per step), %d gradient sum%s of %.2f MB "
               "per step\n",
               res.ranks, res.mpi_seconds, res.steps > 0 ? 1e3 * res.mpi_seconds / res.steps : 0.0,
               res.buckets, res.buckets == 1 ? "" : "s",
               res.allreduce_floats * sizeof(float) / 1048576.0);
done:
    cli_loading_stop(p.loading);
    if (p.have_report)
        report_free(&p.rep);
    free(yaml);
    config_free(&cfg);
    io_run_unlock(lock_fd);
    dist_finalize(world);
    return rc;
}

const cli_command cli_train_cmd = {
    "train", "CONFIG [options]",
    "Train the model a YAML file describes and write its run folder (metrics.csv, "
    "model.safetensors, checkpoint.safetensors, report.json, report.html, errors/).",
    opts, run,
};
