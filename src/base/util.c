#define _POSIX_C_SOURCE 200809L
#include "util.h"

#include <errno.h>
#include <stdarg.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

dlc_status dlc_read_file(const char *path, char **out, size_t *len, dlc_error *err)
{
    *out = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return dlc_fail(err, DLC_EINPUT, "%s: cannot open: %s", path, strerror(errno));
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap + 1);
    if (!buf) {
        fclose(f);
        return DLC_NOMEM(err);
    }
    for (;;) {
        if (n == cap) {
            char *nb = realloc(buf, 2 * cap + 1);
            if (!nb) {
                free(buf);
                fclose(f);
                return DLC_NOMEM(err);
            }
            buf = nb;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        return dlc_fail(err, DLC_EIO, "%s: read error", path);
    }
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return DLC_OK;
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

int dlc_parse_double(const char *s, double *out)
{
    if (!s || !*s)
        return -1;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end != '\0' || errno == ERANGE || isnan(v))
        return -1;
    *out = v;
    return 0;
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
