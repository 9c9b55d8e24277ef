#define _POSIX_C_SOURCE 200809L
#include "util.h"

#include <errno.h>
#include <stdarg.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stdint.h>
#include <time.h>

size_t dlc_strlcpy(char *dst, const char *src, size_t size)
{
    size_t n = strlen(src);
    if (size) {
        size_t k = n < size - 1 ? n : size - 1;
        memcpy(dst, src, k);
        dst[k] = '\0';
    }
    return n;
}

int dlc_edit_distance(const char *a, const char *b)
{
    /* optimal string alignment: a swap of two neighbours counts as one edit,
     * so "trian" is one step from "train" */
    enum { MAXN = 64 };
    int la = (int)strlen(a), lb = (int)strlen(b);
    if (la > MAXN)
        la = MAXN;
    if (lb > MAXN)
        lb = MAXN;
    static const int zero[MAXN + 1];
    int rows[3][MAXN + 1];
    int *pp = (int *)zero, *prev = rows[0], *cur = rows[1];
    for (int j = 0; j <= lb; j++)
        prev[j] = j;
    for (int i = 1; i <= la; i++) {
        cur[0] = i;
        for (int j = 1; j <= lb; j++) {
            int sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
            int del = prev[j] + 1, ins = cur[j - 1] + 1;
            int m = sub < del ? sub : del;
            m = m < ins ? m : ins;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && pp[j - 2] + 1 < m)
                m = pp[j - 2] + 1;
            cur[j] = m;
        }
        int *t = rows[(i + 1) % 3];
        pp = prev;
        prev = cur;
        cur = t;
    }
    return prev[lb];
}

const char *dlc_nearest(const char *word, const char *const *candidates)
{
    const char *best = NULL;
    int best_d = 1 << 30;
    /* the same word in other letter case (Keras' ReLU, TensorFlow's SAME)
     * beats any typo */
    for (const char *const *c = candidates; *c; c++)
        if (strcasecmp(word, *c) == 0)
            return *c;
    for (const char *const *c = candidates; *c; c++) {
        int d = dlc_edit_distance(word, *c);
        if (d < best_d) {
            best_d = d;
            best = *c;
        }
    }
    /* a plausible typo: at most a third of the word wrong, and at least one
     * character right */
    int len = (int)strlen(word);
    int allowed = len / 3 > 1 ? len / 3 : 1;
    if (best && (best_d > allowed || best_d >= len))
        return NULL;
    return best;
}

const char *dlc_file_kind(unsigned mode)
{
    return S_ISDIR(mode)    ? "a folder"
           : S_ISFIFO(mode) ? "a FIFO (named pipe)"
           : S_ISSOCK(mode) ? "a socket"
           : S_ISCHR(mode)  ? "a character device"
           : S_ISBLK(mode)  ? "a block device"
           : S_ISREG(mode)  ? "a regular file"
                            : "not a regular file";
}

int dlc_open_regular(const char *path, long long *size, dlc_error *err)
{
    /* stat first so that a device or FIFO is never even opened; fstat after
     * the open (O_NONBLOCK: a FIFO swapped in between cannot block) so the
     * checked file is the one read */
    struct stat sb;
    if (stat(path, &sb) != 0) {
        int e = errno;
        struct stat lb;
        if ((e == ENOENT || e == ELOOP) && lstat(path, &lb) == 0 && S_ISLNK(lb.st_mode))
            dlc_fail(err, DLC_EINPUT, "%s: %s", path,
                     e == ELOOP ? "a symbolic link loop" : "a broken symbolic link");
        else
            dlc_fail(err, DLC_EINPUT, "%s: cannot open: %s", path, strerror(e));
        return -1;
    }
    if (!S_ISREG(sb.st_mode)) {
        dlc_fail(err, DLC_EINPUT, "%s: is %s, not a regular file", path, dlc_file_kind(sb.st_mode));
        return -1;
    }
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        dlc_fail(err, DLC_EINPUT, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        dlc_fail(err, DLC_EINPUT, "%s: is %s, not a regular file", path, dlc_file_kind(sb.st_mode));
        close(fd);
        return -1;
    }
    if (size)
        *size = (long long)sb.st_size;
    return fd;
}

dlc_status dlc_read_input_max(const char *path, size_t max, char **out, size_t *len,
                              dlc_error *err)
{
    if (strcmp(path, "-") != 0)
        return dlc_read_file_max(path, max, out, len, err);
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap + 1);
    *out = NULL;
    *len = 0;
    if (!buf)
        return DLC_NOMEM(err);
    for (;;) {
        if (n == cap) {
            if (cap > max) {
                free(buf);
                return dlc_fail(err, DLC_EINPUT, "-: the standard input is too large (at most %zu "
                                "bytes are read)", max);
            }
            char *more = realloc(buf, 2 * cap + 1);
            if (!more) {
                free(buf);
                return DLC_NOMEM(err);
            }
            buf = more;
            cap *= 2;
        }
        ssize_t got = read(STDIN_FILENO, buf + n, cap - n);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            int e = errno;
            free(buf);
            return dlc_fail(err, DLC_EIO, "-: cannot read the standard input: %s", strerror(e));
        }
        if (got == 0)
            break;
        n += (size_t)got;
    }
    if (n > max) {
        free(buf);
        return dlc_fail(err, DLC_EINPUT, "-: the standard input is too large (at most %zu bytes are "
                        "read)", max);
    }
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return DLC_OK;
}

dlc_status dlc_read_file_max(const char *path, size_t max, char **out, size_t *len, dlc_error *err)
{
    *out = NULL;
    *len = 0;
    long long size;
    int fd = dlc_open_regular(path, &size, err);
    if (fd < 0)
        return DLC_EINPUT;
    if (size < 0 || (unsigned long long)size > max) {
        close(fd);
        return dlc_fail(err, DLC_EINPUT, "%s: too large (%lld bytes; at most %zu are read)", path,
                        size, max);
    }
    /* the size from fstat, plus one byte to see a file that grew meanwhile */
    size_t cap = (size_t)size + 1, n = 0;
    char *buf = malloc(cap + 1);
    if (!buf) {
        close(fd);
        return DLC_NOMEM(err);
    }
    while (n < cap) {
        ssize_t got = read(fd, buf + n, cap - n);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            int e = errno;
            free(buf);
            close(fd);
            return dlc_fail(err, DLC_EIO, "%s: read error: %s", path, strerror(e));
        }
        if (got == 0)
            break;
        n += (size_t)got;
    }
    close(fd);
    if (n > (size_t)size) {
        free(buf);
        return dlc_fail(err, DLC_EINPUT, "%s: the file grew while it was read", path);
    }
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return DLC_OK;
}

size_t dlc_bom_len(const char *text, size_t len)
{
    return len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
}

dlc_status dlc_read_file(const char *path, char **out, size_t *len, dlc_error *err)
{
    return dlc_read_file_max(path, DLC_TEXT_MAX, out, len, err);
}

dlc_status dlc_mkdirs(const char *path, dlc_error *err)
{
    char tmp[4096];
    if (dlc_strlcpy(tmp, path, sizeof tmp) >= sizeof tmp)
        return dlc_fail(err, DLC_EINPUT, "%s: path too long", path);
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(tmp, 0777) != 0 && errno != EEXIST)
            return dlc_fail(err, DLC_EIO, "%s: cannot create directory: %s", tmp, strerror(errno));
        *p = '/';
    }
    if (mkdir(tmp, 0777) != 0 && errno != EEXIST)
        return dlc_fail(err, DLC_EIO, "%s: cannot create directory: %s", tmp, strerror(errno));
    struct stat st;
    if (stat(tmp, &st) != 0 || !S_ISDIR(st.st_mode))
        return dlc_fail(err, DLC_EINPUT, "%s: exists and is not a directory", tmp);
    return DLC_OK;
}

/* Clinger's fast path: a plain decimal ([+-]digits[.digits][e[+-]digits])
 * whose significant digits fit 2^53 and whose power of ten is at most 22
 * either way is one correctly rounded product or quotient of two exact
 * doubles, so it equals strtod's result bit for bit.  strtod is exact for
 * every input, through arbitrary precision, which made it 40% of loading a
 * table of a million rows.  Returns 0 when s is not of that form (strtod
 * reads it then). */
static int util_fast_double(const char *s, double *out)
{
    static const double pow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                   1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                   1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    int neg = *s == '-';
    if (*s == '-' || *s == '+')
        s++;
    uint64_t m = 0;
    int digits = 0, frac = 0, seen = 0;
    for (; *s >= '0' && *s <= '9'; s++, seen++)
        if (m || *s != '0') {
            if (++digits > 19)
                return 0;
            m = m * 10 + (uint64_t)(*s - '0');
        }
    if (*s == '.')
        for (s++; *s >= '0' && *s <= '9'; s++, seen++, frac++)
            if (m || *s != '0') {
                if (++digits > 19)
                    return 0;
                m = m * 10 + (uint64_t)(*s - '0');
            }
    if (!seen)
        return 0;
    int e = 0;
    if (*s == 'e' || *s == 'E') {
        s++;
        int eneg = *s == '-';
        if (*s == '-' || *s == '+')
            s++;
        if (*s < '0' || *s > '9')
            return 0;
        for (; *s >= '0' && *s <= '9'; s++)
            if ((e = e * 10 + (*s - '0')) > 1000)
                return 0;
        if (eneg)
            e = -e;
    }
    if (*s || m > ((uint64_t)1 << 53))
        return 0;
    e -= frac;
    double v = (double)m;
    if (m == 0)
        v = 0.0;
    else if (e >= 0 && e <= 22)
        v *= pow10[e];
    else if (e < 0 && e >= -22)
        v /= pow10[-e];
    else
        return 0;
    *out = neg ? -v : v;
    return 1;
}

int dlc_parse_double(const char *s, double *out)
{
    if (!s || !*s)
        return -1;
    if (util_fast_double(s, out))
        return 0;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end != '\0' || errno == ERANGE || isnan(v))
        return -1;
    *out = v;
    return 0;
}

int dlc_pathf(char *out, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(out, size, fmt, ap);
    va_end(ap);
    return n >= 0 && (size_t)n < size ? 0 : -1;
}

int dlc_parse_long(const char *s, long *out)
{
    if (!s || !*s)
        return -1;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (end == s || *end != '\0' || errno == ERANGE)
        return -1;
    *out = v;
    return 0;
}

int dlc_memory_info(size_t *available, size_t *total)
{
    *available = *total = 0;
    FILE *f = fopen("/proc/meminfo", "r");
    if (!f)
        return -1;
    char line[256];
    int found = 0;
    while (fgets(line, sizeof line, f)) {
        unsigned long long kib;
        if (sscanf(line, "MemAvailable: %llu kB", &kib) == 1) {
            *available = (size_t)kib * 1024;
            found |= 1;
        } else if (sscanf(line, "MemTotal: %llu kB", &kib) == 1) {
            *total = (size_t)kib * 1024;
            found |= 2;
        }
    }
    fclose(f);
    if (found != 3) {
        *available = *total = 0;
        return -1;
    }
    return 0;
}

double dlc_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

dlc_status dlc_strlist_push(dlc_strlist *l, const char *s, dlc_error *err)
{
    char **nv = realloc(l->v, sizeof(char *) * (size_t)(l->n + 1));
    if (!nv)
        return DLC_NOMEM(err);
    l->v = nv;
    l->v[l->n] = strdup(s);
    if (!l->v[l->n])
        return DLC_NOMEM(err);
    l->n++;
    return DLC_OK;
}

int dlc_strlist_find(const dlc_strlist *l, const char *s)
{
    for (int i = 0; i < l->n; i++)
        if (strcmp(l->v[i], s) == 0)
            return i;
    return -1;
}

void dlc_strlist_clear(dlc_strlist *l)
{
    for (int i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    l->v = NULL;
    l->n = 0;
}

int dlc_strlist_equal(const dlc_strlist *a, const dlc_strlist *b)
{
    if (a->n != b->n)
        return 0;
    for (int i = 0; i < a->n; i++)
        if (strcmp(a->v[i], b->v[i]) != 0)
            return 0;
    return 1;
}

dlc_status dlc_strlist_copy(dlc_strlist *dst, const dlc_strlist *src, dlc_error *err)
{
    dlc_strlist_clear(dst);
    for (int i = 0; i < src->n; i++)
        if (dlc_strlist_push(dst, src->v[i], err) != DLC_OK)
            return err ? err->status : DLC_ENOMEM;
    return DLC_OK;
}

void dlc_buf_append(dlc_buf *b, const char *s, size_t n)
{
    if (b->failed)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *ns = realloc(b->s, cap);
        if (!ns) {
            b->failed = 1;
            return;
        }
        b->s = ns;
        b->cap = cap;
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

void dlc_buf_printf(dlc_buf *b, const char *fmt, ...)
{
    char small[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->failed = 1;
        return;
    }
    if ((size_t)n < sizeof small) {
        dlc_buf_append(b, small, (size_t)n);
        return;
    }
    char *big = malloc((size_t)n + 1);
    if (!big) {
        b->failed = 1;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    dlc_buf_append(b, big, (size_t)n);
    free(big);
}

void dlc_buf_free(dlc_buf *b)
{
    free(b->s);
    memset(b, 0, sizeof *b);
}

void dlc_path_stem(char *out, size_t size, const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    const char *dot = strrchr(base, '.');
    size_t n = dot && dot != base ? (size_t)(dot - base) : strlen(base);
    if (n >= size)
        n = size - 1;
    memcpy(out, base, n);
    out[n] = '\0';
}

/* Length of the UTF-8 sequence at s and its code point, or 0 when invalid
 * (overlong forms, surrogates and values past U+10FFFF included). */
static int utf8_seq(const unsigned char *s, unsigned *cp)
{
    unsigned c = s[0];
    int n = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
    if (n <= 1) {
        *cp = c;
        return n;
    }
    unsigned v = c & (0x7F >> n);
    for (int i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        v = (v << 6) | (s[i] & 0x3F);
    }
    static const unsigned min[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (v < min[n] || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        return 0;
    *cp = v;
    return n;
}

/* Terminal columns of code point cp: 2 for the East Asian wide ranges and
 * emoji, 0 for combining marks, else 1 (a table of the common ranges, not
 * all of Unicode's). */
static int cell_width(unsigned cp)
{
    static const unsigned wide[][2] = {
        {0x1100, 0x115F},   {0x2E80, 0x303E},   {0x3041, 0x33FF},   {0x3400, 0x4DBF},
        {0x4E00, 0x9FFF},   {0xA000, 0xA4CF},   {0xAC00, 0xD7A3},   {0xF900, 0xFAFF},
        {0xFE30, 0xFE4F},   {0xFF00, 0xFF60},   {0xFFE0, 0xFFE6},   {0x1F300, 0x1F64F},
        {0x1F900, 0x1F9FF}, {0x20000, 0x3FFFD},
    };
    if ((cp >= 0x0300 && cp <= 0x036F) || cp == 0x200B)
        return 0;
    for (size_t i = 0; i < sizeof wide / sizeof wide[0]; i++)
        if (cp >= wide[i][0] && cp <= wide[i][1])
            return 2;
    return 1;
}

const char *dlc_cell(char *out, size_t size, const char *s, int width, int right)
{
    char esc[1024];
    const unsigned char *p = (const unsigned char *)dlc_escape(esc, sizeof esc, s, DLC_ESC_ALL);
    size_t n = 0;
    int cols = 0;
    while (*p) { /* escaped text is UTF-8 */
        unsigned cp;
        int k = utf8_seq(p, &cp);
        if (k == 0)
            break;
        int w = cell_width(cp);
        if (cols + w > width || n + (size_t)k + (size_t)(width - cols) + 1 > size)
            break;
        p += k;
        n += (size_t)k;
        cols += w;
    }
    size_t pad = cols < width ? (size_t)(width - cols) : 0;
    if (n + pad + 1 > size) { /* too small for the cell: cut it */
        n = 0;
        pad = 0;
    }
    memmove(out + (right ? pad : 0), esc, n);
    memset(out + (right ? 0 : n), ' ', pad);
    out[n + pad] = '\0';
    return out;
}

int dlc_utf8_char(const char *s)
{
    unsigned cp;
    return utf8_seq((const unsigned char *)s, &cp);
}

long dlc_utf8_bad(const char *s)
{
    for (long i = 0; s[i];) {
        int n = dlc_utf8_char(s + i);
        if (n == 0)
            return i;
        i += n;
    }
    return -1;
}

void dlc_buf_escape(dlc_buf *b, const char *str, int mode)
{
    const unsigned char *s = (const unsigned char *)str;
    int all = mode == DLC_ESC_ALL;
    if (all && *s == ' ') { /* a token of spaces only: visible as the symbol for space */
        const unsigned char *q = s;
        while (*q == ' ')
            q++;
        if (!*q) {
            for (; *s; s++)
                dlc_buf_append(b, "\xe2\x90\xa0", 3); /* U+2420 SYMBOL FOR SPACE */
            return;
        }
    }
    while (*s) {
        unsigned cp;
        int n = utf8_seq(s, &cp);
        if (n == 0) { /* a byte that is not UTF-8: shown, never sent raw */
            dlc_buf_printf(b, "\\x%02x", *s);
            s++;
            continue;
        }
        if (cp == '\n' && !all)
            dlc_buf_append(b, "\n", 1);
        else if (cp == '\t' && !all)
            dlc_buf_append(b, "\t", 1);
        else if (cp == '\n' || cp == '\t' || cp == '\r')
            dlc_buf_printf(b, "\\%c", cp == '\n' ? 'n' : cp == '\t' ? 't' : 'r');
        else if (cp == '\\' && all)
            dlc_buf_append(b, "\\\\", 2);
        else if (cp < 0x20 || cp == 0x7F)
            dlc_buf_printf(b, "\\x%02x", cp);
        else if ((cp >= 0x80 && cp <= 0x9F) || (cp >= 0x202A && cp <= 0x202E) ||
                 (cp >= 0x2066 && cp <= 0x2069) || cp == 0x2028 || cp == 0x2029)
            /* C1 controls (0x9B is CSI on some terminals), line separators and
             * the bidirectional overrides that reorder what is shown */
            dlc_buf_printf(b, "\\u%04x", cp);
        else
            dlc_buf_append(b, (const char *)s, (size_t)n);
        s += n;
    }
}

const char *dlc_escape(char *out, size_t size, const char *s, int mode)
{
    dlc_buf b = {0};
    dlc_buf_escape(&b, s, mode);
    const char *text = b.failed ? "?" : b.s ? b.s : "";
    size_t n = strlen(text);
    if (n >= size) { /* cut at a character boundary, marked */
        n = size >= 4 ? size - 4 : 0;
        while (n > 0 && ((unsigned char)text[n] & 0xC0) == 0x80)
            n--;
        memcpy(out, text, n);
        dlc_strlcpy(out + n, size >= 4 ? "..." : "", size - n);
    } else {
        memcpy(out, text, n + 1);
    }
    dlc_buf_free(&b);
    return out;
}

/* ---- a name index ---- */

static uint64_t index_hash(const char *s)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

dlc_status dlc_index_init(dlc_index *ix, size_t n, dlc_error *err)
{
    memset(ix, 0, sizeof *ix);
    size_t cap = 16;
    while (cap < 2 * n + 1)
        cap *= 2;
    ix->key = calloc(cap, sizeof *ix->key);
    ix->val = malloc(cap * sizeof *ix->val);
    if (!ix->key || !ix->val) {
        dlc_index_free(ix);
        return DLC_NOMEM(err);
    }
    ix->cap = cap;
    ix->max = n;
    return DLC_OK;
}

/* The slot holding key, or the empty slot where it would go. */
static size_t index_slot(const dlc_index *ix, const char *key)
{
    size_t i = (size_t)index_hash(key) & (ix->cap - 1);
    while (ix->key[i] && strcmp(ix->key[i], key) != 0)
        i = (i + 1) & (ix->cap - 1);
    return i;
}

int dlc_index_put(dlc_index *ix, const char *key, int val)
{
    size_t i = index_slot(ix, key);
    if (ix->key[i])
        return ix->val[i];
    if (ix->n >= ix->max)
        return -2;
    ix->key[i] = key;
    ix->val[i] = val;
    ix->n++;
    return -1;
}

int dlc_index_get(const dlc_index *ix, const char *key)
{
    if (!ix->cap)
        return -1;
    size_t i = index_slot(ix, key);
    return ix->key[i] ? ix->val[i] : -1;
}

void dlc_index_free(dlc_index *ix)
{
    free(ix->key);
    free(ix->val);
    memset(ix, 0, sizeof *ix);
}
