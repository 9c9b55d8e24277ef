/* config.c - config_load (file or text -> tree -> overrides -> dlc_config),
 * config_free, and config_to_yaml, which writes the resolved config by
 * walking the same schema table the loader reads. */
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../io/io.h"
#include "config_internal.h"

void config_free(dlc_config *c)
{
    if (!c)
        return;
    dlc_strlist_clear(&c->data.classes);
    for (int i = 0; i < c->data.n_labels && i < DATA_MAX_HEADS; i++)
        dlc_strlist_clear(&c->data.labels[i].columns);
    dlc_strlist_clear(&c->data.unknown_label);
    dlc_strlist_clear(&c->data.features);
    dlc_strlist_clear(&c->data.exclude);
    dlc_strlist_clear(&c->data.categorical);
    dlc_strlist_clear(&c->data.subset_classes);
    dlc_strlist_clear(&c->data.augment.sources);
    for (int i = 0; i < DATA_CLASS_SPLITS; i++)
        dlc_strlist_clear(&c->data.class_split[i]);
    dlc_strlist_clear(&c->init.layers);
    dlc_strlist_clear(&c->init.exclude);
    dlc_strlist_clear(&c->train.no_decay);
    dlc_strlist_clear(&c->init.rename);
    free(c->layers);
    memset(c, 0, sizeof *c);
}

/* "configs/mnist.yaml" -> "mnist" */
static void name_from_path(char *out, size_t size, const char *path)
{
    dlc_path_stem(out, size, path);
    if (!out[0] || strcmp(out, ".") == 0 || strcmp(out, "..") == 0)
        dlc_strlcpy(out, "config", size);
}

static void map_remove(ynode *map, const char *key)
{
    int i = ynode_map_find(map, key);
    if (i < 0)
        return;
    ynode_free(map->keys[i]);
    ynode_free(map->items[i]);
    map->n--;
    memmove(map->keys + i, map->keys + i + 1, sizeof *map->keys * (size_t)(map->n - i));
    memmove(map->items + i, map->items + i + 1, sizeof *map->items * (size_t)(map->n - i));
}

/* init_from.run's text in the tree (a copy; NULL when there is none) */
static char *init_run_text(const ynode *root)
{
    const ynode *in = ynode_map_get(root, "init_from");
    const ynode *run = in && in->kind == YN_MAP ? ynode_map_get(in, "run") : NULL;
    return run && run->kind == YN_SCALAR && run->value ? strdup(run->value) : NULL;
}

/* The run folder a config without a model: section takes its network from:
 * init_from.run as the file or a --set gives it last; NULL when there is
 * none (points into root or overrides). */
static const char *model_source(const ynode *root, const char *const *overrides, int n_overrides)
{
    if (ynode_map_find(root, "model") >= 0)
        return NULL;
    const ynode *in = ynode_map_get(root, "init_from");
    const ynode *run = in && in->kind == YN_MAP ? ynode_map_get(in, "run") : NULL;
    const char *dir = run && run->kind == YN_SCALAR ? run->value : NULL;
    for (int i = 0; i < n_overrides; i++)
        if (overrides[i] && strncmp(overrides[i], "init_from.run=", 14) == 0)
            dir = overrides[i] + 14;
    return dir && dir[0] ? dir : NULL;
}

/* A config with no model: section takes the network of init_from.run: a
 * run folder's config.yaml's model:, or a model file's embedded config's (a
 * stylize config on an imported VGG, or fine-tuning on the source's classes,
 * names no layer itself).  A folder without config.yaml, or a file with no
 * embedded config (initial weights a script wrote), is an error saying so. */
static dlc_status model_from_source(ynode *root, const char *dir, dlc_strlist *origins, dlc_error *err)
{
    char path[PATH_MAX];
    char *text = NULL;
    size_t len = 0;
    ynode *src = NULL;
    struct stat sb;
    dlc_status s = DLC_OK;
    if (stat(dir, &sb) == 0 && S_ISREG(sb.st_mode)) {
        /* a model file: its header's config (dlc predict reads the same) */
        if ((s = io_safetensors_read_meta(dir, "config", &text, err)) != DLC_OK) {
            dlc_error_prefix(err, "%s:%d: key 'model': missing (required), and init_from.run "
                             "has no network to give", root->origin, root->line);
            return s;
        }
        if (!text)
            return dlc_fail(err, DLC_EINPUT,
                            "%s:%d: key 'model': missing (required); init_from.run '%.200s' is a "
                            "model file without its network's config (weights alone, as a script "
                            "writes them): give model:, or name a run folder or a model file dlc "
                            "train wrote", root->origin, root->line, dir);
        len = strlen(text);
        snprintf(path, sizeof path, "%.*s (embedded config)", PATH_MAX - 20, dir);
    } else if (dlc_pathf(path, sizeof path, "%s/config.yaml", dir) || access(path, F_OK) != 0) {
        return dlc_fail(err, DLC_EINPUT,
                        "%s:%d: key 'model': missing (required); init_from.run '%.200s' is no run "
                        "folder (with a config.yaml) or model file to take the network from: name "
                        "one, or give model:", root->origin, root->line, dir);
    } else {
        s = dlc_read_file(path, &text, &len, err);
    }
    if (s == DLC_OK && (s = dlc_strlist_push(origins, path, err)) == DLC_OK)
        s = ytree_parse(&src, origins->v[origins->n - 1], text, len, 1, err);
    int i = s == DLC_OK && src ? ynode_map_find(src, "model") : -1;
    if (s == DLC_OK && i < 0)
        s = dlc_fail(err, DLC_EINPUT, "%s: no model: section to take the network from "
                     "(init_from.run, as this config has none)", path);
    if (s == DLC_OK && (s = ynode_map_put(root, src->keys[i], src->items[i], err)) == DLC_OK)
        src->keys[i] = src->items[i] = NULL; /* root's now */
    ynode_free(src);
    free(text);
    return s;
}

/* A run's config.yaml records the SHA-256 of the source it started from.  A
 * --set init_from.run naming another source (fine-tuning from the run itself)
 * makes that digest another file's: it is dropped, and dlc train records the
 * new source's, instead of refusing the new one as "changed". */
static void forget_other_source(ynode *root, const char *source)
{
    ynode *in = ynode_map_get(root, "init_from");
    const ynode *run = in && in->kind == YN_MAP ? ynode_map_get(in, "run") : NULL;
    const ynode *sha = in && in->kind == YN_MAP ? ynode_map_get(in, "sha256") : NULL;
    if (!run || !sha || run->kind != YN_SCALAR || !run->value || !source ||
        !ynode_from_set(run) || ynode_from_set(sha))
        return;
    char a[PATH_MAX], b[PATH_MAX];
    if (strcmp(run->value, source) == 0 ||
        (realpath(run->value, a) && realpath(source, b) && strcmp(a, b) == 0))
        return;
    map_remove(in, "sha256");
}

/* train.optimizer's type as the file gives it (a copy; NULL when it gives
 * none, or the section is not a mapping or a type name) */
static char *optimizer_type_text(const ynode *root)
{
    const ynode *train = ynode_map_get(root, "train");
    const ynode *opt = train && train->kind == YN_MAP ? ynode_map_get(train, "optimizer") : NULL;
    const ynode *type = opt && opt->kind == YN_MAP ? ynode_map_get(opt, "type") : opt;
    return type && type->kind == YN_SCALAR && type->value ? strdup(type->value) : NULL;
}

/* sgd's momentum (PyTorch's heavy ball, b = mu b + g) and type momentum's
 * (the notes' average, v = beta v + (1 - beta) g) are different numbers: a
 * type switched between the two by --set (a sweep's trial) does not keep
 * the file's momentum, which would take steps 1 / (1 - beta) times (or 1 -
 * beta times) those the file meant; the new type's default applies, as a
 * new optimizer object in PyTorch or Keras starts from its own. */
static void forget_other_momentum(ynode *root, const char *file_type)
{
    ynode *train = ynode_map_get(root, "train");
    ynode *opt = train && train->kind == YN_MAP ? ynode_map_get(train, "optimizer") : NULL;
    const ynode *type = opt && opt->kind == YN_MAP ? ynode_map_get(opt, "type") : NULL;
    const ynode *m = opt && opt->kind == YN_MAP ? ynode_map_get(opt, "momentum") : NULL;
    if (!file_type || !type || type->kind != YN_SCALAR || !type->value || !ynode_from_set(type) ||
        !m || ynode_from_set(m))
        return;
    int was_sgd = strcmp(file_type, "sgd") == 0, was_average = strcmp(file_type, "momentum") == 0;
    int now_sgd = strcmp(type->value, "sgd") == 0, now_average = strcmp(type->value, "momentum") == 0;
    if ((was_sgd && now_average) || (was_average && now_sgd))
        map_remove(opt, "momentum");
}

/* The characters of a --set that messages show. */
#define OVERRIDE_SHOWN 120

static dlc_status load_text(dlc_config *c, const char *origin, const char *default_name,
                            const char *text, size_t len, const char *const *overrides,
                            int n_overrides, dlc_error *err)
{
    ynode *root = NULL;
    dlc_strlist origins = {0}; /* "--set k=v" texts the override nodes borrow */
    char *source = NULL;       /* the file's init_from.run, before --set */
    char *file_optimizer = NULL; /* the file's train.optimizer.type, before --set */
    dlc_status s = ytree_parse(&root, origin, text, len, 1, err);
    if (s != DLC_OK)
        goto cleanup;
    if (!root) {
        s = dlc_fail(err, DLC_EINPUT, "%s: the config is empty", origin);
        goto cleanup;
    }
    if (root->kind != YN_MAP) {
        s = dlc_fail(err, DLC_EINPUT,
                     "%s:%d: a config is a mapping of keys (data:, model:, train:, ...), not %s",
                     origin, root->line, root->kind == YN_SEQ ? "a list" : "a single value");
        goto cleanup;
    }
    /* a sweep file given where a config goes: say what it is rather than
     * "key 'base': unknown key here (did you mean 'train.schedule.base'?)" */
    if (ynode_map_find(root, "base") >= 0 && ynode_map_find(root, "params") >= 0) {
        s = dlc_fail(err, DLC_EINPUT,
                     "%s: a sweep file (base:, params:), not a config: run its trials with "
                     "scripts/sweep.sh %s, or one of them with dlc train BASE $(dlc sample %s "
                     "--trial K)",
                     origin, origin, origin);
        goto cleanup;
    }
    /* a `sweep:` section belongs to `dlc sample` (src/sweep), which checks it */
    map_remove(root, "sweep");
    source = init_run_text(root);
    const char *model_dir = model_source(root, overrides, n_overrides);
    if (model_dir && (s = model_from_source(root, model_dir, &origins, err)) != DLC_OK)
        goto cleanup;
    file_optimizer = optimizer_type_text(root);
    for (int i = 0; i < n_overrides; i++) {
        if (!overrides[i])
            continue;
        /* messages quote it: a long value is cut (at a character's start),
         * else it filled the message and left out what was wrong */
        size_t olen = strlen(overrides[i]), cut = olen, n = olen + 48;
        if (olen > OVERRIDE_SHOWN)
            for (cut = OVERRIDE_SHOWN; cut > 0 && ((unsigned char)overrides[i][cut] & 0xC0) == 0x80;)
                cut--;
        char *o = malloc(n);
        if (!o) {
            s = DLC_NOMEM(err);
            goto cleanup;
        }
        if (cut < olen)
            snprintf(o, n, "--set %.*s... (%zu characters)", (int)cut, overrides[i], olen);
        else
            snprintf(o, n, "--set %s", overrides[i]);
        s = dlc_strlist_push(&origins, o, err);
        free(o);
        if (s != DLC_OK)
            goto cleanup;
        s = config_apply_override(root, origins.v[origins.n - 1], overrides[i], err);
        if (s != DLC_OK)
            goto cleanup;
    }
    forget_other_source(root, source);
    forget_other_momentum(root, file_optimizer);
    if ((s = config_expand_blocks(root, err)) != DLC_OK)
        goto cleanup;
    s = config_schema_convert(c, root, default_name, err);

cleanup:
    free(source);
    free(file_optimizer);
    ynode_free(root);
    dlc_strlist_clear(&origins);
    if (s != DLC_OK)
        config_free(c);
    return s;
}

dlc_status config_load_string(dlc_config *c, const char *name, const char *text, size_t len,
                              const char *const *overrides, int n_overrides, dlc_error *err)
{
    memset(c, 0, sizeof *c);
    return load_text(c, name, "config", text, len, overrides, n_overrides, err);
}

dlc_status config_load_run(dlc_config *c, const char *name, const char *text, size_t len,
                           const char *const *overrides, int n_overrides, dlc_error *err)
{
    memset(c, 0, sizeof *c);
    c->stored = 1;
    return load_text(c, name, "config", text, len, overrides, n_overrides, err);
}

dlc_status config_load(dlc_config *c, const char *path, const char *const *overrides,
                       int n_overrides, dlc_error *err)
{
    memset(c, 0, sizeof *c);
    char *text = NULL;
    size_t len = 0;
    dlc_status s = dlc_read_file(path, &text, &len, err);
    if (s != DLC_OK)
        return s;
    char name[1024]; /* a file name's stem fits; convert_key refuses one too long for c->name */
    name_from_path(name, sizeof name, path);
    s = load_text(c, path, name, text, len, overrides, n_overrides, err);
    if (s == DLC_OK && dlc_strlcpy(c->path, path, sizeof c->path) >= sizeof c->path) {
        config_free(c);
        s = dlc_fail(err, DLC_EINPUT, "%.200s...: config path too long (at most %zu characters)",
                     path, sizeof c->path - 1);
    }
    free(text);
    return s;
}

/* ---- writing ---- */

/* Shortest text that reads back as exactly x. */
static void emit_double(dlc_buf *b, double x, int as_float)
{
    char s[40];
    if (x > -1e15 && x < 1e15 && x == (double)(long long)x) { /* 1000, not 1e+03 */
        dlc_buf_printf(b, "%lld", (long long)x);
        return;
    }
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(s, sizeof s, "%.*g", prec, x);
        double y = strtod(s, NULL);
        if (as_float ? (float)y == (float)x : y == x)
            break;
    }
    dlc_buf_printf(b, "%s", s);
}

static int isalnum_ascii(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Text that YAML and our loader both read back as this same string, without
 * quotes: a word or path that cannot pass for a number, bool or null. */
static int plain_ok(const char *s)
{
    static const char *const reserved[] = {"null", "true", "false", "yes", "no", "on", "off",
                                           "y", "n", NULL};
    if (!s[0])
        return 0;
    unsigned char c0 = (unsigned char)s[0];
    if (!(isalnum_ascii(c0) || c0 == '_' || c0 == '/' || c0 == '.'))
        return 0;
    for (const char *p = s; *p; p++) {
        unsigned char ch = (unsigned char)*p;
        if (!isalnum_ascii(ch) && !strchr("_./+-", ch))
            return 0;
    }
    double x;
    if (dlc_parse_double(s, &x) == 0)
        return 0;
    for (int i = 0; reserved[i]; i++)
        if (strcasecmp(s, reserved[i]) == 0)
            return 0;
    return 1;
}

/* Decodes one UTF-8 character; returns its length, 0 if malformed. */
static int utf8_next(const unsigned char *s, unsigned *cp)
{
    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    int n = (s[0] & 0xE0) == 0xC0 ? 2 : (s[0] & 0xF0) == 0xE0 ? 3 : (s[0] & 0xF8) == 0xF0 ? 4 : 0;
    if (!n)
        return 0;
    unsigned v = s[0] & (0x7F >> n);
    for (int i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        v = (v << 6) | (s[i] & 0x3F);
    }
    *cp = v;
    return n;
}

static void emit_string(dlc_buf *b, const char *str)
{
    if (plain_ok(str)) {
        dlc_buf_printf(b, "%s", str);
        return;
    }
    const unsigned char *s = (const unsigned char *)str;
    dlc_buf_append(b, "\"", 1);
    while (*s) {
        unsigned cp;
        int n = utf8_next(s, &cp);
        if (n == 0) { /* cannot come from libyaml, which checks its input */
            dlc_buf_append(b, "?", 1);
            s++;
            continue;
        }
        if (cp == '"' || cp == '\\') {
            dlc_buf_printf(b, "\\%c", (char)cp);
        } else if (cp == '\n') {
            dlc_buf_append(b, "\\n", 2);
        } else if (cp == '\t') {
            dlc_buf_append(b, "\\t", 2);
        } else if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F)) {
            dlc_buf_printf(b, "\\x%02X", cp);
        } else if (cp == 0x2028 || cp == 0x2029 || cp == 0xFEFF || cp == 0xFFFE ||
                   cp == 0xFFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
            /* line separators and non-characters: YAML would not read them raw */
            dlc_buf_printf(b, "\\u%04X", cp);
        } else {
            dlc_buf_append(b, (const char *)s, (size_t)n);
        }
        s += n;
    }
    dlc_buf_append(b, "\"", 1);
}

static int enum_count(const char *const *names)
{
    int n = 0;
    while (names[n])
        n++;
    return n;
}

/* Writes the value of row k stored in base; 0 if the value cannot be written. */
static int emit_value(dlc_buf *b, const config_key *k, const void *base)
{
    const char *p = (const char *)base + k->offset;
    switch (k->kind) {
    case K_INT:
        if ((k->flags & F_NULLABLE) && *(const int *)(const void *)p < 0)
            dlc_buf_printf(b, "null");
        else
            dlc_buf_printf(b, "%d", *(const int *)(const void *)p);
        return 1;
    case K_INDEX: {
        int v = *(const int *)(const void *)p;
        if (v == GRAPH_SLICE_END)
            dlc_buf_printf(b, "null");
        else
            dlc_buf_printf(b, "%d", v);
        return 1;
    }
    case K_BATCH:
    case K_AUTO: {
        int v = *(const int *)(const void *)p;
        if (v == 0)
            dlc_buf_printf(b, k->kind == K_BATCH ? "full" : "auto");
        else
            dlc_buf_printf(b, "%d", v);
        return 1;
    }
    case K_LONG:
        dlc_buf_printf(b, "%ld", *(const long *)(const void *)p);
        return 1;
    case K_U64:
        dlc_buf_printf(b, "%" PRIu64, *(const uint64_t *)(const void *)p);
        return 1;
    case K_DOUBLE: {
        double x = *(const double *)(const void *)p;
        if ((k->flags & F_NULLABLE) && x < 0)
            dlc_buf_printf(b, "null");
        else
            emit_double(b, x, 0);
        return 1;
    }
    case K_FLOAT:
        emit_double(b, *(const float *)(const void *)p, 1);
        return 1;
    case K_BOOL:
        dlc_buf_printf(b, "%s", *(const int *)(const void *)p ? "true" : "false");
        return 1;
    case K_ENUM: {
        int e;
        memcpy(&e, p, sizeof e);
        if (e < 0 || e >= enum_count(k->names))
            return 0;
        emit_string(b, k->names[e]); /* quoted when YAML needs it: ',' ';' '|' */
        return 1;
    }
    case K_STRING:
    case K_RUN_NAME:
    case K_LAYER_NAME:
        emit_string(b, p);
        return 1;
    case K_LAYER_TYPE: {
        const layer_spec *spec = base;
        if (spec->op < 0 || spec->op >= OP_COUNT)
            return 0;
        dlc_buf_printf(b, "%s", graph_ops[spec->op].name);
        return 1;
    }
    case K_STRLIST: {
        const dlc_strlist *l = (const dlc_strlist *)(const void *)p;
        dlc_buf_append(b, "[", 1);
        for (int i = 0; i < l->n; i++) {
            if (i)
                dlc_buf_append(b, ", ", 2);
            emit_string(b, l->v[i]);
        }
        dlc_buf_append(b, "]", 1);
        return 1;
    }
    case K_INPUTS: {
        const layer_spec *spec = base;
        dlc_buf_append(b, "[", 1);
        for (int i = 0; i < spec->n_inputs && i < GRAPH_MAX_INPUTS; i++) {
            if (i)
                dlc_buf_append(b, ", ", 2);
            emit_string(b, spec->inputs[i]);
        }
        dlc_buf_append(b, "]", 1);
        return 1;
    }
    case K_SHAPE:
    case K_TARGET:
    case K_SIZES: {
        const int *d;
        int n, max = TENSOR_MAX_DIMS;
        if (k->kind == K_SHAPE) {
            const tensor_shape *sh = (const tensor_shape *)(const void *)p;
            d = sh->d;
            n = sh->ndim;
        } else if (k->kind == K_TARGET) {
            const layer_spec *spec = base;
            d = spec->target;
            n = spec->target_ndim;
        } else {
            const layer_spec *spec = base;
            d = spec->sizes;
            n = spec->n_sizes;
            max = GRAPH_MAX_PIECES;
        }
        if (n < 0 || n > max)
            return 0;
        dlc_buf_append(b, "[", 1);
        for (int i = 0; i < n; i++)
            dlc_buf_printf(b, "%s%d", i ? ", " : "", d[i]);
        dlc_buf_append(b, "]", 1);
        return 1;
    }
    case K_WINDOW:
    case K_WINDOW0:
    case K_PADDING: {
        const layer_window *w = (const layer_window *)(const void *)p;
        if (k->kind == K_PADDING) {
            const layer_spec *spec = base;
            if (spec->padding != PAD_EXPLICIT) {
                dlc_buf_printf(b, "%s", spec->padding == PAD_SAME ? "same" : "valid");
                return 1;
            }
            w = &spec->pad;
        }
        if (w->n < 1 || w->n > GRAPH_MAX_SPATIAL)
            return 0;
        if (w->n == 1) {
            dlc_buf_printf(b, "%d", w->v[0]);
            return 1;
        }
        dlc_buf_append(b, "[", 1);
        for (int i = 0; i < w->n; i++)
            dlc_buf_printf(b, "%s%d", i ? ", " : "", w->v[i]);
        dlc_buf_append(b, "]", 1);
        return 1;
    }
    case K_POINTS: {
        const schedule_config *s = (const schedule_config *)(const void *)p;
        if (s->n_points < 0 || s->n_points > SCHED_MAX_POINTS)
            return 0;
        dlc_buf_append(b, "[", 1);
        for (int i = 0; i < s->n_points; i++) {
            dlc_buf_printf(b, "%s[%d, ", i ? ", " : "", s->point_epoch[i]);
            emit_double(b, s->point_lr[i], 0);
            dlc_buf_append(b, "]", 1);
        }
        dlc_buf_append(b, "]", 1);
        return 1;
    }
    case K_ANCHORS: {
        const loss_opts *o = (const loss_opts *)(const void *)p;
        if (o->n_anchors < 0 || o->n_anchors > DETECT_MAX_ANCHORS)
            return 0;
        dlc_buf_append(b, "[", 1);
        for (int i = 0; i < o->n_anchors; i++) {
            dlc_buf_printf(b, "%s[", i ? ", " : "");
            emit_double(b, o->anchors[i][0], 1);
            dlc_buf_append(b, ", ", 2);
            emit_double(b, o->anchors[i][1], 1);
            dlc_buf_append(b, "]", 1);
        }
        dlc_buf_append(b, "]", 1);
        return 1;
    }
    case K_PERM: {
        const data_detection_config *d = (const data_detection_config *)(const void *)p;
        if (d->n_flip < 0 || d->n_flip > DATA_MAX_LANDMARKS)
            return 0;
        dlc_buf_append(b, "[", 1);
        for (int i = 0; i < d->n_flip; i++)
            dlc_buf_printf(b, "%s%d", i ? ", " : "", d->flip[i]);
        dlc_buf_append(b, "]", 1);
        return 1;
    }
    case K_LABELS: {
        const data_config *d = (const data_config *)(const void *)p;
        static const config_key list = {"", K_STRLIST, BASE_NONE, 0, 0, NULL, 0, 0, 0,
                                        NULL, NULL, NULL, 0};
        if (d->n_labels < 0 || d->n_labels > DATA_MAX_HEADS)
            return 0;
        if (d->n_labels == 0 || (d->n_labels == 1 && !d->labels[0].name[0]))
            return emit_value(b, &list, d->n_labels ? (const void *)&d->labels[0].columns
                                                    : (const void *)&(dlc_strlist){0});
        dlc_buf_append(b, "{", 1);
        for (int i = 0; i < d->n_labels; i++) {
            dlc_buf_printf(b, "%s", i ? ", " : "");
            emit_string(b, d->labels[i].name);
            dlc_buf_append(b, ": ", 2);
            emit_value(b, &list, &d->labels[i].columns);
        }
        dlc_buf_append(b, "}", 1);
        return 1;
    }
    case K_RENAME: {
        const dlc_strlist *l = (const dlc_strlist *)(const void *)p;
        dlc_buf_append(b, "{", 1);
        for (int i = 0; i + 1 < l->n; i += 2) {
            dlc_buf_printf(b, "%s", i ? ", " : "");
            emit_string(b, l->v[i]);
            dlc_buf_append(b, ": ", 2);
            emit_string(b, l->v[i + 1]);
        }
        dlc_buf_append(b, "}", 1);
        return 1;
    }
    case K_STYLE: {
        const stylize_config *sc = (const stylize_config *)(const void *)p;
        if (sc->n_style < 0 || sc->n_style > STYLIZE_MAX_LAYERS)
            return 0;
        dlc_buf_append(b, "{", 1);
        for (int i = 0; i < sc->n_style; i++) {
            dlc_buf_printf(b, "%s", i ? ", " : "");
            emit_string(b, sc->style[i]);
            dlc_buf_append(b, ": ", 2);
            emit_double(b, sc->style_weight[i], 0);
        }
        dlc_buf_append(b, "}", 1);
        return 1;
    }
    case K_METRIC: {
        const dlc_config *c = base;
        const report_config *rc = &c->report;
        if (rc->optimize < 0 || rc->optimize >= enum_count(k->names))
            return 0;
        dlc_buf_printf(b, "%s%s%s", rc->metric_head, rc->metric_head[0] ? "." : "",
                       k->names[rc->optimize]);
        return 1;
    }
    case K_SECTION:
    case K_LAYERS:
    case K_HEADS:
    case K_SOURCES:
        break;
    }
    return 0;
}

/* The keys under pattern of the item at base as a flow mapping {a: 1, b: x}. */
static int emit_flow(dlc_buf *b, const char *pattern, const void *base)
{
    int n_rows, first = 1;
    const config_key *rows = config_schema_rows(&n_rows);
    dlc_buf_append(b, "{", 1);
    for (int r = 0; r < n_rows; r++) {
        const config_key *k = &rows[r];
        if (!config_schema_is_child(k, pattern))
            continue;
        dlc_buf_printf(b, "%s%s: ", first ? "" : ", ", config_schema_name(k));
        first = 0;
        if (k->kind == K_SECTION) {
            if (!emit_flow(b, k->path, base))
                return 0;
        } else if (!emit_value(b, k, base)) {
            return 0;
        }
    }
    dlc_buf_append(b, "}", 1);
    return 1;
}

/* A list of mappings: n items of `size` bytes from `items`, each with the
 * keys of pattern (layers: only the keys their op takes). */
static int emit_items(dlc_buf *b, const void *items, int n, size_t size, const char *pattern,
                      int layers, int indent)
{
    int n_rows;
    const config_key *rows = config_schema_rows(&n_rows);
    if (n == 0) {
        dlc_buf_printf(b, "%*s[]\n", indent, "");
        return 1;
    }
    for (int i = 0; i < n; i++) {
        const void *item = (const char *)items + (size_t)i * size;
        int first = 1;
        if (layers && ((const layer_spec *)item)->generated)
            continue; /* a split's piece: the split is written, and makes it again */
        for (int r = 0; r < n_rows; r++) {
            const config_key *k = &rows[r];
            const char *name = config_schema_name(k);
            if (!config_schema_is_child(k, pattern))
                continue;
            if (layers && (k->flags & F_OP_KEY) &&
                !config_op_has_key(((const layer_spec *)item)->op, name))
                continue;
            if (layers && (k->flags & F_ACT_KEY) &&
                ((const layer_spec *)item)->activation != ACT_HARDSIGMOID)
                continue; /* hardsigmoid's slope and offset */
            if (!layers && (k->flags & F_LOSS_KEY) &&
                loss_get(((const head_spec *)item)->loss)->target != LOSS_TARGET_OBJECTS)
                continue; /* read by the detection losses only */
            dlc_buf_printf(b, "%*s%s%s: ", indent, "", first ? "- " : "  ", name);
            if (k->kind == K_SECTION ? !emit_flow(b, k->path, item) : !emit_value(b, k, item))
                return 0;
            dlc_buf_append(b, "\n", 1);
            first = 0;
        }
    }
    return 1;
}

static int emit_section(dlc_buf *b, const dlc_config *c, const char *pattern, int indent)
{
    int n_rows;
    const config_key *rows = config_schema_rows(&n_rows);
    for (int r = 0; r < n_rows; r++) {
        const config_key *k = &rows[r];
        if (!config_schema_is_child(k, pattern))
            continue;
        if (!pattern[0] && !config_section_applies(c, k->path))
            continue;
        if (!config_key_applies(c, k->path))
            continue;
        dlc_buf_printf(b, "%*s%s:", indent, "", config_schema_name(k));
        if (k->kind == K_SECTION) {
            dlc_buf_append(b, "\n", 1);
            if (!emit_section(b, c, k->path, indent + 2))
                return 0;
        } else if (k->kind == K_LAYERS || k->kind == K_HEADS || k->kind == K_SOURCES) {
            char sub[512];
            snprintf(sub, sizeof sub, "%s.*", k->path);
            dlc_buf_append(b, "\n", 1);
            int ok = k->kind == K_LAYERS
                         ? emit_items(b, c->layers, c->n_layers, sizeof *c->layers, sub, 1, indent + 2)
                     : k->kind == K_HEADS
                         ? emit_items(b, c->heads, c->n_heads, sizeof *c->heads, sub, 0, indent + 2)
                         : emit_items(b, c->data.sources, c->data.n_sources,
                                      sizeof *c->data.sources, sub, 0, indent + 2);
            if (!ok)
                return 0;
        } else {
            dlc_buf_append(b, " ", 1);
            if (!emit_value(b, k, c))
                return 0;
            dlc_buf_append(b, "\n", 1);
        }
    }
    return 1;
}

int config_shares_label(const dlc_config *c)
{
    /* CSV: one class column given as a plain list (no groups by output) */
    const data_config *d = &c->data;
    int csv_one = d->format == DATA_CSV && d->n_labels == 1 && !d->labels[0].name[0] &&
                  d->labels[0].columns.n == 1;
    if (c->n_heads < 2 || (d->format != DATA_IDX && d->format != DATA_IMAGE_FOLDER && !csv_one))
        return 0;
    for (int h = 0; h < c->n_heads; h++)
        if (loss_get(c->heads[h].loss)->target != LOSS_TARGET_CLASS)
            return 0;
    return 1;
}

dlc_status config_to_yaml(const dlc_config *c, char **out, dlc_error *err)
{
    *out = NULL;
    dlc_buf b = {0};
    dlc_buf_printf(&b, "# resolved configuration: every key, defaults filled in\n");
    if (!emit_section(&b, c, "", 0)) {
        dlc_buf_free(&b);
        return dlc_fail(err, DLC_ERUN, "config_to_yaml: a value is out of its range");
    }
    if (b.failed) {
        dlc_buf_free(&b);
        return DLC_NOMEM(err);
    }
    *out = b.s;
    return DLC_OK;
}

/* ---- differences (dlc train --resume says what changed) ---- */

typedef struct {
    dlc_strlist *out;
    int max;
    dlc_error *err;
} differ;

/* a short text for a node: a scalar's value, else [list] or {map} */
static const char *node_text(const ynode *n)
{
    return !n ? "(none)" : n->kind == YN_SCALAR ? n->value : n->kind == YN_SEQ ? "[...]" : "{...}";
}

static dlc_status differs(differ *d, const char *path, const ynode *a, const ynode *b)
{
    if (d->out->n > d->max)
        return DLC_OK;
    if (d->out->n == d->max)
        return dlc_strlist_push(d->out, "...", d->err);
    char line[512];
    snprintf(line, sizeof line, "%.280s: %.100s -> %.100s", path, node_text(a), node_text(b));
    return dlc_strlist_push(d->out, line, d->err);
}

static dlc_status diff_nodes(differ *d, const char *path, const ynode *a, const ynode *b);

/* 1 when n holds key path's default: a key added since an old checkpoint's
 * config was written (train.no_decay) changed nothing there. */
static int at_default(const char *path, const ynode *n)
{
    const config_key *k = config_schema_find(path);
    ynode *def = NULL;
    dlc_strlist none = {0};
    differ d = {&none, 1, NULL};
    if (!k || !k->def || ytree_parse(&def, "default", k->def, strlen(k->def), 0, NULL) != DLC_OK)
        return 0;
    int same = def && diff_nodes(&d, path, def, n) == DLC_OK && none.n == 0;
    ynode_free(def);
    dlc_strlist_clear(&none);
    return same;
}

static dlc_status diff_nodes(differ *d, const char *path, const ynode *a, const ynode *b)
{
    char sub[512];
    dlc_status s = DLC_OK;
    if (!a || !b || a->kind != b->kind)
        return differs(d, path, a, b);
    if (a->kind == YN_SCALAR)
        return strcmp(a->value, b->value) != 0 ? differs(d, path, a, b) : DLC_OK;
    if (a->kind == YN_SEQ) {
        if (a->n != b->n)
            return differs(d, path, a, b);
        for (int i = 0; i < a->n && s == DLC_OK; i++) {
            snprintf(sub, sizeof sub, "%s%s%d", path, *path ? "." : "", i);
            s = diff_nodes(d, sub, a->items[i], b->items[i]);
        }
        return s;
    }
    for (int i = 0; i < a->n && s == DLC_OK; i++) {
        snprintf(sub, sizeof sub, "%s%s%s", path, *path ? "." : "", a->keys[i]->value);
        s = diff_nodes(d, sub, a->items[i], ynode_map_get(b, a->keys[i]->value));
    }
    for (int i = 0; i < b->n && s == DLC_OK; i++)
        if (ynode_map_find(a, b->keys[i]->value) < 0) {
            snprintf(sub, sizeof sub, "%s%s%s", path, *path ? "." : "", b->keys[i]->value);
            if (!at_default(sub, b->items[i]))
                s = differs(d, sub, NULL, b->items[i]);
        }
    return s;
}

dlc_status config_diff(const char *old_yaml, const char *new_yaml, int max, dlc_strlist *paths,
                       dlc_error *err)
{
    ynode *a = NULL, *b = NULL;
    dlc_status s = ytree_parse(&a, "old config", old_yaml, strlen(old_yaml), 0, err);
    if (s == DLC_OK)
        s = ytree_parse(&b, "new config", new_yaml, strlen(new_yaml), 0, err);
    if (s == DLC_OK) {
        differ d = {paths, max, err};
        s = diff_nodes(&d, "", a, b);
    }
    ynode_free(a);
    ynode_free(b);
    return s;
}

dlc_status config_absolute_paths(dlc_config *c, const char *origin, dlc_error *err)
{
    char cwd[2048];
    if (!getcwd(cwd, sizeof cwd))
        return DLC_OK;
    /* data.train, dev and test, then each of data.sources (whose files a run
     * evaluated from another folder reads as well) */
    enum { N_SRC = 3 + DATA_MAX_SOURCES };
    data_source *srcs[N_SRC] = {&c->data.train, &c->data.dev, &c->data.test};
    int n_src = 3;
    for (int i = 0; i < c->data.n_sources && n_src < N_SRC; i++)
        srcs[n_src++] = &c->data.sources[i].files;
    static const char *const split_keys[3] = {"train", "dev", "test"},
                             *file_keys[4] = {"file", "images", "labels", "dir"};
    char *paths[N_SRC * 4 + 1], keys[N_SRC * 4 + 1][48];
    int n_paths = 0;
    for (int i = 0; i < n_src; i++) {
        char *of[4] = {srcs[i]->file, srcs[i]->images, srcs[i]->labels, srcs[i]->dir};
        for (int j = 0; j < 4; j++) {
            if (i < 3)
                snprintf(keys[n_paths], sizeof keys[n_paths], "data.%s.%s", split_keys[i], file_keys[j]);
            else
                snprintf(keys[n_paths], sizeof keys[n_paths], "data.sources.%d.train.%s", i - 3,
                         file_keys[j]);
            paths[n_paths++] = of[j];
        }
    }
    snprintf(keys[n_paths], sizeof keys[n_paths], "data.detection.names");
    paths[n_paths++] = c->data.detection.names;
    /* the config's folder, when it is not where dlc runs */
    char dir[2048] = "";
    const char *slash = strrchr(origin, '/');
    if (slash && (size_t)(slash - origin) < sizeof dir)
        snprintf(dir, sizeof dir, "%.*s", (int)(slash - origin), origin);
    for (int k = 0; k < n_paths; k++) {
        if (!paths[k][0] || paths[k][0] == '/')
            continue;
        char full[DATA_PATH_MAX * 3], near[DATA_PATH_MAX * 3];
        snprintf(full, sizeof full, "%s/%s", cwd, paths[k]);
        if (strlen(full) >= DATA_PATH_MAX)
            return dlc_fail(err, DLC_EINPUT, "%s: data path too long: %s", origin, full);
        /* a path written relative to the config, read from elsewhere: say so
         * (the data loader would only say the file is not there) */
        if (dir[0] && access(full, F_OK) != 0 &&
            snprintf(near, sizeof near, "%s/%s", dir, paths[k]) < (int)sizeof near &&
            access(near, F_OK) == 0)
            return dlc_fail(err, DLC_EINPUT,
                            "%s: %s: '%s' is not in %s, where dlc runs (relative paths are read "
                            "from there), but it is next to the config: write %s, or run dlc "
                            "from %s",
                            origin, keys[k], paths[k], cwd, near, dir);
        dlc_strlcpy(paths[k], full, DATA_PATH_MAX);
    }
    /* and so is the run a model starts from */
    if (c->init.run[0] && c->init.run[0] != '/') {
        char full[sizeof c->init.run * 3];
        snprintf(full, sizeof full, "%s/%s", cwd, c->init.run);
        if (strlen(full) >= sizeof c->init.run)
            return dlc_fail(err, DLC_EINPUT, "%s: init_from.run path too long: %s", origin, full);
        dlc_strlcpy(c->init.run, full, sizeof c->init.run);
    }
    return DLC_OK;
}
