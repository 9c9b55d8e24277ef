/* vectors.c - reading files of word vectors: word2vec's text and binary
 * formats and GloVe's text format, for the embedding layer's `pretrained:`
 * (data_text_vectors) and for dlc embed's queries (src/embed).
 *
 * Which format a file is in is read from the file: a first line of two
 * integers "count dim" is word2vec's header; when the line after it is not
 * a word and dim numbers and the bytes after it are not text (a NUL or
 * another control byte, or invalid UTF-8), the records are binary ("word " then dim
 * little-endian float32, an optional line end), otherwise every line is
 * "word v1 .. vdim" (GloVe's files have no header).  A word's own bytes
 * never make a text file binary: words keep control bytes (a backspace in
 * a fortune file's word is written and read back as it is).
 * Errors name the file and the line (binary: the record and its byte).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "data.h"
#include "names.h"

/* A byte that text does not hold: controls other than white space. */
static int control_byte(unsigned char c)
{
    return (c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\v' && c != '\f') || c == 0x7f;
}

/* 1 when s[0, n) is not text: a control byte or a malformed UTF-8 sequence. */
static int looks_binary(const unsigned char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        unsigned c = s[i];
        if (c < 0x80) {
            if (control_byte((unsigned char)c))
                return 1;
            i++;
            continue;
        }
        int len = c >= 0xC2 && c < 0xE0 ? 2 : c >= 0xE0 && c < 0xF0 ? 3 : c >= 0xF0 && c < 0xF5 ? 4 : 0;
        if (len == 0 || i + (size_t)len > n)
            return 1;
        for (int k = 1; k < len; k++)
            if ((s[i + k] & 0xC0) != 0x80)
                return 1;
        i += (size_t)len;
    }
    return 0;
}

static int is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

/* 1 when the first non-blank line of s[0, n) is a text record: a word, then
 * exactly dim numbers (dim 0: one or more).  A binary record (the word, then 4 dim raw bytes) is
 * not, whatever bytes the words hold: a corpus's word may have a control
 * byte in it (fortune files underline with backspaces), which text files
 * keep as it is. */
static int record_is_text(const char *s, size_t n, long dim)
{
    size_t i = 0;
    while (i < n && (is_blank(s[i]) || s[i] == '\n'))
        i++;
    const char *eol = i < n ? memchr(s + i, '\n', n - i) : NULL;
    size_t e = eol ? (size_t)(eol - s) : n;
    while (i < e && !is_blank(s[i]))
        i++; /* the word */
    long k = 0;
    char num[64];
    while (i < e) {
        while (i < e && is_blank(s[i]))
            i++;
        size_t f = i;
        while (i < e && !is_blank(s[i]))
            i++;
        double x;
        if (i == f)
            break;
        if (i - f >= sizeof num)
            return 0;
        memcpy(num, s + f, i - f);
        num[i - f] = '\0';
        if (dlc_parse_double(num, &x) != 0)
            return 0;
        k++;
    }
    return dim > 0 ? k == dim : k > 0;
}

/* "count dim" on line one: 1 and the two numbers, else 0. */
static int read_header(const char *line, long *count, long *dim)
{
    char a[32], b[32], extra[2];
    if (sscanf(line, "%31s %31s %1s", a, b, extra) != 2)
        return 0;
    return dlc_parse_long(a, count) == 0 && dlc_parse_long(b, dim) == 0;
}

static dlc_status read_binary(const char *path, const char *text, size_t len, size_t pos,
                              long count, int dim, data_vector_fn fn, void *user, dlc_error *err)
{
    char word[1024];
    float *row = malloc(sizeof(float) * (size_t)dim);
    dlc_status st = DLC_OK;
    if (!row)
        return DLC_NOMEM(err);
    for (long r = 0; r < count; r++) {
        while (pos < len && (text[pos] == '\n' || text[pos] == ' '))
            pos++;
        size_t start = pos, w = 0;
        while (pos < len && text[pos] != ' ') {
            if (w + 1 < sizeof word)
                word[w++] = text[pos];
            pos++;
        }
        word[w] = '\0';
        if (pos >= len || w == 0) {
            st = dlc_fail(err, DLC_EINPUT,
                          "%s: record %ld (byte %zu): %s; the header says %ld words", path, r + 1,
                          start, w == 0 ? "no word" : "the file ends after the word", count);
            goto cleanup;
        }
        pos++; /* the space */
        if (len - pos < sizeof(float) * (size_t)dim) {
            st = dlc_fail(err, DLC_EINPUT,
                          "%s: record %ld (byte %zu): the file ends inside the vector of '%.40s' "
                          "(%zu of %zu bytes)",
                          path, r + 1, start, word, len - pos, sizeof(float) * (size_t)dim);
            goto cleanup;
        }
        memcpy(row, text + pos, sizeof(float) * (size_t)dim); /* little-endian hosts only */
        pos += sizeof(float) * (size_t)dim;
        for (int k = 0; k < dim; k++)
            if (!isfinite(row[k])) {
                st = dlc_fail(err, DLC_EINPUT, "%s: record %ld (byte %zu): '%.40s' has a value "
                                               "that is not a finite number",
                              path, r + 1, start, word);
                goto cleanup;
            }
        if ((st = fn(user, word, row, dim, err)))
            goto cleanup;
    }
    while (pos < len && (text[pos] == '\n' || text[pos] == ' ' || text[pos] == '\r'))
        pos++;
    if (pos < len)
        st = dlc_fail(err, DLC_EINPUT, "%s: byte %zu: more data after the %ld records the header "
                                       "announces",
                      path, pos, count);
cleanup:
    free(row);
    return st;
}

static dlc_status read_lines(const char *path, char *text, size_t len, int first_line, long count,
                             int *dim, data_vector_fn fn, void *user, dlc_error *err)
{
    char *p = text, *end = text + len;
    float *row = NULL;
    int cap = 0;
    long rows = 0;
    dlc_status st = DLC_OK;
    for (int line = first_line; p < end; line++) {
        char *eol = memchr(p, '\n', (size_t)(end - p));
        if (!eol)
            eol = end;
        *eol = '\0';
        char *q = p;
        p = eol + 1;
        while (is_blank(*q))
            q++;
        if (!*q)
            continue;
        char *wend = q;
        while (*wend && !is_blank(*wend))
            wend++;
        char *f = wend;
        if (*wend)
            *f++ = '\0';
        int k = 0;
        while (*f) {
            while (is_blank(*f))
                f++;
            if (!*f)
                break;
            char *fe = f;
            while (*fe && !is_blank(*fe))
                fe++;
            char save = *fe;
            *fe = '\0';
            double x;
            if (dlc_parse_double(f, &x) != 0 || !isfinite(x)) {
                st = dlc_fail(err, DLC_EINPUT, "%s:%d: expected numbers after the word '%.40s', "
                                               "got \"%.40s\"",
                              path, line, q, f);
                goto cleanup;
            }
            if (k == cap) {
                int nc = cap ? cap * 2 : 64;
                float *r = realloc(row, sizeof(float) * (size_t)nc);
                if (!r) {
                    st = DLC_NOMEM(err);
                    goto cleanup;
                }
                row = r;
                cap = nc;
            }
            row[k++] = (float)x;
            *fe = save;
            f = fe;
        }
        if (*dim == 0 && k > 0)
            *dim = k;
        if (k != *dim) {
            st = dlc_fail(err, DLC_EINPUT, "%s:%d: word '%.40s' has %d numbers, expected %d", path,
                          line, q, k, *dim);
            goto cleanup;
        }
        if ((st = fn(user, q, row, k, err)))
            goto cleanup;
        rows++;
    }
    if (rows == 0)
        st = dlc_fail(err, DLC_EINPUT, "%s: no vectors in the file", path);
    else if (count >= 0 && rows != count)
        st = dlc_fail(err, DLC_EINPUT, "%s:1: the header says %ld words, the file has %ld", path,
                      count, rows);
cleanup:
    free(row);
    return st;
}

/* A word listed again is skipped: the first row of each word counts (as
 * gensim's reader keeps the first; some published files repeat a few). */
typedef struct {
    data_vector_fn fn;
    void *user;
    data_names seen;
    long dups;
} dedup_ctx;

static dlc_status dedup_row(void *user, const char *word, const float *row, int dim,
                            dlc_error *err)
{
    dedup_ctx *d = user;
    int before = d->seen.names.n, id;
    dlc_status st = data_names_intern(&d->seen, word, &id, err);
    if (st != DLC_OK)
        return st;
    if (id < before) {
        d->dups++;
        return DLC_OK;
    }
    return d->fn(d->user, word, row, dim, err);
}

dlc_status data_vectors_read(const char *path, int dim, data_vector_fn fn, void *user,
                             int *dim_out, long *dups_out, dlc_error *err)
{
    dedup_ctx dd = {.fn = fn, .user = user};
    char *text = NULL;
    size_t len = 0;
    dlc_status st = dlc_read_file_max(path, DLC_DATA_MAX, &text, &len, err);
    if (st)
        return st;
    size_t body = 0;
    long count = -1, hdim = 0;
    const char *nl = memchr(text, '\n', len);
    size_t l1 = nl ? (size_t)(nl - text) : len;
    char first[128];
    if (l1 < sizeof first) {
        memcpy(first, text, l1);
        first[l1] = '\0';
        if (read_header(first, &count, &hdim)) {
            if (count < 1 || hdim < 1 || hdim > 1000000) {
                st = dlc_fail(err, DLC_EINPUT, "%s:1: the header \"%s\" needs a positive count "
                                               "and dimension",
                              path, first);
                goto cleanup;
            }
            if (dim > 0 && hdim != dim) {
                st = dlc_fail(err, DLC_EINPUT, "%s:1: the header says %ld dimensions, expected %d "
                                               "(the embedding's units: set units: %ld to use them)",
                              path, hdim, dim, hdim);
                goto cleanup;
            }
            dim = (int)hdim;
            body = nl ? l1 + 1 : len;
        } else {
            count = -1;
        }
    }
    if (count >= 0 && !record_is_text(text + body, len - body, dim) &&
        looks_binary((const unsigned char *)text + body, len - body)) {
        st = read_binary(path, text, len, body, count, dim, dedup_row, &dd, err);
    } else {
        if (count < 0 && !record_is_text(text, len, 0) &&
            looks_binary((const unsigned char *)text, len)) {
            st = dlc_fail(err, DLC_EINPUT, "%s: not a text file of vectors, nor word2vec's "
                                           "binary format (its first line would be \"count dim\")",
                          path);
            goto cleanup;
        }
        st = read_lines(path, text + body, len - body, body ? 2 : 1, count, &dim, dedup_row, &dd,
                        err);
    }
    if (st == DLC_OK && dim_out)
        *dim_out = dim;
    if (st == DLC_OK && dups_out)
        *dups_out = dd.dups;
cleanup:
    data_names_free(&dd.seen);
    free(text);
    return st;
}

/* ---- the embedding layer's pretrained rows ---- */

typedef struct {
    data_names names;
    float *E;
    int dim;
    int found;
    char *state; /* (V) 1: filled; 2: in the file in another case only (lowercase: true) */
} fill_ctx;

static dlc_status fill_row(void *user, const char *word, const float *row, int dim, dlc_error *err)
{
    fill_ctx *f = user;
    int vid = data_names_find(&f->names, word);
    if (vid >= 0 && vid != TEXT_PAD) {
        memcpy(f->E + (size_t)vid * (size_t)dim, row, sizeof(float) * (size_t)dim);
        f->found += f->state[vid] != 1; /* a word listed again counts once */
        f->state[vid] = 1;
        return DLC_OK;
    }
    /* "Linux" in the vectors, "linux" in a lowercased vocabulary: not used
     * (gensim and Keras match exactly too), but counted for the message */
    char low[256];
    size_t n = strlen(word), i;
    if (n >= sizeof low)
        return DLC_OK;
    for (i = 0; i <= n; i++)
        low[i] = (char)(word[i] >= 'A' && word[i] <= 'Z' ? word[i] - 'A' + 'a' : word[i]);
    vid = data_names_find(&f->names, low);
    if (vid >= 0 && vid != TEXT_PAD && f->state[vid] == 0)
        f->state[vid] = 2;
    return DLC_OK;
}

int data_vectors_folder(const char *path)
{
    struct stat sb;
    char p[DATA_PATH_MAX + 32];
    if (stat(path, &sb) != 0 || !S_ISDIR(sb.st_mode))
        return 0;
    snprintf(p, sizeof p, "%s/model.safetensors", path);
    if (stat(p, &sb) == 0)
        return 0;
    snprintf(p, sizeof p, "%s/vectors.bin", path);
    return stat(p, &sb) == 0;
}

dlc_status data_text_vectors(const char *path, const dlc_strlist *vocab, float *E, int dim,
                             int *found, int *other_case, dlc_error *err)
{
    fill_ctx f = {.E = E, .dim = dim, .state = calloc((size_t)vocab->n + 1, 1)};
    int id;
    dlc_status st = f.state ? DLC_OK : DLC_NOMEM(err);
    *found = 0;
    if (other_case)
        *other_case = 0;
    for (int i = 0; i < vocab->n && !st; i++)
        st = data_names_intern(&f.names, vocab->v[i], &id, err);
    /* a folder dlc embed wrote: its files are named in the message */
    if (!st && data_vectors_folder(path))
        st = dlc_fail(err, DLC_EINPUT, "%s: a folder (dlc embed's run folder?); pretrained: takes "
                                       "one of its files: %s/vectors.txt, vectors.bin or glove.txt",
                      path, path);
    if (!st)
        st = data_vectors_read(path, dim, fill_row, &f, NULL, NULL, err);
    *found = f.found;
    for (int i = 0; other_case && f.state && i < vocab->n; i++)
        *other_case += f.state[i] == 2;
    free(f.state);
    data_names_free(&f.names);
    return st;
}
