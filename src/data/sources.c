/* sources.c - data.sources: several named sources of examples (each in a
 * table format: idx, csv, image_folder; text sources are text.c's), each giving the shares of its
 * examples its `use:` names to train, dev and test.  This is the notes'
 * recipe for a target domain with few labels: all of a similar domain's data
 * in train only, part of the target's in train too, dev and test from the
 * target alone, and a train-dev split carved from the training mix to tell
 * variance from data mismatch.
 *
 * The sources are read one by one (the first names the classes; the others
 * must use the same names and have the same example shape; but a class-id
 * head whose names come from the data takes every source's: a source may lack
 * classes another has, and the ids follow the names' order as in one file),
 * then copied into
 * one dataset whose `source` array says where each example came from, so
 * the splits, batches, normalization and reports work as for one file.
 * Carving, per source with the run's seed and the source's name: its
 * examples shuffled, then test, dev and train take their fractions (each
 * rounded as data.split rounds); examples left over are not used.  So a
 * source's test set is the same whichever other sources a config lists.  train-dev is then drawn from the whole
 * training mix.  Normalization is fitted on the training mix (train-dev
 * excluded).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/rng.h"
#include "data_internal.h"

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

/* Source i as a config of one train file: its format and files, nothing
 * carved, no subset (applied to the combined examples). */
static data_config source_config(const data_config *cfg, int i)
{
    data_config sc = *cfg;
    const data_source_spec *s = &cfg->sources[i];
    sc.format = s->format;
    sc.train = s->files;
    memset(&sc.dev, 0, sizeof sc.dev);
    memset(&sc.test, 0, sizeof sc.test);
    sc.n_sources = 0;
    sc.split_dev = sc.split_test = sc.split_train_dev = 0;
    return sc;
}

/* A single class-id head whose class names come from the data (no
 * data.classes): every source is read with its own, merged into b's. */
static int merged_classes(const data_config *cfg, const data_bundle *b)
{
    return b->n_heads == 1 && b->heads[0].mode == DATA_TARGET_CLASS && cfg->classes.n == 0;
}

/* Adds the classes of `got` that `mine` lacks to it, and gives ds's class
 * ids (got's) mine's ids. */
static dlc_status merge_classes(data_head *mine, const data_head *got, dataset *ds, dlc_error *err)
{
    int *to = malloc(sizeof(int) * (size_t)(got->class_names.n ? got->class_names.n : 1));
    if (!to)
        return DLC_NOMEM(err);
    dlc_status st = DLC_OK;
    for (int c = 0; c < got->class_names.n && st == DLC_OK; c++) {
        to[c] = dlc_strlist_find(&mine->class_names, got->class_names.v[c]);
        if (to[c] < 0 && (st = dlc_strlist_push(&mine->class_names, got->class_names.v[c], err)) == DLC_OK)
            to[c] = mine->class_names.n - 1;
    }
    for (int r = 0; r < ds->n && st == DLC_OK; r++) {
        float *t = &ds->targets[(size_t)r * (size_t)ds->n_targets + (size_t)mine->offset];
        *t = (float)to[(int)*t];
    }
    free(to);
    return st;
}

/* After merge_classes: the names in data_label_order, every part's ids renumbered. */
static dlc_status order_classes(data_head *h, dataset **parts, int n_parts, dlc_error *err)
{
    dlc_strlist sorted = {0};
    int *to = malloc(sizeof(int) * (size_t)(h->class_names.n ? h->class_names.n : 1));
    dlc_status st = to ? data_label_order(&h->class_names, to, &sorted, err) : DLC_NOMEM(err);
    for (int i = 0; i < n_parts && st == DLC_OK; i++)
        for (int r = 0; r < parts[i]->n; r++) {
            float *t = &parts[i]->targets[(size_t)r * (size_t)parts[i]->n_targets + (size_t)h->offset];
            *t = (float)to[(int)*t];
        }
    if (st == DLC_OK) {
        dlc_strlist_clear(&h->class_names);
        h->class_names = sorted;
    } else {
        dlc_strlist_clear(&sorted);
    }
    free(to);
    return st;
}

/* Reads source i into *out (owned).  The first source names the classes
 * and lays out the heads' targets (into b); the others are read with those
 * names given and must have the same (merged_classes: each with its own,
 * merged), and CSV ones by the first one's column names (first: source 0's
 * examples, NULL while reading it). */
static dlc_status read_source(const data_config *cfg, int i, uint64_t seed, data_bundle *b,
                              const dataset *first, dataset **out, tensor_shape *image_shape,
                              dlc_error *err)
{
    const data_source_spec *s = &cfg->sources[i];
    data_config sc = source_config(cfg, i);
    sc.features = *data_csv_features(cfg, first); /* borrowed: sc is never freed */
    data_bundle one;
    memset(&one, 0, sizeof one);
    one.n_heads = b->n_heads;
    dlc_status st = DLC_OK;
    for (int h = 0; h < b->n_heads && st == DLC_OK; h++) {
        dlc_strlcpy(one.heads[h].name, b->heads[h].name, sizeof one.heads[h].name);
        one.heads[h].mode = b->heads[h].mode;
        if (i > 0 && b->n_heads > 1)
            st = dlc_strlist_copy(&one.heads[h].class_names, &b->heads[h].class_names, err);
    }
    if (i > 0 && b->n_heads == 1 && !merged_classes(cfg, b))
        sc.classes = b->heads[0].class_names;
    if (image_shape->ndim > 0)
        sc.image_shape = *image_shape; /* every source converted to the first one's shape */
    if (st == DLC_OK && (st = data_table_read(&one, &sc, seed, 0, err)) != DLC_OK)
        dlc_error_prefix(err, "data.sources.%d (%s)", i, s->name);
    for (int h = 0; h < b->n_heads && st == DLC_OK; h++) {
        data_head *mine = &b->heads[h], *got = &one.heads[h];
        if (i == 0) {
            mine->offset = got->offset;
            mine->count = got->count;
            if ((st = dlc_strlist_copy(&mine->class_names, &got->class_names, err)) == DLC_OK)
                st = dlc_strlist_copy(&mine->columns, &got->columns, err);
        } else if (merged_classes(cfg, b)) {
            st = merge_classes(mine, got, one.src[0], err);
        } else if (!dlc_strlist_equal(&mine->class_names, &got->class_names)) {
            st = dlc_fail(err, DLC_EINPUT,
                          "data.sources.%d (%s): its classes (%d: %s, ...) are not source '%s''s "
                          "(%d: %s, ...); sources must agree on classes",
                          i, s->name, got->class_names.n,
                          got->class_names.n ? got->class_names.v[0] : "none", cfg->sources[0].name,
                          mine->class_names.n, mine->class_names.n ? mine->class_names.v[0] : "none");
        }
    }
    if (st == DLC_OK) {
        *out = one.src[0];
        one.src[0] = NULL;
        b->skipped += one.skipped;
        for (int k = 0; k < one.skipped_files.n && st == DLC_OK; k++) /* each with its reason */
            st = dlc_strlist_push(&b->skipped_files, one.skipped_files.v[k], err);
        if (image_shape->ndim == 0 && (*out)->shape.ndim == 3)
            *image_shape = (*out)->shape;
    }
    data_free(&one);
    return st;
}

/* The sources' examples copied into one dataset, with each one's source. */
static dlc_status combine(dataset **out, dataset **parts, int n_parts, dlc_error *err)
{
    long n = 0;
    int all_u8 = 1;
    for (int i = 0; i < n_parts; i++) {
        n += parts[i]->n;
        all_u8 &= parts[i]->u8 != NULL;
    }
    const dataset *first = parts[0];
    size_t D = first->dim, T = (size_t)first->n_targets;
    dataset *ds = calloc(1, sizeof *ds);
    if (!ds)
        return DLC_NOMEM(err);
    snprintf(ds->path, sizeof ds->path, "data.sources");
    ds->n = (int)n;
    for (int i = 0; i < n_parts; i++) {
        ds->resized += parts[i]->resized;
        ds->recoloured += parts[i]->recoloured;
        ds->stray += parts[i]->stray;
        /* data.missing: the values to fill (NaN) and the rows left out, over every source */
        ds->missing_values += parts[i]->missing_values;
        ds->missing_rows += parts[i]->missing_rows;
        /* data.categorical: the first source's values are the one-hot features;
         * another source's values it lacks are read as none of them */
        if (i > 0 && parts[i]->unseen_values && !ds->unseen_values) {
            ds->unseen_source = i;
            ds->unseen_line = parts[i]->unseen_line;
            memcpy(ds->unseen_example, parts[i]->unseen_example, sizeof ds->unseen_example);
        }
        ds->unseen_values += i > 0 ? parts[i]->unseen_values : 0;
    }
    ds->shape = first->shape;
    ds->dim = D;
    ds->n_targets = first->n_targets;
    size_t rows = (size_t)(n ? n : 1);
    if (all_u8)
        ds->u8 = malloc(rows * D);
    else
        ds->f32 = malloc(sizeof(float) * rows * D);
    ds->targets = malloc(sizeof(float) * rows * (T ? T : 1));
    ds->source = malloc(rows);
    ds->row = malloc(sizeof(int) * rows);
    if (!(ds->u8 || ds->f32) || !ds->targets || !ds->source || !ds->row ||
        dlc_strlist_copy(&ds->columns, &first->columns, err) != DLC_OK ||
        dlc_strlist_copy(&ds->categorical, &first->categorical, err) != DLC_OK) {
        data_dataset_free(ds);
        return DLC_NOMEM(err);
    }
    size_t at = 0;
    for (int i = 0; i < n_parts; i++) {
        const dataset *p = parts[i];
        size_t m = (size_t)p->n;
        if (all_u8) {
            memcpy(ds->u8 + at * D, p->u8, m * D);
        } else {
            for (size_t k = 0; k < m * D; k++)
                ds->f32[at * D + k] = p->u8 ? (float)p->u8[k] : p->f32[k];
        }
        memcpy(ds->targets + at * T, p->targets, sizeof(float) * m * T);
        memset(ds->source + at, i, m);
        for (size_t k = 0; k < m; k++) /* a row of its source's own file */
            ds->row[at + k] = data_file_row(p, (int)k);
        at += m;
    }
    /* image folders: each example's file, when every source names them */
    int named = 1;
    for (int i = 0; i < n_parts; i++)
        named &= parts[i]->files.n == parts[i]->n && parts[i]->n > 0;
    for (int i = 0; named && i < n_parts; i++)
        for (int k = 0; k < parts[i]->n; k++)
            if (dlc_strlist_push(&ds->files, parts[i]->files.v[k], err) != DLC_OK) {
                data_dataset_free(ds);
                return DLC_ENOMEM;
            }
    *out = ds;
    return DLC_OK;
}

dlc_status data_sources_load(data_bundle *b, const data_config *cfg, uint64_t seed, dlc_error *err)
{
    dlc_status st = DLC_OK;
    dataset *parts[DATA_MAX_SOURCES] = {0};
    int *rows = NULL, *mix = NULL, *take[DATA_SPLIT_COUNT] = {0};
    int n_take[DATA_SPLIT_COUNT] = {0};
    char sa[64], sb[64];
    tensor_shape image_shape = cfg->image_shape;
    b->n_sources = cfg->n_sources;
    for (int i = 0; i < cfg->n_sources && st == DLC_OK; i++) {
        const data_source_spec *s = &cfg->sources[i];
        if (s->format == DATA_DETECTION) {
            st = dlc_fail(err, DLC_EINPUT, "data.sources.%d (%s): detection sources are not "
                                           "supported (data.format detection reads its splits' "
                                           "folders)",
                          i, s->name);
            break;
        }
        if (s->format == DATA_TEXT) {
            st = dlc_fail(err, DLC_EINPUT, "data.sources.%d (%s): a text source needs data.format "
                                           "text (formats cannot be mixed)", i, s->name);
            break;
        }
        if ((st = dlc_strlist_push(&b->source_names, s->name, err)) != DLC_OK ||
            (st = read_source(cfg, i, seed, b, parts[0], &parts[i], &image_shape, err)) != DLC_OK)
            break;
        if (i > 0 && !tensor_shape_equal(&parts[i]->shape, &parts[0]->shape))
            st = dlc_fail(err, DLC_EINPUT,
                          "data.sources.%d (%s): examples have shape %s, but source '%s' has %s",
                          i, s->name, tensor_shape_str(&parts[i]->shape, sa, sizeof sa),
                          cfg->sources[0].name, tensor_shape_str(&parts[0]->shape, sb, sizeof sb));
        else if (i > 0 && parts[i]->n_targets != parts[0]->n_targets)
            st = dlc_fail(err, DLC_EINPUT,
                          "data.sources.%d (%s): %d targets per example, source '%s' has %d", i,
                          s->name, parts[i]->n_targets, cfg->sources[0].name, parts[0]->n_targets);
    }
    if (st == DLC_OK && merged_classes(cfg, b))
        st = order_classes(&b->heads[0], parts, cfg->n_sources, err);
    if (st != DLC_OK)
        goto cleanup;
    if ((st = combine(&b->src[0], parts, cfg->n_sources, err)) != DLC_OK)
        goto cleanup;
    if ((st = data_subset_apply(b, cfg, seed, err)) != DLC_OK)
        goto cleanup;
    dataset *ds = b->src[0];
    b->shape = ds->shape;
    b->dim = ds->dim;
    b->n_targets = ds->n_targets;

    /* carve each source: test, dev, train from its shuffled examples */
    rows = malloc(sizeof(int) * (size_t)(ds->n ? ds->n : 1));
    for (int k = 0; k < DATA_SPLIT_COUNT; k++)
        take[k] = malloc(sizeof(int) * (size_t)(ds->n ? ds->n : 1));
    if (!rows || !take[0] || !take[1] || !take[2] || !take[3]) {
        st = DLC_NOMEM(err);
        goto cleanup;
    }
    for (int i = 0; i < cfg->n_sources; i++) {
        const data_source_spec *s = &cfg->sources[i];
        int n = 0;
        for (int r = 0; r < ds->n; r++)
            if (ds->source[r] == i)
                rows[n++] = r;
        /* the stream is the source's name's: a source is carved the same
         * whichever others a config lists (a target domain's test set stays) */
        uint64_t h = 1469598103934665603ull;
        for (const char *c = s->name; *c; c++)
            h = (h ^ (uint8_t)*c) * 1099511628211ull;
        dlc_rng rng;
        dlc_rng_seed(&rng, seed, DLC_STREAM(DLC_STREAM_SPLIT, 100 + (h & 0xffffff)));
        dlc_rng_shuffle(&rng, rows, n);
        long n_test = data_split_count(n, s->use_test), n_dev = data_split_count(n, s->use_dev);
        long n_train = data_split_count(n, s->use_train);
        if (n_test + n_dev + n_train > n) /* rounding up on each: train gives way */
            n_train = n - n_test - n_dev;
        const int kinds[3] = {DATA_SPLIT_TEST, DATA_SPLIT_DEV, DATA_SPLIT_TRAIN};
        const long counts[3] = {n_test, n_dev, n_train};
        long at = 0;
        for (int k = 0; k < 3; k++) {
            memcpy(take[kinds[k]] + n_take[kinds[k]], rows + at, sizeof(int) * (size_t)counts[k]);
            n_take[kinds[k]] += (int)counts[k];
            at += counts[k];
        }
    }
    /* train-dev from the training mix: the same distribution as train */
    long n_td = data_split_count(n_take[DATA_SPLIT_TRAIN], cfg->split_train_dev);
    if (n_td > 0) {
        dlc_rng rng;
        dlc_rng_seed(&rng, seed, DLC_STREAM(DLC_STREAM_SPLIT, 99));
        mix = take[DATA_SPLIT_TRAIN];
        dlc_rng_shuffle(&rng, mix, n_take[DATA_SPLIT_TRAIN]);
        memcpy(take[DATA_SPLIT_TRAIN_DEV], mix, sizeof(int) * (size_t)n_td);
        n_take[DATA_SPLIT_TRAIN_DEV] = (int)n_td;
        memmove(mix, mix + n_td, sizeof(int) * (size_t)(n_take[DATA_SPLIT_TRAIN] - n_td));
        n_take[DATA_SPLIT_TRAIN] -= (int)n_td;
        mix = NULL;
    }
    if (n_take[DATA_SPLIT_TRAIN] < 1) {
        st = dlc_fail(err, DLC_EINPUT, "data.sources: no examples are left for training");
        goto cleanup;
    }
    for (int k = 0; k < DATA_SPLIT_COUNT && st == DLC_OK; k++) {
        qsort(take[k], (size_t)n_take[k], sizeof(int), cmp_int);
        for (int j = 0; j < n_take[k]; j++)
            b->source_count[k][ds->source[take[k][j]]]++;
        st = data_split_rows(&b->split[k], ds, take[k], n_take[k], 0, err);
    }
    if (st != DLC_OK)
        goto cleanup;
    /* sampling weights, when any differs from 1 */
    int weighted = 0;
    for (int i = 0; i < cfg->n_sources; i++)
        weighted |= cfg->sources[i].weight != 1.0;
    if (weighted) {
        if (!(b->weight = malloc(sizeof(float) * (size_t)(ds->n ? ds->n : 1)))) {
            st = DLC_NOMEM(err);
            goto cleanup;
        }
        for (int r = 0; r < ds->n; r++)
            b->weight[r] = (float)cfg->sources[ds->source[r]].weight;
    }
    st = data_fit_inputs(b, cfg, err);
cleanup:
    for (int i = 0; i < DATA_MAX_SOURCES; i++)
        data_dataset_free(parts[i]);
    for (int k = 0; k < DATA_SPLIT_COUNT; k++)
        free(take[k]);
    free(rows);
    return st;
}
