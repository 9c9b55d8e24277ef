/* yaml_tree.h - the YAML node tree config files are read into: every node
 * remembers its file and line, so any later check can name them.  Public
 * to src/config and to the modules that read YAML of their own with the
 * same rules and messages (sweep files). */
#ifndef DLC_CONFIG_YAML_TREE_H
#define DLC_CONFIG_YAML_TREE_H

#include <stddef.h>

#include "../base/error.h"

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
/* 1 for a value a --set gave (its origin names the override), 0 for the
 * file's (or NULL) */
int ynode_from_set(const ynode *n);
/* Dotted path from the root ("model.layers.2.units") into buf. */
const char *ynode_path(const ynode *n, char *buf, size_t size);

/* "origin:line: key 'path': message" (or "origin: key ..." without a line);
 * at may be NULL.  Returns DLC_EINPUT. */
dlc_status config_key_fail(dlc_error *err, const ynode *at, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
