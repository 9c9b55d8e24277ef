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

/* Sizes of the files dlc reads whole: configs, sweep files, tag sheets and
 * other text (DLC_TEXT_MAX); data files and models (DLC_DATA_MAX). */
#define DLC_TEXT_MAX ((size_t)64 << 20)
#define DLC_DATA_MAX ((size_t)8 << 30)

/* Reads a whole regular file into a new buffer (NUL-terminated; *len excludes
 * the NUL), at most DLC_TEXT_MAX bytes (dlc_read_file_max: max).  A folder,
 * FIFO, socket or device, a broken link or a link loop, or a file over the
 * limit is DLC_EINPUT naming the path and what it is; never blocks.  The
 * caller frees *out. */
dlc_status dlc_read_file(const char *path, char **out, size_t *len, dlc_error *err);
dlc_status dlc_read_file_max(const char *path, size_t max, char **out, size_t *len,
                             dlc_error *err);
/* 3 when text begins with UTF-8's byte-order mark (Windows' Notepad and
 * spreadsheets write one), else 0: the bytes a reader of text skips. */
size_t dlc_bom_len(const char *text, size_t len);
/* dlc_read_file_max, where the path "-" is the standard input (a pipe or a
 * terminal: read to its end, at most max bytes). */
dlc_status dlc_read_input_max(const char *path, size_t max, char **out, size_t *len,
                              dlc_error *err);
/* Opens a regular file for reading (O_NONBLOCK, checked with fstat after the
 * open) and gives its size; -1 with err set (DLC_EINPUT) otherwise, with the
 * same reasons as dlc_read_file.  The caller closes the descriptor. */
int dlc_open_regular(const char *path, long long *size, dlc_error *err);
/* "a folder", "a FIFO (named pipe)", ... for a stat mode. */
const char *dlc_file_kind(unsigned mode);

/* The file name of path without folder and extension into out
 * ("configs/mnist.yaml" -> "mnist"); cut to size - 1 bytes. */
void dlc_path_stem(char *out, size_t size, const char *path);

/* snprintf into a path buffer: 0 when the whole path fit, -1 when it was
 * cut (through vsnprintf, so a cut path is a checked error, not a warning). */
int dlc_pathf(char *out, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* mkdir -p; errors name the path. */
dlc_status dlc_mkdirs(const char *path, dlc_error *err);

/* Parses a whole string as a number; 0 on success, -1 if it is not one. */
int dlc_parse_double(const char *s, double *out);
int dlc_parse_long(const char *s, long *out);

/* Monotonic seconds. */
double dlc_now(void);

/* The machine's memory in bytes from /proc/meminfo: *available what new
 * allocations can take without swapping (MemAvailable: free memory plus the
 * page cache and other memory the kernel can reclaim), *total the physical
 * RAM.  -1 where that file is missing or unreadable (then both are 0). */
int dlc_memory_info(size_t *available, size_t *total);

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

/* ---- a name index: string -> int in constant time ----
 * For lookups by name over many items (layers of a large config): a fixed
 * open-addressing table sized for at most n keys.  Keys are borrowed (they
 * must outlive the index).  Free with dlc_index_free. */
typedef struct {
    size_t cap, n, max;
    const char **key;
    int *val;
} dlc_index;
dlc_status dlc_index_init(dlc_index *ix, size_t n, dlc_error *err);
/* Adds key -> val; returns -1 when added, the existing value when key was
 * there already (nothing changes), -2 when the index is full. */
int dlc_index_put(dlc_index *ix, const char *key, int val);
/* key's value, -1 when absent. */
int dlc_index_get(const dlc_index *ix, const char *key);
void dlc_index_free(dlc_index *ix);

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

/* ---- text for a terminal ----
 * Strings from data (class names, tokens, tags, file names, labels in
 * messages) go to the terminal escaped, so none can send it a control
 * sequence (retitle it, hide text, move the cursor): control characters
 * become \n \t \r \xNN, C1 controls, line separators and bidirectional
 * overrides \uNNNN, bytes that are not UTF-8 \xNN.  DLC_ESC_ALL (a table
 * cell, a token) also escapes newline, tab and backslash, and shows a string
 * of spaces only as U+2420 (so a space token is seen); DLC_ESC_KEEP_LINES (a
 * message, generated text) keeps newline and tab as they are. */
enum { DLC_ESC_ALL, DLC_ESC_KEEP_LINES };
void dlc_buf_escape(dlc_buf *b, const char *s, int mode);
/* The same into out (always terminated; cut with "..." when it does not
 * fit); returns out, for printf. */
const char *dlc_escape(char *out, size_t size, const char *s, int mode);

/* A table cell: s escaped (DLC_ESC_ALL), cut to at most width terminal
 * columns at a character boundary (a wide CJK character or emoji takes two,
 * a combining mark none) and padded with spaces to width, on the right
 * (right 0: text at the left, like %-20.20s) or the left.  Returns out. */
const char *dlc_cell(char *out, size_t size, const char *s, int width, int right);

/* The offset of the first byte of s that does not begin a well-formed UTF-8
 * character (overlong forms, surrogates and values past U+10FFFF are not),
 * or -1 when all of s is UTF-8.  Names from data (class names, column names)
 * must be: the model file's metadata is JSON, which is UTF-8. */
long dlc_utf8_bad(const char *s);
/* The length (1 to 4) of the well-formed UTF-8 character s begins with, 0
 * when it begins with none (s must not be empty). */
int dlc_utf8_char(const char *s);

#endif
