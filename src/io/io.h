/* io.h - files that must never be half-written, and the safetensors format.
 *
 * Every file dlc writes goes to "<path>.tmp.<pid>", is flushed and fsync'd,
 * and is renamed over <path>: a crash leaves the old file or the new one.
 *
 * safetensors (https://huggingface.co/docs/safetensors): an 8-byte little-
 * endian header length, a JSON header mapping tensor names to dtype, shape and
 * byte offsets (plus "__metadata__": string -> string), then the raw data.
 * dlc writes and reads F32 tensors; metadata values are strings.
 */
#ifndef DLC_IO_H
#define DLC_IO_H

#include <stddef.h>
#include <stdio.h>

#include "../base/error.h"
#include "../base/util.h"
#include "../tensor/tensor.h"

/* ---- atomic files ---- */
typedef struct {
    FILE *f;
    char path[4096];
    char tmp[4096 + 32];
} io_atomic;

/* Creates the temporary; write to a->f.  Errors (DLC_EIO) name path and the
 * OS reason. */
dlc_status io_atomic_begin(io_atomic *a, const char *path, dlc_error *err);
/* Flushes, fsyncs, closes and renames, then fsyncs the directory; on failure
 * removes the temporary (the old file, if any, stays).  A failure to sync the
 * directory after the rename is reported too, with the new file in place. */
dlc_status io_atomic_commit(io_atomic *a, dlc_error *err);
/* Closes and removes the temporary.  Safe to call after a failed begin, a
 * failed commit or a successful one (then it does nothing), so a cleanup
 * label can always call it. */
void io_atomic_abort(io_atomic *a);
/* The whole file in one call. */
dlc_status io_write_file(const char *path, const void *data, size_t len, dlc_error *err);
/* A PNG image (png.c), atomically: px (H, W, C) bytes, interleaved, C = 1
 * (gray), 3 (RGB) or 4 (RGBA).  DLC_EINPUT for another C or an empty image,
 * DLC_ENOMEM when encoding fails, DLC_EIO naming path. */
dlc_status io_write_png(const char *path, const unsigned char *px, int W, int H, int C,
                        dlc_error *err);

/* ---- the run folder's lock (runlock.c) ---- */
/* Takes the exclusive lock of run folder dir (flock on dir/.lock, which
 * records the pid) for as long as *fd stays open: the process's end releases
 * it, even after kill -9.  Held by another process: DLC_EINPUT naming its
 * pid.  dir must exist. */
dlc_status io_run_lock(const char *dir, int *fd, dlc_error *err);
void io_run_unlock(int fd);
/* The pid of the process holding run folder dir's lock (a `dlc train`
 * writing it), -1 when one holds it but its pid is not written, 0 when none
 * does (or dir has no lock file).  A probe: it
 * takes and drops a shared lock when the folder is free. */
long io_run_holder(const char *dir);
/* Removes "*.tmp.<pid>" temporaries left in dir and dir/errors by processes
 * that no longer run (call with the lock held); returns how many. */
int io_remove_stale_tmp(const char *dir);

/* ---- safetensors ---- */
typedef struct {
    const char *name;
    tensor_shape shape;
    const float *data;   /* borrowed */
} io_tensor;

typedef struct {
    const char *key;
    const char *value;
} io_meta;

/* Writes tensors (in the given order) and metadata atomically to path.  The
 * data section starts at a multiple of 8 bytes.  Names and metadata must be
 * UTF-8, tensor names unique and not "__metadata__" (DLC_EINPUT otherwise). */
dlc_status io_safetensors_write(const char *path, const io_tensor *t, int n_t, const io_meta *meta,
                                int n_meta, dlc_error *err);

/* The same on a thread of its own (async.c), for checkpoints that must not
 * stall training: the tensor names, shapes and metadata are copied now; the
 * tensor data are not, and must stay unchanged until io_async_wait returns.
 * *out: the write in progress (NULL when start failed). */
typedef struct io_async_write io_async_write;
dlc_status io_async_start(io_async_write **out, const char *path, const io_tensor *t, int n_t,
                          const io_meta *meta, int n_meta, dlc_error *err);
/* Waits for w to finish and frees it; its status and error.  NULL: DLC_OK. */
dlc_status io_async_wait(io_async_write *w, dlc_error *err);

typedef struct io_st io_st; /* a safetensors file read into memory */

/* Reads and validates the whole file: header JSON, dtypes (F32 only), shapes
 * against byte ranges, ranges inside the file and not overlapping.  Errors
 * (DLC_EINPUT; DLC_EIO/DLC_ENOMEM from the OS) name the file and what was
 * wrong; a JSON error's byte offset counts from the start of the header
 * (file byte 8).  Every tensor's data is aligned for float (64-byte aligned
 * when it had to be copied).  Free with io_st_free. */
dlc_status io_safetensors_read(io_st **out, const char *path, dlc_error *err);
/* From bytes in memory (name for messages). */
dlc_status io_safetensors_parse(io_st **out, const char *name, const unsigned char *bytes,
                                size_t len, dlc_error *err);
/* The metadata value of key in the safetensors file at path, its header
 * alone read (the tensors are not): *value a copy to free, NULL when the
 * file has none.  A file that is no safetensors is an error (DLC_EINPUT)
 * naming it, as is one that cannot be read (DLC_EIO). */
dlc_status io_safetensors_read_meta(const char *path, const char *key, char **value, dlc_error *err);
void io_st_free(io_st *st);
int io_st_count(const io_st *st);
/* Tensor k (in file order) or by name (NULL if absent); data borrowed from st. */
const io_tensor *io_st_at(const io_st *st, int k);
const io_tensor *io_st_get(const io_st *st, const char *name);
/* Metadata value (borrowed) or NULL. */
const char *io_st_meta(const io_st *st, const char *key);
/* All metadata entries, in file order (borrowed from st). */
int io_st_meta_count(const io_st *st);
const io_meta *io_st_meta_at(const io_st *st, int k);

/* ---- JSON ---- */
typedef enum { JSON_NULL, JSON_BOOL, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT } json_type;

typedef struct json_value json_value;
struct json_value {
    json_type type;
    double number;      /* JSON_NUMBER; JSON_BOOL as 0/1 */
    char *string;       /* JSON_STRING (decoded UTF-8) */
    int n;              /* JSON_ARRAY / JSON_OBJECT: items */
    char **keys;        /* JSON_OBJECT */
    json_value **items;
};

/* Parses one JSON value (RFC 8259; nesting limited to 64).  text need not be
 * NUL-terminated.  Stricter than the RFC: duplicate keys and "\u0000" are
 * refused.  Errors (DLC_EINPUT) read "JSON: <problem> at byte <offset>".
 * Free *out with json_free. */
dlc_status json_parse(json_value **out, const char *text, size_t len, dlc_error *err);
void json_free(json_value *v);
/* Member of an object by key (NULL if absent or v is not an object). */
const json_value *json_get(const json_value *v, const char *key);
/* Appends s as a quoted JSON string to b: '"' and '\\' are escaped with a
 * backslash, control characters as \u00XX, UTF-8 characters are copied, and
 * a byte that is not UTF-8 becomes \ufffd (so the text stays valid JSON). */
void json_write_string(dlc_buf *b, const char *s);
/* Appends l as a JSON array of strings: ["a","b"]. */
void json_write_strings(dlc_buf *b, const dlc_strlist *l);
/* Appends v with 9 significant digits, or null when it is not finite (JSON
 * has no NaN or infinity; a writer says why in its "warnings"). */
void json_write_number(dlc_buf *b, double v);
/* Appends "warnings": [...] (w may be empty: []). */
void json_write_warnings(dlc_buf *b, const dlc_strlist *w);

#endif
