/* train_config.h - what a config's `train:` section says. */
#ifndef DLC_TRAIN_CONFIG_H
#define DLC_TRAIN_CONFIG_H

#include "../base/util.h"
#include "../optim/optim.h"

typedef enum { STOP_DEV_LOSS, STOP_DEV_ACCURACY, STOP_METRIC_COUNT } stop_metric;
extern const char *const train_stop_metric_names[STOP_METRIC_COUNT + 1];

/* How a sequence's per-step losses combine for the gradient: the mean over
 * its tokens (as PyTorch's cross_entropy), or the notes' sum over time steps
 * (averaged over sequences).  Reported losses are per token either way. */
typedef enum { SEQ_LOSS_MEAN, SEQ_LOSS_SUM, SEQ_LOSS_COUNT } seq_loss;
extern const char *const train_seq_loss_names[SEQ_LOSS_COUNT + 1];

typedef struct {
    int epochs;
    int batch_size;          /* 0 = full batch (batch gradient descent) */
    int shuffle;             /* reshuffle the train split every epoch */
    optim_config optimizer;
    schedule_config schedule;
    double l2;               /* lambda: gradient += (lambda / m) * W, m = batch size */
    dlc_strlist no_decay;    /* parameters l2 and adamw's weight_decay spare: "biases", "norms"
                              * (by role) or globs over parameter names ("h1.bias") */
    double clip_norm;        /* clip gradients to this global norm; 0 = off */
    stop_metric stop_metric; /* early stopping and best-weights metric */
    int patience;            /* epochs without improvement before stopping; 0 = never stop */
    double min_delta;        /* smallest change that counts as improvement */
    int keep_best;           /* save the weights of the best dev epoch */
    int checkpoint_every;    /* epochs between checkpoints; 0 = only at the end */
    double checkpoint_seconds; /* and at least this long after the last one (not the first, not the last) */
    double grad_vanish;      /* warn when a layer's gradient norm falls below */
    double grad_explode;     /* warn when a layer's gradient norm rises above */
    double grad_ratio;       /* warn when the smallest layer norm / the largest falls below */
    double memory_limit;     /* GiB the run may plan for; 0 = what the machine has available */
    seq_loss sequence_loss;  /* per-token outputs: mean over tokens or sum over steps */
    /* several processes (mpirun, src/dist): */
    int sync_batchnorm;      /* batchnorm statistics over the global batch, not each shard */
    double bucket_mb;        /* gradients summed in calls of about this many MB */
} train_config;

#endif
