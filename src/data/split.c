/* split.c - carving splits (shared with text.c), and data_table_load: read
 * the sources of a table format (idx, csv, image_folder), carve the splits
 * and fit normalization on train.
 *
 * Carving (when dev/test are not separate files): the train file's rows are
 * shuffled with the run seed (stream DLC_STREAM_SPLIT); test takes the first
 * rows, then dev, then train-dev, and train keeps the rest.  Each split's
 * indices are then sorted, so a split's contents depend only on the seed and
 * the fractions, and its order never on the shuffle.
 */
#include "data_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../base/rng.h"

static const char *const split_src_names[SRC_COUNT] = {"train", "dev", "test"};

int data_source_given(const data_source *s)
{
    return s->file[0] || s->images[0] || s->labels[0] || s->dir[0];
}

static int split_cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

dlc_status data_split_rows(data_split *s, const dataset *ds, const int *rows, int n, int sort,
                           dlc_error *err)
{
    s->ds = ds;
    s->n = n;
    free(s->idx); /* a split carved empty from train, now read from its own file */
    s->idx = malloc(sizeof(int) * (size_t)(n ? n : 1));   /* (n) */
    if (!s->idx)
        return DLC_NOMEM(err);
    if (rows)
        memcpy(s->idx, rows, sizeof(int) * (size_t)n);
    else
        for (int i = 0; i < n; i++)
            s->idx[i] = i;
    if (sort)
        qsort(s->idx, (size_t)n, sizeof(int), split_cmp_int);
    return DLC_OK;
}

long data_split_count(long n, double f)
{
    if (!(f > 0.0))
        return 0;
    double c = floor((double)n * f + 0.5);
    if (c < 1.0)
        c = 1.0;
    if (c > (double)n)
        c = (double)n;
    return (long)c;
}

/* The CSV label group each head reads: its own name among data.label's
 * groups, or data.label's one unnamed group when there is one head. */
static dlc_status split_groups(data_bundle *b, const data_config *cfg, data_csv_targets *groups,
                               dlc_error *err)
{
    for (int h = 0; h < b->n_heads; h++) {
        data_head *hd = &b->heads[h];
        const data_label_group *found = NULL;
        if (b->n_heads == 1 && cfg->n_labels == 1 && !cfg->labels[0].name[0])
            found = &cfg->labels[0];
        for (int i = 0; i < cfg->n_labels && !found; i++)
            if (strcmp(cfg->labels[i].name, hd->name) == 0)
                found = &cfg->labels[i];
        if (!found) {
            char list[256] = "";
            for (int i = 0, used = 0; i < cfg->n_labels && used < (int)sizeof list; i++) {
                int w = snprintf(list + used, sizeof list - (size_t)used, "%s%s", i ? ", " : "",
                                 cfg->labels[i].name[0] ? cfg->labels[i].name : "(a plain list)");
                used += w > 0 ? w : 0;
            }
            if (cfg->n_labels == 0)
                return dlc_fail(err, DLC_EINPUT, "data.label: no label column given");
            if (b->n_heads > 1 && cfg->n_labels == 1 && !cfg->labels[0].name[0])
                return dlc_fail(err, DLC_EINPUT,
                                "data.label: a model with %d outputs needs a mapping from each "
                                "output's target to its columns, e.g. {%s: [...], ...}",
                                b->n_heads, hd->name);
            return dlc_fail(err, DLC_EINPUT,
                            "data.label: no label group '%s' for output '%s' (it has: %s); name "
                            "one so, or set the output's target",
                            hd->name, hd->name, list);
        }
        groups[h] = (data_csv_targets){hd->name, &found->columns, hd->mode, &hd->class_names};
        if ((found->columns.n > 0) && dlc_strlist_copy(&hd->columns, &found->columns, err) != DLC_OK)
            return DLC_ENOMEM;
    }
    return DLC_OK;
}

const dlc_strlist *data_csv_features(const data_config *cfg, const dataset *first)
{
    /* the first file's columns: data.features, or every column, with the
     * one-hot features of categorical columns */
    if (first && first->columns.n > 0)
        return &first->columns;
    return &cfg->features;
}

/* *p (if any) shrunk to bytes; kept as it is if realloc fails. */
static void split_shrink(void **p, size_t bytes)
{
    void *q = *p ? realloc(*p, bytes) : NULL;
    if (q)
        *p = q;
}

/* ds keeps rows (n, ascending) only, in place; each keeps its row in its
 * file (ds->row, made when first needed), which the error sample names.
 * ENOMEM only. */
static dlc_status keep_rows(dataset *ds, const int *rows, int n, dlc_error *err)
{
    size_t D = ds->dim, T = (size_t)ds->n_targets;
    if (!ds->row && n < ds->n) {
        if (!(ds->row = malloc(sizeof(int) * (size_t)(ds->n ? ds->n : 1))))
            return DLC_NOMEM(err);
        for (int i = 0; i < ds->n; i++)
            ds->row[i] = i;
    }
    if (ds->files.n == ds->n) { /* image folders: each kept row keeps its file's name */
        for (int i = 0, k = 0; i < ds->n; i++) {
            if (k < n && rows[k] == i) {
                k++;
                continue;
            }
            free(ds->files.v[i]);
            ds->files.v[i] = NULL;
        }
        for (int i = 0; i < n; i++)
            ds->files.v[i] = ds->files.v[rows[i]];
        ds->files.n = n;
    }
    for (int i = 0; i < n; i++) {
        size_t r = (size_t)rows[i];
        if (ds->u8)
            memmove(ds->u8 + (size_t)i * D, ds->u8 + r * D, D);
        if (ds->source)
            ds->source[i] = ds->source[r];
        if (ds->row)
            ds->row[i] = ds->row[r];
        if (ds->f32)
            memmove(ds->f32 + (size_t)i * D, ds->f32 + r * D, sizeof(float) * D);
        memmove(ds->targets + (size_t)i * T, ds->targets + r * T, sizeof(float) * T);
    }
    /* the rows let go are given back: a limit of 1,000 rows of a million-row
     * table kept the whole table's 400 MB through training */
    if (n < ds->n) {
        size_t k = (size_t)(n ? n : 1);
        split_shrink((void **)&ds->u8, k * D);
        split_shrink((void **)&ds->f32, k * D * sizeof(float));
        split_shrink((void **)&ds->targets, k * (T ? T : 1) * sizeof(float));
        split_shrink((void **)&ds->row, k * sizeof(int));
        split_shrink((void **)&ds->source, k * sizeof *ds->source);
    }
    ds->n = n;
    return DLC_OK;
}

/* A CSV file's header names, from the file's start only (a header of a
 * million bytes is not one), inflated when the file is gzip-compressed. */
static dlc_status split_csv_header(const char *path, const data_csv_dialect *d, dlc_strlist *header,
                                   dlc_error *err)
{
    enum { HEADER_MAX = 4 << 20 };
    char *text = NULL;
    size_t n = 0;
    dlc_status st = data_read_start(path, HEADER_MAX, &text, &n, err);
    if (st == DLC_OK)
        st = data_csv_header(path, text, n, d, header, err);
    free(text);
    return st;
}

/* data.exclude: the train file's feature columns, every column that is
 * neither a label, nor pandas' unnamed index, nor excluded, into kept.  Only
 * the file's start is read for the header (a header of a million bytes is
 * not one). */
static dlc_status split_exclude(dlc_strlist *kept, const data_config *cfg, const char *path,
                                dlc_error *err)
{
    dlc_strlist header = {0};
    if (cfg->features.n > 0)
        return dlc_fail(err, DLC_EINPUT, "data.features and data.exclude: give one (features lists "
                        "the columns read, exclude those left out of every column)");
    const data_csv_dialect d = data_csv_dialect_of(cfg);
    dlc_status st = split_csv_header(path, &d, &header, err);
    for (int i = 0; i < cfg->exclude.n && st == DLC_OK; i++) {
        const char *x = cfg->exclude.v[i];
        for (int h = 0; h < cfg->n_labels && st == DLC_OK; h++)
            if (dlc_strlist_find(&cfg->labels[h].columns, x) >= 0)
                st = dlc_fail(err, DLC_EINPUT, "data.exclude: '%s' is a label column (data.label); "
                              "exclude lists feature columns to leave out", x);
        if (st == DLC_OK && dlc_strlist_find(&header, x) < 0) {
            const char **names = malloc(sizeof *names * (size_t)(header.n + 1));
            const char *near = NULL;
            if (names) {
                for (int j = 0; j < header.n; j++)
                    names[j] = header.v[j];
                names[header.n] = NULL;
                near = dlc_nearest(x, names);
            }
            char hint[400]; /* a header that is no header: sklearn's, or data */
            data_csv_header_hint(&header, hint, sizeof hint);
            st = dlc_fail(err, DLC_EINPUT, "data.exclude: %s has no column '%s'%s%s%s%s", path, x,
                          near && !hint[0] ? " (did you mean '" : "", near && !hint[0] ? near : "",
                          near && !hint[0] ? "'?)" : "", hint);
            free(names);
        }
    }
    for (int j = 0; j < header.n && st == DLC_OK; j++) {
        const char *c = header.v[j];
        int label = 0;
        for (int h = 0; h < cfg->n_labels; h++)
            label |= dlc_strlist_find(&cfg->labels[h].columns, c) >= 0;
        if (!label && !(j == 0 && (!c[0] || strcmp(c, "Unnamed: 0") == 0)) &&
            dlc_strlist_find(&cfg->exclude, c) < 0)
            st = dlc_strlist_push(kept, c, err);
    }
    if (st == DLC_OK && kept->n == 0)
        st = dlc_fail(err, DLC_EINPUT, "data.exclude leaves no feature column of %s", path);
    dlc_strlist_clear(&header);
    return st;
}

/* A dev or test file without any label column: a Kaggle competition's
 * test.csv, whose labels are the competition's to keep.  Said as such, with
 * what to do instead, rather than as one column missing. */
static dlc_status split_unlabeled(const char *which, const char *path, const data_csv_dialect *d,
                                  const data_csv_targets *groups, int n_groups, dlc_error *err)
{
    dlc_strlist header = {0};
    if (split_csv_header(path, d, &header, NULL) != DLC_OK) {
        dlc_strlist_clear(&header);
        return DLC_OK; /* the full read names what is wrong */
    }
    int found = 0, any = 0;
    for (int g = 0; g < n_groups; g++)
        for (int t = 0; groups[g].columns && t < groups[g].columns->n; t++, any++)
            found += dlc_strlist_find(&header, groups[g].columns->v[t]) >= 0;
    dlc_status st = DLC_OK;
    char cols[300];
    data_quote_names(&header, cols, sizeof cols);
    if (any > 0 && found == 0 && header.n > 1)
        st = dlc_fail(err, DLC_EINPUT, "data.%s.file: %s has none of the label columns (data.label: "
                      "'%.60s'%s; its columns: %s): a file without labels, such as a Kaggle "
                      "competition's test.csv, cannot be scored; leave it out of data.%s and predict "
                      "its rows with dlc predict RUN %s", which, path, groups[0].columns->v[0],
                      any > 1 ? ", ..." : "", cols, which, path);
    dlc_strlist_clear(&header);
    return st;
}

/* A CSV file's `limit`: limit rows drawn with the seed (stream `stream`)
 * from the whole file, kept in file order.  The first rows of a file sorted
 * by class would be a few classes only; every row is read anyway (checked,
 * and its label named: the classes, and so the model's outputs, are the
 * whole file's). */
static dlc_status split_draw_limit(dataset *ds, long limit, uint64_t seed, uint64_t stream,
                                   dlc_error *err)
{
    if (limit <= 0 || limit >= ds->n)
        return DLC_OK;
    int *rows = malloc(sizeof(int) * (size_t)ds->n); /* (n) */
    if (!rows)
        return DLC_NOMEM(err);
    for (int i = 0; i < ds->n; i++)
        rows[i] = i;
    dlc_rng rng;
    dlc_rng_seed(&rng, seed, stream);
    dlc_rng_shuffle(&rng, rows, ds->n);
    qsort(rows, (size_t)limit, sizeof(int), split_cmp_int);
    ds->limited_from = ds->n;
    dlc_status st = keep_rows(ds, rows, (int)limit, err);
    free(rows);
    return st;
}

static dlc_status split_read(dataset **out, const data_config *cfg, const data_source *src,
                             int which_src, data_bundle *b, const data_csv_targets *groups,
                             tensor_shape *image_shape, uint64_t seed, dlc_error *err)
{
    const char *which = split_src_names[which_src];
    data_target mode = b->heads[0].mode;
    dlc_strlist *class_names = &b->heads[0].class_names;
    /* known classes (a model's, in eval) and skip_unknown_labels: labels
     * outside them are dropped and counted (DATA_TARGET_SKIP_UNKNOWN) */
    int skip = cfg->skip_unknown_labels && class_names->n > 0 && mode != DATA_TARGET_NUMERIC
                   ? DATA_TARGET_SKIP_UNKNOWN
               : cfg->new_classes && class_names->n > 0 && mode == DATA_TARGET_CLASS
                   ? DATA_TARGET_NEW_CLASSES
                   : 0;
    if (cfg->format == DATA_IMAGE_FOLDER) {
        if (!src->dir[0])
            return dlc_fail(err, DLC_EINPUT, "data.%s: image_folder data needs 'dir'", which);
        if (mode != DATA_TARGET_CLASS)
            return dlc_fail(err, DLC_EINPUT,
                            "data.%s: image folders give one class per image; use loss "
                            "softmax_cross_entropy", which);
        (void)groups;
        dlc_status st = data_read_image_folder(out, src->dir, image_shape, class_names,
                                               cfg->bad_files | skip, src->limit,
                                               cfg->max_image_pixels, &b->skipped_files, err);
        b->skipped = b->skipped_files.n;
        return st;
    }
    if (cfg->format == DATA_DETECTION) {
        if (!src->dir[0])
            return dlc_fail(err, DLC_EINPUT, "data.%s: detection data needs 'dir'", which);
        int labelled = 0;
        dlc_status st = data_read_detection(out, src, &cfg->detection, class_names->n,
                                            image_shape, cfg->bad_files, cfg->max_image_pixels,
                                            &b->skipped_files, &labelled, err);
        b->skipped = b->skipped_files.n;
        /* nothing to learn: more likely labels kept elsewhere than all background */
        if (st == DLC_OK && labelled == 0 && strcmp(which, "train") == 0)
            st = dlc_fail(err, DLC_EINPUT,
                          "data.train: none of the %d images in %s has a label file (NAME.txt in "
                          "%s): an image without one has no objects, and a train split of "
                          "background only teaches nothing; give the label folder with "
                          "data.train.labels (Ultralytics: .../labels/... beside .../images/... "
                          "is found by itself)",
                          (*out)->n, src->dir, src->labels[0] ? src->labels : src->dir);
        return st;
    }
    if (cfg->format == DATA_IDX) {
        if (!src->images[0] || !src->labels[0])
            return dlc_fail(err, DLC_EINPUT, "data.%s: IDX data needs both 'images' and 'labels'",
                            which);
        return data_read_idx(out, src->images, src->labels, src->limit, err);
    }
    if (cfg->format == DATA_CSV) {
        if (!src->file[0])
            return dlc_fail(err, DLC_EINPUT, "data.%s: CSV data needs 'file'", which);
        data_csv_targets with[DATA_MAX_HEADS];
        for (int h = 0; h < b->n_heads; h++) {
            with[h] = groups[h];
            if (cfg->skip_unknown_labels && with[h].class_names && with[h].class_names->n > 0 &&
                with[h].mode != DATA_TARGET_NUMERIC)
                with[h].mode = (data_target)(with[h].mode | DATA_TARGET_SKIP_UNKNOWN);
            else if (cfg->new_classes && with[h].class_names && with[h].class_names->n > 0 &&
                     with[h].mode == DATA_TARGET_CLASS)
                with[h].mode = (data_target)(with[h].mode | DATA_TARGET_NEW_CLASSES);
        }
        if (src->limit < 0)
            return dlc_fail(err, DLC_EINPUT, "data.%s.limit must be >= 0, got %ld", which,
                            src->limit);
        const data_csv_dialect d = data_csv_dialect_of(cfg);
        const dlc_strlist *features = data_csv_features(cfg, b->src[SRC_TRAIN]);
        dlc_strlist kept = {0}; /* data.exclude: the train file's other columns */
        dlc_status st = DLC_OK;
        if (cfg->exclude.n > 0 && features == &cfg->features) {
            st = split_exclude(&kept, cfg, src->file, err);
            features = &kept;
        }
        if (st == DLC_OK && which_src != SRC_TRAIN)
            st = split_unlabeled(which, src->file, &d, with, b->n_heads, err);
        if (st == DLC_OK)
            st = data_read_csv_groups(out, src->file, &d, with, b->n_heads, features,
                                             which_src == SRC_TRAIN ? &cfg->categorical : NULL,
                                             &cfg->unknown_label, (data_missing)cfg->missing, 0, err);
        dlc_strlist_clear(&kept);
        if (st == DLC_OK)
            st = split_draw_limit(*out, src->limit, seed, DLC_STREAM(DLC_STREAM_SPLIT, 8 + which_src),
                                  err);
        return st;
    }
    return dlc_fail(err, DLC_EINPUT, "data: unknown format %d", (int)cfg->format);
}

/* IDX labels: checks them against the targets' kind and names the classes. */
static dlc_status split_idx_classes(data_bundle *b, const data_config *cfg, data_target mode,
                                    dlc_error *err)
{
    dlc_status st;
    char name[32];
    if (mode == DATA_TARGET_NUMERIC)
        return DLC_OK;
    int K;
    if (mode == DATA_TARGET_BINARY) {
        K = 2;
        if (cfg->classes.n != 0 && cfg->classes.n != 2)
            return dlc_fail(err, DLC_EINPUT, "data.classes: binary targets take exactly 2 class names, %d given",
                            cfg->classes.n);
    } else if (cfg->classes.n > 0) {
        K = cfg->classes.n;
    } else {
        float mx = 0.0f;
        for (int k = 0; k < SRC_COUNT; k++) {
            const dataset *ds = b->src[k];
            for (int i = 0; ds && i < ds->n; i++)
                mx = ds->targets[i] > mx ? ds->targets[i] : mx;
        }
        K = (int)mx + 1;
    }
    const data_source *srcs[SRC_COUNT] = {&cfg->train, &cfg->dev, &cfg->test};
    for (int k = 0; k < SRC_COUNT; k++) {
        dataset *ds = b->src[k];
        int kept = 0;
        for (int i = 0; ds && i < ds->n; i++) {
            if (ds->targets[i] < (float)K) {
                if (kept < i) { /* compact past dropped examples */
                    ds->targets[kept] = ds->targets[i];
                    memcpy(ds->u8 + (size_t)kept * ds->dim, ds->u8 + (size_t)i * ds->dim, ds->dim);
                }
                kept++;
                continue;
            }
            /* the labels file holds the label: name it (example i is its byte 8 + i) */
            if (!cfg->skip_unknown_labels || cfg->classes.n == 0)
                return dlc_fail(err, DLC_EINPUT,
                                "%s: label %d (example %d, images in %s) is %g, but there are %d "
                                "classes (labels 0..%d)",
                                srcs[k]->labels, i, i, srcs[k]->images, (double)ds->targets[i], K,
                                K - 1);
            if (!ds->dropped++)
                ds->dropped_line = i;
        }
        if (ds && kept == 0 && ds->n > 0)
            return dlc_fail(err, DLC_EINPUT, "%s: every label is unknown to the model (%d examples)",
                            srcs[k]->labels, ds->n);
        if (ds)
            ds->n = kept;
    }
    dlc_strlist *names = &b->heads[0].class_names;
    if (cfg->classes.n > 0)
        return dlc_strlist_copy(names, &cfg->classes, err);
    for (int c = 0; c < K; c++) {
        snprintf(name, sizeof name, "%d", c);
        if ((st = dlc_strlist_push(names, name, err)))
            return st;
    }
    return DLC_OK;
}

/* data.subset: only the listed classes, numbered in the listed order, and
 * at most per_class examples of each from the train file (drawn with the
 * seed, kept in file order). */
dlc_status data_subset_apply(data_bundle *b, const data_config *cfg, uint64_t seed, dlc_error *err)
{
    const dlc_strlist *want = &cfg->subset_classes;
    if (want->n == 0 && cfg->subset_per_class == 0)
        return DLC_OK;
    data_head *hd = &b->heads[0];
    if (b->n_heads != 1 || hd->mode != DATA_TARGET_CLASS)
        return dlc_fail(err, DLC_EINPUT, "data.subset picks classes: it needs one output with "
                                         "class labels (loss softmax_cross_entropy)");
    int K = hd->class_names.n;
    int map[4096];   /* old class id -> new id, -1 dropped */
    if (K > (int)(sizeof map / sizeof map[0]))
        return dlc_fail(err, DLC_EINPUT, "data.subset: at most %zu classes", sizeof map / sizeof map[0]);
    for (int c = 0; c < K; c++)
        map[c] = want->n ? -1 : c;
    for (int i = 0; i < want->n; i++) {
        int c = dlc_strlist_find(&hd->class_names, want->v[i]);
        if (c < 0)
            return dlc_fail(err, DLC_EINPUT, "data.subset.classes: no class '%s' in the data "
                                             "(it has %d: %s, ...)",
                            want->v[i], K, K ? hd->class_names.v[0] : "none");
        if (map[c] >= 0)
            return dlc_fail(err, DLC_EINPUT, "data.subset.classes: '%s' is listed twice", want->v[i]);
        map[c] = i;
    }
    dlc_status st = DLC_OK;
    for (int k = 0; k < SRC_COUNT && st == DLC_OK; k++) {
        dataset *ds = b->src[k];
        if (!ds)
            continue;
        int *rows = malloc(sizeof(int) * (size_t)(ds->n ? ds->n : 1));
        int *seen = calloc((size_t)(K ? K : 1), sizeof(int));
        if (!rows || !seen) {
            free(rows);
            free(seen);
            return DLC_NOMEM(err);
        }
        int n = 0;
        for (int i = 0; i < ds->n; i++) {
            float y = ds->targets[i];
            if (y == y && y >= 0 && y < (float)K && map[(int)y] >= 0)
                rows[n++] = i;
        }
        if (k == SRC_TRAIN && cfg->subset_per_class > 0) {
            /* a seeded draw: shuffle, keep the first per_class of each class, sort back */
            dlc_rng rng;
            dlc_rng_seed(&rng, seed, DLC_STREAM(DLC_STREAM_SPLIT, 1));
            dlc_rng_shuffle(&rng, rows, n);
            int kept = 0;
            for (int i = 0; i < n; i++) {
                int c = (int)ds->targets[rows[i]];
                if (seen[c]++ < cfg->subset_per_class)
                    rows[kept++] = rows[i];
            }
            n = kept;
            qsort(rows, (size_t)n, sizeof(int), split_cmp_int);
        }
        st = keep_rows(ds, rows, n, err);
        for (int i = 0; st == DLC_OK && i < n; i++)
            ds->targets[i] = (float)map[(int)ds->targets[i]];
        free(rows);
        free(seen);
        if (st == DLC_OK && ds->n == 0)
            st = dlc_fail(err, DLC_EINPUT, "%s: no examples of the classes data.subset keeps", ds->path);
    }
    if (st == DLC_OK && want->n) {
        dlc_strlist_clear(&hd->class_names);
        st = dlc_strlist_copy(&hd->class_names, want, err);
    }
    return st;
}

dlc_status data_table_read(data_bundle *b, const data_config *cfg, uint64_t seed, int subset,
                           dlc_error *err)
{
    dlc_status st = DLC_OK;
    const data_source *srcs[SRC_COUNT] = {&cfg->train, &cfg->dev, &cfg->test};
    char sa[64], sb[64];
    data_csv_targets groups[DATA_MAX_HEADS];

    const int detection = cfg->format == DATA_DETECTION;
    if (cfg->format != DATA_CSV && !detection && b->n_heads > 1)
        return dlc_fail(err, DLC_EINPUT,
                        "data.format %s gives one label per example: only one output can learn "
                        "from it (the model has %d); several outputs need csv label groups",
                        data_format_names[cfg->format], b->n_heads);
    for (int h = 0; h < b->n_heads; h++)
        if ((b->heads[h].mode == DATA_TARGET_OBJECTS) != detection)
            return dlc_fail(err, DLC_EINPUT,
                            detection ? "data.format detection gives each image's objects: output "
                                        "'%s' needs a detection loss (localize, landmarks, yolo)"
                                      : "output '%s' learns from objects in images: its loss needs "
                                        "data.format detection",
                            b->heads[h].name[0] ? b->heads[h].name : "the output");
    if (cfg->format == DATA_CSV && (st = split_groups(b, cfg, groups, err)))
        return st;
    /* Labels are named by the train file (or the config); dev and test must
     * use the same names, so they are read with them given.  Every output
     * of detection data reads the same objects, under the same names. */
    if (detection)
        st = data_detection_classes(cfg, &b->heads[0].class_names, err);
    else if (b->n_heads == 1)
        st = dlc_strlist_copy(&b->heads[0].class_names, &cfg->classes, err);
    for (int h = 1; detection && h < b->n_heads && st == DLC_OK; h++)
        st = dlc_strlist_copy(&b->heads[h].class_names, &b->heads[0].class_names, err);
    if (st)
        goto cleanup;
    tensor_shape image_shape = cfg->image_shape; /* the train folder's first image decides when unset */
    for (int k = 0; k < SRC_COUNT; k++) {
        if (!data_source_given(srcs[k]))
            continue;
        if ((st = split_read(&b->src[k], cfg, srcs[k], k, b, groups, &image_shape, seed, err)))
            goto cleanup;
        const dataset *ds = b->src[k], *tr = b->src[SRC_TRAIN];
        if (k == SRC_TRAIN) {
            /* binary labels given as numbers: name them, so a dev or test
             * file with named labels cannot quietly number them otherwise */
            for (int h = 0; h < b->n_heads; h++) {
                dlc_strlist *names = &b->heads[h].class_names;
                if (cfg->format == DATA_CSV && b->heads[h].mode == DATA_TARGET_BINARY &&
                    names->n == 0 &&
                    ((st = dlc_strlist_push(names, "0", err)) ||
                     (st = dlc_strlist_push(names, "1", err))))
                    goto cleanup;
            }
            continue;
        }
        if (!tensor_shape_equal(&ds->shape, &tr->shape)) {
            st = dlc_fail(err, DLC_EINPUT,
                          "%s: examples have shape %s, but the train file %s has %s", ds->path,
                          tensor_shape_str(&ds->shape, sa, sizeof sa), tr->path,
                          tensor_shape_str(&tr->shape, sb, sizeof sb));
            goto cleanup;
        }
        if (ds->n_targets != tr->n_targets) {
            st = dlc_fail(err, DLC_EINPUT, "%s: %d targets per example, but the train file %s has %d",
                          ds->path, ds->n_targets, tr->path, tr->n_targets);
            goto cleanup;
        }
    }
    for (int h = 0; h < b->n_heads; h++)
        if (cfg->format == DATA_IDX || b->heads[h].mode == DATA_TARGET_NUMERIC)
            dlc_strlist_clear(&b->heads[h].class_names);
    if (cfg->format == DATA_IDX && (st = split_idx_classes(b, cfg, b->heads[0].mode, err)))
        goto cleanup;
    if (subset && (st = data_subset_apply(b, cfg, seed, err)))
        goto cleanup;

    for (int k = 0; k < SRC_COUNT; k++)
        b->unknown_labels += b->src[k] ? b->src[k]->dropped : 0;
    const dataset *tr = b->src[SRC_TRAIN];
    b->shape = tr->shape;
    b->dim = tr->dim;
    b->n_targets = tr->n_targets;
    for (int h = 0, at = 0; h < b->n_heads; h++) {
        b->heads[h].offset = detection ? 0 : at; /* detection: one object list, read by all */
        b->heads[h].count = cfg->format == DATA_CSV ? groups[h].columns->n : tr->n_targets;
        at += b->heads[h].count;
    }

cleanup:
    return st;
}

/* data.missing mean: every feature's mean over the train split's values
 * that are there (sklearn's SimpleImputer, fitted on train only), put in
 * place of the missing values (NaN) of every file read; *fill (D, owned)
 * keeps the means for the model, which fills a missing value in predict
 * the same way. */
static dlc_status split_fill_missing(data_bundle *b, float **fill, dlc_error *err)
{
    *fill = NULL;
    const data_split *tr = &b->split[DATA_SPLIT_TRAIN];
    const size_t D = b->dim;
    double *sum = calloc(D ? D : 1, sizeof *sum);
    long *count = calloc(D ? D : 1, sizeof *count);
    *fill = malloc(sizeof(float) * (D ? D : 1));
    dlc_status st = DLC_OK;
    if (!sum || !count || !*fill || !tr->ds || !tr->ds->f32) {
        st = sum && count && *fill ? dlc_fail(err, DLC_EINPUT, "data.missing: mean reads CSV features")
                                   : DLC_NOMEM(err);
        goto done;
    }
    for (int i = 0; i < tr->n * (tr->stack > 1 ? tr->stack : 1); i++) {
        const float *x = tr->ds->f32 + (size_t)tr->idx[i] * D;
        for (size_t j = 0; j < D; j++)
            if (!isnan(x[j])) {
                sum[j] += x[j];
                count[j]++;
            }
    }
    for (size_t j = 0; j < D; j++)
        (*fill)[j] = count[j] ? (float)(sum[j] / (double)count[j]) : NAN;
    for (int k = 0; k < 3; k++) {
        dataset *ds = b->src[k];
        for (size_t v = 0; ds && ds->f32 && ds->missing_values && v < (size_t)ds->n * D; v++) {
            if (!isnan(ds->f32[v]))
                continue;
            size_t j = v % D;
            if (isnan((*fill)[j])) {
                st = dlc_fail(err, DLC_EINPUT, "%s: column '%s' has no value in the train split to "
                              "fill its missing ones with (data.missing: mean; a column empty in every "
                              "row is left out with data.features)", ds->path,
                              j < (size_t)ds->columns.n ? ds->columns.v[j] : "?");
                goto done;
            }
            ds->f32[v] = (*fill)[j];
        }
    }
done:
    free(sum);
    free(count);
    if (st != DLC_OK) {
        free(*fill);
        *fill = NULL;
    }
    return st;
}

dlc_status data_fit_inputs(data_bundle *b, const data_config *cfg, dlc_error *err)
{
    float *fill = NULL;
    dlc_status st = DLC_OK;
    if (cfg->format == DATA_CSV && cfg->missing == DATA_MISSING_MEAN &&
        (st = split_fill_missing(b, &fill, err)))
        return st;
    if ((st = data_norm_fit(&b->norm, cfg->normalize, &b->split[DATA_SPLIT_TRAIN], err))) {
        free(fill);
        return st;
    }
    b->norm.fill = fill;
    return DLC_OK;
}

dlc_status data_table_load(data_bundle *b, const data_config *cfg, uint64_t seed, dlc_error *err)
{
    dlc_status st;
    int *perm = NULL;
    if ((st = data_table_read(b, cfg, seed, 1, err)))
        return st;
    const dataset *tr = b->src[SRC_TRAIN];
    /* carve, from the train classes' rows when classes are held out */
    int N;
    if ((st = data_class_pool(b, cfg, &perm, &N, err)))
        goto cleanup;
    long n_test = data_split_count(N, cfg->split_test);
    long n_dev = data_split_count(N, cfg->split_dev);
    long n_td = data_split_count(N, cfg->split_train_dev);
    long n_train = (long)N - n_test - n_dev - n_td;
    if (n_train < 1) {
        st = dlc_fail(err, DLC_EINPUT,
                      "%s: %d examples are too few to carve test %ld, dev %ld and train-dev %ld and keep any for training",
                      tr->path, N, n_test, n_dev, n_td);
        goto cleanup;
    }
    if (n_test + n_dev + n_td > 0) {
        dlc_rng rng;
        dlc_rng_seed(&rng, seed, DLC_STREAM(DLC_STREAM_SPLIT, 0));
        dlc_rng_shuffle(&rng, perm, N);
    }
    int at = 0;
    if (b->src[SRC_TEST])
        st = data_split_rows(&b->split[DATA_SPLIT_TEST], b->src[SRC_TEST], NULL, b->src[SRC_TEST]->n,
                             0, err);
    else
        st = data_split_rows(&b->split[DATA_SPLIT_TEST], tr, perm + at, (int)n_test, 1, err);
    at += n_test;
    if (st)
        goto cleanup;
    if (b->src[SRC_DEV])
        st = data_split_rows(&b->split[DATA_SPLIT_DEV], b->src[SRC_DEV], NULL, b->src[SRC_DEV]->n, 0,
                             err);
    else
        st = data_split_rows(&b->split[DATA_SPLIT_DEV], tr, perm + at, (int)n_dev, 1, err);
    at += n_dev;
    if (st)
        goto cleanup;
    if ((st = data_split_rows(&b->split[DATA_SPLIT_TRAIN_DEV], tr, perm + at, (int)n_td, 1, err)))
        goto cleanup;
    at += n_td;
    if ((st = data_split_rows(&b->split[DATA_SPLIT_TRAIN], tr, perm + at, N - at, 1, err)))
        goto cleanup;
    if ((st = data_class_splits(b, cfg, err)))
        goto cleanup;

    if ((st = data_fit_inputs(b, cfg, err)))
        goto cleanup;
    if ((st = data_sampler_setup(b, cfg, seed, err)))
        goto cleanup;

cleanup:
    free(perm);
    return st;
}
