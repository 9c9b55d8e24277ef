/* gz.c - files that may be gzip-compressed (data_internal.h): IDX files and
 * text are read whole or inflated, by their content, whatever their name. */
#include "data_internal.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

dlc_status data_gz_open(const char *path, gzFile *g, char **text, size_t *len, dlc_error *err)
{
    *g = NULL;
    *text = NULL;
    *len = 0;
    long long size;
    int fd = dlc_open_regular(path, &size, err);
    if (fd < 0)
        return DLC_EINPUT;
    unsigned char magic[2] = {0, 0};
    ssize_t got = read(fd, magic, 2);
    if (got < 2 || magic[0] != 0x1f || magic[1] != 0x8b) {
        close(fd);
        return dlc_read_file_max(path, DLC_DATA_MAX, text, len, err);
    }
    if (lseek(fd, 0, SEEK_SET) != 0 || !(*g = gzdopen(fd, "rb"))) {
        close(fd);
        return dlc_fail(err, DLC_EINPUT, "%s: cannot read its gzip data", path);
    }
    return DLC_OK;
}

const char *data_gz_msg(gzFile g, int *errnum)
{
    int e = Z_OK;
    const char *msg = gzerror(g, &e), *colon = msg ? strstr(msg, ": ") : NULL;
    if (errnum)
        *errnum = e;
    if (!msg)
        return "?";
    if (strncmp(msg, "<fd:", 4) == 0 && colon) /* zlib names the descriptor first */
        msg = colon + 2;
    return msg;
}

dlc_status data_read_start(const char *path, size_t max, char **text, size_t *len, dlc_error *err)
{
    long long size;
    *text = NULL;
    *len = 0;
    int fd = dlc_open_regular(path, &size, err);
    if (fd < 0)
        return DLC_EINPUT;
    gzFile g = gzdopen(fd, "rb"); /* reads a file that is not gzip as it is */
    char *buf = g ? malloc(max + 1) : NULL;
    if (!g)
        close(fd);
    if (!buf) {
        if (g)
            gzclose_r(g);
        return g ? DLC_NOMEM(err) : dlc_fail(err, DLC_EINPUT, "%s: cannot read it", path);
    }
    size_t n = 0;
    int r = 1;
    while (n < max && (r = gzread(g, buf + n, (unsigned)(max - n < (1u << 30) ? max - n : 1u << 30))) > 0)
        n += (size_t)r;
    int errnum = Z_OK;
    const char *msg = data_gz_msg(g, &errnum);
    /* a stream cut short past what is read is the full read's to report */
    if (r < 0 && errnum != Z_BUF_ERROR) {
        dlc_status st = dlc_fail(err, DLC_EINPUT, "%s: corrupt gzip data: %s", path, msg);
        gzclose_r(g);
        free(buf);
        return st;
    }
    gzclose_r(g);
    buf[n] = '\0';
    *text = buf;
    *len = n;
    return DLC_OK;
}
