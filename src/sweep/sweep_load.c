/* sweep_load.c - a sweep file -> sweep_spec, checked against the config.
 *
 * The file is read with the config module's YAML tree (src/config/
 * yaml_tree.h), so messages carry the same "file:line: key 'x':" form
 * and the same refusals (anchors, duplicate keys) as configs.  Keys are
 * checked against the schema rows; values are checked by the one judge that
 * counts: the base config is loaded with each range's end points (and each
 * choice) as `--set` overrides.  Ranges are intervals in the schema, so the
 * end points passing means every value between them passes too.
 */
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../config/config.h"
#include "../config/schema.h"
#include "../config/yaml_tree.h"
#include "sweep.h"

#define MAX_TRIALS 1000000

static const char *const file_keys[] = {"base", "name",     "trials", "seed",   "metric",
                                        "mode", "baseline", "set",    "params", NULL};

typedef struct {
    sweep_spec *s;
    const char *prefix;  /* "sweep." inside a config, "" in a sweep file */
    dlc_error *err;
} loader;

void sweep_free(sweep_spec *s)
{
    if (!s)
        return;
    for (int i = 0; i < s->n_params; i++)
        dlc_strlist_clear(&s->params[i].choices);
    free(s->params);
    dlc_strlist_clear(&s->fixed);
    memset(s, 0, sizeof *s);
}

/* "file:line: key 'sweep.trials': ..." for one of the sweep's own keys. */
static dlc_status own_fail(loader *L, const ynode *at, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static dlc_status own_fail(loader *L, const ynode *at, const char *key, const char *fmt, ...)
{
    char msg[768], path[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(path, sizeof path, "%s%s", L->prefix, key);
    return config_key_fail(L->err, at, path, "%s", msg);
}

static int plain_long(const ynode *v, long *out)
{
    return v && v->kind == YN_SCALAR && v->plain && dlc_parse_long(v->value, out) == 0;
}

static int plain_double(const ynode *v, double *out)
{
    return v && v->kind == YN_SCALAR && v->plain && dlc_parse_double(v->value, out) == 0 &&
           isfinite(*out);
}

static dlc_status get_word(loader *L, const ynode *v, const char *key,
                           const char *const *names, int *out)
{
    if (v->kind == YN_SCALAR)
        for (int i = 0; names[i]; i++)
            if (strcmp(v->value, names[i]) == 0) {
                *out = i;
                return DLC_OK;
            }
    char list[256] = "";
    for (int i = 0; names[i]; i++) {
        size_t n = strlen(list);
        snprintf(list + n, sizeof list - n, "%s%s", i ? ", " : "", names[i]);
    }
    return own_fail(L, v, key, "expected one of %s, got %s", list,
                    v->kind == YN_SCALAR ? v->value : "a mapping or list");
}

static int name_ok(const char *s)
{
    if (!*s || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
        return 0;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-' && *s != '.')
            return 0;
    return 1;
}

/* ---- config keys ---- */

/* 1 when the n bytes at p are a list index: digits, or -digits (from the end) */
static int index_comp(const char *p, size_t n)
{
    size_t i = n > 1 && p[0] == '-';
    int digits = n > i;
    for (; i < n; i++)
        digits &= isdigit((unsigned char)p[i]) != 0;
    return digits;
}

/* "model.layers.1.units" (or .-1., or .fc. for the layer named fc) -> "model.layers.*.units" */
static void key_pattern(char *out, size_t size, const char *key)
{
    size_t o = 0;
    const char *p = key;
    while (*p && o + 1 < size) {
        const char *end = strchr(p, '.');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        int digits = index_comp(p, n);
        if (!digits && o > 0) { /* an item by its name (model.layers.fc.units) */
            out[o - 1] = '\0';
            const config_key *list = config_schema_find(out);
            out[o - 1] = '.';
            digits = list && (list->kind == K_LAYERS || list->kind == K_HEADS || list->kind == K_SOURCES);
        }
        const char *comp = digits ? "*" : p;
        size_t cn = digits ? 1 : n;
        if (o + cn + 2 > size)
            break;
        memcpy(out + o, comp, cn);
        o += cn;
        if (end)
            out[o++] = '.';
        p = end ? end + 1 : p + n;
    }
    out[o] = '\0';
}

/* The suggestion pattern with the key's own components put back for its
 * '*'s (a list item's index or name as the key wrote it): component i of the
 * pattern that is '*' takes component i of the key. */
static void fill_indices(char *out, size_t size, const char *pattern, const char *key)
{
    size_t o = 0;
    const char *p = pattern, *k = key;
    while (*p && o + 1 < size) {
        const char *pe = strchr(p, '.'), *ke = k ? strchr(k, '.') : NULL;
        size_t pn = pe ? (size_t)(pe - p) : strlen(p);
        size_t kn = k ? (ke ? (size_t)(ke - k) : strlen(k)) : 0;
        const char *src = p;
        size_t n = pn;
        if (pn == 1 && *p == '*' && k && kn > 0) {
            src = k;
            n = kn;
        }
        for (size_t i = 0; i < n && o + 1 < size; i++)
            out[o++] = src[i];
        if (pe && o + 1 < size)
            out[o++] = '.';
        p = pe ? pe + 1 : p + pn;
        k = k && ke ? ke + 1 : NULL;
    }
    out[o] = '\0';
}

/* 1 for a key of the blocks, which the schema has no row for: a use's own
 * (model.layers.layer3.repeat: a ResNet's depth) and anything under
 * model.blocks.  A layer of a block's definition is typed as a model
 * layer's key: *as gets that path (else "").  config_block_layer_path. */
static int block_key(const char *key, const char *pattern, char *as, size_t size)
{
    as[0] = '\0';
    if (strncmp(key, "model.blocks.", 13) == 0) {
        if (!config_block_layer_path(key, as, size))
            as[0] = '\0';
        return 1;
    }
    return config_block_use_key(pattern);
}

/* The schema row of a config key path; EINPUT naming the nearest valid key.
 * A key of the blocks' machinery has none (*row NULL): loading the base
 * config with its values (check_values) is its check. */
static dlc_status schema_row(loader *L, const ynode *at, const char *key, const config_key **row)
{
    char pattern[256], as[256] = "";
    key_pattern(pattern, sizeof pattern, key);
    *row = config_schema_find(pattern);
    if (*row)
        return DLC_OK;
    if (block_key(key, pattern, as, sizeof as)) {
        if (!as[0])
            return DLC_OK;
        key_pattern(pattern, sizeof pattern, as); /* messages still name the key as written */
        if ((*row = config_schema_find(pattern)))
            return DLC_OK;
    }
    char foreign[600];
    if (config_bracket_key(key, foreign, sizeof foreign) ||
        config_foreign_key(key, foreign, sizeof foreign))
        return config_key_fail(L->err, at, key, "unknown config key (%s)", foreign);
    /* the schema's keys and a block use's, which it lacks */
    const char *const *paths = config_key_paths();
    size_t n_paths = 0;
    while (paths[n_paths])
        n_paths++;
    const char **cand = calloc(n_paths + 4, sizeof *cand);
    if (!cand)
        return DLC_NOMEM(L->err);
    memcpy(cand, paths, n_paths * sizeof *cand);
    cand[n_paths] = "model.layers.*.repeat";
    cand[n_paths + 1] = "model.layers.*.params";
    cand[n_paths + 2] = "model.layers.*.block";
    const char *near = dlc_nearest(pattern, cand);
    free(cand);
    if (near) {
        char hint[256];
        const char *layer = as[0] ? strstr(key, ".layers.") : NULL;
        if (layer && strncmp(near, "model.layers.", 13) == 0) {
            /* a block's layer: its path up to the layers, then the suggestion's rest */
            char rest[256];
            fill_indices(rest, sizeof rest, near, as);
            snprintf(hint, sizeof hint, "%.*s.layers.%s", (int)(layer - key), key, rest + 13);
        } else {
            fill_indices(hint, sizeof hint, near, key);
        }
        return config_key_fail(L->err, at, key, "unknown config key (did you mean '%s'?)", hint);
    }
    return config_key_fail(L->err, at, key,
                           "unknown config key (see the base config's config.yaml in a run "
                           "folder for every key; list items by index, e.g. model.layers.1.units)");
}

/* Loads the base config with the fixed overrides and extra (NULL: none). */
static dlc_status try_base(const sweep_spec *s, const char *extra, dlc_error *e)
{
    int n = s->fixed.n;
    const char **ov = calloc((size_t)n + 1, sizeof *ov);
    if (!ov)
        return DLC_NOMEM(e);
    for (int i = 0; i < n; i++)
        ov[i] = s->fixed.v[i];
    if (extra)
        ov[n++] = extra;
    dlc_config c;
    dlc_status st = config_load(&c, s->base, ov, n, e);
    if (st == DLC_OK)
        config_free(&c);
    free(ov);
    return st;
}

/* One value of p (an end point, or a choice) must pass the base config. */
static dlc_status check_value(loader *L, const ynode *at, const sweep_param *p, const char *value,
                              const char *what)
{
    char kv[800];
    snprintf(kv, sizeof kv, "%s=%s", p->key, value);
    dlc_error e = {0};
    dlc_status st = try_base(L->s, kv, &e);
    if (st == DLC_ENOMEM)
        return dlc_fail(L->err, st, "%s", e.msg);
    if (st != DLC_OK)
        return config_key_fail(L->err, at, p->key, "%s %s, which the base config refuses: %s",
                               what, value, e.msg);
    return DLC_OK;
}

static dlc_status check_values(loader *L, const ynode *at, const sweep_param *p)
{
    char buf[64];
    if (p->dist == SWEEP_CHOICE) {
        for (int i = 0; i < p->choices.n; i++)
            if (check_value(L, at, p, p->choices.v[i], "it may take") != DLC_OK)
                return L->err->status;
        return DLC_OK;
    }
    double ends[2] = {p->lo, p->hi};
    for (int i = 0; i < 2; i++) {
        double v = ends[i];
        if (p->dist == SWEEP_ONE_MINUS_LOG)
            v = 1.0 - pow(10.0, ends[i]);
        sweep_format(p, v, buf, sizeof buf);
        if (check_value(L, at, p, buf, i ? "its range reaches" : "its range starts at") != DLC_OK)
            return L->err->status;
    }
    return DLC_OK;
}

/* ---- parameters ---- */

static dlc_status parse_choices(loader *L, const ynode *list, sweep_param *p)
{
    if (list->kind != YN_SEQ || list->n == 0)
        return config_key_fail(L->err, list, p->key, "choice needs a list of one or more values");
    for (int i = 0; i < list->n; i++) {
        const ynode *c = list->items[i];
        if (c->kind != YN_SCALAR)
            return config_key_fail(L->err, c, p->key,
                                   "choice %d is a %s: only single values can be chosen", i + 1,
                                   c->kind == YN_MAP ? "mapping" : "list");
        if (dlc_strlist_find(&p->choices, c->value) >= 0)
            return config_key_fail(L->err, c, p->key, "choice '%s' is listed twice", c->value);
        if (dlc_strlist_push(&p->choices, c->value, L->err) != DLC_OK)
            return DLC_ENOMEM;
    }
    return DLC_OK;
}

static dlc_status parse_range(loader *L, const ynode *list, sweep_param *p)
{
    const char *dist = sweep_dist_names[p->dist];
    if (list->kind != YN_SEQ || list->n != 2 || !plain_double(list->items[0], &p->lo) ||
        !plain_double(list->items[1], &p->hi))
        return config_key_fail(L->err, list, p->key, "%s needs [lo, hi]: a list of two numbers",
                               dist);
    double lo = p->lo, hi = p->hi;
    switch (p->dist) {
    case SWEEP_INT_UNIFORM: {
        long a, b;
        if (!plain_long(list->items[0], &a) || !plain_long(list->items[1], &b))
            return config_key_fail(L->err, list, p->key, "int_uniform needs whole numbers, got [%g, %g]",
                                   lo, hi);
        if (a > b || (double)b - (double)a > 1e9)
            return config_key_fail(L->err, list, p->key,
                                   "int_uniform needs lo <= hi (and at most 1e9 apart), got [%ld, %ld]",
                                   a, b);
        return DLC_OK;
    }
    case SWEEP_UNIFORM:
        if (!(lo < hi))
            return config_key_fail(L->err, list, p->key, "uniform needs lo < hi, got [%g, %g]", lo, hi);
        return DLC_OK;
    case SWEEP_LOG_UNIFORM:
        if (!(lo > 0 && lo < hi))
            return config_key_fail(L->err, list, p->key,
                                   "log_uniform needs 0 < lo < hi (it samples 10^r between "
                                   "log10 lo and log10 hi), got [%g, %g]",
                                   lo, hi);
        return DLC_OK;
    case SWEEP_ONE_MINUS_LOG:
        if (!(lo < hi && hi <= 0))
            return config_key_fail(L->err, list, p->key,
                                   "one_minus_log takes a range of r, with beta = 1 - 10^r: it "
                                   "needs lo < hi <= 0, e.g. [-3, -1] for beta from 0.9 to "
                                   "0.999; got [%g, %g]",
                                   lo, hi);
        return DLC_OK;
    case SWEEP_CHOICE:
    case SWEEP_DIST_COUNT:
        break;
    }
    return DLC_OK;
}

/* Which distributions a config key's type allows. */
static dlc_status check_kind(loader *L, const ynode *at, const sweep_param *p, const config_key *row)
{
    if (p->dist == SWEEP_CHOICE || !row) /* !row: a block's key, checked by loading */
        return DLC_OK;
    int integer = row->kind == K_INT || row->kind == K_LONG || row->kind == K_U64 ||
                  row->kind == K_BATCH || row->kind == K_AUTO;
    int number = row->kind == K_DOUBLE || row->kind == K_FLOAT;
    if (integer && p->dist != SWEEP_INT_UNIFORM)
        return config_key_fail(L->err, at, p->key,
                               "takes whole numbers: sweep it with int_uniform or choice, not %s",
                               sweep_dist_names[p->dist]);
    if (!integer && !number)
        return config_key_fail(L->err, at, p->key,
                               "is not a number: sweep it with choice, not %s",
                               sweep_dist_names[p->dist]);
    return DLC_OK;
}

static dlc_status parse_param(loader *L, const ynode *key, const ynode *v, sweep_param *p)
{
    p->line = key->line;
    if (strlen(key->value) >= sizeof p->key)
        return config_key_fail(L->err, key, "params", "key too long (at most %zu characters)",
                               sizeof p->key - 1);
    dlc_strlcpy(p->key, key->value, sizeof p->key);
    const config_key *row;
    if (schema_row(L, key, p->key, &row) != DLC_OK)
        return DLC_EINPUT;
    for (int i = 0; i < L->s->fixed.n; i++) {
        const char *f = L->s->fixed.v[i];
        size_t n = strlen(p->key);
        if (strncmp(f, p->key, n) == 0 && f[n] == '=')
            return config_key_fail(L->err, key, p->key, "is both fixed (in set:) and swept");
    }

    const ynode *args;
    if (v->kind == YN_SEQ) { /* a bare list: the choices */
        p->dist = SWEEP_CHOICE;
        args = v;
    } else if (v->kind == YN_MAP && v->n == 1) {
        int d = -1;
        for (int i = 0; sweep_dist_names[i]; i++)
            if (strcmp(v->keys[0]->value, sweep_dist_names[i]) == 0)
                d = i;
        if (d < 0) {
            const char *near = dlc_nearest(v->keys[0]->value, sweep_dist_names);
            char hint[80] = "";
            if (near)
                snprintf(hint, sizeof hint, " (did you mean '%s'?)", near);
            return config_key_fail(L->err, v->keys[0], p->key,
                                   "unknown distribution '%s'%s; valid: choice, int_uniform, "
                                   "uniform, log_uniform, one_minus_log",
                                   v->keys[0]->value, hint);
        }
        p->dist = (sweep_dist)d;
        args = v->items[0];
    } else {
        return config_key_fail(L->err, v, p->key,
                               "expected a distribution such as {log_uniform: [1e-4, 1e-1]}, "
                               "{int_uniform: [64, 512]} or a list of choices");
    }
    dlc_status st = p->dist == SWEEP_CHOICE ? parse_choices(L, args, p) : parse_range(L, args, p);
    if (st != DLC_OK)
        return st;
    if (check_kind(L, key, p, row) != DLC_OK)
        return DLC_EINPUT;
    return check_values(L, key, p);
}

/* ---- the sections ---- */

static dlc_status parse_fixed(loader *L, const ynode *set)
{
    if (set->kind != YN_MAP)
        return own_fail(L, set, "set", "expected a mapping of config keys to values");
    for (int i = 0; i < set->n; i++) {
        const ynode *k = set->keys[i], *v = set->items[i];
        const config_key *row;
        if (schema_row(L, k, k->value, &row) != DLC_OK)
            return DLC_EINPUT;
        if (v->kind != YN_SCALAR)
            return config_key_fail(L->err, v, k->value,
                                   "set: takes single values; put lists and mappings in the base "
                                   "config");
        size_t n = strlen(k->value) + strlen(v->value) + 2;
        char *kv = malloc(n);
        if (!kv)
            return DLC_NOMEM(L->err);
        snprintf(kv, n, "%s=%s", k->value, v->value);
        dlc_status st = dlc_strlist_push(&L->s->fixed, kv, L->err);
        free(kv);
        if (st != DLC_OK)
            return st;
    }
    dlc_error e = {0};
    dlc_status st = try_base(L->s, NULL, &e);
    if (st != DLC_OK)
        return own_fail(L, set, "set", "the base config %s refuses these overrides: %s",
                        L->s->base, e.msg);
    return DLC_OK;
}

static dlc_status parse_params(loader *L, const ynode *params)
{
    sweep_spec *s = L->s;
    if (params->kind != YN_MAP || params->n == 0)
        return own_fail(L, params, "params",
                        "expected a mapping of config keys to distributions, e.g. "
                        "train.optimizer.lr: {log_uniform: [1e-4, 1e-1]}");
    s->params = calloc((size_t)params->n, sizeof *s->params);
    if (!s->params)
        return DLC_NOMEM(L->err);
    for (int i = 0; i < params->n; i++) {
        s->n_params = i + 1;
        if (parse_param(L, params->keys[i], params->items[i], &s->params[i]) != DLC_OK)
            return L->err->status;
    }
    return DLC_OK;
}

/* The number of combinations a grid over every parameter has; 0 (and an
 * error in err when it is set) if a parameter is continuous or too many. */
static long grid_size(loader *L, const ynode *params, int report)
{
    const sweep_spec *s = L->s;
    long size = 1;
    for (int i = 0; i < s->n_params; i++) {
        const sweep_param *p = &s->params[i];
        long n = sweep_grid_count(p);
        if (n == 0) {
            if (report)
                config_key_fail(L->err, params->keys[i], p->key,
                                "a grid needs discrete values (choice or int_uniform), not %s",
                                sweep_dist_names[p->dist]);
            return 0;
        }
        if (size > MAX_TRIALS / n) {
            if (report)
                own_fail(L, params, "params", "the grid has more than %d combinations",
                         MAX_TRIALS);
            return 0;
        }
        size *= n;
    }
    return size;
}

/* How many trials.  A random sweep says so in `trials`; a grid runs every
 * combination.  Switched by --mode for a comparison, a random sweep's
 * `trials` is ignored by the grid, and a grid file run at random gets as
 * many trials as its grid has points (the same budget). */
static dlc_status settle_trials(loader *L, const ynode *sec, const ynode *params)
{
    sweep_spec *s = L->s;
    const ynode *t = ynode_map_get(sec, "trials");
    long given = 0;
    if (t && (!plain_long(t, &given) || given < 1 || given > MAX_TRIALS))
        return own_fail(L, t, "trials", "expected a whole number from 1 to %d", MAX_TRIALS);
    if (s->mode == SWEEP_RANDOM) {
        if (t) {
            s->trials = (int)given;
            return DLC_OK;
        }
        long size = s->file_mode == SWEEP_GRID ? grid_size(L, params, 0) : 0;
        if (size == 0)
            return own_fail(L, sec, "trials", "missing: how many random trials to run");
        s->trials = (int)size;
        return DLC_OK;
    }
    long size = grid_size(L, params, 1);
    if (size == 0)
        return DLC_EINPUT;
    if (t && s->file_mode == SWEEP_GRID && given != size)
        return own_fail(L, t, "trials",
                        "a grid runs every combination (%ld here), not %ld: leave trials out", size,
                        given);
    s->trials = (int)size;
    return DLC_OK;
}

static void dir_of(char *out, size_t size, const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash) {
        dlc_strlcpy(out, ".", size);
        return;
    }
    size_t n = (size_t)(slash - path);
    if (n == 0)
        n = 1; /* "/x.yaml" */
    if (n >= size)
        n = size - 1;
    memcpy(out, path, n);
    out[n] = '\0';
}

static dlc_status parse_spec(loader *L, const ynode *sec, int embedded, int mode)
{
    sweep_spec *s = L->s;
    if (!embedded && !ynode_map_get(sec, "base"))
        return dlc_fail(L->err, DLC_EINPUT,
                        "%s: not a sweep: it has neither a base: key (a sweep file) nor a "
                        "sweep: section (a config with a sweep)",
                        s->path);
    for (int i = 0; i < sec->n; i++) {
        const char *k = sec->keys[i]->value;
        int known = 0;
        for (int j = 0; file_keys[j]; j++)
            known |= strcmp(k, file_keys[j]) == 0;
        if (!known || (embedded && strcmp(k, "base") == 0)) {
            const char *near = known ? NULL : dlc_nearest(k, file_keys);
            if (embedded && strcmp(k, "base") == 0)
                return own_fail(L, sec->keys[i], k,
                                "a sweep: section sweeps the config it is in; base: belongs in "
                                "a separate sweep file");
            if (near)
                return own_fail(L, sec->keys[i], k, "unknown key (did you mean '%s'?)", near);
            return own_fail(L, sec->keys[i], k,
                            "unknown key (valid: base, name, trials, seed, metric, mode, "
                            "baseline, set, params)");
        }
    }

    /* the base config first: every other check loads it */
    if (embedded) {
        dlc_strlcpy(s->base, s->path, sizeof s->base);
    } else {
        const ynode *b = ynode_map_get(sec, "base");
        if (b->kind != YN_SCALAR || ynode_is_null(b))
            return own_fail(L, b, "base", "expected the path of the base config");
        char dir[1024];
        dir_of(dir, sizeof dir, s->path);
        int n = b->value[0] == '/'
                    ? snprintf(s->base, sizeof s->base, "%s", b->value)
                    : snprintf(s->base, sizeof s->base, "%s/%s", dir, b->value);
        if (n < 0 || (size_t)n >= sizeof s->base)
            return own_fail(L, b, "base", "path too long");
        dlc_error e = {0};
        if (try_base(s, NULL, &e) != DLC_OK)
            return own_fail(L, b, "base", "%s", e.msg);
    }

    const ynode *v;
    char stem[1024];
    dlc_path_stem(stem, sizeof stem, s->path);
    int stem_fits = dlc_strlcpy(s->name, stem, sizeof s->name) < sizeof s->name;
    if (!(v = ynode_map_get(sec, "name")) && !stem_fits)
        return own_fail(L, sec, "name", "missing, and the file's name is too long to name the "
                        "sweep (at most %zu characters): set name", sizeof s->name - 1);
    if (v) {
        if (v->kind != YN_SCALAR || !name_ok(v->value) || strlen(v->value) >= sizeof s->name)
            return own_fail(L, v, "name",
                            "expected a folder name: letters, digits, '.', '_' and '-'");
        dlc_strlcpy(s->name, v->value, sizeof s->name);
    }
    s->seed = 1;
    if ((v = ynode_map_get(sec, "seed"))) {
        long seed;
        if (!plain_long(v, &seed) || seed < 0)
            return own_fail(L, v, "seed", "expected a whole number >= 0");
        s->seed = (uint64_t)seed;
    }
    s->metric = &sweep_metrics[0];
    if ((v = ynode_map_get(sec, "metric"))) {
        const char *names[16];
        int n = 0;
        for (; sweep_metrics[n].name && n < 15; n++)
            names[n] = sweep_metrics[n].name;
        names[n] = NULL;
        int m;
        if (get_word(L, v, "metric", names, &m) != DLC_OK)
            return DLC_EINPUT;
        s->metric = &sweep_metrics[m];
    }
    int m = SWEEP_RANDOM;
    if ((v = ynode_map_get(sec, "mode")) && get_word(L, v, "mode", sweep_mode_names, &m) != DLC_OK)
        return DLC_EINPUT;
    s->file_mode = (sweep_mode)m;
    s->mode = mode >= 0 ? (sweep_mode)mode : (sweep_mode)m;
    if ((v = ynode_map_get(sec, "baseline"))) {
        static const char *const bools[] = {"false", "true", NULL};
        if (get_word(L, v, "baseline", bools, &s->baseline) != DLC_OK)
            return DLC_EINPUT;
    }
    if ((v = ynode_map_get(sec, "set")) && !ynode_is_null(v) && parse_fixed(L, v) != DLC_OK)
        return L->err->status;
    const ynode *params = ynode_map_get(sec, "params");
    if (!params)
        return own_fail(L, sec, "params",
                        "missing: which config keys to sweep, e.g. "
                        "train.optimizer.lr: {log_uniform: [1e-4, 1e-1]}");
    if (parse_params(L, params) != DLC_OK)
        return L->err->status;
    return settle_trials(L, sec, params);
}

dlc_status sweep_load(sweep_spec *s, const char *path, int mode, dlc_error *err)
{
    memset(s, 0, sizeof *s);
    char *text = NULL;
    size_t len = 0;
    ynode *root = NULL;
    dlc_status st = dlc_read_file(path, &text, &len, err);
    if (st != DLC_OK)
        return st;
    if (strlen(path) >= sizeof s->path) {
        st = dlc_fail(err, DLC_EINPUT, "%s: path too long", path);
        goto cleanup;
    }
    dlc_strlcpy(s->path, path, sizeof s->path);
    st = ytree_parse(&root, path, text, len, 1, err);
    if (st != DLC_OK)
        goto cleanup;
    if (!root || root->kind != YN_MAP) {
        st = dlc_fail(err, DLC_EINPUT, "%s: a sweep is a mapping of keys (base:, trials:, params:, ...)",
                      path);
        goto cleanup;
    }
    const ynode *sec = ynode_map_get(root, "sweep");
    int embedded = sec != NULL;
    if (embedded && sec->kind != YN_MAP) {
        st = config_key_fail(err, sec, "sweep", "expected a mapping (trials:, params:, ...)");
        goto cleanup;
    }
    loader L = {s, embedded ? "sweep." : "", err};
    st = parse_spec(&L, embedded ? sec : root, embedded, mode);

cleanup:
    ynode_free(root);
    free(text);
    if (st != DLC_OK)
        sweep_free(s);
    return st;
}
