/* text.c - format text: UTF-8 files read, tokenized and turned into
 * sequences of token ids for language models, taggers and classifiers (the
 * contract is in data.h).
 *
 * Loading goes in four steps: every source file is tokenized into ids of one
 * table of distinct token strings (`all`); splits are carved; the vocabulary
 * is chosen from the train split's counts; and each source becomes a dataset
 * of fixed-length sequences whose splits are lists of rows, as for the other
 * formats.
 *
 * Letters: T = seq_len, n tokens, m examples.
 */
#include "data_internal.h"

#include <dirent.h>
#include <limits.h>
#include <math.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "names.h"

const char *const data_text_task_names[TEXT_TASK_COUNT + 1] = {"lm", "tag", "classify", "bilm",
                                                               NULL};
const char *const data_text_unit_names[TEXT_UNIT_COUNT + 1] = {"chars", "words", NULL};

static const char *const text_specials[] = {"<pad>", "<unk>"};
#define TEXT_EOS "<eos>"
#define TEXT_EOS_ID 2 /* its id in a word lm's vocabulary */


/* ---- UTF-8 ---- */

/* Length of the valid UTF-8 character at s (at most n bytes), 0 if invalid
 * (overlong forms, surrogates and values past U+10FFFF included). */
static int utf8_len(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    if (c < 0x80)
        return 1;
    int len = c >= 0xF0 && c <= 0xF4 ? 4 : c >= 0xE0 ? (c < 0xF0 ? 3 : 0) : c >= 0xC2 ? 2 : 0;
    if (len == 0 || (size_t)len > n)
        return 0;
    for (int i = 1; i < len; i++)
        if ((s[i] & 0xC0) != 0x80)
            return 0;
    if (len == 3) {
        unsigned cp = ((c & 0x0F) << 12) | ((s[1] & 0x3F) << 6) | (s[2] & 0x3F);
        if (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))
            return 0;
    } else if (len == 4) {
        unsigned cp = ((c & 0x07) << 18) | ((s[1] & 0x3F) << 12);
        if (cp < 0x10000 || cp > 0x10FFFF)
            return 0;
    }
    return len;
}

/* Checks a whole text: valid UTF-8 and no NUL byte, naming the place. */
static dlc_status utf8_check(const char *path, const char *text, size_t len, dlc_error *err)
{
    const unsigned char *s = (const unsigned char *)text;
    int line = 1;
    size_t line_start = 0;
    for (size_t i = 0; i < len;) {
        if (s[i] == '\n') {
            line++;
            line_start = ++i;
            continue;
        }
        if (s[i] == 0)
            return dlc_fail(err, DLC_EINPUT, "%s:%d:%zu: NUL byte (not a text file?)", path, line,
                            i - line_start + 1);
        int k = utf8_len(s + i, len - i);
        if (k == 0)
            return dlc_fail(err, DLC_EINPUT,
                            "%s:%d:%zu: invalid UTF-8 (byte 0x%02x); text files must be UTF-8", path,
                            line, i - line_start + 1, s[i]);
        i += (size_t)k;
    }
    return DLC_OK;
}

/* ---- reading files ---- */

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Hands b's text to *out (an empty text: ""), or fails as it did. */
static dlc_status buf_take(dlc_buf *b, char **out, size_t *out_len, dlc_error *err)
{
    if (b->failed)
        return DLC_NOMEM(err);
    *out = b->s ? b->s : calloc(1, 1);
    *out_len = b->len;
    b->s = NULL;
    return *out ? DLC_OK : DLC_NOMEM(err);
}

/* (data.h) gzip by its magic (1f 8b), as IDX files are read too. */
dlc_status data_text_read_file(const char *path, char **out, size_t *out_len, dlc_error *err)
{
    gzFile g;
    dlc_status st = data_gz_open(path, &g, out, out_len, err);
    if (st != DLC_OK || !g)
        return st;
    dlc_buf b = {0};
    char chunk[1 << 16];
    int r, errnum = Z_OK;
    while ((r = gzread(g, chunk, sizeof chunk)) > 0) {
        if (b.len + (size_t)r > DLC_DATA_MAX) {
            st = dlc_fail(err, DLC_EINPUT, "%s: more than %zu bytes of text once inflated (at "
                                           "most that is read)", path, (size_t)DLC_DATA_MAX);
            goto done;
        }
        dlc_buf_append(&b, chunk, (size_t)r);
    }
    const char *msg = data_gz_msg(g, &errnum);
    if (r < 0 || errnum != Z_OK) {
        /* a stream cut short reads as Z_BUF_ERROR: the trailer is missing */
        st = dlc_fail(err, DLC_EINPUT, "%s: %s gzip data%s%s", path,
                      errnum == Z_BUF_ERROR ? "truncated" : "corrupt",
                      errnum == Z_BUF_ERROR ? "" : ": ", errnum == Z_BUF_ERROR ? "" : msg);
        goto done;
    }
    st = buf_take(&b, out, out_len, err);
done:
    gzclose_r(g);
    dlc_buf_free(&b);
    return st;
}

/* (data.h) The standard input cannot be sniffed and rewound as a file is: it
 * is read whole and inflated in memory when it starts with the gzip magic.
 * Members follow one another as gzread reads them; bytes after the last
 * member that do not start another are ignored, as gzread ignores them. */
dlc_status data_text_read_input(const char *path, char **out, size_t *out_len, dlc_error *err)
{
    if (strcmp(path, "-") != 0)
        return data_text_read_file(path, out, out_len, err);
    char *raw = NULL;
    size_t n = 0;
    dlc_status st = dlc_read_input_max(path, DLC_DATA_MAX, &raw, &n, err);
    if (st != DLC_OK || n < 2 || (unsigned char)raw[0] != 0x1f || (unsigned char)raw[1] != 0x8b) {
        *out = st == DLC_OK ? raw : NULL;
        *out_len = st == DLC_OK ? n : 0;
        return st;
    }
    *out = NULL;
    *out_len = 0;
    dlc_buf b = {0};
    char chunk[1 << 16];
    z_stream z = {0};
    int r = inflateInit2(&z, 16 + MAX_WBITS); /* 16: a gzip header and trailer */
    if (r != Z_OK) {
        free(raw);
        return DLC_NOMEM(err);
    }
    z.next_in = (unsigned char *)raw;
    z.avail_in = (uInt)n; /* n <= DLC_DATA_MAX, under 4 GiB */
    for (;;) {
        z.next_out = (unsigned char *)chunk;
        z.avail_out = sizeof chunk;
        r = inflate(&z, Z_NO_FLUSH);
        size_t got = sizeof chunk - z.avail_out;
        if (b.len + got > DLC_DATA_MAX) {
            st = dlc_fail(err, DLC_EINPUT, "-: more than %zu bytes of text once inflated (at most "
                          "that is read)", (size_t)DLC_DATA_MAX);
            goto done;
        }
        dlc_buf_append(&b, chunk, got);
        if (r == Z_STREAM_END) {
            if (z.avail_in < 2 || z.next_in[0] != 0x1f || z.next_in[1] != 0x8b)
                break;
            inflateReset(&z); /* another member */
        } else if (r == Z_BUF_ERROR) {
            /* no progress with room to write: the input is spent inside a
             * member, whose end and trailer are missing */
            st = dlc_fail(err, DLC_EINPUT, "-: truncated gzip data (the standard input ends inside "
                          "a gzip stream)");
            goto done;
        } else if (r == Z_MEM_ERROR) {
            st = DLC_NOMEM(err);
            goto done;
        } else if (r != Z_OK) {
            st = dlc_fail(err, DLC_EINPUT, "-: corrupt gzip data on the standard input: %s",
                          z.msg ? z.msg : "?");
            goto done;
        }
    }
    st = buf_take(&b, out, out_len, err);
done:
    inflateEnd(&z);
    free(raw);
    dlc_buf_free(&b);
    return st;
}

/* path's text: a file, or every regular file of a folder (hidden ones aside)
 * in name order, each ending with a line end. */
static dlc_status read_text(const char *path, char **out, size_t *out_len, dlc_error *err)
{
    struct stat sb;
    *out = NULL;
    *out_len = 0;
    if (stat(path, &sb) != 0 || !S_ISDIR(sb.st_mode))
        return data_text_read_file(path, out, out_len, err);
    DIR *d = opendir(path);
    if (!d)
        return dlc_fail(err, DLC_EINPUT, "%s: cannot read the folder", path);
    dlc_strlist names = {0};
    int subdirs = 0;         /* subfolders, not read; the first one's name: */
    char first_dir[256] = "";
    struct stat *seen = NULL; /* (names.n) */
    dlc_buf all = {0};
    dlc_status st = DLC_OK;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char full[DATA_PATH_MAX + 256];
        snprintf(full, sizeof full, "%s/%s", path, e->d_name);
        if (stat(full, &sb) == 0 && S_ISREG(sb.st_mode) && (st = dlc_strlist_push(&names, full, err)))
            break;
        if (stat(full, &sb) == 0 && S_ISDIR(sb.st_mode) && subdirs++ == 0)
            dlc_strlcpy(first_dir, e->d_name, sizeof first_dir);
    }
    closedir(d);
    if (st)
        goto cleanup;
    if (names.n == 0 && subdirs > 0) {
        /* Keras' text_dataset_from_directory reads DIR/<class>/<file> */
        st = dlc_fail(err, DLC_EINPUT, "%s: the folder holds no files, only %d subfolder%s ('%.60s'%s), "
                      "which are not read: a folder of text is its files, one text after the other; "
                      "for a text classifier by subfolder (as Keras' text_dataset_from_directory "
                      "reads one), write a CSV file of a text column and a label column "
                      "(data.text.column, data.label)", path, subdirs, subdirs == 1 ? "" : "s",
                      first_dir, subdirs > 1 ? ", ..." : "");
        goto cleanup;
    }
    if (names.n == 0) {
        st = dlc_fail(err, DLC_EINPUT, "%s: the folder holds no files", path);
        goto cleanup;
    }
    qsort(names.v, (size_t)names.n, sizeof *names.v, name_cmp);
    /* a file reached again by a link (fortune's art.u8 -> art) is read once:
     * under its first name */
    seen = malloc(sizeof *seen * (size_t)names.n);
    if (!seen) {
        st = DLC_NOMEM(err);
        goto cleanup;
    }
    for (int i = 0; i < names.n; i++) {
        char *t = NULL;
        size_t n = 0;
        int again = 0;
        if (stat(names.v[i], &seen[i]) == 0)
            for (int j = 0; j < i && !again; j++)
                again = seen[j].st_ino == seen[i].st_ino && seen[j].st_dev == seen[i].st_dev;
        else
            memset(&seen[i], 0, sizeof seen[i]);
        if (again)
            continue;
        if ((st = data_text_read_file(names.v[i], &t, &n, err)))
            goto cleanup;
        st = utf8_check(names.v[i], t, n, err);
        if (st && err) { /* a binary file among texts (fortune's .dat indexes) */
            size_t m = strlen(err->msg);
            snprintf(err->msg + m, sizeof err->msg - m, " (in the folder %s, whose files are all "
                     "read: give a folder of text files only, or one file)", path);
        }
        dlc_buf_append(&all, t, n);
        if (n > 0 && t[n - 1] != '\n')
            dlc_buf_append(&all, "\n", 1);
        free(t);
        if (st)
            goto cleanup;
    }
    st = buf_take(&all, out, out_len, err);
cleanup:
    free(seen);
    dlc_buf_free(&all);
    dlc_strlist_clear(&names);
    return st;
}

/* ---- tokens of one source ---- */

typedef struct {
    int *tok;        /* (n) ids into the `all` table */
    long n, cap;
    int *tag;        /* tag: (n) tag ids */
    long *start;     /* tag, classify: example k is tok[start[k] .. start[k+1]) */
    int *label;      /* classify: (m) label ids */
    int *line;       /* tag, classify: (m) the line an example starts on */
    int *rec;        /* classify with `limit`: (m) the CSV record (data row, from 0) each
                      * example is; NULL: example k is record k */
    int m, mcap, rec_cap;
    dlc_strlist raw; /* classify: (m) each example's text as written */
} text_src;

/* sources a load reads: data.train, dev, test, or up to DATA_MAX_SOURCES */
#define TEXT_MAX_SRC (DATA_MAX_SOURCES > SRC_COUNT ? DATA_MAX_SOURCES : SRC_COUNT)

typedef struct {
    const data_text_config *tc;
    const data_config *cfg;
    data_names all;      /* every distinct token string */
    data_names tags;     /* tag or label names, in order of appearance */
    text_src src[TEXT_MAX_SRC];  /* train, dev, test; or data.sources in order */
    char word[1024];     /* the token being read */
    uint64_t seed;       /* the run's: a classifier's `limit` draws its rows with it */
} text_load;

static void src_free(text_src *s)
{
    free(s->tok);
    free(s->tag);
    free(s->start);
    free(s->label);
    free(s->line);
    free(s->rec);
    dlc_strlist_clear(&s->raw);
    memset(s, 0, sizeof *s);
}

/* Everything a load read: tokens of every source, the token and tag tables. */
static void load_free(text_load *L)
{
    for (int k = 0; k < TEXT_MAX_SRC; k++)
        src_free(&L->src[k]);
    data_names_free(&L->all);
    data_names_free(&L->tags);
}

static dlc_status push_token(text_load *L, text_src *s, const char *str, int tag, dlc_error *err)
{
    if (s->n == s->cap) {
        long cap = s->cap ? s->cap * 2 : 4096;
        int *t = realloc(s->tok, sizeof(int) * (size_t)cap);
        if (!t)
            return DLC_NOMEM(err);
        s->tok = t;
        if (tag >= 0 || s->tag) {
            int *g = realloc(s->tag, sizeof(int) * (size_t)cap);
            if (!g)
                return DLC_NOMEM(err);
            s->tag = g;
        }
        s->cap = cap;
    }
    int id;
    dlc_status st = data_names_intern(&L->all, str, &id, err);
    if (st)
        return st;
    s->tok[s->n] = id;
    if (s->tag)
        s->tag[s->n] = tag;
    s->n++;
    return DLC_OK;
}

/* Starts example m at the current token: its line and (classify) label. */
static dlc_status push_example(text_src *s, int line, int label, dlc_error *err)
{
    if (s->m + 1 >= s->mcap) {
        int cap = s->mcap ? s->mcap * 2 : 1024;
        long *st = realloc(s->start, sizeof(long) * (size_t)cap);
        if (st)
            s->start = st;
        int *ln = realloc(s->line, sizeof(int) * (size_t)cap);
        if (ln)
            s->line = ln;
        int *lb = realloc(s->label, sizeof(int) * (size_t)cap);
        if (lb)
            s->label = lb;
        if (!st || !ln || !lb)
            return DLC_NOMEM(err);
        s->mcap = cap;
    }
    s->start[s->m] = s->n;
    s->line[s->m] = line;
    s->label[s->m] = label;
    s->m++;
    s->start[s->m] = s->n;
    return DLC_OK;
}

static void close_example(text_src *s)
{
    if (s->m > 0)
        s->start[s->m] = s->n;
}

static int is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static int is_punct(unsigned char c)
{
    return c < 0x80 && ispunct(c);
}

/* data.text.split_punctuation: the word in L->word (w bytes) as tokens, each
 * ASCII punctuation mark at its start or end one of its own ("(cat)," is
 * "(" "cat" ")" ","); marks inside stay (don't, U.S., 3.14), and a word of
 * marks only ("...", "--") is one token. */
static dlc_status push_split(text_load *L, text_src *s, size_t w, dlc_error *err)
{
    char *x = L->word;
    size_t a = 0, b = w;
    while (a < w && is_punct((unsigned char)x[a]))
        a++;
    if (a == w)
        return push_token(L, s, x, -1, err);
    while (b > a && is_punct((unsigned char)x[b - 1]))
        b--;
    char one[2] = {0, 0}, mid[sizeof L->word];
    dlc_status st = DLC_OK;
    for (size_t k = 0; k < a && st == DLC_OK; k++) {
        one[0] = x[k];
        st = push_token(L, s, one, -1, err);
    }
    memcpy(mid, x + a, b - a);
    mid[b - a] = '\0';
    if (st == DLC_OK)
        st = push_token(L, s, mid, -1, err);
    for (size_t k = b; k < w && st == DLC_OK; k++) {
        one[0] = x[k];
        st = push_token(L, s, one, -1, err);
    }
    return st;
}

/* Tokenizes text[0, len) (valid UTF-8) into s; stops after `limit` tokens
 * (0: no limit).  line_ends: a word lm marks every line end with <eos>. */
static dlc_status tokenize(text_load *L, text_src *s, const char *text, size_t len, long limit,
                           dlc_error *err)
{
    const data_text_config *tc = L->tc;
    const unsigned char *p = (const unsigned char *)text;
    int line_ends = tc->task == TEXT_LM && tc->unit == TEXT_WORDS;
    dlc_status st;
    for (size_t i = 0; i < len;) {
        if (limit > 0 && s->n >= limit)
            break;
        if (tc->unit == TEXT_CHARS) {
            if (p[i] == '\r' && i + 1 < len && p[i + 1] == '\n') {
                i++;
                continue;
            }
            int k = utf8_len(p + i, len - i);
            if (k == 0)
                k = 1; /* checked before: cannot happen */
            memcpy(L->word, p + i, (size_t)k);
            L->word[k] = '\0';
            if (tc->lowercase && k == 1 && L->word[0] >= 'A' && L->word[0] <= 'Z')
                L->word[0] = (char)(L->word[0] - 'A' + 'a');
            if ((st = push_token(L, s, L->word, -1, err)))
                return st;
            i += (size_t)k;
            continue;
        }
        if (is_space(p[i])) {
            if (p[i] == '\n' && line_ends && (st = push_token(L, s, TEXT_EOS, -1, err)))
                return st;
            i++;
            continue;
        }
        size_t j = i, w = 0;
        while (j < len && !is_space(p[j])) {
            if (w + 1 < sizeof L->word) {
                unsigned char c = p[j];
                L->word[w++] = (char)(tc->lowercase && c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
            }
            j++;
        }
        if (j - i > w) {
            /* a word cut at the buffer's end: drop its last, perhaps partial, character */
            while (w > 0 && ((unsigned char)L->word[w - 1] & 0xC0) == 0x80)
                w--;
            if (w > 0 && (unsigned char)L->word[w - 1] >= 0xC0)
                w--;
        }
        L->word[w] = '\0';
        if ((st = tc->split_punctuation ? push_split(L, s, w, err) : push_token(L, s, L->word, -1, err)))
            return st;
        i = j;
    }
    return DLC_OK;
}

/* tag: "token<ws>tag" lines, a blank line between sentences. */
static dlc_status read_tagged(text_load *L, text_src *s, const char *path, const char *text,
                              size_t len, long limit, dlc_error *err)
{
    const char *p = text, *end = text + len;
    int line = 0, open = 0;
    dlc_status st;
    s->tag = malloc(sizeof(int));
    if (!s->tag)
        return DLC_NOMEM(err);
    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        if (!eol)
            eol = end;
        line++;
        const char *a = p, *b = eol;
        p = eol < end ? eol + 1 : end;
        while (a < b && is_space((unsigned char)*a))
            a++;
        while (b > a && is_space((unsigned char)b[-1]))
            b--;
        if (a == b) {
            open = 0;
            continue;
        }
        const char *f1 = a;
        while (f1 < b && !is_space((unsigned char)*f1))
            f1++;
        const char *f2 = f1;
        while (f2 < b && is_space((unsigned char)*f2))
            f2++;
        const char *f3 = f2;
        while (f3 < b && !is_space((unsigned char)*f3))
            f3++;
        if (f2 == b || f3 != b)
            return dlc_fail(err, DLC_EINPUT,
                            "%s:%d: expected a token and its tag separated by white space, got \"%.*s\"",
                            path, line, (int)(b - a < 60 ? b - a : 60), a);
        if (!open) {
            if (limit > 0 && s->m >= limit)
                break;
            if ((st = push_example(s, line, -1, err)))
                return st;
            open = 1;
        }
        char tag[256];
        size_t tl = (size_t)(b - f2) < sizeof tag - 1 ? (size_t)(b - f2) : sizeof tag - 1;
        memcpy(tag, f2, tl);
        tag[tl] = '\0';
        int tid;
        if ((st = data_names_intern(&L->tags, tag, &tid, err)))
            return st;
        size_t wl = (size_t)(f1 - a) < sizeof L->word - 1 ? (size_t)(f1 - a) : sizeof L->word - 1;
        for (size_t k = 0; k < wl; k++) {
            unsigned char c = (unsigned char)a[k];
            L->word[k] = (char)(L->tc->lowercase && c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
        }
        L->word[wl] = '\0';
        if ((st = push_token(L, s, L->word, tid, err)))
            return st;
        close_example(s);
    }
    return DLC_OK;
}

/* bilm: every non-blank line an example. */
static dlc_status read_line_examples(text_load *L, text_src *s, const char *text, size_t len,
                                     long limit, dlc_error *err)
{
    const char *p = text, *end = text + len;
    dlc_status st;
    for (int line = 1; p < end; line++) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        if (!eol)
            eol = end;
        const char *a = p;
        p = eol < end ? eol + 1 : end;
        const char *q = a;
        while (q < eol && is_space((unsigned char)*q))
            q++;
        if (q == eol)
            continue;
        if (limit > 0 && s->m >= limit)
            break;
        if ((st = push_example(s, line, -1, err)) ||
            (st = tokenize(L, s, a, (size_t)(eol - a), 0, err)))
            return st;
        close_example(s);
    }
    return DLC_OK;
}

typedef struct {
    text_load *L;
    text_src *s;
    const char *path;
    const unsigned char *keep; /* (rows) `limit`'s draw: 1 for a row read; NULL: every row */
    int row;                   /* the record at hand, from 0 */
} csv_ctx;

static dlc_status count_row(void *user, const char *const *fields, int line, dlc_error *err)
{
    (void)fields, (void)line, (void)err;
    (*(int *)user)++;
    return DLC_OK;
}

static dlc_status classify_row(void *user, const char *const *fields, int line, dlc_error *err)
{
    csv_ctx *c = user;
    int rec = c->row++;
    if (c->keep && !c->keep[rec])
        return DLC_OK;
    const char *text = fields[0], *label = fields[1];
    if (!label[0])
        return dlc_fail(err, DLC_EINPUT, "%s:%d: empty label", c->path, line);
    int id;
    dlc_status st;
    if ((st = data_names_intern(&c->L->tags, label, &id, err)) ||
        (st = push_example(c->s, line, id, err)))
        return st;
    text_src *s = c->s;
    if (c->keep && s->rec_cap < s->mcap) { /* rows left out: each example's record */
        int *r = realloc(s->rec, sizeof(int) * (size_t)s->mcap);
        if (!r)
            return DLC_NOMEM(err);
        s->rec = r;
        s->rec_cap = s->mcap;
    }
    if (s->rec)
        s->rec[s->m - 1] = rec;
    if ((st = dlc_strlist_push(&s->raw, text, err)))
        return st;
    st = tokenize(c->L, c->s, text, strlen(text), 0, err);
    close_example(c->s);
    return st;
}

/* *keep (rows, malloc): `limit` of the rows marked 1, drawn with the seed on
 * source k's stream. */
static dlc_status text_draw_rows(unsigned char **keep, int rows, long limit, uint64_t seed, int k,
                                 dlc_error *err)
{
    int *order = malloc(sizeof(int) * (size_t)rows); /* (rows) */
    *keep = calloc((size_t)rows, 1);
    if (!order || !*keep) {
        free(order);
        free(*keep);
        *keep = NULL;
        return DLC_NOMEM(err);
    }
    for (int i = 0; i < rows; i++)
        order[i] = i;
    dlc_rng rng;
    dlc_rng_seed(&rng, seed, DLC_STREAM(DLC_STREAM_SPLIT, 8 + k));
    dlc_rng_shuffle(&rng, order, rows);
    for (long i = 0; i < limit; i++)
        (*keep)[order[i]] = 1;
    free(order);
    return DLC_OK;
}

static dlc_status read_source(text_load *L, int k, const data_source *src, dlc_error *err)
{
    char *text = NULL;
    size_t len = 0;
    text_src *s = &L->src[k];
    dlc_status st = read_text(src->file, &text, &len, err);
    if (st)
        return st;
    if ((st = utf8_check(src->file, text, len, err)))
        goto cleanup;
    size_t skip = dlc_bom_len(text, len);
    switch (L->tc->task) {
    case TEXT_LM:
        st = tokenize(L, s, text + skip, len - skip, src->limit, err);
        break;
    case TEXT_TAG:
        st = read_tagged(L, s, src->file, text + skip, len - skip, src->limit, err);
        break;
    case TEXT_BILM:
        st = read_line_examples(L, s, text + skip, len - skip, src->limit, err);
        break;
    case TEXT_CLASSIFY: {
        const dlc_strlist *label = L->cfg->n_labels == 1 ? &L->cfg->labels[0].columns : NULL;
        if (!label || label->n != 1) {
            st = dlc_fail(err, DLC_EINPUT, "data.label: text classification needs one label column, %d given",
                          label ? label->n : L->cfg->n_labels);
            break;
        }
        /* limit: rows drawn with the seed from the whole file, as a table
         * CSV's (the first rows of a file sorted by class are one class) */
        const char *cols[2] = {L->tc->column, label->v[0]};
        csv_ctx c = {L, s, src->file, NULL, 0};
        const data_csv_dialect d = data_csv_dialect_of(L->cfg);
        int rows = 0;
        unsigned char *keep = NULL;
        static const char *const whats[2] = {"text", "label"};
        static const char *const keys[2] = {"data.text.column", "data.label"};
        st = data_csv_need_columns(src->file, text, len, &d, cols, whats, keys, 2, err);
        if (st == DLC_OK && src->limit > 0 &&
            (st = data_csv_records(src->file, text, len, &d, cols, 2, count_row, &rows, err)) == DLC_OK &&
            src->limit < rows)
            st = text_draw_rows(&keep, rows, src->limit, L->seed, k, err);
        c.keep = keep;
        if (st == DLC_OK)
            st = data_csv_records(src->file, text, len, &d, cols, 2, classify_row, &c, err);
        free(keep);
        break;
    }
    case TEXT_TASK_COUNT:
        break;
    }
    if (st)
        goto cleanup;
    long count = L->tc->task == TEXT_LM ? s->n : s->m;
    if (L->tc->task == TEXT_LM && L->tc->unit == TEXT_WORDS) {
        int eos = data_names_find(&L->all, TEXT_EOS);
        long words = 0;
        for (long i = 0; i < s->n; i++)
            words += s->tok[i] != eos;
        if (words == 0)
            count = 0;
    }
    if (count == 0)
        st = dlc_fail(err, DLC_EINPUT, "%s: %s", src->file,
                      len == 0 ? "empty file"
                      : L->tc->task == TEXT_LM ? "no text (only white space)"
                                               : "no examples");
    else if (L->tc->task == TEXT_LM && s->n < 2)
        st = dlc_fail(err, DLC_EINPUT, "%s: a language model needs at least 2 tokens", src->file);
cleanup:
    free(text);
    return st;
}

/* ---- the vocabulary ---- */

typedef struct {
    const char *s;
    long count;
} vocab_entry;

static int vocab_cmp(const void *a, const void *b)
{
    const vocab_entry *x = a, *y = b;
    if (x->count != y->count)
        return x->count > y->count ? -1 : 1;
    return strcmp(x->s, y->s);
}

static int is_special(const char *s)
{
    return strcmp(s, text_specials[0]) == 0 || strcmp(s, text_specials[1]) == 0;
}

/* Builds b->vocab from the counts of the train tokens (or copies the fixed
 * vocabulary) and map (all.n): token -> vocabulary id. */
static dlc_status build_vocab(text_load *L, data_bundle *b, const long *count, int *map,
                              dlc_error *err)
{
    const data_text_config *tc = L->tc;
    data_names v = {0};
    vocab_entry *e = NULL;
    dlc_status st = DLC_OK;
    int id, n_all = L->all.names.n;
    if (tc->vocab) {
        for (int i = 0; i < tc->vocab->n; i++)
            if ((st = data_names_intern(&v, tc->vocab->v[i], &id, err)))
                goto cleanup;
    } else {
        for (int i = 0; i < 2; i++)
            if ((st = data_names_add(&v, text_specials[i], &id, err)))
                goto cleanup;
        int eos = tc->task == TEXT_LM && tc->unit == TEXT_WORDS;
        if (eos && (st = data_names_add(&v, TEXT_EOS, &id, err)))
            goto cleanup;
        e = malloc(sizeof *e * (size_t)(n_all ? n_all : 1));
        if (!e) {
            st = DLC_NOMEM(err);
            goto cleanup;
        }
        int k = 0;
        for (int i = 0; i < n_all; i++) {
            const char *s = L->all.names.v[i];
            if (count[i] >= tc->min_count && count[i] > 0 && !is_special(s) &&
                !(eos && strcmp(s, TEXT_EOS) == 0))
                e[k++] = (vocab_entry){s, count[i]};
        }
        qsort(e, (size_t)k, sizeof *e, vocab_cmp);
        for (int i = 0; i < k; i++) {
            if (tc->max_vocab > 0 && v.names.n >= tc->max_vocab)
                break;
            if ((st = data_names_add(&v, e[i].s, &id, err)))
                goto cleanup;
        }
    }
    b->text_unk = b->text_counted = 0;
    for (int i = 0; i < n_all; i++) {
        int vid = data_names_find(&v, L->all.names.v[i]);
        map[i] = vid >= 0 ? vid : TEXT_UNK;
        b->text_counted += count[i];
        b->text_unk += map[i] == TEXT_UNK ? count[i] : 0;
    }
    dlc_strlist_clear(&b->vocab);
    b->vocab = v.names;
    v.names = (dlc_strlist){0};
cleanup:
    free(e);
    data_names_free(&v);
    return st;
}

/* ---- classes (tags, labels) ---- */

/* Where tag or label id first appears: the source and the line (a tagger's
 * sentence's first); 0 when nowhere. */
static int tag_line(const text_load *L, int id, int *src)
{
    for (int k = 0; k < TEXT_MAX_SRC; k++) {
        const text_src *s = &L->src[k];
        for (int e = 0; e < s->m; e++) {
            int hit = s->label && s->label[e] == id;
            for (long t = s->start[e]; !hit && s->tag && t < s->start[e + 1]; t++)
                hit = s->tag[t] == id;
            if (hit) {
                *src = k;
                return s->line[e];
            }
        }
    }
    return 0;
}

/* Class names in order (data.classes when given, else sorted) and the
 * remapping of the tag table's ids to class ids.  paths: each source's file
 * (TEXT_MAX_SRC, NULL where none), for messages. */
static dlc_status build_classes(text_load *L, data_bundle *b, int *remap,
                                const char *const *paths, dlc_error *err)
{
    const dlc_strlist *given = &L->cfg->classes;
    int n = L->tags.names.n;
    dlc_status st = DLC_OK;
    dlc_strlist_clear(&b->heads[0].class_names);
    if (given->n > 0) {
        for (int i = 0; i < n; i++) {
            remap[i] = dlc_strlist_find(given, L->tags.names.v[i]);
            if (remap[i] >= 0)
                continue;
            /* a test file scored by dlc eval is read through the model's
             * classes, given here as data.classes: name the file and line */
            char list[400];
            int k = 0, line = tag_line(L, i, &k);
            data_quote_names(given, list, sizeof list);
            return dlc_fail(err, DLC_EINPUT, "%s:%d: %s '%.60s', not one of the %d classes (%s)%s",
                            paths[k] ? paths[k] : L->cfg->train.file, line,
                            L->tc->task == TEXT_TAG ? "the sentence from this line has tag"
                                                    : "label",
                            L->tags.names.v[i], given->n, list,
                            L->cfg->skip_unknown_labels
                                ? "; --unknown-labels skip reads CSV, IDX and image folders, "
                                  "not text: leave such rows out of the file"
                                : "");
        }
        return dlc_strlist_copy(&b->heads[0].class_names, given, err);
    }
    const char **sorted = malloc(sizeof *sorted * (size_t)(n ? n : 1));
    if (!sorted)
        return DLC_NOMEM(err);
    for (int i = 0; i < n; i++)
        sorted[i] = L->tags.names.v[i];
    qsort(sorted, (size_t)n, sizeof *sorted, name_cmp);
    for (int i = 0; i < n && !st; i++)
        st = dlc_strlist_push(&b->heads[0].class_names, sorted[i], err);
    for (int i = 0; i < n; i++)
        remap[data_names_find(&L->tags, sorted[i])] = i;
    free(sorted);
    return st;
}

/* ---- datasets ---- */

/* rows examples of T steps, K values per step (K > 1: shape (T, K)) */
static dataset *dataset_new(const char *path, int rows, int T, int K, int n_targets)
{
    dataset *ds = calloc(1, sizeof *ds);
    if (!ds)
        return NULL;
    dlc_strlcpy(ds->path, path, sizeof ds->path);
    ds->shape.ndim = K > 1 ? 2 : 1;
    ds->shape.d[0] = T;
    ds->shape.d[1] = K;
    ds->dim = (size_t)T * (size_t)K;
    ds->n_targets = n_targets;
    ds->f32 = malloc(sizeof(float) * (size_t)(rows ? rows : 1) * ds->dim);
    ds->targets = malloc(sizeof(float) * (size_t)(rows ? rows : 1) * (size_t)n_targets);
    if (!ds->f32 || !ds->targets) {
        data_dataset_free(ds);
        return NULL;
    }
    return ds;
}

/* Sequences of the lm token range [a, b): inputs tok[a + jT + t], targets
 * the next token; the last sequence is padded.  Returns rows written at row. */
static int lm_rows(dataset *ds, int row, const text_src *s, long a, long b, const int *map, int T)
{
    long m = b - a - 1; /* positions with a next token */
    int rows = m > 0 ? (int)((m + T - 1) / T) : 0;
    for (int j = 0; j < rows; j++) {
        float *x = ds->f32 + (size_t)(row + j) * T, *y = ds->targets + (size_t)(row + j) * T;
        for (int t = 0; t < T; t++) {
            long p = a + (long)j * T + t;
            int in = p - a < m;
            x[t] = in ? (float)map[s->tok[p]] : (float)TEXT_PAD;
            y[t] = in ? (float)map[s->tok[p + 1]] : -1.0f;
        }
    }
    return rows;
}

static int lm_count(long a, long b, int T)
{
    long m = b - a - 1;
    return m > 0 ? (int)((m + T - 1) / T) : 0;
}

/* Rows of example k (a tagged sentence cut into pieces of T, or a text cut
 * to T tokens). */
static int example_rows(const text_load *L, const text_src *s, int k, int T)
{
    long len = s->start[k + 1] - s->start[k];
    if (L->tc->task == TEXT_CLASSIFY || len == 0)
        return 1;
    return (int)((len + T - 1) / T);
}

/* Notes dataset row `row` as example k's record in its file (ds->row, made
 * when first needed: a classifier's rows are records of a CSV file, and
 * `limit` or the sources' carving leaves some out).  Other tasks: nothing.
 * ENOMEM only. */
static dlc_status example_record(const text_load *L, dataset *ds, int row, const text_src *s, int k,
                                 dlc_error *err)
{
    if (L->tc->task != TEXT_CLASSIFY)
        return DLC_OK;
    if (!ds->row && !(ds->row = calloc((size_t)(ds->n > 0 ? ds->n : 1), sizeof(int))))
        return DLC_NOMEM(err);
    ds->row[row] = s->rec ? s->rec[k] : k;
    dlc_status st = DLC_OK;
    while (st == DLC_OK && ds->texts.n < row) /* (rows are written in order) */
        st = dlc_strlist_push(&ds->texts, "", err);
    if (st == DLC_OK && ds->texts.n == row)
        st = dlc_strlist_push(&ds->texts, k < s->raw.n ? s->raw.v[k] : "", err);
    return st;
}

static void example_write(const text_load *L, dataset *ds, int row, const text_src *s, int k,
                          const int *map, const int *remap, int T)
{
    long a = s->start[k], len = s->start[k + 1] - a;
    int rows = example_rows(L, s, k, T);
    const int C = L->tc->chars, K = C + 1;
    for (int j = 0; j < rows; j++) {
        float *x = ds->f32 + (size_t)(row + j) * ds->dim;
        float *y = ds->targets + (size_t)(row + j) * (size_t)ds->n_targets;
        for (int t = 0; t < T; t++) {
            long p = (long)j * T + t;
            x[(size_t)t * K] = p < len ? (float)map[s->tok[a + p]] : (float)TEXT_PAD;
            if (C > 0) { /* the token's own bytes, whatever its vocabulary id */
                const unsigned char *w =
                    p < len ? (const unsigned char *)L->all.names.v[s->tok[a + p]] : NULL;
                for (int c = 0; c < C; c++) {
                    int b = w && *w ? *w++ + 1 : 0;
                    x[(size_t)t * K + 1 + (size_t)c] = (float)b;
                }
            }
            if (L->tc->task == TEXT_TAG)
                y[t] = p < len ? (float)remap[s->tag[a + p]] : -1.0f;
            if (L->tc->task == TEXT_BILM) { /* the next and the previous token of the piece */
                int next = p + 1 < len && t + 1 < T, prev = p < len && t > 0;
                y[t] = next ? (float)map[s->tok[a + p + 1]] : -1.0f;
                y[T + t] = prev ? (float)map[s->tok[a + p - 1]] : -1.0f;
            }
        }
        if (L->tc->task == TEXT_CLASSIFY)
            y[0] = (float)remap[s->label[k]];
    }
}

/* ---- splits ---- */

/* Which part of the train source a unit (token or example) u of n belongs to:
 * 0 train, 1 train-dev, 2 dev, 3 test; in file order, the tail carved. */
typedef struct {
    long end[4]; /* units [end[p-1], end[p]) belong to part p */
} carve_plan;

static carve_plan carve_in_order(long n, const data_config *cfg)
{
    long test = data_split_count(n, cfg->split_test), dev = data_split_count(n, cfg->split_dev),
         td = data_split_count(n, cfg->split_train_dev);
    carve_plan c;
    c.end[3] = n;
    c.end[2] = n - test;
    c.end[1] = c.end[2] - dev;
    c.end[0] = c.end[1] - td;
    return c;
}

/* ---- putting it together ---- */

static dlc_status build_lm(text_load *L, data_bundle *b, const int *map, dlc_error *err,
                           const carve_plan *cp)
{
    int T = L->tc->seq_len;
    dlc_status st = DLC_OK;
    int *rows = NULL;
    for (int k = 0; k < SRC_COUNT; k++) {
        const text_src *s = &L->src[k];
        if (!s->tok)
            continue;
        long bounds[5] = {0, s->n, s->n, s->n, s->n};
        int parts = 1;
        if (k == SRC_TRAIN) {
            for (int p = 0; p < 4; p++)
                bounds[p + 1] = cp->end[p];
            parts = 4;
        }
        int total = 0;
        for (int p = 0; p < parts; p++)
            total += lm_count(bounds[p], bounds[p + 1], T);
        dataset *ds = b->src[k] = dataset_new(k == SRC_TRAIN ? L->cfg->train.file
                                              : k == SRC_DEV ? L->cfg->dev.file
                                                             : L->cfg->test.file,
                                              total, T, 1, T);
        free(rows);
        rows = malloc(sizeof(int) * (size_t)(total ? total : 1));
        if (!ds || !rows)
            return DLC_NOMEM(err);
        ds->n = total;
        int row = 0;
        for (int p = 0; p < parts; p++) {
            int r = lm_rows(ds, row, s, bounds[p], bounds[p + 1], map, T);
            for (int q = 0; q < r; q++)
                rows[q] = row + q;
            int part = k == SRC_TRAIN ? p : k == SRC_DEV ? 2 : 3;
            if ((st = data_split_rows(&b->split[part], ds, rows, r, 0, err)))
                goto done;
            long targets = bounds[p + 1] - bounds[p] - 1;
            b->text_tokens[part] = targets > 0 ? targets : 0;
            row += r;
        }
    }
done:
    free(rows);
    return st;
}

static dlc_status build_examples(text_load *L, data_bundle *b, const int *map, const int *remap,
                                 const int *part_of, dlc_error *err)
{
    int T = L->tc->seq_len;
    int nt = L->tc->task == TEXT_TAG ? T : L->tc->task == TEXT_BILM ? 2 * T : 1;
    dlc_status st = DLC_OK;
    int *rows[4] = {NULL, NULL, NULL, NULL};
    int nrows[4] = {0, 0, 0, 0};
    for (int k = 0; k < SRC_COUNT && !st; k++) {
        const text_src *s = &L->src[k];
        if (!s->start)
            continue;
        int total = 0;
        for (int e = 0; e < s->m; e++)
            total += example_rows(L, s, e, T);
        dataset *ds = b->src[k] = dataset_new(k == SRC_TRAIN ? L->cfg->train.file
                                              : k == SRC_DEV ? L->cfg->dev.file
                                                             : L->cfg->test.file,
                                              total, T, L->tc->chars + 1, nt);
        if (!ds)
            return DLC_NOMEM(err);
        ds->n = total;
        for (int p = 0; p < 4; p++) {
            free(rows[p]);
            rows[p] = malloc(sizeof(int) * (size_t)(total ? total : 1));
            nrows[p] = 0;
            if (!rows[p]) {
                st = DLC_NOMEM(err);
                goto done;
            }
        }
        int row = 0;
        for (int e = 0; e < s->m; e++) {
            int part = k == SRC_TRAIN ? part_of[e] : k == SRC_DEV ? 2 : 3;
            int r = example_rows(L, s, e, T);
            example_write(L, ds, row, s, e, map, remap, T);
            if ((st = example_record(L, ds, row, s, e, err)))
                goto done;
            for (int q = 0; q < r; q++)
                rows[part][nrows[part]++] = row + q;
            long len = s->start[e + 1] - s->start[e];
            b->text_tokens[part] += L->tc->task == TEXT_CLASSIFY && len > T ? T : len;
            row += r;
        }
        for (int p = 0; p < 4 && !st; p++) {
            if (k != SRC_TRAIN && p != (k == SRC_DEV ? 2 : 3))
                continue;
            st = data_split_rows(&b->split[p], ds, rows[p], nrows[p], 0, err);
        }
    }
done:
    for (int p = 0; p < 4; p++)
        free(rows[p]);
    return st;
}

static dlc_status check_text_config(const data_text_config *tc, dlc_error *err)
{
    if (tc->seq_len < 1)
        return dlc_fail(err, DLC_EINPUT, "data.text.seq_len must be at least 1");
    if (tc->chars > 0 && (tc->task != TEXT_TAG || tc->unit != TEXT_WORDS))
        return dlc_fail(err, DLC_EINPUT, "data.text.chars: the bytes of each word are given to "
                                         "taggers of words (task: tag, tokens: words)");
    return DLC_OK;
}

/* What the bundle of a text load says about itself, once its splits are made. */
static dlc_status text_bundle_finish(data_bundle *b, const data_text_config *tc, dlc_error *err)
{
    const dataset *ds = b->src[0];
    b->shape = ds->shape;
    b->dim = ds->dim;
    b->n_targets = ds->n_targets;
    b->text = 1;
    b->text_task = tc->task;
    b->text_unit = tc->unit;
    b->stateful = tc->task == TEXT_LM && tc->stateful;
    return data_norm_init(&b->norm, NORM_NONE, b->dim, err);
}

dlc_status data_text_load(data_bundle *b, const data_config *cfg, uint64_t seed, dlc_error *err)
{
    text_load L;
    memset(&L, 0, sizeof L);
    L.seed = seed;
    L.tc = &cfg->text;
    L.cfg = cfg;
    const data_text_config *tc = &cfg->text;
    const data_source *srcs[SRC_COUNT] = {&cfg->train, &cfg->dev, &cfg->test};
    long *count = NULL;
    int *map = NULL, *remap = NULL, *part_of = NULL;
    dlc_status st = DLC_OK;

    if ((st = check_text_config(tc, err)))
        goto cleanup;
    for (int k = 0; k < SRC_COUNT; k++) {
        if (!srcs[k]->file[0]) {
            if (k == SRC_TRAIN) {
                st = dlc_fail(err, DLC_EINPUT, "data.train.file: no training text given");
                goto cleanup;
            }
            continue;
        }
        if ((st = read_source(&L, k, srcs[k], err)))
            goto cleanup;
    }
    text_src *tr = &L.src[SRC_TRAIN];
    long units = tc->task == TEXT_LM ? tr->n : tr->m;
    carve_plan cp = carve_in_order(units, cfg);
    if (cp.end[0] < 1 || (tc->task == TEXT_LM && cp.end[0] < 2)) {
        st = dlc_fail(err, DLC_EINPUT, "%s: %ld %s are too few to carve the splits and keep any for training",
                      cfg->train.file, units, tc->task == TEXT_LM ? "tokens" : "examples");
        goto cleanup;
    }

    /* which part each train example goes to */
    part_of = malloc(sizeof(int) * (size_t)(tr->m ? tr->m : 1));
    if (!part_of) {
        st = DLC_NOMEM(err);
        goto cleanup;
    }
    if (tc->task != TEXT_LM) {
        int *perm = malloc(sizeof(int) * (size_t)(tr->m ? tr->m : 1));
        if (!perm) {
            st = DLC_NOMEM(err);
            goto cleanup;
        }
        for (int e = 0; e < tr->m; e++)
            perm[e] = e;
        if (tc->task == TEXT_CLASSIFY && cp.end[0] < tr->m) {
            /* table rows: drawn with the seed, as the CSV format does */
            dlc_rng rng;
            dlc_rng_seed(&rng, seed, DLC_STREAM(DLC_STREAM_SPLIT, 0));
            dlc_rng_shuffle(&rng, perm, tr->m);
        }
        for (int r = 0; r < tr->m; r++) {
            int p = 0;
            while (p < 3 && r >= cp.end[p])
                p++;
            part_of[perm[r]] = p;
        }
        free(perm);
    }

    /* the vocabulary, from the train part's tokens */
    int n_all = L.all.names.n;
    count = calloc((size_t)(n_all ? n_all : 1), sizeof *count);
    map = malloc(sizeof(int) * (size_t)(n_all ? n_all : 1));
    remap = malloc(sizeof(int) * (size_t)(L.tags.names.n ? L.tags.names.n : 1));
    if (!count || !map || !remap) {
        st = DLC_NOMEM(err);
        goto cleanup;
    }
    if (tc->task == TEXT_LM) {
        for (long i = 0; i < cp.end[0]; i++)
            count[tr->tok[i]]++;
    } else {
        for (int e = 0; e < tr->m; e++)
            if (part_of[e] == 0)
                for (long i = tr->start[e]; i < tr->start[e + 1]; i++)
                    count[tr->tok[i]]++;
    }
    if ((st = build_vocab(&L, b, count, map, err)))
        goto cleanup;

    if (tc->task == TEXT_LM) {
        if ((st = dlc_strlist_copy(&b->heads[0].class_names, &b->vocab, err)) ||
            (st = build_lm(&L, b, map, err, &cp)))
            goto cleanup;
    } else {
        if (tc->task == TEXT_BILM)
            st = dlc_strlist_copy(&b->heads[0].class_names, &b->vocab, err);
        else {
            const char *paths[TEXT_MAX_SRC] = {0};
            for (int k = 0; k < SRC_COUNT; k++)
                paths[k] = srcs[k]->file[0] ? srcs[k]->file : NULL;
            st = build_classes(&L, b, remap, paths, err);
        }
        if (st || (st = build_examples(&L, b, map, remap, part_of, err)))
            goto cleanup;
    }
    if (b->split[DATA_SPLIT_TRAIN].n == 0) {
        st = dlc_fail(err, DLC_EINPUT, "%s: no training sequences", cfg->train.file);
        goto cleanup;
    }
    st = text_bundle_finish(b, tc, err);

cleanup:
    load_free(&L);
    free(count);
    free(map);
    free(remap);
    free(part_of);
    return st;
}

/* ---- data.sources of text ---- */

/* The stream a source is carved with: its name's, so a source is carved the
 * same whichever others a config lists (as sources.c does for tables). */
static uint64_t source_stream(const char *name)
{
    uint64_t h = 1469598103934665603ull;
    for (const char *c = name; *c; c++)
        h = (h ^ (uint8_t)*c) * 1099511628211ull;
    return DLC_STREAM(DLC_STREAM_SPLIT, 100 + (h & 0xffffff));
}

/* Carving of one source's units (tokens of a language model, else examples)
 * into parts 0 train, 1 train-dev, 2 dev, 3 test, -1 unused. */
typedef struct {
    long bounds[6];  /* language model: part p is tokens [bounds[p], bounds[p+1]), then unused */
    int *part_of;    /* examples: (m) each one's part */
} text_carve;

/* A language model's tokens in order: train, its train-dev tail, dev, test;
 * the rest unused.  Returns 0 when the parts would be too short. */
static void carve_tokens(text_carve *c, long n, const data_source_spec *sp, double train_dev)
{
    long n_test = data_split_count(n, sp->use_test), n_dev = data_split_count(n, sp->use_dev);
    long n_train = data_split_count(n, sp->use_train);
    if (n_test + n_dev + n_train > n)
        n_train = n - n_test - n_dev;
    long n_td = data_split_count(n_train, train_dev);
    c->bounds[0] = 0;
    c->bounds[1] = n_train - n_td;
    c->bounds[2] = n_train;
    c->bounds[3] = n_train + n_dev;
    c->bounds[4] = n_train + n_dev + n_test;
    c->bounds[5] = n;
}

/* Examples: shuffled with the source's stream, then test, dev and train take
 * their shares (train-dev is drawn from the whole training mix later). */
static void carve_examples(text_carve *c, int m, const data_source_spec *sp, uint64_t seed,
                           int *perm)
{
    for (int e = 0; e < m; e++) {
        perm[e] = e;
        c->part_of[e] = -1;
    }
    dlc_rng rng;
    dlc_rng_seed(&rng, seed, source_stream(sp->name));
    dlc_rng_shuffle(&rng, perm, m);
    long n_test = data_split_count(m, sp->use_test), n_dev = data_split_count(m, sp->use_dev);
    long n_train = data_split_count(m, sp->use_train);
    if (n_test + n_dev + n_train > m)
        n_train = m - n_test - n_dev;
    long at = 0;
    for (long j = 0; j < n_test; j++)
        c->part_of[perm[at++]] = 3;
    for (long j = 0; j < n_dev; j++)
        c->part_of[perm[at++]] = 2;
    for (long j = 0; j < n_train; j++)
        c->part_of[perm[at++]] = 0;
}

/* train-dev from the training mix of examples: the same distribution as train */
static dlc_status carve_train_dev(text_load *L, text_carve *cv, int S, double frac, uint64_t seed,
                                  dlc_error *err)
{
    long total = 0;
    for (int i = 0; i < S; i++)
        for (int e = 0; e < L->src[i].m; e++)
            total += cv[i].part_of[e] == 0;
    long n_td = data_split_count(total, frac);
    if (n_td == 0)
        return DLC_OK;
    long *mix = malloc(sizeof(long) * (size_t)total);
    if (!mix)
        return DLC_NOMEM(err);
    long n = 0;
    for (int i = 0; i < S; i++)
        for (int e = 0; e < L->src[i].m; e++)
            if (cv[i].part_of[e] == 0)
                mix[n++] = (long)i << 32 | (long)e;
    dlc_rng rng;
    dlc_rng_seed(&rng, seed, DLC_STREAM(DLC_STREAM_SPLIT, 99));
    for (long j = 0; j < n_td; j++) { /* a partial Fisher-Yates: the first n_td */
        long r = j + (long)dlc_rng_below(&rng, (uint64_t)(n - j));
        long t = mix[j];
        mix[j] = mix[r];
        mix[r] = t;
        cv[mix[j] >> 32].part_of[mix[j] & 0xffffffff] = 1;
    }
    free(mix);
    return DLC_OK;
}

dlc_status data_text_sources_load(data_bundle *b, const data_config *cfg, uint64_t seed,
                                  dlc_error *err)
{
    text_load L;
    memset(&L, 0, sizeof L);
    L.seed = seed;
    L.tc = &cfg->text;
    L.cfg = cfg;
    const data_text_config *tc = &cfg->text;
    const int S = cfg->n_sources, lm = tc->task == TEXT_LM, T = tc->seq_len;
    text_carve cv[DATA_MAX_SOURCES];
    memset(cv, 0, sizeof cv);
    long *count = NULL;
    int *map = NULL, *remap = NULL, *perm = NULL, *rows[DATA_SPLIT_COUNT] = {0};
    int n_rows[DATA_SPLIT_COUNT] = {0};
    dlc_status st;
    if ((st = check_text_config(tc, err)))
        goto cleanup;
    b->n_sources = S;
    for (int i = 0; i < S; i++) {
        const data_source_spec *sp = &cfg->sources[i];
        if (sp->format != DATA_TEXT) {
            st = dlc_fail(err, DLC_EINPUT, "data.sources.%d (%s): format %s: text sources cannot be "
                                           "mixed with other formats (data.format is text)",
                          i, sp->name, data_format_names[sp->format]);
            goto cleanup;
        }
        if (!sp->files.file[0]) {
            st = dlc_fail(err, DLC_EINPUT, "data.sources.%d (%s): train.file: no text file given", i,
                          sp->name);
            goto cleanup;
        }
        if ((st = dlc_strlist_push(&b->source_names, sp->name, err)))
            goto cleanup;
        if ((st = read_source(&L, i, &sp->files, err))) {
            dlc_error_prefix(err, "data.sources.%d (%s)", i, sp->name);
            goto cleanup;
        }
    }

    /* carve every source */
    for (int i = 0; i < S && !st; i++) {
        const text_src *sr = &L.src[i];
        if (lm) {
            carve_tokens(&cv[i], sr->n, &cfg->sources[i], cfg->split_train_dev);
            continue;
        }
        free(perm);
        perm = malloc(sizeof(int) * (size_t)(sr->m ? sr->m : 1));
        cv[i].part_of = malloc(sizeof(int) * (size_t)(sr->m ? sr->m : 1));
        if (!perm || !cv[i].part_of) {
            st = DLC_NOMEM(err);
            goto cleanup;
        }
        carve_examples(&cv[i], sr->m, &cfg->sources[i], seed, perm);
    }
    if (!lm && (st = carve_train_dev(&L, cv, S, cfg->split_train_dev, seed, err)))
        goto cleanup;

    /* the vocabulary, from the training parts' tokens */
    int n_all = L.all.names.n;
    count = calloc((size_t)(n_all ? n_all : 1), sizeof *count);
    map = malloc(sizeof(int) * (size_t)(n_all ? n_all : 1));
    remap = malloc(sizeof(int) * (size_t)(L.tags.names.n ? L.tags.names.n : 1));
    if (!count || !map || !remap) {
        st = DLC_NOMEM(err);
        goto cleanup;
    }
    for (int i = 0; i < S; i++) {
        const text_src *sr = &L.src[i];
        if (lm) {
            for (long t = 0; t < cv[i].bounds[1]; t++)
                count[sr->tok[t]]++;
        } else {
            for (int e = 0; e < sr->m; e++)
                if (cv[i].part_of[e] == 0)
                    for (long t = sr->start[e]; t < sr->start[e + 1]; t++)
                        count[sr->tok[t]]++;
        }
    }
    if ((st = build_vocab(&L, b, count, map, err)))
        goto cleanup;
    if (lm || tc->task == TEXT_BILM)
        st = dlc_strlist_copy(&b->heads[0].class_names, &b->vocab, err);
    else {
        const char *paths[TEXT_MAX_SRC] = {0};
        for (int i = 0; i < S; i++)
            paths[i] = cfg->sources[i].files.file;
        st = build_classes(&L, b, remap, paths, err);
    }
    if (st)
        goto cleanup;

    /* one dataset of every source's rows, each row's source noted */
    long total = 0;
    for (int i = 0; i < S; i++) {
        const text_src *sr = &L.src[i];
        if (lm)
            for (int p = 0; p < 4; p++)
                total += lm_count(cv[i].bounds[p], cv[i].bounds[p + 1], T);
        else
            for (int e = 0; e < sr->m; e++)
                total += cv[i].part_of[e] >= 0 ? example_rows(&L, sr, e, T) : 0;
    }
    if (total > INT_MAX - 1) {
        st = dlc_fail(err, DLC_EINPUT, "data.sources: %ld sequences are more than dlc holds", total);
        goto cleanup;
    }
    int nt = lm || tc->task == TEXT_TAG ? T : tc->task == TEXT_BILM ? 2 * T : 1;
    dataset *ds = b->src[0] = dataset_new("data.sources", (int)total, T, lm ? 1 : tc->chars + 1, nt);
    if (!ds || !(ds->source = malloc((size_t)(total ? total : 1)))) {
        st = DLC_NOMEM(err);
        goto cleanup;
    }
    ds->n = (int)total;
    for (int p = 0; p < DATA_SPLIT_COUNT; p++)
        if (!(rows[p] = malloc(sizeof(int) * (size_t)(total ? total : 1)))) {
            st = DLC_NOMEM(err);
            goto cleanup;
        }
    int row = 0;
    for (int i = 0; i < S; i++) {
        const text_src *sr = &L.src[i];
        int first = row;
        if (lm) {
            for (int p = 0; p < 4; p++) {
                int r = lm_rows(ds, row, sr, cv[i].bounds[p], cv[i].bounds[p + 1], map, T);
                for (int q = 0; q < r; q++)
                    rows[p][n_rows[p]++] = row + q;
                long targets = cv[i].bounds[p + 1] - cv[i].bounds[p] - 1;
                b->text_tokens[p] += targets > 0 ? targets : 0;
                b->source_count[p][i] += r;
                row += r;
            }
        } else {
            for (int e = 0; e < sr->m; e++) {
                int p = cv[i].part_of[e];
                if (p < 0)
                    continue;
                int r = example_rows(&L, sr, e, T);
                example_write(&L, ds, row, sr, e, map, remap, T);
                if ((st = example_record(&L, ds, row, sr, e, err)))
                    goto cleanup;
                for (int q = 0; q < r; q++)
                    rows[p][n_rows[p]++] = row + q;
                long len = sr->start[e + 1] - sr->start[e];
                b->text_tokens[p] += tc->task == TEXT_CLASSIFY && len > T ? T : len;
                b->source_count[p][i] += r;
                row += r;
            }
        }
        memset(ds->source + first, i, (size_t)(row - first));
    }
    if (n_rows[DATA_SPLIT_TRAIN] < 1) {
        st = dlc_fail(err, DLC_EINPUT, "data.sources: no sequences are left for training");
        goto cleanup;
    }
    for (int p = 0; p < DATA_SPLIT_COUNT && !st; p++)
        st = data_split_rows(&b->split[p], ds, rows[p], n_rows[p], 0, err);
    if (st)
        goto cleanup;
    int weighted = 0;
    for (int i = 0; i < S; i++)
        weighted |= cfg->sources[i].weight != 1.0;
    if (weighted) {
        if (!(b->weight = malloc(sizeof(float) * (size_t)(total ? total : 1)))) {
            st = DLC_NOMEM(err);
            goto cleanup;
        }
        for (long r = 0; r < total; r++)
            b->weight[r] = (float)cfg->sources[ds->source[r]].weight;
    }
    st = text_bundle_finish(b, tc, err);

cleanup:
    load_free(&L);
    for (int i = 0; i < DATA_MAX_SOURCES; i++)
        free(cv[i].part_of);
    for (int p = 0; p < DATA_SPLIT_COUNT; p++)
        free(rows[p]);
    free(perm);
    free(count);
    free(map);
    free(remap);
    return st;
}

/* ---- a corpus for learning word vectors ---- */

/* Ids of tokens [a, b) of s into out: words of the vocabulary by their
 * corpus id (vocabulary id - 3), a line end as -1 (never two in a row, none
 * first), other tokens (<unk>) dropped.  Returns the count. */
static long corpus_ids(const text_src *s, long a, long b, const int *map, int *out)
{
    long n = 0;
    for (long i = a; i < b; i++) {
        int v = map[s->tok[i]];
        if (v == TEXT_EOS_ID) {
            if (n > 0 && out[n - 1] >= 0)
                out[n++] = -1;
        } else if (v > TEXT_EOS_ID) {
            out[n++] = v - TEXT_EOS_ID - 1;
        }
    }
    return n;
}

dlc_status data_text_corpus(data_corpus *c, const data_config *cfg, dlc_error *err)
{
    text_load L;
    memset(&L, 0, sizeof L);
    memset(c, 0, sizeof *c);
    data_text_config tc = cfg->text;
    tc.task = TEXT_LM;
    tc.vocab = NULL;
    if (tc.max_vocab > 0)
        tc.max_vocab += TEXT_EOS_ID + 1; /* the specials do not count here */
    L.tc = &tc;
    L.cfg = cfg;
    long *count = NULL;
    int *map = NULL;
    dlc_status st;
    if (tc.unit != TEXT_WORDS) {
        st = dlc_fail(err, DLC_EINPUT, "data.text.tokens: word vectors are learned for words "
                                       "(set tokens: words)");
        goto cleanup;
    }
    if (!cfg->train.file[0]) {
        st = dlc_fail(err, DLC_EINPUT, "data.train.file: no training text given");
        goto cleanup;
    }
    if ((st = read_source(&L, SRC_TRAIN, &cfg->train, err)) ||
        (cfg->dev.file[0] && (st = read_source(&L, SRC_DEV, &cfg->dev, err))))
        goto cleanup;
    const text_src *tr = &L.src[SRC_TRAIN];
    carve_plan cp = carve_in_order(tr->n, cfg);
    long train_end = cp.end[1]; /* the train part; dev carved from the end */
    int n_all = L.all.names.n;
    count = calloc((size_t)n_all, sizeof *count);
    map = malloc(sizeof(int) * (size_t)n_all);
    if (!count || !map) {
        st = DLC_NOMEM(err);
        goto cleanup;
    }
    for (long i = 0; i < train_end; i++)
        count[tr->tok[i]]++;
    data_bundle b;
    memset(&b, 0, sizeof b);
    if ((st = build_vocab(&L, &b, count, map, err)))
        goto cleanup;
    c->V = b.vocab.n - (TEXT_EOS_ID + 1);
    if (c->V < 1) {
        dlc_strlist_clear(&b.vocab);
        st = dlc_fail(err, DLC_EINPUT, "%s: no word is seen min_count = %d times", cfg->train.file,
                      tc.min_count);
        goto cleanup;
    }
    /* the vocabulary without its specials, and the words' train counts */
    for (int i = 0; i <= TEXT_EOS_ID; i++)
        free(b.vocab.v[i]);
    memmove(b.vocab.v, b.vocab.v + TEXT_EOS_ID + 1, sizeof *b.vocab.v * (size_t)c->V);
    b.vocab.n = c->V;
    c->vocab = b.vocab;
    c->count = calloc((size_t)c->V, sizeof *c->count);
    const text_src *dv = &L.src[SRC_DEV];
    long n_dev = dv->tok ? dv->n : tr->n - train_end;
    c->ids = malloc(sizeof(int) * (size_t)(train_end + 1));
    c->dev_ids = malloc(sizeof(int) * (size_t)(n_dev + 1));
    if (!c->count || !c->ids || !c->dev_ids) {
        st = DLC_NOMEM(err);
        goto cleanup;
    }
    for (int i = 0; i < n_all; i++)
        if (map[i] > TEXT_EOS_ID)
            c->count[map[i] - TEXT_EOS_ID - 1] += count[i];
    for (int i = 0; i < c->V; i++)
        c->words += c->count[i];
    c->tokens = train_end;
    c->n = corpus_ids(tr, 0, train_end, map, c->ids);
    c->n_dev = dv->tok ? corpus_ids(dv, 0, dv->n, map, c->dev_ids)
                       : corpus_ids(tr, train_end, tr->n, map, c->dev_ids);
    if (c->words == 0)
        st = dlc_fail(err, DLC_EINPUT, "%s: no words to learn from", cfg->train.file);
cleanup:
    load_free(&L);
    free(count);
    free(map);
    if (st)
        data_corpus_free(c);
    return st;
}

void data_corpus_free(data_corpus *c)
{
    if (!c)
        return;
    dlc_strlist_clear(&c->vocab);
    free(c->count);
    free(c->ids);
    free(c->dev_ids);
    memset(c, 0, sizeof *c);
}

/* ---- prediction inputs and pretrained vectors ---- */

dlc_status data_text_split(const data_text_config *tc, const char *text, dlc_strlist *out,
                           dlc_error *err)
{
    data_text_config as_written = *tc;
    as_written.lowercase = 0;
    as_written.task = TEXT_CLASSIFY; /* no <eos> at line ends */
    text_load L;
    memset(&L, 0, sizeof L);
    L.tc = &as_written;
    size_t len = strlen(text);
    dlc_status st = utf8_check("the text", text, len, err);
    if (st == DLC_OK)
        st = tokenize(&L, &L.src[0], text, len, 0, err);
    for (long i = 0; i < L.src[0].n && st == DLC_OK; i++)
        st = dlc_strlist_push(out, L.all.names.v[L.src[0].tok[i]], err);
    src_free(&L.src[0]);
    data_names_free(&L.all);
    return st;
}

int data_text_encode(const data_text_config *tc, const dlc_strlist *vocab, const char *text,
                     float *ids, int cap, dlc_error *err)
{
    text_load L;
    memset(&L, 0, sizeof L);
    L.tc = tc;
    data_names v = {0};
    int n = -1, id;
    size_t len = strlen(text);
    if (utf8_check("the text", text, len, err) != DLC_OK ||
        tokenize(&L, &L.src[0], text, len, 0, err) != DLC_OK)
        goto cleanup;
    for (int i = 0; i < vocab->n; i++)
        if (data_names_intern(&v, vocab->v[i], &id, err) != DLC_OK)
            goto cleanup;
    n = 0;
    for (long i = 0; i < L.src[0].n && n < cap; i++) {
        int vid = data_names_find(&v, L.all.names.v[L.src[0].tok[i]]);
        ids[n++] = (float)(vid >= 0 ? vid : TEXT_UNK);
    }
cleanup:
    src_free(&L.src[0]);
    data_names_free(&L.all);
    data_names_free(&v);
    return n;
}
