/* yaml_tree.c - libyaml events -> a tree of nodes that remember their line.
 *
 * The tree is deliberately smaller than YAML: one document, string scalars,
 * mappings with scalar keys, lists.  Anchors and aliases are refused rather
 * than expanded: expanding them lets a few hundred bytes describe an
 * exponentially large tree ("billion laughs"), and a config gains little from
 * them.  Duplicate keys are refused here, where the event order still tells
 * which came first.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "config_internal.h"

ynode *ynode_new(ynode_kind kind, const char *origin, int line)
{
    ynode *n = calloc(1, sizeof *n);
    if (!n)
        return NULL;
    n->kind = kind;
    n->origin = origin;
    n->line = line;
    return n;
}

ynode *ynode_new_scalar(const char *text, int plain, const char *origin, int line)
{
    ynode *n = ynode_new(YN_SCALAR, origin, line);
    if (!n)
        return NULL;
    n->value = strdup(text);
    if (!n->value) {
        free(n);
        return NULL;
    }
    n->plain = plain;
    return n;
}

void ynode_free(ynode *n)
{
    if (!n)
        return;
    for (int i = 0; i < n->n; i++) {
        if (n->keys)
            ynode_free(n->keys[i]);
        ynode_free(n->items[i]);
    }
    free(n->keys);
    free(n->items);
    free(n->value);
    free(n);
}

/* Room for one more child. */
static dlc_status ynode_reserve(ynode *n, dlc_error *err)
{
    if (n->n < n->cap)
        return DLC_OK;
    int cap = n->cap ? 2 * n->cap : 4;
    ynode **items = realloc(n->items, sizeof *items * (size_t)cap);
    if (!items)
        return DLC_NOMEM(err);
    n->items = items;
    if (n->kind == YN_MAP) {
        ynode **keys = realloc(n->keys, sizeof *keys * (size_t)cap);
        if (!keys)
            return DLC_NOMEM(err);
        n->keys = keys;
    }
    n->cap = cap;
    return DLC_OK;
}

dlc_status ynode_map_put(ynode *map, ynode *key, ynode *val, dlc_error *err)
{
    if (ynode_reserve(map, err) != DLC_OK)
        return DLC_ENOMEM;
    map->keys[map->n] = key;
    map->items[map->n] = val;
    map->n++;
    key->parent = map;
    val->parent = map;
    return DLC_OK;
}

dlc_status ynode_seq_push(ynode *seq, ynode *item, dlc_error *err)
{
    if (ynode_reserve(seq, err) != DLC_OK)
        return DLC_ENOMEM;
    seq->items[seq->n++] = item;
    item->parent = seq;
    return DLC_OK;
}

void ynode_replace(ynode *parent, int i, ynode *val)
{
    ynode_free(parent->items[i]);
    parent->items[i] = val;
    val->parent = parent;
}

int ynode_map_find(const ynode *map, const char *key)
{
    if (!map || map->kind != YN_MAP)
        return -1;
    for (int i = 0; i < map->n; i++)
        if (strcmp(map->keys[i]->value, key) == 0)
            return i;
    return -1;
}

ynode *ynode_map_get(const ynode *map, const char *key)
{
    int i = ynode_map_find(map, key);
    return i < 0 ? NULL : map->items[i];
}

dlc_status ynode_expand_shorthand(ynode *n, const char *key, dlc_error *err)
{
    if (ynode_is_null(n)) {
        free(n->value);
        n->value = NULL;
        n->plain = 0;
        n->kind = YN_MAP;
        return DLC_OK;
    }
    ynode *k = ynode_new_scalar(key, 0, n->origin, n->line);
    ynode *v = ynode_new(YN_SCALAR, n->origin, n->line);
    if (!k || !v) {
        ynode_free(k);
        ynode_free(v);
        return DLC_NOMEM(err);
    }
    v->col = n->col;
    v->plain = n->plain;
    v->value = n->value; /* moves into the new value node */
    n->value = NULL;
    n->plain = 0;
    n->kind = YN_MAP;
    if (ynode_map_put(n, k, v, err) != DLC_OK) {
        /* undo, so the tree stays well-formed for ynode_free */
        n->kind = YN_SCALAR;
        n->value = v->value;
        v->value = NULL;
        ynode_free(k);
        ynode_free(v);
        return DLC_ENOMEM;
    }
    return DLC_OK;
}

int ynode_from_set(const ynode *n)
{
    return n && n->origin && strncmp(n->origin, "--set ", 6) == 0;
}

int ynode_is_null(const ynode *n)
{
    if (!n || n->kind != YN_SCALAR || !n->plain)
        return 0;
    const char *v = n->value;
    return !v[0] || strcmp(v, "~") == 0 || strcmp(v, "null") == 0 || strcmp(v, "Null") == 0 ||
           strcmp(v, "NULL") == 0;
}

static size_t path_into(const ynode *n, char *buf, size_t size)
{
    const ynode *p = n->parent;
    if (!p)
        return 0;
    size_t len = path_into(p, buf, size);
    int i = 0;
    while (i < p->n && p->items[i] != n)
        i++;
    const char *sep = len ? "." : "";
    int w;
    if (p->kind == YN_MAP && i < p->n)
        w = snprintf(buf + len, size - len, "%s%s", sep, p->keys[i]->value);
    else
        w = snprintf(buf + len, size - len, "%s%d", sep, i);
    if (w < 0)
        return len;
    len += (size_t)w;
    return len < size ? len : size - 1;
}

const char *ynode_path(const ynode *n, char *buf, size_t size)
{
    buf[0] = '\0';
    path_into(n, buf, size);
    return buf;
}

dlc_status config_key_fail(dlc_error *err, const ynode *at, const char *path, const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    const char *origin = at && at->origin ? at->origin : "config";
    if (at && at->line > 0)
        return dlc_fail(err, DLC_EINPUT, "%s:%d: key '%s': %s", origin, at->line, path, msg);
    return dlc_fail(err, DLC_EINPUT, "%s: key '%s': %s", origin, path, msg);
}

/* ---- the event loop ---- */

typedef struct {
    const char *origin;
    const char *text;
    size_t len;
    int with_lines;
    dlc_error *err;
    ynode *root;
    int depth;
    ynode *open[YTREE_MAX_DEPTH]; /* open maps and lists, innermost last */
    ynode *key[YTREE_MAX_DEPTH];  /* a map's key waiting for its value (owned) */
} builder;

static dlc_status parse_fail(builder *b, const yaml_mark_t *m, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static dlc_status parse_fail(builder *b, const yaml_mark_t *m, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (b->with_lines)
        return dlc_fail(b->err, DLC_EINPUT, "%s:%zu:%zu: %s", b->origin, m->line + 1,
                        m->column + 1, msg);
    return dlc_fail(b->err, DLC_EINPUT, "%s: %s", b->origin, msg);
}

static dlc_status syntax_error(builder *b, const yaml_parser_t *p)
{
    if (p->error == YAML_MEMORY_ERROR)
        return DLC_NOMEM(b->err);
    yaml_mark_t m = p->problem_mark;
    if (p->error == YAML_READER_ERROR) {
        /* reader errors carry a byte offset, not a mark */
        size_t off = p->problem_offset < b->len ? p->problem_offset : b->len;
        m.line = 0;
        m.column = 0;
        m.index = off;
        for (size_t i = 0; i < off; i++) {
            if (b->text[i] == '\n') {
                m.line++;
                m.column = 0;
            } else {
                m.column++;
            }
        }
    }
    const char *problem = p->problem ? p->problem : "unknown problem";
    const char *hint = "";
    if (m.index < b->len && b->text[m.index] == '\t')
        hint = " (YAML indents with spaces, not tabs)";
    if (p->context)
        return parse_fail(b, &m, "YAML syntax error: %s %s%s", problem, p->context, hint);
    return parse_fail(b, &m, "YAML syntax error: %s%s", problem, hint);
}

/* Attaches a finished (or just opened) node to the innermost open container.
 * Takes ownership of n in every case. */
static dlc_status attach(builder *b, ynode *n, const yaml_mark_t *m)
{
    if (b->depth == 0) {
        b->root = n;
        return DLC_OK;
    }
    ynode *top = b->open[b->depth - 1];
    if (top->kind == YN_SEQ) {
        if (ynode_seq_push(top, n, b->err) != DLC_OK) {
            ynode_free(n);
            return DLC_ENOMEM;
        }
        return DLC_OK;
    }
    ynode *key = b->key[b->depth - 1];
    if (!key) {
        if (n->kind != YN_SCALAR) {
            const char *what = n->kind == YN_MAP ? "mapping" : "list";
            ynode_free(n);
            return parse_fail(b, m, "a mapping key must be a plain word, not a %s", what);
        }
        int i = ynode_map_find(top, n->value);
        if (i >= 0) {
            char path[512];
            size_t pl = strlen(ynode_path(top, path, sizeof path));
            snprintf(path + pl, sizeof path - pl, "%s%s", pl ? "." : "", n->value);
            dlc_status s;
            if (top->keys[i]->line > 0)
                s = config_key_fail(b->err, n, path, "duplicate key (first at line %d)",
                                    top->keys[i]->line);
            else
                s = config_key_fail(b->err, n, path, "duplicate key");
            ynode_free(n);
            return s;
        }
        b->key[b->depth - 1] = n;
        return DLC_OK;
    }
    if (ynode_map_put(top, key, n, b->err) != DLC_OK) {
        ynode_free(n);
        return DLC_ENOMEM; /* key stays in b->key and is freed by the caller */
    }
    b->key[b->depth - 1] = NULL;
    return DLC_OK;
}

static dlc_status check_node_props(builder *b, const yaml_event_t *ev, const yaml_char_t *anchor,
                                   const yaml_char_t *tag, const char *allowed_tag)
{
    if (anchor)
        return parse_fail(b, &ev->start_mark,
                          "YAML anchors (&%.40s) and aliases are not supported: write the "
                          "value out",
                          (const char *)anchor);
    if (tag && strcmp((const char *)tag, allowed_tag) != 0)
        return parse_fail(b, &ev->start_mark, "YAML tags (%.60s) are not supported",
                          (const char *)tag);
    return DLC_OK;
}

static dlc_status on_event(builder *b, const yaml_event_t *ev, int *docs)
{
    int line = b->with_lines ? (int)ev->start_mark.line + 1 : 0;
    int col = b->with_lines ? (int)ev->start_mark.column + 1 : 0;
    ynode *n;
    dlc_status s;
    switch (ev->type) {
    case YAML_DOCUMENT_START_EVENT:
        if (++*docs > 1)
            return parse_fail(b, &ev->start_mark,
                              "a config is one YAML document; found a second one");
        return DLC_OK;
    case YAML_ALIAS_EVENT:
        return parse_fail(b, &ev->start_mark,
                          "YAML aliases (*%.40s) and anchors are not supported: write the "
                          "value out",
                          (const char *)ev->data.alias.anchor);
    case YAML_SCALAR_EVENT:
        s = check_node_props(b, ev, ev->data.scalar.anchor, ev->data.scalar.tag, YAML_STR_TAG);
        if (s != DLC_OK)
            return s;
        if (strlen((const char *)ev->data.scalar.value) != ev->data.scalar.length)
            return parse_fail(b, &ev->start_mark, "a NUL character in a value is not supported");
        n = ynode_new_scalar((const char *)ev->data.scalar.value,
                             ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
                                 !ev->data.scalar.tag,
                             b->origin, line);
        if (!n)
            return DLC_NOMEM(b->err);
        n->col = col;
        return attach(b, n, &ev->start_mark);
    case YAML_SEQUENCE_START_EVENT:
    case YAML_MAPPING_START_EVENT: {
        int map = ev->type == YAML_MAPPING_START_EVENT;
        s = map ? check_node_props(b, ev, ev->data.mapping_start.anchor,
                                   ev->data.mapping_start.tag, YAML_MAP_TAG)
                : check_node_props(b, ev, ev->data.sequence_start.anchor,
                                   ev->data.sequence_start.tag, YAML_SEQ_TAG);
        if (s != DLC_OK)
            return s;
        if (b->depth == YTREE_MAX_DEPTH)
            return parse_fail(b, &ev->start_mark, "nesting deeper than %d levels",
                              YTREE_MAX_DEPTH);
        n = ynode_new(map ? YN_MAP : YN_SEQ, b->origin, line);
        if (!n)
            return DLC_NOMEM(b->err);
        n->col = col;
        s = attach(b, n, &ev->start_mark);
        if (s != DLC_OK)
            return s;
        b->open[b->depth] = n;
        b->key[b->depth] = NULL;
        b->depth++;
        return DLC_OK;
    }
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT:
        if (b->depth > 0) {
            b->depth--;
            ynode_free(b->key[b->depth]); /* NULL unless the events were malformed */
            b->key[b->depth] = NULL;
        }
        return DLC_OK;
    default:
        return DLC_OK;
    }
}

dlc_status ytree_parse(ynode **out, const char *origin, const char *text, size_t len,
                       int with_lines, dlc_error *err)
{
    builder b;
    memset(&b, 0, sizeof b);
    b.origin = origin;
    b.text = text;
    b.len = len;
    b.with_lines = with_lines;
    b.err = err;
    *out = NULL;

    yaml_parser_t p;
    if (!yaml_parser_initialize(&p))
        return DLC_NOMEM(err);
    yaml_parser_set_input_string(&p, (const unsigned char *)text, len);

    dlc_status s = DLC_OK;
    int docs = 0;
    for (;;) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&p, &ev)) {
            s = syntax_error(&b, &p);
            goto cleanup;
        }
        int done = ev.type == YAML_STREAM_END_EVENT;
        s = on_event(&b, &ev, &docs);
        yaml_event_delete(&ev);
        if (s != DLC_OK)
            goto cleanup;
        if (done)
            break;
    }
    *out = b.root;
    b.root = NULL;

cleanup:
    for (int i = 0; i < b.depth; i++)
        ynode_free(b.key[i]);
    ynode_free(b.root);
    yaml_parser_delete(&p);
    return s;
}
