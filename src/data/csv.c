/* csv.c - delimited text with a header row (RFC 4180, leniently).
 *
 * Comma-separated, or tab-separated when the file is named .tsv or .tab or
 * the header line has tabs and no commas.  Fields may be quoted ("a, b"
 * with "" for a quote, newlines allowed; in TSV only when well-formed: see
 * csv_field); unquoted fields lose surrounding blanks.  CRLF and LF both end a
 * record, a UTF-8 byte-order mark is skipped, and blank lines are allowed
 * only at the end.  Label columns and feature columns are picked by header
 * name; every problem names file, line and column.
 *
 * Label columns come in groups, one per model head, each with its own kind
 * of target (class ids, 0/1, numbers) and class names; a group's targets are
 * contiguous in an example's target row, groups in the order given.
 *
 * Letters: n rows, D features, T targets (label columns of every group).
 */
#include "data.h"
#include "names.h"

#include <ctype.h>
#include <errno.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <unistd.h>

/* 1 when s is digits in groups of three split by sep (its first group 1 to
 * 3 digits, at least one sep), then optionally `point` and digits: 1,234 or
 * 1.234.567,5 or 1 234 (sep a byte string: a space, an apostrophe, U+00A0 or
 * U+202F in UTF-8). */
static int csv_grouped(const char *s, const char *sep, char point)
{
    const size_t sl = strlen(sep);
    int lead = 0, groups = 0;
    if (*s == '-' || *s == '+')
        s++;
    while (*s >= '0' && *s <= '9' && lead < 4) {
        s++;
        lead++;
    }
    if (lead < 1 || lead > 3)
        return 0;
    while (strncmp(s, sep, sl) == 0) {
        s += sl;
        for (int k = 0; k < 3; k++, s++)
            if (*s < '0' || *s > '9')
                return 0;
        groups++;
    }
    if (groups == 0)
        return 0;
    if (point && *s == point)
        for (s++; *s >= '0' && *s <= '9'; s++)
            ;
    return *s == '\0';
}

int data_is_missing(const char *s)
{
    /* every one of them is empty or holds one of these bytes, which no
     * number holds: a number is let through at once (the 15 comparisons
     * below for every cell doubled the load of a million-row table with
     * data.missing set) */
    if (*s && !strpbrk(s, "#?<nN"))
        return 0;
    /* what pandas reads as a missing value (its na_values), and numpy's nan */
    static const char *const missing[] = {"", "nan", "-nan", "na", "n/a", "#n/a", "#na", "null",
                                          "none", "<na>", "-1.#ind", "1.#ind", "-1.#qnan", "1.#qnan", "?"};
    for (size_t k = 0; k < sizeof missing / sizeof missing[0]; k++)
        if (strcasecmp(s, missing[k]) == 0)
            return 1;
    return 0;
}

/* 1 when s is written as a date, or a date and a time: 2020-06-16,
 * 2020/06/16, 16.06.2020, 6/16/2020, 2020-06-16T08:30:00 or 2020-06-16 08:30. */
static int csv_date(const char *s)
{
    int a, b, c, n = 0;
    char s1, s2;
    if (sscanf(s, "%d%c%d%c%d%n", &a, &s1, &b, &s2, &c, &n) != 5 || s1 != s2 ||
        !strchr("-/.", s1))
        return 0;
    const int ymd = s[0] != '-' && strspn(s, "0123456789") == 4 && b >= 1 && b <= 12 && c >= 1 &&
                    c <= 31;
    const int dmy = strspn(s + n - 4, "0123456789") == 4 && a >= 1 && a <= 31 && b >= 1 && b <= 31 &&
                    (a <= 12 || b <= 12);
    return (ymd || dmy) && (s[n] == '\0' || s[n] == 'T' || s[n] == ' ');
}

/* what a number hint says of decimal commas */
#define DECIMAL_COMMA_KEY                                                        \
    "data.decimal: ',' reads decimal commas in a file separated by ';' or tabs"

const char *data_number_hint(const char *s)
{
    static const char *const spaces[] = {" ", "'", "\xc2\xa0", "\xe2\x80\xaf"};
    if (data_is_missing(s))
        return " (a missing value: fill it in; in training, data.missing: mean fills it with the "
               "column's mean, drop leaves the row out)";
    char *end;
    errno = 0;
    double v = strtod(s, &end); /* a number, but inf or too large (1e400, 1e39) */
    if (end != s && *end == '\0' && (!isfinite(v) || fabs(v) > FLT_MAX || errno == ERANGE))
        return " (infinite, or beyond float32's range: dlc reads finite numbers)";
    if (csv_date(s))
        return " (a date: dlc reads numbers, not dates; leave the column out with data.features, "
               "or write it as numbers: a year, a month, days since a start)";
    const char *comma = strchr(s, ',');
    /* 1,234 is a thousand and more with a thousands separator, or about one
     * with a decimal comma: only its writer knows */
    if (comma && !strchr(comma + 1, ',') && !strchr(s, '.') && csv_grouped(s, ",", 0))
        return " (a thousands separator, or a decimal comma? dlc reads numbers as 1234.5: no "
               "thousands separators, a point before decimals; " DECIMAL_COMMA_KEY ")";
    if (csv_grouped(s, ",", '.'))
        return " (thousands separators? dlc reads numbers as 1234.5: no thousands separators)";
    if (csv_grouped(s, ".", ',') && comma)
        return " (a decimal comma, with '.' between thousands? dlc reads numbers as 1234.5)";
    if (csv_grouped(s, ".", 0))
        return " (thousands separators? dlc reads numbers as 1234.5: no thousands separators)";
    for (size_t k = 0; k < sizeof spaces / sizeof spaces[0]; k++)
        if (csv_grouped(s, spaces[k], '.') || csv_grouped(s, spaces[k], ','))
            return " (thousands separators? dlc reads numbers as 1234.5: no thousands separators, "
                   "a point before decimals)";
    char t[64];
    if (!comma || strchr(comma + 1, ',') || strlen(s) >= sizeof t)
        return "";
    dlc_strlcpy(t, s, sizeof t);
    t[comma - s] = '.';
    return dlc_parse_double(t, &v) == 0
               ? " (a decimal comma? dlc reads numbers with a point; " DECIMAL_COMMA_KEY ")"
               : "";
}

int data_table_name(const char *name)
{
    size_t n = strlen(name);
    return n > 4 && (strcasecmp(name + n - 4, ".csv") == 0 || strcasecmp(name + n - 4, ".tsv") == 0 ||
                     strcasecmp(name + n - 4, ".txt") == 0);
}

/* ---- label ordering: numbers by value ("2" < "10"), before other strings ---- */

typedef struct {
    const char *s;
    int id;
    int is_num;
    double v;
} csv_label;

static int csv_label_cmp(const void *pa, const void *pb)
{
    const csv_label *a = pa, *b = pb;
    if (a->is_num != b->is_num)
        return a->is_num ? -1 : 1;
    if (a->is_num && a->v != b->v)
        return a->v < b->v ? -1 : 1;
    return strcmp(a->s, b->s);
}

dlc_status data_label_order(const dlc_strlist *names, int *remap, dlc_strlist *sorted, dlc_error *err)
{
    int k = names->n;
    csv_label *l = malloc(sizeof *l * (size_t)(k ? k : 1));
    if (!l)
        return DLC_NOMEM(err);
    for (int i = 0; i < k; i++) {
        l[i].s = names->v[i];
        l[i].id = i;
        l[i].is_num = dlc_parse_double(l[i].s, &l[i].v) == 0;
    }
    qsort(l, (size_t)k, sizeof *l, csv_label_cmp);
    dlc_status st = DLC_OK;
    dlc_strlist_clear(sorted);
    for (int i = 0; i < k && !st; i++) {
        remap[l[i].id] = i;
        st = dlc_strlist_push(sorted, l[i].s, err);
    }
    free(l);
    return st;
}

/* ---- the tokenizer ---- */

typedef struct {
    const char *p, *end;   /* borrowed text */
    const char *path;
    int line;              /* physical line at p, from 1 */
    char delim;            /* ' ': runs of spaces and tabs (data.separator whitespace) */
    char decimal;          /* ',': a number's decimal comma is read as a point */
    int sniffed;           /* delim is csv_sniff's ';', '|' or ' ' (data.separator auto) */
    char *buf;             /* the current field, NUL-terminated */
    size_t len, cap;
} csv_reader;

static dlc_status csv_put(csv_reader *r, const char *s, size_t n, dlc_error *err)
{
    if (r->len + n + 1 > r->cap) {
        size_t cap = r->cap ? r->cap : 64;
        while (cap < r->len + n + 1)
            cap *= 2;
        char *nb = realloc(r->buf, cap);
        if (!nb)
            return DLC_NOMEM(err);
        r->buf = nb;
        r->cap = cap;
    }
    memcpy(r->buf + r->len, s, n);
    r->len += n;
    r->buf[r->len] = '\0';
    return DLC_OK;
}

/* A quoted field from lead (at its opening quote) into r->buf; r->p ends
 * after its closing quote and the blanks that follow.  *bad: 0, or where it
 * is malformed: 1 never closed, else the byte after the closing quote (not
 * a delimiter, not a line end) plus 2. */
static dlc_status csv_quoted(csv_reader *r, const char *lead, int *bad, dlc_error *err)
{
    dlc_status st;
    *bad = 0;
    r->p = lead + 1;
    for (;;) {
        if (r->p == r->end) {
            *bad = 1;
            return DLC_OK;
        }
        const char *q = r->p;
        while (q < r->end && *q != '"' && *q != '\n' && *q != '\0')
            q++;
        if ((st = csv_put(r, r->p, (size_t)(q - r->p), err)))
            return st;
        r->p = q;
        if (q == r->end)
            continue;
        if (*q == '\0')
            return dlc_fail(err, DLC_EINPUT, "%s:%d: NUL byte (not a text file?)", r->path, r->line);
        if (*q == '\n') {
            r->line++;
            r->p++;
            if ((st = csv_put(r, "\n", 1, err)))
                return st;
            continue;
        }
        /* a quote: doubled is a literal quote, single closes the field */
        if (q + 1 < r->end && q[1] == '"') {
            if ((st = csv_put(r, "\"", 1, err)))
                return st;
            r->p += 2;
            continue;
        }
        r->p++;
        break;
    }
    /* blanks after the quote separate fields when they are the separator */
    while (r->delim != ' ' && r->p < r->end && (*r->p == ' ' || (*r->p == '\t' && r->delim != '\t')))
        r->p++;
    if (r->p < r->end && *r->p != r->delim && *r->p != '\r' && *r->p != '\n' &&
        !(r->delim == ' ' && *r->p == '\t'))
        *bad = 2 + (unsigned char)*r->p;
    return DLC_OK;
}

/* data.decimal ',': a field written as a number with a decimal comma
 * (-1,5 or ,5 or 1,5e3) gets a point instead; any other field is kept. */
static void csv_decimal_comma(char *f)
{
    char *q = f, *comma = NULL;
    q += *q == '+' || *q == '-';
    while (isdigit((unsigned char)*q))
        q++;
    if (*q != ',' || !isdigit((unsigned char)q[1]))
        return;
    comma = q++;
    while (isdigit((unsigned char)*q))
        q++;
    if ((*q == 'e' || *q == 'E') && (isdigit((unsigned char)q[1]) ||
                                     ((q[1] == '+' || q[1] == '-') && isdigit((unsigned char)q[2])))) {
        q += 2;
        while (isdigit((unsigned char)*q))
            q++;
    }
    if (*q == '\0')
        *comma = '.';
}

/* Reads one field into r->buf; *eol = 1 when it was the last of its record.
 * Tab-separated files have no one quoting rule: pandas reads quotes as CSV
 * does, many writers (spreadsheets' "text" export, database dumps) write a
 * quote as it is.  So in a TSV file a field that opens with a quote is a
 * quoted field when it is one, closed and then followed by a tab or a line
 * end ("a ""b""" is a "b"), and otherwise text up to the next tab, its quotes
 * kept ("Hello" she said, or 12" screen). */
static dlc_status csv_field(csv_reader *r, int *eol, dlc_error *err)
{
    dlc_status st;
    r->len = 0;
    if ((st = csv_put(r, "", 0, err)))
        return st;
    if (r->delim == ' ') /* a line may start with blanks, as it may in numpy's loadtxt */
        while (r->p < r->end && (*r->p == ' ' || *r->p == '\t'))
            r->p++;
    const char *lead = r->p;
    while (lead < r->end && (*lead == ' ' || (*lead == '\t' && r->delim != '\t')))
        lead++;
    int bad = 0;
    if (lead < r->end && *lead == '"') {
        const char *at = r->p;
        int start = r->line;
        if ((st = csv_quoted(r, lead, &bad, err)))
            return st;
        if (bad && r->delim == '\t') { /* text with quotes in it: read again below */
            r->p = at;
            r->line = start;
            r->len = 0;
            r->buf[0] = '\0';
        } else if (bad == 1) {
            return dlc_fail(err, DLC_EINPUT, "%s:%d: quoted field is never closed", r->path, start);
        } else if (bad >= 2 + 0x20 && bad < 2 + 0x7f) {
            return dlc_fail(err, DLC_EINPUT, "%s:%d: unexpected '%c' after a closing quote",
                            r->path, r->line, bad - 2);
        } else if (bad) {
            return dlc_fail(err, DLC_EINPUT, "%s:%d: unexpected byte 0x%02x after a closing quote",
                            r->path, r->line, bad - 2);
        }
    }
    if (!(lead < r->end && *lead == '"') || bad) {
        const char *q = r->p;
        while (q < r->end && *q != r->delim && *q != '\n' && *q != '\r' && *q != '\0' &&
               !(r->delim == ' ' && *q == '\t'))
            q++;
        if (q < r->end && *q == '\0')
            return dlc_fail(err, DLC_EINPUT, "%s:%d: NUL byte (not a text file?)", r->path, r->line);
        const char *a = r->p, *b = q;
        while (a < b && (*a == ' ' || *a == '\t'))
            a++;
        while (b > a && (b[-1] == ' ' || b[-1] == '\t'))
            b--;
        if ((st = csv_put(r, a, (size_t)(b - a), err)))
            return st;
        r->p = q;
    }
    if (r->decimal == ',')
        csv_decimal_comma(r->buf);
    *eol = 1;
    if (r->delim == ' ') { /* a run of blanks, or blanks before the line's end */
        const char *q = r->p;
        while (q < r->end && (*q == ' ' || *q == '\t'))
            q++;
        if (q > r->p && q < r->end && *q != '\r' && *q != '\n') {
            r->p = q;
            *eol = 0;
            return DLC_OK;
        }
        r->p = q;
    }
    if (r->p == r->end)
        return DLC_OK;
    if (*r->p == r->delim) {
        r->p++;
        *eol = 0;
        return DLC_OK;
    }
    if (*r->p == '\r')
        r->p++;
    if (r->p < r->end && *r->p == '\n')
        r->p++;
    r->line++;
    return DLC_OK;
}

/* At a record start: 1 when only line ends remain (trailing blank lines are
 * fine), 0 when a record follows; a blank line in the middle is an error. */
static dlc_status csv_at_end(csv_reader *r, int *done, dlc_error *err)
{
    *done = 0;
    if (r->p == r->end) {
        *done = 1;
        return DLC_OK;
    }
    /* lines of spaces and tabs at the end are blank too (an editor's leftovers) */
    const char *q = r->p;
    while (q < r->end && (*q == '\n' || *q == '\r' || *q == ' ' || *q == '\t'))
        q++;
    if (q == r->end) {
        *done = 1;
        return DLC_OK;
    }
    if (*r->p != '\n' && *r->p != '\r')
        return DLC_OK;
    return dlc_fail(err, DLC_EINPUT, "%s:%d: blank line", r->path, r->line);
}

/* ---- converting fields ---- */

/* Parses a finite float; 0 on success. */
static int csv_number(const char *s, float *out)
{
    double v;
    if (dlc_parse_double(s, &v) != 0 || !isfinite(v) || fabs(v) > FLT_MAX)
        return -1;
    *out = (float)v;
    return 0;
}

void data_quote_names(const dlc_strlist *l, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; i < l->n && used < size; i++) {
        if (i == 8) {
            snprintf(buf + used, size - used, ", ... (%d in all)", l->n);
            return;
        }
        int w = snprintf(buf + used, size - used, "%s'%.40s'", i ? ", " : "", l->v[i]);
        if (w < 0)
            return;
        used += (size_t)w;
    }
}

/* 1 when header is the first line sklearn's bundled CSV files have (iris,
 * wine, breast_cancer, boston): the number of rows, of features (fewer),
 * then the class names or nothing, no column names. */
static int csv_sklearn_header(const dlc_strlist *header)
{
    double rows, features;
    if (header->n < 3 || dlc_parse_double(header->v[0], &rows) != 0 ||
        dlc_parse_double(header->v[1], &features) != 0 || rows < 1 || features < 1 ||
        rows != floor(rows) || features != floor(features) || rows <= features)
        return 0;
    for (int i = 2; i < header->n; i++) {
        double v;
        if (dlc_parse_double(header->v[i], &v) == 0)
            return 0;
    }
    return 1;
}

/* what sklearn's first line is, and a header to write in its place */
static void csv_sklearn_hint(const dlc_strlist *header, char *buf, size_t size)
{
    int names = 0; /* boston's line 1 has no class names: its line 2 is the header */
    for (int i = 2; i < header->n; i++)
        names += header->v[i][0] != '\0';
    if (!names) {
        snprintf(buf, size, " (line 1, \"%.12s,%.12s,,...\", is sklearn's: the numbers of rows and "
                 "features; the columns' names follow on line 2, and dlc reads line 1 as them: "
                 "leave it out, tail -n +2 FILE > new.csv)", header->v[0], header->v[1]);
        return;
    }
    snprintf(buf, size, " (line 1, \"%.12s,%.12s,%.20s,...\", is sklearn's: the numbers of rows and "
             "features, then class names; dlc reads line 1 as the columns' names: put a header in "
             "its place, e.g. (seq -s, -f x%%g %d | sed 's/$/,target/'; tail -n +2 FILE) > new.csv)",
             header->v[0], header->v[1], header->v[2], atoi(header->v[1]));
}

void data_csv_header_hint(const dlc_strlist *header, char *buf, size_t size)
{
    buf[0] = '\0';
    if (csv_sklearn_header(header)) {
        csv_sklearn_hint(header, buf, size);
        return;
    }
    if (header->n == 1) {
        const char *h = header->v[0];
        const char *sep = strchr(h, ';')    ? "';'"
                          : strchr(h, '|')  ? "'|'"
                          : strchr(h, ',')  ? "','"
                          : strchr(h, '\t') ? "tabs"
                          : strchr(h, ' ')  ? "spaces"
                                            : NULL;
        if (sep)
            snprintf(buf, size, " (the header is one column, \"%.60s\": this file looks separated "
                                "by %s (data.separator: ',' ';' tab '|' or whitespace says which))", h, sep);
        return;
    }
    int numbers = 0;
    for (int i = 0; i < header->n; i++) {
        double v;
        numbers += dlc_parse_double(header->v[i], &v) == 0;
    }
    if (numbers * 2 > header->n)
        snprintf(buf, size, " (its first line looks like data, not a header: %d of its %d fields are "
                            "numbers; the file needs a header line naming its columns)",
                 numbers, header->n);
}

/* tail: said after the message ("" for none) */
static dlc_status csv_no_column(const char *path, const char *what, const char *name,
                                const data_names *header, const char *tail, dlc_error *err)
{
    char hint[400];
    data_csv_header_hint(&header->names, hint, sizeof hint);
    if (hint[0])
        return dlc_fail(err, DLC_EINPUT, "%s: %s column '%s' is not in the header%s%s", path, what,
                        name, hint, tail);
    const char **cand = malloc(sizeof *cand * (size_t)(header->names.n + 1));
    if (!cand)
        return DLC_NOMEM(err);
    for (int i = 0; i < header->names.n; i++)
        cand[i] = header->names.v[i];
    cand[header->names.n] = NULL;
    const char *near = dlc_nearest(name, cand);
    dlc_status st;
    if (near)
        st = dlc_fail(err, DLC_EINPUT, "%s: %s column '%s' is not in the header (did you mean '%s'?)%s",
                      path, what, name, near, tail);
    else {
        /* no near name: show the columns there are (the first three and the
         * last two of a wide file: a label is often last) */
        char cols[512] = "";
        int n = header->names.n;
        for (int i = 0; i < n; i++) {
            if (n > 6 && i == 3) {
                size_t len = strlen(cols);
                snprintf(cols + len, sizeof cols - len, ", ...");
                i = n - 3;
                continue;
            }
            size_t len = strlen(cols);
            snprintf(cols + len, sizeof cols - len, "%s'%.60s'", i ? ", " : "", header->names.v[i]);
        }
        st = dlc_fail(err, DLC_EINPUT, "%s: %s column '%s' is not in the header (its %d column%s: %s)%s",
                      path, what, name, n, n == 1 ? "" : "s", cols, tail);
    }
    free(cand);
    return st;
}

/* A name the model file will keep (a column, a class) must be UTF-8: its
 * metadata is JSON. */
static dlc_status csv_utf8(const char *path, int line, const char *what, const char *s,
                           dlc_error *err)
{
    long at = dlc_utf8_bad(s);
    if (at < 0)
        return DLC_OK;
    char shown[128];
    return dlc_fail(err, DLC_EINPUT, "%s:%d: %s \"%s\" is not UTF-8 (byte 0x%02x); save the file as UTF-8",
                    path, line, what, dlc_escape(shown, sizeof shown, s, DLC_ESC_ALL),
                    (unsigned char)s[at]);
}

/* One group of label columns, as it is being read. */
typedef struct {
    data_target mode;
    data_names classes;   /* CLASS and BINARY label names */
    data_names canon;     /* in step with classes: a number's value ("#1" for "1", "1.0" and
                           * "01", as pandas reads them); other labels a key never looked up */
    int given;           /* classes came from the caller (ids are final) */
    int bin_num_line, bin_str_line;   /* BINARY: where 0/1 numbers and names were first seen */
    int bin_num_col, bin_str_col;
    int first, count;    /* its targets in a row */
} csv_group;

/* Everything one parse needs. */
typedef struct {
    csv_reader r;
    data_names header;
    int ncols;
    int *feat_of;        /* (ncols) feature index of a column, or -1 */
    int *targ_of;        /* (ncols) target index of a column, or -1 */
    int *group_of;       /* (ncols) group of a label column, or -1 */
    int *onehot_of;      /* (ncols) the first one-hot feature ("COLUMN=VALUE") of a column, or -1 */
    int *onehot_next;    /* (D) the column's next one-hot feature, or -1 */
    const char **onehot_value; /* (D) a one-hot feature's VALUE (borrowed from the feature list) */
    int D, T;
    int G;
    csv_group grp[DATA_MAX_HEADS];
    const dlc_strlist *unknown;  /* label texts meaning "unknown" (binary, numeric); NULL: see
                                  * csv_unknown */
    int skip_unknown;    /* given classes: drop a row with another label (and count it) */
    int new_classes;     /* given classes: another label is a new class, appended */
    int index_col;       /* the first column has no name: pandas' index, "Unnamed: 0" */
    int index_left_out;  /* ... and is not read (features not given, and not a label) */
    int row_unknown;     /* this row's label is not a given class */
    data_missing missing; /* data.missing */
    int row_no_label;    /* this row's class label is empty (left out with data.missing: drop) */
    int no_label_col;    /* its column */
    dataset *ds;
    size_t rows_cap;
} csv_parse;

/* The key a numeric label is found by: its value. */
static int csv_number_key(const char *s, char *key, size_t size)
{
    double v;
    if (dlc_parse_double(s, &v) != 0 || !isfinite(v))
        return 0;
    snprintf(key, size, "#%.17g", v + 0.0); /* -0 is 0 */
    return 1;
}

/* The class id of label s in group c, -1 if none: the name itself, else a
 * class of the same numeric value (1.0 is class 1: a file that pandas or a
 * spreadsheet wrote with floats matches one written with integers). */
static int csv_class_find(const csv_group *c, const char *s)
{
    char key[48];
    int id = data_names_find(&c->classes, s);
    if (id < 0 && csv_number_key(s, key, sizeof key))
        id = data_names_find(&c->canon, key);
    return id;
}

/* Adds label s (absent by csv_class_find, or a given name) as a class. */
static dlc_status csv_class_add(csv_group *c, const char *s, int *id, dlc_error *err)
{
    char key[48];
    int cid;
    dlc_status st = data_names_add(&c->classes, s, id, err);
    if (st != DLC_OK)
        return st;
    if (!csv_number_key(s, key, sizeof key) || data_names_find(&c->canon, key) >= 0)
        snprintf(key, sizeof key, "\x01%d", *id); /* never looked up */
    return data_names_add(&c->canon, key, &cid, err);
}

/* 1 when s marks an unknown label of a binary or numeric target (without a
 * list: the empty binary label). */
static int csv_unknown(const csv_parse *c, data_target mode, const char *s)
{
    if (!c->unknown)
        return !*s && mode == DATA_TARGET_BINARY;
    return dlc_strlist_find(c->unknown, s) >= 0;
}

static dlc_status csv_grow(csv_parse *c, dlc_error *err)
{
    dataset *ds = c->ds;
    if ((size_t)ds->n < c->rows_cap)
        return DLC_OK;
    if (ds->n == INT_MAX)
        return dlc_fail(err, DLC_EINPUT, "%s: too many rows", c->r.path);
    size_t cap = c->rows_cap ? c->rows_cap * 2 : 256;
    if (cap > INT_MAX)
        cap = INT_MAX;
    float *x = realloc(ds->f32, sizeof(float) * cap * (size_t)c->D);
    if (!x)
        return DLC_NOMEM(err);
    ds->f32 = x;
    float *t = realloc(ds->targets, sizeof(float) * cap * (size_t)c->T);
    if (!t)
        return DLC_NOMEM(err);
    ds->targets = t;
    int *row = realloc(ds->row, sizeof(int) * cap);
    if (!row)
        return DLC_NOMEM(err);
    ds->row = row;
    c->rows_cap = cap;
    return DLC_OK;
}

static dlc_status csv_target(csv_parse *cp, int col, int line, const char *s, float *out,
                             dlc_error *err)
{
    const char *path = cp->r.path, *cname = cp->header.names.v[col];
    csv_group *c = &cp->grp[cp->group_of[col]];
    dlc_status st;
    int id;
    char list[512];

    if (c->mode != DATA_TARGET_CLASS && csv_unknown(cp, c->mode, s)) {
        *out = NAN;
        return DLC_OK;
    }
    if (c->mode == DATA_TARGET_NUMERIC) {
        /* a missing target can be left out of the loss: say how */
        const char *hint = data_number_hint(s);
        if (!*s || strncmp(hint, " (a missing value", 17) == 0)
            hint = " (a missing value? list it in data.unknown_label to leave the row out of the loss)";
        if (!*s)
            return dlc_fail(err, DLC_EINPUT, "%s:%d: column '%s': empty label%s", path, line, cname,
                            hint);
        if (csv_number(s, out) != 0)
            return dlc_fail(err, DLC_EINPUT, "%s:%d: column '%s': expected a number, got \"%.60s\"%s",
                            path, line, cname, s, hint);
        return DLC_OK;
    }
    if (c->mode == DATA_TARGET_CLASS) {
        /* drop: a class written as pandas' missing values (NA, NaN, ?) too */
        if ((!*s || data_is_missing(s)) && cp->missing == DATA_MISSING_DROP) {
            cp->row_no_label = 1;
            cp->no_label_col = col;
            *out = -1.0f;
            return DLC_OK;
        }
        if (!*s)
            return dlc_fail(err, DLC_EINPUT, "%s:%d: column '%s': empty label (a row without its "
                            "class: data.missing: drop leaves such rows out)", path, line, cname);
        id = csv_class_find(c, s);
        if (id < 0 && c->given && cp->skip_unknown) {
            cp->row_unknown = 1;
            *out = -1.0f;
            return DLC_OK;
        }
        if (id < 0 && c->given && !cp->new_classes) {
            data_quote_names(&c->classes.names, list, sizeof list);
            /* many classes that are all numbers: a regression target read
             * as classes (notes.c warns of it when the train file loads) */
            int numbers = 1, K = c->classes.names.n;
            double v;
            for (int k = 0; numbers && k < K; k++)
                numbers = dlc_parse_double(c->classes.names.v[k], &v) == 0;
            /* 0 .. K-1 against class names: ids, as IDX labels are, which
             * data.classes names by position there but not in a CSV file */
            int id_for_name = !numbers && dlc_parse_double(s, &v) == 0 && v == floor(v) && v >= 0 &&
                              v < K;
            return dlc_fail(err, DLC_EINPUT,
                            "%s:%d: column '%s': label \"%.60s\" is not one of the %d classes (%s)%s",
                            path, line, cname, s, K, list,
                            numbers && K >= 20 ? "; the labels are numbers, each read as a class: a "
                                                 "value to predict? then use loss: mse"
                            : id_for_name ? "; a CSV label is matched by its text: data.classes lists "
                                            "the labels as the file writes them (and orders them), it "
                                            "does not name ids 0, 1, ... as for IDX files"
                                          : "");
        }
        if (id < 0) { /* a new class (new_classes: after the given ones) */
            char what[96];
            snprintf(what, sizeof what, "column '%.60s': label", cname);
            if ((st = csv_utf8(path, line, what, s, err)) ||
                (st = csv_class_add(c, s, &id, err)))
                return st;
        }
        *out = (float)id;
        return DLC_OK;
    }

    /* BINARY: a class name, or the number 0 or 1 (unknown: above) */
    id = csv_class_find(c, s);
    if (id >= 0) {
        *out = (float)id;
        if (!c->bin_str_line) {
            c->bin_str_line = line;
            c->bin_str_col = col;
        }
        return DLC_OK;
    }
    float v;
    if (csv_number(s, &v) == 0) {
        if (v != 0.0f && v != 1.0f)
            return dlc_fail(err, DLC_EINPUT,
                            "%s:%d: column '%s': a binary label must be 0, 1, a class name or "
                            "one of data.unknown_label, got %.60s",
                            path, line, cname, s);
        *out = v;
        if (!c->bin_num_line) {
            c->bin_num_line = line;
            c->bin_num_col = col;
        }
        return DLC_OK;
    }
    if (c->given && cp->skip_unknown) {
        cp->row_unknown = 1;
        *out = NAN;
        return DLC_OK;
    }
    if (c->given) {
        data_quote_names(&c->classes.names, list, sizeof list);
        return dlc_fail(err, DLC_EINPUT,
                        "%s:%d: column '%s': label \"%.60s\" is not one of the 2 classes (%s)", path,
                        line, cname, s, list);
    }
    if (c->classes.names.n == 2) {
        data_quote_names(&c->classes.names, list, sizeof list);
        return dlc_fail(err, DLC_EINPUT,
                        "%s:%d: column '%s': a third label value \"%.60s\" (binary targets take 2: %s)",
                        path, line, cname, s, list);
    }
    char what[96];
    snprintf(what, sizeof what, "column '%.60s': label", cname);
    if ((st = csv_utf8(path, line, what, s, err)) || (st = csv_class_add(c, s, &id, err)))
        return st;
    *out = (float)id;
    if (!c->bin_str_line) {
        c->bin_str_line = line;
        c->bin_str_col = col;
    }
    return DLC_OK;
}

/* The column a feature reads (its index, -1 for none) and, for a one-hot
 * feature "COLUMN=VALUE", VALUE: a column's own name first, else the
 * first '=' before which a column is named.  find looks a name up. */
static int csv_feature_column(int (*find)(const void *, const char *), const void *header,
                              const char *feature, const char **value)
{
    *value = NULL;
    int j = find(header, feature);
    if (j >= 0)
        return j;
    char *col = strdup(feature);
    if (!col)
        return -1;
    for (char *eq = strchr(col, '='); eq; eq = strchr(eq + 1, '=')) {
        *eq = '\0';
        j = find(header, col);
        *eq = '=';
        if (j >= 0) {
            *value = feature + (eq - col) + 1;
            break;
        }
    }
    free(col);
    return *value ? j : -1;
}

static int csv_find_names(const void *h, const char *s)
{
    return data_names_find(h, s);
}

static int csv_find_list(const void *h, const char *s)
{
    return dlc_strlist_find(h, s);
}

int data_csv_feature_column(const dlc_strlist *header, const char *feature, const char **value)
{
    return csv_feature_column(csv_find_list, header, feature, value);
}

struct data_csv_index {
    data_names names;
};

dlc_status data_csv_index_create(data_csv_index **out, const dlc_strlist *header, dlc_error *err)
{
    data_csv_index *ix = calloc(1, sizeof *ix);
    dlc_status st = ix ? DLC_OK : DLC_NOMEM(err);
    /* a name twice: the first is found, as dlc_strlist_find finds it */
    for (int j = 0; st == DLC_OK && j < header->n; j++) {
        int id;
        st = data_names_add(&ix->names, header->v[j], &id, err);
    }
    if (st != DLC_OK) {
        data_csv_index_free(ix);
        ix = NULL;
    }
    *out = ix;
    return st;
}

int data_csv_index_column(const data_csv_index *ix, const char *feature, const char **value)
{
    return csv_feature_column(csv_find_names, &ix->names, feature, value);
}

void data_csv_index_free(data_csv_index *ix)
{
    if (!ix)
        return;
    data_names_free(&ix->names);
    free(ix);
}

static int csv_count_in_line(const char *p, const char *end, char c, const char **next);

static dlc_status csv_header(csv_parse *c, const data_csv_targets *groups, const dlc_strlist *features,
                             dlc_error *err)
{
    csv_reader *r = &c->r;
    dlc_status st;
    int eol = 0, id;
    do {
        if ((st = csv_field(r, &eol, err)))
            return st;
        /* pandas' to_csv writes its index first, under no name: read_csv calls
         * it "Unnamed: 0", and so does dlc, leaving it out of the features */
        if (!r->buf[0] && c->header.names.n == 0 && !eol) {
            c->index_col = 1;
            if ((st = csv_put(r, "Unnamed: 0", 10, err)))
                return st;
        }
        if (!r->buf[0] && c->header.names.n == 2) { /* sklearn's boston: 506,13,,,... */
            dlc_strlist two = {0};
            char hint[400] = "";
            if (dlc_strlist_push(&two, c->header.names.v[0], err) ||
                dlc_strlist_push(&two, c->header.names.v[1], err) || dlc_strlist_push(&two, "", err))
                return err->status;
            if (csv_sklearn_header(&two))
                csv_sklearn_hint(&two, hint, sizeof hint);
            dlc_strlist_clear(&two);
            if (hint[0])
                return dlc_fail(err, DLC_EINPUT, "%s:1: header column 3 has no name%s", r->path, hint);
        }
        if (!r->buf[0])
            return dlc_fail(err, DLC_EINPUT, "%s:1: header column %d has no name%s", r->path,
                            c->header.names.n + 1,
                            eol && c->header.names.n > 0 ? " (a comma at the end of the line?)" : "");
        double v;
        if (data_names_find(&c->header, r->buf) >= 0 && dlc_parse_double(r->buf, &v) == 0 &&
            r->delim != ' ') {
            /* sklearn's digits.csv.gz, numpy's savetxt: no header, the first
             * row's pixels taken for names until one comes again */
            const char *next;
            int fields = c->header.names.n + 1 + (eol ? 0 : 1 + csv_count_in_line(r->p, r->end, r->delim, &next));
            return dlc_fail(err, DLC_EINPUT, "%s:1: column '%.60s' appears twice in the header (line "
                            "1 looks like data, not a header: numbers where the columns' names go; "
                            "put a header line first, e.g. (seq -s, -f x%%g %d | sed 's/$/,target/'; "
                            "zcat -f FILE) > new.csv, the last column then named target)",
                            r->path, r->buf, fields - 1);
        }
        if (data_names_find(&c->header, r->buf) >= 0)
            return dlc_fail(err, DLC_EINPUT, "%s:1: column '%.60s' appears twice in the header",
                            r->path, r->buf);
        if ((st = csv_utf8(r->path, 1, "column name", r->buf, err)) ||
            (st = data_names_add(&c->header, r->buf, &id, err)))
            return st;
    } while (!eol);
    c->ncols = c->header.names.n;
    /* sklearn's count line over rows of the features it counts and a label:
     * read as names, "4" would be a column (iris' second), the label a
     * user means by its place would be read from it, in silence */
    const char *next;
    if (r->delim != ' ' && csv_sklearn_header(&c->header.names) &&
        csv_count_in_line(r->p, r->end, r->delim, &next) == atoi(c->header.names.v[1])) {
        char hint[400];
        csv_sklearn_hint(&c->header.names, hint, sizeof hint);
        return dlc_fail(err, DLC_EINPUT, "%s:1: not a header of the columns' names%s", r->path, hint);
    }

    c->feat_of = malloc(sizeof(int) * (size_t)c->ncols);
    c->targ_of = malloc(sizeof(int) * (size_t)c->ncols);
    c->group_of = malloc(sizeof(int) * (size_t)c->ncols);
    c->onehot_of = malloc(sizeof(int) * (size_t)c->ncols);
    if (!c->feat_of || !c->targ_of || !c->group_of || !c->onehot_of)
        return DLC_NOMEM(err);
    for (int j = 0; j < c->ncols; j++)
        c->feat_of[j] = c->targ_of[j] = c->group_of[j] = c->onehot_of[j] = -1;

    c->T = 0;
    for (int g = 0; g < c->G; g++) {
        const dlc_strlist *label = groups[g].columns;
        const char *which = groups[g].name && groups[g].name[0] ? groups[g].name : NULL;
        char of[80] = "";
        if (which)
            snprintf(of, sizeof of, " of '%.60s'", which);
        if (!label || label->n == 0)
            return dlc_fail(err, DLC_EINPUT, "%s: no label column given%s (data.label)", r->path, of);
        if (c->grp[g].mode == DATA_TARGET_CLASS && label->n != 1)
            return dlc_fail(err, DLC_EINPUT, "%s: class targets%s take one label column, %d given",
                            r->path, of, label->n);
        c->grp[g].first = c->T;
        c->grp[g].count = label->n;
        for (int t = 0; t < label->n; t++) {
            int j = data_names_find(&c->header, label->v[t]);
            if (j < 0) {
                /* several outputs: a file without one output's binary or numeric
                 * labels keeps its column, cells empty (unknown: data.unknown_label),
                 * and the others are scored; class labels cannot be unknown */
                char tail[200] = "";
                if (which && c->G > 1 && c->grp[g].mode != DATA_TARGET_CLASS)
                    snprintf(tail, sizeof tail, "; output '%.60s' reads it (a dev or test file "
                             "without its labels keeps the column, its cells empty: unknown, "
                             "and the other outputs are scored)", which);
                return csv_no_column(r->path, "label", label->v[t], &c->header, tail, err);
            }
            if (c->targ_of[j] >= 0)
                return dlc_fail(err, DLC_EINPUT, "%s: label column '%s' given twice%s", r->path,
                                label->v[t],
                                c->G > 1 ? " (outputs that all learn this class column share "
                                           "it: give data.label as the one column, label: "
                                           "COLUMN)"
                                         : "");
            c->targ_of[j] = c->T + t;
            c->group_of[j] = g;
        }
        c->T += label->n;
    }

    if (features && features->n > 0) {
        c->onehot_next = malloc(sizeof(int) * (size_t)features->n);
        c->onehot_value = calloc((size_t)features->n, sizeof *c->onehot_value);
        if (!c->onehot_next || !c->onehot_value)
            return DLC_NOMEM(err);
        /* backwards, so each column's chain of one-hot features is in order */
        for (int k = features->n - 1; k >= 0; k--) {
            const char *value;
            int j = csv_feature_column(csv_find_names, &c->header, features->v[k], &value);
            if (j < 0)
                return csv_no_column(r->path, "feature", features->v[k], &c->header, "", err);
            if (c->targ_of[j] >= 0)
                return dlc_fail(err, DLC_EINPUT, "%s: column '%s' is both a label and a feature",
                                r->path, c->header.names.v[j]);
            c->onehot_next[k] = -1;
            if (value) {
                c->onehot_value[k] = value;
                c->onehot_next[k] = c->onehot_of[j];
                c->onehot_of[j] = k;
                continue;
            }
            if (c->feat_of[j] >= 0)
                return dlc_fail(err, DLC_EINPUT, "%s: feature column '%s' given twice", r->path,
                                features->v[k]);
            c->feat_of[j] = k;
        }
        c->D = features->n;
    } else {
        for (int j = c->index_col; j < c->ncols; j++)
            if (c->targ_of[j] < 0)
                c->feat_of[j] = c->D++;
        c->index_left_out = c->index_col && c->targ_of[0] < 0;
    }
    if (c->D == 0)
        return dlc_fail(err, DLC_EINPUT, "%s: no feature columns (every column is a label)", r->path);
    return DLC_OK;
}

/* Gives group g's discovered class names their sorted ids. */
static dlc_status csv_finish_classes(csv_parse *cp, int g, dlc_strlist *class_names, dlc_error *err)
{
    dataset *ds = cp->ds;
    const char *path = cp->r.path;
    csv_group *c = &cp->grp[g];
    const data_names *header = &cp->header;
    dlc_status st = DLC_OK;
    int *remap = NULL;
    dlc_strlist sorted = {0};

    if (c->mode == DATA_TARGET_BINARY && c->bin_num_line && c->bin_str_line && !c->given)
        return dlc_fail(err, DLC_EINPUT,
                        "%s: binary labels mix numbers (line %d, column '%s') and names (line %d, column '%s'); "
                        "use one kind, or give the 2 class names",
                        path, c->bin_num_line, header->names.v[c->bin_num_col], c->bin_str_line,
                        header->names.v[c->bin_str_col]);
    if (c->mode == DATA_TARGET_BINARY && !c->given && c->classes.names.n == 1)
        return dlc_fail(err, DLC_EINPUT,
                        "%s: only one label value \"%.60s\" found; binary targets need 2: list both in "
                        "data.classes (the negative class first)",
                        path, c->classes.names.v[0]);
    if (c->given) {
        /* new classes (DATA_TARGET_NEW_CLASSES): named after the given ones,
         * their ids in order of first appearance */
        for (int k = class_names ? class_names->n : 0; k < c->classes.names.n && st == DLC_OK; k++)
            st = dlc_strlist_push(class_names, c->classes.names.v[k], err);
        return st;
    }
    if (c->classes.names.n == 0)
        return DLC_OK;

    remap = malloc(sizeof(int) * (size_t)c->classes.names.n);
    if (!remap)
        return DLC_NOMEM(err);
    if ((st = data_label_order(&c->classes.names, remap, &sorted, err)))
        goto cleanup;
    for (size_t i = 0; i < (size_t)ds->n; i++) {
        float *t = ds->targets + i * (size_t)cp->T + c->first;
        for (int k = 0; k < c->count; k++)
            if (t[k] == t[k]) /* NaN stays unknown */
                t[k] = (float)remap[(int)t[k]];
    }
    if (class_names) {
        dlc_strlist_clear(class_names);
        *class_names = sorted;
        memset(&sorted, 0, sizeof sorted);
    }

cleanup:
    dlc_strlist_clear(&sorted);
    free(remap);
    return st;
}

data_csv_dialect data_csv_dialect_of(const data_config *cfg)
{
    static const char sep[DATA_SEP_COUNT] = {0, ',', ';', '\t', '|', '\t', ',', ';', '|', ' '};
    const int comma = cfg->decimal == DATA_DECIMAL_COMMA || cfg->decimal == DATA_DECIMAL_COMMA_WORD;
    data_csv_dialect d = {0, comma ? ',' : '.'};
    if (cfg->separator >= 0 && cfg->separator < DATA_SEP_COUNT)
        d.sep = sep[cfg->separator];
    return d;
}

/* How many c the line from p holds outside double quotes; *next: the next
 * line's start (end when none). */
static int csv_count_in_line(const char *p, const char *end, char c, const char **next)
{
    int n = 0, quoted = 0;
    for (; p < end && (quoted || *p != '\n'); p++) {
        quoted ^= *p == '"';
        n += !quoted && *p == c;
    }
    *next = p < end ? p + 1 : end;
    return n;
}

/* How many fields the line from p holds when runs of blanks (spaces, tabs)
 * outside double quotes separate them. */
static int csv_count_blank_fields(const char *p, const char *end)
{
    int n = 0, quoted = 0, in_field = 0;
    for (; p < end && (quoted || *p != '\n'); p++) {
        const int blank = !quoted && (*p == ' ' || *p == '\t' || *p == '\r');
        quoted ^= *p == '"';
        n += !blank && !in_field;
        in_field = !blank;
    }
    return n;
}

/* data.separator auto, on a header line of no comma and no tab: ';' or '|'
 * when the header holds one of them (not both) and the line after it as
 * many (a European spreadsheet's CSV, a database dump); else ' ' (runs of
 * blanks) when the header splits at blanks into 2 fields or more and the
 * next line into as many (sklearn's linnerud and diabetes files, numpy's
 * savetxt); else 0. */
static char csv_sniff(const char *p, const char *end)
{
    const char *next, *after;
    int semis = csv_count_in_line(p, end, ';', &next);
    int pipes = csv_count_in_line(p, end, '|', &next);
    if (semis == 0 && pipes == 0) {
        int fields = csv_count_blank_fields(p, end);
        return fields >= 2 && next < end && csv_count_blank_fields(next, end) == fields ? ' ' : 0;
    }
    if ((semis > 0) == (pipes > 0))
        return 0;
    char c = semis ? ';' : '|';
    return next < end && csv_count_in_line(next, end, c, &after) == (semis ? semis : pipes) ? c : 0;
}

/* Points r at text: skips a UTF-8 byte-order mark and picks the delimiter:
 * d's, or (auto) tab for a file named .tsv or .tab or when the header line
 * has tabs and no commas, csv_sniff's ';' or '|', else a comma. */
static dlc_status csv_reader_init(csv_reader *r, const char *path, const char *text, size_t len,
                                  const data_csv_dialect *d, dlc_error *err)
{
    memset(r, 0, sizeof *r);
    r->path = path;
    r->p = text;
    r->end = text + len;
    r->line = 1;
    r->p += dlc_bom_len(text, len);
    /* Excel's "Unicode text" and some exports: a UTF-16 byte-order mark */
    if (len >= 2 && (((uint8_t)text[0] == 0xff && (uint8_t)text[1] == 0xfe) ||
                     ((uint8_t)text[0] == 0xfe && (uint8_t)text[1] == 0xff)))
        return dlc_fail(err, DLC_EINPUT, "%s: the file is UTF-16 text; dlc reads UTF-8 (save it as "
                                         "CSV UTF-8, or convert it: iconv -f UTF-16 -t UTF-8)", path);
    if (r->p == r->end)
        return dlc_fail(err, DLC_EINPUT, "%s: empty file (a header row is required)", path);
    int tabs = 0, commas = 0;
    for (const char *q = r->p; q < r->end && *q != '\n'; q++) {
        tabs += *q == '\t';
        commas += *q == ',';
    }
    /* a .tsv file is tab-separated even when a column's name holds a comma */
    const size_t pl = strlen(path);
    const int tsv_name = pl > 4 && (strcasecmp(path + pl - 4, ".tsv") == 0 ||
                                    strcasecmp(path + pl - 4, ".tab") == 0);
    r->delim = tsv_name || (tabs && !commas) ? '\t' : ',';
    if (!tsv_name && !tabs && !commas) {
        char c = csv_sniff(r->p, r->end);
        r->delim = c ? c : r->delim;
        r->sniffed = c != 0;
    }
    if (d && d->sep) {
        r->delim = d->sep;
        r->sniffed = 0;
    }
    r->decimal = d && d->decimal == ',' ? ',' : '.';
    if (r->decimal == ',' && r->delim == ',')
        return dlc_fail(err, DLC_EINPUT, "%s: data.decimal ',' needs a separator other than ',' "
                        "(the file reads as comma-separated: give data.separator, e.g. ';')", path);
    return DLC_OK;
}

/* The text before at (whole pages), from *done on, given back to the
 * system: a parsed record is never read again.  A CSV file is read whole
 * before it is parsed; without this the peak held the file's text and its
 * values at once (1.18 GiB for a 819 MB file of 400 MB of values). */
enum { CSV_RELEASE_STEP = 8 << 20 };

static void csv_release(char *text, size_t *done, const char *at)
{
    const uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
    uintptr_t lo = ((uintptr_t)text + *done + page - 1) & ~(page - 1);
    uintptr_t hi = (uintptr_t)at & ~(page - 1);
    if (hi > lo && madvise((void *)lo, hi - lo, MADV_DONTNEED) == 0)
        *done = (size_t)(hi - (uintptr_t)text);
}

/* data_parse_csv_groups; own: the text, when the caller frees it after
 * (its parsed pages are then given back as the parse goes), else NULL. */
static dlc_status csv_parse_groups(dataset **out, const char *path, const char *text, size_t len,
                                   const data_csv_dialect *d, const data_csv_targets *groups, int n_groups,
                                   const dlc_strlist *features, const dlc_strlist *unknown,
                                   data_missing missing, long limit, char *own, dlc_error *err)
{
    dlc_status st = DLC_OK;
    size_t released = 0;
    dataset *ds = NULL;
    csv_parse c;
    memset(&c, 0, sizeof c);
    *out = NULL;
    if (n_groups < 1 || n_groups > DATA_MAX_HEADS)
        return dlc_fail(err, DLC_EINPUT, "%s: %d label groups (1 to %d)", path, n_groups,
                        DATA_MAX_HEADS);
    c.G = n_groups;
    c.unknown = unknown;
    c.missing = missing;
    for (int g = 0; g < n_groups; g++) {
        /* DATA_TARGET_SKIP_UNKNOWN and _NEW_CLASSES ride on a group's mode */
        c.grp[g].mode = groups[g].mode & ~(DATA_TARGET_SKIP_UNKNOWN | DATA_TARGET_NEW_CLASSES);
        c.skip_unknown |= (groups[g].mode & DATA_TARGET_SKIP_UNKNOWN) != 0;
        c.new_classes |= (groups[g].mode & DATA_TARGET_NEW_CLASSES) != 0;
    }
    if (limit < 0)
        return dlc_fail(err, DLC_EINPUT, "%s: limit must be >= 0, got %ld", path, limit);
    if ((st = csv_reader_init(&c.r, path, text, len, d, err)))
        return st;

    for (int g = 0; g < n_groups; g++) {
        const dlc_strlist *class_names = groups[g].class_names;
        data_target mode = c.grp[g].mode;
        if (!class_names || class_names->n == 0 || mode == DATA_TARGET_NUMERIC)
            continue;
        if (mode == DATA_TARGET_BINARY && class_names->n != 2) {
            st = dlc_fail(err, DLC_EINPUT, "%s: binary targets take exactly 2 class names, %d given",
                          path, class_names->n);
            goto cleanup;
        }
        for (int i = 0; i < class_names->n; i++) {
            int id;
            if (data_names_find(&c.grp[g].classes, class_names->v[i]) >= 0) {
                st = dlc_fail(err, DLC_EINPUT, "%s: class name '%s' given twice", path,
                              class_names->v[i]);
                goto cleanup;
            }
            if ((st = csv_class_add(&c.grp[g], class_names->v[i], &id, err)))
                goto cleanup;
        }
        c.grp[g].given = 1;
    }

    if ((st = csv_header(&c, groups, features, err)))
        goto cleanup;

    c.ds = calloc(1, sizeof *c.ds);
    if (!c.ds) {
        st = DLC_NOMEM(err);
        goto cleanup;
    }
    ds = c.ds;
    dlc_strlcpy(ds->path, path, sizeof ds->path);
    ds->shape.ndim = 1;
    ds->shape.d[0] = c.D;
    if (features && features->n > 0) /* as given: one-hot features too */
        st = dlc_strlist_copy(&ds->columns, features, err);
    for (int k = 0; k < c.D && st == DLC_OK && !(features && features->n > 0); k++)
        for (int j = 0; j < c.ncols && st == DLC_OK; j++)
            if (c.feat_of[j] == k)
                st = dlc_strlist_push(&ds->columns, c.header.names.v[j], err);
    if (st)
        goto cleanup;
    ds->dim = (size_t)c.D;
    ds->n_targets = c.T;
    ds->unnamed_index = c.index_left_out;
    ds->separator = c.r.sniffed ? c.r.delim : 0;

    for (int file_row = 0;; file_row++) {
        int done;
        if (limit > 0 && ds->n >= limit)
            break;
        if (own && (size_t)(c.r.p - own) >= released + CSV_RELEASE_STEP)
            csv_release(own, &released, c.r.p);
        if ((st = csv_at_end(&c.r, &done, err)))
            goto cleanup;
        if (done)
            break;
        if ((st = csv_grow(&c, err)))
            goto cleanup;
        int line = c.r.line, eol = 0, j = 0;
        float *x = ds->f32 + (size_t)ds->n * (size_t)c.D;        /* (D) */
        float *t = ds->targets + (size_t)ds->n * (size_t)c.T;    /* (T) */
        c.row_unknown = 0;
        c.row_no_label = 0;
        int row_missing = 0;
        for (;; j++) {
            if ((st = csv_field(&c.r, &eol, err)))
                goto cleanup;
            if (j >= c.ncols) {
                char hint[512] = "";
                if (csv_sklearn_header(&c.header.names))
                    csv_sklearn_hint(&c.header.names, hint, sizeof hint);
                st = dlc_fail(err, DLC_EINPUT, "%s:%d: more fields than the header's %d columns%s",
                              path, line, c.ncols, hint);
                goto cleanup;
            }
            const char *s = c.r.buf;
            if (c.onehot_of[j] >= 0) {
                int known = 0;
                for (int k = c.onehot_of[j]; k >= 0; k = c.onehot_next[k]) {
                    x[k] = strcmp(s, c.onehot_value[k]) == 0;
                    known |= x[k] != 0;
                }
                if (!known && !ds->unseen_values++) {
                    ds->unseen_line = line;
                    snprintf(ds->unseen_example, sizeof ds->unseen_example, "%.40s: %.40s",
                             c.header.names.v[j], s);
                }
            }
            if (c.feat_of[j] >= 0 && missing != DATA_MISSING_ERROR && data_is_missing(s)) {
                if (!ds->missing_rows && !ds->missing_values && !row_missing) { /* the row's first */
                    dlc_strlcpy(ds->missing_column, c.header.names.v[j], sizeof ds->missing_column);
                    ds->missing_line = line;
                }
                row_missing++;
                x[c.feat_of[j]] = NAN; /* mean: filled once the train split is known */
            } else if (c.feat_of[j] >= 0) {
                if (!*s) {
                    st = dlc_fail(err, DLC_EINPUT, "%s:%d: column '%s': empty value (a missing "
                                  "value: fill it in, or set data.missing: mean to fill it with the "
                                  "column's mean, or drop to leave the row out)",
                                  path, line, c.header.names.v[j]);
                    goto cleanup;
                }
                if (csv_number(s, &x[c.feat_of[j]]) != 0) {
                    /* on the first row, most likely a column of names or ids */
                    const char *hint = data_number_hint(s);
                    if (!hint[0] && ds->n == 0 && !(features && features->n > 0))
                        hint = " (every column that is not a label is a feature, and features are "
                               "numbers: list the feature columns in data.features to leave this "
                               "one out, or list it in data.categorical to one-hot encode it)";
                    else if (!hint[0])
                        hint = " (a column of names or categories: list it in data.categorical to "
                               "one-hot encode it)";
                    st = dlc_fail(err, DLC_EINPUT,
                                  "%s:%d: column '%s': expected a number, got \"%.60s\"%s", path,
                                  line, c.header.names.v[j], s, hint);
                    goto cleanup;
                }
            } else if (c.targ_of[j] >= 0) {
                if ((st = csv_target(&c, j, line, s, &t[c.targ_of[j]], err)))
                    goto cleanup;
            }
            if (eol)
                break;
        }
        if (j + 1 < c.ncols) {
            st = dlc_fail(err, DLC_EINPUT, "%s:%d: %d fields, expected %d (column '%s' is missing)",
                          path, line, j + 1, c.ncols, c.header.names.v[j + 1]);
            goto cleanup;
        }
        if (c.row_unknown) {
            if (!ds->dropped++)
                ds->dropped_line = line;
            continue;
        }
        if (c.row_no_label && !row_missing && !ds->missing_rows && !ds->missing_values) {
            ds->missing_line = line; /* the first row left out is one without a label */
            dlc_strlcpy(ds->missing_column, c.header.names.v[c.no_label_col], sizeof ds->missing_column);
        }
        if ((row_missing || c.row_no_label) && missing == DATA_MISSING_DROP) {
            ds->missing_rows++;
            continue;
        }
        ds->missing_values += row_missing;
        ds->row[ds->n++] = file_row; /* rows before it may have been left out */
    }
    if (ds->n == 0) {
        st = ds->missing_rows && !ds->dropped
                 ? dlc_fail(err, DLC_EINPUT, "%s: every row has a missing feature value (data.missing: "
                            "drop leaves them out; %d rows, the first on line %d, column '%s'; a column empty "
                            "in every row is left out with data.features)", path,
                            ds->missing_rows, ds->missing_line, ds->missing_column)
             : ds->dropped ? dlc_fail(err, DLC_EINPUT, "%s: every row's label is unknown to the model "
                                    "(%d rows, the first on line %d)", path, ds->dropped,
                                    ds->dropped_line)
                         : dlc_fail(err, DLC_EINPUT, "%s: no data rows after the header", path);
        goto cleanup;
    }
    for (int g = 0; g < n_groups; g++)
        if (groups[g].mode != DATA_TARGET_NUMERIC &&
            (st = csv_finish_classes(&c, g, groups[g].class_names, err)))
            goto cleanup;
    *out = c.ds;
    c.ds = NULL;

cleanup:
    data_dataset_free(c.ds);
    data_names_free(&c.header);
    for (int g = 0; g < n_groups; g++) {
        data_names_free(&c.grp[g].classes);
        data_names_free(&c.grp[g].canon);
    }
    free(c.feat_of);
    free(c.targ_of);
    free(c.group_of);
    free(c.onehot_of);
    free(c.onehot_next);
    free(c.onehot_value);
    free(c.r.buf);
    return st;
}

dlc_status data_parse_csv_groups(dataset **out, const char *path, const char *text, size_t len,
                                 const data_csv_dialect *d, const data_csv_targets *groups,
                                 int n_groups, const dlc_strlist *features,
                                 const dlc_strlist *unknown, data_missing missing, long limit,
                                 dlc_error *err)
{
    return csv_parse_groups(out, path, text, len, d, groups, n_groups, features, unknown, missing,
                            limit, NULL, err);
}

dlc_status data_parse_csv(dataset **out, const char *path, const char *text, size_t len,
                          const dlc_strlist *label, const dlc_strlist *features, data_target mode,
                          dlc_strlist *class_names, long limit, dlc_error *err)
{
    data_csv_targets one = {"", label, mode, class_names};
    return data_parse_csv_groups(out, path, text, len, NULL, &one, 1, features, NULL, DATA_MISSING_ERROR,
                                 limit, err);
}

/* ---- categorical columns: one-hot features ---- */

/* Category limits: an `auto` column with more distinct values than this, or
 * than half its rows (of 20 or more), is an identifier or free text, not a
 * category; a column listed by name may have up to CSV_CATEGORIES_MAX. */
enum { CSV_AUTO_CATEGORIES_MAX = 1000, CSV_CATEGORIES_MAX = 100000 };

typedef struct {
    int n;                 /* candidate columns */
    data_names *values;    /* (n) each one's distinct values (auto: of text columns only) */
    int *text;             /* (n) 1 when one holds a value that is not a number (empty aside),
                            * | 2 when it has more than cap distinct values (no more are kept) */
    int *late;             /* (n) auto: turned text after its first row, so the values before
                            * were not kept (a second pass reads them) */
    const int *at;         /* (n_fields) the candidate of each field passed (NULL: the same) */
    int n_fields;          /* fields passed per row */
    int cap;               /* distinct values kept per column */
    int autocat;           /* data.categorical: auto */
    int keep_all;          /* auto's second pass: keep every value */
    int rows;
    const char *path;
    const dlc_strlist *names; /* (n) the columns */
} csv_cats;

/* The refusal of categorical column col of K distinct values in rows rows
 * (K over the limit, or an auto column's text with too many values). */
static dlc_status csv_cat_refuse(const char *path, const char *col, int K, int rows, int autocat,
                                 const data_names *values, dlc_error *err)
{
    if (values->names.n > 0 && csv_date(values->names.v[0]))
        return dlc_fail(err, DLC_EINPUT, "%s: column '%s' holds dates (\"%.40s\", %d distinct "
                        "values): dlc reads numbers, not dates, and one-hot encoding them learns "
                        "nothing of a new date; leave the column out with data.features, or write "
                        "it as numbers: a year, a month, days since a start",
                        path, col, values->names.v[0], K);
    if (!autocat)
        return dlc_fail(err, DLC_EINPUT, "%s: column '%s' has more than %d distinct values: too "
                        "many to one-hot encode (leave it out of data.categorical)", path, col,
                        CSV_CATEGORIES_MAX);
    return dlc_fail(err, DLC_EINPUT, "%s: column '%s' holds text with %s%d distinct values in %s%d "
                    "rows: an identifier or free text rather than a category (data.categorical: "
                    "auto one-hot encodes at most %d values, and fewer than half the rows); leave "
                    "it out with data.features, or list the columns to encode in data.categorical",
                    path, col, K > CSV_AUTO_CATEGORIES_MAX ? "more than " : "",
                    K > CSV_AUTO_CATEGORIES_MAX ? CSV_AUTO_CATEGORIES_MAX : K,
                    K > CSV_AUTO_CATEGORIES_MAX ? "its first " : "", rows, CSV_AUTO_CATEGORIES_MAX);
}

/* A column is refused as soon as it is over its limit (a million-row file's
 * id column after a thousand rows, not after the whole file).  auto keeps
 * no values of a column of numbers: only whether a value is a number is
 * looked at (a table of 20,000 number columns kept 10 million of them). */
static dlc_status csv_cat_row(void *user, const char *const *fields, int line, dlc_error *err)
{
    csv_cats *c = user;
    c->rows++;
    for (int f = 0; f < c->n_fields; f++) {
        const int k = c->at ? c->at[f] : f;
        float v;
        int id;
        /* a missing value (NA, ?, empty) does not make a column of numbers text */
        if (c->autocat && !c->keep_all && !(c->text[k] & 1)) {
            if (csv_number(fields[f], &v) == 0 || data_is_missing(fields[f]))
                continue;
            c->text[k] |= 1;
            c->late[k] = c->rows > 1;
        }
        if (data_names_find(&c->values[k], fields[f]) >= 0)
            continue;
        if (!c->autocat && csv_number(fields[f], &v) != 0 && !data_is_missing(fields[f]))
            c->text[k] |= 1;
        if (c->values[k].names.n < c->cap) { /* more: refused below */
            /* a one-hot feature's name holds the value, and the model file keeps names in UTF-8 */
            char what[120];
            snprintf(what, sizeof what, "column '%.60s': value", c->names->v[k]);
            dlc_status st = c->text[k] & 1 ? csv_utf8(c->path, line, what, fields[f], err) : DLC_OK;
            if (st == DLC_OK)
                st = data_names_add(&c->values[k], fields[f], &id, err);
            if (st)
                return st;
        } else {
            c->text[k] |= 2; /* over the limit */
        }
        int K = c->values[k].names.n + (c->text[k] >> 1);
        if ((!c->autocat && (c->text[k] & 2)) || (c->autocat && K > CSV_AUTO_CATEGORIES_MAX))
            return csv_cat_refuse(c->path, c->names->v[k], K, c->rows, c->autocat, &c->values[k],
                                  err);
    }
    return DLC_OK;
}

/* The train file's features with its categorical columns one-hot encoded:
 * out gets every feature column in order (features, or every column that is
 * neither a label nor pandas' unnamed index), a categorical one replaced by
 * "COLUMN=VALUE" for each of its values, sorted (numbers by value first);
 * encoded gets "COLUMN (K)" for each.  categorical: column names, or the one
 * word auto: every feature column holding a value that is not a number. */
static dlc_status csv_onehot_features(const char *path, const char *text, size_t len,
                                      const data_csv_dialect *d, const data_csv_targets *groups, int n_groups,
                                      const dlc_strlist *features, const dlc_strlist *categorical,
                                      dlc_strlist *out, dlc_strlist *encoded, dlc_error *err)
{
    dlc_strlist header = {0}, order = {0}, cand = {0};
    csv_cats c = {0};
    int *remap = NULL;
    int autocat = categorical->n == 1 && strcmp(categorical->v[0], "auto") == 0;
    dlc_status st = data_csv_header(path, text, len, d, &header, err);
    /* features that are one-hot already (a model's, in dlc eval): as they are */
    for (int k = 0; st == DLC_OK && features && k < features->n; k++) {
        const char *value;
        if (data_csv_feature_column(&header, features->v[k], &value) >= 0 && value) {
            st = dlc_strlist_copy(out, features, err);
            dlc_strlist_clear(&header);
            return st;
        }
    }
    /* the feature columns, in order */
    for (int j = 0; st == DLC_OK && j < header.n; j++) {
        int label = 0;
        for (int g = 0; g < n_groups; g++)
            label |= groups[g].columns && dlc_strlist_find(groups[g].columns, header.v[j]) >= 0;
        if (features && features->n > 0 ? dlc_strlist_find(features, header.v[j]) >= 0
                                        : !label && !(j == 0 && !header.v[j][0]))
            st = dlc_strlist_push(&order, header.v[j], err);
    }
    if (st == DLC_OK && features && features->n > 0) { /* in the list's order */
        dlc_strlist_clear(&order);
        for (int k = 0; k < features->n && st == DLC_OK; k++)
            st = dlc_strlist_push(&order, features->v[k], err);
    }
    /* the columns to look at */
    for (int k = 0; st == DLC_OK && k < (autocat ? order.n : categorical->n); k++) {
        const char *name = autocat ? order.v[k] : categorical->v[k];
        if (autocat && dlc_strlist_find(&header, name) < 0)
            continue; /* a data.features name the file lacks: the reader says so */
        if (!autocat) {
            int label = 0;
            for (int g = 0; g < n_groups; g++)
                label |= groups[g].columns && dlc_strlist_find(groups[g].columns, name) >= 0;
            if (dlc_strlist_find(&header, name) < 0) {
                data_names h = {0};
                int id;
                for (int j = 0; j < header.n && st == DLC_OK; j++)
                    st = data_names_add(&h, header.v[j], &id, err);
                if (st == DLC_OK)
                    st = csv_no_column(path, "categorical (data.categorical)", name, &h, "", err);
                data_names_free(&h);
                break;
            }
            if (label) {
                st = dlc_fail(err, DLC_EINPUT, "data.categorical: '%s' is a label column of %s; "
                              "list feature columns (labels are read as classes already)", name, path);
                break;
            }
            if (dlc_strlist_find(&order, name) < 0) {
                st = dlc_fail(err, DLC_EINPUT, "data.categorical: '%s' is not among data.features",
                              name);
                break;
            }
            if (dlc_strlist_find(&cand, name) >= 0) {
                st = dlc_fail(err, DLC_EINPUT, "data.categorical: '%s' is listed twice", name);
                break;
            }
        }
        st = dlc_strlist_push(&cand, name, err);
    }
    if (st == DLC_OK && cand.n > 0) {
        c.n = cand.n;
        c.path = path;
        c.names = &cand;
        /* auto: a column of numbers is looked at too; more than its limit is refused anyway */
        c.cap = autocat ? CSV_AUTO_CATEGORIES_MAX + 1 : CSV_CATEGORIES_MAX;
        c.autocat = autocat;
        c.n_fields = c.n;
        c.values = calloc((size_t)c.n, sizeof *c.values);
        c.text = calloc((size_t)c.n, sizeof *c.text);
        c.late = calloc((size_t)c.n, sizeof *c.late);
        if (!c.values || !c.text || !c.late)
            st = DLC_NOMEM(err);
        if (st == DLC_OK)
            st = data_csv_records(path, text, len, d, (const char *const *)cand.v, cand.n, csv_cat_row,
                                  &c, err);
        /* auto: columns whose first text value came after numbers, read again for every value */
        const char **again = st == DLC_OK ? malloc(sizeof *again * (size_t)c.n) : NULL;
        int *at = again ? malloc(sizeof *at * (size_t)c.n) : NULL;
        int n_again = 0;
        if (st == DLC_OK && (!again || !at))
            st = DLC_NOMEM(err);
        for (int k = 0; st == DLC_OK && k < c.n; k++)
            if (c.late[k]) {
                data_names_free(&c.values[k]);
                again[n_again] = cand.v[k];
                at[n_again++] = k;
            }
        if (st == DLC_OK && n_again > 0) {
            c.at = at;
            c.n_fields = n_again;
            c.keep_all = 1;
            c.rows = 0;
            st = data_csv_records(path, text, len, d, again, n_again, csv_cat_row, &c, err);
        }
        free(again);
        free(at);
    }
    for (int k = 0; st == DLC_OK && k < order.n; k++) {
        int q = dlc_strlist_find(&cand, order.v[k]);
        int K = q >= 0 ? c.values[q].names.n : 0;
        if (q >= 0 && autocat && !(c.text[q] & 1))
            q = -1; /* numbers only: a numeric feature */
        if ((q >= 0 && !autocat && (c.text[q] & 2)) ||
            (q >= 0 && autocat && (K > CSV_AUTO_CATEGORIES_MAX || (c.rows >= 20 && 2 * K > c.rows))))
            st = csv_cat_refuse(path, order.v[k], K, c.rows, autocat, &c.values[q], err);
        if (st != DLC_OK)
            break;
        if (q < 0) {
            st = dlc_strlist_push(out, order.v[k], err);
            continue;
        }
        dlc_strlist sorted = {0};
        free(remap);
        if (!(remap = malloc(sizeof(int) * (size_t)(K ? K : 1)))) {
            st = DLC_NOMEM(err);
            break;
        }
        st = data_label_order(&c.values[q].names, remap, &sorted, err);
        for (int i = 0; i < sorted.n && st == DLC_OK; i++) {
            size_t n = strlen(order.v[k]) + strlen(sorted.v[i]) + 2;
            char *f = malloc(n);
            if (f)
                snprintf(f, n, "%s=%s", order.v[k], sorted.v[i]);
            /* read back by name, the feature must be this column's value, not another
             * column ("a=b" beside "a") nor another split of it (the same VALUE after
             * the '=' means the same column before it) */
            const char *back = NULL;
            int j = f ? data_csv_feature_column(&header, f, &back) : -1;
            if (f && (!back || strcmp(back, sorted.v[i]) != 0))
                st = dlc_fail(err, DLC_EINPUT, "%s: column '%s' holds '%s', whose one-hot feature "
                              "'%s' would be read back as %s '%s'; rename the column", path,
                              order.v[k], sorted.v[i], f, back ? "a value of column" : "column",
                              j >= 0 ? header.v[j] : f);
            else
                st = f ? dlc_strlist_push(out, f, err) : DLC_NOMEM(err);
            free(f);
        }
        dlc_strlist_clear(&sorted);
        if (st == DLC_OK) {
            char note[160];
            snprintf(note, sizeof note, "%.100s (%d)", order.v[k], K);
            st = dlc_strlist_push(encoded, note, err);
        }
    }
    if (encoded->n == 0) /* nothing to encode: read as without data.categorical */
        dlc_strlist_clear(out);
    for (int k = 0; c.values && k < c.n; k++)
        data_names_free(&c.values[k]);
    free(c.values);
    free(c.text);
    free(c.late);
    free(remap);
    dlc_strlist_clear(&header);
    dlc_strlist_clear(&order);
    dlc_strlist_clear(&cand);
    return st;
}

/* data_parse_csv_table; own as csv_parse_groups'. */
static dlc_status csv_table(dataset **out, const char *path, const char *text, size_t len,
                            const data_csv_dialect *d, const data_csv_targets *groups, int n_groups,
                            const dlc_strlist *features, const dlc_strlist *categorical,
                            const dlc_strlist *unknown, data_missing missing, long limit,
                            char *own, dlc_error *err)
{
    dlc_strlist onehot = {0}, encoded = {0};
    *out = NULL;
    dlc_status st = DLC_OK;
    if (categorical && categorical->n > 0)
        st = csv_onehot_features(path, text, len, d, groups, n_groups, features, categorical, &onehot,
                                 &encoded, err);
    if (st == DLC_OK)
        st = csv_parse_groups(out, path, text, len, d, groups, n_groups,
                              onehot.n > 0 ? &onehot : features, unknown, missing, limit, own, err);
    if (st == DLC_OK) {
        (*out)->categorical = encoded;
        memset(&encoded, 0, sizeof encoded);
    }
    dlc_strlist_clear(&onehot);
    dlc_strlist_clear(&encoded);
    return st;
}

dlc_status data_parse_csv_table(dataset **out, const char *path, const char *text, size_t len,
                                const data_csv_dialect *d, const data_csv_targets *groups, int n_groups,
                                const dlc_strlist *features, const dlc_strlist *categorical,
                                const dlc_strlist *unknown, data_missing missing, long limit,
                                dlc_error *err)
{
    return csv_table(out, path, text, len, d, groups, n_groups, features, categorical, unknown,
                     missing, limit, NULL, err);
}

dlc_status data_read_csv_groups(dataset **out, const char *path, const data_csv_dialect *d,
                                const data_csv_targets *groups,
                                int n_groups, const dlc_strlist *features,
                                const dlc_strlist *categorical, const dlc_strlist *unknown,
                                data_missing missing, long limit, dlc_error *err)
{
    char *text = NULL;
    size_t len = 0;
    *out = NULL;
    /* inflated when gzip-compressed, as pandas' read_csv reads x.csv.gz
     * (sklearn's diabetes and digits files are) */
    dlc_status st = data_text_read_file(path, &text, &len, err);
    if (st == DLC_OK)
        st = csv_table(out, path, text, len, d, groups, n_groups, features, categorical, unknown,
                       missing, limit, text, err);
    free(text);
    return st;
}

dlc_status data_read_csv(dataset **out, const char *path, const dlc_strlist *label,
                         const dlc_strlist *features, data_target mode, dlc_strlist *class_names,
                         long limit, dlc_error *err)
{
    data_csv_targets one = {"", label, mode, class_names};
    return data_read_csv_groups(out, path, NULL, &one, 1, features, NULL, NULL, DATA_MISSING_ERROR, limit,
                                err);
}

dlc_status data_csv_header(const char *path, const char *text, size_t len,
                           const data_csv_dialect *d, dlc_strlist *names, dlc_error *err)
{
    csv_reader r;
    dlc_status st;
    int eol = 0;
    if ((st = csv_reader_init(&r, path, text, len, d, err)))
        return st;
    do {
        if ((st = csv_field(&r, &eol, err)) || (st = dlc_strlist_push(names, r.buf, err)))
            break;
    } while (!eol);
    free(r.buf);
    return st;
}

dlc_status data_csv_need_columns(const char *path, const char *text, size_t len,
                                 const data_csv_dialect *d, const char *const *columns,
                                 const char *const *whats, const char *const *keys, int n,
                                 dlc_error *err)
{
    dlc_strlist names = {0};
    data_names header = {0};
    int id;
    dlc_status st = data_csv_header(path, text, len, d, &names, err);
    for (int i = 0; i < names.n && st == DLC_OK; i++)
        if (data_names_find(&header, names.v[i]) < 0)
            st = data_names_add(&header, names.v[i], &id, err);
    for (int k = 0; k < n && st == DLC_OK; k++)
        if (data_names_find(&header, columns[k]) < 0) {
            char tail[160];
            snprintf(tail, sizeof tail, " (%s names it)", keys[k]);
            st = csv_no_column(path, whats[k], columns[k], &header, tail, err);
        }
    dlc_strlist_clear(&names);
    data_names_free(&header);
    return st;
}

/* data_csv_records; own as csv_parse_groups'. */
static dlc_status csv_records(const char *path, const char *text, size_t len,
                              const data_csv_dialect *d, const char *const *columns, int n_columns, data_csv_record_fn fn,
                              void *user, char *own, dlc_error *err)
{
    size_t released = 0;
    csv_reader r;
    data_names header = {0};
    int *want = NULL;          /* (header columns) position among `columns`, or -1 */
    char **fields = NULL;      /* (n_columns) the current record's wanted fields */
    size_t *caps = NULL;       /* (n_columns) their buffers' sizes */
    dlc_status st;
    if ((st = csv_reader_init(&r, path, text, len, d, err)))
        return st;
    int eol = 0, id;
    do {
        if ((st = csv_field(&r, &eol, err)))
            goto cleanup;
        if (data_names_find(&header, r.buf) >= 0) {
            st = dlc_fail(err, DLC_EINPUT, "%s:1: column '%.60s' appears twice in the header", path,
                          r.buf);
            goto cleanup;
        }
        if ((st = data_names_add(&header, r.buf, &id, err)))
            goto cleanup;
    } while (!eol);
    int ncols = header.names.n;
    want = malloc(sizeof(int) * (size_t)ncols);
    fields = calloc((size_t)(n_columns > 0 ? n_columns : 1), sizeof *fields);
    caps = calloc((size_t)(n_columns > 0 ? n_columns : 1), sizeof *caps);
    if (!want || !fields || !caps) {
        st = DLC_NOMEM(err);
        goto cleanup;
    }
    for (int j = 0; j < ncols; j++)
        want[j] = -1;
    for (int k = 0; k < n_columns; k++) {
        int j = data_names_find(&header, columns[k]);
        if (j < 0) {
            st = csv_no_column(path, "text", columns[k], &header, "", err);
            goto cleanup;
        }
        want[j] = k;
    }
    for (;;) {
        int done;
        if (own && (size_t)(r.p - own) >= released + CSV_RELEASE_STEP)
            csv_release(own, &released, r.p);
        if ((st = csv_at_end(&r, &done, err)) || done)
            goto cleanup;
        int line = r.line, j = 0;
        for (;; j++) {
            if ((st = csv_field(&r, &eol, err)))
                goto cleanup;
            if (j >= ncols) {
                st = dlc_fail(err, DLC_EINPUT, "%s:%d: more fields than the header's %d columns",
                              path, line, ncols);
                goto cleanup;
            }
            if (want[j] >= 0) { /* into its buffer, grown as needed (no malloc a field) */
                int k = want[j];
                if (r.len + 1 > caps[k]) {
                    size_t cap = 2 * (r.len + 1);
                    char *f = realloc(fields[k], cap);
                    if (!f) {
                        st = DLC_NOMEM(err);
                        goto cleanup;
                    }
                    fields[k] = f;
                    caps[k] = cap;
                }
                memcpy(fields[k], r.buf, r.len + 1);
            }
            if (eol)
                break;
        }
        if (j + 1 < ncols) {
            st = dlc_fail(err, DLC_EINPUT, "%s:%d: %d fields, expected %d (column '%s' is missing)",
                          path, line, j + 1, ncols, header.names.v[j + 1]);
            goto cleanup;
        }
        if ((st = fn(user, (const char *const *)fields, line, err)))
            goto cleanup;
    }
cleanup:
    for (int k = 0; fields && k < n_columns; k++)
        free(fields[k]);
    free(fields);
    free(caps);
    free(want);
    free(r.buf);
    data_names_free(&header);
    return st;
}

dlc_status data_csv_records(const char *path, const char *text, size_t len,
                            const data_csv_dialect *d, const char *const *columns, int n_columns, data_csv_record_fn fn,
                            void *user, dlc_error *err)
{
    return csv_records(path, text, len, d, columns, n_columns, fn, user, NULL, err);
}

dlc_status data_csv_records_once(const char *path, char *text, size_t len,
                                 const data_csv_dialect *d, const char *const *columns, int n_columns,
                                 data_csv_record_fn fn, void *user, dlc_error *err)
{
    return csv_records(path, text, len, d, columns, n_columns, fn, user, text, err);
}
