/* sampler.c - metric learning's data: classes held out of training
 * (data.class_split), pairs stacked into one input, and batches of P classes
 * x K examples for triplet mining (data.h: data.sampler).
 *
 * Letters: n examples of a split, D values per example, P classes per batch,
 * K examples per class, C classes of the data.
 *
 * Held-out classes: the train file's rows of the train classes are the pool
 * dev and train-dev are carved from (split.c); then test becomes every
 * example of a test class (test file, else train file), and dev, when dev
 * classes are named, every example of those (dev file, else train file).
 *
 * Pairs: split k's examples move to single[k] and split[k] becomes n pairs
 * (stack 2): example i of single[k] first, its partner second.  A partner
 * is of the same class with probability positive_fraction (another example
 * of it; when the class has no other, one of another class), else of a
 * different class.  The normalization is doubled so each half of an input
 * gets the statistics of one example.
 */
#include "data_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const data_sampler_names[DATA_SAMPLER_COUNT + 1] = {"none", "pairs", "triplets", NULL};

static const char *const class_split_keys[DATA_CLASS_SPLITS] = {"train", "dev", "test"};

/* "file.yaml:12: key 'data.class_split.test': " or "data.class_split.test: " */
static void key_prefix(char *buf, size_t size, const char *where, const char *key)
{
    if (where && where[0])
        snprintf(buf, size, "%s: key '%s': ", where, key);
    else
        snprintf(buf, size, "%s: ", key);
}

const data_split *data_examples(const data_bundle *b, int k)
{
    return b->stack == 2 ? &b->single[k] : &b->split[k];
}

static int class_of(const dataset *ds, int row)
{
    float y = ds->targets[(size_t)row * (size_t)ds->n_targets];
    return isnan(y) || y < 0 ? -1 : (int)y;
}

/* ---- held-out classes ---- */

/* The class id a list entry names: a class name, else a whole number that
 * is a class id; -1 if neither, -2 for a number when the class names are
 * numbers too (CSV labels 10, 20, 30: "1" would be read as 20). */
static int class_lookup(const dlc_strlist *names, const char *s)
{
    int c = dlc_strlist_find(names, s);
    if (c >= 0)
        return c;
    long v;
    double d;
    if (dlc_parse_long(s, &v) != 0)
        return -1;
    for (int k = 0; k < names->n; k++)
        if (dlc_parse_double(names->v[k], &d) == 0)
            return -2;
    return v >= 0 && v < names->n ? (int)v : -1;
}

int data_class_splitting(const data_config *cfg)
{
    return cfg->class_split[DATA_CLASS_TRAIN].n > 0 || cfg->class_split[DATA_CLASS_DEV].n > 0 ||
           cfg->class_split[DATA_CLASS_TEST].n > 0;
}

/* which[c]: the DATA_CLASS_* split class c belongs to, -1 for none.  A
 * class in no list is a train class when the train list is empty. */
static dlc_status class_map(const data_bundle *b, const data_config *cfg, int *which, int C,
                            dlc_error *err)
{
    const dlc_strlist *names = &b->heads[0].class_names;
    char key[64], pre[256];
    for (int c = 0; c < C; c++)
        which[c] = cfg->class_split[DATA_CLASS_TRAIN].n > 0 ? -1 : DATA_CLASS_TRAIN;
    /* dlc eval of an embedding on a file of new identities: classes after
     * the model's (cfg->new_classes) are held out with the test classes */
    if (cfg->new_classes)
        for (int c = cfg->classes.n; c < C; c++)
            which[c] = DATA_CLASS_TEST;
    for (int k = DATA_CLASS_SPLITS - 1; k >= 0; k--) {
        const dlc_strlist *l = &cfg->class_split[k];
        snprintf(key, sizeof key, "data.class_split.%s", class_split_keys[k]);
        key_prefix(pre, sizeof pre, cfg->class_split_where[k], key);
        for (int i = 0; i < l->n; i++) {
            int c = class_lookup(names, l->v[i]);
            if (c == -2)
                return dlc_fail(err, DLC_EINPUT,
                                "%sno class labelled '%s' in the data: its class labels are numbers "
                                "('%.20s', ...), so an entry names a label, not a class id", pre,
                                l->v[i], names->n ? names->v[0] : "");
            if (c < 0) {
                char have[400] = "";
                for (int j = 0, at = 0; j < names->n && j < 10 && at < (int)sizeof have; j++)
                    at += snprintf(have + at, sizeof have - (size_t)at, "%s'%.40s'%s",
                                   j ? ", " : "", names->v[j], j == 9 && names->n > 10 ? ", ..." : "");
                return dlc_fail(err, DLC_EINPUT,
                                "%sno class '%s' in the data (it has %d: %s; or a class id 0-%d)",
                                pre, l->v[i], names->n, names->n ? have : "none", names->n - 1);
            }
            if (which[c] >= 0 && which[c] != DATA_CLASS_TRAIN && which[c] != k)
                return dlc_fail(err, DLC_EINPUT, "%sclass '%s' is also in data.class_split.%s",
                                pre, l->v[i], class_split_keys[which[c]]);
            if (which[c] == k && cfg->class_split[DATA_CLASS_TRAIN].n > 0)
                return dlc_fail(err, DLC_EINPUT, "%s'%s' is listed twice", pre, l->v[i]);
            which[c] = k;
        }
    }
    return DLC_OK;
}

/* Every class of list k must have an example among ds's rows. */
static dlc_status check_present(const data_config *cfg, const data_bundle *b, int k,
                                const dataset *ds, const int *which, int C, dlc_error *err)
{
    const dlc_strlist *l = &cfg->class_split[k];
    int *seen = calloc((size_t)C + 1, sizeof(int));
    if (!seen)
        return DLC_NOMEM(err);
    for (int r = 0; r < ds->n; r++) {
        int c = class_of(ds, r);
        if (c >= 0 && c < C)
            seen[c]++;
    }
    dlc_status st = DLC_OK;
    char key[64], pre[256];
    snprintf(key, sizeof key, "data.class_split.%s", class_split_keys[k]);
    key_prefix(pre, sizeof pre, cfg->class_split_where[k], key);
    /* new identities in their place: the listed classes need not be there */
    int new_there = 0;
    for (int c = cfg->new_classes ? cfg->classes.n : C; c < C; c++)
        new_there |= seen[c] > 0;
    for (int i = 0; i < l->n && st == DLC_OK && !new_there; i++) {
        int c = class_lookup(&b->heads[0].class_names, l->v[i]);
        if (c >= 0 && !seen[c])
            st = dlc_fail(err, DLC_EINPUT, "%sclass '%s' has no examples in %s", pre, l->v[i],
                          ds->path);
    }
    int classes = 0;
    for (int c = 0; c < C; c++)
        classes += seen[c] > 0 && which[c] == k;
    /* dev too: its triplet loss needs a negative, and its verification
     * figures and the threshold different pairs */
    if (st == DLC_OK && classes < 2)
        st = dlc_fail(err, DLC_EINPUT,
                      "%s%d class%s with examples in %s: comparing examples needs at least 2", pre,
                      classes, classes == 1 ? "" : "es", ds->path);
    free(seen);
    return st;
}

dlc_status data_class_pool(data_bundle *b, const data_config *cfg, int **pool, int *n,
                           dlc_error *err)
{
    const dataset *tr = b->src[SRC_TRAIN];
    *n = 0;
    if (!(*pool = malloc(sizeof(int) * (size_t)(tr->n ? tr->n : 1))))
        return DLC_NOMEM(err);
    if (!data_class_splitting(cfg)) {
        for (int i = 0; i < tr->n; i++)
            (*pool)[i] = i;
        *n = tr->n;
        return DLC_OK;
    }
    if (b->n_heads != 1 || b->heads[0].mode != DATA_TARGET_CLASS)
        return dlc_fail(err, DLC_EINPUT, "data.class_split holds classes out: it needs one output "
                                         "learning from class labels");
    int C = b->heads[0].class_names.n;
    int *which = malloc(sizeof(int) * (size_t)(C ? C : 1));
    if (!which)
        return DLC_NOMEM(err);
    dlc_status st = class_map(b, cfg, which, C, err);
    if (st == DLC_OK)
        st = check_present(cfg, b, DATA_CLASS_TRAIN, tr, which, C, err);
    for (int i = 0; i < tr->n && st == DLC_OK; i++) {
        int c = class_of(tr, i);
        if (c >= 0 && c < C && which[c] == DATA_CLASS_TRAIN)
            (*pool)[(*n)++] = i;
    }
    free(which);
    return st;
}

/* Rows of ds whose class is in list k, as split s. */
static dlc_status keep_classes(data_split *s, const dataset *ds, const int *which, int C, int k,
                               dlc_error *err)
{
    int *rows = malloc(sizeof(int) * (size_t)(ds->n ? ds->n : 1));
    if (!rows)
        return DLC_NOMEM(err);
    int n = 0;
    for (int r = 0; r < ds->n; r++) {
        int c = class_of(ds, r);
        if (c >= 0 && c < C && which[c] == k)
            rows[n++] = r;
    }
    dlc_status st = data_split_rows(s, ds, rows, n, 0, err);
    free(rows);
    return st;
}

dlc_status data_class_splits(data_bundle *b, const data_config *cfg, dlc_error *err)
{
    if (!data_class_splitting(cfg))
        return DLC_OK;
    int C = b->heads[0].class_names.n;
    int *which = malloc(sizeof(int) * (size_t)(C ? C : 1));
    if (!which)
        return DLC_NOMEM(err);
    dlc_status st = class_map(b, cfg, which, C, err);
    const dataset *test = b->src[SRC_TEST] ? b->src[SRC_TEST] : b->src[SRC_TRAIN];
    const dataset *dev = b->src[SRC_DEV] ? b->src[SRC_DEV] : b->src[SRC_TRAIN];
    if (st == DLC_OK && cfg->class_split[DATA_CLASS_TEST].n > 0) {
        st = check_present(cfg, b, DATA_CLASS_TEST, test, which, C, err);
        if (st == DLC_OK)
            st = keep_classes(&b->split[DATA_SPLIT_TEST], test, which, C, DATA_CLASS_TEST, err);
    }
    if (st == DLC_OK && cfg->class_split[DATA_CLASS_DEV].n > 0) {
        st = check_present(cfg, b, DATA_CLASS_DEV, dev, which, C, err);
        if (st == DLC_OK)
            st = keep_classes(&b->split[DATA_SPLIT_DEV], dev, which, C, DATA_CLASS_DEV, err);
    } else if (st == DLC_OK && b->src[SRC_DEV]) {
        st = keep_classes(&b->split[DATA_SPLIT_DEV], dev, which, C, DATA_CLASS_TRAIN, err);
    }
    free(which);
    return st;
}

/* ---- examples grouped by class ---- */

/* Positions 0..n-1 of split s grouped by class: pos[start[c] .. start[c+1])
 * are class c's (unknown labels left out). */
typedef struct {
    int C;
    int *start;   /* (C + 1) */
    int *pos;     /* (n) */
} class_index;

static void class_index_free(class_index *ci)
{
    free(ci->start);
    free(ci->pos);
    memset(ci, 0, sizeof *ci);
}

static int split_class(const data_split *s, int i)
{
    return class_of(s->ds, s->idx[i]);
}

static int class_index_build(class_index *ci, const data_split *s)
{
    int C = 0;
    for (int i = 0; i < s->n; i++) {
        int c = split_class(s, i);
        if (c + 1 > C)
            C = c + 1;
    }
    ci->C = C;
    ci->start = calloc((size_t)C + 2, sizeof(int));
    ci->pos = malloc(sizeof(int) * (size_t)(s->n ? s->n : 1));
    if (!ci->start || !ci->pos) {
        class_index_free(ci);
        return -1;
    }
    for (int i = 0; i < s->n; i++) {
        int c = split_class(s, i);
        if (c >= 0)
            ci->start[c + 1]++;
    }
    for (int c = 0; c < C; c++)
        ci->start[c + 1] += ci->start[c];
    int *at = malloc(sizeof(int) * (size_t)(C ? C : 1));
    if (!at) {
        class_index_free(ci);
        return -1;
    }
    memcpy(at, ci->start, sizeof(int) * (size_t)C);
    for (int i = 0; i < s->n; i++) {
        int c = split_class(s, i);
        if (c >= 0)
            ci->pos[at[c]++] = i;
    }
    free(at);
    return 0;
}

/* ---- pairs ---- */

/* The partner of position i (class c) in s: see the top of the file. */
static int draw_partner(const class_index *ci, int n, int i, int c, double positive,
                        dlc_rng *rng)
{
    int known = ci->start[ci->C];
    int own = c >= 0 ? ci->start[c + 1] - ci->start[c] : 0;
    int same = own > 1 && (own == known || dlc_rng_uniform(rng) < positive);
    if (same) {
        /* another example of c: one of the own - 1 others */
        int k = (int)dlc_rng_below(rng, (uint64_t)own - 1);
        int p = ci->pos[ci->start[c] + k];
        return p == i ? ci->pos[ci->start[c] + own - 1] : p;
    }
    if (known - own <= 0)
        return (int)dlc_rng_below(rng, (uint64_t)n);
    /* one of the examples of other classes */
    int k = (int)dlc_rng_below(rng, (uint64_t)(known - own));
    if (c >= 0 && k >= ci->start[c])
        k += own;
    return ci->pos[k];
}

/* pairs->idx (2 n) from the single examples s. */
static int draw_pairs(data_split *pairs, const data_split *s, const class_index *ci,
                      double positive, dlc_rng *rng)
{
    for (int i = 0; i < s->n; i++) {
        int p = draw_partner(ci, s->n, i, split_class(s, i), positive, rng);
        pairs->idx[2 * i] = s->idx[i];
        pairs->idx[2 * i + 1] = s->idx[p];
    }
    return 0;
}

void data_epoch(data_bundle *b, dlc_rng *rng)
{
    if (b->stack != 2 || b->split[DATA_SPLIT_TRAIN].n == 0)
        return;
    class_index ci = {0};
    const data_split *s = &b->single[DATA_SPLIT_TRAIN];
    if (class_index_build(&ci, s) != 0)
        return; /* out of memory: the epoch trains on the pairs it had */
    draw_pairs(&b->split[DATA_SPLIT_TRAIN], s, &ci, b->sampler.positive_fraction, rng);
    class_index_free(&ci);
}

/* Splits become pairs; the normalization is doubled. */
static dlc_status setup_pairs(data_bundle *b, uint64_t seed, dlc_error *err)
{
    size_t D = b->dim;
    data_norm two;
    dlc_status st = data_norm_init(&two, b->norm.kind, 2 * D, err);
    if (st)
        return st;
    memcpy(two.shift, b->norm.shift, sizeof(float) * D);
    memcpy(two.shift + D, b->norm.shift, sizeof(float) * D);
    memcpy(two.scale, b->norm.scale, sizeof(float) * D);
    memcpy(two.scale + D, b->norm.scale, sizeof(float) * D);
    data_norm_free(&b->norm);
    b->norm = two;
    for (int k = 0; k < DATA_SPLIT_COUNT; k++) {
        data_split *s = &b->single[k], *p = &b->split[k];
        *s = *p;
        memset(p, 0, sizeof *p);
        p->ds = s->ds;
        p->n = s->n;
        p->stack = 2;
        if (!(p->idx = malloc(sizeof(int) * (2 * (size_t)s->n + 1))))
            return DLC_NOMEM(err);
        class_index ci = {0};
        if (class_index_build(&ci, s) != 0)
            return DLC_NOMEM(err);
        dlc_rng rng;
        dlc_rng_seed(&rng, seed, DLC_STREAM(DLC_STREAM_SPLIT, 16 + k));
        draw_pairs(p, s, &ci, b->sampler.positive_fraction, &rng);
        class_index_free(&ci);
    }
    b->stack = 2;
    b->dim = 2 * D;
    b->shape = b->example_shape;
    b->shape.d[0] *= 2;
    /* the head learns same / different; the classes stay for reports */
    dlc_strlist *names = &b->heads[0].class_names;
    dlc_strlist_clear(&b->class_names);
    b->class_names = *names;
    memset(names, 0, sizeof *names);
    if ((st = dlc_strlist_push(names, "different", err)) ||
        (st = dlc_strlist_push(names, "same", err)))
        return st;
    return DLC_OK;
}

/* P classes of the train split must have K examples each. */
static dlc_status check_batches(const data_bundle *b, const data_sampler *sm, dlc_error *err)
{
    const data_split *s = &b->split[DATA_SPLIT_TRAIN];
    class_index ci = {0};
    if (class_index_build(&ci, s) != 0)
        return DLC_NOMEM(err);
    int full = 0, classes = 0, short_of = 0;
    int *counts = calloc((size_t)ci.C + 1, sizeof *counts);
    char few[256] = ""; /* the first classes short of per_class, with their counts */
    const dlc_strlist *names = &b->heads[0].class_names;
    for (int c = 0; counts && c < ci.C; c++) {
        int n = ci.start[c + 1] - ci.start[c];
        classes += n > 0;
        full += n >= sm->per_class;
        if (n > 0)
            counts[classes - 1] = n;
        size_t len = strlen(few);
        if (n > 0 && n < sm->per_class && short_of++ < 3 && len < sizeof few)
            snprintf(few + len, sizeof few - len, "%s'%s' has %d", len ? ", " : "",
                     c < names->n ? names->v[c] : "?", n);
    }
    class_index_free(&ci);
    if (!counts)
        return DLC_NOMEM(err);
    /* the largest per_class that classes_per_batch classes have: the P-th largest count */
    int P = sm->classes_per_batch, kmax = 0;
    for (int i = 0; i < classes && P <= classes; i++) {
        int above = 0;
        for (int j = 0; j < classes; j++)
            above += counts[j] >= counts[i];
        if (above >= P && counts[i] > kmax)
            kmax = counts[i];
    }
    free(counts);
    char pre[256];
    key_prefix(pre, sizeof pre, sm->where, "data.sampler");
    long PK = (long)sm->classes_per_batch * sm->per_class;
    if (PK > s->n)
        return dlc_fail(err, DLC_EINPUT,
                        "%sclasses_per_batch %d x per_class %d = %ld examples per batch, but the "
                        "train split has %d",
                        pre, sm->classes_per_batch, sm->per_class, PK, s->n);
    if (full < sm->classes_per_batch) {
        /* a triplet needs a negative of another class: 2 classes a batch at least */
        char fix[128] = "";
        if (full >= 2)
            snprintf(fix, sizeof fix, "lower classes_per_batch to %d", full);
        if (kmax >= 2)
            snprintf(fix + strlen(fix), sizeof fix - strlen(fix), "%sper_class to %d",
                     fix[0] ? ", or " : "lower ", kmax);
        return dlc_fail(err, DLC_EINPUT,
                        "%sclasses_per_batch %d: only %d of the train split's %d classes have "
                        "per_class %d examples%s%s%s%s%s%s",
                        pre, sm->classes_per_batch, full, classes, sm->per_class,
                        few[0] ? " (" : "", few, short_of > 3 ? ", ..." : "", few[0] ? ")" : "",
                        fix[0] ? "; " : "", fix);
    }
    return DLC_OK;
}

dlc_status data_sampler_setup(data_bundle *b, const data_config *cfg, uint64_t seed,
                              dlc_error *err)
{
    b->sampler = cfg->sampler;
    b->stack = 1;
    b->example_shape = b->shape;
    b->seed = seed;
    if (cfg->sampler.kind == DATA_SAMPLER_NONE)
        return DLC_OK;
    char pre[256];
    key_prefix(pre, sizeof pre, cfg->sampler.where, "data.sampler.type");
    if (b->n_heads != 1 || b->heads[0].mode != DATA_TARGET_CLASS || b->n_targets != 1)
        return dlc_fail(err, DLC_EINPUT, "%s%s are drawn by class: they need one output and one "
                                         "class label per example",
                        pre, data_sampler_names[cfg->sampler.kind]);
    if (cfg->sampler.kind == DATA_SAMPLER_TRIPLETS)
        return check_batches(b, &cfg->sampler, err);
    return setup_pairs(b, seed, err);
}

void data_sampler_free(data_bundle *b)
{
    for (int k = 0; k < DATA_SPLIT_COUNT; k++)
        free(b->single[k].idx);
    dlc_strlist_clear(&b->class_names);
}

/* ---- batches of P classes x K examples ---- */

typedef struct {
    int c, at;   /* class, where its K positions start in class_index.pos */
} plan_run;

int data_plan_pk(const data_bundle *b, const data_split *s, dlc_rng *rng, int *order, int *starts)
{
    const int P = b->sampler.classes_per_batch, K = b->sampler.per_class;
    class_index ci = {0};
    plan_run *runs = NULL;
    int *used = NULL, nb = 0;
    starts[0] = 0;
    if (class_index_build(&ci, s) != 0)
        return 0;
    int R = 0;
    for (int c = 0; c < ci.C; c++) {
        int n = ci.start[c + 1] - ci.start[c];
        dlc_rng_shuffle(rng, ci.pos + ci.start[c], n);
        R += n / K;
    }
    runs = malloc(sizeof *runs * (size_t)(R ? R : 1));
    used = calloc((size_t)ci.C + 1, sizeof(int));
    int *perm = malloc(sizeof(int) * (size_t)(R ? R : 1));
    if (!runs || !used || !perm)
        goto done;
    R = 0;
    for (int c = 0; c < ci.C; c++)
        for (int at = ci.start[c]; at + K <= ci.start[c + 1]; at += K)
            runs[R++] = (plan_run){c, at};
    for (int r = 0; r < R; r++)
        perm[r] = r;
    dlc_rng_shuffle(rng, perm, R);
    /* deal: each batch takes the first runs of classes it lacks */
    int left = R, k = 0, stamp = 0;
    while (left >= P) {
        stamp++;
        int got = 0;
        for (int r = 0; r < left && got < P; r++) {
            const plan_run *ru = &runs[perm[r]];
            if (used[ru->c] == stamp)
                continue;
            used[ru->c] = stamp;
            for (int j = 0; j < K; j++)
                order[k++] = ci.pos[ru->at + j];
            /* take it out of the deck, keeping the others' order */
            memmove(perm + r, perm + r + 1, sizeof(int) * (size_t)(left - r - 1));
            left--;
            r--;
            got++;
        }
        if (got < P) { /* fewer than P classes left: this epoch ends here */
            k -= got * K;
            break;
        }
        starts[++nb] = k;
    }
done:
    free(perm);
    free(runs);
    free(used);
    class_index_free(&ci);
    return nb;
}

int data_plan_batch(const data_bundle *b, int B)
{
    if (b->sampler.kind == DATA_SAMPLER_TRIPLETS)
        return b->sampler.classes_per_batch * b->sampler.per_class;
    return B;
}
