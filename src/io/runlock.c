/* runlock.c - one process per run folder, and no leftovers from dead ones.
 *
 * A run folder is written by one `dlc train` at a time: two into the same
 * --out used to both exit 0 with one run's config beside the other's model.
 * The lock is flock(2) on DIR/.lock, held for the whole run and released by
 * the kernel when the process ends however it ends (kill -9 included), so a
 * stale lock cannot outlive its holder.  The file holds the holder's pid for
 * the message a second process prints.
 *
 * Temporaries are named "<file>.tmp.<pid>" (atomic.c); a process killed
 * while writing leaves its temporary behind, as large as what it wrote.
 * Under the lock no other process writes the folder, so every temporary of
 * a pid that no longer runs is a leftover.
 */
#include "io.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

/* The pid the lock file holds (written "PID\n"), 0 when there is none. */
static long read_pid(int fd)
{
    char buf[32] = "", *end;
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    buf[n > 0 ? n : 0] = '\0';
    long pid = strtol(buf, &end, 10);
    return end == buf || pid <= 0 ? 0 : pid;
}

dlc_status io_run_lock(const char *dir, int *fd_out, dlc_error *err)
{
    char path[4200];
    *fd_out = -1;
    if (snprintf(path, sizeof path, "%s/.lock", dir) >= (int)sizeof path)
        return dlc_fail(err, DLC_EINPUT, "%.200s...: path too long", dir);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0)
        return dlc_fail(err, DLC_EIO, "%s: cannot create the run folder's lock: %s", path,
                        strerror(errno));
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        if (e != EWOULDBLOCK) {
            close(fd);
            return dlc_fail(err, DLC_EIO, "%s: cannot lock: %s", path, strerror(e));
        }
        /* The holder writes its pid just after it takes the lock, so a
         * process that lost a race to it by microseconds reads the file
         * empty, or still holding the pid of a killed earlier holder: wait
         * for a live pid, up to a second. */
        long pid = 0;
        for (int tries = 0; tries < 100; tries++) {
            pid = read_pid(fd);
            if (pid > 0 && (kill((pid_t)pid, 0) == 0 || errno == EPERM))
                break;
            pid = 0;
            nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
        }
        close(fd);
        if (pid <= 0)
            return dlc_fail(err, DLC_EINPUT,
                            "%s is in use by another process (its lock, %s, is held, but names no "
                            "live process); wait for it to finish, or use another --out",
                            dir, path);
        return dlc_fail(err, DLC_EINPUT,
                        "%s is in use by another dlc process (pid %ld); wait for it to finish, or "
                        "use another --out",
                        dir, pid);
    }
    char me[32];
    int n = snprintf(me, sizeof me, "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) != 0 || pwrite(fd, me, (size_t)n, 0) != n) {
        int e = errno;
        close(fd);
        return dlc_fail(err, DLC_EIO, "%s: cannot write the lock: %s", path, strerror(e));
    }
    *fd_out = fd;
    return DLC_OK;
}

void io_run_unlock(int fd)
{
    if (fd >= 0)
        close(fd); /* releases the flock; the file stays, holding a stale pid */
}

long io_run_holder(const char *dir)
{
    char path[4200];
    if (snprintf(path, sizeof path, "%s/.lock", dir) >= (int)sizeof path)
        return 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return 0;
    long pid = 0;
    if (flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK) {
        pid = read_pid(fd);
        if (pid == 0)
            pid = -1; /* held, its pid not (yet) written */
    }
    close(fd); /* drops the probe's shared lock, if it took one */
    return pid;
}

/* The pid of "<file>.tmp.<pid>", or 0 when the name is not a temporary's. */
static long tmp_pid(const char *name)
{
    const char *t = NULL;
    for (const char *p = strstr(name, ".tmp."); p; p = strstr(p + 1, ".tmp."))
        t = p;
    if (!t || !t[5])
        return 0;
    char *end;
    long pid = strtol(t + 5, &end, 10);
    return *end == '\0' && pid > 0 ? pid : 0;
}

static int remove_in(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    int removed = 0;
    struct dirent *e;
    char path[4400];
    while ((e = readdir(d))) {
        long pid = tmp_pid(e->d_name);
        if (pid <= 0 || pid == (long)getpid())
            continue;
        if (kill((pid_t)pid, 0) == 0 || errno != ESRCH)
            continue; /* alive (or not ours to ask): leave it */
        if (snprintf(path, sizeof path, "%s/%s", dir, e->d_name) < (int)sizeof path &&
            unlink(path) == 0)
            removed++;
    }
    closedir(d);
    return removed;
}

int io_remove_stale_tmp(const char *dir)
{
    char errors[4200];
    int n = remove_in(dir);
    if (snprintf(errors, sizeof errors, "%s/errors", dir) < (int)sizeof errors)
        n += remove_in(errors);
    return n;
}
