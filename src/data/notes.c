/* notes.c - what a person should know of loaded data before training:
 * conversions dlc made, and data that trains but likely not as meant.
 * Messages only; nothing here refuses data.
 *
 * Letters: K classes, n train examples.
 */
#include "data.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One note or warning, formatted, into out. */
static dlc_status notes_say(dlc_strlist *out, dlc_error *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static dlc_status notes_say(dlc_strlist *out, dlc_error *err, const char *fmt, ...)
{
    char msg[DATA_PATH_MAX + 600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return dlc_strlist_push(out, msg, err);
}

/* images of the folders converted to the input's size or channels */
static dlc_status notes_converted(const data_bundle *b, int input_given, dlc_strlist *out,
                                  dlc_error *err)
{
    int resized = 0, recoloured = 0, images = 0;
    for (int k = 0; k < 3; k++)
        if (b->src[k]) {
            resized += b->src[k]->resized;
            recoloured += b->src[k]->recoloured;
            images += b->src[k]->n;
        }
    if (!resized && !recoloured)
        return DLC_OK;
    return notes_say(out, err, "note: %d of %d images resized to %d x %d, %d converted to %s: the "
             "input's shape%s", resized, images, b->shape.d[2], b->shape.d[1], recoloured,
             b->shape.d[0] == 1 ? "gray" : "RGB",
             input_given ? "" : " (the first image's: set model.input to choose another)");
}

/* "'a', 'b', ... " of the first names of l picked by ids (all when ids is
 * NULL), at most 8 */
static void notes_names(char *buf, size_t size, const dlc_strlist *l, const int *ids, int n)
{
    buf[0] = '\0';
    for (int i = 0, at = 0; i < n && i < 8 && at < (int)size; i++)
        at += snprintf(buf + at, size - (size_t)at, "%s'%.40s'%s", i ? ", " : "",
                       l->v[ids ? ids[i] : i], i == 7 && n > 8 ? ", ..." : "");
}

/* classes no train example has: outputs the model can never learn to give */
static dlc_status notes_unseen(const data_bundle *b, const data_config *cfg, dlc_strlist *out,
                               dlc_error *err)
{
    const data_split *tr = &b->split[DATA_SPLIT_TRAIN];
    const data_head *hd = &b->heads[0];
    const int K = hd->class_names.n;
    if (b->n_heads != 1 || hd->mode != DATA_TARGET_CLASS || b->text || b->stack != 1 || !tr->ds ||
        K < 1 || data_class_splitting(cfg))
        return DLC_OK;
    unsigned char *seen = calloc((size_t)K, 1);   /* (K) */
    int *unseen = malloc(sizeof(int) * (size_t)K); /* (K) */
    if (!seen || !unseen) {
        free(seen);
        free(unseen);
        return DLC_NOMEM(err);
    }
    const size_t T = (size_t)tr->ds->n_targets;
    for (int i = 0; i < tr->n; i++) {
        float y = tr->ds->targets[(size_t)tr->idx[i] * T + (size_t)hd->offset];
        if (y == y && y >= 0 && y < (float)K)
            seen[(int)y] = 1;
    }
    int n = 0;
    for (int c = 0; c < K; c++)
        if (!seen[c])
            unseen[n++] = c;
    dlc_status st = DLC_OK;
    if (n > 0) {
        char names[400], why[160] = "", msg[700];
        notes_names(names, sizeof names, &hd->class_names, unseen, n);
        if (cfg->format == DATA_IMAGE_FOLDER)
            snprintf(why, sizeof why, " (an empty class folder?)");
        else if (tr->ds->limited_from > 0)
            snprintf(why, sizeof why, " (data.train.limit drew %d of the file's %d rows: too few?)",
                     tr->ds->n, tr->ds->limited_from);
        snprintf(msg, sizeof msg, "warning: %d of %d classes %s no example in the train split: %s%s",
                 n, K, n == 1 ? "has" : "have", names, why);
        st = dlc_strlist_push(out, msg, err);
    }
    free(seen);
    free(unseen);
    return st;
}

/* triplets: a train class with fewer than K examples fills no batch of P
 * classes x K (batches draw without repeats), so the loss never sees it */
static dlc_status notes_short_classes(const data_bundle *b, dlc_strlist *out, dlc_error *err)
{
    const data_split *tr = &b->split[DATA_SPLIT_TRAIN];
    const data_head *hd = &b->heads[0];
    const int K = hd->class_names.n, per = b->sampler.per_class;
    if (b->sampler.kind != DATA_SAMPLER_TRIPLETS || b->n_heads != 1 || !tr->ds || K < 1)
        return DLC_OK;
    int *count = calloc((size_t)K, sizeof(int)); /* (K) */
    int *shorts = malloc(sizeof(int) * (size_t)K); /* (K) */
    if (!count || !shorts) {
        free(count);
        free(shorts);
        return DLC_NOMEM(err);
    }
    const size_t T = (size_t)tr->ds->n_targets;
    for (int i = 0; i < tr->n; i++) {
        float y = tr->ds->targets[(size_t)tr->idx[i] * T + (size_t)hd->offset];
        if (y == y && y >= 0 && y < (float)K)
            count[(int)y]++;
    }
    int n = 0, fewest = 0;
    for (int c = 0; c < K; c++)
        if (count[c] > 0 && count[c] < per) {
            fewest = n == 0 || count[c] < fewest ? count[c] : fewest;
            shorts[n++] = c;
        }
    dlc_status st = DLC_OK;
    if (n > 0) {
        char names[400], hint[80], msg[800];
        notes_names(names, sizeof names, &hd->class_names, shorts, n);
        const char *it = n == 1 ? "it" : "them";
        if (fewest >= 2)
            snprintf(hint, sizeof hint, "lower per_class to %d to take %s in", fewest, it);
        else
            snprintf(hint, sizeof hint, "one example makes no anchor-positive pair");
        snprintf(msg, sizeof msg,
                 "warning: %d train class%s fewer than data.sampler.per_class %d examples (%s; "
                 "the fewest %d): no batch of %d classes x %d holds %s, so the triplet loss never "
                 "learns from %s (%s)",
                 n, n == 1 ? " has" : "es have", per, names, fewest, b->sampler.classes_per_batch,
                 per, it, it, hint);
        st = dlc_strlist_push(out, msg, err);
    }
    free(count);
    free(shorts);
    return st;
}

/* CSV class labels that are all numbers, and many or not whole: most likely
 * a value to predict (a price, a score) that softmax reads as classes */
static dlc_status notes_numeric_classes(const data_bundle *b, const data_config *cfg,
                                        dlc_strlist *out, dlc_error *err)
{
    enum { MANY = 100 };
    const data_head *hd = &b->heads[0];
    const int K = hd->class_names.n;
    if (cfg->format != DATA_CSV || b->n_heads != 1 || hd->mode != DATA_TARGET_CLASS || K < 3)
        return DLC_OK;
    int whole = 1;
    for (int c = 0; c < K; c++) {
        double v;
        if (dlc_parse_double(hd->class_names.v[c], &v) != 0)
            return DLC_OK;
        whole &= v == floor(v);
    }
    if (whole && K <= MANY)
        return DLC_OK;
    char names[400], msg[700];
    notes_names(names, sizeof names, &hd->class_names, NULL, K);
    snprintf(msg, sizeof msg, "warning: the labels are %d different numbers%s (%s), each read as a "
             "class: a value to predict? then use loss: mse", K, whole ? "" : ", not all whole",
             names);
    return dlc_strlist_push(out, msg, err);
}

/* image files beside the class folders: in no class, so not read */
static dlc_status notes_stray(const data_bundle *b, dlc_strlist *out, dlc_error *err)
{
    dlc_status st = DLC_OK;
    for (int k = 0; k < 3 && st == DLC_OK; k++)
        if (b->src[k] && b->src[k]->stray > 0) {
            st = notes_say(out, err, "warning: %s: %d image file%s beside the class folders, in no "
                     "class, %s not read", b->src[k]->path, b->src[k]->stray,
                     b->src[k]->stray == 1 ? "" : "s", b->src[k]->stray == 1 ? "is" : "are");
        }
    return st;
}

/* CSV class labels that are mostly different from row to row: an id or a
 * name column given as data.label, most likely */
static dlc_status notes_unique_labels(const data_bundle *b, const data_config *cfg,
                                      dlc_strlist *out, dlc_error *err)
{
    const data_head *hd = &b->heads[0];
    const int K = hd->class_names.n;
    long n = 0;
    for (int k = 0; k < 3; k++)
        n += b->src[k] ? b->src[k]->n : 0;
    if (cfg->format != DATA_CSV || b->n_heads != 1 || hd->mode != DATA_TARGET_CLASS || K < 20 ||
        2L * K <= n)
        return DLC_OK;
    return notes_say(out, err, "warning: %d classes for %ld rows: most labels occur once, and a "
             "class seen once is hardly learned; is data.label the column of classes (not an id "
             "or a name)?", K, n);
}

/* CSV feature columns that count the rows (0, 1, 2, ... or 1, 2, 3, ...
 * down the train file, or up from any whole number in a file of 20 rows or
 * more: Kaggle's test files number on from the train file's, Titanic's
 * PassengerId 892, 893, ...): a row number or an id, which tells the model
 * only where a row sits in the file */
static dlc_status notes_row_numbers(const data_bundle *b, const data_config *cfg, dlc_strlist *out,
                                    dlc_error *err)
{
    enum { ANY_START_ROWS = 20 };
    const dataset *ds = b->src[0];
    if (cfg->format != DATA_CSV || !ds || !ds->f32 || ds->n < 3 || ds->columns.n != (int)ds->dim ||
        ds->limited_from > 0 || ds->dropped > 0)
        return DLC_OK;
    const size_t D = ds->dim;
    dlc_status st = DLC_OK;
    for (size_t j = 0; j < D && st == DLC_OK; j++) {
        const float first = ds->f32[j];
        /* counted on in float32, exactly, up to 2^24 */
        const int any_start = ds->n >= ANY_START_ROWS && first == floorf(first) &&
                              fabsf(first) + (float)ds->n < 16777216.0f;
        if (first != 0.0f && first != 1.0f && !any_start)
            continue;
        int i = 1;
        while (i < ds->n && ds->f32[(size_t)i * D + j] == first + (float)i)
            i++;
        if (i < ds->n)
            continue;
        st = notes_say(out, err, "warning: feature column '%.60s' counts the rows (%g, %g, %g, ...): a "
                 "row number or an id, which tells the model only where a row sits in the file; "
                 "leave it out with data.exclude: ['%.60s'] (or list the feature columns in "
                 "data.features)", ds->columns.v[j], (double)first, (double)first + 1,
                 (double)first + 2, ds->columns.v[j]);
    }
    return st;
}

/* a CSV file read as separated by ';', '|' or blanks (data.separator auto) */
static dlc_status notes_separator(const data_bundle *b, dlc_strlist *out, dlc_error *err)
{
    dlc_status st = DLC_OK;
    for (int k = 0; k < 3 && st == DLC_OK; k++) {
        const char c = b->src[k] ? b->src[k]->separator : 0;
        if (c)
            st = notes_say(out, err, "note: %s: read as separated by %s%c%s, as its header and first "
                     "row are (data.separator: auto; give it to say which)", b->src[k]->path,
                     c == ' ' ? "spaces and tabs (whitespace" : "'", c == ' ' ? ')' : c,
                     c == ' ' ? "" : "'");
    }
    return st;
}

/* a CSV file's first column without a name: pandas' index, left out */
static dlc_status notes_unnamed_index(const data_bundle *b, dlc_strlist *out, dlc_error *err)
{
    dlc_status st = DLC_OK;
    for (int k = 0; k < 3 && st == DLC_OK; k++)
        if (b->src[k] && b->src[k]->unnamed_index) {
            st = notes_say(out, err, "note: %s: the first column has no name, as pandas' to_csv "
                     "writes its index (index=False leaves it out): named 'Unnamed: 0', as read_csv "
                     "names it, and not read (list it in data.features to read it)", b->src[k]->path);
        }
    return st;
}

/* a CSV class named as a missing value (?, NA, NaN: UCI's and pandas'
 * markers) is learned as a class of its own unless data.missing drops it */
static dlc_status notes_missing_classes(const data_bundle *b, const data_config *cfg,
                                        dlc_strlist *out, dlc_error *err)
{
    dlc_status st = DLC_OK;
    for (int h = 0; h < b->n_heads && cfg->format == DATA_CSV && st == DLC_OK; h++) {
        const data_head *hd = &b->heads[h];
        for (int c = 0; hd->mode == DATA_TARGET_CLASS && c < hd->class_names.n; c++)
            if (data_is_missing(hd->class_names.v[c])) {
                st = notes_say(out, err, "warning: class '%.40s' is written as a missing value: it "
                         "is learned as a class of its own (data.missing: drop leaves its rows out)",
                         hd->class_names.v[c]);
                break;
            }
    }
    return st;
}

/* categorical columns one-hot encoded, and values of them the train file
 * lacks in the files read by its features (their one-hot features all 0) */
static dlc_status notes_categorical(const data_bundle *b, dlc_strlist *out, dlc_error *err)
{
    dlc_status st = DLC_OK;
    const dataset *tr = b->src[0];
    if (tr && tr->categorical.n > 0) {
        char msg[600];
        int at = snprintf(msg, sizeof msg, "note: one-hot encoded (data.categorical), with the number "
                          "of values each: ");
        for (int i = 0; i < tr->categorical.n && i < 8 && at < (int)sizeof msg; i++)
            at += snprintf(msg + at, sizeof msg - (size_t)at, "%s%s%s", i ? ", " : "",
                           tr->categorical.v[i], i == 7 && tr->categorical.n > 8 ? ", ..." : "");
        if (at < (int)sizeof msg)
            snprintf(msg + at, sizeof msg - (size_t)at, "; the model reads %d features", tr->columns.n);
        st = dlc_strlist_push(out, msg, err);
    }
    if (tr && tr->unseen_values && st == DLC_OK) { /* data.sources: in a source after the first */
        const int s = tr->unseen_source;
        st = notes_say(out, err, "note: data.sources: %d value%s of categorical columns that the "
                 "first source, '%.60s', lacks (the first in source '%.60s', line %d, %s): read "
                 "with every one-hot feature of the column 0", tr->unseen_values,
                 tr->unseen_values == 1 ? "" : "s", b->source_names.n ? b->source_names.v[0] : "?",
                 s < b->source_names.n ? b->source_names.v[s] : "?", tr->unseen_line,
                 tr->unseen_example);
    }
    for (int k = 1; k < 3 && st == DLC_OK; k++)
        if (b->src[k] && b->src[k]->unseen_values) {
            const dataset *d = b->src[k];
            st = notes_say(out, err, "note: %s: %d value%s of categorical columns that the train file "
                     "lacks (the first on line %d, %s): read with every one-hot feature of the column 0",
                     d->path, d->unseen_values, d->unseen_values == 1 ? "" : "s", d->unseen_line,
                     d->unseen_example);
        }
    return st;
}

/* "; the first on line L, column 'C'" of a file's missing values, or ""
 * (a data.sources mix has no one line) */
static void missing_where(const dataset *d, char *buf, size_t size)
{
    buf[0] = '\0';
    if (d->missing_line > 0)
        snprintf(buf, size, "; the first on line %d, column '%s'", d->missing_line, d->missing_column);
}

/* rows data.missing: drop left out, values data.missing: mean filled */
static dlc_status notes_missing(const data_bundle *b, dlc_strlist *out, dlc_error *err)
{
    dlc_status st = DLC_OK;
    for (int k = 0; k < 3 && st == DLC_OK; k++)
        if (b->src[k] && b->src[k]->missing_values) {
            const dataset *d = b->src[k];
            char first[160];
            missing_where(d, first, sizeof first);
            st = notes_say(out, err, "note: %s: %d missing feature value%s filled with the train "
                     "split's mean of the column (data.missing: mean%s)", d->path, d->missing_values,
                     d->missing_values == 1 ? "" : "s", first);
        }
    for (int k = 0; k < 3 && st == DLC_OK; k++)
        if (b->src[k] && b->src[k]->missing_rows) {
            const dataset *d = b->src[k];
            char first[160];
            missing_where(d, first, sizeof first);
            st = notes_say(out, err, "note: %s: %d of %d rows left out for a missing value "
                     "(data.missing: drop%s)%s", d->path, d->missing_rows,
                     d->missing_rows + d->n + d->dropped, first,
                     k ? ": its figures are of the rows left" : "");
        }
    return st;
}

/* data.balance: classes: what an epoch draws, and how often the rarest class repeats */
static dlc_status notes_balance(const data_bundle *b, const data_config *cfg, dlc_strlist *out,
                                dlc_error *err)
{
    const data_split *tr = &b->split[DATA_SPLIT_TRAIN];
    const int K = b->heads[0].class_names.n;
    if (cfg->balance != DATA_BALANCE_CLASSES || !tr->ds || K < 1)
        return DLC_OK;
    int *count = calloc((size_t)K, sizeof *count);
    if (!count)
        return DLC_NOMEM(err);
    for (int i = 0; i < tr->n; i++) {
        int y = (int)tr->ds->targets[tr->idx[i]];
        if (y >= 0 && y < K)
            count[y]++;
    }
    int rare = -1;
    for (int k = 0; k < K; k++)
        if (count[k] > 0 && (rare < 0 || count[k] < count[rare]))
            rare = k;
    int classes = 0;
    for (int k = 0; k < K; k++)
        classes += count[k] > 0;
    dlc_status st = notes_say(out, err, "note: data.balance: classes: each epoch draws %d train examples with "
             "replacement, each of the %d classes about equally often; the rarest, '%.40s' (%d "
             "example%s), is drawn about %.1f times an epoch each",
             tr->n, classes, rare >= 0 ? b->heads[0].class_names.v[rare] : "?",
             rare >= 0 ? count[rare] : 0, rare >= 0 && count[rare] == 1 ? "" : "s",
             rare >= 0 ? (double)tr->n / classes / count[rare] : 0.0);
    free(count);
    return st;
}

void data_one_class_hint(const data_config *cfg, char *buf, size_t size)
{
    dlc_strlist classes = {0}, sub = {0};
    char path[DATA_PATH_MAX * 2], names[300];
    buf[0] = '\0';
    if (cfg->format == DATA_IMAGE_FOLDER && cfg->n_sources == 0 &&
        data_list_subfolders(cfg->train.dir, &classes, NULL) == DLC_OK && classes.n == 1 &&
        dlc_pathf(path, sizeof path, "%s/%s", cfg->train.dir, classes.v[0]) == 0 &&
        data_list_subfolders(path, &sub, NULL) == DLC_OK && sub.n >= 2) {
        notes_names(names, sizeof names, &sub, NULL, sub.n);
        snprintf(buf, size, " (its only class folder, '%.60s', holds folders %s: are they the "
                 "classes? then give data.train.dir: %.300s)", classes.v[0], names, path);
    }
    dlc_strlist_clear(&classes);
    dlc_strlist_clear(&sub);
}

dlc_status data_notes(const data_bundle *b, const data_config *cfg, int input_given,
                      dlc_strlist *out, dlc_error *err)
{
    dlc_status st = notes_stray(b, out, err);
    if (st == DLC_OK)
        st = notes_separator(b, out, err);
    if (st == DLC_OK)
        st = notes_unnamed_index(b, out, err);
    if (st == DLC_OK)
        st = notes_row_numbers(b, cfg, out, err);
    if (st == DLC_OK)
        st = notes_unique_labels(b, cfg, out, err);
    if (st == DLC_OK)
        st = notes_converted(b, input_given, out, err);
    if (st == DLC_OK)
        st = notes_unseen(b, cfg, out, err);
    if (st == DLC_OK)
        st = notes_numeric_classes(b, cfg, out, err);
    if (st == DLC_OK)
        st = notes_short_classes(b, out, err);
    if (st == DLC_OK)
        st = notes_missing_classes(b, cfg, out, err);
    if (st == DLC_OK)
        st = notes_categorical(b, out, err);
    if (st == DLC_OK)
        st = notes_missing(b, out, err);
    if (st == DLC_OK)
        st = notes_balance(b, cfg, out, err);
    return st;
}

/* FNV-1a's step, a word at a time */
static uint64_t fp_words(uint64_t h, const void *data, size_t n)
{
    const unsigned char *p = data;
    for (size_t i = 0; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        h = (h ^ w) * 0x100000001b3ull;
    }
    for (size_t i = n & ~(size_t)7; i < n; i++)
        h = (h ^ p[i]) * 0x100000001b3ull;
    return h;
}

void data_fingerprint(const data_bundle *b, char hex[17])
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (int k = 0; k < 3; k++) {
        const dataset *ds = b->src[k];
        if (!ds)
            continue;
        const size_t n = (size_t)ds->n, D = ds->dim, T = (size_t)ds->n_targets;
        const uint64_t sizes[3] = {n, D, T};
        h = fp_words(h, sizes, sizeof sizes);
        if (ds->u8)
            h = fp_words(h, ds->u8, n * D);
        else if (ds->f32)
            h = fp_words(h, ds->f32, sizeof(float) * n * D);
        if (ds->targets)
            h = fp_words(h, ds->targets, sizeof(float) * n * T);
    }
    snprintf(hex, 17, "%016" PRIx64, h);
}
