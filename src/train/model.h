/* model.h - a trained or trainable model: the graph plus everything needed to
 * use it on new inputs (input shape, normalization, its heads: outputs with
 * their losses and class names), and its file form, model.safetensors.
 *
 * A model has one or more heads (model.outputs): each is a graph output with
 * a loss from the loss table, a weight, and its targets within an example's
 * target row.  The total loss is the sum of weight x head loss.  Heads with
 * a detection loss all read one block of the row: the image's objects.
 *
 * The file holds every parameter and buffer under its graph name
 * ("dense_1.weight", PyTorch layout), the normalization as "norm.shift" and
 * "norm.scale" (x' = (x - shift) * scale), and metadata: "format"
 * ("dlc-model-1"), "config" (the resolved YAML the graph is rebuilt from),
 * "heads" (a JSON array of {"name", "loss", "classes": [str], "tasks": [str]}),
 * "classes" and "loss" (the first head's, for older readers), "features"
 * (csv: the feature columns' names, in order), "input" and
 * "data_shape" (JSON arrays of dims), "vocab" (text models).
 */
#ifndef DLC_MODEL_H
#define DLC_MODEL_H

#include "../config/config.h"
#include "../data/data.h"
#include "../graph/graph.h"
#include "../io/io.h"
#include "../loss/loss.h"

#define MODEL_MAX_HEADS CONFIG_MAX_HEADS

typedef struct {
    char name[GRAPH_NAME_MAX];
    loss_kind loss;
    float weight;
    int fused_link;         /* its layer's activation was the loss's link, folded into it */
    size_t n_targets;       /* targets per example */
    size_t target_off;      /* where they start in an example's target row */
    dlc_strlist classes;    /* class names in id order (classification, binary), may be empty */
    dlc_strlist tasks;      /* several binary or numeric outputs: their names (label columns) */
    loss_opts opts;         /* the loss's settings: margin, mining (data.sampler.mining), average;
                             * detection terms and the data's layout */
    float score, nms_iou;   /* detection: the post-processing thresholds */
} model_head;

typedef struct {
    graph *g;
    int n_heads;            /* head h is graph output h */
    model_head heads[MODEL_MAX_HEADS];
    tensor_shape input;     /* per-sample model input */
    tensor_shape data_shape; /* per-example shape of the data, e.g. (C, H, W) images
                              * for an input of (784); `predict` reads images to it */
    data_norm norm;         /* applied to every input */
    size_t n_targets;       /* targets per example, every head's */
    float *head_t;          /* (eval_max, n_targets) per-head target blocks (model_head_targets) */
    /* data.normalize_targets: an mse head learns (t - tshift) * tscale and
     * its output o stands for o / tscale + tshift (model_head_values);
     * identity for other heads' targets.  NULL: none. */
    float *tshift, *tscale; /* (n_targets) */
    char *config_yaml;      /* resolved configuration (owned), may be NULL */
    dlc_strlist vocab;      /* text models: token strings by id ("vocab" metadata), else empty */
    int text;               /* data.format text: inputs are token ids (see text_cfg) */
    data_csv_dialect csv;   /* data.separator and data.decimal: how predict reads CSV rows */
    data_text_config text_cfg; /* its tokenizer and task; text_cfg.vocab is NULL (use vocab) */
    dlc_strlist features;   /* csv: the feature columns by name, in the order the model reads them */
    dlc_strlist label_columns; /* csv: every label column (not features) */
    int stateful;           /* a stateful language model: evaluation carries the state */
    int streams;            /* its runs side by side in evaluation: the train batch size */
    /* metric learning */
    int stack;              /* examples per input: 2 for a pair model (data.sampler pairs), else 1 */
    char embedding[GRAPH_NAME_MAX]; /* the layer whose output is the embedding ("" = none) */
    double verify_threshold; /* the distance below which two inputs are "same" (chosen on
                              * dev when the run was trained), NaN when unknown; saved in the
                              * file as metadata "verify_threshold" */
    long steps;             /* the training steps its weights (and batchnorm's running statistics)
                             * came from: metadata "steps"; -1 unknown (an import, older files) */
    int weights_epoch;      /* the epoch whose weights these are (the best dev epoch with
                             * train.keep_best, else the last), of epochs_trained; 0: not
                             * known (an imported model, a file from before); saved as
                             * metadata "epoch" and "epochs" */
    int epochs_trained;
    int weights_best;       /* 1: weights_epoch is the best dev epoch's (train.keep_best) */
    int verify_by_embedding; /* compare by the embedding's distance even in a pair model
                              * (dlc eval / verify --embedding) */
    uint64_t loss_seed;     /* the training step's draw for random triplet mining */
    double *loss_scratch;   /* (the largest loss_scratch_size of the heads at nmax) */
} model;

/* Builds the graph for cfg with batch capacity nmax.  data_shape: per-example
 * shape of the data (used when the config gives no model.input; otherwise
 * the sizes must agree).  n_classes: classes of the first head when it is a
 * classification head (0 if unknown).  Parameters are not initialised: call
 * graph_init_params or model_load_weights.  Errors name the config line of
 * the layer at fault. */
dlc_status model_build(model *m, const dlc_config *cfg, const tensor_shape *data_shape,
                       int n_classes, int nmax, dlc_error *err);
/* The same with the classes of every head (n_classes[h], 0 = unknown; NULL:
 * none known) and, for a text model, vocab_size replacing `vocab: auto` in
 * embedding layers (0: none given).  A head's `units: auto` takes its
 * classes. */
dlc_status model_build_vocab(model *m, const dlc_config *cfg, const tensor_shape *data_shape,
                             const int *n_classes, int vocab_size, int nmax, dlc_error *err);
/* The same with the graph's build options (batch capacities, memory plan;
 * o->measure builds a model that only counts: summary, the memory check). */
dlc_status model_build_opts(model *m, const dlc_config *cfg, const tensor_shape *data_shape,
                            const int *n_classes, int vocab_size, const graph_build_options *o,
                            dlc_error *err);
void model_free(model *m);

/* 1 when a head with loss k is told its data's classes: a classification
 * head (`units: auto`) or a detection head. */
int model_loss_has_classes(loss_kind k);

/* The data cfg's heads learn from: each head's label group (its target, or
 * its name) and target kind (from its loss), loaded and split as
 * data_load_heads does.  Errors name the head and data.label. */
dlc_status model_load_data(data_bundle *b, const dlc_config *cfg, dlc_error *err);

/* Builds the model of cfg for data b (see model_build_vocab): each head's
 * classes from the data (`units: auto`), its class and task names, the
 * vocabulary, and the normalization fitted on b's train split. */
dlc_status model_build_for(model *m, const dlc_config *cfg, const data_bundle *b, int nmax,
                           dlc_error *err);
dlc_status model_build_for_opts(model *m, const dlc_config *cfg, const data_bundle *b,
                                const graph_build_options *o, dlc_error *err);

/* Writes model.safetensors (parameters, normalization, metadata) atomically. */
dlc_status model_save(const model *m, const char *path, dlc_error *err);
/* The heads as JSON, as model.safetensors' "heads" metadata holds them:
 * [{"name": ..., "loss": ..., "classes": [...], "tasks": [...]}, ...] */
void model_heads_json(dlc_buf *b, const model *m);

/* Loads a model file: rebuilds the graph from its config (overrides may be
 * NULL), then parameters, normalization and classes. */
dlc_status model_load(model *m, const char *path, int nmax, dlc_error *err);
/* The same with another per-sample input shape (NULL: the stored one), for
 * models that take any sequence length: a language model generating text
 * one token at a time is loaded with input (1).  The normalization becomes
 * the identity of the new size (text models have none). */
dlc_status model_load_input(model *m, const char *path, int nmax, const tensor_shape *input,
                            dlc_error *err);

/* Copies parameters (and buffers) by name from a loaded file; every graph
 * parameter must be present with the same shape. prefix: "" or e.g. "best.". */
dlc_status model_copy_params(model *m, const io_st *st, const char *prefix, dlc_error *err);

/* ---- transfer learning (transfer.c) ---- */

/* RUN may be a run folder or a model file: the model file's path into buf. */
const char *model_file_of(const char *run, char *buf, size_t size);

/* The SHA-256 of the model file cfg->init.run names. */
dlc_status model_source_digest(const dlc_config *cfg, char hex[65], dlc_error *err);

/* Copies into m (built, parameters initialised) the parameters init_from
 * names: every parameter of a layer matching init_from.layers (all layers
 * when empty) and no init_from.exclude glob, by name, from the source model
 * file; with init_from.normalize source, its input normalization too.  A
 * missing tensor or one of another shape is an error naming the tensor and
 * both shapes (EINPUT), as is a glob that matches no layer or a recorded
 * sha256 the file no longer has.  Nothing to do without init_from.run.
 * note (note_size bytes, "" when nothing is worth saying): an output layer
 * copied from a source head of the same name that named other classes (or
 * the same ones in another order), whose rows now score the wrong classes. */
dlc_status model_init_from(model *m, const dlc_config *cfg, char *note, size_t note_size,
                           dlc_error *err);

/* What is worth saying about freezing, into note ("" when nothing): a
 * freeze.all_but_last of at least the layers with parameters, which freezes
 * nothing; frozen layers whose weights no init_from copied or pretrained file
 * filled, which keep their random start for good. */
void model_freeze_note(const model *m, const dlc_config *cfg, char *note, size_t note_size);

/* Which parameters train.l2 and adamw's weight_decay reach: each but those
 * no_decay spares, by role ("biases", "norms") or by a glob over the
 * parameter's name ("h1.bias", "*.bias"); buffers never.  A glob that
 * matches no parameter is an error naming it and some names (EINPUT).
 * model_build applies the config's list. */
dlc_status model_set_decay(graph *g, const dlc_strlist *no_decay, dlc_error *err);

/* The line dlc train and dlc summary print of it, into note ("" when nothing
 * decays: train.l2 0 and no adamw decay): the strengths, the trainable
 * parameters and values decayed, the first names of those spared. */
void model_decay_note(const model *m, const dlc_config *cfg, char *note, size_t note_size);

/* A warning into note (without "warning: "; "" when nothing): batchnorm layers that learned over
 * too few steps for their momentum (momentum^steps > 0.1) to replace the
 * running statistics they started with (0 and 1; not those init_from copied),
 * which evaluation normalizes by. */
void model_running_stats_note(const model *m, const dlc_config *cfg, long steps, char *note,
                              size_t note_size);

/* Runs the model in evaluation mode over split s, in batches of at most
 * g->eval_max, calling fn with each batch's targets (N, n_targets) once the
 * heads' outputs are in graph_output(m->g, h)->out (N, out size); batch row
 * i is split row rows[i].  Sequence models see the rows in order of length
 * (data_order_by_length: a batch stops at its longest sequence, so little
 * of it is padding), other models in split order.  t is scratch of
 * eval_max * n_targets floats.  A stateful language model reads the split
 * as runs side by side (as many as it trained with, at most g->nmax) with
 * the state carried (data_plan); rows is then NULL. */
typedef void (*model_batch_fn)(void *user, const float *targets, const int *rows, int N);
void model_run(model *m, const data_split *s, float *t, model_batch_fn fn, void *user);

/* Head h's targets (N, its n_targets) of a batch's target rows t (N,
 * n_targets): t itself for a single head, else a copy in m->head_t. */
const float *model_head_targets(model *m, int h, const float *t, int N);
/* The same, as the data holds them (not standardized by data.normalize_targets). */
const float *model_head_targets_raw(model *m, int h, const float *t, int N);
/* Head h's outputs (N, its targets) in place, from what the head learned to
 * the targets' units: o / tscale + tshift for a standardized mse head, else
 * unchanged. */
void model_head_values(const model *m, int h, float *out, int N);

/* The batch's loss of every head into st[h] (added to), from the outputs
 * of the last graph_forward and the target rows t; with grad, adds each
 * head's weight x d(its mean loss)/d(output) into its output's gradient
 * (seq_weight scales it further: see train's sequence_loss).  Returns the
 * batch's total loss (model_total_loss of the batch; 0 when no target of the
 * batch is known: padding, unknown labels). */
double model_loss(model *m, const float *t, int N, int grad, float seq_weight, loss_stats *st);

/* Head h's loss of the batch into *st (added to), from its output after
 * the last graph_forward; with dout (its output's gradient) adds weight x
 * d(mean loss)/d(output) there.  Random triplet mining draws with
 * m->loss_seed when training (dout given), else with a fixed seed. */
void model_head_loss(model *m, int h, const float *t, int N, float *dout, float weight,
                     loss_stats *st);

/* model_loss's gradient alone, head h's scaled by scale[h] too: a shard of
 * a batch split over processes (src/dist) scales each head by its share of
 * the items the whole batch counts, so the summed gradients are the whole
 * batch's. */
void model_loss_grad_scaled(model *m, const float *t, int N, const float *scale, float seq_weight);

/* The total of per-head stats: sum of weight x head mean loss over the heads
 * that counted anything (NaN when none did). */
double model_total_loss(const model *m, const loss_stats *st);
/* The same, but a triplet head counts its mean over every triplet (loss_all)
 * whatever its `average`: the loss that picks the best dev epoch.  The mean
 * over the triplets with a positive loss rises as fewer stay active, while
 * the model gets better. */
double model_select_loss(const model *m, const loss_stats *st);

/* Loss stats of every head (st[n_heads]) over split s (all zero for an
 * empty split). */
void model_evaluate_heads(model *m, const data_split *s, float *t, loss_stats *st);
/* Total loss and the first head's accuracy over split s (accuracy NaN for
 * regression; both NaN for an empty split). */
void model_evaluate(model *m, const data_split *s, float *t, double *loss, double *accuracy);

#endif
