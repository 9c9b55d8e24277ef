/* train.h - the training loop and the run folder it writes.
 *
 *   runs/<name>/config.yaml             the resolved config (given as text)
 *              metrics.csv             one row per epoch
 *              gradnorms.csv           per-layer gradient norms per epoch
 *              model.safetensors       weights (best dev epoch when keep_best)
 *              checkpoint.safetensors  weights, optimizer state, counters, for --resume
 * (report.json and the other reports: the finished hook, src/report.)
 * Every file is written to a temporary name and renamed into place.  The
 * shuffle order and dropout masks of an epoch come from streams derived from
 * the seed and the epoch number, so a resumed run repeats exactly what an
 * uninterrupted one would have done.
 */
#ifndef DLC_TRAIN_H
#define DLC_TRAIN_H

#include <stdatomic.h>

#include "../config/config.h"
#include "../dist/dist.h"
#include "model.h"

struct train_result;

typedef struct {
    int epoch;             /* 1-based */
    double lr;             /* learning rate at the epoch's first step */
    double train_loss;     /* the total loss over the epoch's batches, in training mode */
    double train_acc;      /* the first output's accuracy; NaN for regression */
    double dev_loss;       /* NaN without a dev split */
    double dev_acc;
    int n_heads;           /* per output (model.outputs): */
    loss_stats train_heads[MODEL_MAX_HEADS];
    loss_stats dev_heads[MODEL_MAX_HEADS];   /* zero without a dev split */
    double seconds;        /* the epoch's wall time, dev evaluation included */
    double ended;          /* dlc_now() at its end, rank 0's with several processes */
    double samples_per_s;  /* training examples per second */
    int best;              /* the best epoch so far by the early-stopping metric */
} train_epoch;

typedef struct {
    void *user;
    /* during an epoch; batch is 1-based */
    void (*progress)(void *user, int epoch, int epochs, int batch, int n_batches, double loss,
                     double samples_per_s, double eta_s);
    void (*epoch_done)(void *user, const train_epoch *e);
    /* notes and warnings for the user (split sizes, vanishing gradients...) */
    void (*message)(void *user, const char *msg);
    /* after training and model.safetensors, before the model and data are
     * freed: the caller's reports (src/report); may be NULL.  Its failure
     * fails the run. */
    dlc_status (*finished)(void *user, model *m, const data_bundle *data,
                           const struct train_result *res, dlc_error *err);
    /* once the data are loaded (and the checkpoint read), before the first
     * epoch; may be NULL.  The CLI takes Ctrl-C from here on: before, it
     * ends the process at once (a large folder loads for minutes, and
     * nothing is written yet). */
    void (*started)(void *user);
} train_hooks;

typedef struct {
    const char *run_dir;
    int resume;               /* continue from run_dir/checkpoint.safetensors */
    /* set (by another thread, e.g. on SIGINT) to stop: training ends at the
     * next batch with DLC_EINTR, the last checkpoint left as it was; may be NULL */
    atomic_int *stop;
    const char *config_yaml;  /* the resolved config: written and embedded in the model */
    /* the processes training together (src/dist), borrowed; NULL: this one
     * alone.  Each takes a shard of every batch; rank 0 writes the run
     * folder and calls the hooks' finished. */
    dist_world *dist;
} train_options;

typedef struct {
    const char *name;  /* "train", "train_dev", "dev", "test" */
    int n;
    double loss, accuracy;
} train_split_result;

typedef struct train_result {
    int epochs_run;          /* interrupted (DLC_EINTR): epochs completed */
    int checkpoint_epoch;    /* interrupted: the epoch the last checkpoint holds (0: none) */
    int finished;            /* the model and the report were written (a failure after them:
                              * the last checkpoint's write, which ends after them) */
    int best_epoch;          /* 0 without a dev split */
    int stopped_early;
    double seconds;          /* wall time of the whole run, every --resume included */
    double seconds_this;     /* of this invocation */
    double epoch_seconds;    /* of its epochs (training and dev evaluation, metrics.csv's seconds):
                              * the rest went to data, setup, the end's evaluation and reports */
    size_t params_trainable, params_frozen;
    /* several processes: how many, and what summing their gradients took */
    int ranks;
    long steps;              /* steps of this invocation */
    double mpi_seconds;      /* inside MPI calls */
    int buckets;             /* gradient sums per step */
    size_t allreduce_floats; /* values summed per step */
    /* every split's loss and accuracy, when there is no finished hook (a
     * caller with one evaluates the splits itself: one pass, not two) */
    int n_splits;
    train_split_result splits[DATA_SPLIT_COUNT];
    /* what the report should say of the trained model ("" nothing): batchnorm
     * statistics the run's steps could not fill (model_running_stats_note);
     * said as a warning here when there is no finished hook */
    char model_note[1024];
} train_result;

dlc_status train_run(const dlc_config *cfg, const train_options *opt, const train_hooks *hooks,
                     train_result *res, dlc_error *err);

/* The first batchnorm over features (an input of shape (D)) in g, which
 * dlc train refuses at train.batch_size 1 (it would output 0); NULL if none.
 * Borrowed from g. */
const graph_node *train_feature_batchnorm(const graph *g);

/* ---- memory (memory.c) ---- */

/* The graph options a run of cfg trains with at this batch size: evaluation
 * in batches of up to 256 where they fit the training plan's memory.  data:
 * the loaded data, or NULL (evaluation batches of 256 assumed). */
void train_graph_options(const dlc_config *cfg, const data_bundle *data, int batch,
                         graph_build_options *o);

/* What a run of cfg takes at this batch size, in bytes, by the memory plan
 * (a model built only to count: nothing allocated). */
typedef struct {
    graph_memory graph;       /* parameters, gradients, planned arena, workspace, fixed */
    size_t optimizer;         /* optimizer state (velocity, moments) of the trainable parameters */
    size_t frozen;            /* the frozen parameters, which need no gradient, state or copy */
    size_t best;              /* the best epoch's weights (keep_best with a dev split) */
    size_t snapshot;          /* what a checkpoint is written from while training goes on */
    size_t copies;            /* the trainer's copies: best + snapshot */
    size_t total;
    int batch;
} train_memory;
dlc_status train_memory_plan(const dlc_config *cfg, const data_bundle *data, int batch,
                             train_memory *out, dlc_error *err);
/* The largest batch size up to `upto` whose plan fits in limit bytes (0:
 * none does), or -1 with err set. */
int train_largest_batch(const dlc_config *cfg, const data_bundle *data, int upto, size_t limit,
                        dlc_error *err);
/* The plan at this batch size against train.memory_limit or, when that is 0,
 * the memory the machine has available (dlc_memory_info): DLC_EINPUT naming
 * the largest batch that fits when it does not; else a line for the user in
 * note. */
dlc_status train_memory_check(const dlc_config *cfg, const data_bundle *data, int batch,
                              train_memory *plan, char *note, size_t note_size, dlc_error *err);

#endif
