/* train.c - the training loop: batches, forward, loss, backward, clipping,
 * optimizer step, per-epoch evaluation, early stopping, checkpoints. */
#include "train.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../base/rng.h"

/* 2: optimizer state per trainable parameter ("optim.m.<name>"), and no
 * best-epoch copy of a frozen one; 1 (still read): one flat tensor per
 * moment in the parameter block's layout */
#define CHECKPOINT_FORMAT "dlc-checkpoint-2"
#define CHECKPOINT_FORMAT_1 "dlc-checkpoint-1"
#define METRICS_HEADER "epoch,lr,train_loss,train_accuracy,dev_loss,dev_accuracy,seconds,samples_per_s\n"
#define GRADNORMS_HEADER "epoch,layer,mean_norm,max_norm,batches\n"


typedef struct {
    const dlc_config *cfg;
    const train_options *opt;
    const train_hooks *hooks;
    data_bundle data;
    model m;
    optim *opt_state;
    int batch;              /* examples per step */
    float *targets;         /* (eval_max, n_targets) */
    float *aug_scratch;     /* (2 * example size) for augmentation */
    int *order;             /* (train n) */
    int *starts;            /* (train n + 1) where each batch starts in order (data_plan) */
    int lm;                 /* a language model: 1 words, 2 characters (perplexity columns) */
    float *best;            /* (n_learned) the best epoch's learned parameters (learned_copy) */
    size_t n_learned;       /* floats of the parameters training changes (graph_param_changes) */
    int has_best;
    double best_metric;
    int best_epoch;
    int bad_epochs;
    int plateau_cuts;       /* a plateau schedule's cuts of the rate so far */
    int plateau_bad;        /* ... and its epochs without improvement since the last cut */
    int epoch;              /* epochs completed */
    long step;              /* steps taken */
    int stopped_early;
    int ckpt_epoch;         /* the epoch the checkpoint on disk holds (0: none) */
    char data_fp[17];       /* data_fingerprint, kept in checkpoints */
    dlc_buf features;       /* the model's input feature names (JSON), kept in checkpoints */
    /* Checkpoints are written on a thread of their own (io_async_start) from
     * a snapshot of the parameters and the optimizer state, so training goes
     * on while they are written. */
    float *snap;            /* (n_learned + n_grads * optimizer moments) */
    io_async_write *ckpt_write; /* the write in progress, or NULL */
    dlc_status ckpt_late;       /* that write's failure, when finish waited for it early */
    dlc_error ckpt_late_err;
    int ckpt_writing;       /* the epoch it holds */
    double ckpt_at;         /* when the last checkpoint was started (0: none yet in this process) */
    double now;             /* when the last epoch ended (train_epoch.ended) */
    dlc_buf metrics;        /* metrics.csv so far */
    dlc_buf gradnorms;      /* gradnorms.csv so far */
    double curves_at;       /* when metrics.csv and gradnorms.csv were last written */
    double t0;              /* when this invocation started */
    double seconds_before;  /* wall time of the invocations before (--resume), from the checkpoint */
    double epoch_seconds;   /* wall time of this invocation's epochs */
    int n_owners;           /* nodes owning parameters, for per-layer norms */
    int *owners;
    double *gn_sum, *gn_max;
    int gn_count;
    /* the norm each layer was last warned about, (2, n_nodes): vanishing,
     * exploding (NaN: never); a warning repeats only when it is 10 times worse */
    double *gn_warned;
    double spread_warned;   /* the smallest / largest layer norm last warned about (NaN: never) */
    int gn_repeats_said;
    dist_world *dw;         /* the processes training together (borrowed; NULL: one) */
    int ranks;
    dist_grads *dg;         /* their gradient buckets */
} trainer;

/* Rank 0 writes the run folder and reports; the others only compute. */
static int writes(const trainer *t)
{
    return dist_rank(t->dw) == 0;
}

/* Several processes: a failure one rank alone meets (a write on rank 0)
 * would leave the others waiting in the next sum; it ends the job. */
static dlc_status alone(trainer *t, dlc_status s, dlc_error *err)
{
    if (s != DLC_OK && t->ranks > 1)
        dist_abort(t->dw, err);
    return s;
}

/* A seed for one purpose and index (a step, an epoch) of the run's seed. */
static uint64_t sub_seed(uint64_t seed, int purpose, long index)
{
    dlc_rng r;
    dlc_rng_seed(&r, seed, DLC_STREAM(purpose, index));
    return dlc_rng_u64(&r);
}

static void say(const trainer *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(const trainer *t, const char *fmt, ...)
{
    if (!t->hooks || !t->hooks->message)
        return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    t->hooks->message(t->hooks->user, msg);
}

static void path_in(char *buf, size_t size, const char *dir, const char *file)
{
    snprintf(buf, size, "%s/%s", dir, file);
}

static int file_exists(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0;
}

/* ---- gradient norms per layer ---- */

/* live[k] = 1 for each parameter some output depends on (its node, or one
 * sharing it, lies on a path to an output); the others never learn.  Nodes
 * are in topological order, so one backward sweep marks what the outputs read. */
static dlc_status live_params(const graph *g, char *live, dlc_error *err)
{
    char *reach = calloc((size_t)g->n_nodes, 1);
    if (!reach)
        return DLC_NOMEM(err);
    for (int o = 0; o < g->n_outputs; o++)
        reach[g->outputs[o]] = 1;
    memset(live, 0, (size_t)g->n_params);
    for (int i = g->n_nodes - 1; i >= 0; i--) {
        if (!reach[i])
            continue;
        for (int k = 0; k < g->nodes[i].n_in; k++)
            reach[g->nodes[i].in[k]] = 1;
        for (int k = 0; k < g->nodes[i].n_params; k++)
            live[g->nodes[i].params[k]] = 1;
    }
    free(reach);
    return DLC_OK;
}

/* The layers whose gradient norms are watched: those owning a trainable
 * parameter an output depends on.  A layer with trainable parameters that no
 * output reads is said once: it never learns, and its zero gradient is not a
 * vanishing one. */
static dlc_status owners_init(trainer *t, dlc_error *err)
{
    graph *g = t->m.g;
    char *live = malloc((size_t)g->n_params + 1);
    if (!live)
        return DLC_NOMEM(err);
    dlc_status s = live_params(g, live, err);
    if (s != DLC_OK) {
        free(live);
        return s;
    }
    t->owners = malloc(sizeof(int) * (size_t)g->n_nodes);
    t->gn_sum = calloc((size_t)g->n_nodes, sizeof(double));
    t->gn_max = calloc((size_t)g->n_nodes, sizeof(double));
    t->gn_warned = calloc((size_t)g->n_nodes * 2, sizeof(double));
    if (!t->owners || !t->gn_sum || !t->gn_max || !t->gn_warned) {
        free(live);
        return DLC_NOMEM(err);
    }
    for (int i = 0; i < 2 * g->n_nodes; i++)
        t->gn_warned[i] = NAN; /* never warned (a norm may well be 0) */
    t->spread_warned = NAN;
    for (int i = 0; i < g->n_nodes; i++) {
        int own = 0, dead = 0;
        for (int k = 0; k < g->n_params; k++)
            if (g->params[k].node == i && g->params[k].trainable) {
                own += live[k];
                dead += !live[k];
            }
        if (own)
            t->owners[t->n_owners++] = i;
        else if (dead)
            say(t, "warning: layer '%s' feeds no output of the model: its parameters never learn "
                   "(remove it, connect it, or name it in model.outputs)", g->nodes[i].spec.name);
    }
    free(live);
    return DLC_OK;
}

/* Sum of squared gradients of the trainable parameters owned by node. */
static double node_grad_sumsq(const graph *g, int node)
{
    double s = 0;
    for (int k = 0; k < g->n_params; k++)
        if (g->params[k].node == node && g->params[k].trainable)
            s += tensor_sumsq_wide(g->params[k].grad, g->params[k].n);
    return s;
}

/* Global gradient norm; records per-layer norms when `record`. */
static double grad_norms(trainer *t, int record)
{
    graph *g = t->m.g;
    double total = 0;
    for (int i = 0; i < t->n_owners; i++) {
        double s = node_grad_sumsq(g, t->owners[i]);
        total += s;
        if (record) {
            double nrm = sqrt(s);
            t->gn_sum[i] += nrm;
            if (nrm > t->gn_max[i])
                t->gn_max[i] = nrm;
        }
    }
    if (record)
        t->gn_count++;
    return sqrt(total);
}

/* Warns when the layers' gradient norms span more than train.grad_warn.ratio:
 * small next to the input and large next to the output is a vanishing
 * gradient; the other way round, an exploding one. */
static void grad_norms_spread(trainer *t, int epoch)
{
    const train_config *tc = &t->cfg->train;
    if (!t->gn_count || t->n_owners < 2)
        return;
    int lo = 0, hi = 0; /* owners are in topological order: input side first */
    for (int i = 1; i < t->n_owners; i++) {
        if (t->gn_sum[i] < t->gn_sum[lo])
            lo = i;
        if (t->gn_sum[i] > t->gn_sum[hi])
            hi = i;
    }
    double a = t->gn_sum[lo] / t->gn_count, b = t->gn_sum[hi] / t->gn_count;
    if (!(b > 0) || a / b >= tc->grad_ratio)
        return;
    double r = lo < hi ? a / b : b / a; /* < 1 vanishing, > 1 exploding */
    if (!isnan(t->spread_warned) &&
        (r < 1 ? !(r < t->spread_warned / 10) : !(r > t->spread_warned * 10)))
        return; /* said already at about this spread */
    t->spread_warned = r;
    const graph *g = t->m.g;
    const char *small = g->nodes[t->owners[lo]].spec.name, *large = g->nodes[t->owners[hi]].spec.name;
    if (lo < hi)
        say(t, "warning: epoch %d: vanishing gradients: layer '%s' (mean norm %.3g) gets %.2g times "
               "the gradient of layer '%s' (%.3g), below train.grad_warn.ratio %g; consider "
               "He/Xavier initialisation, batchnorm, relu activations or skip connections",
            epoch, small, a, a / b, large, b, tc->grad_ratio);
    else
        say(t, "warning: epoch %d: exploding gradients: layer '%s' (mean norm %.3g) gets %.2g times "
               "the gradient of layer '%s' (%.3g); consider a lower learning rate, "
               "train.clip_norm or batchnorm",
            epoch, large, b, b / a, small, a);
}

/* Layers past a gradient bound each get a line, up to GRAD_WARN_LINES; more
 * (a deep stack of sigmoids: 60 lines an epoch) are one line naming the
 * first and the last, which gradnorms.csv lists in full. */
enum { GRAD_WARN_LINES = 3 };

static double grad_figure(const trainer *t, int i, int exploding)
{
    return exploding ? t->gn_max[i] : t->gn_sum[i] / t->gn_count;
}

/* Past the bound, and not warned about before at a level within 10 times
 * (a regression on targets in the hundreds has norms above 1000 every
 * epoch: one warning says it, 58 repeat it) */
static int grad_past(const trainer *t, int i, int exploding)
{
    const train_config *tc = &t->cfg->train;
    if (!t->gn_count)
        return 0;
    double v = grad_figure(t, i, exploding), was = t->gn_warned[2 * i + exploding];
    if (exploding ? !(v > tc->grad_explode) : !(v < tc->grad_vanish))
        return 0;
    return isnan(was) || (exploding ? v > 10 * was : v < was / 10);
}

/* 1 when the layer is past the bound but was warned about at about this level */
static int grad_repeat(const trainer *t, int i, int exploding)
{
    const train_config *tc = &t->cfg->train;
    if (!t->gn_count || grad_past(t, i, exploding))
        return 0;
    double v = grad_figure(t, i, exploding);
    return exploding ? v > tc->grad_explode : v < tc->grad_vanish;
}

static void grad_warn_many(trainer *t, int epoch, int exploding, int n)
{
    const train_config *tc = &t->cfg->train;
    const graph *g = t->m.g;
    int first = -1, last = -1;
    for (int i = 0; i < t->n_owners; i++)
        if (grad_past(t, i, exploding)) {
            first = first < 0 ? i : first;
            last = i;
        }
    double vf = grad_figure(t, first, exploding), vl = grad_figure(t, last, exploding);
    say(t, "warning: epoch %d: %d of %d layers have %s gradient (%s norm %s %.3g), from '%s' (%.3g) "
           "to '%s' (%.3g; each layer in gradnorms.csv); consider %s",
        epoch, n, t->n_owners, exploding ? "an exploding" : "a vanishing", exploding ? "max" : "mean",
        exploding ? ">" : "<", exploding ? tc->grad_explode : tc->grad_vanish,
        g->nodes[t->owners[first]].spec.name, vf, g->nodes[t->owners[last]].spec.name, vl,
        exploding ? "a lower learning rate or train.clip_norm"
                  : "He/Xavier initialisation, batchnorm, or relu activations");
}

/* mse's gradient grows with the errors, so on targets in the hundreds
 * (sklearn's diabetes data) norms past 1000 come with a model that trains
 * well: the exploding warning says so */
static const char *explode_hint(const trainer *t)
{
    for (int h = 0; h < t->m.n_heads; h++)
        if (t->m.heads[h].loss == LOSS_MSE)
            return t->m.tshift
                       ? " (with mse the gradient grows with the errors: large norms are expected "
                         "early on; raise train.grad_warn.explode to quiet this)"
                       : " (with mse the gradient grows with the errors: on targets far from 1 in "
                         "scale large norms are expected; data.normalize_targets: standard learns "
                         "them standardized, or raise train.grad_warn.explode)";
    return "";
}

static void grad_norms_epoch(trainer *t, int epoch)
{
    const train_config *tc = &t->cfg->train;
    graph *g = t->m.g;
    grad_norms_spread(t, epoch);
    int n_vanish = 0, n_explode = 0, repeats = 0;
    for (int i = 0; i < t->n_owners; i++) {
        n_vanish += grad_past(t, i, 0);
        n_explode += grad_past(t, i, 1);
        repeats += grad_repeat(t, i, 0) + grad_repeat(t, i, 1);
    }
    if (repeats && !t->gn_repeats_said) {
        say(t, "note: epoch %d: gradient warnings above recur; they are said again only when a "
               "norm is 10 times further past its bound (every epoch's norms: gradnorms.csv)",
            epoch);
        t->gn_repeats_said = 1;
    }
    if (n_vanish > GRAD_WARN_LINES)
        grad_warn_many(t, epoch, 0, n_vanish);
    if (n_explode > GRAD_WARN_LINES)
        grad_warn_many(t, epoch, 1, n_explode);
    for (int i = 0; i < t->n_owners; i++) {
        double mean = t->gn_count ? t->gn_sum[i] / t->gn_count : 0;
        const char *name = g->nodes[t->owners[i]].spec.name;
        dlc_buf_printf(&t->gradnorms, "%d,%s,%.6g,%.6g,%d\n", epoch, name, mean, t->gn_max[i],
                       t->gn_count);
        for (int x = 0; x < 2; x++) {
            if (!grad_past(t, i, x))
                continue;
            if ((x ? n_explode : n_vanish) <= GRAD_WARN_LINES)
                say(t, x ? "warning: epoch %d: layer '%s' has an exploding gradient (max norm %.3g > "
                           "%.3g); consider a lower learning rate or train.clip_norm%s"
                         : "warning: epoch %d: layer '%s' has a vanishing gradient (mean norm %.3g < "
                           "%.3g); consider He/Xavier initialisation, batchnorm, or relu activations%s",
                    epoch, name, grad_figure(t, i, x), x ? tc->grad_explode : tc->grad_vanish,
                    x ? explode_hint(t) : "");
            t->gn_warned[2 * i + x] = grad_figure(t, i, x);
        }
        t->gn_sum[i] = 0;
        t->gn_max[i] = 0;
    }
    t->gn_count = 0;
}

/* ---- when numbers go wrong ---- */

/* "nan", "inf" or "-inf" (printf's %g may say "-nan"). */
static const char *nonfinite_name(double v)
{
    return isnan(v) ? "nan" : v > 0 ? "inf" : "-inf";
}

static int all_finite(const float *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i]))
            return 0;
    return 1;
}

typedef struct {
    const graph *g;
    int N, first;
} nonfinite_find;

static void nonfinite_hook(void *user, int i)
{
    nonfinite_find *f = user;
    const graph_node *n = &f->g->nodes[i];
    if (f->first < 0 && !all_finite(n->out, (size_t)f->N * n->size))
        f->first = i;
}

/* Where a non-finite loss came from: the first node (in the forward order)
 * whose output holds a NaN or an infinity, into buf.  The step's forward
 * pass runs again and each output is looked at as it is made: the memory
 * plan reuses it later in the pass. */
static const char *first_nonfinite_output(graph *g, int N, char *buf, size_t size)
{
    nonfinite_find f = {g, N, -1};
    for (int i = 0; i < g->n_inputs && f.first < 0; i++)
        if (!all_finite(graph_input(g, i), (size_t)N * g->nodes[i].size))
            f.first = i;
    if (f.first < 0) {
        g->forward_hook = nonfinite_hook;
        g->forward_user = &f;
        graph_forward(g, N, 1);
        g->forward_hook = NULL;
        g->forward_user = NULL;
    }
    if (f.first >= 0) {
        char label[256];
        snprintf(buf, size, "%s is the first whose output is not finite",
                 f.first < g->n_inputs ? "the input" : graph_node_label(&g->nodes[f.first], label, sizeof label));
        return buf;
    }
    snprintf(buf, size, "every layer's output is finite: the loss itself overflowed");
    return buf;
}

/* The first trainable parameter (in the model's order) whose gradient holds
 * a NaN or an infinity. */
static const char *first_nonfinite_grad(const graph *g, char *buf, size_t size)
{
    for (int k = 0; k < g->n_params; k++) {
        const graph_param *p = &g->params[k];
        if (p->trainable && !all_finite(p->grad, p->n)) {
            snprintf(buf, size, "the gradient of '%s' is the first that is not finite", p->name);
            return buf;
        }
    }
    snprintf(buf, size, "no gradient is non-finite: their norm overflowed");
    return buf;
}

/* ---- one step ---- */

typedef struct {
    trainer *t;
    float lr, gscale, l2;
} update_job;

/* Values the update takes at a time: it then clears that block of the
 * gradient while it is still in the cache, so the next step's
 * graph_zero_grad need not read the whole gradient block again. */
enum { UPDATE_BLOCK = 4096 };

/* Part i of n of the update: that share of every trainable parameter (the
 * optimizers are elementwise), each gradient cleared once used. */
static void update_part(void *ctx, int i, int n)
{
    const update_job *j = ctx;
    graph *g = j->t->m.g;
    for (int k = 0; k < g->n_params; k++) {
        graph_param *p = &g->params[k];
        if (!p->trainable)
            continue;
        size_t lo, hi, off = (size_t)(p->grad - g->grad_block); /* its state's offset */
        tensor_part_range(p->n, 16, i, n, &lo, &hi);
        for (size_t b = lo; b < hi; b += UPDATE_BLOCK) {
            size_t len = hi - b < UPDATE_BLOCK ? hi - b : UPDATE_BLOCK;
            optim_step(j->t->opt_state, p->data + b, p->grad + b, off + b, len, j->lr, j->gscale,
                       p->decay ? j->l2 : 0.0f, p->decay);
            memset(p->grad + b, 0, sizeof(float) * len);
        }
    }
}

static void apply_update(trainer *t, float lr, float gscale, int N)
{
    update_job j = {t, lr, gscale, (float)(t->cfg->train.l2 / N)};
    optim_begin_step(t->opt_state);
    tensor_parallel(update_part, &j);
    t->m.g->params_clear = 1;
}

/* With sequence_loss sum, the loss gradient's weight is tokens / sequences,
 * so each sequence's steps add up: the batch's known tokens (of N rows of
 * targets), or -1 when the weight is 1 (the mean over the batch's tokens). */
static double sequence_tokens(const trainer *t, int N)
{
    if (t->cfg->train.sequence_loss != SEQ_LOSS_SUM || t->m.n_heads != 1 ||
        !loss_get(t->m.heads[0].loss)->has_classes || t->m.n_targets <= 1)
        return -1;
    size_t total = (size_t)N * t->m.n_targets, counted = 0;
    for (size_t i = 0; i < total; i++)
        counted += t->targets[i] >= 0.0f; /* NaN and -1 (padding) are not */
    return (double)counted;
}

static float sequence_weight(const trainer *t, int N)
{
    double tokens = sequence_tokens(t, N);
    return tokens < 0 ? 1.0f : (float)(tokens / N);
}

/* Loss stats of H heads as STATS_DOUBLES x H doubles (to sum them across
 * processes), and back. */
#define STATS_DOUBLES 5
static void stats_pack(double *buf, const loss_stats *st, int H)
{
    for (int h = 0; h < H; h++) {
        double *b = buf + STATS_DOUBLES * h;
        b[0] = st[h].sum;
        b[1] = st[h].count;
        b[2] = st[h].correct;
        b[3] = st[h].judged;
        b[4] = st[h].positive;
    }
}

static void stats_unpack(loss_stats *st, const double *buf, int H)
{
    for (int h = 0; h < H; h++) {
        const double *b = buf + STATS_DOUBLES * h;
        st[h] = (loss_stats){b[0], b[1], b[2], b[3], b[4]};
    }
}

/* Several processes: the loss of a global batch of N rows of which this
 * rank holds the n in t->targets.  Every rank's stats are summed (with
 * their stop requests, so all stop at the same step), then each head's
 * gradient is scaled by this shard's share of what the whole batch counts:
 * the summed gradients are those of the global batch's mean loss.  Adds the
 * global batch's stats into st; returns its loss. */
static double shard_loss(trainer *t, int n, int N, loss_stats *st, int *stop)
{
    model *m = &t->m;
    const int H = m->n_heads;
    loss_stats mine[MODEL_MAX_HEADS] = {{0}}, all[MODEL_MAX_HEADS];
    double buf[STATS_DOUBLES * MODEL_MAX_HEADS + 2];
    if (n > 0)
        model_loss(m, t->targets, n, 0, 1.0f, mine);
    stats_pack(buf, mine, H);
    double tokens = n > 0 ? sequence_tokens(t, n) : 0;
    buf[STATS_DOUBLES * H] = tokens < 0 ? 0 : tokens;
    buf[STATS_DOUBLES * H + 1] = t->opt->stop && *t->opt->stop;
    dist_sum(t->dw, buf, STATS_DOUBLES * H + 2);
    int counted = 0;
    float scale[MODEL_MAX_HEADS];
    stats_unpack(all, buf, H);
    for (int h = 0; h < H; h++) {
        loss_stats_add(&st[h], &all[h]);
        counted |= all[h].count > 0;
        scale[h] = all[h].count > 0 ? (float)(mine[h].count / all[h].count) : 0.0f;
    }
    *stop = buf[STATS_DOUBLES * H + 1] > 0;
    if (n > 0 && !*stop)
        model_loss_grad_scaled(m, t->targets, n, scale,
                               sequence_tokens(t, n) < 0 ? 1.0f : (float)(buf[STATS_DOUBLES * H] / N));
    return counted ? model_total_loss(m, all) : 0.0;
}

/* 1 when ranks can end an epoch with p apart: a trainable parameter (MPI
 * need not sum in the same order on each), or the running statistics of a
 * batchnorm that learns (each rank's shard's, unless synchronized); not a
 * frozen one's, which it keeps. */
static int rank_differs(const graph *g, const graph_param *p)
{
    if (p->trainable || !p->buffer)
        return p->trainable;
    const graph_node *n = &g->nodes[p->node];
    for (int k = 0; k < n->n_params; k++)
        if (g->params[n->params[k]].trainable)
            return 1;
    return 0;
}

/* Rank 0's values of what can differ (rank_differs) to every rank at the end
 * of an epoch, so that they are the run's: a frozen body, the same on every
 * rank, is not sent.  Ranges of the parameter block less than BCAST_GAP apart
 * go as one message (what lies between is the same everywhere, so sending it
 * is harmless).  send 0: only counts.  The bytes, and the messages in *calls. */
#define BCAST_GAP ((size_t)16384)
static size_t bcast_learned(dist_world *w, graph *g, int send, int *calls)
{
    size_t bytes = 0;
    float *from = NULL, *to = NULL; /* the range gathered so far */
    *calls = 0;
    for (int i = 0; i <= g->n_params; i++) {
        graph_param *p = i < g->n_params ? &g->params[i] : NULL;
        if (p && !rank_differs(g, p))
            continue;
        if (from && (!p || (size_t)(p->data - to) * sizeof(float) >= BCAST_GAP)) {
            if (send)
                dist_bcast(w, from, sizeof(float) * (size_t)(to - from));
            bytes += sizeof(float) * (size_t)(to - from);
            ++*calls;
            from = NULL;
        }
        if (!p)
            break;
        if (!from)
            from = p->data;
        to = p->data + p->n;
    }
    return bytes;
}

/* The stats of every head over split s; with several processes each
 * evaluates a shard of it and the stats are summed (a stateful language
 * model reads the split as runs side by side: every rank runs it all). */
static void evaluate_heads(trainer *t, const data_split *s, loss_stats *st)
{
    if (t->ranks == 1 || t->m.stateful) {
        model_evaluate_heads(&t->m, s, t->targets, st);
        return;
    }
    long lo, hi;
    dist_shard(t->dw, s->n, &lo, &hi);
    data_split part = *s;
    part.n = (int)(hi - lo);
    part.idx = s->idx + lo * (s->stack > 1 ? s->stack : 1); /* a pair is two rows of idx */
    model_evaluate_heads(&t->m, &part, t->targets, st);
    const int H = t->m.n_heads;
    double buf[STATS_DOUBLES * MODEL_MAX_HEADS];
    stats_pack(buf, st, H);
    dist_sum(t->dw, buf, STATS_DOUBLES * H);
    stats_unpack(st, buf, H);
}

static dlc_status train_epoch_run(trainer *t, int epoch, train_epoch *e, dlc_error *err)
{
    const dlc_config *cfg = t->cfg;
    const train_config *tc = &cfg->train;
    graph *g = t->m.g;
    const data_split *tr = &t->data.split[DATA_SPLIT_TRAIN];
    int n = tr->n, B = t->batch;
    dlc_rng rng;

    /* the order of the epoch's batches: shuffled, or runs side by side for a
     * stateful language model (data_plan) */
    dlc_rng_seed(&rng, cfg->seed, DLC_STREAM(DLC_STREAM_PAIRS, epoch));
    data_epoch(&t->data, &rng); /* a pairs sampler's partners, drawn anew */
    dlc_rng_seed(&rng, cfg->seed, DLC_STREAM(DLC_STREAM_SHUFFLE, epoch));
    int n_batches = data_plan(&t->data, tr, B, tc->shuffle ? &rng : NULL, t->order, t->starts);
    /* an example's augmentation and dropout masks come from its own
     * stream: the same with any number of processes */
    uint64_t aug_seed = sub_seed(cfg->seed, DLC_STREAM_AUGMENT, epoch);

    loss_stats st[MODEL_MAX_HEADS] = {{0}};
    double t0 = dlc_now(), first_lr = 0;
    /* per-layer norms: every batch with clipping (which needs the norm anyway)
     * or when an epoch has at most 64 batches, else every k-th so an epoch
     * measures about 64 (the sums cost ~10% of a small MLP's step) */
    int record_every = tc->clip_norm > 0 || n_batches <= 64 ? 1 : n_batches / 64;
    for (int b = 0; b < n_batches; b++) {
        int start = t->starts[b], N = t->starts[b + 1] - start;
        if (t->ranks == 1 && t->opt->stop && *t->opt->stop)
            return dlc_fail(err, DLC_EINTR, "interrupted in epoch %d, batch %d of %d", epoch, b + 1,
                            n_batches);
        /* this process's rows of the batch (all of them when alone); a
         * stateful model keeps its streams (rows) on the same rank when a
         * last batch has fewer */
        long lo, hi;
        dist_shard(t->dw, t->data.stateful ? B : N, &lo, &hi);
        hi = hi < N ? hi : N;
        lo = lo < hi ? lo : hi;
        int n_mine = (int)(hi - lo);
        /* a shard without rows sits the pass out, unless synchronized
         * batchnorm needs it in every collective */
        int pass = n_mine > 0 || g->sync_bn;
        t->step++;
        double lr = tc->schedule.type == SCHED_PLATEAU
                        ? optim_plateau_lr(&tc->schedule, tc->optimizer.lr, t->plateau_cuts)
                        : optim_schedule_lr(&tc->schedule, tc->optimizer.lr, epoch, t->step,
                                            (long)n_batches * tc->epochs);
        if (b == 0)
            first_lr = lr;
        if (data_augments(&cfg->data))
            data_gather_augment(tr, t->order, start + (int)lo, n_mine, &t->data.norm,
                                &cfg->data.augment, &t->data.source_names, aug_seed,
                                graph_input(g, 0), t->targets, t->aug_scratch);
        else
            data_gather(tr, t->order, start + (int)lo, n_mine, &t->data.norm, graph_input(g, 0),
                        t->targets);
        g->carry = t->data.stateful && b > 0;
        t->m.loss_seed = cfg->seed ^ DLC_STREAM(DLC_STREAM_MINING, t->step);
        g->noise_seed = sub_seed(cfg->seed, DLC_STREAM_DROPOUT, t->step);
        g->noise_row0 = lo;
        if (pass)
            graph_forward(g, n_mine, 1);
        graph_zero_grad(g);
        double batch_loss;
        if (t->ranks == 1) {
            batch_loss = model_loss(&t->m, t->targets, N, 1, sequence_weight(t, N), st);
        } else {
            int stop;
            batch_loss = shard_loss(t, n_mine, N, st, &stop);
            if (stop)
                return dlc_fail(err, DLC_EINTR, "interrupted in epoch %d, batch %d of %d", epoch,
                                b + 1, n_batches);
        }
        if (!isfinite(batch_loss)) {
            char where[512];
            return dlc_fail(err, DLC_ERUN,
                            "epoch %d, batch %d (step %ld): the loss became %s (%s); lower the "
                            "learning rate (train.optimizer.lr is %g) or clip gradients "
                            "(train.clip_norm)",
                            epoch, b + 1, t->step, nonfinite_name(batch_loss),
                            first_nonfinite_output(g, n_mine, where, sizeof where), tc->optimizer.lr);
        }
        dist_grads_begin(t->dg);
        if (pass)
            graph_backward(g, n_mine);
        dist_grads_finish(t->dg);
        int record = (b % record_every) == 0;
        float gscale = 1.0f;
        if (record || tc->clip_norm > 0) {
            double norm = grad_norms(t, record);
            if (!isfinite(norm)) {
                char where[512];
                return dlc_fail(err, DLC_ERUN,
                                "epoch %d, batch %d (step %ld): gradients became %s (%s); lower "
                                "the learning rate or clip gradients (train.clip_norm)",
                                epoch, b + 1, t->step, nonfinite_name(norm),
                                first_nonfinite_grad(g, where, sizeof where));
            }
            gscale = optim_clip_scale(norm, tc->clip_norm);
        }
        apply_update(t, (float)lr, gscale, N);
        if (t->hooks && t->hooks->progress) {
            double el = dlc_now() - t0;
            double sps = el > 0 ? (double)(start + N) / el : 0;
            double eta = sps > 0 ? (double)(n - start - N) / sps : 0;
            t->hooks->progress(t->hooks->user, epoch, tc->epochs, b + 1, n_batches, batch_loss, sps, eta);
        }
    }
    g->carry = 0;
    if (t->ranks > 1)
        bcast_learned(t->dw, g, 1, &(int){0});
    double train_s = dlc_now() - t0;
    e->epoch = epoch;
    e->lr = first_lr;
    e->n_heads = t->m.n_heads;
    memcpy(e->train_heads, st, sizeof st);
    e->train_loss = model_total_loss(&t->m, st);
    e->train_acc = loss_accuracy(&st[0]);
    e->samples_per_s = train_s > 0 ? n / train_s : 0;
    e->dev_loss = e->dev_acc = NAN;
    if (t->data.split[DATA_SPLIT_DEV].n > 0) {
        evaluate_heads(t, &t->data.split[DATA_SPLIT_DEV], e->dev_heads);
        e->dev_loss = model_total_loss(&t->m, e->dev_heads);
        e->dev_acc = loss_accuracy(&e->dev_heads[0]);
    }
    e->seconds = dlc_now() - t0;
    grad_norms_epoch(t, epoch);
    return DLC_OK;
}

/* ---- files ---- */

/* ",v" (",": not a number) */
static void csv_cell(dlc_buf *b, double v)
{
    if (isnan(v))
        dlc_buf_printf(b, ",");
    else
        dlc_buf_printf(b, ",%.6g", v);
}

/* Language models add perplexity exp(loss) and, for characters, bits per
 * character loss / ln 2 (losses are per token, in nats).  A model of several
 * outputs adds each output's loss and accuracy on train and dev (the loss
 * and accuracy columns before them are the total loss, the sum of weight x
 * output loss, and the first output's accuracy). */
static void metrics_header(const trainer *t, dlc_buf *b)
{
    dlc_buf_printf(b, "%.*s", (int)strlen(METRICS_HEADER) - 1, METRICS_HEADER);
    if (t->lm)
        dlc_buf_printf(b, ",train_perplexity,dev_perplexity");
    if (t->lm == 2)
        dlc_buf_printf(b, ",train_bits_per_char,dev_bits_per_char");
    for (int h = 0; t->m.n_heads > 1 && h < t->m.n_heads; h++) {
        const char *n = t->m.heads[h].name;
        dlc_buf_printf(b, ",train_%s_loss,train_%s_accuracy,dev_%s_loss,dev_%s_accuracy", n, n, n, n);
    }
    dlc_buf_printf(b, "\n");
}

static void metrics_row(const trainer *t, dlc_buf *b, const train_epoch *e)
{
    dlc_buf_printf(b, "%d,%.6g", e->epoch, e->lr);
    csv_cell(b, e->train_loss);
    csv_cell(b, e->train_acc);
    csv_cell(b, e->dev_loss);
    csv_cell(b, e->dev_acc);
    dlc_buf_printf(b, ",%.3f,%.1f", e->seconds, e->samples_per_s);
    if (t->lm) {
        csv_cell(b, exp(e->train_loss));
        csv_cell(b, exp(e->dev_loss));
    }
    if (t->lm == 2) {
        csv_cell(b, e->train_loss / M_LN2);
        csv_cell(b, e->dev_loss / M_LN2);
    }
    for (int h = 0; e->n_heads > 1 && h < e->n_heads; h++) {
        csv_cell(b, loss_mean(&e->train_heads[h]));
        csv_cell(b, loss_accuracy(&e->train_heads[h]));
        csv_cell(b, loss_mean(&e->dev_heads[h]));
        csv_cell(b, loss_accuracy(&e->dev_heads[h]));
    }
    dlc_buf_printf(b, "\n");
}

static dlc_status write_buf(const char *dir, const char *file, const dlc_buf *b, dlc_error *err)
{
    char path[4200];
    path_in(path, sizeof path, dir, file);
    if (b->failed)
        return DLC_NOMEM(err);
    return io_write_file(path, b->s ? b->s : "", b->len, err);
}

/* A checkpoint after this epoch: every checkpoint_every epochs, but not
 * sooner than checkpoint_seconds after the last one, except the first (so
 * a run can be resumed, and a disk that cannot take it is found, early)
 * and the last.  Fast epochs otherwise spent their time writing: 5,000
 * full-batch epochs on iris took 25 s, of which 3 s trained.  Every rank
 * decides alike (the time is rank 0's, sent with the epoch's figures). */
static int checkpoint_due(const trainer *t, int last)
{
    const train_config *tc = &t->cfg->train;
    if (last)
        return 1;
    if (tc->checkpoint_every <= 0 || t->epoch % tc->checkpoint_every != 0)
        return 0;
    return t->ckpt_at == 0 || t->now - t->ckpt_at >= tc->checkpoint_seconds;
}

/* metrics.csv and gradnorms.csv, rewritten whole (atomically) from the
 * buffers: after every epoch while epochs are slow, at most once a second
 * otherwise, and always when `now` is set (a checkpoint, the end, an
 * interruption).  Rewriting every epoch made a long run of fast epochs
 * quadratic: 5,000 full-batch epochs on iris spent 10 of their 12 s
 * writing the curves. */
static dlc_status write_curves(trainer *t, int now, dlc_error *err)
{
    enum { CURVES_EVERY_S = 1 };
    if (!writes(t) || (!now && dlc_now() - t->curves_at < CURVES_EVERY_S))
        return DLC_OK;
    dlc_status s = alone(t, write_buf(t->opt->run_dir, "metrics.csv", &t->metrics, err), err);
    if (s == DLC_OK)
        s = alone(t, write_buf(t->opt->run_dir, "gradnorms.csv", &t->gradnorms, err), err);
    t->curves_at = dlc_now();
    return s;
}

/* Waits for the checkpoint being written: once it is on disk it is the one
 * a resume starts from; its failure fails the run. */
static dlc_status checkpoint_wait(trainer *t, dlc_error *err)
{
    if (!t->ckpt_write)
        return DLC_OK;
    dlc_status st = io_async_wait(t->ckpt_write, err);
    t->ckpt_write = NULL;
    if (st == DLC_OK)
        t->ckpt_epoch = t->ckpt_writing;
    return st;
}

/* The parameters training changes (graph_param_changes), one after another
 * in buf, from the graph (save) or back into it: the best epoch's copy and
 * the checkpoint's snapshot hold these alone, as a frozen weight is the same
 * in every epoch. */
static void learned_copy(graph *g, float *buf, int save)
{
    size_t off = 0;
    for (int i = 0; i < g->n_params; i++) {
        graph_param *p = &g->params[i];
        if (!graph_param_changes(p))
            continue;
        if (save)
            memcpy(buf + off, p->data, sizeof(float) * p->n);
        else
            memcpy(p->data, buf + off, sizeof(float) * p->n);
        off += p->n;
    }
}

/* Starts writing checkpoint.safetensors: the learned parameters and the
 * optimizer state from a snapshot (training changes them while the file is
 * written), the frozen parameters from the graph (training never changes
 * them), the best epoch's from t->best (which changes only after the next
 * epoch, and checkpoint_wait comes first).  The optimizer state is one
 * tensor per trainable parameter and moment, so a resume whose config
 * freezes other layers finds each parameter's own. */
static dlc_status save_checkpoint(trainer *t, dlc_error *err)
{
    graph *g = t->m.g;
    optim *o = t->opt_state;
    int cap = 5 * g->n_params + 2, nt = 0;
    dlc_status st = checkpoint_wait(t, err);
    if (st != DLC_OK)
        return st;
    io_tensor *ts = calloc((size_t)cap, sizeof *ts);
    char (*names)[GRAPH_NAME_MAX + 40] = calloc((size_t)(4 * g->n_params + 1), sizeof *names);
    if (!ts || !names) {
        st = DLC_NOMEM(err);
        goto cleanup;
    }
    const size_t G = g->n_grads;
    /* the moments the optimizer keeps, one after another in the snapshot */
    const float *state[OPTIM_STATES] = {o->m, o->v, o->vmax}, *moment[OPTIM_STATES] = {NULL};
    float *at = t->snap + t->n_learned;
    learned_copy(g, t->snap, 1);
    for (int k = 0; k < OPTIM_STATES; k++)
        if (state[k]) {
            memcpy(at, state[k], sizeof(float) * G);
            moment[k] = at;
            at += G;
        }
    int nn = 0;
    size_t off = 0;
    for (int i = 0; i < g->n_params; i++) {
        const graph_param *p = &g->params[i];
        const float *w = p->data, *best = NULL;
        if (graph_param_changes(p)) {
            w = t->snap + off;
            best = t->best ? t->best + off : NULL;
            off += p->n;
        }
        ts[nt++] = (io_tensor){p->name, p->shape, w};
        if (t->has_best && best) {
            snprintf(names[nn], sizeof names[nn], "best.%s", p->name);
            ts[nt++] = (io_tensor){names[nn++], p->shape, best};
        }
        for (int k = 0; k < OPTIM_STATES && p->trainable; k++) {
            if (!moment[k])
                continue;
            snprintf(names[nn], sizeof names[nn], "optim.%s.%s", optim_state_names[k], p->name);
            ts[nt++] = (io_tensor){names[nn++], p->shape, moment[k] + (p->grad - g->grad_block)};
        }
    }
    char epoch[32], step[32], ot[32], best[48], best_epoch[32], bad[32], stopped[8], secs[48];
    char cuts[32], pbad[32];
    snprintf(epoch, sizeof epoch, "%d", t->epoch);
    snprintf(step, sizeof step, "%ld", t->step);
    snprintf(ot, sizeof ot, "%ld", o->t);
    snprintf(best, sizeof best, "%.17g", t->best_metric);
    snprintf(best_epoch, sizeof best_epoch, "%d", t->best_epoch);
    snprintf(bad, sizeof bad, "%d", t->bad_epochs);
    snprintf(stopped, sizeof stopped, "%d", t->stopped_early);
    snprintf(cuts, sizeof cuts, "%d", t->plateau_cuts);
    snprintf(pbad, sizeof pbad, "%d", t->plateau_bad);
    snprintf(secs, sizeof secs, "%.3f", t->seconds_before + (dlc_now() - t->t0));
    io_meta meta[] = {
        {"format", CHECKPOINT_FORMAT},
        {"epoch", epoch},
        {"step", step},
        {"optim_t", ot},
        {"optimizer", optim_names[o->cfg.type]},
        {"best_metric", best},
        {"best_epoch", best_epoch},
        {"bad_epochs", bad},
        {"stopped_early", stopped},
        {"plateau_cuts", cuts},
        {"plateau_bad", pbad},
        {"seconds", secs},
        {"metrics", t->metrics.s ? t->metrics.s : ""},
        {"gradnorms", t->gradnorms.s ? t->gradnorms.s : ""},
        {"config", t->opt->config_yaml ? t->opt->config_yaml : ""},
        {"data", t->data_fp},
        {"features", t->features.s ? t->features.s : "[]"},
    };
    char path[4200];
    path_in(path, sizeof path, t->opt->run_dir, "checkpoint.safetensors");
    st = io_async_start(&t->ckpt_write, path, ts, nt, meta, (int)DLC_ARRAY_LEN(meta), err);
    t->ckpt_writing = t->epoch;
cleanup:
    free(ts);
    free(names);
    return st;
}

/* The resolved config's `model:` section of text: its first line and length. */
static const char *model_section(const char *text, size_t *len)
{
    const char *p = text;
    while (p && *p) {
        if (strncmp(p, "model:", 6) == 0)
            break;
        p = strchr(p, '\n');
        p = p ? p + 1 : NULL;
    }
    if (!p || !*p) {
        *len = 0;
        return "";
    }
    const char *e = p;
    for (;;) { /* to the next top-level key */
        e = strchr(e, '\n');
        if (!e || !e[1] || (e[1] != ' ' && e[1] != '-')) {
            e = e ? e + 1 : p + strlen(p);
            break;
        }
        e++;
    }
    *len = (size_t)(e - p);
    return p;
}

/* 0 when the model sections of two resolved configs agree; else 1 and the
 * first line that differs, from each, into a and b. */
static int model_differs(const char *old, const char *now, char *a, char *b, size_t size)
{
    size_t la, lb;
    const char *x = model_section(old, &la), *y = model_section(now, &lb);
    const char *xe = x + la, *ye = y + lb;
    while (x < xe || y < ye) {
        const char *xn = memchr(x, '\n', (size_t)(xe - x)), *yn = memchr(y, '\n', (size_t)(ye - y));
        size_t nx = xn ? (size_t)(xn - x) : (size_t)(xe - x), ny = yn ? (size_t)(yn - y) : (size_t)(ye - y);
        if (nx != ny || memcmp(x, y, nx) != 0) {
            snprintf(a, size, "%.*s", (int)(nx < 200 ? nx : 200), x < xe ? x : "(nothing)");
            snprintf(b, size, "%.*s", (int)(ny < 200 ? ny : 200), y < ye ? y : "(nothing)");
            return 1;
        }
        x = xn ? xn + 1 : xe;
        y = yn ? yn + 1 : ye;
    }
    return 0;
}

static int meta_long(const io_st *st, const char *key, long *out)
{
    const char *v = io_st_meta(st, key);
    return v && dlc_parse_long(v, out) == 0 ? 0 : -1;
}

/* Every counter of a checkpoint against what the run allows: an epoch of
 * 2^31 trained forever at negative epochs, one of 99999999999 "finished"
 * 1215752191 epochs.  Each step takes at least one training example, the
 * optimizer steps once per step, and the best and patience counters count
 * epochs already run. */
static dlc_status checkpoint_check_counters(const trainer *t, const char *path, long epoch,
                                            long step, long ot, long best_epoch, long bad,
                                            long stopped, const char *bm, double *best,
                                            dlc_error *err)
{
    const long epochs = t->cfg->train.epochs;
    const long per_epoch = t->data.split[DATA_SPLIT_TRAIN].n > 0 ? t->data.split[DATA_SPLIT_TRAIN].n : 1;
    if (epoch > epochs)
        return dlc_fail(err, DLC_EINPUT, "%s: the checkpoint is after epoch %ld, but train.epochs "
                        "is %ld (raise it to train on)", path, epoch, epochs);
    if (step > epoch * per_epoch || ot > step)
        return dlc_fail(err, DLC_EINPUT, "%s: step %ld (optimizer step %ld) cannot follow %ld "
                        "epochs of %ld examples: the checkpoint is damaged", path, step, ot, epoch,
                        per_epoch);
    if (best_epoch < 0 || best_epoch > epoch || bad < 0 || bad > epoch || (stopped != 0 && stopped != 1))
        return dlc_fail(err, DLC_EINPUT, "%s: best epoch %ld, epochs without improvement %ld, "
                        "stopped %ld: out of range after %ld epochs (the checkpoint is damaged)",
                        path, best_epoch, bad, stopped, epoch);
    char *end;
    *best = strtod(bm, &end);
    if (end == bm || *end || (best_epoch > 0 && !isfinite(*best)))
        return dlc_fail(err, DLC_EINPUT, "%s: best_metric '%.40s' is not a number (the checkpoint "
                        "is damaged)", path, bm);
    return DLC_OK;
}

static dlc_status resume_changes(trainer *t, const char *path, const char *old, dlc_error *err);

/* The optimizer's moments from checkpoint st: per trainable parameter
 * ("optim.m.<name>"), or from the flat tensors of the first format (the
 * parameter block's layout).  A parameter the checkpoint has none for was
 * frozen when it was written (the config froze other layers): its state
 * starts at zero, said. */
static dlc_status load_optim_state(trainer *t, const io_st *st, const char *path, int flat,
                                   dlc_error *err)
{
    graph *g = t->m.g;
    optim *o = t->opt_state;
    float *state[OPTIM_STATES] = {o->m, o->v, o->vmax};
    int fresh = 0;
    const char *first = NULL;
    for (int k = 0; k < OPTIM_STATES; k++) {
        if (!state[k])
            continue;
        char name[GRAPH_NAME_MAX + 40];
        snprintf(name, sizeof name, "optim.%s", optim_state_names[k]);
        const io_tensor *all = flat ? io_st_get(st, name) : NULL;
        if (flat && !all && state[k] == o->vmax) { /* amsgrad came after that format */
            memset(state[k], 0, sizeof(float) * g->n_grads);
            continue;
        }
        if (flat && (!all || all->shape.ndim != 1 || (size_t)all->shape.d[0] != g->n_weights))
            return dlc_fail(err, DLC_EINPUT, "%s: optimizer state '%s' is missing or the wrong size",
                            path, name);
        for (int i = 0; i < g->n_params; i++) {
            const graph_param *p = &g->params[i];
            if (!p->trainable)
                continue;
            float *to = state[k] + (p->grad - g->grad_block);
            if (flat) {
                memcpy(to, all->data + (p->data - g->param_block), sizeof(float) * p->n);
                continue;
            }
            snprintf(name, sizeof name, "optim.%s.%s", optim_state_names[k], p->name);
            const io_tensor *x = io_st_get(st, name);
            if (x && !tensor_shape_equal(&x->shape, &p->shape))
                return dlc_fail(err, DLC_EINPUT, "%s: optimizer state '%s' has the wrong shape",
                                path, name);
            if (x) {
                memcpy(to, x->data, sizeof(float) * p->n);
            } else {
                memset(to, 0, sizeof(float) * p->n);
                fresh += k == 0 || !o->m;
                first = first ? first : p->name;
            }
        }
    }
    if (fresh)
        say(t, "note: the checkpoint has no optimizer state for %d parameter%s that learn%s now "
               "(from '%s'; frozen when it was written): %s from zero",
            fresh, fresh == 1 ? "" : "s", fresh == 1 ? "s" : "", first,
            fresh == 1 ? "its state starts" : "their states start");
    return DLC_OK;
}

static dlc_status load_checkpoint(trainer *t, dlc_error *err)
{
    char path[4200];
    path_in(path, sizeof path, t->opt->run_dir, "checkpoint.safetensors");
    if (!file_exists(path))
        return dlc_fail(err, DLC_EINPUT, "%s: no checkpoint to resume from", path);
    io_st *st = NULL;
    dlc_status s = io_safetensors_read(&st, path, err);
    if (s != DLC_OK)
        return s;
    graph *g = t->m.g;
    optim *o = t->opt_state;
    long epoch, step, ot, best_epoch, bad, stopped;
    double best = 0.0;
    const char *fmt = io_st_meta(st, "format"), *opt_name = io_st_meta(st, "optimizer");
    const char *bm = io_st_meta(st, "best_metric");
    const int flat = fmt && strcmp(fmt, CHECKPOINT_FORMAT_1) == 0;
    if (!fmt || (strcmp(fmt, CHECKPOINT_FORMAT) != 0 && !flat) || meta_long(st, "epoch", &epoch) ||
        meta_long(st, "step", &step) || meta_long(st, "optim_t", &ot) ||
        meta_long(st, "best_epoch", &best_epoch) || meta_long(st, "bad_epochs", &bad) ||
        meta_long(st, "stopped_early", &stopped) || !bm ||
        !opt_name || epoch < 0 || step < 0 || ot < 0) {
        s = dlc_fail(err, DLC_EINPUT, "%s: not a dlc checkpoint, or its counters are damaged", path);
        goto cleanup;
    }
    if ((s = checkpoint_check_counters(t, path, epoch, step, ot, best_epoch, bad, stopped, bm,
                                       &best, err)) != DLC_OK)
        goto cleanup;
    if (strcmp(opt_name, optim_names[o->cfg.type]) != 0) {
        /* its moments are the old optimizer's: a switch (Adam, then SGD to
         * fine-tune) is a new run that starts from these weights */
        s = dlc_fail(err, DLC_EINPUT, "%s: was trained with optimizer %s, the config now says %s; "
                     "--resume continues with %s (to go on with %s from these weights, start a "
                     "run with --out NEW and init_from: {run: %s})",
                     path, opt_name, optim_names[o->cfg.type], opt_name, optim_names[o->cfg.type],
                     t->opt->run_dir);
        goto cleanup;
    }
    /* a CSV model's inputs by name: a resume whose data.features or
     * data.categorical give other columns, or the same in another order,
     * would feed each weight another feature (checkpoints from before
     * features were kept have none) */
    const char *old_feat = io_st_meta(st, "features");
    if (old_feat && t->features.s && strcmp(old_feat, t->features.s) != 0) {
        s = dlc_fail(err, DLC_EINPUT, "%s: --resume would feed the weights other input features: "
                     "the checkpoint was trained on %.300s, the data now give %.300s; resume with "
                     "the checkpoint's data.features and data.categorical, or start over with "
                     "--force", path, old_feat, t->features.s);
        goto cleanup;
    }
    const char *old_cfg = io_st_meta(st, "config");
    char was[256], now[256];
    if (t->opt->config_yaml && old_cfg && old_cfg[0] &&
        model_differs(old_cfg, t->opt->config_yaml, was, now, sizeof was)) {
        s = dlc_fail(err, DLC_EINPUT,
                     "%s holds another model: its config has \"%s\" where this one has \"%s\"; "
                     "--resume continues the same model (--force starts over, --out another folder)",
                     path, was + strspn(was, " -"), now + strspn(now, " -"));
        goto cleanup;
    }
    if ((s = model_copy_params(&t->m, st, "", err)) != DLC_OK) {
        dlc_error_prefix(err, "%s: does not match the model", path);
        goto cleanup;
    }
    if ((s = load_optim_state(t, st, path, flat, err)) != DLC_OK)
        goto cleanup;
    o->t = ot;
    /* best weights: a checkpoint of keep_best false has none */
    int n_best = 0;
    for (int i = 0; i < g->n_params; i++) {
        char name[GRAPH_NAME_MAX + 40];
        snprintf(name, sizeof name, "best.%s", g->params[i].name);
        n_best += io_st_get(st, name) != NULL;
    }
    if (best_epoch > 0 && t->best && n_best > 0) {
        size_t off = 0;
        for (int i = 0; i < g->n_params; i++) {
            const graph_param *p = &g->params[i];
            if (!graph_param_changes(p))
                continue;
            char name[GRAPH_NAME_MAX + 40];
            snprintf(name, sizeof name, "best.%s", p->name);
            const io_tensor *x = io_st_get(st, name);
            if (x && !tensor_shape_equal(&x->shape, &p->shape)) {
                s = dlc_fail(err, DLC_EINPUT, "%s: best weights '%s' have the wrong shape", path, name);
                goto cleanup;
            }
            /* none: frozen when the checkpoint was written, so the same in every epoch */
            memcpy(t->best + off, x ? x->data : p->data, sizeof(float) * p->n);
            off += p->n;
        }
        t->has_best = 1;
    }
    t->epoch = (int)epoch;
    t->step = step;
    t->best_metric = best;
    t->best_epoch = (int)best_epoch;
    t->bad_epochs = (int)bad;
    t->stopped_early = stopped != 0;
    /* a plateau schedule's state (checkpoints from before it have none) */
    long cuts = 0, pbad = 0;
    if ((io_st_meta(st, "plateau_cuts") && meta_long(st, "plateau_cuts", &cuts)) ||
        (io_st_meta(st, "plateau_bad") && meta_long(st, "plateau_bad", &pbad)) || cuts < 0 ||
        cuts > epoch || pbad < 0 || pbad > epoch) {
        s = dlc_fail(err, DLC_EINPUT, "%s: plateau cuts %ld, epochs without improvement %ld: out "
                     "of range after %ld epochs (the checkpoint is damaged)", path, cuts, pbad, epoch);
        goto cleanup;
    }
    t->plateau_cuts = (int)cuts;
    t->plateau_bad = (int)pbad;
    /* checkpoints from before the total was kept have none */
    const char *secs = io_st_meta(st, "seconds");
    double before = 0;
    if (secs && (dlc_parse_double(secs, &before) != 0 || !(before >= 0) || !isfinite(before))) {
        s = dlc_fail(err, DLC_EINPUT, "%s: its wall time '%.40s' is damaged", path, secs);
        goto cleanup;
    }
    t->seconds_before = before;
    const char *metrics = io_st_meta(st, "metrics"), *gradnorms = io_st_meta(st, "gradnorms");
    dlc_buf_free(&t->metrics);
    dlc_buf_free(&t->gradnorms);
    if (metrics && *metrics)
        dlc_buf_printf(&t->metrics, "%s", metrics);
    else
        metrics_header(t, &t->metrics);
    dlc_buf_printf(&t->gradnorms, "%s", gradnorms && *gradnorms ? gradnorms : GRADNORMS_HEADER);
    if (t->opt->config_yaml) {
        const char *old = io_st_meta(st, "config");
        if (old && strcmp(old, t->opt->config_yaml) != 0 &&
            (s = resume_changes(t, path, old, err)) != DLC_OK)
            goto cleanup;
    }
    const char *old_fp = io_st_meta(st, "data");
    if (old_fp && strcmp(old_fp, t->data_fp) != 0)
        say(t, "warning: the data differ from those the checkpoint was trained on (a file was "
               "changed since); training goes on with the data as they are now, so the run will "
               "not end as an uninterrupted one would");
cleanup:
    io_st_free(st);
    return s;
}

/* What --resume changes, said; a change to what draws the train / dev / test
 * split refused (a resume with another seed scored 100% on a dev set of
 * examples it had trained on): the checkpoint's weights were trained on its train split, and
 * another draw would put some of those examples into dev and test. */
static dlc_status resume_changes(trainer *t, const char *path, const char *old, dlc_error *err)
{
    /* (a moved data file is only noted: the same examples may sit elsewhere) */
    static const char split[] = "the train, dev and test split is drawn from seed, data.split, "
                                "data.subset, data.train.limit and the rows data.missing keeps, so "
                                "examples the run trained on would move into dev and test";
    static const struct {
        const char *key; /* a change's prefix */
        const char *why;
    } refused[] = {
        {"seed:", split},
        {"data.split.", split},
        {"data.train.limit:", split},
        {"data.subset.", split},
        {"data.missing:", split},
        /* the weights learned on inputs scaled one way: another scaling feeds
         * them inputs they never saw (a Fashion-MNIST MLP resumed with
         * normalize: none went from loss 0.68 to 9.2) */
        {"data.normalize:", "the weights were trained on inputs normalized the checkpoint's way, "
                            "and would be fed inputs of another scale"},
        /* an mse head learned its targets standardized, or as they are */
        {"data.normalize_targets:", "the output learned its targets scaled the checkpoint's way, "
                                    "and its values would mean other numbers"},
        {"init_from.normalize:", "the weights were trained on inputs normalized the checkpoint's "
                                 "way, and would be fed inputs of another scale"},
        /* normalize: source takes the statistics from the source file again:
         * a source retrained since (with normalize: minmax) rescaled the
         * inputs of a resumed run in silence */
        {"init_from.sha256:", "the inputs are normalized with the init_from source's statistics "
                              "(init_from.normalize: source) and that file has changed since the "
                              "run started from it, so the weights would be fed inputs of another "
                              "scale (put the source back)"},
    };
    dlc_strlist changes = {0};
    dlc_status s = config_diff(old, t->opt->config_yaml, 8, &changes, err);
    if (s != DLC_OK) { /* an old checkpoint's text that does not parse: say only that */
        dlc_strlist_clear(&changes);
        say(t, "note: the config differs from the one the checkpoint was written with; "
               "continuing with the new one");
        return DLC_OK;
    }
    const int source_norm = t->cfg->init.normalize == INIT_NORM_SOURCE;
    for (size_t k = 0; k < sizeof refused / sizeof *refused; k++)
        for (int i = 0; i < changes.n; i++)
            if (strncmp(changes.v[i], refused[k].key, strlen(refused[k].key)) == 0 &&
                (source_norm || strcmp(refused[k].key, "init_from.sha256:") != 0)) {
                s = dlc_fail(err, DLC_EINPUT,
                             "%s: --resume would change %s; %s: resume with the checkpoint's "
                             "values, or start over with --force",
                             path, changes.v[i], refused[k].why);
                dlc_strlist_clear(&changes);
                return s;
            }
    say(t, "note: the config differs from the one the checkpoint was written with; continuing "
           "with the new one:");
    for (int i = 0; i < changes.n; i++)
        say(t, "  %s", changes.v[i]);
    dlc_strlist_clear(&changes);
    return DLC_OK;
}

/* ---- best weights and early stopping ---- */

/* A plateau schedule after an epoch: `patience` epochs in a row without an
 * improvement (as early stopping judges one) cut the rate by `factor`, not
 * below min_lr, for the epochs that follow (Keras' ReduceLROnPlateau, whose
 * wait restarts after a cut; PyTorch's patience p is p + 1 here). */
static void plateau_track(trainer *t, int better)
{
    const train_config *tc = &t->cfg->train;
    const schedule_config *sc = &tc->schedule;
    if (sc->type != SCHED_PLATEAU)
        return;
    if (better) {
        t->plateau_bad = 0;
        return;
    }
    if (++t->plateau_bad < sc->patience)
        return;
    t->plateau_bad = 0;
    double was = optim_plateau_lr(sc, tc->optimizer.lr, t->plateau_cuts);
    double now = optim_plateau_lr(sc, tc->optimizer.lr, t->plateau_cuts + 1);
    if (now >= was)
        return; /* at min_lr already */
    t->plateau_cuts++;
    say(t, "epoch %d: %s has not improved for %d epochs: the learning rate goes from %g to %g "
           "(train.schedule.type plateau)", t->epoch, train_stop_metric_names[tc->stop_metric],
        sc->patience, was, now);
}

/* Returns 1 when training should stop. */
static int track_best(trainer *t, train_epoch *e)
{
    const train_config *tc = &t->cfg->train;
    if (t->data.split[DATA_SPLIT_DEV].n == 0)
        return 0;
    int acc = tc->stop_metric == STOP_DEV_ACCURACY;
    /* a triplet output: its mean over every triplet (model_select_loss) */
    double v = acc ? e->dev_acc : model_select_loss(&t->m, e->dev_heads);
    if (isnan(v))
        return 0;
    /* the first figure is the best so far; with keep_best false there are
     * no best weights, but the best figure still counts (it used to be
     * judged by them: every epoch was "better", and early stopping never
     * stopped) */
    int better = t->best_epoch == 0 || (acc ? v > t->best_metric + tc->min_delta
                                            : v < t->best_metric - tc->min_delta);
    plateau_track(t, better);
    if (better) {
        t->best_metric = v;
        t->best_epoch = e->epoch;
        t->bad_epochs = 0;
        e->best = 1;
        if (t->best) {
            learned_copy(t->m.g, t->best, 1);
            t->has_best = 1;
        }
        return 0;
    }
    t->bad_epochs++;
    return tc->patience > 0 && t->bad_epochs >= tc->patience;
}

/* A schedule that never changes the rate within train.epochs is said: the
 * user meant it to act (a step every 30 epochs on a 20-epoch run). */
static void schedule_warnings(const trainer *t)
{
    const schedule_config *sc = &t->cfg->train.schedule;
    int epochs = t->cfg->train.epochs;
    if (sc->type == SCHED_STEP && sc->every >= epochs)
        say(t, "warning: train.schedule.every is %d, but the run has %d epoch%s: the step schedule "
               "would first lower the rate at epoch %d, so the rate never changes", sc->every,
            epochs, epochs == 1 ? "" : "s", sc->every + 1);
    if (sc->type == SCHED_PLATEAU && sc->patience >= epochs)
        say(t, "warning: train.schedule.patience is %d, but the run has %d epoch%s: the plateau "
               "schedule can never cut the rate", sc->patience, epochs, epochs == 1 ? "" : "s");
    if (sc->type == SCHED_MANUAL) {
        int late = 0, first = 0;
        for (int i = sc->n_points - 1; i >= 0 && sc->point_epoch[i] > epochs; i--, late++)
            first = sc->point_epoch[i];
        if (late)
            say(t, "warning: train.schedule.points: %d of the %d points %s after the run's last "
                   "epoch (%d), from epoch %d on: never reached", late, sc->n_points,
                late == 1 ? "is" : "are", epochs, first);
    }
}

/* ---- the run ---- */

/* Embedding rows from the text files their layers name (`pretrained:`). */
static dlc_status load_pretrained(trainer *t, dlc_error *err)
{
    graph *g = t->m.g;
    for (int i = 0; i < g->n_nodes; i++) {
        graph_node *n = &g->nodes[i];
        if ((n->spec.op != OP_EMBEDDING && n->spec.op != OP_WORD_CHARS) || !n->spec.pretrained[0])
            continue;
        char label[256];
        graph_node_label(n, label, sizeof label);
        if (!t->data.text)
            return dlc_fail(err, DLC_EINPUT, "%s: pretrained vectors are looked up by token: they need "
                                             "data.format text", label);
        graph_param *w = graph_p(g, n, 0);
        int found, other;
        dlc_status s = data_text_vectors(n->spec.pretrained, &t->data.vocab, w->data, w->shape.d[1],
                                         &found, &other, err);
        if (s != DLC_OK) {
            dlc_error_prefix(err, "%s", label);
            return s;
        }
        if (other > 0)
            say(t, "%s: %d of %d vectors from %s; %d more of the vocabulary's words are there in "
                   "another case only (\"Linux\" for \"linux\") and start at random (matching is "
                   "exact)%s", label, found, w->shape.d[0], n->spec.pretrained, other,
                t->cfg->data.text.lowercase ? ": the vectors keep case, data.text.lowercase "
                                              "lowers the text's" : "");
        else
            say(t, "%s: %d of %d vectors from %s", label, found, w->shape.d[0], n->spec.pretrained);
    }
    return DLC_OK;
}

/* Several processes split each batch into shards, but the triplet loss
 * mines every anchor's negative among the whole batch of P classes x K
 * examples: a shard would mine among its own rows only, a different loss
 * from one process's.  Refused rather than trained differently.  (Pairs are
 * rows of their own: they shard like any example.) */
static dlc_status refuse_batch_mining(const trainer *t, dlc_error *err)
{
    const data_sampler *sp = &t->cfg->data.sampler;
    int triplet = sp->kind == DATA_SAMPLER_TRIPLETS;
    for (int h = 0; h < t->m.n_heads; h++)
        triplet |= t->m.heads[h].loss == LOSS_TRIPLET;
    if (!triplet)
        return DLC_OK;
    return dlc_fail(err, DLC_EINPUT,
                    "%s%skey '%s': the triplet loss mines negatives in the whole batch of P "
                    "classes x K examples, which %d processes would split into shards: train it "
                    "as one process (without mpirun or srun)",
                    sp->where, sp->where[0] ? ": " : "",
                    sp->kind == DATA_SAMPLER_TRIPLETS ? "data.sampler.type" : "loss", t->ranks);
}

/* Batch normalization over features (an input of shape (D)) normalizes each
 * value by its batch: a batch of one example outputs 0 (x minus the mean of
 * x alone), and nothing before the layer learns.  PyTorch refuses it
 * ("Expected more than 1 value per channel when training"); so does dlc for
 * train.batch_size 1, and a last batch of one example each epoch is said. */
const graph_node *train_feature_batchnorm(const graph *g)
{
    for (int i = 0; i < g->n_nodes; i++) {
        const graph_node *nd = &g->nodes[i];
        if (nd->spec.op == OP_BATCHNORM && nd->n_in >= 1 && g->nodes[nd->in[0]].shape.ndim == 1)
            return nd;
    }
    return NULL;
}

static dlc_status refuse_batchnorm_of_one(trainer *t, int B, dlc_error *err)
{
    int n = t->data.split[DATA_SPLIT_TRAIN].n;
    const graph_node *nd = train_feature_batchnorm(t->m.g);
    if (!nd || t->ranks != 1)
        return DLC_OK;
    if (B == 1)
        return dlc_fail(err, DLC_EINPUT,
                        "%s%slayer '%s': batchnorm over features needs batches of at least 2 "
                        "examples: with train.batch_size 1 it outputs 0 (each value minus the "
                        "mean of itself), so nothing before it learns (PyTorch refuses it too); "
                        "use a larger batch, or layernorm",
                        nd->spec.where, nd->spec.where[0] ? ": " : "", nd->spec.name);
    if (n > B && n % B == 1)
        say(t, "note: the last batch of each epoch holds 1 example (%d = %d x %d + 1): layer "
               "'%s' (batchnorm over features) outputs 0 for it, and that step teaches the "
               "layers before it nothing; a batch_size that leaves no single example avoids it",
            n, n / B, B, nd->spec.name);
    return DLC_OK;
}

static dlc_status setup(trainer *t, dlc_error *err)
{
    const dlc_config *cfg = t->cfg;
    dlc_status s;
    if ((s = model_load_data(&t->data, cfg, err)) != DLC_OK)
        return s;
    data_fingerprint(&t->data, t->data_fp);
    if (t->data.split[DATA_SPLIT_TRAIN].n == 0)
        return dlc_fail(err, DLC_EINPUT, "%s: the train split is empty", cfg->path);
    char shape[64], what[64] = "";
    tensor_shape_str(&t->data.shape, shape, sizeof shape);
    if (t->data.n_heads > 1)
        snprintf(what, sizeof what, ", %d targets for %d outputs", t->data.n_targets,
                 t->data.n_heads);
    else if (loss_get(cfg->heads[0].loss)->has_classes && t->data.heads[0].class_names.n == 1 &&
             !t->data.text) {
        char hint[1024];
        data_one_class_hint(&cfg->data, hint, sizeof hint);
        return dlc_fail(err, DLC_EINPUT, "%s: the labels hold one class only, '%.60s': a classifier "
                        "needs two or more%s", t->data.src[0] ? t->data.src[0]->path : cfg->path,
                        t->data.heads[0].class_names.v[0], hint);
    } else if (loss_get(cfg->heads[0].loss)->has_classes)
        snprintf(what, sizeof what, ", %d classes", t->data.heads[0].class_names.n);
    else if (t->data.n_targets > 1)
        snprintf(what, sizeof what, ", %d targets", t->data.n_targets);
    const data_split *sp = t->data.split;
    say(t, "data: train %d, train-dev %d, dev %d, test %d examples; input %s%s", sp[DATA_SPLIT_TRAIN].n,
        sp[DATA_SPLIT_TRAIN_DEV].n, sp[DATA_SPLIT_DEV].n, sp[DATA_SPLIT_TEST].n, shape, what);
    for (int j = 0; j < t->data.n_sources; j++) {
        char line[512];
        int at = snprintf(line, sizeof line, "source %s:", t->data.source_names.v[j]);
        for (int k = 0; k < DATA_SPLIT_COUNT && at < (int)sizeof line; k++)
            if (t->data.source_count[k][j])
                at += snprintf(line + at, sizeof line - (size_t)at, " %s %d", data_split_names[k],
                               t->data.source_count[k][j]);
        say(t, "%s%s", line, cfg->data.sources[j].weight != 1.0 ? " (sampling weight set)" : "");
    }
    if (t->data.skipped) {
        say(t, "warning: skipped %d %s (data.bad_files: skip):", t->data.skipped,
            cfg->data.format == DATA_DETECTION ? "images or label files (unreadable, badly labelled "
                                                 "or without an image)"
                                               : "unreadable image files");
        for (int i = 0; i < t->data.skipped_files.n && i < 10; i++)
            say(t, "  skipped %s", t->data.skipped_files.v[i]);
        if (t->data.skipped_files.n > 10)
            say(t, "  ... and %d more", t->data.skipped_files.n - 10);
    }
    dlc_strlist notes = {0}; /* conversions made, data that trains but maybe not as meant */
    if ((s = data_notes(&t->data, &cfg->data, cfg->input.ndim > 0, &notes, err)) != DLC_OK)
        return s;
    for (int i = 0; i < notes.n; i++)
        say(t, "%s", notes.v[i]);
    dlc_strlist_clear(&notes);
    /* a mirrored landmark keeps its index unless flip_index says which it becomes */
    if (cfg->data.format == DATA_DETECTION && cfg->data.augment.hflip &&
        cfg->data.detection.landmarks > 1 && cfg->data.detection.n_flip == 0)
        say(t, "note: data.augment.hflip mirrors the %d landmarks, and without "
               "data.detection.flip_index each keeps its index: right for points with no side; "
               "a left and right pair (eyes, corners) needs flip_index, e.g. [0, 2, 1]",
            cfg->data.detection.landmarks);
    if (data_augments(&cfg->data) && t->data.shape.ndim != 3)
        return dlc_fail(err, DLC_EINPUT, "data.augment needs image examples (C, H, W); these have %zu values",
                        t->data.dim);
    if (t->data.text) {
        double unk = t->data.text_counted > 0 ? (double)t->data.text_unk / t->data.text_counted : 0;
        char share[96] = "";
        if (t->data.text_unk > 0)
            snprintf(share, sizeof share, " (%.1f%% of the train tokens are <unk>)", 100.0 * unk);
        say(t, "text: vocabulary of %d tokens%s; %ld train, %ld dev, %ld test tokens%s",
            t->data.vocab.n, share, t->data.text_tokens[0], t->data.text_tokens[2],
            t->data.text_tokens[3], t->data.stateful ? "; the state carries from batch to batch" : "");
        /* a carved part shorter than one sequence holds no example */
        const double asked[2] = {cfg->data.split_dev, cfg->data.split_test};
        const int part[2] = {DATA_SPLIT_DEV, DATA_SPLIT_TEST};
        for (int i = 0; i < 2; i++)
            if (asked[i] > 0 && t->data.split[part[i]].n == 0)
                say(t, "warning: data.split.%s = %g of this text is shorter than one example "
                       "(seq_len %d): the %s split is empty, so the report has no %s figures",
                    data_split_names[part[i]], asked[i], cfg->data.text.seq_len,
                    data_split_names[part[i]], data_split_names[part[i]]);
        /* an empty text (a blank text column) is learned as its class's
         * text of nothing; dlc predict --text refuses one */
        const data_split *tr = &t->data.split[DATA_SPLIT_TRAIN];
        int empty = 0;
        for (int i = 0; t->data.text_task == TEXT_CLASSIFY && i < tr->n; i++)
            empty += tr->ds->f32[(size_t)tr->idx[i] * tr->ds->dim] == (float)TEXT_PAD;
        if (empty > 0)
            say(t, "warning: %d of the %d train texts %s no tokens (a blank '%s' field): the model "
                   "learns a class for an empty text from %s", empty, tr->n,
                empty == 1 ? "has" : "have", cfg->data.text.column, empty == 1 ? "it" : "them");
        /* a model that mostly learns <unk> scores well for nothing */
        if (unk >= 0.25)
            say(t, "warning: %.0f%% of the train tokens are rarer than data.text.min_count = %d "
                   "(or past max_vocab) and read as <unk>: %s; lower min_count or use more text",
                100.0 * unk, cfg->data.text.min_count,
                t->data.text_task == TEXT_LM || t->data.text_task == TEXT_BILM
                    ? "the accuracy counts predicting <unk> as right"
                    : "the model sees them all as one token");
    }
    int B = cfg->train.batch_size == 0 ? t->data.split[DATA_SPLIT_TRAIN].n : cfg->train.batch_size;
    B = data_plan_batch(&t->data, B); /* P x K for triplets */
    if (B > t->data.split[DATA_SPLIT_TRAIN].n) {
        say(t, "note: batch_size %d is larger than the train split (%d); using %d", B,
            t->data.split[DATA_SPLIT_TRAIN].n, t->data.split[DATA_SPLIT_TRAIN].n);
        B = t->data.split[DATA_SPLIT_TRAIN].n;
    }
    t->batch = B;
    /* refused before anything large is allocated when the plan does not fit */
    train_memory plan;
    char note[512];
    if ((s = train_memory_check(cfg, &t->data, B, &plan, note, sizeof note, err)) != DLC_OK)
        return s;
    say(t, "%s", note);
    graph_build_options gopt;
    train_graph_options(cfg, &t->data, B, &gopt);
    if ((s = model_build_for_opts(&t->m, cfg, &t->data, &gopt, err)) != DLC_OK)
        return s;
    dlc_buf_free(&t->features);
    json_write_strings(&t->features, &t->m.features);
    if (t->features.failed)
        return DLC_NOMEM(err);
    if (t->ranks > 1 && (s = refuse_batch_mining(t, err)) != DLC_OK)
        return s;
    if ((s = refuse_batchnorm_of_one(t, B, err)) != DLC_OK)
        return s;
    size_t n_train, n_frozen; /* nothing that learns: epochs that change nothing, said as done */
    graph_count_params(t->m.g, &n_train, &n_frozen);
    if (n_train == 0) {
        const graph_node *last = NULL; /* the last layer with parameters, to point at */
        for (int i = 0; i < t->m.g->n_nodes; i++)
            if (t->m.g->nodes[i].n_params > 0)
                last = &t->m.g->nodes[i];
        char where[1400];
        const int all = last && cfg->freeze_all_but_last == 0; /* freeze: {all_but_last: 0} */
        if (all)
            snprintf(where, sizeof where, "%s: key 'freeze.all_but_last'", cfg->path);
        else if (last)
            snprintf(where, sizeof where, "%s%skey 'trainable' of layer '%s'", last->spec.where,
                     last->spec.where[0] ? ": " : "", last->spec.name);
        else
            snprintf(where, sizeof where, "%s: model.layers", cfg->path);
        return dlc_fail(err, DLC_EINPUT,
                        "%s: nothing to train: %s; to score a model as it is, use dlc eval on its "
                        "run folder",
                        where,
                        all    ? "all_but_last 0 freezes every layer with parameters, so the epochs "
                                 "would change nothing (1 lets the last layer learn)"
                        : last ? "every parameter is frozen (trainable: false, or init_from "
                                 "freezing every layer), so its epochs would change nothing"
                               : "no layer has parameters");
    }
    if (t->data.text && (t->data.text_task == TEXT_LM || t->data.text_task == TEXT_BILM))
        t->lm = t->data.text_unit == TEXT_CHARS ? 2 : 1;
    if (t->opt->config_yaml && !(t->m.config_yaml = strdup(t->opt->config_yaml)))
        return DLC_NOMEM(err);
    graph *g = t->m.g;
    t->targets = tensor_alloc((size_t)g->eval_max * (size_t)t->data.n_targets);
    t->order = malloc(sizeof(int) * (size_t)t->data.split[DATA_SPLIT_TRAIN].n);
    t->starts = malloc(sizeof(int) * ((size_t)t->data.split[DATA_SPLIT_TRAIN].n + 1));
    if (!t->targets || !t->order || !t->starts)
        return DLC_NOMEM(err);
    if (data_augments(&cfg->data) && !(t->aug_scratch = tensor_alloc(2 * t->data.dim)))
        return DLC_NOMEM(err);
    graph_memory gm;
    graph_memory_of(g, &gm);
    t->n_learned = gm.learned / sizeof(float);
    if (cfg->train.keep_best && t->data.split[DATA_SPLIT_DEV].n > 0 && !(t->best = tensor_alloc(t->n_learned)))
        return DLC_NOMEM(err);
    if (cfg->train.patience > 0 && t->data.split[DATA_SPLIT_DEV].n == 0)
        say(t, "warning: early stopping needs a dev split (data.split.dev or data.dev); it is off");
    if (cfg->train.schedule.type == SCHED_PLATEAU && t->data.split[DATA_SPLIT_DEV].n == 0)
        return dlc_fail(err, DLC_EINPUT, "train.schedule.type plateau cuts the rate when %s stops "
                        "improving, but the run has no dev split: set data.split.dev (or "
                        "data.dev), or choose another schedule",
                        train_stop_metric_names[cfg->train.stop_metric]);
    schedule_warnings(t);
    /* state for the trainable parameters alone, in the gradient block's layout */
    if ((s = optim_create(&t->opt_state, &cfg->train.optimizer, g->n_grads, err)) != DLC_OK)
        return s;
    /* the checkpoint's snapshot: learned parameters and the optimizer's moments */
    if (writes(t) &&
        !(t->snap = tensor_alloc(t->n_learned + g->n_grads * (size_t)optim_moments(&cfg->train.optimizer))))
        return DLC_NOMEM(err);
    if ((s = owners_init(t, err)) != DLC_OK)
        return s;
    dlc_rng rng;
    dlc_rng_seed(&rng, cfg->seed, DLC_STREAM(DLC_STREAM_INIT, 0));
    graph_init_params(g, &rng);
    if ((s = load_pretrained(t, err)) != DLC_OK)
        return s;
    if (cfg->init.run[0]) {
        char init_note[1024];
        if ((s = model_init_from(&t->m, cfg, init_note, sizeof init_note, err)) != DLC_OK)
            return s;
        /* batches are normalized as the model will be: with the source's statistics */
        memcpy(t->data.norm.shift, t->m.norm.shift, sizeof(float) * t->data.dim);
        memcpy(t->data.norm.scale, t->m.norm.scale, sizeof(float) * t->data.dim);
        t->data.norm.kind = t->m.norm.kind;
        say(t, "init_from: weights from %s%s", cfg->init.run,
            cfg->init.normalize == INIT_NORM_SOURCE ? ", with its input normalization" : "");
        if (init_note[0])
            say(t, "%s", init_note);
    }
    char freeze_note[600];
    model_freeze_note(&t->m, cfg, freeze_note, sizeof freeze_note);
    if (freeze_note[0])
        say(t, "%s", freeze_note);
    char decay_note[600];
    model_decay_note(&t->m, cfg, decay_note, sizeof decay_note);
    if (decay_note[0])
        say(t, "%s", decay_note);
    if (t->ranks > 1) {
        size_t bytes = (size_t)(cfg->train.bucket_mb * 1048576.0);
        if ((s = dist_grads_create(&t->dg, t->dw, g, bytes, err)) != DLC_OK)
            return s;
        g->sync_bn = cfg->train.sync_batchnorm;
        dist_hook_sums(t->dg);
        int calls;
        size_t sent = bcast_learned(t->dw, g, 0, &calls);
        char size[32]; /* a frozen body's head is a few KB */
        if (sent < 1048576)
            snprintf(size, sizeof size, "%zu bytes", sent);
        else
            snprintf(size, sizeof size, "%.2f MB", sent / 1048576.0);
        say(t, "%d processes (%s), %d examples each per step of %d; gradients summed in %d "
               "call%s of %.2f MB in all%s; rank 0's weights to the others after each epoch: "
               "%s in %d call%s",
            t->ranks, dist_library() ? dist_library() : "MPI", (B + t->ranks - 1) / t->ranks, B,
            dist_grads_buckets(t->dg), dist_grads_buckets(t->dg) == 1 ? "" : "s",
            dist_grads_floats(t->dg) * sizeof(float) / 1048576.0,
            g->sync_bn ? "; batchnorm statistics over the whole batch" : "", size, calls,
            calls == 1 ? "" : "s");
    }
    metrics_header(t, &t->metrics);
    dlc_buf_printf(&t->gradnorms, GRADNORMS_HEADER);
    return DLC_OK;
}

static void trainer_free(trainer *t)
{
    io_async_wait(t->ckpt_write, NULL); /* train_run waited already; a failed setup has none */
    tensor_free(t->snap);
    dist_grads_free(t->dg); /* unhooks the graph: before it goes */
    data_free(&t->data);
    model_free(&t->m);
    optim_free(t->opt_state);
    tensor_free(t->targets);
    tensor_free(t->aug_scratch);
    free(t->order);
    free(t->starts);
    tensor_free(t->best);
    dlc_buf_free(&t->metrics);
    dlc_buf_free(&t->gradnorms);
    dlc_buf_free(&t->features);
    free(t->owners);
    free(t->gn_sum);
    free(t->gn_warned);
    free(t->gn_max);
}

static dlc_status finish(trainer *t, train_result *res, dlc_error *err)
{
    graph *g = t->m.g;
    dlc_status s;
    char path[4200];
    if (t->has_best && t->cfg->train.keep_best)
        learned_copy(g, t->best, 0);
    t->m.weights_epoch = t->has_best && t->cfg->train.keep_best ? t->best_epoch : t->epoch;
    t->m.epochs_trained = t->epoch;
    t->m.weights_best = t->has_best && t->cfg->train.keep_best;
    res->epochs_run = t->epoch;
    res->seconds_this = dlc_now() - t->t0;
    res->seconds = t->seconds_before + res->seconds_this;
    res->epoch_seconds = t->epoch_seconds;
    res->best_epoch = t->best_epoch;
    res->stopped_early = t->stopped_early;
    graph_count_params(g, &res->params_trainable, &res->params_frozen);
    res->n_splits = 0;
    /* an evaluation pass over every split costs a third of an epoch over
     * them; the finished hook (the report) makes its own */
    for (int i = 0; !(t->hooks && t->hooks->finished) && i < DATA_SPLIT_COUNT; i++) {
        const data_split *sp = &t->data.split[i];
        if (sp->n == 0)
            continue;
        train_split_result *r = &res->splits[res->n_splits++];
        r->name = data_split_names[i];
        r->n = sp->n;
        loss_stats st[MODEL_MAX_HEADS];
        evaluate_heads(t, sp, st);
        r->loss = model_total_loss(&t->m, st);
        r->accuracy = loss_accuracy(&st[0]);
    }
    res->ranks = t->ranks;
    res->mpi_seconds = dist_seconds(t->dw);
    res->buckets = dist_grads_buckets(t->dg);
    res->allreduce_floats = dist_grads_floats(t->dg);
    if (!writes(t))
        return DLC_OK;
    path_in(path, sizeof path, t->opt->run_dir, "model.safetensors");
    t->m.steps = t->step; /* for dlc eval's batchnorm warning */
    s = model_save(&t->m, path, err);
    if (s == DLC_EIO && t->ckpt_write) {
        /* a full disk with the last checkpoint written beside the model: the
         * model comes first.  Once that write has ended (its temporary file
         * removed if it failed too), the model is written again; the
         * checkpoint's failure is the run's (train_run) */
        t->ckpt_late = checkpoint_wait(t, &t->ckpt_late_err);
        s = model_save(&t->m, path, err);
    }
    if (s != DLC_OK)
        return s;
    if (t->hooks && t->hooks->finished)
        return t->hooks->finished(t->hooks->user, &t->m, &t->data, res, err);
    return DLC_OK;
}

dlc_status train_run(const dlc_config *cfg, const train_options *opt, const train_hooks *hooks,
                     train_result *res, dlc_error *err)
{
    trainer t = {0};
    t.cfg = cfg;
    t.opt = opt;
    t.hooks = hooks;
    t.dw = opt->dist;
    t.ranks = dist_size(t.dw);
    memset(res, 0, sizeof *res);
    t.t0 = dlc_now();
    dlc_status s = DLC_OK;
    char path[4200];
    if (writes(&t))
        s = dlc_mkdirs(opt->run_dir, err);
    if (s == DLC_OK)
        s = setup(&t, err);
    if (s == DLC_OK && opt->resume)
        s = load_checkpoint(&t, err);
    /* a bad input one rank met fails them all, with its message */
    if ((s = dist_agree(t.dw, s, err)) != DLC_OK)
        goto done;
    long step0 = t.step;
    if (hooks && hooks->started)
        hooks->started(hooks->user);
    if (opt->resume) {
        say(&t, "resuming after epoch %d (step %ld)", t.epoch, t.step);
        t.ckpt_epoch = t.epoch;
        /* an early stop that the config's patience (raised, or set to 0: off)
         * no longer calls for trains on, as an uninterrupted run with that
         * patience would have; a finished run has nothing left to train:
         * said, so the report that follows is not taken for more training's */
        const train_config *rc = &cfg->train;
        if (t.stopped_early && !(rc->patience > 0 && t.bad_epochs >= rc->patience) &&
            t.epoch < rc->epochs) {
            t.stopped_early = 0;
            say(&t, "note: the run had stopped early at epoch %d, %d epoch%s without "
                    "improvement; with train.early_stopping.patience %d it trains on", t.epoch,
                    t.bad_epochs, t.bad_epochs == 1 ? "" : "s", rc->patience);
        }
        if (t.stopped_early)
            say(&t, "note: the run stopped early at epoch %d, so there is nothing to train; its "
                    "report is written again (--force starts over)", t.epoch);
        else if (t.epoch >= cfg->train.epochs)
            say(&t, "note: the run has trained all %d epochs, so there is nothing to train; its "
                    "report is written again (to train on, raise train.epochs: --set "
                    "train.epochs=%d --resume)", t.epoch, 2 * t.epoch);
    }
    if (opt->config_yaml && writes(&t)) {
        path_in(path, sizeof path, opt->run_dir, "config.yaml");
        if ((s = alone(&t, io_write_file(path, opt->config_yaml, strlen(opt->config_yaml), err), err)) != DLC_OK)
            goto done;
    }
    const train_config *tc = &cfg->train;
    while (t.epoch < tc->epochs && !t.stopped_early) {
        train_epoch e = {0};
        if ((s = train_epoch_run(&t, t.epoch + 1, &e, err)) != DLC_OK)
            goto done;
        /* the last epoch's checkpoint, written while this one trained */
        if ((s = alone(&t, checkpoint_wait(&t, err), err)) != DLC_OK)
            goto done;
        /* rank 0's figures decide for every rank (best epoch, stopping, checkpoints) */
        e.ended = dlc_now();
        dist_bcast(t.dw, &e, sizeof e);
        t.now = e.ended;
        t.epoch++;
        t.epoch_seconds += e.seconds;
        int stop = track_best(&t, &e);
        metrics_row(&t, &t.metrics, &e);
        if (hooks && hooks->epoch_done)
            hooks->epoch_done(hooks->user, &e);
        if (stop) {
            t.stopped_early = 1;
            say(&t, "early stopping: %s has not improved for %d epochs (best %.6g at epoch %d)",
                train_stop_metric_names[tc->stop_metric], tc->patience, t.best_metric, t.best_epoch);
        }
        int last = t.epoch == tc->epochs || t.stopped_early;
        int ckpt = checkpoint_due(&t, last);
        if ((s = write_curves(&t, ckpt, err)) != DLC_OK)
            goto done;
        if (ckpt) {
            t.ckpt_at = t.now;
            if (writes(&t) && (s = alone(&t, save_checkpoint(&t, err), err)) != DLC_OK)
                goto done;
            if (!writes(&t))
                t.ckpt_epoch = t.epoch;
        }
    }
    if ((s = write_curves(&t, 1, err)) != DLC_OK)
        goto done;
    res->steps = t.step - step0;
    if (res->steps > 0) {
        model_running_stats_note(&t.m, cfg, t.step, res->model_note, sizeof res->model_note);
        if (res->model_note[0] && !(hooks && hooks->finished))
            say(&t, "warning: %s", res->model_note);
    }
    s = finish(&t, res, err);
    res->finished = s == DLC_OK;
done:
    {
        /* the checkpoint in flight: complete (a stop request lets it finish) */
        dlc_error werr = t.ckpt_late_err;
        dlc_status w = t.ckpt_late != DLC_OK ? t.ckpt_late : checkpoint_wait(&t, &werr);
        if (w != DLC_OK && s == DLC_OK) {
            *err = werr;
            s = alone(&t, w, err);
        }
    }
    if (s == DLC_EINTR) {
        dlc_error cerr = {0}; /* the epochs finished before the interruption */
        (void)write_curves(&t, 1, &cerr);
        res->epochs_run = t.epoch;
        res->checkpoint_epoch = t.ckpt_epoch;
    } else if (s == DLC_EIO) { /* a full disk, most often: where a resume would start */
        res->epochs_run = t.epoch;
        res->checkpoint_epoch = t.ckpt_epoch;
    }
    trainer_free(&t);
    return s;
}
