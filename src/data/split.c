/* split.c - data_load: read the configured sources, carve the splits and fit
 * normalization on train.
 *
 * Carving (when dev/test are not separate files): the train file's rows are
 * shuffled with the run seed (stream DLC_STREAM_SPLIT); test takes the first
 * rows, then dev, then train-dev, and train keeps the rest.  Each split's
 * indices are then sorted, so a split's contents depend only on the seed and
 * the fractions, and its order never on the shuffle.
 */
#include "data.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/rng.h"

const char *const data_format_names[DATA_FORMAT_COUNT + 1] = {"idx", "csv", "image_folder", "text", NULL};
const char *const data_bad_names[DATA_BAD_COUNT + 1] = {"fail", "skip", NULL};

enum { SRC_TRAIN, SRC_DEV, SRC_TEST, SRC_COUNT };
static const char *const split_src_names[SRC_COUNT] = {"train", "dev", "test"};

static int split_src_given(const data_source *s)
{
    return s->file[0] || s->images[0] || s->labels[0] || s->dir[0];
}

static int split_cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

/* s = rows [from, from + n) of idx, sorted, over ds. */
static dlc_status split_take(data_split *s, const dataset *ds, const int *idx, int from, int n,
                             dlc_error *err)
{
    s->ds = ds;
    s->n = n;
    s->idx = NULL;
    if (n == 0)
        return DLC_OK;
    s->idx = malloc(sizeof(int) * (size_t)n);   /* (n) */
    if (!s->idx)
        return DLC_NOMEM(err);
    memcpy(s->idx, idx + from, sizeof(int) * (size_t)n);
    qsort(s->idx, (size_t)n, sizeof(int), split_cmp_int);
    return DLC_OK;
}

static dlc_status split_whole(data_split *s, const dataset *ds, dlc_error *err)
{
    s->ds = ds;
    s->n = ds->n;
    s->idx = malloc(sizeof(int) * (size_t)(ds->n ? ds->n : 1));   /* (n) */
    if (!s->idx)
        return DLC_NOMEM(err);
    for (int i = 0; i < ds->n; i++)
        s->idx[i] = i;
    return DLC_OK;
}

/* A split count: nearest to N * f, at least 1 when f > 0. */
static int split_count(int N, double f)
{
    if (!(f > 0.0))
        return 0;
    double c = floor((double)N * f + 0.5);
    if (c < 1.0)
        c = 1.0;
    if (c > (double)N)
        c = (double)N;
    return (int)c;
}

static dlc_status split_check_fraction(const char *name, double f, dlc_error *err)
{
    if (!(f >= 0.0 && f < 1.0))
        return dlc_fail(err, DLC_EINPUT, "data.%s: expected a fraction in [0, 1), got %g", name, f);
    return DLC_OK;
}

static dlc_status split_read(dataset **out, const data_config *cfg, const data_source *src,
                             const char *which, data_target mode, dlc_strlist *class_names,
                             tensor_shape *image_shape, dlc_strlist *skipped, dlc_error *err)
{
    if (cfg->format == DATA_IMAGE_FOLDER) {
        if (!src->dir[0])
            return dlc_fail(err, DLC_EINPUT, "data.%s: image_folder data needs 'dir'", which);
        if ((mode & ~DATA_TARGET_SKIP_UNKNOWN) != DATA_TARGET_CLASS)
            return dlc_fail(err, DLC_EINPUT,
                            "data.%s: image folders give one class per image; use loss "
                            "softmax_cross_entropy", which);
        return data_read_image_folder(out, src->dir, image_shape, class_names,
                                      cfg->bad_files | (mode & DATA_TARGET_SKIP_UNKNOWN),
                                      src->limit, cfg->max_image_pixels, skipped, err);
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
        return data_read_csv(out, src->file, &cfg->label, &cfg->features, mode, class_names,
                             src->limit, err);
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
    if (cfg->classes.n > 0)
        return dlc_strlist_copy(&b->class_names, &cfg->classes, err);
    for (int c = 0; c < K; c++) {
        snprintf(name, sizeof name, "%d", c);
        if ((st = dlc_strlist_push(&b->class_names, name, err)))
            return st;
    }
    return DLC_OK;
}

dlc_status data_load(data_bundle *b, const data_config *cfg, data_target mode, uint64_t seed,
                     dlc_error *err)
{
    dlc_status st = DLC_OK;
    int *perm = NULL;
    const data_source *srcs[SRC_COUNT] = {&cfg->train, &cfg->dev, &cfg->test};
    char sa[64], sb[64];
    memset(b, 0, sizeof *b);

    if ((st = split_check_fraction("split_dev", cfg->split_dev, err)) ||
        (st = split_check_fraction("split_test", cfg->split_test, err)) ||
        (st = split_check_fraction("split_train_dev", cfg->split_train_dev, err)))
        return st;
    if (!split_src_given(&cfg->train))
        return dlc_fail(err, DLC_EINPUT, "data.train: no training data given");
    if (split_src_given(&cfg->dev) && cfg->split_dev > 0)
        return dlc_fail(err, DLC_EINPUT,
                        "data: both a dev file and split_dev = %g are given; use one or the other",
                        cfg->split_dev);
    if (split_src_given(&cfg->test) && cfg->split_test > 0)
        return dlc_fail(err, DLC_EINPUT,
                        "data: both a test file and split_test = %g are given; use one or the other",
                        cfg->split_test);

    if (cfg->format == DATA_TEXT) {
        if (mode != DATA_TARGET_CLASS)
            return dlc_fail(err, DLC_EINPUT, "data.format text predicts tokens, tags or classes: "
                                             "it needs loss softmax_cross_entropy");
        return data_text_load(b, cfg, seed, err);
    }

    /* CSV labels are named by the train file (or the config); dev and test
     * must use the same names, so they are read with them given. */
    if ((st = dlc_strlist_copy(&b->class_names, &cfg->classes, err)))
        goto cleanup;
    tensor_shape image_shape = cfg->image_shape; /* the train folder's first image decides when unset */
    for (int k = 0; k < SRC_COUNT; k++) {
        if (!split_src_given(srcs[k]))
            continue;
        data_target read_mode = mode;
        if (cfg->skip_unknown_labels && b->class_names.n > 0 && mode != DATA_TARGET_NUMERIC)
            read_mode = (data_target)(mode | DATA_TARGET_SKIP_UNKNOWN);
        if ((st = split_read(&b->src[k], cfg, srcs[k], split_src_names[k], read_mode,
                             &b->class_names, &image_shape, &b->skipped_files, err)))
            goto cleanup;
        b->skipped = b->skipped_files.n;
        const dataset *ds = b->src[k], *tr = b->src[SRC_TRAIN];
        if (k == SRC_TRAIN) {
            /* binary labels given as numbers: name them, so a dev or test
             * file with named labels cannot quietly number them otherwise */
            if (cfg->format == DATA_CSV && mode == DATA_TARGET_BINARY && b->class_names.n == 0 &&
                ((st = dlc_strlist_push(&b->class_names, "0", err)) ||
                 (st = dlc_strlist_push(&b->class_names, "1", err))))
                goto cleanup;
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
    if (cfg->format == DATA_IDX || mode == DATA_TARGET_NUMERIC)
        dlc_strlist_clear(&b->class_names);
    if (cfg->format == DATA_IDX && (st = split_idx_classes(b, cfg, mode, err)))
        goto cleanup;

    for (int k = 0; k < SRC_COUNT; k++)
        b->unknown_labels += b->src[k] ? b->src[k]->dropped : 0;
    const dataset *tr = b->src[SRC_TRAIN];
    b->shape = tr->shape;
    b->dim = tr->dim;
    b->n_targets = tr->n_targets;

    /* carve */
    int N = tr->n;
    int n_test = split_count(N, cfg->split_test);
    int n_dev = split_count(N, cfg->split_dev);
    int n_td = split_count(N, cfg->split_train_dev);
    long n_train = (long)N - n_test - n_dev - n_td;
    if (n_train < 1) {
        st = dlc_fail(err, DLC_EINPUT,
                      "%s: %d examples are too few to carve test %d, dev %d and train-dev %d and keep any for training",
                      tr->path, N, n_test, n_dev, n_td);
        goto cleanup;
    }
    perm = malloc(sizeof(int) * (size_t)N);
    if (!perm) {
        st = DLC_NOMEM(err);
        goto cleanup;
    }
    for (int i = 0; i < N; i++)
        perm[i] = i;
    if (n_test + n_dev + n_td > 0) {
        dlc_rng rng;
        dlc_rng_seed(&rng, seed, DLC_STREAM(DLC_STREAM_SPLIT, 0));
        dlc_rng_shuffle(&rng, perm, N);
    }
    int at = 0;
    if (b->src[SRC_TEST])
        st = split_whole(&b->test, b->src[SRC_TEST], err);
    else
        st = split_take(&b->test, tr, perm, at, n_test, err);
    at += n_test;
    if (st)
        goto cleanup;
    if (b->src[SRC_DEV])
        st = split_whole(&b->dev, b->src[SRC_DEV], err);
    else
        st = split_take(&b->dev, tr, perm, at, n_dev, err);
    at += n_dev;
    if (st)
        goto cleanup;
    if ((st = split_take(&b->train_dev, tr, perm, at, n_td, err)))
        goto cleanup;
    at += n_td;
    if ((st = split_take(&b->train, tr, perm, at, N - at, err)))
        goto cleanup;

    if ((st = data_norm_fit(&b->norm, cfg->normalize, &b->train, err)))
        goto cleanup;

cleanup:
    free(perm);
    if (st)
        data_free(b);
    return st;
}

void data_free(data_bundle *b)
{
    if (!b)
        return;
    for (int k = 0; k < SRC_COUNT; k++)
        data_dataset_free(b->src[k]);
    free(b->train.idx);
    free(b->train_dev.idx);
    free(b->dev.idx);
    free(b->test.idx);
    dlc_strlist_clear(&b->class_names);
    dlc_strlist_clear(&b->vocab);
    dlc_strlist_clear(&b->skipped_files);
    data_norm_free(&b->norm);
    memset(b, 0, sizeof *b);
}
