/* atomic.c - write-to-temporary, fsync, rename: a crash or a failed write
 * leaves either the old file or the complete new one under <path>, never a
 * partial one.
 *
 * The temporary sits in the same directory as <path> (rename is only atomic
 * within one file system) and is named "<path>.tmp.<pid>", so two processes
 * writing the same file do not share a temporary.
 */
#define _POSIX_C_SOURCE 200809L
#include "io.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

dlc_status io_atomic_begin(io_atomic *a, const char *path, dlc_error *err)
{
    memset(a, 0, sizeof *a);
    if (!path || !*path)
        return dlc_fail(err, DLC_EINPUT, "cannot write a file with an empty path");
    if (strlen(path) >= sizeof a->path)
        return dlc_fail(err, DLC_EINPUT, "%.200s...: path too long", path);
    dlc_strlcpy(a->path, path, sizeof a->path);
    snprintf(a->tmp, sizeof a->tmp, "%s.tmp.%ld", path, (long)getpid());
    a->f = fopen(a->tmp, "wb");
    if (!a->f) {
        int e = errno;
        a->tmp[0] = '\0'; /* nothing was created: abort must not unlink */
        return dlc_fail(err, DLC_EIO, "%s: cannot create temporary file: %s", path, strerror(e));
    }
    return DLC_OK;
}

/* fsync the directory holding path, so the rename itself survives a crash. */
static int sync_parent_dir(const char *path)
{
    char dir[4096];
    dlc_strlcpy(dir, path, sizeof dir);
    char *slash = strrchr(dir, '/');
    if (!slash)
        dlc_strlcpy(dir, ".", sizeof dir);
    else if (slash == dir)
        dir[1] = '\0';
    else
        *slash = '\0';
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    int e = errno;
    close(fd);
    /* some file systems cannot sync a directory; nothing more can be done */
    if (rc != 0 && (e == EINVAL || e == ENOTSUP))
        rc = 0;
    errno = e;
    return rc;
}

dlc_status io_atomic_commit(io_atomic *a, dlc_error *err)
{
    dlc_status st = DLC_OK;
    if (!a->f)
        return dlc_fail(err, DLC_EIO, "%s: no file is being written (commit without begin)",
                        a->path[0] ? a->path : "(unknown)");
    const char *step = "write";
    int e = 0;
    FILE *f = a->f;
    errno = 0;
    if (fflush(f) != 0) {
        e = errno;
        goto fail;
    }
    if (ferror(f)) {
        e = -1; /* an earlier write by the caller failed; its errno is long gone */
        goto fail;
    }
    step = "sync";
    if (fsync(fileno(f)) != 0) {
        e = errno;
        goto fail;
    }
    step = "close";
    a->f = NULL;
    if (fclose(f) != 0) {
        e = errno;
        goto fail;
    }
    step = "rename";
    if (rename(a->tmp, a->path) != 0) {
        e = errno;
        goto fail;
    }
    a->tmp[0] = '\0'; /* renamed: nothing left to remove */
    if (sync_parent_dir(a->path) != 0) {
        st = dlc_fail(err, DLC_EIO,
                      "%s: written, but syncing its directory failed (the new file may not "
                      "survive a crash): %s",
                      a->path, strerror(errno));
    }
    return st;
fail:
    st = dlc_fail(err, DLC_EIO, "%s: %s failed: %s", a->path, step,
                  e > 0 ? strerror(e) : e < 0 ? "an earlier write failed" : "unknown error");
    io_atomic_abort(a);
    return st;
}

void io_atomic_abort(io_atomic *a)
{
    if (!a)
        return;
    if (a->f) {
        fclose(a->f);
        a->f = NULL;
    }
    if (a->tmp[0]) {
        unlink(a->tmp);
        a->tmp[0] = '\0';
    }
}

dlc_status io_write_file(const char *path, const void *data, size_t len, dlc_error *err)
{
    io_atomic a;
    dlc_status st = io_atomic_begin(&a, path, err);
    if (st != DLC_OK)
        return st;
    if (len && fwrite(data, 1, len, a.f) != len) {
        st = dlc_fail(err, DLC_EIO, "%s: write failed: %s", path, strerror(errno));
        goto cleanup;
    }
    st = io_atomic_commit(&a, err);
cleanup:
    io_atomic_abort(&a); /* no-op after a successful commit */
    return st;
}
