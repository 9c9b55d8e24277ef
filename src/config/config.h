/* config.h - one YAML file describing data, model and training, turned into
 * typed structs with every default filled in.
 *
 * Loading: libyaml -> a tree of nodes that remember their line -> `--set`
 * overrides applied to the tree -> the schema (config/schema.c: every key,
 * its type, range and default, in one place) converts the tree into a
 * dlc_config.  Unknown keys, wrong types and out-of-range values fail with
 * "file:line: key 'a.b': message" (suggesting the nearest valid key).
 * config_to_yaml writes the resolved config back: every key, defaults
 * included, so a run records exactly what it used.  YAML anchors, aliases
 * and tags (other than !!str) are refused, as are duplicate keys.
 */
#ifndef DLC_CONFIG_H
#define DLC_CONFIG_H

#include <stdint.h>

#include "../base/error.h"
#include "../base/util.h"
#include "../data/data.h"
#include "../graph/graph.h"
#include "../loss/loss.h"
#include "embed_config.h"
#include "report_config.h"
#include "stylize_config.h"
#include "train_config.h"

/* One output of the model with its loss (model.outputs).  A config without
 * model.outputs has one head: the last layer, with the top-level loss. */
#define CONFIG_MAX_HEADS GRAPH_MAX_OUTPUTS
typedef struct {
    char name[GRAPH_NAME_MAX];   /* the head's name in metrics and reports (default: its layer's) */
    char layer[GRAPH_NAME_MAX];  /* the layer whose output it is */
    loss_kind loss;              /* default: the top-level `loss:` */
    double weight;               /* the total loss is the sum of weight x head loss */
    char target[GRAPH_NAME_MAX]; /* the data.label group it learns from; "" = the group named
                                  * like the head, or the data's only labels */
    loss_opts opts;              /* detection losses: term weights, class term, grid, anchors */
    float score, nms_iou;        /* detection: boxes scoring below `score` are dropped, then
                                  * those overlapping a better box of their class by more than
                                  * nms_iou (predict, the error sample) */
    double margin;               /* triplet, contrastive: the margin; < 0 = the loss's own */
    loss_average average;        /* triplet: the mean over positive triplets or all */
} head_spec;

/* Transfer learning (init_from): weights copied by layer name from another
 * run's model file before training. */
typedef enum { INIT_NORM_SOURCE, INIT_NORM_REFIT, INIT_NORM_COUNT } init_norm;
extern const char *const config_init_norm_names[INIT_NORM_COUNT + 1];
typedef struct {
    char run[1024];           /* a run folder or model file; "" = start from scratch */
    dlc_strlist layers;       /* layer names or globs to copy; empty = every layer */
    dlc_strlist exclude;      /* layer names or globs to leave as initialised (a new head) */
    dlc_strlist rename;       /* pairs (2k, 2k + 1): a source layer's name, then the layer of this
                               * model that takes its weights (init_from.rename: {old: new}) */
    init_norm normalize;      /* source: reuse the source's input normalization; refit */
    char sha256[65];          /* the source model file's digest; "" until dlc train records it */
} init_config;

typedef struct {
    char path[1024];          /* the file it came from ("" for a string) */
    char name[128];           /* run name */
    uint64_t seed;
    int threads;              /* 0 = let dlc choose */
    data_config data;
    tensor_shape input;       /* ndim 0: taken from the data */
    int n_layers;
    layer_spec *layers;       /* owned */
    char embedding[GRAPH_NAME_MAX]; /* model.embedding: the layer whose output is the embedding
                                     * verification compares; "" = a triplet head's */
    int n_heads;              /* >= 1 once loaded */
    head_spec heads[CONFIG_MAX_HEADS];
    loss_kind loss;           /* the heads' default loss */
    double label_smoothing;   /* the softmax heads' default label smoothing */
    init_config init;         /* init_from */
    int freeze_all_but_last;  /* freeze: every layer with parameters but the last K; -1: none */
    train_config train;
    report_config report;
    stylize_config stylize;   /* style transfer (dlc stylize); stylize.on 0 when absent */
    int no_data;              /* 1: a stylize config without a data: section (nothing to train on) */
    embed_config embed;       /* dlc embed: on when the config has an embed: section */
    int stored;               /* 1: a run's own resolved config (config_load_run), where keys
                               * written before a check existed pass */
} dlc_config;

/* Loads path, applying overrides "key.path=value" in order (list items by
 * index: "model.layers.1.units=512").  On failure c is left freed. */
dlc_status config_load(dlc_config *c, const char *path, const char *const *overrides,
                       int n_overrides, dlc_error *err);
/* The same from text in memory; name is used in messages. */
dlc_status config_load_string(dlc_config *c, const char *name, const char *text, size_t len,
                              const char *const *overrides, int n_overrides, dlc_error *err);
/* The same for a run's own resolved config (model.safetensors' embedded
 * one): checks added since the run was trained let its keys be
 * (dlc_config.stored). */
dlc_status config_load_run(dlc_config *c, const char *name, const char *text, size_t len,
                           const char *const *overrides, int n_overrides, dlc_error *err);
void config_free(dlc_config *c);

/* Relative data paths (data.train/dev/test files and folders, detection
 * names) and init_from.run made absolute against the working directory, as
 * a run folder records them so `dlc eval` works from anywhere.  EINPUT
 * naming origin when one grows too long (c is left as it was for the paths
 * already done; the caller frees it). */
dlc_status config_absolute_paths(dlc_config *c, const char *origin, dlc_error *err);

/* The resolved configuration as YAML text (every key; defaults filled in).
 * Loading that text again gives an equal dlc_config.  Caller frees. */
dlc_status config_to_yaml(const dlc_config *c, char **out, dlc_error *err);

/* 1 when several outputs learn from the one class label per example that
 * idx and image_folder data give: every output's loss reads class ids (a
 * triplet embedding and a softmax head over the same classes, a joint loss).
 * They then share that label: one target per example, read by all. */
int config_shares_label(const dlc_config *c);

/* The keys two resolved configs (config_to_yaml texts) differ at, as
 * "key.path: old -> new" lines in order ("train.optimizer.lr: 0.01 -> 0.1";
 * a key only one has: "-> (none)"), at most max of them (then "..." last).
 * Caller clears paths.  Errors: a text that is not YAML (EINPUT), ENOMEM. */
dlc_status config_diff(const char *old_yaml, const char *new_yaml, int max, dlc_strlist *paths,
                       dlc_error *err);

/* Every valid key path, e.g. "train.optimizer.lr", "model.layers.*.units";
 * used for suggestions and by sweeps to validate keys.  NULL-terminated,
 * static. */
const char *const *config_key_paths(void);

/* Blocks (blocks.c) are expanded before the schema reads a config, so it has
 * no row for their keys.  A path (or pattern) under a block's definition,
 * model.blocks.B.layers.REST, is a model layer's, model.layers.REST: into
 * out, 1; 0 when path is not one.  config_block_use_key: 1 for the pattern
 * of a use's own key, model.layers.*.block, .repeat, .params or .params.P. */
int config_block_layer_path(const char *path, char *out, size_t size);
int config_block_use_key(const char *pattern);

#endif
