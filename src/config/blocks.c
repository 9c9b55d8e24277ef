/* blocks.c - repeated blocks of layers: define a block once under
 * model.blocks, use it in model.layers with parameters, any number of times.
 *
 *   model:
 *     blocks:
 *       basic:
 *         params: {filters: 64, stride: 1}      # defaults; null = must be given
 *         layers:
 *           - {name: conv1, type: conv2d, filters: $filters, kernel: 3, stride: $stride, padding: 1}
 *           - {name: bn1, type: batchnorm, activation: relu}
 *           - {name: conv2, type: conv2d, filters: $filters, kernel: 3, padding: 1}
 *           - {name: bn2, type: batchnorm}
 *           - {name: sum, type: add, inputs: [bn2, $input]}
 *           - {name: out, type: relu}
 *     layers:
 *       - {name: layer1, type: block, block: basic, repeat: 2, params: {filters: 64}}
 *
 * Expansion works on the YAML tree, after `--set` overrides and before the
 * schema reads it, so the expanded layers are checked like any others and
 * their messages point at the block's lines.  A use becomes copies of the
 * block's layers named <use>_<layer> (<use>_<k>_<layer> for repetition k
 * when repeat > 1); <use> is the item's name, or <block>_<n> for the n-th
 * unnamed use of that block.  In the copies a value `$p` becomes parameter
 * p, `$input` the layer feeding the block (the previous layer, or `input`, or
 * the one layer the use names in `inputs:`, which its first layer then reads),
 * and inputs/share naming a layer of the block name its copy.  The block's
 * last layer feeds whatever follows.  The resolved config lists the
 * expanded layers; model.blocks itself is gone by then.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_internal.h"

#define NAME_BUF 256

/* snprintf for names: a cut name is caught later by the schema's length
 * check, and going through vsnprintf keeps -Wformat-truncation quiet. */
static void namef(char *out, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void namef(char *out, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out, size, fmt, ap);
    va_end(ap);
}

static const char *scalar(const ynode *n)
{
    return n && n->kind == YN_SCALAR ? n->value : NULL;
}

/* The op name a layer item will get ("activation" for {type: relu}). */
static const char *item_op(const ynode *item)
{
    const char *t = item && item->kind == YN_MAP ? scalar(ynode_map_get(item, "type")) : NULL;
    if (!t)
        return NULL;
    int op = graph_op_find(t);
    if (op >= 0)
        return graph_ops[op].name;
    for (int i = 0; graph_act_names[i]; i++)
        if (strcmp(graph_act_names[i], t) == 0)
            return "activation";
    return NULL;
}

/* The name layer i of seq gets: its own, or the schema's default
 * "<op>_<count>" (count of layers of that op up to and including it).  When
 * it has none, writes the default into the tree so the expanded config
 * names the layer a block refers to. */
static dlc_status item_name(ynode *seq, int i, char *out, size_t size, dlc_error *err)
{
    ynode *item = seq->items[i];
    const char *own = item->kind == YN_MAP ? scalar(ynode_map_get(item, "name")) : NULL;
    if (own) {
        namef(out, size, "%s", own);
        return DLC_OK;
    }
    const char *op = item_op(item);
    if (!op) {
        namef(out, size, "layer_%d", i); /* an invalid layer: the schema will say why */
        return DLC_OK;
    }
    int count = 0;
    for (int j = 0; j <= i; j++) {
        const char *o = item_op(seq->items[j]);
        count += o && strcmp(o, op) == 0;
    }
    namef(out, size, "%s_%d", op, count);
    ynode *k = ynode_new_scalar("name", 1, item->origin, item->line);
    ynode *v = ynode_new_scalar(out, 1, item->origin, item->line);
    if (!k || !v || ynode_map_put(item, k, v, err) != DLC_OK) {
        ynode_free(k);
        ynode_free(v);
        return DLC_NOMEM(err);
    }
    return DLC_OK;
}

typedef struct {
    const ynode *def;      /* the block's mapping */
    const ynode *params;   /* its params mapping (may be NULL) */
    const ynode *given;    /* the use's params mapping (may be NULL) */
    const char *input;     /* the layer feeding this copy */
    const char *from;      /* the use's `inputs: [X]`: X feeds its first copy (NULL: the
                            * previous layer) */
    char prefix[NAME_BUF]; /* "<use>" or "<use>_<k>" */
    const char *use_path;  /* "model.layers.3" for messages */
    const ynode *use;      /* the use's mapping */
    dlc_index local;       /* the block's layer names (a scan per name was quadratic) */
} expansion;

/* 1 when name is a layer of the block, or a piece <split>_<k> of a split
 * layer of the block (the schema makes those later, named after the split's
 * copy). */
static int block_local(const expansion *x, const char *name)
{
    if (dlc_index_get(&x->local, name) >= 0)
        return 1;
    /* a split layer's pieces: <name>_<k> */
    const char *us = strrchr(name, '_');
    if (!us || us == name || !us[1] || strspn(us + 1, "0123456789") != strlen(us + 1))
        return 0;
    char base[NAME_BUF];
    size_t len = (size_t)(us - name);
    if (len >= sizeof base)
        return 0;
    memcpy(base, name, len);
    base[len] = '\0';
    int i = dlc_index_get(&x->local, base);
    if (i < 0)
        return 0;
    const ynode *layers = ynode_map_get(x->def, "layers");
    const char *t = scalar(ynode_map_get(layers->items[i], "type"));
    return t && strcmp(t, "split") == 0;
}

/* A deep copy of n with $-substitution; field: the key n is the value of. */
static ynode *copy(const expansion *x, const ynode *n, const char *field, dlc_error *err);

static ynode *copy_scalar(const expansion *x, const ynode *n, const char *field, dlc_error *err)
{
    char buf[NAME_BUF * 2];
    const char *v = n->value;
    if (v[0] == '$' && n->plain) {
        const char *p = v + 1;
        if (strcmp(p, "input") == 0)
            return ynode_new_scalar(x->input, 1, n->origin, n->line);
        const ynode *val = x->given ? ynode_map_get(x->given, p) : NULL;
        if (!val)
            val = x->params ? ynode_map_get(x->params, p) : NULL;
        if (!val || ynode_is_null(val)) {
            char path[512];
            dlc_fail(err, DLC_EINPUT, "%s:%d: %s: parameter '%s' %s (used by %s)", n->origin,
                     n->line, ynode_path(n, path, sizeof path), p,
                     val ? "has no default and is not given" : "is not a parameter of the block",
                     x->use_path);
            return NULL;
        }
        expansion plain = *x;
        plain.given = plain.params = NULL; /* a parameter's value is taken as written */
        return copy(&plain, val, NULL, err);
    }
    /* local layer names: the layer's own name, its inputs and share */
    if (field && (strcmp(field, "name") == 0 ||
                  ((strcmp(field, "inputs") == 0 || strcmp(field, "share") == 0) &&
                   block_local(x, v)))) {
        namef(buf, sizeof buf, "%s_%s", x->prefix, v);
        return ynode_new_scalar(buf, 1, n->origin, n->line);
    }
    ynode *c = ynode_new_scalar(v, n->plain, n->origin, n->line);
    if (c)
        c->col = n->col;
    return c;
}

static ynode *copy(const expansion *x, const ynode *n, const char *field, dlc_error *err)
{
    if (n->kind == YN_SCALAR) {
        ynode *c = copy_scalar(x, n, field, err);
        if (!c && err->status == DLC_OK)
            DLC_NOMEM(err);
        return c;
    }
    ynode *c = ynode_new(n->kind, n->origin, n->line);
    if (!c) {
        DLC_NOMEM(err);
        return NULL;
    }
    for (int i = 0; i < n->n; i++) {
        const char *f = n->kind == YN_MAP ? n->keys[i]->value : field; /* list items keep the key */
        ynode *v = copy(x, n->items[i], f, err);
        ynode *k = n->kind == YN_MAP ? ynode_new_scalar(n->keys[i]->value, n->keys[i]->plain,
                                                        n->keys[i]->origin, n->keys[i]->line)
                                     : NULL;
        dlc_status s = !v || (n->kind == YN_MAP && !k) ? DLC_ENOMEM
                       : n->kind == YN_MAP             ? ynode_map_put(c, k, v, err)
                                                       : ynode_seq_push(c, v, err);
        if (s != DLC_OK) {
            ynode_free(v);
            ynode_free(k);
            ynode_free(c);
            if (err->status == DLC_OK)
                DLC_NOMEM(err);
            return NULL;
        }
    }
    return c;
}

/* Checks a block definition: {params: mapping?, layers: non-empty list}. */
static dlc_status check_block(const ynode *name, const ynode *def, dlc_error *err)
{
    char path[512];
    if (def->kind != YN_MAP)
        return config_key_fail(err, def, ynode_path(def, path, sizeof path),
                               "a block is a mapping {params: {...}, layers: [...]}");
    for (int i = 0; i < def->n; i++)
        if (strcmp(def->keys[i]->value, "params") != 0 && strcmp(def->keys[i]->value, "layers") != 0)
            return config_key_fail(err, def->keys[i], ynode_path(def->items[i], path, sizeof path),
                                   "unknown key (a block has params and layers)");
    const ynode *params = ynode_map_get(def, "params");
    if (params && params->kind != YN_MAP && !ynode_is_null(params))
        return config_key_fail(err, params, ynode_path(params, path, sizeof path),
                               "expected a mapping of parameter names to default values");
    const ynode *layers = ynode_map_get(def, "layers");
    if (!layers || layers->kind != YN_SEQ || layers->n == 0)
        return config_key_fail(err, layers ? layers : def,
                               layers ? ynode_path(layers, path, sizeof path) : name->value,
                               "a block needs a non-empty list of layers");
    for (int i = 0; i < layers->n; i++) {
        const char *t = layers->items[i]->kind == YN_MAP
                            ? scalar(ynode_map_get(layers->items[i], "type"))
                            : NULL;
        if (t && strcmp(t, "block") == 0)
            return config_key_fail(err, layers->items[i],
                                   ynode_path(layers->items[i], path, sizeof path),
                                   "a block cannot use another block");
    }
    return DLC_OK;
}

/* Adds `inputs: [from]` to the layer item c. */
static dlc_status read_from(ynode *c, const char *from, dlc_error *err)
{
    ynode *k = ynode_new_scalar("inputs", 1, c->origin, c->line);
    ynode *v = ynode_new(YN_SEQ, c->origin, c->line);
    ynode *name = ynode_new_scalar(from, 1, c->origin, c->line);
    if (!k || !v || !name || ynode_seq_push(v, name, err) != DLC_OK) {
        ynode_free(k);
        ynode_free(v);
        ynode_free(name);
        return DLC_NOMEM(err);
    }
    if (ynode_map_put(c, k, v, err) != DLC_OK) {
        ynode_free(k);
        ynode_free(v);
        return err->status ? err->status : DLC_NOMEM(err);
    }
    return DLC_OK;
}

/* The repeat copies of a block's layers, appended to out. */
static dlc_status expand_copies(expansion *x, const ynode *layers, long repeat, const char *base,
                                ynode *out, dlc_error *err)
{
    char input[NAME_BUF];
    for (long r = 1; r <= repeat; r++) {
        dlc_status s;
        if (r == 1 && x->from)
            namef(input, sizeof input, "%s", x->from);
        else if (out->n == 0)
            namef(input, sizeof input, "input");
        else if ((s = item_name(out, out->n - 1, input, sizeof input, err)) != DLC_OK)
            return s;
        x->input = input;
        if (repeat > 1)
            namef(x->prefix, sizeof x->prefix, "%s_%ld", base, r);
        else
            namef(x->prefix, sizeof x->prefix, "%s", base);
        for (int i = 0; i < layers->n; i++) {
            ynode *c = copy(x, layers->items[i], NULL, err);
            if (!c)
                return err->status ? err->status : DLC_NOMEM(err);
            /* the first layer reads what the use names, not the layer before */
            if (r == 1 && i == 0 && x->from && c->kind == YN_MAP && !ynode_map_get(c, "inputs") &&
                (s = read_from(c, x->from, err)) != DLC_OK) {
                ynode_free(c);
                return s;
            }
            if ((s = ynode_seq_push(out, c, err)) != DLC_OK) {
                ynode_free(c);
                return s;
            }
        }
    }
    return DLC_OK;
}

/* Appends the expansion of use (a {type: block} item) to out. */
static dlc_status expand_use(ynode *use, const ynode *blocks, ynode *out, int *uses_of,
                             dlc_error *err)
{
    char path[512], sub[600];
    ynode_path(use, path, sizeof path);
    static const char *const keys[] = {"type", "block", "name", "repeat", "params", "inputs", NULL};
    for (int i = 0; i < use->n; i++) {
        int ok = 0;
        for (int k = 0; keys[k]; k++)
            ok |= strcmp(use->keys[i]->value, keys[k]) == 0;
        if (!ok) {
            namef(sub, sizeof sub, "%s.%s", path, use->keys[i]->value);
            return config_key_fail(err, use->keys[i], sub,
                                   "not a key of a block use (it has: block, name, repeat, params, inputs)");
        }
    }
    const ynode *bn = ynode_map_get(use, "block");
    const char *bname = scalar(bn);
    namef(sub, sizeof sub, "%s.block", path);
    if (!bname)
        return config_key_fail(err, bn ? bn : use, sub, "missing (the name of a block in model.blocks)");
    int bi = blocks ? ynode_map_find(blocks, bname) : -1;
    if (bi < 0) {
        const char *names[64];
        int n = 0;
        for (int i = 0; blocks && i < blocks->n && n < 63; i++)
            names[n++] = blocks->keys[i]->value;
        names[n] = NULL;
        const char *near = dlc_nearest(bname, names);
        return config_key_fail(err, bn, sub, "no block is named '%s' in model.blocks%s%s%s", bname,
                               near ? " (did you mean '" : "", near ? near : "", near ? "'?)" : "");
    }
    long repeat = 1;
    const ynode *rn = ynode_map_get(use, "repeat");
    if (rn && (!scalar(rn) || dlc_parse_long(rn->value, &repeat) != 0 || repeat < 1 || repeat > 1000)) {
        namef(sub, sizeof sub, "%s.repeat", path);
        return config_key_fail(err, rn, sub, "expected a positive integer");
    }
    const ynode *def = blocks->items[bi];
    expansion x = {.def = def, .params = ynode_map_get(def, "params"), .use_path = path, .use = use};
    /* inputs: [X] (or X): the layer feeding the block, as a Keras block called on X */
    const ynode *in = ynode_map_get(use, "inputs");
    if (in) {
        const ynode *one = in->kind == YN_SEQ && in->n == 1 ? in->items[0] : in;
        if (!scalar(one) || !one->value[0]) {
            namef(sub, sizeof sub, "%s.inputs", path);
            return config_key_fail(err, in, sub,
                                   "a block takes one input: the layer feeding it ($input), "
                                   "e.g. inputs: [input]");
        }
        x.from = one->value;
    }
    if (x.params && x.params->kind != YN_MAP)
        x.params = NULL;
    x.given = ynode_map_get(use, "params");
    if (x.given && x.given->kind != YN_MAP) {
        namef(sub, sizeof sub, "%s.params", path);
        return config_key_fail(err, x.given, sub, "expected a mapping of parameter values");
    }
    for (int i = 0; x.given && i < x.given->n; i++)
        if (!x.params || ynode_map_find(x.params, x.given->keys[i]->value) < 0) {
            namef(sub, sizeof sub, "%s.params.%s", path, x.given->keys[i]->value);
            return config_key_fail(err, x.given->keys[i], sub, "block '%s' has no parameter '%s'",
                                   bname, x.given->keys[i]->value);
        }
    char base[NAME_BUF];
    const char *own = scalar(ynode_map_get(use, "name"));
    uses_of[bi]++;
    if (own)
        namef(base, sizeof base, "%s", own);
    else
        namef(base, sizeof base, "%s_%d", bname, uses_of[bi]);
    const ynode *layers = ynode_map_get(def, "layers");
    if ((long)out->n + repeat * (long)layers->n > GRAPH_MAX_LAYERS)
        return config_key_fail(err, use, path, "expands the model past %d layers (%ld x %d more)",
                               GRAPH_MAX_LAYERS, repeat, layers->n);
    if (dlc_index_init(&x.local, (size_t)layers->n, err) != DLC_OK)
        return DLC_ENOMEM;
    for (int i = 0; i < layers->n; i++) {
        const char *n = layers->items[i]->kind == YN_MAP
                            ? scalar(ynode_map_get(layers->items[i], "name"))
                            : NULL;
        if (n)
            dlc_index_put(&x.local, n, i);
    }
    dlc_status st = expand_copies(&x, layers, repeat, base, out, err);
    dlc_index_free(&x.local);
    return st;
}

dlc_status config_expand_blocks(ynode *root, dlc_error *err)
{
    ynode *model = ynode_map_get(root, "model");
    if (!model || model->kind != YN_MAP)
        return DLC_OK;
    int bi = ynode_map_find(model, "blocks");
    ynode *blocks = bi >= 0 ? model->items[bi] : NULL;
    if (blocks && !ynode_is_null(blocks)) {
        if (blocks->kind != YN_MAP)
            return config_key_fail(err, blocks, "model.blocks",
                                   "expected a mapping of block names to blocks");
        if (blocks->n > 64)
            return config_key_fail(err, blocks, "model.blocks", "at most 64 blocks");
        for (int i = 0; i < blocks->n; i++) {
            dlc_status s = check_block(blocks->keys[i], blocks->items[i], err);
            if (s != DLC_OK)
                return s;
        }
    } else {
        blocks = NULL;
    }
    int li = ynode_map_find(model, "layers");
    ynode *layers = li >= 0 ? model->items[li] : NULL;
    int uses = 0;
    for (int i = 0; layers && layers->kind == YN_SEQ && i < layers->n; i++) {
        const ynode *it = layers->items[i];
        const char *t = it->kind == YN_MAP ? scalar(ynode_map_get(it, "type")) : NULL;
        uses += t && strcmp(t, "block") == 0;
    }
    if (uses == 0 && !blocks) {
        if (bi >= 0) /* `blocks:` left empty */
            goto drop_blocks;
        return DLC_OK;
    }
    if (uses > 0) {
        ynode *out = ynode_new(YN_SEQ, layers->origin, layers->line);
        int uses_of[64] = {0};
        if (!out)
            return DLC_NOMEM(err);
        for (int i = 0; i < layers->n; i++) {
            ynode *it = layers->items[i];
            const char *t = it->kind == YN_MAP ? scalar(ynode_map_get(it, "type")) : NULL;
            dlc_status s;
            if (t && strcmp(t, "block") == 0) {
                s = expand_use(it, blocks, out, uses_of, err);
            } else if ((s = ynode_seq_push(out, it, err)) == DLC_OK) {
                layers->items[i] = NULL; /* moved */
            }
            if (s != DLC_OK) {
                ynode_free(out);
                return s;
            }
        }
        out->parent = model;
        ynode_replace(model, li, out);
    }
drop_blocks:
    bi = ynode_map_find(model, "blocks");
    ynode_free(model->keys[bi]);
    ynode_free(model->items[bi]);
    memmove(model->keys + bi, model->keys + bi + 1, sizeof *model->keys * (size_t)(model->n - bi - 1));
    memmove(model->items + bi, model->items + bi + 1, sizeof *model->items * (size_t)(model->n - bi - 1));
    model->n--;
    return DLC_OK;
}

int config_block_layer_path(const char *path, char *out, size_t size)
{
    if (strncmp(path, "model.blocks.", 13) != 0)
        return 0;
    const char *b = strchr(path + 13, '.');
    if (!b || strncmp(b, ".layers.", 8) != 0)
        return 0;
    return snprintf(out, size, "model.layers.%s", b + 8) < (int)size;
}

int config_block_use_key(const char *pattern)
{
    if (strncmp(pattern, "model.layers.*.", 15) != 0)
        return 0;
    const char *k = pattern + 15;
    return strcmp(k, "block") == 0 || strcmp(k, "repeat") == 0 || strcmp(k, "params") == 0 ||
           (strncmp(k, "params.", 7) == 0 && !strchr(k + 7, '.'));
}
