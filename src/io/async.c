/* async.c - a safetensors file written on a thread of its own.
 *
 * A checkpoint of a 25M-parameter model with Adam's moments is 300 MB; its
 * write took about 1.5 s of wall time on the 2-core VM (most of it handing
 * the bytes to the page cache under load, fsync 0.1 s), which training
 * would otherwise wait for every epoch.  The caller snapshots the tensors
 * into memory that stays unchanged (a memcpy), starts the write here and
 * goes on; it waits before the next write of the same file or before it
 * exits.  The write itself is io_safetensors_write: atomic, temp + rename. */
#include "io.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct io_async_write {
    pthread_t thread;
    char *path;
    io_tensor *t;
    int n_t;
    io_meta *meta;
    int n_meta;
    char *strings; /* the copied names and metadata, one block */
    dlc_status st;
    dlc_error err;
};

static void async_free(io_async_write *w)
{
    if (!w)
        return;
    free(w->path);
    free(w->t);
    free(w->meta);
    free(w->strings);
    free(w);
}

static void *async_run(void *arg)
{
    io_async_write *w = arg;
    w->st = io_safetensors_write(w->path, w->t, w->n_t, w->meta, w->n_meta, &w->err);
    return NULL;
}

/* Copies s to *at (moving it on); returns the copy. */
static const char *put(char **at, const char *s)
{
    size_t n = strlen(s) + 1;
    memcpy(*at, s, n);
    const char *copy = *at;
    *at += n;
    return copy;
}

dlc_status io_async_start(io_async_write **out, const char *path, const io_tensor *t, int n_t,
                          const io_meta *meta, int n_meta, dlc_error *err)
{
    *out = NULL;
    if (n_t < 0 || n_meta < 0 || (n_t && !t) || (n_meta && !meta))
        return dlc_fail(err, DLC_EINPUT, "%s: invalid tensor or metadata list", path);
    size_t bytes = 0;
    for (int i = 0; i < n_t; i++)
        bytes += (t[i].name ? strlen(t[i].name) : 0) + 1;
    for (int i = 0; i < n_meta; i++)
        bytes += (meta[i].key ? strlen(meta[i].key) : 0) + (meta[i].value ? strlen(meta[i].value) : 0) + 2;
    io_async_write *w = calloc(1, sizeof *w);
    if (!w || !(w->path = strdup(path)) || !(w->t = calloc((size_t)n_t + 1, sizeof *w->t)) ||
        !(w->meta = calloc((size_t)n_meta + 1, sizeof *w->meta)) || !(w->strings = malloc(bytes + 1))) {
        async_free(w);
        return DLC_NOMEM(err);
    }
    char *at = w->strings;
    for (int i = 0; i < n_t; i++) {
        w->t[i] = t[i];
        w->t[i].name = t[i].name ? put(&at, t[i].name) : NULL; /* the writer refuses NULL */
    }
    for (int i = 0; i < n_meta; i++) {
        w->meta[i].key = meta[i].key ? put(&at, meta[i].key) : NULL;
        w->meta[i].value = meta[i].value ? put(&at, meta[i].value) : NULL;
    }
    w->n_t = n_t;
    w->n_meta = n_meta;
    if (pthread_create(&w->thread, NULL, async_run, w) != 0) {
        async_free(w);
        return dlc_fail(err, DLC_ERUN, "%s: cannot start the thread that writes it", path);
    }
    *out = w;
    return DLC_OK;
}

dlc_status io_async_wait(io_async_write *w, dlc_error *err)
{
    if (!w)
        return DLC_OK;
    pthread_join(w->thread, NULL);
    dlc_status st = w->st;
    if (st != DLC_OK && err)
        *err = w->err;
    async_free(w);
    return st;
}
