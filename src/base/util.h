/* util.h - small string and file helpers shared by every module. */
#ifndef DLC_UTIL_H
#define DLC_UTIL_H

#include <stddef.h>

#include "error.h"

#define DLC_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* A hot loop built twice, for AVX2 and for any x86-64, picked at load time
 * (the binary never needs -march=native).  DLC_NO_CLONES builds one version:
 * ThreadSanitizer cannot run the load-time resolver. */
#ifdef DLC_NO_CLONES
#define DLC_HOT
#else
#define DLC_HOT __attribute__((target_clones("avx2", "default")))
#endif

/* Copies at most size-1 bytes and always terminates; returns strlen(src). */
size_t dlc_strlcpy(char *dst, const char *src, size_t size);

/* Levenshtein distance between two short strings (capped at 64 chars). */
int dlc_edit_distance(const char *a, const char *b);

/* The candidate closest to word (NULL-terminated list), or NULL when none is
 * close enough to be a plausible typo.  Borrowed pointer into candidates. */
const char *dlc_nearest(const char *word, const char *const *candidates);

/* Reads a whole file into a new buffer (NUL-terminated; *len excludes the NUL).
 * The caller frees *out.  Errors name the path. */
dlc_status dlc_read_file(const char *path, char **out, size_t *len, dlc_error *err);

/* The file name of path without folder and extension into out
 * ("configs/mnist.yaml" -> "mnist"); cut to size - 1 bytes. */
void dlc_path_stem(char *out, size_t size, const char *path);

/* mkdir -p; errors name the path. */
dlc_status dlc_mkdirs(const char *path, dlc_error *err);

/* Parses a whole string as a number; 0 on success, -1 if it is not one. */
int dlc_parse_double(const char *s, double *out);
int dlc_parse_long(const char *s, long *out);

/* Monotonic seconds. */
double dlc_now(void);

/* ---- a list of owned strings ---- */
typedef struct {
    int n;
    char **v;
} dlc_strlist;

dlc_status dlc_strlist_push(dlc_strlist *l, const char *s, dlc_error *err);
/* index of s in l, -1 if absent */
int dlc_strlist_find(const dlc_strlist *l, const char *s);
void dlc_strlist_clear(dlc_strlist *l);
/* 1 when a and b hold the same strings in the same order. */
int dlc_strlist_equal(const dlc_strlist *a, const dlc_strlist *b);
dlc_status dlc_strlist_copy(dlc_strlist *dst, const dlc_strlist *src, dlc_error *err);

/* ---- a growable text buffer ---- */
typedef struct {
    char *s;     /* NUL-terminated; NULL until something is appended */
    size_t len;
    size_t cap;
    int failed;  /* an allocation failed: further appends are ignored */
} dlc_buf;

void dlc_buf_printf(dlc_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void dlc_buf_append(dlc_buf *b, const char *s, size_t n);
void dlc_buf_free(dlc_buf *b);

#endif
