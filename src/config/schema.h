/* schema.h - the table of every config key (schema.c): its type, range and
 * default.  Public so that other readers of key paths (sweeps) validate
 * values exactly as the config loader does. */
#ifndef DLC_CONFIG_SCHEMA_H
#define DLC_CONFIG_SCHEMA_H

#include <stddef.h>

#include "config.h"
#include "yaml_tree.h"

typedef enum {
    K_SECTION,    /* a mapping of further keys */
    K_LAYERS,     /* model.layers: a list of layer mappings */
    K_HEADS,      /* model.outputs: a list of head mappings (or layer names) */
    K_LABELS,     /* data.label: a column, a list of them, or a mapping head -> columns */
    K_METRIC,     /* report.metric.optimize: "measure" or "head.measure" */
    K_SOURCES,    /* data.sources: a list of source mappings */
    K_INT,
    K_LONG,
    K_U64,
    K_DOUBLE,
    K_FLOAT,
    K_BOOL,
    K_ENUM,       /* a word from `names`, stored as int */
    K_STRING,     /* char[size] */
    K_RUN_NAME,   /* char[size], usable as a folder name */
    K_STRLIST,    /* dlc_strlist */
    K_SHAPE,      /* tensor_shape of positive dims; [] is ndim 0 */
    K_BATCH,      /* int >= 1 or `full` (0) */
    K_AUTO,       /* int >= 1 or `auto` (0): a size taken from the data */
    K_POINTS,     /* schedule_config: manual (epoch, lr) points */
    K_LAYER_TYPE, /* layer_spec.type and .op */
    K_LAYER_NAME, /* layer_spec.name */
    K_INPUTS,     /* layer_spec.inputs and .n_inputs */
    K_TARGET,     /* layer_spec.target and .target_ndim */
    K_SIZES,      /* layer_spec.sizes and .n_sizes: 2 to GRAPH_MAX_PIECES lengths, one may be -1 */
    K_INDEX,      /* int: a Python-style index (negative counts from the end), or null
                   * (GRAPH_SLICE_END: the end) */
    K_WINDOW,     /* layer_window: a positive integer, or a list of 1 to 3 */
    K_WINDOW0,    /* layer_window: an integer >= 0, or a list of 1 to 3 */
    K_PADDING,    /* layer_spec.padding and .pad: valid, same, an integer >= 0 or a list */
    K_RENAME,     /* init_from.rename: a mapping of names to names, a dlc_strlist of pairs */
    K_STYLE,      /* stylize.style: a mapping layer -> weight, or a list of layers (equal weights) */
    K_ANCHORS,    /* loss_opts.anchors and .n_anchors: a list of [w, h] pairs in (0, 1] */
    K_PERM        /* data_detection_config.flip and .n_flip: a permutation of 0 .. n-1 */
} config_kind;

typedef enum { BASE_NONE, BASE_CONFIG, BASE_LAYER, BASE_HEAD, BASE_SOURCE } config_base;

enum { R_LO = 1u, R_HI = 2u, R_LO_OPEN = 4u, R_HI_OPEN = 8u };

enum {
    F_NULLABLE = 1u,    /* null is allowed and stored as -1 */
    F_SCALAR_LIST = 2u, /* a single string means a one-item list */
    F_OP_KEY = 4u,      /* a layer key that only the ops listing it accept */
    F_COMPUTED = 8u,    /* the default depends on other values (see schema.c) */
    F_EMPTY_OK = 16u,   /* a list of strings may hold the empty string */
    F_LOSS_KEY = 32u,   /* an output key only the detection losses read (refused for others) */
    F_ACT_KEY = 64u     /* a layer key only activation hardsigmoid reads (refused for others,
                         * written for it alone) */
};

/* A cross-key check run after a section is converted; node is its mapping. */
typedef dlc_status (*config_check_fn)(const ynode *node, const char *path, dlc_config *c,
                                      dlc_error *err);

typedef struct {
    const char *path;          /* "train.optimizer.lr"; layers: "model.layers.*.units" */
    config_kind kind;
    config_base base;          /* the struct offset is relative to */
    size_t offset, size;
    const char *def;           /* default as YAML text; NULL: required (or F_COMPUTED) */
    double lo, hi;
    unsigned range;            /* R_* */
    const char *const *names;  /* K_ENUM */
    const char *shorthand;     /* K_SECTION: `key: word` means `key: {shorthand: word}` */
    config_check_fn check;     /* K_SECTION */
    unsigned flags;            /* F_* */
} config_key;

/* The table, in the order keys are written. */
const config_key *config_schema_rows(int *n);
/* The row for a path pattern (list indices as "*"), NULL if none. */
const config_key *config_schema_find(const char *pattern);
/* 1 when row k is a direct child of the section pattern parent ("" = root). */
int config_schema_is_child(const config_key *k, const char *parent);
/* The last component of a row's path. */
const char *config_schema_name(const config_key *k);
/* Names of the children of parent into names (NULL-terminated, at most
 * cap - 1 of them); returns the count. */
int config_schema_children(const char *parent, const char **names, int cap);
/* 1 when layer op `op` accepts the op-specific key (graph_ops[op].keys). */
int config_op_has_key(int op, const char *key);

/* Keras' or PyTorch's name for a key (path as written, "model.layers.0.kernel_size")
 * or for a value of the key at path ("loss", "categorical_crossentropy"):
 * "dlc's name: 'kernel'" (and why, when it differs) in buf, or NULL when the
 * name is not another library's.  src/config/foreign.c; sweeps use it too. */
const char *config_foreign_key(const char *path, char *buf, size_t size);
const char *config_foreign_value(const char *path, const char *value, char *buf, size_t size);
/* A key path that names a list item as Python does ("model.layers[0].units"):
 * the message giving it as dlc writes it ("model.layers.0.units") in buf, or
 * NULL when the path has no [N]. */
const char *config_bracket_key(const char *path, char *buf, size_t size);

#endif
