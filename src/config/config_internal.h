/* config_internal.h - private to src/config: the YAML node tree, the schema
 * row type, and the steps config_load chains together:
 *
 *   ytree_parse (yaml_tree.c)            text -> tree of ynode with lines
 *   config_apply_override (override.c)   `--set a.b=v` edits the tree
 *   config_schema_convert (schema.c)     tree -> dlc_config, every default filled
 *   config_to_yaml (config.c)            dlc_config -> text, walking the same table
 */
#ifndef DLC_CONFIG_INTERNAL_H
#define DLC_CONFIG_INTERNAL_H

#include <stddef.h>

#include "config.h"

/* ---- the YAML tree (yaml_tree.c) ---- */

typedef enum { YN_SCALAR, YN_MAP, YN_SEQ } ynode_kind;

typedef struct ynode ynode;
struct ynode {
    ynode_kind kind;
    const char *origin; /* borrowed: the file name, or "--set k=v" for override values */
    int line, col;      /* 1-based; 0 when the node has no line of its own (overrides) */
    ynode *parent;      /* borrowed; NULL for the root */
    char *value;        /* scalar text, NUL-free; NULL for maps and lists */
    int plain;          /* unquoted, untagged scalar: may read as a number, bool or null */
    int n, cap;
    ynode **keys;       /* map: the key scalars (n) */
    ynode **items;      /* map: the values (n); list: the items (n) */
};

/* Nesting deeper than this is refused: configs are a few levels deep, and
 * the tree code may then recurse without fear of the stack. */
#define YTREE_MAX_DEPTH 64

/* Parses one YAML document into a tree (*out NULL for an empty stream).
 * Anchors, aliases, tags other than !!str, several documents and duplicate
 * keys are refused.  with_lines 0: nodes get line 0 and syntax errors omit
 * line:col (override values, where origin already says everything).
 * Errors: "origin:line:col: YAML syntax error: ..." (EINPUT), ENOMEM. */
dlc_status ytree_parse(ynode **out, const char *origin, const char *text, size_t len,
                       int with_lines, dlc_error *err);
void ynode_free(ynode *n);

/* New nodes (NULL when out of memory).  text is copied. */
ynode *ynode_new(ynode_kind kind, const char *origin, int line);
ynode *ynode_new_scalar(const char *text, int plain, const char *origin, int line);

/* Map lookups: index of key (-1 if absent) and its value (NULL if absent). */
int ynode_map_find(const ynode *map, const char *key);
ynode *ynode_map_get(const ynode *map, const char *key);
/* Appends key: val to map, or item to a list.  Takes ownership on success
 * only; on failure the caller still owns the nodes. */
dlc_status ynode_map_put(ynode *map, ynode *key, ynode *val, dlc_error *err);
dlc_status ynode_seq_push(ynode *seq, ynode *item, dlc_error *err);
/* Frees child i of a map or list and puts val there (ownership taken). */
void ynode_replace(ynode *parent, int i, ynode *val);
/* Turns scalar n into the map {key: n's text} (a section shorthand such as
 * `optimizer: sgd`), or into an empty map when n is null. */
dlc_status ynode_expand_shorthand(ynode *n, const char *key, dlc_error *err);

/* 1 for a plain ~, null, Null, NULL or empty scalar. */
int ynode_is_null(const ynode *n);
/* Dotted path from the root ("model.layers.2.units") into buf. */
const char *ynode_path(const ynode *n, char *buf, size_t size);

/* "origin:line: key 'path': message" (or "origin: key ..." without a line);
 * at may be NULL.  Returns DLC_EINPUT. */
dlc_status config_key_fail(dlc_error *err, const ynode *at, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* ---- the schema table (schema.c) ---- */

typedef enum {
    K_SECTION,    /* a mapping of further keys */
    K_LAYERS,     /* model.layers: a list of layer mappings */
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
    K_WINDOW,     /* layer_window: a positive integer, or a list of 1 to 3 */
    K_PADDING     /* layer_spec.padding and .pad: valid, same, an integer >= 0 or a list */
} config_kind;

typedef enum { BASE_NONE, BASE_CONFIG, BASE_LAYER } config_base;

enum { R_LO = 1u, R_HI = 2u, R_LO_OPEN = 4u, R_HI_OPEN = 8u };

enum {
    F_NULLABLE = 1u,    /* null is allowed and stored as -1 */
    F_SCALAR_LIST = 2u, /* a single string means a one-item list */
    F_OP_KEY = 4u,      /* a layer key that only the ops listing it accept */
    F_COMPUTED = 8u     /* the default depends on other values (see schema.c) */
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

/* 1 when the top-level section `key` belongs in c: an embed config (c->embed.on)
 * has no model, loss, train or report; a model config no embed. */
int config_section_applies(const dlc_config *c, const char *key);

/* Fills c (zeroed by the caller) from root.  default_name: the run name when
 * the config has none.  Errors are EINPUT "file:line: key 'a.b': ..." */
dlc_status config_schema_convert(dlc_config *c, ynode *root, const char *default_name,
                                 dlc_error *err);

/* ---- repeated blocks (blocks.c) ---- */

/* Replaces each {type: block} item of model.layers by the layers of the
 * block it names (model.blocks), substituting parameters, and removes
 * model.blocks.  Errors are EINPUT "file:line: key 'path': ...". */
dlc_status config_expand_blocks(ynode *root, dlc_error *err);

/* ---- overrides (override.c) ---- */

/* Applies text "key.path=value" to root.  origin ("--set key.path=value") is
 * borrowed by the new nodes and names the override in messages. */
dlc_status config_apply_override(ynode *root, const char *origin, const char *text,
                                 dlc_error *err);

#endif
