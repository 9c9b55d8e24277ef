/* override.c - `--set key.path=value` applied to the YAML tree before it is
 * converted, so an overridden value is checked exactly like one in the file
 * and the resolved config records it.
 *
 * The value is YAML too (`--set model.input=[1,28,28]`), parsed without
 * lines: its nodes carry the override text as their origin, and messages
 * about them name the override instead of a file line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_internal.h"

#define PATH_BUF 512

/* A list index: digits only. -1 if comp is not one. */
static long parse_index(const char *comp)
{
    if (!*comp || strlen(comp) > 9)
        return -1;
    for (const char *p = comp; *p; p++)
        if (*p < '0' || *p > '9')
            return -1;
    return strtol(comp, NULL, 10);
}

static void append_comp(char *buf, size_t size, const char *comp)
{
    size_t len = strlen(buf);
    if (len < size)
        snprintf(buf + len, size - len, "%s%s", len ? "." : "", comp);
}

static dlc_status unknown_here(const char *origin, const char *path, const char *parent_pattern,
                               const char *key, dlc_error *err)
{
    const char *valid[48];
    char as[PATH_BUF];
    if (config_block_layer_path(parent_pattern, as, sizeof as)) /* a block's layer: a layer's keys */
        parent_pattern = as;
    config_schema_children(parent_pattern, valid, (int)DLC_ARRAY_LEN(valid));
    ynode at = {.origin = origin};
    char foreign[256];
    if (config_foreign_key(path, foreign, sizeof foreign))
        return config_key_fail(err, &at, path, "unknown key (%s)", foreign);
    const char *near = dlc_nearest(key, valid);
    if (near)
        return config_key_fail(err, &at, path, "unknown key (did you mean '%s'?)", near);
    if (!valid[0])
        return config_key_fail(err, &at, path, "unknown key");
    char list[512] = "";
    for (int i = 0; valid[i]; i++) {
        size_t len = strlen(list);
        snprintf(list + len, sizeof list - len, "%s%s", i ? ", " : "", valid[i]);
    }
    return config_key_fail(err, &at, path, "unknown key (valid here: %s)", list);
}

/* The item of list seq whose `name:` is name (model.layers.fc.units: Keras'
 * get_layer("fc"), as written in the file: a block is one item, named by its
 * own name), into *index; -1 when no item has a name at all (the caller then
 * asks for an index).  Two items of that name, or none among named ones, are
 * errors naming the names there are. */
static dlc_status item_named(const ynode *seq, const char *name, const char *origin,
                             const char *full, const char *done, long *index, dlc_error *err)
{
    ynode at = {.origin = origin};
    const char *names[64];
    int n_names = 0, named = 0;
    *index = -1;
    for (int k = 0; k < seq->n; k++) {
        const ynode *item = seq->items[k];
        const ynode *v = item->kind == YN_MAP ? ynode_map_get(item, "name") : NULL;
        if (!v || v->kind != YN_SCALAR)
            continue;
        named++;
        if (n_names < (int)DLC_ARRAY_LEN(names) - 1)
            names[n_names++] = v->value;
        if (strcmp(v->value, name) != 0)
            continue;
        if (*index >= 0)
            return config_key_fail(err, &at, full, "two items of '%s' are named '%s' (items %ld and %d): "
                                   "give the item's index", done, name, *index, k);
        *index = k;
    }
    if (*index >= 0 || !named)
        return DLC_OK;
    names[n_names] = NULL;
    const char *near = dlc_nearest(name, names);
    if (near)
        return config_key_fail(err, &at, full, "no item of '%s' is named '%s' (did you mean '%s'?)",
                               done, name, near);
    char list[300] = "";
    for (int k = 0; k < n_names && k < 8; k++) {
        size_t len = strlen(list);
        snprintf(list + len, sizeof list - len, "%s%s", k ? ", " : "", names[k]);
    }
    return config_key_fail(err, &at, full,
                           "no item of '%s' is named '%s' (its names: %s%s; or give an index, 0 the "
                           "first, -1 the last)",
                           done, name, list, named > 8 ? ", ..." : "");
}

/* 1 for the type of the map item (NULL: none) */
static int item_is_block_use(const ynode *item)
{
    const ynode *t = item && item->kind == YN_MAP ? ynode_map_get(item, "type") : NULL;
    return t && t->kind == YN_SCALAR && strcmp(t->value, "block") == 0;
}

/* 1 when key, new in map, belongs to the blocks (config/blocks.c), which are
 * expanded before the schema reads the config, so it has no row for them: a
 * use's repeat, params and any of its params (the block checks their names),
 * a block definition's params, and a key of a layer in a block's definition
 * that a model layer may have (pattern model.blocks.B.layers.*.KEY). */
static int block_new_key(const ynode *map, const char *pattern, const char *key)
{
    if (item_is_block_use(map))
        return strcmp(key, "repeat") == 0 || strcmp(key, "params") == 0;
    const ynode *up = map->parent;
    if (up && item_is_block_use(up) && ynode_map_get(up, "params") == map)
        return 1;
    if (strncmp(pattern, "model.blocks.", 13) != 0)
        return 0;
    const char *b = strchr(pattern + 13, '.');
    if (b && strncmp(b, ".params.", 8) == 0 && !strchr(b + 8, '.'))
        return 1;
    char as[PATH_BUF];
    return config_block_layer_path(pattern, as, sizeof as) && config_schema_find(as) != NULL;
}

dlc_status config_apply_override(ynode *root, const char *origin, const char *text,
                                 dlc_error *err)
{
    dlc_status s = DLC_OK;
    char *path = NULL;
    ynode *val = NULL;
    ynode at = {.origin = origin}; /* where messages point: the override itself */

    const char *eq = strchr(text, '=');
    if (!eq || eq == text) {
        s = dlc_fail(err, DLC_EINPUT, "%s: expected key.path=value", origin);
        goto cleanup;
    }
    path = strndup(text, (size_t)(eq - text));
    if (!path) {
        s = DLC_NOMEM(err);
        goto cleanup;
    }
    char bracket[600];
    if (config_bracket_key(path, bracket, sizeof bracket)) {
        s = config_key_fail(err, &at, path, "unknown key (%s)", bracket);
        goto cleanup;
    }
    s = ytree_parse(&val, origin, eq + 1, strlen(eq + 1), 0, err);
    if (s != DLC_OK)
        goto cleanup;
    if (!val && !(val = ynode_new_scalar("", 1, origin, 0))) { /* `key=` sets null */
        s = DLC_NOMEM(err);
        goto cleanup;
    }

    char pattern[PATH_BUF] = "", done[PATH_BUF] = "";
    ynode *cur = root;
    char *comp = path;
    for (;;) {
        char *dot = strchr(comp, '.');
        if (dot)
            *dot = '\0';
        int last = !dot;
        if (!*comp) {
            s = dlc_fail(err, DLC_EINPUT, "%s: empty key in the path", origin);
            goto cleanup;
        }

        if (cur->kind == YN_SCALAR) {
            /* `optimizer: sgd` then `train.optimizer.lr=...`: expand the
             * shorthand; a null section becomes an empty one */
            const config_key *k = config_schema_find(pattern);
            int section = k && k->kind == K_SECTION;
            if (section && (k->shorthand || ynode_is_null(cur))) {
                if (ynode_expand_shorthand(cur, k->shorthand ? k->shorthand : "", err) != DLC_OK) {
                    s = DLC_ENOMEM;
                    goto cleanup;
                }
            } else {
                char full[PATH_BUF];
                dlc_strlcpy(full, done, sizeof full);
                append_comp(full, sizeof full, comp);
                s = config_key_fail(err, &at, full, "'%s' is a single value, not a mapping or list",
                                    done);
                goto cleanup;
            }
        }

        if (cur->kind == YN_SEQ) {
            char full[PATH_BUF];
            dlc_strlcpy(full, done, sizeof full);
            append_comp(full, sizeof full, comp);
            /* -K counts from the end, as Python's [-1] (model.layers.-1.units: the last
             * item of the list as written, a block one item) */
            const int from_end = comp[0] == '-';
            long i = parse_index(comp + from_end);
            int by_name = 0;
            if (i < 0 && !from_end) {
                s = item_named(cur, comp, origin, full, done, &i, err);
                if (s != DLC_OK)
                    goto cleanup;
                by_name = 1;
            }
            if (i < 0 || (from_end && i == 0)) {
                s = config_key_fail(err, &at, full,
                                    "'%s' is a list: expected an item index (0 the first, -1 "
                                    "the last)", done);
                goto cleanup;
            }
            if (i >= cur->n + from_end) {
                s = config_key_fail(err, &at, full,
                                    "index %s is out of range ('%s' has %d item%s)", comp, done,
                                    cur->n, cur->n == 1 ? "" : "s");
                goto cleanup;
            }
            if (from_end) /* later messages name the item by its index */
                i = cur->n - i;
            if (from_end || by_name) {
                char at_i[24];
                snprintf(at_i, sizeof at_i, "%ld", i);
                dlc_strlcpy(full, done, sizeof full);
                append_comp(full, sizeof full, at_i);
            }
            append_comp(pattern, sizeof pattern, "*");
            dlc_strlcpy(done, full, sizeof done);
            if (last) {
                ynode_replace(cur, (int)i, val);
                val = NULL;
                break;
            }
            cur = cur->items[i];
        } else {
            char parent[PATH_BUF];
            dlc_strlcpy(parent, pattern, sizeof parent);
            append_comp(pattern, sizeof pattern, comp);
            append_comp(done, sizeof done, comp);
            int i = ynode_map_find(cur, comp);
            if (i >= 0) {
                if (last) {
                    ynode_replace(cur, i, val);
                    val = NULL;
                    break;
                }
                cur = cur->items[i];
            } else {
                /* a new key: only one the schema knows, or one of the blocks' */
                if (!config_schema_find(pattern) && !block_new_key(cur, pattern, comp)) {
                    s = unknown_here(origin, done, parent, comp, err);
                    goto cleanup;
                }
                ynode *key = ynode_new_scalar(comp, 0, origin, 0);
                ynode *child = last ? val : ynode_new(YN_MAP, origin, 0);
                if (!key || !child || ynode_map_put(cur, key, child, err) != DLC_OK) {
                    ynode_free(key);
                    if (child != val)
                        ynode_free(child);
                    s = DLC_NOMEM(err);
                    goto cleanup;
                }
                if (last) {
                    val = NULL;
                    break;
                }
                cur = child;
            }
        }
        comp = dot + 1;
    }

cleanup:
    ynode_free(val);
    free(path);
    return s;
}
