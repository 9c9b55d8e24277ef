/* tags.c - errors.csv with a person's tags -> a tally (see tags.h). */
#include "tags.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../base/util.h"
#include "metrics.h"

#define MAX_FIELDS 256

/* ---- a small RFC 4180 reader: one record at a time ---- */

typedef struct {
    const char *name;
    const char *p, *end;
    int line;            /* line the current record starts on */
    int next_line;
    dlc_buf field;       /* the fields of the record, NUL-separated */
    int n;
    size_t start[MAX_FIELDS];
    char delim;          /* ',', or ';' or tab as the header line shows (a spreadsheet's save) */
} csv_reader;

/* Reads the next record; returns 1 with fields, 0 at the end, -1 on error. */
static int csv_next(csv_reader *r, dlc_error *err)
{
    r->n = 0;
    r->field.len = 0;
    while (r->p < r->end && (*r->p == '\n' || *r->p == '\r')) { /* blank lines */
        if (*r->p == '\n')
            r->next_line++;
        r->p++;
    }
    if (r->p >= r->end)
        return 0;
    r->line = r->next_line;
    for (;;) {
        if (r->n >= MAX_FIELDS) {
            dlc_fail(err, DLC_EINPUT, "%s:%d: more than %d fields", r->name, r->line, MAX_FIELDS);
            return -1;
        }
        r->start[r->n++] = r->field.len;
        if (r->p < r->end && *r->p == '"') {
            r->p++;
            for (;;) {
                if (r->p >= r->end) {
                    dlc_fail(err, DLC_EINPUT, "%s:%d: a quoted field is never closed", r->name, r->line);
                    return -1;
                }
                if (*r->p == '"') {
                    if (r->p + 1 < r->end && r->p[1] == '"') {
                        dlc_buf_append(&r->field, "\"", 1);
                        r->p += 2;
                        continue;
                    }
                    r->p++;
                    break;
                }
                if (*r->p == '\n')
                    r->next_line++;
                dlc_buf_append(&r->field, r->p++, 1);
            }
            if (r->p < r->end && *r->p != r->delim && *r->p != '\n' && *r->p != '\r') {
                dlc_fail(err, DLC_EINPUT, "%s:%d: text after a closing quote", r->name, r->line);
                return -1;
            }
        } else {
            while (r->p < r->end && *r->p != r->delim && *r->p != '\n' && *r->p != '\r') {
                if (*r->p == '"') {
                    dlc_fail(err, DLC_EINPUT, "%s:%d: a quote inside an unquoted field", r->name, r->line);
                    return -1;
                }
                dlc_buf_append(&r->field, r->p++, 1);
            }
        }
        dlc_buf_append(&r->field, "", 1);
        if (r->p < r->end && *r->p == r->delim) {
            r->p++;
            continue;
        }
        if (r->p < r->end && *r->p == '\r')
            r->p++;
        if (r->p < r->end && *r->p == '\n') {
            r->p++;
            r->next_line++;
        }
        break;
    }
    if (r->field.failed) {
        DLC_NOMEM(err);
        return -1;
    }
    return 1;
}

static const char *csv_field(const csv_reader *r, int i)
{
    return r->field.s + r->start[i];
}

/* ---- tallying ---- */

enum { COL_DATA, COL_TAG, COL_WORDS };

static int is_mislabeled(const char *name)
{
    return strcasecmp(name, "mislabeled") == 0 || strcasecmp(name, "mislabelled") == 0;
}

static dlc_status tag_index(report_tally *t, const char *name, int *out, dlc_error *err)
{
    for (int i = 0; i < t->n_tags; i++)
        if (strcasecmp(t->tags[i].name, name) == 0) {
            *out = i;
            return DLC_OK;
        }
    report_tag *grown = realloc(t->tags, sizeof *grown * (size_t)(t->n_tags + 1));
    if (!grown)
        return DLC_NOMEM(err);
    t->tags = grown;
    report_tag *g = &t->tags[t->n_tags];
    memset(g, 0, sizeof *g);
    if (!(g->name = strdup(name)))
        return DLC_NOMEM(err);
    *out = t->n_tags++;
    return DLC_OK;
}

/* 1 marked, 0 not, -1 not a mark. */
static int mark_value(const char *s)
{
    static const char *const yes[] = {"x", "1", "yes", "y", "true", NULL};
    static const char *const no[] = {"", "0", "no", "n", "false", NULL};
    while (*s == ' ')
        s++;
    char v[16];
    size_t n = strlen(s);
    while (n > 0 && s[n - 1] == ' ')
        n--;
    if (n >= sizeof v)
        return -1;
    memcpy(v, s, n);
    v[n] = '\0';
    for (int i = 0; yes[i]; i++)
        if (strcasecmp(v, yes[i]) == 0)
            return 1;
    for (int i = 0; no[i]; i++)
        if (strcasecmp(v, no[i]) == 0)
            return 0;
    return -1;
}

/* Marks tag k on the current row once (seen: per-tag flags for the row). */
static dlc_status mark(report_tally *t, const char *name, char **seen, int *n_seen, dlc_error *err)
{
    int k;
    dlc_status s = tag_index(t, name, &k, err);
    if (s != DLC_OK)
        return s;
    if (k >= *n_seen) {
        char *grown = realloc(*seen, (size_t)k + 1);
        if (!grown)
            return DLC_NOMEM(err);
        memset(grown + *n_seen, 0, (size_t)(k + 1 - *n_seen));
        *seen = grown;
        *n_seen = k + 1;
    }
    if (!(*seen)[k]) {
        (*seen)[k] = 1;
        t->tags[k].count++;
    }
    return DLC_OK;
}

static int cmp_long(const void *a, const void *b)
{
    long x = *(const long *)a, y = *(const long *)b;
    return (x > y) - (x < y);
}

dlc_status report_tags_parse(report_tally *t, const char *name, const char *text, size_t len,
                             dlc_error *err)
{
    dlc_error local;
    if (!err) /* the reader reports through err->status */
        err = &local;
    memset(t, 0, sizeof *t);
    t->dev_error = NAN;
    csv_reader r = {name, text, text + len, 1, 1, {0}, 0, {0}, ','};
    int kind[MAX_FIELDS], n_cols, got, n_seen = 0, id_col = -1, source_col = -1;
    dlc_strlist sources = {0}; /* data.sources: an id is a row of its source's file */
    int per_object = 0; /* a detection sample: one row per mistake, several per image */
    char *seen = NULL;
    long *ids = NULL;
    size_t n_ids = 0, cap_ids = 0;
    dlc_status st = DLC_OK;
    if (memchr(text, '\0', len)) {
        st = dlc_fail(err, DLC_EINPUT, "%s: holds NUL bytes; not a CSV file", name);
        goto done;
    }
    r.p += dlc_bom_len(text, len); /* a spreadsheet's byte-order mark */
    /* a spreadsheet in many locales saves with ';' between fields (or tabs) */
    const char *eol = memchr(r.p, '\n', (size_t)(r.end - r.p));
    size_t head = eol ? (size_t)(eol - r.p) : (size_t)(r.end - r.p);
    if (!memchr(r.p, ',', head) && (memchr(r.p, ';', head) || memchr(r.p, '\t', head)))
        r.delim = memchr(r.p, ';', head) ? ';' : '\t';
    if ((got = csv_next(&r, err)) <= 0) {
        st = got < 0 ? err->status : dlc_fail(err, DLC_EINPUT, "%s: empty; expected a header line "
                                                                "(id,true,predicted,...)", name);
        goto done;
    }
    n_cols = r.n;
    int need[3] = {0, 0, 0};
    static const char *const data_cols[] = {"id", "true", "predicted", "source", "file", "confidence", "image",
                                            "abs_error", "kind", "iou", "box", "text", "read_as", NULL};
    for (int c = 0; c < n_cols; c++) {
        const char *h = csv_field(&r, c);
        for (int d = 0; d < c; d++)
            if (strcasecmp(h, csv_field(&r, d)) == 0) {
                st = dlc_fail(err, DLC_EINPUT, "%s:%d: column '%s' appears twice", name, r.line, h);
                goto done;
            }
        kind[c] = strcasecmp(h, "tags") == 0 ? COL_WORDS : COL_TAG;
        for (int d = 0; data_cols[d]; d++)
            if (strcasecmp(h, data_cols[d]) == 0) {
                kind[c] = COL_DATA;
                if (d < 3)
                    need[d] = 1;
                if (d == 0)
                    id_col = c;
                if (d == 3)
                    source_col = c;
                per_object |= strcmp(data_cols[d], "box") == 0;
            }
        if (kind[c] == COL_TAG && !h[0]) {
            st = dlc_fail(err, DLC_EINPUT, "%s:%d: column %d has no name", name, r.line, c + 1);
            goto done;
        }
    }
    for (int d = 0; d < 3; d++)
        if (!need[d]) {
            st = dlc_fail(err, DLC_EINPUT,
                          "%s:%d: no '%s' column; the header must name id, true and predicted "
                          "(as dlc train writes it)", name, r.line, data_cols[d]);
            goto done;
        }
    /* tag columns are categories even when nobody marked them yet */
    for (int c = 0; c < n_cols; c++) {
        int k;
        if (kind[c] == COL_TAG && (st = tag_index(t, csv_field(&r, c), &k, err)) != DLC_OK)
            goto done;
    }
    char header[MAX_FIELDS][64];
    for (int c = 0; c < n_cols; c++)
        dlc_strlcpy(header[c], csv_field(&r, c), sizeof header[c]);
    while ((got = csv_next(&r, err)) > 0) {
        if (r.n != n_cols) {
            st = dlc_fail(err, DLC_EINPUT, "%s:%d: %d fields, but the header has %d", name, r.line,
                          r.n, n_cols);
            goto done;
        }
        long id;
        if (dlc_parse_long(csv_field(&r, id_col), &id) != 0 || id < 0 || id > 0x7fffffffL) {
            st = dlc_fail(err, DLC_EINPUT, "%s:%d: id '%s' is not an example number", name, r.line,
                          csv_field(&r, id_col));
            goto done;
        }
        if (n_ids == cap_ids) {
            cap_ids = cap_ids ? 2 * cap_ids : 64;
            long *grown = realloc(ids, sizeof *ids * cap_ids);
            if (!grown) {
                st = DLC_NOMEM(err);
                goto done;
            }
            ids = grown;
        }
        if (source_col >= 0) { /* the same id in two sources is two examples */
            int s = dlc_strlist_find(&sources, csv_field(&r, source_col));
            if (s < 0 && (st = dlc_strlist_push(&sources, csv_field(&r, source_col), err)) != DLC_OK)
                goto done;
            id += (long)(s < 0 ? sources.n - 1 : s) << 32;
        }
        ids[n_ids++] = id;
        if (seen)
            memset(seen, 0, (size_t)n_seen);
        int before = 0;
        for (int k = 0; k < t->n_tags; k++)
            before += t->tags[k].count;
        for (int c = 0; c < n_cols; c++) {
            const char *v = csv_field(&r, c);
            if (kind[c] == COL_TAG) {
                int m = mark_value(v);
                if (m < 0) {
                    st = dlc_fail(err, DLC_EINPUT,
                                  "%s:%d: column '%s': '%s' is not a mark; use x (or 1, yes, true) "
                                  "to tag the row, or leave it empty",
                                  name, r.line, header[c], v);
                    goto done;
                }
                if (m && (st = mark(t, header[c], &seen, &n_seen, err)) != DLC_OK)
                    goto done;
            } else if (kind[c] == COL_WORDS) {
                char word[128];
                for (const char *p = v; *p;) {
                    size_t n = strcspn(p, " \t,;");
                    if (n > 0) {
                        if (n >= sizeof word) {
                            st = dlc_fail(err, DLC_EINPUT, "%s:%d: tag word longer than %zu characters",
                                          name, r.line, sizeof word - 1);
                            goto done;
                        }
                        memcpy(word, p, n);
                        word[n] = '\0';
                        if ((st = mark(t, word, &seen, &n_seen, err)) != DLC_OK)
                            goto done;
                    }
                    p += n;
                    p += strspn(p, " \t,;");
                }
            }
        }
        int after = 0;
        for (int k = 0; k < t->n_tags; k++)
            after += t->tags[k].count;
        t->untagged += after == before;
        t->rows++;
    }
    if (got < 0) {
        st = err->status;
        goto done;
    }
    if (n_ids > 1)
        qsort(ids, n_ids, sizeof *ids, cmp_long);
    for (size_t i = 1; i < n_ids && !per_object; i++)
        if (ids[i] == ids[i - 1]) {
            long s = ids[i] >> 32;
            st = dlc_fail(err, DLC_EINPUT, "%s: id %ld%s%s appears twice", name,
                          ids[i] & 0xffffffffL, source_col >= 0 ? " of source " : "",
                          source_col >= 0 && s < sources.n ? sources.v[s] : "");
            goto done;
        }
    for (int k = 0; k < t->n_tags; k++)
        if (is_mislabeled(t->tags[k].name))
            t->mislabeled += t->tags[k].count;
done:
    free(seen);
    free(ids);
    dlc_strlist_clear(&sources);
    dlc_buf_free(&r.field);
    if (st != DLC_OK)
        report_tally_free(t);
    return st;
}

static int by_ceiling(const void *a, const void *b)
{
    const report_tag *x = a, *y = b;
    if (x->count != y->count)
        return x->count < y->count ? 1 : -1;
    return strcmp(x->name, y->name);
}

void report_tally_finish(report_tally *t, double dev_error)
{
    t->dev_error = dev_error;
    for (int k = 0; k < t->n_tags; k++) {
        report_tag *g = &t->tags[k];
        g->share = t->rows > 0 ? (double)g->count / t->rows : 0;
        g->ceiling = dev_error * g->share;
    }
    /* the ceiling is dev_error x share, so sorting by count sorts by ceiling */
    if (t->n_tags > 1)
        qsort(t->tags, (size_t)t->n_tags, sizeof *t->tags, by_ceiling);
    t->mislabeled_share = t->rows > 0 ? (double)t->mislabeled / t->rows : 0;
    t->corrected_error = report_corrected_error(dev_error, t->mislabeled_share);
    t->error_from_mislabels = dev_error * t->mislabeled_share;
}

void report_tally_free(report_tally *t)
{
    if (!t)
        return;
    for (int k = 0; k < t->n_tags; k++)
        free(t->tags[k].name);
    free(t->tags);
    memset(t, 0, sizeof *t);
    t->dev_error = NAN;
}
